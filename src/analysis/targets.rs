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
//!
//! With several unit levels, a metric may name its level
//! (`community_school.units_with_site@street >= 1.0`); otherwise a category bound
//! to a level (`level = "street"` in its config) is checked at that level. A
//! target may be restricted to some units ([`Filter`]: `zone == 'main_city'`,
//! `zone != 'x'`, `code in ['a', 'b']`, joined by `and`); an attribute missing
//! from a unit is looked up in its parent, grandparent, … so a street inherits its
//! district's `zone`. A restricted city-scope target sums the matching units.

use serde::{Deserialize, Serialize};

use crate::analysis::coverage::{Coverage, share};
use crate::analysis::units::{UnitLevel, UnitsReport};

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
    /// Unit level the target is checked at (`@street`, or `level = "street"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// Restriction to some units.
    #[serde(rename = "where", skip_serializing_if = "Option::is_none")]
    pub filter: Option<Filter>,
}

/// One condition of a [`Filter`].
#[derive(Clone, Debug, PartialEq, Eq)]
enum Clause {
    /// `key == value` (`negate`: `!=`), or `key in [values]`.
    Match {
        key: String,
        values: Vec<String>,
        negate: bool,
    },
}

/// A restriction of a target to some units: conditions on unit attributes joined
/// by `and`. `unit_id` and `unit_name` are the unit's code and name; any other key
/// is a property of the units file (or of the unit's parent level, …).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    /// The expression as written (normalised for a code list).
    pub text: String,
    clauses: Vec<Clause>,
}

impl Serialize for Filter {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

fn tokens(text: &str) -> Result<Vec<(bool, String)>, String> {
    // (quoted, text)
    let mut out = Vec::new();
    let mut it = text.chars().peekable();
    while let Some(&c) = it.peek() {
        if c.is_whitespace() {
            it.next();
        } else if c == '\'' || c == '"' {
            it.next();
            let mut v = String::new();
            loop {
                match it.next() {
                    Some(x) if x == c => break,
                    Some(x) => v.push(x),
                    None => return Err(format!("unclosed quote {c} in {text:?}")),
                }
            }
            out.push((true, v));
        } else if matches!(c, '[' | ']' | ',') {
            it.next();
            out.push((false, c.to_string()));
        } else if c == '=' || c == '!' {
            it.next();
            if it.next() != Some('=') {
                return Err(format!("expected == or != in {text:?}"));
            }
            out.push((false, format!("{c}=")));
        } else {
            let mut v = String::new();
            while let Some(&x) = it.peek() {
                if x.is_whitespace() || matches!(x, '[' | ']' | ',' | '=' | '!' | '\'' | '"') {
                    break;
                }
                v.push(x);
                it.next();
            }
            out.push((false, v));
        }
    }
    Ok(out)
}

impl Filter {
    /// Parse `KEY == 'v'`, `KEY != 'v'`, `KEY in ['a', 'b']`, joined by `and`
    /// (values quoted with `'` or `"`; bare words and numbers also accepted).
    ///
    /// # Errors
    /// A message showing the expression and what was expected.
    pub fn parse(text: &str) -> Result<Self, String> {
        let toks = tokens(text).map_err(|e| format!("where {text:?}: {e}"))?;
        let bad = |what: &str| {
            format!(
                "where {text:?}: {what} (expected KEY == 'value', KEY != 'value' or KEY in ['a', 'b'], joined by and)"
            )
        };
        let mut clauses = Vec::new();
        let mut i = 0;
        loop {
            let key = match toks.get(i) {
                Some((false, k)) if !matches!(k.as_str(), "[" | "]" | "," | "==" | "!=") => {
                    k.clone()
                }
                _ => return Err(bad("missing attribute name")),
            };
            let op = toks.get(i + 1).map(|t| t.1.as_str());
            let (values, negate, next) = match op {
                Some("==" | "!=") => match toks.get(i + 2) {
                    Some((q, v)) if *q || !matches!(v.as_str(), "[" | "]" | ",") => {
                        (vec![v.clone()], op == Some("!="), i + 3)
                    }
                    _ => return Err(bad("missing value")),
                },
                Some("in") => {
                    if toks.get(i + 2).map(|t| t.1.as_str()) != Some("[") {
                        return Err(bad("`in` needs a list in [ ]"));
                    }
                    let mut j = i + 3;
                    let mut vals = Vec::new();
                    loop {
                        match toks.get(j) {
                            Some((false, v)) if v == "]" => break,
                            Some((false, v)) if v == "," => j += 1,
                            Some((_, v)) => {
                                vals.push(v.clone());
                                j += 1;
                            }
                            None => return Err(bad("unclosed [")),
                        }
                    }
                    if vals.is_empty() {
                        return Err(bad("empty list"));
                    }
                    (vals, false, j + 1)
                }
                _ => return Err(bad("missing ==, != or in")),
            };
            clauses.push(Clause::Match {
                key,
                values,
                negate,
            });
            match toks.get(next) {
                None => break,
                Some((false, w)) if w.eq_ignore_ascii_case("and") => i = next + 1,
                Some(_) => return Err(bad("unexpected text after a condition")),
            }
        }
        Ok(Self {
            text: text.trim().to_owned(),
            clauses,
        })
    }

    /// A list of unit codes as a filter (`unit_id in ['a', 'b']`).
    #[must_use]
    pub fn codes(codes: &[String]) -> Self {
        let list: Vec<String> = codes
            .iter()
            .map(|c| format!("'{}'", c.replace('\'', "")))
            .collect();
        Self {
            text: format!("unit_id in [{}]", list.join(", ")),
            clauses: vec![Clause::Match {
                key: "unit_id".into(),
                values: codes.to_vec(),
                negate: false,
            }],
        }
    }

    /// Both restrictions (`self and other`).
    #[must_use]
    pub fn and(mut self, other: Filter) -> Self {
        self.text = format!("{} and {}", self.text, other.text);
        self.clauses.extend(other.clauses);
        self
    }

    fn keys(&self) -> impl Iterator<Item = &str> {
        self.clauses
            .iter()
            .map(|Clause::Match { key, .. }| key.as_str())
    }

    /// Whether unit `u` of level `li` matches (attributes looked up in the
    /// unit, then its parent, …).
    fn matches(&self, levels: &[UnitLevel], li: usize, u: usize) -> bool {
        self.clauses.iter().all(
            |Clause::Match {
                 key,
                 values,
                 negate,
             }| {
                let found = attribute(levels, li, u, key);
                let hit = found.is_some_and(|v| values.iter().any(|x| x == v));
                hit != *negate
            },
        )
    }
}

/// The value of `key` for unit `u` of level `li`: `unit_id`, `unit_name`, a property
/// of the unit, or (when the unit lacks it) of its parent, grandparent, ….
fn attribute<'a>(levels: &'a [UnitLevel], li: usize, u: usize, key: &str) -> Option<&'a str> {
    let unit = &levels[li].units[u];
    match key {
        "unit_id" => return Some(&unit.id),
        "unit_name" => return Some(&unit.name),
        _ => {}
    }
    if let Some(v) = unit.attributes.get(key) {
        return Some(v);
    }
    let p = levels[li].parents.get(u).copied().flatten()?;
    if li == 0 {
        return None;
    }
    attribute(levels, li - 1, p.index as usize, key)
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
    let (metric, level) = match metric.split_once('@') {
        Some((m, l)) => {
            crate::input::units::check_level_name(l.trim())
                .map_err(|e| format!("target {rule:?}: {e}"))?;
            (m, Some(l.trim().to_owned()))
        }
        None => (metric, None),
    };
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
        level,
        filter: None,
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
    /// Unit level checked (empty: none, or the single unnamed `--units`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub level: String,
    /// Restriction (`where`), empty when none.
    #[serde(default, rename = "where", skip_serializing_if = "String::is_empty")]
    pub restriction: String,
}

/// Whether a target is checked against units (per unit, by units, restricted, or
/// at a named level).
fn needs_units(t: &Target) -> bool {
    t.scope == Scope::Unit
        || matches!(t.metric, Metric::UnitsWithSite | Metric::HasSite)
        || t.filter.is_some()
        || t.level.is_some()
}

/// The target's own level when the run does not have it (the target is then not
/// checked: presets name levels a run may lack).
fn missing_level<'a>(t: &'a Target, levels: &[UnitLevel]) -> Option<&'a str> {
    t.level
        .as_deref()
        .filter(|l| !levels.iter().any(|x| x.name.as_deref() == Some(*l)))
}

/// The level a target is checked at: its own `@level`, else its category's level
/// when the run has it, else the only level. `Ok(None)` when the target needs no
/// units (or the run has none; [`validate`] reports that).
///
/// # Errors
/// A named level the run lacks, or several levels and none chosen.
pub fn level_index(
    t: &Target,
    cov: &Coverage,
    levels: &[UnitLevel],
) -> Result<Option<usize>, String> {
    let names = || {
        levels
            .iter()
            .filter_map(|l| l.name.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(l) = &t.level {
        return levels
            .iter()
            .position(|x| x.name.as_ref() == Some(l))
            .map(Some)
            .ok_or_else(|| {
                format!(
                    "target {:?} is checked at unit level {l:?}, which this run does not have (levels: {}; give --units {l}=FILE)",
                    t.name,
                    if levels.is_empty() { "none".into() } else { names() }
                )
            });
    }
    if levels.is_empty() || !needs_units(t) {
        return Ok(None);
    }
    let bound = cov
        .categories
        .iter()
        .find(|c| c.category.name == t.category)
        .and_then(|c| c.category.level.as_ref());
    if let Some(i) = bound.and_then(|l| levels.iter().position(|x| x.name.as_ref() == Some(l))) {
        return Ok(Some(i));
    }
    if levels.len() == 1 {
        return Ok(Some(0));
    }
    Err(format!(
        "target {:?}: this run has several unit levels ({}); name one, e.g. {}.{}@{} or level = \"{}\"",
        t.name,
        names(),
        t.category,
        t.metric.name(),
        levels[levels.len() - 1].name.clone().unwrap_or_default(),
        levels[levels.len() - 1].name.clone().unwrap_or_default(),
    ))
}

/// Check that every target names a known category, that unit metrics have units,
/// that its level exists and that its restriction names attributes the units have.
///
/// # Errors
/// A message naming the target and the problem.
pub fn validate(
    targets: &[Target],
    coverage: &Coverage,
    levels: &[UnitLevel],
) -> Result<(), String> {
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
        if missing_level(t, levels).is_some() {
            // Not checked; `evaluate` warns.
            continue;
        }
        if needs_units(t) && levels.is_empty() {
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
        let li = level_index(t, coverage, levels)?;
        if let (Some(f), Some(li)) = (&t.filter, li) {
            for key in f.keys() {
                if matches!(key, "unit_id" | "unit_name") {
                    continue;
                }
                let known = levels[..=li]
                    .iter()
                    .any(|l| l.units.iter().any(|u| u.attributes.contains_key(key)));
                if !known {
                    return Err(format!(
                        "target {:?}: where {:?}: no unit of {} (or of the levels above it) has the property {key:?}",
                        t.name,
                        f.text,
                        levels[li].name.as_deref().unwrap_or("the units file"),
                    ));
                }
            }
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

/// Evaluate targets (already validated) against the run's levels and their
/// per-unit results (`reports[i]` belongs to `levels[i]`). Returns the checks and
/// warnings (a restriction matching no unit: the target is not checked).
#[must_use]
pub fn evaluate(
    targets: &[Target],
    cov: &Coverage,
    levels: &[UnitLevel],
    reports: &[&UnitsReport],
) -> (Vec<TargetRow>, Vec<String>) {
    let mut rows = Vec::new();
    let mut warnings = Vec::new();
    for t in targets {
        if let Some(l) = missing_level(t, levels) {
            warnings.push(format!(
                "target {:?} is checked at unit level {l:?}, which this run does not have; not checked (give --units {l}=FILE)",
                t.name
            ));
            continue;
        }
        let li = level_index(t, cov, levels).ok().flatten();
        let level_name = li.and_then(|i| levels[i].name.clone()).unwrap_or_default();
        let restriction = t
            .filter
            .as_ref()
            .map(|f| f.text.clone())
            .unwrap_or_default();
        let row = |scope: String, actual: f64| TargetRow {
            target: t.name.clone(),
            category: t.category.clone(),
            scope,
            metric: t.metric.name().into(),
            op: t.op.text().into(),
            value: t.value,
            actual: (actual * 1e6).round() / 1e6,
            pass: t.op.holds(actual, t.value),
            level: level_name.clone(),
            restriction: restriction.clone(),
        };
        let cat_k = cov
            .categories
            .iter()
            .position(|c| c.category.name == t.category);
        let tier_k = t
            .category
            .strip_prefix("tier:")
            .and_then(|l| cov.tiers.iter().position(|x| x.tier == l));
        let elderly_layer = cat_k.is_some_and(|k| {
            cov.categories[k].category.layer == crate::base::category::Layer::Elderly
        }) && cov.all.elderly.is_some();
        let Some(li) = li else {
            rows.push(row("city".into(), share_of(t.metric, &city_totals(t, cov))));
            continue;
        };
        let u = reports[li];
        let chosen: Vec<usize> = (0..u.units.len())
            .filter(|&i| t.filter.as_ref().is_none_or(|f| f.matches(levels, li, i)))
            .collect();
        if chosen.is_empty() {
            warnings.push(format!(
                "target {:?}: no unit of {} matches where {:?}; not checked",
                t.name,
                levels[li].name.as_deref().unwrap_or("the units file"),
                restriction
            ));
            continue;
        }
        let unit_totals = |unit: &crate::analysis::units::UnitResult| {
            let (pc, ec) = match (cat_k, tier_k) {
                (Some(k), _) => (
                    unit.categories[k].population_covered,
                    unit.categories[k].elderly_covered,
                ),
                (None, Some(k)) => (unit.tiers_covered[k], 0.0),
                (None, None) => (unit.covered_all, 0.0),
            };
            Totals {
                pop: unit.population,
                pop_cov: pc,
                eld: unit.elderly,
                eld_cov: ec,
                elderly_layer,
            }
        };
        match t.scope {
            Scope::City => {
                let actual = if t.metric == Metric::UnitsWithSite {
                    let k = cat_k.expect("validated: single category");
                    let with = chosen
                        .iter()
                        .filter(|&&i| u.units[i].categories[k].sites_in_unit > 0)
                        .count();
                    #[allow(clippy::cast_precision_loss)]
                    share(with as f64, chosen.len() as f64)
                } else if t.filter.is_none() {
                    share_of(t.metric, &city_totals(t, cov))
                } else {
                    let mut sum = unit_totals(&u.units[chosen[0]]);
                    for &i in &chosen[1..] {
                        let x = unit_totals(&u.units[i]);
                        sum.pop += x.pop;
                        sum.pop_cov += x.pop_cov;
                        sum.eld += x.eld;
                        sum.eld_cov += x.eld_cov;
                    }
                    share_of(t.metric, &sum)
                };
                rows.push(row("city".into(), actual));
            }
            Scope::Unit => {
                for &i in &chosen {
                    let unit = &u.units[i];
                    let actual = if t.metric == Metric::HasSite {
                        let k = cat_k.expect("validated: single category");
                        if unit.categories[k].sites_in_unit > 0 {
                            1.0
                        } else {
                            0.0
                        }
                    } else {
                        share_of(t.metric, &unit_totals(unit))
                    };
                    rows.push(row(unit.id.clone(), actual));
                }
            }
        }
    }
    (rows, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_filters_parse() {
        let t = parse_rule(
            "community_school.units_with_site@street >= 1.0",
            None,
            Scope::City,
        )
        .unwrap();
        assert_eq!(t.level.as_deref(), Some("street"));
        assert_eq!(t.metric, Metric::UnitsWithSite);
        assert!(parse_rule("a.has_site@ >= 1", None, Scope::Unit).is_err());
        let f = Filter::parse("zone == 'main_city' and code in ['a', \"b c\", 7]").unwrap();
        assert_eq!(f.clauses.len(), 2);
        assert_eq!(
            f.clauses[1],
            Clause::Match {
                key: "code".into(),
                values: vec!["a".into(), "b c".into(), "7".into()],
                negate: false
            }
        );
        let f = Filter::parse("zone != two_wings").unwrap();
        assert_eq!(
            f.clauses[0],
            Clause::Match {
                key: "zone".into(),
                values: vec!["two_wings".into()],
                negate: true
            }
        );
        for bad in [
            "",
            "zone = 'x'",
            "zone == ",
            "zone in 'x'",
            "zone in []",
            "zone == 'x' or a == 'b'",
            "zone == 'x",
            "== 'x'",
        ] {
            assert!(Filter::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            Filter::codes(&["310110".into(), "310109".into()]).text,
            "unit_id in ['310110', '310109']"
        );
    }

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
