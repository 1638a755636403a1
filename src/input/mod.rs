//! Input stage: read the files planners hold into [`crate::model`] `Raw*` records in
//! WGS84 lon/lat, plus the rows that could not be used ([`crate::model::Rejected`]).
//!
//! A file that cannot be used at all is an [`InputError`] (the run stops before
//! writing anything); a bad row among good ones is a `Rejected` record (the run
//! goes on, writes `rejected.csv` and exits with code 1).

mod error;
mod features;
pub mod population;
pub mod sites;
mod table;
pub mod units;

pub use error::InputError;
pub use table::{check_lon_lat as check_lon_lat_pair, decode_text, looks_swapped};
