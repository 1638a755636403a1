//! Crash safety (issue 8): a run killed with SIGKILL while it writes its outputs
//! leaves every output file either complete from an earlier run or absent — never
//! partial — and the next run removes the staging directory it left.
//!
//! The window is hit reliably through the test-only hook `LEARNCIRCLE_TEST_PAUSE_MS`
//! (see `src/export/output_set.rs`): the run sleeps after staging each file and
//! before the commit, and the test kills it once the staging directory holds the
//! number of files it waits for.
//!
//! Also here (issue 15): two runs on one `--out` at the same time never mix their
//! files (the second is refused by the output lock), and a disk that fills up
//! mid-write gives exit 2 and leaves the earlier complete outputs untouched.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::util::{Dir, summary_without_timings};

/// Population other than the tiny study's (`util::POP`): the next run's outputs differ.
const POP_B: &str =
    "cell_id,lon,lat,population\na,121.500,31.300,7\nb,121.505,31.300,8\nc,121.530,31.300,9\n";
const ARGS: [&str; 7] = [
    "coverage",
    "--sites",
    "sites.csv",
    "--population",
    "pop.csv",
    "--out",
    "out",
];

/// Files directly in `out` (not in the staging directory), with their bytes.
fn final_files(out: &Path) -> BTreeMap<String, Vec<u8>> {
    let Ok(rd) = std::fs::read_dir(out) else {
        return BTreeMap::new();
    };
    rd.flatten()
        .filter(|e| e.path().is_file())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

fn staging_dirs(out: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(out)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with(".learncircle-staging-"))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Starts a paused run and SIGKILLs it once its staging directory holds `staged`
/// files. Returns how many files were staged when it died.
fn kill_after_staging(d: &Dir, staged: usize) -> usize {
    let mut child = d
        .command(&ARGS)
        .env("LEARNCIRCLE_TEST_PAUSE_MS", "700")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start learncircle");
    let staging = d
        .path("out")
        .join(format!(".learncircle-staging-{}", child.id()));
    let deadline = Instant::now() + Duration::from_secs(60);
    let count = || std::fs::read_dir(&staging).map_or(0, Iterator::count);
    while count() < staged {
        if Instant::now() > deadline || child.try_wait().unwrap().is_some() {
            let _ = child.kill();
            panic!("the run never staged {staged} files");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().expect("SIGKILL");
    let status = child.wait().unwrap();
    assert!(!status.success(), "the run was killed, not finished");
    let n = count();
    assert!(n >= staged, "staging directory kept its files");
    n
}

#[test]
fn sigkill_while_writing_keeps_the_earlier_complete_outputs() {
    let d = Dir::tiny();
    let r = d.run(&ARGS);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let earlier = final_files(&d.path("out"));
    let n_outputs = earlier.len();
    assert!(n_outputs >= 5, "{:?}", earlier.keys());

    // The next run would write different outputs.
    d.write("pop.csv", POP_B);
    for staged in [1, n_outputs / 2, n_outputs] {
        kill_after_staging(&d, staged);
        assert_eq!(
            final_files(&d.path("out")),
            earlier,
            "killed after staging {staged} files: the visible outputs changed"
        );
        assert_eq!(
            staging_dirs(&d.path("out")).len(),
            1,
            "the killed run's staging directory is left (the next run removes it)"
        );
    }

    // A normal run cleans up and writes the new results.
    let r = d.run(&ARGS);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        staging_dirs(&d.path("out")).is_empty(),
        "staging directory removed"
    );
    let now = final_files(&d.path("out"));
    assert_eq!(
        now.keys().collect::<Vec<_>>(),
        earlier.keys().collect::<Vec<_>>()
    );
    assert_ne!(
        now["cells.csv"], earlier["cells.csv"],
        "new results committed"
    );
}

#[test]
fn sigkill_on_a_first_run_leaves_no_output_file() {
    let d = Dir::tiny();
    kill_after_staging(&d, 2);
    assert!(
        final_files(&d.path("out")).is_empty(),
        "no file under its final name: {:?}",
        final_files(&d.path("out")).keys()
    );
    let r = d.run(&ARGS);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(staging_dirs(&d.path("out")).is_empty());
    assert!(final_files(&d.path("out")).contains_key("summary.json"));
}

/// `cells.csv` and `summary.json` (without its stage times) of a finished run.
fn result_of(out: &Path) -> (Vec<u8>, serde_json::Value) {
    let cells = std::fs::read(out.join("cells.csv")).unwrap();
    let summary = std::fs::read_to_string(out.join("summary.json")).unwrap();
    (cells, summary_without_timings(&summary))
}

fn args_with(pop: &str, out: &str) -> Vec<String> {
    ARGS.iter()
        .map(|a| match *a {
            "pop.csv" => pop.to_owned(),
            "out" => out.to_owned(),
            a => a.to_owned(),
        })
        .collect()
}

const LOCKED: &str = "another learncircle run is writing to this output directory";

#[test]
fn a_run_on_an_out_being_written_is_refused_and_the_first_run_completes() {
    let d = Dir::tiny();
    d.write("pop_b.csv", POP_B);
    assert_eq!(d.run_owned(&args_with("pop.csv", "ref_a")).code, 0);
    let mut a = d
        .command(&ARGS)
        .env("LEARNCIRCLE_TEST_PAUSE_MS", "400")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start learncircle");
    let staging = d
        .path("out")
        .join(format!(".learncircle-staging-{}", a.id()));
    let deadline = Instant::now() + Duration::from_secs(60);
    while !staging.is_dir() {
        assert!(
            Instant::now() < deadline,
            "the first run never started staging"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let b = d.run_owned(&args_with("pop_b.csv", "out"));
    b.assert_exit("second run on a locked --out", 2, &["out", LOCKED]);
    assert!(a.wait().unwrap().success(), "the first run finished");
    assert_eq!(
        result_of(&d.path("out")),
        result_of(&d.path("ref_a")),
        "the first run's outputs"
    );
    assert!(staging_dirs(&d.path("out")).is_empty());
}

#[test]
fn two_runs_started_together_leave_one_runs_complete_set() {
    let d = Dir::tiny();
    d.write("pop_b.csv", POP_B);
    assert_eq!(d.run_owned(&args_with("pop.csv", "ref_a")).code, 0);
    assert_eq!(d.run_owned(&args_with("pop_b.csv", "ref_b")).code, 0);
    let (ref_a, ref_b) = (result_of(&d.path("ref_a")), result_of(&d.path("ref_b")));
    for round in 0..4 {
        let start = |pop: &str| {
            d.command(&args_with(pop, "out"))
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start learncircle")
        };
        let runs = [start("pop.csv"), start("pop_b.csv")];
        let mut ok = 0;
        for child in runs {
            let o = child.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&o.stderr);
            match o.status.code() {
                Some(0) => ok += 1,
                Some(2) => assert!(stderr.contains(LOCKED), "round {round}: {stderr}"),
                other => panic!("round {round}: exit {other:?}: {stderr}"),
            }
        }
        assert!(ok >= 1, "round {round}: at least one run finishes");
        let now = result_of(&d.path("out"));
        assert!(
            now == ref_a || now == ref_b,
            "round {round}: cells.csv and summary.json come from one run"
        );
        assert!(staging_dirs(&d.path("out")).is_empty());
    }
}

/// A small tmpfs mounted for the test, unmounted when dropped.
struct SmallDisk(PathBuf);

impl SmallDisk {
    /// `None` (the test is skipped) where mounting is not allowed (not root, or
    /// a container without the capability).
    fn mount(at: PathBuf, size: &str) -> Option<Self> {
        std::fs::create_dir_all(&at).unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&at)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(Self(at))
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_disk_that_fills_up_mid_write_gives_exit_2_and_keeps_the_earlier_outputs() {
    let d = Dir::tiny();
    let Some(disk) = SmallDisk::mount(d.path("small"), "256k") else {
        eprintln!("SKIPPED disk-full test: cannot mount a tmpfs (needs root)");
        return;
    };
    let out = disk.0.join("out");
    let out_arg = out.display().to_string();
    let r = d.run_owned(&args_with("pop.csv", &out_arg));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let earlier = final_files(&out);

    // 8,100 cells: cells.csv alone is larger than the whole disk.
    let mut big = String::from("cell_id,lon,lat,population\n");
    for i in 0..90 {
        for j in 0..90 {
            let (lon, lat) = (
                121.49 + f64::from(i) * 0.0003,
                31.29 + f64::from(j) * 0.0003,
            );
            big.push_str(&format!(
                "c{i}_{j},{lon:.4},{lat:.4},{}\n",
                10 + (i + j) % 7
            ));
        }
    }
    d.write("big.csv", big);
    let r = d.run_owned(&args_with("big.csv", &out_arg));
    r.assert_exit("disk full", 2, &[&out_arg, "No space left on device"]);
    assert_eq!(
        final_files(&out),
        earlier,
        "the earlier outputs are untouched"
    );
    assert!(
        staging_dirs(&out).is_empty(),
        "the staging directory is removed"
    );
}
