//! Policy targets (e.g. Shanghai 2035: 99 % of residents inside a 15-minute life
//! circle; Hangzhou 2027: 80 % coverage at community level; "every street a
//! community school") checked against a run's results.
//!
//! A target is written as a rule `CATEGORY.METRIC OP VALUE`, with a scope:
//! * scope `city` (default): one check for the whole study area;
//! * scope `unit`: one check per unit (needs `--units`).
//!
//! `CATEGORY` is a category name, `covered_all`, or `tier:<label>`. Metrics:
//! `covered_share`, `elderly_covered_share`, `served_share` (share of the
//! category's layer), `units_with_site` (city scope: share of units with ≥ 1 site
//! of the category inside), `has_site` (unit scope: 1 or 0).

use serde::{Deserialize, Serialize};

use crate::analysis::coverage::{Coverage, share};
use crate::analysis::units::UnitsReport;

/// Comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    /// ≥
    #[serde(rename = ">=")]
    Ge,
    /// >
    #[serde(rename = ">")]
    Gt,
    /// ≤
    #[serde(rename = "<=")]
    Le,
    /// <
    #[serde(rename = "<")]
    Lt,
}

impl Op {
    fn text(self) -> &'static str {
        match self {
            Op::Ge => ">=",
            Op::Gt => ">",
            Op::Le => "<=",
            Op::Lt => "<",
        }
    }

    fn holds(self, actual: f64, value: f64) -> bool {
        // Shares are rounded to 1e-9 before comparing so that 0.8 == 4/5.
        let a = (actual * 1e9).round() / 1e9;
        match self {
            Op::Ge => a >= value,
            Op::Gt => a > value,
            Op::Le => a <= value,
            Op::Lt => a < value,
        }
    }
}

/// Where a target is checked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// The whole study area.
    #[default]
    City,
    /// Every unit separately.
    Unit,
}

/// What is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Residents covered ÷ residents.
    CoveredShare,
    /// Elderly covered ÷ elderly.
    ElderlyCoveredShare,
    /// Share of the category's layer covered.
    ServedShare,
    /// Units with ≥ 1 site ÷ units (city scope).
    UnitsWithSite,
    /// 1 when the unit has ≥ 1 site (unit scope).
    HasSite,
}

impl Metric {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "covered_share" => Metric::CoveredShare,
            "elderly_covered_share" => Metric::ElderlyCoveredShare,
            "served_share" => Metric::ServedShare,
            "units_with_site" => Metric::UnitsWithSite,
            "has_site" => Metric::HasSite,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Metric::CoveredShare => "covered_share",
            Metric::ElderlyCoveredShare => "elderly_covered_share",
            Metric::ServedShare => "served_share",
            Metric::UnitsWithSite => "units_with_site",
            Metric::HasSite => "has_site",
        }
    }
}

/// A parsed target.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Target {
    /// Display name (defaults to the rule).
    pub name: String,
    /// Category, `covered_all` or `tier:<label>`.
    pub category: String,
    /// Metric.
    pub metric: Metric,
    /// Operator.
    pub op: Op,
    /// Threshold value.
    pub value: f64,
    /// Scope.
    pub scope: Scope,
}

/// Parse `CATEGORY.METRIC OP VALUE`.
///
/// # Errors
/// A message saying what is wrong with the rule.
pub fn parse_rule(rule: &str, name: Option<&str>, scope: Scope) -> Result<Target, String> {
    let rule_t = rule.trim();
    let (lhs, op, rhs) = [">=", "<=", ">", "<"]
        .iter()
        .find_map(|op| rule_t.split_once(op).map(|(l, r)| (l, *op, r)))
        .ok_or_else(|| {
            format!("target {rule:?}: expected CATEGORY.METRIC >= VALUE (or >, <=, <)")
        })?;
    let op = match op {
        ">=" => Op::Ge,
        "<=" => Op::Le,
        ">" => Op::Gt,
        _ => Op::Lt,
    };
    let (category, metric) = lhs
        .trim()
        .rsplit_once('.')
        .ok_or_else(|| format!("target {rule:?}: left side must be CATEGORY.METRIC"))?;
    let metric = Metric::parse(metric.trim()).ok_or_else(|| {
        format!(
            "target {rule:?}: unknown metric {metric:?} (covered_share, elderly_covered_share, served_share, units_with_site, has_site)"
        )
    })?;
    let value: f64 = rhs
        .trim()
        .trim_end_matches('%')
        .parse()
        .map_err(|_| format!("target {rule:?}: value {rhs:?} is not a number"))?;
    let value = if rhs.trim().ends_with('%') {
        value / 100.0
    } else {
        value
    };
    if !value.is_finite() {
        return Err(format!("target {rule:?}: value is not finite"));
    }
    match (metric, scope) {
        (Metric::UnitsWithSite, Scope::Unit) => {
            return Err(format!(
                "target {rule:?}: units_with_site is a city-scope metric (use has_site per unit)"
            ));
        }
        (Metric::HasSite, Scope::City) => {
            return Err(format!(
                "target {rule:?}: has_site is a unit-scope metric (use units_with_site citywide)"
            ));
        }
        _ => {}
    }
    Ok(Target {
        name: name.map_or_else(|| rule_t.to_owned(), str::to_owned),
        category: category.trim().to_owned(),
        metric,
        op,
        value,
        scope,
    })
}

/// One evaluated check.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TargetRow {
    /// Target name.
    pub target: String,
    /// Category.
    pub category: String,
    /// `city` or the unit id.
    pub scope: String,
    /// Metric name.
    pub metric: String,
    /// Operator.
    pub op: String,
    /// Threshold.
    pub value: f64,
    /// Measured value.
    pub actual: f64,
    /// Whether the target is met.
    pub pass: bool,
}

/// Check that every target names a known category and that unit metrics have units.
///
/// # Errors
/// A message naming the target and the problem.
pub fn validate(targets: &[Target], coverage: &Coverage, has_units: bool) -> Result<(), String> {
    for t in targets {
        let known = t.category == "covered_all"
            || t.category
                .strip_prefix("tier:")
                .is_some_and(|l| coverage.tiers.iter().any(|x| x.tier == l))
            || coverage
                .categories
                .iter()
                .any(|c| c.category.name == t.category);
        if !known {
            let mut names: Vec<String> = coverage
                .categories
                .iter()
                .map(|c| c.category.name.clone())
                .collect();
            names.push("covered_all".into());
            names.extend(coverage.tiers.iter().map(|t| format!("tier:{}", t.tier)));
            return Err(format!(
                "target {:?} names unknown category {:?} (known: {})",
                t.name,
                t.category,
                names.join(", ")
            ));
        }
        let needs_units =
            t.scope == Scope::Unit || matches!(t.metric, Metric::UnitsWithSite | Metric::HasSite);
        if needs_units && !has_units {
            return Err(format!(
                "target {:?} is checked per unit and needs --units FILE",
                t.name
            ));
        }
        if matches!(t.metric, Metric::UnitsWithSite | Metric::HasSite)
            && !coverage
                .categories
                .iter()
                .any(|c| c.category.name == t.category)
        {
            return Err(format!(
                "target {:?}: {} needs a single category, not {:?}",
                t.name,
                t.metric.name(),
                t.category
            ));
        }
    }
    Ok(())
}

struct Totals {
    pop: f64,
    pop_cov: f64,
    eld: f64,
    eld_cov: f64,
    elderly_layer: bool,
}

fn city_totals(t: &Target, cov: &Coverage) -> Totals {
    let stats = if t.category == "covered_all" {
        (&cov.all, false)
    } else if let Some(l) = t.category.strip_prefix("tier:") {
        (
            &cov.tiers
                .iter()
                .find(|x| x.tier == l)
                .expect("validated")
                .stats,
            false,
        )
    } else {
        let c = cov
            .categories
            .iter()
            .find(|c| c.category.name == t.category)
            .expect("validated");
        (
            &c.stats,
            c.category.layer == crate::base::category::Layer::Elderly,
        )
    };
    Totals {
        pop: stats.0.population,
        pop_cov: stats.0.population_covered,
        eld: stats.0.elderly.unwrap_or(0.0),
        eld_cov: stats.0.elderly_covered.unwrap_or(0.0),
        elderly_layer: stats.1 && stats.0.elderly.is_some(),
    }
}

fn share_of(metric: Metric, t: &Totals) -> f64 {
    match metric {
        Metric::CoveredShare => share(t.pop_cov, t.pop),
        Metric::ElderlyCoveredShare => share(t.eld_cov, t.eld),
        Metric::ServedShare if t.elderly_layer => share(t.eld_cov, t.eld),
        _ => share(t.pop_cov, t.pop),
    }
}

/// Evaluate targets (already validated).
#[must_use]
pub fn evaluate(targets: &[Target], cov: &Coverage, units: Option<&UnitsReport>) -> Vec<TargetRow> {
    let mut rows = Vec::new();
    let row = |t: &Target, scope: String, actual: f64| TargetRow {
        target: t.name.clone(),
        category: t.category.clone(),
        scope,
        metric: t.metric.name().into(),
        op: t.op.text().into(),
        value: t.value,
        actual: (actual * 1e6).round() / 1e6,
        pass: t.op.holds(actual, t.value),
    };
    for t in targets {
        let cat_k = cov
            .categories
            .iter()
            .position(|c| c.category.name == t.category);
        match t.scope {
            Scope::City => {
                let actual = if t.metric == Metric::UnitsWithSite {
                    let u = units.expect("validated: units present");
                    let k = cat_k.expect("validated: single category");
                    let with = u
                        .units
                        .iter()
                        .filter(|x| x.categories[k].sites_in_unit > 0)
                        .count();
                    #[allow(clippy::cast_precision_loss)]
                    share(with as f64, u.units.len() as f64)
                } else {
                    share_of(t.metric, &city_totals(t, cov))
                };
                rows.push(row(t, "city".into(), actual));
            }
            Scope::Unit => {
                let u = units.expect("validated: units present");
                let tier_k = t
                    .category
                    .strip_prefix("tier:")
                    .and_then(|l| cov.tiers.iter().position(|x| x.tier == l));
                let elderly_layer = cat_k.is_some_and(|k| {
                    cov.categories[k].category.layer == crate::base::category::Layer::Elderly
                }) && cov.all.elderly.is_some();
                for unit in &u.units {
                    let actual = if t.metric == Metric::HasSite {
                        let k = cat_k.expect("validated: single category");
                        if unit.categories[k].sites_in_unit > 0 {
                            1.0
                        } else {
                            0.0
                        }
                    } else {
                        let (pc, ec) = match (cat_k, tier_k) {
                            (Some(k), _) => (
                                unit.categories[k].population_covered,
                                unit.categories[k].elderly_covered,
                            ),
                            (None, Some(k)) => (unit.tiers_covered[k], 0.0),
                            (None, None) => (unit.covered_all, 0.0),
                        };
                        let totals = Totals {
                            pop: unit.population,
                            pop_cov: pc,
                            eld: unit.elderly,
                            eld_cov: ec,
                            elderly_layer,
                        };
                        share_of(t.metric, &totals)
                    };
                    rows.push(row(t, unit.id.clone(), actual));
                }
            }
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse() {
        let t = parse_rule("library.covered_share >= 0.99", None, Scope::City).unwrap();
        assert_eq!(
            (t.category.as_str(), t.metric, t.op, t.value),
            ("library", Metric::CoveredShare, Op::Ge, 0.99)
        );
        let t = parse_rule(
            "tier:15min.covered_share >= 99%",
            Some("Shanghai 2035"),
            Scope::City,
        )
        .unwrap();
        assert_eq!(t.category, "tier:15min");
        assert!((t.value - 0.99).abs() < 1e-12);
        assert_eq!(t.name, "Shanghai 2035");
        assert!(
            parse_rule("library.coverage >= 1", None, Scope::City)
                .unwrap_err()
                .contains("unknown metric")
        );
        assert!(parse_rule("library covered_share 1", None, Scope::City).is_err());
        assert!(parse_rule("learning_point.units_with_site >= 0.8", None, Scope::Unit).is_err());
        assert!(Op::Ge.holds(0.8000000000001, 0.8) && Op::Ge.holds(4.0 / 5.0, 0.8));
    }
}
