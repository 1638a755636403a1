//! `learncircle.gpkg`: the run's layers in one OGC GeoPackage 1.2 file, for
//! results too large for GeoJSON/CSV (QGIS and GDAL open it directly, with a
//! spatial index).
//!
//! Inputs: [`Layer`]s, each a name, typed [`Column`]s and an iterator of
//! [`Feature`]s (built next to the CSV/GeoJSON writers of the same layer, so the
//! columns and rounding are the same).
//! Output: one SQLite file, written by [`write_gpkg`] with the bundled SQLite of
//! `rusqlite`:
//!
//! * header: `application_id` = `'GPKG'` (0x47504B47), `user_version` = 10200
//!   (GeoPackage 1.2, what GDAL 3.6 writes itself: GDAL 3.6 — Debian 12, QGIS
//!   3.28 LTR — warns "user_version … may only be partially supported" on
//!   anything newer than 1.3, and the content below is the 1.2 one);
//! * `gpkg_spatial_ref_sys`: EPSG:4326 plus the two required undefined rows
//!   (-1 cartesian, 0 geographic);
//! * `gpkg_contents`: one `features` row per layer with its bounds (lon/lat) and
//!   `last_change` — a fixed `1970-01-01T00:00:00.000Z`, or `SOURCE_DATE_EPOCH`
//!   when set, so that the same inputs give a byte-identical file;
//! * `gpkg_geometry_columns`: geometry column `geom`, SRS 4326, no Z/M;
//! * one table per layer: `fid INTEGER PRIMARY KEY AUTOINCREMENT` (1, 2, … in
//!   the order of the features), `geom`, then the typed columns
//!   (`TEXT`/`INTEGER`/`REAL`; `NULL` where the CSV field is empty);
//! * `gpkg_extensions` + `rtree_<layer>_geom`: the `gpkg_rtree_index` extension;
//! * `layer_styles` (when styles are given, [`write_gpkg_styled`]): QGIS's own
//!   style table, registered in `gpkg_contents` as `attributes` as QGIS does,
//!   with one QML per layer ([`super::qgis_style`]); `update_time` = `last_change`.
//!
//! Geometries are GeoPackage binary: `GP`, version 0, flags (little-endian;
//! an `[minx, maxx, miny, maxy]` envelope for every non-point geometry — points
//! carry none, as GDAL writes them, since the envelope would repeat the point;
//! the empty bit for empty geometries), `srs_id` 4326, then little-endian WKB
//! (`Point` or `MultiPolygon`) written by the `wkb` crate (the one the
//! GeoPackage reader already uses).
//!
//! The R-tree is filled directly from the envelopes computed while encoding,
//! in the same transaction as the rows (a plain `INSERT` per feature), and the
//! spec's maintenance triggers (the GeoPackage 1.2 set of Annex F.3: `_insert`,
//! `_update1`–`_update4`, `_delete`) are created only after the fill: they call
//! `ST_IsEmpty`, `ST_MinX`, … which SQLite itself does not define, so they would
//! fail during our own inserts; GDAL/QGIS define those functions, so later edits
//! in QGIS keep the index in step.
//!
//! Speed: one transaction, prepared statements, `journal_mode=OFF` and
//! `synchronous=OFF` — safe because the file is written in the staging
//! directory of [`super::OutputSet`] and renamed into place only when complete
//! (a failed run leaves no partial file).
//!
//! Determinism: nothing in the file depends on the clock, the thread count or
//! the SQLite session (`last_change` is fixed, rows are inserted in a fixed
//! order with explicit `fid`s, pages are written in one pass with no free list),
//! so the same inputs give byte-identical files (checked by a test and by `cmp`).
//!
//! Why hand-rolled tables rather than a GeoPackage crate: the `geopackage` crate
//! (GeoRust, 0.13 at the time of writing) can write features with an R-tree, but
//! it needs Rust 1.95 (this project builds with 1.85), stamps `last_change` with
//! the wall clock (so files would differ from run to run), is pre-1.0 with a
//! fast-moving API, and pulls in further dependencies; the rest of the registry
//! (`gpkg` 0.1, readers only, or single-page writers) is unmaintained or not
//! complete. The part of the specification a writer needs — four metadata
//! tables, the binary geometry header and the R-tree extension — is small and
//! is checked here by tests that read the file back (and by GDAL by hand).

use std::path::{Path, PathBuf};

use geo::MultiPolygon;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ToSql, params};

use super::qgis_style::LayerStyle;

/// The SRS of every layer: WGS84 lon/lat.
pub const SRS_ID: i32 = 4326;
/// Name of the geometry column of every layer.
pub const GEOMETRY_COLUMN: &str = "geom";
/// Name of the primary-key column of every layer.
pub const FID_COLUMN: &str = "fid";
/// `PRAGMA application_id` of a GeoPackage: ASCII `GPKG`.
pub const APPLICATION_ID: i32 = 0x4750_4B47;
/// `PRAGMA user_version` of GeoPackage 1.2 (GDAL 3.6 opens it without a warning).
pub const USER_VERSION: i32 = 10200;

/// Errors while writing a GeoPackage. Every variant names the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GpkgWriteError {
    /// SQLite failed (disk full, permissions, …).
    #[error("{path}: cannot write GeoPackage ({step}): {source}")]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// What was being done.
        step: String,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// A layer that cannot be written as described.
    #[error("{path}: layer {layer:?}: {reason}")]
    Layer {
        /// The file.
        path: PathBuf,
        /// The layer.
        layer: String,
        /// What is wrong (duplicate column, row of the wrong length, …).
        reason: String,
    },
    /// `SOURCE_DATE_EPOCH` is set but not a whole number of seconds.
    #[error("{path}: SOURCE_DATE_EPOCH={value:?} is not a number of seconds since 1970")]
    SourceDateEpoch {
        /// The file.
        path: PathBuf,
        /// The variable's value.
        value: String,
    },
    /// Preparing, syncing or renaming the file failed.
    #[error(transparent)]
    Output(#[from] super::OutputError),
}

/// SQL type of an attribute column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnType {
    /// `TEXT`.
    Text,
    /// `INTEGER` (counts, 0/1 flags).
    Integer,
    /// `REAL` (distances, minutes, populations, coordinates).
    Real,
}

impl ColumnType {
    fn sql(self) -> &'static str {
        match self {
            Self::Text => "TEXT",
            Self::Integer => "INTEGER",
            Self::Real => "REAL",
        }
    }

    /// The value of a CSV field of this type: empty → `NULL`; a number that does
    /// not parse is kept as text (SQLite stores it as written).
    #[must_use]
    pub fn parse(self, field: &str) -> Value {
        if field.is_empty() {
            return Value::Null;
        }
        match self {
            Self::Text => Value::Text(field.to_owned()),
            Self::Integer => field
                .parse()
                .map_or_else(|_| Value::Text(field.to_owned()), Value::Integer),
            Self::Real => field
                .parse()
                .map_or_else(|_| Value::Text(field.to_owned()), Value::Real),
        }
    }
}

/// One attribute column of a layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    /// Column name (any text; quoted in SQL).
    pub name: String,
    /// SQL type.
    pub ty: ColumnType,
}

impl Column {
    /// A column.
    #[must_use]
    pub fn new(name: impl Into<String>, ty: ColumnType) -> Self {
        Self {
            name: name.into(),
            ty,
        }
    }
}

/// One attribute value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `NULL` (e.g. nothing in reach).
    Null,
    /// An integer.
    Integer(i64),
    /// A float (`NaN` is stored as `NULL` by SQLite).
    Real(f64),
    /// Text.
    Text(String),
}

impl ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Self::Null => ValueRef::Null,
            Self::Integer(i) => ValueRef::Integer(*i),
            Self::Real(f) => ValueRef::Real(*f),
            Self::Text(s) => ValueRef::Text(s.as_bytes()),
        }))
    }
}

/// A feature's geometry (WGS84 lon/lat).
#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    /// A point (cells without a polygon).
    Point(f64, f64),
    /// Polygons (cells, units, gap zones, service areas).
    MultiPolygon(MultiPolygon<f64>),
}

/// Declared geometry type of a layer (`gpkg_geometry_columns.geometry_type_name`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GeometryType {
    /// Every feature is a point.
    Point,
    /// Every feature is a multipolygon.
    MultiPolygon,
    /// Mixed.
    Geometry,
}

impl GeometryType {
    fn name(self) -> &'static str {
        match self {
            Self::Point => "POINT",
            Self::MultiPolygon => "MULTIPOLYGON",
            Self::Geometry => "GEOMETRY",
        }
    }
}

/// One row of a layer.
#[derive(Clone, Debug, PartialEq)]
pub struct Feature {
    /// Geometry (`None` → SQL `NULL`, not indexed).
    pub shape: Option<Shape>,
    /// One value per [`Layer::columns`] entry.
    pub values: Vec<Value>,
}

/// A feature layer: a table of `learncircle.gpkg`.
pub struct Layer<'a> {
    /// Table name (also `identifier` in `gpkg_contents`).
    pub name: String,
    /// `gpkg_contents.description`.
    pub description: String,
    /// Declared geometry type.
    pub geometry_type: GeometryType,
    /// Attribute columns, in order (after `fid` and `geom`).
    pub columns: Vec<Column>,
    /// The rows, in the order they get their `fid` (1, 2, …).
    pub features: Box<dyn Iterator<Item = Feature> + 'a>,
}

impl std::fmt::Debug for Layer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Layer")
            .field("name", &self.name)
            .field("geometry_type", &self.geometry_type)
            .field("columns", &self.columns)
            .finish_non_exhaustive()
    }
}

/// Bounding box `[min_x, max_x, min_y, max_y]` (the GeoPackage envelope order).
type Envelope = [f64; 4];

fn grow(env: &mut Option<Envelope>, x: f64, y: f64) {
    match env {
        Some(e) => {
            e[0] = e[0].min(x);
            e[1] = e[1].max(x);
            e[2] = e[2].min(y);
            e[3] = e[3].max(y);
        }
        None => *env = Some([x, x, y, y]),
    }
}

fn union(a: &mut Option<Envelope>, b: Envelope) {
    grow(a, b[0], b[2]);
    grow(a, b[1], b[3]);
}

fn push_f64(buf: &mut Vec<u8>, v: f64) {
    buf.extend_from_slice(&v.to_le_bytes());
}

/// The envelope of a shape (`None` when it has no coordinate).
fn envelope(shape: &Shape) -> Option<Envelope> {
    let mut env = None;
    match shape {
        Shape::Point(x, y) => grow(&mut env, *x, *y),
        Shape::MultiPolygon(mp) => {
            for p in &mp.0 {
                for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
                    for c in &ring.0 {
                        grow(&mut env, c.x, c.y);
                    }
                }
            }
        }
    }
    env
}

/// Appends the little-endian WKB of a shape to `buf`.
fn wkb(shape: &Shape, buf: &mut Vec<u8>) {
    let options = wkb::writer::WriteOptions {
        endianness: wkb::Endianness::LittleEndian,
    };
    // Writing into a Vec cannot fail for I/O reasons; the only other failure is
    // a count above u32::MAX, which no cell, zone or unit comes near.
    let written = match shape {
        Shape::Point(x, y) => wkb::writer::write_point(buf, &geo::Point::new(*x, *y), &options),
        Shape::MultiPolygon(mp) => wkb::writer::write_multi_polygon(buf, mp, &options),
    };
    debug_assert!(written.is_ok(), "WKB of an in-memory geometry: {written:?}");
}

/// GeoPackage binary geometry (header + WKB) of a shape, and its envelope.
///
/// Flags: bit 0 = little-endian; bits 1–3 = envelope code 1 (`[minx, maxx, miny,
/// maxy]`, 32 bytes) for non-point geometries, 0 for points; bit 4 = empty.
#[must_use]
pub fn encode_geometry(shape: &Shape) -> (Vec<u8>, Option<Envelope>) {
    let mut body = Vec::with_capacity(64);
    wkb(shape, &mut body);
    let env = envelope(shape);
    let with_envelope = env.is_some() && !matches!(shape, Shape::Point(..));
    let mut flags: u8 = 0x01;
    if with_envelope {
        flags |= 0x02;
    }
    if env.is_none() {
        flags |= 0x10;
    }
    let mut out = Vec::with_capacity(8 + 32 + body.len());
    out.extend_from_slice(b"GP");
    out.push(0);
    out.push(flags);
    out.extend_from_slice(&SRS_ID.to_le_bytes());
    if let (true, Some(e)) = (with_envelope, env) {
        for v in e {
            push_f64(&mut out, v);
        }
    }
    out.extend_from_slice(&body);
    (out, env)
}

/// An SQL identifier in double quotes, inner quotes doubled.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `gpkg_contents.last_change`: `SOURCE_DATE_EPOCH` when set, else 1970-01-01.
fn last_change_epoch(path: &Path) -> Result<i64, GpkgWriteError> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) => v
            .trim()
            .parse::<i64>()
            .map_err(|_| GpkgWriteError::SourceDateEpoch {
                path: path.into(),
                value: v,
            }),
        Err(_) => Ok(0),
    }
}

const CORE_DDL: &str = "
CREATE TABLE gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL PRIMARY KEY,
  organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL,
  definition TEXT NOT NULL,
  description TEXT
);
CREATE TABLE gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY,
  data_type TEXT NOT NULL,
  identifier TEXT UNIQUE,
  description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE,
  min_y DOUBLE,
  max_x DOUBLE,
  max_y DOUBLE,
  srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id)
);
CREATE TABLE gpkg_geometry_columns (
  table_name TEXT NOT NULL,
  column_name TEXT NOT NULL,
  geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL,
  z TINYINT NOT NULL,
  m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id)
);
CREATE TABLE gpkg_extensions (
  table_name TEXT,
  column_name TEXT,
  extension_name TEXT NOT NULL,
  definition TEXT NOT NULL,
  scope TEXT NOT NULL,
  CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name)
);
INSERT INTO gpkg_spatial_ref_sys VALUES (
  'Undefined cartesian SRS', -1, 'NONE', -1, 'undefined',
  'undefined cartesian coordinate reference system');
INSERT INTO gpkg_spatial_ref_sys VALUES (
  'Undefined geographic SRS', 0, 'NONE', 0, 'undefined',
  'undefined geographic coordinate reference system');
INSERT INTO gpkg_spatial_ref_sys VALUES (
  'WGS 84 geodetic', 4326, 'EPSG', 4326,
  'GEOGCS[\"WGS 84\",DATUM[\"WGS_1984\",SPHEROID[\"WGS 84\",6378137,298.257223563,AUTHORITY[\"EPSG\",\"7030\"]],AUTHORITY[\"EPSG\",\"6326\"]],PRIMEM[\"Greenwich\",0,AUTHORITY[\"EPSG\",\"8901\"]],UNIT[\"degree\",0.0174532925199433,AUTHORITY[\"EPSG\",\"9122\"]],AUTHORITY[\"EPSG\",\"4326\"]]',
  'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid');
";

/// `gpkg_extensions.definition` of the R-tree extension (the 1.3 spec keeps the
/// 1.2 anchor).
const RTREE_DEFINITION: &str = "http://www.geopackage.org/spec120/#extension_rtree";

/// The GeoPackage 1.2 R-tree maintenance triggers (Annex F.3: `insert`,
/// `update1`–`update4`, `delete`; what GDAL 3.6's validator checks) for table `t`, geometry `c`,
/// key `i` (identifiers already quoted; `r` = the quoted R-tree table, `n` = the
/// unquoted `rtree_<t>_<c>` prefix for trigger names).
fn rtree_triggers(t: &str, c: &str, i: &str, r: &str, n: &str) -> String {
    let tr = |suffix: &str| quote(&format!("{n}_{suffix}"));
    let values =
        format!("NEW.{i}, ST_MinX(NEW.{c}), ST_MaxX(NEW.{c}), ST_MinY(NEW.{c}), ST_MaxY(NEW.{c})");
    format!(
        "CREATE TRIGGER {insert} AFTER INSERT ON {t}
  WHEN (NEW.{c} NOT NULL AND NOT ST_IsEmpty(NEW.{c}))
BEGIN
  INSERT OR REPLACE INTO {r} VALUES ({values});
END;
CREATE TRIGGER {update1} AFTER UPDATE OF {c} ON {t}
  WHEN OLD.{i} = NEW.{i} AND (NEW.{c} NOTNULL AND NOT ST_IsEmpty(NEW.{c}))
BEGIN
  INSERT OR REPLACE INTO {r} VALUES ({values});
END;
CREATE TRIGGER {update2} AFTER UPDATE OF {c} ON {t}
  WHEN OLD.{i} = NEW.{i} AND (NEW.{c} ISNULL OR ST_IsEmpty(NEW.{c}))
BEGIN
  DELETE FROM {r} WHERE id = OLD.{i};
END;
CREATE TRIGGER {update3} AFTER UPDATE ON {t}
  WHEN OLD.{i} != NEW.{i} AND (NEW.{c} NOTNULL AND NOT ST_IsEmpty(NEW.{c}))
BEGIN
  DELETE FROM {r} WHERE id = OLD.{i};
  INSERT OR REPLACE INTO {r} VALUES ({values});
END;
CREATE TRIGGER {update4} AFTER UPDATE ON {t}
  WHEN OLD.{i} != NEW.{i} AND (NEW.{c} ISNULL OR ST_IsEmpty(NEW.{c}))
BEGIN
  DELETE FROM {r} WHERE id IN (OLD.{i}, NEW.{i});
END;
CREATE TRIGGER {delete} AFTER DELETE ON {t}
  WHEN OLD.{c} NOT NULL
BEGIN
  DELETE FROM {r} WHERE id = OLD.{i};
END;
",
        insert = tr("insert"),
        update1 = tr("update1"),
        update2 = tr("update2"),
        update3 = tr("update3"),
        update4 = tr("update4"),
        delete = tr("delete"),
    )
}

/// Writes `layers` as a new GeoPackage at `path` (an existing file there is
/// replaced). Errors name `shown` (the final path when `path` is a staging file).
///
/// # Errors
/// [`GpkgWriteError`] when SQLite fails, a layer repeats a column name (SQLite
/// compares names case-insensitively) or uses `fid`/`geom`, a feature has the
/// wrong number of values, or `SOURCE_DATE_EPOCH` is not a number. The file is
/// removed again on error.
pub fn write_gpkg_as(
    path: &Path,
    shown: &Path,
    layers: Vec<Layer<'_>>,
) -> Result<(), GpkgWriteError> {
    write_gpkg_styled(path, shown, layers, &[])
}

/// [`write_gpkg_as`] plus QGIS's `layer_styles` table holding `styles` (none:
/// no table).
///
/// # Errors
/// As [`write_gpkg_as`].
pub fn write_gpkg_styled(
    path: &Path,
    shown: &Path,
    layers: Vec<Layer<'_>>,
    styles: &[LayerStyle],
) -> Result<(), GpkgWriteError> {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => {
            return Err(super::OutputError::Io {
                path: shown.into(),
                source,
            }
            .into());
        }
    }
    let result = write_new(path, shown, layers, styles);
    if result.is_err() {
        let _ = std::fs::remove_file(path);
    }
    result
}

/// [`write_gpkg_as`] with errors naming `path` itself.
///
/// # Errors
/// As [`write_gpkg_as`].
pub fn write_gpkg(path: &Path, layers: Vec<Layer<'_>>) -> Result<(), GpkgWriteError> {
    write_gpkg_as(path, path, layers)
}

fn write_new(
    path: &Path,
    shown: &Path,
    layers: Vec<Layer<'_>>,
    styles: &[LayerStyle],
) -> Result<(), GpkgWriteError> {
    let epoch = last_change_epoch(shown)?;
    let sql = |step: &str| {
        let step = step.to_owned();
        move |source| GpkgWriteError::Sqlite {
            path: shown.into(),
            step,
            source,
        }
    };
    let conn = Connection::open(path).map_err(sql("creating the file"))?;
    // The file is private to this run until it is renamed into place, so no
    // journal and no fsync inside SQLite (the whole file is synced afterwards).
    conn.execute_batch(&format!(
        "PRAGMA page_size = 4096;
         PRAGMA journal_mode = OFF;
         PRAGMA synchronous = OFF;
         PRAGMA locking_mode = EXCLUSIVE;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -262144;
         PRAGMA application_id = {APPLICATION_ID};
         PRAGMA user_version = {USER_VERSION};
         BEGIN;"
    ))
    .map_err(sql("setting up the file"))?;
    conn.execute_batch(CORE_DDL)
        .map_err(sql("creating the GeoPackage tables"))?;
    let last_change: String = conn
        .query_row(
            "SELECT strftime('%Y-%m-%dT%H:%M:%fZ', ?1, 'unixepoch')",
            [epoch],
            |r| r.get(0),
        )
        .map_err(sql("formatting last_change"))?;
    for layer in layers {
        write_layer(&conn, shown, layer, &last_change)?;
    }
    if !styles.is_empty() {
        write_styles(&conn, styles, &last_change).map_err(sql("writing layer_styles"))?;
    }
    conn.execute_batch("COMMIT;").map_err(sql("committing"))?;
    conn.close().map_err(|(_, e)| sql("closing")(e))?;
    let file = std::fs::File::open(path).map_err(|source| super::OutputError::Io {
        path: shown.into(),
        source,
    })?;
    file.sync_all().map_err(|source| super::OutputError::Io {
        path: shown.into(),
        source,
    })?;
    Ok(())
}

/// QGIS's `layer_styles` table (the definition GDAL gives it when QGIS saves
/// a style into a GeoPackage), registered as an `attributes` table, one row
/// per style in the given order.
fn write_styles(
    conn: &Connection,
    styles: &[LayerStyle],
    last_change: &str,
) -> rusqlite::Result<()> {
    conn.execute_batch(LAYER_STYLES_DDL)?;
    conn.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, \
         last_change, srs_id) VALUES ('layer_styles', 'attributes', 'layer_styles', '', ?1, 0)",
        params![last_change],
    )?;
    let mut insert = conn.prepare(
        "INSERT INTO layer_styles (id, f_table_catalog, f_table_schema, f_table_name, \
         f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, owner, \
         ui, update_time) VALUES (?1, '', '', ?2, ?3, ?4, ?5, '', ?6, ?7, '', NULL, ?8)",
    )?;
    for (i, s) in styles.iter().enumerate() {
        insert.execute(params![
            i64::try_from(i + 1).unwrap_or(i64::MAX),
            s.table,
            GEOMETRY_COLUMN,
            s.name,
            s.qml,
            s.default,
            s.description,
            last_change
        ])?;
    }
    Ok(())
}

const LAYER_STYLES_DDL: &str = "CREATE TABLE \"layer_styles\" ( \
\"id\" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, \"f_table_catalog\" TEXT(256), \
\"f_table_schema\" TEXT(256), \"f_table_name\" TEXT(256), \"f_geometry_column\" TEXT(256), \
\"styleName\" TEXT(30), \"styleQML\" TEXT, \"styleSLD\" TEXT, \"useAsDefault\" BOOLEAN, \
\"description\" TEXT, \"owner\" TEXT(30), \"ui\" TEXT(30), \
\"update_time\" DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')));";

fn write_layer(
    conn: &Connection,
    shown: &Path,
    layer: Layer<'_>,
    last_change: &str,
) -> Result<(), GpkgWriteError> {
    check_column_names(shown, &layer)?;
    let names = TableNames::of(&layer.name);
    create_layer_tables(conn, shown, &layer, &names)?;
    let bounds = insert_features(
        conn,
        shown,
        layer.features,
        &layer.name,
        &layer.columns,
        &names,
    )?;
    let head = LayerHead {
        name: &layer.name,
        description: &layer.description,
        geometry_type: layer.geometry_type,
        last_change,
    };
    register_layer(conn, shown, &head, bounds, &names)
}

/// What gpkg_contents and gpkg_geometry_columns say about a layer.
struct LayerHead<'a> {
    name: &'a str,
    description: &'a str,
    geometry_type: GeometryType,
    last_change: &'a str,
}

/// Quoted SQL names of a layer's table, id and geometry columns and R-tree.
struct TableNames {
    t: String,
    i: String,
    c: String,
    r: String,
    rtree_name: String,
}

impl TableNames {
    fn of(name: &str) -> Self {
        let rtree_name = format!("rtree_{name}_{GEOMETRY_COLUMN}");
        Self {
            t: quote(name),
            i: quote(FID_COLUMN),
            c: quote(GEOMETRY_COLUMN),
            r: quote(&rtree_name),
            rtree_name,
        }
    }
}

/// No column name twice (case-insensitively, the id and geometry columns included).
fn check_column_names(shown: &Path, layer: &Layer<'_>) -> Result<(), GpkgWriteError> {
    let mut seen = std::collections::HashSet::new();
    for c in std::iter::once(FID_COLUMN)
        .chain(std::iter::once(GEOMETRY_COLUMN))
        .chain(layer.columns.iter().map(|c| c.name.as_str()))
    {
        if !seen.insert(c.to_lowercase()) {
            return Err(GpkgWriteError::Layer {
                path: shown.into(),
                layer: layer.name.clone(),
                reason: format!("column name {c:?} is used twice"),
            });
        }
    }
    Ok(())
}

/// The feature table and its R-tree.
fn create_layer_tables(
    conn: &Connection,
    shown: &Path,
    layer: &Layer<'_>,
    n: &TableNames,
) -> Result<(), GpkgWriteError> {
    let sql = |step: String| {
        move |source| GpkgWriteError::Sqlite {
            path: shown.into(),
            step,
            source,
        }
    };
    let (name, columns, geometry_type) = (&layer.name, &layer.columns, layer.geometry_type);
    let (t, i, c, r) = (&n.t, &n.i, &n.c, &n.r);
    let mut ddl = format!(
        "CREATE TABLE {t} (\n  {i} INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,\n  {c} {}",
        geometry_type.name()
    );
    for col in columns {
        ddl.push_str(&format!(",\n  {} {}", quote(&col.name), col.ty.sql()));
    }
    ddl.push_str("\n);\n");
    ddl.push_str(&format!(
        "CREATE VIRTUAL TABLE {r} USING rtree(id, minx, maxx, miny, maxy);"
    ));
    conn.execute_batch(&ddl)
        .map_err(sql(format!("creating table {name}")))?;

    Ok(())
}

/// Every feature and its R-tree entry; returns the layer's bounds.
fn insert_features(
    conn: &Connection,
    shown: &Path,
    features: Box<dyn Iterator<Item = Feature> + '_>,
    name: &str,
    columns: &[Column],
    n: &TableNames,
) -> Result<Option<Envelope>, GpkgWriteError> {
    let sql = |step: String| {
        move |source| GpkgWriteError::Sqlite {
            path: shown.into(),
            step,
            source,
        }
    };
    let bad = |reason: String| GpkgWriteError::Layer {
        path: shown.into(),
        layer: name.to_owned(),
        reason,
    };
    let (t, i, c, r, rtree_name) = (&n.t, &n.i, &n.c, &n.r, &n.rtree_name);
    let placeholders: Vec<String> = (1..=columns.len() + 2).map(|k| format!("?{k}")).collect();
    let names: Vec<String> = [i.clone(), c.clone()]
        .into_iter()
        .chain(columns.iter().map(|col| quote(&col.name)))
        .collect();
    let mut insert = conn
        .prepare(&format!(
            "INSERT INTO {t} ({}) VALUES ({})",
            names.join(", "),
            placeholders.join(", ")
        ))
        .map_err(sql(format!("preparing inserts into {name}")))?;
    let mut index = conn
        .prepare(&format!("INSERT INTO {r} VALUES (?1, ?2, ?3, ?4, ?5)"))
        .map_err(sql(format!("preparing inserts into {rtree_name}")))?;
    let mut bounds: Option<Envelope> = None;
    let mut entries: Vec<(i64, Envelope)> = Vec::new();
    let mut fid: i64 = 0;
    for f in features {
        fid += 1;
        if f.values.len() != columns.len() {
            return Err(bad(format!(
                "feature {fid} has {} values for {} columns",
                f.values.len(),
                columns.len()
            )));
        }
        let (blob, env) = match &f.shape {
            Some(s) => {
                let (b, e) = encode_geometry(s);
                (Some(b), e)
            }
            None => (None, None),
        };
        let args = [&fid as &dyn ToSql, &blob]
            .into_iter()
            .chain(f.values.iter().map(|v| v as &dyn ToSql));
        insert
            .execute(rusqlite::params_from_iter(args))
            .map_err(sql(format!("inserting feature {fid} into {name}")))?;
        if let Some(e) = env {
            entries.push((fid, e));
            union(&mut bounds, e);
        }
    }
    drop(insert);
    if let Some(b) = bounds {
        // Filled after the rows, in Hilbert order of the envelopes' centres: each
        // insert then lands next to the previous one in the tree.
        entries.sort_by_cached_key(|&(fid, e)| (hilbert_key(e, b), fid));
    }
    for (fid, e) in entries {
        index
            .execute(params![fid, e[0], e[1], e[2], e[3]])
            .map_err(sql(format!("indexing feature {fid} of {name}")))?;
    }
    drop(index);

    Ok(bounds)
}

/// Position of the envelope's centre along a Hilbert curve over `bounds`
/// (2^16 × 2^16 steps).
fn hilbert_key(e: Envelope, bounds: Envelope) -> u64 {
    const SIDE: f64 = 65_535.0;
    let step = |v: f64, lo: f64, hi: f64| -> u64 {
        let t = if hi > lo { (v - lo) / (hi - lo) } else { 0.0 };
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // clamped to 0..=SIDE
        let k = (t.clamp(0.0, 1.0) * SIDE).round() as u64;
        k
    };
    let (mut x, mut y) = (
        step(0.5 * (e[0] + e[1]), bounds[0], bounds[1]),
        step(0.5 * (e[2] + e[3]), bounds[2], bounds[3]),
    );
    let n = 1u64 << 16;
    let mut d = 0;
    let mut s = n / 2;
    while s > 0 {
        let (rx, ry) = (u64::from(x & s > 0), u64::from(y & s > 0));
        d += s * s * ((3 * rx) ^ ry);
        if ry == 0 {
            if rx == 1 {
                (x, y) = (n - 1 - x, n - 1 - y);
            }
            (x, y) = (y, x);
        }
        s /= 2;
    }
    d
}

/// The layer in gpkg_contents, gpkg_geometry_columns and gpkg_extensions, and
/// the triggers that keep its R-tree current.
fn register_layer(
    conn: &Connection,
    shown: &Path,
    head: &LayerHead<'_>,
    bounds: Option<Envelope>,
    n: &TableNames,
) -> Result<(), GpkgWriteError> {
    let (name, description, geometry_type, last_change) = (
        head.name,
        head.description,
        head.geometry_type,
        head.last_change,
    );
    let sql = |step: String| {
        move |source| GpkgWriteError::Sqlite {
            path: shown.into(),
            step,
            source,
        }
    };
    let b = |k: usize| bounds.map(|e| e[k]);
    conn.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, \
         last_change, min_x, min_y, max_x, max_y, srs_id) \
         VALUES (?1, 'features', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            name,
            description,
            last_change,
            b(0),
            b(2),
            b(1),
            b(3),
            SRS_ID
        ],
    )
    .map_err(sql(format!("registering {name} in gpkg_contents")))?;
    conn.execute(
        "INSERT INTO gpkg_geometry_columns VALUES (?1, ?2, ?3, ?4, 0, 0)",
        params![name, GEOMETRY_COLUMN, geometry_type.name(), SRS_ID],
    )
    .map_err(sql(format!("registering {name} in gpkg_geometry_columns")))?;
    conn.execute(
        "INSERT INTO gpkg_extensions VALUES (?1, ?2, 'gpkg_rtree_index', ?3, 'write-only')",
        params![name, GEOMETRY_COLUMN, RTREE_DEFINITION],
    )
    .map_err(sql(format!("registering the R-tree of {name}")))?;
    conn.execute_batch(&rtree_triggers(&n.t, &n.c, &n.i, &n.r, &n.rtree_name))
        .map_err(sql(format!("creating the R-tree triggers of {name}")))?;
    Ok(())
}

/// The `service_areas` layer: the features of `service_areas.geojson` (one per
/// category: `category`, `threshold_m`, `buffer_m`, `area_km2` rounded to 1e-4,
/// `method`), from `(category, threshold_m, area, km²)` rows.
#[must_use]
pub fn service_areas_layer(
    areas: &[(String, f64, MultiPolygon<f64>, f64)],
    buffer_m: f64,
    method: String,
) -> Layer<'_> {
    let features = areas
        .iter()
        .map(move |(name, threshold_m, mp, km2)| Feature {
            shape: Some(Shape::MultiPolygon(mp.clone())),
            values: vec![
                Value::Text(name.clone()),
                Value::Real(*threshold_m),
                Value::Real(buffer_m),
                Value::Real((km2 * 1e4).round() / 1e4),
                Value::Text(method.clone()),
            ],
        });
    Layer {
        name: "service_areas".into(),
        description: "learncircle: walk-shed of each category's sites".into(),
        geometry_type: GeometryType::MultiPolygon,
        columns: vec![
            Column::new("category", ColumnType::Text),
            Column::new("threshold_m", ColumnType::Real),
            Column::new("buffer_m", ColumnType::Real),
            Column::new("area_km2", ColumnType::Real),
            Column::new("method", ColumnType::Text),
        ],
        features: Box::new(features),
    }
}

#[cfg(test)]
#[path = "gpkg_tests.rs"]
mod tests;
