//! Area of a footprint inside each grid cell: every ring is clipped to the cell
//! square (Sutherland–Hodgman against the four edges of the square).
//!
//! Sutherland–Hodgman is exact for the *area* of any simple polygon clipped by a
//! convex window: where a concave ring leaves and re-enters the square, the output
//! runs along the square's edge there and back, which adds zero area. Holes are
//! clipped the same way and subtracted.

use crate::osm::geometry::{Area, ring_area_m2};

/// Clips a closed ring to the rectangle `[x0, x1] × [y0, y1]`; returns the
/// clipped ring (closed, possibly empty).
#[must_use]
pub fn clip_ring(ring: &[[f64; 2]], x0: f64, y0: f64, x1: f64, y1: f64) -> Vec<[f64; 2]> {
    // Work on the open ring (without the repeated first point).
    let open = match ring.split_last() {
        Some((last, rest)) if !rest.is_empty() && *last == rest[0] => rest,
        _ => ring,
    };
    let mut poly: Vec<[f64; 2]> = open.to_vec();
    // (axis, bound, keep_greater): x ≥ x0, x ≤ x1, y ≥ y0, y ≤ y1.
    for (axis, bound, keep_ge) in [(0, x0, true), (0, x1, false), (1, y0, true), (1, y1, false)] {
        if poly.is_empty() {
            break;
        }
        let inside = |p: &[f64; 2]| {
            if keep_ge {
                p[axis] >= bound
            } else {
                p[axis] <= bound
            }
        };
        let mut out = Vec::with_capacity(poly.len() + 4);
        for i in 0..poly.len() {
            let cur = poly[i];
            let prev = poly[(i + poly.len() - 1) % poly.len()];
            let (ci, pi) = (inside(&cur), inside(&prev));
            if ci != pi {
                let t = (bound - prev[axis]) / (cur[axis] - prev[axis]);
                let mut p = [
                    prev[0] + t * (cur[0] - prev[0]),
                    prev[1] + t * (cur[1] - prev[1]),
                ];
                p[axis] = bound;
                out.push(p);
            }
            if ci {
                out.push(cur);
            }
        }
        poly = out;
    }
    if let Some(&first) = poly.first() {
        poly.push(first);
    }
    poly
}

/// Area (m²) of `area` inside the square cell with lower-left corner `(x0, y0)`
/// and side `cell_m`: outer rings minus holes, never negative.
#[must_use]
pub fn area_in_cell(area: &Area, x0: f64, y0: f64, cell_m: f64) -> f64 {
    let (x1, y1) = (x0 + cell_m, y0 + cell_m);
    let part = |rings: &[Vec<[f64; 2]>]| -> f64 {
        rings
            .iter()
            .map(|r| ring_area_m2(&clip_ring(r, x0, y0, x1, y1)).abs())
            .sum()
    };
    (part(&area.outers) - part(&area.inners)).max(0.0)
}

/// Every cell `(ix, iy)` that `area` overlaps, with the overlap in m², in
/// `(iy, ix)` order; cells with zero overlap are left out.
#[must_use]
pub fn cells_of(area: &Area, cell_m: f64) -> Vec<((i64, i64), f64)> {
    let b = area.bbox();
    if !b.iter().all(|v| v.is_finite()) {
        return Vec::new();
    }
    let (ix0, iy0) = crate::analysis::grid::cell_index([b[0], b[1]], cell_m);
    let (ix1, iy1) = crate::analysis::grid::cell_index([b[2], b[3]], cell_m);
    let mut out = Vec::new();
    for iy in iy0..=iy1 {
        for ix in ix0..=ix1 {
            #[allow(clippy::cast_precision_loss)]
            let a = area_in_cell(area, ix as f64 * cell_m, iy as f64 * cell_m, cell_m);
            if a > 0.0 {
                out.push(((ix, iy), a));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use proptest::prelude::*;

    fn rect(x0: f64, y0: f64, w: f64, h: f64) -> Vec<[f64; 2]> {
        vec![
            [x0, y0],
            [x0 + w, y0],
            [x0 + w, y0 + h],
            [x0, y0 + h],
            [x0, y0],
        ]
    }

    #[test]
    fn square_split_over_four_cells() {
        let a = Area {
            outers: vec![rect(50.0, 50.0, 100.0, 100.0)],
            inners: vec![],
        };
        let cells = cells_of(&a, 100.0);
        assert_eq!(cells.len(), 4);
        for (_, v) in &cells {
            assert_relative_eq!(*v, 2500.0, epsilon = 1e-9);
        }
        assert_eq!(cells[0].0, (0, 0));
        assert_eq!(cells[3].0, (1, 1));
    }

    #[test]
    fn concave_u_shape_and_hole() {
        // A U: 30×30 minus the 10×20 notch at the top middle; cut by x = 15.
        let u = vec![
            [0.0, 0.0],
            [30.0, 0.0],
            [30.0, 30.0],
            [20.0, 30.0],
            [20.0, 10.0],
            [10.0, 10.0],
            [10.0, 30.0],
            [0.0, 30.0],
            [0.0, 0.0],
        ];
        let a = Area {
            outers: vec![u],
            inners: vec![rect(2.0, 2.0, 4.0, 4.0)],
        };
        // Left of x = 15: 15×30, minus the left half of the notch (5×20), minus the hole.
        let left = ring_area_m2(&clip_ring(&a.outers[0], -15.0, -5.0, 15.0, 35.0)).abs()
            - ring_area_m2(&clip_ring(&a.inners[0], -15.0, -5.0, 15.0, 35.0)).abs();
        assert_relative_eq!(left, 15.0 * 30.0 - 5.0 * 20.0 - 16.0, epsilon = 1e-9);
        // A 30 m cell from (-15, -5): x ≤ 15 and y ≤ 25 (the notch part is 5×15).
        let cell = area_in_cell(&a, -15.0, -5.0, 30.0);
        assert_relative_eq!(cell, 15.0 * 25.0 - 5.0 * 15.0 - 16.0, epsilon = 1e-9);
        assert_relative_eq!(a.area_m2(), 900.0 - 200.0 - 16.0, epsilon = 1e-9);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        /// The pieces of any star-shaped footprint add up to its area.
        #[test]
        fn pieces_add_up(
            cx in -500.0f64..500.0,
            cy in -500.0f64..500.0,
            radii in prop::collection::vec(5.0f64..120.0, 3..16),
            cell_m in prop::sample::select(vec![25.0, 50.0, 100.0, 250.0]),
        ) {
            let n = radii.len();
            let mut ring: Vec<[f64; 2]> = radii
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let t = i as f64 / n as f64 * std::f64::consts::TAU;
                    [cx + r * t.cos(), cy + r * t.sin()]
                })
                .collect();
            ring.push(ring[0]);
            let a = Area { outers: vec![ring], inners: vec![] };
            let total: f64 = cells_of(&a, cell_m).iter().map(|c| c.1).sum();
            prop_assert!((total - a.area_m2()).abs() <= 1e-6 * a.area_m2().max(1.0));
        }
    }
}
