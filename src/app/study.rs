//! Reading, validating and projecting one study (sites, population, units,
//! configuration, walking graph): the part `coverage`, `recommend`, what-if and
//! tile runs share.

use anyhow::{Context, Result, bail};

use crate::analysis::coverage::Coverage;
use crate::analysis::distance::{Euclidean, Reach};
use crate::base::model::{Cell, Positioned, RawCell, RawSite, Rejected, Site, bbox_of};
use crate::base::progress::Progress;
use crate::base::timing::Timer;
use crate::config::{Category, Config, Layer, PLANNING_SPEED_M_PER_MIN, RunSettings};
use crate::crs::{InputCrs, LocalProjection};
use crate::input::workbook::is_workbook;
use crate::input::{population::read_population_in, sites::read_sites_in};
use crate::present::report;

use super::{ConfigSource, CoverageOptions, Mode, PopulationFormatOptions};

pub(super) fn load_config(src: &ConfigSource) -> Result<Config> {
    Ok(match src {
        ConfigSource::File(p) => Config::from_path(p)?,
        ConfigSource::Preset(name) => Config::preset(name)?,
        ConfigSource::None => Config::defaults(),
    })
}

/// Resolve the categories of a run and assign each site to one; sites whose
/// category is not analysed are rejected.
pub(super) fn assign_categories(
    config: &Config,
    raw: Vec<RawSite>,
    threshold_m: f64,
    file: &str,
    rejected: &mut Vec<Rejected>,
) -> (Vec<Category>, Vec<RawSite>) {
    if config.categories.is_empty() {
        let cats = Category::uniform(raw.iter().map(|s| s.category.as_str()), threshold_m);
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

/// Records projected to local metres; a record whose position cannot be
/// projected becomes a rejected row.
fn project_all<R: Positioned, T>(
    raw: Vec<R>,
    proj: &LocalProjection,
    file: &str,
    rejected: &mut Vec<Rejected>,
    make: impl Fn(R, [f64; 2]) -> T,
) -> Vec<T> {
    let mut out = Vec::with_capacity(raw.len());
    for r in raw {
        let (lon, lat, location) = r.position();
        match proj.forward(lon, lat) {
            Ok(xy) => out.push(make(r, xy)),
            Err(e) => rejected
                .push(Rejected::new(file, location, e.to_string()).with_population(r.residents())),
        }
    }
    out
}

/// Per site (input order): whether its category's engine could use it.
pub(super) fn site_usage(sites: &[Site], cov: &Coverage) -> Vec<bool> {
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
    if matches!(ext.as_str(), "csv" | "txt" | "tsv" | "geojson" | "json") || is_workbook(path) {
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
        return read_population_points(opts);
    }
    if opts.population_crs != InputCrs::Wgs84 {
        bail!(
            "--population-crs applies to CSV/GeoJSON points; {} carries its own CRS",
            path.display()
        );
    }
    let po = population_file_options(f)?;
    let r = crate::input::population_file::read_population_file(path, &po)?;
    let (has_elderly, input_total, clipped, report) = population_file_facts(&r.report, &ext);
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

/// CSV/GeoJSON population points (or cells), clipped to `--clip`.
///
/// # Errors
/// An unreadable file, or no cell inside the clip area.
fn read_population_points(opts: &CoverageOptions) -> Result<PopulationInput> {
    let (path, f) = (&opts.population, &opts.population_format);
    let r = read_population_in(path, opts.sheets.of("population"), opts.population_crs)?;
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
    Ok(input)
}

/// Reader options of a raster, GeoPackage or shapefile population input.
///
/// # Errors
/// An unreadable clip area.
fn population_file_options(
    f: &PopulationFormatOptions,
) -> Result<crate::input::population_file::PopulationOptions> {
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
    Ok(po)
}

/// Elderly layer present, Σ input population, Σ clipped, and the format facts
/// for `summary.json` → `inputs.population_format`.
fn population_file_facts(
    report: &crate::input::population_file::PopulationReport,
    ext: &str,
) -> (bool, f64, f64, serde_json::Value) {
    match report {
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
    }
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
    /// Unit levels (local metres), coarsest first; empty without `--units`.
    pub levels: Vec<crate::analysis::units::UnitLevel>,
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
        sheet: Option<&str>,
        crs: InputCrs,
        rejected: &mut Vec<Rejected>,
    ) -> Result<Vec<Site>> {
        let read = read_sites_in(path, sheet, crs)?;
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
        Ok(project_all(
            kept,
            &self.proj,
            &file,
            rejected,
            Site::from_raw,
        ))
    }
}

/// An OSM extract read once — its walkable ways and the nodes they reference, in
/// WGS84 — so several runs on one city need not decode the file again (the Python
/// package's `read_network`). Each run builds its graph with its own projection,
/// exactly as [`crate::network::Graph::from_osm_file`] would.
pub struct WalkingNetwork {
    path: std::path::PathBuf,
    data: crate::network::osm::OsmData,
}

impl WalkingNetwork {
    /// Read the walkable part of an OSM PBF or XML file.
    ///
    /// # Errors
    /// When the file cannot be read (the same errors as a run reading it).
    pub fn read(path: &std::path::Path) -> Result<Self> {
        Ok(Self {
            path: path.to_path_buf(),
            data: crate::network::read_walkable(path)?,
        })
    }

    /// The file it was read from.
    #[must_use]
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// Nodes and walkable ways kept.
    #[must_use]
    pub fn counts(&self) -> (usize, usize) {
        (self.data.nodes.len(), self.data.ways.len())
    }

    /// The walkable ways and their nodes (WGS84), for `route`.
    pub(super) fn data(&self) -> &crate::network::osm::OsmData {
        &self.data
    }
}

/// Read, validate and project everything a run needs (and the network in network
/// mode). Fatal problems are errors; row problems are in `Study::rejected`.
///
/// # Errors
/// Any fatal input or configuration problem.
pub fn load_study(opts: &CoverageOptions, timer: &mut Timer) -> Result<Study> {
    load(opts, timer, Net::File)
}

/// [`load_study`] with the network already read: its graph is built from
/// `network` instead of reading `opts.network` (which still selects the engine and
/// names the file in the outputs). `None` reads the file as [`load_study`] does.
///
/// # Errors
/// Any fatal input or configuration problem.
pub fn load_study_on(
    opts: &CoverageOptions,
    timer: &mut Timer,
    network: Option<&WalkingNetwork>,
) -> Result<Study> {
    load(opts, timer, network.map_or(Net::File, Net::Read))
}

/// Where a study's graph comes from.
#[derive(Clone, Copy)]
enum Net<'a> {
    /// Read `opts.network`.
    File,
    /// Not built (tile plans and merges).
    Skip,
    /// Built from a network read before.
    Read(&'a WalkingNetwork),
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
    load(
        opts,
        timer,
        if with_network { Net::File } else { Net::Skip },
    )
}

fn load(opts: &CoverageOptions, timer: &mut Timer, net: Net<'_>) -> Result<Study> {
    let mut warnings: Vec<String> = Vec::new();
    let config = load_config(&opts.config)?;
    let (run, threshold_m, mode) = run_settings(opts, &config)?;
    timer.stage("config");
    let read = read_inputs(opts, &config)?;
    timer.stage("read inputs");
    let p = validate_and_project(opts, &config, threshold_m, read, &mut warnings)?;
    timer.stage("validate and project");
    if opts.strict && !p.rejected.is_empty() {
        let r = &p.rejected[0];
        bail!(
            "--strict: {} input records rejected; first: {}: {}: {}",
            p.rejected.len(),
            r.file,
            r.location,
            r.reason
        );
    }
    let progress = Progress::stage("reading the walking network");
    let cells_xy: Vec<[f64; 2]> = p.cells.iter().map(|c| c.xy).collect();
    let graph = if let Net::Skip = net {
        straight_mode_warning(opts, mode, &mut warnings);
        None
    } else {
        read_graph(opts, mode, &p.proj, timer, &mut warnings, net)?
    };
    progress.finish();
    Ok(Study {
        config,
        run,
        mode,
        categories: p.categories,
        cells: p.cells,
        cells_xy,
        sites: p.sites,
        levels: p.levels,
        proj: p.proj,
        graph,
        rejected: p.rejected,
        warnings,
        sites_file: opts.sites.display().to_string(),
        pop_file: opts.population.display().to_string(),
        sites_read: p.sites_read,
        has_elderly: p.pop.has_elderly,
        input_total: p.pop.input_total,
        clipped: p.pop.clipped,
        pop_report: p.pop.report,
    })
}

/// Run settings after the command-line overrides, the no-config threshold and
/// the distance engine.
///
/// # Errors
/// On a circuity or threshold out of range, or `--mode network` without a network.
fn run_settings(opts: &CoverageOptions, config: &Config) -> Result<(RunSettings, f64, Mode)> {
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
    Ok((run, threshold_m, mode))
}

/// The input files as read, before validation against each other.
struct ReadInputs {
    sites: Vec<RawSite>,
    pop: PopulationInput,
    units: Vec<(
        crate::input::units::UnitsSource,
        crate::input::units::UnitsRead,
    )>,
    rejected: Vec<Rejected>,
    /// Site rows read (used + rejected at read time).
    sites_read: usize,
}

/// Sites, population (any format) and units, with their rejected rows.
///
/// # Errors
/// A file that cannot be read at all.
fn read_inputs(opts: &CoverageOptions, config: &Config) -> Result<ReadInputs> {
    let progress = Progress::stage("reading inputs");
    let sites_read = read_sites_in(&opts.sites, opts.sheets.of("sites"), opts.sites_crs)?;
    let mut pop = read_population_any(opts)?;
    if opts.population_format.integer {
        require_integers(&mut pop, &opts.population.display().to_string())?;
    }
    crate::input::units::check_sources(&opts.units).map_err(anyhow::Error::msg)?;
    let sources = if opts.units.is_empty() {
        &config.units
    } else {
        &opts.units
    };
    let units = sources
        .iter()
        .map(|s| {
            let read = crate::input::units::read_units_with(
                &s.path,
                s.crs.unwrap_or(opts.units_crs),
                &s.fields,
            )?;
            Ok((s.clone(), read))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut rejected: Vec<Rejected> = sites_read.rejected;
    let n_sites = sites_read.sites.len() + rejected.len();
    rejected.append(&mut pop.rejected);
    progress.finish();
    Ok(ReadInputs {
        sites: sites_read.sites,
        pop,
        units,
        rejected,
        sites_read: n_sites,
    })
}

/// Records validated against each other and projected to local metres.
struct Projected {
    categories: Vec<Category>,
    cells: Vec<Cell>,
    sites: Vec<Site>,
    levels: Vec<crate::analysis::units::UnitLevel>,
    proj: LocalProjection,
    rejected: Vec<Rejected>,
    sites_read: usize,
    pop: PopulationInput,
}

/// Categories assigned, coordinates checked (swapped, far away), the local
/// projection chosen from the population, cells, sites and units projected.
///
/// # Errors
/// No site of an analysed category, swapped coordinates, nothing projectable.
fn validate_and_project(
    opts: &CoverageOptions,
    config: &Config,
    threshold_m: f64,
    read: ReadInputs,
    warnings: &mut Vec<String>,
) -> Result<Projected> {
    let sites_file = opts.sites.display().to_string();
    let pop_file = opts.population.display().to_string();
    let ReadInputs {
        sites: sites_in,
        mut pop,
        units: units_read,
        mut rejected,
        sites_read,
    } = read;
    let (categories, raw_sites) =
        assign_categories(config, sites_in, threshold_m, &sites_file, &mut rejected);
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
    check_site_positions(&raw_sites, pop_bbox, &sites_file, &pop_file, warnings)?;
    let proj = LocalProjection::centred_on(pop_bbox)?;
    let cells = project_all(
        std::mem::take(&mut pop.cells),
        &proj,
        &pop_file,
        &mut rejected,
        Cell::from_raw,
    );
    let sites = project_all(raw_sites, &proj, &sites_file, &mut rejected, Site::from_raw);
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
    let levels = project_levels(units_read, &proj, &categories, warnings, &mut rejected)?;
    Ok(Projected {
        categories,
        cells,
        sites,
        levels,
        proj,
        rejected,
        sites_read,
        pop,
    })
}

/// Unit levels projected, each linked to the level above by area share;
/// straddling units and categories bound to a level the run lacks are warnings.
///
/// # Errors
/// A vertex that cannot be projected.
fn project_levels(
    read: Vec<(
        crate::input::units::UnitsSource,
        crate::input::units::UnitsRead,
    )>,
    proj: &LocalProjection,
    categories: &[Category],
    warnings: &mut Vec<String>,
    rejected: &mut Vec<Rejected>,
) -> Result<Vec<crate::analysis::units::UnitLevel>> {
    use crate::analysis::units::{STRADDLE_SHARE, Unit, UnitLevel, find_parents};
    let mut levels: Vec<UnitLevel> = Vec::with_capacity(read.len());
    for (source, u) in read {
        warnings.extend(u.warnings);
        rejected.extend(u.rejected);
        let units: Vec<Unit> = u
            .units
            .into_iter()
            .map(|raw| Unit::project(raw, proj))
            .collect::<Result<_, _>>()?;
        let parents = match levels.last() {
            Some(above) => find_parents(&units, &above.units),
            None => Vec::new(),
        };
        let level = UnitLevel {
            name: source.level.clone(),
            file: source.path.display().to_string(),
            units,
            parents,
        };
        if let Some(above) = levels.last() {
            let straddling: Vec<String> = level
                .units
                .iter()
                .zip(&level.parents)
                .filter_map(|(c, p)| match p {
                    Some(p) if p.straddles() => Some(format!(
                        "{} ({:.0} % in {})",
                        c.id,
                        p.share * 100.0,
                        above.units[p.index as usize].id
                    )),
                    Some(_) => None,
                    None => Some(format!(
                        "{} (in no {})",
                        c.id,
                        above.name.as_deref().unwrap_or("")
                    )),
                })
                .collect();
            if !straddling.is_empty() {
                warnings.push(format!(
                    "unit level {:?}: {} of {} units straddle their parent {:?} (less than {:.0} % of the area inside one; see parent_share in {}.csv): {}",
                    level.name.as_deref().unwrap_or(""),
                    straddling.len(),
                    level.units.len(),
                    above.name.as_deref().unwrap_or(""),
                    STRADDLE_SHARE * 100.0,
                    level.stem(),
                    first_few(&straddling)
                ));
            }
        }
        levels.push(level);
    }
    if levels.iter().any(|l| l.name.is_some()) {
        for c in categories {
            if let Some(l) = &c.level
                && !levels.iter().any(|x| x.name.as_ref() == Some(l))
            {
                warnings.push(format!(
                    "category {:?} belongs to unit level {l:?}, which this run does not have (levels: {}); its has_site is not judged per {l}",
                    c.name,
                    levels.iter().filter_map(|x| x.name.as_deref()).collect::<Vec<_>>().join(", ")
                ));
            }
        }
    }
    Ok(levels)
}

/// The first ten items, then `… (N more)`.
fn first_few(items: &[String]) -> String {
    let mut s = items
        .iter()
        .take(10)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > 10 {
        s.push_str(&format!(", … ({} more)", items.len() - 10));
    }
    s
}

/// Sites whose lon/lat look swapped are an error; sites far from the population
/// are a warning.
fn check_site_positions(
    raw_sites: &[RawSite],
    pop_bbox: [f64; 4],
    sites_file: &str,
    pop_file: &str,
    warnings: &mut Vec<String>,
) -> Result<()> {
    let site_points: Vec<(f64, f64)> = raw_sites.iter().map(|s| (s.lon, s.lat)).collect();
    if crate::input::looks_swapped(&site_points, pop_bbox) {
        bail!(
            "{sites_file}: lon and lat appear to be swapped: the sites lie far from the population in \
             {pop_file} unless their two coordinates are exchanged (check the column order)"
        );
    }
    warnings.extend(check_sites_near(raw_sites, pop_bbox, sites_file, pop_file)?);
    Ok(())
}

/// The walking graph in network mode (with a warning for ways whose nodes are
/// missing from the file); a warning that the network is unused in straight mode.
///
/// # Errors
/// When the OSM file cannot be read or has nothing walkable.
fn read_graph(
    opts: &CoverageOptions,
    mode: Mode,
    proj: &LocalProjection,
    timer: &mut Timer,
    warnings: &mut Vec<String>,
    net: Net<'_>,
) -> Result<Option<crate::network::Graph>> {
    let (Mode::Network, Some(path)) = (mode, &opts.network) else {
        straight_mode_warning(opts, mode, warnings);
        return Ok(None);
    };
    let graph_opts = crate::network::GraphOptions::default();
    let g = match net {
        Net::Read(n) => crate::network::Graph::from_osm_data(path, &n.data, proj, &graph_opts)?,
        Net::File | Net::Skip => crate::network::Graph::from_osm_file(path, proj, &graph_opts)?,
    };
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
    Ok(Some(g))
}

fn straight_mode_warning(opts: &CoverageOptions, mode: Mode, warnings: &mut Vec<String>) {
    if let (Mode::Straight, Some(path)) = (mode, &opts.network) {
        warnings.push(format!(
            "--mode straight: the network {} is not used",
            path.display()
        ));
    }
}
