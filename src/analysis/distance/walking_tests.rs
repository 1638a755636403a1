//! Tests of the walking engine: an independent reference (explicit graph with a
//! virtual node at every snap point, brute-force snapping, textbook O(V²) Dijkstra)
//! on seeded random networks, properties, profiles, thread-count independence, and
//! constructed snapping cases.

#![allow(clippy::needless_range_loop)] // index loops read better over parallel arrays

use proptest::prelude::*;

use super::*;
use crate::network::graph::{GraphBuilder, GraphOptions};
use crate::network::pedestrian::{EdgeFlags, FootDirection, Walkable};
use crate::network::snap::closest_on_segment;

pub(super) fn lcg(state: &mut u64) -> f64 {
    *state = state
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    (*state >> 11) as f64 / (1u64 << 53) as f64
}

const SEED_1: u64 = 0x00C0_FFEE;
const SEED_2: u64 = 0xBADC_0DE5;

fn way(direction: FootDirection, flags: EdgeFlags) -> Walkable {
    let class = if flags.is_steps() { 3 } else { 0 };
    Walkable {
        class,
        direction,
        flags,
    }
}

/// A jittered grid of streets (`side` × `side` nodes, 100 m apart) with random steps,
/// tunnels, elevated ways and `oneway:foot`, some streets missing, plus a 50 m island
/// far away. Returns the graph and a description for assertion messages.
pub(super) fn random_network(state: &mut u64, side: usize) -> (Graph, String) {
    let mut b = GraphBuilder::new();
    let id = |i: usize, j: usize| (i * side + j) as i64;
    for i in 0..side {
        for j in 0..side {
            b.add_node(
                id(i, j),
                [
                    i as f64 * 100.0 + lcg(state) * 40.0 - 20.0,
                    j as f64 * 100.0 + lcg(state) * 40.0 - 20.0,
                ],
            );
        }
    }
    let mut desc = String::new();
    let mut w = 0i64;
    let mut add = |b: &mut GraphBuilder, state: &mut u64, p: i64, q: i64| {
        let r = lcg(state);
        let flags = if r < 0.1 {
            EdgeFlags::STEPS
        } else if r < 0.2 {
            EdgeFlags::TUNNEL
        } else if r < 0.25 {
            EdgeFlags::ELEVATED
        } else {
            EdgeFlags::default()
        };
        let r = lcg(state);
        let direction = if r < 0.08 {
            FootDirection::Forward
        } else if r < 0.13 {
            FootDirection::Backward
        } else {
            FootDirection::Both
        };
        desc.push_str(&format!("{p}-{q}:{direction:?}:{} ", flags.names()));
        b.add_way(w, way(direction, flags), &[p, q]);
        w += 1;
    };
    for i in 0..side {
        for j in 0..side {
            if i + 1 < side && lcg(state) < 0.85 {
                add(&mut b, state, id(i, j), id(i + 1, j));
            }
            if j + 1 < side && lcg(state) < 0.85 {
                add(&mut b, state, id(i, j), id(i, j + 1));
            }
            if i + 1 < side && j + 1 < side && lcg(state) < 0.1 {
                add(&mut b, state, id(i, j), id(i + 1, j + 1));
            }
        }
    }
    let island = (side * side) as i64;
    b.add_node(island, [5000.0, 5000.0]);
    b.add_node(island + 1, [5050.0, 5000.0]);
    add(&mut b, state, island, island + 1);
    (b.build(&GraphOptions::default()), desc)
}

// ---------------------------------------------------------------------------------
// The reference: brute-force snapping + explicit graph + textbook Dijkstra.
// ---------------------------------------------------------------------------------

/// Brute-force snapping with the documented rule: nearest eligible segment `d0`;
/// the nearest preferred one if within `d0 + margin` (and `max`); every segment of
/// that kind within 1 cm of it is attached too, `(segment, offset, access)` each,
/// the canonical one (nearest, then lowest pair of OSM node ids) first.
fn reference_snap(g: &Graph, opts: SnapOptions, p: [f64; 2]) -> Option<Vec<(u32, f64, f64)>> {
    let xy = g.node_xy();
    let mut cands = Vec::new();
    for (i, s) in g.segments().iter().enumerate() {
        let seg = i as u32;
        if !g.segment_eligible(seg) {
            continue;
        }
        let (a, b) = (xy[s.nodes[0] as usize], xy[s.nodes[1] as usize]);
        let (off, q) = closest_on_segment(a, b, p);
        let d = (q[0] - p[0]).hypot(q[1] - p[1]);
        cands.push((d, seg, off, s.flags.is_preferred_for_snapping()));
    }
    let key = |seg: u32| {
        let s = &g.segments()[seg as usize];
        let (a, b) = (
            g.osm_id()[s.nodes[0] as usize],
            g.osm_id()[s.nodes[1] as usize],
        );
        (a.min(b), a.max(b))
    };
    let best = |it: &mut dyn Iterator<Item = &(f64, u32, f64, bool)>| {
        it.min_by(|x, y| x.0.total_cmp(&y.0).then(key(x.1).cmp(&key(y.1))))
            .copied()
    };
    let any = best(&mut cands.iter())?;
    if any.0 > opts.max_snap_m {
        return None;
    }
    let limit = (any.0 + opts.surface_margin_m).min(opts.max_snap_m);
    let pref = best(&mut cands.iter().filter(|c| c.3 && c.0 <= limit));
    let c = pref.unwrap_or(any);
    let mut all: Vec<(u32, f64, f64)> = cands
        .iter()
        .filter(|x| x.0 <= c.0 + 0.01 && (pref.is_none() || x.3) && x.1 != c.1)
        .map(|x| (x.1, x.2, x.0))
        .collect();
    all.insert(0, (c.1, c.2, c.0));
    Some(all)
}

/// Cell → nearest site and count of sites within `threshold`, on an explicit graph
/// where every snap point is a vertex, by textbook O(V²) Dijkstra from each cell.
fn reference_reach(
    g: &Graph,
    opts: SnapOptions,
    cells: &[[f64; 2]],
    sites: &[[f64; 2]],
    profile: &WalkProfile,
    threshold: f64,
    bound: f64,
) -> (Vec<Option<f64>>, Vec<u32>) {
    let n = g.node_count();
    // Vertices: graph nodes, then per point: the point itself, then one per
    // attachment (its snap point on that segment).
    let points: Vec<[f64; 2]> = cells.iter().chain(sites).copied().collect();
    let snaps: Vec<Option<Vec<(u32, f64, f64)>>> =
        points.iter().map(|p| reference_snap(g, opts, *p)).collect();
    let mut own = Vec::new();
    // (point, vertex, segment, offset, access) per attachment.
    let mut attach = Vec::new();
    let mut nv = n;
    for (pi, sn) in snaps.iter().enumerate() {
        own.push(nv);
        nv += 1;
        for &(seg, off, acc) in sn.iter().flatten() {
            attach.push((pi, nv, seg, off, acc));
            nv += 1;
        }
    }
    let mut adj: Vec<Vec<(usize, f64)>> = vec![Vec::new(); nv];
    let xy = g.node_xy();
    let factor = |s: &crate::network::Segment| {
        if s.flags.is_steps() {
            if profile.step_free {
                f64::INFINITY
            } else {
                profile.step_factor
            }
        } else {
            1.0
        }
    };
    for (si, s) in g.segments().iter().enumerate() {
        let (a, b) = (xy[s.nodes[0] as usize], xy[s.nodes[1] as usize]);
        let len = (b[0] - a[0]).hypot(b[1] - a[1]);
        // Chain a → snap points (by offset) → b.
        let mut chain: Vec<(f64, usize)> = vec![(0.0, s.nodes[0] as usize)];
        for &(_, v, seg, off, _) in &attach {
            if seg as usize == si {
                chain.push((off, v));
            }
        }
        chain.push((len, s.nodes[1] as usize));
        chain.sort_by(|x, y| x.0.total_cmp(&y.0));
        for w in chain.windows(2) {
            let cost = (w[1].0 - w[0].0) * factor(s);
            if s.a_to_b {
                adj[w[0].1].push((w[1].1, cost));
            }
            if s.b_to_a {
                adj[w[1].1].push((w[0].1, cost));
            }
        }
    }
    for &(pi, v, _, _, access) in &attach {
        if pi < cells.len() {
            adj[own[pi]].push((v, access));
        } else {
            adj[v].push((own[pi], access));
        }
    }
    let mut dist_out = Vec::new();
    let mut count_out = Vec::new();
    for ci in 0..cells.len() {
        let mut dist = vec![f64::INFINITY; nv];
        let mut done = vec![false; nv];
        dist[own[ci]] = 0.0;
        loop {
            let mut u = usize::MAX;
            for v in 0..nv {
                if !done[v] && dist[v].is_finite() && (u == usize::MAX || dist[v] < dist[u]) {
                    u = v;
                }
            }
            if u == usize::MAX {
                break;
            }
            done[u] = true;
            for &(w, c) in &adj[u] {
                if dist[u] + c < dist[w] {
                    dist[w] = dist[u] + c;
                }
            }
        }
        let site_d: Vec<f64> = (0..sites.len())
            .map(|si| dist[own[cells.len() + si]])
            .collect();
        let nearest = site_d.iter().copied().fold(f64::INFINITY, f64::min);
        dist_out.push((snaps[ci].is_some() && nearest <= bound).then_some(nearest));
        count_out.push(if snaps[ci].is_some() {
            site_d.iter().filter(|d| **d <= threshold).count() as u32
        } else {
            0
        });
    }
    (dist_out, count_out)
}

pub(super) fn random_points(state: &mut u64, k: usize, side: usize) -> Vec<[f64; 2]> {
    let span = side as f64 * 100.0 + 100.0;
    (0..k)
        .map(|_| [lcg(state) * span - 100.0, lcg(state) * span - 100.0])
        .collect()
}

#[test]
fn engine_matches_independent_reference_on_random_networks() {
    let mut s = SEED_1;
    let profiles = [
        WalkProfile::ADULT,
        WalkProfile::ELDERLY,
        WalkProfile {
            speed_m_per_s: 1.0,
            step_free: true,
            step_factor: 1.0,
        },
    ];
    let (mut reached, mut counted, mut total) = (0, 0, 0);
    for round in 0..12 {
        let side = 4 + round % 4;
        let (g, desc) = random_network(&mut s, side);
        let opts = SnapOptions {
            max_snap_m: 40.0 + lcg(&mut s) * 40.0,
            surface_margin_m: lcg(&mut s) * 40.0,
        };
        let mut cells = random_points(&mut s, 40, side);
        cells.push([5010.0, 5005.0]); // next to the island
        let sites = random_points(&mut s, 1 + round % 5, side);
        let profile = profiles[round % 3];
        let threshold = 150.0 + lcg(&mut s) * 450.0;
        let bound = threshold * 1.5;
        let w = Walking::new(&g, &cells, opts);
        // Snaps agree with the brute-force rule.
        for (p, got) in cells.iter().zip(w.cell_snaps()) {
            let want = reference_snap(&g, opts, *p).map(|all| all[0]);
            match (got, want) {
                (Ok(sn), Some((seg, off, acc))) => {
                    assert_eq!(sn.segment, seg, "round {round} point {p:?}; {desc}");
                    assert!((sn.offset_m - off).abs() < 1e-9 && (sn.access_m - acc).abs() < 1e-9);
                }
                (Err(_), None) => {}
                _ => panic!("round {round} point {p:?}: engine {got:?} reference {want:?}; {desc}"),
            }
        }
        let r = w.category_reach(&sites, &profile, threshold, bound);
        let (want_d, want_k) =
            reference_reach(&g, opts, &cells, &sites, &profile, threshold, bound);
        for i in 0..cells.len() {
            let ctx = || {
                format!(
                    "round {round} cell {i} {:?} sites {sites:?} profile {profile:?}; graph {desc}",
                    cells[i]
                )
            };
            match (r.dist_m[i], want_d[i]) {
                (Some(a), Some(b)) => assert!((a - b).abs() < 1e-3, "{a} vs {b}: {}", ctx()),
                (None, None) => {}
                (a, b) => {
                    // Only acceptable within rounding of the bound.
                    let v = a.or(b).expect("one side is Some");
                    assert!((v - bound).abs() < 1e-3, "{a:?} vs {b:?}: {}", ctx());
                }
            }
            if r.sites_within[i] != want_k[i] {
                // Only acceptable when a site sits within rounding of the threshold.
                let near = want_d[i].is_some_and(|d| (d - threshold).abs() < 1e-2);
                assert!(
                    near,
                    "count {} vs {}: {}",
                    r.sites_within[i],
                    want_k[i],
                    ctx()
                );
            }
        }
        total += cells.len();
        reached += r.dist_m.iter().filter(|d| d.is_some()).count();
        counted += r.sites_within.iter().filter(|k| **k > 0).count();
        // The island cell is off-network, for the stated reason.
        let last = w.cell_snaps().last().expect("cells are not empty");
        assert!(
            matches!(last, Err(OffNetwork::OnlySmallComponents { .. })),
            "{last:?}"
        );
        assert_eq!(r.site_used.len(), sites.len());
    }
    // The comparison is not vacuous: many cells are reached and counted, not all.
    assert!(
        reached > total / 5 && reached < total,
        "{reached} of {total} reached"
    );
    assert!(counted > total / 10, "{counted} of {total} counted");
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let mut s = SEED_2;
    let (g, _) = random_network(&mut s, 14);
    let cells = random_points(&mut s, 3000, 14);
    let sites = random_points(&mut s, 40, 14);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a thread pool can be built");
        pool.install(|| {
            let w = Walking::new(&g, &cells, SnapOptions::default());
            let a = w.category_reach(&sites, &WalkProfile::ADULT, 400.0, 900.0);
            let b = w.category_reach(&sites, &WalkProfile::ELDERLY, 300.0, 600.0);
            (w.cell_off_network(), a, b)
        })
    };
    let one = run(1);
    let four = run(4);
    assert_eq!(one, four);
    assert!(
        one.1.sites_within.iter().any(|k| *k > 1),
        "the test must exercise overlapping catchments"
    );
}

fn straight_min(c: [f64; 2], sites: &[[f64; 2]]) -> f64 {
    sites
        .iter()
        .map(|t| (t[0] - c[0]).hypot(t[1] - c[1]))
        .fold(f64::INFINITY, f64::min)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Adding a site never increases any distance nor decreases any count, and the
    /// network distance is never shorter than the straight line.
    #[test]
    fn adding_a_site_never_increases_a_distance(seed in any::<u64>(), extra in (0.0f64..600.0, 0.0f64..600.0)) {
        let mut s = seed;
        let (g, desc) = random_network(&mut s, 6);
        let cells = random_points(&mut s, 60, 6);
        let sites = random_points(&mut s, 3, 6);
        let w = Walking::new(&g, &cells, SnapOptions::default());
        let before = w.category_reach(&sites, &WalkProfile::ELDERLY, 300.0, 800.0);
        let mut more = sites.clone();
        more.push([extra.0, extra.1]);
        let after = w.category_reach(&more, &WalkProfile::ELDERLY, 300.0, 800.0);
        for i in 0..cells.len() {
            let b = before.dist_m[i].unwrap_or(f64::INFINITY);
            let a = after.dist_m[i].unwrap_or(f64::INFINITY);
            prop_assert!(a <= b, "cell {i}: {a} > {b}; {desc}");
            prop_assert!(after.sites_within[i] >= before.sites_within[i]);
            if let Some(d) = after.dist_m[i] {
                let used: Vec<[f64; 2]> = more.iter().zip(&after.site_used).filter(|(_, u)| **u).map(|(p, _)| *p).collect();
                let straight = straight_min(cells[i], &used);
                prop_assert!(d >= straight * (1.0 - 1e-6) - 1e-6, "cell {i}: network {d} < straight {straight}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------
// Constructed cases.
// ---------------------------------------------------------------------------------

pub(super) fn street(b: &mut GraphBuilder, id: i64, flags: EdgeFlags, refs: &[i64]) {
    b.add_way(id, way(FootDirection::Both, flags), refs);
}

/// A point right above an underground passage attaches to the street 12 m away, not
/// to the tunnel 2 m below it; the tunnel still carries walkers.
#[test]
fn a_point_above_a_tunnel_attaches_to_the_street() {
    let mut b = GraphBuilder::new();
    // Street along y = 0 from x = 0 to 1000; a pedestrian tunnel along y = 14 from
    // x = 200 to 800, joined to the street at both ends.
    for (id, p) in [
        (1, [0.0, 0.0]),
        (2, [200.0, 0.0]),
        (3, [800.0, 0.0]),
        (4, [1000.0, 0.0]),
        (5, [200.0, 14.0]),
        (6, [800.0, 14.0]),
    ] {
        b.add_node(id, p);
    }
    street(&mut b, 10, EdgeFlags::default(), &[1, 2, 3, 4]);
    street(&mut b, 11, EdgeFlags::TUNNEL, &[2, 5, 6, 3]);
    let g = b.build(&GraphOptions::default());
    let cell = [500.0, 12.0];
    let w = Walking::new(&g, &[cell], SnapOptions::default());
    let snap = w.cell_snaps()[0].expect("the street is within reach");
    let seg = g.segments()[snap.segment as usize];
    assert!(!seg.flags.is_non_surface(), "attached to {seg:?}");
    assert!(
        (snap.access_m - 12.0).abs() < 1e-9 && (snap.point[1]).abs() < 1e-9,
        "{snap:?}"
    );
    // With no margin the tunnel (2 m) wins: the margin is what makes the difference.
    let w0 = Walking::new(
        &g,
        &[cell],
        SnapOptions {
            max_snap_m: 300.0,
            surface_margin_m: 0.0,
        },
    );
    let snap0 = w0.cell_snaps()[0].expect("the tunnel is within reach");
    assert!(g.segments()[snap0.segment as usize].flags.is_non_surface());
    assert!((snap0.access_m - 2.0).abs() < 1e-9);
    // Far from any street (beyond the margin), a point inside the passage network
    // does attach to it: nearest tunnel 1 m, street 61 m away.
    let mut b = GraphBuilder::new();
    for (id, p) in [
        (1, [0.0, 0.0]),
        (2, [1000.0, 0.0]),
        (3, [0.0, 60.0]),
        (4, [1000.0, 60.0]),
    ] {
        b.add_node(id, p);
    }
    street(&mut b, 1, EdgeFlags::default(), &[1, 2]);
    street(&mut b, 2, EdgeFlags::INDOOR, &[3, 4, 2]);
    let g = b.build(&GraphOptions::default());
    let w = Walking::new(&g, &[[500.0, 61.0]], SnapOptions::default());
    let snap = w.cell_snaps()[0].expect("within reach");
    assert!(
        g.segments()[snap.segment as usize]
            .flags
            .contains(EdgeFlags::INDOOR)
    );
}

/// Door-to-door edge snapping against node snapping on one 400 m street block.
#[test]
fn edge_snapping_differs_from_node_snapping() {
    let mut b = GraphBuilder::new();
    for (id, p) in [
        (1, [0.0, 0.0]),
        (2, [400.0, 0.0]),
        (3, [400.0, 400.0]),
        (4, [0.0, 400.0]),
    ] {
        b.add_node(id, p);
    }
    street(&mut b, 1, EdgeFlags::default(), &[1, 2, 3, 4, 1]);
    let g = b.build(&GraphOptions::default());
    let cell = [190.0, 10.0];
    let site = [215.0, 10.0];
    let w = Walking::new(&g, &[cell], SnapOptions::default());
    let r = w.category_reach(&[site], &WalkProfile::ADULT, 1000.0, 2000.0);
    // Edge snapping: 10 m to the street, 25 m along it, 10 m to the door.
    let edge = r.dist_m[0].expect("reachable");
    assert!((edge - 45.0).abs() < 1e-4, "{edge}");
    // Node snapping (nearest junction, as many tools do): the cell goes to (0,0),
    // 190.26 m away, the site to (400,0), 185.27 m away, 400 m apart along the street.
    let node_of = |p: [f64; 2]| {
        g.node_xy()
            .iter()
            .enumerate()
            .min_by(|x, y| {
                (x.1[0] - p[0])
                    .hypot(x.1[1] - p[1])
                    .total_cmp(&(y.1[0] - p[0]).hypot(y.1[1] - p[1]))
            })
            .map(|(i, q)| (i as u32, (q[0] - p[0]).hypot(q[1] - p[1])))
            .expect("graph has nodes")
    };
    let (nc, ac) = node_of(cell);
    let (ns, as_) = node_of(site);
    let mut scratch = crate::network::SearchScratch::new(g.node_count());
    crate::network::dijkstra_bounded(&g, &[(nc, 0.0)], f64::INFINITY, &mut scratch);
    let node = ac + scratch.dist(ns).expect("connected") + as_;
    assert!((node - (190.263 + 400.0 + 185.270)).abs() < 1e-2, "{node}");
    assert!(node > 17.0 * edge);
}

/// Steps: the elderly profile doubles their length, step-free avoids them.
#[test]
fn profiles_price_steps() {
    let mut b = GraphBuilder::new();
    // A 100 m flight of steps from A to B, and a 250 m step-free ramp around.
    for (id, p) in [(1, [0.0, 0.0]), (2, [100.0, 0.0]), (3, [50.0, 97.98])] {
        b.add_node(id, p);
    }
    street(&mut b, 1, EdgeFlags::STEPS, &[1, 2]);
    street(&mut b, 2, EdgeFlags::default(), &[1, 3, 2]);
    // A longer approach so the component is over 1000 m.
    b.add_node(4, [-800.0, 0.0]);
    b.add_node(5, [900.0, 0.0]);
    street(&mut b, 3, EdgeFlags::default(), &[4, 1]);
    street(&mut b, 4, EdgeFlags::default(), &[2, 5]);
    let g = b.build(&GraphOptions::default());
    let cell = [-300.0, 0.0];
    let site = [400.0, 0.0];
    let w = Walking::new(&g, &[cell], SnapOptions::default());
    let ramp = 2.0 * 50f64.hypot(97.98);
    let d = |p: WalkProfile| {
        w.category_reach(&[site], &p, 5000.0, 5000.0).dist_m[0].expect("reachable")
    };
    // 300 m to the steps, 100 m of steps, 300 m to the site.
    assert!(
        (d(WalkProfile::ADULT) - 700.0).abs() < 1e-3,
        "{}",
        d(WalkProfile::ADULT)
    );
    assert!(
        (d(WalkProfile::ELDERLY) - 800.0).abs() < 1e-3,
        "{}",
        d(WalkProfile::ELDERLY)
    );
    let free = WalkProfile {
        speed_m_per_s: 0.8,
        step_free: true,
        step_factor: 1.0,
    };
    assert!((d(free) - (600.0 + ramp)).abs() < 1e-3, "{}", d(free));
}

/// `oneway:foot` is honoured from the resident's side.
#[test]
fn oneway_foot_is_directional() {
    let mut b = GraphBuilder::new();
    for (id, p) in [
        (1, [0.0, 0.0]),
        (2, [600.0, 0.0]),
        (3, [600.0, 600.0]),
        (4, [0.0, 600.0]),
    ] {
        b.add_node(id, p);
    }
    b.add_way(
        1,
        way(FootDirection::Forward, EdgeFlags::default()),
        &[1, 2],
    );
    street(&mut b, 2, EdgeFlags::default(), &[2, 3, 4, 1]);
    let g = b.build(&GraphOptions::default());
    let a = [100.0, 0.0];
    let z = [500.0, 0.0];
    let w = Walking::new(&g, &[a, z], SnapOptions::default());
    let r = w.category_reach(&[z], &WalkProfile::ADULT, 5000.0, 5000.0);
    assert!((r.dist_m[0].expect("reachable") - 400.0).abs() < 1e-3); // with the flow
    let r = w.category_reach(&[a], &WalkProfile::ADULT, 5000.0, 5000.0);
    assert!((r.dist_m[1].expect("reachable") - 2000.0).abs() < 1e-3); // around the block
}

#[test]
fn every_site_off_network_is_explicit() {
    let mut s = SEED_1;
    let (g, _) = random_network(&mut s, 5);
    let cells = random_points(&mut s, 30, 5);
    let w = Walking::new(&g, &cells, SnapOptions::default());
    let sites = [[20_000.0, 0.0], [5020.0, 5001.0]];
    let r = w.category_reach(&sites, &WalkProfile::ADULT, 800.0, 1600.0);
    assert_eq!(r.site_used, vec![false, false]);
    assert!(r.dist_m.iter().all(Option::is_none));
    assert!(r.sites_within.iter().all(|k| *k == 0));
    let snaps = w.site_snaps(&sites);
    assert!(
        matches!(snaps[0], Err(OffNetwork::TooFar { nearest_m: Some(d) }) if d > 10_000.0),
        "{:?}",
        snaps[0]
    );
    assert!(
        matches!(snaps[1], Err(OffNetwork::OnlySmallComponents { .. })),
        "{:?}",
        snaps[1]
    );
    assert!(w.summary().off_network_cells.is_some());
}

#[test]
fn no_sites_and_no_cells_are_fine() {
    let mut s = SEED_2;
    let (g, _) = random_network(&mut s, 4);
    let w = Walking::new(&g, &[], SnapOptions::default());
    let r = w.category_reach(&[[10.0, 10.0]], &WalkProfile::ADULT, 800.0, 1600.0);
    assert!(r.dist_m.is_empty() && r.sites_within.is_empty());
    let w = Walking::new(&g, &[[10.0, 10.0]], SnapOptions::default());
    let r = w.category_reach(&[], &WalkProfile::ADULT, 800.0, 1600.0);
    assert_eq!(r.dist_m, vec![None]);
    // Non-finite coordinates are off-network, not a panic inside the R-tree.
    let w = Walking::new(
        &g,
        &[[f64::NAN, 10.0], [10.0, f64::INFINITY]],
        SnapOptions::default(),
    );
    assert_eq!(w.cell_off_network(), vec![true, true]);
    let r = w.category_reach(&[[f64::NAN, 0.0]], &WalkProfile::ADULT, 800.0, 1600.0);
    assert_eq!(r.site_used, vec![false]);
    assert_eq!(w.mode(), "network");
}

/// Catchments agree with the independent reference: for each point alone, the
/// cells within the limit are exactly those the reference reaches within it, at
/// the reference distance.
#[test]
fn catchments_match_the_reference() {
    let mut s = SEED_1 ^ 0xCA7C;
    let mut entries = 0;
    for round in 0..8 {
        let side = 4 + round % 4;
        let (g, desc) = random_network(&mut s, side);
        let opts = SnapOptions {
            max_snap_m: 60.0,
            surface_margin_m: 20.0,
        };
        let cells = random_points(&mut s, 50, side);
        let points = random_points(&mut s, 4, side);
        let profile = [WalkProfile::ADULT, WalkProfile::ELDERLY][round % 2];
        let limit = 200.0 + lcg(&mut s) * 300.0;
        let w = Walking::new(&g, &cells, opts);
        let got = w.catchments(&points, &profile, limit);
        for (p, catchment) in points.iter().zip(&got) {
            let (want_d, _) = reference_reach(&g, opts, &cells, &[*p], &profile, limit, limit);
            for (i, wd) in want_d.iter().enumerate() {
                let gd = catchment
                    .iter()
                    .find(|x| x.0 as usize == i)
                    .map(|x| f64::from(x.1));
                match (gd, wd) {
                    (Some(a), Some(b)) => {
                        assert!((a - b).abs() < 0.01, "round {round}: {a} vs {b}; {desc}")
                    }
                    (None, None) => {}
                    (a, b) => {
                        let v = a.or(*b).expect("one is Some");
                        assert!(
                            (v - limit).abs() < 0.01,
                            "round {round} cell {i}: {a:?} vs {b:?}; {desc}"
                        );
                    }
                }
            }
            assert!(
                catchment.windows(2).all(|w| w[0].0 < w[1].0),
                "sorted by cell"
            );
            entries += catchment.len();
        }
    }
    assert!(
        entries > 50,
        "the comparison is not vacuous: {entries} catchment entries"
    );
}
