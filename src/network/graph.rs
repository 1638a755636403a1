//! The pedestrian graph: a [`GraphBuilder`] collects nodes and walkable ways, and
//! [`GraphBuilder::build`] freezes them into an immutable [`Graph`] in flat CSR arrays.
//!
//! * **Inputs:** nodes (OSM id, local metres) and ways (OSM id, [`Walkable`], node
//!   references), in any order.
//! * **Outputs:** a [`Graph`]: dense `u32` node indices (in Hilbert-curve order of
//!   position, for memory locality) with a map back to OSM ids, one undirected **segment** per pair of consecutive way nodes,
//!   directed CSR edges (`first_out`, `head`, `len_m`, flags) in the walkable
//!   directions, connected components with their walkable length, and
//!   [`BuildStats`] (missing nodes, duplicates, zero-length segments).
//!
//! Every OSM node of a walkable way is a graph node and every way segment an edge,
//! so a point can be attached to the exact spot on a street (door-to-door snapping)
//! rather than to the nearest junction.
//!
//! # Units
//! Coordinates and lengths are metres in the run's local transverse Mercator.
//! A segment's length is the straight distance between its two nodes in that plane;
//! OSM segments are short straight pieces, so this is the way's length. The
//! projection's scale error is below 1e-4 within ±25 km of the origin (tested in
//! `crs`), and lengths are stored as `f32` (relative rounding 6e-8): well inside the
//! 0.1 % budget.
//!
//! # Components
//! Components are weakly connected (a `oneway:foot` edge joins its ends). A component
//! is **eligible** for snapping when its total walkable length is at least
//! `min_component_m` (default 1000 m). A length rule, not "the largest component":
//! a city cut into tiles with a halo gives every tile the same answer as the whole
//! city, and a real second network (an island, a campus behind a river) is kept.

use rayon::prelude::*;

use super::pedestrian::{EdgeFlags, HIGHWAY_CLASSES, Walkable};

/// Options for [`GraphBuilder::build`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GraphOptions {
    /// Components shorter than this (total walkable length, metres) are kept in the
    /// graph but nothing is snapped to them.
    pub min_component_m: f64,
}

impl Default for GraphOptions {
    fn default() -> Self {
        Self {
            min_component_m: 1000.0,
        }
    }
}

/// A kept way: OSM id and highway class (index into [`HIGHWAY_CLASSES`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WayInfo {
    /// OSM way id.
    pub osm_id: i64,
    /// Index into [`HIGHWAY_CLASSES`].
    pub class: u8,
}

impl WayInfo {
    /// The `highway=*` value.
    #[must_use]
    pub fn highway(self) -> &'static str {
        HIGHWAY_CLASSES[usize::from(self.class)]
    }
}

/// One undirected segment between two graph nodes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Segment {
    /// End nodes (dense indices), `a` being the one with the lower OSM id.
    pub nodes: [u32; 2],
    /// Length, metres.
    pub len_m: f32,
    /// Edge kind.
    pub flags: EdgeFlags,
    /// Walking from `a` to `b` is allowed.
    pub a_to_b: bool,
    /// Walking from `b` to `a` is allowed.
    pub b_to_a: bool,
    /// Index of the way it came from (the lowest way id among duplicates).
    pub way: u32,
}

/// One connected component (weakly connected).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ComponentInfo {
    /// Graph nodes in it.
    pub nodes: u32,
    /// Segments in it.
    pub segments: u32,
    /// Total segment length, metres (summed in f64).
    pub len_m: f64,
    /// `len_m ≥ min_component_m`: cells and sites may snap to it.
    pub eligible: bool,
}

/// What happened while building, for the run summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BuildStats {
    /// Walkable ways handed to the builder.
    pub ways_walkable: u64,
    /// Walkable ways with at least one node reference not in the file.
    pub ways_with_missing_nodes: u64,
    /// Walkable ways dropped entirely because no segment had both nodes.
    pub ways_skipped_missing_nodes: u64,
    /// Node references not found (each occurrence).
    pub missing_node_refs: u64,
    /// Segments dropped because they repeat a node pair already seen.
    pub duplicate_segments: u64,
    /// Segments dropped because both ends are the same node or the same point.
    pub zero_length_segments: u64,
    /// The first (way id, node id) whose node is not in the file, for messages.
    #[serde(skip)]
    pub first_missing_node: Option<(i64, i64)>,
}

impl BuildStats {
    /// `way W needs node N, which is not in the file` for the first missing node.
    #[must_use]
    pub fn missing_node_example(&self) -> Option<String> {
        self.first_missing_node
            .map(|(way, node)| format!("way {way} needs node {node}, which is not in the file"))
    }
}

/// Collects nodes and ways; [`build`](Self::build) turns them into a [`Graph`].
#[derive(Debug, Default)]
pub struct GraphBuilder {
    nodes: Vec<(i64, [f64; 2])>,
    ways: Vec<(WayInfo, Walkable, Vec<i64>)>,
}

/// A segment before deduplication: (low node, high node, flags, way, a→b, b→a).
type RawSeg = (u32, u32, EdgeFlags, u32, bool, bool);

impl GraphBuilder {
    /// An empty builder.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a node (OSM id, local metres). A repeated id keeps its first position.
    pub fn add_node(&mut self, osm_id: i64, xy: [f64; 2]) {
        self.nodes.push((osm_id, xy));
    }

    /// Adds a walkable way with its node references, in way order.
    pub fn add_way(&mut self, osm_id: i64, walk: Walkable, refs: &[i64]) {
        self.ways.push((
            WayInfo {
                osm_id,
                class: walk.class,
            },
            walk,
            refs.to_vec(),
        ));
    }

    /// Freezes the builder into a [`Graph`].
    ///
    /// Segments with a missing node are dropped (and counted); duplicate node pairs
    /// are merged (the walkable directions are united, the flags and way of the
    /// least-flagged, lowest way id are kept); zero-length segments and self loops
    /// are dropped.
    ///
    /// # Performance
    /// O((N + S) log(N + S)) for N nodes and S segments, flat arrays only.
    #[must_use]
    pub fn build(mut self, opts: &GraphOptions) -> Graph {
        let mut stats = BuildStats {
            ways_walkable: self.ways.len() as u64,
            ..BuildStats::default()
        };
        // Stable sorts: a repeated id keeps its first position.
        self.nodes.par_sort_by_key(|n| n.0);
        self.nodes.dedup_by_key(|n| n.0);
        self.ways.par_sort_by_key(|w| w.0.osm_id);
        self.ways.dedup_by_key(|w| w.0.osm_id);
        let (raw, ways) = self.raw_segments(&mut stats);
        let merged = merge_duplicates(raw, &mut stats);
        let (dense, osm_id, xy) = self.dense_order(&merged);
        let segments = dense_segments(&merged, &dense, &xy);
        Graph::assemble(osm_id, xy, segments, ways, stats, opts)
    }

    /// Segments between consecutive nodes of every way (both ends known, not of
    /// zero length), oriented from the lower to the higher node position, and
    /// the ways in id order; missing nodes counted in `stats`.
    fn raw_segments(&self, stats: &mut BuildStats) -> (Vec<RawSeg>, Vec<WayInfo>) {
        let find =
            |id: i64, nodes: &[(i64, [f64; 2])]| nodes.binary_search_by_key(&id, |n| n.0).ok();
        // Node lookups (a binary search per reference) in parallel, in way order.
        let way_positions: Vec<Vec<Option<usize>>> = self
            .ways
            .par_iter()
            .map(|(_, _, refs)| refs.iter().map(|r| find(*r, &self.nodes)).collect())
            .collect();
        let mut raw: Vec<RawSeg> = Vec::new();
        let mut ways = Vec::with_capacity(self.ways.len());
        for ((info, walk, refs), positions) in self.ways.iter().zip(way_positions) {
            let way_idx = u32::try_from(ways.len()).expect("fewer than 2^32 ways");
            let mut missing = 0u64;
            let mut kept = 0usize;
            missing += positions.iter().filter(|p| p.is_none()).count() as u64;
            if stats.first_missing_node.is_none()
                && let Some(i) = positions.iter().position(Option::is_none)
            {
                stats.first_missing_node = Some((info.osm_id, refs[i]));
            }
            for pair in positions.windows(2) {
                let (Some(p), Some(q)) = (pair[0], pair[1]) else {
                    continue;
                };
                if p == q || self.nodes[p].1 == self.nodes[q].1 {
                    stats.zero_length_segments += 1;
                    continue;
                }
                let (lo, hi, fwd, bwd) = if p < q {
                    (p, q, walk.direction.forward(), walk.direction.backward())
                } else {
                    (q, p, walk.direction.backward(), walk.direction.forward())
                };
                let lo = u32::try_from(lo).expect("fewer than 2^32 nodes");
                let hi = u32::try_from(hi).expect("fewer than 2^32 nodes");
                raw.push((lo, hi, walk.flags, way_idx, fwd, bwd));
                kept += 1;
            }
            if missing > 0 {
                stats.ways_with_missing_nodes += 1;
                stats.missing_node_refs += missing;
                if kept == 0 {
                    stats.ways_skipped_missing_nodes += 1;
                }
            }
            ways.push(*info);
        }
        (raw, ways)
    }

    /// Dense indices: only nodes that end a kept segment, in Hilbert-curve order of
    /// their position (ties by OSM id). Nodes close in space are then close in
    /// memory; Dijkstra on a million-node graph is bound by cache misses, and OSM
    /// ids (roughly chronological) have no spatial locality at all. Returns the
    /// dense index of every builder node (`u32::MAX`: unused) and the OSM ids and
    /// positions in dense order.
    fn dense_order(&self, merged: &[RawSeg]) -> (Vec<u32>, Vec<i64>, Vec<[f64; 2]>) {
        let mut used = vec![false; self.nodes.len()];
        for s in merged {
            used[s.0 as usize] = true;
            used[s.1 as usize] = true;
        }
        let used_nodes: Vec<usize> = (0..self.nodes.len()).filter(|&i| used[i]).collect();
        let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
        for &i in &used_nodes {
            let p = self.nodes[i].1;
            for k in 0..2 {
                lo[k] = lo[k].min(p[k]);
                hi[k] = hi[k].max(p[k]);
            }
        }
        let mut order: Vec<(u64, i64, usize)> = used_nodes
            .par_iter()
            .map(|&i| {
                let (id, p) = self.nodes[i];
                (hilbert_key(p, lo, hi), id, i)
            })
            .collect();
        order.par_sort_unstable();
        let mut dense = vec![u32::MAX; self.nodes.len()];
        let mut osm_id = Vec::with_capacity(order.len());
        let mut xy = Vec::with_capacity(order.len());
        for (rank, &(_, id, i)) in order.iter().enumerate() {
            dense[i] = u32::try_from(rank).expect("fewer than 2^32 nodes");
            osm_id.push(id);
            xy.push(self.nodes[i].1);
        }
        (dense, osm_id, xy)
    }
}

/// Way indices follow the sorted way ids, so sorting by (pair, flags, way) keeps
/// the least-flagged, lowest way id first. Entries equal in this key differ at
/// most in their directions, which the merge unites: any order among them gives
/// the same result.
fn merge_duplicates(mut raw: Vec<RawSeg>, stats: &mut BuildStats) -> Vec<RawSeg> {
    raw.par_sort_unstable_by_key(|s| (s.0, s.1, s.2, s.3));
    let mut merged: Vec<RawSeg> = Vec::with_capacity(raw.len());
    for s in raw {
        match merged.last_mut() {
            Some(last) if last.0 == s.0 && last.1 == s.1 => {
                last.4 |= s.4;
                last.5 |= s.5;
                stats.duplicate_segments += 1;
            }
            _ => merged.push(s),
        }
    }

    merged
}

/// Segments in dense node indices with their lengths, stored by their dense end
/// nodes (lower first) for memory locality. They keep the orientation of
/// `merged`: `a` is the end with the lower OSM id (positions in the id-sorted
/// node list), so offsets along a segment are measured from the same end
/// whatever dense numbering the loaded subset gets.
fn dense_segments(merged: &[RawSeg], dense: &[u32], xy: &[[f64; 2]]) -> Vec<Segment> {
    let mut segments: Vec<Segment> = merged
        .iter()
        .map(|&(a, b, flags, way, a_to_b, b_to_a)| {
            let (a, b) = (dense[a as usize], dense[b as usize]);
            let (pa, pb): ([f64; 2], [f64; 2]) = (xy[a as usize], xy[b as usize]);
            #[allow(clippy::cast_possible_truncation)] // metres, f32 by design
            let len_m = (pb[0] - pa[0]).hypot(pb[1] - pa[1]) as f32;
            Segment {
                nodes: [a, b],
                len_m,
                flags,
                a_to_b,
                b_to_a,
                way,
            }
        })
        .collect();
    segments.par_sort_unstable_by_key(|s| (s.nodes[0].min(s.nodes[1]), s.nodes[0].max(s.nodes[1])));
    segments
}

/// The frozen pedestrian graph. Immutable and `Sync`: build once, share by `&`.
#[derive(Clone, Debug)]
pub struct Graph {
    osm_id: Vec<i64>,
    xy: Vec<[f64; 2]>,
    first_out: Vec<u32>,
    head: Vec<u32>,
    len_m: Vec<f32>,
    flags: Vec<EdgeFlags>,
    edge_segment: Vec<u32>,
    segments: Vec<Segment>,
    ways: Vec<WayInfo>,
    component: Vec<u32>,
    components: Vec<ComponentInfo>,
    stats: BuildStats,
    min_component_m: f64,
}

impl Graph {
    fn assemble(
        osm_id: Vec<i64>,
        xy: Vec<[f64; 2]>,
        segments: Vec<Segment>,
        ways: Vec<WayInfo>,
        stats: BuildStats,
        opts: &GraphOptions,
    ) -> Graph {
        let n = osm_id.len();
        let mut degree = vec![0u32; n + 1];
        for s in &segments {
            if s.a_to_b {
                degree[s.nodes[0] as usize + 1] += 1;
            }
            if s.b_to_a {
                degree[s.nodes[1] as usize + 1] += 1;
            }
        }
        for i in 0..n {
            degree[i + 1] += degree[i];
        }
        let first_out = degree;
        let m = first_out[n] as usize;
        let mut fill = first_out.clone();
        let mut head = vec![0u32; m];
        let mut len_m = vec![0f32; m];
        let mut flags = vec![EdgeFlags::default(); m];
        let mut edge_segment = vec![0u32; m];
        for (si, s) in segments.iter().enumerate() {
            let si = u32::try_from(si).expect("fewer than 2^32 segments");
            for (from, to, ok) in [
                (s.nodes[0], s.nodes[1], s.a_to_b),
                (s.nodes[1], s.nodes[0], s.b_to_a),
            ] {
                if ok {
                    let k = fill[from as usize] as usize;
                    fill[from as usize] += 1;
                    head[k] = to;
                    len_m[k] = s.len_m;
                    flags[k] = s.flags;
                    edge_segment[k] = si;
                }
            }
        }
        let (component, components) = components(n, &segments, opts.min_component_m);
        Graph {
            osm_id,
            xy,
            first_out,
            head,
            len_m,
            flags,
            edge_segment,
            segments,
            ways,
            component,
            components,
            stats,
            min_component_m: opts.min_component_m,
        }
    }

    /// Number of nodes.
    #[must_use]
    pub fn node_count(&self) -> usize {
        self.osm_id.len()
    }

    /// Number of directed edges (a two-way segment counts twice).
    #[must_use]
    pub fn edge_count(&self) -> usize {
        self.head.len()
    }

    /// CSR offsets: the edges leaving node `v` are `first_out[v]..first_out[v + 1]`.
    #[must_use]
    pub fn first_out(&self) -> &[u32] {
        &self.first_out
    }

    /// Head node of each directed edge.
    #[must_use]
    pub fn head(&self) -> &[u32] {
        &self.head
    }

    /// Length of each directed edge, metres.
    #[must_use]
    pub fn len_m(&self) -> &[f32] {
        &self.len_m
    }

    /// Kind of each directed edge.
    #[must_use]
    pub fn edge_flags(&self) -> &[EdgeFlags] {
        &self.flags
    }

    /// Segment each directed edge belongs to.
    #[must_use]
    pub fn edge_segment(&self) -> &[u32] {
        &self.edge_segment
    }

    /// OSM id of each node.
    #[must_use]
    pub fn osm_id(&self) -> &[i64] {
        &self.osm_id
    }

    /// Position of each node, local metres.
    #[must_use]
    pub fn node_xy(&self) -> &[[f64; 2]] {
        &self.xy
    }

    /// Length of a segment from its two node positions in f64, metres: what
    /// snap offsets measure (not the stored f32 `len_m`).
    #[must_use]
    pub fn segment_len_m(&self, seg: &Segment) -> f64 {
        let a = self.xy[seg.nodes[0] as usize];
        let b = self.xy[seg.nodes[1] as usize];
        (b[0] - a[0]).hypot(b[1] - a[1])
    }

    /// The undirected segments.
    #[must_use]
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// The ways the segments came from.
    #[must_use]
    pub fn ways(&self) -> &[WayInfo] {
        &self.ways
    }

    /// Component index of each node.
    #[must_use]
    pub fn node_component(&self) -> &[u32] {
        &self.component
    }

    /// The components, by index (index 0 holds node 0).
    #[must_use]
    pub fn components(&self) -> &[ComponentInfo] {
        &self.components
    }

    /// Whether points may snap to this segment (its component is long enough).
    #[must_use]
    pub fn segment_eligible(&self, seg: u32) -> bool {
        let a = self.segments[seg as usize].nodes[0];
        self.components[self.component[a as usize] as usize].eligible
    }

    /// Build counts.
    #[must_use]
    pub fn stats(&self) -> BuildStats {
        self.stats
    }

    /// The component length rule in force, metres.
    #[must_use]
    pub fn min_component_m(&self) -> f64 {
        self.min_component_m
    }

    /// Counts for the run report (off-network counts are filled by `Walking`).
    #[must_use]
    pub fn summary(&self) -> GraphSummary {
        let total_m: f64 = self.components.iter().map(|c| c.len_m).sum();
        let largest_nodes = self.components.iter().map(|c| c.nodes).max().unwrap_or(0);
        let largest_len = self.components.iter().map(|c| c.len_m).fold(0.0, f64::max);
        let excluded: Vec<&ComponentInfo> =
            self.components.iter().filter(|c| !c.eligible).collect();
        let share = |part: f64, whole: f64| if whole > 0.0 { part / whole } else { 0.0 };
        GraphSummary {
            nodes: self.node_count(),
            directed_edges: self.edge_count(),
            segments: self.segments.len(),
            total_length_km: total_m / 1000.0,
            components: self.components.len(),
            largest_component_node_share: share(f64::from(largest_nodes), self.node_count() as f64),
            largest_component_length_share: share(largest_len, total_m),
            min_component_m: self.min_component_m,
            excluded_components: excluded.len(),
            excluded_nodes: excluded.iter().map(|c| c.nodes as usize).sum(),
            excluded_length_km: excluded.iter().map(|c| c.len_m).sum::<f64>() / 1000.0,
            build: self.stats,
            off_network_cells: None,
            off_network_sites: None,
        }
    }
}

/// Position of `p` along a Hilbert curve of order 16 over the box `lo`–`hi`
/// (65 536 × 65 536 cells: under 1 m per cell for a 60 km city).
fn hilbert_key(p: [f64; 2], lo: [f64; 2], hi: [f64; 2]) -> u64 {
    const SIDE: u32 = 1 << 16;
    let q = |k: usize| {
        let span = (hi[k] - lo[k]).max(f64::MIN_POSITIVE);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // clamped to 0..SIDE
        let v = (((p[k] - lo[k]) / span) * f64::from(SIDE - 1))
            .round()
            .clamp(0.0, f64::from(SIDE - 1)) as u32;
        v
    };
    let (mut x, mut y) = (q(0), q(1));
    let mut d: u64 = 0;
    let mut s = SIDE / 2;
    while s > 0 {
        let rx = u32::from(x & s > 0);
        let ry = u32::from(y & s > 0);
        d += u64::from(s) * u64::from(s) * u64::from((3 * rx) ^ ry);
        if ry == 0 {
            if rx == 1 {
                x = SIDE - 1 - x;
                y = SIDE - 1 - y;
            }
            std::mem::swap(&mut x, &mut y);
        }
        s /= 2;
    }
    d
}

/// Weakly connected components by union–find; ids are numbered in order of their
/// lowest node, so they do not depend on anything but the graph.
fn components(
    n: usize,
    segments: &[Segment],
    min_component_m: f64,
) -> (Vec<u32>, Vec<ComponentInfo>) {
    fn root(parent: &mut [u32], mut v: u32) -> u32 {
        while parent[v as usize] != v {
            let p = parent[v as usize];
            parent[v as usize] = parent[p as usize];
            v = p;
        }
        v
    }
    let mut parent: Vec<u32> = (0..u32::try_from(n).expect("fewer than 2^32 nodes")).collect();
    for s in segments {
        let (ra, rb) = (root(&mut parent, s.nodes[0]), root(&mut parent, s.nodes[1]));
        if ra != rb {
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            parent[hi as usize] = lo;
        }
    }
    let mut id_of_root = vec![u32::MAX; n];
    let mut component = vec![0u32; n];
    let mut infos: Vec<ComponentInfo> = Vec::new();
    for (v, comp) in component.iter_mut().enumerate() {
        let r = root(
            &mut parent,
            u32::try_from(v).expect("fewer than 2^32 nodes"),
        ) as usize;
        if id_of_root[r] == u32::MAX {
            id_of_root[r] = u32::try_from(infos.len()).expect("fewer than 2^32 components");
            infos.push(ComponentInfo {
                nodes: 0,
                segments: 0,
                len_m: 0.0,
                eligible: false,
            });
        }
        *comp = id_of_root[r];
        infos[id_of_root[r] as usize].nodes += 1;
    }
    for s in segments {
        let c = &mut infos[component[s.nodes[0] as usize] as usize];
        c.segments += 1;
        c.len_m += f64::from(s.len_m);
    }
    for c in &mut infos {
        c.eligible = c.len_m >= min_component_m;
    }
    (component, infos)
}

/// Graph counts for the run summary.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GraphSummary {
    /// Graph nodes.
    pub nodes: usize,
    /// Directed edges.
    pub directed_edges: usize,
    /// Undirected segments.
    pub segments: usize,
    /// Total segment length, km.
    pub total_length_km: f64,
    /// Connected components.
    pub components: usize,
    /// Share of nodes in the largest component (by nodes), 0–1.
    pub largest_component_node_share: f64,
    /// Share of length in the longest component, 0–1.
    pub largest_component_length_share: f64,
    /// The component length rule, metres.
    pub min_component_m: f64,
    /// Components shorter than `min_component_m` (nothing snaps to them).
    pub excluded_components: usize,
    /// Nodes in excluded components.
    pub excluded_nodes: usize,
    /// Length of excluded components, km.
    pub excluded_length_km: f64,
    /// Ways read, skipped or partly lost, duplicates and zero-length segments.
    #[serde(flatten)]
    pub build: BuildStats,
    /// Cells with no eligible edge within the snap distance (filled by `Walking`).
    pub off_network_cells: Option<usize>,
    /// Sites that could not be attached, over all categories (filled by the caller
    /// from [`crate::analysis::distance::CategoryReach::site_used`]).
    pub off_network_sites: Option<usize>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::pedestrian::FootDirection;

    fn walk(direction: FootDirection, flags: EdgeFlags) -> Walkable {
        Walkable {
            class: 0,
            direction,
            flags,
        }
    }

    #[test]
    fn build_dedupes_and_drops_degenerate_segments() {
        let mut b = GraphBuilder::new();
        for (id, p) in [
            (1, [0.0, 0.0]),
            (2, [600.0, 0.0]),
            (3, [600.0, 800.0]),
            (4, [600.0, 800.0]),
            (9, [5.0, 5.0]),
        ] {
            b.add_node(id, p);
        }
        b.add_node(1, [99.0, 99.0]); // a repeated id keeps its first position
        // Way 20 walks 2→1 only; way 21 repeats 1–2 (tunnel, two-way) and has a self
        // loop (3,3) and a zero-length hop 3→4 (same point, different ids).
        b.add_way(
            20,
            walk(FootDirection::Forward, EdgeFlags::default()),
            &[2, 1],
        );
        b.add_way(
            21,
            walk(FootDirection::Both, EdgeFlags::TUNNEL),
            &[1, 2, 3, 3, 4],
        );
        let g = b.build(&GraphOptions {
            min_component_m: 1000.0,
        });
        // Node 9 is on no way; node 4 only ends the zero-length hop.
        let mut ids = g.osm_id().to_vec();
        ids.sort_unstable();
        assert_eq!(ids, vec![1, 2, 3]);
        let idx = |osm: i64| {
            g.osm_id()
                .iter()
                .position(|&i| i == osm)
                .expect("node kept") as u32
        };
        assert_eq!(
            g.node_xy()[idx(1) as usize],
            [0.0, 0.0],
            "first position kept"
        );
        assert_eq!(g.segments().len(), 2);
        let s12 = *g
            .segments()
            .iter()
            .find(|s| s.nodes.contains(&idx(1)))
            .expect("1–2 kept");
        assert!(s12.nodes.contains(&idx(2)));
        assert_eq!(
            g.osm_id()[s12.nodes[0] as usize],
            1,
            "oriented from the lower OSM id"
        );
        assert!(s12.a_to_b && s12.b_to_a, "directions are united");
        assert_eq!(
            s12.flags,
            EdgeFlags::default(),
            "least-flagged duplicate kept"
        );
        assert_eq!(g.ways()[s12.way as usize].osm_id, 20);
        let st = g.stats();
        assert_eq!((st.duplicate_segments, st.zero_length_segments), (1, 2));
        assert_eq!(g.edge_count(), 4);
        // CSR: OSM node 2 has edges to OSM nodes 1 and 3.
        let v = idx(2) as usize;
        let mut out: Vec<i64> = (g.first_out()[v]..g.first_out()[v + 1])
            .map(|k| g.osm_id()[g.head()[k as usize] as usize])
            .collect();
        out.sort_unstable();
        assert_eq!(out, vec![1, 3]);
        assert_eq!(g.components().len(), 1);
        assert!((g.components()[0].len_m - 1400.0).abs() < 1e-3);
        assert!(g.components()[0].eligible);
    }

    #[test]
    fn components_follow_the_length_rule() {
        let mut b = GraphBuilder::new();
        for (id, p) in [
            (1, [0.0, 0.0]),
            (2, [900.0, 0.0]),
            (3, [0.0, 500.0]),
            (4, [1200.0, 500.0]),
        ] {
            b.add_node(id, p);
        }
        b.add_way(1, walk(FootDirection::Both, EdgeFlags::default()), &[1, 2]);
        b.add_way(2, walk(FootDirection::Both, EdgeFlags::default()), &[3, 4]);
        let g = b.build(&GraphOptions::default());
        let c = g.components();
        assert_eq!(c.len(), 2);
        assert!(!c[0].eligible && c[1].eligible, "{c:?}");
        assert!(!g.segment_eligible(0) && g.segment_eligible(1));
        let s = g.summary();
        assert_eq!((s.excluded_components, s.excluded_nodes), (1, 2));
        assert!((s.total_length_km - 2.1).abs() < 1e-6);
        assert!((s.largest_component_length_share - 1200.0 / 2100.0).abs() < 1e-6);
        // The rule is a length, not "largest": with 800 m both are eligible.
        let g = {
            let mut b = GraphBuilder::new();
            for (id, p) in [
                (1, [0.0, 0.0]),
                (2, [900.0, 0.0]),
                (3, [0.0, 500.0]),
                (4, [1200.0, 500.0]),
            ] {
                b.add_node(id, p);
            }
            b.add_way(1, walk(FootDirection::Both, EdgeFlags::default()), &[1, 2]);
            b.add_way(2, walk(FootDirection::Both, EdgeFlags::default()), &[3, 4]);
            b.build(&GraphOptions {
                min_component_m: 800.0,
            })
        };
        assert!(g.components().iter().all(|c| c.eligible));
    }
}
