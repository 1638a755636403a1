//! Distance engines: from every resident cell to the sites of one category.
//!
//! Two metric spaces behind one trait, after `geo`'s `Distance`:
//! * [`Euclidean`]: straight line × circuity, an R-tree per category (labelled an
//!   approximation in every output);
//! * [`Walking`]: along the OpenStreetMap pedestrian network.
//!
//! Both return a [`CategoryReach`] indexed like the cells, so `coverage` does not
//! know which engine produced it.

mod euclidean;
#[cfg(test)]
mod real_data_tests;
mod walking;

pub use euclidean::{Euclidean, squared_radius};
pub use walking::{ShortestPathTree, WalkPath, Walking};

pub use crate::base::category::WalkProfile;

/// What an engine answers for one category, indexed like the run's cells.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CategoryReach {
    /// Walking distance in metres to the nearest site of the category, `None` when no
    /// site is within the search bound (or the cell is off-network).
    pub dist_m: Vec<Option<f64>>,
    /// Number of sites of the category within the threshold.
    pub sites_within: Vec<u32>,
    /// Per site (in the order given): `true` when it could be used (attached to the
    /// network); straight-line runs use every site.
    pub site_used: Vec<bool>,
}

/// A distance engine over a fixed set of cells.
pub trait Reach: Sync {
    /// Short name written to outputs: `straight` or `network`.
    fn mode(&self) -> &'static str;

    /// Distances from every cell to the given sites (local metres).
    ///
    /// * `threshold_m`: the category's walking threshold (for `sites_within`);
    /// * `bound_m`: searches stop here; farther sites give `None`.
    fn category_reach(
        &self,
        sites_xy: &[[f64; 2]],
        profile: &WalkProfile,
        threshold_m: f64,
        bound_m: f64,
    ) -> CategoryReach;

    /// Per cell, `true` when the engine cannot place it (network mode: no walkable
    /// edge within the snap distance). Straight-line mode: all `false`.
    fn cell_off_network(&self) -> Vec<bool>;

    /// For each point (a site, a candidate), the cells within `limit_m` of walking
    /// and their distance in metres: sparse, sorted by cell index. A point the
    /// engine cannot place (off-network) gets an empty list. Used by 2SFCA, siting
    /// and what-if; never a dense points × cells matrix.
    fn catchments(
        &self,
        points_xy: &[[f64; 2]],
        profile: &WalkProfile,
        limit_m: f64,
    ) -> Vec<Catchment>;
}

/// Cells within reach of one point: `(cell index, walking distance in metres)`,
/// sorted by cell index.
pub type Catchment = Vec<(u32, f32)>;
