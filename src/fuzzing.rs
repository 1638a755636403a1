//! Fuzzing entry points: raw bytes in, one parser run the way `coverage` runs it,
//! `Ok`/`Err(message)` out. Used by the cargo-fuzz targets in `fuzz/` and by the
//! regression test below, which replays every file under `tests/fuzz_regressions/`
//! through the same function (see `docs/FUZZING.md`).
//!
//! Most readers take a path (SQLite, the TIFF decoder and the multi-pass OSM reader
//! need a real file), so the bytes go through a scratch file: in `/dev/shm` when it
//! exists (tmpfs), else the system temporary directory; one file per thread,
//! removed after the call. A panic inside a parser is a bug: nothing here catches it.

use std::path::{Path, PathBuf};

/// One fuzzed parser.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Sites CSV (`read_sites`, `.csv`).
    SitesCsv,
    /// Population CSV (`read_population`, `.csv`).
    PopulationCsv,
    /// GeoJSON read as population, sites and units (`.geojson`).
    Geojson,
    /// OSM XML: every element kind read, then the pedestrian graph built.
    OsmXml,
    /// OSM PBF: the same as [`Target::OsmXml`] (the format is sniffed from the bytes).
    OsmPbf,
    /// GeoTIFF population raster (header checks and pixel reading).
    Geotiff,
    /// GeoPackage population layer.
    Gpkg,
    /// Config TOML (categories, profiles, target rules), plus the bytes as one rule.
    Config,
    /// A spreadsheet workbook (`.xlsx`) read as sites and as population.
    Xlsx,
}

impl Target {
    /// Every target, in the order of `docs/FUZZING.md`.
    pub const ALL: [Target; 9] = [
        Target::SitesCsv,
        Target::PopulationCsv,
        Target::Geojson,
        Target::OsmXml,
        Target::OsmPbf,
        Target::Geotiff,
        Target::Gpkg,
        Target::Config,
        Target::Xlsx,
    ];

    /// The name used for the fuzz target and the regression directory.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Target::SitesCsv => "sites_csv",
            Target::PopulationCsv => "population_csv",
            Target::Geojson => "geojson",
            Target::OsmXml => "osm_xml",
            Target::OsmPbf => "osm_pbf",
            Target::Geotiff => "geotiff",
            Target::Gpkg => "gpkg",
            Target::Config => "config",
            Target::Xlsx => "xlsx",
        }
    }

    /// The target with this [`Target::name`].
    #[must_use]
    pub fn from_name(name: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.name() == name)
    }

    fn extension(self) -> &'static str {
        match self {
            Target::SitesCsv | Target::PopulationCsv => "csv",
            Target::Geojson => "geojson",
            Target::OsmXml => "osm",
            Target::OsmPbf => "osm.pbf",
            Target::Geotiff => "tif",
            Target::Gpkg => "gpkg",
            Target::Config => "toml",
            Target::Xlsx => "xlsx",
        }
    }
}

/// [`run`], then panics if an error message does not name the file (scratch files
/// are called `learncircle-fuzz-…`): the fuzz targets call this, so a message
/// without its file is found like a crash.
///
/// # Errors
/// The parser's refusal, as from [`run`].
pub fn run_checked(target: Target, data: &[u8]) -> Result<(), String> {
    let result = run(target, data);
    if let Err(message) = &result {
        assert!(
            target == Target::Config || message.contains("learncircle-fuzz-"),
            "{} error does not name the file: {message}",
            target.name()
        );
    }
    result
}

/// Feeds `data` to `target`'s parser. `Err` carries the error message (which must
/// name the file); a panic is a bug in the parser.
///
/// # Errors
/// Whatever the parser refused, as text.
pub fn run(target: Target, data: &[u8]) -> Result<(), String> {
    let reader: fn(&Path) -> Result<(), String> = match target {
        Target::Config => return config(data),
        Target::SitesCsv => sites,
        Target::PopulationCsv => population,
        Target::Geojson => geojson,
        Target::OsmXml | Target::OsmPbf => osm,
        Target::Geotiff => geotiff,
        Target::Gpkg => gpkg,
        Target::Xlsx => xlsx,
    };
    let scratch = Scratch::new(target.extension());
    std::fs::write(&scratch.0, data).map_err(|e| format!("scratch file: {e}"))?;
    reader(&scratch.0)
}

/// A per-thread scratch file, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(extension: &str) -> Self {
        let dir = Path::new("/dev/shm");
        let dir = if dir.is_dir() {
            dir.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let thread = format!("{:?}", std::thread::current().id())
            .chars()
            .filter(char::is_ascii_digit)
            .collect::<String>();
        Self(dir.join(format!(
            "learncircle-fuzz-{}-{thread}.{extension}",
            std::process::id()
        )))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn text<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

fn sites(path: &Path) -> Result<(), String> {
    crate::input::sites::read_sites(path, crate::crs::InputCrs::Gcj02)
        .map(drop)
        .map_err(text)
}

fn population(path: &Path) -> Result<(), String> {
    crate::input::population::read_population(path, crate::crs::InputCrs::Bd09)
        .map(drop)
        .map_err(text)
}

fn geojson(path: &Path) -> Result<(), String> {
    use crate::crs::InputCrs;
    let pop = crate::input::population::read_population(path, InputCrs::Wgs84);
    let sites = crate::input::sites::read_sites(path, InputCrs::Wgs84);
    let units = crate::input::units::read_units(path, InputCrs::Gcj02);
    if let Ok(u) = &units {
        // The units file doubles as a clip area (`--clip`).
        let all =
            geo::MultiPolygon::new(u.units.iter().flat_map(|u| u.polygon.0.clone()).collect());
        if let Ok(area) = crate::input::clip::ClipArea::from_polygon(&all) {
            let _ = area.contains(121.5, 31.3);
        }
    }
    pop.map(drop)
        .and(sites.map(drop))
        .and(units.map(drop))
        .map_err(text)
}

fn osm(path: &Path) -> Result<(), String> {
    use crate::network::osm::{OsmSelection, read_osm};
    let all = |_: &[(&str, &str)]| true;
    let selection = OsmSelection {
        nodes: Some(&all),
        ways: Some(&all),
        relations: Some(&all),
    };
    read_osm(path, &selection).map_err(text)?;
    let proj = crate::crs::LocalProjection::new(121.5, 31.3).map_err(text)?;
    crate::network::Graph::from_osm_file(path, &proj, &crate::network::GraphOptions::default())
        .map(drop)
        .map_err(text)
}

fn geotiff(path: &Path) -> Result<(), String> {
    use crate::input::raster::{RasterOptions, read_population_rasters};
    let opts = RasterOptions {
        with_polygons: true,
        ..RasterOptions::default()
    };
    read_population_rasters(&[path.to_path_buf()], &[], &opts)
        .map(drop)
        .map_err(text)
}

fn gpkg(path: &Path) -> Result<(), String> {
    crate::input::gpkg::read_gpkg(path, &crate::input::vector::VectorOptions::default())
        .map(drop)
        .map_err(text)
}

fn xlsx(path: &Path) -> Result<(), String> {
    use crate::crs::InputCrs;
    let sites = crate::input::sites::read_sites(path, InputCrs::Gcj02);
    let pop = crate::input::population::read_population(path, InputCrs::Wgs84);
    sites.map(drop).and(pop.map(drop)).map_err(text)
}

fn config(data: &[u8]) -> Result<(), String> {
    let text = std::str::from_utf8(data).map_err(text)?;
    let rule =
        crate::analysis::targets::parse_rule(text, None, crate::analysis::targets::Scope::Unit);
    let config = crate::config::Config::from_toml(text, "fuzz.toml");
    rule.map(drop)
        .and(config.map(drop).map_err(|e| e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file in `tests/fuzz_regressions/<target>/` goes through [`run`]: it
    /// must not panic, and must give `Ok` when its name starts with `ok-`, `Err`
    /// when it starts with `err-`.
    #[test]
    fn fuzz_regressions_replay() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions");
        let mut replayed = 0;
        for dir in std::fs::read_dir(&root).expect("tests/fuzz_regressions") {
            let dir = dir.unwrap().path();
            if !dir.is_dir() {
                continue;
            }
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            let target = Target::from_name(&name)
                .unwrap_or_else(|| panic!("{}: not a fuzz target name", dir.display()));
            for file in std::fs::read_dir(&dir).unwrap() {
                let file = file.unwrap().path();
                let fname = file.file_name().unwrap().to_string_lossy().into_owned();
                let want_ok = if fname.starts_with("ok-") {
                    true
                } else if fname.starts_with("err-") {
                    false
                } else {
                    continue;
                };
                let got = run_checked(target, &std::fs::read(&file).unwrap());
                assert_eq!(
                    got.is_ok(),
                    want_ok,
                    "{}: expected {}, got {got:?}",
                    file.display(),
                    if want_ok { "Ok" } else { "Err" }
                );
                replayed += 1;
            }
        }
        assert!(replayed > 0, "no regression file under {}", root.display());
    }

    #[test]
    fn names_round_trip() {
        for t in Target::ALL {
            assert_eq!(Target::from_name(t.name()), Some(t));
        }
    }
}
