//! The run's walking graph, each category's shortest-path tree and every
//! attachment, encoded for the learning map's routes (`docs/MAP-DATA.md` §3.4–3.7).
//!
//! The trees are the engine's own ([`Walking::tree`]: the same seeds, arcs and
//! bound as `cells.csv`), stored as one predecessor byte per node; the page
//! recomputes distances along a route in the engine's order of f64 additions, and
//! [`encode_tree`] checks, for every reached node, that this recomputation gives
//! the engine's distance bit for bit.

use rayon::prelude::*;
use serde_json::{Value, json};

use super::pack::{pack, pack_delta};
use crate::analysis::distance::{Reach, ShortestPathTree, Walking};
use crate::base::category::{Category, WalkProfile};
use crate::base::model::{Cell, Site};
use crate::crs::LocalProjection;
use crate::network::snap::Snap;
use crate::network::{Graph, SnapOptions};

/// `pred` byte: node not reached within the bound.
const UNREACHED: u8 = 255;
/// `pred` byte: a root (its distance is a seed cost).
const ROOT: u8 = 254;
/// `pred` byte: the next segment is listed in `wide` (degree ≥ 253).
const WIDE: u8 = 253;

/// What a finished run computed with, handed down so the map can draw the walks
/// behind `cells.csv` without reading anything again.
#[derive(Clone, Copy, Debug)]
pub struct RunEngine<'a> {
    /// The walking graph (node coordinates in `proj`'s metres).
    pub graph: &'a Graph,
    /// The run's local projection.
    pub proj: &'a LocalProjection,
    /// The cells, in `cells.csv` order (local metres).
    pub cells: &'a [Cell],
    /// How cells and sites were attached.
    pub snap: SnapOptions,
    /// Categories, in the run's order.
    pub categories: &'a [Category],
    /// Search bound = threshold × this factor.
    pub search_factor: f64,
    /// Every site the run used (existing, then planned), local metres.
    pub sites: &'a [Site],
    /// Sites from this index on are planned (what-if).
    pub n_existing: usize,
}

/// The encoded network, trees and attachments.
pub(super) struct Routes {
    /// `network` (§3.5).
    pub network: Value,
    /// `trees` (§3.6), one per category.
    pub trees: Vec<Value>,
    /// The `snap_*` members of `cells` (§3.4) and `ties`.
    pub cell_fields: Vec<(&'static str, Value)>,
    /// Per site of `RunEngine::sites`: its `snap` and `snap_ties` (§3.7).
    pub site_snaps: Vec<SiteSnaps>,
    /// Per site: residents and elderly within the category's threshold.
    pub within: Vec<Within>,
}

/// Encode everything the page needs to draw routes.
///
/// # Errors
/// When a tree cannot be encoded exactly (an internal inconsistency: the page would
/// draw routes whose lengths differ from `cells.csv`).
pub(super) fn encode(e: &RunEngine<'_>) -> Result<Routes, String> {
    let cells_xy: Vec<[f64; 2]> = e.cells.iter().map(|c| c.xy).collect();
    let walking = Walking::new(e.graph, &cells_xy, e.snap);
    let inc = Incidence::new(e.graph);
    // Categories side by side (each tree is one sequential search), collected in
    // category order.
    let per_category: Vec<Result<CategoryRoutes, String>> = e
        .categories
        .par_iter()
        .map(|cat| category_routes(e, &walking, &inc, cat))
        .collect();
    let mut trees = Vec::with_capacity(e.categories.len());
    let mut site_snaps = vec![(Value::Null, json!([])); e.sites.len()];
    let mut within = vec![(0.0, None); e.sites.len()];
    for r in per_category {
        let r = r?;
        trees.push(r.tree);
        for (k, snaps, w) in r.sites {
            site_snaps[k] = snaps;
            within[k] = w;
        }
    }
    Ok(Routes {
        network: network_json(e.graph, e.proj),
        trees,
        cell_fields: cell_snap_fields(&walking, e.proj, e.cells.len()),
        site_snaps,
        within,
    })
}

/// A site's `snap` and `snap_ties` (JSON).
type SiteSnaps = (Value, Value);
/// Residents and elderly within a site's threshold.
type Within = (f64, Option<f64>);

/// One category's tree and, per site of it (index into `RunEngine::sites`), its
/// attachments and catchment.
struct CategoryRoutes {
    tree: Value,
    sites: Vec<(usize, SiteSnaps, Within)>,
}

fn category_routes(
    e: &RunEngine<'_>,
    walking: &Walking<'_>,
    inc: &Incidence,
    cat: &Category,
) -> Result<CategoryRoutes, String> {
    let own: Vec<usize> = (0..e.sites.len())
        .filter(|&k| e.sites[k].category == cat.name)
        .collect();
    let own_xy: Vec<[f64; 2]> = own.iter().map(|&k| e.sites[k].xy).collect();
    let tree = walking.tree(&own_xy, &cat.profile, cat.threshold_m * e.search_factor);
    let attachments = walking.site_attachments(&own_xy);
    let encoded = encode_tree(e.graph, inc, &tree, &cat.profile, &attachments, &own)
        .map_err(|why| format!("category {}: {why}", cat.name))?;
    drop(tree);
    let catchments = walking.catchments(&own_xy, &cat.profile, cat.threshold_m);
    let sites = own
        .iter()
        .enumerate()
        .map(|(i, &k)| {
            let snaps = match &attachments[i] {
                Ok(all) => (
                    snap_json(walking, e.proj, &all[0]),
                    Value::Array(
                        all[1..]
                            .iter()
                            .map(|s| snap_json(walking, e.proj, s))
                            .collect(),
                    ),
                ),
                Err(_) => (Value::Null, json!([])),
            };
            (k, snaps, residents(e.cells, &catchments[i]))
        })
        .collect();
    Ok(CategoryRoutes {
        tree: encoded,
        sites,
    })
}

/// Residents (and elderly) of the cells in one site's catchment.
fn residents(cells: &[Cell], catchment: &[(u32, f32)]) -> (f64, Option<f64>) {
    let mut pop = 0.0;
    let mut eld: Option<f64> = None;
    for &(c, _) in catchment {
        let cell = &cells[c as usize];
        pop += cell.population;
        if let Some(x) = cell.elderly {
            *eld.get_or_insert(0.0) += x;
        }
    }
    (pop, eld)
}

/// Node → incident segments (every segment with `a == v` or `b == v`, in
/// increasing segment index): the list the page builds the same way.
struct Incidence {
    first: Vec<u32>,
    list: Vec<u32>,
}

impl Incidence {
    fn new(g: &Graph) -> Self {
        let n = g.node_count();
        let mut first = vec![0u32; n + 1];
        for s in g.segments() {
            first[s.nodes[0] as usize + 1] += 1;
            first[s.nodes[1] as usize + 1] += 1;
        }
        for v in 0..n {
            first[v + 1] += first[v];
        }
        let mut fill: Vec<u32> = first[..n].to_vec();
        let mut list = vec![0u32; first[n] as usize];
        for (i, s) in g.segments().iter().enumerate() {
            for v in s.nodes {
                list[fill[v as usize] as usize] =
                    u32::try_from(i).expect("fewer than 2^32 segments");
                fill[v as usize] += 1;
            }
        }
        Self { first, list }
    }

    fn of(&self, v: u32) -> &[u32] {
        &self.list[self.first[v as usize] as usize..self.first[v as usize + 1] as usize]
    }
}

/// The f32 cost of either arc of segment `s` for `profile` (as the search's arcs).
fn arc_m(g: &Graph, s: u32, profile: &WalkProfile) -> f64 {
    let seg = &g.segments()[s as usize];
    #[allow(clippy::cast_possible_truncation)] // f32 like the search's arcs
    let c = if !seg.flags.is_steps() {
        seg.len_m
    } else if profile.step_free {
        f32::INFINITY
    } else {
        (f64::from(seg.len_m) * profile.step_factor) as f32
    };
    f64::from(c)
}

/// The along-segment cost of `x` metres on segment `s` (`ProfileCosts::along`).
fn along_m(g: &Graph, s: u32, profile: &WalkProfile, x: f64) -> f64 {
    if !g.segments()[s as usize].flags.is_steps() {
        x
    } else if profile.step_free {
        f64::INFINITY
    } else {
        x * profile.step_factor
    }
}

/// One category's tree as `pred` bytes, `wide` and the root lists; checks that the
/// page's recomputation of every reached node's distance is the engine's, bit for bit.
fn encode_tree(
    g: &Graph,
    inc: &Incidence,
    tree: &ShortestPathTree,
    profile: &WalkProfile,
    attachments: &[Result<Vec<Snap>, crate::network::snap::OffNetwork>],
    own: &[usize],
) -> Result<Value, String> {
    let dist = tree.dist_m();
    let n = dist.len();
    let mut pred = vec![UNREACHED; n];
    let mut wide = Vec::new();
    let (mut root_node, mut root_site, mut root_snap) = (Vec::new(), Vec::new(), Vec::new());
    for v in 0..n {
        if !dist[v].is_finite() {
            continue;
        }
        let vu = u32::try_from(v).expect("fewer than 2^32 nodes");
        if let Some((site, snap)) = tree.root_attachment(vu) {
            let all = attachments[site]
                .as_ref()
                .map_err(|_| "a root of an unattached site")?;
            let j = all
                .iter()
                .position(|s| *s == snap)
                .ok_or("a root's attachment is not its site's")?;
            pred[v] = ROOT;
            root_node.push(vu);
            root_site.push(u32::try_from(own[site]).expect("fewer than 2^32 sites"));
            root_snap.push(u8::try_from(j).unwrap_or(u8::MAX));
            continue;
        }
        let w = tree.next()[v];
        let list = inc.of(vu);
        let j = list
            .iter()
            .position(|&s| {
                let seg = &g.segments()[s as usize];
                let other = if seg.nodes[0] == vu {
                    seg.nodes[1]
                } else {
                    seg.nodes[0]
                };
                other == w && dist[w as usize] + arc_m(g, s, profile) == dist[v]
            })
            .ok_or_else(|| format!("node {v}: no segment to its parent {w} gives its distance"))?;
        match u8::try_from(j) {
            Ok(b) if b < WIDE => pred[v] = b,
            _ => {
                pred[v] = WIDE;
                wide.push(json!([vu, list[j]]));
            }
        }
    }
    check_tree(g, inc, tree, profile, attachments, &pred, &wide)?;
    Ok(json!({
        "pred": pack(&pred),
        "wide": wide,
        "root_node": pack_delta(&root_node),
        "root_site": pack(&root_site),
        "root_snap": pack(&root_snap),
    }))
}

/// Recompute every reached node's distance as the page does (`docs/MAP-DATA.md`
/// §3.6: root = seed cost, else parent + arc) and compare bits with the engine's.
fn check_tree(
    g: &Graph,
    inc: &Incidence,
    tree: &ShortestPathTree,
    profile: &WalkProfile,
    attachments: &[Result<Vec<Snap>, crate::network::snap::OffNetwork>],
    pred: &[u8],
    wide: &[Value],
) -> Result<(), String> {
    let dist = tree.dist_m();
    let mut memo: Vec<f64> = vec![f64::NAN; dist.len()];
    let next_seg = |v: u32| -> u32 {
        let p = pred[v as usize];
        if p == WIDE {
            wide.iter()
                .find(|e| e[0].as_u64() == Some(u64::from(v)))
                .and_then(|e| e[1].as_u64())
                .map_or(u32::MAX, |s| u32::try_from(s).unwrap_or(u32::MAX))
        } else {
            inc.of(v)[usize::from(p)]
        }
    };
    let mut stack = Vec::new();
    for v0 in 0..dist.len() {
        if pred[v0] == UNREACHED || !memo[v0].is_nan() {
            continue;
        }
        let mut v = u32::try_from(v0).expect("fewer than 2^32 nodes");
        // Walk up to a root or a node already computed, then unwind.
        let mut d = loop {
            if !memo[v as usize].is_nan() {
                break memo[v as usize];
            }
            if pred[v as usize] == ROOT {
                let (site, snap) = tree.root_attachment(v).ok_or("a root without a seed")?;
                debug_assert!(attachments[site].is_ok());
                let seg = &g.segments()[snap.segment as usize];
                let len = g.segment_len_m(seg);
                let e = if seg.nodes[0] == v {
                    snap.offset_m
                } else {
                    (len - snap.offset_m).max(0.0)
                };
                let d = snap.access_m + along_m(g, snap.segment, profile, e);
                memo[v as usize] = d;
                break d;
            }
            let s = next_seg(v);
            if s == u32::MAX || stack.len() > dist.len() {
                return Err(format!("broken tree at node {v}"));
            }
            stack.push((v, s));
            let seg = &g.segments()[s as usize];
            v = if seg.nodes[0] == v {
                seg.nodes[1]
            } else {
                seg.nodes[0]
            };
        };
        while let Some((u, s)) = stack.pop() {
            d += arc_m(g, s, profile);
            memo[u as usize] = d;
        }
    }
    for (v, (&m, &d)) in memo.iter().zip(dist).enumerate() {
        if d.is_finite() && m.to_bits() != d.to_bits() {
            return Err(format!("node {v}: recomputed {m} m, engine {d} m"));
        }
    }
    Ok(())
}

/// `{"seg", "access_m", "along_a_m", "along_b_m", "lon", "lat"}` of one attachment.
fn snap_json(w: &Walking<'_>, proj: &LocalProjection, s: &Snap) -> Value {
    let (lon, lat) = proj.inverse(s.point);
    json!({
        "seg": s.segment,
        "access_m": s.access_m,
        "along_a_m": s.offset_m,
        "along_b_m": (w.segment_len_m(s.segment) - s.offset_m).max(0.0),
        "lon": lon,
        "lat": lat,
    })
}

/// `round(degrees × 1e7)` as i32.
#[allow(clippy::cast_possible_truncation)] // |degrees| ≤ 180: fits
pub(super) fn e7(deg: f64) -> i32 {
    (deg * 1e7).round() as i32
}

/// The cells' canonical attachments as packed arrays, and their tied ones as
/// `ties`: `[cell, seg, access_m, along_a_m, along_b_m, lon_e7, lat_e7]`.
fn cell_snap_fields(
    w: &Walking<'_>,
    proj: &LocalProjection,
    n: usize,
) -> Vec<(&'static str, Value)> {
    let mut seg = vec![-1i32; n];
    let (mut acc, mut la, mut lb) = (vec![0.0f64; n], vec![0.0f64; n], vec![0.0f64; n]);
    let (mut lon, mut lat) = (vec![0i32; n], vec![0i32; n]);
    let mut ties = Vec::new();
    for c in 0..n {
        for (t, s) in w.cell_attachments(c).enumerate() {
            let along_b = (w.segment_len_m(s.segment) - s.offset_m).max(0.0);
            let (x, y) = proj.inverse(s.point);
            if t == 0 {
                seg[c] = i32::try_from(s.segment).expect("fewer than 2^31 segments");
                (acc[c], la[c], lb[c]) = (s.access_m, s.offset_m, along_b);
                (lon[c], lat[c]) = (e7(x), e7(y));
            } else {
                ties.push(json!([
                    c,
                    s.segment,
                    s.access_m,
                    s.offset_m,
                    along_b,
                    e7(x),
                    e7(y)
                ]));
            }
        }
    }
    vec![
        ("snap_seg", json!(pack(&seg))),
        ("snap_access_m", json!(pack(&acc))),
        ("snap_along_a_m", json!(pack(&la))),
        ("snap_along_b_m", json!(pack(&lb))),
        ("snap_lon_e7", json!(pack_delta(&lon))),
        ("snap_lat_e7", json!(pack_delta(&lat))),
        ("ties", Value::Array(ties)),
    ]
}

/// `network` (§3.5): node positions and segments with their flags.
fn network_json(g: &Graph, proj: &LocalProjection) -> Value {
    let (lon, lat): (Vec<i32>, Vec<i32>) = g
        .node_xy()
        .iter()
        .map(|p| {
            let (x, y) = proj.inverse(*p);
            (e7(x), e7(y))
        })
        .unzip();
    let segs = g.segments();
    let seg_a: Vec<u32> = segs.iter().map(|s| s.nodes[0]).collect();
    let seg_b: Vec<u32> = segs.iter().map(|s| s.nodes[1]).collect();
    let len: Vec<f32> = segs.iter().map(|s| s.len_m).collect();
    let ways = g.ways();
    let flags: Vec<u8> = segs
        .iter()
        .map(|s| {
            let footway = ways.get(s.way as usize).is_none_or(|w| {
                crate::present::charts::context::RoadClass::of(w.highway())
                    == crate::present::charts::context::RoadClass::Footway
            });
            u8::from(s.a_to_b)
                | u8::from(s.b_to_a) << 1
                | u8::from(s.flags.is_steps()) << 2
                | u8::from(footway) << 3
                | u8::from(s.flags.is_non_surface()) << 4
        })
        .collect();
    json!({
        "nodes": g.node_count(),
        "node_lon_e7": pack_delta(&lon),
        "node_lat_e7": pack_delta(&lat),
        "segs": segs.len(),
        "seg_a": pack_delta(&seg_a),
        "seg_b": pack(&seg_b),
        "seg_len_m": pack(&len),
        "seg_flags": pack(&flags),
    })
}
