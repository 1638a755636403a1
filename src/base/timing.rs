//! Per-stage wall-clock timer (printed with `--timings`, written to `summary.json`).

use std::time::Instant;

/// Records how long each stage took.
#[derive(Debug)]
pub struct Timer {
    start: Instant,
    last: Instant,
    stages: Vec<StageTiming>,
}

impl Default for Timer {
    fn default() -> Self {
        Self::new()
    }
}

impl Timer {
    /// Start timing.
    #[must_use]
    pub fn new() -> Self {
        let now = Instant::now();
        Self {
            start: now,
            last: now,
            stages: Vec::new(),
        }
    }

    /// Close the current stage under `name`.
    pub fn stage(&mut self, name: &str) {
        let now = Instant::now();
        let ms = (now - self.last).as_secs_f64() * 1000.0;
        self.stages.push(StageTiming {
            stage: name.to_owned(),
            ms: (ms * 10.0).round() / 10.0,
        });
        self.last = now;
        trace_mem(name);
    }

    /// Stages so far, plus a `total` row.
    #[must_use]
    pub fn finish(&self) -> Vec<StageTiming> {
        let mut v = self.stages.clone();
        let total = self.start.elapsed().as_secs_f64() * 1000.0;
        v.push(StageTiming {
            stage: "total".into(),
            ms: (total * 10.0).round() / 10.0,
        });
        v
    }
}

/// With `LEARNCIRCLE_TRACE_MEM=1` in the environment, prints the resident set size
/// (current and peak, from `/proc/self/status`; Linux only) under `label` to
/// stderr: a cheap way to see which stage sets the peak of a large run.
pub fn trace_mem(label: &str) {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if !*ON.get_or_init(|| std::env::var_os("LEARNCIRCLE_TRACE_MEM").is_some()) {
        return;
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map_or_else(|| "?".to_owned(), |v| v.trim().to_owned())
    };
    eprintln!(
        "mem {label:<32} rss {:>12}  peak {:>12}",
        field("VmRSS:"),
        field("VmHWM:")
    );
}

/// One stage's wall time.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StageTiming {
    /// Stage name.
    pub stage: String,
    /// Milliseconds.
    pub ms: f64,
}
