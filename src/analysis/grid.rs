//! Regular square grids in the local metric frame: the resident grid of the demo,
//! the target of population-from-buildings, and test grids.
//!
//! Cells are aligned to multiples of `cell_m` from the projection origin, so two
//! grids built with the same projection and cell size share cell boundaries and
//! ids (`g<ix>_<iy>`, the integer column and row of the cell's lower-left corner).

use geo::{LineString, MultiPolygon, Polygon};

use crate::crs::LocalProjection;

/// One grid cell.
#[derive(Clone, Debug, PartialEq)]
pub struct GridCell {
    /// `g<ix>_<iy>`.
    pub id: String,
    /// Column index (x = ix × cell_m is the west edge).
    pub ix: i64,
    /// Row index (y = iy × cell_m is the south edge).
    pub iy: i64,
    /// Centre, local metres.
    pub centre_xy: [f64; 2],
    /// Centre, WGS84 degrees.
    pub lon: f64,
    /// Centre, WGS84 degrees.
    pub lat: f64,
    /// Cell square in WGS84 (corners projected back).
    pub polygon: MultiPolygon<f64>,
}

/// Id of the cell containing local point `xy`.
#[must_use]
pub fn cell_index(xy: [f64; 2], cell_m: f64) -> (i64, i64) {
    #[allow(clippy::cast_possible_truncation)]
    (
        (xy[0] / cell_m).floor() as i64,
        (xy[1] / cell_m).floor() as i64,
    )
}

/// Grid cell `(ix, iy)`.
#[must_use]
pub fn cell_at(ix: i64, iy: i64, cell_m: f64, proj: &LocalProjection) -> GridCell {
    #[allow(clippy::cast_precision_loss)]
    let (x0, y0) = (ix as f64 * cell_m, iy as f64 * cell_m);
    let corners = [
        [x0, y0],
        [x0 + cell_m, y0],
        [x0 + cell_m, y0 + cell_m],
        [x0, y0 + cell_m],
        [x0, y0],
    ];
    let ring: LineString<f64> = corners
        .iter()
        .map(|c| proj.inverse(*c))
        .collect::<Vec<_>>()
        .into();
    let centre_xy = [x0 + 0.5 * cell_m, y0 + 0.5 * cell_m];
    let (lon, lat) = proj.inverse(centre_xy);
    GridCell {
        id: format!("g{ix}_{iy}"),
        ix,
        iy,
        centre_xy,
        lon,
        lat,
        polygon: MultiPolygon::new(vec![Polygon::new(ring, vec![])]),
    }
}

/// All cells whose centre lies inside the lon/lat box `[min_lon, min_lat, max_lon, max_lat]`,
/// row by row from south-west.
///
/// # Errors
/// When a corner of the box cannot be projected.
pub fn cells_in_bbox(
    bbox: [f64; 4],
    cell_m: f64,
    proj: &LocalProjection,
) -> Result<Vec<GridCell>, crate::crs::ProjectionError> {
    let corners = [
        proj.forward(bbox[0], bbox[1])?,
        proj.forward(bbox[2], bbox[1])?,
        proj.forward(bbox[2], bbox[3])?,
        proj.forward(bbox[0], bbox[3])?,
    ];
    let minx = corners.iter().map(|c| c[0]).fold(f64::INFINITY, f64::min);
    let maxx = corners
        .iter()
        .map(|c| c[0])
        .fold(f64::NEG_INFINITY, f64::max);
    let miny = corners.iter().map(|c| c[1]).fold(f64::INFINITY, f64::min);
    let maxy = corners
        .iter()
        .map(|c| c[1])
        .fold(f64::NEG_INFINITY, f64::max);
    let (ix0, iy0) = cell_index([minx, miny], cell_m);
    let (ix1, iy1) = cell_index([maxx, maxy], cell_m);
    let mut out = Vec::new();
    for iy in iy0..=iy1 {
        for ix in ix0..=ix1 {
            let c = cell_at(ix, iy, cell_m, proj);
            if c.lon >= bbox[0] && c.lon <= bbox[2] && c.lat >= bbox[1] && c.lat <= bbox[3] {
                out.push(c);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::GeodesicArea;

    #[test]
    fn cells_are_100m_squares() {
        let proj = LocalProjection::new(121.5, 31.3).unwrap();
        let cells = cells_in_bbox([121.49, 31.29, 121.51, 31.31], 100.0, &proj).unwrap();
        // ~1.9 km × 2.2 km → about 19 × 22 cells.
        assert!((380..=460).contains(&cells.len()), "{}", cells.len());
        for c in cells.iter().take(20) {
            let a = c.polygon.geodesic_area_unsigned();
            assert!((a - 10_000.0).abs() < 5.0, "cell area {a}");
        }
        assert_eq!(cell_index([-0.5, 150.0], 100.0), (-1, 1));
    }
}
