//! Units (districts 区, streets 街道, neighbourhoods 居委): which cells and sites lie
//! in each unit, and the unit's population, elderly and coverage per category and
//! tier — including the "full coverage" test: does the unit have at least one site
//! of the category inside it.
//!
//! Assignment of cells to units:
//! * `centroid` (default): a cell belongs to the first unit (file order) whose
//!   polygon contains its representative point;
//! * `area` (polygon cells only): a cell's residents are split between units in
//!   proportion to the area of the cell inside each unit; point cells fall back to
//!   the centroid rule.
//!
//! Residents in no unit are reported as `outside`, so that Σ units + outside = Σ cells.

use geo::{Area, BooleanOps, BoundingRect, Contains, MultiPolygon, Point};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};
use serde::Serialize;

use crate::analysis::coverage::Coverage;
use crate::base::model::{Cell, Site};
use crate::crs::LocalProjection;
use crate::input::units::RawUnit;

/// How cells are assigned to units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Assignment {
    /// By the cell's representative point.
    #[default]
    Centroid,
    /// By area share (polygon cells).
    Area,
}

/// A unit in the local frame.
#[derive(Clone, Debug)]
pub struct Unit {
    /// Code/id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Boundary, WGS84 (for export).
    pub polygon: MultiPolygon<f64>,
    /// Boundary, local metres.
    pub polygon_xy: MultiPolygon<f64>,
    /// The feature's properties as text (for target restrictions).
    pub attributes: std::collections::BTreeMap<String, String>,
}

impl Unit {
    /// Project a raw unit.
    ///
    /// # Errors
    /// When a vertex cannot be projected.
    pub fn project(
        raw: RawUnit,
        proj: &LocalProjection,
    ) -> Result<Self, crate::crs::ProjectionError> {
        use geo::{CoordsIter, MapCoords};
        // Check every vertex first so that a failure is an error, not a silent 0.
        for c in raw.polygon.coords_iter() {
            proj.forward(c.x, c.y)?;
        }
        let polygon_xy = raw.polygon.map_coords(|c| {
            let xy = proj.forward(c.x, c.y).unwrap_or([f64::NAN, f64::NAN]);
            geo::coord! { x: xy[0], y: xy[1] }
        });
        Ok(Self {
            id: raw.id,
            name: raw.name,
            polygon: raw.polygon,
            polygon_xy,
            attributes: raw.attributes,
        })
    }
}

/// Per cell: `(unit index, fraction of the cell's residents)`.
pub type CellUnits = Vec<Vec<(u32, f64)>>;

fn unit_index(units: &[Unit]) -> RTree<GeomWithData<Rectangle<[f64; 2]>, u32>> {
    let items = units
        .iter()
        .enumerate()
        .filter_map(|(i, u)| {
            let r = u.polygon_xy.bounding_rect()?;
            Some(GeomWithData::new(
                Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                u32::try_from(i).expect("fewer than 2^32 units"),
            ))
        })
        .collect();
    RTree::bulk_load(items)
}

/// Assign every cell to units.
#[must_use]
pub fn assign_cells(
    cells: &[Cell],
    units: &[Unit],
    mode: Assignment,
    proj: &LocalProjection,
) -> CellUnits {
    use rayon::prelude::*;
    let tree = unit_index(units);
    cells
        .par_iter()
        .map(|c| {
            let p = Point::new(c.xy[0], c.xy[1]);
            let mut hits: Vec<u32> = tree
                .locate_in_envelope_intersecting(&AABB::from_point(c.xy))
                .map(|g| g.data)
                .collect();
            hits.sort_unstable();
            if mode == Assignment::Area
                && let Some(poly) = &c.polygon
                && let Some(split) = area_split(poly, units, &tree, proj)
            {
                return split;
            }
            hits.into_iter()
                .find(|&u| units[u as usize].polygon_xy.contains(&p))
                .map(|u| vec![(u, 1.0)])
                .unwrap_or_default()
        })
        .collect()
}

/// Area shares of a polygon cell among units (None when it cannot be projected or
/// has no area).
fn area_split(
    poly: &MultiPolygon<f64>,
    units: &[Unit],
    tree: &RTree<GeomWithData<Rectangle<[f64; 2]>, u32>>,
    proj: &LocalProjection,
) -> Option<Vec<(u32, f64)>> {
    use geo::MapCoords;
    let xy = poly.map_coords(|c| {
        let p = proj.forward(c.x, c.y).unwrap_or([f64::NAN, f64::NAN]);
        geo::coord! { x: p[0], y: p[1] }
    });
    let area = xy.unsigned_area();
    if !area.is_finite() || area <= 0.0 {
        return None;
    }
    let r = xy.bounding_rect()?;
    let mut cand: Vec<u32> = tree
        .locate_in_envelope_intersecting(&AABB::from_corners(
            [r.min().x, r.min().y],
            [r.max().x, r.max().y],
        ))
        .map(|g| g.data)
        .collect();
    cand.sort_unstable();
    let mut out = Vec::new();
    let mut taken = 0.0;
    for u in cand {
        let unit = &units[u as usize].polygon_xy;
        let frac = if unit.contains(&xy) {
            1.0
        } else {
            unit.intersection(&xy).unsigned_area() / area
        };
        // Overlapping units: never give out more than the whole cell.
        let frac = frac.min(1.0 - taken);
        if frac > 1e-9 {
            out.push((u, frac));
            taken += frac;
        }
        if taken >= 1.0 - 1e-12 {
            break;
        }
    }
    Some(out)
}

/// Coverage totals of one category within one unit.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct UnitCategory {
    /// Residents covered.
    pub population_covered: f64,
    /// Elderly covered.
    pub elderly_covered: f64,
    /// Sites of the category inside the unit.
    pub sites_in_unit: usize,
}

/// One unit's results.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct UnitResult {
    /// Code/id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Residents.
    pub population: f64,
    /// Elderly residents (0 without an elderly layer).
    pub elderly: f64,
    /// Cells assigned (fractional cells count by their fraction).
    pub cells: f64,
    /// Per category, in coverage order.
    pub categories: Vec<UnitCategory>,
    /// Per tier, residents covered.
    pub tiers_covered: Vec<f64>,
    /// Residents covered for every category.
    pub covered_all: f64,
    /// Per category: demand-weighted mean 2SFCA score (when computed).
    pub access_mean: Vec<Option<f64>>,
}

/// All units plus what lies outside them.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct UnitsReport {
    /// Units in file order.
    pub units: Vec<UnitResult>,
    /// Residents of cells in no unit.
    pub outside_population: f64,
    /// Elderly of cells in no unit.
    pub outside_elderly: f64,
    /// Cells (or fractions) in no unit.
    pub outside_cells: f64,
    /// Sites in no unit.
    pub outside_sites: usize,
    /// Sites in no unit: (category index, site id), in site order.
    pub outside_site_ids: Vec<(usize, String)>,
    /// How cells were assigned.
    pub assignment: Assignment,
}

/// Aggregate coverage per unit.
#[must_use]
pub fn aggregate(
    cells: &[Cell],
    coverage: &Coverage,
    sites: &[Site],
    units: &[Unit],
    assignment: &CellUnits,
    mode: Assignment,
    access: &[crate::analysis::access::AccessResult],
) -> UnitsReport {
    let ncat = coverage.categories.len();
    let mut out: Vec<UnitResult> = units
        .iter()
        .map(|u| UnitResult {
            id: u.id.clone(),
            name: u.name.clone(),
            categories: vec![UnitCategory::default(); ncat],
            tiers_covered: vec![0.0; coverage.tiers.len()],
            ..UnitResult::default()
        })
        .collect();
    let mut rep = UnitsReport {
        assignment: mode,
        ..UnitsReport::default()
    };
    // Demand-weighted access sums per unit and category: (Σ D·A, Σ D).
    let mut access_sums = vec![vec![(0.0_f64, 0.0_f64); access.len()]; units.len()];
    // Sequential, in cell order: sums are identical at any thread count.
    for (i, c) in cells.iter().enumerate() {
        let e = c.elderly.unwrap_or(0.0);
        let mut given = 0.0;
        for &(u, f) in &assignment[i] {
            given += f;
            let r = &mut out[u as usize];
            r.population += c.population * f;
            r.elderly += e * f;
            r.cells += f;
            for (k, cc) in coverage.categories.iter().enumerate() {
                if cc.covered[i] {
                    r.categories[k].population_covered += c.population * f;
                    r.categories[k].elderly_covered += e * f;
                }
            }
            for (k, t) in coverage.tiers.iter().enumerate() {
                if t.covered[i] {
                    r.tiers_covered[k] += c.population * f;
                }
            }
            if coverage.covered_all[i] {
                r.covered_all += c.population * f;
            }
            for (k, a) in access.iter().enumerate() {
                let layer = coverage.categories[k].category.layer;
                let d = if layer == crate::base::category::Layer::Elderly && c.elderly.is_some() {
                    e
                } else {
                    c.population
                };
                access_sums[u as usize][k].0 += d * f * a.score[i];
                access_sums[u as usize][k].1 += d * f;
            }
        }
        let rest = 1.0 - given;
        if rest > 1e-12 {
            rep.outside_population += c.population * rest;
            rep.outside_elderly += e * rest;
            rep.outside_cells += rest;
        }
    }
    let tree = unit_index(units);
    for s in sites {
        let p = Point::new(s.xy[0], s.xy[1]);
        let mut hits: Vec<u32> = tree
            .locate_in_envelope_intersecting(&AABB::from_point(s.xy))
            .map(|g| g.data)
            .collect();
        hits.sort_unstable();
        match hits
            .into_iter()
            .find(|&u| units[u as usize].polygon_xy.contains(&p))
        {
            Some(u) => {
                if let Some(k) = coverage
                    .categories
                    .iter()
                    .position(|c| c.category.name == s.category)
                {
                    out[u as usize].categories[k].sites_in_unit += 1;
                }
            }
            None => {
                rep.outside_sites += 1;
                if let Some(k) = coverage
                    .categories
                    .iter()
                    .position(|c| c.category.name == s.category)
                {
                    rep.outside_site_ids.push((k, s.id.clone()));
                }
            }
        }
    }
    for (r, sums) in out.iter_mut().zip(&access_sums) {
        r.access_mean = sums
            .iter()
            .map(|(da, d)| (*d > 0.0).then(|| da / d))
            .collect();
    }
    rep.units = out;
    rep
}

/// Below this share of its area inside its parent, a unit straddles parents.
pub const STRADDLE_SHARE: f64 = 0.99;

/// Area shares within this of 1 count as 1 (the polygon overlay loses ~1e-5 of
/// the area along boundaries the two levels share).
pub const SHARE_TOLERANCE: f64 = 1e-4;

/// A unit's parent in the level above: the unit of that level holding the largest
/// share of its area.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Parent {
    /// Index of the parent in its level.
    pub index: u32,
    /// Share of the child's area inside the parent (0–1).
    pub share: f64,
}

impl Parent {
    /// Whether the child straddles parents (less than [`STRADDLE_SHARE`] inside).
    #[must_use]
    pub fn straddles(&self) -> bool {
        self.share < STRADDLE_SHARE
    }
}

/// One level of units (district, street, community) with its link to the level
/// above (levels are ordered as given, coarsest first).
#[derive(Clone, Debug, Default)]
pub struct UnitLevel {
    /// Level name; `None` for the single unnamed `--units FILE`.
    pub name: Option<String>,
    /// The file, as given.
    pub file: String,
    /// Units in file order.
    pub units: Vec<Unit>,
    /// Per unit, its parent in the previous level (empty for the first level).
    pub parents: Vec<Option<Parent>>,
}

impl UnitLevel {
    /// `units_<level>` or `units` for the unnamed level: the stem of its files and
    /// GeoPackage layer.
    #[must_use]
    pub fn stem(&self) -> String {
        self.name
            .as_ref()
            .map_or_else(|| "units".to_owned(), |n| format!("units_{n}"))
    }
}

/// The parent of every child unit among `parents`: the parent holding the largest
/// share of the child's area (ties: the first in file order); `None` when the
/// child overlaps no parent or has no area.
#[must_use]
pub fn find_parents(children: &[Unit], parents: &[Unit]) -> Vec<Option<Parent>> {
    use rayon::prelude::*;
    let tree = unit_index(parents);
    children
        .par_iter()
        .map(|c| {
            let area = c.polygon_xy.unsigned_area();
            let r = c.polygon_xy.bounding_rect()?;
            if !(area.is_finite() && area > 0.0) {
                return None;
            }
            let mut cand: Vec<u32> = tree
                .locate_in_envelope_intersecting(&AABB::from_corners(
                    [r.min().x, r.min().y],
                    [r.max().x, r.max().y],
                ))
                .map(|g| g.data)
                .collect();
            cand.sort_unstable();
            let mut best: Option<Parent> = None;
            for p in cand {
                let poly = &parents[p as usize].polygon_xy;
                let share = if poly.contains(&c.polygon_xy) {
                    1.0
                } else {
                    let x = poly.intersection(&c.polygon_xy).unsigned_area() / area;
                    // Shared boundaries cost the overlay ~1e-5 of the area.
                    if x > 1.0 - SHARE_TOLERANCE { 1.0 } else { x }
                };
                if share > 1e-9 && best.is_none_or(|b| share > b.share) {
                    best = Some(Parent { index: p, share });
                }
            }
            best
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::distance::Euclidean;
    use geo::polygon;

    /// Two 1 km squares side by side; hand-computed answers.
    #[test]
    fn hand_made_fixture() {
        let proj = LocalProjection::new(121.5, 31.3).unwrap();
        let sq = |x0: f64| -> Unit {
            let p = polygon![(x: x0, y: 0.0), (x: x0 + 1000.0, y: 0.0), (x: x0 + 1000.0, y: 1000.0), (x: x0, y: 1000.0)];
            Unit {
                id: format!("u{x0}"),
                name: String::new(),
                polygon: MultiPolygon::new(vec![p.clone()]),
                polygon_xy: MultiPolygon::new(vec![p]),
                attributes: std::collections::BTreeMap::new(),
            }
        };
        let units = vec![sq(0.0), sq(1000.0)];
        let cell = |x: f64, pop: f64| Cell {
            id: format!("c{x}"),
            lon: 0.0,
            lat: 0.0,
            xy: [x, 500.0],
            population: pop,
            elderly: Some(pop / 2.0),
            polygon: None,
        };
        // Cells at 100, 600 (unit 0), 1100, 1900 (unit 1), 2500 (outside).
        let cells = vec![
            cell(100.0, 10.0),
            cell(600.0, 20.0),
            cell(1100.0, 30.0),
            cell(1900.0, 40.0),
            cell(2500.0, 50.0),
        ];
        let mut cats = crate::base::category::Category::uniform(["library"], 450.0);
        cats[0].tier = Some("15min".into());
        let site = Site {
            id: "s".into(),
            name: String::new(),
            category: "library".into(),
            lon: 0.0,
            lat: 0.0,
            xy: [500.0, 500.0],
            capacity: None,
        };
        let xy: Vec<[f64; 2]> = cells.iter().map(|c| c.xy).collect();
        let cov = crate::analysis::coverage::compute(
            &cells,
            &cats,
            std::slice::from_ref(&site),
            &Euclidean::new(&xy, 1.0),
            2.0,
        );
        let a = assign_cells(&cells, &units, Assignment::Centroid, &proj);
        let r = aggregate(&cells, &cov, &[site], &units, &a, Assignment::Centroid, &[]);
        assert_eq!(r.units[0].population, 30.0);
        assert_eq!(r.units[1].population, 70.0);
        assert_eq!(r.outside_population, 50.0);
        // Covered: 100 (400 m) and 600 (100 m) in unit 0; nothing in unit 1.
        assert_eq!(r.units[0].categories[0].population_covered, 30.0);
        assert_eq!(r.units[0].categories[0].elderly_covered, 15.0);
        assert_eq!(r.units[1].categories[0].population_covered, 0.0);
        assert_eq!(r.units[0].categories[0].sites_in_unit, 1);
        assert_eq!(r.units[1].categories[0].sites_in_unit, 0);
        assert_eq!(r.units[0].tiers_covered, vec![30.0]);
        let total: f64 = r.units.iter().map(|u| u.population).sum::<f64>() + r.outside_population;
        assert_eq!(total, 150.0);
    }

    /// Parents by the largest area share: a child inside one parent, one split
    /// 1:3, one outside every parent.
    #[test]
    fn parents_by_largest_area_share() {
        let rect = |x0: f64, x1: f64| {
            let p =
                polygon![(x: x0, y: 0.0), (x: x1, y: 0.0), (x: x1, y: 1000.0), (x: x0, y: 1000.0)];
            Unit {
                id: format!("r{x0}"),
                name: String::new(),
                polygon: MultiPolygon::new(vec![p.clone()]),
                polygon_xy: MultiPolygon::new(vec![p]),
                attributes: std::collections::BTreeMap::new(),
            }
        };
        let parents = vec![rect(0.0, 1000.0), rect(1000.0, 2000.0)];
        let children = vec![
            rect(100.0, 900.0),
            rect(750.0, 1750.0),
            rect(5000.0, 6000.0),
        ];
        let p = find_parents(&children, &parents);
        assert_eq!(
            p[0],
            Some(Parent {
                index: 0,
                share: 1.0
            })
        );
        let q = p[1].unwrap();
        assert_eq!(q.index, 1);
        assert!((q.share - 0.75).abs() < 1e-9 && q.straddles());
        assert_eq!(p[2], None);
        // Sharing a boundary is not straddling.
        let p = find_parents(&[rect(0.0, 500.0)], &parents);
        assert_eq!(p[0].map(|x| x.share), Some(1.0));
    }
}

#[cfg(test)]
mod conservation {
    use super::*;
    use crate::analysis::distance::Euclidean;
    use geo::polygon;
    use proptest::prelude::*;

    fn square_unit(i: usize, x0: f64, y0: f64, w: f64, h: f64, proj: &LocalProjection) -> Unit {
        let p = polygon![(x: x0, y: y0), (x: x0 + w, y: y0), (x: x0 + w, y: y0 + h), (x: x0, y: y0 + h)];
        let wgs = {
            use geo::MapCoords;
            p.map_coords(|c| {
                let (lon, lat) = proj.inverse([c.x, c.y]);
                geo::coord! { x: lon, y: lat }
            })
        };
        Unit {
            id: format!("u{i}"),
            name: String::new(),
            polygon: MultiPolygon::new(vec![wgs]),
            polygon_xy: MultiPolygon::new(vec![p]),
            attributes: std::collections::BTreeMap::new(),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(40))]
        /// Σ units + outside = Σ cells, exactly for the centroid rule (integer
        /// populations are exact in f64) and to 1e-6 for area shares; covered
        /// residents per unit never exceed the unit's residents.
        #[test]
        fn residents_are_conserved(
            cells in prop::collection::vec((0.0f64..3000.0, 0.0f64..3000.0, 0u32..500, 0u32..100), 1..120),
            rects in prop::collection::vec((0.0f64..2500.0, 0.0f64..2500.0, 100.0f64..1500.0, 100.0f64..1500.0), 1..6),
            area_mode in any::<bool>(),
        ) {
            let proj = LocalProjection::new(121.5, 31.3).unwrap();
            let units: Vec<Unit> = rects.iter().enumerate().map(|(i, r)| square_unit(i, r.0, r.1, r.2, r.3, &proj)).collect();
            let cells: Vec<Cell> = cells.iter().enumerate().map(|(i, &(x, y, p, e))| {
                let (lon, lat) = proj.inverse([x, y]);
                let poly = {
                    let c = |dx: f64, dy: f64| { let (a, b) = proj.inverse([x + dx, y + dy]); geo::coord! { x: a, y: b } };
                    MultiPolygon::new(vec![geo::Polygon::new(vec![c(-50., -50.), c(50., -50.), c(50., 50.), c(-50., 50.), c(-50., -50.)].into(), vec![])])
                };
                Cell { id: format!("c{i}"), lon, lat, xy: [x, y], population: f64::from(p), elderly: Some(f64::from(e.min(p))), polygon: Some(poly) }
            }).collect();
            let cats = crate::base::category::Category::uniform(["a"], 600.0);
            let site = Site { id: "s".into(), name: String::new(), category: "a".into(), lon: 0.0, lat: 0.0, xy: [1500.0, 1500.0], capacity: None };
            let xy: Vec<[f64; 2]> = cells.iter().map(|c| c.xy).collect();
            let cov = crate::analysis::coverage::compute(&cells, &cats, std::slice::from_ref(&site), &Euclidean::new(&xy, 1.0), 2.0);
            let mode = if area_mode { Assignment::Area } else { Assignment::Centroid };
            let a = assign_cells(&cells, &units, mode, &proj);
            let rep = aggregate(&cells, &cov, &[site], &units, &a, mode, &[]);
            let total: f64 = cells.iter().map(|c| c.population).sum();
            let in_units: f64 = rep.units.iter().map(|u| u.population).sum();
            if area_mode {
                prop_assert!((in_units + rep.outside_population - total).abs() < 1e-6);
            } else {
                prop_assert_eq!(in_units + rep.outside_population, total);
            }
            let covered_units: f64 = rep.units.iter().map(|u| u.categories[0].population_covered).sum();
            prop_assert!(covered_units <= cov.categories[0].stats.population_covered + 1e-6);
            for u in &rep.units {
                prop_assert!(u.categories[0].population_covered <= u.population + 1e-9);
            }
        }
    }
}
