//! QGIS layer styles stored in `learncircle.gpkg`, so that dragging the file
//! into QGIS shows the walking-time bands, the sites and the gaps without any
//! manual styling — in the colours of the report's maps and of `map.html`.
//!
//! * **Where:** the `layer_styles` table as QGIS itself creates it in a
//!   GeoPackage (through GDAL: `id` primary key, `f_table_catalog`,
//!   `f_table_schema`, `f_table_name`, `f_geometry_column`, `styleName`,
//!   `styleQML`, `styleSLD`, `useAsDefault`, `description`, `owner`, `ui`,
//!   `update_time`), registered in `gpkg_contents` as an `attributes` table.
//!   QGIS applies the row with `useAsDefault = 1` of a layer when the layer is
//!   added; the other rows are listed under Layer Properties → Style → Load
//!   Style → From Database.
//! * **Styles** (QML, QGIS 3.x):
//!   * `cells`: one rule-based style per category on `<category>_walk_min` —
//!     the GB 50180 bands ≤ 5, 5–10, 10–15, > 15 minutes, nothing within reach
//!     (empty value) and off the network (`off_network = 1`), as the maps draw
//!     them — square markers one cell wide (metres at map scale). The first
//!     category's style is the default. (Rules rather than a graduated renderer
//!     because "nothing within reach" is an empty value, which a graduated
//!     renderer would not draw.)
//!   * `sites`: categorized on `category`, one colour per configured category
//!     in the order of `summary.json` (the map's palette).
//!   * `gaps`: outlines only, in the maps' gap colour.
//!   * `units`: outlines with a transparent fill.
//!
//! The colours are defined here, below the charts, and the charts
//! (`present::charts::style`) use the same constants.

use std::fmt::Write as _;

/// Walking-time band colours (RGB): ≤5, ≤10, ≤15, >15 minutes, nothing within
/// reach, off the network.
pub const TIER_RGB: [[u8; 3]; 6] = [
    [0x1a, 0x6f, 0x3c],
    [0x4d, 0xa8, 0x5c],
    [0xb5, 0xdc, 0x8a],
    [0xf4, 0xa5, 0x82],
    [0xcf, 0xcf, 0xcf],
    [0xf2, 0xd8, 0xf0],
];

/// Upper bounds of the walking-time bands, minutes.
pub const TIER_BOUNDS_MIN: [f64; 3] = [5.0, 10.0, 15.0];

/// Categorical palette (colour-blind-safe order): category `i` of a run.
pub const CATEGORY_RGB: [[u8; 3]; 8] = [
    [0x1f, 0x5f, 0x9e],
    [0xe0, 0x7b, 0x14],
    [0x2a, 0x9d, 0x5a],
    [0xc0, 0x39, 0x2b],
    [0x7b, 0x52, 0xab],
    [0x8c, 0x56, 0x3c],
    [0xd0, 0x5c, 0xa8],
    [0x5f, 0x6b, 0x73],
];

/// Gap outline colour.
pub const GAP_RGB: [u8; 3] = [0xd0, 0x00, 0x5a];

/// Unit outline colour.
pub const UNIT_RGB: [u8; 3] = [0x30, 0x30, 0x30];

/// Labels of the walking-time bands (Chinese / English).
pub const TIER_LABELS: [(&str, &str); 6] = [
    ("≤ 5 分钟", "≤ 5 min"),
    ("5–10 分钟", "5–10 min"),
    ("10–15 分钟", "10–15 min"),
    ("> 15 分钟", "> 15 min"),
    ("搜索范围内无设施", "nothing within reach"),
    ("不在路网上", "off the network"),
];

/// One row of `layer_styles`.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerStyle {
    /// The styled table (`f_table_name`).
    pub table: String,
    /// `styleName`.
    pub name: String,
    /// `description`.
    pub description: String,
    /// `styleQML`.
    pub qml: String,
    /// `useAsDefault`.
    pub default: bool,
}

/// A category as the styles name it.
#[derive(Clone, Debug)]
pub struct StyleCategory<'a> {
    /// Category name (column prefix and `sites.category` value).
    pub name: &'a str,
    /// Chinese label, if any.
    pub label_zh: Option<&'a str>,
    /// English label, if any.
    pub label_en: Option<&'a str>,
}

impl StyleCategory<'_> {
    fn label(&self) -> String {
        match (self.label_zh, self.label_en) {
            (Some(zh), Some(en)) if zh != en => format!("{zh} / {en}"),
            (Some(l), _) | (None, Some(l)) => l.to_owned(),
            (None, None) => self.name.to_owned(),
        }
    }
}

/// XML text or attribute value: `<>&'"` (and `\r`) as entities, by quick-xml.
fn esc(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

fn rgba(c: [u8; 3], alpha: u8) -> String {
    format!("{},{},{},{alpha}", c[0], c[1], c[2])
}

/// A symbol layer's properties as QML `<Option>` elements.
fn options(props: &[(&str, String)]) -> String {
    let mut s = String::from("<Option type=\"Map\">");
    for (k, v) in props {
        let _ = write!(
            s,
            "<Option type=\"QString\" name=\"{}\" value=\"{}\"/>",
            esc(k),
            esc(v)
        );
    }
    s.push_str("</Option>");
    s
}

/// A square marker one cell wide (metres at map scale), no outline.
fn cell_symbol(name: usize, colour: [u8; 3], cell_m: f64) -> String {
    format!(
        "<symbol type=\"marker\" name=\"{name}\" alpha=\"1\" clip_to_extent=\"1\" force_rhr=\"0\">\
         <layer class=\"SimpleMarker\" enabled=\"1\" locked=\"0\" pass=\"0\">{}</layer></symbol>",
        options(&[
            ("name", "square".into()),
            ("color", rgba(colour, 255)),
            ("outline_style", "no".into()),
            ("outline_color", rgba(colour, 255)),
            ("size", format!("{cell_m:.1}")),
            ("size_unit", "RenderMetersInMapUnits".into()),
            ("angle", "0".into()),
        ])
    )
}

/// A filled circle with a white outline (sites).
fn site_symbol(name: usize, colour: [u8; 3]) -> String {
    format!(
        "<symbol type=\"marker\" name=\"{name}\" alpha=\"1\" clip_to_extent=\"1\" force_rhr=\"0\">\
         <layer class=\"SimpleMarker\" enabled=\"1\" locked=\"0\" pass=\"0\">{}</layer></symbol>",
        options(&[
            ("name", "circle".into()),
            ("color", rgba(colour, 255)),
            ("outline_style", "solid".into()),
            ("outline_color", "255,255,255,255".into()),
            ("outline_width", "0.4".into()),
            ("outline_width_unit", "MM".into()),
            ("size", "3".into()),
            ("size_unit", "MM".into()),
        ])
    )
}

/// An outline with no fill.
fn outline_symbol(name: usize, colour: [u8; 3], width_mm: f64) -> String {
    format!(
        "<symbol type=\"fill\" name=\"{name}\" alpha=\"1\" clip_to_extent=\"1\" force_rhr=\"0\">\
         <layer class=\"SimpleFill\" enabled=\"1\" locked=\"0\" pass=\"0\">{}</layer></symbol>",
        options(&[
            ("style", "no".into()),
            ("color", rgba(colour, 0)),
            ("outline_style", "solid".into()),
            ("outline_color", rgba(colour, 255)),
            ("outline_width", format!("{width_mm:.2}")),
            ("outline_width_unit", "MM".into()),
        ])
    )
}

fn document(renderer: &str) -> String {
    format!(
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n\
         <qgis version=\"3.28.0-Firenze\" styleCategories=\"Symbology\">\n{renderer}\n</qgis>\n"
    )
}

/// The QML filter of walking-time band `i` on column `walk`.
fn band_filter(i: usize, walk: &str) -> String {
    let col = format!("\"{walk}\"");
    let on = "coalesce(\"off_network\", 0) = 0";
    match i {
        0 => format!("{on} AND {col} <= {}", TIER_BOUNDS_MIN[0]),
        1 | 2 => format!(
            "{on} AND {col} > {} AND {col} <= {}",
            TIER_BOUNDS_MIN[i - 1],
            TIER_BOUNDS_MIN[i]
        ),
        3 => format!("{on} AND {col} > {}", TIER_BOUNDS_MIN[2]),
        4 => format!("{on} AND {col} IS NULL"),
        _ => "\"off_network\" = 1".to_owned(),
    }
}

/// The `cells` styles: one per category, the first the default. `cell_m` is
/// the cell spacing in metres (marker width).
#[must_use]
pub fn cells_styles(categories: &[StyleCategory<'_>], cell_m: f64) -> Vec<LayerStyle> {
    let cell_m = if cell_m.is_finite() && cell_m > 0.0 {
        cell_m
    } else {
        100.0
    };
    categories
        .iter()
        .enumerate()
        .map(|(k, c)| {
            let walk = format!("{}_walk_min", c.name);
            let mut rules = String::new();
            let mut symbols = String::new();
            for (i, colour) in TIER_RGB.iter().enumerate() {
                let (zh, en) = TIER_LABELS[i];
                let _ = write!(
                    rules,
                    "<rule key=\"{{lc-band-{i}}}\" symbol=\"{i}\" label=\"{}\" filter=\"{}\"/>",
                    esc(&format!("{zh} / {en}")),
                    esc(&band_filter(i, &walk))
                );
                symbols.push_str(&cell_symbol(i, *colour, cell_m));
            }
            let renderer = format!(
                "<renderer-v2 type=\"RuleRenderer\" symbollevels=\"0\" enableorderby=\"0\" forceraster=\"0\">\
                 <rules key=\"{{lc-root}}\">{rules}</rules><symbols>{symbols}</symbols></renderer-v2>"
            );
            LayerStyle {
                table: "cells".into(),
                name: format!("walking time: {}", c.name),
                description: format!(
                    "learncircle: walking time to the nearest {} site ({walk}), GB 50180 bands",
                    c.label()
                ),
                qml: document(&renderer),
                default: k == 0,
            }
        })
        .collect()
}

/// The `sites` style: categorized on `category`.
#[must_use]
pub fn sites_style(categories: &[StyleCategory<'_>]) -> LayerStyle {
    let mut cats = String::new();
    let mut symbols = String::new();
    for (i, c) in categories.iter().enumerate() {
        let _ = write!(
            cats,
            "<category value=\"{}\" symbol=\"{i}\" label=\"{}\" render=\"true\"/>",
            esc(c.name),
            esc(&c.label())
        );
        symbols.push_str(&site_symbol(i, CATEGORY_RGB[i % CATEGORY_RGB.len()]));
    }
    let renderer = format!(
        "<renderer-v2 type=\"categorizedSymbol\" attr=\"category\" symbollevels=\"0\" enableorderby=\"0\" forceraster=\"0\">\
         <categories>{cats}</categories><symbols>{symbols}</symbols></renderer-v2>"
    );
    LayerStyle {
        table: "sites".into(),
        name: "sites by category".into(),
        description: "learncircle: sites coloured by category (the map's palette)".into(),
        qml: document(&renderer),
        default: true,
    }
}

fn single(table: &str, name: &str, description: &str, symbol: &str) -> LayerStyle {
    let renderer = format!(
        "<renderer-v2 type=\"singleSymbol\" symbollevels=\"0\" enableorderby=\"0\" forceraster=\"0\">\
         <symbols>{symbol}</symbols></renderer-v2>"
    );
    LayerStyle {
        table: table.into(),
        name: name.into(),
        description: description.into(),
        qml: document(&renderer),
        default: true,
    }
}

/// The `gaps` style: outlines in the maps' gap colour.
#[must_use]
pub fn gaps_style() -> LayerStyle {
    single(
        "gaps",
        "gap outlines",
        "learncircle: gap zones outlined",
        &outline_symbol(0, GAP_RGB, 0.8),
    )
}

/// The `units` style: dark outlines, no fill.
#[must_use]
pub fn units_style() -> LayerStyle {
    single(
        "units",
        "unit boundaries",
        "learncircle: planning-unit boundaries",
        &outline_symbol(0, UNIT_RGB, 0.5),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cats() -> Vec<StyleCategory<'static>> {
        vec![
            StyleCategory {
                name: "library",
                label_zh: Some("图书馆"),
                label_en: Some("Library"),
            },
            StyleCategory {
                name: "a&b",
                label_zh: None,
                label_en: None,
            },
        ]
    }

    #[test]
    fn cells_styles_cover_every_band() {
        let s = cells_styles(&cats(), 100.0);
        assert_eq!(s.len(), 2);
        assert!(s[0].default && !s[1].default);
        let q = &s[0].qml;
        assert_eq!(q.matches("<rule ").count(), 6);
        assert!(q.contains("&quot;library_walk_min&quot; &lt;= 5"), "{q}");
        assert!(q.contains("&quot;library_walk_min&quot; IS NULL"));
        assert!(q.contains("value=\"26,111,60,255\""));
        assert!(q.contains("RenderMetersInMapUnits"));
        assert!(s[1].qml.contains("a&amp;b_walk_min"));
    }

    #[test]
    fn documents_are_well_formed() {
        let mut all = cells_styles(&cats(), 100.0);
        all.push(sites_style(&cats()));
        all.push(gaps_style());
        all.push(units_style());
        for s in all {
            let doc = s.qml.replace(
                "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n",
                "",
            );
            roxmltree::Document::parse(&doc).unwrap_or_else(|e| panic!("{}: {e}", s.name));
        }
    }

    #[test]
    fn sites_use_the_palette_in_category_order() {
        let s = sites_style(&cats());
        assert!(
            s.qml
                .contains("value=\"library\" symbol=\"0\" label=\"图书馆 / Library\"")
        );
        assert!(s.qml.contains("31,95,158,255"));
        assert!(s.qml.contains("224,123,20,255"));
    }
}
