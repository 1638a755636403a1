//! The OpenStreetMap pedestrian network: reading OSM files, the walkable-tag filter,
//! the frozen CSR graph, snapping points to it, bounded Dijkstra, and GeoJSON export.
//!
//! ```text
//! .osm.pbf / .osm ─► osm::read_osm (walkable ways + their nodes)
//!                 ─► pedestrian::walkable (tag filter) ─► GraphBuilder ─► Graph (CSR)
//!                                                          │
//!                          snap::SnapIndex ◄───────────────┤
//!                          search (bounded Dijkstra) ◄─────┘   ─► distance::Walking
//! ```
//!
//! * [`Graph::from_osm_file`] is the entry point: file + the run's projection →
//!   [`Graph`] (or a [`NetworkError`]).
//! * [`Graph::summary`] gives the counts for the run report; [`write_geojson`] dumps
//!   the cleaned graph for QA (`learncircle export-network`).

pub mod error;
pub mod export;
pub mod graph;
pub mod osm;
pub mod pedestrian;
pub mod search;
pub mod snap;

use std::path::Path;

use rayon::prelude::*;

use crate::crs::LocalProjection;

pub use error::{ElementRef, NetworkError, OsmKind};
pub use export::write_geojson;
pub use graph::{
    BuildStats, ComponentInfo, Graph, GraphBuilder, GraphOptions, GraphSummary, Segment, WayInfo,
};
pub use pedestrian::{EdgeFlags, FootDirection, Walkable, walkable};
pub use search::{SearchScratch, SearchStats, dijkstra_bounded};
pub use snap::{OffNetwork, Snap, SnapIndex, SnapOptions};

/// Reads the walkable ways of an OSM PBF or XML file and the nodes they reference
/// (WGS84, not yet projected): the input of [`Graph::from_osm_data`].
///
/// # Errors
/// Any [`NetworkError`] from reading the file.
pub fn read_walkable(path: &Path) -> Result<osm::OsmData, NetworkError> {
    let is_walkable = |tags: &[(&str, &str)]| walkable(tags).is_some();
    let selection = osm::OsmSelection {
        ways: Some(&is_walkable),
        ..osm::OsmSelection::default()
    };
    osm::read_osm(path, &selection)
}

impl Graph {
    /// Reads an OSM PBF or XML file (format detected from its content), keeps the
    /// walkable ways and their nodes, projects them with `proj`, and builds the graph.
    ///
    /// # Errors
    /// Any [`NetworkError`] from reading the file, a node that cannot be projected,
    /// or [`NetworkError::NoWalkableWays`] when nothing walkable is left.
    ///
    /// # Performance
    /// PBF decoding and the projection run on the rayon pool; memory holds only the
    /// walkable ways and the nodes they reference.
    pub fn from_osm_file(
        path: &Path,
        proj: &LocalProjection,
        opts: &GraphOptions,
    ) -> Result<Graph, NetworkError> {
        let data = read_walkable(path)?;
        Self::from_osm_data(path, &data, proj, opts)
    }

    /// Builds the graph from already-read OSM data (its walkable ways and their nodes).
    ///
    /// # Errors
    /// [`NetworkError::Projection`] for a node outside the projection's domain,
    /// [`NetworkError::NoWalkableWays`] when no walkable segment is left.
    pub fn from_osm_data(
        path: &Path,
        data: &osm::OsmData,
        proj: &LocalProjection,
        opts: &GraphOptions,
    ) -> Result<Graph, NetworkError> {
        let xy: Vec<[f64; 2]> = data
            .nodes
            .par_iter()
            .map(|n| {
                proj.forward(n.lon(), n.lat())
                    .map_err(|_| NetworkError::Projection {
                        path: path.to_path_buf(),
                        node_id: n.id,
                        lon: n.lon(),
                        lat: n.lat(),
                    })
            })
            .collect::<Result<_, _>>()?;
        let mut b = GraphBuilder::new();
        for (n, p) in data.nodes.iter().zip(xy) {
            b.add_node(n.id, p);
        }
        for w in &data.ways {
            if let Some(walk) = walkable(w.tags.as_slice()) {
                b.add_way(w.id, walk, &w.refs);
            }
        }
        let graph = b.build(opts);
        if graph.segments().is_empty() {
            return Err(NetworkError::NoWalkableWays {
                path: path.to_path_buf(),
                ways_seen: data.stats.ways_seen,
                highway_ways: data.stats.highway_ways_seen,
                ways_with_missing_nodes: graph.stats().ways_skipped_missing_nodes,
                missing_example: graph.stats().missing_node_example(),
            });
        }
        Ok(graph)
    }
}

#[cfg(test)]
mod fixture_tests;
