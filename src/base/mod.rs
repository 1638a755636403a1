//! The records every stage shares (sites, cells, rejected rows, bounding boxes),
//! progress lines and stage timings. Imports nothing from the crate.

pub mod category;
pub mod model;
pub mod progress;
pub mod timing;
