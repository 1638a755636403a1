//! Properties through the binary on seeded random inputs: population is conserved,
//! coverage never shrinks as the threshold grows, adding a site never lowers coverage.

use crate::util::{Dir, Lcg, column, read_csv};

const SEED_1: u64 = 0x1EA7_C1C1E;

/// A random population CSV around Shanghai with a few bad rows, and random sites.
fn random_inputs(d: &Dir, seed: u64, n_cells: usize, n_sites: usize) -> f64 {
    let mut r = Lcg(seed);
    let mut pop = String::from("cell_id,lon,lat,population,elderly\n");
    let mut total = 0.0;
    for i in 0..n_cells {
        let lon = 121.45 + r.next() * 0.06;
        let lat = 31.27 + r.next() * 0.05;
        let p = (r.next() * 300.0).round();
        let e = (p * r.next() * 0.4).round();
        match i % 97 {
            13 => pop.push_str(&format!("c{i},{lon},NaN,{p},{e}\n")), // rejected, residents counted
            29 => pop.push_str(&format!("c{i},{lon},{lat},-{p},0\n")), // negative: not counted
            _ => pop.push_str(&format!("c{i},{lon:.6},{lat:.6},{p},{e}\n")),
        }
        if i % 97 != 29 {
            total += p;
        }
    }
    d.write("pop.csv", pop);
    let mut sites = String::from("id,name,category,lon,lat\n");
    for i in 0..n_sites {
        let cat = ["library", "社区学校", "elderly_learning"][i % 3];
        sites.push_str(&format!(
            "s{i},site {i},{cat},{:.6},{:.6}\n",
            121.45 + r.next() * 0.06,
            31.27 + r.next() * 0.05
        ));
    }
    d.write("sites.csv", sites);
    total
}

#[test]
fn population_is_conserved() {
    let d = Dir::new();
    let total = random_inputs(&d, SEED_1, 2000, 30);
    let r = d.coverage(&["--out", "o"]);
    assert_eq!(r.code, 1, "rejected rows → exit 1: {}", r.stderr);
    let s = d.json("o/summary.json");
    assert_eq!(
        s["inputs"]["population_input_total"].as_f64().unwrap(),
        total
    );
    let rejected = s["inputs"]["population_rejected"].as_f64().unwrap();
    assert!(rejected > 0.0);
    for c in s["categories"]
        .as_array()
        .unwrap()
        .iter()
        .chain([&s["overall"]])
    {
        let covered = c["population_covered"].as_f64().unwrap();
        let analysed = c["population"].as_f64().unwrap();
        let uncovered = analysed - covered;
        assert!(
            (covered + uncovered + rejected - total).abs() < 1e-6,
            "{}",
            c["name"]
        );
    }
    // And the cells file adds up to the analysed population.
    let (h, rows) = read_csv(&d.read("o/cells.csv"));
    let pi = column(&h, "population");
    let sum: f64 = rows.iter().map(|r| r[pi].parse::<f64>().unwrap()).sum();
    assert_eq!(sum + rejected, total);
    // Gap zones hold exactly the uncovered residents, per category and for covered_all.
    for g in s["gaps"]["zones"].as_array().unwrap() {
        let name = g["category"].as_str().unwrap();
        let c = if name == "covered_all" {
            &s["overall"]
        } else {
            s["categories"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["name"] == name)
                .unwrap()
        };
        let uncovered =
            c["population"].as_f64().unwrap() - c["population_covered"].as_f64().unwrap();
        assert_eq!(g["population"].as_f64().unwrap(), uncovered, "{name}");
    }
    let (gh, grows) = read_csv(&d.read("o/gaps.csv"));
    assert_eq!(
        &gh[..10],
        [
            "gap_id",
            "category",
            "rank",
            "cells",
            "population",
            "elderly",
            "area_m2",
            "centroid_lon",
            "centroid_lat",
            "worst_walk_min"
        ]
    );
    let gap_total: f64 = grows
        .iter()
        .filter(|r| r[1] == "library")
        .map(|r| r[4].parse::<f64>().unwrap())
        .sum();
    let lib = s["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "library")
        .unwrap();
    assert_eq!(
        gap_total,
        lib["population"].as_f64().unwrap() - lib["population_covered"].as_f64().unwrap()
    );
    let gj: geojson::GeoJson = d.read("o/gaps.geojson").parse().unwrap();
    let geojson::GeoJson::FeatureCollection(fc) = gj else {
        panic!()
    };
    assert_eq!(fc.features.len(), grows.len());
    let rej = d.read("o/rejected.csv");
    assert!(rej.starts_with("file,location,reason,population\n"));
    assert_eq!(
        rej.lines().count() - 1,
        s["rejected"]["total"].as_u64().unwrap() as usize
    );
}

#[test]
fn coverage_is_monotone_in_the_threshold() {
    let d = Dir::new();
    random_inputs(&d, SEED_1 + 1, 1500, 24);
    let thresholds = ["200", "400", "700", "1000", "1600"];
    let mut prev: Option<Vec<Vec<String>>> = None;
    let mut prev_shares: Option<Vec<f64>> = None;
    for (k, t) in thresholds.iter().enumerate() {
        let out = format!("o{k}");
        let r = d.coverage(&["--threshold-m", t, "--out", &out]);
        assert_eq!(r.code, 1, "{}", r.stderr);
        let (h, rows) = read_csv(&d.read(&format!("{out}/cells.csv")));
        let s = d.json(&format!("{out}/summary.json"));
        let shares: Vec<f64> = s["categories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["population_share"].as_f64().unwrap())
            .collect();
        if let (Some(p), Some(ps)) = (&prev, &prev_shares) {
            for (a, b) in ps.iter().zip(&shares) {
                assert!(b >= a, "share fell from {a} to {b} at {t} m");
            }
            for (i, name) in h
                .iter()
                .enumerate()
                .filter(|(_, n)| n.ends_with("_covered"))
            {
                for (ra, rb) in p.iter().zip(&rows) {
                    assert!(
                        !(ra[i] == "1" && rb[i] == "0"),
                        "{name}: cell {} lost coverage at {t} m",
                        ra[0]
                    );
                }
            }
        }
        prev = Some(rows);
        prev_shares = Some(shares);
    }
}

#[test]
fn adding_a_site_never_lowers_coverage() {
    let d = Dir::new();
    random_inputs(&d, SEED_1 + 2, 800, 9);
    let r = d.coverage(&["--out", "a"]);
    assert_eq!(r.code, 1);
    let mut sites = d.read("sites.csv");
    sites.push_str("extra,new library,library,121.48,31.295\n");
    d.write("sites.csv", sites);
    let r = d.coverage(&["--out", "b"]);
    assert_eq!(r.code, 1);
    let (h, a) = read_csv(&d.read("a/cells.csv"));
    let (_, b) = read_csv(&d.read("b/cells.csv"));
    let di = column(&h, "library_dist_m");
    for (ra, rb) in a.iter().zip(&b) {
        if let Ok(da) = ra[di].parse::<f64>() {
            let db: f64 = rb[di].parse().expect("still in reach");
            assert!(db <= da, "cell {}: {da} → {db}", ra[0]);
        }
        assert!(!(ra[di + 2] == "1" && rb[di + 2] == "0"));
    }
}

/// 2SFCA through the binary: Σ_i demand_i × score_i = Σ supply of the sites with
/// demand in reach, recomputed from `access.csv` and `cells.csv`.
#[test]
fn two_step_fca_conserves_supply() {
    let d = Dir::new();
    random_inputs(&d, SEED_1 + 3, 900, 12);
    // Capacities on every other site.
    let sites: String = d
        .read("sites.csv")
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("{l},capacity\n")
            } else if i % 2 == 0 {
                format!("{l},{}\n", 50 * i)
            } else {
                format!("{l},\n")
            }
        })
        .collect();
    d.write("sites.csv", sites);
    for method in ["2sfca", "e2sfca-step", "e2sfca-gaussian"] {
        let out = format!("o-{method}");
        let r = d.coverage(&["--access", method, "--out", &out]);
        assert_eq!(r.code, 1, "{}", r.stderr);
        let s = d.json(&format!("{out}/summary.json"));
        let (ch, cells) = read_csv(&d.read(&format!("{out}/cells.csv")));
        let (ah, acc) = read_csv(&d.read(&format!("{out}/access.csv")));
        let pi = column(&ch, "population");
        for c in s["access"]["categories"].as_array().unwrap() {
            let name = c["category"].as_str().unwrap();
            let ai = column(&ah, &format!("{name}_access"));
            let dot: f64 = cells
                .iter()
                .zip(&acc)
                .map(|(cr, ar)| cr[pi].parse::<f64>().unwrap() * ar[ai].parse::<f64>().unwrap())
                .sum();
            let reached = c["supply_reached"].as_f64().unwrap();
            assert!(
                (dot - reached).abs() <= 1e-4 * reached.max(1.0),
                "{method} {name}: {dot} vs {reached}"
            );
            assert!(
                (c["demand_weighted_score"].as_f64().unwrap() - reached).abs()
                    < 1e-6 * reached.max(1.0)
            );
        }
    }
}
