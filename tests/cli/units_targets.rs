//! Units aggregation and policy targets on a small hand-made fixture with answers
//! computed by hand (see the comments), plus their bad inputs.

use crate::util::{Dir, column, read_csv};

/// Eleven cells on the parallel 31.3° N, 0.002° of longitude apart (≈ 190.4 m);
/// cell k has 10(k+1) residents and k+1 elderly (cell 10: 5 residents, 0 elderly).
/// Unit A spans cells 0–4, unit B cells 5–9, cell 10 is outside both.
fn fixture(d: &Dir) {
    let mut pop = String::from("cell_id,lon,lat,population,elderly\n");
    for k in 0..10 {
        pop.push_str(&format!(
            "c{k},{:.3},31.300,{},{}\n",
            121.500 + 0.002 * f64::from(k),
            10 * (k + 1),
            k + 1
        ));
    }
    pop.push_str("c10,121.530,31.300,5,0\n");
    d.write("pop.csv", pop);
    d.write(
        "sites.csv",
        "id,name,category,lon,lat\nL1,图书馆,library,121.500,31.300\nP1,学习点,learning_point,121.514,31.300\n",
    );
    let rect = |id: &str, name: &str, x0: f64, x1: f64| {
        format!(
            r#"{{"type":"Feature","properties":{{"code":"{id}","name":"{name}"}},"geometry":{{"type":"Polygon","coordinates":[[[{x0},31.295],[{x1},31.295],[{x1},31.305],[{x0},31.305],[{x0},31.295]]]}}}}"#
        )
    };
    d.write(
        "units.geojson",
        format!(
            r#"{{"type":"FeatureCollection","features":[{},{}]}}"#,
            rect("A", "五角场街道", 121.499, 121.509),
            rect("B", "四平路街道", 121.509, 121.519)
        ),
    );
    d.write(
        "cfg.toml",
        r#"
[[category]]
name = "library"
tier = "15min"
threshold_m = 500.0

[[category]]
name = "learning_point"
tier = "5min"
threshold_m = 300.0

[[target]]
rule = "library.covered_share >= 0.5"

[[target]]
name = "every street a learning point"
rule = "learning_point.units_with_site >= 0.5"

[[target]]
rule = "library.has_site >= 1"
scope = "unit"

[[target]]
rule = "library.covered_share >= 0.4"
scope = "unit"

[[target]]
rule = "tier:5min.covered_share >= 60%"
"#,
    );
}

fn run(d: &Dir, extra: &[&str]) -> crate::util::Run {
    let mut args = vec![
        "coverage",
        "--sites",
        "sites.csv",
        "--population",
        "pop.csv",
        "--units",
        "units.geojson",
        "--config",
        "cfg.toml",
        "--mode",
        "straight",
        "--circuity",
        "1.0",
        "--out",
        "out",
    ];
    args.extend(extra);
    d.run(&args)
}

#[test]
fn units_and_targets_match_hand_computed_answers() {
    let d = Dir::new();
    fixture(&d);
    let r = run(&d, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // library at cell 0, 500 m: cells 0, 1, 2 (0, 190, 381 m) → 10 + 20 + 30 = 60, all in A.
    // learning point at cell 7, 300 m: cells 6, 7, 8 → 70 + 80 + 90 = 240, all in B.
    let (h, rows) = read_csv(&d.read("out/units.csv"));
    let col = |name: &str| column(&h, name);
    assert_eq!(
        &h[..5],
        ["unit_id", "unit_name", "population", "elderly", "cells"]
    );
    let a = &rows[0];
    let b = &rows[1];
    assert_eq!(
        (
            a[0].as_str(),
            a[1].as_str(),
            a[2].as_str(),
            a[3].as_str(),
            a[4].as_str()
        ),
        ("A", "五角场街道", "150", "15", "5")
    );
    assert_eq!(
        (b[0].as_str(), b[2].as_str(), b[3].as_str()),
        ("B", "400", "40")
    );
    assert_eq!(a[col("library_population_covered")], "60");
    assert_eq!(a[col("library_share")], "0.400000");
    assert_eq!(a[col("library_elderly_covered")], "6");
    assert_eq!(a[col("library_elderly_share")], "0.400000");
    assert_eq!(a[col("library_sites_in_unit")], "1");
    assert_eq!(a[col("library_has_site")], "1");
    assert_eq!(b[col("library_has_site")], "0");
    assert_eq!(b[col("learning_point_population_covered")], "240");
    assert_eq!(b[col("learning_point_share")], "0.600000");
    assert_eq!(b[col("tier_5min_share")], "0.600000");
    assert_eq!(a[col("covered_all_share")], "0.000000");

    // Conservation: Σ units + outside = Σ cells = input total.
    let s = d.json("out/summary.json");
    assert_eq!(s["units"]["outside_population"].as_f64().unwrap(), 5.0);
    assert_eq!(
        s["inputs"]["population_input_total"].as_f64().unwrap(),
        555.0
    );
    let tier5 = s["tiers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tier"] == "5min")
        .unwrap();
    assert_eq!(tier5["population_covered"].as_f64().unwrap(), 240.0);

    // Targets: 60/555 < 0.5 fail; 1 of 2 units has a learning point = 0.5 pass;
    // has_site A pass, B fail; per-unit library share A 0.4 pass, B 0 fail;
    // tier 5min 240/555 = 0.432432 < 0.6 fail.
    let t = d.read("out/targets.csv");
    let want = "target,category,scope,metric,op,value,actual,pass\n\
        library.covered_share >= 0.5,library,city,covered_share,>=,0.5,0.108108,0\n\
        every street a learning point,learning_point,city,units_with_site,>=,0.5,0.500000,1\n\
        library.has_site >= 1,library,A,has_site,>=,1,1.000000,1\n\
        library.has_site >= 1,library,B,has_site,>=,1,0.000000,0\n\
        library.covered_share >= 0.4,library,A,covered_share,>=,0.4,0.400000,1\n\
        library.covered_share >= 0.4,library,B,covered_share,>=,0.4,0.000000,0\n\
        tier:5min.covered_share >= 60%,tier:5min,city,covered_share,>=,0.6,0.432432,0\n";
    assert_eq!(t, want);
    assert_eq!(s["targets"]["passed"].as_u64(), Some(3));
    assert_eq!(s["targets"]["failed"].as_u64(), Some(4));
    assert!(
        r.stdout.contains("[FAIL] library.covered_share >= 0.5"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("[PASS] every street a learning point"),
        "{}",
        r.stdout
    );

    let gj: geojson::GeoJson = d.read("out/units.geojson").parse().unwrap();
    let geojson::GeoJson::FeatureCollection(fc) = gj else {
        panic!()
    };
    assert_eq!(fc.features.len(), 2);
    assert_eq!(
        fc.features[1]
            .property("learning_point_share")
            .and_then(serde_json::Value::as_f64),
        Some(0.6)
    );
}

/// The fixture with the file `name` replaced by `content`.
fn fixture_with(name: &str, content: &str) -> Dir {
    let d = Dir::new();
    fixture(&d);
    d.write(name, content);
    d
}

#[test]
fn unit_and_target_bad_inputs() {
    // Units that cover nothing.
    let d = fixture_with(
        "units.geojson",
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"far"},"geometry":{"type":"Polygon","coordinates":[[[100,10],[101,10],[101,11],[100,11],[100,10]]]}}]}"#,
    );
    run(&d, &[]).assert_exit(
        "units that cover nothing",
        2,
        &["units.geojson: none of the 11 cells lies inside any of the 1 units"],
    );
    assert!(!d.path("out").exists());

    // A target naming an unknown category.
    let d = fixture_with(
        "cfg.toml",
        "[[category]]\nname='library'\nthreshold_m=500.0\n[[target]]\nrule='museum.covered_share >= 0.9'\n",
    );
    run(&d, &[]).assert_exit(
        "unknown category",
        2,
        &["names unknown category \"museum\""],
    );
    assert!(!d.path("out").exists());

    // A per-unit target without --units.
    let d = fixture_with(
        "cfg.toml",
        "[[category]]\nname='library'\nthreshold_m=500.0\n[[target]]\nrule='library.has_site >= 1'\nscope='unit'\n",
    );
    d.coverage(&["--config", "cfg.toml", "--out", "out"])
        .assert_exit(
            "per-unit target without --units",
            2,
            &["needs --units FILE"],
        );
    assert!(!d.path("out").exists());

    // A malformed rule.
    let d = fixture_with("cfg.toml", "[[target]]\nrule='library covers everyone'\n");
    run(&d, &[]).assert_exit("malformed rule", 2, &["cfg.toml: invalid config: target"]);

    // A self-intersecting unit polygon is kept with a warning naming the feature.
    let d = fixture_with(
        "units.geojson",
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"X"},"geometry":{"type":"Polygon","coordinates":[[[121.499,31.295],[121.509,31.305],[121.509,31.295],[121.499,31.305],[121.499,31.295]]]}}]}"#,
    );
    let r = run(&d, &[]);
    assert!(
        r.stderr
            .contains("units.geojson: feature 0: unit polygon is not valid"),
        "{}",
        r.stderr
    );
}
