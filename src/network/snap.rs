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

use rstar::{AABB, PointDistance, RStarInsertionStrategy, RTree, RTreeObject, RTreeParams};

use super::graph::Graph;

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

/// A segment in the R-tree, with its envelope computed once (bulk loading asks for
/// envelopes O(n log n) times).
#[derive(Clone, Copy, Debug)]
struct SegObj {
    a: [f64; 2],
    b: [f64; 2],
    env: AABB<[f64; 2]>,
    seg: u32,
    preferred: bool,
}

impl SegObj {
    fn new(a: [f64; 2], b: [f64; 2], seg: u32, preferred: bool) -> Self {
        let env = AABB::from_corners(
            [a[0].min(b[0]), a[1].min(b[1])],
            [a[0].max(b[0]), a[1].max(b[1])],
        );
        Self {
            a,
            b,
            env,
            seg,
            preferred,
        }
    }
}

impl RTreeObject for SegObj {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.env
    }
}

impl PointDistance for SegObj {
    fn distance_2(&self, p: &[f64; 2]) -> f64 {
        let (_, q) = closest_on_segment(self.a, self.b, *p);
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

/// R-tree node sizes: twice rstar's default (6) makes the tree shallower, which cut
/// bulk loading plus snapping on a 2 M-segment synthetic city by about a third
/// (measured: `examples`-style timing, CPU seconds); wider nodes (48) were slower.
#[derive(Debug)]
struct SegParams;

impl RTreeParams for SegParams {
    const MIN_SIZE: usize = 4;
    const MAX_SIZE: usize = 12;
    const REINSERTION_COUNT: usize = 3;
    type DefaultInsertionStrategy = RStarInsertionStrategy;
}

/// R-trees over the graph's segments, ready to snap points.
#[derive(Debug)]
pub struct SnapIndex {
    eligible: RTree<SegObj, SegParams>,
    small: RTree<SegObj, SegParams>,
    opts: SnapOptions,
    component_len_m: Vec<f64>,
}

impl SnapIndex {
    /// Indexes every segment of `graph` (eligible and small-component ones apart).
    ///
    /// # Performance
    /// O(S log S) bulk load for S segments.
    #[must_use]
    pub fn new(graph: &Graph, opts: SnapOptions) -> Self {
        let xy = graph.node_xy();
        let mut eligible = Vec::new();
        let mut small = Vec::new();
        let mut component_len_m = Vec::new();
        for (i, s) in graph.segments().iter().enumerate() {
            let seg = u32::try_from(i).expect("fewer than 2^32 segments");
            let obj = SegObj::new(
                xy[s.nodes[0] as usize],
                xy[s.nodes[1] as usize],
                seg,
                s.flags.is_preferred_for_snapping(),
            );
            if graph.segment_eligible(seg) {
                eligible.push(obj);
            } else {
                small.push(obj);
            }
        }
        let comp = graph.node_component();
        for s in graph.segments() {
            component_len_m.push(graph.components()[comp[s.nodes[0] as usize] as usize].len_m);
        }
        Self {
            eligible: RTree::bulk_load_with_params(eligible),
            small: RTree::bulk_load_with_params(small),
            opts,
            component_len_m,
        }
    }

    /// The options in force.
    #[must_use]
    pub fn options(&self) -> SnapOptions {
        self.opts
    }

    /// Attaches one point (local metres), or says why it cannot be.
    ///
    /// # Errors
    /// [`OffNetwork`] when no eligible segment is within `max_snap_m`.
    pub fn snap(&self, p: [f64; 2]) -> Result<Snap, OffNetwork> {
        let max = self.opts.max_snap_m;
        if !(p[0].is_finite() && p[1].is_finite()) {
            // rstar orders distances with `partial_cmp().unwrap()`: never hand it a NaN.
            return Err(OffNetwork::TooFar { nearest_m: None });
        }
        let mut iter = self.eligible.nearest_neighbor_iter_with_distance_2(&p);
        let Some((first, d0_2)) = iter.next() else {
            return Err(self.off_network(p, None));
        };
        let d0 = d0_2.sqrt();
        if d0 > max {
            return Err(self.off_network(p, Some(d0)));
        }
        let limit = (d0 + self.opts.surface_margin_m).min(max);
        let limit_2 = limit * limit;
        let mut any = (d0_2, first);
        let mut pref = first.preferred.then_some((d0_2, first));
        for (obj, d2) in iter {
            if d2 > limit_2 || pref.is_some_and(|(pd2, _)| d2 > pd2) {
                break;
            }
            // Equal distances: the lowest segment index wins, whatever the tree order.
            if d2 == any.0 && obj.seg < any.1.seg {
                any = (d2, obj);
            }
            if obj.preferred {
                match pref {
                    None => pref = Some((d2, obj)),
                    Some((pd2, pobj)) if d2 == pd2 && obj.seg < pobj.seg => pref = Some((d2, obj)),
                    _ => {}
                }
            }
        }
        let (_, obj) = pref.unwrap_or(any);
        let (offset_m, point) = closest_on_segment(obj.a, obj.b, p);
        let access_m = (point[0] - p[0]).hypot(point[1] - p[1]);
        Ok(Snap {
            segment: obj.seg,
            offset_m,
            access_m,
            point,
        })
    }

    fn off_network(&self, p: [f64; 2], nearest_m: Option<f64>) -> OffNetwork {
        if let Some((obj, d2)) = self.small.nearest_neighbor_iter_with_distance_2(&p).next() {
            let d = d2.sqrt();
            if d <= self.opts.max_snap_m {
                return OffNetwork::OnlySmallComponents {
                    nearest_m: d,
                    component_len_m: self.component_len_m[obj.seg as usize],
                };
            }
        }
        OffNetwork::TooFar { nearest_m }
    }
}
