//! Charts and `report.html` from a run directory fixture.
//!
//! The fixture is a real run (`app::run_coverage` on a tiny grid with an elderly
//! layer and three categories) plus hand-written `units.csv`, `targets.csv`,
//! `gaps.csv`/`gaps.geojson`, `recommend.csv` and what-if columns/summary block.
//! Set `LEARNCIRCLE_TEST_KEEP=/some/dir` to keep a copy of the fixture run with
//! its report for inspection.
//!
//! The headless-Chromium test skips with a notice when no Chromium is installed,
//! unless `LEARNCIRCLE_REQUIRE_CHROMIUM=1` (CI), which turns the skip into a
//! failure (`.ci/chromium-setup.sh` installs it).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use learncircle::app::{ConfigSource, CoverageOptions, run_coverage};

#[path = "support/mod.rs"]
mod support;
use learncircle::present::charts::{self, ChartKind, ChartOptions, Lang, RunDir};
use learncircle::present::report::html;
use support::{bin, chromium_or_skip};

// ---------------------------------------------------------------- fixture

const LON0: f64 = 121.505;
const LAT0: f64 = 31.300;
const DLON: f64 = 0.001_051; // ≈ 100 m at 31.3° N
const DLAT: f64 = 0.000_902; // ≈ 100 m
const COLS: usize = 16;
const ROWS: usize = 11;

const CONFIG: &str = r#"
[run]
circuity = 1.3
elderly_label = "60+"

[[category]]
name = "library"
label_zh = "图书馆"
label_en = "Library"
aliases = ["图书馆"]
tier = "15min"
threshold_m = 600.0
profile = "adult"
layer = "total"

[[category]]
name = "school"
label_zh = "中小学"
label_en = "School"
tier = "10min"
threshold_m = 350.0
profile = "adult"
layer = "total"

[[category]]
name = "elderly_edu"
label_zh = "老年学校"
label_en = "Elderly learning point"
tier = "15min"
threshold_m = 450.0
profile = "adult"
layer = "elderly"
"#;

fn lon(i: usize) -> f64 {
    LON0 + (i as f64 - COLS as f64 / 2.0) * DLON
}

fn lat(j: usize) -> f64 {
    LAT0 + (j as f64 - ROWS as f64 / 2.0) * DLAT
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Inputs of the fixture run in `dir/inputs/`; returns the coverage options.
fn inputs(dir: &Path, out: &Path) -> CoverageOptions {
    let inp = dir.join("inputs");
    std::fs::create_dir_all(&inp).unwrap();
    let mut pop = String::from("cell_id,lon,lat,population,elderly\n");
    for j in 0..ROWS {
        for i in 0..COLS {
            let p = 40 + (i * 7 + j * 13) % 90;
            pop.push_str(&format!(
                "c{i:02}_{j:02},{:.6},{:.6},{p},{}\n",
                lon(i),
                lat(j),
                p / 4
            ));
        }
    }
    let sites = format!(
        "id,name,category,lon,lat\n\
         s1,杨浦区图书馆,library,{:.6},{:.6}\n\
         s2,五角场社区图书馆,图书馆,{:.6},{:.6}\n\
         s3,五角场小学,school,{:.6},{:.6}\n\
         s4,复旦附中,school,{:.6},{:.6}\n\
         s5,殷行街道老年学校,elderly_edu,{:.6},{:.6}\n",
        lon(3),
        lat(5),
        lon(12),
        lat(7),
        lon(5),
        lat(2),
        lon(11),
        lat(9),
        lon(8),
        lat(5),
    );
    CoverageOptions {
        config: ConfigSource::File(write(&inp, "learncircle.toml", CONFIG)),
        ..CoverageOptions::new(
            write(&inp, "sites.csv", &sites),
            write(&inp, "population.csv", &pop),
            out.to_path_buf(),
        )
    }
}

const UNITS: &str = "\
unit_id,unit_name,population,elderly,cells,library_population_covered,library_share,library_elderly_covered,library_elderly_share,library_sites_in_unit,library_has_site,school_population_covered,school_share,school_elderly_covered,school_elderly_share,school_sites_in_unit,school_has_site,elderly_edu_population_covered,elderly_edu_share,elderly_edu_elderly_covered,elderly_edu_elderly_share,elderly_edu_sites_in_unit,elderly_edu_has_site,covered_all_share
u1,五角场街道,5200,1300,60,4100,0.788,1000,0.769,1,1,2600,0.5,700,0.538,1,1,2000,0.385,520,0.4,0,0,0.21
u2,殷行街道,4800,1200,56,3800,0.792,950,0.792,1,1,1900,0.396,480,0.4,1,1,3100,0.646,800,0.667,1,1,0.3
u3,新江湾城街道,3900,900,60,1700,0.436,390,0.433,0,0,2100,0.538,500,0.556,0,0,900,0.231,200,0.222,0,0,0.12
";

const TARGETS: &str = "\
target,category,scope,metric,op,value,actual,pass
library_city,library,city,population_share,>=,0.7,0.66,0
school_city,school,city,population_share,>=,0.5,0.48,0
library_u2,library,u2,population_share,>=,0.75,0.792,1
elderly_city,elderly_edu,city,elderly_share,>=,0.4,0.43,1
";

const RECOMMEND: &str = "\
rank,candidate_id,category,lon,lat,gain_population,gain_elderly,cumulative_covered,cumulative_share
1,k17,library,121.50900,31.30300,1450,360,10850,0.782
2,k03,library,121.49800,31.29700,820,200,11670,0.841
3,k22,library,121.51200,31.29800,400,95,12070,0.870
1,k08,school,121.50200,31.30200,1200,300,7800,0.562
2,k11,school,121.50800,31.29700,650,170,8450,0.609
";

fn gap_ring(i0: usize, j0: usize, i1: usize, j1: usize) -> String {
    let (x0, y0) = (lon(i0) - DLON / 2.0, lat(j0) - DLAT / 2.0);
    let (x1, y1) = (lon(i1) + DLON / 2.0, lat(j1) + DLAT / 2.0);
    format!(
        "[[{x0:.6},{y0:.6}],[{x1:.6},{y0:.6}],[{x1:.6},{y1:.6}],[{x0:.6},{y1:.6}],[{x0:.6},{y0:.6}]]"
    )
}

fn gaps(run: &Path) {
    let rows = [
        ("g1", "library", 1, (13, 0, 15, 3)),
        ("g2", "library", 2, (0, 8, 2, 10)),
        ("g3", "school", 1, (0, 0, 3, 2)),
    ];
    let mut csv = String::from(
        "gap_id,category,rank,cells,population,elderly,area_m2,centroid_lon,centroid_lat,worst_walk_min\n",
    );
    let mut features = Vec::new();
    for (id, cat, rank, (i0, j0, i1, j1)) in rows {
        let cells = (i1 - i0 + 1) * (j1 - j0 + 1);
        let (cx, cy) = ((lon(i0) + lon(i1)) / 2.0, (lat(j0) + lat(j1)) / 2.0);
        csv.push_str(&format!(
            "{id},{cat},{rank},{cells},{},{},{},{cx:.6},{cy:.6},{}\n",
            cells * 80,
            cells * 20,
            cells * 10_000,
            if rank == 1 {
                "14.5".to_owned()
            } else {
                String::new()
            }
        ));
        features.push(format!(
            "{{\"type\":\"Feature\",\"geometry\":{{\"type\":\"Polygon\",\"coordinates\":[{}]}},\
             \"properties\":{{\"gap_id\":\"{id}\",\"category\":\"{cat}\",\"rank\":{rank},\"population\":{}}}}}",
            gap_ring(i0, j0, i1, j1),
            cells * 80
        ));
    }
    write(run, "gaps.csv", &csv);
    write(
        run,
        "gaps.geojson",
        &format!(
            "{{\"type\":\"FeatureCollection\",\"features\":[{}]}}",
            features.join(",\n")
        ),
    );
}

/// Add `library_covered_before`, `library_dist_m_before`, `library_delta_m` to
/// cells.csv (the eastern library "did not exist before") and the summary's
/// `whatif` block.
fn whatif(run: &Path) {
    let path = run.join("cells.csv");
    let mut rdr = csv::Reader::from_path(&path).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let col = |n: &str| headers.iter().position(|h| h == n).unwrap();
    let (ci, cl, cd) = (
        col("cell_id"),
        col("library_covered"),
        col("library_dist_m"),
    );
    let mut out = csv::Writer::from_writer(Vec::new());
    let mut h: Vec<String> = headers.iter().map(str::to_owned).collect();
    h.extend([
        "library_covered_before".into(),
        "library_dist_m_before".into(),
        "library_delta_m".into(),
    ]);
    out.write_record(&h).unwrap();
    for r in rdr.records() {
        let r = r.unwrap();
        let i: usize = r[ci][1..3].parse().unwrap();
        let east = i >= 9;
        let covered = &r[cl];
        let before = if east { "0" } else { covered };
        let dist: f64 = r[cd].parse().unwrap_or(f64::NAN);
        let (db, delta) = if east && dist.is_finite() {
            (format!("{:.1}", dist + 400.0), "-400.0".to_owned())
        } else {
            (r[cd].to_owned(), "0.0".to_owned())
        };
        let mut rec: Vec<String> = r.iter().map(str::to_owned).collect();
        rec.extend([before.to_owned(), db, delta]);
        out.write_record(&rec).unwrap();
    }
    std::fs::write(&path, out.into_inner().unwrap()).unwrap();

    let sp = run.join("summary.json");
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&sp).unwrap()).unwrap();
    v["whatif"] = serde_json::json!({
        "categories": [
            {"name": "library", "population_share_before": 0.41, "population_share_after": 0.66,
             "elderly_share_before": 0.40, "elderly_share_after": 0.65},
            {"name": "school", "population_share_before": 0.48, "population_share_after": 0.48,
             "elderly_share_before": 0.47, "elderly_share_after": 0.47}
        ]
    });
    std::fs::write(&sp, serde_json::to_string_pretty(&v).unwrap()).unwrap();
}

/// Build a complete fixture run in `dir/run`.
fn build_fixture(dir: &Path) -> PathBuf {
    let run = dir.join("run");
    let outcome = run_coverage(&inputs(dir, &run)).unwrap();
    assert_eq!(outcome.rejected, 0);
    write(&run, "units.csv", UNITS);
    write(&run, "targets.csv", TARGETS);
    write(&run, "recommend.csv", RECOMMEND);
    gaps(&run);
    whatif(&run);
    run
}

fn fixture() -> &'static Path {
    static FIXTURE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, run) = FIXTURE.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let run = build_fixture(tmp.path());
        (tmp, run)
    });
    run
}

// ---------------------------------------------------------------- checks

/// Decode a PNG: (width, height, RGB/RGBA bytes, channels).
fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>, usize) {
    let dec = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    let channels = info.color_type.samples();
    (info.width, info.height, buf, channels)
}

/// Variance of the grey level over all pixels (0 for a uniform image).
fn grey_variance(buf: &[u8], channels: usize) -> f64 {
    let greys: Vec<f64> = buf
        .chunks(channels)
        .map(|p| {
            let rgb = &p[..channels.min(3)];
            rgb.iter().map(|v| f64::from(*v)).sum::<f64>() / rgb.len() as f64
        })
        .collect();
    let n = greys.len() as f64;
    let mean = greys.iter().sum::<f64>() / n;
    greys.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / n
}

/// All text content of an SVG, after parsing it as XML.
fn svg_text(svg: &str) -> (String, String) {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("SVG does not parse: {e}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    let title = root
        .children()
        .find(|n| n.has_tag_name("title"))
        .and_then(|n| n.text())
        .unwrap_or_default()
        .to_owned();
    let text: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .collect();
    (title, text.join("\n"))
}

/// Every chart of `run`, in Chinese (the default language).
fn render_zh(run: &RunDir, png: bool) -> charts::ChartSet {
    charts::render_all(
        run,
        ChartOptions {
            lang: Lang::Zh,
            png,
        },
    )
    .unwrap()
}

// ---------------------------------------------------------------- tests

#[test]
fn every_chart_renders_from_a_run_directory() {
    let run = RunDir::load(fixture()).unwrap();
    let set = render_zh(&run, true);
    let names: Vec<&str> = set.charts.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "map_library",
            "map_school",
            "map_elderly_edu",
            "cumulative",
            "units_library",
            "units_school",
            "units_elderly_edu",
            "whatif",
            "whatif_map_library",
            "recommend",
        ]
    );
    assert!(set.warnings.is_empty(), "{:?}", set.warnings);
    let expect: [(&str, &[&str]); 7] = [
        (
            "map_library",
            &[
                "图书馆：到最近设施的步行时间",
                "杨浦区图书馆",
                "五角场社区图书馆",
                "服务缺口（2 处）",
                "© OpenStreetMap contributors",
                "北",
            ],
        ),
        (
            "map_elderly_edu",
            &["老年学校", "服务人群：老年人口", "老年人："],
        ),
        (
            "cumulative",
            &[
                "步行时间累计曲线",
                "图书馆（全部人口）",
                "图书馆（老年人）",
                "15 分钟",
            ],
        ),
        (
            "units_library",
            &[
                "图书馆：各单元居民覆盖率",
                "五角场街道",
                "殷行街道",
                "新江湾城街道",
                "目标 >= 70.0%",
                "单元内无设施",
            ],
        ),
        ("whatif", &["方案前后对比", "图书馆", "+25.0 个百分点"]),
        (
            "whatif_map_library",
            &["图书馆：方案新增覆盖范围", "新增覆盖"],
        ),
        ("recommend", &["选址建议", "新增设施数量", "覆盖率 87.0%"]),
    ];
    for (name, needles) in expect {
        let c = set.charts.iter().find(|c| c.name == name).unwrap();
        let (_, text) = svg_text(&c.svg);
        for n in needles {
            assert!(text.contains(n), "{name}: {n:?} not in SVG text:\n{text}");
        }
    }
    // Scale bar: a round length in metres.
    let map = set.charts.iter().find(|c| c.name == "map_library").unwrap();
    let text = svg_text(&map.svg).1;
    assert!(
        text.lines()
            .any(|l| ["100 m", "200 m", "250 m", "500 m"].contains(&l.trim())),
        "no scale bar label in {text}"
    );
    for c in &set.charts {
        let (title, _) = svg_text(&c.svg);
        assert_eq!(title, c.title, "{}", c.name);
        assert!(
            c.svg
                .contains("font-family=\"learncircle-cjk, &apos;Noto Sans CJK SC&apos;")
        );
        let png = c.png.as_ref().unwrap();
        let (w, h, buf, ch) = decode_png(png);
        assert_eq!((w, h), (c.width, c.height), "{}", c.name);
        let var = grey_variance(&buf, ch);
        assert!(
            var > 100.0,
            "{}: PNG nearly uniform (variance {var})",
            c.name
        );
        match c.kind {
            ChartKind::CoverageMap | ChartKind::WhatIfMap => {
                assert_eq!((w, h), charts::coverage_map::SIZE);
            }
            ChartKind::Cumulative => assert_eq!((w, h), charts::cumulative::SIZE),
            ChartKind::UnitBars => {
                assert_eq!(
                    (w, h),
                    (charts::unit_bars::WIDTH, charts::unit_bars::height_for(3))
                );
            }
            ChartKind::LevelBars => assert_eq!(w, charts::unit_bars::WIDTH),
            ChartKind::WhatIfBars => assert_eq!((w, h), charts::whatif::SIZE),
            ChartKind::Recommend => assert_eq!((w, h), charts::recommend::SIZE),
        }
    }
}

#[test]
fn charts_are_deterministic_and_english_works() {
    let run = RunDir::load(fixture()).unwrap();
    let opts = ChartOptions {
        lang: Lang::En,
        png: true,
    };
    let a = charts::render_all(&run, opts).unwrap();
    let b = charts::render_all(&run, opts).unwrap();
    for (x, y) in a.charts.iter().zip(&b.charts) {
        assert!(x.svg == y.svg, "{}: SVG differs between renderings", x.name);
        assert!(x.png == y.png, "{}: PNG differs between renderings", x.name);
    }
    let map = a.charts.iter().find(|c| c.name == "map_library").unwrap();
    assert_eq!(map.title, "Library: walking time to the nearest site");
    let (_, text) = svg_text(&map.svg);
    assert!(
        text.contains("≤ 5 min") && text.contains("gap zones (2)"),
        "{text}"
    );
    // Unit names stay Chinese in English charts.
    let units = a.charts.iter().find(|c| c.name == "units_library").unwrap();
    assert!(svg_text(&units.svg).1.contains("五角场街道"));
}

#[test]
fn missing_glyphs_are_question_marks_with_a_warning() {
    let mut run = RunDir::load(fixture()).unwrap();
    run.units[0].unit_name = "五角场街道\u{2A6A5}".into();
    let set = render_zh(&run, true);
    assert!(
        set.warnings
            .iter()
            .any(|w| w.contains("U+2A6A5") && w.contains("units_library")),
        "{:?}",
        set.warnings
    );
    let units = set
        .charts
        .iter()
        .find(|c| c.name == "units_library")
        .unwrap();
    assert!(
        svg_text(&units.svg).1.contains("五角场街道\u{2A6A5}"),
        "SVG keeps the text"
    );
}

#[test]
fn optional_files_only_add_charts() {
    // A bare run: only the files `coverage` writes.
    let tmp = tempfile::tempdir().unwrap();
    let run_dir = tmp.path().join("run");
    run_coverage(&inputs(tmp.path(), &run_dir)).unwrap();
    let run = RunDir::load(&run_dir).unwrap();
    let set = render_zh(&run, false);
    let kinds: Vec<ChartKind> = set.charts.iter().map(|c| c.kind).collect();
    assert_eq!(
        kinds,
        [
            ChartKind::CoverageMap,
            ChartKind::CoverageMap,
            ChartKind::CoverageMap,
            ChartKind::Cumulative
        ]
    );
    assert!(set.charts.iter().all(|c| c.png.is_none()));
    // Without cells.csv the values come from cells.geojson.
    std::fs::remove_file(run_dir.join("cells.csv")).unwrap();
    let run = RunDir::load(&run_dir).unwrap();
    let cells = run.cells.as_ref().unwrap();
    assert_eq!(cells.len(), COLS * ROWS);
    assert!(cells.walk_min("library").is_some() && cells.elderly.is_some());
    // Not a run directory.
    let err = RunDir::load(tmp.path()).unwrap_err();
    assert!(err.to_string().contains("summary.json"), "{err}");
}

#[test]
fn polygon_cells_are_drawn_as_their_shapes() {
    let tmp = tempfile::tempdir().unwrap();
    let mut opts = inputs(tmp.path(), &tmp.path().join("run"));
    let mut features = Vec::new();
    for j in 0..4 {
        for i in 0..5 {
            features.push(format!(
                "{{\"type\":\"Feature\",\"geometry\":{{\"type\":\"Polygon\",\"coordinates\":[{}]}},\
                 \"properties\":{{\"cell_id\":\"p{i}{j}\",\"population\":{}}}}}",
                gap_ring(i + 4, j + 3, i + 4, j + 3),
                100 + i * 10 + j
            ));
        }
    }
    opts.population = write(
        tmp.path(),
        "cells.geojson",
        &format!(
            "{{\"type\":\"FeatureCollection\",\"features\":[{}]}}",
            features.join(",")
        ),
    );
    run_coverage(&opts).unwrap();
    let run = RunDir::load(&opts.out).unwrap();
    let cells = run.cells.as_ref().unwrap();
    assert_eq!(cells.len(), 20);
    let shapes = cells
        .polygons
        .as_ref()
        .expect("polygon shapes read from cells.geojson");
    assert!(shapes.iter().all(Option::is_some));
    let set = render_zh(&run, true);
    let map = set.charts.iter().find(|c| c.name == "map_library").unwrap();
    assert!(
        map.svg.matches("<polygon").count() >= 20,
        "cells drawn as polygons"
    );
    assert!(map.svg.contains("class=\"lc-map\""));
}

#[test]
fn report_needs_only_the_run_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let run = build_fixture(tmp.path());
    std::fs::remove_dir_all(tmp.path().join("inputs")).unwrap();
    let out = Command::new(bin())
        .args(["report", "--run"])
        .arg(&run)
        .args(["--lang", "en", "--quiet"])
        .env("SOURCE_DATE_EPOCH", "1795564800")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "quiet: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = std::fs::read_to_string(run.join("report.html")).unwrap();
    for needle in [
        "<html lang=\"en\">",
        "Walking access to learning sites",
        "generated 2026-11-25 00:00 UTC",
        "Coverage by category",
        "Library",
        "五角场街道",
        "Targets",
        "Gap zones",
        "Recommended new sites",
        "What-if: before and after",
        "Methodology",
        "APPROXIMATION: straight-line distance × circuity 1.30",
        "local transverse Mercator (tmerc",
        "© OpenStreetMap contributors",
        "@font-face { font-family: learncircle-cjk; src: url(data:font/otf;base64,",
    ] {
        assert!(page.contains(needle), "report lacks {needle:?}");
    }
    assert_eq!(page.matches("<svg").count(), 10, "every chart inline");
    for bad in ["src=\"http", "href=\"http", "url(http", "<script"] {
        assert!(!page.contains(bad), "report references {bad}");
    }
    for f in [
        "map_library.svg",
        "map_library.png",
        "cumulative.svg",
        "recommend.png",
    ] {
        assert!(run.join("charts").join(f).is_file(), "{f}");
    }
    // Same run, same date → same report.
    let first = page;
    let out = Command::new(bin())
        .args(["report", "--run"])
        .arg(&run)
        .args(["--lang", "en", "-q", "--out"])
        .arg(tmp.path().join("again.html"))
        .env("SOURCE_DATE_EPOCH", "1795564800")
        .status()
        .unwrap();
    assert!(out.success());
    assert!(tmp.path().join("charts/map_library.svg").is_file());
    let again = std::fs::read_to_string(tmp.path().join("again.html")).unwrap();
    assert!(first == again, "report is not reproducible");
    if let Some(keep) = std::env::var_os("LEARNCIRCLE_TEST_KEEP") {
        let keep = PathBuf::from(keep);
        std::fs::create_dir_all(&keep).unwrap();
        let _ = Command::new("cp").arg("-r").arg(&run).arg(&keep).status();
    }
}

#[test]
fn report_flag_and_errors_through_the_binary() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let o = inputs(tmp.path(), &run);
    let out = Command::new(bin())
        .arg("coverage")
        .arg("--sites")
        .arg(&o.sites)
        .arg("--population")
        .arg(&o.population)
        .arg("--config")
        .arg(tmp.path().join("inputs/learncircle.toml"))
        .arg("--out")
        .arg(&run)
        .args(["--report", "--quiet"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = std::fs::read_to_string(run.join("report.html")).unwrap();
    assert!(page.contains("<html lang=\"zh-CN\">") && page.contains("学习圈步行可达性报告"));
    assert!(page.contains("图书馆") && page.contains("方法说明"));
    // Not a run directory: exit 2 and a clear message.
    let out = Command::new(bin())
        .args(["report", "--run"])
        .arg(tmp.path().join("inputs"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("summary.json"), "{err}");
    let out = Command::new(bin())
        .args(["report", "--lang", "fr", "--run"])
        .arg(&run)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

// ---------------------------------------------------------------- Chromium

struct Shot {
    png: Vec<u8>,
    console_errors: Vec<String>,
}

/// Load `page` in headless Chromium and take a 1280×2000 screenshot.
fn screenshot(chromium: &Path, page: &Path, work: &Path) -> Shot {
    let shot = work.join("shot.png");
    let profile = work.join("profile");
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1280,2000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut std::io::BufReader::new(stderr), &mut s);
        s
    });
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            panic!("chromium did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let log = reader.join().unwrap();
    let console_errors = log
        .lines()
        .filter(|l| {
            (l.contains(":CONSOLE")
                && (l.contains("ERROR") || l.contains("Error") || l.contains("Uncaught")))
                || l.contains("Uncaught")
                || l.contains("Failed to load resource")
                || l.contains("Not allowed to load local resource")
        })
        .map(str::to_owned)
        .collect();
    let png = std::fs::read(&shot)
        .unwrap_or_else(|e| panic!("no screenshot ({e}); chromium said:\n{log}"));
    Shot {
        png,
        console_errors,
    }
}

#[test]
fn report_renders_in_headless_chromium() {
    let Some(chromium) = chromium_or_skip("report_renders_in_headless_chromium") else {
        return;
    };
    let run = fixture();
    let work = tempfile::tempdir().unwrap();
    let page = work.path().join("report.html");
    html::write_report(
        run,
        &html::ReportOptions {
            lang: Lang::Zh,
            out: Some(page.clone()),
        },
    )
    .unwrap();
    let shot = screenshot(&chromium, &page, work.path());
    assert!(
        shot.console_errors.is_empty(),
        "console errors: {:#?}",
        shot.console_errors
    );
    let (w, h, buf, ch) = decode_png(&shot.png);
    assert_eq!((w, h), (1280, 2000));
    let var = grey_variance(&buf, ch);
    assert!(var > 200.0, "screenshot looks blank (grey variance {var})");
}

#[test]
fn console_errors_are_detected() {
    // The detector must see an error when there is one, or the test above proves nothing.
    let Some(chromium) = chromium_or_skip("console_errors_are_detected") else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let page = work.path().join("bad.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><body><p>x</p><script>undefinedFunction();</script></body></html>",
    )
    .unwrap();
    let shot = screenshot(&chromium, &page, work.path());
    assert!(
        !shot.console_errors.is_empty(),
        "an uncaught error went unnoticed"
    );
}
