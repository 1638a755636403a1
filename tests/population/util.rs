//! Helpers: tiny GeoTIFFs written with the `tiff` encoder, and byte patches that
//! make them hostile.

use std::fs::File;
use std::path::{Path, PathBuf};

use tiff::encoder::{Compression, TiffEncoder, colortype};
use tiff::tags::Tag;

#[path = "../support/mod.rs"]
mod support;

pub use support::*;

pub fn wuhan(name: &str) -> PathBuf {
    shared_data("wuhan-worldpop-elderly").join(name)
}

pub fn hsy(name: &str) -> PathBuf {
    shared_data("helsinki-population-grid-hsy").join(name)
}

/// How a test raster is georeferenced.
pub enum TestCrs {
    /// EPSG:4326, origin (lon0, lat0) at the top-left corner, square pixels of `deg`.
    Wgs84 { lon0: f64, lat0: f64, deg: f64 },
    /// A projected code (ProjectedCSType) with top-left (x0, y0), pixel `m` metres.
    Projected {
        code: u16,
        x0: f64,
        y0: f64,
        m: f64,
        citation: Option<&'static str>,
    },
}

/// Writes a float32 GeoTIFF, `rows_per_strip` rows a strip. (`write_data`, not
/// `write_strip`: in tiff 0.11 only `write_data` switches the compressor on.)
#[allow(clippy::too_many_arguments)]
pub fn write_geotiff(
    path: &Path,
    width: u32,
    height: u32,
    data: &[f32],
    crs: &TestCrs,
    compression: Compression,
    rows_per_strip: u32,
    nodata: Option<&str>,
) {
    let file = File::create(path).unwrap();
    let mut enc = TiffEncoder::new(file)
        .unwrap()
        .with_compression(compression);
    let mut img = enc
        .new_image::<colortype::Gray32Float>(width, height)
        .unwrap();
    let (tie, scale, keys, ascii): ([f64; 6], [f64; 3], Vec<u16>, String) = match crs {
        TestCrs::Wgs84 { lon0, lat0, deg } => (
            [0.0, 0.0, 0.0, *lon0, *lat0, 0.0],
            [*deg, *deg, 0.0],
            vec![1, 1, 0, 3, 1024, 0, 1, 2, 1025, 0, 1, 1, 2048, 0, 1, 4326],
            String::new(),
        ),
        TestCrs::Projected {
            code,
            x0,
            y0,
            m,
            citation,
        } => {
            let mut keys = vec![1, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, *code];
            let mut ascii = String::new();
            if let Some(c) = citation {
                keys[3] = 4;
                keys.extend_from_slice(&[1026, 34737, u16::try_from(c.len() + 1).unwrap(), 0]);
                ascii = format!("{c}|");
            }
            ([0.0, 0.0, 0.0, *x0, *y0, 0.0], [*m, *m, 0.0], keys, ascii)
        }
    };
    img.encoder()
        .write_tag(Tag::ModelPixelScaleTag, &scale[..])
        .unwrap();
    img.encoder()
        .write_tag(Tag::ModelTiepointTag, &tie[..])
        .unwrap();
    img.encoder()
        .write_tag(Tag::GeoKeyDirectoryTag, &keys[..])
        .unwrap();
    if !ascii.is_empty() {
        img.encoder()
            .write_tag(Tag::GeoAsciiParamsTag, ascii.as_str())
            .unwrap();
    }
    if let Some(nd) = nodata {
        img.encoder().write_tag(Tag::GdalNodata, nd).unwrap();
    }
    img.rows_per_strip(rows_per_strip).unwrap();
    img.write_data(data).unwrap();
}

/// Overwrites the value of a SHORT or LONG tag held inline in the first IFD of a
/// little-endian classic TIFF.
pub fn patch_tag(path: &Path, tag: u16, value: u32) {
    let mut b = std::fs::read(path).unwrap();
    assert_eq!(&b[..2], b"II");
    let ifd = u32::from_le_bytes(b[4..8].try_into().unwrap()) as usize;
    let n = usize::from(u16::from_le_bytes(b[ifd..ifd + 2].try_into().unwrap()));
    for i in 0..n {
        let e = ifd + 2 + 12 * i;
        if u16::from_le_bytes(b[e..e + 2].try_into().unwrap()) == tag {
            let ty = u16::from_le_bytes(b[e + 2..e + 4].try_into().unwrap());
            match ty {
                3 => b[e + 8..e + 10].copy_from_slice(&u16::try_from(value).unwrap().to_le_bytes()),
                4 => b[e + 8..e + 12].copy_from_slice(&value.to_le_bytes()),
                _ => panic!("tag {tag} has type {ty}"),
            }
            std::fs::write(path, b).unwrap();
            return;
        }
    }
    panic!("tag {tag} not found");
}
