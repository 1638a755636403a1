//! Tests of population from buildings: storeys, which buildings count, exact
//! conservation (property test over random footprints, storeys and totals), units,
//! bad input, and the real Wujiaochang extract.

use std::fmt::Write as _;
use std::path::PathBuf;

use proptest::prelude::*;

use super::*;

const LON0: f64 = 121.5;
const LAT0: f64 = 31.3;

/// A building or area for the synthetic OSM file: a rectangle `w × h` metres with
/// its lower-left corner `(x, y)` metres east/north of (LON0, LAT0).
struct Rect<'a> {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
    tags: &'a [(&'a str, &'a str)],
}

/// Metres east/north of (LON0, LAT0) → degrees (exact: the module's own projection).
fn deg(x: f64, y: f64) -> (f64, f64) {
    LocalProjection::new(LON0, LAT0).unwrap().inverse([x, y])
}

/// OSM XML with one closed way per rectangle (ids 1, 2, …; nodes 4 per way).
fn osm_xml(rects: &[Rect<'_>]) -> String {
    let mut s = String::from("<?xml version=\"1.0\"?>\n<osm version=\"0.6\">\n");
    for (i, r) in rects.iter().enumerate() {
        for (k, (x, y)) in [
            (r.x, r.y),
            (r.x + r.w, r.y),
            (r.x + r.w, r.y + r.h),
            (r.x, r.y + r.h),
        ]
        .into_iter()
        .enumerate()
        {
            let (lon, lat) = deg(x, y);
            writeln!(
                s,
                "<node id=\"{}\" lon=\"{lon:.7}\" lat=\"{lat:.7}\"/>",
                i * 4 + k + 1
            )
            .unwrap();
        }
    }
    for (i, r) in rects.iter().enumerate() {
        let n = i * 4;
        writeln!(s, "<way id=\"{}\">", i + 1).unwrap();
        for k in [1, 2, 3, 4, 1] {
            writeln!(s, "<nd ref=\"{}\"/>", n + k).unwrap();
        }
        for (k, v) in r.tags {
            writeln!(s, "<tag k=\"{k}\" v=\"{v}\"/>").unwrap();
        }
        s.push_str("</way>\n");
    }
    s.push_str("</osm>\n");
    s
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn opts(osm: PathBuf, how_many: HowMany) -> FromBuildingsOptions {
    FromBuildingsOptions {
        osm,
        how_many,
        elderly_share: None,
        bbox: None,
        cell_m: 100.0,
        levels: LevelDefaults::default(),
    }
}

mod storeys {
    use super::*;

    #[test]
    #[allow(clippy::type_complexity)]
    fn sources_in_order() {
        let d = LevelDefaults::default();
        let cases: &[(&[(&str, &str)], &str, f64, LevelsSource, bool)] = &[
            (
                &[("building:levels", "18")],
                "apartments",
                18.0,
                LevelsSource::Tag,
                false,
            ),
            (
                &[("building:levels", "5.5")],
                "yes",
                5.5,
                LevelsSource::Tag,
                false,
            ),
            (
                &[("building:levels", "6;7")],
                "yes",
                6.0,
                LevelsSource::Tag,
                false,
            ),
            (
                &[("building:levels", "0"), ("height", "31 m")],
                "yes",
                10.0,
                LevelsSource::Height,
                true,
            ),
            (
                &[("height", "1.5")],
                "apartments",
                6.0,
                LevelsSource::Default,
                false,
            ),
            (
                &[("building:levels", "many")],
                "residential",
                6.0,
                LevelsSource::Default,
                true,
            ),
            (&[], "apartments", 6.0, LevelsSource::Default, false),
            (&[], "house", 2.0, LevelsSource::HouseDefault, false),
            (&[], "terrace", 2.0, LevelsSource::HouseDefault, false),
            (&[], "bungalow", 1.0, LevelsSource::Bungalow, false),
            (
                &[("building:levels", "3")],
                "house",
                3.0,
                LevelsSource::Tag,
                false,
            ),
        ];
        for (tags, b, levels, source, unusable) in cases {
            assert_eq!(
                levels_of(*tags, b, d),
                (*levels, *source, *unusable),
                "{b} {tags:?}"
            );
        }
    }
}

mod rules {
    use super::*;

    #[test]
    fn which_buildings_count_and_defaults_are_counted() {
        let dir = tempfile::tempdir().unwrap();
        let osm = write(
            &dir,
            "a.osm",
            &osm_xml(&[
                // A 小区: landuse=residential 300 × 300 m.
                Rect {
                    x: 0.0,
                    y: 0.0,
                    w: 300.0,
                    h: 300.0,
                    tags: &[("landuse", "residential")],
                },
                // In it: plain blocks (count), a kindergarten (does not).
                Rect {
                    x: 10.0,
                    y: 10.0,
                    w: 60.0,
                    h: 12.0,
                    tags: &[("building", "yes")],
                },
                Rect {
                    x: 10.0,
                    y: 40.0,
                    w: 60.0,
                    h: 12.0,
                    tags: &[("building", "yes"), ("building:levels", "18")],
                },
                Rect {
                    x: 10.0,
                    y: 80.0,
                    w: 20.0,
                    h: 20.0,
                    tags: &[("building", "yes"), ("amenity", "kindergarten")],
                },
                // Outside it: apartments (count), yes (does not), university (does not).
                Rect {
                    x: 500.0,
                    y: 0.0,
                    w: 40.0,
                    h: 15.0,
                    tags: &[("building", "apartments")],
                },
                Rect {
                    x: 500.0,
                    y: 100.0,
                    w: 40.0,
                    h: 15.0,
                    tags: &[("building", "yes")],
                },
                Rect {
                    x: 600.0,
                    y: 0.0,
                    w: 40.0,
                    h: 40.0,
                    tags: &[("building", "university")],
                },
                Rect {
                    x: 700.0,
                    y: 0.0,
                    w: 10.0,
                    h: 10.0,
                    tags: &[("building", "house")],
                },
                Rect {
                    x: 800.0,
                    y: 0.0,
                    w: 10.0,
                    h: 10.0,
                    tags: &[("building", "dormitory"), ("height", "12")],
                },
            ]),
        );
        let g = population_from_buildings(&opts(osm, HowMany::Total(1000.0))).unwrap();
        let s = &g.report.stats;
        assert_eq!(s.buildings_read, 8);
        let counted: Vec<(&str, usize)> = s.counted.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(
            counted,
            [
                ("apartments", 1),
                ("dormitory", 1),
                ("house", 1),
                (YES_IN_RESIDENTIAL, 2)
            ]
        );
        assert_eq!(s.not_counted.get(YES_OUTSIDE), Some(&1));
        assert_eq!(s.not_counted.get(YES_OTHER_USE), Some(&1));
        assert_eq!(s.not_counted.get("university"), Some(&1));
        // Storeys: one tagged, one from height, two multi-storey defaults, one house default.
        assert_eq!(s.levels_by_source.get(&LevelsSource::Tag), Some(&1));
        assert_eq!(s.levels_by_source.get(&LevelsSource::Height), Some(&1));
        assert_eq!(s.levels_by_source.get(&LevelsSource::Default), Some(&2));
        assert_eq!(
            s.levels_by_source.get(&LevelsSource::HouseDefault),
            Some(&1)
        );
        // Floor area: 720×6 + 720×18 + 600×6 + 100×2 + 100×4.
        let want = 720.0 * 6.0 + 720.0 * 18.0 + 600.0 * 6.0 + 100.0 * 2.0 + 100.0 * 4.0;
        assert!(
            (g.report.floor_area_m2 - want).abs() < 0.01 * want,
            "{}",
            g.report.floor_area_m2
        );
        assert_eq!(g.cells.iter().map(|c| c.population).sum::<u64>(), 1000);
        // The university's and the stray yes's cells are not written (no residential floor area).
        for c in &g.cells {
            assert!(c.floor_area_m2 > 0.0, "{c:?}");
        }
        let line = g.report.lines().join("\n");
        assert!(line.contains("default 6 (multi-storey) for 2"), "{line}");
    }

    #[test]
    fn relation_building_counts_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut xml = osm_xml(&[
            Rect {
                x: 0.0,
                y: 0.0,
                w: 50.0,
                h: 50.0,
                tags: &[("building", "yes")],
            },
            Rect {
                x: 20.0,
                y: 20.0,
                w: 10.0,
                h: 10.0,
                tags: &[],
            },
        ]);
        xml = xml.replace(
            "</osm>",
            "<relation id=\"9\"><member type=\"way\" ref=\"1\" role=\"outer\"/>\
             <member type=\"way\" ref=\"2\" role=\"inner\"/>\
             <tag k=\"type\" v=\"multipolygon\"/><tag k=\"building\" v=\"apartments\"/></relation>\n</osm>",
        );
        let osm = write(&dir, "r.osm", &xml);
        let g = population_from_buildings(&opts(osm, HowMany::Total(10.0))).unwrap();
        assert_eq!(
            g.report.stats.buildings_read, 1,
            "way 1 is the relation's outer ring"
        );
        assert_eq!(g.report.buildings_used, 1);
        assert!(
            (g.report.footprint_m2 - 2400.0).abs() < 5.0,
            "{}",
            g.report.footprint_m2
        );
    }
}

mod conservation {
    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        /// Σ written population == total and Σ elderly == round(share × total),
        /// elderly ≤ population per cell, for random footprints, storeys and totals.
        #[test]
        fn sums_are_exact(
            blocks in prop::collection::vec(
                (-800.0f64..800.0, -800.0f64..800.0, 5.0f64..120.0, 5.0f64..60.0, 0u32..40),
                1..30,
            ),
            total in 0u64..2_000_000,
            share in 0.0f64..=1.0,
            cell_m in prop::sample::select(vec![50.0, 100.0, 250.0]),
        ) {
            let levels: Vec<String> = blocks.iter().map(|b| b.4.to_string()).collect();
            let tags: Vec<Vec<(&str, &str)>> = levels
                .iter()
                .map(|l| if l == "0" { vec![("building", "apartments")] } else { vec![("building", "residential"), ("building:levels", l.as_str())] })
                .collect();
            let rects: Vec<Rect<'_>> = blocks
                .iter()
                .zip(&tags)
                .map(|(b, t)| Rect { x: b.0, y: b.1, w: b.2, h: b.3, tags: t })
                .collect();
            let dir = tempfile::tempdir().unwrap();
            let osm = write(&dir, "p.osm", &osm_xml(&rects));
            let mut o = opts(osm, HowMany::Total(total as f64));
            o.elderly_share = Some(share);
            o.cell_m = cell_m;
            let g = population_from_buildings(&o).unwrap();
            prop_assert_eq!(g.cells.iter().map(|c| c.population).sum::<u64>(), total);
            let e_total = (share * total as f64).round() as u64;
            prop_assert_eq!(g.cells.iter().map(|c| c.elderly).sum::<u64>(), e_total);
            prop_assert!(g.cells.iter().all(|c| c.elderly <= c.population));
            prop_assert_eq!(g.report.total, total);
            // Floor area is conserved too (cells vs buildings).
            let cells_floor: f64 = g.cells.iter().map(|c| c.floor_area_m2).sum();
            prop_assert!((cells_floor - g.report.floor_area_m2).abs() <= 1e-6 * g.report.floor_area_m2);
            // Populations follow floor area: no cell is more than one person off its quota.
            for c in &g.cells {
                let quota = total as f64 * c.floor_area_m2 / g.report.floor_area_m2;
                prop_assert!((c.population as f64 - quota).abs() < 1.0 + 1e-3);
            }
        }
    }

    #[test]
    fn per_m2_total_is_rounded_floor_area_times_density() {
        let dir = tempfile::tempdir().unwrap();
        let osm = write(
            &dir,
            "m.osm",
            &osm_xml(&[Rect {
                x: 0.0,
                y: 0.0,
                w: 33.0,
                h: 10.0,
                tags: &[("building", "apartments"), ("building:levels", "3")],
            }]),
        );
        let g = population_from_buildings(&opts(osm, HowMany::PerM2(0.03))).unwrap();
        let want = (0.03 * g.report.floor_area_m2).round() as u64;
        assert_eq!(g.report.total, want);
        assert!((29..=30).contains(&want), "990 m² × 0.03 ≈ 29.7: {want}");
    }

    #[test]
    fn bbox_writes_empty_cells_as_zero_and_leaves_outside_buildings_out() {
        let dir = tempfile::tempdir().unwrap();
        let osm = write(
            &dir,
            "b.osm",
            &osm_xml(&[
                Rect {
                    x: 10.0,
                    y: 10.0,
                    w: 30.0,
                    h: 30.0,
                    tags: &[("building", "apartments")],
                },
                Rect {
                    x: 2000.0,
                    y: 10.0,
                    w: 30.0,
                    h: 30.0,
                    tags: &[("building", "apartments")],
                },
                Rect {
                    x: 300.0,
                    y: 300.0,
                    w: 30.0,
                    h: 30.0,
                    tags: &[("building", "office")],
                },
            ]),
        );
        let (a, b) = (deg(-500.0, -500.0), deg(500.0, 500.0));
        let mut o = opts(osm, HowMany::PerKm2(10_000.0));
        o.bbox = Some([a.0, a.1, b.0, b.1]);
        let g = population_from_buildings(&o).unwrap();
        assert_eq!(g.report.outside_bbox, 1);
        // 1 km² box at 10,000 per km² (geodesic area of the degree box ≈ 1 km²).
        assert!(
            (9_950..=10_050).contains(&g.report.total),
            "{}",
            g.report.total
        );
        assert_eq!(
            g.cells.iter().map(|c| c.population).sum::<u64>(),
            g.report.total
        );
        // Every cell of the box is written; all but the one or few holding the
        // building are zero, including the office's.
        assert!(g.cells.len() >= 100, "{}", g.cells.len());
        let with_people: Vec<&CellPopulation> =
            g.cells.iter().filter(|c| c.population > 0).collect();
        assert!((1..=4).contains(&with_people.len()));
        for c in &g.cells {
            assert!(c.population == 0 || c.floor_area_m2 > 0.0, "{c:?}");
        }
        // Same frame as `learncircle grid --bbox`.
        let proj = LocalProjection::centred_on(o.bbox.unwrap()).unwrap();
        let grid = crate::analysis::grid::cells_in_bbox(o.bbox.unwrap(), 100.0, &proj).unwrap();
        for gc in &grid {
            assert!(g.cells.iter().any(|c| c.id == gc.id), "{} missing", gc.id);
        }
    }
}

mod units {
    use super::*;

    fn units_geojson() -> String {
        // West unit: x < 0; east unit: x > 0 (each 3 km wide); a third unit far north.
        let poly = |x0: f64, y0: f64, x1: f64, y1: f64| {
            let c = [
                deg(x0, y0),
                deg(x1, y0),
                deg(x1, y1),
                deg(x0, y1),
                deg(x0, y0),
            ];
            let pts: Vec<String> = c.iter().map(|(a, b)| format!("[{a:.7},{b:.7}]")).collect();
            format!(
                "{{\"type\":\"Polygon\",\"coordinates\":[[{}]]}}",
                pts.join(",")
            )
        };
        format!(
            "{{\"type\":\"FeatureCollection\",\"features\":[\
             {{\"type\":\"Feature\",\"properties\":{{\"code\":\"W\",\"name\":\"西街道\"}},\"geometry\":{}}},\
             {{\"type\":\"Feature\",\"properties\":{{\"code\":\"E\",\"name\":\"东街道\"}},\"geometry\":{}}},\
             {{\"type\":\"Feature\",\"properties\":{{\"code\":\"N\",\"name\":\"北街道\"}},\"geometry\":{}}}]}}",
            poly(-3000.0, -3000.0, 0.0, 3000.0),
            poly(0.0, -3000.0, 3000.0, 3000.0),
            poly(-3000.0, 5000.0, 3000.0, 8000.0)
        )
    }

    fn scene(dir: &tempfile::TempDir) -> PathBuf {
        write(
            dir,
            "u.osm",
            &osm_xml(&[
                Rect {
                    x: -900.0,
                    y: 0.0,
                    w: 50.0,
                    h: 20.0,
                    tags: &[("building", "apartments")],
                },
                Rect {
                    x: -600.0,
                    y: 300.0,
                    w: 80.0,
                    h: 20.0,
                    tags: &[("building", "apartments"), ("building:levels", "24")],
                },
                Rect {
                    x: 700.0,
                    y: 0.0,
                    w: 30.0,
                    h: 30.0,
                    tags: &[("building", "residential")],
                },
                Rect {
                    x: 900.0,
                    y: -400.0,
                    w: 30.0,
                    h: 30.0,
                    tags: &[("building", "residential")],
                },
                Rect {
                    x: 5000.0,
                    y: 0.0,
                    w: 30.0,
                    h: 30.0,
                    tags: &[("building", "residential")],
                },
            ]),
        )
    }

    fn run(totals: &str) -> Result<BuildingsGrid, BuildingsError> {
        let dir = tempfile::tempdir().unwrap();
        let osm = scene(&dir);
        let units = write(&dir, "units.geojson", &units_geojson());
        let totals = write(&dir, "totals.csv", totals);
        population_from_buildings(&opts(
            osm,
            HowMany::Units {
                units,
                units_crs: InputCrs::Wgs84,
                totals,
            },
        ))
    }

    #[test]
    fn each_unit_total_is_conserved_within_its_unit() {
        let g = run("unit_id,population,elderly\nW,12345,4000\n东街道,678,300\n").unwrap();
        let west: u64 = g
            .cells
            .iter()
            .filter(|c| c.lon < LON0)
            .map(|c| c.population)
            .sum();
        let east: u64 = g
            .cells
            .iter()
            .filter(|c| c.lon > LON0)
            .map(|c| c.population)
            .sum();
        assert_eq!((west, east), (12345, 678));
        let west_e: u64 = g
            .cells
            .iter()
            .filter(|c| c.lon < LON0)
            .map(|c| c.elderly)
            .sum();
        let east_e: u64 = g
            .cells
            .iter()
            .filter(|c| c.lon > LON0)
            .map(|c| c.elderly)
            .sum();
        assert_eq!((west_e, east_e), (4000, 300));
        assert!(g.has_elderly);
        // The building at x = 5000 m lies outside every unit and gets nobody.
        assert_eq!(g.report.outside_units, 1);
        assert!(
            g.report
                .warnings
                .iter()
                .any(|w| w.contains("outside every unit"))
        );
        let n = g.report.units.iter().find(|u| u.id == "N").unwrap();
        assert_eq!((n.total, n.buildings), (None, 0));
    }

    #[test]
    fn unknown_unit_is_an_error() {
        let e = run("unit_id,population\nW,100\nZZ,5\n").unwrap_err();
        assert!(
            matches!(e, BuildingsError::UnknownUnit { ref unit, row: 2, .. } if unit == "ZZ"),
            "{e}"
        );
        assert!(e.to_string().contains("E, N, W"), "{e}");
    }

    #[test]
    fn unit_with_people_but_no_floor_area_is_an_error() {
        let e = run("unit_id,population\nW,100\nN,50\n").unwrap_err();
        assert!(
            matches!(e, BuildingsError::UnitsWithoutFloorArea { count: 1, .. }),
            "{e}"
        );
        assert!(e.to_string().contains("N (50)"), "{e}");
        // A zero total there is fine.
        assert!(run("unit_id,population\nW,100\nN,0\n").is_ok());
    }

    #[test]
    fn bad_rows() {
        for (csv, what) in [
            ("unit_id,population\nW,-3\n", "negative"),
            ("unit_id,population\nW,2.5\n", "whole number"),
            ("unit_id,population\nW,abc\n", "not a number"),
            ("unit_id,population,elderly\nW,10,11\n", "exceeds"),
            ("unit_id,population\nW,1\nW,2\n", "second row"),
        ] {
            let e = run(csv).unwrap_err();
            assert!(e.to_string().contains(what), "{csv}: {e}");
        }
        assert!(matches!(
            run("code,people\nW,1\n"),
            Err(BuildingsError::Input(_))
        ));
    }
}

mod bad_input {
    use super::*;

    #[test]
    fn totals_and_shares_are_checked_before_reading() {
        let missing = PathBuf::from("/nonexistent/never/read.osm");
        for (how, flag) in [
            (HowMany::Total(-1.0), "--total"),
            (HowMany::Total(f64::NAN), "--total"),
            (HowMany::Total(f64::INFINITY), "--total"),
            (HowMany::Total(10.5), "--total"),
            (HowMany::PerM2(-0.1), "--per-m2"),
            (HowMany::PerKm2(f64::NAN), "--per-km2"),
        ] {
            let e = population_from_buildings(&opts(missing.clone(), how)).unwrap_err();
            assert!(
                matches!(e, BuildingsError::BadValue { flag: f, .. } if f == flag),
                "{e}"
            );
        }
        let mut o = opts(missing.clone(), HowMany::Total(5.0));
        o.elderly_share = Some(1.5);
        assert!(
            population_from_buildings(&o)
                .unwrap_err()
                .to_string()
                .contains("--elderly-share")
        );
        let o = opts(missing, HowMany::PerKm2(100.0));
        assert!(matches!(
            population_from_buildings(&o),
            Err(BuildingsError::Conflict { .. })
        ));
    }

    #[test]
    fn no_buildings_and_no_residential_floor_area() {
        let dir = tempfile::tempdir().unwrap();
        let osm = write(
            &dir,
            "n.osm",
            &osm_xml(&[Rect {
                x: 0.0,
                y: 0.0,
                w: 9.0,
                h: 9.0,
                tags: &[("landuse", "grass")],
            }]),
        );
        let e = population_from_buildings(&opts(osm, HowMany::Total(5.0))).unwrap_err();
        assert!(matches!(e, BuildingsError::NoBuildings { .. }), "{e}");
        let osm = write(
            &dir,
            "c.osm",
            &osm_xml(&[
                Rect {
                    x: 0.0,
                    y: 0.0,
                    w: 9.0,
                    h: 9.0,
                    tags: &[("building", "commercial")],
                },
                Rect {
                    x: 20.0,
                    y: 0.0,
                    w: 9.0,
                    h: 9.0,
                    tags: &[("building", "yes")],
                },
            ]),
        );
        let e = population_from_buildings(&opts(osm, HowMany::Total(5.0))).unwrap_err();
        assert!(
            matches!(
                e,
                BuildingsError::NoResidentialFloorArea { buildings: 2, .. }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("commercial 1"), "{e}");
    }
}

mod real_data {
    use super::*;

    fn shared(rel: &str) -> PathBuf {
        let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/data")
            .join(rel);
        assert!(p.exists(), "reference data {} is missing", p.display());
        p
    }

    #[test]
    fn wujiaochang_buildings() {
        let mut o = opts(
            shared("shanghai-osm-fudan-wujiaochang/fudan_wujiaochang_2023.osm"),
            HowMany::Total(100_000.0),
        );
        o.elderly_share = Some(0.234);
        let g = population_from_buildings(&o).unwrap();
        let s = &g.report.stats;
        // PROVENANCE.md: 1,068 ways with a building tag (one of them an open outer
        // piece of building relation 14884525, counted through the relation) + 4
        // building relations = 1,071 buildings; 375 apartments/residential.
        assert_eq!(s.buildings_read, 1071, "{s:?}");
        assert_eq!(
            s.counted.get("apartments").copied().unwrap_or(0)
                + s.counted.get("residential").copied().unwrap_or(0),
            375
        );
        assert!(s.counted.get(YES_IN_RESIDENTIAL).copied().unwrap_or(0) > 0);
        assert!(
            s.not_counted.get("university").copied().unwrap_or(0) >= 100,
            "{s:?}"
        );
        assert!(s.no_geometry.is_empty(), "{:?}", s.no_geometry);
        let defaults = s
            .levels_by_source
            .get(&LevelsSource::Default)
            .copied()
            .unwrap_or(0);
        let counted: usize = s.counted.values().sum();
        assert!(
            defaults > counted / 2,
            "most residential blocks have no levels: {defaults} of {counted}"
        );
        assert_eq!(g.cells.iter().map(|c| c.population).sum::<u64>(), 100_000);
        assert_eq!(g.cells.iter().map(|c| c.elderly).sum::<u64>(), 23_400);
    }
}
