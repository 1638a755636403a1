//! Tiles for clusters: `plan` → `coverage --tile I` (separate processes) →
//! `merge` gives the same files as the one-machine run.
//!
//! Every output file is compared byte for byte; `summary.json` is compared with
//! its `timings_ms` member removed (wall-clock stage times are the one field
//! that differs between any two runs, tiled or not — see METHODS.md §13), and
//! everything else in it must be equal.

use crate::util::{Dir, assert_same_outputs, files_in, sample_args, sample_study, shared};

/// Run the tile tasks as separate, concurrent processes (as a scheduler would).
fn run_tiles(d: &Dir, study: &[&str], n: usize) {
    let children: Vec<_> = (0..n)
        .map(|i| {
            d.command(&["coverage"])
                .args(study)
                .args(["--tiles", "tiles.json", "--tile", &i.to_string()])
                .args(["--out", &format!("tiles/{i}"), "--quiet"])
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn tile")
        })
        .collect();
    for (i, c) in children.into_iter().enumerate() {
        let out = c.wait_with_output().expect("tile process");
        assert_eq!(
            out.status.code(),
            Some(0),
            "tile {i} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn plan_tiles(d: &Dir, study: &[&str], tile_km: &str) -> usize {
    let mut args = vec!["plan"];
    args.extend_from_slice(study);
    args.extend_from_slice(&["--tile-km", tile_km, "--out", "tiles.json"]);
    let r = d.run(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let plan = d.json("tiles.json");
    plan["tiles"].as_array().unwrap().len()
}

fn coverage_and_tiles(d: &Dir, study: &[&str], tile_km: &str, expect_tiles: Option<usize>) {
    let mut args = vec!["coverage"];
    args.extend_from_slice(study);
    args.extend_from_slice(&["--out", "single", "--quiet"]);
    let r = d.run(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);

    let n = plan_tiles(d, study, tile_km);
    if let Some(e) = expect_tiles {
        assert_eq!(n, e, "tile count");
    }
    run_tiles(d, study, n);
    let mut args = vec!["merge".to_string()];
    args.extend((0..n).map(|i| format!("tiles/{i}")));
    args.extend(["--out".into(), "merged".into(), "--quiet".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = d.run(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        files_in(&d.path("single")).iter().any(|f| f == "cells.csv"),
        "{:?}",
        files_in(&d.path("single"))
    );
    assert_same_outputs(&d.path("single"), &d.path("merged"));
}

/// The issue's case: Chengdu centre (real OSM, 24 k nodes), learning sites
/// taken from the same extract, a 200 m grid over it, N = 4 tiles run as
/// separate processes.
#[test]
fn chengdu_four_tiles_merge_byte_identical_to_one_machine() {
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
    // The extract's <bounds>.
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
    // 8.4 km × 8.3 km in 4.5 km tiles: 2 × 2.
    coverage_and_tiles(&d, &study, "4.5", Some(4));
    // The tiles really are partial views: each tile holds only part of the cells.
    let plan = d.json("tiles.json");
    let total: u64 = plan["tiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["cells"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 1764, "every cell in exactly one tile");
}

/// Many small tiles (the halo exceeds the tile) with a config of several
/// categories, elderly layer and units: still the same files.
#[test]
fn shanghai_small_tiles_with_units_merge_byte_identical() {
    let d = Dir::new();
    d.write(
        "units.geojson",
        r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"W","name":"西片"},"geometry":{"type":"Polygon","coordinates":[[[121.48,31.28],[121.50,31.28],[121.50,31.32],[121.48,31.32],[121.48,31.28]]]}},
{"type":"Feature","properties":{"code":"E","name":"东片"},"geometry":{"type":"Polygon","coordinates":[[[121.50,31.28],[121.53,31.28],[121.53,31.32],[121.50,31.32],[121.50,31.28]]]}}]}"#,
    );
    let mut study = sample_study("shanghai");
    study.extend(["--units".to_owned(), "units.geojson".to_owned()]);
    let study: Vec<&str> = study.iter().map(String::as_str).collect();
    coverage_and_tiles(&d, &study, "1", None);
    assert!(files_in(&d.path("merged")).contains(&"units.csv".to_string()));
    let n = std::fs::read_dir(d.path("tiles")).unwrap().count();
    assert!(n >= 6, "{n} tiles");
}

/// What-if (`--planned`) and 2SFCA (`--access`) in tile runs: small tiles (the
/// 2SFCA catchments of most sites span several tiles) merge to the same files as
/// one machine — whatif files, access.csv and the totals in summary.json.
#[test]
fn shanghai_tiles_with_planned_sites_and_access_merge_byte_identical() {
    let d = Dir::new();
    d.write(
        "planned.csv",
        "id,name,category,lon,lat,capacity\n\
         p1,规划社区学校,library,121.5080,31.3020,40\n\
         p2,规划老年学堂,culture_centre,121.4990,31.2960,25\n\
         p3,新建学校,school,121.5120,31.3050,\n",
    );
    for method in ["2sfca", "e2sfca-gaussian"] {
        let mut study = sample_study("shanghai");
        study.extend(["--planned", "planned.csv", "--access", method].map(str::to_owned));
        let study: Vec<&str> = study.iter().map(String::as_str).collect();
        coverage_and_tiles(&d, &study, "0.6", None);
        let files = files_in(&d.path("merged"));
        for f in ["access.csv", "whatif_cells.csv"] {
            assert!(files.iter().any(|x| x == f), "{f} in {files:?}");
        }
        for dir in ["single", "merged", "tiles", "tiles.json"] {
            let p = d.path(dir);
            if p.is_dir() {
                std::fs::remove_dir_all(p).unwrap();
            } else {
                std::fs::remove_file(p).unwrap();
            }
        }
    }
}

#[test]
fn service_areas_in_tile_runs_are_refused_with_the_reason() {
    let d = Dir::new();
    let r = d.run_owned(&sample_args(
        "plan",
        "shanghai",
        &["--tile-km", "1", "--out", "tiles.json"],
    ));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let args = sample_args(
        "coverage",
        "shanghai",
        &[
            "--service-areas",
            "--tiles",
            "tiles.json",
            "--tile",
            "0",
            "--out",
            "t0",
        ],
    );
    let r = d.run_owned(&args);
    r.assert_exit(
        "coverage --tile --service-areas",
        2,
        &["--service-areas is not supported with tiles", "one machine"],
    );
    assert!(!d.path("t0").exists());
    // A tile run must ask for the plan's what-if and 2SFCA.
    let args = sample_args(
        "coverage",
        "shanghai",
        &[
            "--access",
            "2sfca",
            "--tiles",
            "tiles.json",
            "--tile",
            "0",
            "--out",
            "t0",
        ],
    );
    let r = d.run_owned(&args);
    r.assert_exit(
        "tile --access, plan without",
        2,
        &["tile 0: --planned/--planned-crs/--access must be the ones the plan was made with"],
    );
    assert!(!d.path("t0").exists());
}
