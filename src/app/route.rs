//! `learncircle route`: the walking path from a point to a point, or to the nearest
//! site of a category, along the same network and with the same engine as
//! `coverage` (door to door; see `docs/METHODS.md` §5.3).
//!
//! The network is read once and projected around its own walkable nodes; every
//! `--from` point is attached as a cell would be and routed through one
//! shortest-path tree of the destination (unbounded: a site beyond the category's
//! search bound is still found, and flagged as beyond the threshold).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::analysis::distance::{WalkPath, WalkProfile, Walking};
use crate::base::model::{Rejected, bbox_of};
use crate::crs::{InputCrs, LocalProjection};
use crate::network::osm::OsmData;
use crate::network::{Graph, GraphOptions, SnapOptions, read_walkable};

use super::ConfigSource;
use super::study::{WalkingNetwork, assign_categories, load_config};

/// Where the walks go.
#[derive(Clone, Debug, PartialEq)]
pub enum RouteTarget {
    /// One destination point (WGS84 lon, lat).
    Point([f64; 2]),
    /// The nearest site of a category.
    Category {
        /// Category name (as in the config, or a category value of the sites file).
        name: String,
        /// Sites file (CSV or GeoJSON, as for `coverage --sites`).
        sites: PathBuf,
        /// Datum of the sites file.
        sites_crs: InputCrs,
    },
}

/// Validated options of `learncircle route`.
#[derive(Clone, Debug, PartialEq)]
pub struct RouteOptions {
    /// OSM network file.
    pub network: PathBuf,
    /// Start points (WGS84 lon, lat), one walk each.
    pub from: Vec<[f64; 2]>,
    /// Destination.
    pub target: RouteTarget,
    /// Config source: the category's walking profile, `max_snap_m`.
    pub config: ConfigSource,
    /// With a point destination: take the walking profile (speed, steps) of this
    /// category of the config.
    pub profile_category: Option<String>,
    /// Threshold in metres (runs without a config), for `within_threshold`.
    pub threshold_m: Option<f64>,
    /// Threshold in minutes at 60 m/min (runs without a config).
    pub walk_min: Option<f64>,
}

/// One walk, ready to write.
#[derive(Clone, Debug)]
pub struct Route {
    /// Start (WGS84 lon, lat as given).
    pub from: [f64; 2],
    /// Destination (WGS84 lon, lat: the point, or the site's position).
    pub to: [f64; 2],
    /// Category, when routing to a category (or taking its profile).
    pub category: Option<String>,
    /// Site id and name (category routes).
    pub site: Option<(String, String)>,
    /// The path (local metres, distances).
    pub path: WalkPath,
    /// The path as WGS84 `[lon, lat]`.
    pub lonlat: Vec<[f64; 2]>,
    /// Walking time, minutes, at the profile's speed.
    pub walk_min: f64,
    /// The category's threshold, metres (category routes).
    pub threshold_m: Option<f64>,
}

/// Parse `LON,LAT` (WGS84 degrees) given to `flag`.
///
/// # Errors
/// Not two numbers, out of range, or apparently swapped.
pub fn parse_lonlat(s: &str, flag: &str) -> Result<[f64; 2]> {
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    let [lon, lat] = parts.as_slice() else {
        bail!(
            "{flag} {s:?}: expected LON,LAT (two numbers separated by a comma), got {} fields",
            parts.len()
        );
    };
    let num = |v: &str, what: &str| -> Result<f64> {
        let x: f64 = v
            .parse()
            .with_context(|| format!("{flag} {s:?}: {what} {v:?} is not a number"))?;
        if !x.is_finite() {
            bail!("{flag} {s:?}: {what} {v:?} is not a finite number");
        }
        Ok(x)
    };
    let (lon, lat) = (num(lon, "longitude")?, num(lat, "latitude")?);
    if !(-90.0..=90.0).contains(&lat) {
        let hint = if (-90.0..=90.0).contains(&lon) && (-180.0..=180.0).contains(&lat) {
            " (swapped? the order is LON,LAT)"
        } else {
            ""
        };
        bail!("{flag} {s:?}: latitude {lat} is outside [-90, 90]{hint}");
    }
    if !(-180.0..=180.0).contains(&lon) {
        bail!("{flag} {s:?}: longitude {lon} is outside [-180, 180]");
    }
    Ok([lon, lat])
}

/// The destinations of a run: points (local metres), their WGS84 position, and per
/// point the site's id and name (category routes).
struct Destinations {
    xy: Vec<[f64; 2]>,
    lonlat: Vec<[f64; 2]>,
    site: Vec<Option<(String, String)>>,
    category: Option<String>,
    profile: WalkProfile,
    threshold_m: Option<f64>,
}

/// Read the category's sites (or take the point) and the walking profile.
fn destinations(opts: &RouteOptions, proj: &LocalProjection) -> Result<(Destinations, f64)> {
    let config = load_config(&opts.config)?;
    let max_snap_m = config.run.max_snap_m;
    let threshold_m = match (opts.threshold_m, opts.walk_min) {
        (Some(m), _) => m,
        (None, Some(min)) => min * crate::config::PLANNING_SPEED_M_PER_MIN,
        (None, None) => crate::config::DEFAULT_WALK_MIN * crate::config::PLANNING_SPEED_M_PER_MIN,
    };
    if !(threshold_m.is_finite() && threshold_m > 0.0 && threshold_m <= 20_000.0) {
        bail!("walking threshold {threshold_m} m is outside (0, 20000]");
    }
    let project = |lonlat: [f64; 2], what: &str| -> Result<[f64; 2]> {
        proj.forward(lonlat[0], lonlat[1])
            .with_context(|| format!("{what} {},{}", lonlat[0], lonlat[1]))
    };
    match &opts.target {
        RouteTarget::Point(to) => {
            let (category, profile) = match &opts.profile_category {
                None => (None, WalkProfile::ADULT),
                Some(name) => {
                    let Some(c) = config.categories.iter().find(|c| c.matches(name)) else {
                        bail!(
                            "--category {name:?}: not a category of {} ({})",
                            config.origin,
                            names(config.categories.iter().map(|c| c.name.as_str()))
                        );
                    };
                    (Some(c.name.clone()), c.profile)
                }
            };
            Ok((
                Destinations {
                    xy: vec![project(*to, "--to")?],
                    lonlat: vec![*to],
                    site: vec![None],
                    category,
                    profile,
                    threshold_m: None,
                },
                max_snap_m,
            ))
        }
        RouteTarget::Category {
            name,
            sites,
            sites_crs,
        } => {
            let read = crate::input::sites::read_sites(sites, *sites_crs)?;
            let file = sites.display().to_string();
            let mut rejected: Vec<Rejected> = read.rejected;
            let (categories, kept) =
                assign_categories(&config, read.sites, threshold_m, &file, &mut rejected);
            let Some(cat) = categories.iter().find(|c| c.matches(name)) else {
                bail!(
                    "--category {name:?}: unknown category (categories{}: {})",
                    if config.categories.is_empty() {
                        format!(" in {file}")
                    } else {
                        format!(" of {}", config.origin)
                    },
                    names(categories.iter().map(|c| c.name.as_str()))
                );
            };
            let mut d = Destinations {
                xy: Vec::new(),
                lonlat: Vec::new(),
                site: Vec::new(),
                category: Some(cat.name.clone()),
                profile: cat.profile,
                threshold_m: Some(cat.threshold_m),
            };
            for s in kept.into_iter().filter(|s| s.category == cat.name) {
                // Sites that cannot be projected are skipped, as coverage rejects them.
                if let Ok(xy) = proj.forward(s.lon, s.lat) {
                    d.xy.push(xy);
                    d.lonlat.push([s.lon, s.lat]);
                    d.site.push(Some((s.id, s.name)));
                }
            }
            if d.xy.is_empty() {
                bail!("{file}: no site of category {:?}", cat.name);
            }
            Ok((d, max_snap_m))
        }
    }
}

fn names<'a>(it: impl Iterator<Item = &'a str>) -> String {
    let v: Vec<&str> = it.collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

/// `learncircle route`: one walk per `--from` point, in order; a point that cannot
/// be attached to the network, or from which no destination can be reached, is an
/// error in its own slot (named with the reason), the others are still routed.
///
/// # Errors
/// An unreadable network or sites file, an unknown category, no `--from`, or no
/// destination that can be attached to the network.
pub fn run_route(opts: &RouteOptions) -> Result<Vec<Result<Route>>> {
    run_route_on(opts, None)
}

/// [`run_route`] on a network read before (the Python package's `read_network`):
/// the graph is built from `network` (and named after its file) instead of reading
/// `opts.network`; the result is the same. `None` reads `opts.network`.
///
/// # Errors
/// As [`run_route`].
pub fn run_route_on(
    opts: &RouteOptions,
    network: Option<&WalkingNetwork>,
) -> Result<Vec<Result<Route>>> {
    if opts.from.is_empty() {
        bail!("--from: give at least one LON,LAT");
    }
    // The decoded file (when read here) is dropped once the graph is built.
    let (graph, proj) = match network {
        Some(n) => graph_of(n.path(), n.data())?,
        None => graph_of(&opts.network, &read_walkable(&opts.network)?)?,
    };
    let (dest, max_snap_m) = destinations(opts, &proj)?;
    let from_xy = opts
        .from
        .iter()
        .map(|p| {
            proj.forward(p[0], p[1])
                .with_context(|| format!("--from {},{}", p[0], p[1]))
        })
        .collect::<Result<Vec<_>>>()?;
    routes_on(&graph, &proj, &from_xy, &opts.from, &dest, max_snap_m)
}

/// The graph of the walkable ways, projected around their own nodes.
fn graph_of(path: &Path, data: &OsmData) -> Result<(Graph, LocalProjection)> {
    let bbox = bbox_of(data.nodes.iter().map(|n| (n.lon(), n.lat())))
        .with_context(|| format!("{}: no walkable way has nodes in the file", path.display()))?;
    let proj = LocalProjection::centred_on(bbox)?;
    let graph = Graph::from_osm_data(path, data, &proj, &GraphOptions::default())?;
    Ok((graph, proj))
}

fn routes_on(
    graph: &Graph,
    proj: &LocalProjection,
    from_xy: &[[f64; 2]],
    from: &[[f64; 2]],
    dest: &Destinations,
    max_snap_m: f64,
) -> Result<Vec<Result<Route>>> {
    let walking = Walking::new(
        graph,
        &[],
        SnapOptions {
            max_snap_m,
            ..SnapOptions::default()
        },
    );
    let what = |i: usize| match &dest.site[i] {
        Some((id, name)) => format!("site {id} ({name})"),
        None => format!("--to {},{}", dest.lonlat[i][0], dest.lonlat[i][1]),
    };
    let tree = walking.tree(&dest.xy, &dest.profile, f64::INFINITY);
    if tree.site_snaps().iter().all(Result::is_err) {
        let first = tree
            .site_snaps()
            .iter()
            .position(Result::is_err)
            .unwrap_or(0);
        let reason = tree.site_snaps()[first]
            .err()
            .map_or_else(String::new, |e| e.to_string());
        bail!(
            "{} cannot be attached to the walking network: {reason}{}",
            what(first),
            if dest.xy.len() > 1 {
                format!(" (nor any of the other {} sites)", dest.xy.len() - 1)
            } else {
                String::new()
            }
        );
    }
    let route = |p: &[f64; 2], lonlat: &[f64; 2]| -> Result<Route> {
        let at = format!("--from {},{}", lonlat[0], lonlat[1]);
        let path = walking
            .point_path(&tree, *p)
            .map_err(|e| anyhow::anyhow!("{at}: cannot be attached to the walking network: {e}"))?
            .with_context(|| {
                format!(
                    "{at}: no walking path to {}: they are on parts of the network that are not connected (or joined only one way)",
                    if dest.site[0].is_some() {
                        format!("any site of category {:?}", dest.category.as_deref().unwrap_or(""))
                    } else {
                        what(0)
                    }
                )
            })?;
        Ok(Route {
            from: *lonlat,
            to: dest.lonlat[path.site],
            category: dest.category.clone(),
            site: dest.site[path.site].clone(),
            lonlat: path.lonlat(proj),
            walk_min: path.dist_m / dest.profile.speed_m_per_s / 60.0,
            threshold_m: dest.threshold_m,
            path,
        })
    };
    Ok(from_xy
        .iter()
        .zip(from)
        .map(|(p, lonlat)| route(p, lonlat))
        .collect())
}

/// The routes as a GeoJSON FeatureCollection of LineStrings (lon/lat 1e-6°,
/// distances 0.1 m, minutes 0.01; properties `from`, `to`, `category`, `site_id`,
/// `site_name`, `length_m` (the walking distance, as in `cells.csv`), `walk_min`,
/// `line_m` (drawn length; shorter than `length_m` only where the profile prices
/// steps), `threshold_m`, `within_threshold`).
///
/// # Errors
/// Write errors.
pub fn write_routes_geojson(w: &mut dyn std::io::Write, routes: &[Route]) -> std::io::Result<()> {
    writeln!(
        w,
        "{{\"type\":\"FeatureCollection\",\"name\":\"route\",\"features\":["
    )?;
    let round = |x: f64, k: f64| (x * k).round() / k;
    for (i, r) in routes.iter().enumerate() {
        let props = serde_json::json!({
            "from": [round(r.from[0], 1e6), round(r.from[1], 1e6)],
            "to": [round(r.to[0], 1e6), round(r.to[1], 1e6)],
            "category": r.category,
            "site_id": r.site.as_ref().map(|s| &s.0),
            "site_name": r.site.as_ref().map(|s| &s.1),
            "length_m": round(r.path.dist_m, 10.0),
            "walk_min": round(r.walk_min, 100.0),
            "line_m": round(r.path.line_m, 10.0),
            "threshold_m": r.threshold_m,
            "within_threshold": r.threshold_m.map(|t| r.path.dist_m <= t),
        });
        let coords: Vec<String> = r
            .lonlat
            .iter()
            .map(|p| format!("[{:.6},{:.6}]", p[0], p[1]))
            .collect();
        write!(
            w,
            "{}{{\"type\":\"Feature\",\"geometry\":{{\"type\":\"LineString\",\"coordinates\":[{}]}},\"properties\":{}}}",
            if i > 0 { ",\n" } else { "" },
            coords.join(","),
            props
        )?;
    }
    writeln!(w, "\n]}}")
}

/// One line per route for the terminal.
#[must_use]
pub fn route_line(r: &Route) -> String {
    let to = match (&r.site, &r.category) {
        (Some((id, name)), Some(c)) => format!("nearest {c}: {name} ({id})"),
        _ => format!("{:.6},{:.6}", r.to[0], r.to[1]),
    };
    let beyond = match r.threshold_m {
        Some(t) if r.path.dist_m > t => format!(", beyond the {t} m threshold"),
        _ => String::new(),
    };
    format!(
        "route {:.6},{:.6} → {to}: {:.1} m, {:.2} min walking{beyond}",
        r.from[0], r.from[1], r.path.dist_m, r.walk_min
    )
}
