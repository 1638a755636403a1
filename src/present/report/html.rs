//! `report.html`: one self-contained page per finished run — charts inlined as
//! SVG (large maps as PNG), tables per category, unit, target, gap and
//! recommendation, methodology and data provenance — in Chinese or English.
//!
//! The page has no external references (the chart font is embedded as a data
//! URL, there is no script), so it opens offline in any browser. It is built
//! only from the run directory's files ([`RunDir`]); nothing is recomputed, so
//! it can be regenerated after the inputs are gone.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;

use crate::base::progress::Progress;
use crate::config::Layer;
use crate::present::charts::{
    self, Chart, ChartError, ChartKind, ChartOptions, ChartSet, Lang, RunDir, coverage_map, font,
    style,
};
use crate::present::report::{CategorySummary, LevelSummary, fmt_count};

/// Charts whose SVG is larger than this are inlined as PNG instead (maps of
/// fine or irregular grids), so the page stays light.
pub const INLINE_SVG_MAX_BYTES: usize = 1_500_000;

/// Table rows shown per long table (units, gaps, recommendations).
pub const MAX_TABLE_ROWS: usize = 300;

/// Errors while building or writing the report.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// Reading the run or drawing a chart failed.
    #[error(transparent)]
    Chart(#[from] ChartError),
    /// The report cannot be written.
    #[error("{path}: cannot write the report: {reason}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// Options of `learncircle report`.
#[derive(Clone, Debug, Default)]
pub struct ReportOptions {
    /// Language of labels and text.
    pub lang: Lang,
    /// Report file (default: `<run>/report.html`); charts go to `charts/` beside it.
    pub out: Option<PathBuf>,
}

/// What `write_report` produced.
#[derive(Clone, Debug)]
pub struct ReportOutcome {
    /// The report file.
    pub report: PathBuf,
    /// The learning map (`map.html` beside the report).
    pub map: PathBuf,
    /// How long each part took (for `--timings`).
    pub timings: Vec<crate::base::timing::StageTiming>,
    /// Chart files (SVG and PNG) written beside it.
    pub charts: Vec<PathBuf>,
    /// Warnings (missing glyphs, …).
    pub warnings: Vec<String>,
}

/// Read `run_dir`, draw its charts, and write `report.html` and `charts/`.
///
/// # Errors
/// When the run directory is unreadable, a chart fails, or a file cannot be
/// written (each file is written atomically).
pub fn write_report(run_dir: &Path, opts: &ReportOptions) -> Result<ReportOutcome, ReportError> {
    write_report_with(run_dir, opts, None)
}

/// [`write_report`] with the run's walking network drawn on the maps (the
/// commands that computed the run hand their graph down; `report --run DIR`
/// has none).
///
/// # Errors
/// As [`write_report`].
pub fn write_report_with(
    run_dir: &Path,
    opts: &ReportOptions,
    network: Option<&charts::context::Network>,
) -> Result<ReportOutcome, ReportError> {
    write_report_and_map(run_dir, opts, network, None)
}

/// [`write_report_with`] that also hands the run's engine to the learning map
/// (`map.html` beside the report: streets and routes; without an engine the map
/// has cells, sites, units and gaps only).
///
/// # Errors
/// As [`write_report`].
pub fn write_report_and_map(
    run_dir: &Path,
    opts: &ReportOptions,
    network: Option<&charts::context::Network>,
    engine: Option<&crate::present::map::RunEngine<'_>>,
) -> Result<ReportOutcome, ReportError> {
    let mut timer = crate::base::timing::Timer::new();
    let stage = Progress::stage("reading the run directory");
    let run = RunDir::load(run_dir)?;
    timer.stage("report: read the run");
    stage.finish();
    let stage = Progress::stage("drawing charts");
    let set = charts::render_all_with(
        &run,
        ChartOptions {
            lang: opts.lang,
            png: true,
        },
        network,
    )?;
    stage.finish();
    let report = opts
        .out
        .clone()
        .unwrap_or_else(|| run_dir.join("report.html"));
    let dir = match report.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let stage = Progress::stage("writing report");
    timer.stage("report: draw charts");
    let written = charts::write_charts(&set, &dir.join("charts"))?;
    let html = render_html(&run, &set, opts.lang, &generated_at())?;
    crate::export::write_file_atomic(&report, |w| w.write_all(html.as_bytes())).map_err(|e| {
        ReportError::Write {
            path: report.clone(),
            reason: e.to_string(),
        }
    })?;
    stage.finish();
    timer.stage("report: write charts, report");
    let stage = Progress::stage("writing the learning map");
    let map_file = dir.join("map.html");
    let page = crate::present::map::render_map(&run, engine, opts.lang)?;
    crate::export::write_file_atomic(&map_file, |w| w.write_all(page.html.as_bytes())).map_err(
        |e| ReportError::Write {
            path: map_file.clone(),
            reason: e.to_string(),
        },
    )?;
    stage.finish();
    timer.stage("report: map.html");
    let mut warnings = set.warnings;
    warnings.extend(page.warnings);
    Ok(ReportOutcome {
        report,
        map: map_file,
        charts: written,
        warnings,
        timings: timer.finish(),
    })
}

/// `YYYY-MM-DD HH:MM UTC` of now, or of `SOURCE_DATE_EPOCH` when set (for
/// reproducible reports).
#[must_use]
pub fn generated_at() -> String {
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
        });
    utc_datetime(secs)
}

/// Format Unix seconds as `YYYY-MM-DD HH:MM UTC` (proleptic Gregorian).
#[must_use]
pub fn utc_datetime(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60
    )
}

/// Escape text for HTML.
#[must_use]
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn tr(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

fn pct(v: f64) -> String {
    style::pct(v)
}

fn opt_pct(v: Option<f64>) -> String {
    v.filter(|v| v.is_finite()).map_or_else(|| "–".into(), pct)
}

fn opt_count(v: Option<f64>) -> String {
    v.filter(|v| v.is_finite())
        .map_or_else(|| "–".into(), fmt_count)
}

const CSS: &str = r"
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f4f5f7; color: #222; font: 15px/1.6 FONTS; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; background: #fff; }
h1 { font-size: 30px; margin: 8px 0 4px; }
h2 { font-size: 22px; margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 2px solid #1f5f9e; }
h3 { font-size: 18px; margin: 22px 0 8px; }
p.meta { color: #666; margin: 0 0 16px; }
.kpis { display: flex; flex-wrap: wrap; gap: 12px; margin: 18px 0; }
.kpi { flex: 1 1 200px; border: 1px solid #dde3ea; border-radius: 6px; padding: 10px 14px; background: #f8fafc; }
.kpi b { display: block; font-size: 24px; color: #1f5f9e; }
.kpi span { color: #555; font-size: 13px; }
.notice { border-left: 4px solid #e07b14; background: #fff7ec; padding: 8px 14px; margin: 14px 0; }
.notice ul { margin: 4px 0; padding-left: 20px; }
table { border-collapse: collapse; width: 100%; margin: 10px 0 18px; font-size: 14px; }
th, td { border-bottom: 1px solid #e3e6ea; padding: 5px 8px; text-align: right; vertical-align: top; }
th { background: #eef2f6; font-weight: 600; }
th:first-child, td:first-child, td.text, th.text { text-align: left; }
tbody tr:nth-child(even) { background: #fafbfc; }
tr.total td { font-weight: 600; border-top: 2px solid #c9d1da; }
.pass { color: #1a7f37; font-weight: 600; }
.fail { color: #c0392b; font-weight: 600; }
figure { margin: 16px 0 26px; border: 1px solid #e3e6ea; border-radius: 6px; padding: 8px; background: #fff; }
figure svg, figure img { display: block; width: 100%; height: auto; }
figcaption { color: #555; font-size: 13px; padding: 6px 4px 0; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; margin: 8px 0 16px; }
dt { color: #555; }
dd { margin: 0; }
code { font-family: FONTS; background: #f1f3f5; padding: 0 4px; border-radius: 3px; }
footer { margin-top: 40px; color: #777; font-size: 13px; border-top: 1px solid #e3e6ea; padding-top: 10px; }
@media print { body { background: #fff; } main { padding: 0; } figure { break-inside: avoid; } }
";

struct Page<'a> {
    out: String,
    lang: Lang,
    run: &'a RunDir,
}

impl Page<'_> {
    fn t(&self, zh: &'static str, en: &'static str) -> &'static str {
        tr(self.lang, zh, en)
    }

    fn label(&self, c: &CategorySummary) -> String {
        style::category_label(c, self.lang)
    }

    fn category_label(&self, name: &str) -> String {
        self.run
            .summary
            .categories
            .iter()
            .find(|c| c.name == name)
            .map_or_else(|| name.to_owned(), |c| self.label(c))
    }

    fn h2(&mut self, id: &str, text: &str) {
        let _ = writeln!(self.out, "<h2 id=\"{id}\">{}</h2>", esc(text));
    }

    fn p(&mut self, text: &str) {
        let _ = writeln!(self.out, "<p>{}</p>", esc(text));
    }

    fn figure(&mut self, chart: &Chart) {
        let inline_png = chart.svg.len() > INLINE_SVG_MAX_BYTES;
        self.out.push_str("<figure>\n");
        match (&chart.png, inline_png) {
            (Some(png), true) => {
                let b64 = base64::engine::general_purpose::STANDARD.encode(png);
                let _ = writeln!(
                    self.out,
                    "<img alt=\"{}\" width=\"{}\" height=\"{}\" src=\"data:image/png;base64,{b64}\">",
                    esc(&chart.title),
                    chart.width,
                    chart.height
                );
            }
            _ => {
                let svg = chart.svg.trim_start();
                let svg = svg
                    .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
                    .unwrap_or(svg);
                self.out.push_str(svg.trim());
                self.out.push('\n');
            }
        }
        let _ = writeln!(
            self.out,
            "<figcaption>{} <code>charts/{}.svg</code> · <code>charts/{}.png</code></figcaption>\n</figure>",
            esc(&chart.title),
            esc(&chart.name),
            esc(&chart.name)
        );
    }

    fn table(&mut self, head: &[&str], rows: &[Vec<String>], text_cols: &[usize]) {
        self.table_with_total(head, rows, text_cols, false);
    }

    /// A table; `total_last` styles the last row as a total.
    fn table_with_total(
        &mut self,
        head: &[&str],
        rows: &[Vec<String>],
        text_cols: &[usize],
        total_last: bool,
    ) {
        self.out.push_str("<table>\n<thead><tr>");
        for (i, h) in head.iter().enumerate() {
            let class = if text_cols.contains(&i) {
                " class=\"text\""
            } else {
                ""
            };
            let _ = write!(self.out, "<th{class}>{}</th>", esc(h));
        }
        self.out.push_str("</tr></thead>\n<tbody>\n");
        for (k, r) in rows.iter().enumerate() {
            if total_last && k + 1 == rows.len() {
                self.out.push_str("<tr class=\"total\">");
            } else {
                self.out.push_str("<tr>");
            }
            for (i, v) in r.iter().enumerate() {
                let class = if text_cols.contains(&i) {
                    " class=\"text\""
                } else {
                    ""
                };
                // Cells are escaped by the callers that build them (some carry markup).
                let _ = write!(self.out, "<td{class}>{v}</td>");
            }
            self.out.push_str("</tr>\n");
        }
        self.out.push_str("</tbody>\n</table>\n");
    }
}

fn layer_words(layer: Layer, lang: Lang) -> &'static str {
    coverage_map::layer_words(layer, lang)
}

/// Build the report page.
///
/// # Errors
/// When the chart font cannot be loaded.
#[allow(clippy::too_many_lines)]
pub fn render_html(
    run: &RunDir,
    charts: &ChartSet,
    lang: Lang,
    generated: &str,
) -> Result<String, ReportError> {
    let font_b64 = base64::engine::general_purpose::STANDARD.encode(font::font_bytes()?);
    let mut pg = Page {
        out: String::with_capacity(4 << 20),
        lang,
        run,
    };
    head_section(&mut pg, &font_b64, generated);
    key_figures(&mut pg);
    warnings_section(&mut pg, charts);
    categories_section(&mut pg);
    maps_section(&mut pg, charts);
    units_section(&mut pg, charts);
    levels_section(&mut pg, charts);
    targets_section(&mut pg);
    gaps_section(&mut pg);
    recommend_section(&mut pg, charts);
    whatif_section(&mut pg, charts);
    methodology_section(&mut pg);
    provenance_section(&mut pg)?;

    let _ = writeln!(
        pg.out,
        "<footer>learncircle {} · {} {} · {}</footer>\n</main>\n</body>\n</html>",
        esc(env!("CARGO_PKG_VERSION")),
        pg.t("生成于", "generated"),
        esc(generated),
        esc(pg.t(
            "地图数据与设施 © OpenStreetMap contributors（ODbL）",
            "Map data and sites © OpenStreetMap contributors (ODbL)"
        )),
    );
    Ok(pg.out)
}

/// The document head (title, embedded font, style) and the run line.
fn head_section(pg: &mut Page<'_>, font_b64: &str, generated: &str) {
    let (run, lang) = (pg.run, pg.lang);
    let s = &run.summary;
    let title = pg.t("学习圈步行可达性报告", "Walking access to learning sites");
    let run_name = run.dir.file_name().map_or_else(
        || run.dir.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let fonts = format!(
        "{}, 'PingFang SC', 'Microsoft YaHei', sans-serif",
        font::EMBEDDED_FAMILY
    );
    let _ = write!(
        pg.out,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"learncircle {}\">\n<title>{} — {}</title>\n\
         <link rel=\"icon\" href=\"data:,\">\n<style>\n@font-face {{ font-family: {}; \
         src: url(data:font/otf;base64,{}) format('opentype'); font-display: block; }}\n{}</style>\n</head>\n<body>\n<main>\n",
        match lang {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        },
        env!("CARGO_PKG_VERSION"),
        esc(title),
        esc(&run_name),
        font::EMBEDDED_FAMILY,
        font_b64,
        CSS.replace("FONTS", &fonts)
    );
    let _ = writeln!(pg.out, "<h1>{}</h1>", esc(title));
    let _ = writeln!(
        pg.out,
        "<p class=\"meta\"><a href=\"map.html\">{}</a></p>",
        pg.t(
            "打开交互式学习圈地图（map.html：街道、步行时间、路线）",
            "Open the interactive learning map (map.html: streets, walking times, routes)"
        ),
    );
    let _ = writeln!(
        pg.out,
        "<p class=\"meta\">{} <code>{}</code> · {} {} · learncircle {} ({} {})</p>",
        pg.t("运行目录", "Run directory"),
        esc(&std::fs::canonicalize(&run.dir)
            .unwrap_or_else(|_| run.dir.clone())
            .display()
            .to_string()),
        pg.t("生成于", "generated"),
        esc(generated),
        esc(env!("CARGO_PKG_VERSION")),
        pg.t("运行版本", "run made with"),
        esc(&s.learncircle_version),
    );
}

/// The four key figures and the distance method.
fn key_figures(pg: &mut Page<'_>) {
    let (s, lang) = (&pg.run.summary, pg.lang);
    // Key figures.
    pg.out.push_str("<div class=\"kpis\">\n");
    let kpi = |pg: &mut Page<'_>, value: String, label: &str| {
        let _ = writeln!(
            pg.out,
            "<div class=\"kpi\"><b>{}</b><span>{}</span></div>",
            esc(&value),
            esc(label)
        );
    };
    kpi(
        pg,
        fmt_count(s.overall.population),
        tr(lang, "常住人口（分析范围内）", "residents analysed"),
    );
    kpi(
        pg,
        s.inputs.cells.to_string(),
        tr(lang, "人口格网单元", "population cells"),
    );
    kpi(
        pg,
        s.inputs.sites_used.to_string(),
        tr(lang, "学习设施", "learning sites"),
    );
    kpi(
        pg,
        pct(s.overall.population_share),
        tr(
            lang,
            "居民在各类设施阈值内均可达",
            "residents within reach of every category",
        ),
    );
    pg.out.push_str("</div>\n");
    let method = crate::present::charts::frame::method_short(s, lang);
    pg.p(&match lang {
        Lang::Zh => format!("距离计算：{method}。覆盖指居民所在格网到最近同类设施的步行距离不超过该类设施的阈值；比例均按人口加权。"),
        Lang::En => format!("Distances: {method}. A resident is covered when the walking distance from their cell to the nearest site of the category is within the category's threshold; shares are population-weighted."),
    });
}

/// Run warnings, chart warnings and rejected records.
fn warnings_section(pg: &mut Page<'_>, charts: &ChartSet) {
    let (s, lang) = (&pg.run.summary, pg.lang);
    let mut warnings: Vec<String> = s.warnings.clone();
    warnings.extend(charts.warnings.iter().cloned());
    if s.rejected.total > 0 {
        warnings.push(match lang {
            Lang::Zh => format!("{} 条输入记录被拒绝（见 rejected.csv）", s.rejected.total),
            Lang::En => format!(
                "{} input records were rejected (see rejected.csv)",
                s.rejected.total
            ),
        });
    }
    if !warnings.is_empty() {
        let _ = writeln!(
            pg.out,
            "<div class=\"notice\"><b>{}</b><ul>",
            pg.t("注意", "Warnings")
        );
        for w in &warnings {
            let _ = writeln!(pg.out, "<li>{}</li>", esc(w));
        }
        pg.out.push_str("</ul></div>\n");
    }
}

/// The table of coverage per category, with the all-categories row.
fn categories_section(pg: &mut Page<'_>) {
    let (run, lang) = (pg.run, pg.lang);
    let s = &run.summary;
    // Coverage per category.
    pg.h2("categories", pg.t("各类设施覆盖", "Coverage by category"));
    let head = [
        pg.t("类别", "Category"),
        pg.t("阈值", "Threshold"),
        pg.t("步速", "Speed"),
        pg.t("服务人群", "Serves"),
        pg.t("设施", "Sites"),
        pg.t("覆盖人口", "Residents covered"),
        pg.t("覆盖率", "Share"),
        pg.t("老年人覆盖率", "Elderly share"),
        pg.t("不在路网", "Off network"),
        pg.t("服务缺口", "Gap zones"),
    ];
    let mut rows = Vec::new();
    for c in &s.categories {
        let gaps = c
            .gap_zones
            .or_else(|| {
                (!run.gaps.is_empty())
                    .then(|| run.gaps.iter().filter(|g| g.category == c.name).count())
            })
            .map_or_else(|| "–".into(), |n| n.to_string());
        rows.push(vec![
            format!("{} <code>{}</code>", esc(&pg.label(c)), esc(&c.name)),
            format!(
                "{:.0} m / {:.1} {}",
                c.threshold_m.unwrap_or(f64::NAN),
                c.threshold_min.unwrap_or(f64::NAN),
                pg.t("分钟", "min")
            ),
            c.speed_m_per_s
                .map_or_else(|| "–".into(), |v| format!("{v:.2} m/s")),
            esc(layer_words(c.layer, lang)),
            if c.sites == c.sites_used {
                c.sites.to_string()
            } else {
                format!("{}/{}", c.sites_used, c.sites)
            },
            format!(
                "{} / {}",
                fmt_count(c.population_covered),
                fmt_count(c.population)
            ),
            pct(c.population_share),
            opt_pct(c.elderly_share),
            c.cells_off_network.to_string(),
            gaps,
        ]);
    }
    let o = &s.overall;
    rows.push(vec![
        esc(pg.t("全部类别均覆盖", "All categories")),
        "–".into(),
        "–".into(),
        "–".into(),
        o.sites.to_string(),
        format!(
            "{} / {}",
            fmt_count(o.population_covered),
            fmt_count(o.population)
        ),
        pct(o.population_share),
        opt_pct(o.elderly_share),
        o.cells_off_network.to_string(),
        "–".into(),
    ]);
    pg.table_with_total(&head, &rows, &[0, 3], true);
}

/// Walking-time maps and the cumulative curve.
fn maps_section(pg: &mut Page<'_>, charts: &ChartSet) {
    // Maps and curve.

    let maps: Vec<&Chart> = charts.of(ChartKind::CoverageMap).collect();
    if !maps.is_empty() {
        pg.h2("maps", pg.t("步行时间地图", "Walking-time maps"));
        pg.p(pg.t(
            "格网按到最近同类设施的步行时间着色（≤5、≤10、≤15、>15 分钟，以及搜索范围内无设施）；深蓝圆点为设施，红色轮廓为服务缺口。",
            "Cells are coloured by walking time to the nearest site of the category (≤5, ≤10, ≤15, >15 minutes, and nothing within reach); blue dots are sites, red outlines are gap zones.",
        ));
        for m in maps {
            pg.figure(m);
        }
    }
    if let Some(c) = charts.of(ChartKind::Cumulative).next() {
        pg.h2("curve", pg.t("步行时间分布", "Walking-time distribution"));
        pg.p(pg.t(
            "曲线表示在给定步行时间内能到达最近设施的居民比例（实线：全部人口；虚线：老年人口）。",
            "Each curve gives the share of residents whose nearest site is within the walking time on the x axis (solid: all residents; dashed: elderly).",
        ));
        pg.figure(c);
    }
}

fn units_section(pg: &mut Page<'_>, charts: &ChartSet) {
    let run = pg.run;
    if run.units.is_empty() {
        return;
    }
    pg.h2("units", pg.t("各单元覆盖", "Coverage by unit"));
    for c in charts.of(ChartKind::UnitBars) {
        pg.figure(c);
    }
    let cats: Vec<&CategorySummary> = run
        .summary
        .categories
        .iter()
        .filter(|c| run.units.iter().any(|u| u.categories.contains_key(&c.name)))
        .collect();
    let mut head: Vec<String> = vec![
        pg.t("单元", "Unit").into(),
        pg.t("人口", "Residents").into(),
        pg.t("老年人", "Elderly").into(),
    ];
    for c in &cats {
        head.push(format!("{} {}", pg.label(c), pg.t("覆盖率", "share")));
    }
    head.push(pg.t("全部类别", "All categories").into());
    let rows: Vec<Vec<String>> = run
        .units
        .iter()
        .take(MAX_TABLE_ROWS)
        .map(|u| {
            let mut r = vec![
                format!("{} <code>{}</code>", esc(&u.unit_name), esc(&u.unit_id)),
                opt_count(u.population),
                opt_count(u.elderly),
            ];
            for c in &cats {
                let uc = u.categories.get(&c.name);
                let mut v = opt_pct(uc.and_then(|x| x.share));
                if uc.and_then(|x| x.has_site) == Some(false) {
                    v.push_str(pg.t("（无设施）", " (no site)"));
                }
                r.push(esc(&v));
            }
            r.push(opt_pct(u.covered_all_share));
            r
        })
        .collect();
    let head_ref: Vec<&str> = head.iter().map(String::as_str).collect();
    pg.table(&head_ref, &rows, &[0]);
    if run.units.len() > MAX_TABLE_ROWS {
        pg.p(&match pg.lang {
            Lang::Zh => format!(
                "仅列出前 {MAX_TABLE_ROWS} 个单元，共 {} 个，完整数据见 units.csv。",
                run.units.len()
            ),
            Lang::En => format!(
                "First {MAX_TABLE_ROWS} of {} units; see units.csv for all.",
                run.units.len()
            ),
        });
    }
}

/// Named unit levels (`--units LEVEL=FILE`): an overview, then per level its
/// bound categories and a compact unit table read from `units_<level>.csv`.
fn levels_section(pg: &mut Page<'_>, charts: &ChartSet) {
    let Some(levels) = pg.run.summary.levels.as_ref().filter(|l| !l.is_empty()) else {
        return;
    };
    pg.h2("levels", pg.t("单元层级", "Unit levels"));
    pg.p(pg.t(
        "每个层级的单元单独汇总；上级单元为面积占比最大的上一层级单元，占比低于 99% 的单元为跨界单元。绑定到某一层级的设施类别按该层级的每个单元判断是否有设施。",
        "Each level's units are aggregated on their own; a unit's parent is the unit of the level above holding the largest share of its area, and a unit with less than 99 % in one parent straddles. A category bound to a level is judged per unit of that level.",
    ));
    level_overview(pg, levels);
    for (i, l) in levels.iter().enumerate() {
        let _ = writeln!(
            pg.out,
            "<h3 id=\"level-{}\">{} <code>{}</code></h3>",
            esc(&l.level),
            pg.t("层级", "Level"),
            esc(&l.level)
        );
        level_categories(pg, l);
        for c in charts
            .of(ChartKind::LevelBars)
            .filter(|c| c.level.as_deref() == Some(l.level.as_str()))
        {
            pg.figure(c);
        }
        level_units_table(pg, i, l);
    }
}

/// One row per level: units, source, parent level, residents outside, straddling.
fn level_overview(pg: &mut Page<'_>, levels: &[LevelSummary]) {
    let head = [
        pg.t("层级", "Level"),
        pg.t("单元数", "Units"),
        pg.t("来源文件", "Source file"),
        pg.t("上级层级", "Parent level"),
        pg.t("不在任何单元内的居民", "Residents outside every unit"),
        pg.t(
            "跨界单元（上级单元及面积占比）",
            "Straddling units (parent, area share)",
        ),
    ];
    let rows: Vec<Vec<String>> = levels
        .iter()
        .map(|l| {
            let straddling: Vec<String> = l
                .straddling
                .iter()
                .map(|s| {
                    let parent = if s.parent_id.is_empty() {
                        pg.t("无", "none").to_owned()
                    } else {
                        format!("{} {}", s.parent_id, pct(s.parent_share))
                    };
                    esc(&format!("{} ({parent})", s.unit_id))
                })
                .collect();
            vec![
                format!("<code>{}</code>", esc(&l.level)),
                l.units.count.to_string(),
                esc(&l.units.file),
                if l.parent_level.is_empty() {
                    "–".into()
                } else {
                    format!("<code>{}</code>", esc(&l.parent_level))
                },
                fmt_count(l.units.outside_population),
                if straddling.is_empty() {
                    "–".into()
                } else {
                    straddling.join(", ")
                },
            ]
        })
        .collect();
    pg.table(&head, &rows, &[0, 2, 3, 5]);
}

/// The categories bound to level `l`: units with a site, coverage, sites outside.
fn level_categories(pg: &mut Page<'_>, l: &LevelSummary) {
    if l.categories.is_empty() {
        pg.p(pg.t(
            "没有绑定到此层级的设施类别。",
            "No category is bound to this level.",
        ));
        return;
    }
    let head = [
        pg.t("绑定类别", "Bound category"),
        pg.t("有设施的单元", "Units with a site"),
        pg.t("单元占比", "Share of units"),
        pg.t("居民覆盖率", "Residents covered"),
        pg.t("无设施的单元", "Units without a site"),
        pg.t("不在本层级任何单元内的设施", "Sites outside the level"),
    ];
    let list = |v: &[String]| {
        if v.is_empty() {
            "–".to_owned()
        } else {
            esc(&v.join(", "))
        }
    };
    let rows: Vec<Vec<String>> = l
        .categories
        .iter()
        .map(|c| {
            let units = u32::try_from(c.units).map_or(f64::NAN, f64::from);
            let with = u32::try_from(c.units_with_site).map_or(f64::NAN, f64::from);
            vec![
                esc(&pg.category_label(&c.category)),
                format!("{} / {}", c.units_with_site, c.units),
                opt_pct((c.units > 0).then(|| with / units)),
                pct(c.population_share),
                list(&c.units_without_site),
                list(&c.sites_outside_level),
            ]
        })
        .collect();
    pg.table(&head, &rows, &[0, 4, 5]);
}

/// The units of level `index`: id, name, parent, residents, and per bound
/// category has-site and coverage (from `units_<level>.csv`).
fn level_units_table(pg: &mut Page<'_>, index: usize, l: &LevelSummary) {
    let run = pg.run;
    let Some(units) = run
        .levels
        .iter()
        .find(|u| u.level == l.level)
        .map(|u| &u.units)
        .filter(|u| !u.is_empty())
    else {
        return;
    };
    let above = index
        .checked_sub(1)
        .and_then(|i| run.levels.get(i))
        .map(|u| &u.units);
    let cats: Vec<&str> = l.categories.iter().map(|c| c.category.as_str()).collect();
    let mut head: Vec<String> = vec![
        pg.t("单元", "Unit").into(),
        pg.t("上级单元", "Parent").into(),
        pg.t("人口", "Residents").into(),
    ];
    for c in &cats {
        head.push(format!(
            "{} {}",
            pg.category_label(c),
            pg.t("设施 / 覆盖率", "site / share")
        ));
    }
    let rows: Vec<Vec<String>> = units
        .iter()
        .take(MAX_TABLE_ROWS)
        .map(|u| level_unit_row(pg, u, above, &cats))
        .collect();
    let head_ref: Vec<&str> = head.iter().map(String::as_str).collect();
    pg.table(&head_ref, &rows, &[0, 1]);
    if units.len() > MAX_TABLE_ROWS {
        pg.p(&match pg.lang {
            Lang::Zh => format!(
                "仅列出前 {MAX_TABLE_ROWS} 个单元，共 {} 个，完整数据见 units_{}.csv。",
                units.len(),
                l.level
            ),
            Lang::En => format!(
                "First {MAX_TABLE_ROWS} of {} units; see units_{}.csv for all.",
                units.len(),
                l.level
            ),
        });
    }
}

fn level_unit_row(
    pg: &Page<'_>,
    u: &charts::run::UnitRow,
    above: Option<&Vec<charts::run::UnitRow>>,
    cats: &[&str],
) -> Vec<String> {
    let parent = if u.parent_id.is_empty() {
        "–".to_owned()
    } else {
        let name = above
            .and_then(|a| a.iter().find(|p| p.unit_id == u.parent_id))
            .map_or(u.parent_id.as_str(), |p| p.unit_name.as_str());
        let mut v = format!("{} <code>{}</code>", esc(name), esc(&u.parent_id));
        if let Some(sh) = u.parent_share.filter(|s| *s < 0.99) {
            let _ = write!(
                v,
                " {}",
                esc(&format!("({} {})", pg.t("跨界", "straddles"), pct(sh)))
            );
        }
        v
    };
    let mut r = vec![
        format!("{} <code>{}</code>", esc(&u.unit_name), esc(&u.unit_id)),
        parent,
        opt_count(u.population),
    ];
    for c in cats {
        let uc = u.categories.get(*c);
        let site = match uc.and_then(|x| x.has_site) {
            Some(true) => "<span class=\"pass\">✓</span>".to_owned(),
            Some(false) => "<span class=\"fail\">✗</span>".to_owned(),
            None => "–".to_owned(),
        };
        r.push(format!(
            "{site} {}",
            esc(&opt_pct(uc.and_then(|x| x.share)))
        ));
    }
    r
}

fn targets_section(pg: &mut Page<'_>) {
    let run = pg.run;
    if run.targets.is_empty() {
        return;
    }
    pg.h2("targets", pg.t("规划目标", "Targets"));
    let met = run.targets.iter().filter(|t| t.pass).count();
    pg.p(&match pg.lang {
        Lang::Zh => format!("共 {} 项目标，达成 {met} 项。", run.targets.len()),
        Lang::En => format!("{met} of {} targets met.", run.targets.len()),
    });
    let head = [
        pg.t("目标", "Target"),
        pg.t("类别", "Category"),
        pg.t("范围", "Scope"),
        pg.t("指标", "Metric"),
        pg.t("要求", "Required"),
        pg.t("实际", "Actual"),
        pg.t("结果", "Result"),
    ];
    let rows: Vec<Vec<String>> = run
        .targets
        .iter()
        .map(|t| {
            let scope = target_scope(pg, t);
            let fmt = |v: f64| {
                if t.is_share() {
                    pct(if v > 1.0 { v / 100.0 } else { v })
                } else {
                    format!("{v}")
                }
            };
            vec![
                esc(&t.target),
                esc(&pg.category_label(&t.category)),
                esc(&scope),
                format!("<code>{}</code>", esc(&t.metric)),
                esc(&format!("{} {}", t.op, fmt(t.value))),
                t.actual.map_or_else(|| "–".into(), |a| esc(&fmt(a))),
                if t.pass {
                    format!("<span class=\"pass\">✓ {}</span>", pg.t("达成", "met"))
                } else {
                    format!(
                        "<span class=\"fail\">✗ {}</span>",
                        pg.t("未达成", "not met")
                    )
                },
            ]
        })
        .collect();
    pg.table(&head, &rows, &[0, 1, 2, 3]);
}

/// A check's scope in words: the city or the unit (its name), then the level
/// (`@street`) and the zone restriction when the target has them.
fn target_scope(pg: &Page<'_>, t: &charts::run::TargetRow) -> String {
    let run = pg.run;
    let mut scope = if t.scope.is_empty() || t.scope.eq_ignore_ascii_case("city") {
        pg.t("全市", "city").to_owned()
    } else {
        let level_units = run
            .levels
            .iter()
            .find(|l| l.level == t.level)
            .map_or(run.units.as_slice(), |l| l.units.as_slice());
        level_units
            .iter()
            .find(|u| u.unit_id == t.scope)
            .map_or_else(
                || t.scope.clone(),
                |u| format!("{} ({})", u.unit_name, u.unit_id),
            )
    };
    if !t.level.is_empty() {
        let _ = write!(scope, " @{}", t.level);
    }
    if !t.restriction.is_empty() {
        let _ = write!(scope, "{}{}", pg.t("，条件 ", ", where "), t.restriction);
    }
    scope
}

fn gaps_section(pg: &mut Page<'_>) {
    let run = pg.run;
    if run.gaps.is_empty() {
        return;
    }
    pg.h2("gaps", pg.t("服务缺口", "Gap zones"));
    pg.p(pg.t(
        "服务缺口是相邻的未覆盖格网连成的区域，按区内人口排序。",
        "Gap zones are contiguous uncovered cells, ranked by the residents they hold.",
    ));
    let mut gaps: Vec<_> = run.gaps.iter().collect();
    gaps.sort_by(|a, b| a.category.cmp(&b.category).then(a.rank.cmp(&b.rank)));
    let head = [
        pg.t("类别", "Category"),
        pg.t("排名", "Rank"),
        pg.t("编号", "Id"),
        pg.t("人口", "Residents"),
        pg.t("老年人", "Elderly"),
        pg.t("格网数", "Cells"),
        pg.t("面积（km²）", "Area (km²)"),
        pg.t("中心（经度, 纬度）", "Centre (lon, lat)"),
        pg.t("最长步行时间", "Worst walk"),
    ];
    let rows: Vec<Vec<String>> = gaps
        .iter()
        .take(MAX_TABLE_ROWS)
        .map(|g| {
            vec![
                esc(&pg.category_label(&g.category)),
                g.rank.to_string(),
                esc(&g.gap_id),
                fmt_count(g.population),
                opt_count(g.elderly),
                opt_count(g.cells),
                g.area_m2
                    .map_or_else(|| "–".into(), |a| format!("{:.2}", a / 1e6)),
                format!("{:.5}, {:.5}", g.centroid_lon, g.centroid_lat),
                g.worst_walk_min.map_or_else(
                    || pg.t("无设施可达", "nothing in reach").to_owned(),
                    |m| format!("{m:.1} {}", pg.t("分钟", "min")),
                ),
            ]
        })
        .collect();
    pg.table(&head, &rows, &[0, 2]);
}

fn recommend_section(pg: &mut Page<'_>, charts: &ChartSet) {
    let run = pg.run;
    if run.recommend.is_empty() {
        return;
    }
    pg.h2("recommend", pg.t("选址建议", "Recommended new sites"));
    pg.p(pg.t(
        "按贪心最大覆盖顺序列出候选点：每一行是在前面各点已建成的前提下新增覆盖最多居民的候选点。",
        "Candidates in greedy order: each row is the candidate that covers the most additional residents given the ones above it.",
    ));
    for c in charts.of(ChartKind::Recommend) {
        pg.figure(c);
    }
    let head = [
        pg.t("类别", "Category"),
        pg.t("顺序", "Rank"),
        pg.t("候选点", "Candidate"),
        pg.t("经度, 纬度", "lon, lat"),
        pg.t("新增覆盖居民", "Residents gained"),
        pg.t("新增覆盖老年人", "Elderly gained"),
        pg.t("累计覆盖", "Covered so far"),
        pg.t("累计覆盖率", "Share so far"),
    ];
    let mut recs: Vec<_> = run.recommend.iter().collect();
    recs.sort_by(|a, b| a.category.cmp(&b.category).then(a.rank.cmp(&b.rank)));
    let rows: Vec<Vec<String>> = recs
        .iter()
        .take(MAX_TABLE_ROWS)
        .map(|r| {
            vec![
                esc(&pg.category_label(&r.category)),
                r.rank.to_string(),
                esc(&r.candidate_id),
                format!("{:.5}, {:.5}", r.lon, r.lat),
                fmt_count(r.gain_population),
                opt_count(r.gain_elderly),
                opt_count(r.cumulative_covered),
                opt_pct(r.cumulative_share),
            ]
        })
        .collect();
    pg.table(&head, &rows, &[0, 2]);
}

fn whatif_section(pg: &mut Page<'_>, charts: &ChartSet) {
    let run = pg.run;
    if run.whatif.is_empty() && charts.of(ChartKind::WhatIfMap).next().is_none() {
        return;
    }
    pg.h2("whatif", pg.t("方案前后对比", "What-if: before and after"));
    for c in charts.of(ChartKind::WhatIfBars) {
        pg.figure(c);
    }
    if !run.whatif.is_empty() {
        let head = [
            pg.t("类别", "Category"),
            pg.t("居民覆盖率（前）", "Residents, before"),
            pg.t("居民覆盖率（后）", "Residents, after"),
            pg.t("变化", "Change"),
            pg.t("老年人（前）", "Elderly, before"),
            pg.t("老年人（后）", "Elderly, after"),
        ];
        let rows: Vec<Vec<String>> = run
            .whatif
            .iter()
            .map(|w| {
                vec![
                    esc(&pg.category_label(&w.name)),
                    pct(w.population_share_before),
                    pct(w.population_share_after),
                    format!(
                        "{:+.1} {}",
                        (w.population_share_after - w.population_share_before) * 100.0,
                        pg.t("个百分点", "pp")
                    ),
                    opt_pct(w.elderly_share_before),
                    opt_pct(w.elderly_share_after),
                ]
            })
            .collect();
        pg.table(&head, &rows, &[0]);
    }
    for c in charts.of(ChartKind::WhatIfMap) {
        pg.figure(c);
    }
}

fn methodology_section(pg: &mut Page<'_>) {
    pg.h2("method", pg.t("方法说明", "Methodology"));
    let items = method_items(pg);
    pg.out.push_str("<dl>\n");
    for (k, v) in &items {
        let _ = writeln!(pg.out, "<dt>{}</dt><dd>{}</dd>", esc(k), esc(v));
    }
    pg.out.push_str("</dl>\n");
    method_categories_table(pg);
    network_facts(pg);
}

/// The settings of the run as (term, description) pairs.
fn method_items(pg: &Page<'_>) -> Vec<(String, String)> {
    let s = &pg.run.summary;
    let lang = pg.lang;
    let circuity = s
        .config
        .get("run")
        .and_then(|r| r.get("circuity"))
        .and_then(serde_json::Value::as_f64);
    let mut items: Vec<(String, String)> = vec![
        (
            pg.t("距离方法", "Distance method").into(),
            s.distance_method.clone(),
        ),
        (
            pg.t("模式", "Mode").into(),
            match (s.mode.as_str(), lang) {
                ("network", Lang::Zh) => "路网（network）".into(),
                ("network", Lang::En) => "network".into(),
                (m, Lang::Zh) => format!("直线近似（{m}）"),
                (m, Lang::En) => format!("straight-line approximation ({m})"),
            },
        ),
    ];
    if s.mode != "network"
        && let Some(c) = circuity
    {
        items.push((pg.t("绕行系数", "Circuity").into(), format!("{c:.2}")));
    }
    items.push((
        pg.t("人口图层", "Population layer").into(),
        if s.inputs.has_elderly {
            match lang {
                Lang::Zh => format!("常住人口，另有老年人口图层（{}）", s.inputs.elderly_label),
                Lang::En => format!(
                    "residents, with an elderly layer ({})",
                    s.inputs.elderly_label
                ),
            }
        } else {
            pg.t("常住人口（无老年人口图层）", "residents (no elderly layer)")
                .into()
        },
    ));
    items.push((
        pg.t("距离投影", "Projection for distances").into(),
        match lang {
            Lang::Zh => format!(
                "局部横轴墨卡托（{}，WGS84 椭球，中央经线 {:.4}°，原点纬度 {:.4}°）",
                s.projection.kind, s.projection.lon_0, s.projection.lat_0
            ),
            Lang::En => format!(
                "local transverse Mercator ({}, WGS84 ellipsoid, central meridian {:.4}°, latitude of origin {:.4}°)",
                s.projection.kind, s.projection.lon_0, s.projection.lat_0
            ),
        },
    ));
    items.push((
        pg.t("地图投影", "Map projection").into(),
        pg.t(
            "以数据中心为原点的局部等距圆柱投影（仅用于绘图，城市范围内误差远小于 1%）",
            "local equirectangular around the data centre (drawing only; under 1 % distortion across a city)",
        )
        .into(),
    ));
    items.push((
        pg.t("时间分级", "Time bands").into(),
        pg.t(
            "≤5、≤10、≤15、>15 分钟（按各类设施步速换算）",
            "≤5, ≤10, ≤15, >15 minutes (at each category's walking speed)",
        )
        .into(),
    ));
    items
}

/// Per category: tier, threshold, speed, walking profile, layer served.
fn method_categories_table(pg: &mut Page<'_>) {
    let s = &pg.run.summary;
    let lang = pg.lang;
    let head = [
        pg.t("类别", "Category"),
        pg.t("等级", "Tier"),
        pg.t("阈值（米）", "Threshold (m)"),
        pg.t("阈值（分钟）", "Threshold (min)"),
        pg.t("步速（m/s）", "Speed (m/s)"),
        pg.t("步行人群", "Walking profile"),
        pg.t("服务人群", "Serves"),
    ];
    let rows: Vec<Vec<String>> = s
        .categories
        .iter()
        .map(|c| {
            vec![
                esc(&pg.label(c)),
                esc(c.tier.as_deref().unwrap_or("–")),
                c.threshold_m
                    .map_or_else(|| "–".into(), |v| format!("{v:.0}")),
                c.threshold_min
                    .map_or_else(|| "–".into(), |v| format!("{v:.1}")),
                c.speed_m_per_s
                    .map_or_else(|| "–".into(), |v| format!("{v:.2}")),
                esc(c.profile.as_deref().unwrap_or("–")),
                esc(layer_words(c.layer, lang)),
            ]
        })
        .collect();
    pg.table(&head, &rows, &[0, 1, 5, 6]);
}

/// The walking network's statistics from summary.json, as written.
fn network_facts(pg: &mut Page<'_>) {
    let s = &pg.run.summary;
    if let Some(net) = s.network.as_ref().and_then(serde_json::Value::as_object) {
        let _ = writeln!(
            pg.out,
            "<h3>{}</h3>\n<dl>",
            pg.t("步行路网", "Walking network")
        );
        for (k, v) in net {
            let v = match v {
                serde_json::Value::String(x) => x.clone(),
                other => other.to_string(),
            };
            let _ = writeln!(
                pg.out,
                "<dt><code>{}</code></dt><dd>{}</dd>",
                esc(k),
                esc(&v)
            );
        }
        pg.out.push_str("</dl>\n");
    }
}

fn provenance_section(pg: &mut Page<'_>) -> Result<(), ReportError> {
    let run = pg.run;
    let s = &run.summary;
    let i = &s.inputs;
    pg.h2("provenance", pg.t("数据来源", "Data provenance"));
    let mut items: Vec<(String, String)> = vec![
        (
            pg.t("设施文件", "Sites file").into(),
            match pg.lang {
                Lang::Zh => format!(
                    "{}（{}；读取 {} 条，使用 {} 条）",
                    i.sites_file, i.sites_crs, i.sites_read, i.sites_used
                ),
                Lang::En => format!(
                    "{} ({}; {} read, {} used)",
                    i.sites_file, i.sites_crs, i.sites_read, i.sites_used
                ),
            },
        ),
        (
            pg.t("人口文件", "Population file").into(),
            match pg.lang {
                Lang::Zh => format!(
                    "{}（{}；{} 个格网，拒绝 {} 个；人口合计 {}）",
                    i.population_file,
                    i.population_crs,
                    i.cells,
                    i.cells_rejected,
                    fmt_count(i.population_input_total)
                ),
                Lang::En => format!(
                    "{} ({}; {} cells, {} rejected; {} residents in total)",
                    i.population_file,
                    i.population_crs,
                    i.cells,
                    i.cells_rejected,
                    fmt_count(i.population_input_total)
                ),
            },
        ),
    ];
    if let Some(n) = &i.network_file {
        items.push((pg.t("路网文件", "Network file").into(), n.clone()));
    }
    items.push((
        pg.t("运行目录中的文件", "Files in the run directory")
            .into(),
        run.files.join(", "),
    ));
    items.push((
        pg.t("地图与设施数据", "Map and site data").into(),
        pg.t(
            "© OpenStreetMap contributors，依据开放数据库许可（ODbL）提供：openstreetmap.org/copyright",
            "© OpenStreetMap contributors, available under the Open Database License (ODbL): openstreetmap.org/copyright",
        )
        .into(),
    ));
    items.push((
        pg.t("字体", "Font").into(),
        format!("{} — SIL Open Font License 1.1", font::font_origin()?),
    ));
    pg.out.push_str("<dl>\n");
    for (k, v) in &items {
        let _ = writeln!(pg.out, "<dt>{}</dt><dd>{}</dd>", esc(k), esc(v));
    }
    pg.out.push_str("</dl>\n");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(utc_datetime(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_datetime(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(utc_datetime(1_795_564_800 + 3_723), "2026-11-25 01:02 UTC");
    }

    #[test]
    fn escaping() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
