//! `learncircle coverage`: distances, coverage, units and targets, gap zones,
//! what-if, access and service areas of a loaded study, and every output file.

use anyhow::{Result, bail};

use crate::analysis::access::AccessResult;
use crate::analysis::coverage::{self, Coverage};
use crate::base::model::{Cell, Rejected, Site};
use crate::base::progress::Progress;
use crate::base::timing::Timer;
use crate::config::{Category, Layer};
use crate::crs::{InputCrs, LocalProjection};
use crate::export::OutputSet;

use super::finish::finish_run;
use super::study::{Engines, Study, WalkingNetwork, load_study_on};
use super::{CoverageOptions, Mode, RunOutcome};

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
pub(super) fn service_method(mode: Mode, buffer_m: f64) -> String {
    match mode {
        Mode::Network => format!("reached network within the threshold, buffered {buffer_m} m"),
        Mode::Straight => {
            "APPROXIMATION: union of circles of radius threshold ÷ circuity".to_owned()
        }
    }
}

pub(super) fn write_service_areas(
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
    sheet: Option<&str>,
    crs: InputCrs,
    rejected: &mut Vec<Rejected>,
) -> Result<Vec<Site>> {
    match study.read_more_sites(path, sheet, crs, rejected) {
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

/// A cell's 2SFCA demand for a category: its elderly where the category serves
/// the elderly layer and the cell has them, else its population.
pub(super) fn access_demand(cat: &Category, cell: &Cell) -> f64 {
    match (cat.layer, cell.elderly) {
        (Layer::Elderly, Some(e)) => e,
        _ => cell.population,
    }
}

/// One category's 2SFCA over `cells` with the category's sites `own` (supply:
/// capacity, 1 where none is given).
pub(super) fn category_access(
    method: crate::analysis::access::Method,
    cat: &Category,
    cells: &[Cell],
    own: &[&Site],
    engine: &dyn crate::analysis::distance::Reach,
) -> AccessResult {
    let xy: Vec<[f64; 2]> = own.iter().map(|s| s.xy).collect();
    let supply: Vec<f64> = own.iter().map(|s| s.capacity.unwrap_or(1.0)).collect();
    let demand: Vec<f64> = cells.iter().map(|c| access_demand(cat, c)).collect();
    let catchments = engine.catchments(&xy, &cat.profile, cat.threshold_m);
    crate::analysis::access::two_step(method, cat.threshold_m, &demand, &supply, &catchments)
}

/// Existing sites plus the planned ones (what-if), with rejections.
pub(super) fn sites_with_plan(
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
        let planned = read_planned(
            study,
            path,
            opts.sheets.of("planned"),
            opts.planned_crs,
            rejected,
        )?;
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
pub(super) fn compute_run(
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
    let access: Vec<AccessResult> = match opts.access {
        None => Vec::new(),
        Some(method) => categories
            .iter()
            .map(|cat| {
                let own: Vec<&Site> = sites.iter().filter(|s| s.category == cat.name).collect();
                category_access(method, cat, cells, &own, engine)
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
    run_coverage_on(opts, None)
}

/// [`run_coverage`] on a network read before (see [`super::load_study_on`]).
///
/// # Errors
/// Any fatal input, configuration or output problem; nothing is written then.
pub fn run_coverage_on(
    opts: &CoverageOptions,
    network: Option<&WalkingNetwork>,
) -> Result<RunOutcome> {
    let mut timer = Timer::new();
    let outputs = OutputSet::prepare(&opts.out)?;
    let mut study = load_study_on(opts, &mut timer, network)?;
    let progress = Progress::stage("computing walking distances and coverage");
    let engines = study.engines();
    let computed = compute_run(opts, &study, &engines, &mut timer)?;
    progress.finish();
    drop(engines);
    let (sites, n_existing) = (computed.sites.clone(), computed.n_existing);
    let mut outcome = finish_run(opts, &study, computed, outputs, timer)?;
    outcome.network = study.graph.take().map(|graph| super::RunNetwork {
        graph,
        proj: study.proj.clone(),
        cells: std::mem::take(&mut study.cells),
        snap: crate::network::SnapOptions {
            max_snap_m: study.run.max_snap_m,
            ..crate::network::SnapOptions::default()
        },
        categories: study.categories.clone(),
        search_factor: study.run.search_factor,
        sites,
        n_existing,
    });
    Ok(outcome)
}
