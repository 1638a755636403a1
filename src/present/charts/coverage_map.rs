//! Coverage map of one category: cells coloured by walking time to the nearest
//! site in tier bands (≤5, ≤10, ≤15, >15 minutes, nothing in reach, off the
//! network), the category's sites, gap zones outlined (when `gaps.geojson`
//! exists), scale bar, north arrow, legend and OpenStreetMap attribution.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::context::{self, Network};
use super::frame::{self, CellShape, LegendWriter, LocalFrame, Px};
use super::label::{Label, text_width};
use super::run::{Cells, RunDir};
use super::style::{self, GAP, INK, SITE, TIER_BOUNDS_MIN, TIER_COLOURS, Text, pct};
use super::{Draw, Lang};
use crate::config::Layer;
use crate::present::report::{CategorySummary, fmt_count};

/// Canvas size of the map charts, pixels.
pub const SIZE: (u32, u32) = (1500, 1150);

/// Sites are labelled with their names when a category has at most this many.
const MAX_LABELLED_SITES: usize = 25;

/// What every map of a run shares: cells, their shapes and the frame.
#[derive(Debug)]
pub struct MapBase<'a> {
    /// The cells.
    pub cells: &'a Cells,
    /// Local metric frame.
    pub frame: LocalFrame,
    /// Cell shapes in the frame.
    pub shapes: Vec<CellShape>,
    /// Map extent, metres.
    pub extent: [f64; 4],
    /// The run's walking network, when the command that ran the coverage
    /// handed it down (drawn under the symbols, see [`context`]).
    pub network: Option<&'a Network>,
}

impl<'a> MapBase<'a> {
    /// `None` when the run has no cells.
    #[must_use]
    pub fn new(run: &'a RunDir) -> Option<Self> {
        Self::with_network(run, None)
    }

    /// [`MapBase::new`] with the run's network drawn under the symbols.
    #[must_use]
    pub fn with_network(run: &'a RunDir, network: Option<&'a Network>) -> Option<Self> {
        let cells = run.cells.as_ref().filter(|c| !c.is_empty())?;
        let frame = LocalFrame::around(cells.lon.iter().copied().zip(cells.lat.iter().copied()))?;
        let shapes = frame::cell_shapes(cells, &frame);
        let extent = frame::extent(&shapes, &[], 0.03);
        Some(Self {
            cells,
            frame,
            shapes,
            extent,
            network,
        })
    }
}

/// Tier index of a cell (see [`TIER_COLOURS`]).
#[must_use]
pub fn tier(walk_min: Option<f64>, off_network: bool) -> usize {
    if off_network {
        return 5;
    }
    match walk_min {
        None => 4,
        Some(m) => TIER_BOUNDS_MIN
            .iter()
            .position(|b| m <= *b)
            .unwrap_or(TIER_BOUNDS_MIN.len()),
    }
}

/// The served layer in words.
#[must_use]
pub fn layer_words(layer: Layer, lang: Lang) -> &'static str {
    match (layer, lang) {
        (Layer::Total, Lang::Zh) => "全部常住人口",
        (Layer::Total, Lang::En) => "all residents",
        (Layer::Elderly, Lang::Zh) => "老年人口",
        (Layer::Elderly, Lang::En) => "elderly residents",
    }
}

/// Threshold in words: `1000 m（16.7 分钟，步速 1.0 m/s）`.
#[must_use]
pub fn threshold_words(c: &CategorySummary, lang: Lang) -> String {
    let m = c.threshold_m.unwrap_or(f64::NAN);
    let min = c.threshold_min.unwrap_or(f64::NAN);
    let speed = c.speed_m_per_s.unwrap_or(f64::NAN);
    match lang {
        Lang::Zh => format!("{m:.0} m（{min:.1} 分钟，步速 {speed:.2} m/s）"),
        Lang::En => format!("{m:.0} m ({min:.1} min at {speed:.2} m/s)"),
    }
}

/// One category's coverage map.
#[derive(Debug)]
pub struct CoverageMap<'a> {
    run: &'a RunDir,
    base: &'a MapBase<'a>,
    cat: &'a CategorySummary,
    tiers: Vec<usize>,
    tier_population: [f64; 6],
}

impl<'a> CoverageMap<'a> {
    /// The map of category `index` of the summary.
    #[must_use]
    pub fn new(run: &'a RunDir, base: &'a MapBase<'a>, index: usize) -> Self {
        let cat = &run.summary.categories[index];
        let walk = base.cells.walk_min(&cat.name);
        let off = base.cells.flag("off_network");
        let tiers: Vec<usize> = (0..base.cells.len())
            .map(|i| tier(walk.and_then(|w| w[i]), off.as_ref().is_some_and(|o| o[i])))
            .collect();
        let mut tier_population = [0.0; 6];
        for (i, t) in tiers.iter().enumerate() {
            tier_population[*t] += base.cells.population[i];
        }
        Self {
            run,
            base,
            cat,
            tiers,
            tier_population,
        }
    }

    fn subtitle(&self, lang: Lang) -> String {
        let c = self.cat;
        let share = pct(c.served_share);
        match lang {
            Lang::Zh => format!(
                "阈值 {} · 服务人群：{} · 覆盖率 {share}",
                threshold_words(c, lang),
                layer_words(c.layer, lang)
            ),
            Lang::En => format!(
                "threshold {} · serves {} · {share} covered",
                threshold_words(c, lang),
                layer_words(c.layer, lang)
            ),
        }
    }
}

/// Draw the category's sites (and their names when few).
pub fn draw_sites<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    px: &Px,
    run: &RunDir,
    frame: &LocalFrame,
    category: &str,
    colour: RGBColor,
    t: &Text,
) -> Result<usize, DrawingAreaErrorKind<DB::ErrorType>> {
    let sites: Vec<_> = run
        .sites
        .iter()
        .filter(|s| s.category == category)
        .collect();
    for s in &sites {
        let p = px.p(frame.xy(s.lon, s.lat));
        let fill = if s.used == Some(false) {
            style::GUIDE
        } else {
            colour
        };
        area.draw(&Circle::new(p, 8, WHITE.filled()))?;
        area.draw(&Circle::new(p, 6, fill.filled()))?;
    }
    if sites.len() <= MAX_LABELLED_SITES {
        let size = 15.0;
        // Each label takes the first free spot right, left, above or below its
        // marker; a label with no free spot is left out rather than overprinted.
        let mut taken: Vec<[i32; 4]> = sites
            .iter()
            .map(|s| {
                let (x, y) = px.p(frame.xy(s.lon, s.lat));
                [x - 8, y - 8, x + 8, y + 8]
            })
            .collect();
        let overlaps =
            |a: &[i32; 4], b: &[i32; 4]| a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
        for s in &sites {
            if s.name.trim().is_empty() {
                continue;
            }
            let (x, y) = px.p(frame.xy(s.lon, s.lat));
            let w = text_width(&t.s(s.name.trim()), size) + 8;
            let spots = [
                [x + 10, y - 11, x + 10 + w, y + 11],
                [x - 10 - w, y - 11, x - 10, y + 11],
                [x - w / 2, y - 34, x - w / 2 + w, y - 12],
                [x - w / 2, y + 12, x - w / 2 + w, y + 34],
            ];
            let Some(r) = spots
                .iter()
                .find(|r| !taken.iter().any(|t| overlaps(r, t)))
                .copied()
            else {
                continue;
            };
            taken.push(r);
            area.draw(&Rectangle::new(
                [(r[0], r[1]), (r[2], r[3])],
                WHITE.mix(0.8).filled(),
            ))?;
            area.draw(
                &Label::new(t, s.name.trim(), (r[0] + 4, (r[1] + r[3]) / 2), size, INK)
                    .anchor(HPos::Left, VPos::Center),
            )?;
        }
    }
    Ok(sites.len())
}

/// Outline the gap zones of `category`; returns how many were drawn.
pub fn draw_gaps<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    px: &Px,
    run: &RunDir,
    frame: &LocalFrame,
    category: &str,
    t: &Text,
) -> Result<usize, DrawingAreaErrorKind<DB::ErrorType>> {
    let mut n = 0;
    for g in run.gap_shapes.iter().filter(|g| g.category == category) {
        n += 1;
        for poly in &g.shape.0 {
            let pts: Vec<(i32, i32)> = poly
                .exterior()
                .0
                .iter()
                .map(|c| px.p(frame.xy(c.x, c.y)))
                .collect();
            area.draw(&PathElement::new(pts, GAP.stroke_width(3)))?;
        }
        if let (Some(rank), Some(first)) = (g.rank, g.shape.0.first()) {
            use geo::Centroid;
            if let Some(c) = first.centroid() {
                area.draw(
                    &Label::new(
                        t,
                        &format!("#{rank}"),
                        px.p(frame.xy(c.x(), c.y())),
                        18.0,
                        GAP,
                    )
                    .anchor(HPos::Center, VPos::Center),
                )?;
            }
        }
    }
    Ok(n)
}

impl Draw for CoverageMap<'_> {
    fn title(&self, lang: Lang) -> String {
        let label = style::category_label(self.cat, lang);
        match lang {
            Lang::Zh => format!("{label}：到最近设施的步行时间"),
            Lang::En => format!("{label}: walking time to the nearest site"),
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
        let page = frame::page(
            root,
            &self.title(lang),
            &self.subtitle(lang),
            &frame::footer(self.run, &self.base.frame, lang),
            t,
        )?;
        let (w, h) = page.map.dim_in_pixel();
        let px = Px::fit(self.base.extent, w, h);
        frame::paint_cells(
            &page.map,
            &px,
            &self.base.shapes,
            &self.tiers,
            &TIER_COLOURS,
            t.is_png(),
        )?;
        let (network, units) = context::draw_context(
            &page.map,
            &px,
            &self.base.frame,
            self.base.network,
            &self.run.unit_shapes,
            t,
        )?;
        let gaps = draw_gaps(
            &page.map,
            &px,
            self.run,
            &self.base.frame,
            &self.cat.name,
            t,
        )?;
        let sites = draw_sites(
            &page.map,
            &px,
            self.run,
            &self.base.frame,
            &self.cat.name,
            SITE,
            t,
        )?;
        frame::decorations(&page.map, &px, t)?;

        let mut lg = LegendWriter::new(&page.legend, t);
        let mut labels: Vec<(&str, &str)> = vec![
            ("≤ 5 分钟", "≤ 5 min"),
            ("5–10 分钟", "5–10 min"),
            ("10–15 分钟", "10–15 min"),
            ("> 15 分钟", "> 15 min"),
            ("搜索范围内无设施", "nothing within reach"),
        ];
        if self.tier_population[5] > 0.0 || self.tiers.contains(&5) {
            labels.push(("不在路网上", "off the network"));
        }
        let classes: Vec<_> = labels.into_iter().zip(TIER_COLOURS).collect();
        lg.shares(
            &t.l("步行时间（人口占比）", "Walking time (residents)"),
            &classes,
            &self.tier_population,
        )?;
        lg.gap(8);
        lg.marker(
            SITE,
            &match lang {
                Lang::Zh => format!("设施（{sites} 处）"),
                Lang::En => format!("sites ({sites})"),
            },
        )?;
        if gaps > 0 {
            lg.outline(
                GAP,
                &match lang {
                    Lang::Zh => format!("服务缺口（{gaps} 处）"),
                    Lang::En => format!("gap zones ({gaps})"),
                },
            )?;
        }
        context::legend(&mut lg, network.as_ref(), units, t)?;
        lg.gap(14);
        let c = self.cat;
        lg.heading(&t.l("覆盖情况", "Coverage"))?;
        let (m, min) = (c.threshold_m.unwrap_or(0.0), c.threshold_min.unwrap_or(0.0));
        lg.note(&match lang {
            Lang::Zh => format!("阈值：{m:.0} m / {min:.1} 分钟"),
            Lang::En => format!("threshold: {m:.0} m / {min:.1} min"),
        })?;
        let (covered, all, share) = (
            fmt_count(c.population_covered),
            fmt_count(c.population),
            pct(c.population_share),
        );
        lg.note(&match lang {
            Lang::Zh => format!("人口：{covered} / {all}（{share}）"),
            Lang::En => format!("residents: {covered} / {all} ({share})"),
        })?;
        if let (Some(e), Some(all), Some(sh)) = (c.elderly_covered, c.elderly, c.elderly_share) {
            let (e, all, sh) = (fmt_count(e), fmt_count(all), pct(sh));
            lg.note(&match lang {
                Lang::Zh => format!("老年人：{e} / {all}（{sh}）"),
                Lang::En => format!("elderly: {e} / {all} ({sh})"),
            })?;
        }
        lg.note(&match lang {
            Lang::Zh => format!("服务人群：{}", layer_words(c.layer, lang)),
            Lang::En => format!("serves: {}", layer_words(c.layer, lang)),
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers() {
        assert_eq!(tier(Some(0.0), false), 0);
        assert_eq!(tier(Some(5.0), false), 0);
        assert_eq!(tier(Some(5.01), false), 1);
        assert_eq!(tier(Some(15.0), false), 2);
        assert_eq!(tier(Some(15.1), false), 3);
        assert_eq!(tier(None, false), 4);
        assert_eq!(tier(Some(3.0), true), 5);
    }
}
