//! The study area used to clip population inputs: a WGS84 (multi)polygon and/or a
//! longitude/latitude bounding box.
//!
//! Input: a `geo::MultiPolygon<f64>` in WGS84 degrees (e.g. a city boundary read
//! from a shapefile) and/or a `[min_lon, min_lat, max_lon, max_lat]` box.
//! Output: a [`ClipArea`] that answers "is this cell centre inside?" and gives the
//! bounding box used to skip raster chunks that cannot hold an inside pixel.
//!
//! Point-in-polygon uses an even–odd ray cast over edges bucketed into latitude
//! bands. A raster of a few million pixels against a boundary of thousands of
//! vertices would cost billions of edge tests with `geo::Contains` (linear in the
//! number of edges per query); the bands make each query touch only the few edges
//! that cross its latitude. Points exactly on the boundary may fall either way.

use geo::{BoundingRect, MultiPolygon};

/// Errors building a clip area.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ClipError {
    /// The polygon has no area-bearing ring (or no finite coordinate).
    #[error("the clip polygon is empty")]
    EmptyPolygon,
    /// The bounding box is not finite or has min > max.
    #[error("invalid clip bounding box {bbox:?} (expected [min_lon, min_lat, max_lon, max_lat])")]
    InvalidBbox {
        /// The box as given.
        bbox: [f64; 4],
    },
    /// The polygon and the box do not overlap.
    #[error("the clip polygon and the clip bounding box {bbox:?} do not overlap")]
    Disjoint {
        /// The box as given.
        bbox: [f64; 4],
    },
}

/// A study area in WGS84 degrees: keep what has its centre inside.
#[derive(Debug, Clone)]
pub struct ClipArea {
    bbox: [f64; 4],
    polygon: Option<EdgeBands>,
}

impl ClipArea {
    /// Clip to a polygon (WGS84 lon/lat degrees).
    ///
    /// # Errors
    /// [`ClipError::EmptyPolygon`] when it has no finite vertices.
    pub fn from_polygon(polygon: &MultiPolygon<f64>) -> Result<Self, ClipError> {
        let rect = polygon.bounding_rect().ok_or(ClipError::EmptyPolygon)?;
        let bbox = [rect.min().x, rect.min().y, rect.max().x, rect.max().y];
        if !bbox.iter().all(|v| v.is_finite()) {
            return Err(ClipError::EmptyPolygon);
        }
        let bands = EdgeBands::new(polygon, bbox);
        if bands.edge_count == 0 {
            return Err(ClipError::EmptyPolygon);
        }
        Ok(Self {
            bbox,
            polygon: Some(bands),
        })
    }

    /// Clip to a box `[min_lon, min_lat, max_lon, max_lat]` (degrees).
    ///
    /// # Errors
    /// [`ClipError::InvalidBbox`] when a bound is not finite or min > max.
    pub fn from_bbox(bbox: [f64; 4]) -> Result<Self, ClipError> {
        check_bbox(bbox)?;
        Ok(Self {
            bbox,
            polygon: None,
        })
    }

    /// Also restrict to a box (intersection with what is already there).
    ///
    /// # Errors
    /// [`ClipError::InvalidBbox`] for a bad box, [`ClipError::Disjoint`] when the
    /// result would be empty.
    pub fn with_bbox(mut self, bbox: [f64; 4]) -> Result<Self, ClipError> {
        check_bbox(bbox)?;
        let b = [
            self.bbox[0].max(bbox[0]),
            self.bbox[1].max(bbox[1]),
            self.bbox[2].min(bbox[2]),
            self.bbox[3].min(bbox[3]),
        ];
        if b[0] > b[2] || b[1] > b[3] {
            return Err(ClipError::Disjoint { bbox });
        }
        self.bbox = b;
        Ok(self)
    }

    /// The bounding box `[min_lon, min_lat, max_lon, max_lat]` that contains every
    /// inside point.
    #[must_use]
    pub fn bbox(&self) -> [f64; 4] {
        self.bbox
    }

    /// Whether the point (WGS84 degrees) is inside the box and, if there is one, the
    /// polygon.
    #[must_use]
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        let [x0, y0, x1, y1] = self.bbox;
        if !(lon >= x0 && lon <= x1 && lat >= y0 && lat <= y1) {
            return false;
        }
        self.polygon.as_ref().is_none_or(|p| p.contains(lon, lat))
    }
}

fn check_bbox(bbox: [f64; 4]) -> Result<(), ClipError> {
    if bbox.iter().all(|v| v.is_finite()) && bbox[0] <= bbox[2] && bbox[1] <= bbox[3] {
        Ok(())
    } else {
        Err(ClipError::InvalidBbox { bbox })
    }
}

/// Polygon edges bucketed by latitude band, for even–odd ray casting.
#[derive(Debug, Clone)]
struct EdgeBands {
    min_lat: f64,
    band_height: f64,
    bands: Vec<Vec<[f64; 4]>>,
    edge_count: usize,
}

impl EdgeBands {
    fn new(polygon: &MultiPolygon<f64>, bbox: [f64; 4]) -> Self {
        let mut edges = Vec::new();
        for p in polygon {
            for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
                for line in ring.lines() {
                    let e = [line.start.x, line.start.y, line.end.x, line.end.y];
                    // Horizontal edges never cross a horizontal ray.
                    if e.iter().all(|v| v.is_finite()) && e[1] != e[3] {
                        edges.push(e);
                    }
                }
            }
        }
        let n_bands = (edges.len() / 4).clamp(1, 4096);
        let height = ((bbox[3] - bbox[1]) / n_bands as f64).max(f64::MIN_POSITIVE);
        let mut bands = vec![Vec::new(); n_bands];
        let band_of = |lat: f64| band_index(lat, bbox[1], height, n_bands);
        for e in &edges {
            let (lo, hi) = (band_of(e[1].min(e[3])), band_of(e[1].max(e[3])));
            for band in &mut bands[lo..=hi] {
                band.push(*e);
            }
        }
        Self {
            min_lat: bbox[1],
            band_height: height,
            edge_count: edges.len(),
            bands,
        }
    }

    fn contains(&self, lon: f64, lat: f64) -> bool {
        let band = band_index(lat, self.min_lat, self.band_height, self.bands.len());
        let mut inside = false;
        for &[x1, y1, x2, y2] in &self.bands[band] {
            if (y1 > lat) != (y2 > lat) {
                let x = x1 + (lat - y1) * (x2 - x1) / (y2 - y1);
                if lon < x {
                    inside = !inside;
                }
            }
        }
        inside
    }
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn band_index(lat: f64, min_lat: f64, height: f64, n: usize) -> usize {
    let i = ((lat - min_lat) / height).floor();
    if i.is_nan() || i < 0.0 {
        0
    } else {
        (i as usize).min(n - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Contains, Point, polygon};
    use proptest::prelude::*;

    fn square_with_hole() -> MultiPolygon<f64> {
        MultiPolygon(vec![polygon!(
            exterior: [(x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 10.0), (x: 0.0, y: 10.0)],
            interiors: [[(x: 4.0, y: 4.0), (x: 6.0, y: 4.0), (x: 6.0, y: 6.0), (x: 4.0, y: 6.0)]],
        )])
    }

    #[test]
    fn holes_and_outside() {
        let c = ClipArea::from_polygon(&square_with_hole()).unwrap();
        assert!(c.contains(1.0, 1.0));
        assert!(!c.contains(5.0, 5.0));
        assert!(!c.contains(11.0, 5.0));
        assert!(!c.contains(-1.0, 5.0));
    }

    #[test]
    fn bbox_restricts() {
        let c = ClipArea::from_polygon(&square_with_hole())
            .unwrap()
            .with_bbox([0.0, 0.0, 2.0, 2.0])
            .unwrap();
        assert!(c.contains(1.0, 1.0));
        assert!(!c.contains(3.0, 1.0));
        assert_eq!(c.bbox(), [0.0, 0.0, 2.0, 2.0]);
        assert!(
            ClipArea::from_polygon(&square_with_hole())
                .unwrap()
                .with_bbox([20.0, 20.0, 30.0, 30.0])
                .is_err()
        );
    }

    #[test]
    fn bad_inputs() {
        assert_eq!(
            ClipArea::from_polygon(&MultiPolygon(vec![])).unwrap_err(),
            ClipError::EmptyPolygon
        );
        assert!(matches!(
            ClipArea::from_bbox([1.0, 0.0, 0.0, 1.0]),
            Err(ClipError::InvalidBbox { .. })
        ));
        assert!(matches!(
            ClipArea::from_bbox([f64::NAN, 0.0, 1.0, 1.0]),
            Err(ClipError::InvalidBbox { .. })
        ));
    }

    proptest! {
        // Oracle: geo's own point-in-polygon on a jagged star-shaped polygon.
        #[test]
        fn agrees_with_geo_contains(radii in prop::collection::vec(1.0f64..5.0, 12..40),
                                    px in -6.0f64..6.0, py in -6.0f64..6.0) {
            let n = radii.len();
            let ring: Vec<(f64, f64)> = radii.iter().enumerate().map(|(i, r)| {
                let a = i as f64 / n as f64 * std::f64::consts::TAU;
                (r * a.cos(), r * a.sin())
            }).collect();
            let poly = geo::Polygon::new(ring.into(), vec![]);
            let mp = MultiPolygon(vec![poly.clone()]);
            let c = ClipArea::from_polygon(&mp).unwrap();
            let p = Point::new(px, py);
            // Skip points within 1e-9 of the boundary, where either answer is fine.
            let on_edge = poly.exterior().lines().any(|l| {
                use geo::{Distance, Euclidean};
                Euclidean.distance(&l, &p) < 1e-9
            });
            prop_assume!(!on_edge);
            prop_assert_eq!(c.contains(px, py), poly.contains(&p));
        }
    }
}
