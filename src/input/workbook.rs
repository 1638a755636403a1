//! Spreadsheet workbooks (`.xlsx`, `.xlsm`, `.xlsb`, `.xls`, `.ods`) read as tables
//! through calamine: one sheet (the one named by `--sheet`, else the first), its
//! first row as the header, every later row that is not blank as a record.
//!
//! Cells keep their type, so the row readers can tell a number from text: a number
//! cell is used as is, a text cell goes through the same parsing as a CSV field
//! ([`parse_number`]), a formula cell gives the value the spreadsheet program saved
//! with it (a formula cell saved without a value — a workbook written by a tool
//! that does not compute formulas, such as Python's openpyxl — is refused, not
//! read as empty: calamine gives such a cell as empty, so the reader looks the
//! formulas up with `worksheet_formula`), and a date cell is refused where a
//! number is expected (a coordinate
//! typed into a date-formatted column) but read as ISO text (`2024-05-01`)
//! elsewhere. Every row-level reason names the column (`column D (经度): …`) and
//! every location the sheet and the row as the spreadsheet shows it (`sheet 站点
//! row 5`, the header being row 1 when it is the first row).

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

use calamine::{Data, Range, Reader};

use super::InputError;
use super::table::{Fields, parse_number};

/// Extensions read as workbooks (compared case-insensitively).
pub const EXTENSIONS: [&str; 5] = ["xlsx", "xlsm", "xlsb", "xls", "ods"];

/// Whether `path` names a workbook (by extension).
#[must_use]
pub fn is_workbook(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.iter().any(|w| w.eq_ignore_ascii_case(e)))
}

/// One sheet of a workbook: its header and its cells.
#[derive(Debug)]
pub struct Sheet {
    /// The sheet's name.
    pub name: String,
    /// Header texts, one per column of the used range.
    pub headers: Vec<String>,
    range: Range<Data>,
    /// Spreadsheet row number (1-based) of the header.
    header_row: u32,
    /// Index (0-based) of the first column of the used range.
    first_col: u32,
    /// Formula cells saved without a value, by (row, column) 0-based in the sheet:
    /// their formula text.
    uncomputed: HashMap<(u32, u32), String>,
}

/// One data row of a [`Sheet`].
#[derive(Debug)]
pub struct SheetRow<'a> {
    /// Row number as the spreadsheet shows it (1-based, header included).
    pub number: u32,
    cells: &'a [Data],
    sheet: &'a Sheet,
}

/// Read one sheet of a workbook: `sheet` by name, or the first sheet.
///
/// # Errors
/// [`InputError::Workbook`] when the file is not a readable workbook (truncated,
/// password-protected, another format); [`InputError::NoSheet`] when no sheet has
/// that name; [`InputError::Empty`] when the sheet has no cell.
pub fn read_sheet(path: &Path, sheet: Option<&str>) -> Result<Sheet, InputError> {
    let workbook_error = |reason: String| InputError::Workbook {
        path: path.into(),
        reason,
    };
    let file = std::fs::File::open(path).map_err(|source| InputError::Io {
        path: path.into(),
        source,
    })?;
    let mut book = open(path, file).map_err(|e| workbook_error(describe(&e)))?;
    let names = book.sheet_names();
    let name = match sheet {
        Some(wanted) => names
            .iter()
            .find(|n| *n == wanted)
            .or_else(|| {
                names
                    .iter()
                    .find(|n| n.trim().to_lowercase() == wanted.trim().to_lowercase())
            })
            .cloned()
            .ok_or_else(|| InputError::NoSheet {
                path: path.into(),
                sheet: wanted.to_owned(),
                found: names.join(", "),
            })?,
        None => names
            .first()
            .cloned()
            .ok_or_else(|| workbook_error("the workbook has no sheet".into()))?,
    };
    let range = book
        .worksheet_range(&name)
        .map_err(|e| workbook_error(format!("sheet {name}: {}", describe(&e))))?;
    let Some((first_row, first_col)) = range.start() else {
        return Err(InputError::Empty {
            path: path.into(),
            what: "sheet is empty",
        });
    };
    let headers = range
        .rows()
        .next()
        .map(|r| r.iter().map(|c| cell_text(c).into_owned()).collect())
        .unwrap_or_default();
    let uncomputed = uncomputed_formulas(&mut book, &name, &range);
    Ok(Sheet {
        name,
        headers,
        range,
        header_row: first_row + 1,
        first_col,
        uncomputed,
    })
}

/// Formula cells whose saved value is missing (calamine reads them as empty), by
/// 0-based (row, column). A formula whose saved result is the empty text is not
/// one of them: Excel marks it `t="str"` and calamine reads it as `""`. Only looked up when the sheet has an empty cell, since
/// reading the formulas parses the sheet a second time; a workbook whose
/// formulas cannot be read is taken as having none.
fn uncomputed_formulas<R: std::io::Read + std::io::Seek>(
    book: &mut calamine::Sheets<R>,
    name: &str,
    range: &Range<Data>,
) -> HashMap<(u32, u32), String> {
    let mut found = HashMap::new();
    if !range
        .rows()
        .any(|r| r.iter().any(|c| matches!(c, Data::Empty)))
    {
        return found;
    }
    let Ok(formulas) = book.worksheet_formula(name) else {
        return found;
    };
    let Some((r0, c0)) = formulas.start() else {
        return found;
    };
    for (r, c, f) in formulas.used_cells() {
        let at = (
            r0 + u32::try_from(r).unwrap_or(u32::MAX - r0),
            c0 + u32::try_from(c).unwrap_or(u32::MAX - c0),
        );
        let saved = range.get_value(at).unwrap_or(&Data::Empty);
        if !f.trim().is_empty() && matches!(saved, Data::Empty) {
            found.insert(at, f.trim().to_owned());
        }
    }
    found
}

fn open(
    path: &Path,
    file: std::fs::File,
) -> Result<calamine::Sheets<std::io::BufReader<std::fs::File>>, calamine::Error> {
    // calamine picks the format by extension, case-sensitively: give it the
    // lower-case one.
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let reader = std::io::BufReader::new(file);
    Ok(match ext.as_str() {
        "xls" => calamine::Sheets::Xls(calamine::Xls::new(reader).map_err(calamine::Error::Xls)?),
        "xlsb" => {
            calamine::Sheets::Xlsb(calamine::Xlsb::new(reader).map_err(calamine::Error::Xlsb)?)
        }
        "ods" => calamine::Sheets::Ods(calamine::Ods::new(reader).map_err(calamine::Error::Ods)?),
        _ => calamine::Sheets::Xlsx(calamine::Xlsx::new(reader).map_err(calamine::Error::Xlsx)?),
    })
}

/// A calamine error as a sentence for a planner.
fn describe(e: &calamine::Error) -> String {
    use calamine::{Error, OdsError, XlsError, XlsbError, XlsxError};
    let password = matches!(
        e,
        Error::Xlsx(XlsxError::Password)
            | Error::Xls(XlsError::Password)
            | Error::Xlsb(XlsbError::Password)
            | Error::Ods(OdsError::Password)
    );
    if password {
        return "the workbook is password-protected (encrypted); save an unprotected copy".into();
    }
    let zip = matches!(
        e,
        Error::Xlsx(XlsxError::Zip(_)) | Error::Xlsb(XlsbError::Zip(_))
    );
    if zip {
        return format!("not a valid workbook (damaged or truncated file?): {e}");
    }
    e.to_string()
}

impl Sheet {
    /// Data rows (after the header) that hold at least one non-blank cell.
    pub fn rows(&self) -> impl Iterator<Item = SheetRow<'_>> {
        self.range
            .rows()
            .enumerate()
            .skip(1)
            .map(|(i, cells)| SheetRow {
                number: self.header_row + u32::try_from(i).unwrap_or(u32::MAX - 1),
                cells,
                sheet: self,
            })
            .filter(|row| (0..row.cells.len()).any(|i| !row.is_blank(i)))
    }

    /// `sheet NAME row N`, the location of a rejected row.
    #[must_use]
    pub fn location(&self, row: u32) -> String {
        format!("sheet {} row {row}", self.name)
    }

    /// Spreadsheet letters of column `i` of the table (`A`, …, `Z`, `AA`, …).
    #[must_use]
    pub fn column_letters(&self, i: usize) -> String {
        let mut n = u64::from(self.first_col) + i as u64 + 1;
        let mut letters = Vec::new();
        while n > 0 {
            let rem = (n - 1) % 26;
            letters.push(char::from(b'A' + u8::try_from(rem).unwrap_or(0)));
            n = (n - 1) / 26;
        }
        letters.iter().rev().collect()
    }
}

fn is_blank(c: &Data) -> bool {
    match c {
        Data::Empty => true,
        Data::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// A cell as text: strings trimmed, numbers in their shortest exact form (`1`,
/// `121.514`), dates as ISO 8601, booleans as `TRUE`/`FALSE`, errors as shown.
fn cell_text(c: &Data) -> Cow<'_, str> {
    match c {
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => Cow::Borrowed(s.trim()),
        Data::Float(f) => Cow::Owned(f.to_string()),
        Data::Int(n) => Cow::Owned(n.to_string()),
        Data::Bool(b) => Cow::Borrowed(if *b { "TRUE" } else { "FALSE" }),
        Data::DateTime(d) => Cow::Owned(iso_date(d)),
        Data::Error(e) => Cow::Owned(e.to_string()),
        Data::Empty => Cow::Borrowed(""),
    }
}

/// `2024-05-01`, or `2024-05-01 08:30:00` when the time of day is not midnight.
fn iso_date(d: &calamine::ExcelDateTime) -> String {
    let (y, mo, da, h, mi, s, _) = d.to_ymd_hms_milli();
    if d.is_duration() {
        return format!("{} days", d.as_f64());
    }
    if (h, mi, s) == (0, 0, 0) {
        format!("{y:04}-{mo:02}-{da:02}")
    } else {
        format!("{y:04}-{mo:02}-{da:02} {h:02}:{mi:02}:{s:02}")
    }
}

impl SheetRow<'_> {
    fn cell(&self, i: usize) -> &Data {
        self.cells.get(i).unwrap_or(&Data::Empty)
    }

    /// The formula of cell `i` when it was saved without its value.
    fn uncomputed(&self, i: usize) -> Option<&str> {
        if self.sheet.uncomputed.is_empty() {
            return None;
        }
        let col = self.sheet.first_col + u32::try_from(i).ok()?;
        self.sheet
            .uncomputed
            .get(&(self.number - 1, col))
            .map(String::as_str)
    }

    /// The reason for a formula cell without a saved value.
    fn uncomputed_reason(&self, i: usize, formula: &str) -> String {
        self.at(
            i,
            &format!(
                "the formula ={formula} has no saved value: the workbook must be saved by a spreadsheet program that computes formulas (Excel, LibreOffice Calc, WPS); tools such as openpyxl write formulas without their results"
            ),
        )
    }
}

impl Fields for SheetRow<'_> {
    fn text(&self, i: usize) -> Result<Cow<'_, str>, String> {
        if let Some(f) = self.uncomputed(i) {
            return Err(self.uncomputed_reason(i, f));
        }
        match self.cell(i) {
            Data::Error(e) => Err(self.at(i, &format!("the cell holds the error {e}"))),
            c => Ok(cell_text(c)),
        }
    }

    fn number(&self, i: usize, what: &str) -> Result<f64, String> {
        if let Some(f) = self.uncomputed(i) {
            return Err(self.uncomputed_reason(i, f));
        }
        let v = match self.cell(i) {
            Data::Float(f) => *f,
            Data::Int(n) => *n as f64,
            Data::String(s) => return parse_number(s, what).map_err(|e| self.at(i, &e)),
            Data::Empty => return Err(self.at(i, &format!("{what} is empty"))),
            Data::DateTime(d) => {
                return Err(self.at(
                    i,
                    &format!(
                        "{what} is a date cell ({}), not a number: is the column formatted as a date?",
                        iso_date(d)
                    ),
                ));
            }
            Data::DateTimeIso(s) | Data::DurationIso(s) => {
                return Err(self.at(
                    i,
                    &format!(
                        "{what} is a date cell ({s}), not a number: is the column formatted as a date?"
                    ),
                ));
            }
            Data::Bool(b) => {
                return Err(self.at(
                    i,
                    &format!(
                        "{what} is {}, not a number",
                        if *b { "TRUE" } else { "FALSE" }
                    ),
                ));
            }
            Data::Error(e) => {
                return Err(self.at(i, &format!("{what} is the error value {e}")));
            }
        };
        if v.is_nan() {
            return Err(self.at(i, &format!("{what} is NaN")));
        }
        if v.is_infinite() {
            return Err(self.at(i, &format!("{what} is infinite")));
        }
        Ok(v)
    }

    /// A formula cell without a saved value is not blank: reading it is an error.
    fn is_blank(&self, i: usize) -> bool {
        is_blank(self.cell(i)) && self.uncomputed(i).is_none()
    }

    /// `column D (经度): reason`.
    fn at(&self, i: usize, reason: &str) -> String {
        let header = self.sheet.headers.get(i).map_or("", String::as_str);
        format!(
            "column {} ({header}): {reason}",
            self.sheet.column_letters(i)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters() {
        let sheet = |first_col| Sheet {
            name: "s".into(),
            headers: vec![],
            range: Range::empty(),
            header_row: 1,
            first_col,
            uncomputed: HashMap::new(),
        };
        assert_eq!(sheet(0).column_letters(0), "A");
        assert_eq!(sheet(0).column_letters(25), "Z");
        assert_eq!(sheet(0).column_letters(26), "AA");
        assert_eq!(sheet(2).column_letters(1), "D");
        assert_eq!(sheet(0).column_letters(701), "ZZ");
        assert_eq!(sheet(0).column_letters(702), "AAA");
    }

    #[test]
    fn extensions() {
        assert!(is_workbook(Path::new("a.XLSX")));
        assert!(is_workbook(Path::new("a.ods")));
        assert!(!is_workbook(Path::new("a.csv")));
        assert!(!is_workbook(Path::new("xlsx")));
    }
}
