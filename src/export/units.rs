//! `units.csv`, `units.geojson` and `targets.csv`.
//!
//! `units.csv` columns: `unit_id,unit_name,population,elderly,cells`, then per
//! category `<cat>_population_covered,<cat>_share,<cat>_elderly_covered,
//! <cat>_elderly_share,<cat>_sites_in_unit,<cat>_has_site`, then
//! `covered_all_share`, then the extensions `covered_all_population` and per tier
//! `tier_<label>_share`. Empty elderly fields when the input has no elderly layer.
//! A named level (`units_<level>.csv`) adds `parent_level,parent_id,parent_name,
//! parent_share,straddles_parent` (empty on the first level): the unit of the level
//! above holding the largest share of its area, and 1 when that share is below
//! 0.99.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::cells::fmt_population;
use super::gpkg::{Column, ColumnType, Feature, GeometryType, Layer, Shape};
use crate::analysis::coverage::{Coverage, share};
use crate::analysis::targets::TargetRow;
use crate::analysis::units::{Parent, Unit, UnitLevel, UnitResult, UnitsReport};

/// The parent columns of a named level: the level above (`None` for the first
/// level) and each unit's parent in it.
#[derive(Clone, Copy)]
pub struct Links<'a> {
    /// The level above.
    pub above: Option<&'a UnitLevel>,
    /// Per unit, its parent (empty for the first level).
    pub parents: &'a [Option<Parent>],
}

impl Links<'_> {
    fn fields(&self, i: usize, f: &mut Vec<(String, String, ColumnType)>) {
        use ColumnType::{Integer, Real, Text};
        let parent = self
            .above
            .zip(self.parents.get(i).copied().flatten())
            .map(|(l, p)| (l, &l.units[p.index as usize], p));
        f.push((
            "parent_level".into(),
            self.above.and_then(|l| l.name.clone()).unwrap_or_default(),
            Text,
        ));
        f.push((
            "parent_id".into(),
            parent.map(|(_, u, _)| u.id.clone()).unwrap_or_default(),
            Text,
        ));
        f.push((
            "parent_name".into(),
            parent.map(|(_, u, _)| u.name.clone()).unwrap_or_default(),
            Text,
        ));
        f.push((
            "parent_share".into(),
            parent
                .map(|(_, _, p)| format!("{:.6}", p.share))
                .unwrap_or_default(),
            Real,
        ));
        f.push((
            "straddles_parent".into(),
            match (self.above, parent) {
                (None, _) => String::new(),
                (Some(_), Some((_, _, p))) => if p.straddles() { "1" } else { "0" }.into(),
                (Some(_), None) => "1".into(),
            },
            Integer,
        ));
    }
}

fn share_text(part: f64, whole: f64) -> String {
    format!("{:.6}", share(part, whole))
}

fn pop_text(v: f64) -> String {
    fmt_population((v * 1e4).round() / 1e4)
}

/// (name, value, type) of every `units.csv` field of one unit.
fn unit_fields(
    u: &UnitResult,
    cov: &Coverage,
    has_elderly: bool,
    links: Option<(&Links<'_>, usize)>,
) -> Vec<(String, String, ColumnType)> {
    use ColumnType::{Integer, Real, Text};
    let mut f: Vec<(String, String, ColumnType)> = vec![
        ("unit_id".into(), u.id.clone(), Text),
        ("unit_name".into(), u.name.clone(), Text),
        ("population".into(), pop_text(u.population), Real),
        (
            "elderly".into(),
            if has_elderly {
                pop_text(u.elderly)
            } else {
                String::new()
            },
            Real,
        ),
        ("cells".into(), pop_text(u.cells), Real),
    ];
    for (k, c) in cov.categories.iter().enumerate() {
        let n = &c.category.name;
        let uc = &u.categories[k];
        f.push((
            format!("{n}_population_covered"),
            pop_text(uc.population_covered),
            Real,
        ));
        f.push((
            format!("{n}_share"),
            share_text(uc.population_covered, u.population),
            Real,
        ));
        f.push((
            format!("{n}_elderly_covered"),
            if has_elderly {
                pop_text(uc.elderly_covered)
            } else {
                String::new()
            },
            Real,
        ));
        f.push((
            format!("{n}_elderly_share"),
            if has_elderly {
                share_text(uc.elderly_covered, u.elderly)
            } else {
                String::new()
            },
            Real,
        ));
        f.push((
            format!("{n}_sites_in_unit"),
            uc.sites_in_unit.to_string(),
            Integer,
        ));
        f.push((
            format!("{n}_has_site"),
            if uc.sites_in_unit > 0 { "1" } else { "0" }.into(),
            Integer,
        ));
    }
    f.push((
        "covered_all_share".into(),
        share_text(u.covered_all, u.population),
        Real,
    ));
    f.push((
        "covered_all_population".into(),
        pop_text(u.covered_all),
        Real,
    ));
    for (k, t) in cov.tiers.iter().enumerate() {
        f.push((
            format!("tier_{}_share", t.tier),
            share_text(u.tiers_covered[k], u.population),
            Real,
        ));
    }
    for (k, a) in u.access_mean.iter().enumerate() {
        let n = &cov.categories[k].category.name;
        f.push((
            format!("{n}_access_mean"),
            a.map(|v| format!("{v:.8}")).unwrap_or_default(),
            Real,
        ));
    }
    if let Some((l, i)) = links {
        l.fields(i, &mut f);
    }
    f
}

/// A unit whose fields give the column names and types: the first unit, or an
/// empty one shaped like it.
fn header_unit(rep: &UnitsReport, cov: &Coverage) -> UnitResult {
    rep.units.first().cloned().unwrap_or_else(|| UnitResult {
        categories: vec![crate::analysis::units::UnitCategory::default(); cov.categories.len()],
        tiers_covered: vec![0.0; cov.tiers.len()],
        ..UnitResult::default()
    })
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
    links: Option<&Links<'_>>,
) -> io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(
        unit_fields(
            &header_unit(rep, cov),
            cov,
            has_elderly,
            links.map(|l| (l, 0)),
        )
        .iter()
        .map(|f| &f.0),
    )?;
    for (i, u) in rep.units.iter().enumerate() {
        out.write_record(
            unit_fields(u, cov, has_elderly, links.map(|l| (l, i)))
                .iter()
                .map(|f| &f.1),
        )?;
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
    links: Option<(&str, &Links<'_>)>,
) -> io::Result<()> {
    let name = links.map_or("units", |l| l.0);
    writeln!(
        w,
        "{{\"type\":\"FeatureCollection\",\"name\":{},\"features\":[",
        serde_json::to_string(name).map_err(io::Error::other)?
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
        let fields = unit_fields(u, cov, has_elderly, links.map(|l| (l.1, i)));
        for (k, (name, value, ty)) in fields.into_iter().enumerate() {
            if k > 0 {
                s.push(',');
            }
            let key = serde_json::to_string(&name).map_err(io::Error::other)?;
            if value.is_empty() {
                let _ = write!(s, "{key}:null");
            } else if ty != ColumnType::Text {
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

/// The `units` layer of `results.gpkg`: the unit polygons with the `units.csv`
/// columns, typed (`TEXT` id/name, `INTEGER` site counts and flags, `REAL` the
/// rest; `NULL` where the CSV field is empty), in file order.
#[must_use]
pub fn units_layer<'a>(
    rep: &'a UnitsReport,
    units: &'a [Unit],
    cov: &'a Coverage,
    has_elderly: bool,
    links: Option<(&str, Links<'a>)>,
) -> Layer<'a> {
    let name = links.as_ref().map_or("units", |l| l.0).to_owned();
    let links = links.map(|l| l.1);
    let columns = unit_fields(
        &header_unit(rep, cov),
        cov,
        has_elderly,
        links.as_ref().map(|l| (l, 0)),
    )
    .into_iter()
    .map(|(name, _, ty)| Column::new(name, ty))
    .collect();
    let features = rep
        .units
        .iter()
        .zip(units)
        .enumerate()
        .map(move |(i, (u, unit))| Feature {
            shape: Some(Shape::MultiPolygon(unit.polygon.clone())),
            values: unit_fields(u, cov, has_elderly, links.as_ref().map(|l| (l, i)))
                .into_iter()
                .map(|(_, value, ty)| ty.parse(&value))
                .collect(),
        });
    Layer {
        name,
        description: "learncircle: coverage per planning unit (columns of units.csv)".into(),
        geometry_type: GeometryType::MultiPolygon,
        columns,
        features: Box::new(features),
    }
}

/// Write `targets.csv`: `target,category,scope,metric,op,value,actual,pass`, and
/// `level,where` when a check names a unit level or a restriction.
///
/// # Errors
/// On write errors.
pub fn targets_csv(w: &mut dyn Write, rows: &[TargetRow]) -> io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    let extended = rows
        .iter()
        .any(|r| !r.level.is_empty() || !r.restriction.is_empty());
    let mut head = vec![
        "target", "category", "scope", "metric", "op", "value", "actual", "pass",
    ];
    if extended {
        head.extend(["level", "where"]);
    }
    out.write_record(head)?;
    for r in rows {
        let mut rec = vec![
            r.target.clone(),
            r.category.clone(),
            r.scope.clone(),
            r.metric.clone(),
            r.op.clone(),
            format!("{}", r.value),
            format!("{:.6}", r.actual),
            if r.pass { "1" } else { "0" }.to_owned(),
        ];
        if extended {
            rec.extend([r.level.clone(), r.restriction.clone()]);
        }
        out.write_record(rec)?;
    }
    out.flush()
}
