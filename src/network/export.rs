//! GeoJSON export of the cleaned walking graph, for QA in a GIS
//! (`learncircle export-network`).
//!
//! * **Inputs:** a [`Graph`] and the run's [`LocalProjection`].
//! * **Output:** an RFC 7946 `FeatureCollection` in WGS84 lon/lat (6 decimals, about
//!   0.1 m), one `LineString` feature per segment, in segment order, with properties
//!   `osm_way_id`, `highway`, `length_m` (1 decimal), `flags` (`steps;tunnel…`),
//!   `oneway_foot` (`no`, `forward`, `backward` relative to the feature's direction),
//!   `component` and `snappable` (component long enough to attach points).
//!   Written as a stream: memory does not grow with the graph.

use std::io::{self, Write};

use super::graph::Graph;
use crate::crs::LocalProjection;

/// Writes the graph as GeoJSON to `out` (wrap files in a `BufWriter`).
///
/// # Errors
/// Whatever `out` returns.
pub fn write_geojson<W: Write>(
    graph: &Graph,
    proj: &LocalProjection,
    mut out: W,
) -> io::Result<()> {
    let xy = graph.node_xy();
    let comp = graph.node_component();
    out.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[")?;
    for (i, s) in graph.segments().iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        let (lon_a, lat_a) = proj.inverse(xy[s.nodes[0] as usize]);
        let (lon_b, lat_b) = proj.inverse(xy[s.nodes[1] as usize]);
        let way = graph.ways()[s.way as usize];
        let oneway = match (s.a_to_b, s.b_to_a) {
            (true, false) => "forward",
            (false, true) => "backward",
            _ => "no",
        };
        let c = comp[s.nodes[0] as usize];
        write!(
            out,
            "\n{{\"type\":\"Feature\",\"geometry\":{{\"type\":\"LineString\",\"coordinates\":[[{lon_a:.6},{lat_a:.6}],[{lon_b:.6},{lat_b:.6}]]}},\
             \"properties\":{{\"osm_way_id\":{},\"highway\":\"{}\",\"length_m\":{:.1},\"flags\":\"{}\",\"oneway_foot\":\"{oneway}\",\"component\":{c},\"snappable\":{}}}}}",
            way.osm_id,
            way.highway(),
            s.len_m,
            s.flags.names(),
            graph.components()[c as usize].eligible,
        )?;
    }
    out.write_all(b"\n]}\n")?;
    out.flush()
}
