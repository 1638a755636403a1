//! What-if map of one category: which cells the proposed change newly covers
//! (`<cat>_covered_before` = 0 and `<cat>_covered` = 1), which stay covered, which
//! lose coverage and which remain uncovered.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::coverage_map::{MapBase, draw_sites};
use super::frame::{self, LegendWriter, Px};
use super::run::RunDir;
use super::style::{self, Text};
use super::{Draw, Lang};
use crate::present::report::{CategorySummary, fmt_count};

/// Canvas size, pixels (same as the coverage maps).
pub const SIZE: (u32, u32) = super::coverage_map::SIZE;

/// Class colours: covered before and after, newly covered, no longer covered,
/// never covered.
pub const CLASS_COLOURS: [RGBColor; 4] = [
    RGBColor(0xb5, 0xdc, 0x8a),
    RGBColor(0x1f, 0x5f, 0x9e),
    RGBColor(0xd0, 0x2a, 0x2a),
    RGBColor(0xdd, 0xdd, 0xdd),
];

/// The what-if map of one category.
#[derive(Debug)]
pub struct WhatIfMap<'a> {
    run: &'a RunDir,
    base: &'a MapBase<'a>,
    cat: &'a CategorySummary,
    class: Vec<usize>,
    class_population: [f64; 4],
}

/// Class of a cell from its before/after coverage.
#[must_use]
pub fn class(before: bool, after: bool) -> usize {
    match (before, after) {
        (true, true) => 0,
        (false, true) => 1,
        (true, false) => 2,
        (false, false) => 3,
    }
}

impl<'a> WhatIfMap<'a> {
    /// `None` unless the cells carry `<cat>_covered_before` and `<cat>_covered`.
    #[must_use]
    pub fn new(run: &'a RunDir, base: &'a MapBase<'a>, index: usize) -> Option<Self> {
        let cat = &run.summary.categories[index];
        let before = base.cells.flag(&format!("{}_covered_before", cat.name))?;
        let after = base.cells.flag(&format!("{}_covered", cat.name))?;
        let class: Vec<usize> = before
            .iter()
            .zip(&after)
            .map(|(b, a)| class(*b, *a))
            .collect();
        let mut class_population = [0.0; 4];
        for (i, c) in class.iter().enumerate() {
            class_population[*c] += base.cells.population[i];
        }
        Some(Self {
            run,
            base,
            cat,
            class,
            class_population,
        })
    }
}

impl Draw for WhatIfMap<'_> {
    fn title(&self, lang: Lang) -> String {
        let label = style::category_label(self.cat, lang);
        match lang {
            Lang::Zh => format!("{label}：方案新增覆盖范围"),
            Lang::En => format!("{label}: cells newly covered by the proposal"),
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
        let lang = t.lang;
        let gained = self.class_population[1];
        let lost = self.class_population[2];
        let subtitle = match lang {
            Lang::Zh => format!(
                "新增覆盖 {} 人，失去覆盖 {} 人",
                fmt_count(gained),
                fmt_count(lost)
            ),
            Lang::En => format!(
                "{} residents newly covered, {} no longer covered",
                fmt_count(gained),
                fmt_count(lost)
            ),
        };
        let page = frame::page(
            root,
            &self.title(lang),
            &subtitle,
            &frame::footer(self.run, &self.base.frame, lang),
            t,
        )?;
        let (w, h) = page.map.dim_in_pixel();
        let px = Px::fit(self.base.extent, w, h);
        frame::paint_cells(
            &page.map,
            &px,
            &self.base.shapes,
            &self.class,
            &CLASS_COLOURS,
            t.is_png(),
        )?;
        let (network, units) = super::context::draw_context(
            &page.map,
            &px,
            &self.base.frame,
            self.base.network,
            &self.run.unit_shapes,
            t,
        )?;
        let sites = draw_sites(
            &page.map,
            &px,
            self.run,
            &self.base.frame,
            &self.cat.name,
            style::INK,
            t,
        )?;
        frame::decorations(&page.map, &px, t)?;
        let mut lg = LegendWriter::new(&page.legend, t);
        let labels: [(&str, &str); 4] = [
            ("一直覆盖", "covered before and after"),
            ("新增覆盖", "newly covered"),
            ("失去覆盖", "no longer covered"),
            ("仍未覆盖", "still not covered"),
        ];
        let classes: Vec<_> = labels.into_iter().zip(CLASS_COLOURS).collect();
        lg.shares(
            &t.l("方案前后（人口占比）", "Before → after (residents)"),
            &classes,
            &self.class_population,
        )?;
        lg.gap(8);
        lg.marker(
            style::INK,
            &match lang {
                Lang::Zh => format!("方案后的设施（{sites} 处）"),
                Lang::En => format!("sites after ({sites})"),
            },
        )?;
        super::context::legend(&mut lg, network.as_ref(), units, t)?;
        Ok(())
    }
}
