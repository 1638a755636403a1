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
//! * `merge DIR…` (`app/merge.rs`): checks that every tile of one plan is present exactly once,
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
//! What-if runs (`--planned`) tile like any run: each tile computes its core cells
//! with all sites and with the existing sites only (`tile_cells_before.jsonl`).
//!
//! 2SFCA (`--access`): a site's ratio needs every cell within the threshold `T` of
//! it, and a core cell's score needs the ratios of every site within `T` of it. A
//! tile therefore takes the sites within `T` of its core (and the sites it owns),
//! the cells within `2T` of its core, and computes both steps on them: a core
//! cell's score sums the same sites in the same order as one machine, and an owned
//! site's ratio sums the same cells. The search bound of the halo rule becomes
//! `max(search bound, 2T)`. Tiles write the core cells' scores
//! (`tile_access.jsonl`) and their sites' ratios (`tile_access_sites.jsonl`);
//! `merge` fills the totals as one machine does.
//!
//! Not supported in tile runs (an error): `--service-areas` (the service area of a
//! category is one polygon union over the whole city; a union of per-tile unions
//! does not give the one-machine polygon bit for bit).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use super::coverage::{category_access, sites_with_plan};
use super::{CoverageOptions, Mode, Study, load_study_with};
use crate::analysis::distance::{CategoryReach, Euclidean, Reach, Walking};
use crate::base::model::{Cell, Site};
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
    if opts.service_buffer_m.is_some() {
        bail!(
            "--service-areas is not supported with tiles (a category's service area is one \
             polygon union over the whole city): run it on one machine"
        );
    }
    Ok(())
}

/// The search bound of the halo rule: the largest threshold × search factor, and
/// with `--access` at least twice the largest threshold (see the module docs).
fn search_bound_m(opts: &CoverageOptions, study: &Study) -> f64 {
    let fold = |f: &dyn Fn(f64) -> f64| {
        study
            .categories
            .iter()
            .map(|c| f(c.threshold_m))
            .fold(0.0, f64::max)
    };
    let bound = fold(&|t| t * study.run.search_factor);
    match opts.access {
        Some(_) => bound.max(fold(&|t| 2.0 * t)),
        None => bound,
    }
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
    let bound_m = search_bound_m(opts, &study);
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
            "search bound {bound_m} m ({}) + snap {} m + surface margin {SNAP_SURFACE_MARGIN_M} m + minimum component {MIN_COMPONENT_M} m",
            if opts.access.is_some() {
                "largest of threshold × search factor and 2 × threshold, for 2SFCA"
            } else {
                "largest threshold × search factor"
            },
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

pub(super) fn check_study(study: &Study, plan: &Plan, what: &str) -> Result<()> {
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

/// The tile run asks for the same what-if and 2SFCA as the plan (which `merge`
/// follows).
///
/// # Errors
/// `--planned`, `--planned-crs` or `--access` differ from the plan's.
fn check_extras(opts: &CoverageOptions, plan: &Plan, index: usize) -> Result<()> {
    let p = &plan.options;
    if opts.planned != p.planned || opts.planned_crs != p.planned_crs || opts.access != p.access {
        bail!(
            "tile {index}: --planned/--planned-crs/--access must be the ones the plan was made with \
             (plan: --planned {}, --access {}): give `plan` the same flags",
            p.planned
                .as_ref()
                .map_or("none".into(), |f| f.display().to_string()),
            p.access
                .map_or("none", crate::analysis::access::Method::name)
        );
    }
    Ok(())
}

/// `tile.json` of a tile directory.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct TileMeta {
    pub(super) plan: Plan,
    pub(super) tile: usize,
    pub(super) cells: usize,
    pub(super) sites_checked: usize,
    /// Stage times of this tile run (not used by `merge`).
    #[serde(default)]
    pub(super) timings_ms: Vec<crate::present::report::StageTiming>,
    /// The tile run's `--format`: what `merge` writes unless told otherwise.
    #[serde(default)]
    pub(super) formats: Formats,
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
    check_extras(opts, &plan, index)?;
    let mut outputs = OutputSet::prepare(&opts.out)?;
    let mut timer = Timer::new();
    let study = load_study_with(opts, &mut timer, false)?;
    check_study(&study, &plan, &format!("tile {index}"))?;
    // Planned sites join the existing ones (what-if); their rejections are
    // reported by `merge`, which reads them again.
    let (sites, n_existing, _) = sites_with_plan(opts, &study, &mut Vec::new())?;
    let core: Vec<usize> = (0..study.cells.len())
        .filter(|&i| tile_index(study.cells[i].xy, plan.tile_m) == (spec.ix, spec.iy))
        .collect();
    let my_sites: Vec<usize> = (0..sites.len())
        .filter(|&k| site_tile(sites[k].xy, &plan) == index)
        .collect();
    let graph = match (study.mode, &opts.network) {
        (Mode::Network, Some(path)) => {
            Some(tile_graph(path, &study, &sites, &spec, &plan, &my_sites)?)
        }
        _ => None,
    };
    timer.stage("read network");
    let input = TileInput {
        study: &study,
        sites: &sites,
        graph: graph.as_ref(),
        spec: &spec,
        halo_m: plan.halo_m,
        core: &core,
        my_sites: &my_sites,
    };
    let what_if = opts.planned.is_some().then_some(n_existing);
    let tile = TileDistances::compute(&input, what_if);
    timer.stage("distances");
    let access = opts
        .access
        .map(|method| TileAccess::compute(&input, method));
    if access.is_some() {
        timer.stage("access (2SFCA)");
    }
    let meta = TileMeta {
        plan,
        tile: index,
        cells: core.len(),
        sites_checked: tile.site_checks.len(),
        timings_ms: timer.finish(),
        formats: opts.formats,
    };
    write_tile(&mut outputs, &meta, &core, &tile)?;
    if let Some(a) = &access {
        a.write(&mut outputs, &core)?;
    }
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
    sites: &[Site],
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
            .map(|&k| sites[k].xy)
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

/// What one tile computes on: the study, the sites (existing, then planned), the
/// tile's graph, its core cells and the sites it owns.
struct TileInput<'a> {
    study: &'a Study,
    sites: &'a [Site],
    graph: Option<&'a Graph>,
    spec: &'a TileSpec,
    halo_m: f64,
    core: &'a [usize],
    my_sites: &'a [usize],
}

impl TileInput<'_> {
    fn snap_options(&self) -> SnapOptions {
        SnapOptions {
            max_snap_m: self.study.run.max_snap_m,
            ..SnapOptions::default()
        }
    }

    /// The run's engine over the cells `xy`: walking on the tile graph, else
    /// straight lines.
    fn engine<'g>(&'g self, xy: &'g [[f64; 2]]) -> Box<dyn Reach + 'g> {
        match self.graph {
            Some(g) => Box::new(Walking::new(g, xy, self.snap_options())),
            None => Box::new(Euclidean::new(xy, self.study.run.circuity)),
        }
    }

    /// Each category's reach of `sites` (those within the halo) at the core cells.
    fn reaches(&self, engine: &dyn Reach, sites: &[Site]) -> Vec<CategoryReach> {
        let study = self.study;
        study
            .categories
            .iter()
            .map(|cat| {
                let xy: Vec<[f64; 2]> = sites
                    .iter()
                    .filter(|s| {
                        s.category == cat.name && within(s.xy, self.spec.core_xy, self.halo_m)
                    })
                    .map(|s| s.xy)
                    .collect();
                engine.category_reach(
                    &xy,
                    &cat.profile,
                    cat.threshold_m,
                    cat.threshold_m * study.run.search_factor,
                )
            })
            .collect()
    }
}

/// Distances of a tile's core cells to the sites within its halo (with the
/// planned sites and, in what-if runs, without), and the snapping check of the
/// sites the tile owns.
struct TileDistances {
    reaches: Vec<CategoryReach>,
    /// What-if runs: the reaches of the existing sites only.
    before: Option<Vec<CategoryReach>>,
    off: Vec<bool>,
    /// (site index, snapping error) of the sites this tile checks.
    site_checks: Vec<(usize, Option<String>)>,
}

impl TileDistances {
    /// `what_if`: the number of existing sites, when planned sites follow them.
    fn compute(input: &TileInput<'_>, what_if: Option<usize>) -> Self {
        let core_xy: Vec<[f64; 2]> = input
            .core
            .iter()
            .map(|&i| input.study.cells_xy[i])
            .collect();
        let walking = input
            .graph
            .map(|g| Walking::new(g, &core_xy, input.snap_options()));
        let euclidean;
        let engine: &dyn Reach = match &walking {
            Some(w) => w,
            None => {
                euclidean = Euclidean::new(&core_xy, input.study.run.circuity);
                &euclidean
            }
        };
        let site_checks = match &walking {
            Some(w) => {
                let xy: Vec<[f64; 2]> = input.my_sites.iter().map(|&k| input.sites[k].xy).collect();
                input
                    .my_sites
                    .iter()
                    .zip(w.site_snaps(&xy))
                    .map(|(&k, s)| (k, s.err().map(|e| e.to_string())))
                    .collect()
            }
            None => input.my_sites.iter().map(|&k| (k, None)).collect(),
        };
        Self {
            reaches: input.reaches(engine, input.sites),
            before: what_if.map(|n| input.reaches(engine, &input.sites[..n])),
            off: engine.cell_off_network(),
            site_checks,
        }
    }
}

/// 2SFCA of one tile (see the module docs): the scores of its core cells and
/// the ratios of the sites it owns, per category.
struct TileAccess {
    /// Per category, per core cell.
    scores: Vec<Vec<f64>>,
    /// (site index, ratio) of the owned sites, over all categories.
    ratios: Vec<(usize, Option<f64>)>,
}

impl TileAccess {
    fn compute(input: &TileInput<'_>, method: crate::analysis::access::Method) -> Self {
        let study = input.study;
        let core_xy = input.spec.core_xy;
        let t_max = study
            .categories
            .iter()
            .map(|c| c.threshold_m)
            .fold(0.0, f64::max);
        let ext: Vec<usize> = (0..study.cells.len())
            .filter(|&i| within(study.cells_xy[i], core_xy, 2.0 * t_max))
            .collect();
        let ext_cells: Vec<Cell> = ext.iter().map(|&i| study.cells[i].clone()).collect();
        let ext_xy: Vec<[f64; 2]> = ext.iter().map(|&i| study.cells_xy[i]).collect();
        // Both lists are in cell order, and the core lies inside the extension.
        let core_pos: Vec<usize> = input
            .core
            .iter()
            .filter_map(|i| ext.binary_search(i).ok())
            .collect();
        debug_assert_eq!(core_pos.len(), input.core.len());
        let engine = input.engine(&ext_xy);
        let mut scores = Vec::with_capacity(study.categories.len());
        let mut ratios = Vec::new();
        for cat in &study.categories {
            let own: Vec<usize> = (0..input.sites.len())
                .filter(|&k| {
                    let s = &input.sites[k];
                    s.category == cat.name
                        && (within(s.xy, core_xy, cat.threshold_m)
                            || input.my_sites.binary_search(&k).is_ok())
                })
                .collect();
            let refs: Vec<&Site> = own.iter().map(|&k| &input.sites[k]).collect();
            let r = category_access(method, cat, &ext_cells, &refs, &*engine);
            scores.push(core_pos.iter().map(|&p| r.score[p]).collect());
            ratios.extend(
                own.iter()
                    .zip(&r.ratio)
                    .filter(|(k, _)| input.my_sites.binary_search(k).is_ok())
                    .map(|(&k, &ratio)| (k, ratio)),
            );
        }
        ratios.sort_by_key(|(k, _)| *k);
        Self { scores, ratios }
    }

    /// tile_access.jsonl (`[cell, [score…]]`) and tile_access_sites.jsonl
    /// (`[site, ratio or null]`).
    fn write(&self, outputs: &mut OutputSet, core: &[usize]) -> Result<()> {
        outputs.write("tile_access.jsonl", |w| {
            for (k, &i) in core.iter().enumerate() {
                let a: Vec<f64> = self.scores.iter().map(|s| s[k]).collect();
                let line = serde_json::to_string(&(i, a)).map_err(std::io::Error::other)?;
                writeln!(w, "{line}")?;
            }
            Ok(())
        })?;
        outputs.write("tile_access_sites.jsonl", |w| {
            for r in &self.ratios {
                let line = serde_json::to_string(r).map_err(std::io::Error::other)?;
                writeln!(w, "{line}")?;
            }
            Ok(())
        })?;
        Ok(())
    }
}

/// One `[cell, off_network, [dist_m…], [sites_within…]]` line per core cell.
fn write_reaches(
    outputs: &mut OutputSet,
    name: &str,
    core: &[usize],
    off: &[bool],
    reaches: &[CategoryReach],
) -> Result<()> {
    outputs.write(name, |w| {
        for (k, &i) in core.iter().enumerate() {
            let d: Vec<Option<f64>> = reaches.iter().map(|r| r.dist_m[k]).collect();
            let n: Vec<u32> = reaches.iter().map(|r| r.sites_within[k]).collect();
            let line = serde_json::to_string(&(i, off[k], d, n)).map_err(std::io::Error::other)?;
            writeln!(w, "{line}")?;
        }
        Ok(())
    })?;
    Ok(())
}

/// tile.json, tile_cells.jsonl (tile_cells_before.jsonl) and tile_sites.jsonl.
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
    write_reaches(outputs, "tile_cells.jsonl", core, &tile.off, &tile.reaches)?;
    if let Some(before) = &tile.before {
        write_reaches(outputs, "tile_cells_before.jsonl", core, &tile.off, before)?;
    }
    outputs.write("tile_sites.jsonl", |w| {
        for (k, err) in &tile.site_checks {
            let line = serde_json::to_string(&(k, err)).map_err(std::io::Error::other)?;
            writeln!(w, "{line}")?;
        }
        Ok(())
    })?;
    Ok(())
}

pub use super::merge::merge;
