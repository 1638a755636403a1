//! Reading GeoJSON FeatureCollections (or a single Feature) into plain records:
//! feature index, geometry as `geo` types (WGS84 lon/lat as written), properties.

use std::path::Path;

use geojson::{GeoJson, JsonObject};

use super::InputError;
use super::table::read_text;

/// One GeoJSON feature, as read.
#[derive(Debug)]
pub struct FeatureRecord {
    /// 0-based index of the feature in the file.
    pub index: usize,
    /// The geometry, or a reason why it is missing/unusable.
    pub geometry: Result<geo::Geometry<f64>, String>,
    /// Properties (empty when absent).
    pub properties: JsonObject,
    /// The feature's `id` member, as a string.
    pub id: Option<String>,
}

/// [`read_features`], refusing a collection without features.
///
/// # Errors
/// As [`read_features`], and [`InputError::Empty`] for no features.
pub fn read_nonempty_features(path: &Path) -> Result<Vec<FeatureRecord>, InputError> {
    let features = read_features(path)?;
    if features.is_empty() {
        return Err(InputError::Empty {
            path: path.into(),
            what: "FeatureCollection has no features",
        });
    }
    Ok(features)
}

/// Read every feature of a GeoJSON file.
///
/// # Errors
/// When the file cannot be read or is not a FeatureCollection/Feature.
pub fn read_features(path: &Path) -> Result<Vec<FeatureRecord>, InputError> {
    let (text, _) = read_text(path)?;
    if text.trim().is_empty() {
        return Err(InputError::Empty {
            path: path.into(),
            what: "file is empty",
        });
    }
    let gj: GeoJson = text
        .parse()
        .map_err(|e: geojson::Error| InputError::GeoJson {
            path: path.into(),
            reason: e.to_string(),
        })?;
    let features = match gj {
        GeoJson::FeatureCollection(fc) => fc.features,
        GeoJson::Feature(f) => vec![f],
        GeoJson::Geometry(_) => {
            return Err(InputError::GeoJson {
                path: path.into(),
                reason: "a bare geometry has no properties; expected a FeatureCollection".into(),
            });
        }
    };
    Ok(features
        .into_iter()
        .enumerate()
        .map(|(index, f)| {
            let geometry = match &f.geometry {
                None => Err("feature has no geometry".to_string()),
                Some(g) => match first_short_position(&g.value) {
                    Some(n) => Err(format!(
                        "bad geometry: a position has {n} coordinate(s), expected [lon, lat]"
                    )),
                    None => {
                        geo::Geometry::<f64>::try_from(g).map_err(|e| format!("bad geometry: {e}"))
                    }
                },
            };
            let id = f.id.as_ref().map(|id| match id {
                geojson::feature::Id::String(s) => s.clone(),
                geojson::feature::Id::Number(n) => n.to_string(),
            });
            FeatureRecord {
                index,
                geometry,
                properties: f.properties.unwrap_or_default(),
                id,
            }
        })
        .collect())
}

/// The length of the first position with fewer than two numbers. Checked before
/// converting: the `geojson` crate's conversion to `geo` indexes `[x, y]` without
/// a bounds check and panics on `"coordinates": [121.5]` (found by fuzzing).
fn first_short_position(value: &geojson::GeometryValue) -> Option<usize> {
    use geojson::GeometryValue as V;
    let short = |p: &geojson::Position| (p.len() < 2).then_some(p.len());
    match value {
        V::Point { coordinates } => short(coordinates),
        V::MultiPoint { coordinates } | V::LineString { coordinates } => {
            coordinates.iter().find_map(short)
        }
        V::MultiLineString { coordinates } | V::Polygon { coordinates } => {
            coordinates.iter().flatten().find_map(short)
        }
        V::MultiPolygon { coordinates } => coordinates.iter().flatten().flatten().find_map(short),
        V::GeometryCollection { geometries } => geometries
            .iter()
            .find_map(|g| first_short_position(&g.value)),
    }
}

/// Find a property by any of the normalised aliases.
#[must_use]
pub fn property<'a>(props: &'a JsonObject, aliases: &[&str]) -> Option<&'a serde_json::Value> {
    props
        .iter()
        .find(|(k, _)| aliases.contains(&super::table::normalise_header(k).as_str()))
        .map(|(_, v)| v)
}

/// A property value as text (numbers printed as JSON numbers).
#[must_use]
pub fn as_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}
