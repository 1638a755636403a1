//! Learning sites from OpenStreetMap (`learncircle sites`): the tagged nodes, ways
//! and multipolygon relations of an OSM file → a sites CSV that `coverage` reads.
//!
//! * **Input:** an OSM PBF or XML file (read with [`crate::network::osm::read_osm`]),
//!   the output categories (from `--config`/`--preset`, default: the learning
//!   categories of the `gb50180` preset) and an exclusion list.
//! * **Output:** [`SitesExtract`]: one [`OsmSite`] per learning place, located at
//!   the node, the line centroid of an open way, or the area centroid of a closed
//!   way or multipolygon (see [`crate::osm::geometry`]); plus what was merged,
//!   excluded, filtered out or could not be located. [`write_sites_csv`] writes
//!   `id,name,category,lon,lat,osm_type,osm_id,source_tag`.
//!
//! # Tag → category table
//!
//! Tag rules, first match wins (`:for` values may be `;`-lists; `senior`,
//! `seniors` and `elderly` all mean older people):
//!
//! | tags | category | note |
//! |---|---|---|
//! | `amenity=library` | `library` | |
//! | `amenity=community_centre` + `community_centre:for=senior` | `elderly_learning` | 老年活动中心 |
//! | `amenity=community_centre` | `culture_centre` | 社区文化活动中心 |
//! | `amenity=social_facility` + `social_facility:for=senior`, `social_facility` not residential care | `elderly_learning` | day care / outreach (日间照料) |
//! | `amenity=social_facility` + `social_facility=nursing_home`, `assisted_living`, `group_home`, `hospice` or `shelter` | — | residential care, not a learning place |
//! | `amenity=school` | `school` | education: see below |
//! | `amenity=university`, `amenity=college` | `university` | education: see below |
//! | `amenity=kindergarten`, `childcare`, `arts_centre`, `training` | — | not learning sites of the GB 50180 / Shanghai list (names can still assign them) |
//!
//! Name keywords (in `name`, else `name:zh`) then **override** the tag rule (the
//! `source_tag` column names the keyword, `name~老年大学`, unless the tag gives the
//! same category), or
//! **assign** a category to an element without one. Checked in this order, the
//! first keyword found wins (so 老年大学图书馆 is `elderly_learning`, 文化中心图书馆
//! is `library`):
//!
//! | keyword | category |
//! |---|---|
//! | 老年大学, 老年学校, 老年教育 | `elderly_learning` |
//! | 社区学校, 社区学院 | `community_school` |
//! | 学习点 | `learning_point` |
//! | 图书馆, 图书室 | `library` |
//! | 文化活动站, 文化活动室, 文化站 | `culture_station` |
//! | 文化活动中心, 文化中心 | `culture_centre` |
//!
//! A keyword does not count when the name goes on to a road, station, gate,
//! bridge, car park or entrance (图书馆路, 文化中心站, 图书馆北门, 图书馆停车场).
//! A name alone assigns a category only to a *place*: not to roads, railways,
//! stops, boundaries, entrances, barriers, shops or non-multipolygon relations,
//! and not when the element has an `amenity` other than `arts_centre`,
//! `townhall`, `social_centre`, `events_venue`, `training` or `public_building`
//! (a car park named 图书馆停车场 is not a library).
//!
//! # Which categories are written
//!
//! A site is written when its category belongs to one of the output categories
//! (a config category's name or one of its aliases; the site is written under
//! that config category's name). Without `--config`/`--preset` the output
//! categories are those of the `gb50180` preset: `learning_point`,
//! `culture_station`, `community_school`, `culture_centre`, `library`,
//! `elderly_learning`. **Education (school, university) is off by default**:
//! schools serve pupils, not the community; it is on when the config has a
//! `school`/`university` category (as the Shanghai demo config does) or with
//! `--with-education`.
//!
//! # Duplicates
//!
//! The same place is often mapped twice (the National Library of Finland is node
//! 369550855 and way 122595247 in `Helsinki.osm.pbf`, 51 m apart). Sites with the
//! **same output category and the same name** (trimmed, case-folded) whose
//! representative points are **within 150 m** are merged into one. The one kept
//! is, in order: an area over a line over a point; the larger area; way before
//! relation before node; the lower OSM id. Unnamed sites are never merged.
//!
//! # Exclusions
//!
//! Mis-tagged objects are dropped by id (`n123`, `w123`, `r123`, or
//! `node/123`…) with `--exclude` or the config's `[sites] exclude = [...]`.
//! Excluded ids that are not in the file are reported (a typo guard).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::crs::LocalProjection;
use crate::export::{OutputError, write_file_atomic};
use crate::network::osm::{OsmData, OsmSelection, Tags, read_osm};
use crate::network::{NetworkError, OsmKind};
use crate::osm::geometry::{GeometryProblem, ProjectedNodes, Shape, element_shape};

/// `library`: public, community and university libraries, reading rooms (图书室).
pub const LIBRARY: &str = "library";
/// `culture_centre`: 15-minute culture centre (文化活动中心, community centres).
pub const CULTURE_CENTRE: &str = "culture_centre";
/// `culture_station`: 5-minute culture station (文化活动站/室).
pub const CULTURE_STATION: &str = "culture_station";
/// `community_school`: sub-district community school (社区学校/学院).
pub const COMMUNITY_SCHOOL: &str = "community_school";
/// `elderly_learning`: elderly university/school, elderly-education point.
pub const ELDERLY_LEARNING: &str = "elderly_learning";
/// `learning_point`: neighbourhood learning point (居村委学习点).
pub const LEARNING_POINT: &str = "learning_point";
/// `school`: primary and secondary schools (education; off by default).
pub const SCHOOL: &str = "school";
/// `university`: universities and colleges (education; off by default).
pub const UNIVERSITY: &str = "university";

/// Default merge radius for same-name duplicates, metres.
pub const MERGE_RADIUS_M: f64 = 150.0;

/// Name keywords in priority order (first found wins).
pub const NAME_KEYWORDS: &[(&str, &str)] = &[
    ("老年大学", ELDERLY_LEARNING),
    ("老年学校", ELDERLY_LEARNING),
    ("老年教育", ELDERLY_LEARNING),
    ("社区学校", COMMUNITY_SCHOOL),
    ("社区学院", COMMUNITY_SCHOOL),
    ("学习点", LEARNING_POINT),
    ("图书馆", LIBRARY),
    ("图书室", LIBRARY),
    ("文化活动站", CULTURE_STATION),
    ("文化活动室", CULTURE_STATION),
    ("文化站", CULTURE_STATION),
    ("文化活动中心", CULTURE_CENTRE),
    ("文化中心", CULTURE_CENTRE),
];

/// Text after a keyword that makes the name a road, stop, gate, … rather than the place.
const NOT_A_PLACE_AFTER_KEYWORD: &[&str] = &[
    "路",
    "街",
    "站",
    "门",
    "桥",
    "停车",
    "出入口",
    "入口",
    "出口",
];

/// Keys that make an element a road, stop, boundary, … (never assigned by name).
const NOT_A_PLACE_KEYS: &[&str] = &[
    "highway",
    "railway",
    "public_transport",
    "route",
    "boundary",
    "place",
    "waterway",
    "aeroway",
    "entrance",
    "door",
    "barrier",
    "shop",
];

/// `amenity` values that still allow assignment by name.
const NAME_ONLY_AMENITIES: &[&str] = &[
    "arts_centre",
    "townhall",
    "social_centre",
    "events_venue",
    "training",
    "public_building",
];

/// `social_facility` values that are residential care, not learning places.
const RESIDENTIAL_CARE: &[&str] = &[
    "nursing_home",
    "assisted_living",
    "group_home",
    "hospice",
    "shelter",
];

/// The category an element gets and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Classification {
    /// Category name (one of the constants of this module).
    pub category: &'static str,
    /// The rule that decided: `amenity=library`, `social_facility:for=senior`,
    /// `name~老年大学`, ….
    pub source_tag: String,
}

fn has_senior<T: Tags + ?Sized>(tags: &T, key: &str) -> bool {
    tags.tag(key).is_some_and(|v| {
        v.split(';')
            .map(str::trim)
            .any(|x| matches!(x, "senior" | "seniors" | "elderly"))
    })
}

fn tag_rule<T: Tags + ?Sized>(tags: &T) -> Option<Classification> {
    let c = |category, source: &str| {
        Some(Classification {
            category,
            source_tag: source.to_string(),
        })
    };
    match tags.tag("amenity")? {
        "library" => c(LIBRARY, "amenity=library"),
        "community_centre" if has_senior(tags, "community_centre:for") => {
            c(ELDERLY_LEARNING, "community_centre:for=senior")
        }
        "community_centre" => c(CULTURE_CENTRE, "amenity=community_centre"),
        "social_facility"
            if has_senior(tags, "social_facility:for")
                && !tags
                    .tag("social_facility")
                    .is_some_and(|v| RESIDENTIAL_CARE.contains(&v)) =>
        {
            c(ELDERLY_LEARNING, "social_facility:for=senior")
        }
        "school" => c(SCHOOL, "amenity=school"),
        "university" => c(UNIVERSITY, "amenity=university"),
        "college" => c(UNIVERSITY, "amenity=college"),
        _ => None,
    }
}

fn keyword_in(name: &str) -> Option<(&'static str, &'static str)> {
    NAME_KEYWORDS.iter().copied().find(|(kw, _)| {
        name.match_indices(kw).any(|(at, _)| {
            let rest = &name[at + kw.len()..];
            !NOT_A_PLACE_AFTER_KEYWORD.iter().any(|s| rest.contains(s))
        })
    })
}

fn name_rule<T: Tags + ?Sized>(tags: &T) -> Option<Classification> {
    let hit = tags
        .tag("name")
        .and_then(keyword_in)
        .or_else(|| tags.tag("name:zh").and_then(keyword_in))?;
    Some(Classification {
        category: hit.1,
        source_tag: format!("name~{}", hit.0),
    })
}

fn name_may_assign<T: Tags + ?Sized>(tags: &T) -> bool {
    if NOT_A_PLACE_KEYS.iter().any(|k| tags.tag(k).is_some()) {
        return false;
    }
    if tags.tag("type").is_some_and(|t| t != "multipolygon") {
        return false;
    }
    tags.tag("amenity")
        .is_none_or(|a| NAME_ONLY_AMENITIES.contains(&a))
}

/// The category of an element from its tags (the module-level table), before
/// any output filter. `None`: not a learning site.
///
/// ```
/// use learncircle::osm::sites::classify;
/// let c = classify([("amenity", "community_centre"), ("name", "长白新村街道老年学校")].as_slice());
/// assert_eq!(c.unwrap().category, "elderly_learning");
/// assert!(classify([("highway", "residential"), ("name", "图书馆路")].as_slice()).is_none());
/// ```
#[must_use]
pub fn classify<T: Tags + ?Sized>(tags: &T) -> Option<Classification> {
    let by_tag = tag_rule(tags);
    match (name_rule(tags), by_tag) {
        // Same answer: the tag is the more telling source.
        (Some(by_name), Some(t)) if by_name.category == t.category => Some(t),
        (Some(by_name), Some(_)) => Some(by_name),
        (Some(by_name), None) if name_may_assign(tags) => Some(by_name),
        (_, by_tag) => by_tag,
    }
}

/// The categories written, each with the site categories it accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputCategories {
    /// `(name written, accepted lower-case values)`, in config order.
    categories: Vec<(String, Vec<String>)>,
}

impl OutputCategories {
    /// The categories of a configuration (name and aliases).
    #[must_use]
    pub fn from_config(config: &Config) -> Self {
        Self {
            categories: config
                .categories
                .iter()
                .map(|c| (c.name.clone(), c.aliases.clone()))
                .collect(),
        }
    }

    /// The default: the categories of the built-in `gb50180` preset (no education).
    ///
    /// # Errors
    /// Only if the bundled preset failed to parse (a build defect, tested).
    pub fn learning_default() -> Result<Self, crate::config::ConfigError> {
        Ok(Self::from_config(&Config::preset("gb50180")?))
    }

    /// Adds `school` and `university` when no category accepts them yet.
    #[must_use]
    pub fn with_education(mut self) -> Self {
        for c in [SCHOOL, UNIVERSITY] {
            if self.resolve(c).is_none() {
                self.categories.push((c.to_string(), vec![c.to_string()]));
            }
        }
        self
    }

    /// The category name written for a table category, if it is an output category.
    #[must_use]
    pub fn resolve(&self, table_category: &str) -> Option<&str> {
        self.categories
            .iter()
            .find(|(name, aliases)| {
                name == table_category || aliases.iter().any(|a| a == table_category)
            })
            .map(|(name, _)| name.as_str())
    }

    /// Names of the output categories.
    #[must_use]
    pub fn names(&self) -> Vec<&str> {
        self.categories.iter().map(|(n, _)| n.as_str()).collect()
    }
}

/// An OSM element reference as written in ids: `n123`, `w123`, `r123`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ElementId {
    /// Node, way or relation.
    pub kind: OsmKind,
    /// OSM id.
    pub id: i64,
}

impl std::fmt::Display for ElementId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = match self.kind {
            OsmKind::Node => 'n',
            OsmKind::Way => 'w',
            OsmKind::Relation => 'r',
        };
        write!(f, "{c}{}", self.id)
    }
}

impl std::str::FromStr for ElementId {
    type Err = OsmSitesError;

    /// `n123`, `w123`, `r123`, `node/123`, `way/123` or `relation/123`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let bad = || OsmSitesError::BadElementId {
            value: s.to_string(),
        };
        let (kind, digits) = if let Some((k, d)) = t.split_once('/') {
            let kind = match k {
                "node" => OsmKind::Node,
                "way" => OsmKind::Way,
                "relation" => OsmKind::Relation,
                _ => return Err(bad()),
            };
            (kind, d)
        } else {
            let mut chars = t.chars();
            let kind = match chars.next() {
                Some('n') => OsmKind::Node,
                Some('w') => OsmKind::Way,
                Some('r') => OsmKind::Relation,
                _ => return Err(bad()),
            };
            (kind, chars.as_str())
        };
        let id = digits.parse::<i64>().map_err(|_| bad())?;
        Ok(Self { kind, id })
    }
}

/// What to extract and write.
#[derive(Clone, Debug)]
pub struct SiteRules {
    /// Categories written (with aliases).
    pub output: OutputCategories,
    /// Elements dropped by id.
    pub exclude: BTreeSet<ElementId>,
    /// Same-name duplicates closer than this are merged, metres.
    pub merge_radius_m: f64,
}

/// The shape class of a site's geometry, used by the merge rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum GeometryKind {
    /// Closed way or multipolygon.
    Area,
    /// Open way.
    Line,
    /// Node.
    Point,
}

/// One learning site found in the OSM file.
#[derive(Clone, Debug, PartialEq)]
pub struct OsmSite {
    /// The OSM element.
    pub element: ElementId,
    /// `name`, else `name:zh`, else `name:en` (may be empty).
    pub name: String,
    /// Output category (a config category name).
    pub category: String,
    /// The rule that assigned the category.
    pub source_tag: String,
    /// Representative point, WGS84 degrees.
    pub lon: f64,
    /// Representative point, WGS84 degrees.
    pub lat: f64,
    /// Representative point, local metres.
    pub xy: [f64; 2],
    /// Point, line or area.
    pub geometry: GeometryKind,
    /// Area in m² (0 for points and lines).
    pub area_m2: f64,
}

/// A site dropped as a duplicate of another.
#[derive(Clone, Debug, PartialEq)]
pub struct MergedSite {
    /// The site dropped.
    pub dropped: ElementId,
    /// The site kept.
    pub kept: ElementId,
    /// Their common name.
    pub name: String,
    /// Distance between their representative points, metres.
    pub distance_m: f64,
}

/// An element that matched the table but has no usable geometry.
#[derive(Clone, Debug, PartialEq)]
pub struct UnplacedSite {
    /// The element.
    pub element: ElementId,
    /// Its name.
    pub name: String,
    /// Its table category.
    pub category: &'static str,
    /// Why it has no position.
    pub problem: GeometryProblem,
}

/// The result of [`extract_sites`].
#[derive(Clone, Debug, Default)]
pub struct SitesExtract {
    /// Sites to write, sorted by id (nodes, ways, relations; then OSM id).
    pub sites: Vec<OsmSite>,
    /// Duplicates merged into a kept site.
    pub merged: Vec<MergedSite>,
    /// Excluded ids that were found (and dropped).
    pub excluded: Vec<ElementId>,
    /// Excluded ids not present among the matching elements.
    pub exclude_not_found: Vec<ElementId>,
    /// Table categories matched but not written (no output category accepts
    /// them), with counts.
    pub filtered_out: BTreeMap<&'static str, usize>,
    /// Elements without usable geometry (not written).
    pub unplaced: Vec<UnplacedSite>,
    /// Elements that matched the table.
    pub matched: usize,
}

/// Errors of the site extraction stage.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OsmSitesError {
    /// The OSM file could not be read.
    #[error(transparent)]
    Osm(#[from] NetworkError),
    /// A node cannot be projected into the local frame.
    #[error("osm file {path}: node {node_id}: cannot project ({lon}, {lat})")]
    Projection {
        /// The file.
        path: PathBuf,
        /// OSM node id.
        node_id: i64,
        /// Longitude, degrees.
        lon: f64,
        /// Latitude, degrees.
        lat: f64,
    },
    /// An `--exclude` value is not an element id.
    #[error("exclude id {value:?} is not an OSM element id (n123, w123, r123 or node/123)")]
    BadElementId {
        /// The value as given.
        value: String,
    },
    /// Nothing to write.
    #[error("osm file {path}: no learning site to write: {reason}")]
    NoSites {
        /// The file.
        path: PathBuf,
        /// What was found instead.
        reason: String,
    },
    /// The configuration could not be loaded.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// `--merge-radius-m` is out of range.
    #[error("--merge-radius-m {value}: must be between 0 and 10000 metres")]
    BadMergeRadius {
        /// The value given.
        value: f64,
    },
    /// The sites file could not be written.
    #[error(transparent)]
    Output(#[from] OutputError),
}

fn display_name<T: Tags + ?Sized>(tags: &T) -> String {
    ["name", "name:zh", "name:en"]
        .iter()
        .find_map(|k| tags.tag(k).map(str::trim).filter(|v| !v.is_empty()))
        .unwrap_or_default()
        .to_string()
}

struct Candidate {
    element: ElementId,
    name: String,
    category: String,
    source_tag: String,
    xy: [f64; 2],
    geometry: GeometryKind,
    area_m2: f64,
}

fn kind_rank(k: OsmKind) -> u8 {
    match k {
        OsmKind::Way => 0,
        OsmKind::Relation => 1,
        OsmKind::Node => 2,
    }
}

/// Reads the OSM file and returns its learning sites under `rules`.
///
/// # Errors
/// [`OsmSitesError::Osm`] when the file cannot be read; [`OsmSitesError::NoSites`]
/// when nothing is left to write.
pub fn extract_sites(path: &Path, rules: &SiteRules) -> Result<SitesExtract, OsmSitesError> {
    let keep = |tags: &[(&str, &str)]| classify(tags).is_some();
    let selection = OsmSelection {
        nodes: Some(&keep),
        ways: Some(&keep),
        relations: Some(&keep),
    };
    let data = read_osm(path, &selection)?;
    let out = sites_from_data(path, &data, rules)?;
    if out.sites.is_empty() {
        let reason = if out.matched == 0 {
            "no element matches the tag/name table".to_string()
        } else {
            format!(
                "{} elements matched, none written (filtered out: {:?}; excluded {}; unplaced {}); \
                 output categories: {}",
                out.matched,
                out.filtered_out,
                out.excluded.len(),
                out.unplaced.len(),
                rules.output.names().join(", ")
            )
        };
        return Err(OsmSitesError::NoSites {
            path: path.to_path_buf(),
            reason,
        });
    }
    Ok(out)
}

/// The run's frame for `data`: a projection centred on the box of its nodes, and
/// the nodes projected into it.
fn frame(path: &Path, data: &OsmData) -> Result<(LocalProjection, ProjectedNodes), OsmSitesError> {
    let bbox = crate::base::model::bbox_of(data.nodes.iter().map(|n| (n.lon(), n.lat())))
        .unwrap_or([0.0; 4]);
    let proj = LocalProjection::centred_on(bbox).map_err(|_| OsmSitesError::Projection {
        path: path.to_path_buf(),
        node_id: 0,
        lon: 0.5 * (bbox[0] + bbox[2]),
        lat: 0.5 * (bbox[1] + bbox[3]),
    })?;
    let nodes = ProjectedNodes::new(data, &proj).map_err(|(node_id, lon, lat)| {
        OsmSitesError::Projection {
            path: path.to_path_buf(),
            node_id,
            lon,
            lat,
        }
    })?;
    Ok((proj, nodes))
}

/// The elements of `data` that [`classify`] accepts, with their shapes, in id order.
fn located(path: &Path, data: &OsmData) -> Result<(LocalProjection, Vec<Located>), OsmSitesError> {
    let (proj, nodes) = frame(path, data)?;
    let mut out = Vec::new();
    let mut push = |kind, id, tags: &[(String, String)]| {
        if let Some(class) = classify(tags) {
            out.push(Located {
                element: ElementId { kind, id },
                name: display_name(tags),
                class,
                shape: element_shape(kind, id, data, &nodes),
            });
        }
    };
    for (kind, id, tags) in data.tagged_elements() {
        push(kind, id, tags);
    }
    Ok((proj, out))
}

struct Located {
    element: ElementId,
    name: String,
    class: Classification,
    shape: Result<Shape, GeometryProblem>,
}

/// [`extract_sites`] on already-read data (every node, way and relation of `data`
/// is considered).
///
/// # Errors
/// [`OsmSitesError::Projection`] for a node outside the projection's domain.
pub fn sites_from_data(
    path: &Path,
    data: &OsmData,
    rules: &SiteRules,
) -> Result<SitesExtract, OsmSitesError> {
    let (proj, found) = located(path, data)?;
    let mut out = SitesExtract {
        matched: found.len(),
        ..SitesExtract::default()
    };
    let mut candidates = Vec::new();
    for f in found {
        if rules.exclude.contains(&f.element) {
            out.excluded.push(f.element);
            continue;
        }
        let Some(category) = rules.output.resolve(f.class.category) else {
            *out.filtered_out.entry(f.class.category).or_default() += 1;
            continue;
        };
        let shape = match f.shape {
            Ok(s) => s,
            Err(problem) => {
                out.unplaced.push(UnplacedSite {
                    element: f.element,
                    name: f.name,
                    category: f.class.category,
                    problem,
                });
                continue;
            }
        };
        let Some(xy) = shape.centroid() else {
            out.unplaced.push(UnplacedSite {
                element: f.element,
                name: f.name,
                category: f.class.category,
                problem: GeometryProblem::Empty,
            });
            continue;
        };
        candidates.push(Candidate {
            element: f.element,
            name: f.name,
            category: category.to_string(),
            source_tag: f.class.source_tag,
            xy,
            geometry: match shape {
                Shape::Point(_) => GeometryKind::Point,
                Shape::Line(_) => GeometryKind::Line,
                Shape::Area(_) => GeometryKind::Area,
            },
            area_m2: shape.area_m2(),
        });
    }
    out.exclude_not_found = rules
        .exclude
        .iter()
        .filter(|e| !out.excluded.contains(e))
        .copied()
        .collect();
    let (kept, merged) = merge_duplicates(candidates, rules.merge_radius_m);
    out.merged = merged;
    out.sites = kept
        .into_iter()
        .map(|c| {
            let (lon, lat) = proj.inverse(c.xy);
            OsmSite {
                element: c.element,
                name: c.name,
                category: c.category,
                source_tag: c.source_tag,
                lon,
                lat,
                xy: c.xy,
                geometry: c.geometry,
                area_m2: c.area_m2,
            }
        })
        .collect();
    out.sites
        .sort_by_key(|s| (kind_rank_output(s.element.kind), s.element.id));
    out.merged.sort_by_key(|m| m.dropped);
    Ok(out)
}

fn kind_rank_output(k: OsmKind) -> u8 {
    match k {
        OsmKind::Node => 0,
        OsmKind::Way => 1,
        OsmKind::Relation => 2,
    }
}

fn normalised_name(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The merge rule of the module docs: preference order, then greedy keep.
fn merge_duplicates(
    mut candidates: Vec<Candidate>,
    radius_m: f64,
) -> (Vec<Candidate>, Vec<MergedSite>) {
    candidates.sort_by(|a, b| {
        a.geometry
            .cmp(&b.geometry)
            .then(b.area_m2.total_cmp(&a.area_m2))
            .then(kind_rank(a.element.kind).cmp(&kind_rank(b.element.kind)))
            .then(a.element.id.cmp(&b.element.id))
    });
    let mut kept: Vec<Candidate> = Vec::with_capacity(candidates.len());
    let mut merged = Vec::new();
    // Kept sites by (category, normalised name); unnamed sites are never merged.
    let mut by_key: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for c in candidates {
        let key = (c.category.clone(), normalised_name(&c.name));
        if !key.1.is_empty()
            && let Some(idx) = by_key.get(&key)
            && let Some((k, d)) = idx
                .iter()
                .map(|&i| (i, (kept[i].xy[0] - c.xy[0]).hypot(kept[i].xy[1] - c.xy[1])))
                .filter(|(_, d)| *d <= radius_m)
                .min_by(|a, b| a.1.total_cmp(&b.1))
        {
            merged.push(MergedSite {
                dropped: c.element,
                kept: kept[k].element,
                name: c.name,
                distance_m: d,
            });
            continue;
        }
        if !key.1.is_empty() {
            by_key.entry(key).or_default().push(kept.len());
        }
        kept.push(c);
    }
    (kept, merged)
}

/// Writes `id,name,category,lon,lat,osm_type,osm_id,source_tag` (lon/lat with 6
/// decimals, ≈ 0.1 m) atomically, in the order given.
///
/// # Errors
/// [`OsmSitesError::Output`] when the file cannot be written.
pub fn write_sites_csv(path: &Path, sites: &[OsmSite]) -> Result<(), OsmSitesError> {
    write_file_atomic(path, |w| {
        let mut csv = csv::WriterBuilder::new().from_writer(w);
        csv.write_record([
            "id",
            "name",
            "category",
            "lon",
            "lat",
            "osm_type",
            "osm_id",
            "source_tag",
        ])?;
        for s in sites {
            csv.write_record([
                s.element.to_string(),
                s.name.clone(),
                s.category.clone(),
                format!("{:.6}", s.lon),
                format!("{:.6}", s.lat),
                s.element.kind.to_string(),
                s.element.id.to_string(),
                s.source_tag.clone(),
            ])?;
        }
        csv.flush()?;
        Ok(())
    })?;
    Ok(())
}

/// Options of `learncircle sites`.
#[derive(Clone, Debug, PartialEq)]
pub struct SitesOptions {
    /// OpenStreetMap extract (.osm.pbf or .osm XML).
    pub osm: PathBuf,
    /// Output sites CSV (written atomically).
    pub out: PathBuf,
    /// Category configuration (TOML) whose categories are written.
    pub config: Option<PathBuf>,
    /// Built-in configuration whose categories are written (default gb50180).
    pub preset: Option<String>,
    /// Also write schools and universities/colleges.
    pub with_education: bool,
    /// OSM elements never written (n123, w123, r123 or node/123).
    pub exclude: Vec<String>,
    /// Same-name sites of one category closer than this are merged, metres.
    pub merge_radius_m: f64,
}

/// `learncircle sites`: rules from the command line (and config), extract, write.
///
/// The output categories are the config's (or preset's) categories; a config
/// without categories, or no config, gives the `gb50180` learning categories.
///
/// # Errors
/// Any [`OsmSitesError`]; nothing is written then.
pub fn run(a: &SitesOptions) -> Result<SitesExtract, OsmSitesError> {
    if !(a.merge_radius_m.is_finite() && (0.0..=10_000.0).contains(&a.merge_radius_m)) {
        return Err(OsmSitesError::BadMergeRadius {
            value: a.merge_radius_m,
        });
    }
    let config = match (&a.config, &a.preset) {
        (Some(p), _) => Some(Config::from_path(p)?),
        (None, Some(n)) => Some(Config::preset(n)?),
        (None, None) => None,
    };
    let mut output = match &config {
        Some(c) if !c.categories.is_empty() => OutputCategories::from_config(c),
        _ => OutputCategories::learning_default()?,
    };
    if a.with_education {
        output = output.with_education();
    }
    let mut exclude = BTreeSet::new();
    for s in config
        .iter()
        .flat_map(|c| c.sites_exclude.iter())
        .chain(&a.exclude)
        .filter(|s| !s.trim().is_empty())
    {
        exclude.insert(s.parse::<ElementId>()?);
    }
    let rules = SiteRules {
        output,
        exclude,
        merge_radius_m: a.merge_radius_m,
    };
    let out = extract_sites(&a.osm, &rules)?;
    write_sites_csv(&a.out, &out.sites)?;
    Ok(out)
}

impl SitesExtract {
    /// Report lines for stdout.
    #[must_use]
    pub fn lines(&self) -> Vec<String> {
        let per: Vec<String> = counts_by_category(&self.sites)
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        let mut out = vec![
            format!("elements matching the table: {}", self.matched),
            format!("sites written: {} ({})", self.sites.len(), per.join(", ")),
        ];
        if !self.filtered_out.is_empty() {
            let f: Vec<String> = self
                .filtered_out
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            out.push(format!(
                "not written (category not in the output categories): {}",
                f.join(", ")
            ));
        }
        for m in &self.merged {
            out.push(format!(
                "merged: {} into {} ({}, {:.0} m apart)",
                m.dropped, m.kept, m.name, m.distance_m
            ));
        }
        for e in &self.excluded {
            out.push(format!("excluded: {e}"));
        }
        out
    }

    /// Warnings for stderr: elements without geometry, exclusions not found.
    #[must_use]
    pub fn warnings(&self) -> Vec<String> {
        let mut w: Vec<String> = self
            .unplaced
            .iter()
            .map(|u| {
                format!(
                    "{} {:?} ({}): not written: {}",
                    u.element, u.name, u.category, u.problem
                )
            })
            .collect();
        for e in &self.exclude_not_found {
            w.push(format!(
                "excluded id {e} is not among the matching elements of the file"
            ));
        }
        w
    }
}

/// Counts of written sites per category, sorted by category.
#[must_use]
pub fn counts_by_category(sites: &[OsmSite]) -> BTreeMap<&str, usize> {
    let mut m = BTreeMap::new();
    for s in sites {
        *m.entry(s.category.as_str()).or_default() += 1;
    }
    m
}

/// An element id with its representative point `(lon, lat)` or why it has none.
pub type LocatedElement = (ElementId, Result<(f64, f64), GeometryProblem>);

/// The element ids and representative points (WGS84) of every element of the
/// file that satisfies `select`, whatever its category: for checks against
/// other tools' centroids.
///
/// # Errors
/// When the file cannot be read or a node cannot be projected.
pub fn locate_elements(
    path: &Path,
    select: crate::network::osm::TagFilter<'_>,
) -> Result<Vec<LocatedElement>, OsmSitesError> {
    let selection = OsmSelection {
        nodes: Some(select),
        ways: Some(select),
        relations: Some(select),
    };
    let data = read_osm(path, &selection)?;
    let (proj, nodes) = frame(path, &data)?;
    let mut out = Vec::new();
    let mut push = |kind, id, tags: &[(String, String)]| {
        let t: Vec<(&str, &str)> = tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        if select(&t) {
            let at = element_shape(kind, id, &data, &nodes)
                .and_then(|s| s.centroid().ok_or(GeometryProblem::Empty))
                .map(|xy| proj.inverse(xy));
            out.push((ElementId { kind, id }, at));
        }
    };
    for (kind, id, tags) in data.tagged_elements() {
        push(kind, id, tags);
    }
    Ok(out)
}

#[cfg(test)]
#[path = "sites_tests.rs"]
mod tests;
