//! Export: the run's files, written atomically through [`OutputSet`].
//!
//! * `cells.csv` / `cells.geojson`: one row/feature per cell (see `docs/METHODS.md`
//!   for the column contract);
//! * `summary.json`: [`crate::report::Summary`];
//! * `rejected.csv`: every input record not used;
//! * `sites.csv`: the sites analysed and whether each could be used.
//!
//! Floats are written with fixed decimals (metres 0.1, minutes 0.01, lon/lat 1e-6)
//! so that outputs are byte-identical at any thread count.

mod cells;
mod gaps;
mod output_set;
mod units;
mod whatif;

pub use cells::{access_csv, cells_csv, cells_geojson, fmt_population, rejected_csv, sites_csv};
pub use gaps::{gaps_csv, gaps_geojson};
pub use output_set::{OutputError, OutputSet, write_file_atomic};
pub use units::{targets_csv, units_csv, units_geojson};
pub use whatif::{whatif_cells_csv, whatif_units_csv};
