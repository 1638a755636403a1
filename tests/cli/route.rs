//! `learncircle route`: the Must-show of issue 13 (route lengths equal `cells.csv`
//! distances for 200 seeded-random cells of the Helsinki and Chengdu runs, to
//! 0.1 m), and the command's contract (GeoJSON, summary line, exit codes).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use learncircle::app::{self, ConfigSource, RouteOptions, RouteTarget};
use learncircle::crs::InputCrs;

use crate::util::*;

fn lcg(state: &mut u64) -> u64 {
    *state = state
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    *state >> 33
}

/// `cells.csv` as rows of name → value.
fn cells_csv(path: &Path) -> Vec<HashMap<String, String>> {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let headers = rdr.headers().unwrap().clone();
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

/// Runs coverage (through the binary), then, for every category, routes 200
/// seeded-random cells that have a distance to the nearest site of the category (through the library, in process,
/// from the cells' input coordinates) and compares with `cells.csv`.
#[allow(clippy::too_many_arguments)] // one call per city, each argument named at the call
fn routes_equal_cells_csv(
    d: &Dir,
    study: &[&str],
    population: &Path,
    network: &Path,
    sites: &Path,
    config: ConfigSource,
    threshold_m: Option<f64>,
    seed: u64,
) -> usize {
    let mut args = vec!["coverage"];
    args.extend_from_slice(study);
    args.extend(["--out", "run", "--quiet"]);
    let r = d.run(&args);
    assert!(r.code <= 1, "{}", r.stderr);
    let rows = cells_csv(&d.path("run/cells.csv"));
    let input: HashMap<String, [f64; 2]> =
        learncircle::input::population::read_population(population, InputCrs::Wgs84)
            .unwrap()
            .cells
            .into_iter()
            .filter_map(|c| Some((c.id?, [c.lon, c.lat])))
            .collect();
    let mut categories: Vec<String> = rows[0]
        .keys()
        .filter_map(|k| k.strip_suffix("_dist_m").map(str::to_owned))
        .collect();
    assert!(!categories.is_empty());
    categories.sort(); // the draws below do not depend on HashMap order
    let mut s = seed;
    let mut checked = 0;
    for cat in &categories {
        // 200 seeded-random cells with a distance for this category.
        let key = format!("{cat}_dist_m");
        let reached: Vec<&HashMap<String, String>> =
            rows.iter().filter(|r| !r[&key].is_empty()).collect();
        assert!(!reached.is_empty(), "{cat}: no cell reached");
        let picked: Vec<&HashMap<String, String>> = (0..200)
            .map(|_| reached[(lcg(&mut s) as usize) % reached.len()])
            .collect();
        let from: Vec<[f64; 2]> = picked.iter().map(|r| input[&r["cell_id"]]).collect();
        let opts = RouteOptions {
            network: network.to_path_buf(),
            from,
            target: RouteTarget::Category {
                name: cat.clone(),
                sites: sites.to_path_buf(),
                sites_crs: InputCrs::Wgs84,
            },
            config: config.clone(),
            profile_category: None,
            threshold_m,
            walk_min: None,
        };
        let routes = app::run_route(&opts).unwrap();
        for (row, route) in picked.iter().zip(&routes) {
            let want = &row[&format!("{cat}_dist_m")];
            let ctx = format!("{cat} cell {} ({want})", row["cell_id"]);
            let r = route.as_ref().unwrap_or_else(|e| panic!("{ctx}: {e:#}"));
            let want: f64 = want.parse().unwrap();
            // 0.05 m of rounding in cells.csv, plus ≈ 1e-6 relative from the route's
            // projection centre (the network's box, not the population's).
            assert!(
                (r.path.dist_m - want).abs() <= 0.1,
                "{ctx}: route {}",
                r.path.dist_m
            );
            // The polyline really is that walk: piece by piece, and drawn (no steps
            // priced in these configs).
            assert!(
                (r.path.cost_m - r.path.dist_m).abs() < 1e-6,
                "{ctx}: {:?}",
                r.path
            );
            assert!(
                (r.path.line_m - want).abs() <= 0.1,
                "{ctx}: line {}",
                r.path.line_m
            );
            let minutes: f64 = row[&format!("{cat}_walk_min")].parse().unwrap();
            assert!(
                (r.walk_min - minutes).abs() <= 0.005 + 1e-9,
                "{ctx}: {}",
                r.walk_min
            );
            // It starts at the cell and ends at the site.
            let start = r.lonlat[0];
            assert!((start[0] - r.from[0]).abs() < 1e-9 && (start[1] - r.from[1]).abs() < 1e-9);
            let end = r.lonlat[r.lonlat.len() - 1];
            assert!((end[0] - r.to[0]).abs() < 1e-9 && (end[1] - r.to[1]).abs() < 1e-9);
            checked += 1;
        }
    }
    checked
}

#[test]
fn helsinki_routes_equal_cells_csv_for_200_random_cells() {
    let d = Dir::new();
    let study = sample_study("helsinki");
    let study: Vec<&str> = study.iter().map(String::as_str).collect();
    let checked = routes_equal_cells_csv(
        &d,
        &study,
        &PathBuf::from(sample("helsinki/population.geojson")),
        &PathBuf::from(sample("helsinki/Helsinki.osm.pbf")),
        &PathBuf::from(sample("helsinki/sites.csv")),
        ConfigSource::File(PathBuf::from(sample("helsinki/learncircle.toml"))),
        None,
        0x4E15_0001,
    );
    assert!(checked >= 300, "{checked} routes checked");
}

#[test]
fn chengdu_routes_equal_cells_csv_for_200_random_cells() {
    let d = Dir::new();
    let osm = shared("chengdu-osm-center/chengdu_center_2018.osm");
    let r = d.run(&[
        "sites",
        "--osm",
        &osm,
        "--with-education",
        "--out",
        "sites.csv",
        "--quiet",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = d.run(&[
        "grid",
        "--bbox",
        "104.0421,30.6528,104.1296,30.7279",
        "--cell-m",
        "200",
        "--density-per-km2",
        "20000",
        "--out",
        "grid.csv",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let study = [
        "--sites",
        "sites.csv",
        "--population",
        "grid.csv",
        "--network",
        &osm,
        "--threshold-m",
        "500",
    ];
    let checked = routes_equal_cells_csv(
        &d,
        &study,
        &d.path("grid.csv"),
        &PathBuf::from(&osm),
        &d.path("sites.csv"),
        ConfigSource::None,
        Some(500.0),
        0xC4E6_0001,
    );
    assert!(checked >= 300, "{checked} routes checked");
}

/// The command on the Shanghai sample: a GeoJSON LineString with its length and
/// time, a summary line, and the same distance as `coverage` for that cell.
#[test]
fn route_command_writes_geojson_and_agrees_with_coverage() {
    let d = Dir::new();
    let net = sample("shanghai/fudan_wujiaochang_2023.osm");
    let sites = sample("shanghai/sites.csv");
    let config = sample("shanghai/learncircle.toml");
    let r = d.run(&[
        "route",
        "--network",
        &net,
        "--from",
        "121.492422,31.289928",
        "--category",
        "library",
        "--sites",
        &sites,
        "--config",
        &config,
        "--out",
        "r.geojson",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("route 121.492422,31.289928 → nearest library"),
        "{}",
        r.stdout
    );
    let g = d.json("r.geojson");
    let f = &g["features"][0];
    assert_eq!(f["geometry"]["type"], "LineString");
    assert!(f["geometry"]["coordinates"].as_array().unwrap().len() >= 4);
    let p = &f["properties"];
    assert_eq!(p["category"], "library");
    assert!(p["site_id"].is_string() && p["site_name"].is_string());
    let len = p["length_m"].as_f64().unwrap();
    assert!(len > 0.0);
    assert!((p["walk_min"].as_f64().unwrap() - len / 60.0).abs() < 0.006);
    // The same cell through coverage (cell g-10_-12 of the sample grid).
    let r = d.run_owned(&sample_args(
        "coverage",
        "shanghai",
        &["--out", "run", "--quiet"],
    ));
    assert!(r.code <= 1, "{}", r.stderr);
    let rows = cells_csv(&d.path("run/cells.csv"));
    let row = rows.iter().find(|r| r["cell_id"] == "g-10_-12").unwrap();
    let want: f64 = row["library_dist_m"].parse().unwrap();
    assert!((len - want).abs() <= 0.1, "route {len} vs cells.csv {want}");

    // Point to point, GeoJSON on stdout and the summary on stderr; two --from.
    let r = d.run(&[
        "route",
        "--network",
        &net,
        "--from",
        "121.492422,31.289928",
        "--from",
        "121.5,31.3",
        "--to",
        "121.502,31.301",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let g: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(g["features"].as_array().unwrap().len(), 2);
    assert!(g["features"][1]["properties"]["category"].is_null());
    assert_eq!(
        r.stderr.lines().filter(|l| l.starts_with("route ")).count(),
        2,
        "{}",
        r.stderr
    );
}

#[test]
fn route_errors_name_the_flag_and_exit_2() {
    let d = Dir::new();
    let net = sample("shanghai/fudan_wujiaochang_2023.osm");
    let sites = sample("shanghai/sites.csv");
    let config = sample("shanghai/learncircle.toml");
    for (case, args, fragment) in [
        (
            "not a pair",
            vec!["--from", "121.5", "--to", "121.502,31.301"],
            "--from \"121.5\": expected LON,LAT",
        ),
        (
            "swapped",
            vec!["--from", "31.3,121.5", "--to", "121.502,31.301"],
            "swapped",
        ),
        (
            "not a number",
            vec!["--from", "121.5,3x", "--to", "121.502,31.301"],
            "latitude \"3x\" is not a number",
        ),
        (
            "off the network",
            vec!["--from", "121.7,31.3", "--to", "121.502,31.301"],
            "--from 121.7,31.3: cannot be attached to the walking network",
        ),
        (
            "to off the network",
            vec!["--from", "121.5,31.3", "--to", "121.9,31.3"],
            "--to 121.9,31.3 cannot be attached",
        ),
        (
            "unknown category",
            vec![
                "--from",
                "121.5,31.3",
                "--category",
                "zoo",
                "--sites",
                &sites,
                "--config",
                &config,
            ],
            "--category \"zoo\": unknown category",
        ),
    ] {
        let mut a = vec!["route", "--network", net.as_str()];
        a.extend(args);
        a.extend(["--out", "x.geojson"]);
        let r = d.run(&a);
        r.assert_no_panic(case);
        r.assert_exit(case, 2, &[fragment]);
        assert!(!d.path("x.geojson").exists(), "{case}: nothing written");
    }
}
