//! From parsed flags to the library's options (ripgrep's flags → HiArgs): the
//! only place where clap structs meet library types.

use std::path::PathBuf;

use learncircle::app::{self, ConfigSource, CoverageOptions};
use learncircle::osm::{buildings, sites};

use super::{ExportNetworkArgs, FromBuildingsArgs, GridArgs, RouteArgs, SitesArgs, StudyArgs};

/// The shared study flags as options of a run writing to `out`.
pub fn study(a: StudyArgs, out: PathBuf, strict: bool) -> CoverageOptions {
    CoverageOptions {
        sites: a.sites,
        sites_crs: a.sites_crs,
        population: a.population,
        population_crs: a.population_crs,
        sheets: {
            let mut sheets = app::Sheets::default();
            for spec in &a.sheet {
                // Each value passed `values::sheet` already; a later one replaces.
                let _ = sheets.add(spec);
            }
            sheets
        },
        network: a.network,
        config: match (a.config, a.preset) {
            (Some(p), _) => ConfigSource::File(p),
            (None, Some(n)) => ConfigSource::Preset(n),
            (None, None) => ConfigSource::None,
        },
        mode: a.mode.map(Into::into),
        circuity: a.circuity,
        threshold_m: a.threshold_m,
        walk_min: a.walk_min,
        strict,
        units: a.units,
        units_crs: a.units_crs,
        unit_assignment: a.unit_assignment.into(),
        gap_link_m: a.gap_link_m,
        population_format: app::PopulationFormatOptions {
            elderly_rasters: a.elderly,
            layer: a.population_layer,
            population_column: a.population_column,
            elderly_columns: a.elderly_columns,
            epsg: a.population_epsg,
            clip: a.clip,
            integer: a.integer_population,
        },
        ..CoverageOptions::new(PathBuf::new(), PathBuf::new(), out)
    }
}

/// `learncircle sites`.
pub fn sites(a: &SitesArgs) -> sites::SitesOptions {
    sites::SitesOptions {
        osm: a.osm.clone(),
        out: a.out.clone(),
        config: a.config.clone(),
        preset: a.preset.clone(),
        with_education: a.with_education,
        exclude: a.exclude.clone(),
        merge_radius_m: a.merge_radius_m,
    }
}

/// `learncircle population from-buildings` (validated later, in
/// [`buildings::population_from_buildings`]).
///
/// # Errors
/// [`buildings::BuildingsError::BadBbox`] when `--bbox` does not have 4 numbers.
pub fn from_buildings(
    a: &FromBuildingsArgs,
) -> Result<buildings::FromBuildingsOptions, buildings::BuildingsError> {
    use buildings::{BuildingsError, HowMany};
    let how_many = if let Some(t) = a.total {
        HowMany::Total(t)
    } else if let Some(x) = a.per_m2 {
        HowMany::PerM2(x)
    } else if let Some(d) = a.per_km2 {
        HowMany::PerKm2(d)
    } else {
        match (&a.units, &a.unit_totals) {
            (Some(u), Some(t)) => HowMany::Units {
                units: u.clone(),
                units_crs: a.units_crs,
                totals: t.clone(),
            },
            _ => {
                return Err(BuildingsError::Conflict {
                    reason: "give --total, --per-m2, --per-km2 or --units with --unit-totals"
                        .into(),
                });
            }
        }
    };
    let bbox = match a.bbox.as_deref() {
        None => None,
        Some(&[a0, a1, a2, a3]) => Some([a0, a1, a2, a3]),
        Some(v) => {
            return Err(BuildingsError::BadBbox {
                reason: format!(
                    "needs 4 numbers MIN_LON,MIN_LAT,MAX_LON,MAX_LAT, got {}",
                    v.len()
                ),
            });
        }
    };
    Ok(buildings::FromBuildingsOptions {
        osm: a.osm.clone(),
        how_many,
        elderly_share: a.elderly_share,
        bbox,
        cell_m: a.cell_m,
        levels: buildings::LevelDefaults {
            multi_storey: a.default_levels,
            house: a.default_house_levels,
        },
    })
}

/// `learncircle grid`.
pub fn grid(a: &GridArgs) -> app::GridOptions {
    app::GridOptions {
        bbox: a.bbox.clone(),
        cell_m: a.cell_m,
        density_per_km2: a.density_per_km2,
        out: a.out.clone(),
    }
}

/// `learncircle export-network`.
pub fn export_network(a: &ExportNetworkArgs) -> app::ExportNetworkOptions {
    app::ExportNetworkOptions {
        network: a.network.clone(),
        min_component_m: a.min_component_m,
        out: a.out.clone(),
    }
}

/// `learncircle route`.
///
/// # Errors
/// A `--from`/`--to` value that is not a valid LON,LAT.
pub fn route(a: RouteArgs) -> anyhow::Result<app::RouteOptions> {
    let from = a
        .from
        .iter()
        .map(|s| app::parse_lonlat(s, "--from"))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let (target, profile_category) = match (&a.to, a.sites, a.category) {
        (Some(to), _, category) => (
            app::RouteTarget::Point(app::parse_lonlat(to, "--to")?),
            category,
        ),
        (None, Some(sites), Some(name)) => (
            app::RouteTarget::Category {
                name,
                sites,
                sites_crs: a.sites_crs,
            },
            None,
        ),
        (None, _, _) => anyhow::bail!("give --to LON,LAT, or --category NAME with --sites FILE"),
    };
    Ok(app::RouteOptions {
        network: a.network,
        from,
        target,
        config: match (a.config, a.preset) {
            (Some(p), _) => ConfigSource::File(p),
            (None, Some(n)) => ConfigSource::Preset(n),
            (None, None) => ConfigSource::None,
        },
        profile_category,
        threshold_m: a.threshold_m,
        walk_min: a.walk_min,
    })
}
