//! Coordinate reference systems: Chinese web-map datums (GCJ-02, BD-09) on input,
//! and the run's local metric projection.
//!
//! * [`InputCrs`] names the datum of a point layer (`--sites-crs`, `--population-crs`,
//!   `--units-crs`). Conversion to WGS84 happens once, in `input`.
//! * [`LocalProjection`] projects WGS84 to a transverse Mercator centred on the data,
//!   once at ingestion; everything after that works in metres.

mod chinese;
mod epsg;
mod projection;

pub use chinese::{InputCrs, bd09_from_wgs84, gcj02_from_wgs84};
pub use epsg::{EpsgError, MOLLWEIDE_PROJ, Reprojector};
pub use projection::{LocalProjection, ProjectionError};
