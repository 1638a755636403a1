//! Per-stage wall-clock timer (printed with `--timings`, written to `summary.json`).

use std::time::Instant;

use crate::report::StageTiming;

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
