//! Crash safety (issue 8): a run killed with SIGKILL while it writes its outputs
//! leaves every output file either complete from an earlier run or absent — never
//! partial — and the next run removes the staging directory it left.
//!
//! The window is hit reliably through the test-only hook `LEARNCIRCLE_TEST_PAUSE_MS`
//! (see `src/export/output_set.rs`): the run sleeps after staging each file and
//! before the commit, and the test kills it once the staging directory holds the
//! number of files it waits for.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::util::Dir;

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
