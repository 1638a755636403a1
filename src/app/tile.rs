//! Tiles for clusters: split a study area into tiles with a halo, compute each tile
//! as a separate process (a Slurm array task, a Kubernetes Indexed Job pod), and
//! merge the tiles into the same files a one-machine run writes.
//!
//! * `plan`: tiles of `tile_m` × `tile_m` in the run's local projection, aligned to
//!   its origin; only tiles holding cells are listed, indexed 0…N−1 row by row. The
//!   plan records the inputs (the coverage options), the projection, a fingerprint of
//!   the inputs and, in network mode, the statistics of the whole walking graph.
//! * tile run (`coverage … --tiles tiles.json --tile I`): reads the inputs, keeps the
//!   cells whose centre lies in tile I's core, the sites within the halo, and the
//!   walkable ways with a node within the halo; writes per-cell engine results at
//!   full precision (`tile_cells.jsonl`) and the snapping result of the sites assigned
//!   to the tile (`tile_sites.jsonl`).
//! * `merge DIR…`: checks that every tile of one plan is present exactly once,
//!   re-reads the (small) inputs, assembles the coverage from the tiles and writes the
//!   outputs through the same code as a one-machine run — byte-identical files.
//!
//! # The halo
//! A core cell's result depends only on the network and sites within walking reach:
//! the search bound `B` (largest threshold × search factor). Door-to-door distances
//! include the access legs, so every path of length ≤ B lies within B of the cell.
//! Snapping looks at most `max_snap_m + 50 m` (surface margin) around a point, and a
//! segment is a snapping target when its component has ≥ 1000 m of walkable length:
//! a component cut by the halo edge still has ≥ 1000 m inside the halo if the halo
//! reaches 1000 m beyond the snapping neighbourhood. Hence
//! `halo = B + max_snap_m + 50 m + 1000 m` (e.g. 2 × 1000 m + 300 + 50 + 1000 =
//! 3350 m): at least the largest threshold's walking distance plus the snap distance.
//!
//! Not supported in tile runs (an error): `--planned`, `--access`, `--service-areas`.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use super::{Computed, CoverageOptions, Mode, RunOutcome, Study, finish_run, load_study_with};
use crate::analysis::distance::{CategoryReach, Euclidean, Reach, Walking};
use crate::base::model::Rejected;
use crate::base::timing::Timer;
use crate::export::{Formats, OutputSet};
use crate::network::{Graph, GraphOptions, GraphSummary, SnapOptions, osm};
use crate::present::report::ProjectionInfo;

/// Version of the plan format.
pub const PLAN_VERSION: u32 = 1;
/// Surface margin of snapping (metres), part of the halo rule.
const SNAP_SURFACE_MARGIN_M: f64 = 50.0;
/// Minimum component length for snapping (metres), part of the halo rule.
const MIN_COMPONENT_M: f64 = 1000.0;

/// What the inputs looked like when the plan was made (checked by tiles and merge).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// Cells read.
    pub cells: usize,
    /// Sites read.
    pub sites: usize,
    /// Σ population of the cells, as f64 bits (exact).
    pub population_bits: u64,
    /// Bounding box of the cells, local metres.
    pub bbox_xy: [f64; 4],
}

/// One tile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TileSpec {
    /// 0…N−1.
    pub index: usize,
    /// Column in the tile lattice.
    pub ix: i64,
    /// Row in the tile lattice.
    pub iy: i64,
    /// Core rectangle, local metres `[x0, y0, x1, y1)`.
    pub core_xy: [f64; 4],
    /// Core rectangle, WGS84 bounding box (for people and schedulers).
    pub core_lonlat: [f64; 4],
    /// Core plus halo, WGS84 bounding box rounded outwards: the OSM data this
    /// tile needs (e.g. `osmium extract -b` for a per-tile extract).
    #[serde(default)]
    pub halo_lonlat: [f64; 4],
    /// Cells whose centre lies in the core.
    pub cells: usize,
    /// Their residents.
    pub population: f64,
}

/// `tiles.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Format version.
    pub plan_version: u32,
    /// learncircle version that made the plan (tiles must run the same version).
    pub learncircle_version: String,
    /// The study's options (inputs, config, engine).
    pub options: CoverageOptions,
    /// The run's local projection.
    pub projection: ProjectionInfo,
    /// Inputs fingerprint.
    pub fingerprint: Fingerprint,
    /// Tile side, metres.
    pub tile_m: f64,
    /// Halo around each core, metres.
    pub halo_m: f64,
    /// How the halo was derived.
    pub halo_rule: String,
    /// Statistics of the whole walking graph (network mode).
    pub network: Option<GraphSummary>,
    /// Tiles with cells, row by row.
    pub tiles: Vec<TileSpec>,
}

fn fingerprint(study: &Study) -> Fingerprint {
    let b = crate::base::model::bbox_of(study.cells_xy.iter().map(|p| (p[0], p[1]))).unwrap_or([
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ]);
    Fingerprint {
        cells: study.cells.len(),
        sites: study.sites.len(),
        population_bits: study
            .cells
            .iter()
            .map(|c| c.population)
            .sum::<f64>()
            .to_bits(),
        bbox_xy: b,
    }
}

fn tile_index(xy: [f64; 2], tile_m: f64) -> (i64, i64) {
    crate::analysis::grid::cell_index(xy, tile_m)
}

fn unsupported(opts: &CoverageOptions) -> Result<()> {
    if opts.planned.is_some() {
        bail!("--planned is not supported with tiles (run the what-if on one machine)");
    }
    if opts.access.is_some() {
        bail!("--access is not supported with tiles (2SFCA catchments cross tile edges)");
    }
    if opts.service_buffer_m.is_some() {
        bail!("--service-areas is not supported with tiles");
    }
    Ok(())
}

/// `learncircle plan`: split the study area into tiles.
///
/// # Errors
/// Bad tile size, input problems, or the plan file cannot be written.
pub fn make_plan(opts: &CoverageOptions, tile_km: f64, out: &Path) -> Result<Plan> {
    if !(tile_km.is_finite() && (0.5..=1000.0).contains(&tile_km)) {
        bail!("--tile-km {tile_km}: must be between 0.5 and 1000 km");
    }
    unsupported(opts)?;
    let mut timer = Timer::new();
    let study = load_study_with(opts, &mut timer, false)?;
    let tile_m = tile_km * 1000.0;
    let bound_m = study
        .categories
        .iter()
        .map(|c| c.threshold_m * study.run.search_factor)
        .fold(0.0, f64::max);
    let halo_m = bound_m + study.run.max_snap_m + SNAP_SURFACE_MARGIN_M + MIN_COMPONENT_M;
    let network = match (study.mode, &opts.network) {
        (Mode::Network, Some(path)) => {
            Some(Graph::from_osm_file(path, &study.proj, &GraphOptions::default())?.summary())
        }
        _ => None,
    };
    let mut counts: BTreeMap<(i64, i64), (usize, f64)> = BTreeMap::new();
    for c in &study.cells {
        let (ix, iy) = tile_index(c.xy, tile_m);
        let e = counts.entry((iy, ix)).or_default();
        e.0 += 1;
        e.1 += c.population;
    }
    #[allow(clippy::cast_precision_loss)]
    let tiles: Vec<TileSpec> = counts
        .into_iter()
        .enumerate()
        .map(|(index, ((iy, ix), (cells, population)))| {
            let core_xy = [
                ix as f64 * tile_m,
                iy as f64 * tile_m,
                (ix + 1) as f64 * tile_m,
                (iy + 1) as f64 * tile_m,
            ];
            let corners = [
                [core_xy[0], core_xy[1]],
                [core_xy[2], core_xy[1]],
                [core_xy[2], core_xy[3]],
                [core_xy[0], core_xy[3]],
            ];
            let r6 = |v: f64| (v * 1e6).round() / 1e6;
            let lonlat_box =
                |pts: &[[f64; 2]], round_min: fn(f64) -> f64, round_max: fn(f64) -> f64| {
                    let ll: Vec<(f64, f64)> = pts.iter().map(|p| study.proj.inverse(*p)).collect();
                    [
                        round_min(ll.iter().map(|p| p.0).fold(f64::INFINITY, f64::min)),
                        round_min(ll.iter().map(|p| p.1).fold(f64::INFINITY, f64::min)),
                        round_max(ll.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max)),
                        round_max(ll.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max)),
                    ]
                };
            let core_lonlat = lonlat_box(&corners, r6, r6);
            let h = halo_m;
            let halo_corners = [
                [core_xy[0] - h, core_xy[1] - h],
                [core_xy[2] + h, core_xy[1] - h],
                [core_xy[2] + h, core_xy[3] + h],
                [core_xy[0] - h, core_xy[3] + h],
            ];
            let halo_lonlat = lonlat_box(
                &halo_corners,
                |v| (v * 1e5).floor() / 1e5,
                |v| (v * 1e5).ceil() / 1e5,
            );
            TileSpec {
                index,
                ix,
                iy,
                core_xy,
                core_lonlat,
                halo_lonlat,
                cells,
                population: crate::present::report::round_pop(population),
            }
        })
        .collect();
    let mut options = opts.clone();
    options.out = PathBuf::new();
    let plan = Plan {
        plan_version: PLAN_VERSION,
        learncircle_version: env!("CARGO_PKG_VERSION").to_owned(),
        options,
        projection: ProjectionInfo {
            kind: "tmerc".into(),
            lon_0: study.proj.origin().0,
            lat_0: study.proj.origin().1,
        },
        fingerprint: fingerprint(&study),
        tile_m,
        halo_m,
        halo_rule: format!(
            "search bound {bound_m} m (largest threshold × search factor) + snap {} m + surface margin {SNAP_SURFACE_MARGIN_M} m + minimum component {MIN_COMPONENT_M} m",
            study.run.max_snap_m
        ),
        network,
        tiles,
    };
    let json = serde_json::to_string_pretty(&plan)?;
    crate::export::write_file_atomic(out, |w| {
        w.write_all(json.as_bytes())?;
        w.write_all(b"\n")
    })?;
    Ok(plan)
}

/// Read a plan file.
///
/// # Errors
/// Unreadable or not a plan of this version.
pub fn read_plan(path: &Path) -> Result<Plan> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read the tile plan", path.display()))?;
    let plan: Plan = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a learncircle tile plan", path.display()))?;
    if plan.plan_version != PLAN_VERSION || plan.learncircle_version != env!("CARGO_PKG_VERSION") {
        bail!(
            "{}: plan made by learncircle {} (format {}); this is {} (format {PLAN_VERSION}): make a new plan",
            path.display(),
            plan.learncircle_version,
            plan.plan_version,
            env!("CARGO_PKG_VERSION")
        );
    }
    Ok(plan)
}

fn check_study(study: &Study, plan: &Plan, what: &str) -> Result<()> {
    let (lon, lat) = study.proj.origin();
    let fp = fingerprint(study);
    if (lon, lat) != (plan.projection.lon_0, plan.projection.lat_0) || fp != plan.fingerprint {
        bail!(
            "{what}: the inputs differ from the ones the tile plan was made from ({} cells and {} sites now, {} and {} in the plan): make a new plan",
            fp.cells,
            fp.sites,
            plan.fingerprint.cells,
            plan.fingerprint.sites
        );
    }
    Ok(())
}

/// `tile.json` of a tile directory.
#[derive(Debug, Serialize, Deserialize)]
struct TileMeta {
    plan: Plan,
    tile: usize,
    cells: usize,
    sites_checked: usize,
    /// Stage times of this tile run (not used by `merge`).
    #[serde(default)]
    timings_ms: Vec<crate::present::report::StageTiming>,
    /// The tile run's `--format`: what `merge` writes unless told otherwise.
    #[serde(default)]
    formats: Formats,
}

/// What a tile run hands back to `main`.
#[derive(Debug)]
pub struct TileOutcome {
    /// Core cells computed.
    pub cells: usize,
    /// Stage times, with a `total` row.
    pub timings_ms: Vec<crate::present::report::StageTiming>,
}

/// Which tile checks a site's snapping: the tile whose core holds it, else the
/// nearest tile core (ties: lowest index).
fn site_tile(xy: [f64; 2], plan: &Plan) -> usize {
    let d2 = |t: &TileSpec| {
        let dx = (t.core_xy[0] - xy[0]).max(0.0).max(xy[0] - t.core_xy[2]);
        let dy = (t.core_xy[1] - xy[1]).max(0.0).max(xy[1] - t.core_xy[3]);
        dx * dx + dy * dy
    };
    plan.tiles
        .iter()
        .min_by(|a, b| d2(a).total_cmp(&d2(b)).then(a.index.cmp(&b.index)))
        .map_or(0, |t| t.index)
}

fn within(xy: [f64; 2], r: [f64; 4], pad: f64) -> bool {
    xy[0] >= r[0] - pad && xy[0] < r[2] + pad && xy[1] >= r[1] - pad && xy[1] < r[3] + pad
}

/// A tile run: engine results for the core cells of tile `index`.
///
/// # Errors
/// Plan/input mismatch, input or network problems, output errors.
pub fn run_tile(opts: &CoverageOptions, plan_path: &Path, index: usize) -> Result<TileOutcome> {
    unsupported(opts)?;
    let plan = read_plan(plan_path)?;
    let Some(spec) = plan.tiles.get(index).cloned() else {
        bail!(
            "--tile {index}: the plan {} has tiles 0…{}",
            plan_path.display(),
            plan.tiles.len().saturating_sub(1)
        );
    };
    let mut outputs = OutputSet::prepare(&opts.out)?;
    let mut timer = Timer::new();
    let study = load_study_with(opts, &mut timer, false)?;
    check_study(&study, &plan, &format!("tile {index}"))?;
    let core: Vec<usize> = (0..study.cells.len())
        .filter(|&i| tile_index(study.cells[i].xy, plan.tile_m) == (spec.ix, spec.iy))
        .collect();
    let core_xy: Vec<[f64; 2]> = core.iter().map(|&i| study.cells_xy[i]).collect();
    let my_sites: Vec<usize> = (0..study.sites.len())
        .filter(|&k| site_tile(study.sites[k].xy, &plan) == index)
        .collect();
    let graph = match (study.mode, &opts.network) {
        (Mode::Network, Some(path)) => Some(tile_graph(path, &study, &spec, &plan, &my_sites)?),
        _ => None,
    };
    timer.stage("read network");
    let tile = TileDistances::compute(
        &study,
        graph.as_ref(),
        &core_xy,
        &spec,
        plan.halo_m,
        &my_sites,
    );
    timer.stage("distances");
    let meta = TileMeta {
        plan,
        tile: index,
        cells: core.len(),
        sites_checked: tile.site_checks.len(),
        timings_ms: timer.finish(),
        formats: opts.formats,
    };
    write_tile(&mut outputs, &meta, &core, &tile)?;
    outputs.commit()?;
    Ok(TileOutcome {
        cells: core.len(),
        timings_ms: meta.timings_ms,
    })
}

/// The walking graph of one tile: walkable ways with a node in the halo, or near
/// a site this tile checks.
///
/// # Errors
/// When the OSM file cannot be read or the graph cannot be built.
fn tile_graph(
    path: &Path,
    study: &Study,
    spec: &TileSpec,
    plan: &Plan,
    my_sites: &[usize],
) -> Result<Graph> {
    let snap_reach = study.run.max_snap_m + SNAP_SURFACE_MARGIN_M + MIN_COMPONENT_M;
    let is_walkable = |tags: &[(&str, &str)]| crate::network::walkable(tags).is_some();
    let selection = osm::OsmSelection {
        ways: Some(&is_walkable),
        ..osm::OsmSelection::default()
    };
    let mut data = osm::read_osm(path, &selection)?;
    let site_index = rstar::RTree::bulk_load(
        my_sites
            .iter()
            .map(|&k| study.sites[k].xy)
            .collect::<Vec<[f64; 2]>>(),
    );
    let keep_node = |lon: f64, lat: f64| -> bool {
        study.proj.forward(lon, lat).is_ok_and(|p| {
            within(p, spec.core_xy, plan.halo_m)
                || site_index
                    .locate_within_distance(p, snap_reach * snap_reach)
                    .next()
                    .is_some()
        })
    };
    let inside: std::collections::HashSet<i64> = data
        .nodes
        .iter()
        .filter(|n| keep_node(n.lon(), n.lat()))
        .map(|n| n.id)
        .collect();
    data.ways
        .retain(|w| w.refs.iter().any(|r| inside.contains(r)));
    let used: std::collections::HashSet<i64> = data
        .ways
        .iter()
        .flat_map(|w| w.refs.iter().copied())
        .collect();
    data.nodes.retain(|n| used.contains(&n.id));
    Ok(Graph::from_osm_data(
        path,
        &data,
        &study.proj,
        &GraphOptions::default(),
    )?)
}

/// Distances of a tile's core cells to the sites within its halo, and the
/// snapping check of the sites the tile owns.
struct TileDistances {
    reaches: Vec<CategoryReach>,
    off: Vec<bool>,
    /// (site index, snapping error) of the sites this tile checks.
    site_checks: Vec<(usize, Option<String>)>,
}

impl TileDistances {
    fn compute(
        study: &Study,
        graph: Option<&Graph>,
        core_xy: &[[f64; 2]],
        spec: &TileSpec,
        halo: f64,
        my_sites: &[usize],
    ) -> Self {
        let walking = graph.map(|g| {
            Walking::new(
                g,
                core_xy,
                SnapOptions {
                    max_snap_m: study.run.max_snap_m,
                    ..SnapOptions::default()
                },
            )
        });
        let euclidean = Euclidean::new(core_xy, study.run.circuity);
        let engine: &dyn Reach = match &walking {
            Some(w) => w,
            None => &euclidean,
        };
        let reaches = study
            .categories
            .iter()
            .map(|cat| {
                let sites: Vec<[f64; 2]> = study
                    .sites
                    .iter()
                    .filter(|s| s.category == cat.name && within(s.xy, spec.core_xy, halo))
                    .map(|s| s.xy)
                    .collect();
                engine.category_reach(
                    &sites,
                    &cat.profile,
                    cat.threshold_m,
                    cat.threshold_m * study.run.search_factor,
                )
            })
            .collect();
        let off = engine.cell_off_network();
        let site_checks = match &walking {
            Some(w) => {
                let xy: Vec<[f64; 2]> = my_sites.iter().map(|&k| study.sites[k].xy).collect();
                my_sites
                    .iter()
                    .zip(w.site_snaps(&xy))
                    .map(|(&k, s)| (k, s.err().map(|e| e.to_string())))
                    .collect()
            }
            None => my_sites.iter().map(|&k| (k, None)).collect(),
        };
        Self {
            reaches,
            off,
            site_checks,
        }
    }
}

/// tile.json, tile_cells.jsonl and tile_sites.jsonl.
fn write_tile(
    outputs: &mut OutputSet,
    meta: &TileMeta,
    core: &[usize],
    tile: &TileDistances,
) -> Result<()> {
    let meta_json = serde_json::to_string_pretty(meta)?;
    outputs.write("tile.json", |w| {
        w.write_all(meta_json.as_bytes())?;
        w.write_all(b"\n")
    })?;
    outputs.write("tile_cells.jsonl", |w| {
        for (k, &i) in core.iter().enumerate() {
            let d: Vec<Option<f64>> = tile.reaches.iter().map(|r| r.dist_m[k]).collect();
            let n: Vec<u32> = tile.reaches.iter().map(|r| r.sites_within[k]).collect();
            let line =
                serde_json::to_string(&(i, tile.off[k], d, n)).map_err(std::io::Error::other)?;
            writeln!(w, "{line}")?;
        }
        Ok(())
    })?;
    outputs.write("tile_sites.jsonl", |w| {
        for (k, err) in &tile.site_checks {
            let line = serde_json::to_string(&(k, err)).map_err(std::io::Error::other)?;
            writeln!(w, "{line}")?;
        }
        Ok(())
    })?;
    Ok(())
}

/// `learncircle merge`: combine tile directories into one run's outputs, in
/// `formats` (default: the `--format` the tile runs were given, which must agree).
///
/// # Errors
/// Tiles of different plans, missing or duplicate tiles, tiles asking for
/// different formats (without `formats`), input mismatch, output errors.
pub fn merge(dirs: &[PathBuf], out: &Path, formats: Option<Formats>) -> Result<RunOutcome> {
    if dirs.is_empty() {
        bail!("merge needs the tile directories");
    }
    let outputs = OutputSet::prepare(out)?;
    let mut timer = Timer::new();
    let metas = read_metas(dirs)?;
    let plan = metas[0].1.plan.clone();
    check_tile_set(&metas, &plan)?;
    let formats = match formats {
        Some(f) => f,
        None => common_formats(&metas)?,
    };
    let mut opts = plan.options.clone();
    opts.out = out.to_path_buf();
    opts.formats = formats;
    let study = load_study_with(&opts, &mut timer, false)?;
    check_study(&study, &plan, "merge")?;
    let mut results = TileResults::empty(&study);
    for (d, _) in &metas {
        results.read_cells(&d.join("tile_cells.jsonl"))?;
        results.read_sites(&d.join("tile_sites.jsonl"))?;
    }
    results.check_complete(&study)?;
    timer.stage("read tiles");
    let computed = results.into_computed(&study, plan.network);
    timer.stage("distances and coverage");
    finish_run(&opts, &study, computed, outputs, timer)
}

/// Every tile directory's tile.json.
///
/// # Errors
/// A directory without a readable learncircle tile.json.
fn read_metas(dirs: &[PathBuf]) -> Result<Vec<(PathBuf, TileMeta)>> {
    let mut metas: Vec<(PathBuf, TileMeta)> = Vec::with_capacity(dirs.len());
    for d in dirs {
        let p = d.join("tile.json");
        let text = std::fs::read_to_string(&p).with_context(|| {
            format!(
                "{}: not a tile directory (no readable tile.json)",
                d.display()
            )
        })?;
        let meta: TileMeta = serde_json::from_str(&text)
            .with_context(|| format!("{}: not a learncircle tile", p.display()))?;
        metas.push((d.clone(), meta));
    }
    Ok(metas)
}

/// Every tile of one plan, each exactly once.
///
/// # Errors
/// A tile of another plan, a tile given twice, a tile outside or missing from the plan.
fn check_tile_set(metas: &[(PathBuf, TileMeta)], plan: &Plan) -> Result<()> {
    let mut seen = vec![None::<&Path>; plan.tiles.len()];
    for (d, m) in metas {
        if m.plan != *plan {
            bail!(
                "{}: tile of a different plan than {}",
                d.display(),
                metas[0].0.display()
            );
        }
        match seen.get(m.tile) {
            None => bail!("{}: tile {} is not in the plan", d.display(), m.tile),
            Some(Some(other)) => bail!(
                "tile {} given twice: {} and {}",
                m.tile,
                other.display(),
                d.display()
            ),
            Some(None) => seen[m.tile] = Some(d.as_path()),
        }
    }
    let missing: Vec<usize> = seen
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_none())
        .map(|(i, _)| i)
        .collect();
    if !missing.is_empty() {
        bail!(
            "missing tiles {missing:?} of {} (plan of {} tiles)",
            metas.len(),
            plan.tiles.len()
        );
    }
    Ok(())
}

/// The `--format` all tiles were run with.
///
/// # Errors
/// Tiles run with different formats (then `merge --format` must choose).
fn common_formats(metas: &[(PathBuf, TileMeta)]) -> Result<Formats> {
    let (d0, m0) = &metas[0];
    if let Some((d, m)) = metas.iter().find(|(_, m)| m.formats != m0.formats) {
        bail!(
            "{} was run with --format {} but {} with --format {}: give merge --format",
            d0.display(),
            m0.formats,
            d.display(),
            m.formats
        );
    }
    Ok(m0.formats)
}

/// The tiles' per-cell distances and per-site snapping checks, filled as the
/// tile files are read.
struct TileResults {
    dist: Vec<Vec<Option<f64>>>,
    within: Vec<Vec<u32>>,
    off: Vec<bool>,
    filled: Vec<bool>,
    site_err: Vec<Option<Option<String>>>,
}

impl TileResults {
    fn empty(study: &Study) -> Self {
        let (n, ncat) = (study.cells.len(), study.categories.len());
        Self {
            dist: vec![vec![None; n]; ncat],
            within: vec![vec![0; n]; ncat],
            off: vec![false; n],
            filled: vec![false; n],
            site_err: vec![None; study.sites.len()],
        }
    }

    /// One tile's tile_cells.jsonl: `[cell, off_network, [dist_m…], [sites_within…]]`.
    fn read_cells(&mut self, p: &Path) -> Result<()> {
        let (n, ncat) = (self.off.len(), self.dist.len());
        let f = std::fs::File::open(p).with_context(|| format!("{}: cannot read", p.display()))?;
        for (ln, line) in std::io::BufReader::new(f).lines().enumerate() {
            let line = line.with_context(|| format!("{}: line {}", p.display(), ln + 1))?;
            let (i, o, ds, ws): (usize, bool, Vec<Option<f64>>, Vec<u32>) =
                serde_json::from_str(&line)
                    .with_context(|| format!("{}: line {}: malformed", p.display(), ln + 1))?;
            if i >= n || self.filled[i] || ds.len() != ncat || ws.len() != ncat {
                bail!(
                    "{}: line {}: cell {i} out of range, repeated, or with the wrong number of categories",
                    p.display(),
                    ln + 1
                );
            }
            self.filled[i] = true;
            self.off[i] = o;
            for k in 0..ncat {
                self.dist[k][i] = ds[k];
                self.within[k][i] = ws[k];
            }
        }
        Ok(())
    }

    /// One tile's tile_sites.jsonl: `[site, snapping error or null]`.
    fn read_sites(&mut self, p: &Path) -> Result<()> {
        let f = std::fs::File::open(p).with_context(|| format!("{}: cannot read", p.display()))?;
        for (ln, line) in std::io::BufReader::new(f).lines().enumerate() {
            let line = line.with_context(|| format!("{}: line {}", p.display(), ln + 1))?;
            let (k, err): (usize, Option<String>) = serde_json::from_str(&line)
                .with_context(|| format!("{}: line {}: malformed", p.display(), ln + 1))?;
            if k >= self.site_err.len() || self.site_err[k].is_some() {
                bail!(
                    "{}: line {}: site {k} out of range or repeated",
                    p.display(),
                    ln + 1
                );
            }
            self.site_err[k] = Some(err);
        }
        Ok(())
    }

    fn check_complete(&self, study: &Study) -> Result<()> {
        if let Some(i) = self.filled.iter().position(|f| !f) {
            bail!("cell {} ({}) is in no tile result", i, study.cells[i].id);
        }
        if let Some(k) = self.site_err.iter().position(Option::is_none) {
            bail!("site {} was checked by no tile", study.sites[k].id);
        }
        Ok(())
    }

    /// Exactly what `compute_run` produces on one machine.
    fn into_computed(
        mut self,
        study: &Study,
        network: Option<crate::network::GraphSummary>,
    ) -> Computed {
        let mut rejected = study.rejected.clone();
        let mut warnings = study.warnings.clone();
        for (s, err) in study.sites.iter().zip(&self.site_err) {
            if let Some(Some(why)) = err {
                rejected.push(Rejected::new(
                    study.sites_file.clone(),
                    format!("site {}", s.id),
                    format!("off-network: {why}"),
                ));
            }
        }
        let off_count = self.off.iter().filter(|o| **o).count();
        if network.is_some() && off_count > 0 {
            warnings.push(format!(
                "{off_count} of {} cells are off-network (no walkable way within {} m, or only on small islands): counted as not covered",
                self.off.len(),
                study.run.max_snap_m
            ));
        }
        let reaches: Vec<CategoryReach> = study
            .categories
            .iter()
            .enumerate()
            .map(|(k, cat)| CategoryReach {
                dist_m: std::mem::take(&mut self.dist[k]),
                sites_within: std::mem::take(&mut self.within[k]),
                site_used: study
                    .sites
                    .iter()
                    .zip(&self.site_err)
                    .filter(|(s, _)| s.category == cat.name)
                    .map(|(_, e)| !matches!(e, Some(Some(_))))
                    .collect(),
            })
            .collect();
        let cov =
            crate::analysis::coverage::assemble(&study.cells, &study.categories, reaches, self.off);
        Computed {
            sites: study.sites.clone(),
            n_existing: study.sites.len(),
            planned_file: None,
            rejected,
            warnings,
            cov,
            before: None,
            access: Vec::new(),
            network: network.map(|mut s| {
                s.off_network_cells = Some(off_count);
                s
            }),
            service_areas: None,
        }
    }
}
