//! ESRI shapefile population layers (e.g. HSY's `Vaestotietoruudukko_2015`) and
//! clip polygons (e.g. a city boundary).
//!
//! Inputs: a `.shp` with its `.shx`/`.dbf`, a `.prj` (or an EPSG override), an
//! optional `.cpg`; [`VectorOptions`].
//! Output: [`RawCell`]s in WGS84, [`Rejected`] rows and a [`VectorReport`] (see
//! [`crate::input::vector`] for centroids and the HSY 99 mask); or, with
//! [`read_clip_polygon`], all polygons of the file as one WGS84 multipolygon.
//!
//! # Text encoding
//! The `.dbf` is decoded with the code page named in the `.cpg` when there is one,
//! else as Latin-1 (Windows-1252, its superset), as HSY's files need.
//!
//! # `.prj` support
//! [`crs_from_prj`] understands, in this order:
//! 1. a top-level `AUTHORITY["EPSG","code"]`;
//! 2. known ESRI names: `…GK25FIN…` → EPSG:3879, `…TM35FIN…` → EPSG:3067;
//! 3. a `GEOGCS` alone on WGS84 → EPSG:4326, on ETRS89/GRS80 → EPSG:4258;
//! 4. a `PROJCS` with `PROJECTION["Transverse_Mercator"]` on the GRS80 or WGS84
//!    spheroid in metres, from its parameters (datum shift to WGS84 taken as zero).
//!
//! Anything else is [`ShapefileError::UnsupportedPrj`]; pass the EPSG code instead.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use geo::{Geometry, MultiPolygon};
use shapefile::dbase::{self, FieldValue};
use shapefile::{Shape, ShapeReader};

use crate::base::model::{RawCell, Rejected};
use crate::crs::{EpsgError, Reprojector};
use crate::input::vector::{
    ColumnError, ColumnPlan, FeatureRow, VectorOptions, VectorReport, assemble, polygons_to_wgs84,
};

/// Errors of the shapefile reader. Every variant names the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ShapefileError {
    /// A component file cannot be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The `.shp`/`.shx`/`.dbf` could not be parsed.
    #[error("{path}: {source}")]
    Shapefile {
        /// The `.shp`.
        path: PathBuf,
        /// What the `shapefile` crate said.
        source: shapefile::Error,
    },
    /// The `.dbf` could not be parsed.
    #[error("{path}: {source}")]
    Dbase {
        /// The `.dbf`.
        path: PathBuf,
        /// What the `dbase` crate said.
        source: dbase::Error,
    },
    /// No `.prj` and no EPSG override.
    #[error("{path}: no .prj next to the shapefile; give the EPSG code of its coordinates")]
    MissingPrj {
        /// The expected `.prj`.
        path: PathBuf,
    },
    /// A `.prj` this reader does not understand.
    #[error("{path}: unsupported .prj ({reason}); give the EPSG code of its coordinates")]
    UnsupportedPrj {
        /// The `.prj`.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The CRS could not be set up.
    #[error("{path}: {source}")]
    Crs {
        /// The file.
        path: PathBuf,
        /// The reprojection error.
        source: EpsgError,
    },
    /// A needed attribute column is missing.
    #[error("{path}: {source}")]
    Column {
        /// The `.dbf`.
        path: PathBuf,
        /// Which column.
        source: ColumnError,
    },
    /// A clip polygon file holds no polygon.
    #[error("{path}: no polygon to clip with ({reason})")]
    NoPolygon {
        /// The `.shp`.
        path: PathBuf,
        /// What was found instead.
        reason: String,
    },
}

/// Reads a shapefile population layer.
///
/// # Errors
/// [`ShapefileError`] for unreadable component files, an unsupported or missing
/// `.prj` (without [`VectorOptions::source_epsg`]), or a missing population column.
pub fn read_shapefile(
    path: &Path,
    opts: &VectorOptions,
) -> Result<(Vec<RawCell>, Vec<Rejected>, VectorReport), ShapefileError> {
    let reproj = source_crs(path, opts.source_epsg)?;
    let dbf_path = path.with_extension("dbf");
    let dbf = open_dbf(path)?;
    let names: Vec<String> = dbf.fields().iter().map(|f| f.name().to_string()).collect();
    let plan = ColumnPlan::resolve(&names, opts).map_err(|source| ShapefileError::Column {
        path: dbf_path.clone(),
        source,
    })?;
    let value_cols = plan.value_columns();
    let shp_err = |source| ShapefileError::Shapefile {
        path: path.to_path_buf(),
        source,
    };
    let shapes = ShapeReader::from_path(path).map_err(shp_err)?;
    let mut reader = shapefile::Reader::new(shapes, dbf);
    let mut rows = Vec::new();
    for (index, item) in reader.iter_shapes_and_records().enumerate() {
        let (shape, record) = item.map_err(shp_err)?;
        let geometry = shape_to_geometry(shape);
        let id = plan
            .id
            .as_ref()
            .and_then(|c| record.get(c))
            .and_then(field_text);
        let values = value_cols
            .iter()
            .map(|c| record.get(c).map_or(Ok(None), field_number))
            .collect();
        rows.push(FeatureRow {
            index,
            id,
            geometry,
            values,
        });
    }
    let layer = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(assemble(
        &path.display().to_string(),
        &layer,
        rows,
        &plan,
        &reproj,
        opts,
    ))
}

/// Reads every polygon of a shapefile as one WGS84 multipolygon (a study-area
/// boundary for [`crate::input::clip::ClipArea`]).
///
/// # Errors
/// [`ShapefileError`] for unreadable files or `.prj`, or a file without polygons.
pub fn read_clip_polygon(
    path: &Path,
    source_epsg: Option<u32>,
) -> Result<MultiPolygon<f64>, ShapefileError> {
    let reproj = source_crs(path, source_epsg)?;
    let shapes = shapefile::read_shapes(path).map_err(|source| ShapefileError::Shapefile {
        path: path.to_path_buf(),
        source,
    })?;
    let mut polys = Vec::new();
    for shape in shapes {
        match shape_to_geometry(shape) {
            Ok(Some(Geometry::MultiPolygon(mp))) => polys.extend(mp.0),
            Ok(Some(Geometry::Polygon(p))) => polys.push(p),
            Ok(_) => {}
            Err(reason) => {
                return Err(ShapefileError::NoPolygon {
                    path: path.to_path_buf(),
                    reason,
                });
            }
        }
    }
    if polys.is_empty() {
        return Err(ShapefileError::NoPolygon {
            path: path.to_path_buf(),
            reason: "no polygon shapes".into(),
        });
    }
    polygons_to_wgs84(&MultiPolygon(polys), &reproj).map_err(|reason| ShapefileError::NoPolygon {
        path: path.to_path_buf(),
        reason,
    })
}

fn source_crs(path: &Path, source_epsg: Option<u32>) -> Result<Reprojector, ShapefileError> {
    let crs_err = |source| ShapefileError::Crs {
        path: path.to_path_buf(),
        source,
    };
    if let Some(code) = source_epsg {
        return Reprojector::from_epsg(code).map_err(crs_err);
    }
    let prj = path.with_extension("prj");
    let text = match std::fs::read(&prj) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ShapefileError::MissingPrj { path: prj });
        }
        Err(source) => return Err(ShapefileError::Io { path: prj, source }),
    };
    match crs_from_prj(&text) {
        Ok(PrjCrs::Epsg(code)) => Reprojector::from_epsg(code).map_err(crs_err),
        Ok(PrjCrs::Proj(def)) => Reprojector::from_proj_string(&def).map_err(crs_err),
        Err(reason) => Err(ShapefileError::UnsupportedPrj { path: prj, reason }),
    }
}

fn open_dbf(shp: &Path) -> Result<dbase::Reader<BufReader<File>>, ShapefileError> {
    let dbf_path = shp.with_extension("dbf");
    let file = File::open(&dbf_path).map_err(|source| ShapefileError::Io {
        path: dbf_path.clone(),
        source,
    })?;
    let cpg = std::fs::read_to_string(shp.with_extension("cpg")).ok();
    let encoding = cpg
        .as_deref()
        .and_then(dbase::encoding::DynEncoding::from_name)
        // "1252": dbase's name for Windows-1252, the superset of Latin-1 that
        // Finnish ESRI exports use.
        .or_else(|| dbase::encoding::DynEncoding::from_name("1252"));
    let builder = match encoding {
        Some(e) => dbase::ReaderBuilder::new().with_encoding(e),
        None => dbase::ReaderBuilder::new(),
    };
    builder
        .build(BufReader::new(file))
        .map_err(|source| ShapefileError::Dbase {
            path: dbf_path,
            source,
        })
}

fn field_number(v: &FieldValue) -> Result<Option<f64>, String> {
    match v {
        FieldValue::Numeric(n) => Ok(*n),
        FieldValue::Float(f) => Ok(f.map(f64::from)),
        FieldValue::Integer(i) => Ok(Some(f64::from(*i))),
        FieldValue::Double(d) | FieldValue::Currency(d) => Ok(Some(*d)),
        FieldValue::Character(None) => Ok(None),
        FieldValue::Character(Some(s)) => {
            let t = s.trim();
            if t.is_empty() {
                Ok(None)
            } else {
                t.parse().map(Some).map_err(|_| s.clone())
            }
        }
        other => Err(format!("{other:?}")),
    }
}

fn field_text(v: &FieldValue) -> Option<String> {
    match v {
        FieldValue::Character(s) => s.as_ref().map(|s| s.trim().to_string()),
        // Integral values print without a fraction ("688", not "688.0").
        FieldValue::Numeric(Some(n)) | FieldValue::Double(n) => Some(format!("{n}")),
        FieldValue::Integer(i) => Some(i.to_string()),
        _ => None,
    }
}

fn shape_to_geometry(shape: Shape) -> Result<Option<Geometry<f64>>, String> {
    let mp = |r: Result<MultiPolygon<f64>, shapefile::Error>| {
        r.map(|m| Some(Geometry::MultiPolygon(m)))
            .map_err(|e| e.to_string())
    };
    match shape {
        Shape::NullShape => Ok(None),
        Shape::Point(p) => Ok(Some(Geometry::Point(geo::Point::new(p.x, p.y)))),
        Shape::PointM(p) => Ok(Some(Geometry::Point(geo::Point::new(p.x, p.y)))),
        Shape::PointZ(p) => Ok(Some(Geometry::Point(geo::Point::new(p.x, p.y)))),
        Shape::Polygon(p) => mp(MultiPolygon::try_from(p)),
        Shape::PolygonM(p) => mp(MultiPolygon::try_from(p)),
        Shape::PolygonZ(p) => mp(MultiPolygon::try_from(p)),
        other => Err(format!("unsupported shape type {}", other.shapetype())),
    }
}

/// A CRS as understood from a `.prj`.
#[derive(Debug, Clone, PartialEq)]
pub enum PrjCrs {
    /// An EPSG code.
    Epsg(u32),
    /// A proj string built from the WKT parameters.
    Proj(String),
}

/// Interprets ESRI/OGC WKT from a `.prj` (see the module docs for what is supported).
///
/// # Errors
/// A reason when the WKT is none of the supported forms.
pub fn crs_from_prj(wkt: &str) -> Result<PrjCrs, String> {
    let wkt = wkt.trim();
    let upper = wkt.to_ascii_uppercase();
    // 1. The last AUTHORITY in the text is the top-level one.
    if let Some(pos) = upper.rfind("AUTHORITY[\"EPSG\",") {
        let rest = &wkt[pos + "AUTHORITY[\"EPSG\",".len()..];
        let code = rest
            .split(']')
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches('"');
        if let Ok(code) = code.parse::<u32>() {
            return Ok(PrjCrs::Epsg(code));
        }
    }
    let name = wkt_name(wkt).unwrap_or_default().to_ascii_uppercase();
    if upper.starts_with("PROJCS") {
        // 2. Known names.
        if name.contains("GK25FIN") {
            return Ok(PrjCrs::Epsg(3879));
        }
        if name.contains("TM35FIN") {
            return Ok(PrjCrs::Epsg(3067));
        }
        // 4. Transverse Mercator from its parameters.
        if !upper.contains("PROJECTION[\"TRANSVERSE_MERCATOR\"]") {
            return Err(format!("projection of {name:?} is not Transverse_Mercator"));
        }
        let ellps = spheroid(&upper)?;
        let unit = last_unit(&upper).ok_or("no linear UNIT")?;
        if (unit - 1.0).abs() > 1e-12 {
            return Err(format!("linear unit {unit} is not the metre"));
        }
        let p = |n: &str| parameter(&upper, n).ok_or(format!("missing PARAMETER {n}"));
        return Ok(PrjCrs::Proj(format!(
            "+proj=tmerc +lat_0={} +lon_0={} +k={} +x_0={} +y_0={} +ellps={ellps} +towgs84=0,0,0,0,0,0,0 +units=m +no_defs",
            p("LATITUDE_OF_ORIGIN")?,
            p("CENTRAL_MERIDIAN")?,
            p("SCALE_FACTOR")?,
            p("FALSE_EASTING")?,
            p("FALSE_NORTHING")?,
        )));
    }
    if upper.starts_with("GEOGCS") {
        // 3. Geographic.
        return match spheroid(&upper)? {
            "WGS84" => Ok(PrjCrs::Epsg(4326)),
            _ => Ok(PrjCrs::Epsg(4258)),
        };
    }
    Err("neither PROJCS nor GEOGCS".into())
}

fn wkt_name(wkt: &str) -> Option<&str> {
    let start = wkt.find('"')? + 1;
    let len = wkt[start..].find('"')?;
    Some(&wkt[start..start + len])
}

fn spheroid(upper: &str) -> Result<&'static str, String> {
    let pos = upper.find("SPHEROID[").ok_or("no SPHEROID")?;
    let nums: Vec<f64> = upper[pos..]
        .split(']')
        .next()
        .unwrap_or("")
        .split(',')
        .skip(1)
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    match nums.as_slice() {
        [a, rf, ..] if (a - 6_378_137.0).abs() < 1e-3 && (rf - 298.257_222_101).abs() < 1e-6 => {
            Ok("GRS80")
        }
        [a, rf, ..] if (a - 6_378_137.0).abs() < 1e-3 && (rf - 298.257_223_563).abs() < 1e-6 => {
            Ok("WGS84")
        }
        _ => Err(format!("spheroid {nums:?} is neither GRS80 nor WGS84")),
    }
}

fn parameter(upper: &str, name: &str) -> Option<f64> {
    let key = format!("PARAMETER[\"{name}\",");
    let pos = upper.find(&key)? + key.len();
    upper[pos..].split(']').next()?.trim().parse().ok()
}

fn last_unit(upper: &str) -> Option<f64> {
    let pos = upper.rfind("UNIT[")?;
    upper[pos..]
        .split(']')
        .next()?
        .split(',')
        .nth(1)?
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GK25_ESRI: &str = r#"PROJCS["ETRS89_ETRS_GK25FIN_2010",GEOGCS["GCS_ETRS_1989",DATUM["D_ETRS_1989",SPHEROID["Geodetic_Reference_System_of_1980",6378137,298.2572221008916]],PRIMEM["Greenwich",0],UNIT["Degree",0.017453292519943295]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",25],PARAMETER["scale_factor",1],PARAMETER["false_easting",25500000],PARAMETER["false_northing",0],UNIT["Meter",1]]"#;

    #[test]
    fn hsy_prj_is_gk25() {
        assert_eq!(crs_from_prj(GK25_ESRI), Ok(PrjCrs::Epsg(3879)));
    }

    #[test]
    fn parameters_give_the_same_projection_as_the_code() {
        let renamed = GK25_ESRI.replace("ETRS89_ETRS_GK25FIN_2010", "Some_Local_TM");
        let Ok(PrjCrs::Proj(def)) = crs_from_prj(&renamed) else {
            panic!("{:?}", crs_from_prj(&renamed))
        };
        let a = Reprojector::from_proj_string(&def).unwrap();
        let b = Reprojector::from_epsg(3879).unwrap();
        let (x, y) = (25_496_125.0, 6_672_125.0);
        let (pa, pb) = (a.to_wgs84(x, y).unwrap(), b.to_wgs84(x, y).unwrap());
        assert!((pa.0 - pb.0).abs() < 1e-9 && (pa.1 - pb.1).abs() < 1e-9);
    }

    #[test]
    fn authority_geographic_and_unsupported() {
        let wgs = r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
        assert_eq!(crs_from_prj(wgs), Ok(PrjCrs::Epsg(4326)));
        let with_auth = r#"PROJCS["ETRS89 / TM35FIN(E,N)",GEOGCS["ETRS89",AUTHORITY["EPSG","4258"]],PROJECTION["Transverse_Mercator"],AUTHORITY["EPSG","3067"]]"#;
        assert_eq!(crs_from_prj(with_auth), Ok(PrjCrs::Epsg(3067)));
        let lcc = r#"PROJCS["X",GEOGCS["G",DATUM["D",SPHEROID["S",6378137,298.257223563]]],PROJECTION["Lambert_Conformal_Conic"],UNIT["Meter",1]]"#;
        assert!(
            crs_from_prj(lcc)
                .unwrap_err()
                .contains("Transverse_Mercator")
        );
        assert!(crs_from_prj("garbage").is_err());
    }
}
