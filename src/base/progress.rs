//! Progress on stderr: spinners for stages and bars for counted work.
//!
//! The library prints nothing except through this module, and this module only
//! draws when stderr is a terminal and progress is enabled (`--quiet` disables
//! it through [`set_enabled`]). A stage or bar appears only once it has run for
//! about [`SHOW_AFTER`], so quick stages leave no flicker; it is cleared when it
//! ends.
//!
//! ```no_run
//! use learncircle::base::progress::Progress;
//! let stage = Progress::stage("reading network");
//! // … work …
//! stage.finish();
//! let bar = Progress::bar(1_000, "snapping cells");
//! for _ in 0..1_000 { bar.inc(1); }
//! bar.finish();
//! ```

use std::borrow::Cow;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long a stage runs before its spinner or bar is shown.
pub const SHOW_AFTER: Duration = Duration::from_millis(800);

static ENABLED: AtomicBool = AtomicBool::new(true);

/// Enable or disable progress output for the whole process (`--quiet` → off).
pub fn set_enabled(on: bool) {
    ENABLED.store(on, Ordering::Relaxed);
}

/// Whether progress would be drawn now (enabled and stderr is a terminal).
#[must_use]
pub fn is_active() -> bool {
    ENABLED.load(Ordering::Relaxed) && std::io::stderr().is_terminal()
}

/// Entry points: [`Progress::stage`] and [`Progress::bar`].
#[derive(Debug, Clone, Copy)]
pub struct Progress;

impl Progress {
    /// A spinner for a stage of unknown length.
    pub fn stage(message: impl Into<Cow<'static, str>>) -> Task {
        Task::start(None, message.into())
    }

    /// A bar for `len` units of work.
    pub fn bar(len: u64, message: impl Into<Cow<'static, str>>) -> Task {
        Task::start(Some(len), message.into())
    }
}

/// A running stage or bar; cleared when finished or dropped.
#[derive(Debug)]
pub struct Task {
    pb: Option<ProgressBar>,
    done: Option<Sender<()>>,
    shower: Option<JoinHandle<()>>,
}

impl Task {
    fn start(len: Option<u64>, message: Cow<'static, str>) -> Self {
        if !is_active() {
            return Self {
                pb: None,
                done: None,
                shower: None,
            };
        }
        let pb = ProgressBar::with_draw_target(len, ProgressDrawTarget::hidden());
        let template = if len.is_some() {
            "{spinner} {msg} [{bar:32}] {pos}/{len} ({eta})"
        } else {
            "{spinner} {msg} … {elapsed}"
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            pb.set_style(style.progress_chars("=> "));
        }
        pb.set_message(message);
        let (tx, rx) = mpsc::channel::<()>();
        let shown = pb.clone();
        let shower = std::thread::Builder::new()
            .name("progress".into())
            .spawn(move || {
                if rx.recv_timeout(SHOW_AFTER) == Err(RecvTimeoutError::Timeout) {
                    shown.set_draw_target(ProgressDrawTarget::stderr());
                    shown.enable_steady_tick(Duration::from_millis(120));
                    let _ = rx.recv();
                }
                shown.finish_and_clear();
            })
            .ok();
        Self {
            pb: Some(pb),
            done: Some(tx),
            shower,
        }
    }

    /// Advance a bar by `n` (thread-safe; a no-op when progress is off).
    pub fn inc(&self, n: u64) {
        if let Some(pb) = &self.pb {
            pb.inc(n);
        }
    }

    /// Change the message.
    pub fn set_message(&self, message: impl Into<Cow<'static, str>>) {
        if let Some(pb) = &self.pb {
            pb.set_message(message);
        }
    }

    /// End the stage and clear its line.
    pub fn finish(mut self) {
        self.end();
    }

    fn end(&mut self) {
        if let Some(tx) = self.done.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.shower.take() {
            let _ = h.join();
        }
        if let Some(pb) = self.pb.take() {
            pb.finish_and_clear();
        }
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        self.end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_when_disabled_and_silent_in_tests() {
        set_enabled(false);
        assert!(!is_active());
        let t = Progress::bar(10, "work");
        t.inc(3);
        t.finish();
        let s = Progress::stage("stage");
        drop(s);
        set_enabled(true);
    }
}
