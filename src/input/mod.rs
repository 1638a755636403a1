//! Readers that turn input files into `Raw*` records in WGS84 plus rejected rows.

pub mod clip;
pub mod gpkg;
pub mod population_file;
pub mod raster;
pub mod shapefile;
pub mod vector;
