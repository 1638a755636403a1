//! Shared look of the charts: colours, text styles, number formats and the
//! two-language labels.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::BTreeSet;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::Lang;
use super::font::{FAMILY, drawable, has_glyph};

/// Walking-time tier bands of the coverage map (upper bounds, minutes).
pub const TIER_BOUNDS_MIN: [f64; 3] = crate::export::qgis_style::TIER_BOUNDS_MIN;

const fn rgb(c: [u8; 3]) -> RGBColor {
    RGBColor(c[0], c[1], c[2])
}

/// Tier colours: ≤5, ≤10, ≤15, >15 minutes, not reached, off the network (the
/// same constants style the GeoPackage for QGIS).
pub const TIER_COLOURS: [RGBColor; 6] = {
    let c = crate::export::qgis_style::TIER_RGB;
    [
        rgb(c[0]),
        rgb(c[1]),
        rgb(c[2]),
        rgb(c[3]),
        rgb(c[4]),
        rgb(c[5]),
    ]
};

/// Categorical palette for lines and bars (colour-blind-safe order).
pub const PALETTE: [RGBColor; 8] = {
    let c = crate::export::qgis_style::CATEGORY_RGB;
    [
        rgb(c[0]),
        rgb(c[1]),
        rgb(c[2]),
        rgb(c[3]),
        rgb(c[4]),
        rgb(c[5]),
        rgb(c[6]),
        rgb(c[7]),
    ]
};

/// Site markers.
pub const SITE: RGBColor = RGBColor(0x12, 0x3e, 0x8c);
/// Gap outlines.
pub const GAP: RGBColor = rgb(crate::export::qgis_style::GAP_RGB);
/// Main text.
pub const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
/// Secondary text.
pub const MUTED: RGBColor = RGBColor(0x66, 0x66, 0x66);
/// Reference lines.
pub const GUIDE: RGBColor = RGBColor(0x99, 0x99, 0x99);

/// Colour of category `i` in multi-category charts.
#[must_use]
pub fn palette(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// A text style in the chart font.
pub fn font(size: f64, colour: RGBColor) -> TextStyle<'static> {
    (FAMILY, size).into_font().color(&colour)
}

/// A text style anchored at (`h`, `v`).
pub fn anchored(size: f64, colour: RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    font(size, colour).pos(Pos::new(h, v))
}

/// Full-width brackets drawn as their half-width forms in PNGs.
const HALF_WIDTH: [(char, char); 6] = [
    ('（', '('),
    ('）', ')'),
    ('【', '['),
    ('】', ']'),
    ('［', '['),
    ('］', ']'),
];

/// Text for one backend: PNG text loses the characters the font lacks (drawn as
/// `?`, collected for a warning); SVG text is kept as it is.
#[derive(Debug)]
pub struct Text {
    /// Label language.
    pub lang: Lang,
    png: bool,
    missing: RefCell<BTreeSet<char>>,
}

impl Text {
    /// For the SVG (`png = false`) or the PNG rendering.
    #[must_use]
    pub fn new(lang: Lang, png: bool) -> Self {
        Self {
            lang,
            png,
            missing: RefCell::new(BTreeSet::new()),
        }
    }

    /// `s` ready to draw.
    pub fn s<'a>(&self, s: &'a str) -> Cow<'a, str> {
        if !self.png {
            return Cow::Borrowed(s);
        }
        // plotters' ab_glyph renderer ignores each glyph's left side bearing, so
        // full-width brackets (ink on one side of the em box) would be drawn with
        // a hole after the opening one; half-width forms look right in PNGs.
        let s: Cow<'a, str> = if s.chars().any(|c| HALF_WIDTH.iter().any(|(f, _)| *f == c)) {
            Cow::Owned(
                s.chars()
                    .map(|c| {
                        HALF_WIDTH
                            .iter()
                            .find(|(f, _)| *f == c)
                            .map_or(c, |(_, h)| *h)
                    })
                    .collect(),
            )
        } else {
            Cow::Borrowed(s)
        };
        if s.chars().all(has_glyph) {
            return s;
        }
        self.missing
            .borrow_mut()
            .extend(s.chars().filter(|c| !has_glyph(*c)));
        Cow::Owned(drawable(&s).into_owned())
    }

    /// The label in the current language, ready to draw.
    pub fn l<'a>(&self, zh: &'a str, en: &'a str) -> Cow<'a, str> {
        self.s(match self.lang {
            Lang::Zh => zh,
            Lang::En => en,
        })
    }

    /// Whether this is the PNG rendering.
    #[must_use]
    pub fn is_png(&self) -> bool {
        self.png
    }

    /// Characters replaced so far.
    #[must_use]
    pub fn missing(&self) -> BTreeSet<char> {
        self.missing.borrow().clone()
    }
}

/// `0.4567` → `45.7%`.
#[must_use]
pub fn pct(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

/// A "nice" round number ≤ `x` from the 1–2–2.5–5 series (for scale bars).
#[must_use]
pub fn nice_floor(x: f64) -> f64 {
    if !(x.is_finite() && x > 0.0) {
        return 1.0;
    }
    let p = 10f64.powf(x.log10().floor());
    let m = x / p;
    let step = if m >= 5.0 {
        5.0
    } else if m >= 2.5 {
        2.5
    } else if m >= 2.0 {
        2.0
    } else {
        1.0
    };
    step * p
}

/// A distance for a scale bar: `500 m`, `1 km`, `2.5 km`.
#[must_use]
pub fn fmt_metres(m: f64) -> String {
    if m >= 1000.0 {
        let km = m / 1000.0;
        if (km - km.round()).abs() < 1e-9 {
            format!("{km:.0} km")
        } else {
            format!("{km:.1} km")
        }
    } else {
        format!("{m:.0} m")
    }
}

/// The category label in the current language (falls back to the other label,
/// then to the column name).
#[must_use]
pub fn category_label(c: &crate::present::report::CategorySummary, lang: Lang) -> String {
    let (first, second) = match lang {
        Lang::Zh => (&c.label_zh, &c.label_en),
        Lang::En => (&c.label_en, &c.label_zh),
    };
    first
        .clone()
        .or_else(|| second.clone())
        .unwrap_or_else(|| c.name.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_numbers() {
        assert!((nice_floor(730.0) - 500.0).abs() < 1e-9);
        assert!((nice_floor(2600.0) - 2500.0).abs() < 1e-9);
        assert!((nice_floor(199.0) - 100.0).abs() < 1e-9);
        assert_eq!(fmt_metres(500.0), "500 m");
        assert_eq!(fmt_metres(2000.0), "2 km");
        assert_eq!(fmt_metres(2500.0), "2.5 km");
    }
}
