//! GeoPackage reader: HSY grids land where they belong, totals, hostile files.

use std::path::Path;

use geo::{Distance, Haversine, Point};
use learncircle::base::model::RawCell;
use learncircle::crs::Reprojector;
use learncircle::input::clip::ClipArea;
use learncircle::input::gpkg::{GpkgError, read_gpkg};
use learncircle::input::vector::VectorOptions;
use rusqlite::Connection;

use crate::util::hsy;

/// Independent truth, computed ONCE with pyproj 3.7.2 (PROJ 9.5.1) / geopandas 1.2.0:
/// `gpd.read_file(f).to_crs(3067).geometry.centroid` (EPSG:3067 x, y in metres) and
/// that centroid `.to_crs(4326)` (lon, lat). See tests/fixtures/population/README.md.
/// (id, inhabitants, x_3067, y_3067, lon, lat)
type Truth = (&'static str, f64, f64, f64, f64, f64);

const GRID_2020: [Truth; 6] = [
    (
        "0",
        389.0,
        383_880.515,
        6_671_291.011,
        24.907_702_501,
        60.161_987_324,
    ),
    (
        "17",
        771.0,
        384_357.460,
        6_670_526.395,
        24.916_724_063,
        60.155_261_684,
    ),
    (
        "30",
        1466.0,
        384_902.523,
        6_672_010.221,
        24.925_696_528,
        60.168_730_242,
    ),
    (
        "45",
        1050.0,
        385_394.606,
        6_671_745.260,
        24.934_707_438,
        60.166_491_133,
    ),
    (
        "63",
        12.0,
        385_894.256,
        6_671_730.124,
        24.943_713_285,
        60.166_495_264,
    ),
    (
        "91",
        72.0,
        386_613.461,
        6_670_708.114,
        24.957_233_759,
        60.157_524_807,
    ),
];

const GRID_2021: [Truth; 6] = [
    (
        "Vaestotietoruudukko_2021.1",
        5.0,
        362_183.074,
        6_689_703.321,
        24.504_607_290,
        60.320_408_952,
    ),
    (
        "Vaestotietoruudukko_2021.1001",
        26.0,
        372_517.073,
        6_667_634.220,
        24.705_421_526,
        60.125_789_938,
    ),
    (
        "Vaestotietoruudukko_2021.2501",
        6.0,
        380_670.628,
        6_680_890.458,
        24.844_266_742,
        60.247_194_362,
    ),
    (
        "Vaestotietoruudukko_2021.3211",
        121.0,
        384_508.937,
        6_683_774.755,
        24.911_904_354,
        60.274_182_422,
    ),
    (
        "Vaestotietoruudukko_2021.4001",
        26.0,
        389_566.038,
        6_685_621.816,
        25.002_260_080,
        60.292_162_209,
    ),
    (
        "Vaestotietoruudukko_2021.5853",
        30_427.0,
        402_753.644,
        6_658_717.260,
        25.253_550_442,
        60.054_070_087,
    ),
];

/// Compares cells to the truth: Haversine distance of the WGS84 centroids, and the
/// distance in EPSG:3067 after projecting our centroid with our reprojector.
pub fn assert_lands(cells: &[RawCell], truth: &[Truth], tolerance_m: f64) -> f64 {
    let tm35 = Reprojector::from_epsg(3067).unwrap();
    let mut worst: f64 = 0.0;
    for (id, pop, x, y, lon, lat) in truth {
        let c = cells
            .iter()
            .find(|c| c.id.as_deref() == Some(*id))
            .unwrap_or_else(|| panic!("no cell {id}"));
        assert_eq!(c.population, *pop, "{id}");
        let d_wgs = Haversine.distance(Point::new(c.lon, c.lat), Point::new(*lon, *lat));
        let (cx, cy) = tm35.from_wgs84(c.lon, c.lat).unwrap();
        let d_3067 = (cx - x).hypot(cy - y);
        assert!(
            d_wgs < tolerance_m && d_3067 < tolerance_m,
            "{id}: {d_wgs} m / {d_3067} m off"
        );
        worst = worst.max(d_wgs).max(d_3067);
    }
    worst
}

#[test]
fn grid_2020_wgs84_lands_where_it_belongs() {
    let (cells, rejected, rep) = read_gpkg(
        &hsy("helsinki_population_grid_2020.gpkg"),
        &VectorOptions::default(),
    )
    .unwrap();
    assert_eq!(cells.len(), 92);
    assert!(rejected.is_empty());
    assert_eq!(rep.crs, "EPSG:4326");
    assert_eq!(rep.population_column, "population");
    assert_eq!(rep.cell_population, 71_724.0);
    let worst = assert_lands(&cells, &GRID_2020, 0.05);
    println!("2020 worst centroid offset {worst:.4} m");
    assert!(
        cells
            .iter()
            .all(|c| c.polygon.is_some() && c.elderly.is_none())
    );
    assert_eq!(cells[0].location, "feature 0");
}

#[test]
fn grid_2021_gk25_lands_where_it_belongs() {
    let (cells, rejected, rep) = read_gpkg(
        &hsy("Population_grid_2021_HSY.gpkg"),
        &VectorOptions::default(),
    )
    .unwrap();
    assert_eq!(cells.len(), 5853);
    assert!(rejected.is_empty());
    assert_eq!(rep.crs, "EPSG:3879");
    assert_eq!(rep.population_column, "inhabitants");
    assert_eq!(rep.cell_population, 1_207_168.0);
    assert_eq!(rep.file_population, 1_207_168.0);
    let worst = assert_lands(&cells, &GRID_2021, 0.05);
    println!("2021 worst centroid offset {worst:.4} m");
}

#[test]
fn clipping_a_gpkg_conserves_people() {
    // Central Helsinki.
    let clip = ClipArea::from_bbox([24.90, 60.15, 24.98, 60.18]).unwrap();
    let opts = VectorOptions {
        clip: Some(clip),
        keep_polygons: false,
        ..VectorOptions::default()
    };
    let (cells, rejected, rep) = read_gpkg(&hsy("Population_grid_2021_HSY.gpkg"), &opts).unwrap();
    assert!(rejected.is_empty());
    assert!(rep.clipped_features > 5000 && cells.len() > 100);
    let sum: f64 = cells.iter().map(|c| c.population).sum();
    assert_eq!(sum + rep.clipped_population, 1_207_168.0);
    assert!(cells.iter().all(|c| c.polygon.is_none()));
}

#[test]
fn named_layer_and_columns() {
    let opts = VectorOptions {
        layer: Some("population_grid_2020".into()),
        population_column: Some("POPULATION".into()),
        ..VectorOptions::default()
    };
    assert!(read_gpkg(&hsy("helsinki_population_grid_2020.gpkg"), &opts).is_ok());
    let opts = VectorOptions {
        layer: Some("roads".into()),
        ..VectorOptions::default()
    };
    let e = read_gpkg(&hsy("helsinki_population_grid_2020.gpkg"), &opts).unwrap_err();
    assert!(matches!(e, GpkgError::NoSuchLayer { .. }), "{e}");
    assert!(e.to_string().contains("population_grid_2020"), "{e}");
}

#[test]
fn missing_population_column_is_a_clear_error() {
    let opts = VectorOptions {
        population_column: Some("residents".into()),
        ..VectorOptions::default()
    };
    let e = read_gpkg(&hsy("Population_grid_2021_HSY.gpkg"), &opts).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, GpkgError::Column { .. }), "{msg}");
    assert!(
        msg.contains("residents")
            && msg.contains("inhabitants")
            && msg.contains("Population_grid_2021_HSY.gpkg"),
        "{msg}"
    );
}

// ---- hand-built GeoPackages ----------------------------------------------------

/// GeoPackage geometry blob of a square polygon (little-endian WKB).
fn square_blob(x0: f64, y0: f64, side: f64) -> Vec<u8> {
    let mut b = vec![b'G', b'P', 0, 0x01, 0, 0, 0, 0];
    b.push(1);
    b.extend_from_slice(&3u32.to_le_bytes());
    b.extend_from_slice(&1u32.to_le_bytes());
    b.extend_from_slice(&5u32.to_le_bytes());
    for (x, y) in [
        (x0, y0),
        (x0 + side, y0),
        (x0 + side, y0 + side),
        (x0, y0 + side),
        (x0, y0),
    ] {
        b.extend_from_slice(&f64::to_le_bytes(x));
        b.extend_from_slice(&f64::to_le_bytes(y));
    }
    b
}

struct Gpkg<'a> {
    geometry_columns: bool,
    organization: &'a str,
    code: i64,
    pop_column: &'a str,
}

fn make_gpkg(path: &Path, spec: &Gpkg<'_>, rows: &[(Option<Vec<u8>>, Option<f64>)]) {
    let c = Connection::open(path).unwrap();
    c.execute_batch(
        "CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT, srs_id INTEGER PRIMARY KEY, organization TEXT, \
         organization_coordsys_id INTEGER, definition TEXT, description TEXT);
         CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT, identifier TEXT, \
         description TEXT, last_change TEXT, min_x REAL, min_y REAL, max_x REAL, max_y REAL, srs_id INTEGER);",
    )
    .unwrap();
    c.execute(
        "INSERT INTO gpkg_spatial_ref_sys VALUES ('x', 7, ?1, ?2, 'undefined', '')",
        rusqlite::params![spec.organization, spec.code],
    )
    .unwrap();
    c.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, srs_id) VALUES ('grid', 'features', 7)",
        [],
    )
    .unwrap();
    if spec.geometry_columns {
        c.execute_batch(
            "CREATE TABLE gpkg_geometry_columns (table_name TEXT, column_name TEXT, geometry_type_name TEXT, \
             srs_id INTEGER, z INTEGER, m INTEGER);
             INSERT INTO gpkg_geometry_columns VALUES ('grid', 'geom', 'POLYGON', 7, 0, 0);",
        )
        .unwrap();
    }
    c.execute(
        &format!(
            "CREATE TABLE grid (fid INTEGER PRIMARY KEY, geom BLOB, \"{}\" REAL)",
            spec.pop_column
        ),
        [],
    )
    .unwrap();
    for (g, p) in rows {
        c.execute(
            "INSERT INTO grid (geom, \"{}\") VALUES (?1, ?2)"
                .replace("{}", spec.pop_column)
                .as_str(),
            rusqlite::params![g, p],
        )
        .unwrap();
    }
}

const OK_SPEC: Gpkg<'static> = Gpkg {
    geometry_columns: true,
    organization: "EPSG",
    code: 3879,
    pop_column: "väestö",
};

#[test]
fn hand_built_gpkg_rows_are_accounted_for() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("ok.gpkg");
    let rows = vec![
        (
            Some(square_blob(25_496_000.0, 6_672_000.0, 250.0)),
            Some(10.0),
        ),
        (
            Some(square_blob(25_496_250.0, 6_672_000.0, 250.0)),
            Some(-3.0),
        ),
        (None, Some(4.0)),
        (Some(b"GP\0\x01garbage".to_vec()), Some(5.0)),
        (Some(square_blob(25_496_500.0, 6_672_000.0, 250.0)), None),
    ];
    make_gpkg(&p, &OK_SPEC, &rows);
    let (cells, rejected, rep) = read_gpkg(&p, &VectorOptions::default()).unwrap();
    assert_eq!(rep.population_column, "väestö");
    assert_eq!(cells.len(), 1);
    assert_eq!(cells[0].id.as_deref(), Some("1"));
    assert_eq!(rejected.len(), 4);
    assert_eq!(rep.file_population, 16.0);
    assert_eq!(
        rep.cell_population + rep.rejected_population,
        rep.file_population
    );
}

#[test]
fn gpkg_without_geometry_column_is_a_clear_error() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("nogeom.gpkg");
    make_gpkg(
        &p,
        &Gpkg {
            geometry_columns: false,
            ..OK_SPEC
        },
        &[],
    );
    let e = read_gpkg(&p, &VectorOptions::default()).unwrap_err();
    assert!(matches!(e, GpkgError::NoGeometryColumn { .. }), "{e}");
    assert!(e.to_string().contains("grid"), "{e}");
}

#[test]
fn gpkg_with_unsupported_crs_is_a_clear_error() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("crs.gpkg");
    make_gpkg(
        &p,
        &Gpkg {
            organization: "NONE",
            code: 0,
            ..OK_SPEC
        },
        &[],
    );
    let e = read_gpkg(&p, &VectorOptions::default()).unwrap_err();
    assert!(matches!(e, GpkgError::UnsupportedCrs { .. }), "{e}");
    let p = d.path().join("crs2.gpkg");
    make_gpkg(&p, &Gpkg { code: 1, ..OK_SPEC }, &[]);
    assert!(matches!(
        read_gpkg(&p, &VectorOptions::default()),
        Err(GpkgError::UnsupportedCrs { .. })
    ));
    // The override wins.
    let opts = VectorOptions {
        source_epsg: Some(3879),
        ..VectorOptions::default()
    };
    assert!(read_gpkg(&p, &opts).is_ok());
}

#[test]
fn gpkg_without_population_column_is_a_clear_error() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("nopop.gpkg");
    make_gpkg(
        &p,
        &Gpkg {
            pop_column: "name",
            ..OK_SPEC
        },
        &[],
    );
    let e = read_gpkg(&p, &VectorOptions::default()).unwrap_err();
    assert!(e.to_string().contains("population"), "{e}");
    assert!(matches!(e, GpkgError::Column { .. }), "{e}");
}

#[test]
fn plain_sqlite_and_non_sqlite_files_are_clear_errors() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("plain.gpkg");
    Connection::open(&p)
        .unwrap()
        .execute_batch("CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1);")
        .unwrap();
    assert!(matches!(
        read_gpkg(&p, &VectorOptions::default()),
        Err(GpkgError::NotGeoPackage { .. })
    ));
    let p = d.path().join("text.gpkg");
    std::fs::write(
        &p,
        "this is not a database, just some text that is long enough to have a header",
    )
    .unwrap();
    let e = read_gpkg(&p, &VectorOptions::default()).unwrap_err();
    assert!(matches!(e, GpkgError::Sqlite { .. }), "{e}");
    let e = read_gpkg(&d.path().join("missing.gpkg"), &VectorOptions::default()).unwrap_err();
    assert!(matches!(e, GpkgError::Io { .. }), "{e}");
    assert!(!d.path().join("missing.gpkg").exists());
}
