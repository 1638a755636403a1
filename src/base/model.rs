//! Domain types shared by every stage: raw input records (WGS84 lon/lat, as read),
//! validated model records (with local metric coordinates), and rejected rows.
//!
//! Data flows one way: `input` produces `Raw*` records and [`Rejected`] rows, the
//! projection turns them into [`Site`] and [`Cell`], and every later stage works on
//! `xy` in metres. Lon/lat is kept only for export.

use geo::MultiPolygon;

/// A learning site as read from an input file, in WGS84 degrees (already converted
/// from GCJ-02 / BD-09 when the input said so).
#[derive(Clone, Debug, PartialEq)]
pub struct RawSite {
    /// The id as given in the file (or generated from the row number when absent).
    pub id: String,
    /// Display name; may be empty.
    pub name: String,
    /// Category as given in the file (e.g. `library`, `图书馆`).
    pub category: String,
    /// WGS84 longitude, degrees.
    pub lon: f64,
    /// WGS84 latitude, degrees.
    pub lat: f64,
    /// Optional capacity (places, seats, …) used by 2SFCA and capacitated siting.
    pub capacity: Option<f64>,
    /// Where the record came from, for messages (`row 12`, `feature 3`).
    pub location: String,
}

/// A resident-grid cell (or point) as read, in WGS84 degrees.
#[derive(Clone, Debug, PartialEq)]
pub struct RawCell {
    /// The id as given in the file (`cell_id`), if any.
    pub id: Option<String>,
    /// WGS84 longitude of the representative point (centroid), degrees.
    pub lon: f64,
    /// WGS84 latitude of the representative point (centroid), degrees.
    pub lat: f64,
    /// Residents (persons).
    pub population: f64,
    /// Elderly residents (persons), when the input has that layer.
    pub elderly: Option<f64>,
    /// Cell polygon in WGS84, kept for output when the input had polygons.
    pub polygon: Option<MultiPolygon<f64>>,
    /// Where the record came from, for messages (`row 12`, `feature 3`).
    pub location: String,
}

/// A validated learning site in the run's local metric frame.
#[derive(Clone, Debug, PartialEq)]
pub struct Site {
    /// The id as given by the user (unique within the run).
    pub id: String,
    /// Display name; may be empty.
    pub name: String,
    /// Category name as analysed (the config's name when the config maps aliases).
    pub category: String,
    /// WGS84 longitude, degrees.
    pub lon: f64,
    /// WGS84 latitude, degrees.
    pub lat: f64,
    /// Local projected coordinates, metres.
    pub xy: [f64; 2],
    /// Optional capacity.
    pub capacity: Option<f64>,
}

/// A validated resident cell in the run's local metric frame.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    /// Cell id (from the file, or `r<row>` generated from the row/feature number).
    pub id: String,
    /// WGS84 longitude, degrees.
    pub lon: f64,
    /// WGS84 latitude, degrees.
    pub lat: f64,
    /// Local projected coordinates, metres.
    pub xy: [f64; 2],
    /// Residents (persons).
    pub population: f64,
    /// Elderly residents (persons), if the input has that layer.
    pub elderly: Option<f64>,
    /// Cell polygon in WGS84, if the input had one.
    pub polygon: Option<MultiPolygon<f64>>,
}

/// An input record that was read but not used, with the reason.
#[derive(Clone, Debug, PartialEq)]
pub struct Rejected {
    /// The file it came from, as given on the command line.
    pub file: String,
    /// `row N` (1-based data row, header excluded) or `feature N` (0-based).
    pub location: String,
    /// Why it was not used.
    pub reason: String,
    /// Residents on the rejected record, when it was a population record whose
    /// count could be read (so that covered + uncovered + rejected = input total).
    pub population: Option<f64>,
}

/// A record as read, with its WGS84 position and where it came from.
pub trait Positioned {
    /// Longitude and latitude (WGS84), and where in its file (`row N`, `feature N`).
    fn position(&self) -> (f64, f64, &str);
    /// Residents it carries (cells), for the conservation check of rejected rows.
    fn residents(&self) -> Option<f64> {
        None
    }
}

impl Positioned for RawSite {
    fn position(&self) -> (f64, f64, &str) {
        (self.lon, self.lat, &self.location)
    }
}

impl Positioned for RawCell {
    fn position(&self) -> (f64, f64, &str) {
        (self.lon, self.lat, &self.location)
    }
    fn residents(&self) -> Option<f64> {
        Some(self.population)
    }
}

impl Site {
    /// A site at `xy` (local metres).
    #[must_use]
    pub fn from_raw(s: RawSite, xy: [f64; 2]) -> Self {
        Self {
            id: s.id,
            name: s.name,
            category: s.category,
            lon: s.lon,
            lat: s.lat,
            xy,
            capacity: s.capacity,
        }
    }
}

impl Cell {
    /// A cell at `xy` (local metres); without an id, one from its location
    /// (`row 12` → `r12`, `feature 3` → `f3`).
    #[must_use]
    pub fn from_raw(c: RawCell, xy: [f64; 2]) -> Self {
        Self {
            id: c
                .id
                .unwrap_or_else(|| c.location.replace("row ", "r").replace("feature ", "f")),
            lon: c.lon,
            lat: c.lat,
            xy,
            population: c.population,
            elderly: c.elderly,
            polygon: c.polygon,
        }
    }
}

impl Rejected {
    /// Convenience constructor.
    pub fn new(
        file: impl Into<String>,
        location: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Self {
            file: file.into(),
            location: location.into(),
            reason: reason.into(),
            population: None,
        }
    }

    /// Attach the residents this record carried.
    #[must_use]
    pub fn with_population(mut self, population: Option<f64>) -> Self {
        self.population = population;
        self
    }
}

/// Bounding box `[min_x, min_y, max_x, max_y]` of points (lon/lat or metres);
/// `None` when there are none.
pub fn bbox_of(points: impl Iterator<Item = (f64, f64)>) -> Option<[f64; 4]> {
    let mut b = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    let mut any = false;
    for (x, y) in points {
        any = true;
        b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
    }
    any.then_some(b)
}
