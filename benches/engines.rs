//! Criterion benchmarks of the distance engines on seeded synthetic data.
//!
//! `cargo bench --bench engines` — the straight-line engine on 10 k / 100 k / 1 M
//! cells × 10 k sites (issue 2); throughput is reported in cells per second.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use learncircle::analysis::distance::{Euclidean, Reach, WalkProfile};

const SEED_1: u64 = 0x5EED_0001;

fn lcg(state: &mut u64) -> f64 {
    *state = state
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    (*state >> 11) as f64 / (1u64 << 53) as f64
}

/// Cells on a 100 m lattice over a square city, sites uniformly at random in it.
fn synthetic(n_cells: usize, n_sites: usize) -> (Vec<[f64; 2]>, Vec<[f64; 2]>) {
    let side = (n_cells as f64).sqrt().ceil() as usize;
    let extent = side as f64 * 100.0;
    let cells = (0..n_cells)
        .map(|i| {
            [
                (i % side) as f64 * 100.0 + 50.0,
                (i / side) as f64 * 100.0 + 50.0,
            ]
        })
        .collect();
    let mut s = SEED_1;
    let sites = (0..n_sites)
        .map(|_| [lcg(&mut s) * extent, lcg(&mut s) * extent])
        .collect();
    (cells, sites)
}

fn straight_line(c: &mut Criterion) {
    let mut group = c.benchmark_group("straight_line_engine");
    group.sample_size(10);
    for &n_cells in &[10_000usize, 100_000, 1_000_000] {
        let (cells, sites) = synthetic(n_cells, 10_000);
        group.throughput(Throughput::Elements(n_cells as u64));
        group.bench_with_input(
            BenchmarkId::new("cells_x_10k_sites", n_cells),
            &n_cells,
            |b, _| {
                let engine = Euclidean::new(&cells, 1.3);
                b.iter(|| {
                    let r = engine.category_reach(&sites, &WalkProfile::ADULT, 900.0, 1800.0);
                    std::hint::black_box(r.sites_within.len())
                });
            },
        );
    }
    group.finish();
}

// No HTML plots: criterion's plotters backend needs a system font, which a
// fresh machine may not have (it panicked here); the numbers are in the console.
criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = straight_line
}
criterion_main!(benches);
