//! `learncircle export-network`: the cleaned walking graph as GeoJSON.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use crate::base::model::bbox_of;
use crate::crs::LocalProjection;
use crate::export;

/// Options of `learncircle export-network`.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportNetworkOptions {
    /// OpenStreetMap extract (.osm.pbf or .osm XML).
    pub network: PathBuf,
    /// Components with less walkable length are not snapping targets, metres.
    pub min_component_m: f64,
    /// Output GeoJSON file.
    pub out: PathBuf,
}

/// `learncircle export-network`: the cleaned walking graph as GeoJSON.
///
/// # Errors
/// When the OSM file cannot be read or has nothing walkable, or the output cannot
/// be written.
pub fn export_network(a: &ExportNetworkOptions) -> Result<crate::network::GraphSummary> {
    use crate::network::{Graph, GraphOptions, osm};
    if !(a.min_component_m.is_finite() && a.min_component_m >= 0.0) {
        bail!("--min-component-m must be ≥ 0");
    }
    let is_walkable = |tags: &[(&str, &str)]| crate::network::walkable(tags).is_some();
    let selection = osm::OsmSelection {
        ways: Some(&is_walkable),
        ..osm::OsmSelection::default()
    };
    let data = osm::read_osm(&a.network, &selection)?;
    let bbox = bbox_of(data.nodes.iter().map(|n| (n.lon(), n.lat()))).with_context(|| {
        format!(
            "{}: no walkable way has nodes in the file",
            a.network.display()
        )
    })?;
    let proj = LocalProjection::centred_on(bbox)?;
    let graph = Graph::from_osm_data(
        &a.network,
        &data,
        &proj,
        &GraphOptions {
            min_component_m: a.min_component_m,
        },
    )?;
    export::write_file_atomic(&a.out, |w| crate::network::write_geojson(&graph, &proj, w))?;
    Ok(graph.summary())
}
