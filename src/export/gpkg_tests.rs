//! Unit tests of the GeoPackage writer: geometry encoding (checked with the `wkb`
//! crate and the project's own reader) and the file layout on a tiny layer.

use geo::{LineString, MultiPolygon, Polygon, polygon};
use geo_traits::to_geo::ToGeoGeometry;
use rusqlite::Connection;

use super::*;

fn square(x: f64, y: f64, d: f64) -> Polygon<f64> {
    polygon![(x: x, y: y), (x: x + d, y: y), (x: x + d, y: y + d), (x: x, y: y + d), (x: x, y: y)]
}

/// Parses the header by hand and the WKB with the `wkb` crate.
fn decode(blob: &[u8]) -> (u8, Option<[f64; 4]>, geo::Geometry<f64>) {
    assert_eq!(&blob[..3], b"GP\0", "magic and version 0");
    let flags = blob[3];
    assert_eq!(flags & 0x01, 1, "little-endian");
    assert_eq!(i32::from_le_bytes(blob[4..8].try_into().unwrap()), 4326);
    let (env, rest) = match (flags >> 1) & 0x07 {
        0 => (None, &blob[8..]),
        1 => {
            let f = |k: usize| f64::from_le_bytes(blob[8 + 8 * k..16 + 8 * k].try_into().unwrap());
            (Some([f(0), f(1), f(2), f(3)]), &blob[40..])
        }
        code => panic!("unexpected envelope code {code}"),
    };
    assert_eq!(rest[0], 1, "WKB little-endian");
    let g = wkb::reader::read_wkb(rest).unwrap().to_geometry();
    (flags, env, g)
}

#[test]
fn point_has_no_envelope_and_round_trips() {
    let (blob, env) = encode_geometry(&Shape::Point(121.503_456, 31.301_234));
    assert_eq!(
        env,
        Some([121.503_456, 121.503_456, 31.301_234, 31.301_234])
    );
    assert_eq!(blob.len(), 8 + 21);
    let (flags, header_env, g) = decode(&blob);
    assert_eq!(flags, 0x01);
    assert_eq!(header_env, None);
    assert_eq!(
        g,
        geo::Geometry::Point(geo::Point::new(121.503_456, 31.301_234))
    );
    // The project's own GeoPackage reader agrees.
    assert_eq!(crate::input::gpkg::parse_gpkg_geometry(&blob), Ok(Some(g)));
}

#[test]
fn multipolygon_with_hole_round_trips_with_envelope() {
    let mut outer = square(10.0, 20.0, 4.0);
    outer.interiors_push(LineString::from(vec![
        (11.0, 21.0),
        (11.0, 22.0),
        (12.0, 22.0),
        (11.0, 21.0),
    ]));
    let mp = MultiPolygon(vec![outer, square(-3.0, 25.0, 1.0)]);
    let (blob, env) = encode_geometry(&Shape::MultiPolygon(mp.clone()));
    assert_eq!(env, Some([-3.0, 14.0, 20.0, 26.0]));
    let (flags, header_env, g) = decode(&blob);
    assert_eq!(flags, 0x03, "little-endian + envelope code 1");
    assert_eq!(header_env, env);
    assert_eq!(g, geo::Geometry::MultiPolygon(mp.clone()));
    assert_eq!(
        crate::input::gpkg::parse_gpkg_geometry(&blob),
        Ok(Some(geo::Geometry::MultiPolygon(mp)))
    );
}

#[test]
fn empty_multipolygon_sets_the_empty_flag() {
    let (blob, env) = encode_geometry(&Shape::MultiPolygon(MultiPolygon(vec![])));
    assert_eq!(env, None);
    let (flags, header_env, g) = decode(&blob);
    assert_eq!(flags, 0x11);
    assert_eq!(header_env, None);
    assert_eq!(g, geo::Geometry::MultiPolygon(MultiPolygon(vec![])));
}

#[test]
fn csv_fields_parse_to_typed_values() {
    assert_eq!(ColumnType::Real.parse(""), Value::Null);
    assert_eq!(ColumnType::Real.parse("12.5"), Value::Real(12.5));
    assert_eq!(ColumnType::Integer.parse("3"), Value::Integer(3));
    assert_eq!(ColumnType::Text.parse("3"), Value::Text("3".into()));
    assert_eq!(ColumnType::Integer.parse("x"), Value::Text("x".into()));
}

fn tiny_layer(n: usize) -> Layer<'static> {
    Layer {
        name: "cells".into(),
        description: "test cells".into(),
        geometry_type: GeometryType::Point,
        columns: vec![
            Column::new("cell_id", ColumnType::Text),
            Column::new("dist_m", ColumnType::Real),
            Column::new("covered", ColumnType::Integer),
        ],
        features: Box::new((0..n).map(|k| {
            #[allow(clippy::cast_precision_loss)]
            let x = k as f64;
            Feature {
                shape: Some(Shape::Point(x, 2.0 * x)),
                values: vec![
                    Value::Text(format!("c{k}")),
                    if k % 3 == 0 {
                        Value::Null
                    } else {
                        Value::Real(x * 10.5)
                    },
                    Value::Integer(i64::from(k % 2 == 0)),
                ],
            }
        })),
    }
}

fn polygons_layer() -> Layer<'static> {
    Layer {
        name: "gaps".into(),
        description: "zones".into(),
        geometry_type: GeometryType::MultiPolygon,
        columns: vec![Column::new("gap_id", ColumnType::Text)],
        features: Box::new(
            vec![
                Feature {
                    shape: Some(Shape::MultiPolygon(MultiPolygon(vec![square(
                        1.0, 1.0, 2.0,
                    )]))),
                    values: vec![Value::Text("a".into())],
                },
                Feature {
                    shape: Some(Shape::MultiPolygon(MultiPolygon(vec![]))),
                    values: vec![Value::Text("empty".into())],
                },
            ]
            .into_iter(),
        ),
    }
}

#[test]
fn tiny_file_has_the_geopackage_layout() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.gpkg");
    write_gpkg(&path, vec![tiny_layer(10), polygons_layer()]).unwrap();
    let conn = Connection::open(&path).unwrap();
    let pragma = |p: &str| -> i64 {
        conn.query_row(&format!("PRAGMA {p}"), [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(pragma("application_id"), 0x4750_4B47);
    assert_eq!(pragma("user_version"), 10200);
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    let rtree_ok: String = conn
        .query_row("SELECT rtreecheck('rtree_cells_geom')", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rtree_ok, "ok");
    let srs: Vec<i64> = conn
        .prepare("SELECT srs_id FROM gpkg_spatial_ref_sys ORDER BY srs_id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(srs, [-1, 0, 4326]);
    let (dt, last, minx, maxy): (String, String, f64, f64) = conn
        .query_row(
            "SELECT data_type, last_change, min_x, max_y FROM gpkg_contents WHERE table_name = 'cells'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(dt, "features");
    if std::env::var_os("SOURCE_DATE_EPOCH").is_none() {
        assert_eq!(last, "1970-01-01T00:00:00.000Z");
    }
    assert_eq!((minx, maxy), (0.0, 18.0));
    let gtype: String = conn
        .query_row(
            "SELECT geometry_type_name FROM gpkg_geometry_columns WHERE table_name = 'gaps' AND column_name = 'geom' AND srs_id = 4326",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(gtype, "MULTIPOLYGON");
    let ext: i64 = conn
        .query_row(
            "SELECT count(*) FROM gpkg_extensions WHERE extension_name = 'gpkg_rtree_index' AND column_name = 'geom' AND scope = 'write-only'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(ext, 2);
    let triggers: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'cells'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        triggers, 6,
        "GeoPackage 1.2 R-tree triggers: insert, update1–4, delete"
    );
    // Rows in order, typed, NULL where nothing was given.
    let rows: Vec<(i64, String, Option<f64>, i64)> = conn
        .prepare("SELECT fid, cell_id, dist_m, covered FROM cells ORDER BY fid")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows.len(), 10);
    assert_eq!(rows[0], (1, "c0".into(), None, 1));
    assert_eq!(rows[4], (5, "c4".into(), Some(42.0), 1));
    let typeof_dist: String = conn
        .query_row("SELECT typeof(dist_m) FROM cells WHERE fid = 2", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(typeof_dist, "real");
    // The R-tree: a box around x ∈ [2.5, 5.5] holds cells 3, 4, 5 (fid 4, 5, 6).
    let hits: Vec<i64> = conn
        .prepare("SELECT id FROM rtree_cells_geom WHERE maxx >= 2.5 AND minx <= 5.5 AND maxy >= 0 AND miny <= 100 ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(hits, [4, 5, 6]);
    // The empty zone is stored but not indexed; the layer bounds ignore it.
    let n: (i64, i64) = conn
        .query_row(
            "SELECT (SELECT count(*) FROM gaps), (SELECT count(*) FROM rtree_gaps_geom)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(n, (2, 1));
}

#[test]
fn same_layers_give_identical_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.gpkg"), dir.path().join("b.gpkg"));
    write_gpkg(&a, vec![tiny_layer(500), polygons_layer()]).unwrap();
    write_gpkg(&b, vec![tiny_layer(500), polygons_layer()]).unwrap();
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
}

#[test]
fn bad_layers_are_errors_and_leave_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.gpkg");
    let mut dup = tiny_layer(2);
    dup.columns.push(Column::new("Cell_ID", ColumnType::Text));
    let e = write_gpkg(&path, vec![dup]).unwrap_err();
    assert!(e.to_string().contains("used twice"), "{e}");
    assert!(e.to_string().contains("bad.gpkg"), "{e}");
    assert!(!path.exists());

    let mut short = tiny_layer(2);
    short.features = Box::new(std::iter::once(Feature {
        shape: None,
        values: vec![Value::Null],
    }));
    let e = write_gpkg(&path, vec![short]).unwrap_err();
    assert!(e.to_string().contains("1 values for 3 columns"), "{e}");
    assert!(!path.exists());
}

#[test]
fn sqlite_failure_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing-dir").join("x.gpkg");
    let e = write_gpkg(&path, vec![tiny_layer(1)]).unwrap_err();
    assert!(matches!(e, GpkgWriteError::Sqlite { .. }), "{e:?}");
    assert!(e.to_string().contains("x.gpkg"), "{e}");
}

#[test]
fn rtree_triggers_are_the_geopackage_1_2_set() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.gpkg");
    write_gpkg(&path, vec![tiny_layer(3)]).unwrap();
    let conn = Connection::open(&path).unwrap();
    let names: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let want: Vec<String> = [
        "delete", "insert", "update1", "update2", "update3", "update4",
    ]
    .iter()
    .map(|s| format!("rtree_cells_geom_{s}"))
    .collect();
    assert_eq!(names, want);
    // No styles given: no layer_styles table.
    let styles: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'layer_styles'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(styles, 0);
}

/// The R-tree fill order: a Hilbert curve from the lower-left corner to the
/// lower-right one; on positions aligned to blocks of 2^10 steps it visits the
/// 64 × 64 blocks one neighbour after another.
#[test]
fn hilbert_keys_walk_the_grid() {
    let bounds = [0.0, 65_535.0, 0.0, 65_535.0];
    let at = |x: f64, y: f64| super::hilbert_key([x, x, y, y], bounds);
    assert_eq!(at(0.0, 0.0), 0);
    assert_eq!(at(65_535.0, 0.0), (1u64 << 32) - 1);
    let mut keyed: Vec<(u64, [u32; 2])> = (0..64 * 64)
        .map(|k| {
            let (x, y) = (k % 64, k / 64);
            (at(f64::from(x * 1024), f64::from(y * 1024)), [x, y])
        })
        .collect();
    keyed.sort_unstable();
    keyed.dedup_by_key(|e| e.0);
    assert_eq!(keyed.len(), 64 * 64);
    for w in keyed.windows(2) {
        let step = w[0].1[0].abs_diff(w[1].1[0]) + w[0].1[1].abs_diff(w[1].1[1]);
        assert_eq!(step, 1, "{:?} -> {:?}", w[0].1, w[1].1);
    }
}
