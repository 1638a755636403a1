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

use geo::{Area, LineString, MultiPolygon, Polygon, unary_union};
use rayon::prelude::*;
use rstar::RTree;
use std::sync::OnceLock;

use super::bins::PointBins;

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
///
/// Nearest neighbours are read from bins about twice the typical spacing (from
/// the interquartile box, so that outlying cells do not widen it); a cell with
/// no neighbour within its bins, or points too crowded for bins, fall back to
/// the R-tree. Both give the same distances.
#[must_use]
pub fn median_spacing(xy: &[[f64; 2]]) -> f64 {
    if xy.len() < 2 {
        return 0.0;
    }
    let bins = typical_spacing_m(xy)
        .map(|s| PointBins::new(xy.to_vec(), 2.0 * s))
        .filter(|b| b.crowding() <= 32 * xy.len() as u64);
    let tree: OnceLock<RTree<[f64; 2]>> = OnceLock::new();
    let mut d: Vec<f64> = xy
        .par_iter()
        .filter_map(|p| {
            bins.as_ref().and_then(|b| b.nearest_other(*p)).or_else(|| {
                let tree = tree.get_or_init(|| RTree::bulk_load(xy.to_vec()));
                tree.nearest_neighbor_iter(p)
                    .find(|q| *q != p)
                    .map(|q| (q[0] - p[0]).hypot(q[1] - p[1]))
            })
        })
        .collect();
    if d.is_empty() {
        return 0.0;
    }
    d.sort_by(f64::total_cmp);
    d[d.len() / 2]
}

/// √(area per point) in the interquartile box of x and y (which holds about a
/// quarter of the points); `None` when that box is empty.
fn typical_spacing_m(xy: &[[f64; 2]]) -> Option<f64> {
    let iqr = |axis: usize| {
        let mut v: Vec<f64> = xy.iter().map(|p| p[axis]).collect();
        let n = v.len();
        let hi = *v.select_nth_unstable_by(3 * n / 4, f64::total_cmp).1;
        let lo = *v.select_nth_unstable_by(n / 4, f64::total_cmp).1;
        hi - lo
    };
    let s = (iqr(0) * iqr(1) * 4.0 / xy.len() as f64).sqrt();
    (s.is_finite() && s > 0.0).then_some(s)
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
    let xy: Vec<[f64; 2]> = members.iter().map(|&i| cells[i as usize].xy).collect();
    let r2 = link_m * link_m * (1.0 + 1e-9);
    // Bins a little wider than the link: every neighbour is in the 3 × 3 bins.
    let bins = PointBins::new(xy, 1.01 * r2.sqrt());
    let mut parent: Vec<u32> = (0..u32::try_from(members.len()).expect("fits")).collect();
    // Neighbours searched in parallel; the components, hence the zones, do not
    // depend on the order in which the links are then joined.
    let links: Vec<Vec<u32>> = members
        .par_iter()
        .enumerate()
        .map(|(k, &i)| {
            bins.around(cells[i as usize].xy)
                .filter(|&(n, d2)| n as usize > k && d2 <= r2)
                .map(|(n, _)| n)
                .collect()
        })
        .collect();
    for (k, near) in links.iter().enumerate() {
        for &n in near {
            let a = find(&mut parent, u32::try_from(k).expect("fits"));
            let b = find(&mut parent, n);
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
///
/// Point cells on the lattice (every corner snapped, see [`CellLattice`]) take the
/// linear path: the zone's boundary edges are traced on the lattice into rings and
/// only those rings go through the polygon overlay, which yields the same
/// `MultiPolygon`, bit for bit, as the union of all the cells' squares (the overlay
/// keeps the segments whose two sides differ, merges collinear points and orders
/// its output from the segments alone; `lattice_trace_equals_union` checks it).
/// Zones with polygon cells or cells off the lattice take the union.
#[must_use]
pub fn zone_polygon(
    zone: &GapZone,
    cells: &[Cell],
    spacing_m: f64,
    proj: &LocalProjection,
) -> MultiPolygon<f64> {
    let (lattice, _) = CellLattice::of_grid(cells, spacing_m);
    match lattice.zone_rings(zone, cells) {
        Some(rings) => traced_outline(&rings, &lattice, proj),
        None => union_of_cells(zone, cells, &lattice, proj, None),
    }
}

/// [`zone_polygon`] of every zone, in zone order, in parallel (each zone on its
/// own: the result does not depend on the thread count). Zones on the lattice are
/// traced; for the others each cell's square is projected once, however many
/// zonings (categories, `covered_all`) hold the cell. Bit for bit the same as
/// calling [`zone_polygon`] per zone.
#[must_use]
pub fn zone_polygons(
    zones: &[GapZone],
    cells: &[Cell],
    spacing_m: f64,
    proj: &LocalProjection,
) -> Vec<MultiPolygon<f64>> {
    let (lattice, squares) = CellLattice::of_grid(cells, spacing_m);
    let rings: Vec<Option<Vec<Vec<Vertex>>>> = zones
        .par_iter()
        .map(|z| lattice.zone_rings_of(z, |i| squares[i as usize]))
        .collect();
    let mut needed = vec![false; cells.len()];
    for (z, r) in zones.iter().zip(&rings) {
        if r.is_none() {
            for &i in &z.cells {
                needed[i as usize] = true;
            }
        }
    }
    let corners: Vec<[(f64, f64); 4]> = cells
        .par_iter()
        .zip(&needed)
        .map(|(c, &need)| {
            if need && c.polygon.is_none() {
                lattice.square_corners(c, proj)
            } else {
                [(f64::NAN, f64::NAN); 4]
            }
        })
        .collect();
    zones
        .par_iter()
        .zip(rings)
        .map(|(z, r)| match r {
            Some(rings) => traced_outline(&rings, &lattice, proj),
            None => union_of_cells(z, cells, &lattice, proj, Some(&corners)),
        })
        .collect()
}

/// The outline of traced rings. On the metric lattice: their vertices projected,
/// through the overlay (bit for bit the union of the squares). On a lattice of
/// degrees: assembled directly ([`assemble_rings`]).
fn traced_outline(
    rings: &[Vec<Vertex>],
    lattice: &CellLattice,
    proj: &LocalProjection,
) -> MultiPolygon<f64> {
    if lattice.frame == LatticeFrame::Degrees {
        return assemble_rings(rings, lattice, proj);
    }
    let subject: Vec<Vec<[f64; 2]>> = rings
        .iter()
        .map(|ring| ring.iter().map(|&v| lattice.lon_lat(v, proj)).collect())
        .collect();
    overlay_like_unary_union(&subject)
}

/// Polygons from traced rings, in exact integer lattice arithmetic: outer rings
/// (counter-clockwise) in tracing order, each hole (clockwise) given to the
/// smallest outer ring around the zone cell on its inner side; collinear vertices
/// dropped. Every ring comes from [`chain_rings`], so no ring crosses another;
/// rings touching themselves at a corner are split there ([`split_at_repeats`]),
/// so rings meet at most at single corners: the result is a valid `MultiPolygon`.
fn assemble_rings(
    rings: &[Vec<Vertex>],
    lattice: &CellLattice,
    proj: &LocalProjection,
) -> MultiPolygon<f64> {
    let rings: Vec<Vec<Vertex>> = rings
        .iter()
        .flat_map(|r| split_at_repeats(r))
        .map(|r| drop_collinear(&r))
        .collect();
    let area2: Vec<i128> = rings.iter().map(|r| ring_area2(r)).collect();
    let outers: Vec<usize> = (0..rings.len()).filter(|&r| area2[r] > 0).collect();
    let mut holes_of: Vec<Vec<usize>> = vec![Vec::new(); outers.len()];
    for h in (0..rings.len()).filter(|&r| area2[r] < 0) {
        let probe = inner_cell_doubled(&rings[h]);
        let owner = outers
            .iter()
            .enumerate()
            .filter(|&(_, &o)| contains_doubled(&rings[o], probe))
            .min_by_key(|&(_, &o)| area2[o])
            .map(|(k, _)| k);
        if let Some(k) = owner {
            holes_of[k].push(h);
        }
    }
    let line = |r: &[Vertex]| -> LineString<f64> {
        let mut ls: LineString<f64> = r
            .iter()
            .map(|&v| {
                let [x, y] = lattice.lon_lat(v, proj);
                (x, y)
            })
            .collect();
        ls.close();
        ls
    };
    let polygons = outers.iter().zip(&holes_of).map(|(&o, holes)| {
        Polygon::new(
            line(&rings[o]),
            holes.iter().map(|&h| line(&rings[h])).collect(),
        )
    });
    MultiPolygon(polygons.collect())
}

/// A ring that passes a vertex twice (a zone touching itself at a corner) split
/// there into simple loops: an outer ring around an enclosed area that leaks out
/// only through that corner becomes an outer ring and a hole touching it, as OGC
/// validity wants.
fn split_at_repeats(ring: &[Vertex]) -> Vec<Vec<Vertex>> {
    let mut out = Vec::new();
    let mut stack: Vec<Vertex> = Vec::with_capacity(ring.len());
    let mut at: std::collections::HashMap<Vertex, usize> =
        std::collections::HashMap::with_capacity(ring.len());
    for &v in ring {
        if let Some(&i) = at.get(&v) {
            let lp: Vec<Vertex> = stack.drain(i..).collect();
            for u in &lp {
                at.remove(u);
            }
            out.push(lp);
        }
        at.insert(v, stack.len());
        stack.push(v);
    }
    out.push(stack);
    out
}

/// The ring without the vertices where it goes straight on.
fn drop_collinear(ring: &[Vertex]) -> Vec<Vertex> {
    let n = ring.len();
    (0..n)
        .filter(|&i| {
            let (a, b, c) = (ring[(i + n - 1) % n], ring[i], ring[(i + 1) % n]);
            (b.0 - a.0) * (c.1 - b.1) != (b.1 - a.1) * (c.0 - b.0)
        })
        .map(|i| ring[i])
        .collect()
}

/// Twice the signed area (positive: counter-clockwise).
fn ring_area2(ring: &[Vertex]) -> i128 {
    let n = ring.len();
    (0..n)
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            i128::from(a.0) * i128::from(b.1) - i128::from(b.0) * i128::from(a.1)
        })
        .sum()
}

/// The centre of the cell on the inner (left) side of the ring's first unit step,
/// in doubled lattice coordinates (odd on both axes: never on a lattice edge).
fn inner_cell_doubled(ring: &[Vertex]) -> Vertex {
    let (a, b) = (ring[0], ring[1 % ring.len()]);
    let (dx, dy) = ((b.0 - a.0).signum(), (b.1 - a.1).signum());
    (2 * a.0 + dx - dy, 2 * a.1 + dy + dx)
}

/// Whether the doubled point lies inside the ring (even-odd; the point is never
/// on the ring, its coordinates being odd).
fn contains_doubled(ring: &[Vertex], (px, py): Vertex) -> bool {
    let n = ring.len();
    let mut inside = false;
    for i in 0..n {
        let (a, b) = (ring[i], ring[(i + 1) % n]);
        let (ax, ay, bx, by) = (2 * a.0, 2 * a.1, 2 * b.0, 2 * b.1);
        if (ay > py) != (by > py) {
            // Crossing abscissa of the edge at py compared with px, exactly.
            let lhs = i128::from(px - ax) * i128::from(by - ay);
            let rhs = i128::from(bx - ax) * i128::from(py - ay);
            if (lhs < rhs) == (by > ay) {
                inside = !inside;
            }
        }
    }
    inside
}

/// `geo::unary_union` of counter-clockwise cells, given their outline's rings:
/// the same overlay (OGC options, positive fill) and the same conversion of its
/// output, except that collinear input points are kept. Each ring then enters the
/// overlay as the unit lattice edges the cells' squares would have left after
/// their shared edges cancel, so the segments, hence the output, are the union's.
fn overlay_like_unary_union(rings: &[Vec<[f64; 2]>]) -> MultiPolygon<f64> {
    use i_overlay::core::fill_rule::FillRule;
    use i_overlay::core::overlay_rule::OverlayRule;
    use i_overlay::float::overlay::{FloatOverlay, OverlayOptions};
    let mut options = OverlayOptions::ogc();
    options.preserve_input_collinear = true;
    let shapes = FloatOverlay::with_subj_custom(rings, options, Default::default())
        .overlay(OverlayRule::Subject, FillRule::Positive);
    let polygons = shapes.into_iter().map(|shape| {
        let mut rings = shape.into_iter().map(|path| {
            let mut ring: LineString<f64> = path.into_iter().map(|[x, y]| (x, y)).collect();
            ring.close();
            ring
        });
        let exterior = rings.next().unwrap_or(LineString::empty());
        Polygon::new(exterior, rings.collect())
    });
    MultiPolygon(polygons.collect())
}

/// The lattice of a regular grid's cell corners: origin at the first cell's centre,
/// pitch = the spacing. Point cells of a regular grid sit on it only up to the
/// rounding of their input coordinates (1e-6° ≈ 0.1 m): squares built around each
/// centre would leave millimetre slivers between neighbours, and the union would
/// fall apart into one polygon per cell. Corners within 5 % of the spacing of the
/// lattice are snapped to it, so neighbours share exact corners; cells off any
/// lattice (irregular points) keep their own squares.
///
/// A grid laid out in longitude/latitude (regular steps in degrees, as many
/// published population grids are) is not a lattice in metres: its rows curve and
/// its columns converge in the local frame. When its point cells are not all on
/// the metric lattice but all are on a lattice of degrees, that lattice is used
/// ([`LatticeFrame::Degrees`]): each cell is its longitude × latitude rectangle and
/// the outlines are traced in degrees.
#[derive(Clone, Copy, Debug)]
struct CellLattice {
    origin: [f64; 2],
    /// Pitch per axis: metres, or degrees of longitude and latitude.
    pitch: [f64; 2],
    frame: LatticeFrame,
}

/// The coordinates a [`CellLattice`] is regular in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LatticeFrame {
    /// Local metres (`Cell::xy`).
    Metric,
    /// WGS84 degrees (`Cell::lon`, `Cell::lat`).
    Degrees,
}

/// A lattice vertex: integer index `j` on an axis is the line `origin + (j + ½)·spacing`.
type Vertex = (i64, i64);

impl CellLattice {
    fn new(cells: &[Cell], spacing_m: f64) -> Self {
        let origin = cells.first().map_or([0.0, 0.0], |c| c.xy);
        Self {
            origin,
            pitch: [spacing_m, spacing_m],
            frame: LatticeFrame::Metric,
        }
    }

    /// The grid's lattice: metric, unless its point cells are off the metric
    /// lattice and all on a lattice of degrees (see the type's note); with every
    /// cell's square on it ([`Self::square`]), computed once.
    fn of_grid(cells: &[Cell], spacing_m: f64) -> (Self, Vec<Option<Vertex>>) {
        let squares_on = |lattice: &Self| -> Vec<Option<Vertex>> {
            cells.par_iter().map(|c| lattice.square(c)).collect()
        };
        let all_points_on = |squares: &[Option<Vertex>]| {
            cells
                .iter()
                .zip(squares)
                .all(|(c, s)| c.polygon.is_some() || s.is_some())
        };
        let metric = Self::new(cells, spacing_m);
        let metric_squares = squares_on(&metric);
        if all_points_on(&metric_squares) {
            return (metric, metric_squares);
        }
        if let Some(deg) = Self::degrees(cells) {
            let squares = squares_on(&deg);
            if all_points_on(&squares) {
                return (deg, squares);
            }
        }
        (metric, metric_squares)
    }

    /// A lattice of degrees through the first point cell, each axis's pitch
    /// estimated from the cells' distinct coordinates; `None` for fewer than two
    /// distinct values on an axis.
    fn degrees(cells: &[Cell]) -> Option<Self> {
        let first = cells.iter().find(|c| c.polygon.is_none())?;
        let origin = [first.lon, first.lat];
        let (lons, lats): (Vec<f64>, Vec<f64>) = cells
            .iter()
            .filter(|c| c.polygon.is_none())
            .map(|c| (c.lon, c.lat))
            .unzip();
        Some(Self {
            origin,
            pitch: [
                degree_pitch(lons, origin[0])?,
                degree_pitch(lats, origin[1])?,
            ],
            frame: LatticeFrame::Degrees,
        })
    }

    /// The cell's centre in the lattice's frame.
    fn centre(&self, c: &Cell) -> [f64; 2] {
        match self.frame {
            LatticeFrame::Metric => c.xy,
            LatticeFrame::Degrees => [c.lon, c.lat],
        }
    }

    /// The lattice line index nearest `v` on an axis (a half-integer), with the
    /// snapped coordinate; `None` when `v` is not within 5 % of it.
    fn snap_index(&self, v: f64, axis: usize) -> Option<(f64, f64)> {
        let (o, pitch) = (self.origin[axis], self.pitch[axis]);
        if pitch <= 0.0 {
            return None;
        }
        let k = ((v - o) / pitch - 0.5).round() + 0.5;
        let lattice = o + k * pitch;
        ((lattice - v).abs() <= 0.05 * pitch).then_some((k, lattice))
    }

    /// `v` snapped to the lattice when near it, else `v`.
    fn snap(&self, v: f64, axis: usize) -> f64 {
        self.snap_index(v, axis).map_or(v, |(_, lattice)| lattice)
    }

    /// WGS84 corners (counter-clockwise from the lower left) of the square of one
    /// pitch around a point cell in the lattice's frame, each coordinate snapped
    /// to the lattice when near it.
    fn square_corners(&self, c: &Cell, proj: &LocalProjection) -> [(f64, f64); 4] {
        let [x, y] = self.centre(c);
        let (hx, hy) = (0.5 * self.pitch[0], 0.5 * self.pitch[1]);
        let (x0, x1) = (self.snap(x - hx, 0), self.snap(x + hx, 0));
        let (y0, y1) = (self.snap(y - hy, 1), self.snap(y + hy, 1));
        let corners = [[x0, y0], [x1, y0], [x1, y1], [x0, y1]];
        match self.frame {
            LatticeFrame::Metric => corners.map(|p| proj.inverse(p)),
            LatticeFrame::Degrees => corners.map(|[lon, lat]| (lon, lat)),
        }
    }

    /// Coordinates of a vertex in the lattice's frame: the same expression as
    /// [`Self::snap_index`].
    fn xy(&self, (jx, jy): Vertex) -> [f64; 2] {
        let line = |j: i64, axis: usize| {
            #[allow(clippy::cast_precision_loss)] // |j| ≪ 2^52
            let k = j as f64 + 0.5;
            self.origin[axis] + k * self.pitch[axis]
        };
        [line(jx, 0), line(jy, 1)]
    }

    /// A vertex in WGS84 (longitude, latitude).
    fn lon_lat(&self, v: Vertex, proj: &LocalProjection) -> [f64; 2] {
        let p = self.xy(v);
        match self.frame {
            LatticeFrame::Metric => {
                let (lon, lat) = proj.inverse(p);
                [lon, lat]
            }
            LatticeFrame::Degrees => p,
        }
    }

    /// The lattice square of a point cell: its lower-left vertex, when all four
    /// corners snap and the square spans exactly one pitch on each axis.
    fn square(&self, c: &Cell) -> Option<Vertex> {
        if c.polygon.is_some() {
            return None;
        }
        let axis = |v: f64, a: usize| -> Option<i64> {
            let half = 0.5 * self.pitch[a];
            let (k0, _) = self.snap_index(v - half, a)?;
            let (k1, _) = self.snap_index(v + half, a)?;
            #[allow(clippy::cast_possible_truncation)] // checked below
            let j = (k0 - 0.5) as i64;
            #[allow(clippy::cast_precision_loss)]
            let exact = k1 == k0 + 1.0 && (j as f64) == k0 - 0.5 && j.abs() < 1 << 40;
            exact.then_some(j)
        };
        let [x, y] = self.centre(c);
        Some((axis(x, 0)?, axis(y, 1)?))
    }

    /// The zone's boundary as closed rings of lattice vertices (first vertex not
    /// repeated), interior on the left: outer rings counter-clockwise, holes
    /// clockwise; the first ring is an outer one. `None` when a cell is not a
    /// lattice square or two cells share one.
    fn zone_rings(&self, zone: &GapZone, cells: &[Cell]) -> Option<Vec<Vec<Vertex>>> {
        self.zone_rings_of(zone, |i| self.square(&cells[i as usize]))
    }

    /// [`Self::zone_rings`] with each cell's square given by `square_of(cell)`.
    fn zone_rings_of(
        &self,
        zone: &GapZone,
        square_of: impl Fn(u32) -> Option<Vertex>,
    ) -> Option<Vec<Vec<Vertex>>> {
        let mut squares: Vec<Vertex> = Vec::with_capacity(zone.cells.len());
        for &i in &zone.cells {
            squares.push(square_of(i)?);
        }
        let set: std::collections::HashSet<Vertex> = squares.iter().copied().collect();
        if set.len() != squares.len() {
            return None;
        }
        // Boundary edges, directed with the zone on the left; the lowest, then
        // leftmost square's bottom edge first (it lies on an outer ring).
        squares.sort_unstable_by_key(|&(x, y)| (y, x));
        let mut edges: Vec<(Vertex, Vertex)> = Vec::new();
        for &(x, y) in &squares {
            if !set.contains(&(x, y - 1)) {
                edges.push(((x, y), (x + 1, y)));
            }
            if !set.contains(&(x + 1, y)) {
                edges.push(((x + 1, y), (x + 1, y + 1)));
            }
            if !set.contains(&(x, y + 1)) {
                edges.push(((x + 1, y + 1), (x, y + 1)));
            }
            if !set.contains(&(x - 1, y)) {
                edges.push(((x, y + 1), (x, y)));
            }
        }
        Some(chain_rings(&edges))
    }
}

/// The step of a regular axis from its values: the median gap between
/// consecutive distinct values (gaps under half of it, i.e. rounding, dropped),
/// refined over the farthest value from `origin` so that rounding of the input
/// does not accumulate along the axis. `None` without two distinct values.
fn degree_pitch(mut v: Vec<f64>, origin: f64) -> Option<f64> {
    v.retain(|x| x.is_finite());
    v.sort_by(f64::total_cmp);
    v.dedup();
    let mut gaps: Vec<f64> = v.windows(2).map(|w| w[1] - w[0]).collect();
    if gaps.is_empty() {
        return None;
    }
    gaps.sort_by(f64::total_cmp);
    let rough = gaps[gaps.len() / 2];
    let far = v
        .iter()
        .copied()
        .max_by(|a, b| (a - origin).abs().total_cmp(&(b - origin).abs()))?;
    let steps = ((far - origin).abs() / rough).round();
    (steps >= 1.0 && rough > 0.0).then(|| (far - origin).abs() / steps)
}

/// Chain directed boundary edges into closed rings. Where two edges leave a vertex
/// (two squares touching at a corner) the ring turns left, so each ring stays
/// around one side of the touch and never crosses itself.
fn chain_rings(edges: &[(Vertex, Vertex)]) -> Vec<Vec<Vertex>> {
    let mut out_of: std::collections::HashMap<Vertex, [usize; 2]> =
        std::collections::HashMap::with_capacity(edges.len());
    for (e, &(from, _)) in edges.iter().enumerate() {
        out_of
            .entry(from)
            .and_modify(|slot| slot[1] = e)
            .or_insert([e, usize::MAX]);
    }
    let mut used = vec![false; edges.len()];
    let mut rings = Vec::new();
    for start in 0..edges.len() {
        if used[start] {
            continue;
        }
        let mut ring = Vec::new();
        let mut e = start;
        loop {
            used[e] = true;
            let (from, to) = edges[e];
            ring.push(from);
            let dir = (to.0 - from.0, to.1 - from.1);
            // Left turn before straight before right: a permutation of the edges.
            let next = out_of[&to]
                .into_iter()
                .filter(|&n| n != usize::MAX)
                .max_by_key(|&n| {
                    let (a, b) = edges[n];
                    dir.0 * (b.1 - a.1) - dir.1 * (b.0 - a.0)
                })
                .expect("every boundary vertex has an outgoing edge");
            if next == start || used[next] {
                break;
            }
            e = next;
        }
        rings.push(ring);
    }
    rings
}

/// The union path: every cell's polygon, or its square (corners snapped to the
/// lattice when near it), through `geo::unary_union`.
fn union_of_cells(
    zone: &GapZone,
    cells: &[Cell],
    lattice: &CellLattice,
    proj: &LocalProjection,
    corners: Option<&[[(f64, f64); 4]]>,
) -> MultiPolygon<f64> {
    let polys: Vec<Polygon<f64>> = zone
        .cells
        .iter()
        .flat_map(|&i| {
            let c = &cells[i as usize];
            match &c.polygon {
                Some(mp) => mp.0.clone(),
                None => {
                    let q = corners
                        .map_or_else(|| lattice.square_corners(c, proj), |all| all[i as usize]);
                    let ring = vec![q[0], q[1], q[2], q[3], q[0]];
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

    /// Cells of a `w × h` grid at `pitch` (metres, or degrees when `degrees`) around
    /// (121.47, 31.23), centres read back from 1e-6° coordinates, every one
    /// uncovered with probability `p` (xorshift from `seed`).
    fn random_grid(
        w: i32,
        h: i32,
        pitch: f64,
        degrees: bool,
        p: f64,
        seed: u64,
        proj: &LocalProjection,
    ) -> (Vec<Cell>, Vec<bool>) {
        let mut state = seed | 1;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut cells = Vec::new();
        let mut covered = Vec::new();
        for iy in 0..h {
            for ix in 0..w {
                let (lon, lat) = if degrees {
                    (
                        121.47 + f64::from(ix) * pitch,
                        31.23 + f64::from(iy) * pitch,
                    )
                } else {
                    proj.inverse([f64::from(ix) * pitch, f64::from(iy) * pitch])
                };
                let (lon, lat) = ((lon * 1e6).round() / 1e6, (lat * 1e6).round() / 1e6);
                let mut c = grid_cell(ix, iy, 1.0 + f64::from(ix % 3));
                c.lon = lon;
                c.lat = lat;
                c.xy = proj.forward(lon, lat).unwrap();
                cells.push(c);
                covered.push(next() >= p);
            }
        }
        (cells, covered)
    }

    /// The lattice trace gives the same outline, bit for bit, as the union of the
    /// cells' squares: random zones with holes, corner touches and single cells, on
    /// metric grids (traced) and on grids of degrees (the union, checked all the same).
    #[test]
    fn lattice_trace_equals_union() {
        let proj = LocalProjection::new(121.47, 31.23).unwrap();
        let mut traced = 0;
        let mut metric_zones = 0;
        for (seed, (w, h, pitch, degrees, p)) in [
            (24, 18, 100.0, false, 0.55),
            (30, 30, 250.0, false, 0.7),
            (40, 25, 100.0, false, 0.45),
            (20, 20, 0.001, true, 0.6),
            (60, 60, 0.0009, true, 0.65),
            (12, 12, 1000.0, false, 0.5),
        ]
        .into_iter()
        .enumerate()
        {
            for rep in 0..4u64 {
                let (cells, covered) =
                    random_grid(w, h, pitch, degrees, p, 7 + 31 * seed as u64 + rep, &proj);
                let xy: Vec<[f64; 2]> = cells.iter().map(|c| c.xy).collect();
                let s = median_spacing(&xy);
                let areas = cell_areas_m2(&cells, s, &proj);
                let walk = vec![None; cells.len()];
                let zones = gap_zones("x", &cells, &covered, &walk, Layer::Total, 1.5 * s, &areas);
                let lattice = CellLattice::new(&cells, s);
                for z in &zones {
                    if !degrees {
                        metric_zones += 1;
                        traced += usize::from(lattice.zone_rings(z, &cells).is_some());
                    }
                    let fast = zone_polygon(z, &cells, s, &proj);
                    if degrees {
                        assert_degree_outline(&fast, z, &cells, &covered, pitch);
                        continue;
                    }
                    let union = union_of_cells(z, &cells, &lattice, &proj, None);
                    assert_eq!(fast, union, "seed {seed} rep {rep} zone {}", z.id);
                }
                let each: Vec<MultiPolygon<f64>> = zones
                    .iter()
                    .map(|z| zone_polygon(z, &cells, s, &proj))
                    .collect();
                assert_eq!(zone_polygons(&zones, &cells, s, &proj), each);
            }
        }
        // Metric grids take the trace (and grids of degrees the lattice of degrees).
        assert_eq!(traced, metric_zones);
    }

    /// A zone on a grid of degrees: a valid outline of exactly its cells'
    /// longitude × latitude rectangles: its cells' centres inside, all others
    /// outside.
    fn assert_degree_outline(
        outline: &MultiPolygon<f64>,
        z: &GapZone,
        cells: &[Cell],
        covered: &[bool],
        pitch_deg: f64,
    ) {
        use geo::{Contains, Point, Validation};
        assert!(
            outline.is_valid(),
            "zone {}: {:?}",
            z.id,
            outline.validation_errors()
        );
        #[allow(clippy::cast_precision_loss)]
        let want = z.cells.len() as f64 * pitch_deg * pitch_deg;
        let got = outline.unsigned_area();
        assert!(
            (got - want).abs() < 1e-6 * want,
            "zone {}: {got} vs {want}",
            z.id
        );
        let members: std::collections::HashSet<u32> = z.cells.iter().copied().collect();
        for (i, c) in cells.iter().enumerate() {
            let inside = outline.contains(&Point::new(c.lon, c.lat));
            let member = members.contains(&(i as u32));
            assert_eq!(
                inside, member,
                "zone {} cell {i} (covered {})",
                z.id, covered[i]
            );
        }
    }

    /// A grid laid out in degrees (steps 0.0010517° × 0.0008993°, centres rounded
    /// to 1e-6°) takes the lattice of degrees; a metric grid keeps the metric one.
    #[test]
    fn grid_of_degrees_is_detected() {
        let proj = LocalProjection::new(121.47, 31.23).unwrap();
        let (dlon, dlat) = (0.001_051_7, 0.000_899_3);
        let mut cells = Vec::new();
        for iy in 0..40 {
            for ix in 0..50 {
                let mut c = grid_cell(ix, iy, 1.0);
                c.lon = ((121.3 + f64::from(ix) * dlon) * 1e6).round() / 1e6;
                c.lat = ((31.1 + f64::from(iy) * dlat) * 1e6).round() / 1e6;
                c.xy = proj.forward(c.lon, c.lat).unwrap();
                cells.push(c);
            }
        }
        let xy: Vec<[f64; 2]> = cells.iter().map(|c| c.xy).collect();
        let (lattice, _) = CellLattice::of_grid(&cells, median_spacing(&xy));
        assert_eq!(lattice.frame, LatticeFrame::Degrees);
        // Centres rounded to 1e-6° over 49 and 39 steps: the pitch within 2e-8°.
        let err = [lattice.pitch[0] - dlon, lattice.pitch[1] - dlat];
        assert!(err[0].abs() < 2e-8 && err[1].abs() < 2e-8, "{err:?}");
        let metric: Vec<Cell> = (0..20 * 20)
            .map(|k| grid_cell(k % 20, k / 20, 1.0))
            .collect();
        assert_eq!(
            CellLattice::of_grid(&metric, 100.0).0.frame,
            LatticeFrame::Metric
        );
    }

    /// A ring touching itself at a corner (a zone around an enclosed cell that
    /// touches the outside only at that corner) is split into an outer ring and
    /// a hole: the 3 × 3 block without its centre (1, 1) and its corner (2, 2).
    #[test]
    fn self_touching_ring_is_split() {
        let squares = [(0, 0), (1, 0), (2, 0), (0, 1), (2, 1), (0, 2), (1, 2)];
        let cells: Vec<Cell> = squares.iter().map(|&(x, y)| grid_cell(x, y, 1.0)).collect();
        let zone = GapZone {
            id: "x-1".into(),
            category: "x".into(),
            rank: 1,
            cells: (0..7).collect(),
            population: 7.0,
            elderly: 0.0,
            area_m2: 70_000.0,
            centroid_xy: [0.0, 0.0],
            worst_walk_min: None,
            cells_unreached: 0,
        };
        let rings = CellLattice::new(&cells, 100.0)
            .zone_rings(&zone, &cells)
            .unwrap();
        assert_eq!(rings.len(), 1, "one ring through the corner (2, 2) twice");
        let mut areas: Vec<i128> = rings
            .iter()
            .flat_map(|r| split_at_repeats(r))
            .map(|r| ring_area2(&r) / 2)
            .collect();
        areas.sort_unstable();
        assert_eq!(areas, [-1, 8]);
    }

    /// Corner touches, a hole, and a hole touching the outside at a corner.
    #[test]
    fn lattice_rings_of_awkward_shapes() {
        let proj = LocalProjection::new(121.5, 31.3).unwrap();
        let shapes: [&[(i32, i32)]; 4] = [
            &[(0, 0)],
            &[(0, 0), (1, 1), (2, 0), (1, 2), (0, 2), (2, 2)],
            &[
                (0, 0),
                (1, 0),
                (2, 0),
                (0, 1),
                (2, 1),
                (0, 2),
                (1, 2),
                (2, 2),
            ],
            &[
                (0, 0),
                (1, 0),
                (2, 0),
                (0, 1),
                (2, 1),
                (0, 2),
                (1, 2),
                (3, 2),
                (2, 3),
            ],
        ];
        for cellset in shapes {
            let mut cells = Vec::new();
            for iy in 0..5 {
                for ix in 0..5 {
                    cells.push(grid_cell(ix, iy, 3.0));
                }
            }
            let covered: Vec<bool> = cells
                .iter()
                .map(|c| {
                    let ix = (c.xy[0] / 100.0) as i32;
                    let iy = (c.xy[1] / 100.0) as i32;
                    !cellset.contains(&(ix, iy))
                })
                .collect();
            let areas = vec![10_000.0; cells.len()];
            let walk = vec![None; cells.len()];
            let zones = gap_zones("x", &cells, &covered, &walk, Layer::Total, 150.0, &areas);
            let lattice = CellLattice::new(&cells, 100.0);
            for z in &zones {
                assert!(lattice.zone_rings(z, &cells).is_some());
                let fast = zone_polygon(z, &cells, 100.0, &proj);
                assert_eq!(
                    fast,
                    union_of_cells(z, &cells, &lattice, &proj, None),
                    "{cellset:?}"
                );
            }
        }
    }
}
