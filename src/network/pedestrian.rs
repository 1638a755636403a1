//! Which OpenStreetMap ways a pedestrian may walk on, in which direction, and what
//! kind of edge they make. A pure function over tags: [`walkable`].
//!
//! * **Input:** the tags of one way (anything implementing [`Tags`]).
//! * **Output:** `None` (not walkable) or a [`Walkable`]: highway class, walking
//!   direction, and [`EdgeFlags`] (steps, tunnel, indoor, elevated, area).
//!
//! # The rules (also in `docs/METHODS.md`)
//!
//! 1. **Classes walked by default:** `footway`, `path`, `pedestrian`, `steps`,
//!    `living_street`, `residential`, `service`, `unclassified`, `track`, `road`,
//!    `corridor`, `bridleway`, `platform` (bus/tram platforms are walkable; isolated
//!    ones drop out by the component rule), `primary`/`secondary`/`tertiary` and
//!    their `_link`s (city arterials have sidewalks; where a sidewalk is mapped
//!    separately both are walkable and the network stays conservative), and the
//!    non-standard `trail` (found in real extracts, an alias of `path`).
//! 2. **Walked only with an explicit foot permission** (`foot` ∈ yes, designated,
//!    permissive, official): `cycleway`, `motorway`, `motorway_link`, `busway`.
//!    `trunk`/`trunk_link` also accept a mapped sidewalk (`sidewalk` ∈ both, left,
//!    right, yes), since many Chinese urban trunk roads are at grade with sidewalks.
//! 3. **Never:** every other value, including lifecycle states (`construction`,
//!    `proposed`, `planned`, `abandoned`, `disused`, `razed`), `raceway`,
//!    `bus_guideway`, `elevator` (no horizontal length) and `crossing`/`yes`/typos.
//! 4. **Legal access:** `foot` ∈ no, private, use_sidepath removes the way.
//!    `access` ∈ no, private, agricultural, forestry, military, delivery removes it
//!    unless `foot` grants access (the permissions above, or destination, customers,
//!    permit). Gated residential compounds tagged `access=private` are therefore *not*
//!    walkable for the public; their residents snap to the nearest public way.
//! 5. **Areas:** `area=yes` pedestrian squares are kept; their outline is walkable
//!    (crossing the square is then overestimated, a conservative error) and flagged
//!    [`EdgeFlags::AREA`] for export.
//! 6. **Direction:** `oneway` is a vehicle restriction and is ignored; only
//!    `oneway:foot` = yes/1/true (forward) or -1/reverse (backward) restricts walking.
//! 7. **Edge kinds** (used by snapping, which avoids them when a surface way is near):
//!    * steps ([`EdgeFlags::STEPS`]): `highway=steps`;
//!    * tunnel ([`EdgeFlags::TUNNEL`]): `tunnel` present and not `no`/`building_passage`
//!      (a building passage is at street level), or `location=underground`, or every
//!      `level` value negative;
//!    * indoor ([`EdgeFlags::INDOOR`]): `highway=corridor`, or `indoor` present and not `no`;
//!    * elevated ([`EdgeFlags::ELEVATED`]): `bridge` present and not `no`/`boardwalk`, or every
//!      `level` value positive. `layer` alone is ignored: it only orders crossings
//!      (streets under a flyover carry `layer=-1` and are at street level).

use super::osm::Tags;

/// Highway classes the filter can accept, in a fixed order: the class index stored
/// per way is a position in this list.
pub const HIGHWAY_CLASSES: [&str; 26] = [
    "footway",
    "path",
    "pedestrian",
    "steps",
    "living_street",
    "residential",
    "service",
    "unclassified",
    "track",
    "road",
    "corridor",
    "bridleway",
    "platform",
    "tertiary",
    "tertiary_link",
    "secondary",
    "secondary_link",
    "primary",
    "primary_link",
    "trail",
    "cycleway",
    "motorway",
    "motorway_link",
    "busway",
    "trunk",
    "trunk_link",
];

/// First class index that needs an explicit foot permission (`cycleway`).
const FIRST_CONDITIONAL: usize = 20;
/// First class index that a mapped sidewalk also opens (`trunk`).
const FIRST_SIDEWALK_OK: usize = 24;

/// Per-edge kind bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EdgeFlags(pub u8);

impl EdgeFlags {
    /// `highway=steps`.
    pub const STEPS: EdgeFlags = EdgeFlags(1);
    /// Underground: tunnel, `location=underground`, negative level.
    pub const TUNNEL: EdgeFlags = EdgeFlags(2);
    /// Indoor: `highway=corridor` or `indoor=*`.
    pub const INDOOR: EdgeFlags = EdgeFlags(4);
    /// Above ground: bridge, viaduct, positive level.
    pub const ELEVATED: EdgeFlags = EdgeFlags(8);
    /// Outline of a pedestrian area (`area=yes`).
    pub const AREA: EdgeFlags = EdgeFlags(16);

    /// All flags set in `other` are set here.
    #[must_use]
    pub fn contains(self, other: EdgeFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Union.
    #[must_use]
    pub fn with(self, other: EdgeFlags) -> EdgeFlags {
        EdgeFlags(self.0 | other.0)
    }

    /// Steps.
    #[must_use]
    pub fn is_steps(self) -> bool {
        self.contains(Self::STEPS)
    }

    /// Tunnel, indoor or elevated: not at street level.
    #[must_use]
    pub fn is_non_surface(self) -> bool {
        self.0 & (Self::TUNNEL.0 | Self::INDOOR.0 | Self::ELEVATED.0) != 0
    }

    /// An edge a resident or a site is attached to by preference: at street level
    /// and not steps.
    #[must_use]
    pub fn is_preferred_for_snapping(self) -> bool {
        !self.is_non_surface() && !self.is_steps()
    }

    /// Names of the set flags, `;`-separated (`steps;tunnel`), for export.
    #[must_use]
    pub fn names(self) -> String {
        let mut out = Vec::new();
        for (f, name) in [
            (Self::STEPS, "steps"),
            (Self::TUNNEL, "tunnel"),
            (Self::INDOOR, "indoor"),
            (Self::ELEVATED, "elevated"),
            (Self::AREA, "area"),
        ] {
            if self.contains(f) {
                out.push(name);
            }
        }
        out.join(";")
    }
}

/// Directions a pedestrian may walk a way in, relative to its node order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FootDirection {
    /// Both ways (the normal case).
    Both,
    /// Only in node order (`oneway:foot=yes`).
    Forward,
    /// Only against node order (`oneway:foot=-1`).
    Backward,
}

impl FootDirection {
    /// Walking in node order is allowed.
    #[must_use]
    pub fn forward(self) -> bool {
        matches!(self, FootDirection::Both | FootDirection::Forward)
    }

    /// Walking against node order is allowed.
    #[must_use]
    pub fn backward(self) -> bool {
        matches!(self, FootDirection::Both | FootDirection::Backward)
    }
}

/// A walkable way's class, direction and edge kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Walkable {
    /// Index into [`HIGHWAY_CLASSES`].
    pub class: u8,
    /// Allowed walking direction.
    pub direction: FootDirection,
    /// Edge kind.
    pub flags: EdgeFlags,
}

impl Walkable {
    /// The `highway=*` value.
    #[must_use]
    pub fn highway(self) -> &'static str {
        HIGHWAY_CLASSES[usize::from(self.class)]
    }
}

fn any_of(value: Option<&str>, set: &[&str]) -> bool {
    value.is_some_and(|v| set.contains(&v))
}

/// `Some(true)` when every `;`-separated level is positive, `Some(false)` when every
/// one is negative, `None` otherwise (street level, mixed, or unparseable).
fn level_sign(level: Option<&str>) -> Option<bool> {
    let level = level?;
    let mut pos = 0;
    let mut neg = 0;
    let mut n = 0;
    for part in level.split(';') {
        let v: f64 = part.trim().parse().ok()?;
        n += 1;
        if v > 0.0 {
            pos += 1;
        } else if v < 0.0 {
            neg += 1;
        }
    }
    if n > 0 && pos == n {
        Some(true)
    } else if n > 0 && neg == n {
        Some(false)
    } else {
        None
    }
}

/// Whether a way with these tags is walkable, and how (see the module docs for the
/// rules).
///
/// # Example
/// ```
/// use learncircle::network::{EdgeFlags, walkable};
///
/// let w = walkable([("highway", "footway"), ("tunnel", "yes")].as_slice()).expect("walkable");
/// assert!(w.flags.contains(EdgeFlags::TUNNEL));
/// assert!(walkable([("highway", "cycleway")].as_slice()).is_none());
/// assert!(walkable([("highway", "cycleway"), ("foot", "designated")].as_slice()).is_some());
/// ```
#[must_use]
pub fn walkable<T: Tags + ?Sized>(tags: &T) -> Option<Walkable> {
    let highway = tags.tag("highway")?;
    let class = HIGHWAY_CLASSES.iter().position(|c| *c == highway)?;
    let foot = tags.tag("foot");
    if any_of(foot, &["no", "private", "use_sidepath"]) {
        return None;
    }
    let foot_permitted = any_of(foot, &["yes", "designated", "permissive", "official"]);
    if class >= FIRST_CONDITIONAL {
        let sidewalk = class >= FIRST_SIDEWALK_OK
            && any_of(tags.tag("sidewalk"), &["both", "left", "right", "yes"]);
        if !(foot_permitted || sidewalk) {
            return None;
        }
    }
    let foot_grants = foot_permitted || any_of(foot, &["destination", "customers", "permit"]);
    if any_of(
        tags.tag("access"),
        &[
            "no",
            "private",
            "agricultural",
            "forestry",
            "military",
            "delivery",
        ],
    ) && !foot_grants
    {
        return None;
    }
    let direction = match tags.tag("oneway:foot") {
        Some("yes" | "1" | "true") => FootDirection::Forward,
        Some("-1" | "reverse") => FootDirection::Backward,
        _ => FootDirection::Both,
    };
    let mut flags = EdgeFlags::default();
    if highway == "steps" {
        flags = flags.with(EdgeFlags::STEPS);
    }
    let level = level_sign(tags.tag("level"));
    if tags
        .tag("tunnel")
        .is_some_and(|t| t != "no" && t != "building_passage")
        || tags.tag("location") == Some("underground")
        || level == Some(false)
    {
        flags = flags.with(EdgeFlags::TUNNEL);
    }
    if highway == "corridor" || tags.tag("indoor").is_some_and(|v| v != "no") {
        flags = flags.with(EdgeFlags::INDOOR);
    }
    if tags
        .tag("bridge")
        .is_some_and(|b| b != "no" && b != "boardwalk")
        || level == Some(true)
    {
        flags = flags.with(EdgeFlags::ELEVATED);
    }
    if tags.tag("area") == Some("yes") {
        flags = flags.with(EdgeFlags::AREA);
    }
    let class = u8::try_from(class).expect("HIGHWAY_CLASSES has fewer than 256 entries");
    Some(Walkable {
        class,
        direction,
        flags,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: EdgeFlags = EdgeFlags::STEPS;
    const T: EdgeFlags = EdgeFlags::TUNNEL;
    const I: EdgeFlags = EdgeFlags::INDOOR;
    const E: EdgeFlags = EdgeFlags::ELEVATED;
    const A: EdgeFlags = EdgeFlags::AREA;
    const N: EdgeFlags = EdgeFlags(0);
    use FootDirection::{Backward as Bw, Both, Forward as Fw};

    /// (tags, expected: None = not walkable, Some((highway, direction, flags))).
    #[allow(clippy::type_complexity)]
    fn table() -> Vec<(
        &'static str,
        Option<(&'static str, FootDirection, EdgeFlags)>,
    )> {
        vec![
            // walkable classes
            ("highway=footway", Some(("footway", Both, N))),
            ("highway=path", Some(("path", Both, N))),
            ("highway=pedestrian", Some(("pedestrian", Both, N))),
            ("highway=steps", Some(("steps", Both, S))),
            ("highway=living_street", Some(("living_street", Both, N))),
            ("highway=residential", Some(("residential", Both, N))),
            ("highway=service", Some(("service", Both, N))),
            ("highway=unclassified", Some(("unclassified", Both, N))),
            ("highway=track", Some(("track", Both, N))),
            ("highway=road", Some(("road", Both, N))),
            ("highway=bridleway", Some(("bridleway", Both, N))),
            ("highway=platform", Some(("platform", Both, N))),
            ("highway=tertiary_link", Some(("tertiary_link", Both, N))),
            ("highway=secondary", Some(("secondary", Both, N))),
            ("highway=primary", Some(("primary", Both, N))),
            ("highway=primary_link", Some(("primary_link", Both, N))),
            ("highway=trail", Some(("trail", Both, N))),
            ("highway=corridor", Some(("corridor", Both, I))),
            // conditional classes
            ("highway=cycleway", None),
            ("highway=cycleway foot=yes", Some(("cycleway", Both, N))),
            (
                "highway=cycleway foot=designated",
                Some(("cycleway", Both, N)),
            ),
            (
                "highway=cycleway foot=permissive",
                Some(("cycleway", Both, N)),
            ),
            ("highway=cycleway foot=no", None),
            ("highway=motorway", None),
            ("highway=motorway_link", None),
            (
                "highway=motorway foot=designated",
                Some(("motorway", Both, N)),
            ),
            ("highway=trunk", None),
            ("highway=trunk_link", None),
            ("highway=trunk foot=yes", Some(("trunk", Both, N))),
            ("highway=trunk sidewalk=both", Some(("trunk", Both, N))),
            ("highway=trunk sidewalk=no", None),
            ("highway=motorway sidewalk=both", None),
            // never
            ("highway=construction", None),
            ("highway=proposed", None),
            ("highway=abandoned", None),
            ("highway=raceway", None),
            ("highway=bus_guideway", None),
            ("highway=elevator", None),
            ("highway=crossing", None),
            ("building=yes", None),
            ("highway=Footway", None),
            // legal access
            ("highway=footway foot=no", None),
            ("highway=residential foot=use_sidepath", None),
            ("highway=service access=private", None),
            ("highway=service access=no", None),
            (
                "highway=service access=private foot=yes",
                Some(("service", Both, N)),
            ),
            (
                "highway=service access=no foot=permissive",
                Some(("service", Both, N)),
            ),
            (
                "highway=service access=private foot=destination",
                Some(("service", Both, N)),
            ),
            (
                "highway=service access=destination",
                Some(("service", Both, N)),
            ),
            ("highway=track access=agricultural", None),
            (
                "highway=footway access=permissive",
                Some(("footway", Both, N)),
            ),
            ("highway=footway foot=private", None),
            // direction
            ("highway=footway oneway=yes", Some(("footway", Both, N))),
            (
                "highway=residential oneway=-1",
                Some(("residential", Both, N)),
            ),
            ("highway=footway oneway:foot=yes", Some(("footway", Fw, N))),
            ("highway=footway oneway:foot=-1", Some(("footway", Bw, N))),
            ("highway=footway oneway:foot=no", Some(("footway", Both, N))),
            // edge kinds
            ("highway=footway tunnel=yes", Some(("footway", Both, T))),
            (
                "highway=footway tunnel=building_passage",
                Some(("footway", Both, N)),
            ),
            ("highway=footway tunnel=no", Some(("footway", Both, N))),
            (
                "highway=footway location=underground",
                Some(("footway", Both, T)),
            ),
            ("highway=footway level=-1", Some(("footway", Both, T))),
            ("highway=footway level=-3;-2", Some(("footway", Both, T))),
            ("highway=footway level=0;2", Some(("footway", Both, N))),
            ("highway=footway level=2", Some(("footway", Both, E))),
            ("highway=footway indoor=yes", Some(("footway", Both, I))),
            ("highway=footway indoor=no", Some(("footway", Both, N))),
            ("highway=footway bridge=yes", Some(("footway", Both, E))),
            ("highway=primary bridge=viaduct", Some(("primary", Both, E))),
            (
                "highway=footway bridge=boardwalk",
                Some(("footway", Both, N)),
            ),
            (
                "highway=residential layer=-1",
                Some(("residential", Both, N)),
            ),
            (
                "highway=residential layer=1",
                Some(("residential", Both, N)),
            ),
            ("highway=steps tunnel=yes", Some(("steps", Both, S.with(T)))),
            ("highway=pedestrian area=yes", Some(("pedestrian", Both, A))),
        ]
    }

    #[test]
    fn tag_filter_table() {
        let rows = table();
        assert!(rows.len() >= 25);
        for (tags, want) in rows {
            let pairs: Vec<(&str, &str)> = tags
                .split(' ')
                .map(|kv| kv.split_once('=').expect("table rows are k=v pairs"))
                .collect();
            let got = walkable(pairs.as_slice()).map(|w| (w.highway(), w.direction, w.flags));
            assert_eq!(got, want, "tags: {tags}");
        }
    }

    #[test]
    fn flag_helpers() {
        assert!(S.is_steps() && !S.is_preferred_for_snapping() && !S.is_non_surface());
        assert!(T.is_non_surface() && I.is_non_surface() && E.is_non_surface());
        assert!(!A.is_non_surface() && A.is_preferred_for_snapping());
        assert_eq!(S.with(T).names(), "steps;tunnel");
        assert_eq!(N.names(), "");
    }
}
