//! `learncircle recommend`: where to build next (greedy maximal coverage with an
//! optional exact check), written as recommend.csv/.geojson/.json.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use crate::analysis::coverage;
use crate::base::category::{Category, Layer};
use crate::base::model::{Rejected, Site};
use crate::base::progress::Progress;
use crate::base::timing::Timer;
use crate::crs::InputCrs;
use crate::export::{self, OutputSet};
use crate::present::report;

use super::CoverageOptions;
use super::study::{Study, WalkingNetwork, load_study_on};

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
    run_recommend_on(opts, None)
}

/// [`run_recommend`] on a network read before (see [`super::load_study_on`]).
///
/// # Errors
/// As [`run_recommend`].
pub fn run_recommend_on(
    opts: &RecommendOptions,
    network: Option<&WalkingNetwork>,
) -> Result<RecommendOutcome> {
    let mut timer = Timer::new();
    let mut outputs = OutputSet::prepare(&opts.study.out)?;
    check_options(opts)?;
    let study = load_study_on(&opts.study, &mut timer, network)?;
    let mut rejected = study.rejected.clone();
    let cat = find_category(&study, &opts.category)?;
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
    let layers = DemandLayers::of(&study, cat);
    let candidates = match &opts.candidates {
        Some(path) => read_candidates(opts, &study, cat, path, &mut rejected)?,
        None => generate_candidates(&study, covered, opts.candidates_from, opts.capacity)?,
    };
    timer.stage("candidates");
    let progress = Progress::stage("candidate catchments");
    let xy: Vec<[f64; 2]> = candidates.iter().map(|c| c.xy).collect();
    let catchments = engine.catchments(&xy, &cat.profile, cat.threshold_m);
    progress.finish();
    timer.stage("candidate catchments");
    let capacity: Vec<Option<f64>> = candidates.iter().map(|c| c.capacity).collect();
    let problem = crate::analysis::recommend::Problem {
        demand: layers.demand(),
        population: &layers.population,
        elderly: &layers.elderly,
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
    let ranked = rank_rows(&study, &layers, covered, &candidates, &picks);
    let unreachable = catchments.iter().filter(|c| c.is_empty()).count();
    let facts = RecommendFacts {
        opts,
        study: &study,
        cat,
        layers: &layers,
        candidates: &candidates,
        unreachable,
        ranked: &ranked,
        exact: exact.as_ref(),
        rejected: rejected.len(),
    };
    let summary = recommend_summary(&facts, &timer.finish());
    write_recommend(&mut outputs, &ranked.rows, &cat.name, &summary, &rejected)?;
    let written = outputs.commit()?;
    Ok(RecommendOutcome {
        summary,
        rejected: rejected.len(),
        written,
    })
}

/// Most new sites one run may ask for: far above any real programme, and a
/// bound that keeps `-k` from asking for an impossible allocation.
pub const MAX_K: usize = 100_000;

/// `-k`, `--capacity`.
///
/// # Errors
/// `-k` outside 1…[`MAX_K`], or a capacity that is not a positive number.
fn check_options(opts: &RecommendOptions) -> Result<()> {
    if opts.k == 0 {
        bail!("-k must be at least 1");
    }
    if opts.k > MAX_K {
        bail!("-k {}: at most {MAX_K} new sites per run", opts.k);
    }
    if let Some(c) = opts.capacity
        && !(c.is_finite() && c > 0.0)
    {
        bail!("--capacity {c}: must be a positive number of persons");
    }
    Ok(())
}

/// The run's category named (or aliased) by `--category`.
///
/// # Errors
/// An unknown category, listing the run's categories.
fn find_category<'a>(study: &'a Study, name: &str) -> Result<&'a Category> {
    study
        .categories
        .iter()
        .find(|c| c.name == name || c.matches(name))
        .with_context(|| {
            format!(
                "unknown category {name:?} (categories of this run: {})",
                study
                    .categories
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

/// Population and elderly per cell, and which of them the category serves.
struct DemandLayers {
    population: Vec<f64>,
    elderly: Vec<f64>,
    /// The category serves the elderly layer and the population has one.
    elderly_layer: bool,
}

impl DemandLayers {
    fn of(study: &Study, cat: &Category) -> Self {
        Self {
            population: study.cells.iter().map(|c| c.population).collect(),
            elderly: study
                .cells
                .iter()
                .map(|c| c.elderly.unwrap_or(0.0))
                .collect(),
            elderly_layer: cat.layer == Layer::Elderly && study.has_elderly,
        }
    }

    fn demand(&self) -> &[f64] {
        if self.elderly_layer {
            &self.elderly
        } else {
            &self.population
        }
    }
}

/// Candidates from `--candidates`, projected; rows of another category and
/// unprojectable rows are rejected.
///
/// # Errors
/// An unreadable file, or no usable candidate.
fn read_candidates(
    opts: &RecommendOptions,
    study: &Study,
    cat: &Category,
    path: &std::path::Path,
    rejected: &mut Vec<Rejected>,
) -> Result<Vec<Candidate>> {
    let read = crate::input::sites::read_candidates(
        path,
        opts.study.sheets.of("candidates"),
        opts.candidates_crs,
    )?;
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
    Ok(out)
}

/// The greedy picks as ranked rows with cumulative coverage.
struct Ranked {
    rows: Vec<RecommendRow>,
    layer_total: f64,
    base_covered: f64,
    /// Covered after the last pick.
    covered_after: f64,
    greedy_total: f64,
}

fn rank_rows(
    study: &Study,
    layers: &DemandLayers,
    covered: &[bool],
    candidates: &[Candidate],
    picks: &[crate::analysis::recommend::Pick],
) -> Ranked {
    let demand = layers.demand();
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
            gain_elderly: layers
                .elderly_layer
                .then_some(p.gain_elderly)
                .or(study.has_elderly.then_some(p.gain_elderly)),
            cumulative_covered: cumulative,
            cumulative_share: crate::analysis::coverage::share(cumulative, layer_total),
        });
    }
    Ranked {
        rows,
        layer_total,
        base_covered,
        covered_after: cumulative,
        greedy_total: picks.iter().map(|p| p.gain).sum(),
    }
}

/// What `recommend.json` reports.
struct RecommendFacts<'a> {
    opts: &'a RecommendOptions,
    study: &'a Study,
    cat: &'a Category,
    layers: &'a DemandLayers,
    candidates: &'a [Candidate],
    unreachable: usize,
    ranked: &'a Ranked,
    exact: Option<&'a crate::analysis::recommend::Exact>,
    rejected: usize,
}

fn recommend_summary(
    f: &RecommendFacts<'_>,
    timings: &[crate::base::timing::StageTiming],
) -> serde_json::Value {
    let (opts, r) = (f.opts, f.ranked);
    let share = |x: f64| report::round_share(crate::analysis::coverage::share(x, r.layer_total));
    serde_json::json!({
        "learncircle_version": env!("CARGO_PKG_VERSION"),
        "category": f.cat.name,
        "k": opts.k,
        "chosen": r.rows.len(),
        "mode": f.study.mode,
        "layer": if f.layers.elderly_layer { "elderly" } else { "total" },
        "threshold_m": f.cat.threshold_m,
        "candidates": f.candidates.len(),
        "candidates_source": if opts.candidates.is_some() { "file".to_owned() } else { format!("{:?}", opts.candidates_from).to_lowercase() },
        "candidates_unreachable": f.unreachable,
        "capacity": opts.capacity,
        "layer_total": report::round_pop(r.layer_total),
        "covered_before": report::round_pop(r.base_covered),
        "covered_after": report::round_pop(r.covered_after),
        "share_before": share(r.base_covered),
        "share_after": share(r.covered_after),
        "greedy_gain": report::round_pop(r.greedy_total),
        "exact": f.exact.map(|e| serde_json::json!({
            "optimum_gain": report::round_pop(e.objective),
            "chosen": e.chosen.iter().map(|&j| f.candidates[j].id.clone()).collect::<Vec<_>>(),
            "greedy_share_of_optimum": report::round_share(if e.objective > 0.0 { r.greedy_total / e.objective } else { 1.0 }),
        })),
        "method": "maximal covering location, existing sites fixed; lazy greedy (≥ 1 − 1/e of the optimum)",
        "rejected": f.rejected,
        "timings_ms": timings,
    })
}

/// recommend.csv, .geojson, .json and (when rows were rejected)
/// recommend_rejected.csv.
fn write_recommend(
    outputs: &mut OutputSet,
    rows: &[RecommendRow],
    category: &str,
    summary: &serde_json::Value,
    rejected: &[Rejected],
) -> Result<()> {
    outputs.write("recommend.csv", |w| write_recommend_csv(w, rows, category))?;
    outputs.write("recommend.geojson", |w| {
        write_recommend_geojson(w, rows, category)
    })?;
    let json = serde_json::to_string_pretty(summary)?;
    outputs.write("recommend.json", |w| {
        w.write_all(json.as_bytes())?;
        w.write_all(b"\n")
    })?;
    if !rejected.is_empty() {
        outputs.write("recommend_rejected.csv", |w| {
            export::rejected_csv(w, rejected)
        })?;
    }
    Ok(())
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
