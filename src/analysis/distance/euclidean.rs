//! Straight-line engine: an R-tree of the category's sites, straight-line distance
//! × circuity as an approximation of walking distance.

use rayon::prelude::*;
use rstar::RTree;
use rstar::primitives::GeomWithData;

use super::{Catchment, CategoryReach, Reach, WalkProfile};

type IndexedSite = GeomWithData<[f64; 2], u32>;

/// Straight-line distance × circuity from each cell to the sites.
///
/// The walking distance is approximated as `circuity × straight-line`, with the
/// circuity (detour index) defaulting to 1.3 (25 Chinese cities average 1.324;
/// research-anchors §4.2). It is labelled `straight` in every output.
#[derive(Debug)]
pub struct Euclidean<'a> {
    cells_xy: &'a [[f64; 2]],
    circuity: f64,
    /// R-tree over the cells, built on first use by `catchments`.
    cell_tree: std::sync::OnceLock<RTree<IndexedSite>>,
}

impl<'a> Euclidean<'a> {
    /// An engine over these cells (local metres) with the given circuity (≥ 1).
    #[must_use]
    pub fn new(cells_xy: &'a [[f64; 2]], circuity: f64) -> Self {
        Self {
            cells_xy,
            circuity,
            cell_tree: std::sync::OnceLock::new(),
        }
    }
}

/// Squared straight-line radius that corresponds to a walking limit, for rstar's
/// `locate_within_distance`, which takes a **squared** radius. Kept in one place.
#[must_use]
pub fn squared_radius(walk_limit_m: f64, circuity: f64) -> f64 {
    let r = walk_limit_m / circuity;
    r * r
}

impl Reach for Euclidean<'_> {
    fn mode(&self) -> &'static str {
        "straight"
    }

    fn category_reach(
        &self,
        sites_xy: &[[f64; 2]],
        _profile: &WalkProfile,
        threshold_m: f64,
        bound_m: f64,
    ) -> CategoryReach {
        let items: Vec<IndexedSite> = sites_xy
            .iter()
            .enumerate()
            .map(|(i, xy)| GeomWithData::new(*xy, u32::try_from(i).expect("fewer than 2^32 sites")))
            .collect();
        let tree = RTree::bulk_load(items);
        let within_r2 = squared_radius(threshold_m, self.circuity);
        let circuity = self.circuity;
        let per_cell: Vec<(Option<f64>, u32)> = self
            .cells_xy
            .par_iter()
            .map(|xy| {
                let nearest = tree.nearest_neighbor(xy).map(|s| {
                    let g = s.geom();
                    (g[0] - xy[0]).hypot(g[1] - xy[1]) * circuity
                });
                let dist = nearest.filter(|d| *d <= bound_m);
                // The R-tree pre-selects with a slightly larger squared radius; the count
                // then uses exactly the same test as `covered` (distance × circuity ≤
                // threshold), so the two never disagree at the boundary.
                let count = tree
                    .locate_within_distance(*xy, within_r2 * (1.0 + 1e-9) + 1e-9)
                    .filter(|s| {
                        let g = s.geom();
                        (g[0] - xy[0]).hypot(g[1] - xy[1]) * circuity <= threshold_m
                    })
                    .count();
                (dist, u32::try_from(count).unwrap_or(u32::MAX))
            })
            .collect();
        let (dist_m, sites_within) = per_cell.into_iter().unzip();
        CategoryReach {
            dist_m,
            sites_within,
            site_used: vec![true; sites_xy.len()],
        }
    }

    fn cell_off_network(&self) -> Vec<bool> {
        vec![false; self.cells_xy.len()]
    }

    fn catchments(
        &self,
        points_xy: &[[f64; 2]],
        _profile: &WalkProfile,
        limit_m: f64,
    ) -> Vec<Catchment> {
        let tree = self.cell_tree.get_or_init(|| {
            RTree::bulk_load(
                self.cells_xy
                    .iter()
                    .enumerate()
                    .map(|(i, xy)| {
                        GeomWithData::new(*xy, u32::try_from(i).expect("fewer than 2^32 cells"))
                    })
                    .collect(),
            )
        });
        let r2 = squared_radius(limit_m, self.circuity) * (1.0 + 1e-9) + 1e-9;
        let circuity = self.circuity;
        points_xy
            .par_iter()
            .map(|p| {
                let mut v: Catchment = tree
                    .locate_within_distance(*p, r2)
                    .filter_map(|c| {
                        let g = c.geom();
                        let d = (g[0] - p[0]).hypot(g[1] - p[1]) * circuity;
                        #[allow(clippy::cast_possible_truncation)]
                        (d <= limit_m).then_some((c.data, d as f32))
                    })
                    .collect();
                v.sort_unstable_by_key(|x| x.0);
                v
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg(state: &mut u64) -> f64 {
        *state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (*state >> 11) as f64 / (1u64 << 53) as f64
    }

    const SEED_1: u64 = 0x00C0_FFEE;

    #[test]
    fn squared_radius_converts_walk_limit() {
        assert!((squared_radius(130.0, 1.3) - 10_000.0).abs() < 1e-9);
        assert!((squared_radius(300.0, 1.0) - 90_000.0).abs() < 1e-9);
    }

    /// Nearest and within-radius against a brute-force scan on seeded random data.
    #[test]
    fn matches_brute_force() {
        let mut s = SEED_1;
        for round in 0..5 {
            let n_sites = 1 + round * 37;
            let sites: Vec<[f64; 2]> = (0..n_sites)
                .map(|_| [lcg(&mut s) * 5000.0, lcg(&mut s) * 5000.0])
                .collect();
            let cells: Vec<[f64; 2]> = (0..800)
                .map(|_| [lcg(&mut s) * 6000.0 - 500.0, lcg(&mut s) * 6000.0 - 500.0])
                .collect();
            let circuity = 1.0 + lcg(&mut s) * 0.5;
            let threshold = 300.0 + lcg(&mut s) * 1200.0;
            let bound = 2.0 * threshold;
            let engine = Euclidean::new(&cells, circuity);
            let r = engine.category_reach(&sites, &WalkProfile::ADULT, threshold, bound);
            for (i, c) in cells.iter().enumerate() {
                let ds: Vec<f64> = sites
                    .iter()
                    .map(|t| (t[0] - c[0]).hypot(t[1] - c[1]) * circuity)
                    .collect();
                let best = ds.iter().copied().fold(f64::INFINITY, f64::min);
                let want = (best <= bound).then_some(best);
                assert_eq!(r.dist_m[i], want, "cell {i} {c:?}");
                let within = ds.iter().filter(|d| **d <= threshold).count();
                assert_eq!(r.sites_within[i] as usize, within, "cell {i} {c:?}");
            }
        }
    }

    #[test]
    fn catchments_match_brute_force() {
        let mut s = SEED_1 ^ 0xABCD;
        let cells: Vec<[f64; 2]> = (0..2000)
            .map(|_| [lcg(&mut s) * 4000.0, lcg(&mut s) * 4000.0])
            .collect();
        let pts: Vec<[f64; 2]> = (0..40)
            .map(|_| [lcg(&mut s) * 4000.0, lcg(&mut s) * 4000.0])
            .collect();
        let e = Euclidean::new(&cells, 1.25);
        let got = e.catchments(&pts, &WalkProfile::ADULT, 700.0);
        for (p, c) in pts.iter().zip(&got) {
            let want: Vec<u32> = (0..cells.len())
                .filter(|&i| (cells[i][0] - p[0]).hypot(cells[i][1] - p[1]) * 1.25 <= 700.0)
                .map(|i| i as u32)
                .collect();
            assert_eq!(c.iter().map(|x| x.0).collect::<Vec<_>>(), want);
        }
    }

    #[test]
    fn no_sites_means_nothing_in_reach() {
        let cells = [[0.0, 0.0], [10.0, 10.0]];
        let r = Euclidean::new(&cells, 1.3).category_reach(&[], &WalkProfile::ADULT, 900.0, 1800.0);
        assert_eq!(r.dist_m, vec![None, None]);
        assert_eq!(r.sites_within, vec![0, 0]);
    }
}
