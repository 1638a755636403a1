//! Helpers shared by the x/y charts: title block, axis titles and a legend box,
//! all drawn with [`Label`] so PNG and SVG text look alike.

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::label::{Label, text_width};
use super::style::{INK, MUTED, Text};

/// Height of the title block, pixels.
pub const TITLE_H: u32 = 96;

/// Draw the title (and subtitle) at the top of `root`; returns the area below.
pub fn title_block<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    t: &Text,
    title: &str,
    subtitle: Option<&str>,
) -> Result<DrawingArea<DB, Shift>, DrawingAreaErrorKind<DB::ErrorType>> {
    let (head, body) = root.split_vertically(TITLE_H);
    head.draw(&Label::new(t, title, (24, 16), 32.0, INK))?;
    if let Some(s) = subtitle {
        head.draw(&Label::new(t, s, (24, 62), 19.0, MUTED))?;
    }
    Ok(body)
}

/// Axis titles centred under the x axis and left of the y axis of a plot whose
/// pixel extent (absolute) is `x` × `y`.
pub fn axis_titles<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    t: &Text,
    (x, y): (std::ops::Range<i32>, std::ops::Range<i32>),
    x_title: &str,
    y_title: Option<(&str, i32)>,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.draw(
        &Label::new(t, x_title, ((x.start + x.end) / 2, y.end + 40), 20.0, INK)
            .anchor(HPos::Center, VPos::Top),
    )?;
    if let Some((title, offset)) = y_title {
        root.draw(
            &Label::new(
                t,
                title,
                (x.start - offset, (y.start + y.end) / 2),
                20.0,
                INK,
            )
            .anchor(HPos::Center, VPos::Center)
            .rotated(),
        )?;
    }
    Ok(())
}

/// How a legend entry is marked.
#[derive(Clone, Copy, Debug)]
pub enum Mark {
    /// A solid line.
    Line(RGBColor),
    /// A dashed line.
    Dashed(RGBColor),
    /// A filled square.
    Swatch(RGBColor),
}

/// Where a legend box is anchored.
#[derive(Clone, Copy, Debug)]
pub enum Corner {
    /// Top-left corner at the point.
    TopLeft,
    /// Top-right corner at the point.
    TopRight,
    /// Bottom-right corner at the point.
    BottomRight,
}

/// A framed legend with one row per entry.
pub fn legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    t: &Text,
    at: (i32, i32),
    corner: Corner,
    items: &[(Mark, String)],
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    if items.is_empty() {
        return Ok(());
    }
    let size = 17.0;
    let row = 28;
    let width = items
        .iter()
        .map(|(_, s)| text_width(&t.s(s), size))
        .max()
        .unwrap_or(0)
        + 70;
    let height = row * i32::try_from(items.len()).unwrap_or(0) + 16;
    let (x0, y0) = match corner {
        Corner::TopLeft => at,
        Corner::TopRight => (at.0 - width, at.1),
        Corner::BottomRight => (at.0 - width, at.1 - height),
    };
    root.draw(&Rectangle::new(
        [(x0, y0), (x0 + width, y0 + height)],
        WHITE.mix(0.92).filled(),
    ))?;
    root.draw(&Rectangle::new(
        [(x0, y0), (x0 + width, y0 + height)],
        RGBColor(0xbb, 0xbb, 0xbb).stroke_width(1),
    ))?;
    for (i, (mark, text)) in items.iter().enumerate() {
        let y = y0 + 8 + row * i32::try_from(i).unwrap_or(0) + row / 2;
        let (mx, mw) = (x0 + 12, 34);
        match *mark {
            Mark::Line(c) => {
                root.draw(&PathElement::new(
                    vec![(mx, y), (mx + mw, y)],
                    c.stroke_width(3),
                ))?;
            }
            Mark::Dashed(c) => {
                root.draw(&DashedPathElement::new(
                    vec![(mx, y), (mx + mw, y)],
                    8,
                    5,
                    c.stroke_width(3),
                ))?;
            }
            Mark::Swatch(c) => {
                root.draw(&Rectangle::new(
                    [(mx + 8, y - 8), (mx + 26, y + 8)],
                    c.filled(),
                ))?;
            }
        }
        root.draw(
            &Label::new(t, text, (mx + mw + 12, y), size, INK).anchor(HPos::Left, VPos::Center),
        )?;
    }
    Ok(())
}
