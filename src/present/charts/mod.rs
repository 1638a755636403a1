//! Charts of a finished run, drawn with plotters as SVG and PNG.
//!
//! Charts read a run directory through [`RunDir`] and never recompute coverage.
//! Each chart is present only when the files it needs exist:
//!
//! | chart | file stem | needs |
//! | --- | --- | --- |
//! | [`coverage_map`]: walking-time tiers, sites, gap outlines (over the network and unit boundaries, [`context`]) | `map_<category>` | `cells.csv` or `cells.geojson` (+ `units.geojson`, the run's graph) |
//! | [`cumulative`]: population-weighted walking-time curve | `cumulative` | cells |
//! | [`unit_bars`]: coverage per unit, target line | `units_<category>` | `units.csv` (+ `targets.csv`) |
//! | [`whatif`]: before/after shares | `whatif` | `summary.json` → `whatif` |
//! | [`whatif_map`]: cells newly covered | `whatif_map_<category>` | `<cat>_covered_before` columns |
//! | [`recommend`]: residents gained vs new sites | `recommend` | `recommend.csv` |
//!
//! Text uses the embedded CJK font ([`font`]), so PNGs look the same on every
//! machine; SVGs are byte-identical for the same run directory and language.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use plotters::coord::Shift;
use plotters::prelude::*;

pub mod context;
pub mod coverage_map;
pub mod cumulative;
pub mod font;
pub mod frame;
pub mod label;
pub mod recommend;
pub mod run;
pub mod style;
pub mod unit_bars;
pub mod whatif;
pub mod whatif_map;
pub mod xy;

pub use run::RunDir;

/// Label language of charts and report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    /// Simplified Chinese.
    #[default]
    Zh,
    /// English.
    En,
}

impl FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "zh" | "zh-cn" | "zh_cn" | "cn" | "chinese" => Ok(Self::Zh),
            "en" | "english" => Ok(Self::En),
            other => Err(format!("unknown language {other:?}: use zh or en")),
        }
    }
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Zh => "zh",
            Self::En => "en",
        })
    }
}

/// Errors while reading a run directory or drawing and writing charts.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChartError {
    /// The directory is not a finished run.
    #[error("{path}: not a learncircle run directory: {reason}")]
    NotARun {
        /// The directory.
        path: PathBuf,
        /// What is missing.
        reason: String,
    },
    /// A file exists but cannot be read.
    #[error("{path}: cannot read: {reason}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        reason: String,
    },
    /// A file's content is malformed.
    #[error("{path}: {location}: {reason}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Line, feature or key.
        location: String,
        /// What is wrong.
        reason: String,
    },
    /// A required column is missing.
    #[error("{path}: missing column {column:?}")]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column.
        column: String,
    },
    /// The chart font cannot be loaded.
    #[error("chart font: {reason}")]
    Font {
        /// Why.
        reason: String,
    },
    /// plotters failed while drawing.
    #[error("chart {chart}: drawing failed: {reason}")]
    Draw {
        /// Chart file stem.
        chart: String,
        /// The backend's message.
        reason: String,
    },
    /// A chart file cannot be written.
    #[error("{path}: cannot write: {reason}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        reason: String,
    },
}

/// Which chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChartKind {
    /// Walking-time map of one category.
    CoverageMap,
    /// Cumulative walking-time curve.
    Cumulative,
    /// Coverage per unit of one category.
    UnitBars,
    /// Coverage per unit of one named level (`units_<level>.csv`) of one category.
    LevelBars,
    /// What-if before/after bars.
    WhatIfBars,
    /// What-if map of one category.
    WhatIfMap,
    /// Recommendation curve.
    Recommend,
}

/// One rendered chart.
#[derive(Clone, Debug)]
pub struct Chart {
    /// Which chart.
    pub kind: ChartKind,
    /// Category, for per-category charts.
    pub category: Option<String>,
    /// Named unit level, for the level charts.
    pub level: Option<String>,
    /// File stem (`map_library`, `cumulative`, …).
    pub name: String,
    /// Title (also the SVG `<title>`).
    pub title: String,
    /// Width, pixels.
    pub width: u32,
    /// Height, pixels.
    pub height: u32,
    /// SVG document.
    pub svg: String,
    /// PNG file, when requested.
    pub png: Option<Vec<u8>>,
}

/// What to render.
#[derive(Clone, Copy, Debug)]
pub struct ChartOptions {
    /// Label language.
    pub lang: Lang,
    /// Also render PNGs (SVG is always rendered).
    pub png: bool,
}

impl Default for ChartOptions {
    fn default() -> Self {
        Self {
            lang: Lang::Zh,
            png: true,
        }
    }
}

/// The charts of a run, in report order, plus warnings (missing glyphs, skipped
/// charts).
#[derive(Clone, Debug, Default)]
pub struct ChartSet {
    /// Charts.
    pub charts: Vec<Chart>,
    /// Warnings for the user.
    pub warnings: Vec<String>,
}

impl ChartSet {
    /// Charts of one kind.
    pub fn of(&self, kind: ChartKind) -> impl Iterator<Item = &Chart> {
        self.charts.iter().filter(move |c| c.kind == kind)
    }
}

/// A drawable chart.
pub trait Draw {
    /// The chart's title (also the SVG's `<title>` and the report's caption).
    fn title(&self, lang: Lang) -> String;
    /// Canvas size, pixels.
    fn size(&self) -> (u32, u32);
    /// Draw on `root` (already filled white).
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        t: &style::Text,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>>;
}

fn draw_err(chart: &str, e: &impl std::fmt::Display) -> ChartError {
    ChartError::Draw {
        chart: chart.to_owned(),
        reason: e.to_string(),
    }
}

/// XML text or attribute value: `<>&'"` (and `\r`) as entities, by quick-xml.
fn xml_escape(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

/// Encode an RGB buffer as PNG (deterministic: fixed settings, no timestamps).
fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Default);
        let mut writer = enc.write_header().map_err(|e| e.to_string())?;
        writer.write_image_data(rgb).map_err(|e| e.to_string())?;
        writer.finish().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

fn missing_warning(name: &str, missing: &std::collections::BTreeSet<char>) -> String {
    let list: Vec<String> = missing
        .iter()
        .take(12)
        .map(|c| format!("{c} (U+{:04X})", u32::from(*c)))
        .collect();
    format!(
        "chart {name}: the chart font has no glyph for {}{}; drawn as '?' in the PNG (the SVG keeps the text). \
         Set {}=/path/to/a/full/CJK/font.otf to draw them",
        list.join(", "),
        if missing.len() > 12 { ", …" } else { "" },
        font::FONT_ENV
    )
}

/// Where a chart belongs: its kind, its category and unit level (if any) and its
/// file name without extension.
pub(crate) struct Slot<'a> {
    kind: ChartKind,
    category: Option<&'a str>,
    level: Option<&'a str>,
    name: String,
}

/// A chart of `kind`, of `category` if any, in the file `name` (no unit level).
fn slot(kind: ChartKind, category: Option<&str>, name: impl Into<String>) -> Slot<'_> {
    Slot {
        kind,
        category,
        level: None,
        name: name.into(),
    }
}

/// Render one chart as SVG (and PNG), titled by the chart itself.
pub(crate) fn render<C: Draw>(
    chart: &C,
    slot: Slot<'_>,
    opts: ChartOptions,
    warnings: &mut Vec<String>,
) -> Result<Chart, ChartError> {
    font::ensure_registered()?;
    let Slot {
        kind,
        category,
        level,
        name,
    } = slot;
    let name = name.as_str();
    let title = chart.title(opts.lang);
    let (w, h) = chart.size();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| draw_err(name, &e))?;
        let t = style::Text::new(opts.lang, false);
        chart.draw(&root, &t).map_err(|e| draw_err(name, &e))?;
        root.present().map_err(|e| draw_err(name, &e))?;
    }
    if let Some(end) = svg
        .find("<svg")
        .and_then(|s| svg[s..].find('>').map(|e| s + e + 1))
    {
        let mut head = format!("\n<title>{}</title>", xml_escape(&title));
        if matches!(kind, ChartKind::CoverageMap | ChartKind::WhatIfMap) {
            // Adjacent cells must not show anti-aliasing seams. Scoped by a class
            // because the report inlines every chart into one document.
            let class = " class=\"lc-map\"";
            head.push_str(
                "\n<style>svg.lc-map rect, svg.lc-map polygon \
                 { shape-rendering: crispEdges; }</style>",
            );
            svg.insert_str(end - 1, class);
            svg.insert_str(end + class.len(), &head);
        } else {
            svg.insert_str(end, &head);
        }
    }
    let png = if opts.png {
        let mut buf = vec![255u8; (w as usize) * (h as usize) * 3];
        let t = style::Text::new(opts.lang, true);
        {
            let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
            root.fill(&WHITE).map_err(|e| draw_err(name, &e))?;
            chart.draw(&root, &t).map_err(|e| draw_err(name, &e))?;
            root.present().map_err(|e| draw_err(name, &e))?;
        }
        let missing = t.missing();
        if !missing.is_empty() {
            warnings.push(missing_warning(name, &missing));
        }
        Some(encode_png(&buf, w, h).map_err(|e| draw_err(name, &e))?)
    } else {
        None
    };
    Ok(Chart {
        kind,
        category: category.map(str::to_owned),
        level: level.map(str::to_owned),
        name: name.to_owned(),
        title,
        width: w,
        height: h,
        svg,
        png,
    })
}

/// File-name-safe form of a category name.
#[must_use]
pub fn file_stem(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Render every chart the run directory supports, in report order.
///
/// # Errors
/// When the font cannot be loaded or plotters fails.
pub fn render_all(run: &RunDir, opts: ChartOptions) -> Result<ChartSet, ChartError> {
    render_all_with(run, opts, None)
}

/// [`render_all`] with the run's walking network drawn on the maps (see
/// [`context`]); `None` draws them without it.
///
/// # Errors
/// When the font cannot be loaded or plotters fails.
pub fn render_all_with(
    run: &RunDir,
    opts: ChartOptions,
    network: Option<&context::Network>,
) -> Result<ChartSet, ChartError> {
    let mut set = ChartSet::default();
    let w = &mut set.warnings;
    let mut charts = Vec::new();
    let base = coverage_map::MapBase::with_network(run, network);
    let categories = &run.summary.categories;
    if let Some(base) = &base {
        for (i, cat) in categories.iter().enumerate() {
            if base.cells.walk_min(&cat.name).is_none() {
                w.push(format!(
                    "cells have no {}_walk_min column: no map for {}",
                    cat.name, cat.name
                ));
                continue;
            }
            let c = coverage_map::CoverageMap::new(run, base, i);
            let at = slot(
                ChartKind::CoverageMap,
                Some(&cat.name),
                format!("map_{}", file_stem(&cat.name)),
            );
            charts.push(render(&c, at, opts, w)?);
        }
        if let Some(c) = cumulative::Cumulative::new(run) {
            charts.push(render(
                &c,
                slot(ChartKind::Cumulative, None, "cumulative"),
                opts,
                w,
            )?);
        }
    }
    for (i, cat) in categories.iter().enumerate() {
        if let Some(c) = unit_bars::UnitBars::new(run, i) {
            let at = slot(
                ChartKind::UnitBars,
                Some(&cat.name),
                format!("units_{}", file_stem(&cat.name)),
            );
            charts.push(render(&c, at, opts, w)?);
        }
    }
    for level in &run.levels {
        for (i, cat) in categories.iter().enumerate() {
            if let Some(c) = unit_bars::UnitBars::of_level(run, i, level) {
                let name = format!("units_{}_{}", file_stem(&level.level), file_stem(&cat.name));
                let at = Slot {
                    level: Some(&level.level),
                    ..slot(ChartKind::LevelBars, Some(&cat.name), name)
                };
                charts.push(render(&c, at, opts, w)?);
            }
        }
    }
    if let Some(c) = whatif::WhatIfBars::new(run) {
        charts.push(render(
            &c,
            slot(ChartKind::WhatIfBars, None, "whatif"),
            opts,
            w,
        )?);
    }
    if let Some(base) = &base {
        for (i, cat) in categories.iter().enumerate() {
            if let Some(c) = whatif_map::WhatIfMap::new(run, base, i) {
                let name = format!("whatif_map_{}", file_stem(&cat.name));
                let at = slot(ChartKind::WhatIfMap, Some(&cat.name), name);
                charts.push(render(&c, at, opts, w)?);
            }
        }
    }
    if let Some(c) = recommend::RecommendCurve::new(run) {
        charts.push(render(
            &c,
            slot(ChartKind::Recommend, None, "recommend"),
            opts,
            w,
        )?);
    }
    set.charts = charts;
    Ok(set)
}

/// Write each chart as `<dir>/<name>.svg` (and `.png`), each file atomically.
///
/// # Errors
/// When the directory cannot be created or a file cannot be written.
pub fn write_charts(set: &ChartSet, dir: &Path) -> Result<Vec<PathBuf>, ChartError> {
    let werr = |path: &Path, e: &dyn std::fmt::Display| ChartError::Write {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(|e| werr(dir, &e))?;
    let mut written = Vec::new();
    for c in &set.charts {
        let p = dir.join(format!("{}.svg", c.name));
        crate::export::write_file_atomic(&p, |w| w.write_all(c.svg.as_bytes()))
            .map_err(|e| werr(&p, &e))?;
        written.push(p);
        if let Some(png) = &c.png {
            let p = dir.join(format!("{}.png", c.name));
            crate::export::write_file_atomic(&p, |w| w.write_all(png)).map_err(|e| werr(&p, &e))?;
            written.push(p);
        }
    }
    Ok(written)
}

/// Read `run_dir`, render every chart and write them into `out_dir`.
///
/// # Errors
/// See [`RunDir::load`], [`render_all`] and [`write_charts`].
pub fn charts_for_run(
    run_dir: &Path,
    out_dir: &Path,
    opts: ChartOptions,
) -> Result<(ChartSet, Vec<PathBuf>), ChartError> {
    let run = RunDir::load(run_dir)?;
    let set = render_all(&run, opts)?;
    let written = write_charts(&set, out_dir)?;
    Ok((set, written))
}
