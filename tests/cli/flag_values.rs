//! No value of a numeric flag crashes the binary: every command is driven with
//! extreme and seeded random values of each of its numeric flags, and must end
//! with exit 0, 1 or 2 and no panic or abort message (issue: `recommend -k
//! 1000000000` used to abort with an allocation failure, exit 134).

use crate::util::{Dir, Lcg, sample};

/// Values every numeric flag gets: edges, overflows, non-numbers.
const EXTREMES: &[&str] = &[
    "0",
    "-1",
    "1e-300",
    "1e308",
    "NaN",
    "inf",
    "-inf",
    "18446744073709551616",
    "1000000000",
    "abc",
];

/// Values of one flag: the extremes and `n` seeded random ones over many orders
/// of magnitude, both signs.
fn values(seed: u64, n: usize) -> Vec<String> {
    let mut r = Lcg(seed);
    let mut v: Vec<String> = EXTREMES.iter().map(|s| (*s).to_owned()).collect();
    for _ in 0..n {
        let magnitude = 10f64.powf(r.next() * 24.0 - 12.0);
        let sign = if r.next() < 0.2 { -1.0 } else { 1.0 };
        v.push(format!("{}", sign * magnitude));
    }
    v
}

fn inputs(d: &Dir) {
    d.write(
        "sites.csv",
        "id,name,category,lon,lat,capacity\ns1,A,library,121.500,31.300,500\ns2,B,library,121.510,31.305,400\n",
    );
    d.write(
        "pop.csv",
        "cell_id,lon,lat,population,elderly\na,121.500,31.301,100,20\nb,121.505,31.300,80,10\nc,121.530,31.300,90,30\nd,121.520,31.310,60,5\n",
    );
}

/// Runs `base` with `flag value` appended for every value; fails on a crash.
fn drive(d: &Dir, base: &[&str], flag: &str, seed: u64) {
    for v in values(seed, 6) {
        let mut args: Vec<&str> = base.to_vec();
        args.push(flag);
        args.push(&v);
        let r = d.run(&args);
        let crashed = !matches!(r.code, 0..=2)
            || r.stderr.contains("panicked")
            || r.stderr.contains("memory allocation");
        assert!(
            !crashed,
            "{} {flag} {v}: exit {}\n{}",
            base.join(" "),
            r.code,
            r.stderr
        );
    }
}

#[test]
fn no_numeric_flag_value_crashes_coverage_or_recommend() {
    let d = Dir::new();
    inputs(&d);
    let cov = [
        "coverage",
        "--sites",
        "sites.csv",
        "--population",
        "pop.csv",
        "--out",
        "o",
        "-q",
    ];
    for (k, flag) in [
        "--threshold-m",
        "--walk-min",
        "--circuity",
        "--gap-link-m",
        "--threads",
        "--population-epsg",
    ]
    .iter()
    .enumerate()
    {
        drive(&d, &cov, flag, 7 + k as u64);
    }
    let areas = [
        "coverage",
        "--sites",
        "sites.csv",
        "--population",
        "pop.csv",
        "--network",
        &sample("shanghai/fudan_wujiaochang_2023.osm"),
        "--service-areas",
        "--out",
        "o2",
        "-q",
    ]
    .map(str::to_owned);
    let areas: Vec<&str> = areas.iter().map(String::as_str).collect();
    drive(&d, &areas, "--service-buffer-m", 21);
    let rec = [
        "recommend",
        "--sites",
        "sites.csv",
        "--population",
        "pop.csv",
        "--category",
        "library",
        "--out",
        "r",
        "-q",
    ];
    drive(&d, &[&rec[..], &["--capacity", "100"]].concat(), "-k", 31);
    drive(&d, &[&rec[..], &["-k", "2"]].concat(), "--capacity", 32);
    drive(&d, &[&rec[..], &["-k", "2"]].concat(), "--threads", 33);
}

#[test]
fn no_numeric_flag_value_crashes_the_other_commands() {
    let d = Dir::new();
    inputs(&d);
    let osm = sample("shanghai/fudan_wujiaochang_2023.osm");
    let grid = [
        "grid",
        "--bbox",
        "121.49,31.29,121.495,31.295",
        "--out",
        "g.csv",
    ];
    drive(&d, &grid, "--cell-m", 41);
    drive(
        &d,
        &[&grid[..], &["--cell-m", "200"]].concat(),
        "--density-per-km2",
        42,
    );
    let plan = [
        "plan",
        "--sites",
        "sites.csv",
        "--population",
        "pop.csv",
        "--out",
        "p.json",
    ];
    drive(&d, &plan, "--tile-km", 43);
    drive(
        &d,
        &["export-network", "--network", &osm, "--out", "n.geojson"],
        "--min-component-m",
        44,
    );
    let sites = ["sites", "--osm", osm.as_str(), "--out", "s.csv", "-q"];
    drive(&d, &sites, "--merge-radius-m", 45);
    let fb = [
        "population",
        "from-buildings",
        "--osm",
        osm.as_str(),
        "--out",
        "b.csv",
        "-q",
    ];
    drive(&d, &fb, "--total", 46);
    drive(
        &d,
        &[&fb[..], &["--total", "1000"]].concat(),
        "--cell-m",
        47,
    );
    drive(
        &d,
        &[&fb[..], &["--total", "1000"]].concat(),
        "--elderly-share",
        48,
    );
    drive(
        &d,
        &[&fb[..], &["--total", "1000"]].concat(),
        "--default-levels",
        49,
    );
    drive(
        &d,
        &[&fb[..], &["--total", "1000"]].concat(),
        "--per-m2",
        50,
    );
}
