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

pub mod analysis;
pub mod app;
pub mod base;
pub mod config;
pub mod crs;
pub mod export;
#[doc(hidden)]
pub mod fuzzing;
pub mod input;
pub mod network;
pub mod osm;
pub mod present;
