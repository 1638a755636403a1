//! Several unit levels in one run (issue 14): three nested synthetic levels with
//! has_site, coverage shares and parents computed by hand, a straddling street,
//! sites outside their level, and zone-restricted targets.

use crate::util::{Dir, column, read_csv};

/// Eleven cells on the parallel 31.3° N, 0.002° of longitude apart (≈ 190.4 m);
/// cell k (at 121.500 + 0.002 k) has 10(k+1) residents and k+1 elderly; cell 10
/// (121.530, 5 residents) is outside every unit. Σ = 555.
///
/// Levels (all from 31.295 to 31.305):
/// * district D1 [121.499, 121.509] (cells 0–4, zone main_city),
///   D2 [121.509, 121.519] (cells 5–9, zone two_wings);
/// * street S1 [121.499, 121.505] (cells 0–2), S2 [121.505, 121.507] (cell 3),
///   S3 [121.507, 121.519] (cells 4–9): S3 straddles D1/D2, 10/12 of it in D2;
/// * community C1 [121.499, 121.503] (0, 1), C2 [121.503, 121.505] (2),
///   C3 [121.505, 121.507] (3), C4 [121.507, 121.513] (4–6), C5 [121.513, 121.519] (7–9).
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
    // college K1 at cell 1 (D1); schools H1 at cell 0 (S1), H2 at cell 8 (S3);
    // points P1 at cell 3 (C3), P2 at 121.540, in no community.
    d.write(
        "sites.csv",
        "id,name,category,lon,lat\n\
         K1,区社区学院,college,121.502,31.300\n\
         H1,社区学校一,school,121.500,31.300\n\
         H2,社区学校二,school,121.516,31.300\n\
         P1,教学点一,point,121.506,31.300\n\
         P2,教学点二,point,121.540,31.300\n",
    );
    let rect = |id: &str, extra: &str, x0: f64, x1: f64| {
        format!(
            r#"{{"type":"Feature","properties":{{"code":"{id}","name":"{id} name"{extra}}},"geometry":{{"type":"Polygon","coordinates":[[[{x0},31.295],[{x1},31.295],[{x1},31.305],[{x0},31.305],[{x0},31.295]]]}}}}"#
        )
    };
    let fc = |features: Vec<String>| {
        format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            features.join(",")
        )
    };
    d.write(
        "districts.geojson",
        fc(vec![
            rect("D1", r#","zone":"main_city""#, 121.499, 121.509),
            rect("D2", r#","zone":"two_wings""#, 121.509, 121.519),
        ]),
    );
    d.write(
        "streets.geojson",
        fc(vec![
            rect("S1", "", 121.499, 121.505),
            rect("S2", "", 121.505, 121.507),
            rect("S3", "", 121.507, 121.519),
        ]),
    );
    d.write(
        "communities.geojson",
        fc(vec![
            rect("C1", "", 121.499, 121.503),
            rect("C2", "", 121.503, 121.505),
            rect("C3", "", 121.505, 121.507),
            rect("C4", "", 121.507, 121.513),
            rect("C5", "", 121.513, 121.519),
        ]),
    );
    d.write("cfg.toml", format!("{CATEGORIES}{TARGETS}"));
}

const CATEGORIES: &str = r#"
[[category]]
name = "college"
threshold_m = 1000.0
level = "district"

[[category]]
name = "school"
threshold_m = 300.0
level = "street"

[[category]]
name = "point"
threshold_m = 200.0
level = "community"
"#;

const TARGETS: &str = r#"
[[target]]
name = "main city"
rule = "school.covered_share@street >= 0.5"
where = "zone == 'main_city'"

[[target]]
name = "two wings"
rule = "school.covered_share@street >= 0.5"
where = "zone == 'two_wings'"

[[target]]
name = "streets with a school, main city"
rule = "school.units_with_site >= 0.5"
where = "zone in ['main_city']"

[[target]]
rule = "school.has_site >= 1"
scope = "unit"

[[target]]
rule = "point.has_site >= 1"
scope = "unit"
units = ["C2", "C3"]

[[target]]
rule = "college.units_with_site@district >= 1.0"

[[target]]
rule = "college.covered_share >= 0.5"
"#;

const LEVEL_ARGS: &[&str] = &[
    "--units",
    "district=districts.geojson",
    "--units",
    "street=streets.geojson",
    "--units",
    "community=communities.geojson",
];

fn run(d: &Dir, units: &[&str], out: &str) -> crate::util::Run {
    let mut args = vec![
        "coverage",
        "--sites",
        "sites.csv",
        "--population",
        "pop.csv",
        "--config",
        "cfg.toml",
        "--mode",
        "straight",
        "--circuity",
        "1.0",
        "--out",
        out,
    ];
    args.extend(units);
    d.run(&args)
}

/// `(unit_id → row)` of a units file, with a column lookup.
fn table(d: &Dir, file: &str) -> (Vec<String>, Vec<Vec<String>>) {
    read_csv(&d.read(file))
}

fn cell<'a>(t: &'a (Vec<String>, Vec<Vec<String>>), unit: &str, col: &str) -> &'a str {
    let row =
        t.1.iter()
            .find(|r| r[0] == unit)
            .unwrap_or_else(|| panic!("unit {unit} missing"));
    &row[column(&t.0, col)]
}

#[test]
fn three_levels_match_hand_computed_answers() {
    let d = Dir::new();
    fixture(&d);
    let r = run(&d, LEVEL_ARGS, "out");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let files = crate::util::files_in(&d.path("out"));
    for f in [
        "units_district.csv",
        "units_district.geojson",
        "units_street.csv",
        "units_street.geojson",
        "units_community.csv",
        "units_community.geojson",
        "targets.csv",
    ] {
        assert!(files.contains(&f.to_owned()), "{f} missing: {files:?}");
    }
    assert!(!files.contains(&"units.csv".to_owned()), "{files:?}");

    // Districts. college (1000 m) from cell 1 reaches cells 0–6 (|k−1| ≤ 5):
    // D1 150/150, D2 cells 5, 6 = 130/400.
    let t = table(&d, "out/units_district.csv");
    assert_eq!(cell(&t, "D1", "population"), "150");
    assert_eq!(cell(&t, "D2", "population"), "400");
    assert_eq!(cell(&t, "D1", "college_has_site"), "1");
    assert_eq!(cell(&t, "D2", "college_has_site"), "0");
    assert_eq!(cell(&t, "D1", "college_share"), "1.000000");
    assert_eq!(cell(&t, "D2", "college_share"), "0.325000");
    assert_eq!(cell(&t, "D1", "parent_id"), "");
    assert_eq!(cell(&t, "D1", "straddles_parent"), "");

    // Streets. school (300 m) from cells 0 and 8 reaches 0, 1 and 7, 8, 9:
    // S1 30/60, S2 0/40, S3 270/450. Parents: S1, S2 in D1; S3 10/12 in D2.
    let t = table(&d, "out/units_street.csv");
    assert_eq!(cell(&t, "S1", "population"), "60");
    assert_eq!(cell(&t, "S2", "population"), "40");
    assert_eq!(cell(&t, "S3", "population"), "450");
    assert_eq!(cell(&t, "S1", "school_share"), "0.500000");
    assert_eq!(cell(&t, "S2", "school_share"), "0.000000");
    assert_eq!(cell(&t, "S3", "school_share"), "0.600000");
    assert_eq!(cell(&t, "S1", "school_has_site"), "1");
    assert_eq!(cell(&t, "S2", "school_has_site"), "0");
    assert_eq!(cell(&t, "S3", "school_has_site"), "1");
    assert_eq!(cell(&t, "S1", "parent_level"), "district");
    assert_eq!(cell(&t, "S1", "parent_id"), "D1");
    assert_eq!(cell(&t, "S1", "parent_name"), "D1 name");
    assert_eq!(cell(&t, "S2", "parent_id"), "D1");
    assert_eq!(cell(&t, "S3", "parent_id"), "D2");
    assert_eq!(cell(&t, "S1", "parent_share"), "1.000000");
    let s3: f64 = cell(&t, "S3", "parent_share").parse().unwrap();
    assert!((s3 - 10.0 / 12.0).abs() < 1e-3, "{s3}");
    assert_eq!(cell(&t, "S1", "straddles_parent"), "0");
    assert_eq!(cell(&t, "S3", "straddles_parent"), "1");

    // Communities. point (200 m) from cell 3 reaches 2, 3, 4 (P2 reaches nothing):
    // C1 0/30, C2 30/30, C3 40/40, C4 50/180, C5 0/270; only C3 holds a point.
    let t = table(&d, "out/units_community.csv");
    let want = [
        ("C1", "30", "0.000000", "0", "S1"),
        ("C2", "30", "1.000000", "0", "S1"),
        ("C3", "40", "1.000000", "1", "S2"),
        ("C4", "180", "0.277778", "0", "S3"),
        ("C5", "270", "0.000000", "0", "S3"),
    ];
    for (id, pop, share, has, parent) in want {
        assert_eq!(cell(&t, id, "population"), pop, "{id}");
        assert_eq!(cell(&t, id, "point_share"), share, "{id}");
        assert_eq!(cell(&t, id, "point_has_site"), has, "{id}");
        assert_eq!(cell(&t, id, "parent_id"), parent, "{id}");
        assert_eq!(cell(&t, id, "straddles_parent"), "0", "{id}");
    }

    // Σ residents per level + outside = Σ cells = 555, at every level.
    let s = d.json("out/summary.json");
    let levels = s["levels"].as_array().unwrap();
    assert_eq!(levels.len(), 3);
    for (l, file) in levels.iter().zip([
        "out/units_district.csv",
        "out/units_street.csv",
        "out/units_community.csv",
    ]) {
        let (h, rows) = read_csv(&d.read(file));
        let p = column(&h, "population");
        let sum: f64 = rows.iter().map(|r| r[p].parse::<f64>().unwrap()).sum();
        let outside = l["outside_population"].as_f64().unwrap();
        assert_eq!(sum + outside, 555.0, "{}", l["level"]);
        assert_eq!(outside, 5.0);
    }
    assert!(
        s.get("units").is_none(),
        "named levels: no single units block"
    );
    // The straddling street is reported in the summary and as a warning.
    assert_eq!(levels[1]["straddling"][0]["unit_id"], "S3");
    assert_eq!(levels[1]["straddling"][0]["parent_id"], "D2");
    assert_eq!(levels[2]["straddling"].as_array().unwrap().len(), 0);
    let warnings = s["warnings"].to_string();
    assert!(
        warnings.contains("straddle") && warnings.contains("S3"),
        "{warnings}"
    );
    // The point outside every community is reported.
    let point = &levels[2]["categories"][0];
    assert_eq!(point["category"], "point");
    assert_eq!(point["units_with_site"], 1);
    assert_eq!(point["sites_outside_level"][0], "P2");
    assert!(warnings.contains("P2"), "{warnings}");
    assert_eq!(levels[1]["categories"][0]["units_without_site"][0], "S2");

    // Targets: the same rule passes in two_wings (S3 270/450 = 0.6) and fails in
    // main_city (S1 + S2 = 30/100 = 0.3); S1 of S1, S2 has a school = 0.5; per
    // street has_site S1 1, S2 0, S3 1; points in C2 0, C3 1; 1 of 2 districts
    // has a college; the college covers cells 0–6 = 280/555 (no level).
    let t = d.read("out/targets.csv");
    let want = "target,category,scope,metric,op,value,actual,pass,level,where\n\
        main city,school,city,covered_share,>=,0.5,0.300000,0,street,zone == 'main_city'\n\
        two wings,school,city,covered_share,>=,0.5,0.600000,1,street,zone == 'two_wings'\n\
        \"streets with a school, main city\",school,city,units_with_site,>=,0.5,0.500000,1,street,zone in ['main_city']\n\
        school.has_site >= 1,school,S1,has_site,>=,1,1.000000,1,street,\n\
        school.has_site >= 1,school,S2,has_site,>=,1,0.000000,0,street,\n\
        school.has_site >= 1,school,S3,has_site,>=,1,1.000000,1,street,\n\
        point.has_site >= 1,point,C2,has_site,>=,1,0.000000,0,community,\"unit_id in ['C2', 'C3']\"\n\
        point.has_site >= 1,point,C3,has_site,>=,1,1.000000,1,community,\"unit_id in ['C2', 'C3']\"\n\
        college.units_with_site@district >= 1.0,college,city,units_with_site,>=,1,0.500000,0,district,\n\
        college.covered_share >= 0.5,college,city,covered_share,>=,0.5,0.504505,1,,\n";
    assert_eq!(t, want);
    assert_eq!(s["targets"]["checks"][0]["where"], "zone == 'main_city'");
    assert_eq!(s["targets"]["checks"][0]["level"], "street");
    assert!(
        r.stdout.contains("[FAIL] main city")
            && r.stdout.contains("[PASS] two wings")
            && r.stdout.contains("failing: S2"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("level street: 3 units"), "{}", r.stdout);

    // The same levels from the config's [[units]] give the same files.
    d.write(
        "cfg2.toml",
        format!(
            "{CATEGORIES}{TARGETS}\n[[units]]\nlevel = \"district\"\nfile = \"districts.geojson\"\n\
             [[units]]\nlevel = \"street\"\nfile = \"streets.geojson\"\n\
             [[units]]\nlevel = \"community\"\nfile = \"communities.geojson\"\ncode_field = \"code\"\n"
        ),
    );
    let mut args = vec![
        "coverage",
        "--sites",
        "sites.csv",
        "--population",
        "pop.csv",
        "--config",
        "cfg2.toml",
        "--mode",
        "straight",
        "--circuity",
        "1.0",
        "--out",
        "out2",
    ];
    args.extend(["--format", "csv,geojson,gpkg"]);
    let r2 = d.run(&args);
    assert_eq!(r2.code, 0, "{}", r2.stderr);
    for f in [
        "units_district.csv",
        "units_street.csv",
        "units_community.geojson",
        "targets.csv",
    ] {
        assert_eq!(
            d.read(&format!("out/{f}")),
            d.read(&format!("out2/{f}")),
            "{f}"
        );
    }
    // GeoPackage: one layer per level.
    let conn = rusqlite::Connection::open(d.path("out2/learncircle.gpkg")).unwrap();
    let mut st = conn
        .prepare("SELECT table_name FROM gpkg_contents ORDER BY table_name")
        .unwrap();
    let names: Vec<String> = st
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for l in ["units_district", "units_street", "units_community"] {
        assert!(names.contains(&l.to_owned()), "{names:?}");
    }
}

#[test]
fn level_errors_name_the_problem() {
    let d = Dir::new();
    fixture(&d);
    // A plain file mixed with levels.
    let r = run(
        &d,
        &[
            "--units",
            "streets.geojson",
            "--units",
            "district=districts.geojson",
        ],
        "o1",
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("not a mix"), "{}", r.stderr);
    assert!(!d.path("o1").exists());
    // A level given twice.
    let r = run(
        &d,
        &[
            "--units",
            "street=streets.geojson",
            "--units",
            "street=districts.geojson",
        ],
        "o2",
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("given twice"), "{}", r.stderr);
    // A restriction on a property no unit has.
    d.write(
        "bad.toml",
        format!(
            "{CATEGORIES}\n[[target]]\nrule = \"school.covered_share@street >= 0.5\"\nwhere = \"zonr == 'x'\"\n"
        ),
    );
    let r = d.run(&[
        "coverage",
        "--sites",
        "sites.csv",
        "--population",
        "pop.csv",
        "--config",
        "bad.toml",
        "--units",
        "district=districts.geojson",
        "--units",
        "street=streets.geojson",
        "--out",
        "o3",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("zonr"), "{}", r.stderr);
    // A malformed restriction: the config is rejected, naming the target.
    d.write(
        "bad2.toml",
        format!("{CATEGORIES}\n[[target]]\nrule = \"school.covered_share >= 0.5\"\nwhere = \"zone = 'x'\"\n"),
    );
    let r = d.run(&[
        "coverage",
        "--sites",
        "sites.csv",
        "--population",
        "pop.csv",
        "--config",
        "bad2.toml",
        "--units",
        "street=streets.geojson",
        "--out",
        "o4",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("where"), "{}", r.stderr);
    // A target at a level the run lacks is not checked, with a warning; a
    // target of several levels without one is an error.
    d.write(
        "lvl.toml",
        format!("{CATEGORIES}\n[[target]]\nrule = \"covered_all.covered_share@ward >= 0.5\"\n[[target]]\nrule = \"covered_all.covered_share >= 0.1\"\nscope = \"unit\"\n"),
    );
    let r = d.run(&[
        "coverage",
        "--sites",
        "sites.csv",
        "--population",
        "pop.csv",
        "--config",
        "lvl.toml",
        "--units",
        "district=districts.geojson",
        "--units",
        "street=streets.geojson",
        "--out",
        "o5",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("several unit levels"), "{}", r.stderr);
}

#[test]
fn presets_bind_categories_to_levels() {
    let d = Dir::new();
    fixture(&d);
    d.write(
        "sites2.csv",
        "id,name,category,lon,lat\nH1,社区学校,社区学校,121.500,31.300\nK1,社区学院,社区学院,121.502,31.300\n",
    );
    let r = d.run(&[
        "coverage",
        "--sites",
        "sites2.csv",
        "--population",
        "pop.csv",
        "--preset",
        "cn-community-network",
        "--mode",
        "straight",
        "--units",
        "district=districts.geojson",
        "--units",
        "street=streets.geojson",
        "--out",
        "o",
    ]);
    assert!(r.code <= 1, "{}", r.stderr);
    let t = d.read("o/targets.csv");
    assert!(
        t.contains("community_school,city,units_with_site,>=,1,0.333333,0,street,"),
        "{t}"
    );
    let s = d.json("o/summary.json");
    let w = s["warnings"].to_string();
    // No community level in this run: its target is not checked, said so.
    assert!(w.contains("community") && w.contains("not checked"), "{w}");
    assert!(
        w.contains("teaching_point") && w.contains("no sites"),
        "{w}"
    );
    // chongqing: zones on the districts reach the streets through their parents.
    let r = d.run(&[
        "coverage",
        "--sites",
        "sites2.csv",
        "--population",
        "pop.csv",
        "--preset",
        "chongqing",
        "--mode",
        "straight",
        "--units",
        "district=districts.geojson",
        "--units",
        "street=streets.geojson",
        "--out",
        "cq",
    ]);
    assert!(r.code <= 1, "{}", r.stderr);
    let t = d.read("cq/targets.csv");
    assert!(
        t.contains("主城九区 >80%,community_school,city,covered_share,>,0.8,"),
        "{t}"
    );
    assert!(
        t.contains("两翼 40%,community_school,city,covered_share,>=,0.4,"),
        "{t}"
    );
    let w = d.json("cq/summary.json")["warnings"].to_string();
    assert!(
        w.contains("one_hour_circle") && w.contains("not checked"),
        "{w}"
    );
}

/// The three-level fixture run into `out/`, then `report --run out --lang en`.
fn three_level_run_with_report() -> Dir {
    let d = Dir::new();
    fixture(&d);
    let r = run(&d, LEVEL_ARGS, "out");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = d.run(&["report", "--run", "out", "--lang", "en"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    d
}

/// `report.html` of a three-level run: the levels section with the numbers of
/// `three_levels_match_hand_computed_answers`, in both languages, and the level
/// and zone of the targets in the targets table.
#[test]
fn report_shows_the_levels() {
    let d = three_level_run_with_report();
    let html = d.read("out/report.html");
    let start = html.find("<h2 id=\"levels\">").expect("levels section");
    let end = html[start + 4..]
        .find("<h2")
        .map_or(html.len(), |e| start + 4 + e);
    let sec = &html[start..end];
    // Overview: units, source, parent level, residents outside (5), straddling.
    for want in [
        "<td class=\"text\"><code>district</code></td><td>2</td><td class=\"text\">districts.geojson</td><td class=\"text\">–</td><td>5</td>",
        "<td class=\"text\"><code>street</code></td><td>3</td><td class=\"text\">streets.geojson</td><td class=\"text\"><code>district</code></td><td>5</td><td class=\"text\">S3 (D2 83.3%)</td>",
        "<td class=\"text\"><code>community</code></td><td>5</td>",
    ] {
        assert!(sec.contains(want), "{want}\n{sec}");
    }
    // Bound categories: college 1/2 units, 280/550 residents; school 2/3,
    // 300/550, S2 without; point 1/5, 120/550, P2 outside every community.
    for want in [
        "<td>1 / 2</td><td>50.0%</td><td>50.9%</td>",
        "<td>2 / 3</td><td>66.7%</td><td>54.5%</td><td class=\"text\">S2</td><td class=\"text\">–</td>",
        "<td>1 / 5</td><td>20.0%</td><td>21.8%</td><td class=\"text\">C1, C2, C4, C5</td><td class=\"text\">P2</td>",
    ] {
        assert!(sec.contains(want), "{want}\n{sec}");
    }
    // Unit tables from units_<level>.csv: parents (S3 straddles), has_site, share.
    for want in [
        "<td class=\"text\">S3 name <code>S3</code></td><td class=\"text\">D2 name <code>D2</code> (straddles 83.3%)</td><td>450</td><td><span class=\"pass\">✓</span> 60.0%</td>",
        "<td class=\"text\">S2 name <code>S2</code></td><td class=\"text\">D1 name <code>D1</code></td><td>40</td><td><span class=\"fail\">✗</span> 0.0%</td>",
        "<td class=\"text\">C4 name <code>C4</code></td><td class=\"text\">S3 name <code>S3</code></td><td>180</td><td><span class=\"fail\">✗</span> 27.8%</td>",
        "<td class=\"text\">D2 name <code>D2</code></td><td class=\"text\">–</td><td>400</td><td><span class=\"fail\">✗</span> 32.5%</td>",
    ] {
        assert!(sec.contains(want), "{want}\n{sec}");
    }
    // Targets name their level and zone, and per-unit checks the unit.
    assert!(
        html.contains("city @street, where zone == &#39;main_city&#39;"),
        "targets scope"
    );
    assert!(html.contains("S2 name (S2) @street"), "unit scope");
    // Chinese.
    let r = d.run(&["report", "--run", "out", "--out", "zh/report.html"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let zh = d.read("zh/report.html");
    assert!(zh.contains("<h2 id=\"levels\">单元层级</h2>"));
    assert!(zh.contains("D2 name <code>D2</code> (跨界 83.3%)"));
    assert!(zh.contains("全市 @street，条件 zone == &#39;main_city&#39;"));
}

/// The charts of a three-level run: one bar chart per level and category from
/// `units_<level>.csv` (the shares of `three_levels_match_hand_computed_answers`),
/// shown in the report's section of that level.
#[test]
fn level_charts_show_each_levels_units() {
    let d = three_level_run_with_report();
    for level in ["district", "street", "community"] {
        for cat in ["college", "school", "point"] {
            let svg = d.path(&format!("out/charts/units_{level}_{cat}.svg"));
            assert!(svg.exists(), "{}", svg.display());
        }
    }
    // Street level, school: S3 60 %, S1 50 %, S2 0 % (no site of its own).
    let svg = d.read("out/charts/units_street_school.svg");
    assert!(
        svg.contains("<title>school: share of residents covered, by street unit</title>"),
        "{}",
        &svg[..svg.len().min(400)]
    );
    let (s1, s2, s3) = (
        svg.find("S1 name").expect("S1"),
        svg.find("S2 name").expect("S2"),
        svg.find("S3 name").expect("S3"),
    );
    assert!(s3 < s1 && s1 < s2, "sorted best first: S3, S1, S2");
    for share in ["60.0%", "50.0%", "0.0%"] {
        assert!(svg.contains(share), "{share}");
    }
    let html = d.read("out/report.html");
    let street = html.find("<h3 id=\"level-street\">").expect("street level");
    let community = html
        .find("<h3 id=\"level-community\">")
        .expect("community level");
    let figure = html
        .find("school: share of residents covered, by street unit")
        .expect("street chart in the report");
    assert!(
        street < figure && figure < community,
        "in the street section"
    );
}
