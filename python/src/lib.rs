//! `learncircle._native`: the Rust side of the Python package (see
//! `../docs/PYTHON.md`). Deliberately thin: options arrive as the library's own
//! serde form (`CoverageOptions` as JSON, built by `learncircle/__init__.py`), runs
//! call the same `app` entry points as the binary with the GIL released, and every
//! output is the file the CLI writes. Errors become `learncircle.LearncircleError`
//! with the CLI's message (`{err:#}`: the file, row or flag and the reason).

use std::path::PathBuf;
use std::sync::Arc;

use learncircle::app::{
    self, CandidateSource, ConfigSource, CoverageOptions, RecommendOptions, Route, RouteOptions,
    RouteTarget, WalkingNetwork,
};
use learncircle::crs::InputCrs;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(
    _native,
    LearncircleError,
    PyException,
    "A learncircle run failed; the message names the file, row or option and the reason."
);

fn err(e: &anyhow::Error) -> PyErr {
    LearncircleError::new_err(format!("{e:#}"))
}

fn json_err(what: &str, e: &serde_json::Error) -> PyErr {
    LearncircleError::new_err(format!("{what}: {e}"))
}

/// An OSM extract read once (walkable ways and their nodes); pass it as `network=`
/// to several runs on one city so the file is decoded only once.
#[pyclass(frozen, module = "learncircle._native")]
struct Network {
    inner: Arc<WalkingNetwork>,
}

#[pymethods]
impl Network {
    /// The OSM file it was read from.
    #[getter]
    fn path(&self) -> String {
        self.inner.path().display().to_string()
    }

    /// Nodes kept (those referenced by walkable ways).
    #[getter]
    fn nodes(&self) -> usize {
        self.inner.counts().0
    }

    /// Walkable ways kept.
    #[getter]
    fn ways(&self) -> usize {
        self.inner.counts().1
    }

    fn __repr__(&self) -> String {
        let (n, w) = self.inner.counts();
        format!(
            "Network({:?}: {n} nodes, {w} walkable ways)",
            self.inner.path().display().to_string()
        )
    }
}

/// Read the walkable network of an OSM `.osm.pbf` or `.osm` file (GIL released).
#[pyfunction]
fn read_network(py: Python<'_>, path: PathBuf) -> PyResult<Network> {
    let net = py
        .detach(|| WalkingNetwork::read(&path))
        .map_err(|e| err(&e))?;
    Ok(Network {
        inner: Arc::new(net),
    })
}

/// `CoverageOptions` with every setting at its default, as JSON.
#[pyfunction]
fn default_options(sites: PathBuf, population: PathBuf, out: PathBuf) -> PyResult<String> {
    serde_json::to_string(&CoverageOptions::new(sites, population, out))
        .map_err(|e| json_err("options", &e))
}

fn parse_options(options: &str) -> PyResult<CoverageOptions> {
    serde_json::from_str(options).map_err(|e| json_err("invalid options", &e))
}

/// Turn the progress lines on stderr on or off (off by default in Python).
#[pyfunction]
fn set_progress(on: bool) {
    learncircle::base::progress::set_enabled(on);
}

/// Run `coverage` (GIL released); returns JSON `{summary, rejected, written}`.
#[pyfunction]
#[pyo3(signature = (options, network=None))]
fn coverage(py: Python<'_>, options: &str, network: Option<&Network>) -> PyResult<String> {
    let opts = parse_options(options)?;
    let net = network.map(|n| Arc::clone(&n.inner));
    let outcome = py
        .detach(|| app::run_coverage_on(&opts, net.as_deref()))
        .map_err(|e| err(&e))?;
    let summary = serde_json::to_value(&outcome.summary).map_err(|e| json_err("summary", &e))?;
    Ok(outcome_json(summary, outcome.rejected, &outcome.written))
}

/// `{summary, rejected, written}` of a finished run.
fn outcome_json(summary: serde_json::Value, rejected: usize, written: &[PathBuf]) -> String {
    let written: Vec<serde_json::Value> = written
        .iter()
        .map(|p| serde_json::Value::String(p.display().to_string()))
        .collect();
    let mut v = serde_json::Map::new();
    v.insert("summary".into(), summary);
    v.insert("rejected".into(), rejected.into());
    v.insert("written".into(), written.into());
    serde_json::Value::Object(v).to_string()
}

fn parse_crs(flag: &str, s: &str) -> PyResult<InputCrs> {
    match s.to_ascii_lowercase().as_str() {
        "wgs84" => Ok(InputCrs::Wgs84),
        "gcj02" => Ok(InputCrs::Gcj02),
        "bd09" => Ok(InputCrs::Bd09),
        _ => Err(LearncircleError::new_err(format!(
            "{flag} {s:?}: expected wgs84, gcj02 or bd09"
        ))),
    }
}

/// Run `recommend` (GIL released); returns JSON `{summary, rejected, written}`.
#[pyfunction]
#[pyo3(signature = (options, category, k, candidates=None, candidates_crs="wgs84",
    candidates_from="cells", capacity=None, exact=false, network=None))]
#[allow(clippy::too_many_arguments)]
fn recommend(
    py: Python<'_>,
    options: &str,
    category: String,
    k: usize,
    candidates: Option<PathBuf>,
    candidates_crs: &str,
    candidates_from: &str,
    capacity: Option<f64>,
    exact: bool,
    network: Option<&Network>,
) -> PyResult<String> {
    let candidates_from = match candidates_from {
        "cells" => CandidateSource::Cells,
        "nodes" => CandidateSource::Nodes,
        "both" => CandidateSource::Both,
        other => {
            return Err(LearncircleError::new_err(format!(
                "candidates_from {other:?}: expected cells, nodes or both"
            )));
        }
    };
    let opts = RecommendOptions {
        study: parse_options(options)?,
        category,
        k,
        candidates,
        candidates_crs: parse_crs("candidates_crs", candidates_crs)?,
        candidates_from,
        capacity,
        exact,
    };
    let net = network.map(|n| Arc::clone(&n.inner));
    let outcome = py
        .detach(|| app::run_recommend_on(&opts, net.as_deref()))
        .map_err(|e| err(&e))?;
    let summary = serde_json::to_value(&outcome.summary).map_err(|e| json_err("summary", &e))?;
    Ok(outcome_json(summary, outcome.rejected, &outcome.written))
}

/// Run `sites` (GIL released): learning sites from OSM tags written to `out` (CSV);
/// returns JSON `{lines, warnings, unplaced}`.
#[pyfunction]
#[pyo3(signature = (osm, out, config=None, preset=None, with_education=false,
    exclude=Vec::new(), merge_radius_m=learncircle::osm::sites::MERGE_RADIUS_M))]
#[allow(clippy::too_many_arguments)]
fn sites_from_osm(
    py: Python<'_>,
    osm: PathBuf,
    out: PathBuf,
    config: Option<PathBuf>,
    preset: Option<String>,
    with_education: bool,
    exclude: Vec<String>,
    merge_radius_m: f64,
) -> PyResult<String> {
    let opts = learncircle::osm::sites::SitesOptions {
        osm,
        out,
        config,
        preset,
        with_education,
        exclude,
        merge_radius_m,
    };
    let extract = py
        .detach(|| learncircle::osm::sites::run(&opts))
        .map_err(|e| err(&anyhow::Error::new(e)))?;
    let strings = |v: Vec<String>| -> serde_json::Value {
        v.into_iter().map(serde_json::Value::String).collect()
    };
    let mut v = serde_json::Map::new();
    v.insert("lines".into(), strings(extract.lines()));
    v.insert("warnings".into(), strings(extract.warnings()));
    v.insert("unplaced".into(), extract.unplaced.len().into());
    Ok(serde_json::Value::Object(v).to_string())
}

/// Run `route` (GIL released). `from_lonlat` and `to` are `"LON,LAT"` strings,
/// parsed as the CLI parses `--from`/`--to` (same messages). Returns JSON
/// `{geojson, lines, routes}`: the GeoJSON the CLI writes (as a string), its summary
/// lines, and per walk the unrounded values and the path.
#[pyfunction]
#[pyo3(signature = (network_path, from_lonlat, to=None, category=None, sites=None,
    sites_crs="wgs84", config=None, preset=None, threshold_m=None, walk_min=None, network=None))]
#[allow(clippy::too_many_arguments)]
fn route(
    py: Python<'_>,
    network_path: PathBuf,
    from_lonlat: Vec<String>,
    to: Option<String>,
    category: Option<String>,
    sites: Option<PathBuf>,
    sites_crs: &str,
    config: Option<PathBuf>,
    preset: Option<String>,
    threshold_m: Option<f64>,
    walk_min: Option<f64>,
    network: Option<&Network>,
) -> PyResult<String> {
    let from = from_lonlat
        .iter()
        .map(|s| app::parse_lonlat(s, "--from"))
        .collect::<anyhow::Result<Vec<_>>>()
        .map_err(|e| err(&e))?;
    let (target, profile_category) = match (to, sites, category) {
        (Some(to), _, category) => (
            RouteTarget::Point(app::parse_lonlat(&to, "--to").map_err(|e| err(&e))?),
            category,
        ),
        (None, Some(sites), Some(name)) => (
            RouteTarget::Category {
                name,
                sites,
                sites_crs: parse_crs("sites_crs", sites_crs)?,
            },
            None,
        ),
        (None, _, _) => {
            return Err(LearncircleError::new_err(
                "give to_lonlat, or category with sites",
            ));
        }
    };
    let opts = RouteOptions {
        network: network_path,
        from,
        target,
        config: match (config, preset) {
            (Some(p), _) => ConfigSource::File(p),
            (None, Some(n)) => ConfigSource::Preset(n),
            (None, None) => ConfigSource::None,
        },
        profile_category,
        threshold_m,
        walk_min,
    };
    let net = network.map(|n| Arc::clone(&n.inner));
    let routes = py
        .detach(|| {
            app::run_route_on(&opts, net.as_deref())?
                .into_iter()
                .collect::<anyhow::Result<Vec<Route>>>()
        })
        .map_err(|e| err(&e))?;
    let mut geojson = Vec::new();
    app::write_routes_geojson(&mut geojson, &routes)
        .map_err(|e| LearncircleError::new_err(format!("route GeoJSON: {e}")))?;
    let walks: Vec<serde_json::Value> = routes.iter().map(route_json).collect();
    let lines: Vec<String> = routes.iter().map(app::route_line).collect();
    let v = serde_json::json!({
        "geojson": String::from_utf8_lossy(&geojson),
        "lines": lines,
        "routes": walks,
    });
    Ok(v.to_string())
}

/// One walk with its unrounded values (the GeoJSON rounds them).
fn route_json(r: &Route) -> serde_json::Value {
    serde_json::json!({
        "from": r.from,
        "to": r.to,
        "category": r.category,
        "site_id": r.site.as_ref().map(|s| &s.0),
        "site_name": r.site.as_ref().map(|s| &s.1),
        "length_m": r.path.dist_m,
        "walk_min": r.walk_min,
        "line_m": r.path.line_m,
        "threshold_m": r.threshold_m,
        "within_threshold": r.threshold_m.map(|t| r.path.dist_m <= t),
        "lonlat": r.lonlat,
    })
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("LearncircleError", m.py().get_type::<LearncircleError>())?;
    m.add_class::<Network>()?;
    m.add_function(wrap_pyfunction!(read_network, m)?)?;
    m.add_function(wrap_pyfunction!(default_options, m)?)?;
    m.add_function(wrap_pyfunction!(set_progress, m)?)?;
    m.add_function(wrap_pyfunction!(coverage, m)?)?;
    m.add_function(wrap_pyfunction!(recommend, m)?)?;
    m.add_function(wrap_pyfunction!(sites_from_osm, m)?)?;
    m.add_function(wrap_pyfunction!(route, m)?)?;
    Ok(())
}
