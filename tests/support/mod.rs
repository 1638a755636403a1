//! Scaffolding shared by every integration test binary (`tests/cli/`,
//! `tests/population/`, `tests/charts.rs`, …), included with
//! `#[path = "../support/mod.rs"] mod support;`: a temporary working directory
//! that runs the binary, sample and reference-data paths, output readers, and
//! the Chromium lookup.
// Each test binary uses a different part of it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh temporary directory with helpers to write inputs and run the binary.
pub struct Dir {
    pub tmp: tempfile::TempDir,
}

/// The outcome of one run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Dir {
    pub fn new() -> Self {
        Self {
            tmp: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// A fresh directory holding the tiny study: [`SITES`] as `sites.csv`, [`POP`]
    /// as `pop.csv`.
    pub fn tiny() -> Self {
        let d = Self::new();
        d.write("sites.csv", SITES);
        d.write("pop.csv", POP);
        d
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    pub fn write(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, content).unwrap();
        p
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[])
    }

    /// [`Dir::run`] with owned arguments (as the sample argument builders return).
    pub fn run_owned(&self, args: &[String]) -> Run {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        self.run(&refs)
    }

    /// The binary with `args`, working in this directory, not yet started (for
    /// runs a test spawns, kills or runs side by side).
    pub fn command<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Command {
        let mut cmd = Command::new(bin());
        cmd.current_dir(self.tmp.path()).args(args);
        cmd
    }

    /// A JSON file in the directory (`out/summary.json`, `tiles.json`, …), parsed.
    pub fn json(&self, name: &str) -> serde_json::Value {
        serde_json::from_str(&self.read(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = self.command(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let Output {
            status,
            stdout,
            stderr,
        } = cmd.output().expect("run learncircle");
        Run {
            code: status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        }
    }
}

/// The `learncircle` binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_learncircle")
}

/// Files in a directory (recursively), relative names, sorted.
pub fn files_in(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(base: &Path, d: &Path, out: &mut Vec<String>) {
        if let Ok(rd) = std::fs::read_dir(d) {
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(base, &p, out);
                } else {
                    out.push(p.strip_prefix(base).unwrap().display().to_string());
                }
            }
        }
    }
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Path of a bundled sample file in the repository's `data/`.
pub fn sample(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join(rel)
        .display()
        .to_string()
}

/// Path of a test fixture in `tests/fixtures/`.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// Parse an output CSV (`cells.csv`, `units.csv`, …) into headers and rows.
pub fn read_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let h = r.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (h, rows)
}

/// Index of the column `name` in a header from [`read_csv`].
pub fn column(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|x| x == name)
        .unwrap_or_else(|| panic!("no column {name}: {header:?}"))
}

/// `summary.json` without the `timings_ms` field (the only run-dependent field).
pub fn summary_without_timings(text: &str) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(text).unwrap();
    v.as_object_mut().unwrap().remove("timings_ms");
    v
}

/// Path of a file in the shared reference data (`../shared/data/` beside the
/// repository; read-only, each folder with a PROVENANCE.md).
pub fn shared_data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(rel)
}

/// [`shared_data`] as an argument, asserting that the file is there.
pub fn shared(rel: &str) -> String {
    let p = shared_data(rel);
    assert!(
        p.exists(),
        "{} missing: run with ../shared beside the repository",
        p.display()
    );
    p.display().to_string()
}

/// Two output directories hold the same files with the same bytes;
/// `summary.json` is compared without `timings_ms`.
pub fn assert_same_outputs(a: &Path, b: &Path) {
    let fa = files_in(a);
    assert_eq!(fa, files_in(b), "different file sets");
    for f in &fa {
        let x = std::fs::read(a.join(f)).unwrap();
        let y = std::fs::read(b.join(f)).unwrap();
        if f == "summary.json" {
            assert_eq!(
                summary_without_timings(&String::from_utf8_lossy(&x)),
                summary_without_timings(&String::from_utf8_lossy(&y)),
                "summary.json differs beyond timings_ms"
            );
        } else {
            assert!(
                x == y,
                "{f} differs between {} and {}",
                a.display(),
                b.display()
            );
        }
    }
}

/// `--sites … --population … --network … --config …` of a bundled sample
/// (`data/helsinki`, `data/shanghai`): the study every command reads.
pub fn sample_study(city: &str) -> Vec<String> {
    let (population, network) = match city {
        "helsinki" => ("population.geojson", "Helsinki.osm.pbf"),
        "shanghai" => ("population.csv", "fudan_wujiaochang_2023.osm"),
        _ => panic!("no bundled sample {city}"),
    };
    let mut a = Vec::new();
    for (flag, file) in [
        ("--sites", "sites.csv"),
        ("--population", population),
        ("--network", network),
        ("--config", "learncircle.toml"),
    ] {
        a.push(flag.to_owned());
        a.push(sample(&format!("{city}/{file}")));
    }
    a
}

/// `COMMAND` + [`sample_study`] + `rest`, as owned arguments.
pub fn sample_args(command: &str, city: &str, rest: &[&str]) -> Vec<String> {
    let mut a = vec![command.to_owned()];
    a.extend(sample_study(city));
    a.extend(rest.iter().map(|s| (*s).to_owned()));
    a
}

/// A tiny study by Wujiaochang (Shanghai): one library among three cells.
pub const SITES: &str = "id,name,category,lon,lat\ns1,图书馆,library,121.502,31.301\n";
/// The three population cells of the tiny study (see [`SITES`]).
pub const POP: &str =
    "cell_id,lon,lat,population\na,121.500,31.300,100\nb,121.505,31.300,80\nc,121.510,31.300,60\n";
/// The header line of `rejected.csv`.
pub const REJECTED_HEADER: &str = "file,location,reason,population\n";

impl Run {
    /// The run did not panic (`case` names it in the failure).
    pub fn assert_no_panic(&self, case: &str) {
        assert!(
            !self.stderr.contains("panicked"),
            "{case}: panic: {}",
            self.stderr
        );
    }

    /// The run exited with `code` and its stderr holds every fragment.
    pub fn assert_exit(&self, case: &str, code: i32, fragments: &[&str]) {
        assert_eq!(self.code, code, "{case}: exit code; stderr {}", self.stderr);
        for f in fragments {
            assert!(
                self.stderr.contains(f),
                "{case}: stderr lacks {f:?}: {}",
                self.stderr
            );
        }
    }
}

impl Dir {
    /// `learncircle coverage ARGS…` with `--sites sites.csv`, `--population pop.csv`
    /// and `--out out` added for each of those flags `args` does not give.
    pub fn coverage(&self, args: &[&str]) -> Run {
        let mut all = vec!["coverage"];
        for (flag, default) in [
            ("--sites", "sites.csv"),
            ("--population", "pop.csv"),
            ("--out", "out"),
        ] {
            if !args.contains(&flag) {
                all.extend([flag, default]);
            }
        }
        all.extend_from_slice(args);
        self.run(&all)
    }

    /// [`Dir::coverage`] with `ARGS… --out OUT`, which must succeed
    /// (exit 0, or 1 for rejected rows); returns the `summary.json` it wrote.
    pub fn coverage_summary(&self, args: &[&str], out: &str) -> serde_json::Value {
        let mut all = args.to_vec();
        all.extend(["--out", out]);
        let r = self.coverage(&all);
        assert!(r.code <= 1, "{}", r.stderr);
        self.json(&format!("{out}/summary.json"))
    }
}

/// Chromium on `PATH` (Debian's `chromium` first), if any.
pub fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for name in [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ] {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// Chromium, or `None` after a notice (a failure when CI requires Chromium).
pub fn chromium_or_skip(test: &str) -> Option<PathBuf> {
    let found = chromium();
    if found.is_none() {
        assert!(
            std::env::var("LEARNCIRCLE_REQUIRE_CHROMIUM").as_deref() != Ok("1"),
            "LEARNCIRCLE_REQUIRE_CHROMIUM=1 but no chromium on PATH (run .ci/chromium-setup.sh)"
        );
        eprintln!("SKIPPED {test}: no chromium on PATH (install with .ci/chromium-setup.sh)");
    }
    found
}

/// A seeded linear congruential generator (Knuth's MMIX constants): the same
/// "random" inputs on every machine, without a dependency.
pub struct Lcg(pub u64);

impl Lcg {
    /// The next value in [0, 1).
    pub fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}
