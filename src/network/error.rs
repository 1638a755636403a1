//! Errors of the network stage: reading OSM files and building the pedestrian graph.
//!
//! One `thiserror` enum, [`NetworkError`], with the values needed to act on each
//! problem (file, byte offset, element). Recoverable problems (ways with missing
//! nodes, points that cannot be snapped) are *not* errors: they are counted in
//! [`crate::network::GraphSummary`] and the snap reports.

use std::fmt;
use std::path::PathBuf;

/// The kind of an OSM element, for messages and relation members.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OsmKind {
    /// `<node>` / PBF node or dense node.
    Node,
    /// `<way>`.
    Way,
    /// `<relation>`.
    Relation,
}

impl fmt::Display for OsmKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OsmKind::Node => "node",
            OsmKind::Way => "way",
            OsmKind::Relation => "relation",
        })
    }
}

/// An OSM element named in an error message (`way 4242`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ElementRef {
    /// Node, way or relation.
    pub kind: OsmKind,
    /// The OSM id as written in the file.
    pub id: i64,
}

impl fmt::Display for ElementRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.id)
    }
}

/// Why an OSM file could not be turned into a pedestrian graph.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NetworkError {
    /// The file could not be opened or read.
    #[error("osm file {path}: {source}")]
    Io {
        /// The file, as given.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The file is neither OSM XML (`<osm>` root) nor an OSM PBF (`OSMHeader` blob first).
    #[error("osm file {path}: not an OpenStreetMap XML or PBF file: {reason}")]
    NotOsm {
        /// The file, as given.
        path: PathBuf,
        /// What was found instead.
        reason: String,
    },
    /// The file ends in the middle of a PBF blob or an XML element (an interrupted
    /// download or copy); fetch it again.
    #[error("osm file {path}: truncated at byte {offset}: {reason}")]
    Truncated {
        /// The file, as given.
        path: PathBuf,
        /// Byte offset where the missing data should have been.
        offset: u64,
        /// What was being read.
        reason: String,
    },
    /// A PBF blob declares a size beyond the format's limits; the file is corrupt (or
    /// hostile). Refused before anything is allocated.
    #[error(
        "osm file {path}: blob at byte {offset} declares {size} bytes, over the format limit of {limit}"
    )]
    BlobTooLarge {
        /// The file, as given.
        path: PathBuf,
        /// Byte offset of the blob header.
        offset: u64,
        /// Declared size in bytes.
        size: u64,
        /// The limit in bytes (64 KiB for headers, 32 MiB for blobs).
        limit: u64,
    },
    /// The PBF header block requires a feature this reader does not implement
    /// (e.g. `HistoricalInformation`); convert the file with osmium first.
    #[error("osm file {path}: unsupported required feature {feature:?}")]
    UnsupportedFeature {
        /// The file, as given.
        path: PathBuf,
        /// The feature string from the header block.
        feature: String,
    },
    /// An element (or the syntax around it) cannot be decoded.
    #[error("osm file {path}: {}{reason}", element.map(|e| format!("{e}: ")).unwrap_or_default())]
    Malformed {
        /// The file, as given.
        path: PathBuf,
        /// The element being read, when known.
        element: Option<ElementRef>,
        /// What is wrong with it.
        reason: String,
    },
    /// A node's coordinates cannot be projected into the run's local frame.
    #[error("osm file {path}: node {node_id}: cannot project ({lon}, {lat}) into the local frame")]
    Projection {
        /// The file, as given.
        path: PathBuf,
        /// OSM node id.
        node_id: i64,
        /// Longitude, degrees.
        lon: f64,
        /// Latitude, degrees.
        lat: f64,
    },
    /// The file holds no walkable way (after the pedestrian filter and after dropping
    /// segments with missing nodes), so there is no network to walk on.
    #[error(
        "osm file {path}: no walkable way ({ways_seen} ways read, {highway_ways} with a highway tag, {ways_with_missing_nodes} walkable ways lost to missing nodes{})",
        missing_example.as_ref().map(|e| format!("; first: {e}")).unwrap_or_default()
    )]
    NoWalkableWays {
        /// The file, as given.
        path: PathBuf,
        /// Ways in the file.
        ways_seen: u64,
        /// Ways with any `highway=*` tag.
        highway_ways: u64,
        /// Walkable ways dropped because none of their segments had both nodes.
        ways_with_missing_nodes: u64,
        /// The first missing node, as `way W needs node N, which is not in the file`.
        missing_example: Option<String>,
    },
}
