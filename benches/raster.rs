//! Memory and time of the GeoTIFF population reader on a large raster.
//!
//! Generates a `SIDE × SIDE` float32, deflate-compressed, EPSG:4326 GeoTIFF (default
//! 40 000 × 40 000 = 1.6 G pixels, 6.4 GB decoded), written strip by strip so that
//! the generator never holds the image; mostly zeros, one populated pixel per
//! 100 × 100 block plus a dense 500 × 500 block. Then reads a clipped window (only
//! the strips crossing it are decoded) and the full image (every strip decoded,
//! one at a time), checking the totals against what the generator wrote.
//!
//! Peak RSS is measured from outside, one mode per process:
//!
//! ```text
//! cargo bench --bench raster --no-run            # prints the binary path
//! BIN=target/release/deps/raster-<hash>
//! $BIN generate /tmp/big.tif
//! /usr/bin/time -v $BIN window /tmp/big.tif      # "Maximum resident set size"
//! /usr/bin/time -v $BIN full /tmp/big.tif
//! ```
//!
//! `cargo bench --bench raster` runs all three in a temporary directory.
//!
//! Measured on the 2-core / 24 GiB development machine (release profile):
//! generate 10.3 s, 5.8 MB peak RSS (30 MB file); window 0.24 s, 53 MB peak RSS
//! (250 000 cells, 2 467 of 2 500 strips skipped); full 13.7 s, 82 MB peak RSS
//! (409 975 cells, every strip decoded one at a time).
//! `LEARNCIRCLE_BENCH_SIDE` changes the side length.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use flate2::Compression as Level;
use flate2::write::ZlibEncoder;
use learncircle::input::clip::ClipArea;
use learncircle::input::raster::{OutsideAccounting, RasterOptions, read_population_rasters};
use tiff::encoder::TiffEncoder;
use tiff::tags::Tag;

const ROWS_PER_STRIP: u32 = 16;
/// 3 arc-seconds, WorldPop's resolution.
const PIXEL_DEG: f64 = 1.0 / 1200.0;
const LON0: f64 = 100.0;
const LAT0: f64 = 40.0;

fn side() -> u32 {
    std::env::var("LEARNCIRCLE_BENCH_SIDE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(40_000)
}

/// The dense block: rows/cols [side/2, side/2 + 500).
fn block(side: u32) -> std::ops::Range<u32> {
    side / 2..side / 2 + 500
}

fn value(side: u32, row: u32, col: u32) -> f32 {
    let b = block(side);
    if b.contains(&row) && b.contains(&col) {
        0.5
    } else if row.is_multiple_of(100) && col.is_multiple_of(100) {
        1.0
    } else {
        0.0
    }
}

/// Writes the raster strip by strip: each strip is deflated here and written as raw
/// bytes, because in `tiff` 0.11 only `ImageEncoder::write_data` (whole image)
/// compresses. Returns the expected total population.
fn generate(path: &Path) -> Result<f64, Box<dyn std::error::Error>> {
    let side = side();
    let mut enc = TiffEncoder::new(BufWriter::new(File::create(path)?))?;
    let mut dir = enc.image_directory()?;
    let mut offsets = Vec::new();
    let mut counts = Vec::new();
    let mut total = 0.0f64;
    let mut raw = Vec::with_capacity((side * ROWS_PER_STRIP * 4) as usize);
    for strip_start in (0..side).step_by(ROWS_PER_STRIP as usize) {
        raw.clear();
        for row in strip_start..(strip_start + ROWS_PER_STRIP).min(side) {
            for col in 0..side {
                let v = value(side, row, col);
                total += f64::from(v);
                raw.extend_from_slice(&v.to_le_bytes());
            }
        }
        let mut z = ZlibEncoder::new(Vec::new(), Level::fast());
        z.write_all(&raw)?;
        let compressed = z.finish()?;
        offsets.push(u32::try_from(dir.write_data(compressed.as_slice())?)?);
        counts.push(u32::try_from(compressed.len())?);
    }
    dir.write_tag(Tag::ImageWidth, side)?;
    dir.write_tag(Tag::ImageLength, side)?;
    dir.write_tag(Tag::BitsPerSample, 32u16)?;
    dir.write_tag(Tag::Compression, 8u16)?;
    dir.write_tag(Tag::PhotometricInterpretation, 1u16)?;
    dir.write_tag(Tag::StripOffsets, offsets.as_slice())?;
    dir.write_tag(Tag::SamplesPerPixel, 1u16)?;
    dir.write_tag(Tag::RowsPerStrip, ROWS_PER_STRIP)?;
    dir.write_tag(Tag::StripByteCounts, counts.as_slice())?;
    dir.write_tag(Tag::SampleFormat, 3u16)?;
    dir.write_tag(Tag::ModelPixelScaleTag, &[PIXEL_DEG, PIXEL_DEG, 0.0][..])?;
    dir.write_tag(Tag::ModelTiepointTag, &[0.0, 0.0, 0.0, LON0, LAT0, 0.0][..])?;
    dir.write_tag(
        Tag::GeoKeyDirectoryTag,
        &[
            1u16, 1, 0, 3, 1024, 0, 1, 2, 1025, 0, 1, 1, 2048, 0, 1, 4326,
        ][..],
    )?;
    dir.write_tag(Tag::GdalNodata, "-3.4028234663852886e+38")?;
    dir.finish()?;
    Ok(total)
}

fn window_bbox(side: u32) -> [f64; 4] {
    let b = block(side);
    let lon = |c: u32| LON0 + f64::from(c) * PIXEL_DEG;
    let lat = |r: u32| LAT0 - f64::from(r) * PIXEL_DEG;
    [lon(b.start), lat(b.end), lon(b.end), lat(b.start)]
}

fn read(path: &Path, clipped: bool) -> Result<(), Box<dyn std::error::Error>> {
    let side = side();
    let start = Instant::now();
    let opts = RasterOptions {
        clip: clipped
            .then(|| ClipArea::from_bbox(window_bbox(side)))
            .transpose()?,
        outside: OutsideAccounting::SkipUnread,
        ..RasterOptions::default()
    };
    let r = read_population_rasters(&[path.to_path_buf()], &[], &opts)?;
    let expected_block = 0.5 * 500.0 * 500.0;
    let expected_full = expected_block + {
        let b = block(side);
        let n = side.div_ceil(100);
        let grid_points = f64::from(n) * f64::from(n);
        let in_block = (0..n).filter(|i| b.contains(&(i * 100))).count() as f64;
        grid_points - in_block * in_block
    };
    let expected = if clipped {
        expected_block
    } else {
        expected_full
    };
    println!(
        "{}: {} cells, population {} (expected {expected}), {} chunks skipped, {} pixels unread, {:.1} s",
        if clipped { "window" } else { "full" },
        r.cells.len(),
        r.report.cell_population,
        r.report.clip.chunks_skipped,
        r.report.clip.pixels_unread,
        start.elapsed().as_secs_f64()
    );
    if (r.report.cell_population - expected).abs() > 1e-6 {
        return Err(format!(
            "population {} != expected {expected}",
            r.report.cell_population
        )
        .into());
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["generate", path] => {
            let t = Instant::now();
            let total = generate(Path::new(path))?;
            println!(
                "generated {path}: total {total}, {:.1} s",
                t.elapsed().as_secs_f64()
            );
        }
        ["window", path] => read(Path::new(path), true)?,
        ["full", path] => read(Path::new(path), false)?,
        _ => {
            let dir = tempfile::tempdir()?;
            let path: PathBuf = dir.path().join("big.tif");
            let t = Instant::now();
            let total = generate(&path)?;
            println!(
                "generated: total {total}, {:.1} s",
                t.elapsed().as_secs_f64()
            );
            read(&path, true)?;
            read(&path, false)?;
        }
    }
    Ok(())
}
