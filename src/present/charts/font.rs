//! The one font every chart is drawn with.
//!
//! A subset of Noto Sans CJK SC (SIL OFL 1.1, `assets/fonts/`) is compiled into the
//! binary and registered with plotters' `ab_glyph` text renderer, so PNG charts
//! never depend on fontconfig or on the fonts a machine happens to have. SVG charts
//! write text as `<text>` elements whose `font-family` is [`FAMILY`]: the report
//! embeds the same font under the first name of that list, and stand-alone SVGs
//! fall back to the usual CJK fonts of the viewer's system.
//!
//! `LEARNCIRCLE_FONT=/path/font.otf` replaces the embedded font (for characters
//! outside its GB 2312 set). Characters the font lacks are drawn as `?` in PNGs
//! (never as empty boxes) and reported as a warning.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use ab_glyph::{Font as _, FontRef};
use plotters::style::FontStyle;

use super::ChartError;

/// The embedded font file (Noto Sans CJK SC Regular, GB 2312 subset).
pub const EMBEDDED_FONT: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/fonts/NotoSansCJKsc-Regular-GB2312.otf"
));

/// Licence of the embedded font (SIL Open Font License 1.1, with its copyright
/// notice), shipped with the binary as the licence requires.
pub const EMBEDDED_FONT_LICENCE: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/fonts/OFL.txt"));

/// Name of the embedded font in the report's `@font-face` rule.
pub const EMBEDDED_FAMILY: &str = "learncircle-cjk";

/// The font family every chart uses: plotters looks the font up under this name,
/// and the SVG backend copies it into each `<text font-family="…">` as a CSS list.
pub const FAMILY: &str = "learncircle-cjk, 'Noto Sans CJK SC', 'Source Han Sans SC', \
     'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', 'WenQuanYi Micro Hei', \
     'Noto Sans', 'DejaVu Sans', Arial, sans-serif";

/// Environment variable naming a font file that replaces the embedded one.
pub const FONT_ENV: &str = "LEARNCIRCLE_FONT";

struct Loaded {
    bytes: &'static [u8],
    font: FontRef<'static>,
    origin: String,
}

static FONT: OnceLock<Result<Loaded, String>> = OnceLock::new();

fn load() -> Result<Loaded, String> {
    let (bytes, origin): (&'static [u8], String) = match std::env::var_os(FONT_ENV) {
        Some(p) if !p.is_empty() => {
            let data = std::fs::read(&p)
                .map_err(|e| format!("{FONT_ENV}={}: cannot read: {e}", p.to_string_lossy()))?;
            (
                Box::leak(data.into_boxed_slice()),
                p.to_string_lossy().into_owned(),
            )
        }
        _ => (
            EMBEDDED_FONT,
            "embedded Noto Sans CJK SC (GB 2312 subset)".to_owned(),
        ),
    };
    let font = FontRef::try_from_slice(bytes)
        .map_err(|e| format!("{origin}: not a usable OpenType/TrueType font: {e}"))?;
    for style in [FontStyle::Normal, FontStyle::Bold] {
        plotters::style::register_font(FAMILY, style, bytes)
            .map_err(|_| format!("{origin}: plotters cannot register the font"))?;
    }
    Ok(Loaded {
        bytes,
        font,
        origin,
    })
}

fn loaded() -> Result<&'static Loaded, ChartError> {
    FONT.get_or_init(load)
        .as_ref()
        .map_err(|reason| ChartError::Font {
            reason: reason.clone(),
        })
}

/// Register the chart font with plotters (once per process).
///
/// # Errors
/// [`ChartError::Font`] when `LEARNCIRCLE_FONT` names a missing or invalid file.
pub fn ensure_registered() -> Result<(), ChartError> {
    loaded().map(|_| ())
}

/// The bytes of the font in use (embedded unless `LEARNCIRCLE_FONT` is set).
///
/// # Errors
/// As [`ensure_registered`].
pub fn font_bytes() -> Result<&'static [u8], ChartError> {
    loaded().map(|l| l.bytes)
}

/// Where the font in use comes from (for warnings and the report's provenance).
///
/// # Errors
/// As [`ensure_registered`].
pub fn font_origin() -> Result<&'static str, ChartError> {
    loaded().map(|l| l.origin.as_str())
}

/// The parsed font in use, for drawing and measuring text.
pub(crate) fn font_ref() -> Option<&'static FontRef<'static>> {
    loaded().ok().map(|l| &l.font)
}

/// Whether the font in use has a glyph for `c` (whitespace and control
/// characters count as present).
#[must_use]
pub fn has_glyph(c: char) -> bool {
    if c.is_whitespace() || c.is_control() {
        return true;
    }
    match loaded() {
        Ok(l) => l.font.glyph_id(c).0 != 0,
        Err(_) => false,
    }
}

/// Characters of `text` the font cannot draw.
#[must_use]
pub fn missing_glyphs(text: &str) -> BTreeSet<char> {
    text.chars().filter(|c| !has_glyph(*c)).collect()
}

/// `text` with every character the font lacks replaced by `?`.
#[must_use]
pub fn drawable(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().all(has_glyph) {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(
            text.chars()
                .map(|c| if has_glyph(c) { c } else { '?' })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_font_draws_chinese_place_names() {
        ensure_registered().unwrap();
        for s in [
            "杨浦区",
            "五角场街道",
            "图书馆",
            "社区文化活动中心",
            "步行时间（分钟）",
            "≤ 5 分钟",
            "© OpenStreetMap contributors",
            "Töölö",
        ] {
            assert!(missing_glyphs(s).is_empty(), "{s}: {:?}", missing_glyphs(s));
        }
    }

    #[test]
    fn missing_glyphs_become_question_marks() {
        // U+2A6A5 (CJK Extension B) is far outside GB 2312.
        let s = "图书馆\u{2A6A5}";
        assert_eq!(drawable(s), "图书馆?");
        assert_eq!(missing_glyphs(s).len(), 1);
    }
}
