//! `learncircle grid`: a regular square grid of cell centres over a lon/lat box.

use std::path::PathBuf;

use anyhow::{Result, bail};

use crate::crs::LocalProjection;
use crate::export;

/// Options of `learncircle grid`.
#[derive(Clone, Debug, PartialEq)]
pub struct GridOptions {
    /// Lon/lat box: MIN_LON, MIN_LAT, MAX_LON, MAX_LAT (WGS84); must hold 4 numbers.
    pub bbox: Vec<f64>,
    /// Cell size, metres.
    pub cell_m: f64,
    /// Uniform residents per km² written to every cell.
    pub density_per_km2: f64,
    /// Output CSV.
    pub out: PathBuf,
}

/// `learncircle grid`: a regular grid of cell centres over a lon/lat box, with a
/// uniform density (an assumption the user states).
///
/// # Errors
/// On a bad box or cell size, or when the file cannot be written.
pub fn write_grid(a: &GridOptions) -> Result<()> {
    let [min_lon, min_lat, max_lon, max_lat] = a.bbox[..] else {
        bail!("--bbox needs exactly 4 numbers: MIN_LON,MIN_LAT,MAX_LON,MAX_LAT");
    };
    let b = [min_lon, min_lat, max_lon, max_lat];
    if !(b.iter().all(|v| v.is_finite()) && b[0] < b[2] && b[1] < b[3]) {
        bail!("--bbox must be MIN_LON,MIN_LAT,MAX_LON,MAX_LAT with min < max");
    }
    crate::input::check_lon_lat_pair(b[0], b[1]).map_err(anyhow::Error::msg)?;
    crate::input::check_lon_lat_pair(b[2], b[3]).map_err(anyhow::Error::msg)?;
    if !(a.cell_m.is_finite() && a.cell_m >= 1.0 && a.cell_m <= 100_000.0) {
        bail!("--cell-m {} must be in [1, 100000]", a.cell_m);
    }
    if !(a.density_per_km2.is_finite() && a.density_per_km2 >= 0.0) {
        bail!("--density-per-km2 must be ≥ 0");
    }
    let proj = LocalProjection::centred_on(b)?;
    let cells = crate::analysis::grid::cells_in_bbox(b, a.cell_m, &proj)?;
    let per_cell = a.density_per_km2 * a.cell_m * a.cell_m / 1e6;
    export::write_file_atomic(&a.out, |w| {
        writeln!(w, "cell_id,lon,lat,population")?;
        for c in &cells {
            writeln!(
                w,
                "{},{:.6},{:.6},{}",
                c.id,
                c.lon,
                c.lat,
                export::fmt_population(per_cell)
            )?;
        }
        Ok(())
    })?;
    Ok(())
}
