//! One entry point for population files in the formats planners hold: GeoTIFF
//! rasters (`.tif`, `.tiff`), GeoPackage (`.gpkg`) and shapefile (`.shp`), chosen by
//! extension. (CSV and GeoJSON have their own readers.)
//!
//! Inputs: a path and [`PopulationOptions`].
//! Output: a [`PopulationRead`]: cells in WGS84, rejected rows, and a report of where
//! every person in the file went (cells, rejected, clipped out; masked elderly).

use std::path::{Path, PathBuf};

use crate::base::model::{RawCell, Rejected};
use crate::input::clip::ClipArea;
use crate::input::gpkg::{GpkgError, read_gpkg};
use crate::input::raster::{RasterError, RasterOptions, RasterReport, read_population_rasters};
use crate::input::shapefile::{ShapefileError, read_shapefile};
use crate::input::vector::{VectorOptions, VectorReport};

/// Errors of [`read_population_file`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PopulationFormatError {
    /// The extension names no format this dispatcher reads.
    #[error(
        "{path}: unknown population file type {extension:?} (expected .tif, .tiff, .gpkg or .shp)"
    )]
    UnknownExtension {
        /// The file.
        path: PathBuf,
        /// Its extension (may be empty).
        extension: String,
    },
    /// The raster reader failed.
    #[error(transparent)]
    Raster(#[from] RasterError),
    /// The GeoPackage reader failed.
    #[error(transparent)]
    Gpkg(#[from] GpkgError),
    /// The shapefile reader failed.
    #[error(transparent)]
    Shapefile(#[from] ShapefileError),
}

/// Options for every format; each reader uses the fields that apply to it.
#[derive(Debug, Clone, Default)]
pub struct PopulationOptions {
    /// Vector layers: layer, columns, elderly bands, CRS override, polygons.
    pub vector: VectorOptions,
    /// Rasters: polygons, outside accounting, memory limits.
    pub raster: RasterOptions,
    /// Elderly rasters on the population raster's grid (summed); rasters only.
    pub elderly_rasters: Vec<PathBuf>,
    /// Study area; overrides the `clip` of both option sets.
    pub clip: Option<ClipArea>,
}

/// How a file was read.
#[derive(Debug, Clone, PartialEq)]
pub enum PopulationReport {
    /// A raster (or several summed).
    Raster(RasterReport),
    /// A vector layer.
    Vector(VectorReport),
}

/// The outcome of [`read_population_file`].
#[derive(Debug, Clone)]
pub struct PopulationRead {
    /// Cells in WGS84.
    pub cells: Vec<RawCell>,
    /// Records read but not used.
    pub rejected: Vec<Rejected>,
    /// Where every person went.
    pub report: PopulationReport,
}

/// Reads a population file, choosing the reader by extension (case-insensitive).
///
/// # Errors
/// [`PopulationFormatError`] for an unknown extension or the reader's own error.
pub fn read_population_file(
    path: &Path,
    opts: &PopulationOptions,
) -> Result<PopulationRead, PopulationFormatError> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let mut vector = opts.vector.clone();
    let mut raster = opts.raster.clone();
    if opts.clip.is_some() {
        vector.clip.clone_from(&opts.clip);
        raster.clip.clone_from(&opts.clip);
    }
    match ext.as_str() {
        "tif" | "tiff" => {
            let r = read_population_rasters(&[path.to_path_buf()], &opts.elderly_rasters, &raster)?;
            Ok(PopulationRead {
                cells: r.cells,
                rejected: r.rejected,
                report: PopulationReport::Raster(r.report),
            })
        }
        "gpkg" => {
            let (cells, rejected, report) = read_gpkg(path, &vector)?;
            Ok(PopulationRead {
                cells,
                rejected,
                report: PopulationReport::Vector(report),
            })
        }
        "shp" => {
            let (cells, rejected, report) = read_shapefile(path, &vector)?;
            Ok(PopulationRead {
                cells,
                rejected,
                report: PopulationReport::Vector(report),
            })
        }
        _ => Err(PopulationFormatError::UnknownExtension {
            path: path.to_path_buf(),
            extension: ext,
        }),
    }
}
