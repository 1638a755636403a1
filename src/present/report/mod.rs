//! Report: the run's results as plain serialisable data ([`Summary`], written as
//! `summary.json`) and the compact terminal table. Charts and the HTML report read
//! a finished run's `summary.json` back through the same type, so they never
//! recompute anything.

use serde::{Deserialize, Serialize};

pub mod html;

use crate::analysis::coverage::{CategoryStats, Coverage, share};
use crate::config::{Config, Layer};

/// `summary.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// learncircle version that wrote it.
    pub learncircle_version: String,
    /// `straight` or `network`.
    pub mode: String,
    /// Plain-language distance method; says "approximation" in straight mode.
    pub distance_method: String,
    /// Inputs and what was used of them.
    pub inputs: Inputs,
    /// The local projection used for all distances.
    pub projection: ProjectionInfo,
    /// The configuration as resolved (categories with thresholds, speeds, layers).
    pub config: serde_json::Value,
    /// Per category.
    pub categories: Vec<CategorySummary>,
    /// Cells covered for every category (`covered_all`).
    pub overall: CategorySummary,
    /// Per tier: cells covered for every category of the tier (tiers are not nested).
    #[serde(default)]
    pub tiers: Vec<TierSummary>,
    /// Units (`--units`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub units: Option<UnitsSummary>,
    /// Named unit levels (`--units LEVEL=FILE`), coarsest first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub levels: Option<Vec<LevelSummary>>,
    /// Policy targets from the config.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targets: Option<TargetsSummary>,
    /// Gap zones per category.
    #[serde(default)]
    pub gaps: GapsSummary,
    /// 2SFCA accessibility (`--access`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<AccessSummary>,
    /// Network statistics (network mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<serde_json::Value>,
    /// Rejected inputs: total and per file.
    pub rejected: RejectedCounts,
    /// Warnings printed during the run.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// Wall time per stage, milliseconds (the only field that differs between
    /// otherwise identical runs).
    #[serde(default)]
    pub timings_ms: Vec<StageTiming>,
    /// What-if comparison, when the run evaluated one:
    /// `{ "categories": [ {"name", "population_share_before", "population_share_after",
    /// "elderly_share_before", "elderly_share_after"} ] }` (read by charts and report).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub whatif: Option<serde_json::Value>,
}

/// Coverage of one tier.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TierSummary {
    /// Tier label.
    pub tier: String,
    /// Categories of the tier.
    pub categories: Vec<String>,
    /// Cells covered for every category of the tier.
    pub cells_covered: usize,
    /// Residents covered.
    pub population_covered: f64,
    /// Share of residents covered.
    pub population_share: f64,
    /// Elderly covered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elderly_covered: Option<f64>,
    /// Share of elderly covered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elderly_share: Option<f64>,
}

/// Units block of the summary.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UnitsSummary {
    /// Units file.
    pub file: String,
    /// Units used.
    pub count: usize,
    /// `centroid` or `area`.
    pub assignment: String,
    /// Residents in no unit.
    pub outside_population: f64,
    /// Elderly in no unit.
    pub outside_elderly: f64,
    /// Cells (fractions) in no unit.
    pub outside_cells: f64,
    /// Sites in no unit.
    pub outside_sites: usize,
}

/// One named unit level in the summary.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LevelSummary {
    /// Level name.
    pub level: String,
    /// The level above (empty for the first level).
    pub parent_level: String,
    /// The units of this level as in `units.*`.
    #[serde(flatten)]
    pub units: UnitsSummary,
    /// Units with less than 99 % of their area in one parent (or in none).
    pub straddling: Vec<Straddling>,
    /// Categories bound to this level: units with a site, coverage, sites outside.
    pub categories: Vec<LevelCategory>,
}

/// A unit that straddles the units of the level above.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Straddling {
    /// The unit.
    pub unit_id: String,
    /// Its parent (largest area share; empty when in none).
    pub parent_id: String,
    /// Share of its area inside that parent.
    pub parent_share: f64,
}

/// A category bound to a level, judged per unit of that level.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LevelCategory {
    /// Category.
    pub category: String,
    /// Units of the level.
    pub units: usize,
    /// Units with at least one site of the category inside.
    pub units_with_site: usize,
    /// Units without one (codes, file order).
    pub units_without_site: Vec<String>,
    /// Share of the residents of the level's units covered.
    pub population_share: f64,
    /// Sites of the category in no unit of the level (ids).
    pub sites_outside_level: Vec<String>,
}

/// 2SFCA block of the summary.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AccessSummary {
    /// `2sfca`, `e2sfca-step` or `e2sfca-gaussian`.
    pub method: String,
    /// Per category.
    pub categories: Vec<AccessCategory>,
}

/// 2SFCA totals of one category.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AccessCategory {
    /// Category.
    pub category: String,
    /// Σ capacity of the sites (1 per site without a capacity).
    pub supply_total: f64,
    /// Σ capacity of sites with demand in reach.
    pub supply_reached: f64,
    /// Σ demand × score: equals `supply_reached` (supply is conserved).
    pub demand_weighted_score: f64,
    /// Sites with no demand in reach.
    pub sites_without_demand: usize,
}

/// Gap zones block of the summary.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GapsSummary {
    /// Link distance used to connect uncovered cells, metres.
    pub link_m: f64,
    /// Median cell spacing, metres.
    pub spacing_m: f64,
    /// Per category (and `covered_all`).
    pub zones: Vec<GapCount>,
}

/// Gap zones of one category.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GapCount {
    /// Category or `covered_all`.
    pub category: String,
    /// Number of zones.
    pub zones: usize,
    /// Residents in them (= uncovered residents of populated cells).
    pub population: f64,
    /// Elderly in them.
    pub elderly: f64,
}

/// Targets block of the summary.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TargetsSummary {
    /// Checks passed.
    pub passed: usize,
    /// Checks failed.
    pub failed: usize,
    /// Every check (as in `targets.csv`).
    pub checks: Vec<crate::analysis::targets::TargetRow>,
}

pub use crate::base::timing::StageTiming;

/// Input files and counts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Inputs {
    /// Sites file.
    pub sites_file: String,
    /// Datum of the sites file.
    pub sites_crs: String,
    /// Site rows/features read (used + rejected).
    pub sites_read: usize,
    /// Sites used.
    pub sites_used: usize,
    /// Population file(s).
    pub population_file: String,
    /// Datum of the population file.
    pub population_crs: String,
    /// Cells used.
    pub cells: usize,
    /// Population records rejected.
    pub cells_rejected: usize,
    /// Σ population of every readable record (persons).
    pub population_input_total: f64,
    /// Σ population of rejected records.
    pub population_rejected: f64,
    /// Σ population outside the clip area (`--clip`), not analysed.
    #[serde(default)]
    pub population_clipped: f64,
    /// Format-specific facts (raster grid and CRS, GeoPackage layer, masks, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub population_format: Option<serde_json::Value>,
    /// Whether an elderly layer was present.
    pub has_elderly: bool,
    /// What the elderly layer means (e.g. `60+`).
    pub elderly_label: String,
    /// Network file, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_file: Option<String>,
}

/// Local transverse Mercator parameters.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProjectionInfo {
    /// Always `tmerc` (WGS84 ellipsoid, k0 = 1).
    pub kind: String,
    /// Central meridian, degrees.
    pub lon_0: f64,
    /// Latitude of origin, degrees.
    pub lat_0: f64,
}

/// Counts of rejected records.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RejectedCounts {
    /// All rejected records.
    pub total: usize,
    /// Per input file.
    pub by_file: std::collections::BTreeMap<String, usize>,
}

/// Coverage of one category (or of `covered_all`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CategorySummary {
    /// Category name (`covered_all` for the overall block).
    pub name: String,
    /// Chinese label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_zh: Option<String>,
    /// English label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_en: Option<String>,
    /// Tier label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    /// Threshold, metres of walking (absent for the overall block).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold_m: Option<f64>,
    /// Threshold, minutes at the category's speed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold_min: Option<f64>,
    /// Walking speed, m/s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed_m_per_s: Option<f64>,
    /// Profile name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// Layer served: `total` or `elderly`.
    pub layer: Layer,
    /// Sites of the category.
    pub sites: usize,
    /// Sites used (attached to the network).
    pub sites_used: usize,
    /// Cells analysed.
    pub cells: usize,
    /// Cells within the threshold.
    pub cells_covered: usize,
    /// Cells with nothing within the search bound.
    pub cells_unreached: usize,
    /// Cells that could not be placed on the network.
    pub cells_off_network: usize,
    /// Residents.
    pub population: f64,
    /// Residents covered.
    pub population_covered: f64,
    /// Share of residents covered.
    pub population_share: f64,
    /// Elderly residents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elderly: Option<f64>,
    /// Elderly residents covered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elderly_covered: Option<f64>,
    /// Share of elderly residents covered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elderly_share: Option<f64>,
    /// Share of the served layer covered (elderly for elderly categories).
    pub served_share: f64,
    /// Number of gap zones found for the category, when gaps were computed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gap_zones: Option<usize>,
}

/// Round a population for JSON (1e-3 persons).
#[must_use]
pub fn round_pop(v: f64) -> f64 {
    // `+ 0.0` turns a rounded -0.0 into 0.0 (no "-0.0" in summary.json).
    (v * 1000.0).round() / 1000.0 + 0.0
}

/// Round a share for JSON (1e-6).
#[must_use]
pub fn round_share(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

fn category_summary(
    name: &str,
    stats: &CategoryStats,
    layer: Layer,
    off_network: usize,
) -> CategorySummary {
    CategorySummary {
        name: name.to_owned(),
        layer,
        sites: stats.sites,
        sites_used: stats.sites_used,
        cells: stats.cells,
        cells_covered: stats.cells_covered,
        cells_unreached: stats.cells_unreached,
        cells_off_network: off_network,
        population: round_pop(stats.population),
        population_covered: round_pop(stats.population_covered),
        population_share: round_share(stats.population_share()),
        elderly: stats.elderly.map(round_pop),
        elderly_covered: stats.elderly_covered.map(round_pop),
        elderly_share: stats.elderly_share().map(round_share),
        served_share: round_share(stats.served_share(layer)),
        ..CategorySummary::default()
    }
}

/// Everything about the run that is not coverage itself.
#[derive(Clone, Debug)]
pub struct RunFacts {
    /// `straight` or `network`.
    pub mode: String,
    /// Straight-line circuity (used in straight mode).
    pub circuity: f64,
    /// Input facts.
    pub inputs: Inputs,
    /// Projection.
    pub projection: ProjectionInfo,
    /// The configuration used.
    pub config: Config,
    /// Network statistics.
    pub network: Option<serde_json::Value>,
    /// Rejected counts.
    pub rejected: RejectedCounts,
    /// Warnings.
    pub warnings: Vec<String>,
    /// Stage timings.
    pub timings_ms: Vec<StageTiming>,
    /// Units block.
    pub units: Option<UnitsSummary>,
    /// Named unit levels.
    pub levels: Option<Vec<LevelSummary>>,
    /// Targets block.
    pub targets: Option<TargetsSummary>,
    /// Gap zones.
    pub gaps: GapsSummary,
    /// 2SFCA block.
    pub access: Option<AccessSummary>,
    /// What-if block.
    pub whatif: Option<serde_json::Value>,
}

/// Build the summary of a run.
#[must_use]
pub fn summarise(facts: RunFacts, coverage: &Coverage) -> Summary {
    let off = coverage.off_network.iter().filter(|o| **o).count();
    let categories = coverage
        .categories
        .iter()
        .map(|c| {
            let cat = &c.category;
            let mut s = category_summary(&cat.name, &c.stats, cat.layer, off);
            s.label_zh.clone_from(&cat.label_zh);
            s.label_en.clone_from(&cat.label_en);
            s.tier.clone_from(&cat.tier);
            s.threshold_m = Some(cat.threshold_m);
            s.threshold_min = Some(round_share(cat.threshold_min()));
            s.speed_m_per_s = Some(cat.profile.speed_m_per_s);
            s.profile = Some(cat.profile_name.clone());
            s
        })
        .collect();
    let mut categories: Vec<CategorySummary> = categories;
    let zones = |name: &str| {
        facts
            .gaps
            .zones
            .iter()
            .find(|g| g.category == name)
            .map(|g| g.zones)
    };
    for c in &mut categories {
        c.gap_zones = zones(&c.name);
    }
    let mut overall = category_summary("covered_all", &coverage.all, Layer::Total, off);
    overall.gap_zones = zones("covered_all");
    overall.sites = coverage.categories.iter().map(|c| c.stats.sites).sum();
    overall.sites_used = coverage.categories.iter().map(|c| c.stats.sites_used).sum();
    let distance_method = if facts.mode == "network" {
        "walking distance along the OpenStreetMap pedestrian network (door-to-door edge snapping)"
            .to_owned()
    } else {
        format!(
            "APPROXIMATION: straight-line distance × circuity {:.2}, not measured along streets",
            facts.circuity
        )
    };
    Summary {
        learncircle_version: env!("CARGO_PKG_VERSION").to_owned(),
        mode: facts.mode,
        distance_method,
        inputs: facts.inputs,
        projection: facts.projection,
        config: serde_json::to_value(&facts.config).unwrap_or(serde_json::Value::Null),
        categories,
        overall,
        tiers: coverage
            .tiers
            .iter()
            .map(|t| TierSummary {
                tier: t.tier.clone(),
                categories: t.categories.clone(),
                cells_covered: t.stats.cells_covered,
                population_covered: round_pop(t.stats.population_covered),
                population_share: round_share(t.stats.population_share()),
                elderly_covered: t.stats.elderly_covered.map(round_pop),
                elderly_share: t.stats.elderly_share().map(round_share),
            })
            .collect(),
        units: facts.units,
        levels: facts.levels,
        targets: facts.targets,
        gaps: facts.gaps,
        access: facts.access,
        network: facts.network,
        rejected: facts.rejected,
        warnings: facts.warnings,
        timings_ms: facts.timings_ms,
        whatif: facts.whatif,
    }
}

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

/// Columns a terminal uses for `s`: two for wide (CJK, full-width) characters.
#[must_use]
pub fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| {
            let u = u32::from(c);
            let wide = matches!(u,
                0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF
                | 0x4E00..=0x9FFF | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
                | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD);
            if wide { 2 } else { 1 }
        })
        .sum()
}

/// The compact per-category table printed on the terminal: threshold, sites,
/// residents and elderly covered (with shares), cells covered, cells off the
/// network, gap zones (when the run counted them) and the layer served.
#[must_use]
pub fn terminal_table(s: &Summary) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "learncircle {} — mode: {} — {}",
        s.learncircle_version, s.mode, s.distance_method
    );
    aligned_rows(&table_rows(s), &mut out);
    table_notes(s, &mut out);
    out
}

/// The header row and one row per category, then the all-categories row.
fn table_rows(s: &Summary) -> Vec<Vec<String>> {
    let with_gaps = s.categories.iter().any(|c| c.gap_zones.is_some());
    let mut head: Vec<String> = [
        "category",
        "threshold",
        "sites",
        "population covered",
        "elderly covered",
        "cells covered",
        "off-network",
    ]
    .iter()
    .map(|h| (*h).to_owned())
    .collect();
    if with_gaps {
        head.push("gap zones".into());
    }
    head.push("layer".into());
    let mut rows: Vec<Vec<String>> = vec![head];
    for c in s.categories.iter().chain(std::iter::once(&s.overall)) {
        let thr = match (c.threshold_m, c.threshold_min) {
            (Some(m), Some(min)) => format!("{m:.0} m / {min:.1} min"),
            _ => "all categories".into(),
        };
        let sites = if c.sites == c.sites_used {
            c.sites.to_string()
        } else {
            format!("{}/{}", c.sites_used, c.sites)
        };
        let name = match &c.label_zh {
            Some(zh) => format!("{} {zh}", c.name),
            None => c.name.clone(),
        };
        let mut row = vec![
            name,
            thr,
            sites,
            format!(
                "{} of {} ({})",
                fmt_count(c.population_covered),
                fmt_count(c.population),
                pct(c.population_share)
            ),
            match (c.elderly_covered, c.elderly_share) {
                (Some(e), Some(sh)) => format!("{} ({})", fmt_count(e), pct(sh)),
                _ => "-".into(),
            },
            format!("{} / {}", c.cells_covered, c.cells),
            c.cells_off_network.to_string(),
        ];
        if with_gaps {
            row.push(c.gap_zones.map_or_else(|| "-".into(), |g| g.to_string()));
        }
        row.push(match c.layer {
            Layer::Total => "total".into(),
            Layer::Elderly => "elderly".into(),
        });
        rows.push(row);
    }
    rows
}

/// Columns padded to their widest cell (first left-aligned, others right), a
/// rule under the header.
fn aligned_rows(rows: &[Vec<String>], out: &mut String) {
    use std::fmt::Write as _;
    let columns = rows[0].len();
    let width = |i: usize| rows.iter().map(|r| display_width(&r[i])).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns).map(width).collect();
    for (ri, r) in rows.iter().enumerate() {
        let line: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let pad = widths[i].saturating_sub(display_width(v));
                if i == 0 {
                    format!("{v}{}", " ".repeat(pad))
                } else {
                    format!("{}{v}", " ".repeat(pad))
                }
            })
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
        if ri == 0 {
            let total: usize = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
            let _ = writeln!(out, "{}", "─".repeat(total));
        }
    }
}

/// Tiers, units, targets and rejected records under the table.
fn table_notes(s: &Summary, out: &mut String) {
    use std::fmt::Write as _;
    for t in &s.tiers {
        let _ = writeln!(
            out,
            "tier {}: {} ({}) covered for every category of the tier ({})",
            t.tier,
            fmt_count(t.population_covered),
            pct(t.population_share),
            t.categories.join(", ")
        );
    }
    if let Some(u) = &s.units {
        let _ = writeln!(
            out,
            "units: {} from {} ({} assignment); residents outside every unit: {}",
            u.count,
            u.file,
            u.assignment,
            fmt_count(u.outside_population)
        );
    }
    for l in s.levels.iter().flatten() {
        let _ = writeln!(
            out,
            "level {}: {} units from {}{}; residents outside every unit: {}; {} straddling",
            l.level,
            l.units.count,
            l.units.file,
            if l.parent_level.is_empty() {
                String::new()
            } else {
                format!(" (parents: {})", l.parent_level)
            },
            fmt_count(l.units.outside_population),
            l.straddling.len()
        );
        for c in &l.categories {
            let _ = writeln!(
                out,
                "  {}: {} of {} units have a site, {} of their residents covered{}",
                c.category,
                c.units_with_site,
                c.units,
                pct(c.population_share),
                if c.sites_outside_level.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; {} sites outside every {}",
                        c.sites_outside_level.len(),
                        l.level
                    )
                }
            );
        }
    }
    if let Some(t) = &s.targets {
        let _ = writeln!(out, "targets: {} passed, {} failed", t.passed, t.failed);
        for c in t.checks.iter().filter(|c| c.scope == "city") {
            let _ = writeln!(
                out,
                "  [{}] {} ({} {} {}: actual {:.4}){}",
                if c.pass { "PASS" } else { "FAIL" },
                c.target,
                c.metric,
                c.op,
                c.value,
                c.actual,
                check_context(c)
            );
        }
        let unit_checks = t.checks.iter().filter(|c| c.scope != "city").count();
        if unit_checks > 0 {
            let failed = t
                .checks
                .iter()
                .filter(|c| c.scope != "city" && !c.pass)
                .count();
            let _ = writeln!(
                out,
                "  per-unit checks: {unit_checks} ({failed} failed; see targets.csv)"
            );
            // Per target: its failing units.
            let mut names: Vec<&str> = Vec::new();
            for c in t.checks.iter().filter(|c| c.scope != "city") {
                if !names.contains(&c.target.as_str()) {
                    names.push(&c.target);
                }
            }
            for name in names {
                let rows: Vec<_> = t
                    .checks
                    .iter()
                    .filter(|c| c.scope != "city" && c.target == name)
                    .collect();
                let fails: Vec<&str> = rows
                    .iter()
                    .filter(|c| !c.pass)
                    .map(|c| c.scope.as_str())
                    .collect();
                let mut line = format!(
                    "  [{}] {}{}: {} of {} units pass",
                    if fails.is_empty() { "PASS" } else { "FAIL" },
                    name,
                    check_context(rows[0]),
                    rows.len() - fails.len(),
                    rows.len()
                );
                if !fails.is_empty() {
                    let shown: Vec<&str> = fails.iter().take(8).copied().collect();
                    line.push_str(&format!("; failing: {}", shown.join(", ")));
                    if fails.len() > 8 {
                        line.push_str(&format!(", … ({} more)", fails.len() - 8));
                    }
                }
                let _ = writeln!(out, "{line}");
            }
        }
    }
    if s.rejected.total > 0 {
        let _ = writeln!(
            out,
            "{} input records rejected (see rejected.csv)",
            s.rejected.total
        );
    }
}

/// ` @level where …` of a check (empty for plain checks).
fn check_context(c: &crate::analysis::targets::TargetRow) -> String {
    let mut s = String::new();
    if !c.level.is_empty() {
        s.push_str(&format!(" @{}", c.level));
    }
    if !c.restriction.is_empty() {
        s.push_str(&format!(" where {}", c.restriction));
    }
    s
}

/// Thousands-separated count, rounded to a person.
#[must_use]
pub fn fmt_count(v: f64) -> String {
    let n = v.round();
    let digits = format!("{:.0}", n.abs());
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0.0 { format!("-{out}") } else { out }
}

/// Share helper re-exported for exporters.
#[must_use]
pub fn safe_share(part: f64, whole: f64) -> f64 {
    share(part, whole)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_characters_take_two_columns() {
        assert_eq!(display_width("library"), 7);
        assert_eq!(display_width("library 图书馆"), 14);
        assert_eq!(display_width("（）"), 4);
    }

    #[test]
    fn counts_format() {
        assert_eq!(fmt_count(1_234_567.4), "1,234,567");
        assert_eq!(fmt_count(999.0), "999");
        assert_eq!(fmt_count(0.0), "0");
    }
}
