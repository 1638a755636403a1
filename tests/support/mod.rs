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

    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_learncircle"));
        cmd.current_dir(self.tmp.path()).args(args);
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

/// Parse `cells.csv` into headers and rows.
pub fn read_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let h = r.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (h, rows)
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

/// The arguments every `coverage` test run starts with: `sites.csv` and
/// `pop.csv` in the working directory, then `rest`.
pub fn coverage_args<'a>(rest: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "coverage",
        "--sites",
        "sites.csv",
        "--population",
        "pop.csv",
    ];
    v.extend_from_slice(rest);
    v
}

impl Dir {
    /// `learncircle coverage --sites sites.csv --population pop.csv REST…`.
    pub fn coverage(&self, rest: &[&str]) -> Run {
        self.run(&coverage_args(rest))
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
