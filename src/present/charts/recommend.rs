//! Recommendation curve from `recommend.csv`: residents newly covered
//! (cumulative) against the number of new sites, one line per category, each end
//! labelled with the share of residents covered then.

use std::collections::BTreeMap;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::label::Label;
use super::run::RunDir;
use super::style::{self, MUTED, Text, palette, pct};
use super::xy::{self, Corner, Mark};
use super::{Draw, Lang};
use crate::present::report::fmt_count;

/// Canvas size, pixels.
pub const SIZE: (u32, u32) = (1200, 720);

#[derive(Debug)]
struct Line {
    label_zh: String,
    label_en: String,
    colour: usize,
    /// (new sites, residents gained so far).
    points: Vec<(f64, f64)>,
    final_share: Option<f64>,
}

/// The recommendation curve.
#[derive(Debug)]
pub struct RecommendCurve {
    lines: Vec<Line>,
    x_max: f64,
    y_max: f64,
}

impl RecommendCurve {
    /// `None` when there is no `recommend.csv` (or it is empty).
    #[must_use]
    pub fn new(run: &RunDir) -> Option<Self> {
        let mut by_cat: BTreeMap<&str, Vec<&super::run::RecommendRow>> = BTreeMap::new();
        for r in &run.recommend {
            by_cat.entry(r.category.as_str()).or_default().push(r);
        }
        if by_cat.is_empty() {
            return None;
        }
        let mut lines = Vec::new();
        for (cat, mut rows) in by_cat {
            rows.sort_by_key(|r| r.rank);
            let index = run.summary.categories.iter().position(|c| c.name == cat);
            let summary = index.map(|i| &run.summary.categories[i]);
            let mut acc = 0.0;
            let mut points = vec![(0.0, 0.0)];
            for (k, r) in rows.iter().enumerate() {
                acc += r.gain_population;
                #[allow(clippy::cast_precision_loss)]
                points.push(((k + 1) as f64, acc));
            }
            let final_share = rows.last().and_then(|r| {
                r.cumulative_share.or_else(|| {
                    let pop = summary.map(|s| s.population)?;
                    let covered = r.cumulative_covered?;
                    (pop > 0.0).then(|| covered / pop)
                })
            });
            lines.push(Line {
                label_zh: summary
                    .map_or_else(|| cat.to_owned(), |s| style::category_label(s, Lang::Zh)),
                label_en: summary
                    .map_or_else(|| cat.to_owned(), |s| style::category_label(s, Lang::En)),
                colour: index.unwrap_or(lines.len()),
                points,
                final_share,
            });
        }
        let x_max = lines
            .iter()
            .map(|l| l.points.len() as f64 - 1.0)
            .fold(1.0_f64, f64::max);
        let y_max = lines
            .iter()
            .flat_map(|l| l.points.iter().map(|p| p.1))
            .fold(1.0_f64, f64::max);
        Some(Self {
            lines,
            x_max,
            y_max: y_max * 1.12,
        })
    }
}

impl Draw for RecommendCurve {
    fn title(&self, lang: Lang) -> String {
        match lang {
            Lang::Zh => "选址建议：新增设施数量与新增覆盖居民".to_owned(),
            Lang::En => "Recommended sites: residents gained vs number of new sites".to_owned(),
        }
    }

    fn size(&self) -> (u32, u32) {
        SIZE
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        t: &Text,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let body = xy::title_block(root, t, &self.title(t.lang), None)?;
        let mut chart = ChartBuilder::on(&body)
            .margin(24)
            .margin_top(8)
            .margin_right(160)
            .x_label_area_size(72)
            .y_label_area_size(110)
            .build_cartesian_2d(0.0..self.x_max + 0.5, 0.0..self.y_max)?;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let x_labels = (self.x_max as usize + 2).min(22);
        chart
            .configure_mesh()
            .x_labels(x_labels)
            .label_style(style::font(16.0, MUTED))
            .x_label_formatter(&|v| {
                if (v - v.round()).abs() < 1e-9 {
                    format!("{v:.0}")
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|v| fmt_count(*v))
            .max_light_lines(1)
            .light_line_style(RGBColor(0xf4, 0xf4, 0xf4))
            .bold_line_style(RGBColor(0xdd, 0xdd, 0xdd))
            .draw()?;
        xy::axis_titles(
            root,
            t,
            chart.plotting_area().get_pixel_range(),
            &t.l("新增设施数量", "number of new sites"),
            Some((
                &t.l(
                    "新增覆盖居民（累计）",
                    "residents newly covered (cumulative)",
                ),
                92,
            )),
        )?;
        let mut items = Vec::new();
        for l in &self.lines {
            let colour = palette(l.colour);
            chart.draw_series(LineSeries::new(
                l.points.iter().copied(),
                colour.stroke_width(3),
            ))?;
            chart.draw_series(
                l.points
                    .iter()
                    .skip(1)
                    .map(|p| Circle::new(*p, 5, colour.filled())),
            )?;
            items.push((
                Mark::Line(colour),
                t.l(&l.label_zh, &l.label_en).into_owned(),
            ));
            if let (Some(last), Some(share)) = (l.points.last(), l.final_share) {
                let (x, y) = chart.backend_coord(last);
                let text = match t.lang {
                    Lang::Zh => format!("覆盖率 {}", pct(share)),
                    Lang::En => format!("{} covered", pct(share)),
                };
                root.draw(
                    &Label::new(t, &text, (x + 10, y), 16.0, colour)
                        .anchor(HPos::Left, VPos::Center),
                )?;
            }
        }
        let (xr, yr) = chart.plotting_area().get_pixel_range();
        xy::legend(
            root,
            t,
            (xr.start + 14, yr.start + 10),
            Corner::TopLeft,
            &items,
        )?;
        Ok(())
    }
}
