//! Walking engine: distances along the OpenStreetMap pedestrian network.
//!
//! * **Inputs:** a frozen [`Graph`], the run's cells (local metres) and
//!   [`SnapOptions`]; per category, the sites (local metres), a [`WalkProfile`], the
//!   threshold and the search bound.
//! * **Outputs:** a [`CategoryReach`] per category (nearest-site distance per cell,
//!   number of sites within the threshold, which sites could be attached).
//!
//! # Method
//! Cells are snapped once, in parallel, at construction; sites are snapped per call.
//! A snapped point sits on a segment `a–b` at offset `t`; walking from the point to
//! `a` costs `access + t`, to `b` `access + (len − t)` (door to door), each allowed
//! only in the segment's walkable direction. A point equally near (within 1 cm) to
//! several segments is attached to all of them ([`crate::network::snap`], "Ties"):
//! a cell leaves by whichever attachment is shorter, a site is seeded on every one,
//! so no distance depends on which of the tied segments comes first.
//!
//! * **Nearest site** (`dist_m`): ONE multi-source Dijkstra per category on the
//!   *reversed* graph (so `oneway:foot` is honoured from the resident's side), seeded
//!   with both ends of every site attachment's segment at their entry cost, stopped
//!   at `bound_m`. A cell's distance is the minimum over the two exits of each of its
//!   attachments of `exit cost + node distance`, or the direct distance along the
//!   segment when a site is attached to a segment the cell is attached to. Beyond
//!   `bound_m`: `None`, stated, not guessed.
//! * **Sites within the threshold** (`sites_within`): one bounded Dijkstra per site
//!   (stopped at `threshold_m`), in parallel over sites with per-thread scratch
//!   (distances, touched list, heap, a per-cell "last counted" stamp). Cells are found
//!   from settled nodes through a node → cell CSR; each (site, cell) pair counts once.
//!   Per-thread integer counts are added at the end, so the result does not depend on
//!   the number of threads.
//!
//! Profiles: `step_free` removes steps (edges and along-segment legs on steps get an
//! infinite cost), `step_factor` multiplies the length of steps. The straight access
//! leg is never multiplied.
//!
//! # Units
//! Metres throughout. Edge lengths are `f32`, sums are `f64` (see
//! [`crate::network::search`]); the nearest distance and the per-site count use the
//! same expressions, so they agree at the threshold.

use rayon::prelude::*;

use super::{Catchment, CategoryReach, Reach, WalkProfile};
use crate::network::graph::{Graph, GraphSummary, Segment};
use crate::network::search::{SearchScratch, bounded_search_chains, chain_interiors};
use crate::network::snap::{OffNetwork, Snap, SnapIndex, SnapOptions};

/// The network engine over a fixed set of cells.
///
/// # Example
/// ```
/// use learncircle::analysis::distance::{Reach, WalkProfile, Walking};
/// use learncircle::network::{EdgeFlags, FootDirection, GraphBuilder, GraphOptions, SnapOptions, Walkable};
///
/// let mut b = GraphBuilder::new();
/// b.add_node(1, [0.0, 0.0]);
/// b.add_node(2, [1200.0, 0.0]);
/// let street = Walkable { class: 5, direction: FootDirection::Both, flags: EdgeFlags::default() };
/// b.add_way(10, street, &[1, 2]);
/// let graph = b.build(&GraphOptions::default());
///
/// let walking = Walking::new(&graph, &[[100.0, 20.0]], SnapOptions::default());
/// let reach = walking.category_reach(&[[700.0, -10.0]], &WalkProfile::ADULT, 1000.0, 2000.0);
/// // 20 m to the street, 600 m along it, 10 m to the door.
/// assert_eq!(reach.dist_m[0].map(f64::round), Some(630.0));
/// assert_eq!(reach.sites_within, vec![1]);
/// ```
#[derive(Debug)]
pub struct Walking<'g> {
    graph: &'g Graph,
    index: SnapIndex,
    /// Canonical attachment per cell (the first of its tied ones), or why none.
    cell_snaps: Vec<Result<Snap, OffNetwork>>,
    /// The cell's other tied attachments: `cell_ties[cell_ties_first[c]..cell_ties_first[c + 1]]`.
    cell_ties_first: Vec<u32>,
    cell_ties: Vec<Snap>,
    /// The cells' points, local metres (the start of their walking paths).
    cell_xy: Vec<[f64; 2]>,
    /// Reversed CSR: edges entering node `v` are `in_first[v]..in_first[v + 1]`.
    in_first: Vec<u32>,
    /// Tail node of each entering edge.
    in_tail: Vec<u32>,
    /// Per node: inside a chain (two segments to two different nodes); the searches
    /// walk through these without the queue.
    interior: Vec<bool>,
    /// The forward edge each entering edge mirrors (for its length and flags).
    in_edge: Vec<u32>,
    /// Node → cell exits CSR: exits at node `v` are `exit_first[v]..exit_first[v + 1]`.
    exit_first: Vec<u32>,
    exit_cell: Vec<u32>,
    /// Distance walked along the segment from the cell's snap point to the node.
    exit_along_m: Vec<f64>,
    /// Access leg of the attachment each exit leaves from.
    exit_access_m: Vec<f64>,
    /// Segment of the attachment each exit leaves from.
    exit_segment: Vec<u32>,
    /// `(segment, cell)` for every attachment of a snapped cell, sorted: cells
    /// sharing a site's segment.
    cells_by_segment: Vec<(u32, u32)>,
}

/// How an attached point reaches its nearest site (see [`Walking::nearest_via`]).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Via {
    /// Leaves its segment at this node, then walks to a site through the network.
    Node(u32),
    /// Walks along its own segment straight to this site (index into the site list)
    /// at this one of its attachments.
    Direct(usize, Snap),
}

/// Costs of one profile, prepared once per `category_reach` call.
#[derive(Debug)]
struct ProfileCosts {
    /// Entering arcs `(tail, cost in metres)`, aligned with `in_tail`, interleaved so
    /// that a relaxation touches one cache line.
    in_arcs: Vec<(u32, f32)>,
    /// Cost of each exit (aligned with `exit_cell`): access + along-segment cost.
    exit_cost_m: Vec<f64>,
    step_free: bool,
    step_factor: f64,
}

impl ProfileCosts {
    /// Cost of walking `along_m` metres on segment `s`.
    fn along(&self, s: &Segment, along_m: f64) -> f64 {
        if s.flags.is_steps() {
            if self.step_free {
                f64::INFINITY
            } else {
                along_m * self.step_factor
            }
        } else {
            along_m
        }
    }
}

/// Where a snapped point can leave or enter its segment: `(node, along-segment metres)`.
/// Leaving towards `a` means walking b→a on the segment, so it needs `b_to_a`.
fn exits(seg: &Segment, len_m: f64, offset_m: f64) -> [Option<(u32, f64)>; 2] {
    [
        seg.b_to_a.then_some((seg.nodes[0], offset_m)),
        seg.a_to_b
            .then_some((seg.nodes[1], (len_m - offset_m).max(0.0))),
    ]
}

/// Entries into a snapped point from its segment's ends (the mirror of [`exits`]).
fn entries(seg: &Segment, len_m: f64, offset_m: f64) -> [Option<(u32, f64)>; 2] {
    [
        seg.a_to_b.then_some((seg.nodes[0], offset_m)),
        seg.b_to_a
            .then_some((seg.nodes[1], (len_m - offset_m).max(0.0))),
    ]
}

impl<'g> Walking<'g> {
    /// Snaps the cells (in parallel) and prepares the reversed graph and the node →
    /// cell index.
    ///
    /// # Performance
    /// O(C log S) for C cells and S segments, plus O(E) for the reversed CSR.
    #[must_use]
    pub fn new(graph: &'g Graph, cells_xy: &[[f64; 2]], opts: SnapOptions) -> Self {
        let index = SnapIndex::new(graph, opts);
        let snapped: Vec<(Result<Snap, OffNetwork>, Vec<Snap>)> = cells_xy
            .par_iter()
            .map_init(Vec::new, |all, p| match index.snap_tied_within(*p, all) {
                Ok(()) => (Ok(all[0]), all[1..].to_vec()),
                Err(why) => (Err(why), Vec::new()),
            })
            .collect();
        let mut cell_ties_first = Vec::with_capacity(snapped.len() + 1);
        cell_ties_first.push(0u32);
        let mut cell_ties = Vec::new();
        let mut cell_snaps = Vec::with_capacity(snapped.len());
        for (canonical, ties) in snapped {
            cell_snaps.push(canonical);
            cell_ties.extend(ties);
            cell_ties_first.push(u32::try_from(cell_ties.len()).expect("fewer than 2^32 ties"));
        }

        let n = graph.node_count();
        let mut in_first = vec![0u32; n + 1];
        for &h in graph.head() {
            in_first[h as usize + 1] += 1;
        }
        for i in 0..n {
            in_first[i + 1] += in_first[i];
        }
        let mut fill = in_first.clone();
        let mut in_tail = vec![0u32; graph.edge_count()];
        let mut in_edge = vec![0u32; graph.edge_count()];
        for v in 0..n {
            for k in graph.first_out()[v]..graph.first_out()[v + 1] {
                let h = graph.head()[k as usize] as usize;
                let slot = fill[h] as usize;
                fill[h] += 1;
                in_tail[slot] = u32::try_from(v).expect("fewer than 2^32 nodes");
                in_edge[slot] = k;
            }
        }

        // (node, cell, along, access, segment); a stable sort keeps a cell's exits at
        // one node in attachment order.
        let mut exit_list: Vec<(u32, u32, f64, f64, u32)> = Vec::new();
        let mut cells_by_segment = Vec::new();
        for (c, canonical) in cell_snaps.iter().enumerate() {
            let Ok(canonical) = canonical else { continue };
            let ties = &cell_ties[cell_ties_first[c] as usize..cell_ties_first[c + 1] as usize];
            let c = u32::try_from(c).expect("fewer than 2^32 cells");
            for snap in std::iter::once(canonical).chain(ties) {
                let seg = &graph.segments()[snap.segment as usize];
                for (node, along) in exits(seg, graph.segment_len_m(seg), snap.offset_m)
                    .into_iter()
                    .flatten()
                {
                    exit_list.push((node, c, along, snap.access_m, snap.segment));
                }
                cells_by_segment.push((snap.segment, c));
            }
        }
        exit_list.par_sort_by_key(|e| (e.0, e.1));
        cells_by_segment.par_sort_unstable();
        let mut exit_first = vec![0u32; n + 1];
        for e in &exit_list {
            exit_first[e.0 as usize + 1] += 1;
        }
        for i in 0..n {
            exit_first[i + 1] += exit_first[i];
        }
        Self {
            graph,
            index,
            cell_snaps,
            cell_ties_first,
            cell_ties,
            cell_xy: cells_xy.to_vec(),
            in_first,
            in_tail,
            interior: chain_interiors(n, graph.segments().iter().map(|s| s.nodes)),
            in_edge,
            exit_first,
            exit_cell: exit_list.iter().map(|e| e.1).collect(),
            exit_along_m: exit_list.iter().map(|e| e.2).collect(),
            exit_access_m: exit_list.iter().map(|e| e.3).collect(),
            exit_segment: exit_list.iter().map(|e| e.4).collect(),
            cells_by_segment,
        }
    }

    /// How each cell was attached (its canonical attachment) or why not, in cell
    /// order. A cell with no walkable way within the snap distance is
    /// [`OffNetwork::BeyondReach`] (cells are snapped with
    /// [`SnapIndex::snap_tied_within`]: their reasons are only counted, so the
    /// distance to a way beyond reach is not sought).
    pub fn cell_snaps(&self) -> &[Result<Snap, OffNetwork>] {
        &self.cell_snaps
    }

    /// Length of segment `segment` as the attachment offsets measure it: the f64
    /// distance between its two node positions, metres (not the f32 `len_m`).
    #[must_use]
    pub fn segment_len_m(&self, segment: u32) -> f64 {
        self.graph
            .segment_len_m(&self.graph.segments()[segment as usize])
    }

    /// Every attachment of cell `c` (its canonical one first, then the tied ones);
    /// empty when the cell is off-network.
    pub fn cell_attachments(&self, c: usize) -> impl Iterator<Item = &Snap> {
        let ties =
            &self.cell_ties[self.cell_ties_first[c] as usize..self.cell_ties_first[c + 1] as usize];
        self.cell_snaps[c].as_ref().ok().into_iter().chain(ties)
    }

    /// Cell `c`'s attachment on `segment` (one of its attachments is there).
    fn cell_attachment_on(&self, c: u32, segment: u32) -> &Snap {
        self.cell_attachments(c as usize)
            .find(|s| s.segment == segment)
            .expect("cells_by_segment lists attachments of snapped cells")
    }

    /// How each site would be attached (its canonical attachment) or why not, in
    /// the given order; the same rule `category_reach` uses.
    #[must_use]
    pub fn site_snaps(&self, sites_xy: &[[f64; 2]]) -> Vec<Result<Snap, OffNetwork>> {
        sites_xy.par_iter().map(|p| self.index.snap(*p)).collect()
    }

    /// Every attachment of each site (canonical first), or why it has none, in the
    /// given order.
    #[must_use]
    pub fn site_attachments(&self, sites_xy: &[[f64; 2]]) -> Vec<Result<Vec<Snap>, OffNetwork>> {
        sites_xy
            .par_iter()
            .map(|p| {
                let mut all = Vec::new();
                self.index.snap_tied(*p, &mut all).map(|()| all)
            })
            .collect()
    }

    /// The graph summary with the number of off-network cells filled in.
    #[must_use]
    pub fn summary(&self) -> GraphSummary {
        let mut s = self.graph.summary();
        s.off_network_cells = Some(self.cell_snaps.iter().filter(|c| c.is_err()).count());
        s
    }

    fn costs(&self, profile: &WalkProfile) -> ProfileCosts {
        let g = self.graph;
        let mut costs = ProfileCosts {
            in_arcs: Vec::new(),
            exit_cost_m: Vec::new(),
            step_free: profile.step_free,
            step_factor: profile.step_factor,
        };
        costs.in_arcs = self
            .in_edge
            .iter()
            .zip(&self.in_tail)
            .map(|(&k, &tail)| {
                let len = g.len_m()[k as usize];
                #[allow(clippy::cast_possible_truncation)] // metres, f32 by design
                let cost = if !g.edge_flags()[k as usize].is_steps() {
                    len
                } else if profile.step_free {
                    f32::INFINITY
                } else {
                    (f64::from(len) * profile.step_factor) as f32
                };
                (tail, cost)
            })
            .collect();
        costs.exit_cost_m = self
            .exit_segment
            .iter()
            .zip(&self.exit_along_m)
            .zip(&self.exit_access_m)
            .map(|((&seg, &along), &access)| {
                access + costs.along(&g.segments()[seg as usize], along)
            })
            .collect();
        costs
    }

    /// Seeds of one site (every attachment of it) for the reversed search:
    /// `(node, cost from node to site)`.
    fn site_seeds(&self, site: &[Snap], costs: &ProfileCosts, out: &mut Vec<(u32, f64)>) {
        for snap in site {
            let seg = &self.graph.segments()[snap.segment as usize];
            for (node, along) in entries(seg, self.graph.segment_len_m(seg), snap.offset_m)
                .into_iter()
                .flatten()
            {
                out.push((node, snap.access_m + costs.along(seg, along)));
            }
        }
    }

    /// Direct walk from a cell to a site on the same segment, if the direction allows.
    fn same_segment(&self, cell: &Snap, site: &Snap, costs: &ProfileCosts) -> f64 {
        let seg = &self.graph.segments()[cell.segment as usize];
        let ok = if site.offset_m >= cell.offset_m {
            seg.a_to_b
        } else {
            seg.b_to_a
        };
        if ok {
            cell.access_m + costs.along(seg, (site.offset_m - cell.offset_m).abs()) + site.access_m
        } else {
            f64::INFINITY
        }
    }

    /// Nearest-site distance per cell: one multi-source search on the reversed graph.
    fn nearest_distances(
        &self,
        snapped_sites: &[&[Snap]],
        costs: &ProfileCosts,
        bound_m: f64,
    ) -> Vec<Option<f64>> {
        let n = self.graph.node_count();
        let mut seeds = Vec::with_capacity(2 * snapped_sites.len());
        for s in snapped_sites {
            self.site_seeds(s, costs, &mut seeds);
        }
        let mut scratch = SearchScratch::new(n);
        bounded_search_chains(
            &self.in_first,
            costs.in_arcs.as_slice(),
            &self.interior,
            &seeds,
            bound_m,
            &mut scratch,
            |_, _| {},
        );
        let sites_by_segment = attachments_by_segment(snapped_sites);
        let node_dist = |v: u32| scratch.dist(v).unwrap_or(f64::INFINITY);
        (0..self.cell_snaps.len())
            .into_par_iter()
            .map(|c| {
                self.cell_snaps[c].as_ref().ok()?;
                let best = self
                    .cell_attachments(c)
                    .map(|snap| {
                        self.nearest_via(snap, costs, node_dist, &sites_by_segment)
                            .0
                    })
                    .fold(f64::INFINITY, f64::min);
                (best <= bound_m).then_some(best)
            })
            .collect()
    }

    /// Nearest-site distance of one attached point and the way it goes: the minimum
    /// over its two segment exits of `exit cost + node_dist(node)`, and over the
    /// sites on its own segment (`on_segment`: `(segment, site)` sorted, `site(i)`
    /// its attachment) of the direct walk along the segment. `None` when nothing is
    /// reachable. The distance of `cells.csv` and the route of
    /// [`Walking::cell_path`] both come from here.
    fn nearest_via(
        &self,
        snap: &Snap,
        costs: &ProfileCosts,
        node_dist: impl Fn(u32) -> f64,
        on_segment: &[(u32, usize, Snap)],
    ) -> (f64, Option<Via>) {
        let mut best = f64::INFINITY;
        let mut via = None;
        let seg = &self.graph.segments()[snap.segment as usize];
        for (node, along) in exits(seg, self.graph.segment_len_m(seg), snap.offset_m)
            .into_iter()
            .flatten()
        {
            let exit = snap.access_m + costs.along(seg, along);
            let d = exit + node_dist(node);
            if d < best {
                best = d;
                via = Some(Via::Node(node));
            }
        }
        let lo = on_segment.partition_point(|e| e.0 < snap.segment);
        for &(s, i, at) in on_segment[lo..].iter().take_while(|e| e.0 == snap.segment) {
            debug_assert_eq!(s, snap.segment);
            let d = self.same_segment(snap, &at, costs);
            if d < best {
                best = d;
                via = Some(Via::Direct(i, at));
            }
        }
        (best, via)
    }

    /// Number of sites within `threshold_m` per cell: one bounded search per site.
    fn count_within(
        &self,
        snapped_sites: &[&[Snap]],
        costs: &ProfileCosts,
        threshold_m: f64,
    ) -> Vec<u32> {
        let n = self.graph.node_count();
        let n_cells = self.cell_snaps.len();
        let threads = rayon::current_num_threads().max(1);
        // Few, large pieces (two per thread, enough for work stealing to even out
        // dense and sparse areas): each piece allocates O(nodes + cells) of scratch.
        let min_len = snapped_sites.len().div_ceil(2 * threads).max(1);
        snapped_sites
            .par_iter()
            .enumerate()
            .with_min_len(min_len)
            .fold(
                || Catchments {
                    scratch: SearchScratch::new(n),
                    counted_by: vec![u32::MAX; n_cells],
                    counts: vec![0; n_cells],
                    seeds: Vec::new(),
                },
                |mut acc, (i, site)| {
                    // Stamp = site index: marks a cell as counted for this site only.
                    let stamp = u32::try_from(i).expect("fewer than 2^32 - 1 sites");
                    acc.seeds.clear();
                    self.site_seeds(site, costs, &mut acc.seeds);
                    let Catchments {
                        scratch,
                        counted_by,
                        counts,
                        seeds,
                    } = &mut acc;
                    let mut count = |c: u32, d: f64| {
                        if d <= threshold_m && counted_by[c as usize] != stamp {
                            counted_by[c as usize] = stamp;
                            counts[c as usize] += 1;
                        }
                    };
                    bounded_search_chains(
                        &self.in_first,
                        costs.in_arcs.as_slice(),
                        &self.interior,
                        seeds,
                        threshold_m,
                        scratch,
                        |v, d| {
                            for k in self.exit_first[v as usize] as usize
                                ..self.exit_first[v as usize + 1] as usize
                            {
                                count(self.exit_cell[k], costs.exit_cost_m[k] + d);
                            }
                        },
                    );
                    for att in *site {
                        for &(_, c) in self.cells_on(att.segment) {
                            let cell = self.cell_attachment_on(c, att.segment);
                            count(c, self.same_segment(cell, att, costs));
                        }
                    }
                    acc
                },
            )
            .map(|acc| acc.counts)
            .reduce(
                || vec![0; n_cells],
                |mut a, b| {
                    for (x, y) in a.iter_mut().zip(b) {
                        *x += y;
                    }
                    a
                },
            )
    }

    /// The parts of every segment from which a site is within `limit_m` of walking
    /// (the walk-shed of the sites, on the network): `(segment, from_m, to_m)`
    /// intervals along each segment, measured from its node `a`, merged and sorted.
    /// Used for service-area polygons.
    #[must_use]
    pub fn reached_intervals(
        &self,
        sites_xy: &[[f64; 2]],
        profile: &WalkProfile,
        limit_m: f64,
    ) -> Vec<(u32, f64, f64)> {
        let snaps = self.site_attachments(sites_xy);
        let sites: Vec<&[Snap]> = snaps
            .iter()
            .filter_map(|s| s.as_ref().ok().map(Vec::as_slice))
            .collect();
        let costs = self.costs(profile);
        let mut seeds = Vec::with_capacity(2 * sites.len());
        for s in &sites {
            self.site_seeds(s, &costs, &mut seeds);
        }
        let mut scratch = SearchScratch::new(self.graph.node_count());
        bounded_search_chains(
            &self.in_first,
            costs.in_arcs.as_slice(),
            &self.interior,
            &seeds,
            limit_m,
            &mut scratch,
            |_, _| {},
        );
        let by_segment = attachments_by_segment(&sites);
        let mut out = Vec::new();
        let mut parts: Vec<(f64, f64)> = Vec::new();
        for (si, seg) in self.graph.segments().iter().enumerate() {
            let si = u32::try_from(si).expect("fewer than 2^32 segments");
            let len = self.graph.segment_len_m(seg);
            // Cost per metre along this segment (steps priced by the profile).
            let per_m = costs.along(seg, 1.0);
            if !per_m.is_finite() || len <= 0.0 {
                continue;
            }
            parts.clear();
            let [a, b] = seg.nodes;
            // Leaving towards a (walking b→a) then on from a.
            if let (true, Some(da)) = (seg.b_to_a, scratch.dist(a)) {
                let reach = (limit_m - da) / per_m;
                if reach >= 0.0 {
                    parts.push((0.0, reach.min(len)));
                }
            }
            if let (true, Some(db)) = (seg.a_to_b, scratch.dist(b)) {
                let reach = (limit_m - db) / per_m;
                if reach >= 0.0 {
                    parts.push(((len - reach).max(0.0), len));
                }
            }
            let lo = by_segment.partition_point(|e| e.0 < si);
            for &(_, _, s) in by_segment[lo..].iter().take_while(|e| e.0 == si) {
                let reach = (limit_m - s.access_m) / per_m;
                if reach >= 0.0 {
                    let from = if seg.a_to_b {
                        (s.offset_m - reach).max(0.0)
                    } else {
                        s.offset_m
                    };
                    let to = if seg.b_to_a {
                        (s.offset_m + reach).min(len)
                    } else {
                        s.offset_m
                    };
                    parts.push((from, to));
                }
            }
            parts.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.total_cmp(&y.1)));
            let mut cur: Option<(f64, f64)> = None;
            for &(f, t) in &parts {
                cur = match cur {
                    Some((cf, ct)) if f <= ct => Some((cf, ct.max(t))),
                    Some(c) => {
                        out.push((si, c.0, c.1));
                        Some((f, t))
                    }
                    None => Some((f, t)),
                };
            }
            if let Some(c) = cur {
                out.push((si, c.0, c.1));
            }
        }
        out
    }

    /// The graph this engine walks.
    #[must_use]
    pub fn graph(&self) -> &Graph {
        self.graph
    }

    fn cells_on(&self, segment: u32) -> &[(u32, u32)] {
        let lo = self.cells_by_segment.partition_point(|e| e.0 < segment);
        let hi = self.cells_by_segment.partition_point(|e| e.0 <= segment);
        &self.cells_by_segment[lo..hi]
    }
}

/// Every attachment of the given sites, keyed by its segment and sorted by it (the
/// order within a segment does not matter: callers take minima).
fn attachments_by_segment(sites: &[&[Snap]]) -> Vec<(u32, usize, Snap)> {
    let mut out: Vec<(u32, usize, Snap)> = sites
        .iter()
        .enumerate()
        .flat_map(|(i, site)| site.iter().map(move |s| (s.segment, i, *s)))
        .collect();
    out.sort_by_key(|e| (e.0, e.1));
    out
}

/// Per-thread state of the per-site searches.
struct Catchments {
    scratch: SearchScratch,
    counted_by: Vec<u32>,
    counts: Vec<u32>,
    seeds: Vec<(u32, f64)>,
}

impl Reach for Walking<'_> {
    fn mode(&self) -> &'static str {
        "network"
    }

    fn category_reach(
        &self,
        sites_xy: &[[f64; 2]],
        profile: &WalkProfile,
        threshold_m: f64,
        bound_m: f64,
    ) -> CategoryReach {
        let site_snaps = self.site_attachments(sites_xy);
        let site_used: Vec<bool> = site_snaps.iter().map(Result::is_ok).collect();
        let snapped_sites: Vec<&[Snap]> = site_snaps
            .iter()
            .filter_map(|s| s.as_ref().ok().map(Vec::as_slice))
            .collect();
        let costs = self.costs(profile);

        // The sequential multi-source search runs beside the parallel per-site
        // searches; both only read shared data, so the result is the same.
        let (dist_m, sites_within) = rayon::join(
            || self.nearest_distances(&snapped_sites, &costs, bound_m),
            || self.count_within(&snapped_sites, &costs, threshold_m),
        );
        CategoryReach {
            dist_m,
            sites_within,
            site_used,
        }
    }

    fn cell_off_network(&self) -> Vec<bool> {
        self.cell_snaps.iter().map(Result::is_err).collect()
    }

    fn catchments(
        &self,
        points_xy: &[[f64; 2]],
        profile: &WalkProfile,
        limit_m: f64,
    ) -> Vec<Catchment> {
        let snaps = self.site_attachments(points_xy);
        let costs = self.costs(profile);
        let n = self.graph.node_count();
        let n_cells = self.cell_snaps.len();
        let threads = rayon::current_num_threads().max(1);
        // Few, large pieces: each allocates O(nodes + cells) of scratch.
        let min_len = snaps.len().div_ceil(4 * threads).max(1);
        snaps
            .par_iter()
            .enumerate()
            .with_min_len(min_len)
            .map_init(
                || CatchmentScratch {
                    scratch: SearchScratch::new(n),
                    stamp: vec![u32::MAX; n_cells],
                    best_m: vec![f64::INFINITY; n_cells],
                    touched: Vec::new(),
                    seeds: Vec::new(),
                },
                |acc, (i, snap)| {
                    let Ok(site) = snap else {
                        return Catchment::new();
                    };
                    let stamp = u32::try_from(i).expect("fewer than 2^32 - 1 points");
                    acc.seeds.clear();
                    acc.touched.clear();
                    self.site_seeds(site, &costs, &mut acc.seeds);
                    let CatchmentScratch {
                        scratch,
                        stamp: stamps,
                        best_m,
                        touched,
                        seeds,
                    } = acc;
                    let mut reach = |c: u32, d: f64| {
                        if d > limit_m {
                            return;
                        }
                        let k = c as usize;
                        if stamps[k] == stamp {
                            best_m[k] = best_m[k].min(d);
                        } else {
                            stamps[k] = stamp;
                            best_m[k] = d;
                            touched.push(c);
                        }
                    };
                    bounded_search_chains(
                        &self.in_first,
                        costs.in_arcs.as_slice(),
                        &self.interior,
                        seeds,
                        limit_m,
                        scratch,
                        |v, d| {
                            for k in self.exit_first[v as usize] as usize
                                ..self.exit_first[v as usize + 1] as usize
                            {
                                reach(self.exit_cell[k], costs.exit_cost_m[k] + d);
                            }
                        },
                    );
                    for att in site {
                        for &(_, c) in self.cells_on(att.segment) {
                            let cell = self.cell_attachment_on(c, att.segment);
                            reach(c, self.same_segment(cell, att, &costs));
                        }
                    }
                    touched.sort_unstable();
                    #[allow(clippy::cast_possible_truncation)]
                    // metres, f32 in catchments by design
                    touched
                        .iter()
                        .map(|&c| (c, best_m[c as usize] as f32))
                        .collect()
                },
            )
            .collect()
    }
}

/// Per-thread state of the catchment searches.
struct CatchmentScratch {
    scratch: SearchScratch,
    stamp: Vec<u32>,
    best_m: Vec<f64>,
    touched: Vec<u32>,
    seeds: Vec<(u32, f64)>,
}

#[path = "tree.rs"]
mod tree;
pub use tree::{ShortestPathTree, WalkPath};

#[cfg(test)]
#[path = "walking_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "tie_tests.rs"]
mod tie_tests;
