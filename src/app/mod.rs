//! Orchestration: the only module that knows the order of the stages.
//!
//! `run_coverage` reads inputs, validates them into model records, projects them,
//! runs the distance engine, computes coverage and writes every output through an
//! atomic [`OutputSet`]. Fatal problems return an error before anything is written.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use rayon::prelude::*;

use crate::analysis::coverage::{self, Coverage};
use crate::analysis::distance::{Euclidean, Reach};
use crate::base::model::{Cell, RawCell, RawSite, Rejected, Site, bbox_of};
use crate::base::progress::Progress;
use crate::base::timing::Timer;
use crate::config::{Category, Config, Layer, PLANNING_SPEED_M_PER_MIN};
use crate::crs::{InputCrs, LocalProjection};
use crate::export::{self, OutputSet};
use crate::input::{population::read_population, sites::read_sites};
use crate::present::report::{self, Inputs, ProjectionInfo, RejectedCounts, RunFacts, Summary};

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
    /// Planning units (districts, streets) for per-unit results and targets.
    pub units: Option<PathBuf>,
    /// Datum of the units file.
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
            units: None,
            units_crs: InputCrs::Wgs84,
            unit_assignment: crate::analysis::units::Assignment::Centroid,
            gap_link_m: None,
            access: None,
            population_format: PopulationFormatOptions::default(),
            service_buffer_m: None,
            planned: None,
            planned_crs: InputCrs::Wgs84,
            formats: export::Formats::default(),
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
}

fn load_config(src: &ConfigSource) -> Result<Config> {
    Ok(match src {
        ConfigSource::File(p) => Config::from_path(p)?,
        ConfigSource::Preset(name) => Config::preset(name)?,
        ConfigSource::None => Config::defaults(),
    })
}

/// Resolve the categories of a run and assign each site to one; sites whose
/// category is not analysed are rejected.
fn assign_categories(
    config: &Config,
    raw: Vec<RawSite>,
    threshold_m: f64,
    file: &str,
    rejected: &mut Vec<Rejected>,
) -> (Vec<Category>, Vec<RawSite>) {
    if config.categories.is_empty() {
        let cats = Config::uniform_categories(raw.iter().map(|s| s.category.as_str()), threshold_m);
        let raw = raw
            .into_iter()
            .map(|mut s| {
                s.category = s.category.trim().to_owned();
                s
            })
            .collect();
        return (cats, raw);
    }
    let cats = config.categories.clone();
    let known: Vec<&str> = cats.iter().map(|c| c.name.as_str()).collect();
    let mut kept = Vec::with_capacity(raw.len());
    for mut s in raw {
        match cats.iter().find(|c| c.matches(&s.category)) {
            Some(c) => {
                s.category = c.name.clone();
                kept.push(s);
            }
            None => rejected.push(Rejected::new(
                file,
                &s.location,
                format!(
                    "category {:?} is not analysed by {} (categories: {})",
                    s.category,
                    config.origin,
                    known.join(", ")
                ),
            )),
        }
    }
    (cats, kept)
}

/// Project raw cells into model cells (ids generated from the row when absent).
fn project_cells(
    raw: Vec<RawCell>,
    proj: &LocalProjection,
    file: &str,
    rejected: &mut Vec<Rejected>,
) -> Vec<Cell> {
    let mut cells = Vec::with_capacity(raw.len());
    for c in raw {
        match proj.forward(c.lon, c.lat) {
            Ok(xy) => cells.push(Cell {
                id: c
                    .id
                    .unwrap_or_else(|| c.location.replace("row ", "r").replace("feature ", "f")),
                lon: c.lon,
                lat: c.lat,
                xy,
                population: c.population,
                elderly: c.elderly,
                polygon: c.polygon,
            }),
            Err(e) => rejected.push(
                Rejected::new(file, &c.location, e.to_string()).with_population(Some(c.population)),
            ),
        }
    }
    cells
}

fn project_sites(
    raw: Vec<RawSite>,
    proj: &LocalProjection,
    file: &str,
    rejected: &mut Vec<Rejected>,
) -> Vec<Site> {
    let mut sites = Vec::with_capacity(raw.len());
    for s in raw {
        match proj.forward(s.lon, s.lat) {
            Ok(xy) => sites.push(Site {
                id: s.id,
                name: s.name,
                category: s.category,
                lon: s.lon,
                lat: s.lat,
                xy,
                capacity: s.capacity,
            }),
            Err(e) => rejected.push(Rejected::new(file, &s.location, e.to_string())),
        }
    }
    sites
}

/// Per site (input order): whether its category's engine could use it.
fn site_usage(sites: &[Site], cov: &Coverage) -> Vec<bool> {
    let mut used = vec![true; sites.len()];
    for c in &cov.categories {
        let idx: Vec<usize> = (0..sites.len())
            .filter(|&i| sites[i].category == c.category.name)
            .collect();
        for (k, &i) in idx.iter().enumerate() {
            used[i] = c.reach.site_used.get(k).copied().unwrap_or(true);
        }
    }
    used
}

/// Population from any supported format, as one [`PopulationRead`]-like record:
/// cells, rejected rows, the elderly flag, the input total and what was clipped.
struct PopulationInput {
    cells: Vec<RawCell>,
    rejected: Vec<Rejected>,
    has_elderly: bool,
    input_total: f64,
    clipped: f64,
    report: Option<serde_json::Value>,
}

fn clip_area(path: &std::path::Path) -> Result<crate::input::clip::ClipArea> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let polygon = if ext == "shp" {
        crate::input::shapefile::read_clip_polygon(path, None)?
    } else {
        let u = crate::input::units::read_units(path, InputCrs::Wgs84)?;
        geo::MultiPolygon::new(u.units.into_iter().flat_map(|u| u.polygon.0).collect())
    };
    crate::input::clip::ClipArea::from_polygon(&polygon)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// `--integer-population`: fractional counts become rejected rows; an error when
/// no cell is left. Elderly counts are checked only in CSV/GeoJSON inputs (vector
/// layers may carry estimated elderly counts for privacy-masked cells).
fn require_integers(pop: &mut PopulationInput, pop_file: &str) -> Result<()> {
    let before = pop.rejected.len();
    let cells = std::mem::take(&mut pop.cells);
    let rows = cells.len() + before;
    pop.cells = crate::input::population::reject_fractional(
        cells,
        pop_file,
        pop.report.is_none(),
        &mut pop.rejected,
    );
    if pop.cells.is_empty() {
        let r = &pop.rejected[before];
        bail!(
            "{pop_file}: none of the {rows} rows could be used; first problem: {}: {}",
            r.location,
            r.reason
        );
    }
    Ok(())
}

/// Sites farther than this from every population cell's bounding box cannot be
/// meant for this population (no walking threshold comes close).
const FAR_SITE_KM: f64 = 100.0;

/// A wrong `--sites-crs`, or a sites file for another city, puts the sites far
/// from the population: an error when every site is that far, else a warning.
fn check_sites_near(
    sites: &[RawSite],
    pop_bbox: [f64; 4],
    sites_file: &str,
    pop_file: &str,
) -> Result<Option<String>> {
    let far: Vec<(&RawSite, f64)> = sites
        .iter()
        .map(|s| (s, crate::input::km_outside_bbox(s.lon, s.lat, pop_bbox)))
        .filter(|(_, km)| *km > FAR_SITE_KM)
        .collect();
    let Some((first, km)) = far.first() else {
        return Ok(None);
    };
    if far.len() == sites.len() {
        bail!(
            "{sites_file}: all {} sites lie more than {FAR_SITE_KM} km from the population in {pop_file} \
             ({}: {km:.0} km away): wrong --sites-crs or coordinates, or files for different places?",
            sites.len(),
            first.location
        );
    }
    Ok(Some(format!(
        "{sites_file}: {} of {} sites lie more than {FAR_SITE_KM} km from the population in {pop_file} \
         (first: {}, {km:.0} km away); they cannot cover anyone",
        far.len(),
        sites.len(),
        first.location
    )))
}

fn read_population_any(opts: &CoverageOptions) -> Result<PopulationInput> {
    let path = &opts.population;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let f = &opts.population_format;
    if matches!(ext.as_str(), "csv" | "txt" | "tsv" | "geojson" | "json") {
        if !f.elderly_rasters.is_empty()
            || f.layer.is_some()
            || !f.elderly_columns.is_empty()
            || f.epsg.is_some()
        {
            bail!(
                "--elderly, --population-layer, --elderly-columns and --population-epsg apply to raster, GeoPackage and shapefile population inputs, not {}",
                path.display()
            );
        }
        let r = read_population(path, opts.population_crs)?;
        let mut input = PopulationInput {
            has_elderly: r.has_elderly,
            input_total: r.input_total,
            cells: r.cells,
            rejected: r.rejected,
            clipped: 0.0,
            report: None,
        };
        if let Some(c) = &f.clip {
            let area = clip_area(c)?;
            let (inside, outside): (Vec<RawCell>, Vec<RawCell>) = input
                .cells
                .into_iter()
                .partition(|cell| area.contains(cell.lon, cell.lat));
            input.clipped = outside.iter().map(|c| c.population).sum();
            input.input_total -= input.clipped;
            if inside.is_empty() {
                bail!(
                    "{}: no population cell lies inside the clip area {}",
                    path.display(),
                    c.display()
                );
            }
            input.cells = inside;
        }
        return Ok(input);
    }
    if opts.population_crs != InputCrs::Wgs84 {
        bail!(
            "--population-crs applies to CSV/GeoJSON points; {} carries its own CRS",
            path.display()
        );
    }
    let mut po = crate::input::population_file::PopulationOptions::default();
    po.elderly_rasters.clone_from(&f.elderly_rasters);
    po.raster.with_polygons = true;
    po.vector.layer.clone_from(&f.layer);
    po.vector.population_column.clone_from(&f.population_column);
    po.vector.source_epsg = f.epsg;
    if !f.elderly_columns.is_empty() {
        po.vector.elderly = crate::input::vector::ElderlyColumns::Sum {
            columns: f.elderly_columns.clone(),
            mask: None,
        };
    }
    if let Some(c) = &f.clip {
        po.clip = Some(clip_area(c)?);
    }
    let r = crate::input::population_file::read_population_file(path, &po)?;
    let (has_elderly, input_total, clipped, report) = match &r.report {
        crate::input::population_file::PopulationReport::Raster(rep) => (
            rep.elderly.is_some(),
            rep.cell_population + rep.rejected_population,
            rep.clip.population_outside,
            serde_json::json!({
                "format": "GeoTIFF",
                "crs": rep.crs,
                "width": rep.width,
                "height": rep.height,
                "population_files": rep.population_files,
                "elderly_files": rep.elderly_files,
                "file_population": report::round_pop(rep.file_population),
                "nodata_pixels": rep.nodata_pixels,
                "clipped_pixels": rep.clip.pixels_outside,
                "clipped_population": report::round_pop(rep.clip.population_outside),
                "elderly_without_population": rep.elderly.map(|e| report::round_pop(e.elderly_without_population)),
            }),
        ),
        crate::input::population_file::PopulationReport::Vector(rep) => (
            rep.elderly.is_some(),
            rep.cell_population + rep.rejected_population,
            rep.clipped_population,
            serde_json::json!({
                "format": if ext == "gpkg" { "GeoPackage" } else { "shapefile" },
                "layer": rep.layer,
                "crs": rep.crs,
                "population_column": rep.population_column,
                "features": rep.features,
                "file_population": report::round_pop(rep.file_population),
                "clipped_features": rep.clipped_features,
                "clipped_population": report::round_pop(rep.clipped_population),
                "elderly_columns": rep.elderly.as_ref().map(|e| e.columns.clone()),
                "elderly_masked_cells": rep.elderly.as_ref().map(|e| e.masked_cells),
            }),
        ),
    };
    if r.cells.is_empty() {
        let first = r
            .rejected
            .first()
            .map(|x| format!("; first problem: {}: {}", x.location, x.reason))
            .unwrap_or_default();
        bail!(
            "{}: no populated cell (after clipping) — nothing to analyse{first}",
            path.display()
        );
    }
    Ok(PopulationInput {
        cells: r.cells,
        rejected: r.rejected,
        has_elderly,
        input_total,
        clipped,
        report: Some(report),
    })
}

/// Everything read, validated and projected for one study, before any distance is
/// computed: shared by `coverage`, `recommend` and what-if runs.
pub struct Study {
    /// The loaded configuration.
    pub config: Config,
    /// Run settings after command-line overrides.
    pub run: crate::config::RunSettings,
    /// Distance engine.
    pub mode: Mode,
    /// Categories analysed.
    pub categories: Vec<Category>,
    /// Cells (local metres).
    pub cells: Vec<Cell>,
    /// Cell coordinates, local metres.
    pub cells_xy: Vec<[f64; 2]>,
    /// Sites (local metres).
    pub sites: Vec<Site>,
    /// Units (local metres), if any.
    pub units: Vec<crate::analysis::units::Unit>,
    /// The local projection.
    pub proj: LocalProjection,
    /// The walking graph (network mode).
    pub graph: Option<crate::network::Graph>,
    /// Rejected input records so far.
    pub rejected: Vec<Rejected>,
    /// Warnings so far.
    pub warnings: Vec<String>,
    /// Sites file, as given.
    pub sites_file: String,
    /// Population file, as given.
    pub pop_file: String,
    /// Site rows read (used + rejected at read time).
    pub sites_read: usize,
    /// Whether the population has an elderly layer.
    pub has_elderly: bool,
    /// Σ readable population in the study area.
    pub input_total: f64,
    /// Σ population clipped out.
    pub clipped: f64,
    /// Format-specific facts of the population input.
    pub pop_report: Option<serde_json::Value>,
}

/// The distance engines of a study (the network one borrows the study's graph).
pub struct Engines<'a> {
    walking: Option<crate::analysis::distance::Walking<'a>>,
    euclidean: Euclidean<'a>,
}

impl Engines<'_> {
    /// The engine the study's mode selects.
    #[must_use]
    pub fn engine(&self) -> &dyn Reach {
        match &self.walking {
            Some(w) => w,
            None => &self.euclidean,
        }
    }

    /// The network engine, in network mode.
    #[must_use]
    pub fn walking(&self) -> Option<&crate::analysis::distance::Walking<'_>> {
        self.walking.as_ref()
    }
}

impl Study {
    /// Build the engines (snaps the cells to the network in network mode).
    #[must_use]
    pub fn engines(&self) -> Engines<'_> {
        Engines {
            walking: self.graph.as_ref().map(|g| {
                crate::analysis::distance::Walking::new(
                    g,
                    &self.cells_xy,
                    crate::network::SnapOptions {
                        max_snap_m: self.run.max_snap_m,
                        ..crate::network::SnapOptions::default()
                    },
                )
            }),
            euclidean: Euclidean::new(&self.cells_xy, self.run.circuity),
        }
    }

    /// Read extra sites (planned sites, candidates) with the study's categories and
    /// projection. Rows whose category is not analysed, or that cannot be projected,
    /// are rejected.
    ///
    /// # Errors
    /// When the file cannot be used at all.
    pub fn read_more_sites(
        &self,
        path: &std::path::Path,
        crs: InputCrs,
        rejected: &mut Vec<Rejected>,
    ) -> Result<Vec<Site>> {
        let read = read_sites(path, crs)?;
        let file = path.display().to_string();
        rejected.extend(read.rejected);
        let mut kept = Vec::with_capacity(read.sites.len());
        for mut s in read.sites {
            match self.categories.iter().find(|c| c.matches(&s.category)) {
                Some(c) => {
                    s.category = c.name.clone();
                    kept.push(s);
                }
                None => rejected.push(Rejected::new(
                    &file,
                    &s.location,
                    format!(
                        "category {:?} is not analysed (categories: {})",
                        s.category,
                        self.categories
                            .iter()
                            .map(|c| c.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )),
            }
        }
        Ok(project_sites(kept, &self.proj, &file, rejected))
    }
}

/// Read, validate and project everything a run needs (and the network in network
/// mode). Fatal problems are errors; row problems are in `Study::rejected`.
///
/// # Errors
/// Any fatal input or configuration problem.
pub fn load_study(opts: &CoverageOptions, timer: &mut Timer) -> Result<Study> {
    load_study_with(opts, timer, true)
}

/// [`load_study`], optionally without reading the network (`Study::graph` is then
/// `None` even in network mode): used by `plan`, tile runs and `merge`.
///
/// # Errors
/// Any fatal input or configuration problem.
pub fn load_study_with(
    opts: &CoverageOptions,
    timer: &mut Timer,
    with_network: bool,
) -> Result<Study> {
    let mut warnings: Vec<String> = Vec::new();
    let config = load_config(&opts.config)?;
    let mut run = config.run.clone();
    if let Some(c) = opts.circuity {
        if !(c.is_finite() && (1.0..=3.0).contains(&c)) {
            bail!("--circuity {c}: must be between 1.0 and 3.0");
        }
        run.circuity = c;
    }
    let threshold_m = match (opts.threshold_m, opts.walk_min) {
        (Some(m), _) => m,
        (None, Some(min)) => min * PLANNING_SPEED_M_PER_MIN,
        (None, None) => crate::config::DEFAULT_WALK_MIN * PLANNING_SPEED_M_PER_MIN,
    };
    if !(threshold_m.is_finite() && threshold_m > 0.0 && threshold_m <= 20_000.0) {
        bail!("walking threshold {threshold_m} m is outside (0, 20000]");
    }
    let mode = match (opts.mode, &opts.network) {
        (Some(Mode::Network), None) => {
            bail!("--mode network needs --network FILE (an OSM .pbf or .osm extract)")
        }
        (Some(m), _) => m,
        (None, Some(_)) => Mode::Network,
        (None, None) => Mode::Straight,
    };
    timer.stage("config");

    let sites_file = opts.sites.display().to_string();
    let pop_file = opts.population.display().to_string();
    let progress = Progress::stage("reading inputs");
    let sites_read = read_sites(&opts.sites, opts.sites_crs)?;
    let mut pop = read_population_any(opts)?;
    if opts.population_format.integer {
        require_integers(&mut pop, &pop_file)?;
    }
    let units_read = match &opts.units {
        Some(p) => Some(crate::input::units::read_units(p, opts.units_crs)?),
        None => None,
    };
    let mut rejected: Vec<Rejected> = sites_read.rejected;
    let sites_total_rows = sites_read.sites.len() + rejected.len();
    rejected.extend(pop.rejected);
    progress.finish();
    timer.stage("read inputs");

    let (categories, raw_sites) = assign_categories(
        &config,
        sites_read.sites,
        threshold_m,
        &sites_file,
        &mut rejected,
    );
    if raw_sites.is_empty() {
        bail!(
            "{sites_file}: no site belongs to an analysed category ({})",
            config.origin
        );
    }
    for c in &categories {
        if c.layer == Layer::Elderly && !pop.has_elderly {
            warnings.push(format!(
                "category {:?} serves the elderly layer but {pop_file} has no elderly column: total population used",
                c.name
            ));
        }
    }
    let pop_bbox =
        bbox_of(pop.cells.iter().map(|c| (c.lon, c.lat))).context("no population cells")?;
    let site_points: Vec<(f64, f64)> = raw_sites.iter().map(|s| (s.lon, s.lat)).collect();
    if crate::input::looks_swapped(&site_points, pop_bbox) {
        bail!(
            "{sites_file}: lon and lat appear to be swapped: the sites lie far from the population in \
             {pop_file} unless their two coordinates are exchanged (check the column order)"
        );
    }
    warnings.extend(check_sites_near(
        &raw_sites,
        pop_bbox,
        &sites_file,
        &pop_file,
    )?);
    let proj = LocalProjection::centred_on(pop_bbox)?;
    let cells = project_cells(pop.cells, &proj, &pop_file, &mut rejected);
    let sites = project_sites(raw_sites, &proj, &sites_file, &mut rejected);
    if cells.is_empty() {
        bail!("{pop_file}: no cell could be projected");
    }
    for c in &categories {
        if !sites.iter().any(|s| s.category == c.name) {
            warnings.push(format!(
                "category {:?} has no sites in {sites_file}: 0 % covered",
                c.name
            ));
        }
    }
    let units: Vec<crate::analysis::units::Unit> = match units_read {
        None => Vec::new(),
        Some(u) => {
            warnings.extend(u.warnings);
            rejected.extend(u.rejected);
            u.units
                .into_iter()
                .map(|raw| crate::analysis::units::Unit::project(raw, &proj))
                .collect::<Result<_, _>>()?
        }
    };
    timer.stage("validate and project");

    if opts.strict && !rejected.is_empty() {
        let r = &rejected[0];
        bail!(
            "--strict: {} input records rejected; first: {}: {}: {}",
            rejected.len(),
            r.file,
            r.location,
            r.reason
        );
    }

    let progress = Progress::stage("reading the walking network");
    let cells_xy: Vec<[f64; 2]> = cells.iter().map(|c| c.xy).collect();
    let graph = match (mode, &opts.network) {
        (Mode::Network, Some(_)) if !with_network => None,
        (Mode::Network, Some(path)) => {
            let g = crate::network::Graph::from_osm_file(
                path,
                &proj,
                &crate::network::GraphOptions::default(),
            )?;
            timer.stage("read network");
            let st = g.stats();
            if let Some(example) = st.missing_node_example() {
                warnings.push(format!(
                    "{}: {} walkable ways reference {} nodes that are not in the file (first: {example}); segments to them are dropped",
                    path.display(),
                    st.ways_with_missing_nodes,
                    st.missing_node_refs
                ));
            }
            Some(g)
        }
        (Mode::Straight, Some(path)) => {
            warnings.push(format!(
                "--mode straight: the network {} is not used",
                path.display()
            ));
            None
        }
        _ => None,
    };
    progress.finish();
    Ok(Study {
        config,
        run,
        mode,
        categories,
        cells,
        cells_xy,
        sites,
        units,
        proj,
        graph,
        rejected,
        warnings,
        sites_file,
        pop_file,
        sites_read: sites_total_rows,
        has_elderly: pop.has_elderly,
        input_total: pop.input_total,
        clipped: pop.clipped,
        pop_report: pop.report,
    })
}

/// One service-area polygon per category (WGS84) with its area in km².
fn service_areas(
    engines: &Engines<'_>,
    categories: &[Category],
    sites: &[Site],
    circuity: f64,
    buffer_m: f64,
    proj: &LocalProjection,
) -> Vec<ServiceArea> {
    use crate::analysis::service_area::{disc, network_pieces, to_wgs84, union};
    categories
        .iter()
        .map(|c| {
            let xy: Vec<[f64; 2]> = sites
                .iter()
                .filter(|s| s.category == c.name)
                .map(|s| s.xy)
                .collect();
            let local = match engines.walking() {
                Some(w) => {
                    let g = w.graph();
                    let iv = w.reached_intervals(&xy, &c.profile, c.threshold_m);
                    union(&network_pieces(
                        &iv,
                        |s| {
                            let seg = &g.segments()[s as usize];
                            (
                                g.node_xy()[seg.nodes[0] as usize],
                                g.node_xy()[seg.nodes[1] as usize],
                            )
                        },
                        buffer_m,
                    ))
                }
                None => union(
                    &xy.iter()
                        .map(|p| disc(*p, c.threshold_m / circuity))
                        .collect::<Vec<_>>(),
                ),
            };
            let (wgs, km2) = to_wgs84(&local, proj);
            (c.name.clone(), c.threshold_m, wgs, km2)
        })
        .collect()
}

/// The `method` property of the service areas.
fn service_method(mode: Mode, buffer_m: f64) -> String {
    match mode {
        Mode::Network => format!("reached network within the threshold, buffered {buffer_m} m"),
        Mode::Straight => {
            "APPROXIMATION: union of circles of radius threshold ÷ circuity".to_owned()
        }
    }
}

fn write_service_areas(
    w: &mut dyn std::io::Write,
    areas: &[(String, f64, geo::MultiPolygon<f64>, f64)],
    buffer_m: f64,
    mode: Mode,
) -> std::io::Result<()> {
    let method = service_method(mode, buffer_m);
    writeln!(
        w,
        "{{\"type\":\"FeatureCollection\",\"name\":\"service_areas\",\"features\":["
    )?;
    for (i, (name, thr, mp, km2)) in areas.iter().enumerate() {
        let props = serde_json::json!({
            "category": name,
            "threshold_m": thr,
            "buffer_m": buffer_m,
            "area_km2": (km2 * 1e4).round() / 1e4,
            "method": method,
        });
        write!(
            w,
            "{}{{\"type\":\"Feature\",\"geometry\":{},\"properties\":{}}}",
            if i > 0 { ",\n" } else { "" },
            serde_json::to_string(&geojson::Geometry::from(mp)).map_err(std::io::Error::other)?,
            props
        )?;
    }
    writeln!(w, "\n]}}")
}

/// Planned sites for a what-if run: like `--sites`, but an empty or header-only
/// file is a valid "nothing planned".
fn read_planned(
    study: &Study,
    path: &std::path::Path,
    crs: InputCrs,
    rejected: &mut Vec<Rejected>,
) -> Result<Vec<Site>> {
    match study.read_more_sites(path, crs, rejected) {
        Ok(s) => Ok(s),
        Err(e) => match e.downcast_ref::<crate::input::InputError>() {
            Some(crate::input::InputError::Empty { .. }) => Ok(Vec::new()),
            _ => Err(e),
        },
    }
}

/// One category's service area: name, threshold (m), polygon (WGS84), area (km²).
pub type ServiceArea = (String, f64, geo::MultiPolygon<f64>, f64);

/// What the distance stage produced for a run (on one machine, or merged from tiles).
pub struct Computed {
    /// Sites analysed: the existing ones, then the planned ones (what-if).
    pub sites: Vec<Site>,
    /// Number of existing sites (the rest are planned).
    pub n_existing: usize,
    /// The planned-sites file, if any.
    pub planned_file: Option<String>,
    /// Every rejected record (inputs, planned sites, off-network sites).
    pub rejected: Vec<Rejected>,
    /// Warnings.
    pub warnings: Vec<String>,
    /// Coverage (with the planned sites, when any).
    pub cov: Coverage,
    /// Coverage without the planned sites (what-if runs).
    pub before: Option<Coverage>,
    /// 2SFCA results per category (`--access`).
    pub access: Vec<crate::analysis::access::AccessResult>,
    /// Network statistics (network mode).
    pub network: Option<crate::network::GraphSummary>,
    /// Service areas (`--service-areas`) and the buffer used.
    pub service_areas: Option<(Vec<ServiceArea>, f64)>,
}

/// Existing sites plus the planned ones (what-if), with rejections.
fn sites_with_plan(
    opts: &CoverageOptions,
    study: &Study,
    rejected: &mut Vec<Rejected>,
) -> Result<(Vec<Site>, usize, Option<String>)> {
    let sites = &study.sites;
    // What-if: planned sites join the existing ones; the outputs describe the
    // situation with them and the before/after files compare.
    let n_existing = sites.len();
    let planned_file = opts.planned.as_ref().map(|p| p.display().to_string());
    let mut sites_all: Vec<Site> = sites.clone();
    if let Some(path) = &opts.planned {
        let planned = read_planned(study, path, opts.planned_crs, rejected)?;
        let mut seen: std::collections::HashSet<&str> =
            sites.iter().map(|s| s.id.as_str()).collect();
        let file = path.display().to_string();
        let mut keep = Vec::with_capacity(planned.len());
        for s in &planned {
            if seen.insert(s.id.as_str()) {
                keep.push(s.clone());
            } else {
                rejected.push(Rejected::new(
                    &file,
                    format!("site {}", s.id),
                    "planned site id is already used by an existing site",
                ));
            }
        }
        sites_all.extend(keep);
    }
    Ok((sites_all, n_existing, planned_file))
}

/// The distance stage on one machine: coverage (and what-if, 2SFCA, service areas)
/// with the study's engine.
fn compute_run(
    opts: &CoverageOptions,
    study: &Study,
    engines: &Engines<'_>,
    timer: &mut Timer,
) -> Result<Computed> {
    let engine = engines.engine();
    let (run, categories, cells, proj) = (&study.run, &study.categories, &study.cells, &study.proj);
    let sites_file = study.sites_file.clone();
    let mut rejected = study.rejected.clone();
    let mut warnings = study.warnings.clone();
    let (sites_all, n_existing, planned_file) = sites_with_plan(opts, study, &mut rejected)?;
    let sites: &Vec<Site> = &sites_all;
    if let Some(w) = engines.walking() {
        // Sites that cannot be attached are not used: rejected, with the reason.
        let site_xy: Vec<[f64; 2]> = sites.iter().map(|s| s.xy).collect();
        for (k, (s, snap)) in sites.iter().zip(w.site_snaps(&site_xy)).enumerate() {
            if let Err(why) = snap {
                let file = if k < n_existing {
                    sites_file.clone()
                } else {
                    planned_file.clone().unwrap_or_default()
                };
                rejected.push(Rejected::new(
                    file,
                    format!("site {}", s.id),
                    format!("off-network: {why}"),
                ));
            }
        }
        let off = w.cell_snaps().iter().filter(|c| c.is_err()).count();
        if off > 0 {
            warnings.push(format!(
                "{off} of {} cells are off-network (no walkable way within {} m, or only on small islands): counted as not covered",
                cells.len(),
                run.max_snap_m
            ));
        }
    }
    let cov: Coverage = coverage::compute(cells, categories, sites, engine, run.search_factor);
    let before: Option<Coverage> = opts.planned.is_some().then(|| {
        coverage::compute(
            cells,
            categories,
            &sites[..n_existing],
            engine,
            run.search_factor,
        )
    });
    timer.stage("distances and coverage");
    let access: Vec<crate::analysis::access::AccessResult> = match opts.access {
        None => Vec::new(),
        Some(method) => cov
            .categories
            .iter()
            .map(|c| {
                let own: Vec<&Site> = sites
                    .iter()
                    .filter(|s| s.category == c.category.name)
                    .collect();
                let xy: Vec<[f64; 2]> = own.iter().map(|s| s.xy).collect();
                let supply: Vec<f64> = own.iter().map(|s| s.capacity.unwrap_or(1.0)).collect();
                let demand: Vec<f64> = cells
                    .iter()
                    .map(|cell| match (c.category.layer, cell.elderly) {
                        (Layer::Elderly, Some(e)) => e,
                        _ => cell.population,
                    })
                    .collect();
                let catchments =
                    engine.catchments(&xy, &c.category.profile, c.category.threshold_m);
                crate::analysis::access::two_step(
                    method,
                    c.category.threshold_m,
                    &demand,
                    &supply,
                    &catchments,
                )
            })
            .collect(),
    };
    let service_areas = match opts.service_buffer_m {
        None => None,
        Some(buffer_m) => {
            if !(buffer_m.is_finite() && buffer_m > 0.0 && buffer_m <= 500.0) {
                bail!("--service-buffer-m {buffer_m}: must be in (0, 500] metres");
            }
            let progress = Progress::stage("service areas");
            let areas = service_areas(engines, categories, sites, run.circuity, buffer_m, proj);
            progress.finish();
            timer.stage("service areas");
            Some((areas, buffer_m))
        }
    };
    Ok(Computed {
        network: engines
            .walking()
            .map(crate::analysis::distance::Walking::summary),
        sites: sites_all,
        n_existing,
        planned_file,
        rejected,
        warnings,
        cov,
        before,
        access,
        service_areas,
    })
}

/// Run `learncircle coverage`.
///
/// # Errors
/// Any fatal input, configuration or output problem; nothing is written then.
pub fn run_coverage(opts: &CoverageOptions) -> Result<RunOutcome> {
    let mut timer = Timer::new();
    let outputs = OutputSet::prepare(&opts.out)?;
    let study = load_study(opts, &mut timer)?;
    let progress = Progress::stage("computing walking distances and coverage");
    let engines = study.engines();
    let computed = compute_run(opts, &study, &engines, &mut timer)?;
    progress.finish();
    finish_run(opts, &study, computed, outputs, timer)
}

/// Everything after the distances: targets, units, gaps, the summary and every
/// output file. Shared by one-machine runs and the merge of tiles.
///
/// # Errors
/// Invalid targets, units covering no cell, or output errors.
pub fn finish_run(
    opts: &CoverageOptions,
    study: &Study,
    computed: Computed,
    mut outputs: OutputSet,
    mut timer: Timer,
) -> Result<RunOutcome> {
    let (config, run, mode, categories) =
        (&study.config, &study.run, study.mode, &study.categories);
    let (cells, cells_xy, units, proj) = (&study.cells, &study.cells_xy, &study.units, &study.proj);
    let sites_file = study.sites_file.clone();
    let pop_file = study.pop_file.clone();
    let sites_total_rows = study.sites_read;
    let Computed {
        sites: sites_all,
        n_existing,
        planned_file,
        rejected,
        mut warnings,
        cov,
        before,
        access,
        network,
        service_areas,
    } = computed;
    let sites: &Vec<Site> = &sites_all;
    crate::analysis::targets::validate(&config.targets, &cov, opts.units.is_some())
        .map_err(anyhow::Error::msg)?;
    let units_report = if units.is_empty() {
        None
    } else {
        let assignment =
            crate::analysis::units::assign_cells(cells, units, opts.unit_assignment, proj);
        let rep = crate::analysis::units::aggregate(
            cells,
            &cov,
            sites,
            units,
            &assignment,
            opts.unit_assignment,
            &access,
        );
        if rep.units.iter().all(|u| u.cells == 0.0) {
            bail!(
                "{}: none of the {} cells lies inside any of the {} units (wrong file, or a --units-crs / coordinate order problem?)",
                opts.units
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                cells.len(),
                units.len()
            );
        }
        let before_rep = before.as_ref().map(|b| {
            crate::analysis::units::aggregate(
                cells,
                b,
                &sites[..n_existing],
                units,
                &assignment,
                opts.unit_assignment,
                &[],
            )
        });
        Some((rep, before_rep))
    };
    let (units_report, units_before) = match units_report {
        Some((a, b)) => (Some(a), b),
        None => (None, None),
    };
    let target_rows =
        crate::analysis::targets::evaluate(&config.targets, &cov, units_report.as_ref());
    timer.stage("units and targets");

    if let Some(l) = opts.gap_link_m {
        if !(l.is_finite() && l > 0.0) {
            bail!("--gap-link-m {l}: must be a positive number of metres");
        }
    }
    let spacing_m = crate::analysis::gaps::median_spacing(cells_xy);
    let cell_areas = crate::analysis::gaps::cell_areas_m2(cells, spacing_m, proj);
    let link_m = opts.gap_link_m.unwrap_or(1.5 * spacing_m);
    // One zoning per category plus `covered_all`, side by side; concatenated in
    // that order.
    let n_cat = cov.categories.len();
    let gaps_each: Vec<Vec<crate::analysis::gaps::GapZone>> = (0..=n_cat)
        .into_par_iter()
        .map(|k| {
            let minutes = |c: &crate::analysis::coverage::CategoryCoverage, i: usize| {
                c.reach.dist_m[i].map(|d| d / c.category.profile.speed_m_per_s / 60.0)
            };
            let (name, covered, layer, walk): (&str, &[bool], Layer, Vec<Option<f64>>) =
                if k < n_cat {
                    let c = &cov.categories[k];
                    let walk = (0..cells.len()).map(|i| minutes(c, i)).collect();
                    (&c.category.name, &c.covered, c.category.layer, walk)
                } else {
                    let worst = (0..cells.len())
                        .map(|i| {
                            cov.categories
                                .iter()
                                .try_fold(0.0_f64, |acc, c| minutes(c, i).map(|m| acc.max(m)))
                        })
                        .collect();
                    ("covered_all", &cov.covered_all, Layer::Total, worst)
                };
            crate::analysis::gaps::gap_zones(
                name,
                cells,
                covered,
                &walk,
                layer,
                link_m,
                &cell_areas,
            )
        })
        .collect();
    let gaps: Vec<crate::analysis::gaps::GapZone> = gaps_each.into_iter().flatten().collect();
    timer.stage("gap zones");

    let method = match mode {
        Mode::Straight => format!("straight_x{:.2}_approximation", run.circuity),
        Mode::Network => "network".to_owned(),
    };
    let site_used = site_usage(sites, &cov);
    for c in &cov.categories {
        if c.stats.sites > 0 && c.stats.sites_used == 0 {
            warnings.push(format!(
                "category {:?}: none of its {} sites could be attached to the walking network: 0 % covered",
                c.category.name, c.stats.sites
            ));
        }
    }
    let mut by_file: BTreeMap<String, usize> = BTreeMap::new();
    for r in &rejected {
        *by_file.entry(r.file.clone()).or_default() += 1;
    }
    let population_rejected: f64 = rejected.iter().filter_map(|r| r.population).sum();
    let mut config_used = config.clone();
    config_used.run = run.clone();
    config_used.categories.clone_from(categories);
    let has_elderly = study.has_elderly;
    let mut facts = RunFacts {
        mode: match mode {
            Mode::Straight => "straight".into(),
            Mode::Network => "network".into(),
        },
        circuity: run.circuity,
        inputs: Inputs {
            sites_file,
            sites_crs: opts.sites_crs.to_string(),
            sites_read: sites_total_rows,
            sites_used: sites.len(),
            population_file: pop_file,
            population_crs: opts.population_crs.to_string(),
            cells: cells.len(),
            cells_rejected: rejected
                .iter()
                .filter(|r| r.file == opts.population.display().to_string())
                .count(),
            population_input_total: report::round_pop(study.input_total),
            population_rejected: report::round_pop(population_rejected),
            population_clipped: report::round_pop(study.clipped),
            population_format: study.pop_report.clone(),
            has_elderly,
            elderly_label: run.elderly_label.clone(),
            network_file: opts.network.as_ref().map(|p| p.display().to_string()),
        },
        projection: ProjectionInfo {
            kind: "tmerc".into(),
            lon_0: proj.origin().0,
            lat_0: proj.origin().1,
        },
        config: config_used,
                network: network.map(|mut s| {
            s.off_network_sites = Some(sites.len() - site_used.iter().filter(|u| **u).count());
            serde_json::to_value(s).unwrap_or(serde_json::Value::Null)
        }),
        rejected: RejectedCounts {
            total: rejected.len(),
            by_file,
        },
        warnings,
        timings_ms: Vec::new(),
        units: units_report.as_ref().map(|r| report::UnitsSummary {
            file: opts
                .units
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            count: r.units.len(),
            assignment: match r.assignment {
                crate::analysis::units::Assignment::Centroid => "centroid".into(),
                crate::analysis::units::Assignment::Area => "area".into(),
            },
            outside_population: report::round_pop(r.outside_population),
            outside_elderly: report::round_pop(r.outside_elderly),
            outside_cells: (r.outside_cells * 1e6).round() / 1e6,
            outside_sites: r.outside_sites,
        }),
        access: opts.access.map(|m| report::AccessSummary {
            method: m.name().into(),
            categories: cov
                .categories
                .iter()
                .zip(&access)
                .map(|(c, a)| report::AccessCategory {
                    category: c.category.name.clone(),
                    supply_total: a.supply_total,
                    supply_reached: a.supply_reached,
                    demand_weighted_score: (a.demand_weighted_score * 1e6).round() / 1e6,
                    sites_without_demand: a.sites_without_demand,
                })
                .collect(),
        }),
                whatif: before.as_ref().map(|b| {
            let cat = |name: &str, sb: &crate::analysis::coverage::CategoryStats, sa: &crate::analysis::coverage::CategoryStats, newly: usize| {
                serde_json::json!({
                    "name": name,
                    "population_share_before": report::round_share(sb.population_share()),
                    "population_share_after": report::round_share(sa.population_share()),
                    "elderly_share_before": sb.elderly_share().map(report::round_share),
                    "elderly_share_after": sa.elderly_share().map(report::round_share),
                    "population_covered_before": report::round_pop(sb.population_covered),
                    "population_covered_after": report::round_pop(sa.population_covered),
                    "cells_newly_covered": newly,
                })
            };
            let newly = |x: &[bool], y: &[bool]| x.iter().zip(y).filter(|(a, b)| !**a && **b).count();
            serde_json::json!({
                "planned_file": planned_file,
                "planned_sites": sites.len() - n_existing,
                "categories": b.categories.iter().zip(&cov.categories).map(|(cb, ca)| {
                    cat(&ca.category.name, &cb.stats, &ca.stats, newly(&cb.covered, &ca.covered))
                }).collect::<Vec<_>>(),
                "covered_all": cat("covered_all", &b.all, &cov.all, newly(&b.covered_all, &cov.covered_all)),
            })
        }),
        gaps: report::GapsSummary {
            link_m: (link_m * 10.0).round() / 10.0,
            spacing_m: (spacing_m * 10.0).round() / 10.0,
            zones: cov
                .categories
                .iter()
                .map(|c| c.category.name.as_str())
                .chain(std::iter::once("covered_all"))
                .map(|name| {
                    let z: Vec<&crate::analysis::gaps::GapZone> =
                        gaps.iter().filter(|g| g.category == name).collect();
                    report::GapCount {
                        category: name.to_owned(),
                        zones: z.len(),
                        population: report::round_pop(z.iter().map(|g| g.population).sum()),
                        elderly: report::round_pop(z.iter().map(|g| g.elderly).sum()),
                    }
                })
                .collect(),
        },
        targets: (!config.targets.is_empty()).then(|| report::TargetsSummary {
            passed: target_rows.iter().filter(|r| r.pass).count(),
            failed: target_rows.iter().filter(|r| !r.pass).count(),
            checks: target_rows.clone(),
        }),
    };
    timer.stage("summarise");

    let progress = Progress::stage("writing outputs");
    let gap_outlines = export::gap_outlines(&gaps, cells, spacing_m, proj);
    timer.stage("gap outlines");
    // The large files are formatted and flushed side by side.
    let mut jobs: Vec<(&str, export::WriteJob<'_>)> = Vec::new();
    if opts.formats.csv {
        jobs.push((
            "cells.csv",
            Box::new(|w: &mut dyn std::io::Write| {
                export::cells_csv(w, cells, &cov, has_elderly, &method)
            }),
        ));
    }
    if opts.formats.geojson {
        jobs.push((
            "cells.geojson",
            Box::new(|w: &mut dyn std::io::Write| {
                export::cells_geojson(w, cells, &cov, has_elderly, &method)
            }),
        ));
    }
    jobs.push((
        "gaps.csv",
        Box::new(|w: &mut dyn std::io::Write| export::gaps_csv(w, &gaps, proj, has_elderly)),
    ));
    jobs.push((
        "gaps.geojson",
        Box::new(|w: &mut dyn std::io::Write| {
            export::gaps_geojson(w, &gaps, &gap_outlines, proj, has_elderly)
        }),
    ));
    outputs.write_many(jobs)?;
    timer.stage("write cells and gaps");
    outputs.write("rejected.csv", |w| export::rejected_csv(w, &rejected))?;
    outputs.write("sites.csv", |w| {
        export::sites_csv(w, sites, &site_used, n_existing)
    })?;
    if let Some(b) = &before {
        outputs.write("whatif_cells.csv", |w| {
            export::whatif_cells_csv(w, cells, b, &cov)
        })?;
        if let (Some(ub), Some(ua)) = (&units_before, &units_report) {
            outputs.write("whatif_units.csv", |w| {
                export::whatif_units_csv(w, ub, ua, &cov)
            })?;
        }
    }
    if let Some(method) = opts.access {
        outputs.write("access.csv", |w| {
            export::access_csv(w, cells, &cov, &access, method)
        })?;
    }
    if let Some((areas, buffer_m)) = &service_areas {
        outputs.write("service_areas.geojson", |w| {
            write_service_areas(w, areas, *buffer_m, mode)
        })?;
    }
    if let Some(rep) = &units_report {
        outputs.write("units.csv", |w| {
            export::units_csv(w, rep, &cov, has_elderly)
        })?;
        outputs.write("units.geojson", |w| {
            export::units_geojson(w, rep, units, &cov, has_elderly)
        })?;
    }
    if !config.targets.is_empty() {
        outputs.write("targets.csv", |w| export::targets_csv(w, &target_rows))?;
    }
    timer.stage("write outputs");
    if opts.formats.gpkg {
        outputs.write_at(export::GPKG_FILE, |file, shown| {
            let mut layers = vec![export::cells_layer(cells, &cov, has_elderly, &method)];
            if let Some(rep) = &units_report {
                layers.push(export::units_layer(rep, units, &cov, has_elderly));
            }
            layers.push(export::gaps_layer(&gaps, &gap_outlines, proj, has_elderly));
            layers.push(export::sites_layer(sites, &site_used, n_existing));
            if let Some((areas, buffer_m)) = &service_areas {
                layers.push(export::gpkg::service_areas_layer(
                    areas,
                    *buffer_m,
                    service_method(mode, *buffer_m),
                ));
            }
            export::gpkg::write_gpkg_as(file, shown, layers)
        })?;
        timer.stage("write learncircle.gpkg");
    }
    facts.timings_ms = timer.finish();
    let summary = report::summarise(facts, &cov);
    let json = serde_json::to_string_pretty(&summary)?;
    outputs.write("summary.json", |w| {
        w.write_all(json.as_bytes())?;
        w.write_all(b"\n")
    })?;
    let written = outputs.commit()?;
    progress.finish();
    Ok(RunOutcome {
        summary,
        rejected: rejected.len(),
        written,
    })
}

/// Options of `learncircle grid`.
#[derive(Clone, Debug, PartialEq)]
pub struct GridOptions {
    /// Lon/lat box: MIN_LON, MIN_LAT, MAX_LON, MAX_LAT (WGS84); must hold 4 numbers.
    pub bbox: Vec<f64>,
    /// Cell size, metres.
    pub cell_m: f64,
    /// Uniform residents per km² written to every cell.
    pub density_per_km2: f64,
    /// Output CSV.
    pub out: PathBuf,
}

/// Options of `learncircle export-network`.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportNetworkOptions {
    /// OpenStreetMap extract (.osm.pbf or .osm XML).
    pub network: PathBuf,
    /// Components with less walkable length are not snapping targets, metres.
    pub min_component_m: f64,
    /// Output GeoJSON file.
    pub out: PathBuf,
}

/// `learncircle grid`: a regular grid of cell centres over a lon/lat box, with a
/// uniform density (an assumption the user states).
///
/// # Errors
/// On a bad box or cell size, or when the file cannot be written.
pub fn write_grid(a: &GridOptions) -> Result<()> {
    let [min_lon, min_lat, max_lon, max_lat] = a.bbox[..] else {
        bail!("--bbox needs exactly 4 numbers: MIN_LON,MIN_LAT,MAX_LON,MAX_LAT");
    };
    let b = [min_lon, min_lat, max_lon, max_lat];
    if !(b.iter().all(|v| v.is_finite()) && b[0] < b[2] && b[1] < b[3]) {
        bail!("--bbox must be MIN_LON,MIN_LAT,MAX_LON,MAX_LAT with min < max");
    }
    crate::input::check_lon_lat_pair(b[0], b[1]).map_err(anyhow::Error::msg)?;
    crate::input::check_lon_lat_pair(b[2], b[3]).map_err(anyhow::Error::msg)?;
    if !(a.cell_m.is_finite() && a.cell_m >= 1.0 && a.cell_m <= 100_000.0) {
        bail!("--cell-m {} must be in [1, 100000]", a.cell_m);
    }
    if !(a.density_per_km2.is_finite() && a.density_per_km2 >= 0.0) {
        bail!("--density-per-km2 must be ≥ 0");
    }
    let proj = LocalProjection::centred_on(b)?;
    let cells = crate::analysis::grid::cells_in_bbox(b, a.cell_m, &proj)?;
    let per_cell = a.density_per_km2 * a.cell_m * a.cell_m / 1e6;
    export::write_file_atomic(&a.out, |w| {
        writeln!(w, "cell_id,lon,lat,population")?;
        for c in &cells {
            writeln!(
                w,
                "{},{:.6},{:.6},{}",
                c.id,
                c.lon,
                c.lat,
                export::fmt_population(per_cell)
            )?;
        }
        Ok(())
    })?;
    Ok(())
}

/// `learncircle export-network`: the cleaned walking graph as GeoJSON.
///
/// # Errors
/// When the OSM file cannot be read or has nothing walkable, or the output cannot
/// be written.
pub fn export_network(a: &ExportNetworkOptions) -> Result<crate::network::GraphSummary> {
    use crate::network::{Graph, GraphOptions, osm};
    if !(a.min_component_m.is_finite() && a.min_component_m >= 0.0) {
        bail!("--min-component-m must be ≥ 0");
    }
    let is_walkable = |tags: &[(&str, &str)]| crate::network::walkable(tags).is_some();
    let selection = osm::OsmSelection {
        ways: Some(&is_walkable),
        ..osm::OsmSelection::default()
    };
    let data = osm::read_osm(&a.network, &selection)?;
    let bbox = bbox_of(data.nodes.iter().map(|n| (n.lon(), n.lat()))).with_context(|| {
        format!(
            "{}: no walkable way has nodes in the file",
            a.network.display()
        )
    })?;
    let proj = LocalProjection::centred_on(bbox)?;
    let graph = Graph::from_osm_data(
        &a.network,
        &data,
        &proj,
        &GraphOptions {
            min_component_m: a.min_component_m,
        },
    )?;
    export::write_file_atomic(&a.out, |w| crate::network::write_geojson(&graph, &proj, w))?;
    Ok(graph.summary())
}

/// Where generated candidates come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CandidateSource {
    /// Centres of the uncovered, populated cells (the gap zones).
    Cells,
    /// Walking-network nodes inside the gap zones (network mode).
    Nodes,
    /// Both.
    Both,
}

/// Validated options of `learncircle recommend`.
#[derive(Clone, Debug)]
pub struct RecommendOptions {
    /// The study (inputs, config, engine, output directory).
    pub study: CoverageOptions,
    /// Category to site.
    pub category: String,
    /// Number of new sites.
    pub k: usize,
    /// Candidate locations file (else generated).
    pub candidates: Option<PathBuf>,
    /// Datum of the candidates file.
    pub candidates_crs: InputCrs,
    /// Generated candidates: cells, nodes or both.
    pub candidates_from: CandidateSource,
    /// Capacity of every candidate without its own (persons).
    pub capacity: Option<f64>,
    /// Also solve exactly (small instances) and report the greedy's gap.
    pub exact: bool,
}

/// A candidate location.
#[derive(Clone, Debug)]
struct Candidate {
    id: String,
    name: String,
    xy: [f64; 2],
    capacity: Option<f64>,
}

/// What `recommend` hands back.
#[derive(Debug)]
pub struct RecommendOutcome {
    /// `recommend.json` content.
    pub summary: serde_json::Value,
    /// Rejected records.
    pub rejected: usize,
    /// Files written.
    pub written: Vec<PathBuf>,
}

/// Run `learncircle recommend`: maximal covering location with the existing sites
/// of the category held fixed.
///
/// # Errors
/// Fatal input problems, an unknown category, or an exact instance too large.
pub fn run_recommend(opts: &RecommendOptions) -> Result<RecommendOutcome> {
    let mut timer = Timer::new();
    let mut outputs = OutputSet::prepare(&opts.study.out)?;
    if opts.k == 0 {
        bail!("-k must be at least 1");
    }
    if let Some(c) = opts.capacity {
        if !(c.is_finite() && c > 0.0) {
            bail!("--capacity {c}: must be a positive number of persons");
        }
    }
    let study = load_study(&opts.study, &mut timer)?;
    let mut rejected = study.rejected.clone();
    let Some(cat) = study
        .categories
        .iter()
        .find(|c| c.name == opts.category || c.matches(&opts.category))
    else {
        bail!(
            "unknown category {:?} (categories of this run: {})",
            opts.category,
            study
                .categories
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    };
    let engines = study.engines();
    let engine = engines.engine();
    let progress = Progress::stage("baseline coverage");
    let existing: Vec<Site> = study
        .sites
        .iter()
        .filter(|s| s.category == cat.name)
        .cloned()
        .collect();
    let base = coverage::compute(
        &study.cells,
        std::slice::from_ref(cat),
        &existing,
        engine,
        study.run.search_factor,
    );
    let covered = &base.categories[0].covered;
    progress.finish();
    timer.stage("baseline coverage");

    let elderly_layer = cat.layer == Layer::Elderly && study.has_elderly;
    let population: Vec<f64> = study.cells.iter().map(|c| c.population).collect();
    let elderly: Vec<f64> = study
        .cells
        .iter()
        .map(|c| c.elderly.unwrap_or(0.0))
        .collect();
    let demand: &[f64] = if elderly_layer { &elderly } else { &population };

    let candidates: Vec<Candidate> = match &opts.candidates {
        Some(path) => {
            let read = crate::input::sites::read_candidates(path, opts.candidates_crs)?;
            rejected.extend(read.rejected);
            let file = path.display().to_string();
            let mut out = Vec::new();
            for s in read.sites {
                if !s.category.is_empty() && !cat.matches(&s.category) {
                    rejected.push(Rejected::new(
                        &file,
                        &s.location,
                        format!(
                            "candidate for category {:?}, not {:?}",
                            s.category, cat.name
                        ),
                    ));
                    continue;
                }
                match study.proj.forward(s.lon, s.lat) {
                    Ok(xy) => out.push(Candidate {
                        id: s.id,
                        name: s.name,
                        xy,
                        capacity: s.capacity.or(opts.capacity),
                    }),
                    Err(e) => rejected.push(Rejected::new(&file, &s.location, e.to_string())),
                }
            }
            if out.is_empty() {
                bail!("{file}: no usable candidate for category {:?}", cat.name);
            }
            out
        }
        None => generate_candidates(&study, covered, opts.candidates_from, opts.capacity)?,
    };
    timer.stage("candidates");

    let progress = Progress::stage("candidate catchments");
    let xy: Vec<[f64; 2]> = candidates.iter().map(|c| c.xy).collect();
    let catchments = engine.catchments(&xy, &cat.profile, cat.threshold_m);
    progress.finish();
    timer.stage("candidate catchments");
    let unreachable = catchments.iter().filter(|c| c.is_empty()).count();
    let capacity: Vec<Option<f64>> = candidates.iter().map(|c| c.capacity).collect();
    let problem = crate::analysis::recommend::Problem {
        demand,
        population: &population,
        elderly: &elderly,
        covered,
        catchments: &catchments,
        capacity: &capacity,
    };
    let picks = crate::analysis::recommend::lazy_greedy(&problem, opts.k);
    timer.stage("greedy");
    let exact = if opts.exact {
        let e = crate::analysis::recommend::exact(&problem, opts.k)?;
        timer.stage("exact");
        Some(e)
    } else {
        None
    };

    let layer_total: f64 = demand.iter().sum();
    let base_covered: f64 = demand
        .iter()
        .zip(covered)
        .filter(|(_, c)| **c)
        .map(|(d, _)| d)
        .sum();
    let mut cumulative = base_covered;
    let mut rows = Vec::with_capacity(picks.len());
    for (rank, p) in picks.iter().enumerate() {
        cumulative += p.gain;
        let c = &candidates[p.candidate];
        let (lon, lat) = study.proj.inverse(c.xy);
        rows.push(RecommendRow {
            rank: rank + 1,
            candidate_id: c.id.clone(),
            name: c.name.clone(),
            lon,
            lat,
            capacity: c.capacity,
            gain: p.gain,
            gain_population: p.gain_population,
            gain_elderly: elderly_layer
                .then_some(p.gain_elderly)
                .or(study.has_elderly.then_some(p.gain_elderly)),
            cumulative_covered: cumulative,
            cumulative_share: crate::analysis::coverage::share(cumulative, layer_total),
        });
    }
    let greedy_total: f64 = picks.iter().map(|p| p.gain).sum();
    let summary = serde_json::json!({
        "learncircle_version": env!("CARGO_PKG_VERSION"),
        "category": cat.name,
        "k": opts.k,
        "chosen": picks.len(),
        "mode": study.mode,
        "layer": if elderly_layer { "elderly" } else { "total" },
        "threshold_m": cat.threshold_m,
        "candidates": candidates.len(),
        "candidates_source": if opts.candidates.is_some() { "file".to_owned() } else { format!("{:?}", opts.candidates_from).to_lowercase() },
        "candidates_unreachable": unreachable,
        "capacity": opts.capacity,
        "layer_total": report::round_pop(layer_total),
        "covered_before": report::round_pop(base_covered),
        "covered_after": report::round_pop(cumulative),
        "share_before": report::round_share(crate::analysis::coverage::share(base_covered, layer_total)),
        "share_after": report::round_share(crate::analysis::coverage::share(cumulative, layer_total)),
        "greedy_gain": report::round_pop(greedy_total),
        "exact": exact.as_ref().map(|e| serde_json::json!({
            "optimum_gain": report::round_pop(e.objective),
            "chosen": e.chosen.iter().map(|&j| candidates[j].id.clone()).collect::<Vec<_>>(),
            "greedy_share_of_optimum": report::round_share(if e.objective > 0.0 { greedy_total / e.objective } else { 1.0 }),
        })),
        "method": "maximal covering location, existing sites fixed; lazy greedy (≥ 1 − 1/e of the optimum)",
        "rejected": rejected.len(),
        "timings_ms": timer.finish(),
    });
    outputs.write("recommend.csv", |w| {
        write_recommend_csv(w, &rows, &cat.name)
    })?;
    outputs.write("recommend.geojson", |w| {
        write_recommend_geojson(w, &rows, &cat.name)
    })?;
    let json = serde_json::to_string_pretty(&summary)?;
    outputs.write("recommend.json", |w| {
        w.write_all(json.as_bytes())?;
        w.write_all(b"\n")
    })?;
    if !rejected.is_empty() {
        outputs.write("recommend_rejected.csv", |w| {
            export::rejected_csv(w, &rejected)
        })?;
    }
    let written = outputs.commit()?;
    Ok(RecommendOutcome {
        summary,
        rejected: rejected.len(),
        written,
    })
}

/// Candidates generated inside the gap zones of the category.
fn generate_candidates(
    study: &Study,
    covered: &[bool],
    source: CandidateSource,
    capacity: Option<f64>,
) -> Result<Vec<Candidate>> {
    let mut out = Vec::new();
    if matches!(source, CandidateSource::Cells | CandidateSource::Both) {
        for (i, c) in study.cells.iter().enumerate() {
            if !covered[i] && c.population > 0.0 {
                out.push(Candidate {
                    id: format!("cell:{}", c.id),
                    name: String::new(),
                    xy: c.xy,
                    capacity,
                });
            }
        }
    }
    if matches!(source, CandidateSource::Nodes | CandidateSource::Both) {
        let Some(g) = &study.graph else {
            bail!("--candidates-from nodes needs the walking network (--network, network mode)");
        };
        // A node is inside a gap zone when the nearest cell centre (within 0.75 of the
        // cell spacing) is an uncovered, populated cell.
        let spacing = crate::analysis::gaps::median_spacing(&study.cells_xy);
        let reach2 = (0.75 * spacing) * (0.75 * spacing);
        let tree = rstar::RTree::bulk_load(
            study
                .cells_xy
                .iter()
                .enumerate()
                .map(|(i, xy)| rstar::primitives::GeomWithData::new(*xy, i))
                .collect(),
        );
        for (v, xy) in g.node_xy().iter().enumerate() {
            if !g.components()[g.node_component()[v] as usize].eligible {
                continue;
            }
            if let Some(n) = tree.nearest_neighbor(xy) {
                let d2 = (n.geom()[0] - xy[0]).powi(2) + (n.geom()[1] - xy[1]).powi(2);
                let i = n.data;
                if d2 <= reach2 && !covered[i] && study.cells[i].population > 0.0 {
                    out.push(Candidate {
                        id: format!("node:{}", g.osm_id()[v]),
                        name: String::new(),
                        xy: *xy,
                        capacity,
                    });
                }
            }
        }
    }
    if out.is_empty() {
        bail!("no candidate location: every populated cell is already covered for this category");
    }
    Ok(out)
}

struct RecommendRow {
    rank: usize,
    candidate_id: String,
    name: String,
    lon: f64,
    lat: f64,
    capacity: Option<f64>,
    gain: f64,
    gain_population: f64,
    gain_elderly: Option<f64>,
    cumulative_covered: f64,
    cumulative_share: f64,
}

fn recommend_fields(r: &RecommendRow, category: &str) -> Vec<(&'static str, String, bool)> {
    let pop = |v: f64| export::fmt_population((v * 1e4).round() / 1e4);
    vec![
        ("rank", r.rank.to_string(), true),
        ("candidate_id", r.candidate_id.clone(), false),
        ("category", category.to_owned(), false),
        ("lon", format!("{:.6}", r.lon), true),
        ("lat", format!("{:.6}", r.lat), true),
        ("gain_population", pop(r.gain_population), true),
        (
            "gain_elderly",
            r.gain_elderly.map(pop).unwrap_or_default(),
            true,
        ),
        ("cumulative_covered", pop(r.cumulative_covered), true),
        (
            "cumulative_share",
            format!("{:.6}", r.cumulative_share),
            true,
        ),
        ("name", r.name.clone(), false),
        ("capacity", r.capacity.map(pop).unwrap_or_default(), true),
        ("gain_served", pop(r.gain), true),
    ]
}

/// `recommend.csv`: `rank,candidate_id,category,lon,lat,gain_population,gain_elderly,
/// cumulative_covered,cumulative_share`, then `name,capacity,gain_served`.
/// Cumulative values count the category's layer (elderly for elderly categories).
fn write_recommend_csv(
    w: &mut dyn std::io::Write,
    rows: &[RecommendRow],
    category: &str,
) -> std::io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    let header: Vec<&str> = recommend_fields(
        &RecommendRow {
            rank: 0,
            candidate_id: String::new(),
            name: String::new(),
            lon: 0.0,
            lat: 0.0,
            capacity: None,
            gain: 0.0,
            gain_population: 0.0,
            gain_elderly: None,
            cumulative_covered: 0.0,
            cumulative_share: 0.0,
        },
        category,
    )
    .iter()
    .map(|f| f.0)
    .collect();
    out.write_record(&header)?;
    for r in rows {
        out.write_record(recommend_fields(r, category).iter().map(|f| &f.1))?;
    }
    out.flush()
}

fn write_recommend_geojson(
    w: &mut dyn std::io::Write,
    rows: &[RecommendRow],
    category: &str,
) -> std::io::Result<()> {
    writeln!(
        w,
        "{{\"type\":\"FeatureCollection\",\"name\":\"recommend\",\"features\":["
    )?;
    for (i, r) in rows.iter().enumerate() {
        let mut props = serde_json::Map::new();
        for (name, value, num) in recommend_fields(r, category) {
            let v = if value.is_empty() {
                serde_json::Value::Null
            } else if num {
                serde_json::from_str(&value).unwrap_or(serde_json::Value::String(value))
            } else {
                serde_json::Value::String(value)
            };
            props.insert(name.to_owned(), v);
        }
        write!(
            w,
            "{}{{\"type\":\"Feature\",\"geometry\":{{\"type\":\"Point\",\"coordinates\":[{:.6},{:.6}]}},\"properties\":{}}}",
            if i > 0 { ",\n" } else { "" },
            r.lon,
            r.lat,
            serde_json::to_string(&props).map_err(std::io::Error::other)?
        )?;
    }
    writeln!(w, "\n]}}")
}
pub mod demo;
pub mod tile;
