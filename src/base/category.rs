//! What is analysed: a category of learning site with its walking threshold,
//! walking profile (speed, steps) and the population layer it serves. Built by
//! the configuration stage (`config`), read by every later stage.

use serde::{Deserialize, Serialize};

/// Chinese planning walking speed: 60 m/min.
pub const PLANNING_SPEED_M_PER_MIN: f64 = 60.0;

/// Which residents a category serves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Layer {
    /// All residents.
    #[default]
    Total,
    /// The elderly layer (falls back to total, with a warning, when absent).
    Elderly,
}

/// A validated category with every unit resolved.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Category {
    /// Name used in output columns.
    pub name: String,
    /// Chinese label.
    pub label_zh: Option<String>,
    /// English label.
    pub label_en: Option<String>,
    /// Lower-cased site category values mapped to this category (includes `name`).
    pub aliases: Vec<String>,
    /// Tier label.
    pub tier: Option<String>,
    /// Walking threshold, metres.
    pub threshold_m: f64,
    /// Walking profile (speed, steps).
    pub profile: WalkProfile,
    /// Profile name.
    pub profile_name: String,
    /// Population layer served.
    pub layer: Layer,
    /// Unit level the category belongs to (`street` for community schools,
    /// `community` for teaching points): its `has_site` and coverage are judged per
    /// unit of that level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
}

impl Category {
    /// Threshold in minutes at this category's speed.
    #[must_use]
    pub fn threshold_min(&self) -> f64 {
        self.threshold_m / self.profile.speed_m_per_s / 60.0
    }

    /// One category per distinct site category value (sorted, so the result does
    /// not depend on row order), all at `threshold_m`, adult profile, total layer.
    #[must_use]
    pub fn uniform<'a>(
        site_categories: impl IntoIterator<Item = &'a str>,
        threshold_m: f64,
    ) -> Vec<Self> {
        let mut names: Vec<String> = site_categories
            .into_iter()
            .map(|s| s.trim().to_owned())
            .collect();
        names.sort();
        names.dedup();
        names
            .into_iter()
            .map(|name| Self {
                aliases: vec![name.to_lowercase()],
                name,
                label_zh: None,
                label_en: None,
                tier: None,
                threshold_m,
                profile: WalkProfile::ADULT,
                profile_name: "adult".into(),
                layer: Layer::Total,
                level: None,
            })
            .collect()
    }

    /// Whether a site category value belongs here (trimmed, case-insensitive).
    #[must_use]
    pub fn matches(&self, site_category: &str) -> bool {
        let v = site_category.trim().to_lowercase();
        self.aliases.contains(&v)
    }
}

/// How a group of residents walks: the speed that turns metres into minutes, and
/// how steps are treated on the network.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct WalkProfile {
    /// Walking speed, metres per second.
    pub speed_m_per_s: f64,
    /// Avoid `highway=steps` entirely (wheelchairs, frail walkers).
    pub step_free: bool,
    /// Multiplier on the length of `highway=steps` edges (1.0 = no extra cost).
    pub step_factor: f64,
}

impl WalkProfile {
    /// Adult, Chinese planning convention: 60 m/min = 1.0 m/s.
    pub const ADULT: WalkProfile = WalkProfile {
        speed_m_per_s: 1.0,
        step_free: false,
        step_factor: 1.0,
    };
    /// Older people: 0.8 m/s (Asher et al. 2012; Bollard & Fleming 2013), steps
    /// cost double their length.
    pub const ELDERLY: WalkProfile = WalkProfile {
        speed_m_per_s: 0.8,
        step_free: false,
        step_factor: 2.0,
    };
}
