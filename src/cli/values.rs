//! Flag values parsed by clap: mirrors of the library's enums (same names, same
//! documentation, same possible values) so that the library never sees clap.
//! Each converts into its library twin with `From`.

use learncircle::analysis::{access, units};
use learncircle::{app, export};

/// Distance engine choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// Straight line × circuity (an approximation).
    Straight,
    /// Along the OpenStreetMap pedestrian network.
    Network,
}

impl From<Mode> for app::Mode {
    fn from(m: Mode) -> Self {
        match m {
            Mode::Straight => app::Mode::Straight,
            Mode::Network => app::Mode::Network,
        }
    }
}

/// Distance-decay method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum AccessMethod {
    /// Classic 2SFCA, uniform weight within the threshold.
    #[value(name = "2sfca")]
    TwoStep,
    /// Enhanced 2SFCA, three step weights 1.00 / 0.68 / 0.22.
    E2sfcaStep,
    /// Enhanced 2SFCA, Gaussian decay.
    E2sfcaGaussian,
}

impl From<AccessMethod> for access::Method {
    fn from(m: AccessMethod) -> Self {
        match m {
            AccessMethod::TwoStep => access::Method::TwoStep,
            AccessMethod::E2sfcaStep => access::Method::E2sfcaStep,
            AccessMethod::E2sfcaGaussian => access::Method::E2sfcaGaussian,
        }
    }
}

/// A format of the per-cell results (`coverage --format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `cells.csv`.
    Csv,
    /// `cells.geojson`.
    Geojson,
    /// `learncircle.gpkg`: cells, gap zones, units, sites and service areas as
    /// GeoPackage layers with R-tree indexes.
    Gpkg,
}

impl From<Format> for export::Format {
    fn from(f: Format) -> Self {
        match f {
            Format::Csv => export::Format::Csv,
            Format::Geojson => export::Format::Geojson,
            Format::Gpkg => export::Format::Gpkg,
        }
    }
}

/// The library's format set from a `--format` list.
pub fn formats(list: &[Format]) -> export::Formats {
    let list: Vec<export::Format> = list.iter().map(|&f| f.into()).collect();
    export::Formats::from_list(&list)
}

/// How cells are assigned to units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Assignment {
    /// By the cell's representative point.
    #[default]
    Centroid,
    /// By area share (polygon cells).
    Area,
}

impl From<Assignment> for units::Assignment {
    fn from(a: Assignment) -> Self {
        match a {
            Assignment::Centroid => units::Assignment::Centroid,
            Assignment::Area => units::Assignment::Area,
        }
    }
}

/// Where generated candidates come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CandidateSource {
    /// Centres of the uncovered, populated cells (the gap zones).
    Cells,
    /// Walking-network nodes inside the gap zones (network mode).
    Nodes,
    /// Both.
    Both,
}

impl From<CandidateSource> for app::CandidateSource {
    fn from(c: CandidateSource) -> Self {
        match c {
            CandidateSource::Cells => app::CandidateSource::Cells,
            CandidateSource::Nodes => app::CandidateSource::Nodes,
            CandidateSource::Both => app::CandidateSource::Both,
        }
    }
}

/// Bundled sample cases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DemoCase {
    /// Wujiaochang / Fudan, Yangpu District, Shanghai (OSM, Dec 2023).
    Shanghai,
    /// Central Helsinki (OSM ≈ 2019; HSY 250 m population grid 2020).
    Helsinki,
}

impl From<DemoCase> for app::demo::DemoCase {
    fn from(c: DemoCase) -> Self {
        match c {
            DemoCase::Shanghai => app::demo::DemoCase::Shanghai,
            DemoCase::Helsinki => app::demo::DemoCase::Helsinki,
        }
    }
}

/// `--sheet [INPUT=]NAME`, checked by [`app::Sheets::add`].
///
/// # Errors
/// The reason [`app::Sheets::add`] gives.
pub fn sheet(spec: &str) -> Result<String, String> {
    app::Sheets::default().add(spec)?;
    Ok(spec.to_owned())
}
