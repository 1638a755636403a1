//! Arguments of the commands that read OpenStreetMap data: `sites` (learning
//! sites from OSM tags). Logic lives in [`crate::osm_sites`].

use std::path::PathBuf;

use clap::Args;

pub(super) const SITES_EXAMPLES: &str = "\
Examples:
  # the learning categories of GB 50180 (libraries, culture centres/stations, community
  # schools, elderly-education points, learning points)
  learncircle sites --osm area.osm.pbf --out sites.csv
  # the categories of a config, with its [sites] exclude list; schools included
  # when the config has a school category
  learncircle sites --osm fudan_wujiaochang_2023.osm --config learncircle.toml --out sites.csv
  # also schools and universities; drop two mis-tagged nodes
  learncircle sites --osm area.osm --with-education --exclude n4262038589,n5311523524 --out sites.csv

Output: id,name,category,lon,lat,osm_type,osm_id,source_tag (ids n<id>/w<id>/r<id>; positions:
node, line centroid of an open way, area centroid of a closed way or multipolygon).
Same-name sites of one category within --merge-radius-m are merged (a polygon is preferred).
Exit codes: 0 written, 1 written but some matching elements had no usable geometry, 2 error (nothing written).";

/// `learncircle sites`.
#[derive(Debug, Args)]
pub struct SitesArgs {
    /// OpenStreetMap extract (.osm.pbf or .osm XML).
    #[arg(long, value_name = "FILE")]
    pub osm: PathBuf,
    /// Output sites CSV (written atomically).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Category configuration (TOML): only its categories (names or aliases) are written, under their names; its [sites] exclude list applies.
    #[arg(long, value_name = "FILE", conflicts_with = "preset")]
    pub config: Option<PathBuf>,
    /// Built-in configuration whose categories are written [default: gb50180].
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    /// Also write schools (amenity=school → school) and universities/colleges (→ university).
    #[arg(long)]
    pub with_education: bool,
    /// OSM elements never written (mis-tagged objects): n123, w123, r123 or node/123; added to the config's [sites] exclude.
    #[arg(long, value_name = "ID[,ID…]", value_delimiter = ',')]
    pub exclude: Vec<String>,
    /// Same-name sites of one category closer than this are merged into one, metres (0 disables merging).
    #[arg(long, value_name = "M", default_value_t = crate::osm_sites::MERGE_RADIUS_M)]
    pub merge_radius_m: f64,
    /// No report on stdout, no warnings on stderr (errors are still printed).
    #[arg(long, short)]
    pub quiet: bool,
}
