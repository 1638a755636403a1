//! GCJ-02 (Amap, Tencent, Google China) and BD-09 (Baidu) to WGS84.
//!
//! The conversions come from the `coordtransform` crate, which implements the
//! published forward formula and an iteratively refined inverse; the tests of this
//! module check the inverse against the forward formula (< 0.5 m) and the
//! magnitude of the shift at People's Square, Shanghai (published ≈ 480 m).
//! Points outside mainland China are not shifted (the crate's mainland mask), as
//! the GCJ-02 obfuscation is only applied there.

use std::fmt;
use std::str::FromStr;

/// The datum of an input point layer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputCrs {
    /// WGS84 longitude/latitude (OSM, GPS, WorldPop). The default.
    #[default]
    Wgs84,
    /// GCJ-02, the obfuscated datum of Amap/Gaode, Tencent and Google China.
    Gcj02,
    /// BD-09, Baidu's datum (GCJ-02 with a further shift).
    Bd09,
}

impl InputCrs {
    /// Convert a lon/lat in this datum to WGS84 (degrees).
    #[must_use]
    pub fn to_wgs84(self, lon: f64, lat: f64) -> (f64, f64) {
        match self {
            InputCrs::Wgs84 => (lon, lat),
            InputCrs::Gcj02 => coordtransform::gcj02_to_wgs84(lon, lat),
            InputCrs::Bd09 => coordtransform::bd09_to_wgs84(lon, lat),
        }
    }

    /// The name used on the command line.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            InputCrs::Wgs84 => "wgs84",
            InputCrs::Gcj02 => "gcj02",
            InputCrs::Bd09 => "bd09",
        }
    }
}

impl fmt::Display for InputCrs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Error for an unknown CRS name.
#[derive(Debug, thiserror::Error)]
#[error("unknown coordinate system {0:?}: expected wgs84, gcj02 or bd09")]
pub struct UnknownCrs(pub String);

impl FromStr for InputCrs {
    type Err = UnknownCrs;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s
            .trim()
            .to_ascii_lowercase()
            .replace(['-', '_'], "")
            .as_str()
        {
            "wgs84" | "epsg4326" | "4326" => Ok(InputCrs::Wgs84),
            "gcj02" | "gcj" | "amap" | "gaode" | "tencent" => Ok(InputCrs::Gcj02),
            "bd09" | "bd09ll" | "baidu" => Ok(InputCrs::Bd09),
            _ => Err(UnknownCrs(s.to_string())),
        }
    }
}

/// WGS84 → GCJ-02 (forward formula), for tests and optional export.
#[must_use]
pub fn gcj02_from_wgs84(lon: f64, lat: f64) -> (f64, f64) {
    coordtransform::wgs84_to_gcj02(lon, lat)
}

/// WGS84 → BD-09 (forward formula), for tests and optional export.
#[must_use]
pub fn bd09_from_wgs84(lon: f64, lat: f64) -> (f64, f64) {
    coordtransform::wgs84_to_bd09(lon, lat)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Distance, Geodesic, Point};

    fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
        Geodesic.distance(Point::new(a.0, a.1), Point::new(b.0, b.1))
    }

    /// People's Square, Huangpu, Shanghai (WGS84).
    const PEOPLES_SQUARE: (f64, f64) = (121.4737, 31.2304);

    #[test]
    fn forward_shift_at_peoples_square_is_in_published_range() {
        let g = gcj02_from_wgs84(PEOPLES_SQUARE.0, PEOPLES_SQUARE.1);
        let d = metres(PEOPLES_SQUARE, g);
        // research-anchors §5: +430 m east, −216 m south, 481 m in all.
        assert!((460.0..=500.0).contains(&d), "GCJ-02 shift {d} m");
        assert!(
            g.0 > PEOPLES_SQUARE.0 && g.1 < PEOPLES_SQUARE.1,
            "shift should be east and south"
        );
        let b = bd09_from_wgs84(PEOPLES_SQUARE.0, PEOPLES_SQUARE.1);
        let d = metres(PEOPLES_SQUARE, b);
        assert!((1100.0..=1180.0).contains(&d), "BD-09 shift {d} m");
    }

    #[test]
    fn round_trips_are_below_half_a_metre_over_china() {
        // A seeded sweep over mainland China (lon 98–122, lat 22–42).
        let mut worst_gcj: f64 = 0.0;
        let mut worst_bd: f64 = 0.0;
        let mut state: u64 = 0x5eed_1234;
        for _ in 0..2000 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let u = (state >> 11) as f64 / (1u64 << 53) as f64;
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let v = (state >> 11) as f64 / (1u64 << 53) as f64;
            let p = (104.0 + 16.0 * u, 26.0 + 14.0 * v);
            if !coordtransform::is_in_mainland_china(p.0, p.1) {
                continue;
            }
            let g = gcj02_from_wgs84(p.0, p.1);
            worst_gcj = worst_gcj.max(metres(p, InputCrs::Gcj02.to_wgs84(g.0, g.1)));
            let b = bd09_from_wgs84(p.0, p.1);
            worst_bd = worst_bd.max(metres(p, InputCrs::Bd09.to_wgs84(b.0, b.1)));
        }
        assert!(worst_gcj < 0.5, "GCJ-02 inverse error {worst_gcj} m");
        assert!(worst_bd < 0.5, "BD-09 inverse error {worst_bd} m");
    }

    #[test]
    fn points_outside_china_are_not_shifted() {
        let helsinki = (24.94, 60.17);
        assert_eq!(InputCrs::Gcj02.to_wgs84(helsinki.0, helsinki.1), helsinki);
    }

    #[test]
    fn names_parse() {
        assert_eq!("GCJ-02".parse::<InputCrs>().unwrap(), InputCrs::Gcj02);
        assert_eq!("bd09".parse::<InputCrs>().unwrap(), InputCrs::Bd09);
        assert_eq!("wgs84".parse::<InputCrs>().unwrap(), InputCrs::Wgs84);
        assert!("utm".parse::<InputCrs>().is_err());
    }
}
