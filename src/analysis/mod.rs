//! From projected records and a walking graph to answers: distance engines,
//! coverage per category, planning units and targets, gap zones, supply–demand
//! access, service areas, recommendations, grids. Imports `base`, `crs`,
//! `input` (configuration and categories) and `network`; never a writer.

pub mod access;
pub mod bins;
pub mod coverage;
pub mod distance;
pub mod gaps;
pub mod grid;
pub mod recommend;
pub mod service_area;
pub mod targets;
pub mod units;
