//! Command-line interface (clap derive). No logic here: `main.rs` turns these
//! structs into validated options and calls `learncircle::app`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use learncircle::crs::InputCrs;

#[cfg(test)]
mod doc;
pub mod options;
mod osm;
mod values;
pub use osm::{FromBuildingsArgs, PopulationArgs, PopulationCommand, SitesArgs};
pub use values::{AccessMethod, Assignment, CandidateSource, DemoCase, Format, Mode, formats};

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
  learncircle sites --osm city.osm.pbf --out sites.csv
  learncircle population from-buildings --osm city.osm.pbf --total 150000 --out grid.csv

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
    /// Split the study area into tiles with a halo, for cluster runs (`coverage --tiles --tile I`, then `merge`).
    #[command(after_help = PLAN_EXAMPLES)]
    Plan(Box<PlanArgs>),
    /// Combine tile runs into the files a one-machine run writes.
    #[command(after_help = PLAN_EXAMPLES)]
    Merge(MergeArgs),
    /// Where to build next: k new sites of a category that cover the most residents not yet covered (existing sites held fixed).
    #[command(after_help = RECOMMEND_EXAMPLES)]
    Recommend(Box<RecommendArgs>),
    /// Write the cleaned walking graph as GeoJSON, for checking it in QGIS.
    #[command(after_help = EXPORT_NETWORK_EXAMPLES)]
    ExportNetwork(ExportNetworkArgs),
    /// The walking path from a point to a point, or to the nearest site of a category, as GeoJSON (the same engine and distances as `coverage`).
    #[command(after_help = ROUTE_EXAMPLES)]
    Route(Box<RouteArgs>),
    /// Write a regular square grid (cell centres, CSV) over a lon/lat box.
    #[command(after_help = GRID_EXAMPLES)]
    Grid(GridArgs),
    /// Self-contained HTML report, charts (SVG, PNG) and learning map of a finished run directory.
    #[command(after_help = REPORT_EXAMPLES)]
    Report(ReportArgs),
    /// Learning sites from OpenStreetMap tags and names → a sites CSV for `coverage`.
    #[command(after_help = osm::SITES_EXAMPLES)]
    Sites(SitesArgs),
    /// Build a resident population grid (from OSM buildings).
    #[command(after_help = osm::POPULATION_EXAMPLES)]
    Population(PopulationArgs),
}

const REPORT_EXAMPLES: &str = "\
Examples:
  learncircle report --run run/                  # run/report.html, run/map.html, run/charts/*.svg|png
  learncircle report --run run/ --lang en --out share/report-en.html
  learncircle demo --report                      # run the demo, then write its report

Nothing is recomputed: the report reads summary.json, cells.csv/.geojson, sites.csv and,
when present, units.csv, targets.csv, gaps.csv/.geojson and recommend.csv. map.html (the
interactive learning map, offline) has streets and routes only when written by the run
itself (coverage --report, demo --report): a finished directory holds no network.";

/// `learncircle report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A finished run directory (the --out of `coverage` or `demo`).
    #[arg(long, value_name = "DIR")]
    pub run: PathBuf,
    /// Language of the report and charts: zh or en.
    #[arg(long, value_name = "LANG", default_value = "zh")]
    pub lang: learncircle::present::charts::Lang,
    /// Report file [default: DIR/report.html]; charts/ and map.html are written beside it.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// No progress, no warnings on stderr (errors are still printed).
    #[arg(long, short)]
    pub quiet: bool,
}

const COVERAGE_EXAMPLES: &str = "\
Examples:
  # every category in the sites file, 15 min at 60 m/min (900 m), straight line × 1.3
  learncircle coverage --sites sites.csv --population grid.csv --out run/
  # GB 50180-2018 tiers along the OSM walking network
  learncircle coverage --sites sites.csv --population grid.geojson --network area.osm.pbf --preset gb50180 --out run/
  # Amap (GCJ-02) site coordinates, 10-minute threshold
  learncircle coverage --sites amap_pois.csv --sites-crs gcj02 --population grid.csv --walk-min 10 --out run/
  # a million cells: CSV plus a GeoPackage for QGIS, no cells.geojson
  learncircle coverage --sites sites.csv --population grid.csv --format csv,gpkg --out run/

Outputs in --out: cells.csv, cells.geojson (see --format), summary.json, rejected.csv, sites.csv,
gaps.csv, gaps.geojson; learncircle.gpkg with --format …,gpkg; units.csv, units.geojson and
targets.csv with --units / targets in the config; access.csv with --access;
service_areas.geojson with --service-areas; whatif_cells.csv (and whatif_units.csv) with
--planned; report.html, map.html and charts/ with --report. Columns: docs/GUIDE.md.";

const DEMO_EXAMPLES: &str = "\
Examples:
  learncircle demo
  learncircle demo --out /tmp/demo --case helsinki";

const PLAN_EXAMPLES: &str = "\
Examples:
  learncircle plan --sites s.csv --population grid.csv --network city.osm.pbf --preset gb50180 --tile-km 10 --out tiles.json
  # one task per tile (Slurm: --tile $SLURM_ARRAY_TASK_ID; Kubernetes Indexed Job: --tile $JOB_COMPLETION_INDEX)
  learncircle coverage --sites s.csv --population grid.csv --network city.osm.pbf --preset gb50180 \\
      --tiles tiles.json --tile 0 --out tiles/0
  learncircle merge tiles/* --out run/

The halo around each tile is the search bound (largest threshold × search factor) + the snap
distance + 50 m + 1000 m, so each tile's cells get exactly the one-machine result; merge
checks that every tile of the plan is present once and writes byte-identical outputs.";

const RECOMMEND_EXAMPLES: &str = "\
Examples:
  # 3 new libraries, candidates generated in the gap zones (cell centres)
  learncircle recommend --sites sites.csv --population grid.csv --network area.osm --preset gb50180 \\
      --category library -k 3 --out run/
  # candidates from a list of vacant public buildings, each with room for 800 people, exact check
  learncircle recommend --sites sites.csv --population grid.csv --network area.osm --preset gb50180 \\
      --category elderly_learning -k 5 --candidates vacant.csv --capacity 800 --exact --out run/

Outputs in --out: recommend.csv (rank, location, residents gained, cumulative coverage),
recommend.geojson, recommend.json. Run it with the --out of a coverage run and
`learncircle report --run DIR` adds the recommendation curve.";

const EXPORT_NETWORK_EXAMPLES: &str = "\
Examples:
  learncircle export-network --network data/shanghai/fudan_wujiaochang_2023.osm --out network.geojson

Each walkable segment is a LineString with its OSM way id, highway class, length_m, walking
direction, flags (steps, tunnel, indoor, elevated), component id and whether cells and sites
may attach to it (components shorter than --min-component-m are kept for routing only).";

const GRID_EXAMPLES: &str = "\
Examples:
  learncircle grid --bbox 121.4852,31.2904,121.5196,31.3102 --cell-m 100 --density-per-km2 20000 --out grid.csv";

/// `learncircle coverage`.
#[derive(Debug, Args)]
pub struct CoverageArgs {
    /// Inputs and settings shared with `recommend`.
    #[command(flatten)]
    pub study: StudyArgs,
    /// What-if: planned or proposed sites (same format as --sites); outputs describe the situation with them, whatif_cells.csv / whatif_units.csv and summary.json → whatif give before/after.
    #[arg(long, value_name = "FILE")]
    pub planned: Option<PathBuf>,
    /// Datum of the planned-sites file: wgs84, gcj02 or bd09.
    #[arg(long, value_name = "CRS", default_value = "wgs84")]
    pub planned_crs: InputCrs,
    /// Tile plan (from `learncircle plan`): compute only the cells of --tile.
    #[arg(long, value_name = "FILE", requires = "tile")]
    pub tiles: Option<PathBuf>,
    /// Tile index (0…N−1) of --tiles to compute; the output directory then holds tile results for `merge`.
    #[arg(long, value_name = "I", requires = "tiles")]
    pub tile: Option<usize>,
    /// Write service_areas.geojson: per category, the walk-shed of its sites (reached streets buffered by --service-buffer-m; holes kept, rivers not bridged).
    #[arg(long)]
    pub service_areas: bool,
    /// Buffer around reached streets for --service-areas, metres.
    #[arg(long, value_name = "M", default_value_t = 40.0)]
    pub service_buffer_m: f64,
    /// Supply–demand accessibility per cell (access.csv): 2sfca, e2sfca-step or e2sfca-gaussian; supply = site capacity (1 without), demand = the category's population layer.
    #[arg(long, value_enum, value_name = "METHOD")]
    pub access: Option<AccessMethod>,
    /// Worker threads [default: all cores; RAYON_NUM_THREADS also works].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Make rejected input records fatal (exit 2, nothing written) instead of a warning and exit 1.
    #[arg(long)]
    pub strict: bool,
    /// Per-cell outputs: csv (cells.csv), geojson (cells.geojson), gpkg (learncircle.gpkg: cells, units, gap zones, sites and service areas as GeoPackage layers with a spatial index, for QGIS; for runs too large for GeoJSON). In a tile run: what `merge` writes.
    #[arg(
        long,
        value_enum,
        value_name = "FMT[,FMT…]",
        value_delimiter = ',',
        default_value = "csv,geojson"
    )]
    pub format: Vec<Format>,
    /// How the run reports on the terminal.
    #[command(flatten)]
    pub print: PrintArgs,
    /// After the run, write DIR/report.html, DIR/map.html and DIR/charts/ (language zh or en; default zh).
    #[arg(long, value_name = "LANG", num_args = 0..=1, default_missing_value = "zh")]
    pub report: Option<learncircle::present::charts::Lang>,
    /// Output directory (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// What a run prints: shared by `coverage`, `demo` and `merge`.
#[derive(Debug, Args)]
pub struct PrintArgs {
    /// Print summary.json to stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Print the per-stage time breakdown.
    #[arg(long)]
    pub timings: bool,
    /// No table, no warnings on stderr (errors are still printed).
    #[arg(long, short)]
    pub quiet: bool,
}

/// Inputs and settings of a study, shared by `coverage` and `recommend`.
#[derive(Debug, Args)]
pub struct StudyArgs {
    /// Learning sites: CSV (id,name,category,lon,lat[,capacity]; Chinese headers 名称, 类别, 经度, 纬度 accepted), a workbook with the same columns (.xlsx, .xls, .ods; see --sheet) or GeoJSON points.
    #[arg(long, value_name = "FILE")]
    pub sites: PathBuf,
    /// Resident population: CSV or workbook points (lon,lat,population[,elderly][,cell_id]), GeoJSON Point/Polygon cells, a GeoTIFF raster (WorldPop, GHS-POP), a GeoPackage or a shapefile grid.
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
    /// Sheet of the workbook inputs (.xlsx, .xlsm, .xlsb, .xls, .ods): NAME for every workbook, or INPUT=NAME for one of sites, population, planned, candidates (repeatable, e.g. --sheet sites=站点 --sheet population=人口) [default: the first sheet].
    #[arg(long, value_name = "[INPUT=]NAME", value_parser = values::sheet, action = clap::ArgAction::Append)]
    pub sheet: Vec<String>,
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
    /// Planning units (districts 区, streets 街道, neighbourhoods): GeoJSON polygons with a name/code; gives units.csv, units.geojson and per-unit targets. Repeat as LEVEL=FILE for several levels, coarsest first (--units district=d.geojson --units street=s.geojson): units_<level>.csv/.geojson with each unit's parent in the level above.
    #[arg(long, value_name = "[LEVEL=]FILE", value_parser = parse_units)]
    pub units: Vec<learncircle::input::units::UnitsSource>,
    /// Datum of the units files: wgs84, gcj02 or bd09.
    #[arg(long, value_name = "CRS", default_value = "wgs84")]
    pub units_crs: InputCrs,
    /// How cells are assigned to units: centroid (default) or area (polygon cells split by area share).
    #[arg(long, value_enum, default_value = "centroid")]
    pub unit_assignment: Assignment,
    /// Gap zones: uncovered cells whose centres are at most this far apart join one zone [default: 1.5 × median cell spacing = 8-neighbour on a regular grid].
    #[arg(long, value_name = "M")]
    pub gap_link_m: Option<f64>,
    /// Reject population cells whose count is not a whole number (head counts from a census or register; not for modelled rasters such as WorldPop).
    #[arg(long)]
    pub integer_population: bool,
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
    /// How the run reports on the terminal.
    #[command(flatten)]
    pub print: PrintArgs,
    /// After the run, write OUT/report.html, OUT/map.html and OUT/charts/ (language zh or en; default zh).
    #[arg(long, value_name = "LANG", num_args = 0..=1, default_missing_value = "zh")]
    pub report: Option<learncircle::present::charts::Lang>,
}

/// `learncircle plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Inputs and settings, exactly as the tile runs will be given them.
    #[command(flatten)]
    pub study: StudyArgs,
    /// Tile side, kilometres.
    #[arg(long, value_name = "KM")]
    pub tile_km: f64,
    /// What-if: planned sites, as the tile runs will be given them (`coverage --planned`).
    #[arg(long, value_name = "FILE")]
    pub planned: Option<PathBuf>,
    /// Datum of the planned-sites file: wgs84, gcj02 or bd09.
    #[arg(long, value_name = "CRS", default_value = "wgs84")]
    pub planned_crs: InputCrs,
    /// 2SFCA method, as the tile runs will be given it (`coverage --access`); widens the halo to twice the largest threshold when needed.
    #[arg(long, value_enum, value_name = "METHOD")]
    pub access: Option<AccessMethod>,
    /// The plan file (JSON).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// `learncircle merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Tile output directories (the --out of each `coverage --tile` run).
    #[arg(value_name = "DIR", required = true)]
    pub dirs: Vec<PathBuf>,
    /// Output directory of the merged run.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Per-cell outputs (csv, geojson, gpkg) [default: the --format of the tile runs].
    #[arg(long, value_enum, value_name = "FMT[,FMT…]", value_delimiter = ',')]
    pub format: Option<Vec<Format>>,
    /// How the run reports on the terminal.
    #[command(flatten)]
    pub print: PrintArgs,
}

/// `learncircle recommend`.
#[derive(Debug, Args)]
pub struct RecommendArgs {
    /// Inputs and settings, as for `coverage`.
    #[command(flatten)]
    pub study: StudyArgs,
    /// Category to site (a category of the run, e.g. library or elderly_learning).
    #[arg(long, value_name = "NAME")]
    pub category: String,
    /// Number of new sites.
    #[arg(short = 'k', long = "k", value_name = "K")]
    pub k: usize,
    /// Candidate locations (CSV, workbook or GeoJSON points: id,name,lon,lat[,capacity][,category]); without it, candidates are generated in the gap zones.
    #[arg(long, value_name = "FILE")]
    pub candidates: Option<PathBuf>,
    /// Datum of the candidates file: wgs84, gcj02 or bd09.
    #[arg(long, value_name = "CRS", default_value = "wgs84")]
    pub candidates_crs: InputCrs,
    /// Generated candidates: cells (centres of uncovered populated cells), nodes (walking-network nodes in the gap zones) or both.
    #[arg(long, value_enum, default_value = "cells")]
    pub candidates_from: CandidateSource,
    /// Capacity of each candidate without its own, in persons (capacitated siting; default unlimited).
    #[arg(long, value_name = "PERSONS")]
    pub capacity: Option<f64>,
    /// Also solve the problem exactly (mixed-integer programme; small instances) and report the greedy's gap.
    #[arg(long)]
    pub exact: bool,
    /// Worker threads [default: all cores].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Make rejected input records fatal.
    #[arg(long)]
    pub strict: bool,
    /// Print recommend.json to stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    /// No table, no warnings.
    #[arg(long, short)]
    pub quiet: bool,
    /// Output directory (created if missing; other files in it are left alone).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// `learncircle export-network`.
#[derive(Debug, Args)]
pub struct ExportNetworkArgs {
    /// OpenStreetMap extract (.osm.pbf or .osm XML).
    #[arg(long, value_name = "FILE")]
    pub network: PathBuf,
    /// Components with less walkable length than this are not snapping targets, metres.
    #[arg(long, value_name = "M", default_value_t = 1000.0)]
    pub min_component_m: f64,
    /// Output GeoJSON file (RFC 7946, WGS84).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

const ROUTE_EXAMPLES: &str = "\
Examples:
  # from a resident's door to the nearest library, GB 50180 profile of the category
  learncircle route --network area.osm.pbf --from 121.5031,31.2987 --category library \\
      --sites sites.csv --preset gb50180 --out route.geojson
  # point to point, at the elderly walking profile of the preset
  learncircle route --network area.osm.pbf --from 121.5031,31.2987 --to 121.5102,31.3010 \\
      --preset gb50180 --category elderly_learning

The route's length_m is the walking distance exactly as cells.csv measures it (door to door:
access legs, partial segments, steps priced by the profile); walk_min = length_m ÷ the
category's speed. Exit codes: 0 success, 2 error (a point off the network, no path, an
unknown category; nothing written).";

/// `learncircle route`.
#[derive(Debug, Args)]
pub struct RouteArgs {
    /// OpenStreetMap extract (.osm.pbf or .osm XML).
    #[arg(long, value_name = "FILE")]
    pub network: PathBuf,
    /// Start point LON,LAT (WGS84); repeat for several walks (one feature each).
    #[arg(
        long,
        value_name = "LON,LAT",
        required = true,
        allow_hyphen_values = true
    )]
    pub from: Vec<String>,
    /// Destination point LON,LAT (WGS84).
    #[arg(
        long,
        value_name = "LON,LAT",
        allow_hyphen_values = true,
        conflicts_with = "sites",
        required_unless_present = "sites"
    )]
    pub to: Option<String>,
    /// Walk to the nearest site of this category (with --sites); with --to: walk at this category's profile.
    #[arg(long, value_name = "NAME", required_unless_present = "to")]
    pub category: Option<String>,
    /// Learning sites, as for `coverage --sites` (with --category).
    #[arg(long, value_name = "FILE", requires = "category")]
    pub sites: Option<PathBuf>,
    /// Datum of the sites file: wgs84, gcj02 (Amap/Tencent) or bd09 (Baidu).
    #[arg(long, value_name = "CRS", default_value = "wgs84")]
    pub sites_crs: InputCrs,
    /// Category configuration (TOML): the category's walking profile (speed, steps) and threshold, max_snap_m.
    #[arg(long, value_name = "FILE", conflicts_with = "preset")]
    pub config: Option<PathBuf>,
    /// Built-in configuration: gb50180.
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    /// Walking threshold in metres (runs without --config/--preset), for within_threshold.
    #[arg(long, value_name = "M", conflicts_with_all = ["walk_min", "config", "preset"])]
    pub threshold_m: Option<f64>,
    /// Walking threshold in minutes at 60 m/min (runs without --config/--preset) [default: 15 = 900 m].
    #[arg(long, value_name = "MIN", conflicts_with_all = ["config", "preset"])]
    pub walk_min: Option<f64>,
    /// Output GeoJSON file (FeatureCollection of LineStrings) [default: GeoJSON on stdout, summary on stderr].
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// No summary line (errors are still printed).
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

/// `--units [LEVEL=]FILE`.
fn parse_units(value: &str) -> Result<learncircle::input::units::UnitsSource, String> {
    learncircle::input::units::UnitsSource::parse(value)
}
