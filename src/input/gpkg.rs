//! GeoPackage population layers (e.g. HSY's 250 m grids), read with the bundled
//! SQLite of `rusqlite`.
//!
//! Inputs: a `.gpkg` path and [`VectorOptions`] (layer, population/elderly columns,
//! CRS override, clip).
//! Output: [`RawCell`]s in WGS84 with their polygons, [`Rejected`] rows and a
//! [`VectorReport`] (see [`crate::input::vector`] for centroids and the HSY mask).
//!
//! Steps: the feature table is the named layer or the only `features` row of
//! `gpkg_contents`; its geometry column and `srs_id` come from
//! `gpkg_geometry_columns`; the CRS from `gpkg_spatial_ref_sys` (organization
//! `EPSG`, `organization_coordsys_id`), reprojected with proj4rs (3879, 3067, 4326
//! and the rest of proj4rs's EPSG table). Geometry blobs are the GeoPackage binary
//! header (magic `GP`, version, flags, srs_id, optional envelope) followed by WKB,
//! parsed by the `wkb` crate. Polygons, multipolygons and points are supported.
//! The file is opened read-only.

use std::path::{Path, PathBuf};

use geo::Geometry;
use geo_traits::to_geo::{ToGeoMultiPolygon, ToGeoPolygon};
use geo_traits::{GeometryTrait, GeometryType, MultiPointTrait, PointTrait};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use crate::base::model::{RawCell, Rejected};
use crate::crs::{EpsgError, Reprojector};
use crate::input::vector::{
    ColumnError, ColumnPlan, FeatureRow, VectorOptions, VectorReport, assemble,
};

/// Errors of the GeoPackage reader. Every variant names the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GpkgError {
    /// The file does not exist or cannot be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not an SQLite database (or SQLite failed).
    #[error("{path}: not a readable SQLite/GeoPackage file: {source}")]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// An SQLite database without the GeoPackage tables.
    #[error("{path}: an SQLite database but not a GeoPackage (no gpkg_contents table)")]
    NotGeoPackage {
        /// The file.
        path: PathBuf,
    },
    /// No feature layer, or the named layer is not one.
    #[error("{path}: no feature layer {wanted}; feature layers: [{available}]")]
    NoSuchLayer {
        /// The file.
        path: PathBuf,
        /// The layer asked for (or "at all").
        wanted: String,
        /// The feature layers present.
        available: String,
    },
    /// Several feature layers and none named.
    #[error("{path}: several feature layers [{available}]; name one (--population-layer)")]
    AmbiguousLayer {
        /// The file.
        path: PathBuf,
        /// The feature layers present.
        available: String,
    },
    /// The layer has no entry in `gpkg_geometry_columns`.
    #[error("{path}: layer {layer:?} has no geometry column (nothing in gpkg_geometry_columns)")]
    NoGeometryColumn {
        /// The file.
        path: PathBuf,
        /// The layer.
        layer: String,
    },
    /// The layer's CRS is not an EPSG code proj4rs knows.
    #[error(
        "{path}: layer {layer:?}: unsupported CRS srs_id {srs_id} ({organization} {code}); set the EPSG code explicitly"
    )]
    UnsupportedCrs {
        /// The file.
        path: PathBuf,
        /// The layer.
        layer: String,
        /// `srs_id` of the geometry column.
        srs_id: i64,
        /// `organization` in `gpkg_spatial_ref_sys` (or "missing").
        organization: String,
        /// `organization_coordsys_id`.
        code: i64,
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
    #[error("{path}: layer {layer:?}: {source}")]
    Column {
        /// The file.
        path: PathBuf,
        /// The layer.
        layer: String,
        /// Which column.
        source: ColumnError,
    },
}

/// Reads a GeoPackage population layer.
///
/// # Errors
/// [`GpkgError`] when the file is not a GeoPackage, has no (unique) feature layer
/// or geometry column, an unsupported CRS, or lacks the population column. Bad
/// features are rejected rows, not errors.
pub fn read_gpkg(
    path: &Path,
    opts: &VectorOptions,
) -> Result<(Vec<RawCell>, Vec<Rejected>, VectorReport), GpkgError> {
    let conn = open_gpkg(path)?;
    let layer = choose_layer(&conn, path, opts)?;
    let (geom_col, srs_id) = geometry_column(&conn, path, &layer)?;
    let reproj = layer_reprojector(&conn, path, &layer, srs_id, opts)?;
    let (plan, query) = column_plan(&conn, path, &layer, &geom_col, opts)?;
    let rows_out = read_rows(&conn, path, &query, plan.value_columns().len())?;
    Ok(assemble(
        &path.display().to_string(),
        &layer,
        rows_out,
        &plan,
        &reproj,
        opts,
    ))
}

/// Wraps a SQLite error with the file it came from.
fn sql_error(path: &Path) -> impl Fn(rusqlite::Error) -> GpkgError + Copy + '_ {
    move |source| GpkgError::Sqlite {
        path: path.to_path_buf(),
        source,
    }
}

/// The file opened read-only, checked to be a GeoPackage.
fn open_gpkg(path: &Path) -> Result<Connection, GpkgError> {
    let sql = sql_error(path);
    // SQLite would create a missing file even read-only in some modes; check first.
    std::fs::metadata(path).map_err(|source| GpkgError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sql)?;
    let has_contents: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type IN ('table','view') AND name = 'gpkg_contents'",
            [],
            |r| r.get(0),
        )
        .map_err(sql)?;
    if has_contents == 0 {
        return Err(GpkgError::NotGeoPackage {
            path: path.to_path_buf(),
        });
    }
    Ok(conn)
}

/// `--population-layer`, or the only feature layer.
fn choose_layer(conn: &Connection, path: &Path, opts: &VectorOptions) -> Result<String, GpkgError> {
    let sql = sql_error(path);
    let layers: Vec<String> = {
        let mut st = conn.prepare("SELECT table_name FROM gpkg_contents WHERE data_type = 'features' ORDER BY table_name").map_err(sql)?;
        st.query_map([], |r| r.get(0))
            .map_err(sql)?
            .collect::<Result<_, _>>()
            .map_err(sql)?
    };
    Ok(match &opts.layer {
        Some(name) => layers
            .iter()
            .find(|l| l.eq_ignore_ascii_case(name))
            .cloned()
            .ok_or_else(|| GpkgError::NoSuchLayer {
                path: path.to_path_buf(),
                wanted: format!("{name:?}"),
                available: layers.join(", "),
            })?,
        None => match layers.as_slice() {
            [one] => one.clone(),
            [] => {
                return Err(GpkgError::NoSuchLayer {
                    path: path.to_path_buf(),
                    wanted: "at all".into(),
                    available: String::new(),
                });
            }
            _ => {
                return Err(GpkgError::AmbiguousLayer {
                    path: path.to_path_buf(),
                    available: layers.join(", "),
                });
            }
        },
    })
}

/// The layer's geometry column and SRS id.
fn geometry_column(
    conn: &Connection,
    path: &Path,
    layer: &str,
) -> Result<(String, i64), GpkgError> {
    let sql = sql_error(path);
    let geom: Option<(String, i64)> = conn
        .query_row(
            "SELECT column_name, srs_id FROM gpkg_geometry_columns WHERE lower(table_name) = lower(?1)",
            [layer],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            // A GeoPackage without the gpkg_geometry_columns table at all.
            rusqlite::Error::SqliteFailure(_, Some(ref m)) if m.contains("no such table") => Ok(None),
            other => Err(other),
        })
        .map_err(sql)?;
    geom.ok_or_else(|| GpkgError::NoGeometryColumn {
        path: path.to_path_buf(),
        layer: layer.to_owned(),
    })
}

/// From the layer's CRS (or `--population-epsg`) to WGS84.
fn layer_reprojector(
    conn: &Connection,
    path: &Path,
    layer: &str,
    srs_id: i64,
    opts: &VectorOptions,
) -> Result<Reprojector, GpkgError> {
    match opts.source_epsg {
        Some(code) => Reprojector::from_epsg(code),
        None => {
            let (organization, code): (String, i64) = conn
                .query_row(
                    "SELECT organization, organization_coordsys_id FROM gpkg_spatial_ref_sys WHERE srs_id = ?1",
                    [srs_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .unwrap_or_else(|_| ("missing".into(), srs_id));
            let unsupported = || GpkgError::UnsupportedCrs {
                path: path.to_path_buf(),
                layer: layer.to_owned(),
                srs_id,
                organization: organization.clone(),
                code,
            };
            if !organization.eq_ignore_ascii_case("EPSG") {
                return Err(unsupported());
            }
            let code = u32::try_from(code).map_err(|_| unsupported())?;
            match Reprojector::from_epsg(code) {
                Err(EpsgError::UnknownCode { .. }) => return Err(unsupported()),
                other => other,
            }
        }
    }
    .map_err(|source| GpkgError::Crs { path: path.to_path_buf(), source })
}

/// Which columns hold the id, population and elderly values, and the query
/// that reads them after the geometry.
fn column_plan(
    conn: &Connection,
    path: &Path,
    layer: &str,
    geom_col: &str,
    opts: &VectorOptions,
) -> Result<(ColumnPlan, String), GpkgError> {
    let sql = sql_error(path);
    let columns: Vec<(String, bool)> = {
        let mut st = conn
            .prepare(&format!("PRAGMA table_info({})", quote(layer)))
            .map_err(sql)?;
        st.query_map([], |r| {
            Ok((r.get::<_, String>(1)?, r.get::<_, i64>(5)? == 1))
        })
        .map_err(sql)?
        .collect::<Result<_, _>>()
        .map_err(sql)?
    };
    let names: Vec<String> = columns
        .iter()
        .map(|(n, _)| n.clone())
        .filter(|n| n != geom_col)
        .collect();
    let col_err = |source| GpkgError::Column {
        path: path.to_path_buf(),
        layer: layer.to_owned(),
        source,
    };
    let mut plan = ColumnPlan::resolve(&names, opts).map_err(col_err)?;
    if plan.id.is_none() {
        plan.id = columns.iter().find(|(_, pk)| *pk).map(|(n, _)| n.clone());
    }
    let value_cols = plan.value_columns();
    let mut select = vec![
        quote(geom_col),
        plan.id.as_deref().map_or_else(|| "NULL".into(), quote),
    ];
    select.extend(value_cols.iter().map(|c| quote(c)));
    let query = format!("SELECT {} FROM {}", select.join(", "), quote(layer));
    Ok((plan, query))
}

/// Every row: geometry blob, id, then the value columns.
fn read_rows(
    conn: &Connection,
    path: &Path,
    query: &str,
    n_values: usize,
) -> Result<Vec<FeatureRow>, GpkgError> {
    let sql = sql_error(path);
    let mut st = conn.prepare(query).map_err(sql)?;
    let mut rows_out = Vec::new();
    let mut rows = st.query([]).map_err(sql)?;
    let mut index = 0;
    while let Some(row) = rows.next().map_err(sql)? {
        let geometry = match row.get_ref(0).map_err(sql)? {
            ValueRef::Blob(b) => parse_gpkg_geometry(b),
            ValueRef::Null => Ok(None),
            _ => Err("geometry is not a blob".to_string()),
        };
        let id = match row.get_ref(1).map_err(sql)? {
            ValueRef::Null => None,
            ValueRef::Integer(i) => Some(i.to_string()),
            ValueRef::Real(f) => Some(f.to_string()),
            ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
        };
        let values = (0..n_values)
            .map(|i| {
                Ok(match row.get_ref(2 + i).map_err(sql)? {
                    ValueRef::Null => Ok(None),
                    #[allow(clippy::cast_precision_loss)]
                    ValueRef::Integer(v) => Ok(Some(v as f64)),
                    ValueRef::Real(v) => Ok(Some(v)),
                    ValueRef::Text(t) => {
                        let s = String::from_utf8_lossy(t);
                        let trimmed = s.trim();
                        if trimmed.is_empty() {
                            Ok(None)
                        } else {
                            trimmed.parse::<f64>().map(Some).map_err(|_| s.into_owned())
                        }
                    }
                    ValueRef::Blob(_) => Err("<blob>".to_string()),
                })
            })
            .collect::<Result<Vec<_>, GpkgError>>()?;
        rows_out.push(FeatureRow {
            index,
            id,
            geometry,
            values,
        });
        index += 1;
    }
    Ok(rows_out)
}

/// An SQL identifier in double quotes, inner quotes doubled.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Parses a GeoPackage geometry blob: `GP`, version, flags, srs_id (i32), envelope
/// (0/32/48/64 bytes by flag bits 1–3), then WKB. `Ok(None)` for an empty geometry.
///
/// # Errors
/// A message for a bad magic, unknown envelope code, extended (non-standard)
/// geometry, truncated blob, bad WKB or an unsupported geometry type.
pub fn parse_gpkg_geometry(blob: &[u8]) -> Result<Option<Geometry<f64>>, String> {
    if blob.len() < 8 || &blob[..2] != b"GP" {
        return Err("not a GeoPackage geometry blob (no GP magic)".into());
    }
    let flags = blob[3];
    if flags & 0x20 != 0 {
        return Err("extended GeoPackage geometry types are not supported".into());
    }
    let envelope = match (flags >> 1) & 0x07 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        code => return Err(format!("invalid envelope code {code}")),
    };
    if flags & 0x10 != 0 {
        return Ok(None);
    }
    let wkb = blob
        .get(8 + envelope..)
        .filter(|w| !w.is_empty())
        .ok_or("truncated geometry blob")?;
    let g = wkb::reader::read_wkb(wkb).map_err(|e| format!("bad WKB: {e}"))?;
    match g.as_type() {
        GeometryType::Point(p) => Ok(p.coord().map(|c| {
            Geometry::Point(geo::Point::new(
                geo_traits::CoordTrait::x(&c),
                geo_traits::CoordTrait::y(&c),
            ))
        })),
        GeometryType::MultiPoint(mp) if mp.num_points() == 1 => {
            let c = mp.points().next().and_then(|p| p.coord());
            Ok(c.map(|c| {
                Geometry::Point(geo::Point::new(
                    geo_traits::CoordTrait::x(&c),
                    geo_traits::CoordTrait::y(&c),
                ))
            }))
        }
        GeometryType::Polygon(p) => Ok(Some(Geometry::Polygon(p.to_polygon()))),
        GeometryType::MultiPolygon(mp) => Ok(Some(Geometry::MultiPolygon(mp.to_multi_polygon()))),
        _ => Err(format!("unsupported geometry type {:?}", g.geometry_type())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_flags() {
        assert!(parse_gpkg_geometry(b"XX\0\0\0\0\0\0").is_err());
        // Empty flag.
        assert_eq!(
            parse_gpkg_geometry(&[b'G', b'P', 0, 0x11, 0, 0, 0, 0]),
            Ok(None)
        );
        // Extended type.
        assert!(
            parse_gpkg_geometry(&[b'G', b'P', 0, 0x21, 0, 0, 0, 0, 1])
                .unwrap_err()
                .contains("extended")
        );
        // Envelope code 5 is invalid; code 1 promises 32 bytes that are not there.
        assert!(parse_gpkg_geometry(&[b'G', b'P', 0, 0x0b, 0, 0, 0, 0]).is_err());
        assert!(parse_gpkg_geometry(&[b'G', b'P', 0, 0x03, 0, 0, 0, 0, 1, 2]).is_err());
    }

    #[test]
    fn point_wkb() {
        let mut blob = vec![b'G', b'P', 0, 0x01, 0xe6, 0x10, 0, 0];
        blob.push(1); // little-endian WKB
        blob.extend_from_slice(&1u32.to_le_bytes());
        blob.extend_from_slice(&24.5f64.to_le_bytes());
        blob.extend_from_slice(&60.25f64.to_le_bytes());
        assert_eq!(
            parse_gpkg_geometry(&blob),
            Ok(Some(Geometry::Point(geo::Point::new(24.5, 60.25))))
        );
        blob.truncate(20);
        assert!(parse_gpkg_geometry(&blob).is_err());
    }
}
