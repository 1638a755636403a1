//! Orchestration: the only module that knows the order of the stages.
//!
//! `run_coverage` reads inputs, validates them into model records, projects them,
//! runs the distance engine, computes coverage and writes every output through an
//! atomic [`OutputSet`]. Fatal problems return an error before anything is written.

use std::path::PathBuf;

use crate::crs::InputCrs;
use crate::export;
use crate::present::report::Summary;

mod coverage;
pub mod demo;
mod export_network;
mod finish;
mod grid;
mod merge;
mod recommend;
mod route;
mod study;
pub mod tile;

pub use coverage::{Computed, run_coverage, run_coverage_on};
pub use export_network::{ExportNetworkOptions, export_network};
pub use finish::finish_run;
pub use grid::{GridOptions, write_grid};
pub use recommend::{
    CandidateSource, RecommendOptions, RecommendOutcome, run_recommend, run_recommend_on,
};
pub use route::{
    Route, RouteOptions, RouteTarget, parse_lonlat, route_line, run_route, run_route_on,
    write_routes_geojson,
};
pub use study::{Engines, Study, WalkingNetwork, load_study, load_study_on, load_study_with};

/// Distance engine choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Straight line × circuity (an approximation).
    Straight,
    /// Along the OpenStreetMap pedestrian network.
    Network,
}

/// Where categories and settings come from.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ConfigSource {
    /// A TOML file.
    File(PathBuf),
    /// A built-in preset.
    Preset(String),
    /// No config: every site category at one threshold.
    None,
}

/// Validated options of `learncircle coverage`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CoverageOptions {
    /// Sites file.
    pub sites: PathBuf,
    /// Datum of the sites file.
    pub sites_crs: InputCrs,
    /// Population file.
    pub population: PathBuf,
    /// Datum of the population file.
    pub population_crs: InputCrs,
    /// OSM network file.
    pub network: Option<PathBuf>,
    /// Config source.
    pub config: ConfigSource,
    /// Engine (default: network when a network is given, else straight).
    pub mode: Option<Mode>,
    /// Circuity override for straight mode.
    pub circuity: Option<f64>,
    /// Threshold in metres (no-config runs).
    pub threshold_m: Option<f64>,
    /// Threshold in minutes at 60 m/min (no-config runs).
    pub walk_min: Option<f64>,
    /// Output directory.
    pub out: PathBuf,
    /// Treat rejected records as fatal.
    pub strict: bool,
    /// Planning units (districts, streets) for per-unit results and targets: one
    /// unnamed file, or several levels coarsest first (`--units street=FILE`).
    /// Empty: the config's `[[units]]`, if any.
    #[serde(with = "crate::input::units::serde_sources")]
    pub units: Vec<crate::input::units::UnitsSource>,
    /// Datum of the units files (unless a source names its own).
    pub units_crs: InputCrs,
    /// How cells are assigned to units.
    pub unit_assignment: crate::analysis::units::Assignment,
    /// Gap-zone link distance (default 1.5 × median cell spacing).
    pub gap_link_m: Option<f64>,
    /// 2SFCA accessibility method (`access.csv`), if requested.
    pub access: Option<crate::analysis::access::Method>,
    /// Formats beyond CSV/GeoJSON: rasters, GeoPackage, shapefile.
    pub population_format: PopulationFormatOptions,
    /// Service areas (`service_areas.geojson`) with this buffer in metres.
    pub service_buffer_m: Option<f64>,
    /// What-if: planned sites added to the existing ones.
    pub planned: Option<PathBuf>,
    /// Datum of the planned-sites file.
    pub planned_crs: InputCrs,
    /// Per-cell output formats (`cells.csv`, `cells.geojson`, `learncircle.gpkg`).
    #[serde(default)]
    pub formats: export::Formats,
    /// Which sheet of each workbook input (`.xlsx`, `.xls`, `.ods`) is read.
    #[serde(default)]
    pub sheets: Sheets,
}

/// Which sheet of each workbook input a run reads (`--sheet [INPUT=]NAME`): one
/// name for every workbook, or one per input; the first sheet where none is named.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Sheets {
    /// Sheet of every workbook input without its own.
    pub all: Option<String>,
    /// Per input: `sites`, `population`, `planned` or `candidates` → sheet.
    pub by_input: std::collections::BTreeMap<String, String>,
}

impl Sheets {
    /// The inputs a sheet can be named for.
    pub const INPUTS: [&str; 4] = ["sites", "population", "planned", "candidates"];

    /// Add `NAME` (every workbook input) or `INPUT=NAME` (one input); a later
    /// value for the same input replaces the earlier one.
    ///
    /// # Errors
    /// An empty name, or `X=NAME` where `X` is not one of [`Sheets::INPUTS`] but
    /// looks like an input name (letters only).
    pub fn add(&mut self, spec: &str) -> Result<(), String> {
        let (input, name) = match spec.split_once('=') {
            Some((input, name)) if Self::INPUTS.contains(&input.trim()) => {
                (Some(input.trim()), name)
            }
            Some((input, _))
                if !input.is_empty() && input.chars().all(|c| c.is_ascii_alphabetic()) =>
            {
                return Err(format!(
                    "{input:?} is not an input with sheets (use NAME for every workbook, or {}=NAME)",
                    Self::INPUTS.join("|")
                ));
            }
            _ => (None, spec),
        };
        if name.trim().is_empty() {
            return Err("the sheet name is empty".into());
        }
        match input {
            Some(i) => {
                self.by_input.insert(i.to_owned(), name.to_owned());
            }
            None => self.all = Some(name.to_owned()),
        }
        Ok(())
    }

    /// The sheet to read from `input`'s workbook (`None`: the first sheet).
    #[must_use]
    pub fn of(&self, input: &str) -> Option<&str> {
        self.by_input
            .get(input)
            .or(self.all.as_ref())
            .map(String::as_str)
    }
}

/// Options for raster / GeoPackage / shapefile population inputs.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PopulationFormatOptions {
    /// Elderly rasters summed into the elderly layer (same grid as the population raster).
    pub elderly_rasters: Vec<PathBuf>,
    /// GeoPackage layer name.
    pub layer: Option<String>,
    /// Population column (vector formats).
    pub population_column: Option<String>,
    /// Columns summed into the elderly layer (vector formats).
    pub elderly_columns: Vec<String>,
    /// EPSG code overriding the file's CRS (vector formats).
    pub epsg: Option<u32>,
    /// Study-area polygon (GeoJSON or shapefile): cells outside are clipped out.
    pub clip: Option<PathBuf>,
    /// `--integer-population`: reject cells whose count is not a whole number.
    pub integer: bool,
}

impl CoverageOptions {
    /// Options with every optional setting at its default (WGS84 inputs, no network,
    /// no config, straight-line mode, no units).
    #[must_use]
    pub fn new(sites: PathBuf, population: PathBuf, out: PathBuf) -> Self {
        Self {
            sites,
            sites_crs: InputCrs::Wgs84,
            population,
            population_crs: InputCrs::Wgs84,
            network: None,
            config: ConfigSource::None,
            mode: None,
            circuity: None,
            threshold_m: None,
            walk_min: None,
            out,
            strict: false,
            units: Vec::new(),
            units_crs: InputCrs::Wgs84,
            unit_assignment: crate::analysis::units::Assignment::Centroid,
            gap_link_m: None,
            access: None,
            population_format: PopulationFormatOptions::default(),
            service_buffer_m: None,
            planned: None,
            planned_crs: InputCrs::Wgs84,
            formats: export::Formats::default(),
            sheets: Sheets::default(),
        }
    }
}

/// What a finished run hands back to `main`.
#[derive(Debug)]
pub struct RunOutcome {
    /// The summary as written to `summary.json`.
    pub summary: Summary,
    /// Number of rejected input records.
    pub rejected: usize,
    /// Files written.
    pub written: Vec<PathBuf>,
    /// The walking graph the run used (network mode), kept for what is drawn
    /// after the run (the report's maps) so that nothing is read twice.
    pub network: Option<RunNetwork>,
}

/// The walking graph of a finished run and the projection of its nodes.
#[derive(Debug)]
pub struct RunNetwork {
    /// The graph (node coordinates in `proj`'s metres).
    pub graph: crate::network::Graph,
    /// The run's local projection.
    pub proj: crate::crs::LocalProjection,
    /// The run's cells (local metres), in `cells.csv` order.
    pub cells: Vec<crate::base::model::Cell>,
    /// How cells and sites were attached.
    pub snap: crate::network::SnapOptions,
    /// The categories analysed.
    pub categories: Vec<crate::base::category::Category>,
    /// Search bound = threshold × this factor.
    pub search_factor: f64,
    /// Every site used (existing, then planned), local metres.
    pub sites: Vec<crate::base::model::Site>,
    /// Sites from this index on are planned.
    pub n_existing: usize,
}

impl RunNetwork {
    /// The run's engine inputs as the learning map takes them.
    #[must_use]
    pub fn engine(&self) -> crate::present::map::RunEngine<'_> {
        crate::present::map::RunEngine {
            graph: &self.graph,
            proj: &self.proj,
            cells: &self.cells,
            snap: self.snap,
            categories: &self.categories,
            search_factor: self.search_factor,
            sites: &self.sites,
            n_existing: self.n_existing,
        }
    }
}
