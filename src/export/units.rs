//! `units.csv`, `units.geojson` and `targets.csv`.
//!
//! `units.csv` columns: `unit_id,unit_name,population,elderly,cells`, then per
//! category `<cat>_population_covered,<cat>_share,<cat>_elderly_covered,
//! <cat>_elderly_share,<cat>_sites_in_unit,<cat>_has_site`, then
//! `covered_all_share`, then the extensions `covered_all_population` and per tier
//! `tier_<label>_share`. Empty elderly fields when the input has no elderly layer.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::cells::fmt_population;
use crate::coverage::{Coverage, share};
use crate::targets::TargetRow;
use crate::units::{Unit, UnitResult, UnitsReport};

fn share_text(part: f64, whole: f64) -> String {
    format!("{:.6}", share(part, whole))
}

fn pop_text(v: f64) -> String {
    fmt_population((v * 1e4).round() / 1e4)
}

fn unit_fields(u: &UnitResult, cov: &Coverage, has_elderly: bool) -> Vec<(String, String, bool)> {
    // (name, value, is_number)
    let mut f: Vec<(String, String, bool)> = vec![
        ("unit_id".into(), u.id.clone(), false),
        ("unit_name".into(), u.name.clone(), false),
        ("population".into(), pop_text(u.population), true),
        (
            "elderly".into(),
            if has_elderly {
                pop_text(u.elderly)
            } else {
                String::new()
            },
            true,
        ),
        ("cells".into(), pop_text(u.cells), true),
    ];
    for (k, c) in cov.categories.iter().enumerate() {
        let n = &c.category.name;
        let uc = &u.categories[k];
        f.push((
            format!("{n}_population_covered"),
            pop_text(uc.population_covered),
            true,
        ));
        f.push((
            format!("{n}_share"),
            share_text(uc.population_covered, u.population),
            true,
        ));
        f.push((
            format!("{n}_elderly_covered"),
            if has_elderly {
                pop_text(uc.elderly_covered)
            } else {
                String::new()
            },
            true,
        ));
        f.push((
            format!("{n}_elderly_share"),
            if has_elderly {
                share_text(uc.elderly_covered, u.elderly)
            } else {
                String::new()
            },
            true,
        ));
        f.push((
            format!("{n}_sites_in_unit"),
            uc.sites_in_unit.to_string(),
            true,
        ));
        f.push((
            format!("{n}_has_site"),
            if uc.sites_in_unit > 0 { "1" } else { "0" }.into(),
            true,
        ));
    }
    f.push((
        "covered_all_share".into(),
        share_text(u.covered_all, u.population),
        true,
    ));
    f.push((
        "covered_all_population".into(),
        pop_text(u.covered_all),
        true,
    ));
    for (k, t) in cov.tiers.iter().enumerate() {
        f.push((
            format!("tier_{}_share", t.tier),
            share_text(u.tiers_covered[k], u.population),
            true,
        ));
    }
    for (k, a) in u.access_mean.iter().enumerate() {
        let n = &cov.categories[k].category.name;
        f.push((
            format!("{n}_access_mean"),
            a.map(|v| format!("{v:.8}")).unwrap_or_default(),
            true,
        ));
    }
    f
}

/// Write `units.csv`.
///
/// # Errors
/// On write errors.
pub fn units_csv(
    w: &mut dyn Write,
    rep: &UnitsReport,
    cov: &Coverage,
    has_elderly: bool,
) -> io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    let empty = UnitResult {
        categories: vec![crate::units::UnitCategory::default(); cov.categories.len()],
        tiers_covered: vec![0.0; cov.tiers.len()],
        access_mean: rep
            .units
            .first()
            .map(|u| vec![None; u.access_mean.len()])
            .unwrap_or_default(),
        ..UnitResult::default()
    };
    out.write_record(
        unit_fields(rep.units.first().unwrap_or(&empty), cov, has_elderly)
            .iter()
            .map(|f| &f.0),
    )?;
    for u in &rep.units {
        out.write_record(unit_fields(u, cov, has_elderly).iter().map(|f| &f.1))?;
    }
    out.flush()
}

/// Write `units.geojson` (unit polygons with the `units.csv` properties).
///
/// # Errors
/// On write errors.
pub fn units_geojson(
    w: &mut dyn Write,
    rep: &UnitsReport,
    units: &[Unit],
    cov: &Coverage,
    has_elderly: bool,
) -> io::Result<()> {
    writeln!(
        w,
        "{{\"type\":\"FeatureCollection\",\"name\":\"units\",\"features\":["
    )?;
    for (i, (u, unit)) in rep.units.iter().zip(units).enumerate() {
        let mut s = String::new();
        if i > 0 {
            s.push_str(",\n");
        }
        s.push_str("{\"type\":\"Feature\",\"geometry\":");
        let g = geojson::Geometry::from(&unit.polygon);
        s.push_str(&serde_json::to_string(&g).map_err(io::Error::other)?);
        s.push_str(",\"properties\":{");
        for (k, (name, value, is_num)) in unit_fields(u, cov, has_elderly).into_iter().enumerate() {
            if k > 0 {
                s.push(',');
            }
            let key = serde_json::to_string(&name).map_err(io::Error::other)?;
            if value.is_empty() {
                let _ = write!(s, "{key}:null");
            } else if is_num {
                let _ = write!(s, "{key}:{value}");
            } else {
                let _ = write!(
                    s,
                    "{key}:{}",
                    serde_json::to_string(&value).map_err(io::Error::other)?
                );
            }
        }
        s.push_str("}}");
        w.write_all(s.as_bytes())?;
    }
    writeln!(w, "\n]}}")
}

/// Write `targets.csv`: `target,category,scope,metric,op,value,actual,pass`.
///
/// # Errors
/// On write errors.
pub fn targets_csv(w: &mut dyn Write, rows: &[TargetRow]) -> io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record([
        "target", "category", "scope", "metric", "op", "value", "actual", "pass",
    ])?;
    for r in rows {
        out.write_record([
            r.target.as_str(),
            r.category.as_str(),
            r.scope.as_str(),
            r.metric.as_str(),
            r.op.as_str(),
            &format!("{}", r.value),
            &format!("{:.6}", r.actual),
            if r.pass { "1" } else { "0" },
        ])?;
    }
    out.flush()
}
