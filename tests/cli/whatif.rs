//! What-if runs (`coverage --planned`): an empty plan is the baseline byte for
//! byte; planned sites never lower any cell's coverage; before/after files agree.

use crate::util::{Dir, column, read_csv, sample_args, summary_without_timings};

fn helsinki(extra: &[&str], out: &str) -> Vec<String> {
    let mut a = sample_args("coverage", "helsinki", extra);
    a.extend(["--out".to_owned(), out.to_owned()]);
    a
}

#[test]
fn empty_plan_is_the_baseline_byte_for_byte() {
    let d = Dir::new();
    d.write("planned.csv", "id,name,category,lon,lat\n");
    let r = d.run_owned(&helsinki(&[], "base"));
    assert!(r.code <= 1, "{}", r.stderr);
    let r = d.run_owned(&helsinki(&["--planned", "planned.csv"], "plan"));
    assert!(r.code <= 1, "{}", r.stderr);
    for f in [
        "cells.csv",
        "cells.geojson",
        "sites.csv",
        "gaps.csv",
        "gaps.geojson",
        "rejected.csv",
    ] {
        assert_eq!(
            d.read(&format!("base/{f}")),
            d.read(&format!("plan/{f}")),
            "{f}"
        );
    }
    let a = summary_without_timings(&d.read("base/summary.json"));
    let mut b = summary_without_timings(&d.read("plan/summary.json"));
    let w = b
        .as_object_mut()
        .unwrap()
        .remove("whatif")
        .expect("whatif block");
    assert_eq!(w["planned_sites"], 0);

    assert_eq!(a, b);
    let (h, rows) = read_csv(&d.read("plan/whatif_cells.csv"));
    for (k, name) in h
        .iter()
        .enumerate()
        .filter(|(_, n)| n.ends_with("_delta_m"))
    {
        for r in &rows {
            assert!(r[k].is_empty() || r[k] == "0.0", "{name}: {}", r[k]);
        }
    }
}

#[test]
fn planned_sites_never_lower_coverage() {
    let d = Dir::new();
    // Two planned community centres at the western and northern edges of the extract.
    d.write(
        "planned.csv",
        "id,name,category,lon,lat\np1,new centre west,culture_centre,24.9365,60.1705\np2,new centre north,culture_centre,24.9460,60.1770\n",
    );
    let r = d.run_owned(&helsinki(&["--planned", "planned.csv"], "plan"));
    assert!(r.code <= 1, "{}", r.stderr);
    let (h, rows) = read_csv(&d.read("plan/whatif_cells.csv"));
    let col = |n: &str| column(&h, n);
    let mut improved = 0;
    for cat in ["library", "culture_centre"] {
        let (db, da, dd, cb, ca) = (
            col(&format!("{cat}_dist_m_before")),
            col(&format!("{cat}_dist_m")),
            col(&format!("{cat}_delta_m")),
            col(&format!("{cat}_covered_before")),
            col(&format!("{cat}_covered")),
        );
        for r in &rows {
            assert!(
                !(r[cb] == "1" && r[ca] == "0"),
                "{cat}: cell {} lost coverage",
                r[0]
            );
            if let Ok(before) = r[db].parse::<f64>() {
                let after: f64 = r[da].parse().expect("still reached");
                assert!(after <= before, "{cat}: cell {} {before} → {after}", r[0]);
                let delta: f64 = r[dd].parse().unwrap();
                assert!((delta - (after - before)).abs() < 0.051);
                if after < before {
                    improved += 1;
                }
            }
        }
    }
    assert!(improved > 0, "the planned sites change something");
    let s = d.json("plan/summary.json");
    let w = &s["whatif"];
    assert_eq!(w["planned_sites"], 2);
    let cc = w["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "culture_centre")
        .unwrap();
    assert!(cc["population_share_after"].as_f64() >= cc["population_share_before"].as_f64());
    // The main outputs describe the situation with the plan: sites.csv marks planned sites.
    let sites = d.read("plan/sites.csv");
    assert!(sites.lines().next().unwrap().ends_with(",planned"));
    assert!(sites.contains("p1,new centre west,culture_centre"));
}
