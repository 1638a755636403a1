//! Shortest-path trees and door-to-door walking paths (the routes behind `cells.csv`).
//!
//! * **Inputs:** a [`Walking`] engine, the sites of one category (local metres), a
//!   [`WalkProfile`] and a search bound.
//! * **Outputs:** a [`ShortestPathTree`] — per graph node the walking distance to the
//!   nearest site, the next node towards it and, for the tree's roots, the site that
//!   seeded them: flat arrays, no path per cell — and, per cell or per point, a
//!   [`WalkPath`]: the polyline a resident walks, in local metres (and lon/lat).
//!
//! # Method
//! The tree is the category's nearest-site search of `category_reach` (the same
//! seeds in the same order, the same arcs, the same bound, so the node distances are
//! the same bits) with each node's parent recorded. A cell's path then takes the
//! choice its distance took ([`Walking::nearest_via`], shared with the distance
//! code): leave the cell's attachment at one end of its segment and follow the parents
//! to a root, or walk along the segment straight to a site on it. The polyline is
//! `cell → attachment point → exit node → … → root node → site's attachment point →
//! site`; its walking cost is the cell's distance (partial first and last segments
//! and both access legs included), and for a profile without steps its drawn length
//! is that distance too (edge lengths are `f32`, so to ≈ 1e-7 relative).
//!
//! Steps priced by the profile (`step_factor`, e.g. 2× for the elderly) make the
//! distance longer than the drawn line: [`WalkPath::dist_m`] is the distance,
//! [`WalkPath::line_m`] the drawn length.

use super::{ProfileCosts, Via, Walking, entries, exits};
use crate::base::category::WalkProfile;
use crate::crs::LocalProjection;
use crate::network::search::{SearchScratch, TreeArrays, bounded_search_tree};
use crate::network::snap::{OffNetwork, Snap};

/// One category's nearest-site search tree over the whole graph.
///
/// Arrays are indexed by dense graph node ([`crate::network::Graph`]); the search
/// runs on the reversed graph, so `next(v)` is the node a resident at `v` walks to
/// next on the way to the nearest site.
#[derive(Debug)]
pub struct ShortestPathTree {
    dist_m: Vec<f64>,
    next: Vec<u32>,
    root_seed: Vec<u32>,
    seeds: Vec<TreeSeed>,
    /// `(segment, site)` of every attached site, sorted.
    sites_by_segment: Vec<(u32, usize, Snap)>,
    site_snaps: Vec<Result<Snap, OffNetwork>>,
    sites_xy: Vec<[f64; 2]>,
    /// The profile's step rule (the arc arrays are dropped after the search).
    costs: ProfileCosts,
    bound_m: f64,
}

/// Where a seed of the search came from: site number `site`, attached at `snap`.
#[derive(Clone, Copy, Debug)]
struct TreeSeed {
    site: usize,
    snap: Snap,
}

impl ShortestPathTree {
    /// Per node: walking distance in metres from the node to the nearest site,
    /// `f64::INFINITY` beyond the bound (or unreachable).
    #[must_use]
    pub fn dist_m(&self) -> &[f64] {
        &self.dist_m
    }

    /// Per node: the next node on the walk to the nearest site (the parent in the
    /// search tree); `u32::MAX` for roots (nodes seeded by a site) and unreached nodes.
    #[must_use]
    pub fn next(&self) -> &[u32] {
        &self.next
    }

    /// The site (index in the list given to [`Walking::tree`]) whose seed node `v` is,
    /// if `v` is a root.
    #[must_use]
    pub fn root_site(&self, v: u32) -> Option<usize> {
        let s = *self.root_seed.get(v as usize)?;
        (s != u32::MAX).then(|| self.seeds[s as usize].site)
    }

    /// The site and the attachment of it whose seed root `v` took, if `v` is a root
    /// (a site attached to tied segments has several attachments).
    #[must_use]
    pub fn root_attachment(&self, v: u32) -> Option<(usize, Snap)> {
        let s = *self.root_seed.get(v as usize)?;
        (s != u32::MAX).then(|| {
            let seed = self.seeds[s as usize];
            (seed.site, seed.snap)
        })
    }

    /// Per node: the seeding site of each root, `u32::MAX` elsewhere (the flat form
    /// of [`ShortestPathTree::root_site`], for embedding).
    #[must_use]
    pub fn root_sites(&self) -> Vec<u32> {
        self.root_seed
            .iter()
            .map(|&s| {
                if s == u32::MAX {
                    u32::MAX
                } else {
                    u32::try_from(self.seeds[s as usize].site).expect("fewer than 2^32 sites")
                }
            })
            .collect()
    }

    /// How each site was attached (or why not), in the given order.
    pub fn site_snaps(&self) -> &[Result<Snap, OffNetwork>] {
        &self.site_snaps
    }

    /// The search bound in metres.
    #[must_use]
    pub fn bound_m(&self) -> f64 {
        self.bound_m
    }
}

/// The walk from one point to its nearest site.
#[derive(Clone, Debug, PartialEq)]
pub struct WalkPath {
    /// Walking distance in metres, exactly as `cells.csv` computes it (steps priced
    /// by the profile).
    pub dist_m: f64,
    /// The same distance summed again piece by piece along the path (access legs,
    /// partial segments, whole edges): equal to `dist_m` up to f64 summation order;
    /// a check that the path is the one the distance measured.
    pub cost_m: f64,
    /// Drawn length of `points` in metres (steps counted once).
    pub line_m: f64,
    /// The site reached (index in the list given to [`Walking::tree`]).
    pub site: usize,
    /// Graph nodes walked through, in walking order (empty when the site is on the
    /// point's own segment and reached along it).
    pub nodes: Vec<u32>,
    /// The polyline in local metres: the point, its attachment point, the nodes, the
    /// site's attachment point, the site (consecutive duplicates removed).
    pub points: Vec<[f64; 2]>,
}

impl WalkPath {
    /// The polyline as WGS84 `[lon, lat]` pairs.
    #[must_use]
    pub fn lonlat(&self, proj: &LocalProjection) -> Vec<[f64; 2]> {
        self.points
            .iter()
            .map(|p| {
                let (lon, lat) = proj.inverse(*p);
                [lon, lat]
            })
            .collect()
    }
}

impl Walking<'_> {
    /// The nearest-site search tree of one category: the search `category_reach`
    /// runs for `dist_m`, with parents recorded. O(E log V) once; the arrays hold
    /// 16 bytes per node (distance, next node, root seed) and nothing per cell.
    ///
    /// `bound_m` is the category's search bound (threshold × search factor) for
    /// paths that agree with `cells.csv`, or `f64::INFINITY` for an unbounded route.
    #[must_use]
    pub fn tree(
        &self,
        sites_xy: &[[f64; 2]],
        profile: &WalkProfile,
        bound_m: f64,
    ) -> ShortestPathTree {
        // Every tied attachment of a site is seeded (METHODS §5.2), as the
        // distance search does.
        let attachments = self.site_attachments(sites_xy);
        let site_snaps: Vec<Result<Snap, OffNetwork>> = attachments
            .iter()
            .map(|a| a.as_ref().map(|all| all[0]).map_err(|e| *e))
            .collect();
        let mut costs = self.costs(profile);
        let mut seeds = Vec::with_capacity(2 * site_snaps.len());
        let mut tree_seeds = Vec::with_capacity(2 * site_snaps.len());
        let mut sites_by_segment = Vec::new();
        for (site, all) in attachments.iter().enumerate() {
            let Ok(all) = all else { continue };
            for snap in all {
                let before = seeds.len();
                self.site_seeds(std::slice::from_ref(snap), &costs, &mut seeds);
                tree_seeds.extend((before..seeds.len()).map(|_| TreeSeed { site, snap: *snap }));
                sites_by_segment.push((snap.segment, site, *snap));
            }
        }
        sites_by_segment.sort_by_key(|e| (e.0, e.1));
        let n = self.graph.node_count();
        let mut next = vec![u32::MAX; n];
        let mut root_seed = vec![u32::MAX; n];
        let mut scratch = SearchScratch::new(n);
        bounded_search_tree(
            &self.in_first,
            costs.in_arcs.as_slice(),
            &seeds,
            bound_m,
            &mut scratch,
            &mut TreeArrays {
                parent: &mut next,
                seed: &mut root_seed,
            },
        );
        let dist_m = (0..n)
            .map(|v| {
                scratch
                    .dist(u32::try_from(v).expect("fewer than 2^32 nodes"))
                    .unwrap_or(f64::INFINITY)
            })
            .collect();
        // Only the step rule is needed from here on.
        costs.in_arcs = Vec::new();
        costs.exit_cost_m = Vec::new();
        ShortestPathTree {
            dist_m,
            next,
            root_seed,
            seeds: tree_seeds,
            sites_by_segment,
            site_snaps,
            sites_xy: sites_xy.to_vec(),
            costs,
            bound_m,
        }
    }

    /// The walk from cell `cell` to its nearest site in `tree`: `None` when the cell
    /// is off-network or no site is within the tree's bound. Its `dist_m` is the
    /// cell's distance in `cells.csv` (same expressions, same bits).
    #[must_use]
    pub fn cell_path(&self, tree: &ShortestPathTree, cell: usize) -> Option<WalkPath> {
        self.cell_snaps.get(cell)?.as_ref().ok()?;
        let all: Vec<Snap> = self.cell_attachments(cell).copied().collect();
        self.path_from(tree, self.cell_xy[cell], &all)
    }

    /// The walk from any point (local metres) to its nearest site in `tree`, the point
    /// attached as a cell would be. `Err` when the point cannot be attached; `Ok(None)`
    /// when no site is within the tree's bound.
    ///
    /// # Errors
    /// [`OffNetwork`] when no eligible segment is within the snap distance.
    pub fn point_path(
        &self,
        tree: &ShortestPathTree,
        p: [f64; 2],
    ) -> Result<Option<WalkPath>, OffNetwork> {
        let mut all = Vec::new();
        self.index.snap_tied(p, &mut all)?;
        Ok(self.path_from(tree, p, &all))
    }

    /// The walk from `p` attached at `attachments` (its tied attachments, canonical
    /// first): the attachment with the shortest walk, the first of equals.
    fn path_from(
        &self,
        tree: &ShortestPathTree,
        p: [f64; 2],
        attachments: &[Snap],
    ) -> Option<WalkPath> {
        let costs = &tree.costs;
        let node_dist = |v: u32| tree.dist_m[v as usize];
        let (mut dist_m, mut via, mut snap) = (f64::INFINITY, None, attachments.first()?);
        for a in attachments {
            let (d, v) = self.nearest_via(a, costs, node_dist, &tree.sites_by_segment);
            if d < dist_m {
                (dist_m, via, snap) = (d, v, a);
            }
        }
        if dist_m > tree.bound_m {
            return None;
        }
        let g = self.graph;
        let seg = &g.segments()[snap.segment as usize];
        let mut points = vec![p, snap.point];
        let mut nodes = Vec::new();
        let (site, site_at, cost_m) = match via? {
            Via::Direct(i, s) => {
                let along = costs.along(seg, (s.offset_m - snap.offset_m).abs());
                (i, s, snap.access_m + along + s.access_m)
            }
            Via::Node(first) => {
                let len = g.segment_len_m(seg);
                let exit = exits(seg, len, snap.offset_m)
                    .into_iter()
                    .flatten()
                    .find(|e| e.0 == first)
                    .expect("nearest_via exits at an end of the segment");
                let mut cost = snap.access_m + costs.along(seg, exit.1);
                let mut v = first;
                nodes.push(v);
                while tree.next[v as usize] != u32::MAX {
                    let w = tree.next[v as usize];
                    cost += arc_cost(self, costs, v, w);
                    nodes.push(w);
                    v = w;
                    if nodes.len() > g.node_count() {
                        return None; // a cycle: cannot happen in a Dijkstra tree
                    }
                }
                let root = tree.root_seed[v as usize];
                if root == u32::MAX {
                    return None; // an unreached node: cannot happen below a finite distance
                }
                let seed = tree.seeds[root as usize];
                let sseg = &g.segments()[seed.snap.segment as usize];
                let entry = entries(sseg, g.segment_len_m(sseg), seed.snap.offset_m)
                    .into_iter()
                    .flatten()
                    .find(|e| e.0 == v)
                    .expect("a root is an entry of its site's segment");
                cost += seed.snap.access_m + costs.along(sseg, entry.1);
                (seed.site, seed.snap, cost)
            }
        };
        points.extend(nodes.iter().map(|&v| g.node_xy()[v as usize]));
        points.push(site_at.point);
        points.push(tree.sites_xy[site]);
        points.dedup();
        let line_m = points
            .windows(2)
            .map(|w| (w[1][0] - w[0][0]).hypot(w[1][1] - w[0][1]))
            .sum();
        Some(WalkPath {
            dist_m,
            cost_m,
            line_m,
            site,
            nodes,
            points,
        })
    }
}

/// Cost of the cheapest edge `v → w` for the profile (the arc the search relaxed).
fn arc_cost(walking: &Walking<'_>, costs: &ProfileCosts, v: u32, w: u32) -> f64 {
    let g = walking.graph;
    let (lo, hi) = (
        g.first_out()[v as usize] as usize,
        g.first_out()[v as usize + 1] as usize,
    );
    (lo..hi)
        .filter(|&k| g.head()[k] == w)
        .map(|k| {
            let len = g.len_m()[k];
            #[allow(clippy::cast_possible_truncation)] // f32 like the search's arcs
            let c = if !g.edge_flags()[k].is_steps() {
                len
            } else if costs.step_free {
                f32::INFINITY
            } else {
                (f64::from(len) * costs.step_factor) as f32
            };
            f64::from(c)
        })
        .fold(f64::INFINITY, f64::min)
}

#[cfg(test)]
#[path = "tree_tests.rs"]
mod tests;
