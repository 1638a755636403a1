//! # learncircle
//!
//! Who can reach a place of learning on foot, who cannot, and where to build next.
//!
//! The modules are the layers of the pipeline, bottom-up; each uses only the
//! layers below it (checked by `tests/architecture.rs`), and only [`app`] knows the
//! order of the stages. The library never sees clap: the binary (`src/main.rs`,
//! `src/cli/`) turns flags into the options structs of [`app`] and [`osm`].
//!
//! ```text
//! base (records, categories) → crs → input (readers → Raw* + Rejected rows)
//!   → network (OSM → pedestrian graph, snapping, Dijkstra)
//!   → analysis (distance engines, coverage, units, targets, gaps, access, recommend)
//!   → config (TOML/presets → categories, target rules)
//!   → export (atomic CSV / GeoJSON / GeoPackage outputs)
//!   → osm (sites and population derived from OSM) → present (summary, charts, report)
//!   → app (one module per command)
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
