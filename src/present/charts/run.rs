//! Reading a finished run directory back: the only input of the charts and the
//! HTML report, which never recompute coverage.
//!
//! `summary.json` is required. Everything else is optional and only enables the
//! sections that need it: `cells.csv` (or `cells.geojson` properties) for maps and
//! curves, `cells.geojson` polygons for cell shapes, `sites.csv`, `units.csv`,
//! `targets.csv`, `gaps.csv` / `gaps.geojson`, `units.geojson` (unit boundaries
//! and names for the maps), `recommend.csv`, and the what-if columns of
//! `cells.csv` plus the `whatif` object of `summary.json`.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use geo::{Coord, LineString, MultiPolygon, Polygon};
use serde::Deserialize;

use super::ChartError;
use crate::present::report::Summary;

/// Per-cell values of a run (`cells.csv`, or `cells.geojson` properties).
#[derive(Clone, Debug, Default)]
pub struct Cells {
    /// `cell_id`.
    pub id: Vec<String>,
    /// Longitude (WGS84).
    pub lon: Vec<f64>,
    /// Latitude (WGS84).
    pub lat: Vec<f64>,
    /// Residents.
    pub population: Vec<f64>,
    /// Elderly residents, when the run had an elderly layer.
    pub elderly: Option<Vec<f64>>,
    /// Every other numeric column by name (`<cat>_walk_min`, `<cat>_covered`, …);
    /// empty values are `None`.
    pub columns: BTreeMap<String, Vec<Option<f64>>>,
    /// Cell shapes (lon/lat) from `cells.geojson`, when its features are polygons.
    pub polygons: Option<Vec<Option<MultiPolygon<f64>>>>,
}

impl Cells {
    /// Number of cells.
    #[must_use]
    pub fn len(&self) -> usize {
        self.id.len()
    }

    /// Whether there are no cells.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.id.is_empty()
    }

    /// A numeric column.
    #[must_use]
    pub fn column(&self, name: &str) -> Option<&[Option<f64>]> {
        self.columns.get(name).map(Vec::as_slice)
    }

    /// Walking minutes to the nearest site of `category` (`None`: nothing in reach).
    #[must_use]
    pub fn walk_min(&self, category: &str) -> Option<&[Option<f64>]> {
        self.column(&format!("{category}_walk_min"))
    }

    /// A 0/1 column as booleans (missing values are `false`).
    #[must_use]
    pub fn flag(&self, name: &str) -> Option<Vec<bool>> {
        self.column(name)
            .map(|v| v.iter().map(|x| x.is_some_and(|x| x != 0.0)).collect())
    }
}

/// A row of `sites.csv`.
#[derive(Clone, Debug, Deserialize)]
pub struct SiteRow {
    /// Site id.
    #[serde(alias = "id")]
    pub site_id: String,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Analysed category.
    pub category: String,
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// 0 when the site could not be used (off the network).
    #[serde(default, deserialize_with = "de_opt_flag")]
    pub used: Option<bool>,
}

/// Coverage of one category in one unit (`units.csv`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UnitCategory {
    /// Residents covered.
    pub population_covered: Option<f64>,
    /// Share of residents covered.
    pub share: Option<f64>,
    /// Elderly covered.
    pub elderly_covered: Option<f64>,
    /// Share of elderly covered.
    pub elderly_share: Option<f64>,
    /// Sites inside the unit.
    pub sites_in_unit: Option<f64>,
    /// Whether the unit has a site of its own.
    pub has_site: Option<bool>,
}

/// A row of `units.csv` (a district, street or community).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UnitRow {
    /// Unit id.
    pub unit_id: String,
    /// Unit name (e.g. 五角场街道).
    pub unit_name: String,
    /// Residents.
    pub population: Option<f64>,
    /// Elderly residents.
    pub elderly: Option<f64>,
    /// Cells in the unit.
    pub cells: Option<f64>,
    /// Per category, by category name.
    pub categories: BTreeMap<String, UnitCategory>,
    /// Share of residents covered for every category.
    pub covered_all_share: Option<f64>,
    /// Parent unit id (`units_<level>.csv` of a level below the first; else empty).
    pub parent_id: String,
    /// Share of the unit's area inside its parent.
    pub parent_share: Option<f64>,
}

/// One named unit level (`units_<level>.csv` and `units_<level>.geojson`).
#[derive(Clone, Debug, Default)]
pub struct LevelUnits {
    /// Level name (as in `summary.json` → `levels`).
    pub level: String,
    /// Rows of `units_<level>.csv` (file order).
    pub units: Vec<UnitRow>,
    /// Boundaries of `units_<level>.geojson`.
    pub shapes: Vec<UnitShape>,
}

/// A row of `targets.csv`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct TargetRow {
    /// Target name.
    pub target: String,
    /// Category it applies to.
    #[serde(default)]
    pub category: String,
    /// `city` or a unit id.
    #[serde(default)]
    pub scope: String,
    /// Metric (e.g. `population_share`).
    #[serde(default)]
    pub metric: String,
    /// Comparison (`>=`, `<=`, …).
    #[serde(default)]
    pub op: String,
    /// Target value.
    pub value: f64,
    /// Value reached.
    #[serde(default, deserialize_with = "de_opt_f64")]
    pub actual: Option<f64>,
    /// Whether the target is met.
    #[serde(deserialize_with = "de_flag")]
    pub pass: bool,
    /// Unit level the check is judged at (empty: the city or the only units file).
    #[serde(default)]
    pub level: String,
    /// Zone restriction (`zone == 'main_city'`, `unit_id in [...]`; empty: none).
    #[serde(default, rename = "where")]
    pub restriction: String,
}

impl TargetRow {
    /// Whether the metric is a share (0–1) rather than a count.
    #[must_use]
    pub fn is_share(&self) -> bool {
        let m = self.metric.to_ascii_lowercase();
        m.contains("share") || m.contains("pct") || m.contains("percent") || m.contains("rate")
    }

    /// Whether the metric is about the elderly layer.
    #[must_use]
    pub fn is_elderly(&self) -> bool {
        self.metric.to_ascii_lowercase().contains("elderly")
    }

    /// The target value as a 0–1 share (values above 1 are read as percent).
    #[must_use]
    pub fn value_share(&self) -> f64 {
        if self.value > 1.0 {
            self.value / 100.0
        } else {
            self.value
        }
    }
}

/// A row of `gaps.csv`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct GapRow {
    /// Gap id.
    pub gap_id: String,
    /// Category.
    pub category: String,
    /// Rank (1 = most residents).
    pub rank: u32,
    /// Cells in the gap.
    #[serde(default, deserialize_with = "de_opt_f64")]
    pub cells: Option<f64>,
    /// Residents in the gap.
    pub population: f64,
    /// Elderly residents in the gap.
    #[serde(default, deserialize_with = "de_opt_f64")]
    pub elderly: Option<f64>,
    /// Area, m².
    #[serde(default, deserialize_with = "de_opt_f64")]
    pub area_m2: Option<f64>,
    /// Centroid longitude.
    pub centroid_lon: f64,
    /// Centroid latitude.
    pub centroid_lat: f64,
    /// Worst walking time in the gap, minutes (empty: unreached).
    #[serde(default, deserialize_with = "de_opt_f64")]
    pub worst_walk_min: Option<f64>,
}

/// A polygon of `gaps.geojson`.
#[derive(Clone, Debug)]
pub struct GapShape {
    /// Gap id.
    pub gap_id: String,
    /// Category.
    pub category: String,
    /// Rank, when given.
    pub rank: Option<u32>,
    /// Outline (lon/lat).
    pub shape: MultiPolygon<f64>,
}

/// A planning unit's boundary and name (`units.geojson`).
#[derive(Clone, Debug)]
pub struct UnitShape {
    /// Unit id.
    pub unit_id: String,
    /// Unit name (the id when the name is empty).
    pub unit_name: String,
    /// Boundary (lon/lat).
    pub shape: MultiPolygon<f64>,
}

/// A row of `recommend.csv`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct RecommendRow {
    /// Order of selection (1 = first new site).
    pub rank: u32,
    /// Candidate id.
    pub candidate_id: String,
    /// Category.
    pub category: String,
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// Residents newly covered by this site.
    pub gain_population: f64,
    /// Elderly newly covered.
    #[serde(default, deserialize_with = "de_opt_f64")]
    pub gain_elderly: Option<f64>,
    /// Residents covered after adding the sites up to this one.
    #[serde(default, deserialize_with = "de_opt_f64")]
    pub cumulative_covered: Option<f64>,
    /// Share covered after adding the sites up to this one.
    #[serde(default, deserialize_with = "de_opt_f64")]
    pub cumulative_share: Option<f64>,
}

/// One category of the what-if comparison (`summary.json` → `whatif`).
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct WhatIfCategory {
    /// Category name.
    pub name: String,
    /// Share of residents covered before.
    pub population_share_before: f64,
    /// … and after.
    pub population_share_after: f64,
    /// Share of elderly covered before.
    #[serde(default)]
    pub elderly_share_before: Option<f64>,
    /// … and after.
    #[serde(default)]
    pub elderly_share_after: Option<f64>,
}

/// Everything the charts and the report read from a run directory.
#[derive(Clone, Debug)]
pub struct RunDir {
    /// The directory.
    pub dir: PathBuf,
    /// `summary.json`.
    pub summary: Summary,
    /// Per-cell values.
    pub cells: Option<Cells>,
    /// `sites.csv`.
    pub sites: Vec<SiteRow>,
    /// `units.csv`.
    pub units: Vec<UnitRow>,
    /// `targets.csv`.
    pub targets: Vec<TargetRow>,
    /// `gaps.csv`.
    pub gaps: Vec<GapRow>,
    /// `gaps.geojson`.
    pub gap_shapes: Vec<GapShape>,
    /// `units.geojson`: unit boundaries and names.
    pub unit_shapes: Vec<UnitShape>,
    /// Named unit levels, coarsest first (empty without `--units LEVEL=FILE`).
    pub levels: Vec<LevelUnits>,
    /// `recommend.csv`.
    pub recommend: Vec<RecommendRow>,
    /// `summary.json` → `whatif` → `categories`.
    pub whatif: Vec<WhatIfCategory>,
    /// Which optional files were found (file names).
    pub files: Vec<String>,
}

fn read_err(path: &Path, e: impl std::fmt::Display) -> ChartError {
    ChartError::Read {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

fn parse_err(path: &Path, location: impl Into<String>, reason: impl Into<String>) -> ChartError {
    ChartError::Parse {
        path: path.to_path_buf(),
        location: location.into(),
        reason: reason.into(),
    }
}

fn csv_err(path: &Path, e: &csv::Error) -> ChartError {
    let location = e
        .position()
        .map_or_else(|| "-".to_owned(), |p| format!("line {}", p.line()));
    let reason = match e.kind() {
        csv::ErrorKind::Deserialize { err, .. } => err.to_string(),
        _ => e.to_string(),
    };
    parse_err(path, location, reason)
}

fn parse_f64(s: &str) -> Result<Option<f64>, String> {
    let t = s.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("null") || t.eq_ignore_ascii_case("nan") {
        return Ok(None);
    }
    t.parse::<f64>()
        .map(Some)
        .map_err(|_| format!("{t:?} is not a number"))
}

fn parse_flag(s: &str) -> Result<Option<bool>, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "" => Ok(None),
        "1" | "true" | "yes" | "pass" => Ok(Some(true)),
        "0" | "false" | "no" | "fail" => Ok(Some(false)),
        other => Err(format!("{other:?} is not 0/1")),
    }
}

fn de_opt_f64<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let s: String = Deserialize::deserialize(d)?;
    parse_f64(&s).map_err(serde::de::Error::custom)
}

fn de_flag<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let s: String = Deserialize::deserialize(d)?;
    parse_flag(&s)
        .map(|b| b.unwrap_or(false))
        .map_err(serde::de::Error::custom)
}

fn de_opt_flag<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    let s: String = Deserialize::deserialize(d)?;
    parse_flag(&s).map_err(serde::de::Error::custom)
}

fn open(path: &Path) -> Result<BufReader<File>, ChartError> {
    File::open(path)
        .map(BufReader::new)
        .map_err(|e| read_err(path, e))
}

fn csv_reader(path: &Path) -> Result<csv::Reader<BufReader<File>>, ChartError> {
    Ok(csv::ReaderBuilder::new()
        .trim(csv::Trim::Headers)
        .from_reader(open(path)?))
}

fn read_rows<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<T>, ChartError> {
    let mut rdr = csv_reader(path)?;
    let mut out = Vec::new();
    for r in rdr.deserialize() {
        out.push(r.map_err(|e| csv_err(path, &e))?);
    }
    Ok(out)
}

/// Column positions in a CSV header, trimmed and with any UTF-8 BOM removed.
fn header_index(headers: &csv::StringRecord) -> BTreeMap<String, usize> {
    headers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.trim_start_matches('\u{feff}').trim().to_owned(), i))
        .collect()
}

const TEXT_CELL_COLUMNS: [&str; 2] = ["cell_id", "distance_method"];

/// Add the before/after columns of `whatif_cells.csv` (`<cat>_dist_m_before`,
/// `<cat>_delta_m`, `<cat>_covered_before`) to the cells read from `cells.csv`
/// (same cells, same order; checked by id).
fn merge_whatif_columns(path: &Path, cells: &mut Cells) -> Result<(), ChartError> {
    let mut rdr = csv_reader(path)?;
    let headers = rdr.headers().map_err(|e| csv_err(path, &e))?.clone();
    let wanted: Vec<(usize, String)> = headers
        .iter()
        .enumerate()
        .filter(|(_, h)| h.ends_with("_before") || h.ends_with("_delta_m"))
        .map(|(i, h)| (i, h.to_owned()))
        .collect();
    let mut cols: Vec<Vec<Option<f64>>> = vec![Vec::with_capacity(cells.len()); wanted.len()];
    for (row, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| csv_err(path, &e))?;
        if cells.id.get(row).map(String::as_str) != rec.get(0) {
            return Err(parse_err(
                path,
                format!("line {}", row + 2),
                "cell ids differ from cells.csv".to_owned(),
            ));
        }
        for (k, (i, name)) in wanted.iter().enumerate() {
            let v = parse_f64(rec.get(*i).unwrap_or("")).map_err(|r| {
                parse_err(path, format!("line {}", row + 2), format!("{name}: {r}"))
            })?;
            cols[k].push(v);
        }
    }
    for ((_, name), col) in wanted.into_iter().zip(cols) {
        if col.len() == cells.len() {
            cells.columns.insert(name, col);
        }
    }
    Ok(())
}

fn read_cells_csv(path: &Path) -> Result<Cells, ChartError> {
    let mut rdr = csv_reader(path)?;
    let headers = rdr.headers().map_err(|e| csv_err(path, &e))?.clone();
    let idx = header_index(&headers);
    let col = |name: &str| {
        idx.get(name)
            .copied()
            .ok_or_else(|| ChartError::MissingColumn {
                path: path.to_path_buf(),
                column: name.to_owned(),
            })
    };
    let (i_id, i_lon, i_lat, i_pop) = (
        col("cell_id")?,
        col("lon")?,
        col("lat")?,
        col("population")?,
    );
    let i_eld = idx.get("elderly").copied();
    let numeric: Vec<(String, usize)> = idx
        .iter()
        .filter(|(n, _)| {
            !TEXT_CELL_COLUMNS.contains(&n.as_str())
                && !["lon", "lat", "population", "elderly"].contains(&n.as_str())
        })
        .map(|(n, i)| (n.clone(), *i))
        .collect();
    let mut cells = Cells {
        elderly: i_eld.map(|_| Vec::new()),
        columns: numeric
            .iter()
            .map(|(n, _)| (n.clone(), Vec::new()))
            .collect(),
        ..Cells::default()
    };
    let mut rec = csv::StringRecord::new();
    let mut line = 1u64;
    loop {
        match rdr.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(csv_err(path, &e)),
        }
        line += 1;
        let at = |i: usize| rec.get(i).unwrap_or("");
        let num = |i: usize, name: &str| {
            parse_f64(at(i))
                .map_err(|r| parse_err(path, format!("line {line}"), format!("{name}: {r}")))
        };
        let required = |i: usize, name: &str| {
            num(i, name)?
                .ok_or_else(|| parse_err(path, format!("line {line}"), format!("{name} is empty")))
        };
        cells.id.push(at(i_id).to_owned());
        cells.lon.push(required(i_lon, "lon")?);
        cells.lat.push(required(i_lat, "lat")?);
        cells
            .population
            .push(num(i_pop, "population")?.unwrap_or(0.0));
        if let (Some(i), Some(v)) = (i_eld, cells.elderly.as_mut()) {
            v.push(num(i, "elderly")?.unwrap_or(0.0));
        }
        for (name, i) in &numeric {
            let v = num(*i, name)?;
            if let Some(c) = cells.columns.get_mut(name) {
                c.push(v);
            }
        }
    }
    Ok(cells)
}

fn ring(coords: &[geojson::Position]) -> LineString<f64> {
    LineString::new(
        coords
            .iter()
            .map(geojson::Position::as_slice)
            .filter(|p| p.len() >= 2)
            .map(|p| Coord { x: p[0], y: p[1] })
            .collect(),
    )
}

fn polygon_of(rings: &[Vec<geojson::Position>]) -> Option<Polygon<f64>> {
    let (outer, holes) = rings.split_first()?;
    Some(Polygon::new(
        ring(outer),
        holes.iter().map(|h| ring(h)).collect(),
    ))
}

fn multipolygon_of(geom: &geojson::Geometry) -> Option<MultiPolygon<f64>> {
    match &geom.value {
        geojson::GeometryValue::Polygon { coordinates } => {
            polygon_of(coordinates).map(|p| MultiPolygon::new(vec![p]))
        }
        geojson::GeometryValue::MultiPolygon { coordinates } => Some(MultiPolygon::new(
            coordinates.iter().filter_map(|p| polygon_of(p)).collect(),
        )),
        _ => None,
    }
}

fn prop_f64(props: &geojson::JsonObject, key: &str) -> Option<f64> {
    match props.get(key)? {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => parse_f64(s).ok().flatten(),
        serde_json::Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        _ => None,
    }
}

fn prop_str(props: &geojson::JsonObject, key: &str) -> Option<String> {
    match props.get(key)? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn geojson_features(path: &Path) -> Result<Vec<geojson::Feature>, ChartError> {
    let reader = geojson::FeatureReader::from_reader(open(path)?);
    let mut out = Vec::new();
    for (i, f) in reader.features().enumerate() {
        out.push(f.map_err(|e| parse_err(path, format!("feature {}", i + 1), e.to_string()))?);
    }
    Ok(out)
}

/// Cell shapes and (when `cells.csv` is absent) values from `cells.geojson`.
fn merge_cells_geojson(path: &Path, cells: Option<Cells>) -> Result<Cells, ChartError> {
    let features = geojson_features(path)?;
    let shapes: Vec<Option<MultiPolygon<f64>>> = features
        .iter()
        .map(|f| f.geometry.as_ref().and_then(multipolygon_of))
        .collect();
    let any_polygon = shapes.iter().any(Option::is_some);
    let empty = geojson::JsonObject::new();
    let props = |f: &geojson::Feature| f.properties.as_ref().unwrap_or(&empty).clone();
    let mut cells = match cells {
        Some(c) => c,
        None => {
            let mut c = Cells::default();
            let mut names: Vec<String> = Vec::new();
            for f in &features {
                for k in props(f).keys() {
                    if !names.contains(k) {
                        names.push(k.clone());
                    }
                }
            }
            let has_elderly = names.iter().any(|n| n == "elderly");
            c.elderly = has_elderly.then(Vec::new);
            for n in &names {
                if !TEXT_CELL_COLUMNS.contains(&n.as_str())
                    && !["lon", "lat", "population", "elderly"].contains(&n.as_str())
                {
                    c.columns
                        .insert(n.clone(), Vec::with_capacity(features.len()));
                }
            }
            for (i, f) in features.iter().enumerate() {
                let p = props(f);
                let (lon, lat) = match (prop_f64(&p, "lon"), prop_f64(&p, "lat")) {
                    (Some(x), Some(y)) => (x, y),
                    _ => match f.geometry.as_ref().map(|g| &g.value) {
                        Some(geojson::GeometryValue::Point { coordinates: pt })
                            if pt.len() >= 2 =>
                        {
                            (pt[0], pt[1])
                        }
                        _ => match shapes[i].as_ref().and_then(|s| {
                            use geo::Centroid;
                            s.centroid()
                        }) {
                            Some(pt) => (pt.x(), pt.y()),
                            None => {
                                return Err(parse_err(
                                    path,
                                    format!("feature {}", i + 1),
                                    "no lon/lat and no geometry",
                                ));
                            }
                        },
                    },
                };
                c.id.push(prop_str(&p, "cell_id").unwrap_or_else(|| format!("f{}", i + 1)));
                c.lon.push(lon);
                c.lat.push(lat);
                c.population.push(prop_f64(&p, "population").unwrap_or(0.0));
                if let Some(v) = c.elderly.as_mut() {
                    v.push(prop_f64(&p, "elderly").unwrap_or(0.0));
                }
                for (name, col) in &mut c.columns {
                    col.push(prop_f64(&p, name));
                }
            }
            c
        }
    };
    if any_polygon {
        if shapes.len() == cells.len()
            && features.iter().zip(&cells.id).all(|(f, id)| {
                f.properties
                    .as_ref()
                    .and_then(|p| prop_str(p, "cell_id"))
                    .is_none_or(|x| &x == id)
            })
        {
            cells.polygons = Some(shapes);
        } else {
            // Join by id when the order differs.
            let mut by_id: BTreeMap<String, MultiPolygon<f64>> = BTreeMap::new();
            for (f, s) in features.iter().zip(shapes) {
                if let (Some(id), Some(s)) = (
                    f.properties.as_ref().and_then(|p| prop_str(p, "cell_id")),
                    s,
                ) {
                    by_id.insert(id, s);
                }
            }
            cells.polygons = Some(cells.id.iter().map(|id| by_id.remove(id)).collect());
        }
    }
    Ok(cells)
}

fn read_units(path: &Path, categories: &[String]) -> Result<Vec<UnitRow>, ChartError> {
    let mut rdr = csv_reader(path)?;
    let headers = rdr.headers().map_err(|e| csv_err(path, &e))?.clone();
    let idx = header_index(&headers);
    let i_id = idx
        .get("unit_id")
        .copied()
        .ok_or_else(|| ChartError::MissingColumn {
            path: path.to_path_buf(),
            column: "unit_id".into(),
        })?;
    let mut out = Vec::new();
    let mut line = 1u64;
    for rec in rdr.records() {
        let rec = rec.map_err(|e| csv_err(path, &e))?;
        line += 1;
        let loc = format!("line {line}");
        let get = |name: &str| idx.get(name).and_then(|i| rec.get(*i)).unwrap_or("");
        let num = |name: &str| {
            parse_f64(get(name)).map_err(|r| parse_err(path, loc.clone(), format!("{name}: {r}")))
        };
        let mut row = UnitRow {
            unit_id: rec.get(i_id).unwrap_or("").to_owned(),
            unit_name: get("unit_name").to_owned(),
            population: num("population")?,
            elderly: num("elderly")?,
            cells: num("cells")?,
            covered_all_share: num("covered_all_share")?,
            categories: BTreeMap::new(),
            parent_id: get("parent_id").to_owned(),
            parent_share: num("parent_share")?,
        };
        if row.unit_name.is_empty() {
            row.unit_name.clone_from(&row.unit_id);
        }
        for c in categories {
            if !idx.contains_key(&format!("{c}_share")) {
                continue;
            }
            let f = |s: &str| num(&format!("{c}_{s}"));
            let has_site = parse_flag(get(&format!("{c}_has_site")))
                .map_err(|r| parse_err(path, loc.clone(), format!("{c}_has_site: {r}")))?;
            row.categories.insert(
                c.clone(),
                UnitCategory {
                    population_covered: f("population_covered")?,
                    share: f("share")?,
                    elderly_covered: f("elderly_covered")?,
                    elderly_share: f("elderly_share")?,
                    sites_in_unit: f("sites_in_unit")?,
                    has_site,
                },
            );
        }
        out.push(row);
    }
    Ok(out)
}

fn read_gap_shapes(path: &Path) -> Result<Vec<GapShape>, ChartError> {
    let mut out = Vec::new();
    for (i, f) in geojson_features(path)?.into_iter().enumerate() {
        let Some(shape) = f.geometry.as_ref().and_then(multipolygon_of) else {
            continue;
        };
        let empty = geojson::JsonObject::new();
        let p = f.properties.as_ref().unwrap_or(&empty);
        out.push(GapShape {
            gap_id: prop_str(p, "gap_id").unwrap_or_else(|| format!("gap{}", i + 1)),
            category: prop_str(p, "category").unwrap_or_default(),
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            rank: prop_f64(p, "rank").map(|r| r.max(0.0) as u32),
            shape,
        });
    }
    Ok(out)
}

fn read_unit_shapes(path: &Path) -> Result<Vec<UnitShape>, ChartError> {
    let mut out = Vec::new();
    for (i, f) in geojson_features(path)?.into_iter().enumerate() {
        let Some(shape) = f.geometry.as_ref().and_then(multipolygon_of) else {
            continue;
        };
        let empty = geojson::JsonObject::new();
        let p = f.properties.as_ref().unwrap_or(&empty);
        let unit_id = prop_str(p, "unit_id").unwrap_or_else(|| format!("unit{}", i + 1));
        let unit_name = prop_str(p, "unit_name")
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| unit_id.clone());
        out.push(UnitShape {
            unit_id,
            unit_name,
            shape,
        });
    }
    Ok(out)
}

impl RunDir {
    /// Read a finished run directory.
    ///
    /// # Errors
    /// [`ChartError::NotARun`] when `summary.json` is missing; read or parse errors
    /// of any file that exists.
    pub fn load(dir: &Path) -> Result<Self, ChartError> {
        let summary_path = dir.join("summary.json");
        if !summary_path.is_file() {
            return Err(ChartError::NotARun {
                path: dir.to_path_buf(),
                reason: "no summary.json (run `learncircle coverage --out DIR` first)".into(),
            });
        }
        let summary: Summary = serde_json::from_reader(open(&summary_path)?)
            .map_err(|e| parse_err(&summary_path, format!("line {}", e.line()), e.to_string()))?;
        let mut files = vec!["summary.json".to_owned()];
        let mut found = |name: &str| {
            let p = dir.join(name);
            let ok = p.is_file();
            if ok {
                files.push(name.to_owned());
            }
            ok.then_some(p)
        };
        let cells_csv = found("cells.csv");
        let cells_geojson = found("cells.geojson");
        let sites = found("sites.csv");
        let units = found("units.csv");
        let targets = found("targets.csv");
        let gaps = found("gaps.csv");
        let gaps_geojson = found("gaps.geojson");
        let units_geojson = found("units.geojson");
        let recommend = found("recommend.csv");

        let mut cells = match &cells_csv {
            Some(p) => Some(read_cells_csv(p)?),
            None => None,
        };
        if let Some(p) = &cells_geojson {
            // Shapes only matter when the cells are polygons; the values come from
            // the CSV when it exists.
            let needs = cells.is_none() || geojson_has_polygons(p)?;
            if needs {
                cells = Some(merge_cells_geojson(p, cells)?);
            }
        }
        if let (Some(p), Some(c)) = (found("whatif_cells.csv"), cells.as_mut()) {
            merge_whatif_columns(&p, c)?;
        }
        let category_names: Vec<String> =
            summary.categories.iter().map(|c| c.name.clone()).collect();
        let mut levels = Vec::new();
        for l in summary.levels.iter().flatten() {
            let csv = found(&format!("units_{}.csv", l.level));
            let geojson = found(&format!("units_{}.geojson", l.level));
            levels.push(LevelUnits {
                level: l.level.clone(),
                units: csv
                    .as_deref()
                    .map(|p| read_units(p, &category_names))
                    .transpose()?
                    .unwrap_or_default(),
                shapes: geojson
                    .as_deref()
                    .map(read_unit_shapes)
                    .transpose()?
                    .unwrap_or_default(),
            });
        }
        let whatif = match summary.whatif.as_ref().and_then(|w| w.get("categories")) {
            Some(v) => serde_json::from_value(v.clone())
                .map_err(|e| parse_err(&summary_path, "whatif.categories", e.to_string()))?,
            None => Vec::new(),
        };
        Ok(Self {
            dir: dir.to_path_buf(),
            cells,
            sites: sites
                .as_deref()
                .map(read_rows)
                .transpose()?
                .unwrap_or_default(),
            units: units
                .as_deref()
                .map(|p| read_units(p, &category_names))
                .transpose()?
                .unwrap_or_default(),
            targets: targets
                .as_deref()
                .map(read_rows)
                .transpose()?
                .unwrap_or_default(),
            gaps: gaps
                .as_deref()
                .map(read_rows)
                .transpose()?
                .unwrap_or_default(),
            gap_shapes: gaps_geojson
                .as_deref()
                .map(read_gap_shapes)
                .transpose()?
                .unwrap_or_default(),
            unit_shapes: units_geojson
                .as_deref()
                .map(read_unit_shapes)
                .transpose()?
                .unwrap_or_default(),
            recommend: recommend
                .as_deref()
                .map(read_rows)
                .transpose()?
                .unwrap_or_default(),
            levels,
            whatif,
            files,
            summary,
        })
    }

    /// Whether any cell carries the what-if columns of `category`.
    #[must_use]
    pub fn has_whatif_cells(&self, category: &str) -> bool {
        self.cells
            .as_ref()
            .is_some_and(|c| c.column(&format!("{category}_covered_before")).is_some())
    }
}

/// Whether the first feature of a GeoJSON file with a geometry is a polygon
/// (read from the start of the file without parsing all of it).
fn geojson_has_polygons(path: &Path) -> Result<bool, ChartError> {
    use std::io::Read;
    let mut head = Vec::with_capacity(64 * 1024);
    open(path)?
        .take(64 * 1024)
        .read_to_end(&mut head)
        .map_err(|e| read_err(path, e))?;
    let text = String::from_utf8_lossy(&head);
    let poly = text
        .find("\"Polygon\"")
        .or_else(|| text.find("\"MultiPolygon\""));
    let point = text.find("\"Point\"");
    Ok(match (poly, point) {
        (Some(a), Some(b)) => a < b,
        (Some(_), None) => true,
        _ => false,
    })
}
