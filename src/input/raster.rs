//! GeoTIFF population rasters (WorldPop, GHS-POP) read without GDAL.
//!
//! Inputs: one or more single-band GeoTIFFs of persons per pixel on one grid (e.g.
//! WorldPop age–sex bands that together make an elderly layer), optionally a second
//! set on the same grid for the elderly layer, and [`RasterOptions`] (clip area,
//! pixel polygons, memory limits).
//! Output: a [`RasterRead`]: one [`RawCell`] per pixel with population > 0 (centre
//! in WGS84, id `r{row}c{col}`, location `pixel (col,row)`), [`Rejected`] rows for
//! pixels with a negative count, and a [`RasterReport`] that accounts for every
//! person in the file (cells + rejected + clipped out = file total).
//!
//! # Georeferencing
//! The pixel → model transform comes from ModelTransformation (34264) when present,
//! else from ModelTiepoint (33922) + ModelPixelScale (33550). `PixelIsPoint` rasters
//! are shifted by half a pixel, as GDAL does. The CRS comes from the GeoKey directory
//! (34735, with GeoDoubleParams 34736 and GeoAsciiParams 34737), parsed here by hand
//! because the `tiff` crate reads tags but knows nothing of GeoKeys and no maintained
//! pure-Rust GeoTIFF crate exposes them on top of `tiff` 0.11:
//!
//! | GeoKeys | read as |
//! | --- | --- |
//! | geographic, GeographicType 4326 (or user-defined on the WGS84 datum/ellipsoid) | WGS84 lon/lat |
//! | geographic or projected EPSG code proj4rs knows (3067, 32650, 4490, …) | that code |
//! | projected 54009 | ESRI:54009 World Mollweide |
//! | projected user-defined (32767) whose citation says Mollweide, WGS84, metres | Mollweide with the keys' central meridian and false easting/northing |
//! | anything else | [`RasterError::UnsupportedCrs`] |
//!
//! # Nodata
//! A pixel is nodata when it equals GDAL_NODATA (42113) compared in the sample's own
//! precision (so `-3.4e+038` matches the float32 value written by GDAL), when it is
//! NaN or infinite (never a head count), and — when the declared nodata is ≤ −1e30,
//! as WorldPop's −3.4e38 is — whenever it is ≤ −1e30 (writers round that sentinel
//! differently). When several rasters are summed, a pixel is nodata only if it is
//! nodata in all of them; otherwise the valid values are summed (the report counts
//! such partially-nodata pixels).
//!
//! # Memory
//! The image is never decoded whole. Rows are assembled from one cached chunk row
//! per file (a strip, or the row of tiles crossing the clip window), so memory is
//! bounded by `width × chunk height × bytes per sample` per file plus the output
//! cells. Before any chunk is decoded the header is checked: at most
//! [`RasterLimits::max_pixels`] pixels (2^34 by default), every chunk inside the
//! file, every chunk within [`RasterLimits::max_chunk_bytes`] once decoded, and the
//! decoder's own `tiff::decoder::Limits` set to the same budget. (The `tiff` crate
//! parses the first IFD with its default 1 MiB tag-value limit before ours apply,
//! which caps chunk-offset tables at 131 072 entries for BigTIFF.)
//!
//! # Clipping
//! With a [`ClipArea`], pixels whose centre (in WGS84) is outside are dropped and
//! counted, with their population, in [`ClipReport`]. Chunks that cannot hold an
//! inside pixel are skipped under [`OutsideAccounting::SkipUnread`] (fast; their
//! population is then unknown and reported as unread pixels), or streamed and summed
//! one at a time under [`OutsideAccounting::Exact`] (the default: every person is
//! accounted for).

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use geo::{LineString, MultiPolygon, Polygon};
use tiff::decoder::{ChunkType, Decoder, DecodingResult, Limits};
use tiff::tags::Tag;

use crate::base::model::{RawCell, Rejected};
use crate::crs::{EpsgError, Reprojector};
use crate::input::clip::ClipArea;

/// Errors of the raster reader. Every variant names the file it is about.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RasterError {
    /// No population raster was given.
    #[error("no population raster given")]
    NoInput,
    /// The file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TIFF structure could not be decoded (not a TIFF, truncated, corrupt data).
    #[error("{path}: not a readable TIFF: {source}")]
    Tiff {
        /// The file.
        path: PathBuf,
        /// What the `tiff` crate said.
        source: tiff::TiffError,
    },
    /// A chunk (strip or tile) lies beyond the end of the file.
    #[error(
        "{path}: chunk {chunk} at byte {offset} (+{bytes} bytes) lies beyond the end of the file ({file_len} bytes); the file is truncated or corrupt"
    )]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Chunk index.
        chunk: usize,
        /// Byte offset of the chunk.
        offset: u64,
        /// Declared compressed size of the chunk.
        bytes: u64,
        /// File length.
        file_len: u64,
    },
    /// The header declares more pixels than the reader accepts.
    #[error("{path}: {width} × {height} pixels exceeds the limit of {max_pixels} pixels")]
    Dimensions {
        /// The file.
        path: PathBuf,
        /// Declared width.
        width: u64,
        /// Declared height.
        height: u64,
        /// The limit in force.
        max_pixels: u64,
    },
    /// The raster is so wide that the reader's row buffers (24 bytes per column)
    /// would exceed the memory budget.
    #[error(
        "{path}: {width} pixels per row need {bytes} bytes of row buffers, over the memory budget of {limit} bytes"
    )]
    RowTooWide {
        /// The file.
        path: PathBuf,
        /// Declared width.
        width: u64,
        /// Bytes the row buffers would take.
        bytes: u64,
        /// The budget.
        limit: u64,
    },
    /// A decoded chunk row would exceed the memory budget.
    #[error(
        "{path}: a chunk row of {bytes} bytes exceeds the memory budget of {limit} bytes (re-tile the raster, e.g. gdal_translate -co TILED=YES)"
    )]
    ChunkTooLarge {
        /// The file.
        path: PathBuf,
        /// Decoded bytes needed.
        bytes: u64,
        /// The budget.
        limit: u64,
    },
    /// The compression scheme is not one the reader decodes.
    #[error(
        "{path}: unsupported TIFF compression {code} (supported: 1 none, 5 LZW, 8/32946 deflate, 32773 PackBits)"
    )]
    UnsupportedCompression {
        /// The file.
        path: PathBuf,
        /// The Compression tag value.
        code: u16,
    },
    /// The sample type is not one the reader converts to a count.
    #[error(
        "{path}: unsupported sample type (SampleFormat {sample_format}, {bits_per_sample} bits; supported: unsigned/signed 8–32-bit integers, 32/64-bit floats)"
    )]
    UnsupportedSampleFormat {
        /// The file.
        path: PathBuf,
        /// SampleFormat tag value (1 uint, 2 int, 3 float).
        sample_format: u16,
        /// BitsPerSample.
        bits_per_sample: u16,
    },
    /// The raster has more than one band.
    #[error("{path}: {samples} samples per pixel; a population raster must have a single band")]
    UnsupportedBands {
        /// The file.
        path: PathBuf,
        /// SamplesPerPixel.
        samples: u16,
    },
    /// Georeferencing tags are missing or malformed.
    #[error("{path}: {reason}")]
    Georeference {
        /// The file.
        path: PathBuf,
        /// What is missing or wrong.
        reason: String,
    },
    /// The CRS declared by the GeoKeys is not supported.
    #[error("{path}: unsupported coordinate reference system: {crs}")]
    UnsupportedCrs {
        /// The file.
        path: PathBuf,
        /// What the GeoKeys said.
        crs: String,
    },
    /// A coordinate could not be reprojected.
    #[error("{path}: {source}")]
    Reproject {
        /// The file.
        path: PathBuf,
        /// The reprojection error.
        source: EpsgError,
    },
    /// Two rasters that must share one grid do not.
    #[error(
        "{first} and {other} are not on the same grid ({what}); rasters summed into one layer must share size, transform and CRS"
    )]
    GridMismatch {
        /// The first population raster.
        first: PathBuf,
        /// The raster that differs.
        other: PathBuf,
        /// What differs.
        what: String,
    },
    /// More cells than the configured maximum.
    #[error(
        "{path}: more than {limit} populated pixels; clip to the study area or raise the limit"
    )]
    TooManyCells {
        /// The first population raster.
        path: PathBuf,
        /// The limit in force.
        limit: usize,
    },
}

/// Memory and size budget of the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RasterLimits {
    /// Refuse rasters with more pixels than this (header check, before reading).
    pub max_pixels: u64,
    /// Largest decoded chunk row (strip, or row of tiles) per file, bytes. Also the
    /// decoder's `decoding_buffer_size` and `intermediate_buffer_size`.
    pub max_chunk_bytes: u64,
    /// Largest TIFF tag value (e.g. the chunk offset table), bytes.
    pub max_tag_bytes: u64,
    /// Refuse to produce more cells than this (each costs ~200 bytes).
    pub max_cells: usize,
}

impl Default for RasterLimits {
    fn default() -> Self {
        Self {
            max_pixels: 1 << 34,
            max_chunk_bytes: 256 << 20,
            max_tag_bytes: 64 << 20,
            max_cells: 20_000_000,
        }
    }
}

/// What to do with chunks that cannot hold a pixel inside the clip area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutsideAccounting {
    /// Decode them one at a time and add their population to the clip report, so
    /// that cells + rejected + clipped out = file total. Memory stays bounded.
    #[default]
    Exact,
    /// Do not decode them; their pixels are counted as unread, population unknown.
    SkipUnread,
}

/// Options of [`read_population_rasters`].
#[derive(Debug, Clone, Default)]
pub struct RasterOptions {
    /// Keep only pixels whose centre is inside.
    pub clip: Option<ClipArea>,
    /// Attach each cell's pixel outline (4 corners reprojected to WGS84).
    pub with_polygons: bool,
    /// How to account for skipped chunks when clipping.
    pub outside: OutsideAccounting,
    /// Size and memory budget.
    pub limits: RasterLimits,
}

/// People dropped by clipping.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ClipReport {
    /// Pixels with a non-zero count whose centre is outside the clip area.
    pub pixels_outside: u64,
    /// Their residents (persons).
    pub population_outside: f64,
    /// Their elderly residents (persons), when there is an elderly layer.
    pub elderly_outside: f64,
    /// Chunks never decoded ([`OutsideAccounting::SkipUnread`]).
    pub chunks_skipped: u64,
    /// Pixels in rows/columns never decoded; their population is unknown.
    pub pixels_unread: u64,
}

/// Elderly-layer accounting.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ElderlyReport {
    /// Sum of valid elderly values over the pixels decoded (persons).
    pub file_elderly: f64,
    /// Elderly persons on emitted cells.
    pub cell_elderly: f64,
    /// Elderly persons on pixels without total population (total 0 or nodata):
    /// not attached to any cell.
    pub elderly_without_population: f64,
    /// Pixels where the elderly value exceeds the total population.
    pub pixels_elderly_above_total: u64,
}

/// Accounting of one raster read: every person in the decoded pixels is in exactly
/// one of `cell_population`, `rejected_population`, `clip.population_outside`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RasterReport {
    /// Population rasters, as given.
    pub population_files: Vec<String>,
    /// Elderly rasters, as given.
    pub elderly_files: Vec<String>,
    /// Grid width, pixels.
    pub width: u32,
    /// Grid height, pixels.
    pub height: u32,
    /// The CRS as understood (`EPSG:4326`, `ESRI:54009`, …).
    pub crs: String,
    /// Sum of valid values over the decoded pixels (persons).
    pub file_population: f64,
    /// Residents on emitted cells (persons).
    pub cell_population: f64,
    /// Residents on rejected pixels (negative counts; persons).
    pub rejected_population: f64,
    /// Pixels that are nodata in every summed raster.
    pub nodata_pixels: u64,
    /// Pixels that are nodata in some but not all summed rasters.
    pub partial_nodata_pixels: u64,
    /// Clipping.
    pub clip: ClipReport,
    /// Elderly layer, when one was given.
    pub elderly: Option<ElderlyReport>,
}

/// The result of reading population rasters.
#[derive(Debug, Clone, Default)]
pub struct RasterRead {
    /// One cell per pixel with population > 0, row-major order.
    pub cells: Vec<RawCell>,
    /// Pixels that were read but not used.
    pub rejected: Vec<Rejected>,
    /// Where every person went.
    pub report: RasterReport,
}

/// The CRS of a raster, as understood from its GeoKeys.
#[derive(Debug, Clone, PartialEq)]
pub enum RasterCrs {
    /// An EPSG code proj4rs knows (4326 for WorldPop).
    Epsg(u16),
    /// World Mollweide on WGS84 (ESRI:54009 when all parameters are zero).
    Mollweide {
        /// Central meridian, degrees.
        lon_0: f64,
        /// False easting, metres.
        x_0: f64,
        /// False northing, metres.
        y_0: f64,
    },
}

impl RasterCrs {
    fn reprojector(&self) -> Result<Reprojector, EpsgError> {
        match self {
            Self::Epsg(code) => Reprojector::from_epsg(u32::from(*code)),
            Self::Mollweide { lon_0, x_0, y_0 } if *lon_0 == 0.0 && *x_0 == 0.0 && *y_0 == 0.0 => {
                Reprojector::mollweide()
            }
            Self::Mollweide { lon_0, x_0, y_0 } => Reprojector::from_proj_string(&format!(
                "+proj=moll +lon_0={lon_0} +x_0={x_0} +y_0={y_0} +datum=WGS84 +units=m +no_defs"
            )),
        }
    }
}

/// Grid of a raster: size, pixel → model affine transform, CRS.
#[derive(Debug, Clone, PartialEq)]
pub struct RasterGrid {
    /// Width, pixels.
    pub width: u32,
    /// Height, pixels.
    pub height: u32,
    /// GDAL-style geotransform `[x0, dx/dcol, dx/drow, y0, dy/dcol, dy/drow]` with
    /// (col, row) = (0, 0) at the outer corner of the first pixel; model units.
    pub geotransform: [f64; 6],
    /// CRS.
    pub crs: RasterCrs,
}

impl RasterGrid {
    /// Model coordinates of raster position (col, row) (pixel corners at integers).
    #[must_use]
    pub fn model_xy(&self, col: f64, row: f64) -> (f64, f64) {
        let g = &self.geotransform;
        (
            g[0] + col * g[1] + row * g[2],
            g[3] + col * g[4] + row * g[5],
        )
    }

    /// Raster position (col, row) of model coordinates; `None` for a singular transform.
    fn pixel_of(&self, x: f64, y: f64) -> Option<(f64, f64)> {
        let g = &self.geotransform;
        let det = g[1] * g[5] - g[2] * g[4];
        if det == 0.0 || !det.is_finite() {
            return None;
        }
        let (dx, dy) = (x - g[0], y - g[3]);
        Some((
            (g[5] * dx - g[2] * dy) / det,
            (-g[4] * dx + g[1] * dy) / det,
        ))
    }

    fn same_transform(&self, other: &Self) -> bool {
        // Tolerance: 1e-9 of a pixel's size, to absorb decimal round-trips of the
        // tiepoint/scale written by different tools.
        let tol = 1e-9 * (self.geotransform[1].abs() + self.geotransform[5].abs());
        self.geotransform
            .iter()
            .zip(&other.geotransform)
            .all(|(a, b)| (a - b).abs() <= tol)
    }
}

/// Reads the grid (size, transform, CRS) of a GeoTIFF without decoding pixels.
///
/// # Errors
/// Any header-level [`RasterError`].
pub fn inspect_raster(path: &Path) -> Result<RasterGrid, RasterError> {
    Ok(RasterFile::open(path, &RasterLimits::default())?.grid)
}

/// Reads one or more population rasters summed into one layer, and optionally an
/// elderly layer (also summed) on the same grid.
///
/// # Units
/// Pixel values are persons per pixel; sums are accumulated in `f64`.
///
/// # Errors
/// [`RasterError`] for unreadable or unsupported files, hostile headers, rasters not
/// on one grid, or more cells than [`RasterLimits::max_cells`]. Bad pixels are not
/// errors: they are rejected rows or nodata.
pub fn read_population_rasters(
    population: &[PathBuf],
    elderly: &[PathBuf],
    opts: &RasterOptions,
) -> Result<RasterRead, RasterError> {
    let first_path = population.first().ok_or(RasterError::NoInput)?;
    let mut pop_files = population
        .iter()
        .map(|p| RasterFile::open(p, &opts.limits))
        .collect::<Result<Vec<_>, _>>()?;
    let mut eld_files = elderly
        .iter()
        .map(|p| RasterFile::open(p, &opts.limits))
        .collect::<Result<Vec<_>, _>>()?;
    let grid = pop_files[0].grid.clone();
    for f in pop_files.iter().skip(1).chain(&eld_files) {
        check_same_grid(first_path, &grid, &f.path, &f.grid)?;
    }
    let reproj = grid
        .crs
        .reprojector()
        .map_err(|source| RasterError::Reproject {
            path: first_path.clone(),
            source,
        })?;
    let report = RasterReport {
        population_files: population.iter().map(|p| p.display().to_string()).collect(),
        elderly_files: elderly.iter().map(|p| p.display().to_string()).collect(),
        width: grid.width,
        height: grid.height,
        crs: reproj.label().to_string(),
        elderly: (!eld_files.is_empty()).then(ElderlyReport::default),
        ..RasterReport::default()
    };
    let mut scan = RasterScan {
        file_label: population
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join("+"),
        first_path,
        grid: &grid,
        reproj: &reproj,
        opts,
        report,
        cells: Vec::new(),
        rejected: Vec::new(),
    };
    scan.rows(&mut pop_files, &mut eld_files)?;
    let RasterScan {
        mut report,
        cells,
        rejected,
        ..
    } = scan;
    report.clip.chunks_skipped = pop_files
        .iter()
        .chain(&eld_files)
        .map(|f| f.chunks_skipped())
        .sum();
    Ok(RasterRead {
        cells,
        rejected,
        report,
    })
}

/// One pass over the rasters' rows, pixel by pixel, into cells, rejected pixels
/// and the report.
struct RasterScan<'a> {
    file_label: String,
    first_path: &'a PathBuf,
    grid: &'a RasterGrid,
    reproj: &'a Reprojector,
    opts: &'a RasterOptions,
    report: RasterReport,
    cells: Vec<RawCell>,
    rejected: Vec<Rejected>,
}

/// Values of one row summed over the files, and how many files had data.
struct RowSums {
    value: Vec<f64>,
    valid: Vec<u32>,
}

impl RowSums {
    fn new(width: usize) -> Self {
        Self {
            value: vec![0.0; width],
            valid: vec![0; width],
        }
    }

    fn read(
        &mut self,
        files: &mut [RasterFile],
        row: u32,
        c0: u32,
        c1: u32,
    ) -> Result<(), RasterError> {
        let span = c0 as usize..c1 as usize;
        self.value[span.clone()].fill(0.0);
        self.valid[span].fill(0);
        for f in files {
            f.add_row(row, c0, c1, &mut self.value, &mut self.valid)?;
        }
        Ok(())
    }
}

impl RasterScan<'_> {
    fn rows(
        &mut self,
        pop_files: &mut [RasterFile],
        eld_files: &mut [RasterFile],
    ) -> Result<(), RasterError> {
        let grid = self.grid;
        let window = self
            .opts
            .clip
            .as_ref()
            .map_or(Some(Window::full(grid)), |c| {
                clip_window(grid, self.reproj, c)
            });
        let exact = self.opts.outside == OutsideAccounting::Exact;
        let width = grid.width as usize;
        let (mut pop, mut eld) = (RowSums::new(width), RowSums::new(width));
        let n_pop = u32::try_from(pop_files.len()).unwrap_or(u32::MAX);
        for row in 0..grid.height {
            let in_window = window.as_ref().filter(|w| row >= w.row0 && row < w.row1);
            let (c0, c1) = match (in_window, exact) {
                (_, true) => (0, grid.width),
                (Some(w), false) => (w.col0, w.col1),
                (None, false) => (0, 0),
            };
            if !exact {
                self.report.clip.pixels_unread += u64::from(grid.width - (c1 - c0));
            }
            if c0 == c1 {
                continue;
            }
            pop.read(pop_files, row, c0, c1)?;
            if !eld_files.is_empty() {
                eld.read(eld_files, row, c0, c1)?;
            }
            for col in c0..c1 {
                let i = col as usize;
                let elderly_value =
                    (!eld_files.is_empty() && eld.valid[i] > 0).then_some(eld.value[i]);
                let inside_window = in_window.is_some_and(|w| col >= w.col0 && col < w.col1);
                let pixel = Pixel {
                    col,
                    row,
                    files_with_data: pop.valid[i],
                    value: pop.value[i],
                    elderly: elderly_value,
                    inside_window,
                };
                self.pixel(&pixel, n_pop)?;
            }
        }
        Ok(())
    }

    fn add_elderly(&mut self, elderly: Option<f64>, f: impl FnOnce(&mut ElderlyReport, f64)) {
        if let (Some(e), Some(er)) = (elderly, self.report.elderly.as_mut()) {
            f(er, e);
        }
    }

    /// One pixel: counted, rejected, clipped out or kept as a cell.
    ///
    /// # Errors
    /// Too many cells, or a pixel polygon that cannot be reprojected.
    fn pixel(&mut self, p: &Pixel, n_pop: u32) -> Result<(), RasterError> {
        self.add_elderly(p.elderly, |er, e| er.file_elderly += e);
        if p.files_with_data == 0 {
            self.report.nodata_pixels += 1;
            self.add_elderly(p.elderly, |er, e| er.elderly_without_population += e);
            return Ok(());
        }
        if p.files_with_data < n_pop {
            self.report.partial_nodata_pixels += 1;
        }
        let value = p.value;
        self.report.file_population += value;
        if value == 0.0 {
            self.add_elderly(p.elderly, |er, e| er.elderly_without_population += e);
            return Ok(());
        }
        let location = format!("pixel ({},{})", p.col, p.row);
        let Some((lon, lat)) = self.pixel_position(p, &location) else {
            return Ok(());
        };
        if value < 0.0 {
            self.reject(location, format!("negative population {value}"), value);
            return Ok(());
        }
        if self.cells.len() >= self.opts.limits.max_cells {
            return Err(RasterError::TooManyCells {
                path: self.first_path.clone(),
                limit: self.opts.limits.max_cells,
            });
        }
        self.add_elderly(p.elderly, |er, e| {
            er.cell_elderly += e;
            if e > value {
                er.pixels_elderly_above_total += 1;
            }
        });
        let polygon = if self.opts.with_polygons {
            Some(
                pixel_polygon(self.grid, self.reproj, p.col, p.row).map_err(|source| {
                    RasterError::Reproject {
                        path: self.first_path.clone(),
                        source,
                    }
                })?,
            )
        } else {
            None
        };
        self.report.cell_population += value;
        self.cells.push(RawCell {
            id: Some(format!("r{}c{}", p.row, p.col)),
            lon,
            lat,
            population: value,
            elderly: p.elderly,
            polygon,
            location,
        });
        Ok(())
    }

    /// The pixel centre in WGS84, or `None` when it is clipped out or cannot be
    /// reprojected (then counted or rejected here). Pixels outside the clip window
    /// cannot be inside the clip area: they are never reprojected.
    fn pixel_position(&mut self, p: &Pixel, location: &str) -> Option<(f64, f64)> {
        let lonlat = (self.opts.clip.is_none() || p.inside_window).then(|| {
            let (x, y) = self
                .grid
                .model_xy(f64::from(p.col) + 0.5, f64::from(p.row) + 0.5);
            self.reproj.to_wgs84(x, y)
        });
        match (lonlat, &self.opts.clip) {
            (Some(Ok((lon, lat))), Some(c)) if c.contains(lon, lat) => Some((lon, lat)),
            (Some(Ok(ll)), None) => Some(ll),
            (Some(Err(e)), None) => {
                self.reject(
                    location.to_owned(),
                    format!("pixel centre cannot be reprojected: {e}"),
                    p.value,
                );
                None
            }
            _ => {
                self.report.clip.pixels_outside += 1;
                self.report.clip.population_outside += p.value;
                self.report.clip.elderly_outside += p.elderly.unwrap_or(0.0);
                None
            }
        }
    }

    fn reject(&mut self, location: String, reason: String, value: f64) {
        self.rejected
            .push(Rejected::new(&self.file_label, location, reason).with_population(Some(value)));
        self.report.rejected_population += value;
    }
}

/// One pixel of the summed rasters.
struct Pixel {
    col: u32,
    row: u32,
    /// Population files with data at this pixel.
    files_with_data: u32,
    /// Σ population over the files with data.
    value: f64,
    /// Σ elderly, when an elderly file has data here.
    elderly: Option<f64>,
    /// Inside the clip window (always false without a clip).
    inside_window: bool,
}

fn check_same_grid(
    first: &Path,
    a: &RasterGrid,
    other: &Path,
    b: &RasterGrid,
) -> Result<(), RasterError> {
    let what = if (a.width, a.height) != (b.width, b.height) {
        Some(format!(
            "size {}×{} vs {}×{}",
            a.width, a.height, b.width, b.height
        ))
    } else if a.crs != b.crs {
        Some(format!("CRS {:?} vs {:?}", a.crs, b.crs))
    } else if !a.same_transform(b) {
        Some(format!(
            "geotransform {:?} vs {:?}",
            a.geotransform, b.geotransform
        ))
    } else {
        None
    };
    what.map_or(Ok(()), |what| {
        Err(RasterError::GridMismatch {
            first: first.to_path_buf(),
            other: other.to_path_buf(),
            what,
        })
    })
}

fn pixel_polygon(
    grid: &RasterGrid,
    reproj: &Reprojector,
    col: u32,
    row: u32,
) -> Result<MultiPolygon<f64>, EpsgError> {
    let (c, r) = (f64::from(col), f64::from(row));
    let mut ring = Vec::with_capacity(5);
    for (dc, dr) in [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.0, 0.0)] {
        let (x, y) = grid.model_xy(c + dc, r + dr);
        ring.push(reproj.to_wgs84(x, y)?);
    }
    Ok(MultiPolygon(vec![Polygon::new(
        LineString::from(ring),
        vec![],
    )]))
}

/// Pixel window `[col0, col1) × [row0, row1)` that holds every pixel whose centre may
/// be inside the clip area.
#[derive(Debug, Clone, Copy)]
struct Window {
    col0: u32,
    col1: u32,
    row0: u32,
    row1: u32,
}

impl Window {
    fn full(grid: &RasterGrid) -> Self {
        Self {
            col0: 0,
            col1: grid.width,
            row0: 0,
            row1: grid.height,
        }
    }
}

/// Maps the clip bbox into pixel space: the box outline is densified (32 points a
/// side) and reprojected into the raster CRS, so curved images of the box under
/// Mollweide are covered; a 2-pixel margin absorbs the curvature between samples.
/// `None` when the box misses the raster.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn clip_window(grid: &RasterGrid, reproj: &Reprojector, clip: &ClipArea) -> Option<Window> {
    let [x0, y0, x1, y1] = clip.bbox();
    let mut min = (f64::INFINITY, f64::INFINITY);
    let mut max = (f64::NEG_INFINITY, f64::NEG_INFINITY);
    let mut any = false;
    let n = 32;
    for i in 0..=n {
        let t = f64::from(i) / f64::from(n);
        for (lon, lat) in [
            (x0 + t * (x1 - x0), y0),
            (x0 + t * (x1 - x0), y1),
            (x0, y0 + t * (y1 - y0)),
            (x1, y0 + t * (y1 - y0)),
        ] {
            let Ok((x, y)) = reproj.from_wgs84(lon, lat) else {
                continue;
            };
            let Some((c, r)) = grid.pixel_of(x, y) else {
                continue;
            };
            any = true;
            min = (min.0.min(c), min.1.min(r));
            max = (max.0.max(c), max.1.max(r));
        }
    }
    if !any {
        return Some(Window::full(grid));
    }
    let clamp = |v: f64, hi: u32| -> u32 { v.clamp(0.0, f64::from(hi)) as u32 };
    let w = Window {
        col0: clamp((min.0 - 2.0).floor(), grid.width),
        col1: clamp((max.0 + 2.0).ceil(), grid.width),
        row0: clamp((min.1 - 2.0).floor(), grid.height),
        row1: clamp((max.1 + 2.0).ceil(), grid.height),
    };
    (w.col0 < w.col1 && w.row0 < w.row1).then_some(w)
}

/// Nodata rule of one file (see the module docs).
#[derive(Debug, Clone, Copy)]
struct Nodata {
    value: Option<f64>,
    huge_negative: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SampleKind {
    U8,
    U16,
    U32,
    I8,
    I16,
    I32,
    F32,
    F64,
}

impl SampleKind {
    fn bytes(self) -> u64 {
        match self {
            Self::U8 | Self::I8 => 1,
            Self::U16 | Self::I16 => 2,
            Self::U32 | Self::I32 | Self::F32 => 4,
            Self::F64 => 8,
        }
    }
}

/// Working memory per raster column in [`read_population_rasters`]: a sum (`f64`)
/// and a valid count (`u32`) for the population and for the elderly layer.
const ROW_BUFFER_BYTES_PER_COLUMN: u64 = 2 * (8 + 4);

/// One open raster with a cache of the chunk row being read.
struct RasterFile {
    path: PathBuf,
    decoder: Decoder<BufReader<File>>,
    grid: RasterGrid,
    nodata: Nodata,
    chunk_w: u32,
    chunk_h: u32,
    chunks_across: u32,
    chunk_count: u64,
    /// Chunk row currently cached and its decoded chunks (by chunk column).
    cached_row: Option<u32>,
    cache: Vec<Option<DecodingResult>>,
    chunks_decoded: u64,
}

impl RasterFile {
    fn open(path: &Path, limits: &RasterLimits) -> Result<Self, RasterError> {
        let io = |source| RasterError::Io {
            path: path.to_path_buf(),
            source,
        };
        let tiff = tiff_error(path);
        let file = File::open(path).map_err(io)?;
        let file_len = file.metadata().map_err(io)?.len();
        let mut dec_limits = Limits::default();
        let budget = usize::try_from(limits.max_chunk_bytes).unwrap_or(usize::MAX);
        dec_limits.decoding_buffer_size = budget;
        dec_limits.intermediate_buffer_size = budget;
        dec_limits.ifd_value_size = usize::try_from(limits.max_tag_bytes).unwrap_or(usize::MAX);
        let mut decoder = Decoder::new(BufReader::new(file))
            .map_err(tiff)?
            .with_limits(dec_limits);
        let (width, height) = checked_dimensions(path, &mut decoder, limits)?;
        let kind = sample_kind(path, &mut decoder)?;
        let layout = chunk_layout(path, &mut decoder, (width, height), kind, limits, file_len)?;
        let grid = read_grid(path, &mut decoder, width, height)?;
        let nodata = read_nodata(&mut decoder);
        Ok(Self {
            path: path.to_path_buf(),
            decoder,
            grid,
            nodata,
            chunk_w: layout.chunk_w,
            chunk_h: layout.chunk_h,
            chunks_across: layout.chunks_across,
            chunk_count: layout.chunk_count,
            cached_row: None,
            cache: (0..layout.chunks_across).map(|_| None).collect(),
            chunks_decoded: 0,
        })
    }

    fn chunks_skipped(&self) -> u64 {
        self.chunk_count.saturating_sub(self.chunks_decoded)
    }

    /// Adds the valid values of `row`, columns `[c0, c1)`, into `sum` and counts them
    /// in `valid`.
    fn add_row(
        &mut self,
        row: u32,
        c0: u32,
        c1: u32,
        sum: &mut [f64],
        valid: &mut [u32],
    ) -> Result<(), RasterError> {
        let chunk_row = row / self.chunk_h;
        if self.cached_row != Some(chunk_row) {
            self.cache.iter_mut().for_each(|c| *c = None);
            self.cached_row = Some(chunk_row);
        }
        let in_chunk_row = (row - chunk_row * self.chunk_h) as usize;
        for chunk_col in c0 / self.chunk_w..c1.div_ceil(self.chunk_w).min(self.chunks_across) {
            let ci = chunk_col as usize;
            if self.cache[ci].is_none() {
                let index = chunk_row * self.chunks_across + chunk_col;
                let data = self
                    .decoder
                    .read_chunk(index)
                    .map_err(|source| RasterError::Tiff {
                        path: self.path.clone(),
                        source,
                    })?;
                self.chunks_decoded += 1;
                self.cache[ci] = Some(data);
            }
            let Some(data) = self.cache[ci].as_ref() else {
                continue;
            };
            // `read_chunk` returns `data width × data height` samples: the padding
            // of edge tiles is cut off, so the row stride is the data width.
            let (data_w, _) = self
                .decoder
                .chunk_data_dimensions(chunk_row * self.chunks_across + chunk_col);
            let stride = data_w as usize;
            let x_start = chunk_col * self.chunk_w;
            let from = c0.max(x_start);
            let to = c1.min(x_start + data_w);
            for col in from..to {
                let idx = in_chunk_row * stride + (col - x_start) as usize;
                if let Some(v) = self.value(data, idx) {
                    sum[col as usize] += v;
                    valid[col as usize] += 1;
                }
            }
        }
        Ok(())
    }

    /// The sample at `idx` as persons, or `None` when it is nodata (or missing).
    fn value(&self, data: &DecodingResult, idx: usize) -> Option<f64> {
        let (v, as_f32) = match data {
            DecodingResult::U8(d) => (f64::from(*d.get(idx)?), false),
            DecodingResult::U16(d) => (f64::from(*d.get(idx)?), false),
            DecodingResult::U32(d) => (f64::from(*d.get(idx)?), false),
            DecodingResult::I8(d) => (f64::from(*d.get(idx)?), false),
            DecodingResult::I16(d) => (f64::from(*d.get(idx)?), false),
            DecodingResult::I32(d) => (f64::from(*d.get(idx)?), false),
            DecodingResult::F32(d) => (f64::from(*d.get(idx)?), true),
            DecodingResult::F64(d) => (*d.get(idx)?, false),
            _ => return None,
        };
        if !v.is_finite() {
            return None;
        }
        if let Some(nd) = self.nodata.value {
            #[allow(clippy::cast_possible_truncation)]
            let equal = if as_f32 {
                (v as f32) == (nd as f32)
            } else {
                v == nd
            };
            if equal || (self.nodata.huge_negative && v <= -1e30) {
                return None;
            }
        }
        Some(v)
    }
}

fn read_nodata(decoder: &mut Decoder<BufReader<File>>) -> Nodata {
    let text = decoder.get_tag_ascii_string(Tag::GdalNodata).ok();
    let value = text.and_then(|t| {
        t.trim_matches(|c: char| c.is_whitespace() || c == '\0')
            .parse::<f64>()
            .ok()
    });
    Nodata {
        value,
        huge_negative: value.is_some_and(|v| v <= -1e30),
    }
}

/// GeoKey ids used here (GeoTIFF 1.0 / OGC 19-008).
mod key {
    pub const MODEL_TYPE: u16 = 1024;
    pub const RASTER_TYPE: u16 = 1025;
    pub const CITATION: u16 = 1026;
    pub const GEOGRAPHIC_TYPE: u16 = 2048;
    pub const GEOG_CITATION: u16 = 2049;
    pub const GEOG_DATUM: u16 = 2050;
    pub const GEOG_ANGULAR_UNITS: u16 = 2054;
    pub const GEOG_ELLIPSOID: u16 = 2056;
    pub const GEOG_SEMI_MAJOR: u16 = 2057;
    pub const GEOG_INV_FLATTENING: u16 = 2059;
    pub const PROJECTED_TYPE: u16 = 3072;
    pub const PCS_CITATION: u16 = 3073;
    pub const PROJ_LINEAR_UNITS: u16 = 3076;
    pub const PROJ_NAT_ORIGIN_LONG: u16 = 3080;
    pub const PROJ_FALSE_EASTING: u16 = 3082;
    pub const PROJ_FALSE_NORTHING: u16 = 3083;
    pub const PROJ_CENTER_LONG: u16 = 3088;
    pub const USER_DEFINED: u16 = 32767;
}

#[derive(Debug, Clone, PartialEq)]
enum KeyValue {
    Short(u16),
    Doubles(Vec<f64>),
    Ascii(String),
}

#[derive(Debug, Default)]
struct GeoKeys(Vec<(u16, KeyValue)>);

impl GeoKeys {
    fn short(&self, id: u16) -> Option<u16> {
        self.0.iter().find_map(|(k, v)| match v {
            KeyValue::Short(s) if *k == id => Some(*s),
            _ => None,
        })
    }
    fn double(&self, id: u16) -> Option<f64> {
        self.0.iter().find_map(|(k, v)| match v {
            KeyValue::Doubles(d) if *k == id => d.first().copied(),
            _ => None,
        })
    }
    fn ascii(&self, id: u16) -> Option<&str> {
        self.0.iter().find_map(|(k, v)| match v {
            KeyValue::Ascii(s) if *k == id => Some(s.as_str()),
            _ => None,
        })
    }
    fn describe(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Parses the GeoKey directory: a header `[version, revision, minor, count]` and
/// `count` entries `[key, location, count, value_or_offset]`, where location 0 means
/// an inline short and 34736/34737 index into the double/ASCII parameter tags.
/// Malformed entries are skipped, never indexed out of bounds.
fn parse_geokeys(dir: &[u16], doubles: &[f64], ascii: &str) -> GeoKeys {
    let count = dir.get(3).copied().unwrap_or(0) as usize;
    let mut keys = Vec::new();
    for entry in dir.get(4..).unwrap_or(&[]).chunks_exact(4).take(count) {
        let (id, loc, n, val) = (entry[0], entry[1], entry[2] as usize, entry[3] as usize);
        let value = match loc {
            0 => Some(KeyValue::Short(entry[3])),
            34736 => doubles
                .get(val..val + n)
                .map(|d| KeyValue::Doubles(d.to_vec())),
            34737 => ascii
                .get(val..val + n)
                .map(|s| KeyValue::Ascii(s.trim_end_matches(['|', '\0']).to_string())),
            _ => None,
        };
        if let Some(v) = value {
            keys.push((id, v));
        }
    }
    GeoKeys(keys)
}

fn read_grid(
    path: &Path,
    decoder: &mut Decoder<BufReader<File>>,
    width: u32,
    height: u32,
) -> Result<RasterGrid, RasterError> {
    let geo_err = |reason: String| RasterError::Georeference {
        path: path.to_path_buf(),
        reason,
    };
    let tiff = tiff_error(path);
    let f64s = |d: &mut Decoder<_>, tag| -> Result<Option<Vec<f64>>, RasterError> {
        match d.find_tag(tag).map_err(tiff)? {
            Some(v) => v.into_f64_vec().map(Some).map_err(tiff),
            None => Ok(None),
        }
    };
    let dir = match decoder.find_tag(Tag::GeoKeyDirectoryTag).map_err(tiff)? {
        Some(v) => v.into_u16_vec().map_err(tiff)?,
        None => {
            return Err(geo_err(
                "no GeoKeyDirectory tag (34735): not a GeoTIFF".into(),
            ));
        }
    };
    let doubles = f64s(decoder, Tag::GeoDoubleParamsTag)?.unwrap_or_default();
    let ascii = match decoder.find_tag(Tag::GeoAsciiParamsTag).map_err(tiff)? {
        Some(v) => v.into_string().unwrap_or_default(),
        None => String::new(),
    };
    let keys = parse_geokeys(&dir, &doubles, &ascii);

    let mut gt = if let Some(m) = f64s(decoder, Tag::ModelTransformationTag)? {
        if m.len() < 16 {
            return Err(geo_err(format!(
                "ModelTransformation has {} values, expected 16",
                m.len()
            )));
        }
        [m[3], m[0], m[1], m[7], m[4], m[5]]
    } else {
        let tie = f64s(decoder, Tag::ModelTiepointTag)?.ok_or_else(|| {
            geo_err("neither ModelTransformation nor ModelTiepoint: not georeferenced".into())
        })?;
        let scale = f64s(decoder, Tag::ModelPixelScaleTag)?
            .ok_or_else(|| geo_err("ModelTiepoint without ModelPixelScale".into()))?;
        if tie.len() < 6 || scale.len() < 2 {
            return Err(geo_err(format!(
                "malformed tiepoint ({} values) or pixel scale ({} values)",
                tie.len(),
                scale.len()
            )));
        }
        let (i, j, x, y, sx, sy) = (tie[0], tie[1], tie[3], tie[4], scale[0], scale[1]);
        [x - i * sx, sx, 0.0, y + j * sy, 0.0, -sy]
    };
    if keys.short(key::RASTER_TYPE) == Some(2) {
        // PixelIsPoint: model coordinates name pixel centres; move to the corner.
        gt[0] -= 0.5 * (gt[1] + gt[2]);
        gt[3] -= 0.5 * (gt[4] + gt[5]);
    }
    if !gt.iter().all(|v| v.is_finite()) || gt[1] * gt[5] - gt[2] * gt[4] == 0.0 {
        return Err(geo_err(format!(
            "degenerate pixel-to-model transform {gt:?}"
        )));
    }
    let crs = crs_from_keys(&keys).ok_or_else(|| RasterError::UnsupportedCrs {
        path: path.to_path_buf(),
        crs: if keys.0.is_empty() {
            "no GeoKeys".into()
        } else {
            keys.describe()
        },
    })?;
    // The CRS must be one proj4rs can build.
    crs.reprojector().map_err(|source| RasterError::Reproject {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(RasterGrid {
        width,
        height,
        geotransform: gt,
        crs,
    })
}

fn is_wgs84_datum(keys: &GeoKeys) -> bool {
    let datum_ok = keys.short(key::GEOG_DATUM).is_none_or(|d| d == 6326);
    let ellipsoid_ok = keys
        .short(key::GEOG_ELLIPSOID)
        .is_none_or(|e| e == 7030 || e == key::USER_DEFINED)
        && keys
            .double(key::GEOG_SEMI_MAJOR)
            .is_none_or(|a| (a - 6_378_137.0).abs() < 1e-3)
        && keys
            .double(key::GEOG_INV_FLATTENING)
            .is_none_or(|f| (f - 298.257_223_563).abs() < 1e-6);
    let geog = keys.short(key::GEOGRAPHIC_TYPE);
    datum_ok && ellipsoid_ok && geog.is_none_or(|g| g == 4326 || g == key::USER_DEFINED)
}

fn crs_from_keys(keys: &GeoKeys) -> Option<RasterCrs> {
    let model = keys.short(key::MODEL_TYPE);
    let projected = keys.short(key::PROJECTED_TYPE);
    let geographic = keys.short(key::GEOGRAPHIC_TYPE);
    let degrees = keys
        .short(key::GEOG_ANGULAR_UNITS)
        .is_none_or(|u| u == 9102);
    match (model, projected) {
        (Some(1) | None, Some(54009)) => Some(RasterCrs::Mollweide {
            lon_0: 0.0,
            x_0: 0.0,
            y_0: 0.0,
        }),
        (Some(1) | None, Some(key::USER_DEFINED)) | (Some(1), None) => {
            let citation = [key::CITATION, key::PCS_CITATION, key::GEOG_CITATION]
                .iter()
                .filter_map(|k| keys.ascii(*k))
                .any(|c| c.to_ascii_lowercase().contains("mollweide"));
            let metres = keys.short(key::PROJ_LINEAR_UNITS).is_none_or(|u| u == 9001);
            (citation && metres && is_wgs84_datum(keys) && degrees).then(|| RasterCrs::Mollweide {
                lon_0: keys
                    .double(key::PROJ_CENTER_LONG)
                    .or(keys.double(key::PROJ_NAT_ORIGIN_LONG))
                    .unwrap_or(0.0),
                x_0: keys.double(key::PROJ_FALSE_EASTING).unwrap_or(0.0),
                y_0: keys.double(key::PROJ_FALSE_NORTHING).unwrap_or(0.0),
            })
        }
        (Some(1) | None, Some(code)) => Some(RasterCrs::Epsg(code)),
        (Some(2) | None, None) => match geographic {
            Some(key::USER_DEFINED) | None if model == Some(2) => {
                (is_wgs84_datum(keys) && degrees).then_some(RasterCrs::Epsg(4326))
            }
            Some(code) if code != key::USER_DEFINED && degrees => Some(RasterCrs::Epsg(code)),
            _ => None,
        },
        _ => None,
    }
}

type TiffDecoder = Decoder<BufReader<File>>;

/// Wraps a TIFF decoding error with the file it came from.
fn tiff_error(path: &Path) -> impl Fn(tiff::TiffError) -> RasterError + Copy + '_ {
    move |source| RasterError::Tiff {
        path: path.to_path_buf(),
        source,
    }
}

/// Width and height, within the pixel and row-buffer limits.
fn checked_dimensions(
    path: &Path,
    decoder: &mut TiffDecoder,
    limits: &RasterLimits,
) -> Result<(u32, u32), RasterError> {
    let tiff = tiff_error(path);
    let (width, height) = decoder.dimensions().map_err(tiff)?;
    if u64::from(width) * u64::from(height) > limits.max_pixels || width == 0 || height == 0 {
        return Err(RasterError::Dimensions {
            path: path.to_path_buf(),
            width: width.into(),
            height: height.into(),
            max_pixels: limits.max_pixels,
        });
    }
    let row_buffers = u64::from(width) * ROW_BUFFER_BYTES_PER_COLUMN;
    if row_buffers > limits.max_chunk_bytes {
        return Err(RasterError::RowTooWide {
            path: path.to_path_buf(),
            width: width.into(),
            bytes: row_buffers,
            limit: limits.max_chunk_bytes,
        });
    }
    Ok((width, height))
}

/// The one band's sample type (single-band, supported compression only).
fn sample_kind(path: &Path, decoder: &mut TiffDecoder) -> Result<SampleKind, RasterError> {
    let tiff = tiff_error(path);
    let tag_u16 = |d: &mut TiffDecoder, tag: Tag, default: u16| -> Result<u16, RasterError> {
        Ok(d.find_tag_unsigned::<u16>(tag)
            .map_err(tiff)?
            .unwrap_or(default))
    };
    let samples = tag_u16(decoder, Tag::SamplesPerPixel, 1)?;
    if samples != 1 {
        return Err(RasterError::UnsupportedBands {
            path: path.to_path_buf(),
            samples,
        });
    }
    let compression = tag_u16(decoder, Tag::Compression, 1)?;
    if !matches!(compression, 1 | 5 | 8 | 32946 | 32773) {
        return Err(RasterError::UnsupportedCompression {
            path: path.to_path_buf(),
            code: compression,
        });
    }
    let bits = tag_u16(decoder, Tag::BitsPerSample, 1)?;
    let format = tag_u16(decoder, Tag::SampleFormat, 1)?;
    Ok(match (format, bits) {
        (1, 8) => SampleKind::U8,
        (1, 16) => SampleKind::U16,
        (1, 32) => SampleKind::U32,
        (2, 8) => SampleKind::I8,
        (2, 16) => SampleKind::I16,
        (2, 32) => SampleKind::I32,
        (3, 32) => SampleKind::F32,
        (3, 64) => SampleKind::F64,
        _ => {
            return Err(RasterError::UnsupportedSampleFormat {
                path: path.to_path_buf(),
                sample_format: format,
                bits_per_sample: bits,
            });
        }
    })
}

/// Strips or tiles: their size and count, checked against the limits and the
/// file length.
struct ChunkLayout {
    chunk_w: u32,
    chunk_h: u32,
    chunks_across: u32,
    chunk_count: u64,
}

fn chunk_layout(
    path: &Path,
    decoder: &mut TiffDecoder,
    (width, height): (u32, u32),
    kind: SampleKind,
    limits: &RasterLimits,
    file_len: u64,
) -> Result<ChunkLayout, RasterError> {
    let tiff = tiff_error(path);
    let chunk_type = decoder.get_chunk_type();
    let (chunk_w, chunk_h) = decoder.chunk_dimensions();
    if chunk_w == 0 || chunk_h == 0 {
        return Err(RasterError::Georeference {
            path: path.to_path_buf(),
            reason: "chunk (strip/tile) dimensions are zero".into(),
        });
    }
    let chunks_across = width.div_ceil(chunk_w);
    let chunks_down = height.div_ceil(chunk_h);
    let chunk_count = u64::from(chunks_across) * u64::from(chunks_down);
    // A single strip may declare more rows than the image has; only real rows decode.
    let rows = u64::from(chunk_h.min(height));
    // Saturating: a hostile tile size must not overflow the check meant to stop it.
    let row_bytes = (u64::from(chunks_across) * u64::from(chunk_w))
        .saturating_mul(rows)
        .saturating_mul(kind.bytes());
    if row_bytes > limits.max_chunk_bytes {
        return Err(RasterError::ChunkTooLarge {
            path: path.to_path_buf(),
            bytes: row_bytes,
            limit: limits.max_chunk_bytes,
        });
    }
    let (off_tag, len_tag) = match chunk_type {
        ChunkType::Strip => (Tag::StripOffsets, Tag::StripByteCounts),
        ChunkType::Tile => (Tag::TileOffsets, Tag::TileByteCounts),
    };
    let offsets = decoder.get_tag_u64_vec(off_tag).map_err(tiff)?;
    let lengths = decoder.get_tag_u64_vec(len_tag).map_err(tiff)?;
    if offsets.len() as u64 != chunk_count || lengths.len() as u64 != chunk_count {
        return Err(RasterError::Georeference {
            path: path.to_path_buf(),
            reason: format!(
                "{} chunk offsets and {} byte counts for {chunk_count} chunks",
                offsets.len(),
                lengths.len()
            ),
        });
    }
    for (chunk, (&offset, &bytes)) in offsets.iter().zip(&lengths).enumerate() {
        if offset.checked_add(bytes).is_none_or(|end| end > file_len) {
            return Err(RasterError::Truncated {
                path: path.to_path_buf(),
                chunk,
                offset,
                bytes,
                file_len,
            });
        }
    }
    drop((offsets, lengths));

    Ok(ChunkLayout {
        chunk_w,
        chunk_h,
        chunks_across,
        chunk_count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geokeys_parse_and_bounds() {
        // The Wuhan WorldPop header, then a malformed directory.
        let dir = [
            1, 1, 0, 7, 1024, 0, 1, 2, 1025, 0, 1, 1, 2048, 0, 1, 4326, 2049, 34737, 8, 0, 2054, 0,
            1, 9102, 2057, 34736, 1, 1, 2059, 34736, 1, 0,
        ];
        let keys = parse_geokeys(&dir, &[298.257_223_563, 6_378_137.0], "unknown|");
        assert_eq!(keys.short(key::MODEL_TYPE), Some(2));
        assert_eq!(keys.ascii(key::GEOG_CITATION), Some("unknown"));
        assert_eq!(keys.double(key::GEOG_SEMI_MAJOR), Some(6_378_137.0));
        assert_eq!(crs_from_keys(&keys), Some(RasterCrs::Epsg(4326)));
        let bad = parse_geokeys(&[1, 1, 0, 200, 2057, 34736, 9, 1000], &[], "");
        assert!(bad.0.is_empty());
    }

    #[test]
    fn user_defined_mollweide_is_recognised() {
        let keys = GeoKeys(vec![
            (key::MODEL_TYPE, KeyValue::Short(1)),
            (key::PROJECTED_TYPE, KeyValue::Short(key::USER_DEFINED)),
            (key::CITATION, KeyValue::Ascii("World_Mollweide".into())),
            (key::GEOGRAPHIC_TYPE, KeyValue::Short(4326)),
            (key::PROJ_LINEAR_UNITS, KeyValue::Short(9001)),
        ]);
        assert_eq!(
            crs_from_keys(&keys),
            Some(RasterCrs::Mollweide {
                lon_0: 0.0,
                x_0: 0.0,
                y_0: 0.0
            })
        );
        let not_wgs84 = GeoKeys(vec![
            (key::MODEL_TYPE, KeyValue::Short(1)),
            (key::PROJECTED_TYPE, KeyValue::Short(key::USER_DEFINED)),
            (key::CITATION, KeyValue::Ascii("Mollweide".into())),
            (key::GEOG_DATUM, KeyValue::Short(6269)),
        ]);
        assert_eq!(crs_from_keys(&not_wgs84), None);
        let other = GeoKeys(vec![
            (key::MODEL_TYPE, KeyValue::Short(1)),
            (key::PROJECTED_TYPE, KeyValue::Short(key::USER_DEFINED)),
            (key::CITATION, KeyValue::Ascii("Lambert".into())),
        ]);
        assert_eq!(crs_from_keys(&other), None);
    }

    #[test]
    fn gdal_nodata_text_parses() {
        assert_eq!("-3.4e+038".parse::<f64>().ok(), Some(-3.4e38));
    }
}
