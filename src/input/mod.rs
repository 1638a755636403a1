//! Readers that turn input files into `Raw*` records in WGS84 plus rejected rows.

pub mod clip;
pub mod raster;
