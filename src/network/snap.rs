//! Attaching points (resident cells, sites) to the pedestrian graph, door to door.
//!
//! * **Inputs:** a [`Graph`], [`SnapOptions`], points in local metres.
//! * **Outputs:** per point a [`Snap`] (segment, offset along it, straight access
//!   leg) or an [`OffNetwork`] reason. Points are never silently attached beyond
//!   `max_snap_m`.
//!
//! A point attaches to the nearest point of the nearest *eligible* segment (one in a
//! component of at least `min_component_m`; see [`crate::network::graph`]). Its
//! distance to either end of that segment is the straight access leg plus the offset
//! along the segment, so two points on the same long street are as far apart as they
//! really are, not as far as their nearest junctions.
//!
//! # Surface preference
//! Tunnels, indoor corridors, elevated ways and steps stay in the graph for routing,
//! but a point is not attached to them when a street-level, step-free segment is
//! almost as near: with `d0` the distance to the nearest eligible segment, the point
//! takes the nearest *preferred* segment if it lies within `d0 + surface_margin_m`
//! (default 50 m) and within `max_snap_m`; otherwise it takes the nearest segment.
//! 50 m covers the offset between an underpass or a footbridge and the street it
//! crosses (a wide arterial is 40–60 m between building lines), while a resident deep
//! inside a station or mall with no street within 50 m still attaches to the corridor.
//! A fixed absolute radius (e.g. 25 m) was rejected: it would attach a point 24 m
//! from a street to that street even when a tunnel is 1 m away, but not one 26 m away,
//! a cliff with no physical meaning; a margin relative to `d0` scales with the local
//! mapping density.
//!
//! # Ties
//! A point can be equally near to several segments: every segment meeting at the
//! junction it is nearest to, two parallel streets either side of it, a symmetric
//! spot of a regular street grid. Which one it "takes" must not change a walking
//! distance, because a resident standing there walks out whichever way is shorter.
//! So a point attaches to **every** segment of the chosen kind (preferred, or any
//! eligible one when no preferred segment qualifies) whose distance is within
//! [`TIE_TOLERANCE_M`] (1 cm) of the chosen distance, each attachment with its own
//! offset and access leg, and the walking engine takes the minimum over them. The
//! attachments are listed nearest first, then by the OSM node ids of the segment
//! (lower pair first); the first is the *canonical* one ([`SnapIndex::snap`]).
//! Both the set and the order are properties of the OSM data alone, so a tile that
//! loads a subset of the city's ways attaches its points as the whole city does.

use super::graph::Graph;
use rayon::prelude::*;

/// Snapping parameters.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct SnapOptions {
    /// Farthest a point may be from the network and still be attached, metres.
    pub max_snap_m: f64,
    /// Extra distance accepted to attach to a street-level, step-free segment rather
    /// than a tunnel, corridor, elevated way or steps, metres.
    pub surface_margin_m: f64,
}

impl Default for SnapOptions {
    fn default() -> Self {
        Self {
            max_snap_m: 300.0,
            surface_margin_m: 50.0,
        }
    }
}

/// Where a point attaches.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Snap {
    /// Segment index in [`Graph::segments`].
    pub segment: u32,
    /// Distance along the segment from its first node (`nodes[0]`), metres.
    pub offset_m: f64,
    /// Straight distance from the point to the attachment point, metres.
    pub access_m: f64,
    /// The attachment point, local metres.
    pub point: [f64; 2],
}

/// Why a point could not be attached.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OffNetwork {
    /// No eligible segment within `max_snap_m`.
    TooFar {
        /// Distance to the nearest eligible segment, if there is any, metres.
        nearest_m: Option<f64>,
    },
    /// No eligible segment within `max_snap_m`, and the distance of the nearest one
    /// beyond it was not sought (see [`SnapIndex::snap_tied_within`]).
    BeyondReach {
        /// The snap distance in force, metres.
        max_snap_m: f64,
    },
    /// The only walkable ways within `max_snap_m` belong to components shorter than
    /// `min_component_m` (islands: a campus path network not joined to the streets…).
    OnlySmallComponents {
        /// Distance to the nearest such segment, metres.
        nearest_m: f64,
        /// Walkable length of its component, metres.
        component_len_m: f64,
    },
}

impl std::fmt::Display for OffNetwork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OffNetwork::TooFar { nearest_m: Some(d) } => {
                write!(
                    f,
                    "nearest walkable way is {d:.1} m away, beyond the snap distance"
                )
            }
            OffNetwork::TooFar { nearest_m: None } => f.write_str("no walkable way in the network"),
            OffNetwork::BeyondReach { max_snap_m } => {
                write!(
                    f,
                    "no walkable way within the snap distance of {max_snap_m} m"
                )
            }
            OffNetwork::OnlySmallComponents {
                nearest_m,
                component_len_m,
            } => write!(
                f,
                "only a small isolated walkway ({component_len_m:.0} m of paths) within reach, {nearest_m:.1} m away"
            ),
        }
    }
}

/// A segment as stored in the index: its end points (copied, so a query reads one
/// contiguous run of memory per bucket), its index and whether it is preferred.
#[derive(Clone, Copy, Debug)]
struct SegObj {
    a: [f64; 2],
    b: [f64; 2],
    seg: u32,
    preferred: bool,
}

impl SegObj {
    /// Squared distance from `p` (the exact expression the snap uses).
    #[inline]
    fn distance_2(&self, p: [f64; 2]) -> f64 {
        let (_, q) = closest_on_segment(self.a, self.b, p);
        (q[0] - p[0]).powi(2) + (q[1] - p[1]).powi(2)
    }
}

/// The point of segment `a`–`b` closest to `p`, with its distance from `a`.
#[must_use]
pub fn closest_on_segment(a: [f64; 2], b: [f64; 2], p: [f64; 2]) -> (f64, [f64; 2]) {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    if len2 <= 0.0 {
        return (0.0, a);
    }
    let t = (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0);
    (t * len2.sqrt(), [a[0] + t * dx, a[1] + t * dy])
}

/// Slack (metres) added to every "nothing unvisited can be nearer" test, so that
/// floating-point rounding in the bucket arithmetic (≈ 1e-11 m at city scale) can
/// never stop a search one ring too early.
const RING_SLACK_M: f64 = 1e-3;

/// Segments whose distances from a point differ by at most this much are tied, and
/// the point attaches to all of them (see the module documentation), metres. Far
/// above the rounding of the distance arithmetic (≈ 1e-11 m at city scale) and far
/// below anything a resident could tell apart.
pub const TIE_TOLERANCE_M: f64 = 0.01;

/// The squared distance a segment may have to be tied with one at squared distance
/// `d2`.
#[inline]
fn tie_bound_2(d2: f64) -> f64 {
    (d2.sqrt() + TIE_TOLERANCE_M).powi(2)
}

/// Segments bucketed on a uniform square grid, each listed in every bucket its
/// bounding box overlaps.
///
/// Why not an R-tree: this index replaced an `rstar` R-tree whose sequential bulk
/// load of 1.1 M segments took ~1.8 s of CPU (a sixth of a whole 1 M-node run, mostly
/// `memmove` of 72-byte objects during the recursive partitioning; profiled with
/// `perf record`), while the grid is built by two counting passes in ~30 ms. OSM
/// segments are short and street density varies by less than an order of magnitude
/// inside a city, so fixed buckets of a few segments each answer nearest queries
/// with a handful of bucket visits. The answers are the same as the R-tree's: the
/// search visits square rings of buckets around the point until no unvisited
/// segment can be nearer than the answer (see [`SegGrid::search`]), and tied
/// segments are ordered by their OSM node ids (see [`better`]).
#[derive(Debug, Default)]
struct SegGrid {
    x0: f64,
    y0: f64,
    /// Bucket side, metres.
    cell: f64,
    nx: i64,
    ny: i64,
    /// Bucket `i + nx * j` holds `objs[first[k]..first[k + 1]]`.
    first: Vec<u32>,
    objs: Vec<SegObj>,
}

impl SegGrid {
    /// Indexes the objects `obj(i)` for `i < count` that are `Some`. The objects are
    /// made where they are stored (no intermediate list: at a million segments the
    /// copies and their fresh pages cost more than the bucketing).
    fn new(count: usize, obj: impl Fn(usize) -> Option<SegObj>) -> Self {
        let segs = || (0..count).filter_map(&obj);
        let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
        let mut n_objs = 0usize;
        for s in segs() {
            n_objs += 1;
            for k in 0..2 {
                lo[k] = lo[k].min(s.a[k]).min(s.b[k]);
                hi[k] = hi[k].max(s.a[k]).max(s.b[k]);
            }
        }
        if n_objs == 0 {
            return Self::default();
        }
        let (w, h) = ((hi[0] - lo[0]).max(1.0), (hi[1] - lo[1]).max(1.0));
        // About two segments per bucket on average: twice the side of the square each
        // segment would get if they tiled the box evenly (~80 m in a dense city).
        #[allow(clippy::cast_precision_loss)] // counts far below 2^52
        let n = n_objs as f64;
        let mut cell = (2.0 * (w * h / n).sqrt()).max(1.0);
        #[allow(clippy::cast_possible_truncation)] // bounded by the loop below
        let dims = |cell: f64| ((w / cell) as i64 + 1, (h / cell) as i64 + 1);
        #[allow(clippy::cast_precision_loss)]
        while {
            let (nx, ny) = dims(cell);
            (nx * ny) as f64 > 4.0 * n + 1024.0
        } {
            cell *= 2.0;
        }
        let (nx, ny) = dims(cell);
        let mut grid = SegGrid {
            x0: lo[0],
            y0: lo[1],
            cell,
            nx,
            ny,
            first: Vec::new(),
            objs: Vec::new(),
        };
        let nb = usize::try_from(nx * ny).expect("bucket count fits in memory");
        let mut first = vec![0u32; nb + 1];
        for s in segs() {
            grid.for_buckets(&s, |k| first[k + 1] += 1);
        }
        for k in 0..nb {
            first[k + 1] += first[k];
        }
        let mut fill = first.clone();
        let placeholder = SegObj {
            a: [0.0; 2],
            b: [0.0; 2],
            seg: 0,
            preferred: false,
        };
        let mut objs = vec![placeholder; first[nb] as usize];
        for s in segs() {
            grid.for_buckets(&s, |k| {
                objs[fill[k] as usize] = s;
                fill[k] += 1;
            });
        }
        grid.first = first;
        grid.objs = objs;
        grid
    }

    /// Bucket column/row of a coordinate, unclamped (a point may lie outside).
    #[inline]
    #[allow(clippy::cast_possible_truncation)] // saturating, then clamped by callers
    fn bucket(&self, v: f64, origin: f64) -> i64 {
        ((v - origin) / self.cell).floor() as i64
    }

    /// Calls `f` with every bucket the segment's bounding box overlaps.
    fn for_buckets(&self, s: &SegObj, mut f: impl FnMut(usize)) {
        let clamp_x = |i: i64| i.clamp(0, self.nx - 1);
        let clamp_y = |j: i64| j.clamp(0, self.ny - 1);
        let (i0, i1) = (
            clamp_x(self.bucket(s.a[0].min(s.b[0]), self.x0)),
            clamp_x(self.bucket(s.a[0].max(s.b[0]), self.x0)),
        );
        let (j0, j1) = (
            clamp_y(self.bucket(s.a[1].min(s.b[1]), self.y0)),
            clamp_y(self.bucket(s.a[1].max(s.b[1]), self.y0)),
        );
        for j in j0..=j1 {
            for i in i0..=i1 {
                #[allow(clippy::cast_sign_loss, clippy::cast_possible_truncation)] // clamped
                f((i + self.nx * j) as usize);
            }
        }
    }

    /// Visits the segments around `p` ring by ring (square rings of buckets, the
    /// point's own bucket first), calling `visit(obj, d2)` for each, and stops as
    /// soon as every segment not yet visited is farther than `radius()` (asked again
    /// after each ring, so the radius may shrink as the answer improves). A segment
    /// in several buckets may be visited more than once.
    fn search<'s>(
        &'s self,
        p: [f64; 2],
        mut visit: impl FnMut(&'s SegObj, f64),
        mut radius: impl FnMut() -> f64,
    ) {
        if self.objs.is_empty() {
            return;
        }
        let (bx, by) = (self.bucket(p[0], self.x0), self.bucket(p[1], self.y0));
        // Rings closer than this do not meet the grid at all.
        let k_min = 0
            .max(-bx)
            .max(bx - (self.nx - 1))
            .max(-by)
            .max(by - (self.ny - 1));
        let mut k = k_min;
        loop {
            let (i_lo, i_hi) = ((bx - k).max(0), (bx + k).min(self.nx - 1));
            let (j_lo, j_hi) = ((by - k).max(0), (by + k).min(self.ny - 1));
            for j in j_lo..=j_hi {
                let edge_row = j == by - k || j == by + k;
                let mut row = |i: i64| {
                    #[allow(clippy::cast_sign_loss, clippy::cast_possible_truncation)]
                    let b = (i + self.nx * j) as usize;
                    for o in &self.objs[self.first[b] as usize..self.first[b + 1] as usize] {
                        visit(o, o.distance_2(p));
                    }
                };
                if edge_row {
                    for i in i_lo..=i_hi {
                        row(i);
                    }
                } else {
                    if bx - k >= 0 && bx - k < self.nx {
                        row(bx - k);
                    }
                    if bx + k >= 0 && bx + k < self.nx && k > 0 {
                        row(bx + k);
                    }
                }
            }
            // Distance from p to the nearest bucket not yet visited (infinite when the
            // visited square covers the grid).
            let c = self.cell;
            let mut lower = f64::INFINITY;
            #[allow(clippy::cast_precision_loss)] // bucket counts far below 2^52
            {
                if bx - k > 0 {
                    lower = lower.min(p[0] - (self.x0 + (bx - k) as f64 * c));
                }
                if bx + k < self.nx - 1 {
                    lower = lower.min(self.x0 + (bx + k + 1) as f64 * c - p[0]);
                }
                if by - k > 0 {
                    lower = lower.min(p[1] - (self.y0 + (by - k) as f64 * c));
                }
                if by + k < self.ny - 1 {
                    lower = lower.min(self.y0 + (by + k + 1) as f64 * c - p[1]);
                }
            }
            if lower.is_infinite() || lower > radius() + RING_SLACK_M {
                return;
            }
            k += 1;
        }
    }
}

/// Whether a segment at squared distance `d2` beats the best so far: nearer first;
/// at equal distance (a point nearest to a junction is as near to every segment
/// meeting there) the segment whose OSM node-id pair is lowest wins. That key is a
/// property of the OSM data alone, so the answer depends neither on the index's
/// storage order nor on the dense (Hilbert-ordered) node numbering, which changes
/// with the set of ways loaded (a tile sees a subset of the city's ways).
#[inline]
fn better(d2: f64, obj: &SegObj, than: Option<(f64, &SegObj)>, key: &[[i64; 2]]) -> bool {
    match than {
        None => true,
        Some((bd2, b)) => d2 < bd2 || (d2 == bd2 && key[obj.seg as usize] < key[b.seg as usize]),
    }
}

/// Segment indexes over the graph, ready to snap points.
#[derive(Debug)]
pub struct SnapIndex {
    eligible: SegGrid,
    small: SegGrid,
    opts: SnapOptions,
    /// Walkable length of the component of each segment of a small component.
    small_component_len_m: std::collections::HashMap<u32, f64>,
    /// Per segment, the OSM ids of its ends, lower first: the order of tied
    /// attachments (the lowest is the canonical one).
    osm_key: Vec<[i64; 2]>,
    /// Per segment, whether it is preferred for snapping.
    preferred: Vec<bool>,
}

impl SnapIndex {
    /// Indexes every segment of `graph` (eligible and small-component ones apart).
    ///
    /// # Performance
    /// O(S) for S segments (two counting passes into grid buckets).
    #[must_use]
    pub fn new(graph: &Graph, opts: SnapOptions) -> Self {
        let xy = graph.node_xy();
        let ids = graph.osm_id();
        let segments = graph.segments();
        let obj = |i: usize| {
            let s = &segments[i];
            SegObj {
                a: xy[s.nodes[0] as usize],
                b: xy[s.nodes[1] as usize],
                seg: u32::try_from(i).expect("fewer than 2^32 segments"),
                preferred: s.flags.is_preferred_for_snapping(),
            }
        };
        let eligible =
            |i: usize| graph.segment_eligible(u32::try_from(i).expect("fewer than 2^32 segments"));
        let ((eligible, small), osm_key) = rayon::join(
            || {
                rayon::join(
                    || SegGrid::new(segments.len(), |i| eligible(i).then(|| obj(i))),
                    || SegGrid::new(segments.len(), |i| (!eligible(i)).then(|| obj(i))),
                )
            },
            || {
                segments
                    .par_iter()
                    .map(|s| {
                        let (a, b) = (ids[s.nodes[0] as usize], ids[s.nodes[1] as usize]);
                        [a.min(b), a.max(b)]
                    })
                    .collect()
            },
        );
        let preferred = segments
            .par_iter()
            .map(|s| s.flags.is_preferred_for_snapping())
            .collect();
        // Only the small components' segments can be named in an `OffNetwork`.
        let comp = graph.node_component();
        let small_component_len_m = small
            .objs
            .iter()
            .map(|o| {
                let a = segments[o.seg as usize].nodes[0];
                (o.seg, graph.components()[comp[a as usize] as usize].len_m)
            })
            .collect();
        Self {
            eligible,
            small,
            opts,
            small_component_len_m,
            osm_key,
            preferred,
        }
    }

    /// The options in force.
    #[must_use]
    pub fn options(&self) -> SnapOptions {
        self.opts
    }

    /// Attaches one point (local metres) to its canonical segment (the first of
    /// [`SnapIndex::snap_tied`]), or says why it cannot be.
    ///
    /// # Errors
    /// [`OffNetwork`] when no eligible segment is within `max_snap_m`.
    pub fn snap(&self, p: [f64; 2]) -> Result<Snap, OffNetwork> {
        let mut all = Vec::new();
        self.snap_tied(p, &mut all)?;
        Ok(all[0])
    }

    /// Attaches one point (local metres) to every tied segment: `out` is cleared and
    /// receives one [`Snap`] per segment of the chosen kind (preferred, or any
    /// eligible) whose distance is within [`TIE_TOLERANCE_M`] of the chosen
    /// distance, each with its own offset and access leg; the canonical one (nearest,
    /// then lowest OSM node-id pair) first, the others by that same order.
    ///
    /// # Errors
    /// [`OffNetwork`] when no eligible segment is within `max_snap_m` (`out` is
    /// then empty).
    pub fn snap_tied(&self, p: [f64; 2], out: &mut Vec<Snap>) -> Result<(), OffNetwork> {
        self.attach(p, out, Beyond::Measure)
    }

    /// [`SnapIndex::snap_tied`] for points whose reason for being off the network is
    /// only counted (resident cells): the same attachments, but the search stops at
    /// `max_snap_m`, so a point with no eligible segment within it costs a search of
    /// that radius instead of one reaching the nearest way (a cell 3 km out in a
    /// lake or beyond the city's streets would otherwise visit thousands of
    /// buckets). Such a point gets [`OffNetwork::BeyondReach`] where `snap_tied`
    /// gives [`OffNetwork::TooFar`] with the distance.
    ///
    /// # Errors
    /// As [`SnapIndex::snap_tied`], with `BeyondReach` for `TooFar`.
    pub fn snap_tied_within(&self, p: [f64; 2], out: &mut Vec<Snap>) -> Result<(), OffNetwork> {
        self.attach(p, out, Beyond::Skip)
    }

    fn attach(&self, p: [f64; 2], out: &mut Vec<Snap>, beyond: Beyond) -> Result<(), OffNetwork> {
        out.clear();
        let max = self.opts.max_snap_m;
        let margin = self.opts.surface_margin_m;
        if !(p[0].is_finite() && p[1].is_finite()) {
            return Err(OffNetwork::TooFar { nearest_m: None });
        }
        // Squared distances of the nearest eligible segment (`any`) and the nearest
        // preferred one (`pref`), and the squared tie bounds that go with them. The
        // preferred one is taken when it lies within `min(d0 + margin, max)`.
        let any = std::cell::Cell::new(f64::INFINITY);
        let pref = std::cell::Cell::new(f64::INFINITY);
        let (mut any_tie2, mut pref_tie2) = (f64::INFINITY, f64::INFINITY);
        self.eligible.search(
            p,
            |obj, d2| {
                if d2 < any.get() {
                    any.set(d2);
                    any_tie2 = tie_bound_2(d2);
                }
                if obj.preferred && d2 < pref.get() {
                    pref.set(d2);
                    pref_tie2 = tie_bound_2(d2);
                }
                // Anything within the tie bound of the best so far may be tied with
                // the final choice (the bounds only shrink): keep it for the end.
                if d2 <= any_tie2 || (obj.preferred && d2 <= pref_tie2) {
                    let (offset_m, point) = closest_on_segment(obj.a, obj.b, p);
                    out.push(Snap {
                        segment: obj.seg,
                        offset_m,
                        access_m: (point[0] - p[0]).hypot(point[1] - p[1]),
                        point,
                    });
                }
            },
            || {
                let d0_2 = any.get();
                let unmeasured = match beyond {
                    Beyond::Measure => f64::INFINITY,
                    Beyond::Skip => max,
                };
                if d0_2.is_infinite() {
                    return unmeasured;
                }
                let d0 = d0_2.sqrt();
                let r = if d0 > max {
                    d0.min(unmeasured)
                } else {
                    let limit = (d0 + margin).min(max);
                    pref.get().sqrt().min(limit)
                };
                r + TIE_TOLERANCE_M
            },
        );
        let d0 = any.get().sqrt();
        if d0 > max {
            out.clear();
            let far = match beyond {
                Beyond::Measure => OffNetwork::TooFar {
                    nearest_m: d0.is_finite().then_some(d0),
                },
                Beyond::Skip => OffNetwork::BeyondReach { max_snap_m: max },
            };
            return Err(self.off_network(p, far));
        }
        let d0_2 = any.get();
        let limit = (d0 + margin).min(max);
        let (preferred_only, bound_2) = if pref.get() <= limit * limit {
            (true, tie_bound_2(pref.get()))
        } else {
            (false, tie_bound_2(d0_2))
        };
        let d2_of = |s: &Snap| (s.point[0] - p[0]).powi(2) + (s.point[1] - p[1]).powi(2);
        out.retain(|s| {
            d2_of(s) <= bound_2 && (!preferred_only || self.preferred[s.segment as usize])
        });
        out.sort_by(|x, y| {
            d2_of(x)
                .total_cmp(&d2_of(y))
                .then_with(|| {
                    self.osm_key[x.segment as usize].cmp(&self.osm_key[y.segment as usize])
                })
                .then(x.segment.cmp(&y.segment))
        });
        out.dedup_by_key(|s| s.segment);
        debug_assert!(
            !out.is_empty(),
            "the chosen segment is among the candidates"
        );
        Ok(())
    }

    /// Why `p` is off the network: small components within reach, else `far`.
    fn off_network(&self, p: [f64; 2], far: OffNetwork) -> OffNetwork {
        let max = self.opts.max_snap_m;
        let best: std::cell::Cell<Option<(f64, &SegObj)>> = std::cell::Cell::new(None);
        self.small.search(
            p,
            |obj, d2| {
                if better(d2, obj, best.get(), &self.osm_key) {
                    best.set(Some((d2, obj)));
                }
            },
            || best.get().map_or(max, |(d2, _)| d2.sqrt().min(max)),
        );
        if let Some((d2, obj)) = best.get() {
            let d = d2.sqrt();
            if d <= max {
                return OffNetwork::OnlySmallComponents {
                    nearest_m: d,
                    component_len_m: self.small_component_len_m[&obj.seg],
                };
            }
        }
        far
    }
}

/// What the search does when no eligible segment is within `max_snap_m`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Beyond {
    /// Go on to the nearest one, for its distance ([`OffNetwork::TooFar`]).
    Measure,
    /// Stop at `max_snap_m` ([`OffNetwork::BeyondReach`]).
    Skip,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::graph::{GraphBuilder, GraphOptions};
    use crate::network::pedestrian::{EdgeFlags, FootDirection, Walkable};

    fn lcg(state: &mut u64) -> f64 {
        *state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (*state >> 11) as f64 / (1u64 << 53) as f64
    }

    fn walk(flags: EdgeFlags) -> Walkable {
        Walkable {
            class: 0,
            direction: FootDirection::Both,
            flags,
        }
    }

    /// The documented rule by brute force over every segment.
    fn brute(g: &Graph, opts: SnapOptions, p: [f64; 2]) -> Option<(u32, f64)> {
        let ids = g.osm_id();
        let key = |s: &super::super::graph::Segment| {
            let (a, b) = (ids[s.nodes[0] as usize], ids[s.nodes[1] as usize]);
            [a.min(b), a.max(b)]
        };
        let xy = g.node_xy();
        let mut any: Option<(f64, u32)> = None;
        let mut pref: Option<(f64, u32)> = None;
        for (i, s) in g.segments().iter().enumerate() {
            let i = i as u32;
            if !g.segment_eligible(i) {
                continue;
            }
            let (_, q) = closest_on_segment(xy[s.nodes[0] as usize], xy[s.nodes[1] as usize], p);
            let d2 = (q[0] - p[0]).powi(2) + (q[1] - p[1]).powi(2);
            let wins = |best: Option<(f64, u32)>| match best {
                None => true,
                Some((bd2, b)) => {
                    d2 < bd2 || (d2 == bd2 && key(s) < key(&g.segments()[b as usize]))
                }
            };
            if wins(any) {
                any = Some((d2, i));
            }
            if s.flags.is_preferred_for_snapping() && wins(pref) {
                pref = Some((d2, i));
            }
        }
        let (d0_2, nearest) = any?;
        let d0 = d0_2.sqrt();
        if d0 > opts.max_snap_m {
            return None;
        }
        let limit = (d0 + opts.surface_margin_m).min(opts.max_snap_m);
        let seg = match pref {
            Some((pd2, s)) if pd2 <= limit * limit => s,
            _ => nearest,
        };
        let s = &g.segments()[seg as usize];
        let (offset, _) = closest_on_segment(xy[s.nodes[0] as usize], xy[s.nodes[1] as usize], p);
        Some((seg, offset))
    }

    /// Every segment of the chosen kind within 1 cm of the chosen distance, sorted.
    fn brute_tied(g: &Graph, opts: SnapOptions, p: [f64; 2]) -> Option<Vec<u32>> {
        let xy = g.node_xy();
        let d: Vec<(u32, f64, bool)> = g
            .segments()
            .iter()
            .enumerate()
            .filter(|(i, _)| g.segment_eligible(*i as u32))
            .map(|(i, s)| {
                let (_, q) =
                    closest_on_segment(xy[s.nodes[0] as usize], xy[s.nodes[1] as usize], p);
                let d = (q[0] - p[0]).hypot(q[1] - p[1]);
                (i as u32, d, s.flags.is_preferred_for_snapping())
            })
            .collect();
        let d0 = d.iter().map(|x| x.1).fold(f64::INFINITY, f64::min);
        if d0 > opts.max_snap_m {
            return None;
        }
        let limit = (d0 + opts.surface_margin_m).min(opts.max_snap_m);
        let dp = d
            .iter()
            .filter(|x| x.2)
            .map(|x| x.1)
            .fold(f64::INFINITY, f64::min);
        let (only_pref, chosen) = if dp <= limit { (true, dp) } else { (false, d0) };
        Some(
            d.iter()
                .filter(|x| x.1 <= chosen + TIE_TOLERANCE_M && (x.2 || !only_pref))
                .map(|x| x.0)
                .collect(),
        )
    }

    #[test]
    fn grid_snap_matches_brute_force() {
        let mut ties = 0;
        let mut st = 0x5EED_0003_u64;
        for round in 0..12 {
            let n = 20 + 15 * round;
            let side = 300.0 + 400.0 * f64::from(round);
            let mut b = GraphBuilder::new();
            for i in 0..n {
                // Coordinates on a 5 m lattice: many exact ties between segments.
                let x = (lcg(&mut st) * side / 5.0).round() * 5.0;
                let y = (lcg(&mut st) * side / 5.0).round() * 5.0;
                b.add_node(i as i64 * 7 + 3, [x, y]);
            }
            for w in 0..(2 * n) {
                let p = (lcg(&mut st) * n as f64) as i64 * 7 + 3;
                let q = (lcg(&mut st) * n as f64) as i64 * 7 + 3;
                let flags = if lcg(&mut st) < 0.3 {
                    EdgeFlags::TUNNEL
                } else {
                    EdgeFlags::default()
                };
                b.add_way(w as i64, walk(flags), &[p, q]);
            }
            let g = b.build(&GraphOptions {
                min_component_m: 200.0,
            });
            let opts = SnapOptions {
                max_snap_m: 150.0 + 50.0 * f64::from(round % 3),
                surface_margin_m: 30.0,
            };
            let index = SnapIndex::new(&g, opts);
            for k in 0..400 {
                // Points inside, near and well outside the network's box; some on
                // the lattice (junction ties).
                let mut p = [
                    lcg(&mut st) * side * 1.6 - 0.3 * side,
                    lcg(&mut st) * side * 1.6 - 0.3 * side,
                ];
                if k % 3 == 0 {
                    p = [(p[0] / 5.0).round() * 5.0, (p[1] / 5.0).round() * 5.0];
                }
                let got = index.snap(p).ok().map(|s| (s.segment, s.offset_m));
                assert_eq!(got, brute(&g, opts, p), "round {round} point {p:?}");
                let mut all = Vec::new();
                let tied = index.snap_tied(p, &mut all).ok().map(|()| {
                    let mut segs: Vec<u32> = all.iter().map(|s| s.segment).collect();
                    segs.sort_unstable();
                    segs
                });
                assert_eq!(tied, brute_tied(&g, opts, p), "round {round} point {p:?}");
                let tied_all = index.snap_tied(p, &mut all).map(|()| all.clone());
                let mut within = Vec::new();
                let got_within = index.snap_tied_within(p, &mut within).map(|()| within);
                match (&tied_all, &got_within) {
                    (Err(OffNetwork::TooFar { .. }), Err(beyond)) => {
                        assert_eq!(
                            *beyond,
                            OffNetwork::BeyondReach {
                                max_snap_m: opts.max_snap_m
                            }
                        );
                    }
                    _ => assert_eq!(got_within, tied_all, "round {round} point {p:?}"),
                }
                if tied.as_ref().is_some_and(|t| t.len() > 1) {
                    ties += 1;
                }
            }
        }
        assert!(ties > 100, "the lattice makes many ties: {ties}");
    }

    /// A point nearest to a junction is equally near to every segment meeting there;
    /// the segment it takes must not depend on the ways loaded (they change the dense
    /// node numbering through the Hilbert order of the loaded box).
    #[test]
    fn junction_ties_do_not_depend_on_the_loaded_ways() {
        let snap_pair = |extra: bool| {
            let mut b = GraphBuilder::new();
            // An L: node 100 at (0, 0) with arms 600 m east and north.
            for (id, p) in [
                (100, [0.0, 0.0]),
                (7, [600.0, 0.0]),
                (3, [0.0, 600.0]),
                (50, [5000.0, 5000.0]),
                (51, [6000.0, 5000.0]),
            ] {
                b.add_node(id, p);
            }
            for (w, end) in [(1, 7), (2, 3)] {
                b.add_way(w, walk(EdgeFlags::default()), &[100, end]);
            }
            if extra {
                b.add_way(9, walk(EdgeFlags::default()), &[50, 51]);
            }
            let g = b.build(&GraphOptions::default());
            let index = SnapIndex::new(&g, SnapOptions::default());
            // South-west of the junction, beside neither arm: both are nearest at the
            // node itself; the lower id pair (3, 100) wins.
            let s = index.snap([-10.0, -10.0]).expect("snaps");
            let seg = g.segments()[s.segment as usize];
            let ids = [
                g.osm_id()[seg.nodes[0] as usize],
                g.osm_id()[seg.nodes[1] as usize],
            ];
            (ids, s.offset_m)
        };
        let (alone, with_extra) = (snap_pair(false), snap_pair(true));
        assert_eq!(alone, with_extra);
        assert_eq!(alone.0, [3, 100], "oriented from the lower OSM id");
        assert!(
            (alone.1 - 600.0).abs() < 1e-9,
            "the junction is node 100, at the far end"
        );
    }
}
