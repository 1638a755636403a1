//! Population in the formats planners hold, through the `coverage` command:
//! WorldPop GeoTIFF (with an elderly raster and a clip polygon), HSY GeoPackage and
//! shapefile grids. Reads `../shared/data` (the project's real datasets).

use crate::util::{Dir, column, read_csv, sample, shared};

#[test]
fn worldpop_raster_with_elderly_layer_and_clip() {
    let d = Dir::new();
    // Two sites in central Wuhan (Hankou, Wuchang).
    d.write("sites.csv", "id,name,category,lon,lat\na,武汉图书馆,library,114.27,30.60\nb,湖北省图书馆,library,114.36,30.55\n");
    let f = shared("wuhan-worldpop-elderly/pop_60_f_wuhan.tif");
    let m = shared("wuhan-worldpop-elderly/pop_60_m_wuhan.tif");
    let clip = shared("wuhan-worldpop-elderly/wuhan-boundary.shp");
    // Total = women 60–64; elderly layer = the same raster (every resident counted is 60+).
    let s = d.coverage_summary(
        &[
            "--population",
            &f,
            "--elderly",
            &f,
            "--clip",
            &clip,
            "--walk-min",
            "15",
        ],
        "o",
    );
    let total = s["inputs"]["population_input_total"].as_f64().unwrap()
        + s["inputs"]["population_clipped"].as_f64().unwrap();
    assert_eq!(
        total.round(),
        321_181.0,
        "WorldPop pop_60_f total to the person"
    );
    assert_eq!(s["inputs"]["population_format"]["crs"], "EPSG:4326");
    assert!(s["inputs"]["has_elderly"].as_bool().unwrap());
    let lib = &s["categories"][0];
    assert_eq!(lib["population"].as_f64(), lib["elderly"].as_f64());
    // Also: the male raster is a different layer on the same grid.
    let s = d.coverage_summary(&["--population", &m], "m");
    assert_eq!(
        s["inputs"]["population_input_total"]
            .as_f64()
            .unwrap()
            .round(),
        333_791.0
    );
}

#[test]
fn hsy_geopackage_and_shapefile_grids() {
    let d = Dir::new();
    let sites = sample("helsinki/sites.csv");
    let gpkg = shared("helsinki-population-grid-hsy/Population_grid_2021_HSY.gpkg");
    let s = d.coverage_summary(
        &[
            "--sites",
            &sites,
            "--population",
            &gpkg,
            "--threshold-m",
            "1000",
        ],
        "g",
    );
    assert_eq!(
        s["inputs"]["population_input_total"].as_f64().unwrap(),
        1_207_168.0
    );
    assert_eq!(s["inputs"]["population_format"]["crs"], "EPSG:3879");
    // Polygon cells are kept: cells.geojson has (Multi)Polygons in lon/lat.
    let gj = d.read("g/cells.geojson");
    assert!(gj.contains("\"MultiPolygon\""));
    let (h, rows) = read_csv(&d.read("g/cells.csv"));
    let lon = column(&h, "lon");
    for row in rows.iter().take(50) {
        let v: f64 = row[lon].parse().unwrap();
        assert!((24.5..25.5).contains(&v), "lon {v}");
    }

    let shp = shared("helsinki-population-grid-hsy/Vaestotietoruudukko_2015.shp");
    let s = d.coverage_summary(
        &[
            "--sites",
            &sites,
            "--population",
            &shp,
            "--threshold-m",
            "1000",
        ],
        "s",
    );
    assert_eq!(
        s["inputs"]["population_input_total"].as_f64().unwrap(),
        1_117_552.0
    );
    assert!(
        s["inputs"]["has_elderly"].as_bool().unwrap(),
        "HSY age bands give an elderly layer"
    );
    assert!(
        s["inputs"]["population_format"]["elderly_masked_cells"]
            .as_u64()
            .unwrap()
            > 0
    );
}

#[test]
fn bad_format_inputs() {
    let d = Dir::new();
    d.write("sites.csv", "id,category,lon,lat\na,library,114.27,30.60\n");
    // The Wuhan boundary GeoJSON is malformed as published.
    let bad = shared("wuhan-worldpop-elderly/wuhan-boundary.geojson");
    let r = d.coverage(&["--population", &bad, "--out", "o"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("wuhan-boundary.geojson: not valid GeoJSON"),
        "{}",
        r.stderr
    );
    assert!(!d.path("o").exists());
    // --elderly with a CSV population is a usage error.
    d.write("pop.csv", "lon,lat,population\n114.27,30.6,5\n");
    let r = d.coverage(&["--elderly", "x.tif", "--out", "o"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--elderly"), "{}", r.stderr);
    // A truncated raster.
    let bytes = std::fs::read(shared("wuhan-worldpop-elderly/pop_60_f_wuhan.tif")).unwrap();
    d.write("cut.tif", &bytes[..bytes.len() / 3]);
    let r = d.coverage(&["--population", "cut.tif", "--out", "o"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("cut.tif"), "{}", r.stderr);
    assert!(!d.path("o").exists());
}
