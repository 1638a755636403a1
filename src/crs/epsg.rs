//! Reprojection of source coordinate reference systems (EPSG codes, Mollweide) to
//! WGS84 longitude/latitude, for the population readers.
//!
//! Inputs: an EPSG code (any code the `crs-definitions` table of `proj4rs` knows,
//! e.g. 3879 ETRS89 / GK25FIN, 3067 ETRS89 / TM35FIN, 32650 UTM 50N, 4326 WGS84), the
//! ESRI World Mollweide (ESRI:54009, used by GHS-POP), or a proj string.
//! Output: WGS84 longitude/latitude in degrees (and the inverse, for clipping and
//! tests).
//!
//! Datum shifts are whatever the proj string says: ETRS89 definitions carry
//! `+towgs84=0,0,0`, i.e. ETRS89 is taken equal to WGS84 (they differ by well under
//! a metre in Finland in 2020, below the precision of a 250 m grid). No grid-based
//! datum shifts are applied.

use proj4rs::Proj;

/// The proj string of ESRI:54009 World Mollweide on the WGS84 datum.
pub const MOLLWEIDE_PROJ: &str = "+proj=moll +lon_0=0 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs";

const WGS84_PROJ: &str = "+proj=longlat +datum=WGS84 +no_defs";

/// Errors of source-CRS reprojection.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EpsgError {
    /// The EPSG code is not in the proj4rs definition table (or is out of range).
    #[error("EPSG:{code} is not a coordinate reference system this build knows")]
    UnknownCode {
        /// The code as given.
        code: u32,
    },
    /// A proj string could not be parsed.
    #[error("cannot use projection definition {definition:?}: {reason}")]
    Definition {
        /// The proj string.
        definition: String,
        /// What proj4rs said.
        reason: String,
    },
    /// A coordinate could not be transformed.
    #[error("cannot transform ({x}, {y}) from {crs} : {reason}")]
    Point {
        /// First coordinate (easting or longitude) in source units.
        x: f64,
        /// Second coordinate (northing or latitude) in source units.
        y: f64,
        /// Which CRS it was in.
        crs: String,
        /// What went wrong.
        reason: String,
    },
}

/// Converts coordinates of one source CRS to WGS84 longitude/latitude and back.
///
/// `Proj` holds only plain numbers, so a `Reprojector` is `Send + Sync` and can be
/// shared read-only across threads.
#[derive(Debug)]
pub struct Reprojector {
    label: String,
    origin: Origin,
    source: Proj,
    wgs84: Proj,
    geographic: bool,
}

/// How a reprojector was built, so that it can be rebuilt (`Proj` is not `Clone`).
#[derive(Clone, Debug)]
enum Origin {
    Epsg(u16),
    Proj(String),
}

impl Clone for Reprojector {
    fn clone(&self) -> Self {
        let rebuilt = match &self.origin {
            Origin::Epsg(code) => Self::from_epsg(u32::from(*code)),
            Origin::Proj(def) => Self::from_proj_string_labelled(def, &self.label),
        };
        // The same definition parsed when `self` was built, so it parses again.
        rebuilt.expect("definition parsed when the reprojector was first built")
    }
}

impl Reprojector {
    /// A reprojector from `EPSG:code`.
    ///
    /// # Errors
    /// [`EpsgError::UnknownCode`] when proj4rs has no definition for the code.
    pub fn from_epsg(code: u32) -> Result<Self, EpsgError> {
        if code == 54009 {
            return Self::mollweide();
        }
        let short = u16::try_from(code).map_err(|_| EpsgError::UnknownCode { code })?;
        let source = Proj::from_epsg_code(short).map_err(|e| match e {
            proj4rs::errors::Error::ProjectionNotFound => EpsgError::UnknownCode { code },
            other => EpsgError::Definition {
                definition: format!("EPSG:{code}"),
                reason: other.to_string(),
            },
        })?;
        Self::build(source, Origin::Epsg(short), format!("EPSG:{code}"))
    }

    /// The ESRI:54009 World Mollweide (WGS84 datum, metres).
    ///
    /// # Errors
    /// Never in practice; the `Result` is kept for symmetry with the other builders.
    pub fn mollweide() -> Result<Self, EpsgError> {
        Self::from_proj_string_labelled(MOLLWEIDE_PROJ, "ESRI:54009")
    }

    /// WGS84 itself (longitude/latitude in degrees; the identity).
    ///
    /// # Errors
    /// Never in practice.
    pub fn wgs84() -> Result<Self, EpsgError> {
        Self::from_proj_string_labelled(WGS84_PROJ, "EPSG:4326")
    }

    /// A reprojector from a proj string (e.g. a user-defined Mollweide with its own
    /// central meridian).
    ///
    /// # Errors
    /// [`EpsgError::Definition`] when proj4rs cannot parse the string.
    pub fn from_proj_string(definition: &str) -> Result<Self, EpsgError> {
        Self::from_proj_string_labelled(definition, definition)
    }

    fn from_proj_string_labelled(definition: &str, label: &str) -> Result<Self, EpsgError> {
        let source = Proj::from_proj_string(definition).map_err(|e| EpsgError::Definition {
            definition: definition.into(),
            reason: e.to_string(),
        })?;
        Self::build(source, Origin::Proj(definition.into()), label.into())
    }

    fn build(source: Proj, origin: Origin, label: String) -> Result<Self, EpsgError> {
        let wgs84 = Proj::from_proj_string(WGS84_PROJ).map_err(|e| EpsgError::Definition {
            definition: WGS84_PROJ.into(),
            reason: e.to_string(),
        })?;
        Ok(Self {
            label,
            origin,
            geographic: source.is_latlong(),
            source,
            wgs84,
        })
    }

    /// A short name for messages (`EPSG:3879`, `ESRI:54009`, or the proj string).
    #[must_use]
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Whether source coordinates are longitude/latitude degrees (else metres).
    #[must_use]
    pub fn is_geographic(&self) -> bool {
        self.geographic
    }

    /// Source coordinates → WGS84 `(lon, lat)`.
    ///
    /// # Units
    /// Input in the source CRS units (degrees for a geographic CRS, metres
    /// otherwise); output in degrees.
    ///
    /// # Errors
    /// [`EpsgError::Point`] when the point cannot be transformed or the result is not
    /// finite.
    pub fn to_wgs84(&self, x: f64, y: f64) -> Result<(f64, f64), EpsgError> {
        let mut p = if self.geographic {
            (x.to_radians(), y.to_radians(), 0.0)
        } else {
            (x, y, 0.0)
        };
        proj4rs::transform::transform(&self.source, &self.wgs84, &mut p)
            .map_err(|e| self.point_error(x, y, e.to_string()))?;
        let (lon, lat) = (p.0.to_degrees(), p.1.to_degrees());
        if lon.is_finite() && lat.is_finite() && lat.abs() <= 90.0 {
            Ok((lon, lat))
        } else {
            Err(self.point_error(x, y, "result is not a valid longitude/latitude".into()))
        }
    }

    /// WGS84 `(lon, lat)` degrees → source coordinates.
    ///
    /// # Errors
    /// [`EpsgError::Point`] when the point cannot be transformed.
    pub fn from_wgs84(&self, lon: f64, lat: f64) -> Result<(f64, f64), EpsgError> {
        let mut p = (lon.to_radians(), lat.to_radians(), 0.0);
        proj4rs::transform::transform(&self.wgs84, &self.source, &mut p)
            .map_err(|e| self.point_error(lon, lat, e.to_string()))?;
        let out = if self.geographic {
            (p.0.to_degrees(), p.1.to_degrees())
        } else {
            (p.0, p.1)
        };
        if out.0.is_finite() && out.1.is_finite() {
            Ok(out)
        } else {
            Err(self.point_error(lon, lat, "result is not finite".into()))
        }
    }

    fn point_error(&self, x: f64, y: f64, reason: String) -> EpsgError {
        EpsgError::Point {
            x,
            y,
            crs: self.label.clone(),
            reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    #[test]
    fn unknown_codes_are_errors() {
        assert!(matches!(
            Reprojector::from_epsg(1),
            Err(EpsgError::UnknownCode { code: 1 })
        ));
        assert!(matches!(
            Reprojector::from_epsg(99_999_999),
            Err(EpsgError::UnknownCode { code: 99_999_999 })
        ));
    }

    #[test]
    fn wgs84_is_the_identity() {
        let r = Reprojector::from_epsg(4326).unwrap();
        assert!(r.is_geographic());
        let (lon, lat) = r.to_wgs84(24.9384, 60.1699).unwrap();
        assert_abs_diff_eq!(lon, 24.9384, epsilon = 1e-12);
        assert_abs_diff_eq!(lat, 60.1699, epsilon = 1e-12);
    }

    #[test]
    fn gk25_round_trips() {
        let r = Reprojector::from_epsg(3879).unwrap();
        assert!(!r.is_geographic());
        assert_eq!(r.label(), "EPSG:3879");
        let (x, y) = r.from_wgs84(24.95, 60.17).unwrap();
        // Central meridian 25° E, false easting 25 500 000 m.
        assert!((25_497_000.0..25_500_000.0).contains(&x), "{x}");
        let (lon, lat) = r.to_wgs84(x, y).unwrap();
        assert_abs_diff_eq!(lon, 24.95, epsilon = 1e-9);
        assert_abs_diff_eq!(lat, 60.17, epsilon = 1e-9);
    }

    #[test]
    fn mollweide_origin_and_round_trip() {
        let r = Reprojector::mollweide().unwrap();
        let (lon, lat) = r.to_wgs84(0.0, 0.0).unwrap();
        assert_abs_diff_eq!(lon, 0.0, epsilon = 1e-12);
        assert_abs_diff_eq!(lat, 0.0, epsilon = 1e-12);
        let (x, y) = r.from_wgs84(114.3, 30.6).unwrap();
        let (lon, lat) = r.to_wgs84(x, y).unwrap();
        assert_abs_diff_eq!(lon, 114.3, epsilon = 1e-9);
        assert_abs_diff_eq!(lat, 30.6, epsilon = 1e-9);
        assert_eq!(Reprojector::from_epsg(54009).unwrap().label(), "ESRI:54009");
    }

    #[test]
    fn clones_behave_the_same() {
        let r = Reprojector::from_epsg(3067).unwrap();
        let c = r.clone();
        assert_eq!(
            r.to_wgs84(385_000.0, 6_672_000.0).unwrap(),
            c.to_wgs84(385_000.0, 6_672_000.0).unwrap()
        );
    }
}
