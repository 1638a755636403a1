//! Atomic output: every file of a run is written to a hidden staging directory
//! inside `--out`, and only when all of them are complete are they renamed into
//! place. A run that fails (or is killed) before the commit leaves no output file
//! with its final name — at most the hidden staging directory, which the next run
//! removes.
//!
//! Each file is renamed into place on its own, so every file under its final name
//! is complete; a kill during the commit loop itself (a few renames) can leave some
//! files of the new run beside older ones.
//!
//! One run at a time per directory: [`OutputSet::prepare`] takes an exclusive
//! advisory lock on `--out` (on Unix the directory itself, elsewhere a
//! `.learncircle.lock` file in it) and holds it until the set is committed or
//! dropped. A second run on the same directory is refused at once with
//! [`OutputError::Locked`], before it computes anything, so two concurrent runs
//! never interleave their files. The lock is released by the kernel when a
//! process dies, so a killed run never leaves a stale lock.
//!
//! **Test-only hook:** `LEARNCIRCLE_TEST_PAUSE_MS=N` makes the run sleep N ms
//! (at most 60 s) after staging each file and before the commit, so that the
//! crash-safety test (`tests/cli/crash.rs`) can SIGKILL it mid-write. It changes
//! nothing else and is not meant for users.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Errors while preparing or writing the output directory.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutputError {
    /// `--out` exists and is not a directory.
    #[error("{path}: output path exists and is not a directory")]
    NotADirectory {
        /// The path.
        path: PathBuf,
    },
    /// Another run holds the lock on the output directory.
    #[error(
        "{path}: another learncircle run is writing to this output directory; \
         wait for it to finish or choose another --out"
    )]
    Locked {
        /// The output directory.
        path: PathBuf,
    },
    /// The directory cannot be created or written.
    #[error("{path}: cannot write output: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
}

const STAGING_PREFIX: &str = ".learncircle-staging-";

/// One file's writer for [`OutputSet::write_many`].
pub type WriteJob<'a> = Box<dyn FnOnce(&mut dyn Write) -> io::Result<()> + Send + 'a>;

/// A set of output files written atomically together.
#[derive(Debug)]
pub struct OutputSet {
    out_dir: PathBuf,
    staging: PathBuf,
    created_out_dir: bool,
    files: Vec<String>,
    committed: bool,
    /// Held (locked) for the life of the set; closing it releases the lock.
    _lock: fs::File,
}

impl OutputSet {
    /// Prepare `out_dir` (created if missing) and a fresh staging directory in it.
    /// Fails early, before any computation, when the directory cannot be written.
    ///
    /// # Errors
    /// When `out_dir` is a file or cannot be created/written.
    pub fn prepare(out_dir: &Path) -> Result<Self, OutputError> {
        let io_err = |path: &Path, source| OutputError::Io {
            path: path.into(),
            source,
        };
        let mut created_out_dir = false;
        match fs::metadata(out_dir) {
            Ok(m) if !m.is_dir() => {
                return Err(OutputError::NotADirectory {
                    path: out_dir.into(),
                });
            }
            Ok(_) => {}
            Err(_) => {
                fs::create_dir_all(out_dir).map_err(|e| io_err(out_dir, e))?;
                created_out_dir = true;
            }
        }
        // On failure the directory is left as it is, even when this run created it:
        // a concurrent run may have created it too and be holding it (empty) now.
        let lock = lock_dir(out_dir)?;
        // Remove staging directories left by killed runs (safe: we hold the lock,
        // so no other run is staging here).
        if let Ok(entries) = fs::read_dir(out_dir) {
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().starts_with(STAGING_PREFIX) {
                    let _ = fs::remove_dir_all(e.path());
                }
            }
        }
        let staging = out_dir.join(format!("{STAGING_PREFIX}{}", std::process::id()));
        if let Err(e) = fs::create_dir(&staging) {
            if created_out_dir {
                let _ = fs::remove_dir(out_dir);
            }
            return Err(io_err(out_dir, e));
        }
        Ok(Self {
            out_dir: out_dir.into(),
            staging,
            created_out_dir,
            files: Vec::new(),
            committed: false,
            _lock: lock,
        })
    }

    /// The final directory.
    #[must_use]
    pub fn out_dir(&self) -> &Path {
        &self.out_dir
    }

    /// Write one file (into staging) with the given writer function.
    ///
    /// # Errors
    /// When the file cannot be created or the writer fails.
    pub fn write<F>(&mut self, name: &str, f: F) -> Result<(), OutputError>
    where
        F: FnOnce(&mut dyn Write) -> io::Result<()>,
    {
        self.stage_file(name, f)?;
        self.register(name);
        test_pause();
        Ok(())
    }

    /// [`write`](Self::write) for several files at once: each is written by its own
    /// rayon task (own buffer, own `sync_all`), so formatting and flushing of large
    /// files overlap. The files are registered in the given order and the first
    /// error in that order is returned.
    ///
    /// # Errors
    /// When a file cannot be created or its writer fails.
    pub fn write_many(&mut self, jobs: Vec<(&str, WriteJob<'_>)>) -> Result<(), OutputError> {
        use rayon::prelude::*;
        let names: Vec<&str> = jobs.iter().map(|(n, _)| *n).collect();
        let this = &*self;
        let results: Vec<Result<(), OutputError>> = jobs
            .into_par_iter()
            .map(|(name, f)| this.stage_file(name, f))
            .collect();
        for (name, r) in names.into_iter().zip(results) {
            r?;
            self.register(name);
            test_pause();
        }
        Ok(())
    }

    fn stage_file<F>(&self, name: &str, f: F) -> Result<(), OutputError>
    where
        F: FnOnce(&mut dyn Write) -> io::Result<()>,
    {
        let path = self.staging.join(name);
        let io_err = |source| OutputError::Io {
            path: self.out_dir.join(name),
            source,
        };
        let file = fs::File::create(&path).map_err(io_err)?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        f(&mut w).map_err(io_err)?;
        let file = w.into_inner().map_err(|e| io_err(e.into_error()))?;
        file.sync_all().map_err(io_err)
    }

    fn register(&mut self, name: &str) {
        if !self.files.iter().any(|n| n == name) {
            self.files.push(name.to_owned());
        }
    }

    /// Write one file (into staging) with a writer that needs a real path rather
    /// than a stream (SQLite: `learncircle.gpkg`). `f` gets the staging path to
    /// create the file at and the final path to name in its errors; it must leave
    /// a complete, synced file or return an error (the staging directory, with
    /// whatever `f` left in it, is removed when the set is dropped uncommitted).
    ///
    /// # Errors
    /// Whatever `f` returns.
    pub fn write_at<F, E>(&mut self, name: &str, f: F) -> Result<(), E>
    where
        F: FnOnce(&Path, &Path) -> Result<(), E>,
    {
        f(&self.staging.join(name), &self.out_dir.join(name))?;
        if !self.files.iter().any(|n| n == name) {
            self.files.push(name.to_owned());
        }
        test_pause();
        Ok(())
    }

    /// Move every staged file into place (each by an atomic rename) and remove the
    /// staging directory. Returns the final paths.
    ///
    /// # Errors
    /// When a rename fails (the files already renamed are complete files).
    pub fn commit(mut self) -> Result<Vec<PathBuf>, OutputError> {
        test_pause();
        let mut done = Vec::with_capacity(self.files.len());
        for name in &self.files {
            let to = self.out_dir.join(name);
            fs::rename(self.staging.join(name), &to).map_err(|source| OutputError::Io {
                path: to.clone(),
                source,
            })?;
            done.push(to);
        }
        let _ = fs::remove_dir_all(&self.staging);
        self.committed = true;
        Ok(done)
    }
}

/// Open and exclusively lock `out_dir` (see the module docs), without waiting.
fn lock_dir(out_dir: &Path) -> Result<fs::File, OutputError> {
    let io_err = |source| OutputError::Io {
        path: out_dir.into(),
        source,
    };
    #[cfg(unix)]
    let file = fs::File::open(out_dir).map_err(io_err)?;
    #[cfg(not(unix))]
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(out_dir.join(".learncircle.lock"))
        .map_err(io_err)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(fs::TryLockError::WouldBlock) => Err(OutputError::Locked {
            path: out_dir.into(),
        }),
        Err(fs::TryLockError::Error(e)) => Err(io_err(e)),
    }
}

/// The test-only pause (see the module docs).
fn test_pause() {
    if let Some(ms) = std::env::var("LEARNCIRCLE_TEST_PAUSE_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        std::thread::sleep(std::time::Duration::from_millis(ms.min(60_000)));
    }
}

impl Drop for OutputSet {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
            if self.created_out_dir {
                // Only removes the directory if it is still empty.
                let _ = fs::remove_dir(&self.out_dir);
            }
        }
    }
}

/// Write a single file atomically: a hidden temporary file in the same directory,
/// synced, then renamed over `path`.
///
/// # Errors
/// When the directory is not writable or the writer fails (the temporary file is
/// removed then).
pub fn write_file_atomic<F>(path: &Path, f: F) -> Result<(), OutputError>
where
    F: FnOnce(&mut dyn Write) -> io::Result<()>,
{
    let io_err = |source| OutputError::Io {
        path: path.into(),
        source,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if path.is_dir() {
        return Err(io_err(io::Error::new(
            io::ErrorKind::IsADirectory,
            "is a directory",
        )));
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let file = fs::File::create(&tmp)?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        f(&mut w)?;
        let file = w.into_inner().map_err(io::IntoInnerError::into_error)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(io_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_set_on_the_same_directory_is_refused_until_the_first_is_done() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("run");
        let first = OutputSet::prepare(&out).unwrap();
        let second = OutputSet::prepare(&out);
        assert!(
            matches!(second, Err(OutputError::Locked { .. })),
            "{second:?}"
        );
        assert!(
            first.staging.is_dir(),
            "the refused run removed the live staging"
        );
        first.commit().unwrap();
        OutputSet::prepare(&out).unwrap();
    }

    #[test]
    fn nothing_is_visible_before_commit() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("run");
        let mut set = OutputSet::prepare(&out).unwrap();
        set.write("a.csv", |w| w.write_all(b"x\n")).unwrap();
        assert!(!out.join("a.csv").exists());
        let paths = set.commit().unwrap();
        assert_eq!(std::fs::read(&paths[0]).unwrap(), b"x\n");
        assert_eq!(
            std::fs::read_dir(&out).unwrap().count(),
            1,
            "staging removed"
        );
    }

    #[test]
    fn dropped_set_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("run");
        {
            let mut set = OutputSet::prepare(&out).unwrap();
            set.write("a.csv", |w| w.write_all(b"x\n")).unwrap();
            let _ = set.write("b.csv", |_| Err(io::Error::other("disk full")));
        }
        assert!(!out.exists(), "created directory removed again");
    }

    #[test]
    fn out_is_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, "x").unwrap();
        assert!(matches!(
            OutputSet::prepare(&f),
            Err(OutputError::NotADirectory { .. })
        ));
    }
}
