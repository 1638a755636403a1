//! Export: the run's files, written atomically through [`OutputSet`].
//!
//! * `cells.csv` / `cells.geojson`: one row/feature per cell (see `docs/METHODS.md`
//!   for the column contract);
//! * `learncircle.gpkg` (`--format …,gpkg`): the cells, gap zones, units, sites
//!   and service areas as GeoPackage layers with R-tree indexes ([`gpkg`]);
//! * `summary.json`: [`crate::present::report::Summary`];
//! * `rejected.csv`: every input record not used;
//! * `sites.csv`: the sites analysed and whether each could be used.
//!
//! Floats are written with fixed decimals (metres 0.1, minutes 0.01, lon/lat 1e-6)
//! so that outputs are byte-identical at any thread count.

mod cells;
mod fixed;
mod gaps;
pub mod gpkg;
mod output_set;
pub mod qgis_style;
mod units;
mod whatif;

pub use cells::{
    access_csv, cells_csv, cells_geojson, cells_layer, fmt_population, rejected_csv, sites_csv,
    sites_layer,
};
pub use gaps::{gap_outlines, gaps_csv, gaps_geojson, gaps_layer};
pub use output_set::{OutputError, OutputSet, WriteJob, write_file_atomic};
pub use units::{Links, targets_csv, units_csv, units_geojson, units_layer};
pub use whatif::{whatif_cells_csv, whatif_units_csv};

/// File name of the GeoPackage output.
pub const GPKG_FILE: &str = "learncircle.gpkg";

/// A format of the per-cell results (`coverage --format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `cells.csv`.
    Csv,
    /// `cells.geojson`.
    Geojson,
    /// `learncircle.gpkg`: cells, gap zones, units, sites and service areas as
    /// GeoPackage layers with R-tree indexes.
    Gpkg,
}

/// Which per-cell outputs a run writes. The other files (summary, gaps, units,
/// sites, …) are small and always written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Formats {
    /// `cells.csv`.
    pub csv: bool,
    /// `cells.geojson`.
    pub geojson: bool,
    /// `learncircle.gpkg`.
    pub gpkg: bool,
}

impl Default for Formats {
    /// `cells.csv` and `cells.geojson`, as before `--format` existed.
    fn default() -> Self {
        Self::from_list(&[Format::Csv, Format::Geojson])
    }
}

impl Formats {
    /// The formats named in a `--format` list.
    #[must_use]
    pub fn from_list(list: &[Format]) -> Self {
        Self {
            csv: list.contains(&Format::Csv),
            geojson: list.contains(&Format::Geojson),
            gpkg: list.contains(&Format::Gpkg),
        }
    }
}

impl std::fmt::Display for Formats {
    /// The `--format` list that selects these formats (`csv,geojson`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = [
            (self.csv, "csv"),
            (self.geojson, "geojson"),
            (self.gpkg, "gpkg"),
        ]
        .into_iter()
        .filter_map(|(on, n)| on.then_some(n))
        .collect();
        f.write_str(&names.join(","))
    }
}
