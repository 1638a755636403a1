//! Orchestration: the only module that knows the order of the stages.
//!
//! `run_coverage` reads inputs, validates them into model records, projects them,
//! runs the distance engine, computes coverage and writes every output through an
//! atomic [`OutputSet`]. Fatal problems return an error before anything is written.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use crate::config::{Category, Config, Layer, PLANNING_SPEED_M_PER_MIN};
use crate::coverage::{self, Coverage};
use crate::crs::{InputCrs, LocalProjection};
use crate::distance::{Euclidean, Reach};
use crate::export::{self, OutputSet};
use crate::input::{population::read_population, sites::read_sites};
use crate::model::{Cell, RawCell, RawSite, Rejected, Site};
use crate::report::{self, Inputs, ProjectionInfo, RejectedCounts, RunFacts, Summary};
use crate::timing::Timer;

/// Distance engine choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
pub enum Mode {
    /// Straight line × circuity (an approximation).
    Straight,
    /// Along the OpenStreetMap pedestrian network.
    Network,
}

/// Where categories and settings come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigSource {
    /// A TOML file.
    File(PathBuf),
    /// A built-in preset.
    Preset(String),
    /// No config: every site category at one threshold.
    None,
}

/// Validated options of `learncircle coverage`.
#[derive(Clone, Debug)]
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
    pub unit_assignment: crate::units::Assignment,
    /// Gap-zone link distance (default 1.5 × median cell spacing).
    pub gap_link_m: Option<f64>,
    /// 2SFCA accessibility method (`access.csv`), if requested.
    pub access: Option<crate::access::Method>,
    /// Formats beyond CSV/GeoJSON: rasters, GeoPackage, shapefile.
    pub population_format: PopulationFormatOptions,
}

/// Options for raster / GeoPackage / shapefile population inputs.
#[derive(Clone, Debug, Default)]
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

fn bbox_of(points: impl Iterator<Item = (f64, f64)>) -> Option<[f64; 4]> {
    let mut b = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    let mut any = false;
    for (x, y) in points {
        any = true;
        b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
    }
    any.then_some(b)
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

/// Run `learncircle coverage`.
///
/// # Errors
/// Any fatal input, configuration or output problem; nothing is written then.
pub fn run_coverage(opts: &CoverageOptions) -> Result<RunOutcome> {
    let mut timer = Timer::new();
    let mut warnings: Vec<String> = Vec::new();
    let mut outputs = OutputSet::prepare(&opts.out)?;
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
    let units: Vec<crate::units::Unit> = match units_read {
        None => Vec::new(),
        Some(u) => {
            warnings.extend(u.warnings);
            rejected.extend(u.rejected);
            u.units
                .into_iter()
                .map(|raw| crate::units::Unit::project(raw, &proj))
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

    let cells_xy: Vec<[f64; 2]> = cells.iter().map(|c| c.xy).collect();
    let graph = match (mode, &opts.network) {
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
    let walking = graph.as_ref().map(|g| {
        crate::distance::Walking::new(
            g,
            &cells_xy,
            crate::network::SnapOptions {
                max_snap_m: run.max_snap_m,
                ..crate::network::SnapOptions::default()
            },
        )
    });
    let euclidean = Euclidean::new(&cells_xy, run.circuity);
    let engine: &dyn Reach = match &walking {
        Some(w) => w,
        None => &euclidean,
    };
    if let Some(w) = &walking {
        // Sites that cannot be attached are not used: rejected, with the reason.
        let site_xy: Vec<[f64; 2]> = sites.iter().map(|s| s.xy).collect();
        for (s, snap) in sites.iter().zip(w.site_snaps(&site_xy)) {
            if let Err(why) = snap {
                rejected.push(Rejected::new(
                    &sites_file,
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
    let cov: Coverage = coverage::compute(&cells, &categories, &sites, engine, run.search_factor);
    timer.stage("distances and coverage");

    crate::targets::validate(&config.targets, &cov, opts.units.is_some())
        .map_err(anyhow::Error::msg)?;
    let access: Vec<crate::access::AccessResult> = match opts.access {
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
                crate::access::two_step(
                    method,
                    c.category.threshold_m,
                    &demand,
                    &supply,
                    &catchments,
                )
            })
            .collect(),
    };
    let units_report = if units.is_empty() {
        None
    } else {
        let assignment = crate::units::assign_cells(&cells, &units, opts.unit_assignment, &proj);
        let rep = crate::units::aggregate(
            &cells,
            &cov,
            &sites,
            &units,
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
        Some(rep)
    };
    let target_rows = crate::targets::evaluate(&config.targets, &cov, units_report.as_ref());
    timer.stage("units and targets");

    if let Some(l) = opts.gap_link_m {
        if !(l.is_finite() && l > 0.0) {
            bail!("--gap-link-m {l}: must be a positive number of metres");
        }
    }
    let spacing_m = crate::gaps::median_spacing(&cells_xy);
    let cell_areas = crate::gaps::cell_areas_m2(&cells, spacing_m, &proj);
    let link_m = opts.gap_link_m.unwrap_or(1.5 * spacing_m);
    let mut gaps: Vec<crate::gaps::GapZone> = Vec::new();
    for c in &cov.categories {
        let walk: Vec<Option<f64>> = c
            .reach
            .dist_m
            .iter()
            .map(|d| d.map(|d| d / c.category.profile.speed_m_per_s / 60.0))
            .collect();
        gaps.extend(crate::gaps::gap_zones(
            &c.category.name,
            &cells,
            &c.covered,
            &walk,
            c.category.layer,
            link_m,
            &cell_areas,
        ));
    }
    let worst: Vec<Option<f64>> = (0..cells.len())
        .map(|i| {
            cov.categories.iter().try_fold(0.0_f64, |acc, c| {
                c.reach.dist_m[i].map(|d| acc.max(d / c.category.profile.speed_m_per_s / 60.0))
            })
        })
        .collect();
    gaps.extend(crate::gaps::gap_zones(
        "covered_all",
        &cells,
        &cov.covered_all,
        &worst,
        Layer::Total,
        link_m,
        &cell_areas,
    ));
    timer.stage("gap zones");

    let method = match mode {
        Mode::Straight => format!("straight_x{:.2}_approximation", run.circuity),
        Mode::Network => "network".to_owned(),
    };
    let site_used = site_usage(&sites, &cov);
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
    config_used.categories.clone_from(&categories);
    let has_elderly = pop.has_elderly;
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
            population_input_total: report::round_pop(pop.input_total),
            population_rejected: report::round_pop(population_rejected),
            population_clipped: report::round_pop(pop.clipped),
            population_format: pop.report.clone(),
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
        network: walking.as_ref().map(|w| {
            let mut s = w.summary();
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
                crate::units::Assignment::Centroid => "centroid".into(),
                crate::units::Assignment::Area => "area".into(),
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
        gaps: report::GapsSummary {
            link_m: (link_m * 10.0).round() / 10.0,
            spacing_m: (spacing_m * 10.0).round() / 10.0,
            zones: cov
                .categories
                .iter()
                .map(|c| c.category.name.as_str())
                .chain(std::iter::once("covered_all"))
                .map(|name| {
                    let z: Vec<&crate::gaps::GapZone> =
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

    outputs.write("cells.csv", |w| {
        export::cells_csv(w, &cells, &cov, has_elderly, &method)
    })?;
    outputs.write("cells.geojson", |w| {
        export::cells_geojson(w, &cells, &cov, has_elderly, &method)
    })?;
    outputs.write("rejected.csv", |w| export::rejected_csv(w, &rejected))?;
    outputs.write("sites.csv", |w| export::sites_csv(w, &sites, &site_used))?;
    if let Some(method) = opts.access {
        outputs.write("access.csv", |w| {
            export::access_csv(w, &cells, &cov, &access, method)
        })?;
    }
    outputs.write("gaps.csv", |w| {
        export::gaps_csv(w, &gaps, &proj, has_elderly)
    })?;
    outputs.write("gaps.geojson", |w| {
        export::gaps_geojson(w, &gaps, &cells, spacing_m, &proj, has_elderly)
    })?;
    if let Some(rep) = &units_report {
        outputs.write("units.csv", |w| {
            export::units_csv(w, rep, &cov, has_elderly)
        })?;
        outputs.write("units.geojson", |w| {
            export::units_geojson(w, rep, &units, &cov, has_elderly)
        })?;
    }
    if !config.targets.is_empty() {
        outputs.write("targets.csv", |w| export::targets_csv(w, &target_rows))?;
    }
    timer.stage("write outputs");
    facts.timings_ms = timer.finish();
    let summary = report::summarise(facts, &cov);
    let json = serde_json::to_string_pretty(&summary)?;
    outputs.write("summary.json", |w| {
        w.write_all(json.as_bytes())?;
        w.write_all(b"\n")
    })?;
    let written = outputs.commit()?;
    Ok(RunOutcome {
        summary,
        rejected: rejected.len(),
        written,
    })
}

/// `learncircle grid`: a regular grid of cell centres over a lon/lat box, with a
/// uniform density (an assumption the user states).
///
/// # Errors
/// On a bad box or cell size, or when the file cannot be written.
pub fn write_grid(a: &crate::cli::GridArgs) -> Result<()> {
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
    let cells = crate::grid::cells_in_bbox(b, a.cell_m, &proj)?;
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
