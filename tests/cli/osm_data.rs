//! `learncircle sites` and `learncircle population from-buildings` through the
//! binary: the bundled Shanghai inputs are reproducible from the OSM file, the
//! outputs feed `coverage`, results do not depend on the thread count, and bad
//! input exits 2 with nothing written.

use crate::util::{Dir, files_in, fixture, read_csv, sample};

/// The command that regenerates `data/shanghai/sites.csv` (data/README.md).
fn shanghai_sites(d: &Dir, threads: &str) -> (i32, String) {
    let r = d.run_env(
        &[
            "sites",
            "--osm",
            &sample("shanghai/fudan_wujiaochang_2023.osm"),
            "--config",
            &sample("shanghai/learncircle.toml"),
            "--out",
            "sites.csv",
        ],
        &[("RAYON_NUM_THREADS", threads)],
    );
    (r.code, r.stdout)
}

/// The command that regenerates `data/shanghai/population.csv` (data/README.md).
const SHANGHAI_POPULATION: &[&str] = &[
    "population",
    "from-buildings",
    "--bbox",
    "121.4852,31.2904,121.5196,31.3102",
    "--per-km2",
    "20500",
    "--elderly-share",
    "0.2338",
    "--cell-m",
    "100",
    "--out",
    "population.csv",
];

#[test]
fn bundled_shanghai_sites_are_reproduced() {
    let d = Dir::new();
    let (code, stdout) = shanghai_sites(&d, "1");
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("excluded: n4262038589"), "{stdout}");
    assert!(stdout.contains("excluded: n5311523524"), "{stdout}");
    let bundled = std::fs::read_to_string(sample("shanghai/sites.csv")).unwrap();
    assert_eq!(
        d.read("sites.csv"),
        bundled,
        "data/shanghai/sites.csv is stale: rerun the command in data/README.md"
    );
    let d4 = Dir::new();
    let (code, _) = shanghai_sites(&d4, "4");
    assert_eq!(code, 0);
    assert_eq!(
        d4.read("sites.csv"),
        bundled,
        "thread count changed the output"
    );
}

#[test]
fn bundled_shanghai_population_is_reproduced_and_conserves_the_total() {
    let d = Dir::new();
    let osm = sample("shanghai/fudan_wujiaochang_2023.osm");
    let mut args: Vec<&str> = vec![
        SHANGHAI_POPULATION[0],
        SHANGHAI_POPULATION[1],
        "--osm",
        &osm,
    ];
    args.extend_from_slice(&SHANGHAI_POPULATION[2..]);
    let r = d.run_env(&args, &[("RAYON_NUM_THREADS", "4")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = d.read("population.csv");
    let bundled = std::fs::read_to_string(sample("shanghai/population.csv")).unwrap();
    assert_eq!(
        text, bundled,
        "data/shanghai/population.csv is stale: rerun the command in data/README.md"
    );
    let (h, rows) = read_csv(&text);
    assert_eq!(
        h,
        [
            "cell_id",
            "lon",
            "lat",
            "population",
            "elderly",
            "floor_area_m2"
        ]
    );
    let total: u64 = rows.iter().map(|r| r[3].parse::<u64>().unwrap()).sum();
    let elderly: u64 = rows.iter().map(|r| r[4].parse::<u64>().unwrap()).sum();
    let line = r
        .stdout
        .lines()
        .find(|l| l.starts_with("population: "))
        .unwrap();
    assert!(line.starts_with(&format!("population: {total} ")), "{line}");
    assert!(
        r.stdout.contains(&format!("elderly (60+): {elderly}")),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("default 6 (multi-storey) for "),
        "{}",
        r.stdout
    );
    // Cells without residential floor area are written with 0 residents.
    assert!(rows.iter().any(|r| r[3] == "0" && r[5] == "0.0"));
    assert!(
        rows.iter()
            .all(|r| r[4].parse::<u64>().unwrap() <= r[3].parse::<u64>().unwrap())
    );
}

#[test]
fn outputs_feed_coverage() {
    let d = Dir::new();
    assert_eq!(shanghai_sites(&d, "2").0, 0);
    let r = d.run(&[
        "population",
        "from-buildings",
        "--osm",
        &sample("shanghai/fudan_wujiaochang_2023.osm"),
        "--total",
        "50000",
        "--elderly-share",
        "0.25",
        "--out",
        "pop.csv",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = d.coverage(&[
        "--config",
        &sample("shanghai/learncircle.toml"),
        "--mode",
        "straight",
        "--json",
        "--out",
        "run",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let text = v.to_string();
    assert!(
        text.contains("50000"),
        "population total carried through: {text}"
    );
}

#[test]
fn bad_input_exits_2_and_writes_nothing() {
    let trunk_only = fixture("chengdu_trunk_only.osm").display().to_string();
    let shanghai = sample("shanghai/fudan_wujiaochang_2023.osm");
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["sites", "--osm", &trunk_only, "--out", "o.csv"],
            &["no learning site to write"],
        ),
        (
            &["sites", "--osm", "missing.osm", "--out", "o.csv"],
            &["missing.osm"],
        ),
        (
            &[
                "sites",
                "--osm",
                &shanghai,
                "--exclude",
                "gate",
                "--out",
                "o.csv",
            ],
            &["\"gate\"", "n123"],
        ),
        (
            &[
                "population",
                "from-buildings",
                "--osm",
                &trunk_only,
                "--total",
                "100",
                "--out",
                "o.csv",
            ],
            &["no buildings"],
        ),
        (
            &[
                "population",
                "from-buildings",
                "--osm",
                &shanghai,
                "--total",
                "-5",
                "--out",
                "o.csv",
            ],
            &["--total -5", "negative"],
        ),
        (
            &[
                "population",
                "from-buildings",
                "--osm",
                &shanghai,
                "--total",
                "NaN",
                "--out",
                "o.csv",
            ],
            &["--total NaN", "finite"],
        ),
        (
            &[
                "population",
                "from-buildings",
                "--osm",
                &shanghai,
                "--per-km2",
                "100",
                "--out",
                "o.csv",
            ],
            &["--bbox"],
        ),
        (
            &[
                "population",
                "from-buildings",
                "--osm",
                &shanghai,
                "--bbox",
                "121.60,31.20,121.61,31.21",
                "--total",
                "100",
                "--out",
                "o.csv",
            ],
            &["no residential floor area", "outside --bbox"],
        ),
    ];
    for (args, fragments) in cases {
        let d = Dir::new();
        let r = d.run(args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        for f in *fragments {
            assert!(r.stderr.contains(f), "{args:?}: {f:?} not in {}", r.stderr);
        }
        assert!(
            files_in(d.tmp.path()).is_empty(),
            "{args:?} wrote {:?}",
            files_in(d.tmp.path())
        );
    }
}
