//! Coverage per unit (district, street, community) of one category from
//! `units.csv`, or from `units_<level>.csv` for each named level: horizontal bars of the share of residents covered, sorted from
//! best to worst, with the elderly share as a tick, units without a site of
//! their own marked, and the target line(s) from `targets.csv`.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::label::Label;
use super::run::{LevelUnits, RunDir, TargetRow, UnitRow};
use super::style::{self, INK, MUTED, Text, pct};
use super::xy::{self, Corner, Mark};
use super::{Draw, Lang};
use crate::present::report::CategorySummary;

/// Canvas width, pixels (the height grows with the number of units).
pub const WIDTH: u32 = 1200;

/// At most this many units are drawn (the lowest shares when there are more).
pub const MAX_UNITS: usize = 60;

const PASS: RGBColor = RGBColor(0x1f, 0x5f, 0x9e);
const FAIL: RGBColor = RGBColor(0xe0, 0x7b, 0x14);
const TARGET: RGBColor = RGBColor(0xc0, 0x1c, 0x28);
const ELDERLY: RGBColor = RGBColor(0x30, 0x30, 0x30);

#[derive(Debug)]
struct Bar {
    unit_id: String,
    name: String,
    share: f64,
    elderly_share: Option<f64>,
    has_site: Option<bool>,
}

/// Canvas height for `n` units.
#[must_use]
pub fn height_for(n: usize) -> u32 {
    u32::try_from(200 + 34 * n.min(MAX_UNITS))
        .unwrap_or(u32::MAX)
        .max(420)
}

/// The unit bar chart of one category.
#[derive(Debug)]
pub struct UnitBars<'a> {
    cat: &'a CategorySummary,
    /// Named level (`--units LEVEL=FILE`), `None` for `units.csv`.
    level: Option<&'a str>,
    bars: Vec<Bar>,
    total_units: usize,
    city_targets: Vec<&'a TargetRow>,
    unit_targets: Vec<&'a TargetRow>,
}

impl<'a> UnitBars<'a> {
    /// Legend entries for what the chart shows: pass/fail colours (with city
    /// targets), the elderly mark, unit targets.
    fn legend_items(&self, t: &Text) -> Vec<(Mark, String)> {
        let mut items: Vec<(Mark, String)> = Vec::new();
        if self.city_targets.iter().any(|t| !t.is_elderly()) {
            items.push((
                Mark::Swatch(PASS),
                t.l("达到目标", "meets target").into_owned(),
            ));
            items.push((
                Mark::Swatch(FAIL),
                t.l("未达目标", "below target").into_owned(),
            ));
        } else {
            items.push((
                Mark::Swatch(PASS),
                t.l("居民覆盖率", "residents covered").into_owned(),
            ));
        }
        if self.bars.iter().any(|b| b.elderly_share.is_some()) {
            items.push((
                Mark::Line(ELDERLY),
                t.l("老年人覆盖率", "elderly covered").into_owned(),
            ));
        }
        if !self.unit_targets.is_empty() {
            items.push((
                Mark::Swatch(TARGET),
                t.l("单元目标", "unit target").into_owned(),
            ));
        }
        items
    }

    /// `None` when `units.csv` has no share for category `index`.
    #[must_use]
    pub fn new(run: &'a RunDir, index: usize) -> Option<Self> {
        Self::of_units(run, index, &run.units, None)
    }

    /// The chart of one named level's units (`units_<level>.csv`); `None` when
    /// they have no share for category `index`. City targets judged at another
    /// level are left out.
    #[must_use]
    pub fn of_level(run: &'a RunDir, index: usize, level: &'a LevelUnits) -> Option<Self> {
        Self::of_units(run, index, &level.units, Some(&level.level))
    }

    fn of_units(
        run: &'a RunDir,
        index: usize,
        units: &[UnitRow],
        level: Option<&'a str>,
    ) -> Option<Self> {
        let cat = &run.summary.categories[index];
        let mut bars: Vec<Bar> = units
            .iter()
            .filter_map(|u| {
                let c = u.categories.get(&cat.name)?;
                Some(Bar {
                    unit_id: u.unit_id.clone(),
                    name: u.unit_name.clone(),
                    share: c.share?,
                    elderly_share: c.elderly_share,
                    has_site: c.has_site,
                })
            })
            .collect();
        if bars.is_empty() {
            return None;
        }
        let total_units = bars.len();
        // Worst first to keep the lowest when truncating, then best on top.
        bars.sort_by(|a, b| {
            a.share
                .total_cmp(&b.share)
                .then_with(|| a.unit_id.cmp(&b.unit_id))
        });
        bars.truncate(MAX_UNITS);
        bars.reverse();
        let relevant = |t: &&TargetRow| {
            t.category == cat.name
                && t.is_share()
                && level.is_none_or(|l| t.level.is_empty() || t.level == l)
        };
        let city_targets = run
            .targets
            .iter()
            .filter(relevant)
            .filter(|t| t.scope.is_empty() || t.scope.eq_ignore_ascii_case("city"))
            .collect();
        let unit_targets = run
            .targets
            .iter()
            .filter(relevant)
            .filter(|t| bars.iter().any(|b| b.unit_id == t.scope))
            .collect();
        Some(Self {
            cat,
            level,
            bars,
            total_units,
            city_targets,
            unit_targets,
        })
    }

    fn subtitle(&self, lang: Lang) -> String {
        let mut s = match lang {
            Lang::Zh => format!(
                "按覆盖率排序；阈值 {:.0} m（{:.1} 分钟）",
                self.cat.threshold_m.unwrap_or(0.0),
                self.cat.threshold_min.unwrap_or(0.0)
            ),
            Lang::En => format!(
                "sorted by share; threshold {:.0} m ({:.1} min)",
                self.cat.threshold_m.unwrap_or(0.0),
                self.cat.threshold_min.unwrap_or(0.0)
            ),
        };
        if self.total_units > self.bars.len() {
            s.push_str(&match lang {
                Lang::Zh => format!(
                    "；仅显示覆盖率最低的 {} 个单元（共 {} 个）",
                    self.bars.len(),
                    self.total_units
                ),
                Lang::En => format!(
                    "; the {} lowest of {} units shown",
                    self.bars.len(),
                    self.total_units
                ),
            });
        }
        s
    }

    fn target_for(&self, share: f64) -> Option<bool> {
        self.city_targets
            .iter()
            .find(|t| !t.is_elderly())
            .map(|t| compare(share, &t.op, t.value_share()))
    }
}

/// Whether `actual op value` holds (unknown operators read as `>=`).
#[must_use]
pub fn compare(actual: f64, op: &str, value: f64) -> bool {
    match op.trim() {
        "<=" | "≤" | "le" => actual <= value + 1e-12,
        "<" | "lt" => actual < value,
        ">" | "gt" => actual > value,
        "==" | "=" | "eq" => (actual - value).abs() < 1e-9,
        _ => actual + 1e-12 >= value,
    }
}

impl Draw for UnitBars<'_> {
    fn title(&self, lang: Lang) -> String {
        let label = style::category_label(self.cat, lang);
        match (lang, self.level) {
            (Lang::Zh, None) => format!("{label}：各单元居民覆盖率"),
            (Lang::En, None) => format!("{label}: share of residents covered, by unit"),
            (Lang::Zh, Some(l)) => format!("{label}：{l} 层级各单元居民覆盖率"),
            (Lang::En, Some(l)) => format!("{label}: share of residents covered, by {l} unit"),
        }
    }

    fn size(&self) -> (u32, u32) {
        (WIDTH, height_for(self.bars.len()))
    }

    #[allow(clippy::cast_precision_loss)]
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        t: &Text,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let lang = t.lang;
        let body = xy::title_block(root, t, &self.title(lang), Some(&self.subtitle(lang)))?;
        let n = self.bars.len() as f64;
        let mut chart = ChartBuilder::on(&body)
            .margin_left(16)
            .margin_right(40)
            .margin_bottom(10)
            .margin_top(56)
            .x_label_area_size(76)
            .y_label_area_size(250)
            .build_cartesian_2d(0.0..100.0, 0.0..n)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .label_style(style::font(16.0, MUTED))
            .x_label_formatter(&|v| format!("{v:.0}%"))
            .max_light_lines(1)
            .light_line_style(RGBColor(0xf4, 0xf4, 0xf4))
            .bold_line_style(RGBColor(0xdd, 0xdd, 0xdd))
            .draw()?;
        let range = chart.plotting_area().get_pixel_range();
        xy::axis_titles(
            root,
            t,
            range.clone(),
            &t.l("居民覆盖率（%）", "residents covered (%)"),
            None,
        )?;
        for (k, b) in self.bars.iter().enumerate() {
            let top = n - k as f64 - 0.18;
            let bottom = n - k as f64 - 0.82;
            let colour = match self.target_for(b.share) {
                Some(false) => FAIL,
                _ => PASS,
            };
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.0, bottom), (b.share * 100.0, top)],
                colour.filled(),
            )))?;
            if let Some(e) = b.elderly_share {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(e * 100.0, bottom - 0.1), (e * 100.0, top + 0.1)],
                    ELDERLY.stroke_width(3),
                )))?;
            }
            for ut in self.unit_targets.iter().filter(|u| u.scope == b.unit_id) {
                let (x, y) = chart.backend_coord(&(ut.value_share() * 100.0, top + 0.12));
                root.draw(&Polygon::new(
                    vec![(x - 6, y - 9), (x + 6, y - 9), (x, y)],
                    TARGET.filled(),
                ))?;
            }
            let (x0, ymid) = chart.backend_coord(&(0.0, (top + bottom) / 2.0));
            root.draw(
                &Label::new(t, &b.name, (x0 - 10, ymid), 17.0, INK)
                    .anchor(HPos::Right, VPos::Center),
            )?;
            let mut value = pct(b.share);
            if b.has_site == Some(false) {
                value.push_str(&t.l(" · 单元内无设施", " · no site in unit"));
            }
            let end = b.elderly_share.map_or(b.share, |e| e.max(b.share));
            let (xe, _) = chart.backend_coord(&(end * 100.0, 0.0));
            root.draw(
                &Label::new(t, &value, (xe + 6, ymid), 15.0, MUTED)
                    .anchor(HPos::Left, VPos::Center),
            )?;
        }
        for tr in &self.city_targets {
            let v = tr.value_share() * 100.0;
            chart.draw_series(DashedLineSeries::new(
                [(v, 0.0), (v, n)],
                8,
                5,
                TARGET.stroke_width(2),
            ))?;
            let (x, y) = chart.backend_coord(&(v, n));
            let who = if tr.is_elderly() {
                t.l("老年人目标", "elderly target")
            } else {
                t.l("目标", "target")
            };
            let text = format!("{who} {} {}", tr.op.trim(), pct(tr.value_share()));
            root.draw(
                &Label::new(t, &text, (x, y - 8), 16.0, TARGET).anchor(HPos::Center, VPos::Bottom),
            )?;
        }
        let items = self.legend_items(t);
        let (w, _) = root.dim_in_pixel();
        xy::legend(
            root,
            t,
            (i32::try_from(w).unwrap_or(0) - 16, 10),
            Corner::TopRight,
            &items,
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparisons() {
        assert!(compare(0.8, ">=", 0.8));
        assert!(!compare(0.79, ">=", 0.8));
        assert!(compare(0.1, "<=", 0.2));
        assert!(compare(0.5, "?", 0.5));
    }
}
