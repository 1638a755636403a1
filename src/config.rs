//! Run configuration: which categories are analysed, at which walking threshold,
//! at which speed, against which population layer.
//!
//! Three sources, in this order of precedence:
//! 1. a TOML file (`--config FILE`),
//! 2. a built-in preset (`--preset gb50180`, the file `presets/gb50180.toml`),
//! 3. nothing: every category found in the sites file, at one threshold
//!    (`--threshold-m`, or `--walk-min` × 60 m/min; default 15 min = 900 m).
//!
//! The raw TOML ([`ConfigFile`]) is validated into [`Category`] values with every
//! unit resolved; later stages see only those.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use crate::base::category::{Category, Layer, PLANNING_SPEED_M_PER_MIN, WalkProfile};

/// Default threshold without a config: 15 minutes at 60 m/min.
pub const DEFAULT_WALK_MIN: f64 = 15.0;
/// Default circuity (detour index) for straight-line mode: 1.3 (25 Chinese cities
/// average 1.324, *Annals of GIS* 2021).
pub const DEFAULT_CIRCUITY: f64 = 1.3;
/// Default search bound as a multiple of the threshold.
pub const DEFAULT_SEARCH_FACTOR: f64 = 2.0;
/// Default maximum snapping distance to the walking network, metres.
pub const DEFAULT_MAX_SNAP_M: f64 = 300.0;

/// Built-in presets: name → TOML text.
pub const PRESETS: &[(&str, &str)] = &[
    (
        "gb50180",
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/presets/gb50180.toml")),
    ),
    (
        "cn-community-network",
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/presets/cn-community-network.toml"
        )),
    ),
    (
        "chongqing",
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/presets/chongqing.toml"
        )),
    ),
];

/// Errors of the configuration stage.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("{path}: cannot read config: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML is malformed or has unknown keys.
    #[error("{origin}: invalid config: {reason}")]
    Parse {
        /// The file or preset.
        origin: String,
        /// What the TOML parser said (with line and column).
        reason: String,
    },
    /// No preset of that name.
    #[error("unknown preset {name:?}; available: {available}")]
    UnknownPreset {
        /// Requested name.
        name: String,
        /// Known presets.
        available: String,
    },
    /// A category definition is inconsistent.
    #[error("{origin}: category {category:?}: {reason}")]
    Category {
        /// The file or preset.
        origin: String,
        /// The category name.
        category: String,
        /// What is wrong.
        reason: String,
    },
    /// A run-level setting is out of range.
    #[error("{origin}: {setting} = {value}: {reason}")]
    Setting {
        /// The file, preset or flag.
        origin: String,
        /// The setting's name.
        setting: &'static str,
        /// The given value.
        value: f64,
        /// The valid range.
        reason: &'static str,
    },
}

/// The TOML file as written.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Run-level settings.
    #[serde(default)]
    pub run: RunSection,
    /// Custom walking profiles by name (`adult` and `elderly` are built in).
    #[serde(default)]
    pub profiles: std::collections::BTreeMap<String, ProfileSection>,
    /// Categories, in output order.
    #[serde(default, rename = "category")]
    pub categories: Vec<CategorySection>,
    /// Policy targets.
    #[serde(default, rename = "target")]
    pub targets: Vec<TargetSection>,
    /// Settings of `learncircle sites` (ignored by `coverage`).
    #[serde(default)]
    pub sites: SitesSection,
    /// Unit levels (`[[units]] level, file, …`), coarsest first.
    #[serde(default)]
    pub units: Vec<UnitsSection>,
}

/// `[[units]]`: one level of planning units.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UnitsSection {
    /// Level name (`district`, `street`, `community`, …).
    pub level: String,
    /// GeoJSON file (relative paths: relative to the config file).
    pub file: PathBuf,
    /// Property holding the unit code (default: `code`, `adcode`, `编码`, …).
    pub code_field: Option<String>,
    /// Property holding the unit name (default: `name`, `名称`, `街道`, …).
    pub name_field: Option<String>,
    /// Datum of the file: `wgs84` (default), `gcj02` or `bd09`.
    pub crs: Option<crate::crs::InputCrs>,
}

/// `[sites]`: settings of `learncircle sites` (extraction of sites from OSM).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SitesSection {
    /// OSM elements never written as sites (`n123`, `w123`, `r123`): mis-tagged objects.
    #[serde(default)]
    pub exclude: Vec<String>,
}

/// `[[target]]`: `rule = "library.covered_share >= 0.99"`, optional `name`, `scope`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TargetSection {
    /// Display name.
    pub name: Option<String>,
    /// `CATEGORY.METRIC OP VALUE`.
    pub rule: String,
    /// `city` (default) or `unit`.
    pub scope: Option<crate::analysis::targets::Scope>,
    /// Unit level checked (same as `@LEVEL` after the metric).
    pub level: Option<String>,
    /// Restriction to units: `zone == 'main_city'`, `zone in ['a', 'b']`, ….
    #[serde(rename = "where")]
    pub restriction: Option<String>,
    /// Restriction to these unit codes.
    #[serde(default)]
    pub units: Vec<String>,
}

/// `[run]`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RunSection {
    /// Straight-line circuity (detour index).
    pub circuity: Option<f64>,
    /// Search bound as a multiple of each category's threshold.
    pub search_factor: Option<f64>,
    /// Maximum snapping distance to the network, metres.
    pub max_snap_m: Option<f64>,
    /// What the elderly layer means (e.g. `60+` or `65+`), for labels.
    pub elderly_label: Option<String>,
}

/// `[profiles.NAME]`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileSection {
    /// Walking speed, m/s.
    pub speed_m_per_s: f64,
    /// Avoid steps.
    #[serde(default)]
    pub step_free: bool,
    /// Length multiplier on steps.
    #[serde(default = "one")]
    pub step_factor: f64,
}

fn one() -> f64 {
    1.0
}

/// `[[category]]`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CategorySection {
    /// Name used in output columns.
    pub name: String,
    /// Chinese label for charts and reports.
    pub label_zh: Option<String>,
    /// English label for charts and reports.
    pub label_en: Option<String>,
    /// Site category values (from the sites file) that belong to this category.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Tier label (`5min`, `10min`, `15min`, …), informational.
    pub tier: Option<String>,
    /// Threshold in metres of walking.
    pub threshold_m: Option<f64>,
    /// Threshold in minutes at the category's speed.
    pub walk_min: Option<f64>,
    /// Walking profile name (`adult`, `elderly`, or a `[profiles.NAME]`).
    pub profile: Option<String>,
    /// Walking speed override, m/s.
    pub speed_m_per_s: Option<f64>,
    /// Population layer served: `total` or `elderly`.
    pub layer: Option<Layer>,
    /// Unit level whose units must each hold a site of the category
    /// (`district`, `street`, `community`, …).
    pub level: Option<String>,
}

/// Run-level settings after validation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunSettings {
    /// Straight-line circuity.
    pub circuity: f64,
    /// Search bound factor.
    pub search_factor: f64,
    /// Maximum snapping distance, metres.
    pub max_snap_m: f64,
    /// Label of the elderly layer.
    pub elderly_label: String,
}

/// A loaded configuration: run settings, and categories when the config defines them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Config {
    /// Where it came from: a path, `preset:NAME`, or `defaults`.
    pub origin: String,
    /// Run-level settings.
    pub run: RunSettings,
    /// Categories defined by the config (empty: take them from the sites file).
    pub categories: Vec<Category>,
    /// Policy targets (category names are checked once the run's categories are known).
    pub targets: Vec<crate::analysis::targets::Target>,
    /// `[sites] exclude`: OSM element ids `learncircle sites` never writes (as written,
    /// checked by [`crate::osm::sites`]).
    pub sites_exclude: Vec<String>,
    /// `[[units]]` levels (paths resolved against the config file's folder).
    #[serde(skip)]
    pub units: Vec<crate::input::units::UnitsSource>,
}

impl Config {
    /// Load a TOML file.
    ///
    /// # Errors
    /// When unreadable, malformed, or inconsistent.
    pub fn from_path(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.into(),
            source,
        })?;
        let mut c = Self::from_toml(&text, &path.display().to_string())?;
        if let Some(dir) = path.parent() {
            for u in &mut c.units {
                if u.path.is_relative() {
                    u.path = dir.join(&u.path);
                }
            }
        }
        Ok(c)
    }

    /// Load a built-in preset.
    ///
    /// # Errors
    /// When the preset is unknown.
    pub fn preset(name: &str) -> Result<Self, ConfigError> {
        let (_, text) = PRESETS
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .ok_or_else(|| ConfigError::UnknownPreset {
                name: name.to_owned(),
                available: PRESETS
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        Self::from_toml(text, &format!("preset:{name}"))
    }

    /// Defaults: no categories (taken from the sites file).
    #[must_use]
    pub fn defaults() -> Self {
        Self {
            origin: "defaults".into(),
            run: RunSettings {
                circuity: DEFAULT_CIRCUITY,
                search_factor: DEFAULT_SEARCH_FACTOR,
                max_snap_m: DEFAULT_MAX_SNAP_M,
                elderly_label: "60+".into(),
            },
            categories: Vec::new(),
            targets: Vec::new(),
            sites_exclude: Vec::new(),
            units: Vec::new(),
        }
    }

    /// Parse and validate TOML text.
    ///
    /// # Errors
    /// When malformed or inconsistent.
    pub fn from_toml(text: &str, origin: &str) -> Result<Self, ConfigError> {
        let raw: ConfigFile = toml::from_str(text).map_err(|e| ConfigError::Parse {
            origin: origin.into(),
            reason: e.to_string(),
        })?;
        let d = Self::defaults();
        let run = RunSettings {
            circuity: raw.run.circuity.unwrap_or(d.run.circuity),
            search_factor: raw.run.search_factor.unwrap_or(d.run.search_factor),
            max_snap_m: raw.run.max_snap_m.unwrap_or(d.run.max_snap_m),
            elderly_label: raw.run.elderly_label.clone().unwrap_or(d.run.elderly_label),
        };
        validate_run(&run, origin)?;
        let mut categories = Vec::with_capacity(raw.categories.len());
        for c in &raw.categories {
            let cat = resolve_category(c, &raw, origin)?;
            if categories.iter().any(|o: &Category| o.name == cat.name) {
                return Err(ConfigError::Category {
                    origin: origin.into(),
                    category: cat.name,
                    reason: "defined twice".into(),
                });
            }
            for a in &cat.aliases {
                if let Some(o) = categories
                    .iter()
                    .find(|o: &&Category| o.aliases.contains(a))
                {
                    return Err(ConfigError::Category {
                        origin: origin.into(),
                        category: cat.name.clone(),
                        reason: format!("alias {a:?} is also used by category {:?}", o.name),
                    });
                }
            }
            categories.push(cat);
        }
        let targets = raw
            .targets
            .iter()
            .map(parse_target)
            .collect::<Result<Vec<_>, String>>()
            .map_err(|reason| ConfigError::Parse {
                origin: origin.into(),
                reason,
            })?;
        let units = raw
            .units
            .iter()
            .map(|u| crate::input::units::UnitsSource {
                level: Some(u.level.clone()),
                path: u.file.clone(),
                crs: u.crs,
                fields: crate::input::units::UnitFields {
                    code: u.code_field.clone(),
                    name: u.name_field.clone(),
                },
            })
            .collect::<Vec<_>>();
        crate::input::units::check_sources(&units).map_err(|reason| ConfigError::Parse {
            origin: origin.into(),
            reason: reason.replace("--units", "[[units]]"),
        })?;
        Ok(Self {
            origin: origin.into(),
            run,
            categories,
            targets,
            sites_exclude: raw.sites.exclude.clone(),
            units,
        })
    }
}

/// A `[[target]]` section: the rule, with its level and restriction.
fn parse_target(t: &TargetSection) -> Result<crate::analysis::targets::Target, String> {
    use crate::analysis::targets::Filter;
    let mut target = crate::analysis::targets::parse_rule(
        &t.rule,
        t.name.as_deref(),
        t.scope.unwrap_or_default(),
    )?;
    if let Some(l) = &t.level {
        crate::input::units::check_level_name(l)
            .map_err(|e| format!("target {:?}: {e}", target.name))?;
        match &target.level {
            Some(r) if r != l => {
                return Err(format!(
                    "target {:?}: level {l:?} contradicts @{r} in the rule",
                    target.name
                ));
            }
            _ => target.level = Some(l.clone()),
        }
    }
    let mut filter = t
        .restriction
        .as_deref()
        .map(Filter::parse)
        .transpose()
        .map_err(|e| format!("target {:?}: {e}", target.name))?;
    if !t.units.is_empty() {
        let codes = Filter::codes(&t.units);
        filter = Some(match filter {
            Some(f) => f.and(codes),
            None => codes,
        });
    }
    target.filter = filter;
    Ok(target)
}

fn validate_run(run: &RunSettings, origin: &str) -> Result<(), ConfigError> {
    let bad = |setting, value, reason| ConfigError::Setting {
        origin: origin.into(),
        setting,
        value,
        reason,
    };
    if !(run.circuity.is_finite() && (1.0..=3.0).contains(&run.circuity)) {
        return Err(bad("circuity", run.circuity, "must be between 1.0 and 3.0"));
    }
    if !(run.search_factor.is_finite() && (1.0..=10.0).contains(&run.search_factor)) {
        return Err(bad(
            "search_factor",
            run.search_factor,
            "must be between 1.0 and 10.0",
        ));
    }
    if !(run.max_snap_m.is_finite() && run.max_snap_m > 0.0 && run.max_snap_m <= 5000.0) {
        return Err(bad(
            "max_snap_m",
            run.max_snap_m,
            "must be in (0, 5000] metres",
        ));
    }
    Ok(())
}

fn resolve_category(
    c: &CategorySection,
    raw: &ConfigFile,
    origin: &str,
) -> Result<Category, ConfigError> {
    let err = |reason: String| ConfigError::Category {
        origin: origin.into(),
        category: c.name.clone(),
        reason,
    };
    let name = c.name.trim();
    if name.is_empty() {
        return Err(err("name is empty".into()));
    }
    let profile_name = c.profile.clone().unwrap_or_else(|| "adult".into());
    let mut profile = match profile_name.as_str() {
        "adult" => WalkProfile::ADULT,
        "elderly" => WalkProfile::ELDERLY,
        other => match raw.profiles.get(other) {
            Some(p) => WalkProfile {
                speed_m_per_s: p.speed_m_per_s,
                step_free: p.step_free,
                step_factor: p.step_factor,
            },
            None => {
                return Err(err(format!(
                    "unknown profile {other:?} (built in: adult, elderly; or define [profiles.{other}])"
                )));
            }
        },
    };
    if let Some(p) = raw.profiles.get(&profile_name) {
        // A [profiles.adult] / [profiles.elderly] section overrides the built-in one.
        profile = WalkProfile {
            speed_m_per_s: p.speed_m_per_s,
            step_free: p.step_free,
            step_factor: p.step_factor,
        };
    }
    if let Some(s) = c.speed_m_per_s {
        profile.speed_m_per_s = s;
    }
    if !(profile.speed_m_per_s.is_finite()
        && profile.speed_m_per_s > 0.1
        && profile.speed_m_per_s <= 3.0)
    {
        return Err(err(format!(
            "walking speed {} m/s is outside (0.1, 3.0]",
            profile.speed_m_per_s
        )));
    }
    if !(profile.step_factor.is_finite() && profile.step_factor >= 1.0) {
        return Err(err(format!(
            "step_factor {} must be ≥ 1",
            profile.step_factor
        )));
    }
    let threshold_m = match (c.threshold_m, c.walk_min) {
        (Some(_), Some(_)) => return Err(err("give threshold_m or walk_min, not both".into())),
        (None, None) => return Err(err("needs threshold_m or walk_min".into())),
        (Some(m), None) => m,
        (None, Some(min)) => min * 60.0 * profile.speed_m_per_s,
    };
    if !(threshold_m.is_finite() && threshold_m > 0.0 && threshold_m <= 20_000.0) {
        return Err(err(format!(
            "threshold {threshold_m} m is outside (0, 20000]"
        )));
    }
    let mut aliases: Vec<String> = std::iter::once(name.to_lowercase())
        .chain(c.aliases.iter().map(|a| a.trim().to_lowercase()))
        .filter(|a| !a.is_empty())
        .collect();
    aliases.sort();
    aliases.dedup();
    Ok(Category {
        name: name.to_owned(),
        label_zh: c.label_zh.clone(),
        label_en: c.label_en.clone(),
        aliases,
        tier: c.tier.clone(),
        threshold_m,
        profile,
        profile_name,
        layer: c.layer.unwrap_or_default(),
        level: match &c.level {
            Some(l) => {
                crate::input::units::check_level_name(l).map_err(err)?;
                Some(l.clone())
            }
            None => None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preset_gb50180_tiers() {
        let c = Config::preset("gb50180").unwrap();
        let get = |n: &str| c.categories.iter().find(|x| x.name == n).unwrap();
        assert_eq!(get("learning_point").threshold_m, 300.0);
        assert_eq!(get("library").threshold_m, 1000.0);
        let e = get("elderly_learning");
        assert_eq!(e.layer, Layer::Elderly);
        assert_eq!(e.profile.speed_m_per_s, 0.8);
        assert!((e.threshold_m - 480.0).abs() < 1e-9);
        assert!((e.threshold_min() - 10.0).abs() < 1e-9);
        assert!(get("library").matches(" 图书馆 "));
        assert!(
            !get("learning_point").matches("library"),
            "tiers are not nested"
        );
    }

    #[test]
    fn unknown_preset_and_bad_toml() {
        assert!(
            Config::preset("gb99999")
                .unwrap_err()
                .to_string()
                .contains("available: gb50180")
        );
        let e = Config::from_toml("[[category]]\nname='x'\nthreshold = 3\n", "t.toml").unwrap_err();
        assert!(e.to_string().contains("unknown field"), "{e}");
        let e = Config::from_toml("[[category]]\nname='x'\n", "t.toml").unwrap_err();
        assert!(
            e.to_string().contains("needs threshold_m or walk_min"),
            "{e}"
        );
        let e = Config::from_toml("[run]\ncircuity = 0.5\n", "t.toml").unwrap_err();
        assert!(e.to_string().contains("circuity"), "{e}");
        let e = Config::from_toml(
            "[[category]]\nname='x'\nwalk_min=5\nprofile='slow'\n",
            "t.toml",
        )
        .unwrap_err();
        assert!(e.to_string().contains("unknown profile"), "{e}");
    }

    #[test]
    fn custom_profile_and_minutes() {
        let c = Config::from_toml(
            "[profiles.frail]\nspeed_m_per_s = 0.7\nstep_free = true\n\
             [[category]]\nname = 'elderly_school'\nwalk_min = 15\nprofile = 'frail'\nlayer = 'elderly'\n",
            "t.toml",
        )
        .unwrap();
        let cat = &c.categories[0];
        assert!((cat.threshold_m - 630.0).abs() < 1e-9);
        assert!(cat.profile.step_free);
    }

    #[test]
    fn uniform_categories_are_sorted() {
        let cats = Category::uniform(["school", "library", "school"], 900.0);
        let names: Vec<_> = cats.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["library", "school"]);
    }
}
