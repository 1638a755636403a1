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
use crate::progress::Progress;
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
    let progress = Progress::stage("reading inputs");
    let sites_read = read_sites(&opts.sites, opts.sites_crs)?;
    let pop = read_population(&opts.population, opts.population_crs)?;
    progress.finish();
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

    let progress = Progress::stage("computing walking distances and coverage");
    let cells_xy: Vec<[f64; 2]> = cells.iter().map(|c| c.xy).collect();
    let engine: Box<dyn Reach + '_> = match mode {
        Mode::Straight => Box::new(Euclidean::new(&cells_xy, run.circuity)),
        Mode::Network => bail!("network mode is not available in this build"),
    };
    let cov: Coverage = coverage::compute(
        &cells,
        &categories,
        &sites,
        engine.as_ref(),
        run.search_factor,
    );
    progress.finish();
    timer.stage("distances and coverage");

    let method = match mode {
        Mode::Straight => format!("straight_x{:.2}_approximation", run.circuity),
        Mode::Network => "network".to_owned(),
    };
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
        network: None,
        rejected: RejectedCounts {
            total: rejected.len(),
            by_file,
        },
        warnings,
        timings_ms: Vec::new(),
    };
    timer.stage("summarise");

    let progress = Progress::stage("writing outputs");
    outputs.write("cells.csv", |w| {
        export::cells_csv(w, &cells, &cov, has_elderly, &method)
    })?;
    outputs.write("cells.geojson", |w| {
        export::cells_geojson(w, &cells, &cov, has_elderly, &method)
    })?;
    outputs.write("rejected.csv", |w| export::rejected_csv(w, &rejected))?;
    let site_used = site_usage(&sites, &cov);
    outputs.write("sites.csv", |w| export::sites_csv(w, &sites, &site_used))?;
    timer.stage("write outputs");
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
