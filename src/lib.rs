//! # learncircle
//!
//! Who can reach a place of learning on foot, who cannot, and where to build next.
//!
//! Data flows one way through the stages below; only [`app`] knows their order.
//!
//! ```text
//! input (CSV, GeoJSON, OSM, GeoTIFF, GeoPackage)  → Raw* records in WGS84 + Rejected rows
//!   → crs (GCJ-02/BD-09 → WGS84; local transverse Mercator, metres)
//!   → model (Site, Cell)
//!   → distance (Euclidean R-tree | Walking over the OSM pedestrian graph)
//!   → coverage (per cell, per category; population and elderly covered)
//!   → report (summary) → export (CSV, GeoJSON, atomically written)
//! ```
//!
//! See `docs/ARCHITECTURE.md` for the code map and `docs/METHODS.md` for definitions.

pub mod access;
pub mod app;
pub mod buildings;
pub mod charts;
pub mod cli;
pub mod cli_doc;
pub mod config;
pub mod coverage;
pub mod crs;
pub mod demo;
pub mod distance;
pub mod export;
#[doc(hidden)]
pub mod fuzzing;
pub mod gaps;
pub mod grid;
pub mod input;
pub mod model;
pub mod network;
pub mod osm_geometry;
pub mod osm_sites;
pub mod progress;
pub mod recommend;
pub mod report;
pub mod service_area;
pub mod targets;
pub mod timing;
pub mod units;
