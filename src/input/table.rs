//! Shared helpers for tabular text input: encoding detection (UTF-8 with or without
//! BOM, else GB18030/GBK as Chinese spreadsheet exports often are), header aliases
//! in English and Chinese, and numeric field parsing with row-level reasons.

use std::borrow::Cow;
use std::path::Path;

use super::InputError;

/// Read a whole text file, decoding UTF-8 (a BOM is dropped) or, when the bytes are
/// not valid UTF-8, GB18030 (a superset of GBK, the default encoding of Excel CSV
/// exports on Chinese Windows). Returns the text and the encoding used.
///
/// # Errors
/// [`InputError::Io`] when the file cannot be read; [`InputError::Encoding`] when
/// it is neither UTF-8 nor GB18030.
pub fn read_text(path: &Path) -> Result<(String, &'static str), InputError> {
    let bytes = std::fs::read(path).map_err(|source| InputError::Io {
        path: path.into(),
        source,
    })?;
    decode_text(&bytes).ok_or_else(|| InputError::Encoding { path: path.into() })
}

/// Decode bytes as UTF-8 (dropping a BOM), UTF-16 with a BOM (Excel's "Unicode
/// text" export) or GB18030. `None` if none fits.
#[must_use]
pub fn decode_text(bytes: &[u8]) -> Option<(String, &'static str)> {
    for (bom, encoding, name) in [
        (&b"\xFF\xFE"[..], encoding_rs::UTF_16LE, "UTF-16LE"),
        (&b"\xFE\xFF"[..], encoding_rs::UTF_16BE, "UTF-16BE"),
    ] {
        if let Some(rest) = bytes.strip_prefix(bom) {
            return encoding
                .decode_without_bom_handling_and_without_replacement(rest)
                .map(|text| (text.into_owned(), name));
        }
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => Some((s.to_owned(), "UTF-8")),
        Err(_) => {
            let (text, _, had_errors) = encoding_rs::GB18030.decode(bytes);
            (!had_errors).then(|| (text.into_owned(), "GB18030"))
        }
    }
}

/// Normalise a header for matching: trim, lower-case, drop spaces, `_`, `-`, `(…)`
/// units and full-width brackets.
#[must_use]
pub fn normalise_header(h: &str) -> String {
    let h = h.trim().trim_start_matches('\u{feff}');
    let cut = h.find(['(', '（', '[']).unwrap_or(h.len());
    h[..cut]
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-' | '\t'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// A column the reader looks for, with the header names it accepts.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    /// Canonical name used in messages.
    pub name: &'static str,
    /// Accepted headers, already normalised (see [`normalise_header`]).
    pub aliases: &'static [&'static str],
}

impl Column {
    /// Position of this column among `headers`, if present.
    #[must_use]
    pub fn find(&self, headers: &[String]) -> Option<usize> {
        headers
            .iter()
            .position(|h| self.aliases.contains(&normalise_header(h).as_str()))
    }

    /// Position of a required column, or a [`InputError::MissingColumn`].
    ///
    /// # Errors
    /// When no header matches.
    pub fn require(&self, headers: &[String], path: &Path) -> Result<usize, InputError> {
        self.find(headers).ok_or_else(|| InputError::MissingColumn {
            path: path.into(),
            column: self.name,
            accepted: self.aliases.join(", "),
            found: headers.join(", "),
        })
    }
}

/// Longitude headers.
pub const LON: Column = Column {
    name: "lon",
    aliases: &[
        "lon",
        "lng",
        "long",
        "longitude",
        "x",
        "经度",
        "东经",
        "gcjlon",
        "bdlon",
        "wgslon",
    ],
};
/// Latitude headers.
pub const LAT: Column = Column {
    name: "lat",
    aliases: &[
        "lat", "latitude", "y", "纬度", "北纬", "gcjlat", "bdlat", "wgslat",
    ],
};

/// Parse a numeric field; the error is a row-level reason.
///
/// # Errors
/// A reason string when the field is empty, not a number, NaN or infinite.
pub fn parse_number(field: &str, what: &str) -> Result<f64, String> {
    let t = field.trim();
    if t.is_empty() {
        return Err(format!("{what} is empty"));
    }
    // Accept thousands separators as written by spreadsheets ("12,345"), but only in
    // groups of three: "12,5" is a decimal comma, and reading it as 125 would
    // silently multiply the count by ten.
    if t.contains(',') && !thousands_grouped(t) {
        return Err(format!(
            "{what} is not a number ({}): a decimal comma? write a point (12.5)",
            excerpt(t)
        ));
    }
    let parsed = if t.contains([',', '_']) {
        let cleaned: String = t.chars().filter(|c| *c != ',' && *c != '_').collect();
        cleaned.parse::<f64>()
    } else {
        t.parse::<f64>()
    };
    let v = parsed.map_err(|_| format!("{what} is not a number ({})", excerpt(t)))?;
    if v.is_nan() {
        return Err(format!("{what} is NaN"));
    }
    if v.is_infinite() {
        return Err(format!("{what} is infinite ({})", excerpt(t)));
    }
    Ok(v)
}

/// Whether the commas of a number separate thousands: `1,234` and `-12,345.5`,
/// not `12,5` or `1,23,456`.
fn thousands_grouped(t: &str) -> bool {
    let int = t.split(['.', 'e', 'E']).next().unwrap_or(t);
    let int = int.trim_start_matches(['-', '+']);
    let mut groups = int.split(',');
    let first = groups.next().unwrap_or("");
    (1..=3).contains(&first.len()) && groups.all(|g| g.len() == 3)
}

/// The field delimiter of a delimited text file: a tab for `.tsv`; otherwise
/// whichever of `,`, `;` and tab the header line holds first in that order of
/// preference (Excel in many European locales writes `;`).
#[must_use]
pub fn delimiter(path: &Path, text: &str) -> u8 {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("tsv"))
    {
        return b'\t';
    }
    let header = text.lines().next().unwrap_or("");
    [b',', b';', b'\t']
        .into_iter()
        .find(|d| header.contains(char::from(*d)))
        .unwrap_or(b',')
}

/// A field quoted for a message, cut after 20 characters (a runaway field, such as
/// a whole line pasted into one cell, must not flood `rejected.csv`).
fn excerpt(field: &str) -> String {
    let n = field.chars().count();
    if n <= 24 {
        format!("{field:?}")
    } else {
        let head: String = field.chars().take(20).collect();
        format!("{head:?}… ({n} characters)")
    }
}

/// Check that a CSV record has as many fields as the header. Extra fields are
/// tolerated only when empty (trailing commas); a row with non-empty extra fields
/// usually has an unquoted comma inside a value, which shifts every later column.
///
/// # Errors
/// A row-level reason naming both counts.
pub fn check_row_width(record: &csv::StringRecord, header_fields: usize) -> Result<(), String> {
    let n = record.len();
    if n < header_fields {
        return Err(format!(
            "row has {n} fields but the header has {header_fields} (ragged row)"
        ));
    }
    if record
        .iter()
        .skip(header_fields)
        .any(|f| !f.trim().is_empty())
    {
        return Err(format!(
            "row has {n} fields but the header has {header_fields} (an unquoted comma inside a value?)"
        ));
    }
    Ok(())
}

/// The fields of one table row, whatever the file: a CSV record ([`CsvFields`]) or
/// a spreadsheet row ([`super::workbook::SheetRow`]). Reasons are row-level
/// rejection reasons; a spreadsheet row's name the column.
pub trait Fields {
    /// The trimmed text of field `i` (`""` when the row is shorter).
    ///
    /// # Errors
    /// A reason when the field cannot be text (a spreadsheet error cell).
    fn text(&self, i: usize) -> Result<Cow<'_, str>, String>;

    /// Field `i` as a finite number (see [`parse_number`]); `what` names it in the reason.
    ///
    /// # Errors
    /// A reason when the field is empty, not a number, NaN or infinite.
    fn number(&self, i: usize, what: &str) -> Result<f64, String>;

    /// Whether field `i` is empty or only white space.
    fn is_blank(&self, i: usize) -> bool;

    /// A reason about field `i`: as is for CSV, with the column for a spreadsheet.
    fn at(&self, i: usize, reason: &str) -> String {
        let _ = i;
        reason.to_owned()
    }
}

/// A CSV record as [`Fields`].
pub struct CsvFields<'a>(pub &'a csv::StringRecord);

impl CsvFields<'_> {
    fn field(&self, i: usize) -> &str {
        self.0.get(i).unwrap_or("").trim()
    }
}

impl Fields for CsvFields<'_> {
    fn text(&self, i: usize) -> Result<Cow<'_, str>, String> {
        Ok(Cow::Borrowed(self.field(i)))
    }

    fn number(&self, i: usize, what: &str) -> Result<f64, String> {
        parse_number(self.field(i), what)
    }

    fn is_blank(&self, i: usize) -> bool {
        self.field(i).is_empty()
    }
}

/// Approximate distance in km from a lon/lat point to a lon/lat box (0 inside).
/// Good to a few per cent, which is all a plausibility check needs.
#[must_use]
pub fn km_outside_bbox(lon: f64, lat: f64, bbox: [f64; 4]) -> f64 {
    let dlon = (bbox[0] - lon).max(lon - bbox[2]).max(0.0);
    let dlat = (bbox[1] - lat).max(lat - bbox[3]).max(0.0);
    let mid_lat = lat.clamp(bbox[1], bbox[3]).to_radians();
    (dlon * 111.32 * mid_lat.cos()).hypot(dlat * 110.57)
}

/// Check a WGS84 coordinate pair, detecting the common swap of lon and lat.
///
/// # Errors
/// A reason string when out of range (with a hint when the pair looks swapped).
pub fn check_lon_lat(lon: f64, lat: f64) -> Result<(), String> {
    let lon_ok = (-180.0..=180.0).contains(&lon);
    let lat_ok = (-90.0..=90.0).contains(&lat);
    if lon_ok && lat_ok {
        return Ok(());
    }
    if (-90.0..=90.0).contains(&lon) && (-180.0..=180.0).contains(&lat) {
        return Err(format!(
            "lat {lat} is out of range: lon and lat appear to be swapped (lon {lon})"
        ));
    }
    if !lon_ok {
        return Err(format!("lon {lon} is out of range [-180, 180]"));
    }
    Err(format!("lat {lat} is out of range [-90, 90]"))
}

/// Detect a whole file whose lon/lat columns are swapped even though every value is
/// in range (e.g. Helsinki: lon 24.9, lat 60.2 written as lon 60.2, lat 24.9). Used
/// with an expected area (another layer's bounding box) by the caller.
#[must_use]
pub fn looks_swapped(points: &[(f64, f64)], other_bbox: [f64; 4]) -> bool {
    if points.is_empty() {
        return false;
    }
    let inside = |lon: f64, lat: f64| {
        let pad = 0.5;
        lon >= other_bbox[0] - pad
            && lon <= other_bbox[2] + pad
            && lat >= other_bbox[1] - pad
            && lat <= other_bbox[3] + pad
    };
    let direct = points.iter().filter(|(x, y)| inside(*x, *y)).count();
    let swapped = points.iter().filter(|(x, y)| inside(*y, *x)).count();
    direct == 0 && swapped * 2 > points.len()
}

/// The header row of a CSV reader as owned strings; a CSV error names the file
/// and row 0.
///
/// # Errors
/// [`InputError::Csv`] when the header row cannot be read.
pub fn csv_headers<R: std::io::Read>(
    rdr: &mut csv::Reader<R>,
    path: &Path,
) -> Result<Vec<String>, InputError> {
    Ok(rdr
        .headers()
        .map_err(|e| InputError::Csv {
            path: path.into(),
            row: 0,
            reason: e.to_string(),
        })?
        .iter()
        .map(str::to_owned)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_normalise() {
        assert_eq!(normalise_header("\u{feff} Longitude "), "longitude");
        assert_eq!(normalise_header("population (persons)"), "population");
        assert_eq!(normalise_header("经度（GCJ-02）"), "经度");
        assert_eq!(normalise_header("Cell_ID"), "cellid");
    }

    #[test]
    fn gbk_and_bom_decode() {
        let (gbk, _, _) = encoding_rs::GBK.encode("名称,经度\n图书馆,121.5\n");
        let (s, enc) = decode_text(&gbk).unwrap();
        assert_eq!(enc, "GB18030");
        assert!(s.starts_with("名称,经度"));
        let (s, enc) = decode_text("\u{feff}id,lon".as_bytes()).unwrap();
        assert_eq!((s.as_str(), enc), ("id,lon", "UTF-8"));
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("名称,lon".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let (s, enc) = decode_text(&utf16).unwrap();
        assert_eq!((s.as_str(), enc), ("名称,lon", "UTF-16LE"));
        assert!(decode_text(b"\xFF\xFEa").is_none(), "odd byte count");
    }

    #[test]
    fn numbers_and_ranges() {
        assert_eq!(parse_number(" 12,345 ", "population"), Ok(12345.0));
        assert_eq!(parse_number("-1,234,567.5", "population"), Ok(-1_234_567.5));
        for decimal_comma in ["12,5", "1,23,456", ",5", "121,50000"] {
            let e = parse_number(decimal_comma, "population").unwrap_err();
            assert!(e.contains("decimal comma"), "{decimal_comma}: {e}");
        }
        let p = Path::new("x.csv");
        assert_eq!(delimiter(p, "lon;lat;population\n"), b';');
        assert_eq!(delimiter(p, "lon\tlat\n"), b'\t');
        assert_eq!(delimiter(p, "名称,经度;x\n"), b',');
        assert_eq!(delimiter(Path::new("x.TSV"), "a,b\n"), b'\t');
        assert!(parse_number("NaN", "lon").unwrap_err().contains("NaN"));
        assert!(parse_number("inf", "lon").unwrap_err().contains("infinite"));
        assert!(parse_number("", "lon").unwrap_err().contains("empty"));
        let long = "9".repeat(400);
        assert_eq!(
            parse_number(&long, "population").unwrap_err(),
            "population is infinite (\"99999999999999999999\"… (400 characters))"
        );
        assert!(check_lon_lat(31.2, 121.5).unwrap_err().contains("swapped"));
        assert!(check_lon_lat(200.0, 10.0).unwrap_err().contains("lon 200"));
        assert!(check_lon_lat(121.5, 31.2).is_ok());
    }

    #[test]
    fn row_width() {
        let header = 4;
        let rec = |f: &[&str]| csv::StringRecord::from(f.to_vec());
        assert!(check_row_width(&rec(&["a", "1", "2", "3"]), header).is_ok());
        assert!(check_row_width(&rec(&["a", "1", "2", "3", ""]), header).is_ok());
        let e = check_row_width(&rec(&["a", "1", "2"]), header).unwrap_err();
        assert!(e.contains("3 fields but the header has 4"), "{e}");
        let e = check_row_width(&rec(&["a", "b", "1", "2", "3"]), header).unwrap_err();
        assert!(e.contains("unquoted comma"), "{e}");
    }

    #[test]
    fn distance_to_box() {
        let b = [121.0, 31.0, 122.0, 32.0];
        assert_eq!(km_outside_bbox(121.5, 31.5, b), 0.0);
        assert!((km_outside_bbox(121.5, 33.0, b) - 110.57).abs() < 0.01);
        // Helsinki to Shanghai: thousands of km.
        assert!(km_outside_bbox(24.9, 60.2, b) > 5000.0);
    }

    #[test]
    fn whole_file_swap_detected() {
        let helsinki_bbox = [24.9, 60.1, 25.0, 60.2];
        assert!(looks_swapped(
            &[(60.17, 24.94), (60.16, 24.95)],
            helsinki_bbox
        ));
        assert!(!looks_swapped(&[(24.94, 60.17)], helsinki_bbox));
    }
}
