//! Errors of the input stage.

use std::path::PathBuf;

/// A file that cannot be used at all. Row-level problems are not errors: they
/// become `Rejected` records.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// The file could not be opened or read.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file has no content, or only a header.
    #[error("{path}: {what}")]
    Empty {
        /// The file.
        path: PathBuf,
        /// `file is empty` or `file has a header but no data rows`.
        what: &'static str,
    },
    /// A required column is missing.
    #[error(
        "{path}: missing column {column:?} (accepted names: {accepted}); columns found: {found}"
    )]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column's canonical name.
        column: &'static str,
        /// Accepted header names.
        accepted: String,
        /// Headers actually present.
        found: String,
    },
    /// The CSV structure is broken (not a row-level value problem).
    #[error("{path}: row {row}: {reason}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// 1-based data row (header excluded), 0 for the header.
        row: u64,
        /// What the CSV parser said.
        reason: String,
    },
    /// The GeoJSON is not valid JSON or not a FeatureCollection/Feature.
    #[error("{path}: not valid GeoJSON: {reason}")]
    GeoJson {
        /// The file.
        path: PathBuf,
        /// What is wrong, with line/column when known.
        reason: String,
    },
    /// Every row was rejected.
    #[error("{path}: none of the {rows} rows could be used; first problem: {first}")]
    NoUsableRows {
        /// The file.
        path: PathBuf,
        /// Number of data rows/features.
        rows: usize,
        /// The first rejection, `row N: reason`.
        first: String,
    },
    /// The file extension is not one this input accepts.
    #[error("{path}: unsupported file type (expected {expected})")]
    UnsupportedFormat {
        /// The file.
        path: PathBuf,
        /// The accepted types.
        expected: &'static str,
    },
    /// The text is neither UTF-8 nor GBK/GB18030.
    #[error("{path}: text is neither UTF-8 nor GB18030/GBK")]
    Encoding {
        /// The file.
        path: PathBuf,
    },
    /// A spreadsheet workbook that cannot be read (damaged, truncated,
    /// password-protected, not a workbook).
    #[error("{path}: cannot read the workbook: {reason}")]
    Workbook {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// `--sheet` names a sheet the workbook does not have.
    #[error("{path}: no sheet named {sheet:?} (sheets: {found})")]
    NoSheet {
        /// The file.
        path: PathBuf,
        /// The sheet asked for.
        sheet: String,
        /// The sheets the workbook has.
        found: String,
    },
}
