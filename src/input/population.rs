//! Resident population: CSV points (`lon,lat,population[,elderly][,cell_id]`) or
//! GeoJSON Point / Polygon / MultiPolygon cells with a population property.
//! Polygon cells keep their polygon for output; their representative point is the
//! polygon's area centroid (computed on lon/lat, which for cells of a few hundred
//! metres differs from the metric centroid by far less than a metre).

use std::collections::HashMap;
use std::path::Path;

use geo::{Centroid, MultiPolygon};

use super::InputError;
use super::features::{as_text, property, read_nonempty_features};
use super::sites::geometry_name;
use super::table::{
    Column, CsvFields, Fields, LAT, LON, check_lon_lat, check_row_width, delimiter, parse_number,
    read_text,
};
use super::workbook::{is_workbook, read_sheet};
use crate::base::model::{RawCell, Rejected};
use crate::crs::InputCrs;

const POPULATION: Column = Column {
    name: "population",
    aliases: &[
        "population",
        "pop",
        "residents",
        "inhabitants",
        "total",
        "persons",
        "asukkaita",
        "人口",
        "常住人口",
        "人数",
        "总人口",
        "居民人数",
    ],
};
const ELDERLY: Column = Column {
    name: "elderly",
    aliases: &[
        "elderly",
        "pop60",
        "pop65",
        "aged60plus",
        "aged65plus",
        "over60",
        "over65",
        "senior",
        "老年人口",
        "老年人",
        "60岁以上",
        "65岁以上",
        "60岁及以上",
        "65岁及以上",
    ],
};
const CELL_ID: Column = Column {
    name: "cell_id",
    aliases: &[
        "cellid",
        "id",
        "gridid",
        "fid",
        "网格编号",
        "网格id",
        "编号",
    ],
};

/// Population read from a file, plus rows that could not be used.
#[derive(Debug, Default)]
pub struct PopulationRead {
    /// Usable cells, in file order.
    pub cells: Vec<RawCell>,
    /// Rows/features not used (with their population when it could be read).
    pub rejected: Vec<Rejected>,
    /// Whether the file has an elderly layer.
    pub has_elderly: bool,
    /// Sum of every readable, non-negative population value in the file (persons):
    /// the input total that cells + rejected add up to.
    pub input_total: f64,
}

/// Read a population file (CSV, GeoJSON or the first sheet of a workbook),
/// converting `crs` to WGS84.
///
/// # Errors
/// When the file is unreadable, empty, lacks the coordinate or population columns,
/// or has no usable row.
pub fn read_population(path: &Path, crs: InputCrs) -> Result<PopulationRead, InputError> {
    read_population_in(path, None, crs)
}

/// [`read_population`] with the sheet of a workbook named (`None`: the first
/// sheet; ignored for CSV and GeoJSON).
///
/// # Errors
/// As [`read_population`]; [`InputError::NoSheet`] when the workbook has no such sheet.
pub fn read_population_in(
    path: &Path,
    sheet: Option<&str>,
    crs: InputCrs,
) -> Result<PopulationRead, InputError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let (mut candidates, mut rejected, has_elderly, rows) = match ext.as_str() {
        "csv" | "txt" | "tsv" => read_csv(path)?,
        "geojson" | "json" => read_geojson(path)?,
        _ if is_workbook(path) => read_workbook(path, sheet)?,
        _ => {
            return Err(InputError::UnsupportedFormat {
                path: path.into(),
                expected: ".csv, .geojson or a workbook (rasters and GeoPackage: see --help)",
            });
        }
    };
    let file = path.display().to_string();
    let mut cells = Vec::with_capacity(candidates.len());
    // Where each id was first used, for the rows that repeat one (the rest: `None`).
    let first_use: Vec<Option<String>> = {
        // foldhash: ids are the caller's own data, and SipHash cost ~1 % of a run.
        let mut seen: HashMap<&str, usize, foldhash::fast::FixedState> =
            HashMap::with_capacity_and_hasher(
                candidates.len(),
                foldhash::fast::FixedState::default(),
            );
        candidates
            .iter()
            .enumerate()
            .map(|(k, c)| {
                let id = c.id.as_deref()?;
                let first = *seen.entry(id).or_insert(k);
                (first != k).then(|| candidates[first].location.clone())
            })
            .collect()
    };
    for (c, first) in candidates.iter_mut().zip(first_use) {
        if let Some(first) = first {
            let id = c.id.as_deref().unwrap_or_default();
            rejected.push(
                Rejected::new(
                    &file,
                    &c.location,
                    format!("duplicate cell id {id:?} (first used at {first})"),
                )
                .with_population(Some(c.population)),
            );
            continue;
        }
        (c.lon, c.lat) = crs.to_wgs84(c.lon, c.lat);
        if let Some(poly) = &mut c.polygon {
            use geo::MapCoordsInPlace;
            poly.map_coords_in_place(|co| {
                let (x, y) = crs.to_wgs84(co.x, co.y);
                geo::coord! { x: x, y: y }
            });
        }
        cells.push(std::mem::replace(c, empty_cell()));
    }
    if cells.is_empty() {
        return Err(InputError::NoUsableRows {
            path: path.into(),
            rows,
            first: rejected.first().map_or_else(
                || "no rows".into(),
                |r| format!("{}: {}", r.location, r.reason),
            ),
        });
    }
    let input_total = cells.iter().map(|c| c.population).sum::<f64>()
        + rejected.iter().filter_map(|r| r.population).sum::<f64>();
    Ok(PopulationRead {
        cells,
        rejected,
        has_elderly,
        input_total,
    })
}

/// `--integer-population`: keeps the cells whose population (and, with
/// `elderly_too`, elderly count) is a whole number; the others go to `rejected`
/// with their residents, so the input total still adds up.
#[must_use]
pub fn reject_fractional(
    cells: Vec<RawCell>,
    file: &str,
    elderly_too: bool,
    rejected: &mut Vec<Rejected>,
) -> Vec<RawCell> {
    let mut kept = Vec::with_capacity(cells.len());
    for c in cells {
        let reason = if c.population.fract() != 0.0 {
            Some(format!(
                "population {} is not a whole number (--integer-population)",
                c.population
            ))
        } else {
            c.elderly
                .filter(|e| elderly_too && e.fract() != 0.0)
                .map(|e| format!("elderly {e} is not a whole number (--integer-population)"))
        };
        match reason {
            Some(reason) => rejected
                .push(Rejected::new(file, &c.location, reason).with_population(Some(c.population))),
            None => kept.push(c),
        }
    }
    kept
}

fn empty_cell() -> RawCell {
    RawCell {
        id: None,
        lon: 0.0,
        lat: 0.0,
        population: 0.0,
        elderly: None,
        polygon: None,
        location: String::new(),
    }
}

type Parsed = (Vec<RawCell>, Vec<Rejected>, bool, usize);

/// The largest head count accepted for one cell: a billion people. Larger values
/// are typos or unit mistakes, and near `f64::MAX` they would turn the totals into
/// infinities.
pub const MAX_CELL_POPULATION: f64 = 1e9;

/// Whether a population value can be carried into the input total.
fn usable(population: f64) -> Option<f64> {
    (0.0..=MAX_CELL_POPULATION)
        .contains(&population)
        .then_some(population)
}

/// Validate population (and elderly) values; `Err((reason, usable population))`.
fn check_counts(population: f64, elderly: Option<f64>) -> Result<(), (String, Option<f64>)> {
    if population < 0.0 {
        return Err((format!("population is negative ({population})"), None));
    }
    if population > MAX_CELL_POPULATION {
        return Err((
            format!("population {population:e} is implausibly large for one cell (limit 1e9)"),
            None,
        ));
    }
    if let Some(e) = elderly {
        if e < 0.0 {
            return Err((format!("elderly is negative ({e})"), Some(population)));
        }
        if e > population * (1.0 + 1e-9) + 1e-9 {
            return Err((
                format!("elderly ({e}) exceeds population ({population})"),
                Some(population),
            ));
        }
    }
    Ok(())
}

/// Where the columns of a population table are.
struct CellColumns {
    lon: usize,
    lat: usize,
    population: usize,
    elderly: Option<usize>,
    id: Option<usize>,
}

impl CellColumns {
    fn find(headers: &[String], path: &Path) -> Result<Self, InputError> {
        Ok(Self {
            lon: LON.require(headers, path)?,
            lat: LAT.require(headers, path)?,
            population: POPULATION.require(headers, path)?,
            elderly: ELDERLY.find(headers),
            id: CELL_ID.find(headers),
        })
    }

    /// One CSV row as a cell, its width checked first (the population of a
    /// shifted row cannot be trusted: not counted); the location is left empty.
    fn parse_csv(&self, rec: &csv::StringRecord, header_fields: usize) -> Row {
        check_row_width(rec, header_fields).map_err(|reason| (reason, None))?;
        self.parse(&CsvFields(rec), "")
    }

    /// One row as a cell; `Err((reason, population))` keeps the residents of a
    /// rejected row when they could be read.
    fn parse(&self, rec: &impl Fields, location: &str) -> Row {
        // The population is read first so that a row rejected for another reason
        // still carries its residents into the conservation check.
        let population = rec
            .number(self.population, "population")
            .map_err(|e| (e, None))?;
        let usable = usable(population);
        let lon = rec.number(self.lon, "lon").map_err(|e| (e, usable))?;
        let lat = rec.number(self.lat, "lat").map_err(|e| (e, usable))?;
        check_lon_lat(lon, lat).map_err(|e| (e, usable))?;
        let elderly = match self.elderly {
            None => None,
            Some(i) => Some(rec.number(i, "elderly").map_err(|e| (e, usable))?),
        };
        check_counts(population, elderly)?;
        let id = match self.id {
            None => None,
            Some(i) => Some(rec.text(i).map_err(|e| (e, usable))?.into_owned()),
        };
        Ok(RawCell {
            id: id.filter(|s| !s.is_empty()),
            lon,
            lat,
            population,
            elderly,
            polygon: None,
            location: location.to_owned(),
        })
    }
}

fn read_csv(path: &Path) -> Result<Parsed, InputError> {
    let (text, _) = read_text(path)?;
    if text.trim().is_empty() {
        return Err(InputError::Empty {
            path: path.into(),
            what: "file is empty",
        });
    }
    let delim = delimiter(path, &text);
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delim)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = crate::input::table::csv_headers(&mut rdr, path)?;
    let cols = CellColumns::find(&headers, path)?;
    let file = path.display().to_string();
    let body = usize::try_from(rdr.position().byte())
        .ok()
        .and_then(|at| text.as_bytes().get(at..));
    if let Some(parsed) =
        body.and_then(|body| parse_pieces(body, delim, headers.len(), &cols, &file, PIECE_BYTES))
    {
        return Ok(parsed);
    }
    let mut cells = Vec::new();
    let mut rejected = Vec::new();
    let mut rows = 0usize;
    let mut rec = csv::StringRecord::new();
    loop {
        let read = rdr.read_record(&mut rec);
        if matches!(read, Ok(false)) {
            break;
        }
        rows += 1;
        let location = format!("row {rows}");
        match read {
            Ok(_) => {}
            Err(e) => {
                rejected.push(Rejected::new(
                    &file,
                    &location,
                    format!("unreadable CSV row: {e}"),
                ));
                continue;
            }
        }
        let parsed = cols.parse_csv(&rec, headers.len());
        file_row(parsed, &file, location, &mut cells, &mut rejected);
    }
    if rows == 0 {
        return Err(InputError::Empty {
            path: path.into(),
            what: "file has a header but no data rows",
        });
    }
    Ok((cells, rejected, cols.elderly.is_some(), rows))
}

/// One parsed row: the cell, or why not with the residents when they could be read.
type Row = Result<RawCell, (String, Option<f64>)>;

/// Files a parsed CSV row under `location`: its cell, or a rejected row.
fn file_row(
    parsed: Row,
    file: &str,
    location: String,
    cells: &mut Vec<RawCell>,
    rejected: &mut Vec<Rejected>,
) {
    match parsed {
        Ok(c) => cells.push(RawCell { location, ..c }),
        Err((reason, pop)) => {
            rejected.push(Rejected::new(file, location, reason).with_population(pop));
        }
    }
}

/// Bytes per piece of a CSV body parsed in parallel.
const PIECE_BYTES: usize = 1 << 18;

/// The data rows of a CSV `body` (the text after the header) cut into pieces of
/// about `piece_bytes` at line ends and parsed side by side: the same cells,
/// rejected rows and row numbers as the sequential loop of [`read_csv`], in file
/// order. `None` (the caller then reads row by row) when the body is small, has a
/// quote (a quoted field may hold a line end, so lines are not rows) or a piece
/// has a row the CSV reader cannot read; or when it has no row.
fn parse_pieces(
    body: &[u8],
    delimiter: u8,
    header_fields: usize,
    cols: &CellColumns,
    file: &str,
    piece_bytes: usize,
) -> Option<Parsed> {
    use rayon::prelude::*;
    if body.len() < 2 * piece_bytes || body.contains(&b'"') {
        return None;
    }
    let mut cuts = vec![0];
    while let Some(&last) = cuts.last().filter(|&&c| c < body.len()) {
        let end = (last + piece_bytes).min(body.len());
        let next = body[end..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(body.len(), |i| end + i + 1);
        cuts.push(next);
    }
    let pieces: Vec<Vec<Row>> = cuts
        .par_windows(2)
        .map(|w| {
            let mut rdr = csv::ReaderBuilder::new()
                .delimiter(delimiter)
                .flexible(true)
                .has_headers(false)
                .from_reader(&body[w[0]..w[1]]);
            let mut rec = csv::StringRecord::new();
            let mut rows = Vec::new();
            while rdr.read_record(&mut rec).ok()? {
                rows.push(cols.parse_csv(&rec, header_fields));
            }
            Some(rows)
        })
        .collect::<Option<_>>()?;
    // Rows before each piece, then every piece's rows numbered on the pool.
    let firsts: Vec<usize> = pieces
        .iter()
        .scan(0, |before, p| {
            let first = *before;
            *before += p.len();
            Some(first)
        })
        .collect();
    let rows = pieces.iter().map(Vec::len).sum();
    let numbered: Vec<(Vec<RawCell>, Vec<Rejected>)> = pieces
        .into_par_iter()
        .zip(firsts)
        .map(|(piece, first)| {
            let (mut cells, mut rejected) = (Vec::new(), Vec::new());
            for (k, parsed) in piece.into_iter().enumerate() {
                let location = format!("row {}", first + k + 1);
                file_row(parsed, file, location, &mut cells, &mut rejected);
            }
            (cells, rejected)
        })
        .collect();
    let (mut cells, mut rejected) = (Vec::with_capacity(rows), Vec::new());
    for (c, r) in numbered {
        cells.extend(c);
        rejected.extend(r);
    }
    (rows > 0).then_some((cells, rejected, cols.elderly.is_some(), rows))
}

fn read_workbook(path: &Path, sheet: Option<&str>) -> Result<Parsed, InputError> {
    let sheet = read_sheet(path, sheet)?;
    let cols = CellColumns::find(&sheet.headers, path)?;
    let file = path.display().to_string();
    let mut cells = Vec::new();
    let mut rejected = Vec::new();
    let mut rows = 0usize;
    for rec in sheet.rows() {
        rows += 1;
        let location = sheet.location(rec.number);
        match cols.parse(&rec, &location) {
            Ok(c) => cells.push(c),
            Err((reason, pop)) => {
                rejected.push(Rejected::new(&file, &location, reason).with_population(pop));
            }
        }
    }
    if rows == 0 {
        return Err(InputError::Empty {
            path: path.into(),
            what: "sheet has a header but no data rows",
        });
    }
    Ok((cells, rejected, cols.elderly.is_some(), rows))
}

fn read_geojson(path: &Path) -> Result<Parsed, InputError> {
    let features = read_nonempty_features(path)?;
    let has_elderly = features
        .iter()
        .any(|f| property(&f.properties, ELDERLY.aliases).is_some());
    let has_population = features
        .iter()
        .any(|f| property(&f.properties, POPULATION.aliases).is_some());
    if !has_population {
        let found: Vec<String> = features
            .first()
            .map(|f| f.properties.keys().cloned().collect())
            .unwrap_or_default();
        return Err(InputError::MissingColumn {
            path: path.into(),
            column: POPULATION.name,
            accepted: POPULATION.aliases.join(", "),
            found: found.join(", "),
        });
    }
    let file = path.display().to_string();
    let rows = features.len();
    let mut cells = Vec::new();
    let mut rejected = Vec::new();
    for f in features {
        let location = format!("feature {}", f.index);
        let population = match property(&f.properties, POPULATION.aliases) {
            None | Some(serde_json::Value::Null) => {
                Err("population property is missing".to_string())
            }
            Some(v) => parse_number(&as_text(v), "population"),
        };
        let parsed = (|| -> Result<RawCell, (String, Option<f64>)> {
            let population = population.clone().map_err(|e| (e, None))?;
            let usable = usable(population);
            let geometry = f.geometry.map_err(|e| (e, usable))?;
            let (point, polygon) = match geometry {
                geo::Geometry::Point(p) => (p, None),
                geo::Geometry::Polygon(p) => {
                    let mp = MultiPolygon::new(vec![p]);
                    (
                        mp.centroid()
                            .ok_or(("polygon has no area".to_string(), usable))?,
                        Some(mp),
                    )
                }
                geo::Geometry::MultiPolygon(mp) => (
                    mp.centroid()
                        .ok_or(("polygon has no area".to_string(), usable))?,
                    Some(mp),
                ),
                other => {
                    return Err((
                        format!(
                            "geometry is a {}, expected a Point or Polygon",
                            geometry_name(&other)
                        ),
                        usable,
                    ));
                }
            };
            check_lon_lat(point.x(), point.y()).map_err(|e| (e, usable))?;
            let elderly = if has_elderly {
                match property(&f.properties, ELDERLY.aliases) {
                    None | Some(serde_json::Value::Null) => {
                        return Err(("elderly property is missing".into(), usable));
                    }
                    Some(v) => Some(parse_number(&as_text(v), "elderly").map_err(|e| (e, usable))?),
                }
            } else {
                None
            };
            check_counts(population, elderly)?;
            let id = property(&f.properties, CELL_ID.aliases)
                .map(as_text)
                .filter(|s| !s.is_empty())
                .or(f.id.clone());
            Ok(RawCell {
                id,
                lon: point.x(),
                lat: point.y(),
                population,
                elderly,
                polygon,
                location: location.clone(),
            })
        })();
        match parsed {
            Ok(c) => cells.push(c),
            Err((reason, pop)) => {
                rejected.push(Rejected::new(&file, &location, reason).with_population(pop));
            }
        }
    }
    Ok((cells, rejected, has_elderly, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &tempfile::TempDir, name: &str, content: &str) -> std::path::PathBuf {
        let p = dir.path().join(name);
        std::fs::write(&p, content).unwrap();
        p
    }

    #[test]
    fn csv_rows_and_conservation() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "p.csv",
            "cell_id,lon,lat,population,elderly\n\
             a,121.5,31.3,100,20\n\
             b,121.5,31.3,-5,0\n\
             c,121.5,inf,50,10\n\
             d,121.5,31.3,40,41\n\
             a,121.5,31.3,7,1\n\
             e,121.6,31.3,0,0\n",
        );
        let r = read_population(&p, InputCrs::Wgs84).unwrap();
        assert_eq!(r.cells.len(), 2);
        assert!(r.has_elderly);
        assert_eq!(r.rejected.len(), 4);
        // 100 + 0 usable; 50 + 40 + 7 rejected with their residents; -5 not counted.
        assert_eq!(r.input_total, 197.0);
        let rejected_pop: f64 = r.rejected.iter().filter_map(|x| x.population).sum();
        let used: f64 = r.cells.iter().map(|c| c.population).sum();
        assert_eq!(used + rejected_pop, r.input_total);
    }

    #[test]
    fn geojson_polygons_keep_geometry() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "p.geojson",
            r#"{"type":"FeatureCollection","features":[
              {"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[24.90,60.15],[24.91,60.15],[24.91,60.16],[24.90,60.16],[24.90,60.15]]]},"properties":{"id":3,"population":120}},
              {"type":"Feature","geometry":{"type":"Point","coordinates":[24.92,60.17]},"properties":{"id":4,"population":"x"}}
            ]}"#,
        );
        let r = read_population(&p, InputCrs::Wgs84).unwrap();
        assert_eq!(r.cells.len(), 1);
        let c = &r.cells[0];
        assert_eq!(c.id.as_deref(), Some("3"));
        assert!((c.lon - 24.905).abs() < 1e-9 && (c.lat - 60.155).abs() < 1e-6);
        assert!(c.polygon.is_some());
        assert!(r.rejected[0].reason.contains("not a number"));
    }

    #[test]
    fn fractional_counts_and_huge_values() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "p.csv",
            "lon,lat,population,elderly\n121.5,31.3,10,2\n121.5,31.3,2.5,1\n121.5,31.3,4,1.5\n121.5,31.3,1e300,0\n",
        );
        let r = read_population(&p, InputCrs::Wgs84).unwrap();
        assert_eq!(r.cells.len(), 3);
        assert!(r.rejected[0].reason.contains("implausibly large"));
        assert_eq!(r.input_total, 16.5, "the huge value is not counted");
        let mut rejected = Vec::new();
        let kept = reject_fractional(r.cells, "p.csv", true, &mut rejected);
        assert_eq!(kept.len(), 1);
        assert_eq!(rejected[0].location, "row 2");
        assert!(
            rejected[0]
                .reason
                .contains("population 2.5 is not a whole number")
        );
        assert!(
            rejected[1]
                .reason
                .contains("elderly 1.5 is not a whole number")
        );
        assert_eq!(rejected[1].population, Some(4.0));
    }

    #[test]
    fn missing_population_column_is_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(&dir, "p.csv", "lon,lat,people_count\n121,31,5\n");
        let e = read_population(&p, InputCrs::Wgs84)
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing column \"population\""), "{e}");
    }

    #[test]
    fn pieces_parse_like_the_row_loop() {
        let dir = tempfile::tempdir().unwrap();
        let bodies = [
            "1,121.1,31.2,10,2\n2,121.2,31.3,0,0\n\n3,121.3,31.4,5.5,1\n",
            "1,121.1,31.2,10,2\r\n2,121.2,31.3,x,0\r\n3,200,31.4,5,1\r\n4,121.4,31.5,7,9\r\n",
            "1,121.1,31.2,10\n2,121.2,31.3,4,1,extra\n3,121.3,31.4,-1,0\n4,121.5,31.6,3,1,  \n5,121.6,31.7,2,1",
            "a,121.1,31.2,10,2\n,121.2,31.3,1,0\n\n\n\nb,121.3,NaN,1,0\nc,121.3,31.4,1e3,2\n",
        ];
        for (k, body) in bodies.iter().enumerate() {
            for delim in [',', ';'] {
                let text = format!("cell_id,lon,lat,population,elderly\n{body}")
                    .replace(',', &delim.to_string());
                let path = write(&dir, &format!("p{k}{}.csv", u8::from(delim == ';')), &text);
                let whole = read_csv(&path).unwrap();
                let mut rdr = csv::ReaderBuilder::new()
                    .delimiter(delim as u8)
                    .flexible(true)
                    .from_reader(text.as_bytes());
                let headers = crate::input::table::csv_headers(&mut rdr, &path).unwrap();
                let cols = CellColumns::find(&headers, &path).unwrap();
                let at = usize::try_from(rdr.position().byte()).unwrap();
                let file = path.display().to_string();
                for piece in [1, 3, 7, 16] {
                    let pieces = parse_pieces(
                        &text.as_bytes()[at..],
                        delim as u8,
                        headers.len(),
                        &cols,
                        &file,
                        piece,
                    )
                    .unwrap_or_else(|| panic!("body {k} piece {piece}: not parsed"));
                    assert_eq!(pieces, whole, "body {k} delimiter {delim} piece {piece}");
                }
            }
        }
        // Quotes (a field may hold a line end) and small bodies go row by row.
        let quoted = b"1,121.1,31.2,\"10\"\n2,121.2,31.3,4\n";
        let cols = CellColumns {
            lon: 1,
            lat: 2,
            population: 3,
            elderly: None,
            id: Some(0),
        };
        assert!(parse_pieces(quoted, b',', 4, &cols, "f", 1).is_none());
        assert!(parse_pieces(b"1,121.1,31.2,4\n", b',', 4, &cols, "f", 1 << 18).is_none());
    }
}
