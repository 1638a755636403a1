//! `coverage --format …,gpkg`: `learncircle.gpkg` on the Shanghai demo inputs,
//! read back with SQLite and checked against the CSV outputs of the same run, read
//! back again by learncircle's own GeoPackage reader, byte-identical across runs,
//! thread counts and a tiled run merged.

use std::path::Path;

use rusqlite::Connection;
use rusqlite::types::ValueRef;

use crate::util::{Dir, files_in, read_csv, sample, sample_args, summary_without_timings};

/// Two planning units splitting the Shanghai demo area at 121.503° E.
const UNITS: &str = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"id":"W","name":"west"},"geometry":{"type":"Polygon","coordinates":[[[121.48,31.28],[121.503,31.28],[121.503,31.32],[121.48,31.32],[121.48,31.28]]]}},
{"type":"Feature","properties":{"id":"E","name":"east"},"geometry":{"type":"Polygon","coordinates":[[[121.503,31.28],[121.53,31.28],[121.53,31.32],[121.503,31.32],[121.503,31.28]]]}}
]}"#;

fn shanghai(out: &str, extra: &[&str]) -> Vec<String> {
    let mut a = sample_args("coverage", "shanghai", &["--quiet", "--out", out]);
    a.extend(extra.iter().map(|s| (*s).to_owned()));
    a
}

fn run(d: &Dir, args: &[String]) {
    let r = d.run_owned(args);
    assert!(r.code <= 1, "{args:?}: {}", r.stderr);
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Every row of `table` (ordered by fid) as text the way the CSV writes it is
/// compared field by field with `csv`: TEXT equal, numbers equal after parsing,
/// NULL where the field is empty; also checks the declared column types.
fn assert_layer_equals_csv(conn: &Connection, table: &str, csv_text: &str) {
    let (header, rows) = read_csv(csv_text);
    let cols: Vec<(String, String)> = conn
        .prepare(&format!("PRAGMA table_info(\"{table}\")"))
        .unwrap()
        .query_map([], |r| Ok((r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(cols[0], ("fid".to_owned(), "INTEGER".to_owned()));
    assert_eq!(cols[1].0, "geom");
    let names: Vec<&str> = cols[2..].iter().map(|c| c.0.as_str()).collect();
    assert_eq!(names, header, "{table}: the columns of the CSV, in order");
    let list = names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let mut st = conn
        .prepare(&format!("SELECT {list} FROM \"{table}\" ORDER BY fid"))
        .unwrap();
    let mut q = st.query([]).unwrap();
    let mut n = 0;
    while let Some(row) = q.next().unwrap() {
        let want = &rows[n];
        for (k, (name, ty)) in cols[2..].iter().enumerate() {
            let field = want[k].as_str();
            let v = row.get_ref(k).unwrap();
            let ok = match (ty.as_str(), v) {
                (_, ValueRef::Null) => field.is_empty(),
                ("TEXT", ValueRef::Text(t)) => t == field.as_bytes(),
                ("REAL", ValueRef::Real(x)) => field.parse::<f64>().ok() == Some(x),
                ("INTEGER", ValueRef::Integer(i)) => field.parse::<i64>().ok() == Some(i),
                _ => false,
            };
            assert!(
                ok,
                "{table} row {n} column {name} ({ty}): {v:?} vs CSV {field:?}"
            );
        }
        n += 1;
    }
    assert_eq!(n, rows.len(), "{table}: one feature per CSV row");
}

fn geometry_header(blob: &[u8]) -> (u8, i32) {
    assert_eq!(&blob[..3], b"GP\0");
    (blob[3], i32::from_le_bytes(blob[4..8].try_into().unwrap()))
}

fn check_gpkg(path: &Path, run_dir: &Path) {
    let conn = Connection::open(path).unwrap();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    assert_eq!(count(&conn, "PRAGMA application_id"), 0x4750_4B47);
    // GeoPackage 1.2: what GDAL 3.6 (Debian 12, QGIS 3.28 LTR) opens silently.
    assert_eq!(count(&conn, "PRAGMA user_version"), 10_200);
    check_layer_styles(&conn);
    check_with_gdal(path);
    let layers: Vec<String> = conn
        .prepare("SELECT table_name FROM gpkg_contents WHERE data_type = 'features' AND srs_id = 4326 ORDER BY table_name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(layers, ["cells", "gaps", "service_areas", "sites", "units"]);
    let read = |name: &str| std::fs::read_to_string(run_dir.join(name)).unwrap();
    assert_layer_equals_csv(&conn, "cells", &read("cells.csv"));
    assert_layer_equals_csv(&conn, "gaps", &read("gaps.csv"));
    assert_layer_equals_csv(&conn, "sites", &read("sites.csv"));
    assert_layer_equals_csv(&conn, "units", &read("units.csv"));
    for layer in &layers {
        // Each layer: registered geometry column, R-tree extension, one index row
        // per non-empty geometry, bounds in gpkg_contents around every envelope (the
        // R-tree holds 32-bit floats rounded outwards: 1e-4° slack).
        assert_eq!(
            count(
                &conn,
                &format!(
                    "SELECT count(*) FROM gpkg_geometry_columns WHERE table_name = '{layer}' AND column_name = 'geom' AND srs_id = 4326 AND z = 0 AND m = 0"
                )
            ),
            1
        );
        assert_eq!(
            count(
                &conn,
                &format!(
                    "SELECT count(*) FROM gpkg_extensions WHERE table_name = '{layer}' AND column_name = 'geom' AND extension_name = 'gpkg_rtree_index'"
                )
            ),
            1
        );
        let features = count(&conn, &format!("SELECT count(*) FROM \"{layer}\""));
        let mut indexed = 0;
        let mut st = conn
            .prepare(&format!("SELECT geom FROM \"{layer}\" ORDER BY fid"))
            .unwrap();
        let blobs: Vec<Vec<u8>> = st
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for blob in &blobs {
            let (flags, srs) = geometry_header(blob);
            assert_eq!(srs, 4326);
            assert_eq!(flags & 1, 1, "little-endian");
            let empty = flags & 0x10 != 0;
            if !empty {
                indexed += 1;
            }
            if *layer == "sites" || *layer == "cells" {
                assert_eq!(flags, 0x01, "points: no envelope");
            } else if !empty {
                assert_eq!(flags, 0x03, "polygons: xy envelope");
            }
        }
        assert!(features > 0, "{layer} is empty");
        assert_eq!(
            count(&conn, &format!("SELECT count(*) FROM rtree_{layer}_geom")),
            indexed,
            "{layer}: R-tree rows"
        );
        let check: String = conn
            .query_row(
                &format!("SELECT rtreecheck('rtree_{layer}_geom')"),
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(check, "ok", "{layer}: rtreecheck");
        let outside = count(
            &conn,
            &format!(
                "SELECT count(*) FROM rtree_{layer}_geom r, gpkg_contents c WHERE c.table_name = '{layer}' \
                 AND (r.minx < c.min_x - 1e-4 OR r.maxx > c.max_x + 1e-4 OR r.miny < c.min_y - 1e-4 OR r.maxy > c.max_y + 1e-4)"
            ),
        );
        assert_eq!(outside, 0, "{layer}: contents bounds hold every envelope");
    }
    // Polygon envelopes in the blob header equal the R-tree row.
    let (blob, r): (Vec<u8>, [f64; 4]) = conn
        .query_row(
            "SELECT u.geom, r.minx, r.maxx, r.miny, r.maxy FROM units u JOIN rtree_units_geom r ON r.id = u.fid WHERE u.fid = 2",
            [],
            |row| Ok((row.get(0)?, [row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?])),
        )
        .unwrap();
    let env: Vec<f64> = (0..4)
        .map(|k| f64::from_le_bytes(blob[8 + 8 * k..16 + 8 * k].try_into().unwrap()))
        .collect();
    // The R-tree stores 32-bit floats rounded outwards.
    for k in 0..4 {
        assert!((env[k] - r[k]).abs() < 1e-4, "{env:?} vs {r:?}");
    }
    assert!(
        (env[0] - 121.503).abs() < 1e-9 && (env[1] - 121.53).abs() < 1e-9,
        "{env:?}"
    );
}

/// QGIS's `layer_styles` table: registered as `attributes`, one default style
/// for each styled layer, the cells styled on the first category's walking time
/// in the GB 50180 bands with the maps' colours, the sites by category.
fn check_layer_styles(conn: &Connection) {
    assert_eq!(
        count(
            conn,
            "SELECT count(*) FROM gpkg_contents WHERE table_name = 'layer_styles' AND data_type = 'attributes'"
        ),
        1
    );
    let cols: Vec<String> = conn
        .prepare("SELECT name FROM pragma_table_info('layer_styles') ORDER BY cid")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        cols,
        [
            "id",
            "f_table_catalog",
            "f_table_schema",
            "f_table_name",
            "f_geometry_column",
            "styleName",
            "styleQML",
            "styleSLD",
            "useAsDefault",
            "description",
            "owner",
            "ui",
            "update_time"
        ]
    );
    let rows: Vec<(String, String, String, i64)> = conn
        .prepare("SELECT f_table_name, f_geometry_column, styleQML, useAsDefault FROM layer_styles ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let defaults: Vec<&str> = rows
        .iter()
        .filter(|r| r.3 == 1)
        .map(|r| r.0.as_str())
        .collect();
    assert_eq!(defaults, ["cells", "units", "gaps", "sites"]);
    assert!(rows.iter().all(|r| r.1 == "geom"));
    let cells = &rows[0].2;
    assert!(cells.starts_with("<!DOCTYPE qgis"), "{cells}");
    assert!(cells.contains("type=\"RuleRenderer\""));
    assert!(
        cells.contains("&quot;library_walk_min&quot; &lt;= 5"),
        "{cells}"
    );
    // ≤ 5 min in the colour of the maps (TIER_COLOURS[0] = #1a6f3c).
    assert!(cells.contains("26,111,60,255"));
    let cells_styles = rows.iter().filter(|r| r.0 == "cells").count();
    assert_eq!(cells_styles, 4, "one cells style per category");
    let sites = &rows.iter().find(|r| r.0 == "sites").unwrap().2;
    assert!(sites.contains("type=\"categorizedSymbol\" attr=\"category\""));
    assert!(sites.contains("value=\"library\""));
    let gaps = &rows.iter().find(|r| r.0 == "gaps").unwrap().2;
    assert!(gaps.contains("208,0,90,255"), "gap outline colour");
}

/// `ogrinfo` (GDAL 3.6 on Debian 12) opens the file with nothing on stderr, and
/// GDAL's own GeoPackage validator, when installed, finds nothing to report.
/// Skipped without GDAL.
fn check_with_gdal(path: &Path) {
    let Ok(out) = std::process::Command::new("ogrinfo")
        .arg("-ro")
        .arg(path)
        .output()
    else {
        eprintln!("ogrinfo not installed: GDAL check skipped");
        return;
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "ogrinfo failed: {stderr}");
    assert!(stderr.trim().is_empty(), "ogrinfo warned: {stderr}");
    for layer in ["cells", "units", "gaps", "sites"] {
        assert!(stdout.contains(&format!(": {layer} (")), "{stdout}");
    }
    let validator =
        Path::new("/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py");
    if validator.is_file() {
        let out = std::process::Command::new("/usr/bin/python3")
            .arg(validator)
            .arg(path)
            .output()
            .unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.success() && all.trim().is_empty(),
            "validate_gpkg.py: {all}"
        );
    }
}

#[test]
fn shanghai_gpkg_matches_the_csv_files_and_reads_back() {
    let d = Dir::new();
    d.write("units.geojson", UNITS);
    let common = ["--units", "units.geojson", "--service-areas"];
    run(&d, &shanghai("plain", &common));
    let mut with = common.to_vec();
    with.extend(["--format", "csv,geojson,gpkg"]);
    run(&d, &shanghai("all", &with));
    let mut only = common.to_vec();
    only.extend(["--format", "gpkg", "--threads", "1"]);
    run(&d, &shanghai("only", &only));

    // Default formats: exactly the files of before; gpkg adds one file and changes
    // no other byte.
    let plain = files_in(&d.path("plain"));
    assert!(!plain.iter().any(|f| f.ends_with(".gpkg")), "{plain:?}");
    let all = files_in(&d.path("all"));
    let mut expected = plain.clone();
    expected.push("learncircle.gpkg".into());
    expected.sort();
    assert_eq!(all, expected);
    for f in &plain {
        if f == "summary.json" {
            assert_eq!(
                summary_without_timings(&d.read("plain/summary.json")),
                summary_without_timings(&d.read("all/summary.json"))
            );
        } else {
            assert!(
                d.read(&format!("plain/{f}")) == d.read(&format!("all/{f}")),
                "{f}"
            );
        }
    }
    let only = files_in(&d.path("only"));
    assert!(only.contains(&"learncircle.gpkg".to_owned()));
    assert!(!only.contains(&"cells.csv".to_owned()));
    assert!(!only.contains(&"cells.geojson".to_owned()));
    // Deterministic: another run, one thread instead of all, same bytes.
    assert!(
        std::fs::read(d.path("all/learncircle.gpkg")).unwrap()
            == std::fs::read(d.path("only/learncircle.gpkg")).unwrap(),
        "learncircle.gpkg differs between runs"
    );

    check_gpkg(&d.path("all/learncircle.gpkg"), &d.path("all"));

    // learncircle's own GeoPackage reader takes the cells layer back as a
    // population grid: the same cells, ids, populations and so the same results.
    let gpkg = d.path("all/learncircle.gpkg").display().to_string();
    let args: Vec<String> = shanghai("again", &[])
        .into_iter()
        .map(|a| {
            if a == sample("shanghai/population.csv") {
                gpkg.clone()
            } else {
                a
            }
        })
        .chain(
            [
                "--population-layer",
                "cells",
                "--elderly-columns",
                "elderly",
                "--units",
                "units.geojson",
            ]
            .map(str::to_owned),
        )
        .collect();
    run(&d, &args);
    assert!(d.read("again/cells.csv") == d.read("plain/cells.csv"));
    assert!(d.read("again/units.csv") == d.read("plain/units.csv"));
}

#[test]
fn merged_tiles_write_the_same_gpkg() {
    let d = Dir::new();
    let fmt = ["--format", "csv,gpkg"];
    run(&d, &shanghai("one", &fmt));
    let mut plan: Vec<String> = shanghai("unused", &[])
        .into_iter()
        .take_while(|a| a != "--quiet")
        .collect();
    plan[0] = "plan".into();
    plan.extend(["--tile-km", "1.5", "--out", "tiles.json"].map(str::to_owned));
    run(&d, &plan);
    let tiles = d.json("tiles.json");
    let n = tiles["tiles"].as_array().unwrap().len();
    assert!(n >= 2, "{n} tiles");
    let mut dirs = Vec::new();
    for i in 0..n {
        let out = format!("t{i}");
        let index = i.to_string();
        let mut extra = vec!["--tiles", "tiles.json", "--tile", &index];
        if i > 0 {
            extra.extend(fmt);
        }
        run(&d, &shanghai(&out, &extra));
        dirs.push(out);
    }
    // Tile 0 ran with the default formats, the others with csv,gpkg: merge asks.
    let mut merge = vec!["merge", "--quiet", "--out", "merged"];
    merge.extend(dirs.iter().map(String::as_str));
    let r = d.run(&merge);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("give merge --format"), "{}", r.stderr);
    // Told, it writes what a one-machine run writes.
    merge.extend(["--format", "csv,gpkg"]);
    let r = d.run(&merge);
    assert!(r.code <= 1, "{}", r.stderr);
    assert_eq!(files_in(&d.path("merged")), files_in(&d.path("one")));
    assert!(d.read("merged/cells.csv") == d.read("one/cells.csv"));
    assert!(
        std::fs::read(d.path("merged/learncircle.gpkg")).unwrap()
            == std::fs::read(d.path("one/learncircle.gpkg")).unwrap(),
        "merged learncircle.gpkg differs from the one-machine file"
    );
    // Tiles that agree need no --format: tile 0 again, with csv,gpkg.
    let mut extra = vec!["--tiles", "tiles.json", "--tile", "0"];
    extra.extend(fmt);
    run(&d, &shanghai("t0", &extra));
    let mut merge = vec!["merge", "--quiet", "--out", "merged2"];
    merge.extend(dirs.iter().map(String::as_str));
    let r = d.run(&merge);
    assert!(r.code <= 1, "{}", r.stderr);
    assert!(
        std::fs::read(d.path("merged2/learncircle.gpkg")).unwrap()
            == std::fs::read(d.path("one/learncircle.gpkg")).unwrap()
    );
}
