//! Geometry of OpenStreetMap elements in the run's local metric frame, shared by
//! the learning-site extractor ([`crate::osm::sites`]) and population from
//! buildings ([`crate::osm::buildings`]).
//!
//! * **Inputs:** an [`OsmData`] from [`crate::network::osm::read_osm`] and a
//!   [`LocalProjection`].
//! * **Outputs:** a [`Shape`] per element: a point (node), a line (open way, or a
//!   closed way tagged `area=no`) or an [`Area`] (closed way, or a
//!   `type=multipolygon` relation whose member ways are joined into closed rings).
//!
//! Centroids follow the usual GIS definitions, so they agree with osmium/shapely
//! (the tools behind the `*_learning_pois_derived.csv` files in `../shared/data`):
//! a line's centroid is the length-weighted mean of its segment midpoints; an
//! area's is the area-weighted mean of its outer rings' centroids minus its inner
//! rings'. Everything is computed in metres, relative to the first vertex of each
//! ring to keep the shoelace sums well-conditioned.
//!
//! Missing nodes or members (an extract clipped through an object) and rings that
//! do not close are a [`GeometryProblem`], never a panic: callers report them.

use crate::crs::LocalProjection;
use crate::network::OsmKind;
use crate::network::osm::{OsmData, OsmRelation, OsmWay, Tags};

use rayon::prelude::*;

/// Node positions of an [`OsmData`] projected once into local metres, aligned
/// with `data.nodes` (index `i` is `data.nodes[i]`).
#[derive(Clone, Debug)]
pub struct ProjectedNodes {
    ids: Vec<i64>,
    xy: Vec<[f64; 2]>,
}

impl ProjectedNodes {
    /// Projects every node of `data` (in parallel; the order is that of `data.nodes`).
    ///
    /// # Errors
    /// The id and position of the first node (in id order) that cannot be projected.
    pub fn new(data: &OsmData, proj: &LocalProjection) -> Result<Self, (i64, f64, f64)> {
        let xy = data
            .nodes
            .par_iter()
            .map(|n| {
                proj.forward(n.lon(), n.lat())
                    .map_err(|_| (n.id, n.lon(), n.lat()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            ids: data.nodes.iter().map(|n| n.id).collect(),
            xy,
        })
    }

    /// Local position of node `id`, if it was read.
    #[must_use]
    pub fn get(&self, id: i64) -> Option<[f64; 2]> {
        self.ids.binary_search(&id).ok().map(|i| self.xy[i])
    }
}

/// Why an element has no usable geometry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GeometryProblem {
    /// A node referenced by the element (or one of its member ways) is not in the
    /// file: the extract was clipped through the object.
    MissingNode {
        /// The missing node id.
        node_id: i64,
    },
    /// A member way of a multipolygon is not in the file.
    MissingMember {
        /// The missing way id.
        way_id: i64,
    },
    /// The member ways of a multipolygon do not join into closed rings.
    OpenRing {
        /// Node id where the unclosed chain ends.
        end_node: i64,
    },
    /// A relation that is not `type=multipolygon` (e.g. `type=site`).
    UnsupportedRelation {
        /// Its `type` tag (empty when missing).
        relation_type: String,
    },
    /// A multipolygon without any outer ring, or a way with fewer than 2 nodes.
    Empty,
}

impl std::fmt::Display for GeometryProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::MissingNode { node_id } => {
                write!(f, "node {node_id} is not in the file (clipped extract)")
            }
            Self::MissingMember { way_id } => {
                write!(
                    f,
                    "member way {way_id} is not in the file (clipped extract)"
                )
            }
            Self::OpenRing { end_node } => {
                write!(
                    f,
                    "member ways do not close into a ring (open at node {end_node})"
                )
            }
            Self::UnsupportedRelation { relation_type } => write!(
                f,
                "relation type {relation_type:?} is not supported (only multipolygon)"
            ),
            Self::Empty => f.write_str("no usable geometry (no outer ring or < 2 nodes)"),
        }
    }
}

/// A polygon with holes in local metres: closed rings (first point == last point).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Area {
    /// Outer rings.
    pub outers: Vec<Vec<[f64; 2]>>,
    /// Inner rings (holes).
    pub inners: Vec<Vec<[f64; 2]>>,
}

impl Area {
    /// Area in m²: outer rings minus inner rings (each ring taken unsigned, so the
    /// winding order in the file does not matter). Never negative.
    ///
    /// # Units
    /// Square metres of the local frame (within 0.01 % of the geodesic area in a
    /// city-sized study area).
    #[must_use]
    pub fn area_m2(&self) -> f64 {
        let outer: f64 = self.outers.iter().map(|r| ring_area_m2(r).abs()).sum();
        let inner: f64 = self.inners.iter().map(|r| ring_area_m2(r).abs()).sum();
        (outer - inner).max(0.0)
    }

    /// Area-weighted centroid (outer rings minus inner rings), `None` when the
    /// area is zero.
    #[must_use]
    pub fn centroid(&self) -> Option<[f64; 2]> {
        let mut a_sum = 0.0;
        let mut c_sum = [0.0, 0.0];
        for (rings, sign) in [(&self.outers, 1.0), (&self.inners, -1.0)] {
            for r in rings {
                let (a, c) = ring_area_centroid(r);
                let a = a.abs() * sign;
                a_sum += a;
                c_sum[0] += a * c[0];
                c_sum[1] += a * c[1];
            }
        }
        (a_sum > 0.0).then(|| [c_sum[0] / a_sum, c_sum[1] / a_sum])
    }

    /// Bounding box `[min_x, min_y, max_x, max_y]` of the outer rings.
    #[must_use]
    pub fn bbox(&self) -> [f64; 4] {
        let mut b = [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ];
        for p in self.outers.iter().flatten() {
            b[0] = b[0].min(p[0]);
            b[1] = b[1].min(p[1]);
            b[2] = b[2].max(p[0]);
            b[3] = b[3].max(p[1]);
        }
        b
    }

    /// Whether the point lies inside (even–odd rule over all rings, so holes are
    /// outside).
    #[must_use]
    pub fn contains(&self, p: [f64; 2]) -> bool {
        let mut inside = false;
        for r in self.outers.iter().chain(&self.inners) {
            if ring_contains(r, p) {
                inside = !inside;
            }
        }
        inside
    }
}

/// The geometry of one element.
#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    /// A node.
    Point([f64; 2]),
    /// An open way (or a closed way tagged `area=no`).
    Line(Vec<[f64; 2]>),
    /// A closed way or an assembled multipolygon.
    Area(Area),
}

impl Shape {
    /// The representative point: the node, the line centroid (length-weighted; the
    /// first node for a zero-length line) or the area centroid (the first outer
    /// vertex for a zero area). `None` only for an empty shape, which the
    /// constructors in this module never build.
    #[must_use]
    pub fn centroid(&self) -> Option<[f64; 2]> {
        match self {
            Shape::Point(p) => Some(*p),
            Shape::Line(pts) => line_centroid(pts).or_else(|| pts.first().copied()),
            Shape::Area(a) => a
                .centroid()
                .or_else(|| a.outers.first().and_then(|r| r.first()).copied()),
        }
    }

    /// Area in m² (0 for points and lines).
    #[must_use]
    pub fn area_m2(&self) -> f64 {
        match self {
            Shape::Area(a) => a.area_m2(),
            _ => 0.0,
        }
    }
}

/// Signed shoelace area of a closed ring (positive counter-clockwise), m².
#[must_use]
pub fn ring_area_m2(ring: &[[f64; 2]]) -> f64 {
    ring_area_centroid(ring).0
}

/// Signed area and centroid of a closed ring. The sums are taken relative to the
/// first vertex; a zero-area ring gets the mean of its vertices as centroid.
#[must_use]
pub fn ring_area_centroid(ring: &[[f64; 2]]) -> (f64, [f64; 2]) {
    let Some(&o) = ring.first() else {
        return (0.0, [f64::NAN, f64::NAN]);
    };
    let mut a2 = 0.0;
    let (mut cx, mut cy) = (0.0, 0.0);
    for w in ring.windows(2) {
        let (x0, y0) = (w[0][0] - o[0], w[0][1] - o[1]);
        let (x1, y1) = (w[1][0] - o[0], w[1][1] - o[1]);
        let cross = x0 * y1 - x1 * y0;
        a2 += cross;
        cx += (x0 + x1) * cross;
        cy += (y0 + y1) * cross;
    }
    if a2 == 0.0 {
        #[allow(clippy::cast_precision_loss)]
        let n = ring.len() as f64;
        let sx: f64 = ring.iter().map(|p| p[0]).sum();
        let sy: f64 = ring.iter().map(|p| p[1]).sum();
        return (0.0, [sx / n, sy / n]);
    }
    (0.5 * a2, [o[0] + cx / (3.0 * a2), o[1] + cy / (3.0 * a2)])
}

/// Length-weighted centroid of a polyline (`None` when its length is zero).
#[must_use]
pub fn line_centroid(pts: &[[f64; 2]]) -> Option<[f64; 2]> {
    let mut len = 0.0;
    let (mut cx, mut cy) = (0.0, 0.0);
    for w in pts.windows(2) {
        let l = (w[1][0] - w[0][0]).hypot(w[1][1] - w[0][1]);
        len += l;
        cx += l * 0.5 * (w[0][0] + w[1][0]);
        cy += l * 0.5 * (w[0][1] + w[1][1]);
    }
    (len > 0.0).then(|| [cx / len, cy / len])
}

/// Point-in-ring test (crossing number); points on the boundary may go either way.
#[must_use]
pub fn ring_contains(ring: &[[f64; 2]], p: [f64; 2]) -> bool {
    let mut inside = false;
    for w in ring.windows(2) {
        let (a, b) = (w[0], w[1]);
        if (a[1] > p[1]) != (b[1] > p[1]) {
            let x = a[0] + (p[1] - a[1]) / (b[1] - a[1]) * (b[0] - a[0]);
            if p[0] < x {
                inside = !inside;
            }
        }
    }
    inside
}

fn is_closed(refs: &[i64]) -> bool {
    refs.len() >= 4 && refs.first() == refs.last()
}

fn points(refs: &[i64], nodes: &ProjectedNodes) -> Result<Vec<[f64; 2]>, GeometryProblem> {
    refs.iter()
        .map(|&id| {
            nodes
                .get(id)
                .ok_or(GeometryProblem::MissingNode { node_id: id })
        })
        .collect()
}

/// The shape of a way: an [`Area`] when it is closed (≥ 4 node references, first
/// == last) and not tagged `area=no`, a line otherwise.
///
/// # Errors
/// [`GeometryProblem::MissingNode`] when a node is not in the file,
/// [`GeometryProblem::Empty`] for a way with fewer than 2 nodes.
pub fn way_shape(way: &OsmWay, nodes: &ProjectedNodes) -> Result<Shape, GeometryProblem> {
    if way.refs.len() < 2 {
        return Err(GeometryProblem::Empty);
    }
    let pts = points(&way.refs, nodes)?;
    if is_closed(&way.refs) && way.tags.as_slice().tag("area") != Some("no") {
        Ok(Shape::Area(Area {
            outers: vec![pts],
            inners: Vec::new(),
        }))
    } else {
        Ok(Shape::Line(pts))
    }
}

/// Joins way node lists into closed rings: closed ways are rings by themselves;
/// open ones are chained end to end (reversing where needed), in member order.
///
/// # Errors
/// [`GeometryProblem::OpenRing`] when a chain cannot be closed.
pub fn assemble_rings(ways: &[&[i64]]) -> Result<Vec<Vec<i64>>, GeometryProblem> {
    let mut rings = Vec::new();
    let mut open: Vec<Option<&[i64]>> = Vec::new();
    for w in ways {
        if w.len() < 2 {
            continue;
        }
        if is_closed(w) {
            rings.push(w.to_vec());
        } else {
            open.push(Some(w));
        }
    }
    for i in 0..open.len() {
        let Some(start) = open[i].take() else {
            continue;
        };
        let mut ring = start.to_vec();
        loop {
            let (first, last) = (ring[0], ring[ring.len() - 1]);
            if first == last && ring.len() >= 4 {
                break;
            }
            let next = open.iter_mut().find_map(|slot| {
                let w = (*slot)?;
                if w[0] == last {
                    *slot = None;
                    Some(w.to_vec())
                } else if w[w.len() - 1] == last {
                    *slot = None;
                    Some(w.iter().rev().copied().collect())
                } else {
                    None
                }
            });
            match next {
                Some(w) => ring.extend_from_slice(&w[1..]),
                None => return Err(GeometryProblem::OpenRing { end_node: last }),
            }
        }
        rings.push(ring);
    }
    Ok(rings)
}

/// The [`Area`] of a `type=multipolygon` relation: member ways with role `inner`
/// form the holes, all other way members (`outer` or an empty role) the outer
/// rings.
///
/// # Errors
/// [`GeometryProblem::UnsupportedRelation`] for another relation type; a missing
/// member or node, an unclosed ring, or no outer ring.
pub fn multipolygon_area(
    rel: &OsmRelation,
    data: &OsmData,
    nodes: &ProjectedNodes,
) -> Result<Area, GeometryProblem> {
    let rtype = rel.tags.as_slice().tag("type").unwrap_or("");
    if rtype != "multipolygon" {
        return Err(GeometryProblem::UnsupportedRelation {
            relation_type: rtype.to_string(),
        });
    }
    let mut outer: Vec<&[i64]> = Vec::new();
    let mut inner: Vec<&[i64]> = Vec::new();
    for m in rel.members.iter().filter(|m| m.kind == OsmKind::Way) {
        let way = data
            .ways
            .binary_search_by_key(&m.id, |w| w.id)
            .map(|i| &data.ways[i])
            .map_err(|_| GeometryProblem::MissingMember { way_id: m.id })?;
        if m.role == "inner" {
            inner.push(&way.refs);
        } else {
            outer.push(&way.refs);
        }
    }
    let to_points = |rings: Vec<Vec<i64>>| -> Result<Vec<Vec<[f64; 2]>>, GeometryProblem> {
        rings.iter().map(|r| points(r, nodes)).collect()
    };
    let area = Area {
        outers: to_points(assemble_rings(&outer)?)?,
        inners: to_points(assemble_rings(&inner)?)?,
    };
    if area.outers.is_empty() {
        return Err(GeometryProblem::Empty);
    }
    Ok(area)
}

/// The shape of any element: node → point, way → [`way_shape`], relation →
/// [`multipolygon_area`].
///
/// # Errors
/// As [`way_shape`] and [`multipolygon_area`]; a node missing from `nodes`.
pub fn element_shape(
    kind: OsmKind,
    id: i64,
    data: &OsmData,
    nodes: &ProjectedNodes,
) -> Result<Shape, GeometryProblem> {
    match kind {
        OsmKind::Node => nodes
            .get(id)
            .map(Shape::Point)
            .ok_or(GeometryProblem::MissingNode { node_id: id }),
        OsmKind::Way => {
            let w = data
                .ways
                .binary_search_by_key(&id, |w| w.id)
                .map(|i| &data.ways[i])
                .map_err(|_| GeometryProblem::MissingMember { way_id: id })?;
            way_shape(w, nodes)
        }
        OsmKind::Relation => {
            let r = data
                .relations
                .binary_search_by_key(&id, |r| r.id)
                .map(|i| &data.relations[i])
                .map_err(|_| GeometryProblem::Empty)?;
            multipolygon_area(r, data, nodes).map(Shape::Area)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    fn square(x0: f64, y0: f64, s: f64) -> Vec<[f64; 2]> {
        vec![
            [x0, y0],
            [x0 + s, y0],
            [x0 + s, y0 + s],
            [x0, y0 + s],
            [x0, y0],
        ]
    }

    mod area {
        use super::*;

        #[test]
        fn square_with_hole() {
            let mut hole = square(4.0, 4.0, 2.0);
            hole.reverse();
            let a = Area {
                outers: vec![square(0.0, 0.0, 10.0)],
                inners: vec![hole],
            };
            assert_relative_eq!(a.area_m2(), 96.0);
            let c = a.centroid().unwrap();
            assert_relative_eq!(c[0], 5.0, epsilon = 1e-12);
            assert_relative_eq!(c[1], 5.0, epsilon = 1e-12);
            assert!(a.contains([1.0, 1.0]));
            assert!(!a.contains([5.0, 5.0]), "inside the hole");
            assert!(!a.contains([11.0, 5.0]));
        }

        #[test]
        fn off_centre_hole_moves_the_centroid() {
            // 10×10 minus the 5×10 right half = the left half, centroid x = 2.5.
            let a = Area {
                outers: vec![square(0.0, 0.0, 10.0)],
                inners: vec![vec![
                    [5.0, 0.0],
                    [10.0, 0.0],
                    [10.0, 10.0],
                    [5.0, 10.0],
                    [5.0, 0.0],
                ]],
            };
            let c = a.centroid().unwrap();
            assert_relative_eq!(c[0], 2.5, epsilon = 1e-12);
            assert_relative_eq!(a.area_m2(), 50.0);
        }

        #[test]
        fn winding_does_not_matter_and_far_coordinates_stay_exact() {
            let mut r = square(40_000.0, -30_000.0, 3.0);
            let ccw = ring_area_m2(&r);
            r.reverse();
            assert_relative_eq!(ccw, -ring_area_m2(&r));
            let (_, c) = ring_area_centroid(&r);
            assert_relative_eq!(c[0], 40_001.5, epsilon = 1e-9);
        }
    }

    mod line {
        use super::*;

        #[test]
        fn length_weighted() {
            // An L: 10 m east then 2 m north; the long leg dominates.
            let c = line_centroid(&[[0.0, 0.0], [10.0, 0.0], [10.0, 2.0]]).unwrap();
            assert_relative_eq!(c[0], (10.0 * 5.0 + 2.0 * 10.0) / 12.0);
            assert_relative_eq!(c[1], (2.0 * 1.0) / 12.0);
            assert!(line_centroid(&[[1.0, 1.0], [1.0, 1.0]]).is_none());
        }
    }

    mod rings {
        use super::*;

        #[test]
        fn chains_reversed_pieces() {
            let a: &[i64] = &[1, 2, 3];
            let b: &[i64] = &[5, 4, 3]; // reversed
            let c: &[i64] = &[5, 6, 1];
            let rings = assemble_rings(&[a, b, c]).unwrap();
            assert_eq!(rings, vec![vec![1, 2, 3, 4, 5, 6, 1]]);
        }

        #[test]
        fn closed_ways_are_rings_and_open_chains_fail() {
            let closed: &[i64] = &[1, 2, 3, 1];
            assert_eq!(assemble_rings(&[closed]).unwrap().len(), 1);
            let open: &[i64] = &[1, 2, 3];
            assert_eq!(
                assemble_rings(&[open]),
                Err(GeometryProblem::OpenRing { end_node: 3 })
            );
        }
    }
}
