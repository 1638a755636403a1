//! `recommend`: maximal covering location on the walking network, checked against
//! an independent route to the same number (placing the recommended sites as a
//! what-if plan) and against the exact optimum on a small instance.

use crate::util::{Dir, read_csv, sample};

fn base(category: &str, k: &str, out: &str) -> Vec<String> {
    [
        "recommend",
        "--sites",
        &sample("helsinki/sites.csv"),
        "--population",
        &sample("helsinki/population.geojson"),
        "--network",
        &sample("helsinki/Helsinki.osm.pbf"),
        "--config",
        &sample("helsinki/learncircle.toml"),
        "--category",
        category,
        "-k",
        k,
        "--out",
        out,
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

fn run(d: &Dir, args: &[String]) -> crate::util::Run {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    d.run(&refs)
}

#[test]
fn recommended_sites_deliver_the_promised_coverage() {
    let d = Dir::new();
    let mut a = base("culture_centre", "2", "rec");
    a.push("--exact".into());
    let r = run(&d, &a);
    assert!(r.code <= 1, "{}", r.stderr);
    let (h, rows) = read_csv(&d.read("rec/recommend.csv"));
    assert_eq!(
        &h[..9],
        [
            "rank",
            "candidate_id",
            "category",
            "lon",
            "lat",
            "gain_population",
            "gain_elderly",
            "cumulative_covered",
            "cumulative_share"
        ]
    );
    assert_eq!(rows.len(), 2);
    let gains: Vec<f64> = rows.iter().map(|r| r[5].parse().unwrap()).collect();
    assert!(
        gains[0] >= gains[1] && gains[1] > 0.0,
        "marginal gains {gains:?}"
    );
    let s: serde_json::Value = serde_json::from_str(&d.read("rec/recommend.json")).unwrap();
    let greedy = s["greedy_gain"].as_f64().unwrap();
    let optimum = s["exact"]["optimum_gain"].as_f64().unwrap();
    assert!(
        optimum + 1e-6 >= greedy,
        "optimum {optimum} < greedy {greedy}"
    );
    assert!(
        greedy >= 0.97 * optimum,
        "greedy {greedy} vs optimum {optimum}"
    );

    // Independent route: put the recommended sites in as a what-if plan.
    let mut plan = String::from("id,name,category,lon,lat\n");
    for r in &rows {
        plan.push_str(&format!(
            "{},rec,culture_centre,{},{}\n",
            r[1].replace(':', "_"),
            r[3],
            r[4]
        ));
    }
    d.write("plan.csv", plan);
    let cov: Vec<String> = [
        "coverage",
        "--sites",
        &sample("helsinki/sites.csv"),
        "--population",
        &sample("helsinki/population.geojson"),
        "--network",
        &sample("helsinki/Helsinki.osm.pbf"),
        "--config",
        &sample("helsinki/learncircle.toml"),
        "--planned",
        "plan.csv",
        "--out",
        "cov",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let r = run(&d, &cov);
    assert!(r.code <= 1, "{}", r.stderr);
    let c: serde_json::Value = serde_json::from_str(&d.read("cov/summary.json")).unwrap();
    let cc = c["whatif"]["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "culture_centre")
        .unwrap();
    let after = cc["population_covered_after"].as_f64().unwrap();
    let before = cc["population_covered_before"].as_f64().unwrap();
    assert_eq!(before, s["covered_before"].as_f64().unwrap());
    let promised: f64 = rows.last().unwrap()[7].parse().unwrap();
    // Equal up to a boundary cell moved by the 1e-6° rounding of the written coordinates.
    let largest_cell = 2136.0;
    assert!(
        (after - promised).abs() <= largest_cell,
        "plan gives {after}, recommend promised {promised}"
    );
}

#[test]
fn recommend_bad_inputs() {
    let d = Dir::new();
    let r = run(&d, &base("museum", "2", "o"));
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("unknown category \"museum\""),
        "{}",
        r.stderr
    );
    assert!(!d.path("o").exists());
    let r = run(&d, &base("library", "0", "o"));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("-k must be at least 1"), "{}", r.stderr);
    let mut a = base("library", "2", "o");
    a.extend([
        "--candidates-from".into(),
        "nodes".into(),
        "--mode".into(),
        "straight".into(),
    ]);
    let r = run(&d, &a);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("needs the walking network") || r.stderr.contains("already covered"),
        "{}",
        r.stderr
    );
}
