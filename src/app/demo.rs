//! The bundled sample cases behind `learncircle demo`.
//!
//! The inputs are compiled into the binary (a few MB), so the demo works from any
//! directory; they are written to `<out>/inputs/` before the run so that the user
//! can see exactly what was analysed (and rerun it with `coverage`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::app::{ConfigSource, CoverageOptions};

/// Bundled sample cases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DemoCase {
    /// Wujiaochang / Fudan, Yangpu District, Shanghai (OSM, Dec 2023).
    Shanghai,
    /// Central Helsinki (OSM ≈ 2019; HSY 250 m population grid 2020).
    Helsinki,
}

struct Bundled {
    name: &'static str,
    bytes: &'static [u8],
}

/// The files of one case under `data/DIR/`, compiled in.
macro_rules! bundled {
    ($dir:literal: $($name:literal),+ $(,)?) => {
        &[$(Bundled {
            name: $name,
            bytes: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/data/", $dir, "/", $name)),
        }),+]
    };
}

const SHANGHAI: &[Bundled] = bundled!("shanghai":
    "sites.csv",
    "population.csv",
    "learncircle.toml",
    "fudan_wujiaochang_2023.osm",
);

const HELSINKI: &[Bundled] = bundled!("helsinki":
    "sites.csv",
    "population.geojson",
    "learncircle.toml",
    "Helsinki.osm.pbf",
);

/// Write the case's inputs under `out/inputs/` and return the coverage options.
///
/// # Errors
/// When the inputs cannot be written.
pub fn prepare(case: DemoCase, out: &Path) -> Result<CoverageOptions> {
    let (files, population, network) = match case {
        DemoCase::Shanghai => (SHANGHAI, "population.csv", "fudan_wujiaochang_2023.osm"),
        DemoCase::Helsinki => (HELSINKI, "population.geojson", "Helsinki.osm.pbf"),
    };
    let dir = out.join("inputs");
    std::fs::create_dir_all(&dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    for f in files {
        let p = dir.join(f.name);
        if std::fs::read(&p).ok().as_deref() != Some(f.bytes) {
            std::fs::write(&p, f.bytes)
                .with_context(|| format!("{}: cannot write", p.display()))?;
        }
    }
    let path = |n: &str| -> PathBuf { dir.join(n) };
    Ok(CoverageOptions {
        network: Some(path(network)),
        config: ConfigSource::File(path("learncircle.toml")),
        ..CoverageOptions::new(path("sites.csv"), path(population), out.to_path_buf())
    })
}
