//! Population-weighted cumulative curve of walking time: for each category, the
//! share of residents (solid) and, when the run has an elderly layer, of elderly
//! residents (dashed) whose nearest site is within x minutes, with the 5, 10 and
//! 15-minute lines. Cells with nothing in reach count in the denominator only.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::label::Label;
use super::run::RunDir;
use super::style::{self, GUIDE, MUTED, Text, palette};
use super::xy::{self, Corner, Mark};
use super::{Draw, Lang};

/// Canvas size, pixels.
pub const SIZE: (u32, u32) = (1200, 760);

/// Sampling step of the curves, minutes.
const STEP_MIN: f64 = 0.1;

#[derive(Debug)]
struct Series {
    label_zh: String,
    label_en: String,
    colour: usize,
    elderly: bool,
    points: Vec<(f64, f64)>,
}

/// The cumulative walking-time chart.
#[derive(Debug)]
pub struct Cumulative {
    series: Vec<Series>,
    x_max: f64,
}

/// Share (0–100 %) of the weight within each sampled minute, `0..=x_max`.
fn curve(walk: &[Option<f64>], weight: &[f64], x_max: f64) -> Vec<(f64, f64)> {
    let total: f64 = weight.iter().filter(|w| w.is_finite()).sum();
    let mut reached: Vec<(f64, f64)> = walk
        .iter()
        .zip(weight)
        .filter_map(|(m, w)| m.filter(|m| m.is_finite()).map(|m| (m, *w)))
        .collect();
    reached.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out = Vec::new();
    let (mut k, mut acc) = (0usize, 0.0);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let steps = (x_max / STEP_MIN).round() as u32;
    for s in 0..=steps {
        let t = f64::from(s) * STEP_MIN;
        while k < reached.len() && reached[k].0 <= t + 1e-9 {
            acc += reached[k].1;
            k += 1;
        }
        let share = if total > 0.0 {
            acc / total * 100.0
        } else {
            0.0
        };
        out.push((t, share));
    }
    out
}

impl Cumulative {
    /// `None` when the run has no cells with walking times.
    #[must_use]
    pub fn new(run: &RunDir) -> Option<Self> {
        let cells = run.cells.as_ref().filter(|c| !c.is_empty())?;
        let max_thr = run
            .summary
            .categories
            .iter()
            .filter_map(|c| c.threshold_min)
            .fold(15.0_f64, f64::max);
        let x_max = ((max_thr * 1.5 / 5.0).ceil() * 5.0).clamp(20.0, 60.0);
        let mut series = Vec::new();
        for (i, c) in run.summary.categories.iter().enumerate() {
            let Some(walk) = cells.walk_min(&c.name) else {
                continue;
            };
            let zh = style::category_label(c, Lang::Zh);
            let en = style::category_label(c, Lang::En);
            series.push(Series {
                label_zh: format!("{zh}（全部人口）"),
                label_en: format!("{en} (all residents)"),
                colour: i,
                elderly: false,
                points: curve(walk, &cells.population, x_max),
            });
            if let Some(eld) = &cells.elderly {
                series.push(Series {
                    label_zh: format!("{zh}（老年人）"),
                    label_en: format!("{en} (elderly)"),
                    colour: i,
                    elderly: true,
                    points: curve(walk, eld, x_max),
                });
            }
        }
        (!series.is_empty()).then_some(Self { series, x_max })
    }
}

impl Draw for Cumulative {
    fn title(&self, lang: Lang) -> String {
        match lang {
            Lang::Zh => "步行时间累计曲线：多少居民能在 x 分钟内走到最近设施".to_owned(),
            Lang::En => "Share of residents within x minutes' walk of the nearest site".to_owned(),
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
            .x_label_area_size(72)
            .y_label_area_size(100)
            .build_cartesian_2d(0.0..self.x_max, 0.0..100.0)?;
        chart
            .configure_mesh()
            .label_style(style::font(17.0, MUTED))
            .max_light_lines(1)
            .light_line_style(RGBColor(0xf2, 0xf2, 0xf2))
            .bold_line_style(RGBColor(0xdd, 0xdd, 0xdd))
            .y_label_formatter(&|v| format!("{v:.0}%"))
            .x_label_formatter(&|v| format!("{v:.0}"))
            .draw()?;
        xy::axis_titles(
            root,
            t,
            chart.plotting_area().get_pixel_range(),
            &t.l("步行时间（分钟）", "walking time (minutes)"),
            Some((&t.l("居民比例（%）", "share of residents (%)"), 78)),
        )?;
        for m in [5.0, 10.0, 15.0] {
            if m > self.x_max {
                continue;
            }
            chart.draw_series(DashedLineSeries::new(
                [(m, 0.0), (m, 100.0)],
                6,
                5,
                GUIDE.stroke_width(2),
            ))?;
            let (x, y) = chart.backend_coord(&(m, 0.0));
            let text = match t.lang {
                Lang::Zh => format!("{m:.0} 分钟"),
                Lang::En => format!("{m:.0} min"),
            };
            root.draw(
                &Label::new(t, &text, (x + 5, y - 6), 16.0, MUTED).anchor(HPos::Left, VPos::Bottom),
            )?;
        }
        let mut items = Vec::new();
        for s in &self.series {
            let colour = palette(s.colour);
            let st = colour.stroke_width(3);
            let label = t.l(&s.label_zh, &s.label_en).into_owned();
            if s.elderly {
                chart.draw_series(DashedLineSeries::new(s.points.iter().copied(), 10, 6, st))?;
                items.push((Mark::Dashed(colour), label));
            } else {
                chart.draw_series(LineSeries::new(s.points.iter().copied(), st))?;
                items.push((Mark::Line(colour), label));
            }
        }
        let (xr, yr) = chart.plotting_area().get_pixel_range();
        xy::legend(
            root,
            t,
            (xr.end - 14, yr.end - 14),
            Corner::BottomRight,
            &items,
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curve_is_population_weighted_and_counts_unreached() {
        let walk = [Some(2.0), Some(12.0), None, Some(4.0)];
        let pop = [10.0, 30.0, 40.0, 20.0];
        let c = curve(&walk, &pop, 20.0);
        let at = |m: f64| {
            c.iter()
                .find(|(t, _)| (t - m).abs() < 1e-9)
                .map(|p| p.1)
                .unwrap()
        };
        assert!((at(0.0) - 0.0).abs() < 1e-9);
        assert!((at(5.0) - 30.0).abs() < 1e-9);
        assert!((at(12.0) - 60.0).abs() < 1e-9);
        assert!(
            (at(20.0) - 60.0).abs() < 1e-9,
            "unreached cells never count"
        );
    }
}
