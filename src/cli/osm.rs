//! Arguments of the commands that read OpenStreetMap data: `sites` (learning
//! sites from OSM tags) and `population from-buildings` (a resident grid from
//! residential floor area). Logic lives in [`learncircle::osm::sites`] and
//! [`learncircle::osm::buildings`].

use std::path::PathBuf;

use clap::{ArgGroup, Args, Subcommand};

use learncircle::crs::InputCrs;

pub(super) const SITES_EXAMPLES: &str = "\
Examples:
  # the learning categories of GB 50180 (libraries, culture centres/stations, community
  # schools, elderly-education points, learning points)
  learncircle sites --osm area.osm.pbf --out sites.csv
  # the categories of a config, with its [sites] exclude list; schools included
  # when the config has a school category
  learncircle sites --osm fudan_wujiaochang_2023.osm --config learncircle.toml --out sites.csv
  # also schools and universities; drop two mis-tagged nodes
  learncircle sites --osm area.osm --with-education --exclude n4262038589,n5311523524 \\
      --out sites.csv

Output: id,name,category,lon,lat,osm_type,osm_id,source_tag (ids n<id>/w<id>/r<id>;
positions: node, line centroid of an open way, area centroid of a closed way or
multipolygon). Same-name sites of one category within --merge-radius-m are merged (a polygon
is preferred). The tag/name → category table is in the docs of learncircle::osm::sites.
Exit codes: 0 written, 1 written but some matching elements had no usable geometry,
2 error (nothing written).";

pub(super) const POPULATION_EXAMPLES: &str = "\
Examples:
  learncircle population from-buildings --osm area.osm --total 150000 --cell-m 100 --out grid.csv
  learncircle population from-buildings --osm area.osm --units streets.geojson --unit-totals census.csv --out grid.csv";

pub(super) const FROM_BUILDINGS_EXAMPLES: &str = "\
Examples:
  # a known total for the area, 23.4 % aged 60+
  learncircle population from-buildings --osm area.osm --total 150000 --elderly-share 0.234 \\
      --out grid.csv
  # district census density over a study box (the grid then covers the whole box, zeros included)
  learncircle population from-buildings --osm area.osm --bbox 121.4852,31.2904,121.5196,31.3102 \\
      --per-km2 20501 --elderly-share 0.234 --out grid.csv
  # street (街道) census totals, each spread over the residential floor area inside its street
  learncircle population from-buildings --osm area.osm.pbf --units streets.geojson \\
      --unit-totals census.csv --out grid.csv

Residential floor area = footprint × storeys (building:levels, else height ÷ 3 m, else the
default). Residential: building=apartments, residential, dormitory, house, detached,
semidetached_house, terrace, bungalow anywhere; building=yes only inside landuse=residential
and without amenity/shop/office/… tags. Floor area goes to cells by footprint ∩ cell area;
whole persons by largest remainder, so the cells add up to the total exactly (per unit with
--unit-totals), and elderly ≤ population in every cell.
Output: cell_id,lon,lat,population[,elderly],floor_area_m2.
Exit codes: 0 written, 1 written but some buildings had no usable geometry,
2 error (nothing written).";

/// `learncircle sites`.
#[derive(Debug, Args)]
pub struct SitesArgs {
    /// OpenStreetMap extract (.osm.pbf or .osm XML).
    #[arg(long, value_name = "FILE")]
    pub osm: PathBuf,
    /// Output sites CSV (written atomically).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Category configuration (TOML): only its categories (names or aliases) are written, under their names; its `sites.exclude` list applies.
    #[arg(long, value_name = "FILE", conflicts_with = "preset")]
    pub config: Option<PathBuf>,
    /// Built-in configuration whose categories are written [default: gb50180].
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    /// Also write schools (amenity=school → school) and universities/colleges (→ university).
    #[arg(long)]
    pub with_education: bool,
    /// OSM elements never written (mis-tagged objects): n123, w123, r123 or node/123; added to the config's `sites.exclude` list.
    #[arg(long, value_name = "ID[,ID…]", value_delimiter = ',')]
    pub exclude: Vec<String>,
    /// Same-name sites of one category closer than this are merged into one, metres (0 disables merging).
    #[arg(long, value_name = "M", default_value_t = learncircle::osm::sites::MERGE_RADIUS_M)]
    pub merge_radius_m: f64,
    /// No report on stdout, no warnings on stderr (errors are still printed).
    #[arg(long, short)]
    pub quiet: bool,
}

/// `learncircle population`.
#[derive(Debug, Args)]
pub struct PopulationArgs {
    /// How to build the resident grid.
    #[command(subcommand)]
    pub command: PopulationCommand,
}

/// Ways to build a resident grid.
#[derive(Debug, Subcommand)]
pub enum PopulationCommand {
    /// Spread known population totals over the residential floor area of OSM buildings, on a square grid.
    #[command(after_help = FROM_BUILDINGS_EXAMPLES)]
    FromBuildings(Box<FromBuildingsArgs>),
}

/// `learncircle population from-buildings`.
#[derive(Debug, Args)]
#[command(group(
    ArgGroup::new("how_many")
        .required(true)
        .args(["total", "per_m2", "per_km2", "unit_totals"])
))]
pub struct FromBuildingsArgs {
    /// OpenStreetMap extract (.osm.pbf or .osm XML) with buildings (and landuse=residential areas).
    #[arg(long, value_name = "FILE")]
    pub osm: PathBuf,
    /// Residents in the area, whole persons (e.g. a census total); written cells add up to it exactly.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub total: Option<f64>,
    /// Residents per m² of residential floor area; total = round(X × floor area).
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub per_m2: Option<f64>,
    /// Residents per km² of the --bbox area (e.g. a district's census density); total = round(D × box area).
    #[arg(
        long,
        value_name = "D",
        allow_negative_numbers = true,
        requires = "bbox"
    )]
    pub per_km2: Option<f64>,
    /// Planning units (GeoJSON polygons with a code/name, e.g. streets 街道) for --unit-totals.
    #[arg(long, value_name = "FILE", requires = "unit_totals")]
    pub units: Option<PathBuf>,
    /// Datum of the units file: wgs84, gcj02 or bd09.
    #[arg(long, value_name = "CRS", default_value = "wgs84")]
    pub units_crs: InputCrs,
    /// Totals per unit: CSV with columns unit_id, population and optionally elderly; each total is spread over the residential floor area inside its unit (by building centroid).
    #[arg(long, value_name = "CSV", requires = "units")]
    pub unit_totals: Option<PathBuf>,
    /// Share of residents aged 60+ (0–1), giving an elderly column: round(S × total) per total, spread like the population.
    #[arg(long, value_name = "S", allow_negative_numbers = true)]
    pub elderly_share: Option<f64>,
    /// Study box MIN_LON,MIN_LAT,MAX_LON,MAX_LAT: only buildings whose centroid lies inside count; every cell of the box is written (zeros included) on the grid of `learncircle grid --bbox` with the same box.
    #[arg(
        long,
        value_name = "BOX",
        value_delimiter = ',',
        allow_negative_numbers = true
    )]
    pub bbox: Option<Vec<f64>>,
    /// Grid cell size, metres.
    #[arg(long, value_name = "M", default_value_t = 100.0)]
    pub cell_m: f64,
    /// Storeys of a residential building without building:levels or height (6 = the Shanghai walk-up).
    #[arg(long, value_name = "N", default_value_t = learncircle::osm::buildings::DEFAULT_LEVELS)]
    pub default_levels: f64,
    /// Storeys of a house (house, detached, semidetached_house, terrace; bungalow is 1) without building:levels or height.
    #[arg(long, value_name = "N", default_value_t = learncircle::osm::buildings::DEFAULT_HOUSE_LEVELS)]
    pub default_house_levels: f64,
    /// Output grid CSV with columns cell_id, lon, lat, population, elderly (with an elderly share or column), floor_area_m2 (written atomically).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// No report on stdout, no warnings on stderr (errors are still printed).
    #[arg(long, short)]
    pub quiet: bool,
}
