//! What-if files: the situation with the planned sites against the situation without.
//!
//! * `whatif_cells.csv`: `cell_id`, then per category `<cat>_dist_m_before,
//!   <cat>_dist_m,<cat>_delta_m,<cat>_covered_before,<cat>_covered` (delta = after −
//!   before, ≤ 0; empty when either side has nothing in reach);
//! * `whatif_units.csv`: `unit_id,unit_name`, then per category `<cat>_share_before,
//!   <cat>_share,<cat>_delta`.

use std::io::{self, Write};

use crate::analysis::coverage::{Coverage, share};
use crate::analysis::units::UnitsReport;
use crate::base::model::Cell;

/// Write `whatif_cells.csv`.
///
/// # Errors
/// On write errors.
pub fn whatif_cells_csv(
    w: &mut dyn Write,
    cells: &[Cell],
    before: &Coverage,
    after: &Coverage,
) -> io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    let mut h = vec!["cell_id".to_owned()];
    for c in &after.categories {
        let n = &c.category.name;
        h.extend([
            format!("{n}_dist_m_before"),
            format!("{n}_dist_m"),
            format!("{n}_delta_m"),
            format!("{n}_covered_before"),
            format!("{n}_covered"),
        ]);
    }
    out.write_record(&h)?;
    let dist = |d: Option<f64>| d.map(|d| format!("{d:.1}")).unwrap_or_default();
    let flag = |b: bool| if b { "1" } else { "0" };
    for (i, cell) in cells.iter().enumerate() {
        out.write_field(&cell.id)?;
        for (b, a) in before.categories.iter().zip(&after.categories) {
            let (db, da) = (b.reach.dist_m[i], a.reach.dist_m[i]);
            out.write_field(dist(db))?;
            out.write_field(dist(da))?;
            // The delta of the rounded values, so the three columns agree exactly.
            let delta = match (db, da) {
                (Some(x), Some(y)) => {
                    let r = |v: f64| (v * 10.0).round() / 10.0;
                    format!("{:.1}", r(y) - r(x))
                }
                _ => String::new(),
            };
            out.write_field(delta)?;
            out.write_field(flag(b.covered[i]))?;
            out.write_field(flag(a.covered[i]))?;
        }
        out.write_record(None::<&[u8]>)?;
    }
    out.flush()
}

/// Write `whatif_units.csv`.
///
/// # Errors
/// On write errors.
pub fn whatif_units_csv(
    w: &mut dyn Write,
    before: &UnitsReport,
    after: &UnitsReport,
    cov: &Coverage,
) -> io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    let mut h = vec!["unit_id".to_owned(), "unit_name".to_owned()];
    for c in &cov.categories {
        let n = &c.category.name;
        h.extend([
            format!("{n}_share_before"),
            format!("{n}_share"),
            format!("{n}_delta"),
        ]);
    }
    out.write_record(&h)?;
    for (ub, ua) in before.units.iter().zip(&after.units) {
        out.write_field(&ua.id)?;
        out.write_field(&ua.name)?;
        for k in 0..cov.categories.len() {
            let sb = share(ub.categories[k].population_covered, ub.population);
            let sa = share(ua.categories[k].population_covered, ua.population);
            let r = |v: f64| (v * 1e6).round() / 1e6;
            out.write_field(format!("{:.6}", r(sb)))?;
            out.write_field(format!("{:.6}", r(sa)))?;
            out.write_field(format!("{:.6}", r(sa) - r(sb)))?;
        }
        out.write_record(None::<&[u8]>)?;
    }
    out.flush()
}
