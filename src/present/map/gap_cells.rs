//! Gap zones drawn from the cells (the map's raster mode for large runs): per
//! category, the gap zone each cell lies in and which sides of its square border a
//! cell outside that zone, so the page strokes the zones' outlines on its canvas.

use std::collections::{BTreeMap, HashMap};

use geo::{Contains, Point};
use rstar::{AABB, RTree, primitives::GeomWithData, primitives::Rectangle};
use serde_json::{Value, json};

use super::pack::pack;
use crate::present::charts::RunDir;
use crate::present::charts::run::{Cells, GapRow};

/// Side bits of `gap_edges`: east, north, west, south.
const SIDES: [(i64, i64, u8); 4] = [(1, 0, 1), (0, 1, 2), (-1, 0, 4), (0, -1, 8)];

type Part = GeomWithData<Rectangle<[f64; 2]>, (usize, usize)>;

/// `cells.gap` (C × u32: 1 + index into `gaps`, 0 none) and `cells.gap_edges`
/// (C × u8: sides bordering another zone or none).
pub(super) fn fields(
    cells: &Cells,
    gaps: &[(&GapRow, usize)],
    shapes: &BTreeMap<&str, &geo::MultiPolygon<f64>>,
    n_categories: usize,
    run: &RunDir,
) -> Vec<(&'static str, Value)> {
    let parts: Vec<Part> = gaps
        .iter()
        .enumerate()
        .filter_map(|(i, (g, _))| Some((i, shapes.get(g.gap_id.as_str())?)))
        .flat_map(|(i, mp)| {
            mp.0.iter().enumerate().filter_map(move |(j, p)| {
                let r = geo::BoundingRect::bounding_rect(p)?;
                Some(GeomWithData::new(
                    Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                    (i, j),
                ))
            })
        })
        .collect();
    let tree = RTree::bulk_load(parts);
    let n = cells.len();
    let mut gap = vec![vec![0u32; n]; n_categories];
    for (i, (&lon, &lat)) in cells.lon.iter().zip(&cells.lat).enumerate() {
        let p = Point::new(lon, lat);
        let env = AABB::from_point([p.x(), p.y()]);
        for part in tree.locate_in_envelope_intersecting(&env) {
            let (g, j) = part.data;
            let (row, c) = gaps[g];
            let inside = shapes
                .get(row.gap_id.as_str())
                .is_some_and(|mp| mp.0[j].contains(&p));
            if inside && gap[c][i] == 0 {
                gap[c][i] = u32::try_from(g + 1).expect("fewer than 2^32 gaps");
            }
        }
    }
    let lattice = Lattice::new(cells, run.summary.gaps.spacing_m);
    let edges: Vec<Value> = gap
        .iter()
        .map(|col| json!(pack(&lattice.edges(col))))
        .collect();
    vec![
        (
            "gap",
            Value::Array(gap.iter().map(|g| json!(pack(g))).collect()),
        ),
        ("gap_edges", Value::Array(edges)),
    ]
}

/// The cells as rows of equal latitude (a grid in the run's local metres or in
/// an equirectangular frame: rows are lines of latitude either way), each row sorted
/// by longitude, to find each cell's four neighbours without assuming how the grid
/// was projected.
struct Lattice {
    row: Vec<i64>,
    rows: HashMap<i64, Vec<(f64, usize)>>,
    /// Per cell: one cell width in degrees of longitude at its latitude.
    dlon: Vec<f64>,
    lon: Vec<f64>,
}

impl Lattice {
    #[allow(clippy::cast_possible_truncation)] // rows of a city: small
    fn new(cells: &Cells, spacing_m: f64) -> Self {
        let size = spacing_m.max(1e-3);
        let deg_m = 6_371_008.8_f64.to_radians(); // metres per degree of latitude
        let row: Vec<i64> = cells
            .lat
            .iter()
            .map(|lat| (lat * deg_m / size).round() as i64)
            .collect();
        let dlon: Vec<f64> = cells
            .lat
            .iter()
            .map(|lat| size / (deg_m * lat.to_radians().cos()))
            .collect();
        let mut rows: HashMap<i64, Vec<(f64, usize)>> = HashMap::new();
        for (i, r) in row.iter().enumerate() {
            rows.entry(*r).or_default().push((cells.lon[i], i));
        }
        for v in rows.values_mut() {
            v.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        Self {
            row,
            rows,
            dlon,
            lon: cells.lon.clone(),
        }
    }

    /// The cell one step `(dx, dy)` from cell `i`, if there is one.
    fn neighbour(&self, i: usize, dx: i64, dy: i64) -> Option<usize> {
        let row = self.rows.get(&(self.row[i] + dy))?;
        #[allow(clippy::cast_precision_loss)] // dx is −1, 0 or 1
        let want = self.lon[i] + dx as f64 * self.dlon[i];
        let at = row.partition_point(|e| e.0 < want);
        [at.checked_sub(1), Some(at)]
            .into_iter()
            .flatten()
            .filter_map(|k| row.get(k))
            .filter(|e| (e.0 - want).abs() < 0.5 * self.dlon[i])
            .min_by(|a, b| (a.0 - want).abs().total_cmp(&(b.0 - want).abs()))
            .map(|e| e.1)
    }

    /// Per cell: the sides whose neighbour is not in the cell's zone (0 outside zones).
    fn edges(&self, gap: &[u32]) -> Vec<u8> {
        (0..gap.len())
            .map(|i| {
                if gap[i] == 0 {
                    return 0;
                }
                SIDES
                    .iter()
                    .filter(|(dx, dy, _)| {
                        self.neighbour(i, *dx, *dy).is_none_or(|j| gap[j] != gap[i])
                    })
                    .fold(0u8, |m, s| m | s.2)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 3 × 3 lattice of 100 m cells near Shanghai, cell `3 * row + col`.
    fn lattice() -> Cells {
        let deg_m = 6_371_008.8_f64.to_radians();
        let (lat0, lon0) = (31.3, 121.5);
        let mut cells = Cells::default();
        for row in 0..3 {
            for col in 0..3 {
                let lat = lat0 + f64::from(row) * 100.0 / deg_m;
                let lon = lon0 + f64::from(col) * 100.0 / (deg_m * lat.to_radians().cos());
                cells.id.push(format!("c{}", 3 * row + col));
                cells.lon.push(lon);
                cells.lat.push(lat);
                cells.population.push(1.0);
            }
        }
        cells
    }

    #[test]
    fn edges_outline_an_l_shaped_zone_and_its_neighbour() {
        let cells = lattice();
        let l = Lattice::new(&cells, 100.0);
        // Zone 1: cells 0, 1, 3 (an L in the south-west); zone 2: cell 4.
        let gap = [1, 1, 0, 1, 2, 0, 0, 0, 0];
        let e = l.edges(&gap);
        // East 1, north 2, west 4, south 8 (north = the next row up).
        assert_eq!(e[0], 4 | 8);
        assert_eq!(e[1], 1 | 2 | 8);
        assert_eq!(e[3], 1 | 2 | 4);
        assert_eq!(e[4], 15, "a zone of one cell is outlined on all sides");
        assert_eq!(&e[5..], &[0, 0, 0, 0]);
    }
}
