//! Tests of the shortest-path tree and the walking paths: a hand-computed case and,
//! on the engine's seeded random networks, every cell's path against its distance.

use super::super::tests::{lcg, random_network, random_points, street};
use super::*;
use crate::analysis::distance::Reach;
use crate::network::graph::{GraphBuilder, GraphOptions};
use crate::network::pedestrian::EdgeFlags;
use crate::network::snap::SnapOptions;

/// An L-shaped street: 1 (0,0) — 2 (600,0) — 3 (600,500).
fn l_street() -> crate::network::Graph {
    let mut b = GraphBuilder::new();
    for (id, p) in [(1, [0.0, 0.0]), (2, [600.0, 0.0]), (3, [600.0, 500.0])] {
        b.add_node(id, p);
    }
    street(&mut b, 1, EdgeFlags::default(), &[1, 2, 3]);
    b.build(&GraphOptions::default())
}

#[test]
fn hand_computed_paths_on_an_l_shaped_street() {
    let g = l_street();
    let cell = [100.0, 20.0];
    let w = Walking::new(&g, &[cell], SnapOptions::default());
    // Site A beside the second leg: 20 m to the street, 500 m to the corner, 300 m
    // up the second leg, 10 m to the door = 830 m.
    let site_a = [610.0, 300.0];
    let tree = w.tree(&[site_a], &WalkProfile::ADULT, 2000.0);
    let p = w.cell_path(&tree, 0).expect("reachable");
    let corner = g.node_xy()[p.nodes[0] as usize];
    assert_eq!(corner, [600.0, 0.0]);
    assert_eq!(p.nodes.len(), 1, "{p:?}");
    assert_eq!(p.site, 0);
    assert!((p.dist_m - 830.0).abs() < 1e-9, "{p:?}");
    assert!((p.cost_m - 830.0).abs() < 1e-9, "{p:?}");
    assert!((p.line_m - 830.0).abs() < 1e-9, "{p:?}");
    let want = [cell, [100.0, 0.0], [600.0, 0.0], [600.0, 300.0], site_a];
    assert_eq!(p.points.len(), want.len(), "{p:?}");
    for (a, b) in p.points.iter().zip(want) {
        assert!(
            (a[0] - b[0]).abs() < 1e-9 && (a[1] - b[1]).abs() < 1e-9,
            "{p:?}"
        );
    }
    // The site sits between the corner and node 3, so both are roots of the tree;
    // the corner is seeded at 300 + 10 m.
    assert_eq!(tree.next()[p.nodes[0] as usize], u32::MAX);
    assert_eq!(tree.root_site(p.nodes[0]), Some(0));
    assert!((tree.dist_m()[p.nodes[0] as usize] - 310.0).abs() < 1e-9);
    // Same distance as category_reach.
    let r = w.category_reach(&[site_a], &WalkProfile::ADULT, 1000.0, 2000.0);
    assert_eq!(r.dist_m[0], Some(p.dist_m));

    // Site B on the cell's own segment, 200 m along and 5 m off it: 20 + 200 + 5.
    let site_b = [300.0, -5.0];
    let tree = w.tree(&[site_a, site_b], &WalkProfile::ADULT, 2000.0);
    let p = w.cell_path(&tree, 0).expect("reachable");
    assert_eq!(p.site, 1);
    assert!(p.nodes.is_empty());
    assert!((p.dist_m - 225.0).abs() < 1e-9 && (p.line_m - 225.0).abs() < 1e-9);
    assert_eq!(p.points, vec![cell, [100.0, 0.0], [300.0, 0.0], site_b]);

    // Beyond the bound: no path; an unbounded tree finds it.
    let tree = w.tree(&[site_a], &WalkProfile::ADULT, 800.0);
    assert!(w.cell_path(&tree, 0).is_none());
    let tree = w.tree(&[site_a], &WalkProfile::ADULT, f64::INFINITY);
    let p = w
        .point_path(&tree, cell)
        .expect("attaches")
        .expect("reached");
    assert!((p.dist_m - 830.0).abs() < 1e-9);
    // A point far from every street cannot be attached.
    assert!(w.point_path(&tree, [5000.0, 5000.0]).is_err());
}

/// A tree with a chain of nodes: the path walks the parents in order.
#[test]
fn paths_follow_the_parents_through_the_network() {
    let mut b = GraphBuilder::new();
    for i in 0..8i64 {
        b.add_node(i + 1, [i as f64 * 200.0, 0.0]);
    }
    street(&mut b, 1, EdgeFlags::default(), &[1, 2, 3, 4, 5, 6, 7, 8]);
    let g = b.build(&GraphOptions::default());
    let cell = [50.0, 10.0];
    let site = [1350.0, -20.0];
    let w = Walking::new(&g, &[cell], SnapOptions::default());
    let tree = w.tree(&[site], &WalkProfile::ADULT, f64::INFINITY);
    let p = w.cell_path(&tree, 0).expect("reachable");
    // 10 + (1200 − 50) + 150 + 20.
    assert!((p.dist_m - 1330.0).abs() < 1e-6, "{p:?}");
    let xs: Vec<f64> = p
        .nodes
        .iter()
        .map(|&v| g.node_xy()[v as usize][0])
        .collect();
    assert_eq!(xs, vec![200.0, 400.0, 600.0, 800.0, 1000.0, 1200.0]);
    let roots: Vec<usize> = (0..g.node_count() as u32)
        .filter_map(|v| tree.root_site(v))
        .collect();
    assert_eq!(
        roots,
        vec![0, 0],
        "both ends of the site's segment are roots"
    );
    assert_eq!(
        tree.root_sites().iter().filter(|&&s| s != u32::MAX).count(),
        2
    );
}

#[test]
fn every_cell_path_has_the_cell_distance_on_random_networks() {
    let mut s = 0x7EE5_0001;
    let profiles = [
        WalkProfile::ADULT,
        WalkProfile::ELDERLY,
        WalkProfile {
            speed_m_per_s: 1.0,
            step_free: true,
            step_factor: 1.0,
        },
    ];
    let mut paths = 0;
    for round in 0..12 {
        let side = 4 + round % 5;
        let (g, desc) = random_network(&mut s, side);
        let opts = SnapOptions {
            max_snap_m: 40.0 + lcg(&mut s) * 40.0,
            surface_margin_m: lcg(&mut s) * 40.0,
        };
        let cells = random_points(&mut s, 60, side);
        let sites = random_points(&mut s, 1 + round % 4, side);
        let profile = profiles[round % 3];
        let bound = 200.0 + lcg(&mut s) * 600.0;
        let w = Walking::new(&g, &cells, opts);
        let r = w.category_reach(&sites, &profile, bound / 2.0, bound);
        let tree = w.tree(&sites, &profile, bound);
        for (i, d) in r.dist_m.iter().enumerate() {
            let ctx = || format!("round {round} cell {i} {:?}; {desc}", cells[i]);
            let p = w.cell_path(&tree, i);
            assert_eq!(d.is_some(), p.is_some(), "{}", ctx());
            let Some(p) = p else { continue };
            paths += 1;
            // The same bits as cells.csv, and the path really costs that much.
            assert_eq!(Some(p.dist_m), *d, "{}", ctx());
            assert!((p.cost_m - p.dist_m).abs() < 1e-6, "{p:?} {}", ctx());
            if profile.step_factor == 1.0 {
                assert!((p.line_m - p.dist_m).abs() < 1e-3, "{p:?} {}", ctx());
            } else {
                assert!(p.line_m <= p.dist_m + 1e-3, "{p:?} {}", ctx());
            }
            // Starts at the cell, ends at the site.
            assert_eq!(p.points[0], cells[i]);
            assert_eq!(*p.points.last().expect("points"), sites[p.site]);
            let again = w.point_path(&tree, cells[i]).expect("attaches");
            assert_eq!(again.as_ref(), Some(&p), "{}", ctx());
        }
    }
    assert!(paths > 150, "{paths} paths checked");
}
