//! Everything after the distances, shared by one-machine runs and the merge of
//! tiles: units and targets, gap zones, the run summary and every output file.
//!
//! [`finish_run`] reads as the list of its steps; each step is one function here.

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use rayon::prelude::*;

use crate::analysis::coverage::{CategoryCoverage, CategoryStats, Coverage};
use crate::analysis::gaps::{self, GapZone};
use crate::analysis::targets::{self, TargetRow};
use crate::analysis::units::{self, UnitsReport};
use crate::base::category::Layer;
use crate::base::model::Site;
use crate::base::progress::Progress;
use crate::base::timing::Timer;
use crate::export::{self, OutputSet};
use crate::present::report::{self, Inputs, ProjectionInfo, RejectedCounts, RunFacts};

use super::coverage::{Computed, service_method, write_service_areas};
use super::study::{Study, site_usage};
use super::{CoverageOptions, Mode, RunOutcome};

/// Everything after the distances: targets, units, gaps, the summary and every
/// output file. Shared by one-machine runs and the merge of tiles.
///
/// # Errors
/// Invalid targets, units covering no cell, or output errors.
pub fn finish_run(
    opts: &CoverageOptions,
    study: &Study,
    mut computed: Computed,
    mut outputs: OutputSet,
    mut timer: Timer,
) -> Result<RunOutcome> {
    targets::validate(&study.config.targets, &computed.cov, &study.levels)
        .map_err(anyhow::Error::msg)?;
    let unit_results = unit_results(opts, study, &computed)?;
    let reports: Vec<&UnitsReport> = unit_results.levels.iter().map(|l| &l.after).collect();
    let (target_rows, target_warnings) = targets::evaluate(
        &study.config.targets,
        &computed.cov,
        &study.levels,
        &reports,
    );
    computed.warnings.extend(target_warnings);
    warn_sites_outside_level(study, &computed.cov, &unit_results, &mut computed.warnings);
    timer.stage("units and targets");
    let gaps = gap_results(opts, study, &computed.cov)?;
    timer.stage("gap zones");
    let site_used = site_usage(&computed.sites, &computed.cov);
    warn_unattached_categories(&computed.cov, &mut computed.warnings);
    let results = Results {
        opts,
        study,
        computed: &computed,
        units: &unit_results,
        target_rows: &target_rows,
        gaps: &gaps,
        site_used: &site_used,
        method: method_label(study),
    };
    let mut facts = run_facts(&results);
    timer.stage("summarise");
    let progress = Progress::stage("writing outputs");
    let outlines = export::gap_outlines(&gaps.zones, &study.cells, gaps.spacing_m, &study.proj);
    timer.stage("gap outlines");
    write_cells_and_gaps(&results, &outlines, &mut outputs)?;
    timer.stage("write cells and gaps");
    write_small_files(&results, &mut outputs)?;
    timer.stage("write outputs");
    if opts.formats.gpkg {
        write_gpkg(&results, &outlines, &mut outputs)?;
        timer.stage("write learncircle.gpkg");
    }
    facts.timings_ms = timer.finish();
    let summary = report::summarise(facts, &computed.cov);
    let json = serde_json::to_string_pretty(&summary)?;
    outputs.write("summary.json", |w| {
        w.write_all(json.as_bytes())?;
        w.write_all(b"\n")
    })?;
    let written = outputs.commit()?;
    progress.finish();
    Ok(RunOutcome {
        summary,
        rejected: computed.rejected.len(),
        written,
        network: None,
    })
}

/// What the summary and the writers read, gathered once.
struct Results<'a> {
    opts: &'a CoverageOptions,
    study: &'a Study,
    computed: &'a Computed,
    units: &'a UnitResults,
    target_rows: &'a [TargetRow],
    gaps: &'a GapResults,
    site_used: &'a [bool],
    /// `network` or `straight_x<circuity>_approximation`, the `method` column.
    method: String,
}

/// Per-unit results of every level (aligned with `Study::levels`; empty without
/// units).
struct UnitResults {
    levels: Vec<LevelResults>,
}

/// One level's per-unit results with the planned sites (`after`) and without
/// (`before`, what-if runs only).
struct LevelResults {
    after: UnitsReport,
    before: Option<UnitsReport>,
}

/// Gap zones of every category and of `covered_all`, with the spacing and link
/// distance that defined them.
struct GapResults {
    zones: Vec<GapZone>,
    spacing_m: f64,
    link_m: f64,
}

fn method_label(study: &Study) -> String {
    match study.mode {
        Mode::Straight => format!("straight_x{:.2}_approximation", study.run.circuity),
        Mode::Network => "network".to_owned(),
    }
}

/// Units: cells assigned, aggregated with and without the planned sites, level
/// by level.
///
/// # Errors
/// When no cell lies inside any unit of a level (wrong file or datum).
fn unit_results(opts: &CoverageOptions, study: &Study, c: &Computed) -> Result<UnitResults> {
    let cells = &study.cells;
    let mut levels = Vec::with_capacity(study.levels.len());
    for level in &study.levels {
        let units = &level.units;
        let assignment = units::assign_cells(cells, units, opts.unit_assignment, &study.proj);
        let aggregate = |cov: &Coverage, sites: &[Site], access| {
            units::aggregate(
                cells,
                cov,
                sites,
                units,
                &assignment,
                opts.unit_assignment,
                access,
            )
        };
        let after = aggregate(&c.cov, &c.sites, &c.access);
        if after.units.iter().all(|u| u.cells == 0.0) {
            bail!(
                "{}: none of the {} cells lies inside any of the {} units (wrong file, or a --units-crs / coordinate order problem?)",
                level.file,
                cells.len(),
                units.len()
            );
        }
        let before = c
            .before
            .as_ref()
            .map(|b| aggregate(b, &c.sites[..c.n_existing], &[]));
        levels.push(LevelResults { after, before });
    }
    Ok(UnitResults { levels })
}

/// Sites of a level-bound category in no unit of their level.
fn warn_sites_outside_level(
    study: &Study,
    cov: &Coverage,
    u: &UnitResults,
    warnings: &mut Vec<String>,
) {
    for (level, res) in study.levels.iter().zip(&u.levels) {
        let Some(name) = &level.name else { continue };
        for (k, c) in cov.categories.iter().enumerate() {
            if c.category.level.as_ref() != Some(name) {
                continue;
            }
            let ids: Vec<&str> = res
                .after
                .outside_site_ids
                .iter()
                .filter(|(kk, _)| *kk == k)
                .map(|(_, id)| id.as_str())
                .collect();
            if !ids.is_empty() {
                warnings.push(format!(
                    "category {:?} (level {name}): {} sites lie outside every {name} unit of {}: {}",
                    c.category.name,
                    ids.len(),
                    level.file,
                    ids.iter().take(10).copied().collect::<Vec<_>>().join(", ")
                ));
            }
        }
    }
}

/// Gap zones: one zoning per category plus `covered_all`, side by side,
/// concatenated in that order.
///
/// # Errors
/// On a `--gap-link-m` that is not a positive number.
fn gap_results(opts: &CoverageOptions, study: &Study, cov: &Coverage) -> Result<GapResults> {
    if let Some(l) = opts.gap_link_m
        && !(l.is_finite() && l > 0.0)
    {
        bail!("--gap-link-m {l}: must be a positive number of metres");
    }
    let cells = &study.cells;
    let spacing_m = gaps::median_spacing(&study.cells_xy);
    let cell_areas = gaps::cell_areas_m2(cells, spacing_m, &study.proj);
    let link_m = opts.gap_link_m.unwrap_or(1.5 * spacing_m);
    let n_cat = cov.categories.len();
    let zones_each: Vec<Vec<GapZone>> = (0..=n_cat)
        .into_par_iter()
        .map(|k| {
            let (name, covered, layer, walk) = gap_layer(cov, k, cells.len());
            gaps::gap_zones(name, cells, covered, &walk, layer, link_m, &cell_areas)
        })
        .collect();
    Ok(GapResults {
        zones: zones_each.into_iter().flatten().collect(),
        spacing_m,
        link_m,
    })
}

/// Category `k` (or `covered_all` for `k == n`): its name, covered flags, layer
/// and walking minutes per cell (`covered_all`: the worst category's minutes).
fn gap_layer(cov: &Coverage, k: usize, n_cells: usize) -> (&str, &[bool], Layer, Vec<Option<f64>>) {
    let minutes = |c: &CategoryCoverage, i: usize| {
        c.reach.dist_m[i].map(|d| d / c.category.profile.speed_m_per_s / 60.0)
    };
    if let Some(c) = cov.categories.get(k) {
        let walk = (0..n_cells).map(|i| minutes(c, i)).collect();
        return (&c.category.name, &c.covered, c.category.layer, walk);
    }
    let worst = (0..n_cells)
        .map(|i| {
            cov.categories
                .iter()
                .try_fold(0.0_f64, |acc, c| minutes(c, i).map(|m| acc.max(m)))
        })
        .collect();
    ("covered_all", &cov.covered_all, Layer::Total, worst)
}

fn warn_unattached_categories(cov: &Coverage, warnings: &mut Vec<String>) {
    for c in &cov.categories {
        if c.stats.sites > 0 && c.stats.sites_used == 0 {
            warnings.push(format!(
                "category {:?}: none of its {} sites could be attached to the walking network: 0 % covered",
                c.category.name, c.stats.sites
            ));
        }
    }
}

/// The facts of the run that `summary.json` reports (timings filled in last).
fn run_facts(r: &Results<'_>) -> RunFacts {
    let (study, c) = (r.study, r.computed);
    let mut by_file: BTreeMap<String, usize> = BTreeMap::new();
    for rej in &c.rejected {
        *by_file.entry(rej.file.clone()).or_default() += 1;
    }
    let mut config_used = study.config.clone();
    config_used.run = study.run.clone();
    config_used.categories.clone_from(&study.categories);
    RunFacts {
        mode: match study.mode {
            Mode::Straight => "straight".into(),
            Mode::Network => "network".into(),
        },
        circuity: study.run.circuity,
        inputs: inputs_facts(r),
        projection: ProjectionInfo {
            kind: "tmerc".into(),
            lon_0: study.proj.origin().0,
            lat_0: study.proj.origin().1,
        },
        config: config_used,
        network: c.network.map(|mut s| {
            let used = r.site_used.iter().filter(|u| **u).count();
            s.off_network_sites = Some(c.sites.len() - used);
            serde_json::to_value(s).unwrap_or(serde_json::Value::Null)
        }),
        rejected: RejectedCounts {
            total: c.rejected.len(),
            by_file,
        },
        warnings: c.warnings.clone(),
        timings_ms: Vec::new(),
        units: match (study.levels.first(), r.units.levels.first()) {
            (Some(l), Some(u)) if l.name.is_none() => Some(units_summary(&l.file, &u.after)),
            _ => None,
        },
        levels: study
            .levels
            .iter()
            .any(|l| l.name.is_some())
            .then(|| levels_summary(r)),
        access: r.opts.access.map(|m| access_summary(m, c)),
        whatif: c.before.as_ref().map(|b| whatif_summary(c, b)),
        gaps: gaps_summary(&c.cov, r.gaps),
        targets: (!study.config.targets.is_empty()).then(|| report::TargetsSummary {
            passed: r.target_rows.iter().filter(|t| t.pass).count(),
            failed: r.target_rows.iter().filter(|t| !t.pass).count(),
            checks: r.target_rows.to_vec(),
        }),
    }
}

fn inputs_facts(r: &Results<'_>) -> Inputs {
    let (opts, study, c) = (r.opts, r.study, r.computed);
    let population_rejected: f64 = c.rejected.iter().filter_map(|x| x.population).sum();
    let pop_file_shown = opts.population.display().to_string();
    Inputs {
        sites_file: study.sites_file.clone(),
        sites_crs: opts.sites_crs.to_string(),
        sites_read: study.sites_read,
        sites_used: c.sites.len(),
        population_file: study.pop_file.clone(),
        population_crs: opts.population_crs.to_string(),
        cells: study.cells.len(),
        cells_rejected: c
            .rejected
            .iter()
            .filter(|x| x.file == pop_file_shown)
            .count(),
        population_input_total: report::round_pop(study.input_total),
        population_rejected: report::round_pop(population_rejected),
        population_clipped: report::round_pop(study.clipped),
        population_format: study.pop_report.clone(),
        has_elderly: study.has_elderly,
        elderly_label: study.run.elderly_label.clone(),
        network_file: opts.network.as_ref().map(|p| p.display().to_string()),
    }
}

fn units_summary(file: &str, u: &UnitsReport) -> report::UnitsSummary {
    report::UnitsSummary {
        file: file.to_owned(),
        count: u.units.len(),
        assignment: match u.assignment {
            units::Assignment::Centroid => "centroid".into(),
            units::Assignment::Area => "area".into(),
        },
        outside_population: report::round_pop(u.outside_population),
        outside_elderly: report::round_pop(u.outside_elderly),
        outside_cells: (u.outside_cells * 1e6).round() / 1e6,
        outside_sites: u.outside_sites,
    }
}

/// `summary.json` → `levels`: each named level, its straddling units and the
/// categories bound to it.
fn levels_summary(r: &Results<'_>) -> Vec<report::LevelSummary> {
    let (study, cov) = (r.study, &r.computed.cov);
    study
        .levels
        .iter()
        .zip(&r.units.levels)
        .enumerate()
        .map(|(li, (level, res))| {
            let name = level.name.clone().unwrap_or_default();
            let above = li.checked_sub(1).map(|i| &study.levels[i]);
            let straddling = match above {
                None => Vec::new(),
                Some(above) => level
                    .units
                    .iter()
                    .zip(&level.parents)
                    .filter(|(_, p)| p.is_none_or(|p| p.straddles()))
                    .map(|(u, p)| report::Straddling {
                        unit_id: u.id.clone(),
                        parent_id: p
                            .map(|p| above.units[p.index as usize].id.clone())
                            .unwrap_or_default(),
                        parent_share: p.map_or(0.0, |p| (p.share * 1e6).round() / 1e6),
                    })
                    .collect(),
            };
            let categories = cov
                .categories
                .iter()
                .enumerate()
                .filter(|(_, c)| c.category.level.as_ref() == Some(&name))
                .map(|(k, c)| {
                    let units = &res.after.units;
                    let pop: f64 = units.iter().map(|u| u.population).sum();
                    let covered: f64 = units
                        .iter()
                        .map(|u| u.categories[k].population_covered)
                        .sum();
                    report::LevelCategory {
                        category: c.category.name.clone(),
                        units: units.len(),
                        units_with_site: units
                            .iter()
                            .filter(|u| u.categories[k].sites_in_unit > 0)
                            .count(),
                        units_without_site: units
                            .iter()
                            .filter(|u| u.categories[k].sites_in_unit == 0)
                            .map(|u| u.id.clone())
                            .collect(),
                        population_share: report::round_share(crate::analysis::coverage::share(
                            covered, pop,
                        )),
                        sites_outside_level: res
                            .after
                            .outside_site_ids
                            .iter()
                            .filter(|(kk, _)| *kk == k)
                            .map(|(_, id)| id.clone())
                            .collect(),
                    }
                })
                .collect();
            report::LevelSummary {
                level: name,
                parent_level: above.and_then(|a| a.name.clone()).unwrap_or_default(),
                units: units_summary(&level.file, &res.after),
                straddling,
                categories,
            }
        })
        .collect()
}

fn access_summary(method: crate::analysis::access::Method, c: &Computed) -> report::AccessSummary {
    report::AccessSummary {
        method: method.name().into(),
        categories: c
            .cov
            .categories
            .iter()
            .zip(&c.access)
            .map(|(cat, a)| report::AccessCategory {
                category: cat.category.name.clone(),
                supply_total: a.supply_total,
                supply_reached: a.supply_reached,
                demand_weighted_score: (a.demand_weighted_score * 1e6).round() / 1e6,
                sites_without_demand: a.sites_without_demand,
            })
            .collect(),
    }
}

/// `summary.json` → `whatif`: shares before and after the planned sites.
fn whatif_summary(c: &Computed, before: &Coverage) -> serde_json::Value {
    let cat = |name: &str, sb: &CategoryStats, sa: &CategoryStats, newly: usize| {
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
    let cov = &c.cov;
    serde_json::json!({
        "planned_file": c.planned_file,
        "planned_sites": c.sites.len() - c.n_existing,
        "categories": before.categories.iter().zip(&cov.categories).map(|(cb, ca)| {
            cat(&ca.category.name, &cb.stats, &ca.stats, newly(&cb.covered, &ca.covered))
        }).collect::<Vec<_>>(),
        "covered_all": cat("covered_all", &before.all, &cov.all, newly(&before.covered_all, &cov.covered_all)),
    })
}

fn gaps_summary(cov: &Coverage, g: &GapResults) -> report::GapsSummary {
    report::GapsSummary {
        link_m: (g.link_m * 10.0).round() / 10.0,
        spacing_m: (g.spacing_m * 10.0).round() / 10.0,
        zones: cov
            .categories
            .iter()
            .map(|c| c.category.name.as_str())
            .chain(std::iter::once("covered_all"))
            .map(|name| {
                let z: Vec<&GapZone> = g.zones.iter().filter(|x| x.category == name).collect();
                report::GapCount {
                    category: name.to_owned(),
                    zones: z.len(),
                    population: report::round_pop(z.iter().map(|x| x.population).sum()),
                    elderly: report::round_pop(z.iter().map(|x| x.elderly).sum()),
                }
            })
            .collect(),
    }
}

/// The large files, formatted and flushed side by side.
fn write_cells_and_gaps(
    r: &Results<'_>,
    outlines: &[geo::MultiPolygon<f64>],
    outputs: &mut OutputSet,
) -> Result<()> {
    let (cells, cov, proj) = (&r.study.cells, &r.computed.cov, &r.study.proj);
    let (has_elderly, method, zones) = (r.study.has_elderly, r.method.as_str(), &r.gaps.zones);
    let mut jobs: Vec<(&str, export::WriteJob<'_>)> = Vec::new();
    if r.opts.formats.csv {
        jobs.push((
            "cells.csv",
            Box::new(|w: &mut dyn std::io::Write| {
                export::cells_csv(w, cells, cov, has_elderly, method)
            }),
        ));
    }
    if r.opts.formats.geojson {
        jobs.push((
            "cells.geojson",
            Box::new(|w: &mut dyn std::io::Write| {
                export::cells_geojson(w, cells, cov, has_elderly, method)
            }),
        ));
    }
    jobs.push((
        "gaps.csv",
        Box::new(|w: &mut dyn std::io::Write| export::gaps_csv(w, zones, proj, has_elderly)),
    ));
    jobs.push((
        "gaps.geojson",
        Box::new(|w: &mut dyn std::io::Write| {
            export::gaps_geojson(w, zones, outlines, proj, has_elderly)
        }),
    ));
    outputs.write_many(jobs)?;
    Ok(())
}

/// rejected.csv, sites.csv and, when the run has them, the what-if, access,
/// service-area, unit and target files.
fn write_small_files(r: &Results<'_>, outputs: &mut OutputSet) -> Result<()> {
    let (c, cells, has_elderly) = (r.computed, &r.study.cells, r.study.has_elderly);
    let cov = &c.cov;
    outputs.write("rejected.csv", |w| export::rejected_csv(w, &c.rejected))?;
    outputs.write("sites.csv", |w| {
        export::sites_csv(w, &c.sites, r.site_used, c.n_existing)
    })?;
    if let Some(b) = &c.before {
        outputs.write("whatif_cells.csv", |w| {
            export::whatif_cells_csv(w, cells, b, cov)
        })?;
        for (level, res) in r.study.levels.iter().zip(&r.units.levels) {
            if let Some(ub) = &res.before {
                outputs.write(&format!("whatif_{}.csv", level.stem()), |w| {
                    export::whatif_units_csv(w, ub, &res.after, cov)
                })?;
            }
        }
    }
    if let Some(method) = r.opts.access {
        outputs.write("access.csv", |w| {
            export::access_csv(w, cells, cov, &c.access, method)
        })?;
    }
    if let Some((areas, buffer_m)) = &c.service_areas {
        outputs.write("service_areas.geojson", |w| {
            write_service_areas(w, areas, *buffer_m, r.study.mode)
        })?;
    }
    for (li, (level, res)) in r.study.levels.iter().zip(&r.units.levels).enumerate() {
        let stem = level.stem();
        let links = level_links(r.study, li);
        let rep = &res.after;
        outputs.write(&format!("{stem}.csv"), |w| {
            export::units_csv(w, rep, cov, has_elderly, links.as_ref())
        })?;
        outputs.write(&format!("{stem}.geojson"), |w| {
            export::units_geojson(
                w,
                rep,
                &level.units,
                cov,
                has_elderly,
                links.as_ref().map(|l| (stem.as_str(), l)),
            )
        })?;
    }
    if !r.study.config.targets.is_empty() {
        outputs.write("targets.csv", |w| export::targets_csv(w, r.target_rows))?;
    }
    Ok(())
}

/// The QGIS styles stored in learncircle.gpkg: cells by walking time (one style
/// per category, the first the default), sites by category, gaps and units.
fn gpkg_styles(r: &Results<'_>) -> Vec<export::qgis_style::LayerStyle> {
    use export::qgis_style::{self, StyleCategory};
    let cats: Vec<StyleCategory<'_>> = r
        .computed
        .cov
        .categories
        .iter()
        .map(|c| StyleCategory {
            name: &c.category.name,
            label_zh: c.category.label_zh.as_deref(),
            label_en: c.category.label_en.as_deref(),
        })
        .collect();
    let mut styles = qgis_style::cells_styles(&cats, r.gaps.spacing_m);
    // The unnamed level's layer is `units`; named levels (`units_<level>`) are
    // not styled yet.
    if r.study.levels.iter().any(|l| l.name.is_none()) {
        styles.push(qgis_style::units_style());
    }
    styles.push(qgis_style::gaps_style());
    styles.push(qgis_style::sites_style(&cats));
    styles
}

/// The parent columns of level `li` (`None` for the unnamed level).
fn level_links(study: &Study, li: usize) -> Option<export::Links<'_>> {
    let level = &study.levels[li];
    level.name.as_ref()?;
    Some(export::Links {
        above: li.checked_sub(1).map(|i| &study.levels[i]),
        parents: &level.parents,
    })
}

/// learncircle.gpkg: cells, units, gap zones, sites and service areas as layers.
fn write_gpkg(
    r: &Results<'_>,
    outlines: &[geo::MultiPolygon<f64>],
    outputs: &mut OutputSet,
) -> Result<()> {
    let (c, study) = (r.computed, r.study);
    let (cov, has_elderly) = (&c.cov, study.has_elderly);
    outputs.write_at(export::GPKG_FILE, |file, shown| {
        let mut layers = vec![export::cells_layer(
            &study.cells,
            cov,
            has_elderly,
            &r.method,
        )];
        for (li, (level, res)) in study.levels.iter().zip(&r.units.levels).enumerate() {
            let stem = level.stem();
            layers.push(export::units_layer(
                &res.after,
                &level.units,
                cov,
                has_elderly,
                level_links(study, li).map(|l| (stem.as_str(), l)),
            ));
        }
        layers.push(export::gaps_layer(
            &r.gaps.zones,
            outlines,
            &study.proj,
            has_elderly,
        ));
        layers.push(export::sites_layer(&c.sites, r.site_used, c.n_existing));
        if let Some((areas, buffer_m)) = &c.service_areas {
            layers.push(export::gpkg::service_areas_layer(
                areas,
                *buffer_m,
                service_method(study.mode, *buffer_m),
            ));
        }
        export::gpkg::write_gpkg_styled(file, shown, layers, &gpkg_styles(r))
    })?;
    Ok(())
}
