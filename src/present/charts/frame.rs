//! The map frame shared by the map charts: a local metric projection, the page
//! layout (title, map, legend panel, footer), cell shapes, scale bar, north arrow
//! and attribution.
//!
//! Maps are drawn in an equirectangular frame centred on the data (x = Δlon ·
//! cos φ₀ · R, y = Δlat · R), which keeps distances true to well under 1 % across
//! a city, so squares stay square and the scale bar is honest.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use rstar::RTree;

use super::Lang;
use super::label::Label;
use super::run::{Cells, RunDir};
use super::style::{self, INK, MUTED, Text};

/// Mean Earth radius, metres.
const R: f64 = 6_371_008.8;

/// A local metric frame: lon/lat → metres east/north of the centre.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LocalFrame {
    lon0: f64,
    lat0: f64,
    kx: f64,
    ky: f64,
}

impl LocalFrame {
    /// Centred on the middle of the bounding box of `points` (lon, lat).
    pub fn around(points: impl Iterator<Item = (f64, f64)>) -> Option<Self> {
        let mut b = [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ];
        for (x, y) in points.filter(|(x, y)| x.is_finite() && y.is_finite()) {
            b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
        }
        if !b[0].is_finite() {
            return None;
        }
        let (lon0, lat0) = ((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0);
        let ky = R * std::f64::consts::PI / 180.0;
        Some(Self {
            lon0,
            lat0,
            kx: ky * lat0.to_radians().cos(),
            ky,
        })
    }

    /// Metres east and north of the centre.
    #[must_use]
    pub fn xy(&self, lon: f64, lat: f64) -> (f64, f64) {
        ((lon - self.lon0) * self.kx, (lat - self.lat0) * self.ky)
    }

    /// The centre (lon, lat).
    #[must_use]
    pub fn centre(&self) -> (f64, f64) {
        (self.lon0, self.lat0)
    }
}

/// Metres → pixels of the map area, north up, same scale on both axes.
#[derive(Clone, Copy, Debug)]
pub struct Px {
    /// Pixels per metre.
    pub scale: f64,
    x0: f64,
    y1: f64,
    ox: f64,
    oy: f64,
}

impl Px {
    /// Fit the extent `[xmin, ymin, xmax, ymax]` (metres) into `w × h` pixels,
    /// centred, keeping the aspect ratio.
    #[must_use]
    pub fn fit(extent: [f64; 4], w: u32, h: u32) -> Self {
        let dx = (extent[2] - extent[0]).max(1.0);
        let dy = (extent[3] - extent[1]).max(1.0);
        let scale = (f64::from(w) / dx).min(f64::from(h) / dy);
        Self {
            scale,
            x0: extent[0],
            y1: extent[3],
            ox: (f64::from(w) - dx * scale) / 2.0,
            oy: (f64::from(h) - dy * scale) / 2.0,
        }
    }

    /// Pixel position of a point in metres, unrounded.
    #[must_use]
    pub fn pf(&self, (x, y): (f64, f64)) -> (f64, f64) {
        (
            self.ox + (x - self.x0) * self.scale,
            self.oy + (self.y1 - y) * self.scale,
        )
    }

    /// Pixel of a point in metres.
    #[must_use]
    #[allow(clippy::cast_possible_truncation)]
    pub fn p(&self, (x, y): (f64, f64)) -> (i32, i32) {
        (
            (self.ox + (x - self.x0) * self.scale).round() as i32,
            (self.oy + (self.y1 - y) * self.scale).round() as i32,
        )
    }
}

/// A cell to paint: its polygon rings (metres) or, for point cells, a square.
#[derive(Clone, Debug)]
pub enum CellShape {
    /// Exterior rings of the cell's polygons.
    Rings(Vec<Vec<(f64, f64)>>),
    /// Centre and side length, metres.
    Square((f64, f64), f64),
}

/// Median nearest-neighbour spacing of cell centres (metres), from up to 2,000
/// evenly spread cells; 100 m when it cannot be told.
#[must_use]
pub fn cell_spacing(xy: &[(f64, f64)]) -> f64 {
    if xy.len() < 2 {
        return 100.0;
    }
    let tree = RTree::bulk_load(xy.iter().map(|&(x, y)| [x, y]).collect());
    let step = (xy.len() / 2000).max(1);
    let mut d: Vec<f64> = xy
        .iter()
        .step_by(step)
        .filter_map(|&(x, y)| {
            tree.nearest_neighbor_iter(&[x, y])
                .find(|p| (p[0] - x).abs() > 1e-6 || (p[1] - y).abs() > 1e-6)
                .map(|p| ((p[0] - x).powi(2) + (p[1] - y).powi(2)).sqrt())
        })
        .filter(|v| v.is_finite() && *v > 0.0)
        .collect();
    if d.is_empty() {
        return 100.0;
    }
    d.sort_by(f64::total_cmp);
    d[d.len() / 2]
}

/// Shapes of every cell in the frame.
#[must_use]
pub fn cell_shapes(cells: &Cells, frame: &LocalFrame) -> Vec<CellShape> {
    let centres: Vec<(f64, f64)> = cells
        .lon
        .iter()
        .zip(&cells.lat)
        .map(|(&lon, &lat)| frame.xy(lon, lat))
        .collect();
    let needs_square = cells
        .polygons
        .as_ref()
        .is_none_or(|p| p.iter().any(Option::is_none));
    let side = if needs_square {
        cell_spacing(&centres)
    } else {
        0.0
    };
    centres
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            match cells
                .polygons
                .as_ref()
                .and_then(|p| p.get(i))
                .and_then(Option::as_ref)
            {
                Some(mp) => CellShape::Rings(
                    mp.0.iter()
                        .map(|p| p.exterior().0.iter().map(|q| frame.xy(q.x, q.y)).collect())
                        .collect(),
                ),
                None => CellShape::Square(c, side),
            }
        })
        .collect()
}

/// Extent `[xmin, ymin, xmax, ymax]` of the shapes, padded by `pad` (fraction).
#[must_use]
pub fn extent(shapes: &[CellShape], extra: &[(f64, f64)], pad: f64) -> [f64; 4] {
    let mut b = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    let mut add = |(x, y): (f64, f64)| {
        if x.is_finite() && y.is_finite() {
            b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
        }
    };
    for s in shapes {
        match s {
            CellShape::Rings(rings) => rings.iter().flatten().for_each(|p| add(*p)),
            CellShape::Square((x, y), side) => {
                add((x - side / 2.0, y - side / 2.0));
                add((x + side / 2.0, y + side / 2.0));
            }
        }
    }
    extra.iter().for_each(|p| add(*p));
    if !b[0].is_finite() {
        return [-500.0, -500.0, 500.0, 500.0];
    }
    let (dx, dy) = ((b[2] - b[0]).max(100.0), (b[3] - b[1]).max(100.0));
    [
        b[0] - dx * pad,
        b[1] - dy * pad,
        b[2] + dx * pad,
        b[3] + dy * pad,
    ]
}

/// Paint every cell, cell `i` in `colours[classes[i]]`. Square cells of one
/// colour that touch along a grid row are painted as one rectangle, which keeps
/// SVGs of fine grids small (and PNG drawing fast); polygons are painted one by
/// one. The order is deterministic.
pub fn paint_cells<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    px: &Px,
    shapes: &[CellShape],
    classes: &[usize],
    colours: &[RGBColor],
    seal: bool,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    use std::collections::BTreeMap;
    /// A grid row of one colour: its y and the (x, side) of its squares.
    type Row = (f64, Vec<(f64, f64)>);
    let mut rows: BTreeMap<(i64, usize), Row> = BTreeMap::new();
    for (shape, &class) in shapes.iter().zip(classes) {
        let colour = colours.get(class).copied().unwrap_or(WHITE);
        match shape {
            CellShape::Rings(_) => paint_cell(area, px, shape, colour, seal)?,
            CellShape::Square((x, y), side) => {
                #[allow(clippy::cast_possible_truncation)]
                let key = (y * 100.0).round() as i64;
                rows.entry((key, class))
                    .or_insert_with(|| (*y, Vec::new()))
                    .1
                    .push((*x, *side));
            }
        }
    }
    for ((_, class), (y, mut xs)) in rows {
        let colour = colours.get(class).copied().unwrap_or(WHITE);
        xs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut k = 0;
        while k < xs.len() {
            let (start, side) = xs[k];
            let mut end = start;
            while k + 1 < xs.len() && (xs[k + 1].0 - end - side).abs() < side * 0.01 {
                k += 1;
                end = xs[k].0;
            }
            let h = side / 2.0;
            let a = px.p((start - h, y + h));
            let b = px.p((end + h, y - h));
            area.draw(&Rectangle::new([a, (b.0 + 1, b.1 + 1)], colour.filled()))?;
            k += 1;
        }
    }
    Ok(())
}

/// Paint one cell. `seal` also strokes polygon edges in the fill colour (for
/// the PNG rasteriser, which leaves hairline gaps between adjacent polygons).
pub fn paint_cell<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    px: &Px,
    shape: &CellShape,
    colour: RGBColor,
    seal: bool,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    match shape {
        CellShape::Rings(rings) => {
            for r in rings {
                let pts: Vec<(i32, i32)> = r.iter().map(|p| px.p(*p)).collect();
                if seal {
                    area.draw(&PathElement::new(pts.clone(), colour.stroke_width(1)))?;
                }
                area.draw(&Polygon::new(pts, colour.filled()))?;
            }
        }
        CellShape::Square((x, y), side) => {
            let h = side / 2.0;
            let a = px.p((x - h, y + h));
            let b = px.p((x + h, y - h));
            // One pixel of overlap so neighbouring cells never leave hairline gaps
            // (grids are regular in the run's projection, not in this frame).
            area.draw(&Rectangle::new([a, (b.0 + 1, b.1 + 1)], colour.filled()))?;
        }
    }
    Ok(())
}

/// The page: title band, map area, legend panel and footer. Returns the map and
/// legend areas.
pub struct Page<DB: DrawingBackend> {
    /// Where the map goes.
    pub map: DrawingArea<DB, Shift>,
    /// The legend panel on the right.
    pub legend: DrawingArea<DB, Shift>,
}

/// Legend panel width, pixels.
pub const LEGEND_W: u32 = 330;

/// Lay out a map page and draw its title, subtitle and footer.
pub fn page<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
    footer_left: &str,
    t: &Text,
) -> Result<Page<DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    let (w, h) = root.dim_in_pixel();
    let (head, rest) = root.split_vertically(92);
    let (body, foot) = rest.split_vertically(h.saturating_sub(92 + 36));
    head.draw(&Label::new(t, title, (24, 16), 34.0, INK))?;
    head.draw(&Label::new(t, subtitle, (24, 62), 19.0, MUTED))?;
    let (map, legend) = body.split_horizontally(w.saturating_sub(LEGEND_W));
    let (mw, mh) = map.dim_in_pixel();
    let (mw, mh) = (
        i32::try_from(mw).unwrap_or(0),
        i32::try_from(mh).unwrap_or(0),
    );
    map.draw(&Rectangle::new(
        [(12, 0), (mw - 8, mh - 1)],
        RGBColor(0xbb, 0xbb, 0xbb).stroke_width(1),
    ))?;
    foot.draw(&Label::new(t, footer_left, (16, 18), 15.0, MUTED).anchor(HPos::Left, VPos::Center))?;
    foot.draw(
        &Label::new(
            t,
            "© OpenStreetMap contributors",
            (i32::try_from(w).unwrap_or(0) - 16, 18),
            16.0,
            INK,
        )
        .anchor(HPos::Right, VPos::Center),
    )?;
    let map = map.margin(12, 14, 24, 20);
    Ok(Page { map, legend })
}

/// Scale bar (bottom left) and north arrow (top right) of the map area.
pub fn decorations<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    px: &Px,
    t: &Text,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (i32::try_from(w).unwrap_or(0), i32::try_from(h).unwrap_or(0));
    // Scale bar: about a fifth of the map width, in a round length.
    let metres = style::nice_floor(f64::from(w) / px.scale / 5.0);
    #[allow(clippy::cast_possible_truncation)]
    let len = (metres * px.scale).round() as i32;
    let (x0, y0) = (14, h - 30);
    area.draw(&Rectangle::new(
        [(x0 - 8, y0 - 26), (x0 + len + 58, y0 + 16)],
        RGBColor(255, 255, 255).mix(0.8).filled(),
    ))?;
    let half = len / 2;
    area.draw(&Rectangle::new(
        [(x0, y0), (x0 + half, y0 + 8)],
        INK.filled(),
    ))?;
    area.draw(&Rectangle::new(
        [(x0 + half, y0), (x0 + len, y0 + 8)],
        WHITE.filled(),
    ))?;
    area.draw(&Rectangle::new(
        [(x0, y0), (x0 + len, y0 + 8)],
        INK.stroke_width(1),
    ))?;
    let label = |text: &str, x: i32| {
        Label::new(t, text, (x, y0 - 4), 15.0, INK).anchor(HPos::Center, VPos::Bottom)
    };
    area.draw(&label("0", x0))?;
    area.draw(&label(&style::fmt_metres(metres), x0 + len))?;
    // North arrow.
    let (cx, cy) = (w - 34, 20);
    area.draw(&Polygon::new(
        vec![(cx, cy), (cx - 11, cy + 32), (cx, cy + 24)],
        INK.filled(),
    ))?;
    area.draw(&Polygon::new(
        vec![(cx, cy), (cx + 11, cy + 32), (cx, cy + 24)],
        WHITE.filled(),
    ))?;
    area.draw(&PathElement::new(
        vec![
            (cx, cy),
            (cx + 11, cy + 32),
            (cx, cy + 24),
            (cx - 11, cy + 32),
            (cx, cy),
        ],
        INK.stroke_width(1),
    ))?;
    area.draw(
        &Label::new(
            t,
            match t.lang {
                Lang::Zh => "北",
                Lang::En => "N",
            },
            (cx, cy + 36),
            17.0,
            INK,
        )
        .anchor(HPos::Center, VPos::Top),
    )?;
    Ok(())
}

/// Writes legend rows top to bottom.
pub struct LegendWriter<'a, DB: DrawingBackend> {
    area: &'a DrawingArea<DB, Shift>,
    t: &'a Text,
    /// Next row's top, pixels.
    pub y: i32,
}

impl<'a, DB: DrawingBackend> LegendWriter<'a, DB> {
    /// Start at the top of `area`; text goes through `t`.
    pub fn new(area: &'a DrawingArea<DB, Shift>, t: &'a Text) -> Self {
        Self { area, t, y: 6 }
    }

    /// A heading.
    pub fn heading(&mut self, text: &str) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        self.area
            .draw(&Label::new(self.t, text, (8, self.y), 20.0, INK))?;
        self.y += 34;
        Ok(())
    }

    /// A heading, then one swatch per class labelled with its share of the
    /// residents (`population[i]` ÷ Σ population; `-` when nobody lives there).
    pub fn shares(
        &mut self,
        heading: &str,
        classes: &[((&str, &str), RGBColor)],
        population: &[f64],
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let total: f64 = population.iter().sum();
        self.heading(heading)?;
        for (i, ((zh, en), colour)) in classes.iter().enumerate() {
            let share = if total > 0.0 {
                super::style::pct(population[i] / total)
            } else {
                "-".into()
            };
            let text = format!("{}  {share}", self.t.l(zh, en));
            self.swatch(*colour, &text)?;
        }
        Ok(())
    }

    /// A filled swatch and its label.
    pub fn swatch(
        &mut self,
        colour: RGBColor,
        text: &str,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let y = self.y;
        self.area
            .draw(&Rectangle::new([(10, y), (36, y + 20)], colour.filled()))?;
        self.area.draw(&Rectangle::new(
            [(10, y), (36, y + 20)],
            RGBColor(0x88, 0x88, 0x88).stroke_width(1),
        ))?;
        self.label(y + 10, text)?;
        self.y += 30;
        Ok(())
    }

    /// A site marker and its label.
    pub fn marker(
        &mut self,
        colour: RGBColor,
        text: &str,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let y = self.y + 10;
        self.area.draw(&Circle::new((23, y), 8, WHITE.filled()))?;
        self.area.draw(&Circle::new((23, y), 6, colour.filled()))?;
        self.label(y, text)?;
        self.y += 30;
        Ok(())
    }

    /// An outline and its label.
    pub fn outline(
        &mut self,
        colour: RGBColor,
        text: &str,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let y = self.y;
        self.area.draw(&Rectangle::new(
            [(10, y + 1), (36, y + 19)],
            colour.stroke_width(3),
        ))?;
        self.label(y + 10, text)?;
        self.y += 30;
        Ok(())
    }

    /// A line swatch (`width` pixels) and its label.
    pub fn line(
        &mut self,
        colour: impl Into<ShapeStyle> + Color,
        width: u32,
        text: &str,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let y = self.y + 10;
        self.area.draw(&PathElement::new(
            vec![(10, y), (36, y)],
            colour.stroke_width(width),
        ))?;
        self.label(y, text)?;
        self.y += 30;
        Ok(())
    }

    /// A line of plain text (smaller, muted).
    pub fn note(&mut self, text: &str) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        self.area
            .draw(&Label::new(self.t, text, (10, self.y), 16.0, MUTED))?;
        self.y += 24;
        Ok(())
    }

    /// Vertical space.
    pub fn gap(&mut self, px: i32) {
        self.y += px;
    }

    fn label(&self, y: i32, text: &str) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        self.area
            .draw(&Label::new(self.t, text, (46, y), 17.0, INK).anchor(HPos::Left, VPos::Center))?;
        Ok(())
    }
}

/// Footer text: version, projection and distance method.
#[must_use]
pub fn footer(run: &RunDir, frame: &LocalFrame, lang: Lang) -> String {
    let (lon, lat) = frame.centre();
    let s = &run.summary;
    let method = method_short(s, lang);
    match lang {
        Lang::Zh => format!(
            "learncircle {} · 地图投影：局部等距圆柱（中心 {lon:.4}°E, {lat:.4}°N） · 距离：{method}",
            s.learncircle_version
        ),
        Lang::En => format!(
            "learncircle {} · map: local equirectangular (centre {lon:.4}°E, {lat:.4}°N) · distance: {method}",
            s.learncircle_version
        ),
    }
}

/// Short distance-method label.
#[must_use]
pub fn method_short(s: &crate::present::report::Summary, lang: Lang) -> String {
    let circuity = s
        .config
        .get("run")
        .and_then(|r| r.get("circuity"))
        .and_then(serde_json::Value::as_f64);
    match (s.mode.as_str(), lang) {
        ("network", Lang::Zh) => "沿 OpenStreetMap 步行路网".to_owned(),
        ("network", Lang::En) => "along the OpenStreetMap walking network".to_owned(),
        (_, Lang::Zh) => match circuity {
            Some(c) => format!("直线距离 × 绕行系数 {c:.2}（近似）"),
            None => "直线距离 × 绕行系数（近似）".to_owned(),
        },
        (_, Lang::En) => match circuity {
            Some(c) => format!("straight line × circuity {c:.2} (approximation)"),
            None => "straight line × circuity (approximation)".to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_keeps_distances() {
        let f = LocalFrame::around([(121.49, 31.29), (121.51, 31.31)].into_iter()).unwrap();
        let (x, y) = f.xy(121.51, 31.31);
        // 0.01° of longitude at 31.3° N ≈ 950 m; of latitude ≈ 1112 m.
        assert!((x - 950.0).abs() < 5.0, "{x}");
        assert!((y - 1112.0).abs() < 5.0, "{y}");
    }

    #[test]
    fn spacing_of_a_grid() {
        let pts: Vec<(f64, f64)> = (0..20)
            .flat_map(|i| (0..20).map(move |j| (f64::from(i) * 250.0, f64::from(j) * 250.0)))
            .collect();
        assert!((cell_spacing(&pts) - 250.0).abs() < 1e-9);
    }

    #[test]
    fn fit_keeps_aspect() {
        let px = Px::fit([0.0, 0.0, 2000.0, 1000.0], 800, 800);
        assert_eq!(px.p((0.0, 1000.0)), (0, 200));
        assert_eq!(px.p((2000.0, 0.0)), (800, 600));
    }
}
