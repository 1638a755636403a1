//! What a person reads: the run summary and terminal table (`report`), charts
//! (SVG/PNG) and the self-contained HTML report. Reads results and finished run
//! directories; imports everything below it; used by `app` and the binary.

pub mod charts;
pub mod map;
pub mod report;
