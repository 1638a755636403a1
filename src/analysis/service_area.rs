//! Service areas: the walk-shed of a category's sites as one polygon per category.
//!
//! Network mode: the reached parts of the walking network (every segment interval
//! from which a site is within the threshold, see
//! [`crate::analysis::distance::Walking::reached_intervals`]) are buffered by `buffer_m` and
//! unioned. The result keeps holes (blocks whose interior is farther than
//! `buffer_m` from every reached street) and never bridges a river or a railway:
//! only streets actually walked to appear, and a buffer narrower than half the
//! barrier's width cannot cross it — the artefacts users report from convex or
//! concave hulls of reached nodes. Straight-line mode: the union of circles of
//! radius `threshold ÷ circuity` around the sites, labelled an approximation.

use geo::{Area, LineString, MultiPolygon, Polygon, unary_union};

use crate::crs::LocalProjection;

/// Points per half-circle of a buffer cap.
const CAP_POINTS: usize = 8;

/// A capsule (buffered segment) around `p`–`q` with radius `r`, counter-clockwise.
#[must_use]
pub fn capsule(p: [f64; 2], q: [f64; 2], r: f64) -> Polygon<f64> {
    let (dx, dy) = (q[0] - p[0], q[1] - p[1]);
    let len = dx.hypot(dy);
    let theta = if len > 0.0 { dy.atan2(dx) } else { 0.0 };
    let mut ring: Vec<(f64, f64)> = Vec::with_capacity(2 * CAP_POINTS + 3);
    // Cap around q from −90° to +90° relative to the direction, then around p.
    for k in 0..=CAP_POINTS {
        #[allow(clippy::cast_precision_loss)]
        let a = theta - std::f64::consts::FRAC_PI_2
            + std::f64::consts::PI * k as f64 / CAP_POINTS as f64;
        ring.push((q[0] + r * a.cos(), q[1] + r * a.sin()));
    }
    for k in 0..=CAP_POINTS {
        #[allow(clippy::cast_precision_loss)]
        let a = theta
            + std::f64::consts::FRAC_PI_2
            + std::f64::consts::PI * k as f64 / CAP_POINTS as f64;
        ring.push((p[0] + r * a.cos(), p[1] + r * a.sin()));
    }
    ring.push(ring[0]);
    Polygon::new(LineString::from(ring), vec![])
}

/// A disc of radius `r` around `c` (for straight-line mode).
#[must_use]
pub fn disc(c: [f64; 2], r: f64) -> Polygon<f64> {
    capsule(c, c, r)
}

/// Union of buffered pieces, local metres.
#[must_use]
pub fn union(pieces: &[Polygon<f64>]) -> MultiPolygon<f64> {
    if pieces.is_empty() {
        return MultiPolygon::new(vec![]);
    }
    unary_union(pieces)
}

/// Buffered network pieces: each reached interval `(segment, from_m, to_m)` of a
/// straight segment `a`–`b` becomes a capsule.
#[must_use]
pub fn network_pieces(
    intervals: &[(u32, f64, f64)],
    segment_ends: impl Fn(u32) -> ([f64; 2], [f64; 2]),
    buffer_m: f64,
) -> Vec<Polygon<f64>> {
    intervals
        .iter()
        .map(|&(s, from, to)| {
            let (a, b) = segment_ends(s);
            let len = (b[0] - a[0]).hypot(b[1] - a[1]);
            let at = |d: f64| {
                let t = if len > 0.0 {
                    (d / len).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]
            };
            capsule(at(from), at(to), buffer_m)
        })
        .collect()
}

/// The polygon in WGS84 and its area in km² (computed in the local frame).
#[must_use]
pub fn to_wgs84(mp: &MultiPolygon<f64>, proj: &LocalProjection) -> (MultiPolygon<f64>, f64) {
    use geo::MapCoords;
    let area_km2 = mp.unsigned_area() / 1e6;
    let wgs = mp.map_coords(|c| {
        let (lon, lat) = proj.inverse([c.x, c.y]);
        geo::coord! { x: lon, y: lat }
    });
    (wgs, area_km2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::distance::{WalkProfile, Walking};
    use crate::network::{
        EdgeFlags, FootDirection, GraphBuilder, GraphOptions, SnapOptions, Walkable,
    };
    use geo::{Contains, Point};

    fn street() -> Walkable {
        Walkable {
            class: 5,
            direction: FootDirection::Both,
            flags: EdgeFlags::default(),
        }
    }

    /// Two streets along the banks of a 200 m wide river (y = 0 and y = 200), joined
    /// by one bridge at x = 0. A site sits on the south bank at x = 600. With a
    /// 900 m threshold the walk-shed reaches the whole south street from x = -300
    /// to 1500 and, over the bridge (600 + 200 = 800 m to the north end), only
    /// 100 m of the north street on each side of the bridge.
    #[test]
    fn service_area_does_not_cross_the_river_away_from_the_bridge() {
        let mut b = GraphBuilder::new();
        let south: Vec<i64> = (0..=20).map(|i| 100 + i).collect();
        let north: Vec<i64> = (0..=20).map(|i| 200 + i).collect();
        for i in 0..=20 {
            let x = -1000.0 + 125.0 * f64::from(i);
            b.add_node(100 + i64::from(i), [x, 0.0]);
            b.add_node(200 + i64::from(i), [x, 200.0]);
        }
        b.add_way(1, street(), &south);
        b.add_way(2, street(), &north);
        // Bridge from (0, 0) = node 108 to (0, 200) = node 208.
        b.add_way(3, street(), &[108, 208]);
        let g = b.build(&GraphOptions::default());
        let w = Walking::new(&g, &[[0.0, 50.0]], SnapOptions::default());
        let intervals = w.reached_intervals(&[[600.0, -5.0]], &WalkProfile::ADULT, 900.0);
        let pieces = network_pieces(
            &intervals,
            |s| {
                let seg = &g.segments()[s as usize];
                (
                    g.node_xy()[seg.nodes[0] as usize],
                    g.node_xy()[seg.nodes[1] as usize],
                )
            },
            40.0,
        );
        let area = union(&pieces);
        let inside = |x: f64, y: f64| area.contains(&Point::new(x, y));
        // South bank: reached from x ≈ −300 to 1500 (900 m each way from 600).
        assert!(inside(600.0, 0.0) && inside(-250.0, 10.0) && inside(1450.0, -10.0));
        assert!(!inside(-400.0, 0.0), "beyond 900 m on the south street");
        // The river between the banks, away from the bridge, is not covered…
        assert!(
            !inside(600.0, 100.0),
            "the polygon must not bridge the river at x = 600"
        );
        assert!(!inside(-500.0, 100.0));
        // …but the bridge and 100 m of the north street on each side of it are.
        assert!(inside(0.0, 100.0), "the bridge itself is reached");
        assert!(inside(80.0, 200.0) && inside(-80.0, 200.0));
        assert!(
            !inside(300.0, 200.0),
            "north bank opposite the site is 1.1 km away on foot"
        );
        // The straight-line disc would have covered it: this is what the network fixes.
        let d = union(&[disc([600.0, -5.0], 900.0 / 1.3)]);
        assert!(d.contains(&Point::new(600.0, 200.0)));
    }

    #[test]
    fn holes_are_kept() {
        // A 400 m square block walked all around: the inside stays a hole.
        let mut b = GraphBuilder::new();
        for (id, xy) in [
            (1, [0.0, 0.0]),
            (2, [400.0, 0.0]),
            (3, [400.0, 400.0]),
            (4, [0.0, 400.0]),
        ] {
            b.add_node(id, xy);
        }
        b.add_way(1, street(), &[1, 2, 3, 4, 1]);
        let g = b.build(&GraphOptions {
            min_component_m: 0.0,
        });
        let w = Walking::new(&g, &[], SnapOptions::default());
        let iv = w.reached_intervals(&[[200.0, -3.0]], &WalkProfile::ADULT, 2000.0);
        let area = union(&network_pieces(
            &iv,
            |s| {
                let seg = &g.segments()[s as usize];
                (
                    g.node_xy()[seg.nodes[0] as usize],
                    g.node_xy()[seg.nodes[1] as usize],
                )
            },
            30.0,
        ));
        assert!(area.contains(&Point::new(200.0, 0.0)));
        assert!(
            !area.contains(&Point::new(200.0, 200.0)),
            "block interior is a hole"
        );
        assert_eq!(area.0.len(), 1);
        assert_eq!(area.0[0].interiors().len(), 1);
    }
}
