//! Planning units (districts 区, streets 街道, neighbourhoods 居委): GeoJSON Polygon /
//! MultiPolygon features with a name and/or code property.

use std::collections::HashMap;
use std::path::Path;

use geo::{MultiPolygon, Validation};

use super::InputError;
use super::features::{as_text, property, read_nonempty_features};
use super::sites::geometry_name;
use crate::base::model::Rejected;
use crate::crs::InputCrs;

const UNIT_ID: &[&str] = &[
    "unitid",
    "code",
    "id",
    "adcode",
    "编码",
    "代码",
    "区划代码",
    "编号",
];
const UNIT_NAME: &[&str] = &[
    "name",
    "unitname",
    "名称",
    "街道",
    "街道名称",
    "区",
    "区名",
    "社区",
    "居委",
];

/// A planning unit as read, in WGS84.
#[derive(Clone, Debug, PartialEq)]
pub struct RawUnit {
    /// Code/id (from the file, else `u<feature index>`).
    pub id: String,
    /// Name (may be empty).
    pub name: String,
    /// Boundary, WGS84.
    pub polygon: MultiPolygon<f64>,
    /// `feature N`.
    pub location: String,
}

/// Units read from a file, plus features not used.
#[derive(Debug, Default)]
pub struct UnitsRead {
    /// Usable units in file order.
    pub units: Vec<RawUnit>,
    /// Features not used.
    pub rejected: Vec<Rejected>,
    /// Warnings (e.g. invalid polygons that were kept).
    pub warnings: Vec<String>,
}

/// Read units from a GeoJSON file.
///
/// Self-intersecting or otherwise invalid polygons are kept with a warning naming
/// the feature (point-in-polygon tests still work on them, areas may be off);
/// features without a polygon are rejected.
///
/// # Errors
/// When the file is unreadable, not GeoJSON, or has no usable polygon.
pub fn read_units(path: &Path, crs: InputCrs) -> Result<UnitsRead, InputError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if !matches!(ext.as_str(), "geojson" | "json") {
        return Err(InputError::UnsupportedFormat {
            path: path.into(),
            expected: ".geojson or .json",
        });
    }
    let features = read_nonempty_features(path)?;
    let file = path.display().to_string();
    let rows = features.len();
    let mut out = UnitsRead::default();
    let mut seen: HashMap<String, String> = HashMap::new();
    for f in features {
        let location = format!("feature {}", f.index);
        let polygon = match f.geometry {
            Ok(geo::Geometry::Polygon(p)) => MultiPolygon::new(vec![p]),
            Ok(geo::Geometry::MultiPolygon(mp)) => mp,
            Ok(other) => {
                out.rejected.push(Rejected::new(
                    &file,
                    &location,
                    format!(
                        "geometry is a {}, expected a Polygon or MultiPolygon",
                        geometry_name(&other)
                    ),
                ));
                continue;
            }
            Err(reason) => {
                out.rejected.push(Rejected::new(&file, &location, reason));
                continue;
            }
        };
        let mut polygon = polygon;
        {
            use geo::MapCoordsInPlace;
            polygon.map_coords_in_place(|c| {
                let (x, y) = crs.to_wgs84(c.x, c.y);
                geo::coord! { x: x, y: y }
            });
        }
        if !polygon.is_valid() {
            out.warnings.push(format!(
                "{file}: {location}: unit polygon is not valid (e.g. self-intersecting); kept, but check it in a GIS"
            ));
        }
        let id = property(&f.properties, UNIT_ID)
            .map(as_text)
            .filter(|s| !s.is_empty())
            .or(f.id.clone())
            .unwrap_or_else(|| format!("u{}", f.index));
        if let Some(first) = seen.get(&id) {
            out.rejected.push(Rejected::new(
                &file,
                &location,
                format!("duplicate unit id {id:?} (first used at {first})"),
            ));
            continue;
        }
        seen.insert(id.clone(), location.clone());
        let name = property(&f.properties, UNIT_NAME)
            .map(as_text)
            .unwrap_or_default();
        out.units.push(RawUnit {
            id,
            name,
            polygon,
            location,
        });
    }
    if out.units.is_empty() {
        return Err(InputError::NoUsableRows {
            path: path.into(),
            rows,
            first: out.rejected.first().map_or_else(
                || "no rows".into(),
                |r| format!("{}: {}", r.location, r.reason),
            ),
        });
    }
    Ok(out)
}
