//! Planning units (districts 区, streets 街道, neighbourhoods 居委): GeoJSON Polygon /
//! MultiPolygon features with a name and/or code property.

use std::collections::{BTreeMap, HashMap};
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
    /// Every property of the feature as text (for target restrictions such as
    /// `where = "zone == 'main_city'"`).
    pub attributes: BTreeMap<String, String>,
}

/// Which properties hold a unit's code and name (`None`: the built-in aliases
/// `code`, `adcode`, `编码`, … and `name`, `名称`, `街道`, …).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UnitFields {
    /// Property holding the code.
    pub code: Option<String>,
    /// Property holding the name.
    pub name: Option<String>,
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
    read_units_with(path, crs, &UnitFields::default())
}

/// [`read_units`] with the code and name taken from the named properties (a
/// property missing from a feature: the feature's id / an empty name, as without
/// them).
///
/// # Errors
/// As [`read_units`].
pub fn read_units_with(
    path: &Path,
    crs: InputCrs,
    fields: &UnitFields,
) -> Result<UnitsRead, InputError> {
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
        let named = |field: &Option<String>| {
            field
                .as_ref()
                .map(|k| f.properties.get(k.as_str()).map(as_text))
        };
        let id = named(&fields.code)
            .unwrap_or_else(|| property(&f.properties, UNIT_ID).map(as_text))
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
        let name = named(&fields.name)
            .unwrap_or_else(|| property(&f.properties, UNIT_NAME).map(as_text))
            .unwrap_or_default();
        let attributes = f
            .properties
            .iter()
            .map(|(k, v)| (k.clone(), as_text(v)))
            .collect();
        out.units.push(RawUnit {
            id,
            name,
            polygon,
            location,
            attributes,
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

/// One `--units` file: a level name (`None` for the single unnamed `--units FILE`
/// of earlier versions), the file, its datum and its code/name properties.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitsSource {
    /// Level name (`district`, `street`, `community`, …).
    pub level: Option<String>,
    /// The GeoJSON file.
    pub path: std::path::PathBuf,
    /// Datum (`None`: the run's `--units-crs`).
    pub crs: Option<InputCrs>,
    /// Code and name properties.
    pub fields: UnitFields,
}

impl UnitsSource {
    /// Parse a `--units` value: `LEVEL=FILE` (a level name of letters, digits, `_`
    /// or `-` before the first `=`) or a plain `FILE`.
    ///
    /// # Errors
    /// An empty level or file.
    pub fn parse(value: &str) -> Result<Self, String> {
        let (level, file) = match value.split_once('=') {
            Some((l, f)) if check_level_name(l).is_ok() => (Some(l.to_owned()), f),
            Some(("", _)) => {
                return Err(format!(
                    "--units {value:?}: the level name before '=' is empty (LEVEL=FILE)"
                ));
            }
            _ => (None, value),
        };
        if file.trim().is_empty() {
            return Err(format!("--units {value:?}: no file after the level name"));
        }
        Ok(Self {
            level,
            path: file.into(),
            crs: None,
            fields: UnitFields::default(),
        })
    }
}

/// A level name becomes part of file and layer names (`units_<level>.csv`): letters,
/// digits, `_` and `-` only.
///
/// # Errors
/// A message saying what is wrong.
pub fn check_level_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("a unit level name is empty".into());
    }
    if !name
        .chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
    {
        return Err(format!(
            "unit level {name:?}: use letters, digits, '_' or '-' only (it becomes part of file names)"
        ));
    }
    Ok(())
}

/// Check a list of unit sources: either one unnamed file, or named levels with
/// distinct names.
///
/// # Errors
/// A message naming the problem.
pub fn check_sources(sources: &[UnitsSource]) -> Result<(), String> {
    let unnamed = sources.iter().filter(|s| s.level.is_none()).count();
    if unnamed > 0 && sources.len() > 1 {
        return Err(
            "--units: give one FILE, or several LEVEL=FILE (e.g. --units district=d.geojson --units street=s.geojson), not a mix"
                .into(),
        );
    }
    for (i, s) in sources.iter().enumerate() {
        if let Some(l) = &s.level {
            check_level_name(l)?;
            if sources[..i].iter().any(|o| o.level.as_ref() == Some(l)) {
                return Err(format!("--units: level {l:?} is given twice"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod source_tests {
    use super::*;

    #[test]
    fn level_specs_parse() {
        let s = UnitsSource::parse("street=data/streets.geojson").unwrap();
        assert_eq!(s.level.as_deref(), Some("street"));
        assert_eq!(s.path, std::path::PathBuf::from("data/streets.geojson"));
        let s = UnitsSource::parse("streets.geojson").unwrap();
        assert_eq!(s.level, None);
        // A path with '=' after a separator stays a plain file.
        let s = UnitsSource::parse("dir/a=b.geojson").unwrap();
        assert_eq!(s.level, None);
        assert!(UnitsSource::parse("=x.geojson").is_err());
        assert!(UnitsSource::parse("street=").is_err());
        let a = UnitsSource::parse("a.geojson").unwrap();
        let b = UnitsSource::parse("street=b.geojson").unwrap();
        assert!(check_sources(&[a, b.clone()]).is_err());
        assert!(
            check_sources(&[b.clone(), b])
                .unwrap_err()
                .contains("twice")
        );
    }
}

/// Serde for a list of [`UnitsSource`] as earlier versions wrote one optional
/// path: no units → `null`, one unnamed file → its path, else a list of
/// `{level, path, crs, code_field, name_field}` (tile plans stay readable).
pub mod serde_sources {
    use super::{UnitFields, UnitsSource};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    struct Entry {
        level: Option<String>,
        path: std::path::PathBuf,
        #[serde(default)]
        crs: Option<crate::crs::InputCrs>,
        #[serde(default)]
        code_field: Option<String>,
        #[serde(default)]
        name_field: Option<String>,
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Form {
        Path(std::path::PathBuf),
        List(Vec<Entry>),
    }

    /// Serialize.
    ///
    /// # Errors
    /// As the serializer.
    pub fn serialize<S: Serializer>(v: &[UnitsSource], s: S) -> Result<S::Ok, S::Error> {
        match v {
            [] => s.serialize_none(),
            [one]
                if one.level.is_none()
                    && one.crs.is_none()
                    && one.fields == UnitFields::default() =>
            {
                s.serialize_some(&one.path)
            }
            many => s.collect_seq(many.iter().map(|u| Entry {
                level: u.level.clone(),
                path: u.path.clone(),
                crs: u.crs,
                code_field: u.fields.code.clone(),
                name_field: u.fields.name.clone(),
            })),
        }
    }

    /// Deserialize.
    ///
    /// # Errors
    /// As the deserializer.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<UnitsSource>, D::Error> {
        Ok(match Option::<Form>::deserialize(d)? {
            None => Vec::new(),
            Some(Form::Path(path)) => vec![UnitsSource {
                level: None,
                path,
                crs: None,
                fields: UnitFields::default(),
            }],
            Some(Form::List(l)) => l
                .into_iter()
                .map(|e| UnitsSource {
                    level: e.level,
                    path: e.path,
                    crs: e.crs,
                    fields: UnitFields {
                        code: e.code_field,
                        name: e.name_field,
                    },
                })
                .collect(),
        })
    }
}
