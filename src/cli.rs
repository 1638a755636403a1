//! Command-line interface (clap derive). No logic here: `main.rs` turns these
//! structs into validated options and calls [`crate::app`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::app::Mode;
use crate::crs::InputCrs;

/// Who can reach a place of learning on foot, who cannot, and where to build next.
#[derive(Debug, Parser)]
#[command(name = "learncircle", version, about, long_about = None, after_help = TOP_EXAMPLES)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

const TOP_EXAMPLES: &str = "\
Examples:
  learncircle demo
  learncircle coverage --sites sites.csv --population grid.csv --network city.osm.pbf --preset gb50180 --out run/

Exit codes: 0 success, 1 finished but some input records were rejected (see rejected.csv), 2 error (nothing written).";

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Walking coverage of learning sites over a resident grid.
    #[command(after_help = COVERAGE_EXAMPLES)]
    Coverage(Box<CoverageArgs>),
    /// Run the full analysis on the sample data bundled with learncircle.
    #[command(after_help = DEMO_EXAMPLES)]
    Demo(DemoArgs),
    /// Write a regular square grid (cell centres, CSV) over a lon/lat box.
    #[command(after_help = GRID_EXAMPLES)]
    Grid(GridArgs),
}

const COVERAGE_EXAMPLES: &str = "\
Examples:
  # every category in the sites file, 15 min at 60 m/min (900 m), straight line × 1.3
  learncircle coverage --sites sites.csv --population grid.csv --out run/
  # GB 50180-2018 tiers along the OSM walking network
  learncircle coverage --sites sites.csv --population grid.geojson --network area.osm.pbf --preset gb50180 --out run/
  # Amap (GCJ-02) site coordinates, 10-minute threshold
  learncircle coverage --sites amap_pois.csv --sites-crs gcj02 --population grid.csv --walk-min 10 --out run/

Outputs in --out: cells.csv, cells.geojson, summary.json, rejected.csv.";

const DEMO_EXAMPLES: &str = "\
Examples:
  learncircle demo
  learncircle demo --out /tmp/demo --case helsinki";

const GRID_EXAMPLES: &str = "\
Examples:
  learncircle grid --bbox 121.4852,31.2904,121.5196,31.3102 --cell-m 100 --density-per-km2 20000 --out grid.csv";

/// `learncircle coverage`.
#[derive(Debug, Args)]
pub struct CoverageArgs {
    /// Learning sites: CSV (id,name,category,lon,lat[,capacity]; Chinese headers 名称, 类别, 经度, 纬度 accepted) or GeoJSON points.
    #[arg(long, value_name = "FILE")]
    pub sites: PathBuf,
    /// Resident population: CSV points (lon,lat,population[,elderly][,cell_id]), GeoJSON Point/Polygon cells, a GeoTIFF raster (WorldPop, GHS-POP), a GeoPackage or a shapefile grid.
    #[arg(long, value_name = "FILE")]
    pub population: PathBuf,
    /// OpenStreetMap extract (.osm.pbf or .osm XML) for walking distances; makes --mode network the default.
    #[arg(long, value_name = "FILE")]
    pub network: Option<PathBuf>,
    /// Category configuration (TOML): thresholds, speeds and population layers per category.
    #[arg(long, value_name = "FILE", conflicts_with = "preset")]
    pub config: Option<PathBuf>,
    /// Built-in configuration: gb50180 (GB 50180-2018 5/10/15-minute tiers).
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    /// Distance engine: straight (straight line × circuity, an approximation) or network (default when --network is given).
    #[arg(long, value_enum)]
    pub mode: Option<Mode>,
    /// Circuity (network ÷ straight-line distance) for straight mode [default: 1.3; Chinese cities average ≈ 1.32].
    #[arg(long, value_name = "FACTOR")]
    pub circuity: Option<f64>,
    /// Walking threshold in metres for every category (runs without --config/--preset).
    #[arg(long, value_name = "M", conflicts_with_all = ["walk_min", "config", "preset"])]
    pub threshold_m: Option<f64>,
    /// Walking threshold in minutes at 60 m/min (runs without --config/--preset) [default: 15 = 900 m].
    #[arg(long, value_name = "MIN", conflicts_with_all = ["config", "preset"])]
    pub walk_min: Option<f64>,
    /// Datum of the sites file: wgs84, gcj02 (Amap/Tencent) or bd09 (Baidu).
    #[arg(long, value_name = "CRS", default_value = "wgs84")]
    pub sites_crs: InputCrs,
    /// Datum of the population file: wgs84, gcj02 or bd09.
    #[arg(long, value_name = "CRS", default_value = "wgs84")]
    pub population_crs: InputCrs,
    /// Elderly-layer rasters (e.g. WorldPop age–sex bands 60+), summed; same grid as a raster --population.
    #[arg(long, value_name = "FILE[,FILE…]", value_delimiter = ',')]
    pub elderly: Vec<PathBuf>,
    /// GeoPackage layer holding the population cells (when the file has several).
    #[arg(long, value_name = "NAME")]
    pub population_layer: Option<String>,
    /// Population column of a GeoPackage/shapefile [default: population, pop, inhabitants, asukkaita, …].
    #[arg(long, value_name = "NAME")]
    pub population_column: Option<String>,
    /// Columns summed into the elderly layer of a GeoPackage/shapefile (e.g. IKA60_69,IKA70_79,IKA_YLI80).
    #[arg(long, value_name = "COL[,COL…]", value_delimiter = ',')]
    pub elderly_columns: Vec<String>,
    /// EPSG code of a GeoPackage/shapefile whose CRS is missing or wrong.
    #[arg(long, value_name = "CODE")]
    pub population_epsg: Option<u32>,
    /// Study area (GeoJSON or shapefile polygon): population outside is clipped out and reported.
    #[arg(long, value_name = "FILE")]
    pub clip: Option<PathBuf>,
    /// Planning units (districts 区, streets 街道, neighbourhoods): GeoJSON polygons with a name/code; gives units.csv, units.geojson and per-unit targets.
    #[arg(long, value_name = "FILE")]
    pub units: Option<PathBuf>,
    /// Datum of the units file: wgs84, gcj02 or bd09.
    #[arg(long, value_name = "CRS", default_value = "wgs84")]
    pub units_crs: InputCrs,
    /// How cells are assigned to units: centroid (default) or area (polygon cells split by area share).
    #[arg(long, value_enum, default_value = "centroid")]
    pub unit_assignment: crate::units::Assignment,
    /// Gap zones: uncovered cells whose centres are at most this far apart join one zone [default: 1.5 × median cell spacing = 8-neighbour on a regular grid].
    #[arg(long, value_name = "M")]
    pub gap_link_m: Option<f64>,
    /// Supply–demand accessibility per cell (access.csv): 2sfca, e2sfca-step or e2sfca-gaussian; supply = site capacity (1 without), demand = the category's population layer.
    #[arg(long, value_enum, value_name = "METHOD")]
    pub access: Option<crate::access::Method>,
    /// Worker threads [default: all cores; RAYON_NUM_THREADS also works].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Reject population cells whose count is not a whole number (head counts from a census or register; not for modelled rasters such as WorldPop).
    #[arg(long)]
    pub integer_population: bool,
    /// Make rejected input records fatal (exit 2, nothing written) instead of a warning and exit 1.
    #[arg(long)]
    pub strict: bool,
    /// Print summary.json to stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Print the per-stage time breakdown.
    #[arg(long)]
    pub timings: bool,
    /// No table, no warnings on stderr (errors are still printed).
    #[arg(long, short)]
    pub quiet: bool,
    /// Output directory (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// Bundled sample cases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DemoCase {
    /// Wujiaochang / Fudan, Yangpu District, Shanghai (OSM, Dec 2023).
    Shanghai,
    /// Central Helsinki (OSM ≈ 2019; HSY 250 m population grid 2020).
    Helsinki,
}

/// `learncircle demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Output directory.
    #[arg(long, value_name = "DIR", default_value = "out/demo")]
    pub out: PathBuf,
    /// Which bundled case to run.
    #[arg(long, value_enum, default_value = "shanghai")]
    pub case: DemoCase,
    /// Worker threads [default: all cores].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Print summary.json to stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Print the per-stage time breakdown.
    #[arg(long)]
    pub timings: bool,
    /// No table, no warnings.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `learncircle grid`.
#[derive(Debug, Args)]
pub struct GridArgs {
    /// Lon/lat box: MIN_LON,MIN_LAT,MAX_LON,MAX_LAT (WGS84).
    #[arg(
        long,
        value_name = "BOX",
        value_delimiter = ',',
        required = true,
        allow_negative_numbers = true
    )]
    pub bbox: Vec<f64>,
    /// Cell size, metres.
    #[arg(long, value_name = "M", default_value_t = 100.0)]
    pub cell_m: f64,
    /// Uniform residents per km² written to every cell (an assumption; label it as such).
    #[arg(long, value_name = "N", default_value_t = 0.0)]
    pub density_per_km2: f64,
    /// Output CSV (cell_id,lon,lat,population).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}
