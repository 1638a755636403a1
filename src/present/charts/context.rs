//! What the map charts draw between the cells and the symbols, so a printed map
//! reads without a GIS: the run's walking network (streets darker and thicker
//! than footways, in light translucent greys that leave the cell colours
//! readable) and the planning-unit boundaries with their names.
//!
//! * **Network:** [`Network::from_graph`] turns the run's own [`Graph`] (the one
//!   the coverage was computed on, handed down by the command; nothing is read
//!   again) into polylines in three classes ([`RoadClass`]). `report --run DIR`
//!   has no graph and draws its maps without the network.
//! * **Units:** the boundaries and names of `units.geojson` ([`UnitShape`]).
//!
//! **What a map shows at its scale** (the rule that keeps fine grids readable and
//! the 1M-node city fast): major streets are always drawn; minor streets, then
//! footways, are added while the drawn network stays within [`MAX_DENSITY`] pixels
//! of line per pixel of map (0.12: on a street grid, about one line every 17 px).
//! A neighbourhood map (a few metres per pixel) shows every footway; a city-wide
//! map (tens of metres per pixel) shows the arterials only, and its legend says
//! which classes were left out. Lines are clipped to the map, simplified
//! (Ramer–Douglas–Peucker, [`SIMPLIFY_PX`]) and chained, so one street is one SVG
//! polyline.

use geo::{Area, BoundingRect, InteriorPoint, LineString, Simplify};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::frame::{LegendWriter, LocalFrame, Px};
use super::label::{Label, text_width};
use super::run::UnitShape;
use super::style::{INK, Text};
use crate::crs::LocalProjection;
use crate::network::Graph;

/// Largest drawn network length per map area (pixels of line per pixel²).
pub const MAX_DENSITY: f64 = 0.12;

/// Simplification tolerance of network lines, pixels.
pub const SIMPLIFY_PX: f64 = 0.5;

/// Unit boundary colour.
pub const UNIT_LINE: RGBColor = {
    let c = crate::export::qgis_style::UNIT_RGB;
    RGBColor(c[0], c[1], c[2])
};

/// The three kinds of way a map tells apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RoadClass {
    /// Tertiary and up (`primary`, `secondary`, `trunk`, links, `busway`, …).
    Major,
    /// Residential and access streets (`residential`, `living_street`,
    /// `service`, `unclassified`, `road`).
    Minor,
    /// Everything only walked on (`footway`, `path`, `pedestrian`, `steps`,
    /// `track`, `corridor`, `platform`, `cycleway`, …).
    Footway,
}

impl RoadClass {
    /// All classes, in drawing-priority order.
    pub const ALL: [RoadClass; 3] = [RoadClass::Major, RoadClass::Minor, RoadClass::Footway];

    /// The class of a `highway=*` value.
    #[must_use]
    pub fn of(highway: &str) -> Self {
        match highway {
            "tertiary" | "tertiary_link" | "secondary" | "secondary_link" | "primary"
            | "primary_link" | "trunk" | "trunk_link" | "motorway" | "motorway_link" | "busway" => {
                Self::Major
            }
            "residential" | "living_street" | "service" | "unclassified" | "road" => Self::Minor,
            _ => Self::Footway,
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    fn colour(self) -> RGBAColor {
        match self {
            Self::Major => RGBColor(0x40, 0x40, 0x40).mix(0.6),
            Self::Minor => RGBColor(0x50, 0x50, 0x50).mix(0.45),
            Self::Footway => RGBColor(0x60, 0x60, 0x60).mix(0.3),
        }
    }

    fn width(self) -> u32 {
        match self {
            Self::Major => 2,
            Self::Minor | Self::Footway => 1,
        }
    }

    fn words(self, t: &Text) -> String {
        match self {
            Self::Major => t.l("主要道路", "major streets").into_owned(),
            Self::Minor => t.l("街巷", "minor streets").into_owned(),
            Self::Footway => t.l("步行道", "footways and paths").into_owned(),
        }
    }
}

/// The run's walking network as lon/lat polylines per [`RoadClass`].
#[derive(Clone, Debug, Default)]
pub struct Network {
    lines: [Vec<Vec<(f64, f64)>>; 3],
}

impl Network {
    /// Polylines of `graph` (nodes in `proj`'s metres), chained through nodes
    /// where exactly two segments of the same class meet. Deterministic: the
    /// order follows the graph's segments.
    #[must_use]
    pub fn from_graph(graph: &Graph, proj: &LocalProjection) -> Self {
        let lonlat: Vec<(f64, f64)> = graph.node_xy().iter().map(|p| proj.inverse(*p)).collect();
        let mut by_class: [Vec<[u32; 2]>; 3] = Default::default();
        let ways = graph.ways();
        for s in graph.segments() {
            let class = ways
                .get(s.way as usize)
                .map_or(RoadClass::Footway, |w| RoadClass::of(w.highway()));
            by_class[class.index()].push(s.nodes);
        }
        let lines = by_class.map(|segs| {
            chain(&segs)
                .into_iter()
                .map(|ids| ids.iter().map(|&i| lonlat[i as usize]).collect())
                .collect()
        });
        Self { lines }
    }

    /// Polylines of one class (lon/lat).
    #[must_use]
    pub fn lines(&self, class: RoadClass) -> &[Vec<(f64, f64)>] {
        &self.lines[class.index()]
    }

    /// Whether there is nothing to draw.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.lines.iter().all(Vec::is_empty)
    }
}

/// Chain undirected segments into polylines of node ids.
fn chain(segs: &[[u32; 2]]) -> Vec<Vec<u32>> {
    let mut inc: Vec<(u32, usize)> = Vec::with_capacity(segs.len() * 2);
    for (i, s) in segs.iter().enumerate() {
        inc.push((s[0], i));
        inc.push((s[1], i));
    }
    inc.sort_unstable();
    let at = |n: u32| {
        let a = inc.partition_point(|e| e.0 < n);
        let b = inc.partition_point(|e| e.0 <= n);
        &inc[a..b]
    };
    let mut used = vec![false; segs.len()];
    let extend = |path: &mut Vec<u32>, used: &mut Vec<bool>| {
        while let Some(&end) = path.last() {
            let here = at(end);
            if here.len() != 2 {
                break;
            }
            let Some(&(_, s)) = here.iter().find(|(_, s)| !used[*s]) else {
                break;
            };
            used[s] = true;
            let [p, q] = segs[s];
            path.push(if p == end { q } else { p });
        }
    };
    let mut out = Vec::new();
    for start in 0..segs.len() {
        if used[start] {
            continue;
        }
        used[start] = true;
        let [a, b] = segs[start];
        let mut fwd = vec![a, b];
        extend(&mut fwd, &mut used);
        let mut back = vec![b, a];
        extend(&mut back, &mut used);
        back.reverse();
        back.extend_from_slice(&fwd[2..]);
        out.push(back);
    }
    out
}

/// Clip the segment `p`–`q` to `[0, w] × [0, h]` (Liang–Barsky).
fn clip(p: (f64, f64), q: (f64, f64), w: f64, h: f64) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (q.0 - p.0, q.1 - p.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (pk, qk) in [(-dx, p.0), (dx, w - p.0), (-dy, p.1), (dy, h - p.1)] {
        if pk == 0.0 {
            if qk < 0.0 {
                return None;
            }
        } else {
            let r = qk / pk;
            if pk < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
        }
    }
    (t0 <= t1).then_some((
        (p.0 + t0 * dx, p.1 + t0 * dy),
        (p.0 + t1 * dx, p.1 + t1 * dy),
    ))
}

/// Pieces of a pixel polyline inside `[0, w] × [0, h]`.
fn clip_line(pts: &[(f64, f64)], w: f64, h: f64) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut cur: Vec<(f64, f64)> = Vec::new();
    for win in pts.windows(2) {
        match clip(win[0], win[1], w, h) {
            Some((a, b)) => {
                if cur.last() != Some(&a) {
                    if cur.len() > 1 {
                        out.push(std::mem::take(&mut cur));
                    }
                    cur.clear();
                    cur.push(a);
                }
                cur.push(b);
            }
            None => {
                if cur.len() > 1 {
                    out.push(std::mem::take(&mut cur));
                }
                cur.clear();
            }
        }
    }
    if cur.len() > 1 {
        out.push(cur);
    }
    out
}

/// Pixel polylines of one map, rounded, without repeated pixels.
fn to_pixels(
    lines: &[Vec<(f64, f64)>],
    frame: &LocalFrame,
    px: &Px,
    w: f64,
    h: f64,
) -> (Vec<Vec<(i32, i32)>>, f64) {
    let mut out = Vec::new();
    let mut length = 0.0;
    for line in lines {
        let pts: Vec<(f64, f64)> = line
            .iter()
            .map(|&(lon, lat)| px.pf(frame.xy(lon, lat)))
            .collect();
        for piece in clip_line(&pts, w, h) {
            length += piece
                .windows(2)
                .map(|s| (s[1].0 - s[0].0).hypot(s[1].1 - s[0].1))
                .sum::<f64>();
            let simple = LineString::from(piece).simplify(SIMPLIFY_PX);
            let mut px_line: Vec<(i32, i32)> = Vec::with_capacity(simple.0.len());
            for c in &simple.0 {
                #[allow(clippy::cast_possible_truncation)]
                let p = (c.x.round() as i32, c.y.round() as i32);
                if px_line.last() != Some(&p) {
                    px_line.push(p);
                }
            }
            if px_line.len() > 1 {
                out.push(px_line);
            }
        }
    }
    (out, length)
}

/// The network as one map draws it: the classes kept by the density rule.
#[derive(Debug, Default)]
pub struct NetworkLayer {
    lines: [Vec<Vec<(i32, i32)>>; 3],
    drawn: [bool; 3],
}

impl NetworkLayer {
    /// Project, clip and simplify `network` for a `w × h` map area, keeping the
    /// classes the density rule allows (see the module documentation).
    #[must_use]
    pub fn new(network: &Network, frame: &LocalFrame, px: &Px, w: u32, h: u32) -> Self {
        let (wf, hf) = (f64::from(w), f64::from(h));
        let area = (wf * hf).max(1.0);
        let mut layer = Self::default();
        let mut total = 0.0;
        for class in RoadClass::ALL {
            let (lines, length) = to_pixels(network.lines(class), frame, px, wf, hf);
            total += length;
            if class != RoadClass::Major && total / area > MAX_DENSITY {
                break;
            }
            layer.lines[class.index()] = lines;
            layer.drawn[class.index()] = true;
        }
        layer
    }

    /// Draw the kept classes, footways first and major streets on top.
    pub fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        for class in RoadClass::ALL.iter().rev() {
            let style = class.colour().stroke_width(class.width());
            for line in &self.lines[class.index()] {
                area.draw(&PathElement::new(line.clone(), style))?;
            }
        }
        Ok(())
    }

    /// Legend rows: one line per drawn class with lines on this map, and a note
    /// naming the classes left out at this scale.
    pub fn legend<DB: DrawingBackend>(
        &self,
        lg: &mut LegendWriter<'_, DB>,
        t: &Text,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        for class in RoadClass::ALL {
            if self.drawn[class.index()] && !self.lines[class.index()].is_empty() {
                lg.line(class.colour(), class.width() + 1, &class.words(t))?;
            }
        }
        let left_out: Vec<String> = RoadClass::ALL
            .iter()
            .filter(|c| !self.drawn[c.index()])
            .map(|c| c.words(t))
            .collect();
        if !left_out.is_empty() {
            lg.note(&match t.lang {
                super::Lang::Zh => format!("比例尺下未绘：{}", left_out.join("、")),
                super::Lang::En => format!("not drawn at this scale: {}", left_out.join(", ")),
            })?;
        }
        Ok(())
    }
}

/// Outline every unit and write its name inside it where the name fits and does
/// not overlap another; returns how many units were outlined.
pub fn draw_units<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    px: &Px,
    frame: &LocalFrame,
    units: &[UnitShape],
    t: &Text,
) -> Result<usize, DrawingAreaErrorKind<DB::ErrorType>> {
    let (w, h) = area.dim_in_pixel();
    let (wf, hf) = (f64::from(w), f64::from(h));
    let style = UNIT_LINE.mix(0.85).stroke_width(2);
    let mut n = 0;
    for u in units {
        n += 1;
        for poly in &u.shape.0 {
            for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                let pts: Vec<(f64, f64)> =
                    ring.0.iter().map(|c| px.pf(frame.xy(c.x, c.y))).collect();
                for piece in clip_line(&pts, wf, hf) {
                    #[allow(clippy::cast_possible_truncation)]
                    let ints: Vec<(i32, i32)> = piece
                        .iter()
                        .map(|p| (p.0.round() as i32, p.1.round() as i32))
                        .collect();
                    area.draw(&PathElement::new(ints, style))?;
                }
            }
        }
    }
    // Names: largest units first; a name must fit inside its unit's box and the map.
    let mut order: Vec<(usize, f64)> = units
        .iter()
        .enumerate()
        .map(|(i, u)| (i, u.shape.unsigned_area()))
        .collect();
    order.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let size = 17.0;
    let mut taken: Vec<[i32; 4]> = Vec::new();
    let overlaps =
        |a: &[i32; 4], b: &[i32; 4]| a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
    #[allow(clippy::cast_possible_truncation)]
    let (wi, hi) = (w as i32, h as i32);
    for (i, _) in order {
        let u = &units[i];
        let name = u.unit_name.trim();
        let biggest = u
            .shape
            .0
            .iter()
            .max_by(|a, b| a.unsigned_area().total_cmp(&b.unsigned_area()));
        let (Some(poly), Some(bb)) = (biggest, u.shape.bounding_rect()) else {
            continue;
        };
        let Some(at) = poly.interior_point() else {
            continue;
        };
        let (x, y) = px.p(frame.xy(at.x(), at.y()));
        let (x0, y1) = px.p(frame.xy(bb.min().x, bb.min().y));
        let (x1, y0) = px.p(frame.xy(bb.max().x, bb.max().y));
        let tw = text_width(&t.s(name), size) + 10;
        let r = [x - tw / 2, y - 13, x - tw / 2 + tw, y + 13];
        let fits = !name.is_empty()
            && tw <= x1 - x0
            && 26 <= y1 - y0
            && r[0] >= 0
            && r[1] >= 0
            && r[2] <= wi
            && r[3] <= hi;
        if !fits || taken.iter().any(|q| overlaps(&r, q)) {
            continue;
        }
        taken.push(r);
        area.draw(&Rectangle::new(
            [(r[0], r[1]), (r[2], r[3])],
            WHITE.mix(0.75).filled(),
        ))?;
        area.draw(&Label::new(t, name, (x, y), size, INK).anchor(HPos::Center, VPos::Center))?;
    }
    Ok(n)
}

/// Draw the context of one map (network, then unit boundaries and names) and
/// return the network layer for the legend.
pub fn draw_context<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    px: &Px,
    frame: &LocalFrame,
    network: Option<&Network>,
    units: &[UnitShape],
    t: &Text,
) -> Result<(Option<NetworkLayer>, usize), DrawingAreaErrorKind<DB::ErrorType>> {
    let (w, h) = area.dim_in_pixel();
    let layer = network
        .filter(|n| !n.is_empty())
        .map(|n| NetworkLayer::new(n, frame, px, w, h));
    if let Some(l) = &layer {
        l.draw(area)?;
    }
    let units = draw_units(area, px, frame, units, t)?;
    Ok((layer, units))
}

/// Legend rows of the context: network classes and the unit boundary.
pub fn legend<DB: DrawingBackend>(
    lg: &mut LegendWriter<'_, DB>,
    layer: Option<&NetworkLayer>,
    units: usize,
    t: &Text,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    if let Some(l) = layer {
        l.legend(lg, t)?;
    }
    if units > 0 {
        lg.line(
            UNIT_LINE.mix(0.85),
            3,
            &match t.lang {
                super::Lang::Zh => format!("规划单元边界（{units} 个）"),
                super::Lang::En => format!("planning units ({units})"),
            },
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chains_follow_degree_two_nodes() {
        // 0-1-2-3 a path, 3-4 and 3-5 a fork, 6-7 alone.
        let segs = [[1, 2], [0, 1], [2, 3], [3, 4], [3, 5], [6, 7]];
        let lines = chain(&segs);
        assert_eq!(
            lines,
            vec![vec![0, 1, 2, 3], vec![3, 4], vec![3, 5], vec![6, 7]]
        );
        // Every segment appears exactly once.
        let n: usize = lines.iter().map(|l| l.len() - 1).sum();
        assert_eq!(n, segs.len());
    }

    #[test]
    fn a_ring_is_one_line() {
        let lines = chain(&[[0, 1], [1, 2], [2, 0]]);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].len(), 4);
    }

    #[test]
    fn clipping_cuts_at_the_border() {
        let pieces = clip_line(
            &[
                (-10.0, 5.0),
                (5.0, 5.0),
                (5.0, 20.0),
                (5.0, 30.0),
                (8.0, 8.0),
            ],
            10.0,
            10.0,
        );
        assert_eq!(pieces.len(), 2);
        assert_eq!(pieces[0], vec![(0.0, 5.0), (5.0, 5.0), (5.0, 10.0)]);
        assert!((pieces[1][0].1 - 10.0).abs() < 1e-9);
        assert_eq!(pieces[1][1], (8.0, 8.0));
    }

    /// A square of `n` × `n` parallel north–south lines `step_m` apart (lon/lat
    /// around 121.5° E, 31.3° N), all of one class.
    fn grid(n: usize, step_m: f64) -> Vec<Vec<(f64, f64)>> {
        let dlon = step_m / 95_000.0;
        let dlat = (n as f64) * step_m / 111_000.0;
        (0..n)
            .map(|i| {
                let lon = 121.5 + i as f64 * dlon;
                vec![(lon, 31.3), (lon, 31.3 + dlat)]
            })
            .collect()
    }

    #[test]
    fn density_rule_drops_fine_classes_on_large_maps() {
        let network = Network {
            lines: [grid(10, 1000.0), grid(100, 100.0), grid(400, 25.0)],
        };
        let frame = LocalFrame::around([(121.5, 31.3), (121.6, 31.39)].into_iter()).unwrap();
        // 10 km on 1000 px: 10 m per pixel. Major 10 lines × 1000 px, minor 100 ×
        // 1000 px (0.11 px/px² with major: kept), footways 400 × 1000 (too dense).
        let px = Px::fit([-5000.0, -5000.0, 5000.0, 5000.0], 1000, 1000);
        let layer = NetworkLayer::new(&network, &frame, &px, 1000, 1000);
        assert_eq!(layer.drawn, [true, true, false]);
        assert!(!layer.lines[0].is_empty() && layer.lines[2].is_empty());
        // Zoomed in 10×: a tenth of everything is in view, every class fits.
        let px = Px::fit([-5000.0, -5000.0, -4000.0, -4000.0], 1000, 1000);
        let layer = NetworkLayer::new(&network, &frame, &px, 1000, 1000);
        assert_eq!(layer.drawn, [true, true, true]);
        // Every drawn point lies inside the map.
        for l in layer.lines.iter().flatten() {
            assert!(
                l.iter()
                    .all(|p| (0..=1000).contains(&p.0) && (0..=1000).contains(&p.1))
            );
        }
    }

    #[test]
    fn classes() {
        assert_eq!(RoadClass::of("primary"), RoadClass::Major);
        assert_eq!(RoadClass::of("residential"), RoadClass::Minor);
        assert_eq!(RoadClass::of("footway"), RoadClass::Footway);
        assert_eq!(RoadClass::of("steps"), RoadClass::Footway);
        for c in crate::network::pedestrian::HIGHWAY_CLASSES {
            let _ = RoadClass::of(c);
        }
    }
}
