//! Tiles for clusters: `plan` → `coverage --tile I` (separate processes) →
//! `merge` gives the same files as the one-machine run.
//!
//! Every output file is compared byte for byte; `summary.json` is compared with
//! its `timings_ms` member removed (wall-clock stage times are the one field
//! that differs between any two runs, tiled or not — see METHODS.md §13), and
//! everything else in it must be equal.

use crate::util::{Dir, files_in};
use std::path::Path;
use std::process::Command;

fn shared(rel: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(rel);
    assert!(
        p.exists(),
        "{} missing: run with ../shared beside the repository",
        p.display()
    );
    p.display().to_string()
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_learncircle")
}

/// Run the tile tasks as separate, concurrent processes (as a scheduler would).
fn run_tiles(d: &Dir, study: &[&str], n: usize) {
    let children: Vec<_> = (0..n)
        .map(|i| {
            Command::new(bin())
                .current_dir(d.tmp.path())
                .arg("coverage")
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
    let plan: serde_json::Value = serde_json::from_str(&d.read("tiles.json")).unwrap();
    plan["tiles"].as_array().unwrap().len()
}

fn summary_without_timings(d: &Dir, rel: &str) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(&d.read(rel)).unwrap();
    v.as_object_mut().unwrap().remove("timings_ms");
    v
}

/// Compare the merged directory with the one-machine run, file by file.
fn assert_same_outputs(d: &Dir, single: &str, merged: &str) {
    let a = files_in(&d.path(single));
    let b = files_in(&d.path(merged));
    assert_eq!(a, b, "different file sets");
    assert!(a.iter().any(|f| f == "cells.csv"), "{a:?}");
    for f in &a {
        if f == "summary.json" {
            assert_eq!(
                summary_without_timings(d, &format!("{single}/{f}")),
                summary_without_timings(d, &format!("{merged}/{f}")),
                "summary.json differs beyond timings_ms"
            );
        } else {
            let x = std::fs::read(d.path(&format!("{single}/{f}"))).unwrap();
            let y = std::fs::read(d.path(&format!("{merged}/{f}"))).unwrap();
            assert!(x == y, "{f} differs between the one-machine and tiled runs");
        }
    }
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
    assert_same_outputs(d, "single", "merged");
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
    let plan: serde_json::Value = serde_json::from_str(&d.read("tiles.json")).unwrap();
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
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/shanghai");
    let p = |f: &str| data.join(f).display().to_string();
    d.write(
        "units.geojson",
        r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"W","name":"西片"},"geometry":{"type":"Polygon","coordinates":[[[121.48,31.28],[121.50,31.28],[121.50,31.32],[121.48,31.32],[121.48,31.28]]]}},
{"type":"Feature","properties":{"code":"E","name":"东片"},"geometry":{"type":"Polygon","coordinates":[[[121.50,31.28],[121.53,31.28],[121.53,31.32],[121.50,31.32],[121.50,31.28]]]}}]}"#,
    );
    let (sites, pop, osm, cfg) = (
        p("sites.csv"),
        p("population.csv"),
        p("fudan_wujiaochang_2023.osm"),
        p("learncircle.toml"),
    );
    let study = [
        "--sites",
        &sites,
        "--population",
        &pop,
        "--network",
        &osm,
        "--config",
        &cfg,
        "--units",
        "units.geojson",
    ];
    coverage_and_tiles(&d, &study, "1", None);
    assert!(files_in(&d.path("merged")).contains(&"units.csv".to_string()));
    let n = std::fs::read_dir(d.path("tiles")).unwrap().count();
    assert!(n >= 6, "{n} tiles");
}
