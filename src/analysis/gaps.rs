//! Gap zones: uncovered, populated cells of a category (or of `covered_all`) grouped
//! into connected zones, ranked by the residents they leave out.
//!
//! Connectivity is a distance rule: two uncovered cells are neighbours when their
//! centres are at most `link_m` apart. The default `link_m` is 1.5 × the median
//! nearest-neighbour spacing of the cells, which on a regular grid of spacing `s`
//! is exactly 8-neighbour connectivity (diagonal `s√2 ≈ 1.41 s` < 1.5 s < `2s`),
//! and on irregular cells (census polygons, points) links cells that touch or
//! nearly touch.
//!
//! Input: cells, per-cell covered flags and walking minutes. Output: [`GapZone`]s
//! with their cells; polygons are the union of the cells' squares/polygons.

use geo::{Area, MultiPolygon, Polygon, unary_union};
use rayon::prelude::*;
use rstar::RTree;
use rstar::primitives::GeomWithData;

use crate::base::category::Layer;
use crate::base::model::Cell;
use crate::crs::LocalProjection;

/// A connected zone of uncovered, populated cells.
#[derive(Clone, Debug, PartialEq)]
pub struct GapZone {
    /// `<category>-<rank>`.
    pub id: String,
    /// Category name, or `covered_all`.
    pub category: String,
    /// 1 = the zone leaving out the most residents (elderly for elderly categories).
    pub rank: usize,
    /// Cell indices, ascending.
    pub cells: Vec<u32>,
    /// Residents.
    pub population: f64,
    /// Elderly residents.
    pub elderly: f64,
    /// Area, m² (cell polygons, or spacing² for point cells).
    pub area_m2: f64,
    /// Population-weighted centroid, local metres.
    pub centroid_xy: [f64; 2],
    /// Largest walking time to the category among the zone's cells that reach one.
    pub worst_walk_min: Option<f64>,
    /// Cells of the zone with no site within the search bound.
    pub cells_unreached: usize,
}

/// Median nearest-neighbour spacing of the cells (0 for fewer than 2 cells).
#[must_use]
pub fn median_spacing(xy: &[[f64; 2]]) -> f64 {
    if xy.len() < 2 {
        return 0.0;
    }
    let tree = RTree::bulk_load(xy.to_vec());
    let mut d: Vec<f64> = xy
        .par_iter()
        .filter_map(|p| {
            tree.nearest_neighbor_iter(p)
                .find(|q| *q != p)
                .map(|q| (q[0] - p[0]).hypot(q[1] - p[1]))
        })
        .collect();
    if d.is_empty() {
        return 0.0;
    }
    d.sort_by(f64::total_cmp);
    d[d.len() / 2]
}

fn find(parent: &mut [u32], mut i: u32) -> u32 {
    while parent[i as usize] != i {
        parent[i as usize] = parent[parent[i as usize] as usize];
        i = parent[i as usize];
    }
    i
}

/// Group the uncovered, populated cells into zones.
///
/// * `covered[i]`: cell i is covered;
/// * `walk_min[i]`: walking minutes to the nearest site (`None`: unreached);
/// * `layer`: which residents rank the zones.
#[must_use]
pub fn gap_zones(
    category: &str,
    cells: &[Cell],
    covered: &[bool],
    walk_min: &[Option<f64>],
    layer: Layer,
    link_m: f64,
    cell_area_m2: &[f64],
) -> Vec<GapZone> {
    let members: Vec<u32> = (0..cells.len())
        .filter(|&i| !covered[i] && cells[i].population > 0.0)
        .map(|i| u32::try_from(i).expect("fewer than 2^32 cells"))
        .collect();
    if members.is_empty() {
        return Vec::new();
    }
    let items: Vec<GeomWithData<[f64; 2], u32>> = members
        .iter()
        .enumerate()
        .map(|(k, &i)| GeomWithData::new(cells[i as usize].xy, u32::try_from(k).expect("fits")))
        .collect();
    let tree = RTree::bulk_load(items);
    let mut parent: Vec<u32> = (0..u32::try_from(members.len()).expect("fits")).collect();
    let r2 = link_m * link_m * (1.0 + 1e-9);
    for (k, &i) in members.iter().enumerate() {
        for n in tree.locate_within_distance(cells[i as usize].xy, r2) {
            let a = find(&mut parent, u32::try_from(k).expect("fits"));
            let b = find(&mut parent, n.data);
            if a != b {
                // Union by smaller root: deterministic whatever the R-tree order.
                let (lo, hi) = if a < b { (a, b) } else { (b, a) };
                parent[hi as usize] = lo;
            }
        }
    }
    // Zones in order of their first (lowest) cell.
    let mut zone_of_root: std::collections::HashMap<u32, usize> = std::collections::HashMap::new();
    let mut zones: Vec<Vec<u32>> = Vec::new();
    for (k, &cell) in members.iter().enumerate() {
        let root = find(&mut parent, u32::try_from(k).expect("fits"));
        let z = *zone_of_root.entry(root).or_insert_with(|| {
            zones.push(Vec::new());
            zones.len() - 1
        });
        zones[z].push(cell);
    }
    let mut out: Vec<GapZone> = zones
        .into_iter()
        .map(|zc| {
            let mut g = GapZone {
                id: String::new(),
                category: category.to_owned(),
                rank: 0,
                cells: zc,
                population: 0.0,
                elderly: 0.0,
                area_m2: 0.0,
                centroid_xy: [0.0, 0.0],
                worst_walk_min: None,
                cells_unreached: 0,
            };
            let (mut sx, mut sy) = (0.0, 0.0);
            for &i in &g.cells {
                let c = &cells[i as usize];
                g.population += c.population;
                g.elderly += c.elderly.unwrap_or(0.0);
                sx += c.xy[0] * c.population;
                sy += c.xy[1] * c.population;
                g.area_m2 += cell_area_m2[i as usize];
                match walk_min[i as usize] {
                    Some(m) => {
                        g.worst_walk_min = Some(g.worst_walk_min.map_or(m, |w: f64| w.max(m)))
                    }
                    None => g.cells_unreached += 1,
                }
            }
            g.centroid_xy = [sx / g.population, sy / g.population];
            g
        })
        .collect();
    let key = |g: &GapZone| match layer {
        Layer::Elderly => g.elderly,
        Layer::Total => g.population,
    };
    out.sort_by(|a, b| key(b).total_cmp(&key(a)).then(a.cells[0].cmp(&b.cells[0])));
    for (r, g) in out.iter_mut().enumerate() {
        g.rank = r + 1;
        g.id = format!("{category}-{}", r + 1);
    }
    out
}

/// Area of every cell in m²: its polygon projected to the local frame, or
/// spacing² for point cells.
#[must_use]
pub fn cell_areas_m2(cells: &[Cell], spacing_m: f64, proj: &LocalProjection) -> Vec<f64> {
    use geo::MapCoords;
    cells
        .iter()
        .map(|c| match &c.polygon {
            Some(p) => {
                let xy = p.map_coords(|co| {
                    let v = proj.forward(co.x, co.y).unwrap_or([f64::NAN, f64::NAN]);
                    geo::coord! { x: v[0], y: v[1] }
                });
                let a = xy.unsigned_area();
                if a.is_finite() {
                    a
                } else {
                    spacing_m * spacing_m
                }
            }
            None => spacing_m * spacing_m,
        })
        .collect()
}

/// The zone's outline: union of its cells (polygons, or spacing-sized squares
/// around point cells), in WGS84.
#[must_use]
pub fn zone_polygon(
    zone: &GapZone,
    cells: &[Cell],
    spacing_m: f64,
    proj: &LocalProjection,
) -> MultiPolygon<f64> {
    let half = 0.5 * spacing_m;
    // Point cells of a regular grid sit on a lattice only up to the rounding of
    // their input coordinates (1e-6° ≈ 0.1 m): squares built around each centre
    // would leave millimetre slivers between neighbours, and the union would fall
    // apart into one polygon per cell. Corners within 5 % of the spacing of the
    // lattice through the first cell are snapped to it, so neighbours share exact
    // corners; cells off any lattice (irregular points) keep their own squares.
    let origin = cells.first().map_or([0.0, 0.0], |c| c.xy);
    let snap = |v: f64, o: f64| -> f64 {
        if spacing_m <= 0.0 {
            return v;
        }
        let k = ((v - o) / spacing_m - 0.5).round() + 0.5;
        let lattice = o + k * spacing_m;
        if (lattice - v).abs() <= 0.05 * spacing_m {
            lattice
        } else {
            v
        }
    };
    let polys: Vec<Polygon<f64>> = zone
        .cells
        .iter()
        .flat_map(|&i| {
            let c = &cells[i as usize];
            match &c.polygon {
                Some(mp) => mp.0.clone(),
                None => {
                    let [x, y] = c.xy;
                    let (x0, x1) = (snap(x - half, origin[0]), snap(x + half, origin[0]));
                    let (y0, y1) = (snap(y - half, origin[1]), snap(y + half, origin[1]));
                    let corners = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]];
                    let ring: Vec<(f64, f64)> = corners.iter().map(|p| proj.inverse(*p)).collect();
                    vec![Polygon::new(ring.into(), vec![])]
                }
            }
        })
        .collect();
    unary_union(&polys)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid_cell(ix: i32, iy: i32, pop: f64) -> Cell {
        Cell {
            id: format!("g{ix}_{iy}"),
            lon: 121.5,
            lat: 31.3,
            xy: [f64::from(ix) * 100.0 + 50.0, f64::from(iy) * 100.0 + 50.0],
            population: pop,
            elderly: Some(pop / 5.0),
            polygon: None,
        }
    }

    /// On a regular grid the distance rule is 8-neighbour connectivity: diagonal
    /// neighbours join, cells two apart do not.
    #[test]
    fn eight_neighbour_on_regular_grid() {
        // 5 × 5 grid; uncovered: (0,0),(1,1) diagonal pair; (3,0) alone; (0,3),(0,4) vertical pair; (4,4) alone.
        let mut cells = Vec::new();
        let mut covered = Vec::new();
        let unc = [(0, 0), (1, 1), (3, 0), (0, 3), (0, 4), (4, 4)];
        for iy in 0..5 {
            for ix in 0..5 {
                cells.push(grid_cell(ix, iy, 10.0 + f64::from(ix)));
                covered.push(!unc.contains(&(ix, iy)));
            }
        }
        let xy: Vec<[f64; 2]> = cells.iter().map(|c| c.xy).collect();
        let s = median_spacing(&xy);
        assert!((s - 100.0).abs() < 1e-9);
        let walk = vec![Some(20.0); cells.len()];
        let areas = vec![s * s; cells.len()];
        let z = gap_zones(
            "library",
            &cells,
            &covered,
            &walk,
            Layer::Total,
            1.5 * s,
            &areas,
        );
        let mut sizes: Vec<usize> = z.iter().map(|g| g.cells.len()).collect();
        sizes.sort_unstable();
        assert_eq!(sizes, vec![1, 1, 2, 2]);
        // Gap population = uncovered population (exact on integer counts).
        let unc_pop: f64 = (0..cells.len())
            .filter(|&i| !covered[i])
            .map(|i| cells[i].population)
            .sum();
        assert_eq!(z.iter().map(|g| g.population).sum::<f64>(), unc_pop);
        // Ranked by population: the largest first.
        assert!(z.windows(2).all(|w| w[0].population >= w[1].population));
        assert_eq!(z[0].rank, 1);
        assert_eq!(z[0].area_m2, 20_000.0);
    }

    #[test]
    fn zone_polygon_is_union_of_squares() {
        let proj = LocalProjection::new(121.5, 31.3).unwrap();
        let mut cells = vec![grid_cell(0, 0, 5.0), grid_cell(1, 0, 5.0)];
        for c in &mut cells {
            let (lon, lat) = proj.inverse(c.xy);
            c.lon = lon;
            c.lat = lat;
        }
        let areas = cell_areas_m2(&cells, 100.0, &proj);
        assert_eq!(areas, vec![10_000.0, 10_000.0]);
        let z = gap_zones(
            "x",
            &cells,
            &[false, false],
            &[None, Some(3.0)],
            Layer::Total,
            150.0,
            &areas,
        );
        assert_eq!(z.len(), 1);
        assert_eq!(z[0].cells_unreached, 1);
        assert_eq!(z[0].worst_walk_min, Some(3.0));
        let mp = zone_polygon(&z[0], &cells, 100.0, &proj);
        assert_eq!(mp.0.len(), 1, "two adjacent squares merge into one polygon");
    }

    #[test]
    fn zone_polygon_of_rounded_grid_centres_is_one_polygon() {
        // Centres of a 100 m grid as read back from 1e-6° coordinates: up to ~0.1 m
        // off the lattice. The zone's outline must still be one square block.
        let proj = LocalProjection::new(121.5, 31.3).unwrap();
        let mut cells = Vec::new();
        for iy in 0..8 {
            for ix in 0..8 {
                let mut c = grid_cell(ix, iy, 5.0);
                let (lon, lat) = proj.inverse(c.xy);
                let (lon, lat) = ((lon * 1e6).round() / 1e6, (lat * 1e6).round() / 1e6);
                c.lon = lon;
                c.lat = lat;
                c.xy = proj.forward(lon, lat).unwrap();
                cells.push(c);
            }
        }
        assert!(
            cells
                .iter()
                .any(|c| (c.xy[0] / 100.0 - (c.xy[0] / 100.0).round()).abs() > 1e-5),
            "the rounding moved some centres off the lattice"
        );
        let n = cells.len();
        let areas = cell_areas_m2(&cells, 100.0, &proj);
        let z = gap_zones(
            "x",
            &cells,
            &vec![false; n],
            &vec![None; n],
            Layer::Total,
            150.0,
            &areas,
        );
        assert_eq!(z.len(), 1);
        let mp = zone_polygon(&z[0], &cells, 100.0, &proj);
        assert_eq!(mp.0.len(), 1, "one polygon, not a mosaic of squares");
        assert!(mp.0[0].interiors().is_empty(), "no sliver holes");
    }
}
