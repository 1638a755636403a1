//! Population readers (GeoTIFF, GeoPackage, shapefile) against the shared real data
//! sets and tiny hostile files built in temporary directories.
//!
//! New population-reader tests go in the module of their format; bad-input tests
//! that build a broken file go in the same module as the reader they break.

// Helpers outside `#[test]` functions panic on purpose: a broken fixture is a broken test.
#![allow(clippy::unwrap_used)]

mod gpkg;
mod raster;
mod shapefile;
mod util;
