//! Floors for issue 15: how fast the raw inputs can be read on this machine,
//! independent of learncircle's stages (docs/PERFORMANCE.md, "floors").
//!
//! `cargo run --release --example floors -- CITY_DIR` (a synthetic city: grid.csv,
//! city.osm.pbf). Prints, per floor, the median of 5 runs:
//! * raw read of grid.csv (std::fs::read);
//! * grid.csv through the csv crate with one reused ByteRecord and the three
//!   numbers parsed from bytes (no per-field allocation);
//! * city.osm.pbf through osmpbf's own parallel reader (`par_map_reduce`,
//!   counting nodes, ways and relations: decompression and decoding only);
//! * and, for comparison, learncircle's own readers of grid.csv and sites.csv
//!   (what the "read inputs" stage spends on each).
use std::path::Path;
use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn time<T>(f: impl Fn() -> T) -> (f64, T) {
    let mut t = Vec::new();
    let mut out = None;
    for _ in 0..5 {
        let s = Instant::now();
        out = Some(f());
        t.push(s.elapsed().as_secs_f64() * 1e3);
    }
    (median(t), out.expect("ran"))
}

fn main() {
    let dir = std::env::args().nth(1).expect("usage: floors CITY_DIR");
    let dir = Path::new(&dir);
    let grid = dir.join("grid.csv");
    let pbf = dir.join("city.osm.pbf");
    let (ms, n) = time(|| std::fs::read(&grid).expect("grid.csv").len());
    println!("raw read grid.csv ({n} bytes): {ms:.1} ms");
    let (ms, n) = time(|| {
        let mut rdr = csv::Reader::from_path(&grid).expect("grid.csv");
        let mut rec = csv::ByteRecord::new();
        let (mut rows, mut sum) = (0usize, 0.0f64);
        while rdr.read_byte_record(&mut rec).expect("row") {
            for i in 1..4 {
                let f = std::str::from_utf8(&rec[i]).expect("utf8");
                sum += f.parse::<f64>().unwrap_or(0.0);
            }
            rows += 1;
        }
        (rows, sum)
    });
    println!("csv ByteRecord grid.csv ({} rows): {ms:.1} ms", n.0);
    let (ms, n) = time(|| {
        osmpbf::ElementReader::from_path(&pbf)
            .expect("pbf")
            .par_map_reduce(
                |e| match e {
                    osmpbf::Element::Node(_) | osmpbf::Element::DenseNode(_) => (1u64, 0u64, 0u64),
                    osmpbf::Element::Way(_) => (0, 1, 0),
                    osmpbf::Element::Relation(_) => (0, 0, 1),
                },
                || (0, 0, 0),
                |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2),
            )
            .expect("decode")
    });
    println!(
        "osmpbf par_map_reduce city.osm.pbf ({} nodes, {} ways, {} relations): {ms:.1} ms",
        n.0, n.1, n.2
    );
    let wgs84 = learncircle::crs::InputCrs::Wgs84;
    let (ms, n) = time(|| {
        learncircle::input::population::read_population(&grid, wgs84)
            .expect("grid.csv")
            .cells
            .len()
    });
    println!("learncircle read_population grid.csv ({n} cells): {ms:.1} ms");
    let sites = dir.join("sites.csv");
    let (ms, n) = time(|| {
        learncircle::input::sites::read_sites(&sites, wgs84)
            .expect("sites.csv")
            .sites
            .len()
    });
    println!("learncircle read_sites sites.csv ({n} sites): {ms:.1} ms");
}
