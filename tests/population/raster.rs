//! GeoTIFF reader: WorldPop Wuhan totals, clipping, summing, hostile files.

use std::path::PathBuf;

use geo::MultiPolygon;
use learncircle::input::clip::ClipArea;
use learncircle::input::raster::{
    OutsideAccounting, RasterCrs, RasterError, RasterOptions, inspect_raster,
    read_population_rasters,
};
use tiff::encoder::Compression;

use crate::util::{TestCrs, patch_tag, write_geotiff, wuhan};

/// Totals verified with rasterio by the data set's PROVENANCE.md.
const WUHAN_F_60: f64 = 321_181.0;
const WUHAN_M_60: f64 = 333_791.0;

fn wuhan_boundary() -> MultiPolygon<f64> {
    let shapes =
        shapefile::read_shapes_as::<_, shapefile::Polygon>(wuhan("wuhan-boundary.shp")).unwrap();
    let polys = shapes
        .into_iter()
        .flat_map(|p| MultiPolygon::<f64>::try_from(p).unwrap().0)
        .collect::<Vec<_>>();
    MultiPolygon(polys)
}

fn assert_conserved(r: &learncircle::input::raster::RasterRead) {
    let rep = &r.report;
    let cells: f64 = r.cells.iter().map(|c| c.population).sum();
    let rejected: f64 = r.rejected.iter().filter_map(|c| c.population).sum();
    assert!((cells - rep.cell_population).abs() < 1e-6 * rep.file_population.max(1.0));
    assert!((rejected - rep.rejected_population).abs() < 1e-9);
    let accounted = cells + rejected + rep.clip.population_outside;
    assert!(
        (accounted - rep.file_population).abs() < 1e-6 * rep.file_population.max(1.0),
        "cells {cells} + rejected {rejected} + outside {} != file {}",
        rep.clip.population_outside,
        rep.file_population
    );
}

#[test]
fn wuhan_grid_is_understood() {
    let g = inspect_raster(&wuhan("pop_60_f_wuhan.tif")).unwrap();
    assert_eq!((g.width, g.height), (1662, 1668));
    assert_eq!(g.crs, RasterCrs::Epsg(4326));
    assert!((g.geotransform[0] - 113.692_082_892_822).abs() < 1e-12);
    assert!((g.geotransform[1] - 0.000_833_333_33).abs() < 1e-10);
}

#[test]
fn wuhan_totals_to_the_person() {
    for (name, total) in [
        ("pop_60_f_wuhan.tif", WUHAN_F_60),
        ("pop_60_m_wuhan.tif", WUHAN_M_60),
    ] {
        let r = read_population_rasters(&[wuhan(name)], &[], &RasterOptions::default()).unwrap();
        assert_eq!(r.report.cell_population.round(), total, "{name}");
        assert_eq!(r.report.file_population.round(), total, "{name}");
        assert!(r.rejected.is_empty());
        assert_eq!(r.report.clip.population_outside, 0.0);
        assert_conserved(&r);
        let c = &r.cells[0];
        assert!(c.id.as_deref().unwrap().starts_with('r'));
        assert!(c.location.starts_with("pixel ("));
        assert!((113.69..115.08).contains(&c.lon) && (29.97..31.37).contains(&c.lat));
    }
}

#[test]
fn wuhan_f_plus_m_sum_into_one_layer() {
    let f = read_population_rasters(
        &[wuhan("pop_60_f_wuhan.tif")],
        &[],
        &RasterOptions::default(),
    )
    .unwrap();
    let m = read_population_rasters(
        &[wuhan("pop_60_m_wuhan.tif")],
        &[],
        &RasterOptions::default(),
    )
    .unwrap();
    let both = read_population_rasters(
        &[wuhan("pop_60_f_wuhan.tif"), wuhan("pop_60_m_wuhan.tif")],
        &[],
        &RasterOptions::default(),
    )
    .unwrap();
    let expected = f.report.cell_population + m.report.cell_population;
    assert!((both.report.cell_population - expected).abs() < 1e-6);
    assert_eq!(both.report.cell_population.round(), WUHAN_F_60 + WUHAN_M_60); // 654 972
    // Same non-zero mask in both files: one cell per populated pixel.
    assert_eq!(both.cells.len(), f.cells.len().max(m.cells.len()));
    assert_eq!(both.report.partial_nodata_pixels, 0);
    assert_conserved(&both);
}

#[test]
fn wuhan_elderly_layer_on_the_population_grid() {
    // Female 60–64 as "population", male 60–64 as the "elderly" layer: only to check
    // that the second set is carried on the same pixels.
    let r = read_population_rasters(
        &[wuhan("pop_60_f_wuhan.tif")],
        &[wuhan("pop_60_m_wuhan.tif")],
        &RasterOptions::default(),
    )
    .unwrap();
    let e = r.report.elderly.unwrap();
    assert_eq!(e.file_elderly.round(), WUHAN_M_60);
    assert!(
        (e.cell_elderly + e.elderly_without_population + r.report.clip.elderly_outside
            - e.file_elderly)
            .abs()
            < 1e-6
    );
    assert!(r.cells.iter().all(|c| c.elderly.is_some()));
}

#[test]
fn wuhan_clipped_by_its_boundary_keeps_the_totals() {
    let clip = ClipArea::from_polygon(&wuhan_boundary()).unwrap();
    let opts = RasterOptions {
        clip: Some(clip),
        ..RasterOptions::default()
    };
    for (name, total) in [
        ("pop_60_f_wuhan.tif", WUHAN_F_60),
        ("pop_60_m_wuhan.tif", WUHAN_M_60),
    ] {
        let r = read_population_rasters(&[wuhan(name)], &[], &opts).unwrap();
        assert_eq!(
            r.report.cell_population.round(),
            total,
            "{name}: {:?}",
            r.report.clip
        );
        assert!(
            r.report.clip.population_outside < 0.5,
            "{:?}",
            r.report.clip
        );
        assert_conserved(&r);
    }
}

#[test]
fn wuhan_bbox_clip_accounts_for_everyone_or_says_what_it_skipped() {
    // Central Wuhan, roughly the Huanan market district.
    let bbox = [114.20, 30.50, 114.40, 30.70];
    let exact = RasterOptions {
        clip: Some(ClipArea::from_bbox(bbox).unwrap()),
        ..RasterOptions::default()
    };
    let r = read_population_rasters(&[wuhan("pop_60_f_wuhan.tif")], &[], &exact).unwrap();
    assert!(r.report.clip.population_outside > 100_000.0);
    assert_eq!(r.report.file_population.round(), WUHAN_F_60);
    assert_eq!(r.report.clip.chunks_skipped, 0);
    assert!(
        r.cells
            .iter()
            .all(|c| (114.20..=114.40).contains(&c.lon) && (30.50..=30.70).contains(&c.lat))
    );
    assert_conserved(&r);

    let skip = RasterOptions {
        outside: OutsideAccounting::SkipUnread,
        ..exact.clone()
    };
    let s = read_population_rasters(&[wuhan("pop_60_f_wuhan.tif")], &[], &skip).unwrap();
    assert_eq!(s.cells, r.cells);
    assert!(s.report.clip.chunks_skipped > 1000, "{:?}", s.report.clip);
    assert!(s.report.clip.pixels_unread > 2_000_000);
}

#[test]
fn pixel_polygons_are_the_pixel_corners() {
    let opts = RasterOptions {
        with_polygons: true,
        clip: Some(ClipArea::from_bbox([114.30, 30.60, 114.31, 30.61]).unwrap()),
        ..RasterOptions::default()
    };
    let r = read_population_rasters(&[wuhan("pop_60_f_wuhan.tif")], &[], &opts).unwrap();
    assert!(!r.cells.is_empty());
    for c in &r.cells {
        let ring = &c.polygon.as_ref().unwrap().0[0].exterior().0;
        assert_eq!(ring.len(), 5);
        let w = ring[1].x - ring[0].x;
        assert!((w - 0.000_833_333_33).abs() < 1e-9);
        let cx = 0.5 * (ring[0].x + ring[1].x);
        assert!((cx - c.lon).abs() < 1e-9);
    }
}

// ---- synthetic rasters -------------------------------------------------------

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn small(dir: &std::path::Path, name: &str, crs: &TestCrs, compression: Compression) -> PathBuf {
    let p = dir.join(name);
    let data: Vec<f32> = (0..12 * 10).map(|i| (i % 7) as f32).collect();
    write_geotiff(&p, 12, 10, &data, crs, compression, 3, None);
    p
}

const WGS: TestCrs = TestCrs::Wgs84 {
    lon0: 24.9,
    lat0: 60.2,
    deg: 0.01,
};

/// A 4 × 4 uncompressed raster in one strip, then `patches` (tag, value) applied.
fn one_strip_patched(dir: &std::path::Path, name: &str, patches: &[(u16, u32)]) -> PathBuf {
    let p = dir.join(name);
    write_geotiff(
        &p,
        4,
        4,
        &[1.0; 16],
        &WGS,
        Compression::Uncompressed,
        4,
        None,
    );
    for (tag, value) in patches {
        patch_tag(&p, *tag, *value);
    }
    p
}

/// The error of reading `p` alone as the population raster.
fn read_err(p: PathBuf) -> RasterError {
    read_population_rasters(&[p], &[], &RasterOptions::default()).unwrap_err()
}

#[test]
fn nodata_negative_and_zero_pixels() {
    let d = tmp();
    let p = d.path().join("nd.tif");
    let data = [
        1.5f32,
        -3.4e38,
        0.0,
        -2.0,
        f32::NAN,
        2.5,
        -3.3999e38_f32,
        4.0,
    ];
    write_geotiff(
        &p,
        4,
        2,
        &data,
        &WGS,
        Compression::Lzw,
        1,
        Some("-3.4e+038"),
    );
    let r = read_population_rasters(&[p], &[], &RasterOptions::default()).unwrap();
    assert_eq!(r.cells.len(), 3);
    assert_eq!(r.report.nodata_pixels, 3);
    assert_eq!(r.rejected.len(), 1);
    assert_eq!(r.rejected[0].population, Some(-2.0));
    assert_eq!(r.rejected[0].location, "pixel (3,0)");
    assert_eq!(r.report.file_population, 1.5 - 2.0 + 2.5 + 4.0);
    assert_conserved(&r);
}

#[test]
fn every_supported_compression_reads_the_same() {
    let d = tmp();
    let mut totals = Vec::new();
    for (i, c) in [
        Compression::Uncompressed,
        Compression::Lzw,
        Compression::Deflate(Default::default()),
        Compression::Packbits,
    ]
    .into_iter()
    .enumerate()
    {
        let p = small(d.path(), &format!("c{i}.tif"), &WGS, c);
        totals.push(
            read_population_rasters(&[p], &[], &RasterOptions::default())
                .unwrap()
                .report
                .cell_population,
        );
    }
    assert!(totals.iter().all(|t| *t == totals[0]), "{totals:?}");
    assert_eq!(totals[0], (0..120).map(|i| f64::from(i % 7)).sum::<f64>());
}

#[test]
fn projected_rasters_land_where_they_belong() {
    let d = tmp();
    // EPSG:3067 (TM35FIN): a 250 m pixel around Helsinki.
    let p = d.path().join("tm35.tif");
    let data = [10.0f32; 4];
    let crs = TestCrs::Projected {
        code: 3067,
        x0: 385_000.0,
        y0: 6_672_000.0,
        m: 250.0,
        citation: None,
    };
    write_geotiff(&p, 2, 2, &data, &crs, Compression::Lzw, 2, None);
    let r = read_population_rasters(&[p], &[], &RasterOptions::default()).unwrap();
    assert_eq!(r.report.crs, "EPSG:3067");
    // Pixel (0,0) centre (385 125, 6 671 875) m; pyproj EPSG:3067→4326 gives
    // 24.929_779_3 E, 60.167_579_5 N (computed once, see tests/fixtures/population/README.md).
    let c = &r.cells[0];
    assert!(
        (c.lon - 24.929_779_3).abs() < 1e-7 && (c.lat - 60.167_579_5).abs() < 1e-7,
        "{c:?}"
    );

    // Mollweide, the EPSG-style key and the user-defined key with a citation.
    for (name, code, citation) in [
        ("m1.tif", 54009, None),
        ("m2.tif", 32767, Some("World_Mollweide")),
    ] {
        let p = d.path().join(name);
        let crs = TestCrs::Projected {
            code,
            x0: 10_000_000.0,
            y0: 3_700_000.0,
            m: 1000.0,
            citation,
        };
        write_geotiff(&p, 2, 2, &data, &crs, Compression::Lzw, 2, None);
        let r = read_population_rasters(&[p], &[], &RasterOptions::default()).unwrap();
        assert_eq!(r.report.crs, "ESRI:54009");
        let c = &r.cells[0];
        // Centre (10 000 500, 3 699 500) m in World Mollweide: pyproj ESRI:54009→4326
        // gives 109.408_285_0 E, 30.475_816_3 N (computed once, see the fixtures README).
        assert!(
            (c.lon - 109.408_285_0).abs() < 1e-7 && (c.lat - 30.475_816_3).abs() < 1e-7,
            "{c:?}"
        );
    }
}

#[test]
fn unsupported_crs_is_a_clear_error() {
    let d = tmp();
    for (name, code, citation) in [
        ("lambert.tif", 32767, Some("Lambert_Conformal_Conic")),
        ("nocode.tif", 1, None),
    ] {
        let p = d.path().join(name);
        let crs = TestCrs::Projected {
            code,
            x0: 0.0,
            y0: 0.0,
            m: 1.0,
            citation,
        };
        write_geotiff(
            &p,
            2,
            2,
            &[1.0; 4],
            &crs,
            Compression::Uncompressed,
            2,
            None,
        );
        let e = read_population_rasters(std::slice::from_ref(&p), &[], &RasterOptions::default())
            .unwrap_err();
        let msg = e.to_string();
        assert!(
            matches!(
                e,
                RasterError::UnsupportedCrs { .. } | RasterError::Reproject { .. }
            ),
            "{msg}"
        );
        assert!(msg.contains(name), "{msg}");
    }
}

#[test]
fn unsupported_compression_is_a_clear_error() {
    let d = tmp();
    let p = small(d.path(), "zstd.tif", &WGS, Compression::Uncompressed);
    patch_tag(&p, 259, 50000); // ZSTD: not built in
    let e = read_err(p);
    assert!(
        matches!(e, RasterError::UnsupportedCompression { code: 50000, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("zstd.tif"));
}

#[test]
fn unsupported_sample_format_and_bands() {
    let d = tmp();
    let p = small(d.path(), "f16.tif", &WGS, Compression::Uncompressed);
    patch_tag(&p, 258, 16);
    let e = read_err(p);
    assert!(
        matches!(
            e,
            RasterError::UnsupportedSampleFormat {
                bits_per_sample: 16,
                ..
            } | RasterError::Tiff { .. }
        ),
        "{e}"
    );
}

#[test]
fn truncated_tiff_is_a_clear_error() {
    let d = tmp();
    let p = small(d.path(), "trunc.tif", &WGS, Compression::Lzw);
    let bytes = std::fs::read(&p).unwrap();
    // Cut inside the image data (the IFD comes first in files written by `tiff`? it
    // does not matter: either the IFD or a strip is gone).
    for keep in [bytes.len() / 2, 200, 16, 4, 0] {
        std::fs::write(&p, &bytes[..keep]).unwrap();
        let e = read_population_rasters(std::slice::from_ref(&p), &[], &RasterOptions::default())
            .unwrap_err();
        assert!(
            matches!(
                e,
                RasterError::Truncated { .. } | RasterError::Tiff { .. } | RasterError::Io { .. }
            ),
            "{keep}: {e}"
        );
    }
}

#[test]
fn chunk_byte_counts_beyond_the_file_are_refused_before_reading() {
    let d = tmp();
    let p = one_strip_patched(d.path(), "one_strip.tif", &[(279, 0x7FFF_FFFF)]);
    let e = read_err(p);
    assert!(
        matches!(
            e,
            RasterError::Truncated {
                bytes: 0x7FFF_FFFF,
                ..
            } | RasterError::Tiff { .. }
        ),
        "{e}"
    );
}

#[test]
fn hostile_dimensions_are_refused_before_allocating() {
    let d = tmp();
    let p = one_strip_patched(
        d.path(),
        "huge.tif",
        &[(256, 0xFFFF_FFF0), (257, 0xFFFF_FFF0)],
    );
    let e = read_err(p);
    assert!(
        matches!(e, RasterError::Dimensions { .. } | RasterError::Tiff { .. }),
        "{e}"
    );
}

#[test]
fn rasters_on_different_grids_are_not_summed() {
    let d = tmp();
    let a = small(d.path(), "a.tif", &WGS, Compression::Lzw);
    let b = small(
        d.path(),
        "b.tif",
        &TestCrs::Wgs84 {
            lon0: 25.0,
            lat0: 60.2,
            deg: 0.01,
        },
        Compression::Lzw,
    );
    let e = read_population_rasters(&[a.clone(), b.clone()], &[], &RasterOptions::default())
        .unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, RasterError::GridMismatch { .. }));
    assert!(msg.contains("a.tif") && msg.contains("b.tif"), "{msg}");
    let e = read_population_rasters(
        &[a],
        &[wuhan("pop_60_m_wuhan.tif")],
        &RasterOptions::default(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("pop_60_m_wuhan.tif"), "{e}");
}

#[test]
fn not_a_tiff() {
    let d = tmp();
    let p = d.path().join("x.tif");
    std::fs::write(&p, b"{\"type\": \"FeatureCollection\"}").unwrap();
    let e = read_err(p);
    assert!(matches!(e, RasterError::Tiff { .. }), "{e}");
    let e = read_population_rasters(&[], &[], &RasterOptions::default()).unwrap_err();
    assert!(matches!(e, RasterError::NoInput));
}

mod conservation {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        // Every person in the file is in exactly one of: cells, rejected, clipped out.
        #[test]
        fn cells_rejected_and_clipped_add_up_to_the_file(
            values in prop::collection::vec(prop_oneof![
                4 => 0.0f32..50.0,
                1 => Just(0.0f32),
                1 => Just(-3.4e38f32),
                1 => -5.0f32..0.0,
            ], 8 * 6),
            bbox in (24.9f64..24.98, 60.13f64..60.2, 0.0f64..0.1, 0.0f64..0.1),
            rows_per_strip in 1u32..7,
        ) {
            let d = tmp();
            let p = d.path().join("p.tif");
            write_geotiff(&p, 8, 6, &values, &WGS, Compression::Deflate(Default::default()), rows_per_strip, Some("-3.4e38"));
            let clip = ClipArea::from_bbox([bbox.0, bbox.1, bbox.0 + bbox.2, bbox.1 + bbox.3]).unwrap();
            let r = read_population_rasters(&[p], &[], &RasterOptions { clip: Some(clip), ..RasterOptions::default() }).unwrap();
            let file: f64 = values.iter().filter(|v| **v > -1e30).map(|v| f64::from(*v)).sum();
            prop_assert!((r.report.file_population - file).abs() < 1e-6);
            assert_conserved(&r);
        }
    }
}
