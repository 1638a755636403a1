//! Population from buildings (`learncircle population from-buildings`): known
//! resident totals spread over the **residential floor area** of OpenStreetMap
//! buildings, on a square grid.
//!
//! * **Inputs:** an OSM file (buildings and `landuse=residential` areas, read with
//!   [`crate::network::osm::read_osm`]); a total ([`HowMany`]): one number, a
//!   density per m² of floor area or per km² of a study box, or per-unit totals
//!   (street 街道 census counts) with the unit polygons; optionally a 60+ share.
//! * **Output:** [`BuildingsGrid`]: one row per grid cell (`g<ix>_<iy>`, aligned
//!   as in [`crate::analysis::grid`]) with whole persons, written by [`write_grid_csv`] as
//!   `cell_id,lon,lat,population[,elderly],floor_area_m2`, plus a
//!   [`BuildingsReport`].
//!
//! # Which buildings hold residents
//!
//! * `building` = `apartments`, `residential`, `dormitory`, `house`, `detached`,
//!   `semidetached_house`, `terrace`, `bungalow`: everywhere. Dormitories count:
//!   the census counts students and workers in collective quarters (集体户) where
//!   they live.
//! * `building=yes`: only when its centroid lies inside a `landuse=residential`
//!   way or multipolygon, and it has no tag naming another use (`amenity`, `shop`,
//!   `office`, `tourism`, `leisure`, `healthcare`, `craft`, `man_made`,
//!   `public_transport`, `railway`, `aeroway`, `military`, `emergency`): in a
//!   Shanghai 小区 most blocks are mapped as plain `building=yes`.
//! * Everything else (university, school, commercial, …) holds no residents.
//!
//! # Floor area
//!
//! Footprint area (closed way or multipolygon, outer minus inner rings, m² in the
//! local transverse Mercator) × storeys. Storeys come from `building:levels` (the
//! first number, 1–200), else `height` ÷ 3 m (rounded, at least 1), else a
//! default: **6** for multi-storey types (`--default-levels`; the six-storey
//! walk-up is the commonest residential block of 1980s–90s Shanghai, while the
//! 18–30-storey towers are usually mapped with their levels), **2** for houses
//! (`--default-house-levels`) and 1 for bungalows. The report counts how many
//! buildings used each source.
//!
//! # From floor area to cells
//!
//! Each footprint is cut by the grid cells (exact polygon ∩ square areas, see
//! [`clip`]); a cell's floor area is the sum over the pieces × storeys. A total
//! (per unit with `--unit-totals`) is split over the cells in proportion to their
//! floor area by **largest remainder** ([`allocate`]): every cell holds whole
//! persons and the written populations add up to the total **exactly**. The
//! elderly are split the same way with each cell's residents as a cap, so
//! `elderly ≤ population` in every cell and Σ elderly is exact too.
//!
//! Cells without residential floor area hold nobody and are not written, except
//! with `--bbox`, where every cell of the box is written (zeros included) so that
//! maps show the empty land too; coverage counts those cells as 0 persons.
//!
//! # Units
//!
//! With `--units` and `--unit-totals`, a building belongs to the first unit (file
//! order) containing its centroid; each unit's total is spread over the floor
//! area of its buildings only. A unit with a positive total but no residential
//! floor area is an **error** (its residents could not be placed); a total for a
//! unit the units file does not have is an error; floor area outside every unit
//! and units without a total are reported (their buildings get nobody).

pub mod allocate;
pub mod clip;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use geo::GeodesicArea;

use crate::crs::{InputCrs, LocalProjection};
use crate::export::{OutputError, fmt_population, write_file_atomic};
use crate::input::InputError;
use crate::input::{Column, parse_number, read_text};
use crate::network::osm::{OsmData, OsmSelection, Tags, read_osm};
use crate::network::{NetworkError, OsmKind};
use crate::osm::geometry::{
    Area, GeometryProblem, ProjectedNodes, Shape, multipolygon_area, way_shape,
};
use crate::osm::sites::ElementId;

pub use allocate::AllocateError;

/// Default storeys of multi-storey residential buildings without levels or height.
pub const DEFAULT_LEVELS: f64 = 6.0;
/// Default storeys of houses without levels or height.
pub const DEFAULT_HOUSE_LEVELS: f64 = 2.0;
/// Storey height used to turn `height` into storeys, metres.
pub const STOREY_HEIGHT_M: f64 = 3.0;
/// Largest plausible `building:levels`.
pub const MAX_LEVELS: f64 = 200.0;

/// `building` values that hold residents wherever they are.
pub const RESIDENTIAL_TYPES: &[&str] = &[
    "apartments",
    "residential",
    "dormitory",
    "house",
    "detached",
    "semidetached_house",
    "terrace",
    "bungalow",
];
const HOUSE_TYPES: &[&str] = &["house", "detached", "semidetached_house", "terrace"];
/// Tags that give a `building=yes` another use than housing.
pub const OTHER_USE_KEYS: &[&str] = &[
    "amenity",
    "shop",
    "office",
    "tourism",
    "leisure",
    "healthcare",
    "craft",
    "man_made",
    "public_transport",
    "railway",
    "aeroway",
    "military",
    "emergency",
];

/// Key in the report for `building=yes` counted because it is in a residential area.
pub const YES_IN_RESIDENTIAL: &str = "yes in landuse=residential";
const YES_OUTSIDE: &str = "yes outside landuse=residential";
const YES_OTHER_USE: &str = "yes with a non-residential use tag";

/// Where a building's storeys came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LevelsSource {
    /// `building:levels`.
    Tag,
    /// `height` ÷ 3 m.
    Height,
    /// The multi-storey default (`--default-levels`).
    Default,
    /// The house default (`--default-house-levels`).
    HouseDefault,
    /// `building=bungalow`: one storey.
    Bungalow,
}

/// Default storeys when a building has neither `building:levels` nor `height`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LevelDefaults {
    /// Multi-storey types and `building=yes`.
    pub multi_storey: f64,
    /// `house`, `detached`, `semidetached_house`, `terrace`.
    pub house: f64,
}

impl Default for LevelDefaults {
    fn default() -> Self {
        Self {
            multi_storey: DEFAULT_LEVELS,
            house: DEFAULT_HOUSE_LEVELS,
        }
    }
}

/// The first number in a tag value (`"6"`, `"5.5"`, `"6;7"`, `"12 m"`).
fn leading_number(v: &str) -> Option<f64> {
    let t = v.trim();
    let end = t
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || *c == '.'))
        .map_or(t.len(), |(i, _)| i);
    t[..end].parse::<f64>().ok().filter(|x| x.is_finite())
}

/// Storeys of a building and where they came from; the flag is true when a
/// `building:levels` tag was present but unusable.
#[must_use]
pub fn levels_of<T: Tags + ?Sized>(
    tags: &T,
    building: &str,
    defaults: LevelDefaults,
) -> (f64, LevelsSource, bool) {
    let tag = tags.tag("building:levels");
    if let Some(l) = tag
        .and_then(leading_number)
        .filter(|l| (1.0..=MAX_LEVELS).contains(l))
    {
        return (l, LevelsSource::Tag, false);
    }
    let unusable = tag.is_some();
    if let Some(h) = tags
        .tag("height")
        .and_then(leading_number)
        .filter(|h| (2.0..=1000.0).contains(h))
    {
        return (
            (h / STOREY_HEIGHT_M).round().max(1.0),
            LevelsSource::Height,
            unusable,
        );
    }
    if building == "bungalow" {
        (1.0, LevelsSource::Bungalow, unusable)
    } else if HOUSE_TYPES.contains(&building) {
        (defaults.house, LevelsSource::HouseDefault, unusable)
    } else {
        (defaults.multi_storey, LevelsSource::Default, unusable)
    }
}

/// A building that holds residents.
#[derive(Clone, Debug, PartialEq)]
pub struct ResidentialBuilding {
    /// The OSM element (closed way or multipolygon relation).
    pub element: ElementId,
    /// Why it counts: its `building` value or [`YES_IN_RESIDENTIAL`].
    pub rule: String,
    /// Footprint, local metres.
    pub area: Area,
    /// Footprint centroid, local metres.
    pub centroid: [f64; 2],
    /// Footprint area, m².
    pub footprint_m2: f64,
    /// Storeys.
    pub levels: f64,
    /// Where the storeys came from.
    pub levels_source: LevelsSource,
}

impl ResidentialBuilding {
    /// Footprint × storeys, m².
    #[must_use]
    pub fn floor_area_m2(&self) -> f64 {
        self.footprint_m2 * self.levels
    }
}

/// Counts over the buildings of the file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BuildingStats {
    /// Elements with a `building` tag (other than `no`): closed ways and relations.
    pub buildings_read: usize,
    /// Counted as residential, by rule.
    pub counted: BTreeMap<String, usize>,
    /// Not counted, by `building` value (and the two `yes` cases).
    pub not_counted: BTreeMap<String, usize>,
    /// Buildings without usable geometry (not counted).
    pub no_geometry: Vec<(ElementId, GeometryProblem)>,
    /// Storeys by source, over counted buildings.
    pub levels_by_source: BTreeMap<LevelsSource, usize>,
    /// Counted buildings whose `building:levels` was present but unusable.
    pub levels_unusable: usize,
    /// `landuse=residential` areas used.
    pub residential_areas: usize,
    /// `landuse=residential` elements without usable geometry.
    pub residential_areas_unusable: usize,
}

/// Residential buildings of a file, with their counts.
#[derive(Clone, Debug, Default)]
pub struct ResidentialBuildings {
    /// Counted buildings, in id order (ways, then relations).
    pub buildings: Vec<ResidentialBuilding>,
    /// Counts.
    pub stats: BuildingStats,
}

/// The selection of [`read_osm`] for this stage: buildings and residential areas.
fn wanted(tags: &[(&str, &str)]) -> bool {
    tags.tag("building").is_some_and(|b| b != "no") || tags.tag("landuse") == Some("residential")
}

/// The residential buildings of `data` under the rules of the module docs.
#[must_use]
pub fn residential_buildings(
    data: &OsmData,
    nodes: &ProjectedNodes,
    defaults: LevelDefaults,
) -> ResidentialBuildings {
    let mut stats = BuildingStats::default();
    let areas = ResidentialAreas::of(data, nodes, &mut stats);
    // Ways that are members of building relations are counted through the relation.
    let mut relation_members: Vec<i64> = data
        .relations
        .iter()
        .filter(|r| r.tags.as_slice().tag("building").is_some_and(|b| b != "no"))
        .flat_map(|r| {
            r.members
                .iter()
                .filter(|m| m.kind == OsmKind::Way)
                .map(|m| m.id)
        })
        .collect();
    relation_members.sort_unstable();
    let mut out = Vec::new();
    let mut consider = |element, tags: &[(String, String)], shape, stats: &mut BuildingStats| {
        if let Some(b) = consider_building(element, tags, shape, &areas, defaults, stats) {
            out.push(b);
        }
    };
    for w in &data.ways {
        if relation_members.binary_search(&w.id).is_ok() {
            continue;
        }
        let element = ElementId {
            kind: OsmKind::Way,
            id: w.id,
        };
        let shape = match way_shape(w, nodes) {
            Ok(Shape::Area(a)) => Ok(a),
            // An open `building` way has no footprint.
            Ok(_) => Err(GeometryProblem::OpenRing {
                end_node: w.refs.last().copied().unwrap_or_default(),
            }),
            Err(e) => Err(e),
        };
        consider(element, &w.tags, shape, &mut stats);
    }
    for r in &data.relations {
        let element = ElementId {
            kind: OsmKind::Relation,
            id: r.id,
        };
        consider(
            element,
            &r.tags,
            multipolygon_area(r, data, nodes),
            &mut stats,
        );
    }
    ResidentialBuildings {
        buildings: out,
        stats,
    }
}

/// `landuse=residential` areas, with their bounding boxes for a quick reject.
struct ResidentialAreas {
    areas: Vec<Area>,
    boxes: Vec<[f64; 4]>,
}

impl ResidentialAreas {
    fn of(data: &OsmData, nodes: &ProjectedNodes, stats: &mut BuildingStats) -> Self {
        let mut areas: Vec<Area> = Vec::new();
        let mut add_area =
            |shape: Result<Area, GeometryProblem>, stats: &mut BuildingStats| match shape {
                Ok(a) => {
                    stats.residential_areas += 1;
                    areas.push(a);
                }
                Err(_) => stats.residential_areas_unusable += 1,
            };
        for w in &data.ways {
            if w.tags.as_slice().tag("landuse") == Some("residential") {
                let a = match way_shape(w, nodes) {
                    Ok(Shape::Area(a)) => Ok(a),
                    Ok(_) => Err(GeometryProblem::Empty),
                    Err(e) => Err(e),
                };
                add_area(a, stats);
            }
        }
        for r in &data.relations {
            if r.tags.as_slice().tag("landuse") == Some("residential") {
                add_area(multipolygon_area(r, data, nodes), stats);
            }
        }
        let boxes = areas.iter().map(Area::bbox).collect();
        Self { areas, boxes }
    }

    fn contains(&self, p: [f64; 2]) -> bool {
        self.areas.iter().zip(&self.boxes).any(|(a, b)| {
            p[0] >= b[0] && p[0] <= b[2] && p[1] >= b[1] && p[1] <= b[3] && a.contains(p)
        })
    }
}

/// One element with a `building` tag: counted as residential (with its floor
/// levels), or the reason it is not, in `stats`.
fn consider_building(
    element: ElementId,
    tags: &[(String, String)],
    shape: Result<Area, GeometryProblem>,
    areas: &ResidentialAreas,
    defaults: LevelDefaults,
    stats: &mut BuildingStats,
) -> Option<ResidentialBuilding> {
    let b = tags.tag("building").filter(|b| *b != "no")?;
    stats.buildings_read += 1;
    let area = match shape {
        Ok(a) => a,
        Err(p) => {
            stats.no_geometry.push((element, p));
            return None;
        }
    };
    let Some(centroid) = area.centroid() else {
        stats.no_geometry.push((element, GeometryProblem::Empty));
        return None;
    };
    let rule = if RESIDENTIAL_TYPES.contains(&b) {
        b.to_string()
    } else if b == "yes" {
        if OTHER_USE_KEYS.iter().any(|k| tags.tag(k).is_some()) {
            *stats.not_counted.entry(YES_OTHER_USE.into()).or_default() += 1;
            return None;
        }
        if !areas.contains(centroid) {
            *stats.not_counted.entry(YES_OUTSIDE.into()).or_default() += 1;
            return None;
        }
        YES_IN_RESIDENTIAL.to_string()
    } else {
        *stats.not_counted.entry(b.to_string()).or_default() += 1;
        return None;
    };
    let (levels, levels_source, unusable) = levels_of(tags, b, defaults);
    *stats.counted.entry(rule.clone()).or_default() += 1;
    *stats.levels_by_source.entry(levels_source).or_default() += 1;
    stats.levels_unusable += usize::from(unusable);
    Some(ResidentialBuilding {
        element,
        rule,
        footprint_m2: area.area_m2(),
        area,
        centroid,
        levels,
        levels_source,
    })
}

/// How many residents to place.
#[derive(Clone, Debug, PartialEq)]
pub enum HowMany {
    /// A total for the whole area (`--total`), whole persons.
    Total(f64),
    /// Residents per m² of residential floor area (`--per-m2`).
    PerM2(f64),
    /// Residents per km² of the study box (`--per-km2`, needs a box).
    PerKm2(f64),
    /// Totals per planning unit (`--units` + `--unit-totals`).
    Units {
        /// GeoJSON polygons with a code/name.
        units: PathBuf,
        /// Datum of the units file.
        units_crs: InputCrs,
        /// CSV `unit_id,population[,elderly]`.
        totals: PathBuf,
    },
}

/// Everything `population from-buildings` needs.
#[derive(Clone, Debug, PartialEq)]
pub struct FromBuildingsOptions {
    /// OSM file.
    pub osm: PathBuf,
    /// How many residents.
    pub how_many: HowMany,
    /// Share aged 60+ (0–1).
    pub elderly_share: Option<f64>,
    /// Study box `[min_lon, min_lat, max_lon, max_lat]`.
    pub bbox: Option<[f64; 4]>,
    /// Cell size, metres.
    pub cell_m: f64,
    /// Storeys when a building has neither levels nor height.
    pub levels: LevelDefaults,
}

/// One written grid cell.
#[derive(Clone, Debug, PartialEq)]
pub struct CellPopulation {
    /// Column.
    pub ix: i64,
    /// Row.
    pub iy: i64,
    /// `g<ix>_<iy>`.
    pub id: String,
    /// Centre, WGS84.
    pub lon: f64,
    /// Centre, WGS84.
    pub lat: f64,
    /// Residential floor area in the cell, m².
    pub floor_area_m2: f64,
    /// Residents, whole persons.
    pub population: u64,
    /// Residents aged 60+ (0 without an elderly layer).
    pub elderly: u64,
}

/// Per-unit line of the report.
#[derive(Clone, Debug, PartialEq)]
pub struct UnitLine {
    /// Unit id.
    pub id: String,
    /// Unit name.
    pub name: String,
    /// Its total (`None`: not in the totals file).
    pub total: Option<u64>,
    /// Its elderly total.
    pub elderly: Option<u64>,
    /// Residential buildings inside.
    pub buildings: usize,
    /// Residential floor area inside, m².
    pub floor_area_m2: f64,
}

/// What [`population_from_buildings`] did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BuildingsReport {
    /// Building counts.
    pub stats: BuildingStats,
    /// Residential buildings whose floor area was used.
    pub buildings_used: usize,
    /// Their footprint, m².
    pub footprint_m2: f64,
    /// Their floor area, m².
    pub floor_area_m2: f64,
    /// Residential buildings left out because their centroid is outside `--bbox`.
    pub outside_bbox: usize,
    /// Their floor area, m².
    pub outside_bbox_floor_m2: f64,
    /// Residents placed (= Σ written populations).
    pub total: u64,
    /// Elderly placed (= Σ written elderly), when requested.
    pub elderly_total: Option<u64>,
    /// How the total was obtained.
    pub total_source: String,
    /// Cells written.
    pub cells_written: usize,
    /// Cells with at least one resident.
    pub cells_with_people: usize,
    /// Per-unit lines (units mode).
    pub units: Vec<UnitLine>,
    /// Residential buildings outside every unit (units mode).
    pub outside_units: usize,
    /// Their floor area, m².
    pub outside_units_floor_m2: f64,
    /// Buildings inside more than one unit (assigned to the first).
    pub in_several_units: usize,
    /// The storey defaults used.
    pub level_defaults: LevelDefaults,
    /// Warnings to show.
    pub warnings: Vec<String>,
}

/// The grid and its report.
#[derive(Clone, Debug, PartialEq)]
pub struct BuildingsGrid {
    /// Cells, row by row from the south-west (`iy`, then `ix`).
    pub cells: Vec<CellPopulation>,
    /// Whether the grid has an elderly column.
    pub has_elderly: bool,
    /// What was done.
    pub report: BuildingsReport,
}

/// Errors of the population-from-buildings stage. Nothing is written on any of them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildingsError {
    /// The OSM file could not be read.
    #[error(transparent)]
    Osm(#[from] NetworkError),
    /// The units file could not be used.
    #[error(transparent)]
    Input(#[from] InputError),
    /// A number given on the command line is out of range.
    #[error("{flag} {value}: {reason}")]
    BadValue {
        /// The flag.
        flag: &'static str,
        /// The value given.
        value: f64,
        /// What is allowed.
        reason: &'static str,
    },
    /// The study box is not usable.
    #[error("--bbox: {reason}")]
    BadBbox {
        /// What is wrong.
        reason: String,
    },
    /// Options that cannot go together.
    #[error("{reason}")]
    Conflict {
        /// What to change.
        reason: String,
    },
    /// A node cannot be projected into the local frame.
    #[error("osm file {path}: node {node_id}: cannot project ({lon}, {lat})")]
    Projection {
        /// The file.
        path: PathBuf,
        /// OSM node id.
        node_id: i64,
        /// Longitude, degrees.
        lon: f64,
        /// Latitude, degrees.
        lat: f64,
    },
    /// The file has no building at all.
    #[error(
        "osm file {path}: no buildings (no closed way or multipolygon with a building tag among {ways_seen} ways); population from buildings needs an extract with buildings"
    )]
    NoBuildings {
        /// The file.
        path: PathBuf,
        /// Ways in the file.
        ways_seen: u64,
    },
    /// Buildings exist, but none holds residents (or none inside the box).
    #[error(
        "osm file {path}: no residential floor area ({buildings} buildings read; not counted: {not_counted}); residential buildings are building=apartments/residential/dormitory/house/… or building=yes inside landuse=residential"
    )]
    NoResidentialFloorArea {
        /// The file.
        path: PathBuf,
        /// Buildings read.
        buildings: usize,
        /// Why they were not counted.
        not_counted: String,
    },
    /// A row of the unit totals file is not usable.
    #[error("{path}: row {row}: {reason}")]
    UnitTotals {
        /// The totals file.
        path: PathBuf,
        /// 1-based data row.
        row: u64,
        /// What is wrong.
        reason: String,
    },
    /// The totals name a unit the units file does not have.
    #[error("{path}: row {row}: unit {unit:?} is not in the units file (units: {known})")]
    UnknownUnit {
        /// The totals file.
        path: PathBuf,
        /// 1-based data row.
        row: u64,
        /// The unit id given.
        unit: String,
        /// Some of the unit ids the units file has.
        known: String,
    },
    /// Units with residents to place but no residential floor area inside.
    #[error(
        "{path}: {count} unit(s) have a population total but no residential floor area to place it on: {units}"
    )]
    UnitsWithoutFloorArea {
        /// The totals file.
        path: PathBuf,
        /// How many.
        count: usize,
        /// `id (total)`, comma-separated.
        units: String,
    },
    /// The apportionment failed (an internal invariant; please report it).
    #[error("cannot apportion the population: {0}")]
    Allocate(#[from] AllocateError),
    /// The grid could not be written.
    #[error(transparent)]
    Output(#[from] OutputError),
}

/// A count given as a float on the command line → whole persons.
fn whole_persons(flag: &'static str, v: f64) -> Result<u64, BuildingsError> {
    let bad = |reason| BuildingsError::BadValue {
        flag,
        value: v,
        reason,
    };
    if !v.is_finite() {
        return Err(bad("must be a finite number"));
    }
    if v < 0.0 {
        return Err(bad("must not be negative"));
    }
    if v.fract() != 0.0 {
        return Err(bad("must be a whole number of persons"));
    }
    if v > 1e12 {
        return Err(bad("is implausibly large (more than 10^12 persons)"));
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(v as u64)
}

/// Round a non-negative finite product to whole persons.
fn round_persons(v: f64) -> u64 {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let r = v.round().max(0.0) as u64;
    r
}

fn validate(o: &FromBuildingsOptions) -> Result<(), BuildingsError> {
    let bad = |flag, value, reason| BuildingsError::BadValue {
        flag,
        value,
        reason,
    };
    if !(o.cell_m.is_finite() && (1.0..=100_000.0).contains(&o.cell_m)) {
        return Err(bad(
            "--cell-m",
            o.cell_m,
            "must be between 1 and 100000 metres",
        ));
    }
    for (flag, v) in [
        ("--default-levels", o.levels.multi_storey),
        ("--default-house-levels", o.levels.house),
    ] {
        if !(v.is_finite() && (1.0..=MAX_LEVELS).contains(&v)) {
            return Err(bad(flag, v, "must be between 1 and 200 storeys"));
        }
    }
    if let Some(s) = o.elderly_share
        && !(s.is_finite() && (0.0..=1.0).contains(&s))
    {
        return Err(bad("--elderly-share", s, "must be a share between 0 and 1"));
    }
    match o.how_many {
        HowMany::Total(t) => {
            whole_persons("--total", t)?;
        }
        HowMany::PerM2(x) if !(x.is_finite() && x >= 0.0) => {
            return Err(bad("--per-m2", x, "must be a finite number ≥ 0"));
        }
        HowMany::PerKm2(d) if !(d.is_finite() && d >= 0.0) => {
            return Err(bad("--per-km2", d, "must be a finite number ≥ 0"));
        }
        HowMany::PerKm2(_) if o.bbox.is_none() => {
            return Err(BuildingsError::Conflict {
                reason: "--per-km2 needs --bbox (the area the density applies to)".into(),
            });
        }
        _ => {}
    }
    if let Some(b) = o.bbox {
        if !(b.iter().all(|v| v.is_finite()) && b[0] < b[2] && b[1] < b[3]) {
            return Err(BuildingsError::BadBbox {
                reason: "must be MIN_LON,MIN_LAT,MAX_LON,MAX_LAT with min < max".into(),
            });
        }
        for (lon, lat) in [(b[0], b[1]), (b[2], b[3])] {
            crate::input::check_lon_lat_pair(lon, lat)
                .map_err(|reason| BuildingsError::BadBbox { reason })?;
        }
    }
    Ok(())
}

/// Geodesic area of a lon/lat box, km².
#[must_use]
pub fn bbox_area_km2(b: [f64; 4]) -> f64 {
    let ring = vec![
        (b[0], b[1]),
        (b[2], b[1]),
        (b[2], b[3]),
        (b[0], b[3]),
        (b[0], b[1]),
    ];
    geo::Polygon::new(ring.into(), vec![]).geodesic_area_unsigned() / 1e6
}

/// Units with their totals, read and checked before the OSM file.
struct UnitTotals {
    path: PathBuf,
    /// (id, name, area in local metres — projected later, WGS84 polygon now).
    units: Vec<crate::input::units::RawUnit>,
    /// Per unit (index into `units`): (total, elderly).
    totals: Vec<Option<(u64, Option<u64>)>>,
    has_elderly_column: bool,
    warnings: Vec<String>,
}

const UNIT_ID: Column = Column {
    name: "unit_id",
    aliases: &[
        "unitid",
        "unit",
        "id",
        "code",
        "adcode",
        "编码",
        "代码",
        "区划代码",
        "编号",
        "name",
        "名称",
        "街道",
    ],
};
const UNIT_POPULATION: Column = Column {
    name: "population",
    aliases: &[
        "population",
        "pop",
        "residents",
        "total",
        "persons",
        "人口",
        "常住人口",
        "人数",
        "总人口",
    ],
};
const UNIT_ELDERLY: Column = Column {
    name: "elderly",
    aliases: &[
        "elderly",
        "pop60",
        "pop65",
        "aged60plus",
        "aged65plus",
        "over60",
        "over65",
        "老年人口",
        "60岁以上",
        "60岁及以上",
        "65岁及以上",
    ],
};

fn read_unit_totals(
    units_path: &Path,
    crs: InputCrs,
    totals_path: &Path,
) -> Result<UnitTotals, BuildingsError> {
    let units_read = crate::input::units::read_units(units_path, crs)?;
    let mut warnings = units_read.warnings;
    for r in &units_read.rejected {
        warnings.push(format!(
            "{}: {}: not used: {}",
            r.file, r.location, r.reason
        ));
    }
    let units = units_read.units;
    let by_id: HashMap<&str, usize> = units
        .iter()
        .enumerate()
        .map(|(i, u)| (u.id.as_str(), i))
        .collect();
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, u) in units.iter().enumerate() {
        if !u.name.is_empty() {
            by_name.entry(u.name.as_str()).or_default().push(i);
        }
    }
    let (text, _) = read_text(totals_path)?;
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = crate::input::csv_headers(&mut rdr, totals_path)?;
    let c_id = UNIT_ID.require(&headers, totals_path)?;
    let c_pop = UNIT_POPULATION.require(&headers, totals_path)?;
    let c_eld = UNIT_ELDERLY.find(&headers);
    let mut totals: Vec<Option<(u64, Option<u64>)>> = vec![None; units.len()];
    let mut rows = 0u64;
    for (i, rec) in rdr.records().enumerate() {
        let row = i as u64 + 1;
        let bad = |reason: String| BuildingsError::UnitTotals {
            path: totals_path.into(),
            row,
            reason,
        };
        let rec = rec.map_err(|e| bad(e.to_string()))?;
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        rows += 1;
        let unit = rec.get(c_id).unwrap_or("").trim().to_string();
        let idx = match by_id.get(unit.as_str()) {
            Some(&i) => i,
            None => match by_name.get(unit.as_str()).map(Vec::as_slice) {
                Some([i]) => *i,
                Some(_) => {
                    return Err(bad(format!(
                        "unit name {unit:?} is ambiguous in the units file; use its code"
                    )));
                }
                None => {
                    let mut known: Vec<&str> = units.iter().map(|u| u.id.as_str()).collect();
                    known.sort_unstable();
                    let more = known.len().saturating_sub(10);
                    known.truncate(10);
                    let mut known = known.join(", ");
                    if more > 0 {
                        known.push_str(&format!(" … and {more} more"));
                    }
                    return Err(BuildingsError::UnknownUnit {
                        path: totals_path.into(),
                        row,
                        unit,
                        known,
                    });
                }
            },
        };
        let count = |col: usize, what: &str| -> Result<u64, BuildingsError> {
            let v = parse_number(rec.get(col).unwrap_or(""), what).map_err(&bad)?;
            if v < 0.0 {
                return Err(bad(format!("{what} is negative ({v})")));
            }
            if v.fract() != 0.0 || v > 1e12 {
                return Err(bad(format!(
                    "{what} must be a whole number of persons ({v})"
                )));
            }
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            Ok(v as u64)
        };
        let pop = count(c_pop, "population")?;
        let eld = match c_eld {
            Some(c) => {
                let e = count(c, "elderly")?;
                if e > pop {
                    return Err(bad(format!("elderly ({e}) exceeds population ({pop})")));
                }
                Some(e)
            }
            None => None,
        };
        if totals[idx].is_some() {
            return Err(bad(format!("unit {:?} has a second row", units[idx].id)));
        }
        totals[idx] = Some((pop, eld));
    }
    if rows == 0 {
        return Err(InputError::Empty {
            path: totals_path.into(),
            what: "file has a header but no data rows",
        }
        .into());
    }
    Ok(UnitTotals {
        path: totals_path.to_path_buf(),
        units,
        totals,
        has_elderly_column: c_eld.is_some(),
        warnings,
    })
}

fn area_from_wgs84(mp: &geo::MultiPolygon<f64>, proj: &LocalProjection) -> Option<Area> {
    let ring = |ls: &geo::LineString<f64>| -> Option<Vec<[f64; 2]>> {
        ls.coords().map(|c| proj.forward(c.x, c.y).ok()).collect()
    };
    let mut a = Area::default();
    for p in &mp.0 {
        a.outers.push(ring(p.exterior())?);
        for h in p.interiors() {
            a.inners.push(ring(h)?);
        }
    }
    Some(a)
}

/// Reads the OSM file and builds the grid (nothing is written).
///
/// # Errors
/// Any [`BuildingsError`]: bad options (checked before the file is read), an
/// unreadable file, no buildings, no residential floor area, unusable unit totals.
pub fn population_from_buildings(
    o: &FromBuildingsOptions,
) -> Result<BuildingsGrid, BuildingsError> {
    validate(o)?;
    let unit_totals = read_unit_totals_of(o)?;
    let (proj, found, ways_seen) = read_residential(o)?;
    let mut report = BuildingsReport {
        stats: found.stats,
        level_defaults: o.levels,
        ..BuildingsReport::default()
    };
    if report.stats.buildings_read == 0 {
        return Err(BuildingsError::NoBuildings {
            path: o.osm.clone(),
            ways_seen,
        });
    }
    let buildings = buildings_in_box(o, &proj, found.buildings, &mut report);
    check_floor_area(o, &report)?;
    let (unit_of, unit_count) =
        unit_of_buildings(&buildings, unit_totals.as_ref(), &proj, &mut report);
    let floors = floor_per_unit(&buildings, &unit_of, unit_count, o.cell_m, &mut report);
    let totals = totals_per_unit(o, unit_totals.as_ref(), &mut report)?;
    if let Some(ut) = &unit_totals {
        report_units(ut, &floors, &totals, &mut report)?;
    }
    let has_elderly = totals.iter().any(|t| t.1.is_some());
    let mut cells = apportion(&floors.per_unit, &totals)?;
    if let Some(b) = o.bbox {
        let grid = crate::analysis::grid::cells_in_bbox(b, o.cell_m, &proj).map_err(|_| {
            BuildingsError::BadBbox {
                reason: "cannot project the box".into(),
            }
        })?;
        for c in grid {
            cells.entry((c.iy, c.ix)).or_default();
        }
    }
    let rows = cell_rows(cells, o.cell_m, &proj);
    finish_report(&rows, has_elderly, &mut report);
    Ok(BuildingsGrid {
        cells: rows,
        has_elderly,
        report,
    })
}

/// The unit totals of `--units` with `--unit-totals`, when given.
///
/// # Errors
/// Unreadable files, or an elderly column together with `--elderly-share`.
fn read_unit_totals_of(o: &FromBuildingsOptions) -> Result<Option<UnitTotals>, BuildingsError> {
    let HowMany::Units {
        units,
        units_crs,
        totals,
    } = &o.how_many
    else {
        return Ok(None);
    };
    let ut = read_unit_totals(units, *units_crs, totals)?;
    if ut.has_elderly_column && o.elderly_share.is_some() {
        return Err(BuildingsError::Conflict {
            reason: format!(
                "{} has an elderly column and --elderly-share was given: use one of them",
                totals.display()
            ),
        });
    }
    Ok(Some(ut))
}

/// The OSM buildings, projected around the study box (or the file's nodes), with
/// the residential ones found; also the number of ways seen.
///
/// # Errors
/// An unreadable OSM file, or a node that cannot be projected.
fn read_residential(
    o: &FromBuildingsOptions,
) -> Result<(LocalProjection, ResidentialBuildings, u64), BuildingsError> {
    let path = o.osm.as_path();
    let selection = OsmSelection {
        ways: Some(&wanted),
        relations: Some(&|t: &[(&str, &str)]| t.tag("type") == Some("multipolygon") && wanted(t)),
        ..OsmSelection::default()
    };
    let data = read_osm(path, &selection)?;
    let frame_box = o.bbox.unwrap_or_else(|| {
        crate::base::model::bbox_of(data.nodes.iter().map(|n| (n.lon(), n.lat())))
            .unwrap_or([0.0; 4])
    });
    let proj_err = |node_id, lon, lat| BuildingsError::Projection {
        path: path.to_path_buf(),
        node_id,
        lon,
        lat,
    };
    let proj = LocalProjection::centred_on(frame_box)
        .map_err(|_| proj_err(0, frame_box[0], frame_box[1]))?;
    let nodes =
        ProjectedNodes::new(&data, &proj).map_err(|(id, lon, lat)| proj_err(id, lon, lat))?;
    let found = residential_buildings(&data, &nodes, o.levels);
    Ok((proj, found, data.stats.ways_seen))
}

/// Buildings whose centroid is in the study box (all without a box); the report
/// gets what was left out and the used footprint and floor area.
fn buildings_in_box(
    o: &FromBuildingsOptions,
    proj: &LocalProjection,
    mut buildings: Vec<ResidentialBuilding>,
    report: &mut BuildingsReport,
) -> Vec<ResidentialBuilding> {
    if let Some(b) = o.bbox {
        let (inside, outside): (Vec<_>, Vec<_>) = buildings.into_iter().partition(|bd| {
            let (lon, lat) = proj.inverse(bd.centroid);
            lon >= b[0] && lon <= b[2] && lat >= b[1] && lat <= b[3]
        });
        report.outside_bbox = outside.len();
        report.outside_bbox_floor_m2 = outside.iter().map(ResidentialBuilding::floor_area_m2).sum();
        buildings = inside;
    }
    report.buildings_used = buildings.len();
    report.footprint_m2 = buildings.iter().map(|b| b.footprint_m2).sum();
    report.floor_area_m2 = buildings
        .iter()
        .map(ResidentialBuilding::floor_area_m2)
        .sum();
    buildings
}

/// # Errors
/// No residential floor area: says what was not counted and why.
fn check_floor_area(
    o: &FromBuildingsOptions,
    report: &BuildingsReport,
) -> Result<(), BuildingsError> {
    if !(report.floor_area_m2.is_nan() || report.floor_area_m2 <= 0.0) {
        return Ok(());
    }
    let mut not_counted: Vec<String> = report
        .stats
        .not_counted
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    if report.outside_bbox > 0 {
        not_counted.push(format!(
            "residential but outside --bbox {}",
            report.outside_bbox
        ));
    }
    if !report.stats.no_geometry.is_empty() {
        not_counted.push(format!(
            "no usable geometry {}",
            report.stats.no_geometry.len()
        ));
    }
    Err(BuildingsError::NoResidentialFloorArea {
        path: o.osm.clone(),
        buildings: report.stats.buildings_read,
        not_counted: if not_counted.is_empty() {
            "none".into()
        } else {
            not_counted.join(", ")
        },
    })
}

/// Unit of every building by centroid (index into the units; one pseudo-unit
/// without units), and the number of units.
fn unit_of_buildings(
    buildings: &[ResidentialBuilding],
    unit_totals: Option<&UnitTotals>,
    proj: &LocalProjection,
    report: &mut BuildingsReport,
) -> (Vec<Option<usize>>, usize) {
    let Some(ut) = unit_totals else {
        return (vec![Some(0); buildings.len()], 1);
    };
    let areas: Vec<Option<Area>> = ut
        .units
        .iter()
        .map(|u| area_from_wgs84(&u.polygon, proj))
        .collect();
    for (u, a) in ut.units.iter().zip(&areas) {
        if a.is_none() {
            report.warnings.push(format!(
                "unit {:?}: polygon cannot be projected; no building is assigned to it",
                u.id
            ));
        }
    }
    let boxes: Vec<Option<[f64; 4]>> = areas.iter().map(|a| a.as_ref().map(Area::bbox)).collect();
    let of = buildings
        .iter()
        .map(|b| {
            let mut hits = areas.iter().zip(&boxes).enumerate().filter(|(_, (a, bx))| {
                matches!((a, bx), (Some(a), Some(bx)) if b.centroid[0] >= bx[0] && b.centroid[0] <= bx[2]
                    && b.centroid[1] >= bx[1] && b.centroid[1] <= bx[3] && a.contains(b.centroid))
            });
            let first = hits.next().map(|(i, _)| i);
            if first.is_some() && hits.next().is_some() {
                report.in_several_units += 1;
            }
            first
        })
        .collect();
    (of, ut.units.len())
}

/// Residential floor area per unit and grid cell.
struct UnitFloors {
    /// Per unit: floor area per cell, keyed `(iy, ix)` (row order).
    per_unit: Vec<BTreeMap<(i64, i64), f64>>,
    /// Buildings per unit.
    buildings: Vec<usize>,
}

fn floor_per_unit(
    buildings: &[ResidentialBuilding],
    unit_of: &[Option<usize>],
    unit_count: usize,
    cell_m: f64,
    report: &mut BuildingsReport,
) -> UnitFloors {
    let mut per_unit: Vec<BTreeMap<(i64, i64), f64>> = vec![BTreeMap::new(); unit_count];
    let mut unit_buildings = vec![0usize; unit_count];
    for (b, u) in buildings.iter().zip(unit_of) {
        let Some(u) = *u else {
            report.outside_units += 1;
            report.outside_units_floor_m2 += b.floor_area_m2();
            continue;
        };
        unit_buildings[u] += 1;
        for ((ix, iy), piece_m2) in clip::cells_of(&b.area, cell_m) {
            *per_unit[u].entry((iy, ix)).or_default() += piece_m2 * b.levels;
        }
    }
    UnitFloors {
        per_unit,
        buildings: unit_buildings,
    }
}

/// (residents, elderly) to spread in each unit (one pseudo-unit without units).
///
/// # Errors
/// A `--total` that is not a whole number of persons.
fn totals_per_unit(
    o: &FromBuildingsOptions,
    unit_totals: Option<&UnitTotals>,
    report: &mut BuildingsReport,
) -> Result<Vec<(u64, Option<u64>)>, BuildingsError> {
    let share = o.elderly_share;
    let with_share = |n: u64| vec![(n, share.map(|s| round_persons(s * n as f64)))];
    Ok(match (&o.how_many, unit_totals) {
        (_, Some(ut)) => ut
            .totals
            .iter()
            .map(|t| match t {
                Some((p, e)) => (
                    *p,
                    e.or_else(|| share.map(|s| round_persons(s * *p as f64))),
                ),
                None => (0, share.map(|_| 0)),
            })
            .collect(),
        (HowMany::Total(t), None) => {
            let n = whole_persons("--total", *t)?;
            report.total_source = format!("--total {n}");
            with_share(n)
        }
        (HowMany::PerM2(x), None) => {
            let n = round_persons(x * report.floor_area_m2);
            report.total_source = format!(
                "{x} per m² × {:.0} m² of residential floor area",
                report.floor_area_m2
            );
            with_share(n)
        }
        (HowMany::PerKm2(d), None) => {
            let b = o.bbox.unwrap_or_default();
            let km2 = bbox_area_km2(b);
            let n = round_persons(d * km2);
            report.total_source = format!("{d} per km² × {km2:.4} km² (geodesic area of --bbox)");
            with_share(n)
        }
        (HowMany::Units { .. }, None) => {
            // Unit totals are read first whenever `how_many` is `Units`; kept as
            // an error rather than a panic.
            return Err(BuildingsError::Conflict {
                reason: "unit totals were not read".into(),
            });
        }
    })
}

/// The per-unit lines and warnings of a `--unit-totals` run.
///
/// # Errors
/// Units with residents but no residential floor area to put them in.
fn report_units(
    ut: &UnitTotals,
    floors: &UnitFloors,
    totals: &[(u64, Option<u64>)],
    report: &mut BuildingsReport,
) -> Result<(), BuildingsError> {
    report.total_source = format!("unit totals from {}", ut.path.display());
    let mut stranded = Vec::new();
    for (i, u) in ut.units.iter().enumerate() {
        let floor: f64 = floors.per_unit[i].values().sum();
        let t = ut.totals[i];
        report.units.push(UnitLine {
            id: u.id.clone(),
            name: u.name.clone(),
            total: t.map(|t| t.0),
            elderly: totals[i].1.filter(|_| t.is_some()),
            buildings: floors.buildings[i],
            floor_area_m2: floor,
        });
        match t {
            Some((p, _)) if p > 0 && floor <= 0.0 => stranded.push(format!("{} ({p})", u.id)),
            None if floor > 0.0 => report.warnings.push(format!(
                "unit {:?} has {:.0} m² of residential floor area but no total in {}: its buildings get nobody",
                u.id,
                floor,
                ut.path.display()
            )),
            _ => {}
        }
    }
    if !stranded.is_empty() {
        return Err(BuildingsError::UnitsWithoutFloorArea {
            path: ut.path.clone(),
            count: stranded.len(),
            units: stranded.join(", "),
        });
    }
    report.warnings.extend(ut.warnings.iter().cloned());
    if report.outside_units > 0 {
        report.warnings.push(format!(
            "{} residential buildings ({:.0} m² of floor area) lie outside every unit and get nobody",
            report.outside_units, report.outside_units_floor_m2
        ));
    }
    if report.in_several_units > 0 {
        report.warnings.push(format!(
            "{} buildings lie in more than one unit (overlapping polygons); each went to the first unit in file order",
            report.in_several_units
        ));
    }
    Ok(())
}

/// Per grid cell keyed `(iy, ix)`: (floor area m², residents, elderly).
type CellTotals = BTreeMap<(i64, i64), (f64, u64, u64)>;

/// Whole persons per cell: each unit's totals apportioned by floor area (largest
/// remainder; elderly capped by population), summed into cells keyed `(iy, ix)`
/// as (floor area m², residents, elderly).
///
/// # Errors
/// An apportionment that cannot be made.
fn apportion(
    per_unit: &[BTreeMap<(i64, i64), f64>],
    totals: &[(u64, Option<u64>)],
) -> Result<CellTotals, BuildingsError> {
    let mut cells = CellTotals::new();
    for (u, floors) in per_unit.iter().enumerate() {
        let keys: Vec<(i64, i64)> = floors.keys().copied().collect();
        let weights: Vec<f64> = floors.values().copied().collect();
        let (total, elderly) = totals[u];
        let pop = allocate::largest_remainder(total, &weights)?;
        let eld = match elderly {
            Some(e) => allocate::largest_remainder_capped(e, &weights, Some(&pop))?,
            None => vec![0; weights.len()],
        };
        for (k, ((w, p), e)) in keys.iter().zip(weights.iter().zip(&pop).zip(&eld)) {
            let c = cells.entry(*k).or_default();
            c.0 += w;
            c.1 += p;
            c.2 += e;
        }
    }
    Ok(cells)
}

/// Grid cells as written rows, centres back in WGS84.
fn cell_rows(cells: CellTotals, cell_m: f64, proj: &LocalProjection) -> Vec<CellPopulation> {
    cells
        .into_iter()
        .map(|((iy, ix), (floor, p, e))| {
            #[allow(clippy::cast_precision_loss)]
            let centre = [(ix as f64 + 0.5) * cell_m, (iy as f64 + 0.5) * cell_m];
            let (lon, lat) = proj.inverse(centre);
            CellPopulation {
                ix,
                iy,
                id: format!("g{ix}_{iy}"),
                lon,
                lat,
                floor_area_m2: floor,
                population: p,
                elderly: e,
            }
        })
        .collect()
}

/// Totals of the written grid, and the warning for buildings without geometry.
fn finish_report(rows: &[CellPopulation], has_elderly: bool, report: &mut BuildingsReport) {
    report.total = rows.iter().map(|c| c.population).sum();
    report.elderly_total = has_elderly.then(|| rows.iter().map(|c| c.elderly).sum());
    report.cells_written = rows.len();
    report.cells_with_people = rows.iter().filter(|c| c.population > 0).count();
    if !report.stats.no_geometry.is_empty() {
        let first: Vec<String> = report
            .stats
            .no_geometry
            .iter()
            .take(5)
            .map(|(e, p)| format!("{e}: {p}"))
            .collect();
        report.warnings.push(format!(
            "{} buildings have no usable geometry and were left out (first: {})",
            report.stats.no_geometry.len(),
            first.join("; ")
        ));
    }
}

/// Writes `cell_id,lon,lat,population[,elderly],floor_area_m2` atomically
/// (lon/lat 6 decimals, floor area 0.1 m²).
///
/// # Errors
/// [`BuildingsError::Output`] when the file cannot be written.
pub fn write_grid_csv(path: &Path, grid: &BuildingsGrid) -> Result<(), BuildingsError> {
    write_file_atomic(path, |w| {
        if grid.has_elderly {
            writeln!(w, "cell_id,lon,lat,population,elderly,floor_area_m2")?;
        } else {
            writeln!(w, "cell_id,lon,lat,population,floor_area_m2")?;
        }
        for c in &grid.cells {
            #[allow(clippy::cast_precision_loss)]
            let pop = fmt_population(c.population as f64);
            if grid.has_elderly {
                writeln!(
                    w,
                    "{},{:.6},{:.6},{},{},{:.1}",
                    c.id, c.lon, c.lat, pop, c.elderly, c.floor_area_m2
                )?;
            } else {
                writeln!(
                    w,
                    "{},{:.6},{:.6},{},{:.1}",
                    c.id, c.lon, c.lat, pop, c.floor_area_m2
                )?;
            }
        }
        Ok(())
    })?;
    Ok(())
}

impl BuildingsReport {
    /// Human-readable report lines (for stdout).
    #[must_use]
    pub fn lines(&self) -> Vec<String> {
        let s = &self.stats;
        let join = |m: &BTreeMap<String, usize>| {
            m.iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let src = |k| s.levels_by_source.get(&k).copied().unwrap_or(0);
        let mut out = vec![
            format!(
                "buildings read: {}; residential: {} ({})",
                s.buildings_read,
                s.counted.values().sum::<usize>(),
                join(&s.counted)
            ),
            format!("not residential: {}", join(&s.not_counted)),
            format!(
                "storeys from building:levels {}, from height {}, default {} (multi-storey) for {}, default {} (house) for {}, bungalow (1) {}{}",
                src(LevelsSource::Tag),
                src(LevelsSource::Height),
                self.level_defaults.multi_storey,
                src(LevelsSource::Default),
                self.level_defaults.house,
                src(LevelsSource::HouseDefault),
                src(LevelsSource::Bungalow),
                if s.levels_unusable > 0 {
                    format!(" ({} unusable building:levels values)", s.levels_unusable)
                } else {
                    String::new()
                }
            ),
            format!(
                "residential floor area: {:.0} m² on {:.0} m² of footprint, {} buildings{}",
                self.floor_area_m2,
                self.footprint_m2,
                self.buildings_used,
                if self.outside_bbox > 0 {
                    format!(
                        " ({} residential buildings outside --bbox left out)",
                        self.outside_bbox
                    )
                } else {
                    String::new()
                }
            ),
            format!("population: {} ({})", self.total, self.total_source),
        ];
        if self.total > 0 {
            #[allow(clippy::cast_precision_loss)]
            let per = self.floor_area_m2 / self.total as f64;
            out.push(format!(
                "residential floor area per resident: {per:.1} m² (low values mean the extract lacks residential buildings or storeys)"
            ));
        }
        if let Some(e) = self.elderly_total {
            out.push(format!("elderly (60+): {e}"));
        }
        for u in &self.units {
            out.push(format!(
                "unit {} {}: total {}, {} buildings, {:.0} m² floor area",
                u.id,
                u.name,
                u.total.map_or_else(|| "—".to_string(), |t| t.to_string()),
                u.buildings,
                u.floor_area_m2
            ));
        }
        out.push(format!(
            "cells written: {} ({} with residents)",
            self.cells_written, self.cells_with_people
        ));
        out
    }
}

#[cfg(test)]
#[path = "buildings_tests.rs"]
mod tests;
