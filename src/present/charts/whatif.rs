//! What-if comparison from `summary.json` → `whatif`: per category, the share of
//! residents (and elderly) covered before and after the proposed change.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::label::Label;
use super::run::{RunDir, WhatIfCategory};
use super::style::{self, INK, MUTED, Text, pct};
use super::xy::{self, Corner, Mark};
use super::{Draw, Lang};

/// Canvas size, pixels.
pub const SIZE: (u32, u32) = (1200, 720);

const BEFORE: RGBColor = RGBColor(0xa6, 0xc4, 0xe0);
const AFTER: RGBColor = RGBColor(0x1f, 0x5f, 0x9e);
const ELDERLY_BEFORE: RGBColor = RGBColor(0xf6, 0xc8, 0x9a);
const ELDERLY_AFTER: RGBColor = RGBColor(0xd0, 0x6a, 0x10);

#[derive(Debug)]
struct Group {
    label_zh: String,
    label_en: String,
    data: WhatIfCategory,
}

/// The before/after bar chart.
#[derive(Debug)]
pub struct WhatIfBars {
    groups: Vec<Group>,
    elderly: bool,
}

impl WhatIfBars {
    /// `None` when the summary has no what-if block.
    #[must_use]
    pub fn new(run: &RunDir) -> Option<Self> {
        if run.whatif.is_empty() {
            return None;
        }
        let groups: Vec<Group> = run
            .whatif
            .iter()
            .map(|w| {
                let cat = run.summary.categories.iter().find(|c| c.name == w.name);
                Group {
                    label_zh: cat
                        .map_or_else(|| w.name.clone(), |c| style::category_label(c, Lang::Zh)),
                    label_en: cat
                        .map_or_else(|| w.name.clone(), |c| style::category_label(c, Lang::En)),
                    data: w.clone(),
                }
            })
            .collect();
        let elderly = groups
            .iter()
            .any(|g| g.data.elderly_share_before.is_some() && g.data.elderly_share_after.is_some());
        Some(Self { groups, elderly })
    }
}

impl Draw for WhatIfBars {
    fn title(&self, lang: Lang) -> String {
        match lang {
            Lang::Zh => "方案前后对比：居民覆盖率".to_owned(),
            Lang::En => "Before and after: share of residents covered".to_owned(),
        }
    }

    fn size(&self) -> (u32, u32) {
        SIZE
    }

    #[allow(clippy::cast_precision_loss)]
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        t: &Text,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let body = xy::title_block(root, t, &self.title(t.lang), None)?;
        let n = self.groups.len() as f64;
        let mut chart = ChartBuilder::on(&body)
            .margin(24)
            .margin_top(8)
            .x_label_area_size(80)
            .y_label_area_size(100)
            .build_cartesian_2d(0.0..n, 0.0..112.0)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .label_style(style::font(16.0, MUTED))
            .y_label_formatter(&|v| {
                if *v <= 100.0 {
                    format!("{v:.0}%")
                } else {
                    String::new()
                }
            })
            .max_light_lines(1)
            .light_line_style(RGBColor(0xf4, 0xf4, 0xf4))
            .bold_line_style(RGBColor(0xdd, 0xdd, 0xdd))
            .draw()?;
        let range = chart.plotting_area().get_pixel_range();
        let (x_left, y_top) = (range.0.start, range.1.start);
        root.draw(
            &Label::new(
                t,
                &t.l("覆盖率（%）", "covered (%)"),
                (x_left - 78, (range.1.start + range.1.end) / 2),
                20.0,
                INK,
            )
            .anchor(HPos::Center, VPos::Center)
            .rotated(),
        )?;
        let bars_per_group = if self.elderly { 4.0 } else { 2.0 };
        let width = 0.8 / bars_per_group;
        for (i, g) in self.groups.iter().enumerate() {
            let x0 = i as f64 + 0.1;
            let mut values = vec![
                (g.data.population_share_before, BEFORE),
                (g.data.population_share_after, AFTER),
            ];
            if self.elderly {
                values.push((
                    g.data.elderly_share_before.unwrap_or(f64::NAN),
                    ELDERLY_BEFORE,
                ));
                values.push((
                    g.data.elderly_share_after.unwrap_or(f64::NAN),
                    ELDERLY_AFTER,
                ));
            }
            for (k, (v, colour)) in values.iter().enumerate() {
                if !v.is_finite() {
                    continue;
                }
                let left = x0 + k as f64 * width;
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(left + width * 0.06, 0.0), (left + width * 0.94, v * 100.0)],
                    colour.filled(),
                )))?;
                let (x, y) = chart.backend_coord(&(left + width / 2.0, v * 100.0));
                root.draw(
                    &Label::new(t, &pct(*v), (x, y - 4), 15.0, INK)
                        .anchor(HPos::Center, VPos::Bottom),
                )?;
            }
            let (x, y) = chart.backend_coord(&(i as f64 + 0.5, 0.0));
            root.draw(
                &Label::new(t, &t.l(&g.label_zh, &g.label_en), (x, y + 12), 19.0, INK)
                    .anchor(HPos::Center, VPos::Top),
            )?;
            let delta = (g.data.population_share_after - g.data.population_share_before) * 100.0;
            let text = match t.lang {
                Lang::Zh => format!("{delta:+.1} 个百分点"),
                Lang::En => format!("{delta:+.1} pp"),
            };
            root.draw(
                &Label::new(t, &text, (x, y + 42), 16.0, MUTED).anchor(HPos::Center, VPos::Top),
            )?;
        }
        let mut items = vec![
            (
                Mark::Swatch(BEFORE),
                t.l("居民（方案前）", "residents, before").into_owned(),
            ),
            (
                Mark::Swatch(AFTER),
                t.l("居民（方案后）", "residents, after").into_owned(),
            ),
        ];
        if self.elderly {
            items.push((
                Mark::Swatch(ELDERLY_BEFORE),
                t.l("老年人（方案前）", "elderly, before").into_owned(),
            ));
            items.push((
                Mark::Swatch(ELDERLY_AFTER),
                t.l("老年人（方案后）", "elderly, after").into_owned(),
            ));
        }
        xy::legend(
            root,
            t,
            (range.0.end - 10, y_top + 6),
            Corner::TopRight,
            &items,
        )?;
        Ok(())
    }
}
