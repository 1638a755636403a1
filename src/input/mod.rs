//! Input stage: read the files planners hold into [`crate::base::model`] `Raw*` records in
//! WGS84 lon/lat, plus the rows that could not be used ([`crate::base::model::Rejected`]).
//!
//! A file that cannot be used at all is an error (the run stops before writing
//! anything); a bad row among good ones is a `Rejected` record (the run goes on,
//! writes `rejected.csv` and exits with code 1).
//!
//! * `sites`, `population` (CSV, GeoJSON, spreadsheet workbooks through
//!   `workbook`), `units` (GeoJSON polygons);
//! * `raster` (GeoTIFF), `gpkg` (GeoPackage), `shapefile`, behind the
//!   `population_file` dispatcher, with `clip` areas and shared `vector` code.

pub mod clip;
mod error;
mod features;
pub mod gpkg;
pub mod population;
pub mod population_file;
pub mod raster;
pub mod shapefile;
pub mod sites;
mod table;
pub mod units;
pub mod vector;
pub mod workbook;

pub use error::InputError;
pub use table::{
    Column, check_lon_lat as check_lon_lat_pair, csv_headers, decode_text, km_outside_bbox,
    looks_swapped, parse_number, read_text,
};
