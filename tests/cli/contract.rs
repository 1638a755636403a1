//! The output contract: `demo` writes every file; `cells.csv` has the documented
//! columns; `cells.geojson` is valid RFC 7946 GeoJSON; the run is reproducible.

use crate::util::{Dir, column, files_in, read_csv, sample, summary_without_timings};

#[test]
fn demo_writes_all_outputs_with_the_column_contract() {
    let d = Dir::new();
    let r = d.run(&["demo", "--out", "demo"]);
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    assert!(
        r.stdout.contains("covered_all"),
        "summary table printed: {}",
        r.stdout
    );
    for f in [
        "cells.csv",
        "cells.geojson",
        "summary.json",
        "rejected.csv",
        "sites.csv",
    ] {
        assert!(d.path("demo").join(f).is_file(), "{f} written");
    }
    let (headers, rows) = read_csv(&d.read("demo/cells.csv"));
    let summary = d.json("demo/summary.json");
    let cats: Vec<String> = summary["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(!cats.is_empty());
    let mut want: Vec<String> = ["cell_id", "lon", "lat", "population"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    if summary["inputs"]["has_elderly"].as_bool().unwrap() {
        want.push("elderly".into());
    }
    for c in &cats {
        for suffix in ["dist_m", "walk_min", "covered", "sites_within"] {
            want.push(format!("{c}_{suffix}"));
        }
    }
    want.push("covered_all".into());
    assert_eq!(&headers[..want.len()], &want[..], "column contract");
    assert_eq!(
        rows.len(),
        summary["inputs"]["cells"].as_u64().unwrap() as usize
    );

    // Every row: covered ⇔ dist ≤ threshold, walk_min = dist / speed / 60.
    for (k, c) in cats.iter().enumerate() {
        let thr = summary["categories"][k]["threshold_m"].as_f64().unwrap();
        let speed = summary["categories"][k]["speed_m_per_s"].as_f64().unwrap();
        let di = column(&headers, &format!("{c}_dist_m"));
        for row in &rows {
            let covered = row[di + 2] == "1";
            if row[di].is_empty() {
                assert!(!covered && row[di + 1].is_empty());
            } else {
                let d: f64 = row[di].parse().unwrap();
                let m: f64 = row[di + 1].parse().unwrap();
                assert!((m - d / speed / 60.0).abs() < 0.01);
                assert_eq!(covered, d <= thr + 0.05, "{c}: {d} vs {thr}");
            }
        }
    }

    // cells.geojson parses as GeoJSON, same features and properties.
    let gj: geojson::GeoJson = d.read("demo/cells.geojson").parse().expect("valid GeoJSON");
    let geojson::GeoJson::FeatureCollection(fc) = gj else {
        panic!("not a FeatureCollection")
    };
    assert_eq!(fc.features.len(), rows.len());
    for (f, row) in fc.features.iter().zip(&rows) {
        assert_eq!(
            f.property("cell_id").and_then(|v| v.as_str()),
            Some(row[0].as_str())
        );
        let g = f.geometry.as_ref().unwrap();
        let p: geo::Geometry<f64> = g.try_into().unwrap();
        use geo::BoundingRect;
        let b = p.bounding_rect().unwrap();
        assert!(
            b.min().x > 121.0 && b.max().x < 122.0 && b.min().y > 31.0 && b.max().y < 32.0,
            "lon/lat order"
        );
    }
    assert!(
        files_in(&d.path("demo"))
            .iter()
            .all(|f| !f.contains("staging"))
    );
}

#[test]
fn outputs_are_identical_at_1_and_4_threads() {
    let d = Dir::new();
    let base = [
        "coverage",
        "--sites",
        &sample("helsinki/sites.csv"),
        "--population",
        &sample("helsinki/population.geojson"),
    ];
    let mut a: Vec<&str> = base.to_vec();
    a.extend(["--threads", "1", "--out", "t1"]);
    let mut b: Vec<&str> = base.to_vec();
    b.extend(["--threads", "4", "--out", "t4"]);
    assert_eq!(d.run(&a).code, 0);
    let r = d.run_env(&b, &[("RAYON_NUM_THREADS", "3")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for f in ["cells.csv", "cells.geojson", "rejected.csv", "sites.csv"] {
        assert_eq!(
            d.read(&format!("t1/{f}")),
            d.read(&format!("t4/{f}")),
            "{f} differs"
        );
    }
    assert_eq!(
        summary_without_timings(&d.read("t1/summary.json")),
        summary_without_timings(&d.read("t4/summary.json"))
    );
}

#[test]
fn straight_mode_is_labelled_an_approximation_everywhere() {
    let d = Dir::new();
    let r = d.run(&[
        "coverage",
        "--sites",
        &sample("helsinki/sites.csv"),
        "--population",
        &sample("helsinki/population.geojson"),
        "--mode",
        "straight",
        "--out",
        "o",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let s = d.json("o/summary.json");
    assert_eq!(s["mode"], "straight");
    assert!(
        s["distance_method"]
            .as_str()
            .unwrap()
            .contains("APPROXIMATION")
    );
    assert!(
        d.read("o/cells.csv")
            .lines()
            .nth(1)
            .unwrap()
            .ends_with("straight_x1.30_approximation")
    );
    assert!(
        d.read("o/cells.geojson")
            .contains("straight_x1.30_approximation")
    );
    assert!(r.stdout.contains("APPROXIMATION"));
}
