//! Differential test of the tie rule (docs/METHODS.md §5.2, "Ties"): street
//! lattices built to be full of exact ties (cells and sites at block centres, on
//! block diagonals, on junctions, outside the corners), compared with an oracle
//! written from METHODS alone: brute-force snapping over every segment, an explicit
//! graph with one vertex per point and per attachment, Floyd–Warshall.

#![allow(clippy::needless_range_loop)] // index loops read better over the matrix

use super::*;
use crate::network::graph::{GraphBuilder, GraphOptions};
use crate::network::pedestrian::{EdgeFlags, FootDirection, Walkable};

fn lcg(state: &mut u64) -> f64 {
    *state = state
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    (*state >> 11) as f64 / (1u64 << 53) as f64
}

/// METHODS: "Tied segments are those within 1 cm of the chosen distance."
const TIE_M: f64 = 0.01;
const BLOCK: f64 = 100.0;

/// A `side` × `side` lattice of junctions 100 m apart with shuffled OSM ids, a few
/// streets missing, some `oneway:foot`, some steps and tunnels.
fn lattice(state: &mut u64, side: usize) -> (Graph, String) {
    let mut b = GraphBuilder::new();
    let n = side * side;
    // Shuffled ids: the canonical (lowest id pair) segment is unrelated to geometry.
    let mut ids: Vec<i64> = (0..n as i64).map(|k| 10 + 7 * k).collect();
    for k in (1..n).rev() {
        let j = (lcg(state) * (k + 1) as f64) as usize;
        ids.swap(k, j.min(k));
    }
    let id = |i: usize, j: usize| ids[i * side + j];
    for i in 0..side {
        for j in 0..side {
            b.add_node(id(i, j), [i as f64 * BLOCK, j as f64 * BLOCK]);
        }
    }
    let mut desc = String::new();
    let mut w = 0i64;
    let mut add = |b: &mut GraphBuilder, state: &mut u64, p: i64, q: i64| {
        let r = lcg(state);
        let flags = if r < 0.12 {
            EdgeFlags::STEPS
        } else if r < 0.2 {
            EdgeFlags::TUNNEL
        } else {
            EdgeFlags::default()
        };
        let r = lcg(state);
        let direction = if r < 0.15 {
            FootDirection::Forward
        } else if r < 0.25 {
            FootDirection::Backward
        } else {
            FootDirection::Both
        };
        desc.push_str(&format!("{p}-{q}:{direction:?}:{} ", flags.names()));
        let class = if flags.is_steps() { 3 } else { 0 };
        b.add_way(
            w,
            Walkable {
                class,
                direction,
                flags,
            },
            &[p, q],
        );
        w += 1;
    };
    for i in 0..side {
        for j in 0..side {
            if i + 1 < side && lcg(state) < 0.9 {
                add(&mut b, state, id(i, j), id(i + 1, j));
            }
            if j + 1 < side && lcg(state) < 0.9 {
                add(&mut b, state, id(i, j), id(i, j + 1));
            }
        }
    }
    (b.build(&GraphOptions::default()), desc)
}

/// Points at symmetric spots of the lattice (plus a few ordinary ones).
fn tie_points(state: &mut u64, side: usize, k: usize) -> Vec<[f64; 2]> {
    let span = (side - 1) as f64;
    (0..k)
        .map(|_| {
            let i = (lcg(state) * span).floor() * BLOCK;
            let j = (lcg(state) * span).floor() * BLOCK;
            let r = lcg(state);
            if r < 0.3 {
                [i + 50.0, j + 50.0] // block centre: four streets at 50 m
            } else if r < 0.5 {
                let t = (lcg(state) * 9.0).floor() * 5.0 + 5.0;
                [i + t, j + t] // block diagonal: two streets at t
            } else if r < 0.6 {
                [i, j] // on a junction
            } else if r < 0.7 {
                [-20.0, span * BLOCK + 20.0] // outside a corner: two streets at one node
            } else if r < 0.8 {
                [i + 50.0, j + 30.0] // half-way along a block, no tie
            } else {
                [lcg(state) * span * BLOCK, lcg(state) * span * BLOCK]
            }
        })
        .collect()
}

/// Attachments by METHODS §5.2: `d0` = distance to the nearest eligible segment
/// (off-network beyond `max_snap_m`); if a preferred (street-level, step-free)
/// segment lies within `min(d0 + margin, max_snap_m)` the kind is "preferred" and
/// the chosen distance is the nearest preferred one's, else the kind is "any" and
/// it is `d0`; the point attaches to every segment of the kind within the chosen
/// distance + 1 cm, at its nearest point. `(segment, offset from nodes[0], access)`.
fn oracle_snap(g: &Graph, opts: SnapOptions, p: [f64; 2]) -> Option<Vec<(usize, f64, f64)>> {
    let xy = g.node_xy();
    let all: Vec<(usize, f64, f64, bool)> = g
        .segments()
        .iter()
        .enumerate()
        .filter(|(i, _)| g.segment_eligible(*i as u32))
        .map(|(i, s)| {
            let (a, b) = (xy[s.nodes[0] as usize], xy[s.nodes[1] as usize]);
            let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
            let len = dx.hypot(dy);
            let t = (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / (len * len)).clamp(0.0, 1.0);
            let q = [a[0] + t * dx, a[1] + t * dy];
            let d = (q[0] - p[0]).hypot(q[1] - p[1]);
            (i, t * len, d, s.flags.is_preferred_for_snapping())
        })
        .collect();
    let d0 = all.iter().map(|x| x.2).fold(f64::INFINITY, f64::min);
    if d0 > opts.max_snap_m {
        return None;
    }
    let limit = (d0 + opts.surface_margin_m).min(opts.max_snap_m);
    let dp = all
        .iter()
        .filter(|x| x.3)
        .map(|x| x.2)
        .fold(f64::INFINITY, f64::min);
    let (pref_only, chosen) = if dp <= limit { (true, dp) } else { (false, d0) };
    Some(
        all.iter()
            .filter(|x| x.2 <= chosen + TIE_M && (x.3 || !pref_only))
            .map(|x| (x.0, x.1, x.2))
            .collect(),
    )
}

/// Cell → site walking distances by Floyd–Warshall on an explicit graph: graph
/// nodes, one vertex per point, one per attachment (on its segment's chain of
/// vertices), access legs cell → attachment and attachment → site. With
/// `canonical_only`, each point keeps only its first attachment in the
/// (distance, OSM id pair) order: the rule before ties.
fn oracle_matrix(
    g: &Graph,
    opts: SnapOptions,
    cells: &[[f64; 2]],
    sites: &[[f64; 2]],
    profile: &WalkProfile,
    canonical_only: bool,
) -> Vec<Vec<f64>> {
    let n = g.node_count();
    let points: Vec<[f64; 2]> = cells.iter().chain(sites).copied().collect();
    let key = |seg: usize| {
        let s = &g.segments()[seg];
        let (a, b) = (
            g.osm_id()[s.nodes[0] as usize],
            g.osm_id()[s.nodes[1] as usize],
        );
        (a.min(b), a.max(b))
    };
    let mut own = Vec::new();
    let mut attach: Vec<(usize, usize, usize, f64, f64)> = Vec::new();
    let mut nv = n;
    for (pi, p) in points.iter().enumerate() {
        own.push(nv);
        nv += 1;
        let mut atts = oracle_snap(g, opts, *p).unwrap_or_default();
        if canonical_only && !atts.is_empty() {
            atts.sort_by(|x, y| x.2.total_cmp(&y.2).then(key(x.0).cmp(&key(y.0))));
            atts.truncate(1);
        }
        for (seg, off, acc) in atts {
            attach.push((pi, nv, seg, off, acc));
            nv += 1;
        }
    }
    let mut d = vec![vec![f64::INFINITY; nv]; nv];
    for v in 0..nv {
        d[v][v] = 0.0;
    }
    let xy = g.node_xy();
    for (si, s) in g.segments().iter().enumerate() {
        let (a, b) = (xy[s.nodes[0] as usize], xy[s.nodes[1] as usize]);
        let len = (b[0] - a[0]).hypot(b[1] - a[1]);
        let per_m = if !s.flags.is_steps() {
            1.0
        } else if profile.step_free {
            f64::INFINITY
        } else {
            profile.step_factor
        };
        let mut chain = vec![(0.0, s.nodes[0] as usize)];
        chain.extend(
            attach
                .iter()
                .filter(|x| x.2 == si)
                .map(|&(_, v, _, off, _)| (off, v)),
        );
        chain.push((len, s.nodes[1] as usize));
        chain.sort_by(|x, y| x.0.total_cmp(&y.0));
        for w in chain.windows(2) {
            let c = (w[1].0 - w[0].0) * per_m;
            if s.a_to_b {
                d[w[0].1][w[1].1] = d[w[0].1][w[1].1].min(c);
            }
            if s.b_to_a {
                d[w[1].1][w[0].1] = d[w[1].1][w[0].1].min(c);
            }
        }
    }
    for &(pi, v, _, _, acc) in &attach {
        if pi < cells.len() {
            d[own[pi]][v] = d[own[pi]][v].min(acc);
        } else {
            d[v][own[pi]] = d[v][own[pi]].min(acc);
        }
    }
    for k in 0..nv {
        for i in 0..nv {
            let dik = d[i][k];
            if dik.is_infinite() {
                continue;
            }
            for j in 0..nv {
                let via = dik + d[k][j];
                if via < d[i][j] {
                    d[i][j] = via;
                }
            }
        }
    }
    (0..cells.len())
        .map(|ci| {
            (0..sites.len())
                .map(|si| d[own[ci]][own[cells.len() + si]])
                .collect()
        })
        .collect()
}

#[test]
fn tied_attachments_match_a_floyd_warshall_oracle() {
    let mut st = 0x7115_u64;
    let profiles = [
        WalkProfile::ADULT,
        WalkProfile::ELDERLY,
        WalkProfile {
            speed_m_per_s: 1.0,
            step_free: true,
            step_factor: 1.0,
        },
    ];
    let (mut compared, mut tie_changed, mut tied_cells) = (0, 0, 0);
    for round in 0..12 {
        let side = 4 + round % 3;
        let (g, desc) = lattice(&mut st, side);
        let opts = SnapOptions {
            max_snap_m: 80.0,
            surface_margin_m: [0.0, 10.0, 50.0][round % 3],
        };
        let cells = tie_points(&mut st, side, 30);
        let sites = tie_points(&mut st, side, 1 + round % 4);
        let profile = profiles[round % 3];
        // Off the lattice's round numbers, so no distance sits exactly at the threshold.
        let threshold = 150.37 + 50.0 * (round % 5) as f64;
        let bound = 2.0 * threshold;
        let w = Walking::new(&g, &cells, opts);
        let r = w.category_reach(&sites, &profile, threshold, bound);
        let m = oracle_matrix(&g, opts, &cells, &sites, &profile, false);
        let before = oracle_matrix(&g, opts, &cells, &sites, &profile, true);
        for c in 0..cells.len() {
            let ctx = || {
                format!(
                    "round {round} cell {c} {:?} sites {sites:?} {profile:?}; {desc}",
                    cells[c]
                )
            };
            let snapped = oracle_snap(&g, opts, cells[c]);
            assert_eq!(
                w.cell_attachments(c).count(),
                snapped.as_ref().map_or(0, Vec::len),
                "{}",
                ctx()
            );
            if snapped.as_ref().is_some_and(|a| a.len() > 1) {
                tied_cells += 1;
            }
            let nearest = m[c].iter().copied().fold(f64::INFINITY, f64::min);
            let want = (snapped.is_some() && nearest <= bound).then_some(nearest);
            match (r.dist_m[c], want) {
                (Some(a), Some(b)) => assert!((a - b).abs() < 1e-6, "{a} vs {b}: {}", ctx()),
                (None, None) => {}
                (a, b) => panic!("{a:?} vs {b:?}: {}", ctx()),
            }
            let within = if snapped.is_some() {
                m[c].iter().filter(|d| **d <= threshold).count() as u32
            } else {
                0
            };
            assert_eq!(r.sites_within[c], within, "{}", ctx());
            let old = before[c].iter().copied().fold(f64::INFINITY, f64::min);
            if want.is_some() && (old - nearest).abs() > 1e-6 {
                assert!(old > nearest, "ties never lengthen a walk: {}", ctx());
                tie_changed += 1;
            }
            compared += 1;
        }
        // Catchments follow the same rule (one point at a time).
        let got = w.catchments(&sites, &profile, threshold);
        for (si, catchment) in got.iter().enumerate() {
            for c in 0..cells.len() {
                let want = m[c][si];
                let gd = catchment
                    .iter()
                    .find(|x| x.0 as usize == c)
                    .map(|x| f64::from(x.1));
                match gd {
                    Some(a) => assert!((a - want).abs() < 0.01, "round {round} site {si} cell {c}"),
                    None => assert!(
                        want > threshold || w.cell_snaps()[c].is_err(),
                        "round {round} site {si} cell {c}: {want}"
                    ),
                }
            }
        }
    }
    // Not vacuous: many points are tied, and on a good share of them the tie rule
    // gives a shorter walk than the canonical segment alone would.
    assert!(tied_cells > compared / 4, "{tied_cells} of {compared} tied");
    assert!(
        tie_changed > compared / 20,
        "{tie_changed} of {compared} changed by the tie rule"
    );
}

/// A point tied between two parallel streets where only one way leads to the site:
/// the distance is the walk out the shorter way, whichever segment is canonical.
#[test]
fn a_tied_cell_walks_out_the_shorter_way() {
    // Two east–west streets 100 m apart joined at the east end only; the cell sits
    // half-way between them, the site on the southern street near the west end.
    for ids in [[1, 2, 3, 4], [4, 3, 2, 1]] {
        let mut b = GraphBuilder::new();
        b.add_node(ids[0], [0.0, 0.0]);
        b.add_node(ids[1], [1000.0, 0.0]);
        b.add_node(ids[2], [0.0, 100.0]);
        b.add_node(ids[3], [1000.0, 100.0]);
        let street = Walkable {
            class: 0,
            direction: FootDirection::Both,
            flags: EdgeFlags::default(),
        };
        b.add_way(1, street, &[ids[0], ids[1], ids[3], ids[2]]);
        let g = b.build(&GraphOptions::default());
        let w = Walking::new(&g, &[[100.0, 50.0]], SnapOptions::default());
        assert_eq!(w.cell_attachments(0).count(), 2);
        let r = w.category_reach(&[[50.0, -10.0]], &WalkProfile::ADULT, 1000.0, 3000.0);
        // 50 m out south, 50 m west, 10 m to the door — never 50 + 900 + 100 + 950 + 10.
        let d = r.dist_m[0].expect("reached");
        assert!((d - 110.0).abs() < 1e-9, "{d}");
        // And a site tied between the streets is seeded on both.
        let r = w.category_reach(&[[900.0, 50.0]], &WalkProfile::ADULT, 1000.0, 3000.0);
        let d = r.dist_m[0].expect("reached");
        assert!((d - 900.0).abs() < 1e-9, "{d}");
    }
}
