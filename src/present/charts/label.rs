//! Text labels drawn the same way in SVG and PNG.
//!
//! In SVG a [`Label`] is an ordinary `<text>` element (through plotters' backend).
//! In PNG it is laid out and rasterised here with `ab_glyph` — with each glyph's
//! side bearings and the font's kerning — because plotters' own bitmap text
//! ignores side bearings (uneven letter spacing, holes after `（`). Sizes follow
//! plotters' convention (font size = `size / 1.24` pixels per em, as its SVG
//! backend writes) so both renderings match.

use ab_glyph::{Font as _, GlyphId, PxScale, ScaleFont as _, point};
use plotters::element::{Drawable, PointCollection};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{Color as _, FontTransform, IntoFont as _, RGBColor, TextStyle};
use plotters_backend::{BackendColor, BackendCoord, DrawingBackend, DrawingErrorKind};

use super::font::{FAMILY, font_ref};
use super::style::Text;

/// Pixels per em for a plotters font size.
fn em_px(size: f64) -> f32 {
    #[allow(clippy::cast_possible_truncation)]
    let em = (size / 1.24) as f32;
    em
}

/// Width in pixels of `text` at plotters size `size` (0 without a font).
#[must_use]
pub fn text_width(text: &str, size: f64) -> i32 {
    let Some(font) = font_ref() else { return 0 };
    let scaled = font.as_scaled(scale_for(size));
    let mut w = 0.0f32;
    let mut prev: Option<GlyphId> = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = prev {
            w += scaled.kern(p, id);
        }
        w += scaled.h_advance(id);
        prev = Some(id);
    }
    #[allow(clippy::cast_possible_truncation)]
    let w = w.ceil() as i32;
    w
}

fn scale_for(size: f64) -> PxScale {
    let em = em_px(size);
    match font_ref() {
        Some(f) => {
            let upem = f.units_per_em().unwrap_or(1000.0);
            PxScale::from(em * f.height_unscaled() / upem)
        }
        None => PxScale::from(em),
    }
}

/// A piece of text at a pixel position.
#[derive(Clone)]
pub struct Label {
    text: String,
    pos: BackendCoord,
    size: f64,
    colour: RGBColor,
    h: HPos,
    v: VPos,
    rotated: bool,
    bitmap: bool,
}

impl Label {
    /// `text` (passed through `t` for the target backend) at `pos`, anchored at
    /// its top left.
    pub fn new(t: &Text, text: &str, pos: BackendCoord, size: f64, colour: RGBColor) -> Self {
        Self {
            text: t.s(text).into_owned(),
            pos,
            size,
            colour,
            h: HPos::Left,
            v: VPos::Top,
            rotated: false,
            bitmap: t.is_png(),
        }
    }

    /// Anchor the text at `pos` by (`h`, `v`).
    #[must_use]
    pub fn anchor(mut self, h: HPos, v: VPos) -> Self {
        self.h = h;
        self.v = v;
        self
    }

    /// Rotate by 270° (reads bottom to top; for vertical axis titles).
    #[must_use]
    pub fn rotated(mut self) -> Self {
        self.rotated = true;
        self
    }

    fn raster<DB: DrawingBackend>(
        &self,
        at: BackendCoord,
        backend: &mut DB,
    ) -> Result<(), DrawingErrorKind<DB::ErrorType>> {
        let Some(font) = font_ref() else {
            return Ok(());
        };
        let scale = scale_for(self.size);
        let scaled = font.as_scaled(scale);
        let em = em_px(self.size);
        let width = text_width(&self.text, self.size) as f32;
        let x0 = match self.h {
            HPos::Left => 0.0,
            HPos::Center => -width / 2.0,
            HPos::Right => -width,
        };
        // Same baselines as plotters' SVG backend (dy = 0.76em, 0.5ex, -0.5ex).
        let ex = 0.52 * em;
        let baseline = match self.v {
            VPos::Top => 0.76 * em,
            VPos::Center => 0.5 * ex,
            VPos::Bottom => -0.5 * ex,
        };
        let (r, g, b) = (self.colour.0, self.colour.1, self.colour.2);
        let alpha = self.colour.to_rgba().3;
        let mut pen = x0;
        let mut prev: Option<GlyphId> = None;
        for c in self.text.chars() {
            let id = scaled.glyph_id(c);
            if let Some(p) = prev {
                pen += scaled.kern(p, id);
            }
            prev = Some(id);
            let glyph = id.with_scale_and_position(scale, point(pen, baseline));
            pen += scaled.h_advance(id);
            let Some(outline) = font.outline_glyph(glyph) else {
                continue;
            };
            let bounds = outline.px_bounds();
            let mut result = Ok(());
            outline.draw(|gx, gy, cov| {
                if cov < 0.02 || result.is_err() {
                    return;
                }
                #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
                let (dx, dy) = (
                    (bounds.min.x + gx as f32).round() as i32,
                    (bounds.min.y + gy as f32).round() as i32,
                );
                let p = if self.rotated {
                    (at.0 + dy, at.1 - dx)
                } else {
                    (at.0 + dx, at.1 + dy)
                };
                result = backend.draw_pixel(
                    p,
                    BackendColor {
                        alpha: alpha * f64::from(cov.min(1.0)),
                        rgb: (r, g, b),
                    },
                );
            });
            result?;
        }
        Ok(())
    }
}

impl<'b> PointCollection<'b, BackendCoord> for &'b Label {
    type Point = &'b BackendCoord;
    type IntoIter = std::iter::Once<&'b BackendCoord>;
    fn point_iter(self) -> Self::IntoIter {
        std::iter::once(&self.pos)
    }
}

impl<DB: DrawingBackend> Drawable<DB> for Label {
    fn draw<I: Iterator<Item = BackendCoord>>(
        &self,
        mut pos: I,
        backend: &mut DB,
        _: (u32, u32),
    ) -> Result<(), DrawingErrorKind<DB::ErrorType>> {
        let Some(at) = pos.next() else {
            return Ok(());
        };
        if self.bitmap {
            return self.raster(at, backend);
        }
        let mut style: TextStyle<'_> = (FAMILY, self.size)
            .into_font()
            .color(&self.colour)
            .pos(Pos::new(self.h, self.v));
        if self.rotated {
            style = style.transform(FontTransform::Rotate270);
        }
        backend.draw_text(&self.text, &style, at)
    }
}
