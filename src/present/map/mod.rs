//! The learning map: `map.html`, one self-contained, offline page of a run
//! (vendored Leaflet, `assets/map/`), with the run's data inlined as the JSON
//! object of `docs/MAP-DATA.md`.
//!
//! * **Inputs:** the run directory as [`RunDir`] reads it (cells, sites, units,
//!   gaps, targets, recommendations, what-if columns: what `cells.csv` and the other
//!   files say, so the page shows exactly the written numbers) and, when the command
//!   that computed the run hands it down, the run's engine ([`RunEngine`]: graph,
//!   cells, sites, categories) for the walking network and the routes.
//! * **Output:** the page's HTML text.
//!
//! Without an engine (`report --run DIR`, straight-line runs) the page has no
//! streets and no routes; everything else is drawn.

mod gap_cells;
mod pack;
mod routes;

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::{Value, json};

use self::pack::{pack, pack_delta};
pub use self::routes::RunEngine;
use super::charts::run::Cells;
use super::charts::{ChartError, Lang, RunDir, font};
use crate::config::Layer;
use crate::export::qgis_style::{TIER_BOUNDS_MIN, TIER_RGB};

const TEMPLATE: &str = include_str!("../../../assets/map/map.html");
const MAP_JS: &str = include_str!("../../../assets/map/map.js");
const MAP_CSS: &str = include_str!("../../../assets/map/map.css");
const LEAFLET_JS: &str = include_str!("../../../assets/map/vendor/leaflet/leaflet.js");
const LEAFLET_CSS: &str = include_str!("../../../assets/map/vendor/leaflet/leaflet.css");

/// `NONE` of the packed u32 arrays: an empty field.
const NONE: u32 = u32::MAX;

/// The page and what could not be included.
#[derive(Debug)]
pub struct MapPage {
    /// The HTML text.
    pub html: String,
    /// Why parts are missing (e.g. no routes), for the command's warnings.
    pub warnings: Vec<String>,
}

/// Render `map.html` for a run.
///
/// # Errors
/// When the embedded font cannot be loaded.
pub fn render_map(
    run: &RunDir,
    engine: Option<&RunEngine<'_>>,
    lang: Lang,
) -> Result<MapPage, ChartError> {
    let mut warnings = Vec::new();
    let engine = engine.filter(|e| {
        let same = run.cells.as_ref().is_some_and(|c| {
            c.id.len() == e.cells.len() && c.id.iter().zip(e.cells).all(|(a, b)| *a == b.id)
        });
        if !same {
            warnings.push("map.html: cells.csv does not match the run's cells: no routes".into());
        }
        same
    });
    let routes = match engine.map(routes::encode).transpose() {
        Ok(r) => r,
        Err(why) => {
            warnings.push(format!("map.html: no routes ({why})"));
            None
        }
    };
    let data = map_data(run, engine, routes, lang);
    let font_b64 = base64::engine::general_purpose::STANDARD.encode(font::font_bytes()?);
    let title = title(lang);
    Ok(MapPage {
        html: fill_template(&title, lang, &data, &font_b64),
        warnings,
    })
}

fn title(lang: Lang) -> String {
    match lang {
        Lang::Zh => "学习圈地图：步行可达的学习场所".to_owned(),
        Lang::En => "Learning map: places of learning within walking distance".to_owned(),
    }
}

/// The template with each placeholder replaced once, scanning the template only
/// (inserted text is never searched again).
fn fill_template(title: &str, lang: Lang, data: &Value, font_b64: &str) -> String {
    let lang_code = match lang {
        Lang::Zh => "zh",
        Lang::En => "en",
    };
    let data_text = data.to_string().replace('<', "\\u003c");
    // The title is one of this module's constants: nothing to escape.
    let parts: [(&str, &str); 8] = [
        ("{{LC_LANG}}", lang_code),
        ("{{LC_TITLE}}", title),
        ("/*{{LC_LEAFLET_CSS}}*/", LEAFLET_CSS),
        ("/*{{LC_MAP_CSS}}*/", MAP_CSS),
        ("/*{{LC_LEAFLET_JS}}*/", LEAFLET_JS),
        ("/*{{LC_MAP_JS}}*/", MAP_JS),
        ("{{LC_DATA}}", &data_text),
        ("{{LC_FONT_B64}}", font_b64),
    ];
    let mut out =
        String::with_capacity(TEMPLATE.len() + data_text.len() + font_b64.len() + 300_000);
    let mut rest = TEMPLATE;
    while let Some((at, key, value)) = parts
        .iter()
        .filter_map(|(k, v)| rest.find(k).map(|at| (at, *k, *v)))
        .min_by_key(|p| p.0)
    {
        out.push_str(&rest[..at]);
        out.push_str(value);
        rest = &rest[at + key.len()..];
    }
    out.push_str(rest);
    out
}

fn map_data(
    run: &RunDir,
    engine: Option<&RunEngine<'_>>,
    routes: Option<routes::Routes>,
    lang: Lang,
) -> Value {
    let cats = categories(run, engine);
    let names: Vec<String> = cats
        .iter()
        .map(|c| c["name"].as_str().unwrap_or("").to_owned())
        .collect();
    let mut cells = run.cells.as_ref().map_or_else(
        || json!({"n": 0, "ids": []}),
        |c| cells_json(c, &names, run),
    );
    let (network, trees, sites) = match routes {
        Some(r) => {
            if let Some(obj) = cells.as_object_mut() {
                for (k, v) in r.cell_fields {
                    obj.insert(k.to_owned(), v);
                }
            }
            let e = engine.expect("routes come from an engine");
            (
                r.network,
                Value::Array(r.trees),
                engine_sites(run, e, &names, &r.site_snaps, &r.within),
            )
        }
        None => (Value::Null, Value::Null, file_sites(run, &names)),
    };
    let whatif = whatif_json(run, &names, &sites);
    let (gaps, gap_fields) = gaps_json(run, &names);
    if let Some(obj) = cells.as_object_mut() {
        for (k, v) in gap_fields {
            obj.insert(k.to_owned(), v);
        }
    }
    json!({
        "format": "learncircle-map",
        "version": 1,
        "meta": meta(run, lang),
        "categories": cats,
        "cells": cells,
        "network": network,
        "trees": trees,
        "sites": sites,
        "units": units_json(run, &names),
        "levels": levels_json(run, &names),
        "gaps": gaps,
        "whatif": whatif,
        "recommendations": recommendations_json(run, &names),
    })
}

fn meta(run: &RunDir, lang: Lang) -> Value {
    let s = &run.summary;
    let has_elderly = run.cells.as_ref().is_some_and(|c| c.elderly.is_some());
    let bbox = run.cells.as_ref().map_or(json!(null), |c| {
        let fold = |v: &[f64], f: fn(f64, f64) -> f64, init: f64| v.iter().copied().fold(init, f);
        json!([
            fold(&c.lon, f64::min, f64::INFINITY),
            fold(&c.lat, f64::min, f64::INFINITY),
            fold(&c.lon, f64::max, f64::NEG_INFINITY),
            fold(&c.lat, f64::max, f64::NEG_INFINITY)
        ])
    });
    let colours: Vec<String> = TIER_RGB
        .iter()
        .map(|c| format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2]))
        .collect();
    json!({
        "title": title(lang),
        "lang": match lang { Lang::Zh => "zh", Lang::En => "en" },
        "mode": s.mode,
        "distance_method": s.distance_method,
        "elderly_label": match lang { Lang::Zh => "老年人", Lang::En => "elderly" },
        "has_elderly": has_elderly,
        "bands_min": TIER_BOUNDS_MIN,
        "band_colors": colours,
        "tiers": s.tiers.iter().map(|t| json!({"name": t.tier, "categories": t.categories})).collect::<Vec<_>>(),
        "bbox": bbox,
        "projection": {"kind": "tmerc", "lon_0": s.projection.lon_0, "lat_0": s.projection.lat_0},
    })
}

/// `categories` (§3.3) from `summary.json`, with the walking profile's step rule and
/// the search bound from the engine when there is one.
fn categories(run: &RunDir, engine: Option<&RunEngine<'_>>) -> Vec<Value> {
    let has_elderly = run.cells.as_ref().is_some_and(|c| c.elderly.is_some());
    run.summary
        .categories
        .iter()
        .map(|c| {
            let cat = engine.and_then(|e| e.categories.iter().find(|k| k.name == c.name));
            let threshold = c.threshold_m.unwrap_or(0.0);
            let layer_elderly = c.layer == Layer::Elderly;
            json!({
                "name": c.name,
                "label_zh": c.label_zh.clone().unwrap_or_else(|| c.name.clone()),
                "label_en": c.label_en.clone().unwrap_or_else(|| c.name.clone()),
                "tier": c.tier,
                "threshold_m": threshold,
                "speed_m_per_min": c.speed_m_per_s.unwrap_or(1.0) * 60.0,
                "bound_m": engine.map_or(threshold, |e| threshold * e.search_factor),
                "step_free": cat.is_some_and(|k| k.profile.step_free),
                "step_factor": cat.map_or(1.0, |k| k.profile.step_factor),
                "layer": if layer_elderly { "elderly" } else { "total" },
                "elderly": layer_elderly && has_elderly,
            })
        })
        .collect()
}

/// An optional value as tenths or hundredths in u32 (`NONE` when empty).
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // clamped first
fn fixed(v: Option<f64>, scale: f64) -> u32 {
    v.filter(|x| x.is_finite() && *x >= 0.0).map_or(NONE, |x| {
        (x * scale).round().min(f64::from(NONE - 1)) as u32
    })
}

#[allow(clippy::cast_possible_truncation)] // residents per cell: f32 is the contract
fn f32s(v: &[f64]) -> Vec<f32> {
    v.iter().map(|&x| x as f32).collect()
}

/// Per category: `<cat><suffix>` as fixed-point packed arrays.
fn per_category(cells: &Cells, names: &[String], suffix: &str, scale: f64) -> Value {
    let n = cells.len();
    Value::Array(
        names
            .iter()
            .map(|name| {
                let col = cells.column(&format!("{name}{suffix}"));
                let v: Vec<u32> = (0..n)
                    .map(|i| fixed(col.and_then(|c| c[i]), scale))
                    .collect();
                json!(pack(&v))
            })
            .collect(),
    )
}

/// Bit `c` set when `<cat><suffix>` is 1.
fn covered_bits(cells: &Cells, names: &[String], suffix: &str) -> Value {
    let mut bits = vec![0u32; cells.len()];
    for (c, name) in names.iter().enumerate().take(32) {
        if let Some(col) = cells.flag(&format!("{name}{suffix}")) {
            for (b, on) in bits.iter_mut().zip(col) {
                *b |= u32::from(on) << c;
            }
        }
    }
    json!(pack(&bits))
}

fn cells_json(c: &Cells, names: &[String], run: &RunDir) -> Value {
    let lon: Vec<i32> = c.lon.iter().map(|&x| routes::e7(x)).collect();
    let lat: Vec<i32> = c.lat.iter().map(|&x| routes::e7(x)).collect();
    let off: Vec<u8> = c.flag("off_network").map_or_else(
        || vec![0; c.len()],
        |f| f.into_iter().map(u8::from).collect(),
    );
    let mut out = json!({
        "n": c.len(),
        "size_m": run.summary.gaps.spacing_m,
        "ids": c.id,
        "lon_e7": pack_delta(&lon),
        "lat_e7": pack_delta(&lat),
        "population": pack(&f32s(&c.population)),
        "dist_dm": per_category(c, names, "_dist_m", 10.0),
        "walk_cmin": per_category(c, names, "_walk_min", 100.0),
        "covered": covered_bits(c, names, "_covered"),
        "off_network": pack(&off),
    });
    if let Some(e) = &c.elderly {
        out["elderly"] = json!(pack(&f32s(e)));
    }
    out
}

fn category_index(names: &[String], name: &str) -> Option<usize> {
    names.iter().position(|n| n == name)
}

fn used_by_id(run: &RunDir) -> BTreeMap<&str, Option<bool>> {
    run.sites
        .iter()
        .map(|s| (s.site_id.as_str(), s.used))
        .collect()
}

/// Sites as the engine used them (existing, then planned), with attachments and
/// the residents within each one's threshold.
fn engine_sites(
    run: &RunDir,
    e: &RunEngine<'_>,
    names: &[String],
    snaps: &[(Value, Value)],
    within: &[(f64, Option<f64>)],
) -> Value {
    let used = used_by_id(run);
    let mut out = Vec::new();
    for (k, s) in e.sites.iter().enumerate() {
        let Some(c) = category_index(names, &s.category) else {
            continue;
        };
        out.push(json!({
            "id": s.id,
            "name": s.name,
            "category": c,
            "lon": s.lon,
            "lat": s.lat,
            "capacity": s.capacity,
            "used": used.get(s.id.as_str()).copied().flatten().unwrap_or(!snaps[k].0.is_null()),
            "planned": k >= e.n_existing,
            "residents_within": within[k].0,
            "elderly_within": within[k].1,
            "snap": snaps[k].0,
            "snap_ties": snaps[k].1,
        }));
    }
    Value::Array(out)
}

/// Sites from `sites.csv` (no engine: no attachments, no catchments).
fn file_sites(run: &RunDir, names: &[String]) -> Value {
    Value::Array(
        run.sites
            .iter()
            .filter_map(|s| {
                let c = category_index(names, &s.category)?;
                Some(json!({
                    "id": s.site_id, "name": s.name, "category": c, "lon": s.lon, "lat": s.lat,
                    "capacity": null, "used": s.used.unwrap_or(true),
                    "planned": false,
                    "residents_within": null, "elderly_within": null, "snap": null, "snap_ties": [],
                }))
            })
            .collect(),
    )
}

/// `whatif` (§3.10): the cells' distances without the planned sites.
fn whatif_json(run: &RunDir, names: &[String], sites: &Value) -> Value {
    let Some(c) = run.cells.as_ref() else {
        return Value::Null;
    };
    let Some(first) = names.first() else {
        return Value::Null;
    };
    if run.summary.whatif.is_none() || c.column(&format!("{first}_dist_m_before")).is_none() {
        return Value::Null;
    }
    let planned: Vec<usize> = sites
        .as_array()
        .map(|a| {
            a.iter()
                .enumerate()
                .filter(|(_, s)| s["planned"].as_bool() == Some(true))
                .map(|(k, _)| k)
                .collect()
        })
        .unwrap_or_default();
    // Walking minutes before: distance ÷ speed, as cells.csv prints them (2 decimals).
    let speeds: Vec<f64> = run
        .summary
        .categories
        .iter()
        .map(|k| k.speed_m_per_s.unwrap_or(1.0) * 60.0)
        .collect();
    let n = c.len();
    let walk: Vec<Value> = names
        .iter()
        .zip(&speeds)
        .map(|(name, speed)| {
            let col = c.column(&format!("{name}_dist_m_before"));
            let v: Vec<u32> = (0..n)
                .map(|i| {
                    fixed(
                        col.and_then(|d| d[i])
                            .map(|d| (d / speed * 100.0).round() / 100.0),
                        100.0,
                    )
                })
                .collect();
            json!(pack(&v))
        })
        .collect();
    json!({
        "planned": planned,
        "before": {
            "dist_dm": per_category(c, names, "_dist_m_before", 10.0),
            "walk_cmin": walk,
            "covered": covered_bits(c, names, "_covered_before"),
        },
    })
}

/// A MultiPolygon outline, packed: `{"rings": [[polygon, points], …], "e7": i32
/// delta-coded lon, lat pairs (1e-7°)}`, each ring closed, rings of a polygon
/// exterior first. Points that lie within 1 cm of the line through their kept
/// neighbours are dropped: a gap zone's outline on the cell lattice is mostly runs
/// of collinear cell corners (the 1 M-node city's 642 zones: 37 MB as JSON
/// coordinates before).
fn outline(mp: &geo::MultiPolygon<f64>) -> Value {
    let mut rings = Vec::new();
    let mut e7s: Vec<i32> = Vec::new();
    for (i, p) in mp.0.iter().enumerate() {
        for r in std::iter::once(p.exterior()).chain(p.interiors()) {
            let kept = drop_collinear(&r.0, 0.01);
            rings.push(json!([i, kept.len()]));
            for q in kept {
                e7s.extend([routes::e7(q.x), routes::e7(q.y)]);
            }
        }
    }
    json!({"rings": rings, "e7": pack_delta(&e7s)})
}

/// The points of `ring` without those within `tol_m` metres of the segment from
/// the last kept point to the next point (lon/lat, metres by the local scale).
fn drop_collinear(ring: &[geo::Coord<f64>], tol_m: f64) -> Vec<geo::Coord<f64>> {
    let Some(first) = ring.first() else {
        return Vec::new();
    };
    let kx = 111_320.0 * first.y.to_radians().cos();
    let ky = 110_540.0;
    let mut out: Vec<geo::Coord<f64>> = Vec::with_capacity(ring.len());
    for (i, &q) in ring.iter().enumerate() {
        if let (Some(&a), Some(&c)) = (out.last(), ring.get(i + 1))
            && i > 0
        {
            let (ux, uy) = ((c.x - a.x) * kx, (c.y - a.y) * ky);
            let (vx, vy) = ((q.x - a.x) * kx, (q.y - a.y) * ky);
            let len = ux.hypot(uy);
            let inside = vx * ux + vy * uy >= 0.0 && vx * ux + vy * uy <= len * len;
            if len > 0.0 && inside && (ux * vy - uy * vx).abs() / len < tol_m {
                continue;
            }
        }
        out.push(q);
    }
    out
}

fn units_json(run: &RunDir, names: &[String]) -> Value {
    match run.levels.last() {
        Some(l) => level_units_json(run, l, names),
        None => unit_list_json(run, &run.units, &run.unit_shapes, "", names),
    }
}

/// `levels` (§3.8b): per named level, coarsest first, its units as in `units`
/// with their level, parent and bound categories.
fn levels_json(run: &RunDir, names: &[String]) -> Value {
    let bound = |level: &str| -> Vec<Value> {
        run.summary
            .levels
            .iter()
            .flatten()
            .filter(|l| l.level == level)
            .flat_map(|l| &l.categories)
            .filter_map(|c| category_index(names, &c.category))
            .map(Value::from)
            .collect()
    };
    let parent_level = |level: &str| -> String {
        run.summary
            .levels
            .iter()
            .flatten()
            .find(|l| l.level == level)
            .map(|l| l.parent_level.clone())
            .unwrap_or_default()
    };
    Value::Array(
        run.levels
            .iter()
            .map(|l| {
                json!({
                    "level": l.level,
                    "parent_level": parent_level(&l.level),
                    "bound": bound(&l.level),
                    "units": level_units_json(run, l, names),
                })
            })
            .collect(),
    )
}

fn level_units_json(run: &RunDir, l: &super::charts::run::LevelUnits, names: &[String]) -> Value {
    unit_list_json(run, &l.units, &l.shapes, &l.level, names)
}

/// `units[i]` of `units` (empty `level`) or of one named level.
fn unit_list_json(
    run: &RunDir,
    units: &[super::charts::run::UnitRow],
    unit_shapes: &[super::charts::run::UnitShape],
    level: &str,
    names: &[String],
) -> Value {
    let shapes: BTreeMap<&str, &geo::MultiPolygon<f64>> = unit_shapes
        .iter()
        .map(|u| (u.unit_id.as_str(), &u.shape))
        .collect();
    Value::Array(
        units
            .iter()
            .map(|u| {
                let targets: Vec<Value> = run
                    .targets
                    .iter()
                    .filter(|t| t.scope == u.unit_id && (level.is_empty() || t.level == level))
                    .map(|t| {
                        json!({
                            "label_zh": t.target, "label_en": t.target,
                            "category": category_index(names, &t.category),
                            "target": t.value, "value": t.actual, "pass": t.pass,
                        })
                    })
                    .collect();
                let mut v = json!({
                    "id": u.unit_id,
                    "name": u.unit_name,
                    "population": u.population,
                    "elderly": u.elderly,
                    "outline": shapes.get(u.unit_id.as_str()).map_or(json!([]), |s| outline(s)),
                    "share": names.iter().map(|n| u.categories.get(n).and_then(|c| c.share)).collect::<Vec<_>>(),
                    "covered_all_share": u.covered_all_share,
                    "targets": targets,
                });
                if !level.is_empty() {
                    v["level"] = json!(level);
                    v["parent"] = json!(u.parent_id);
                    v["has_site"] = json!(names
                        .iter()
                        .map(|n| u.categories.get(n).and_then(|c| c.has_site))
                        .collect::<Vec<_>>());
                }
                v
            })
            .collect(),
    )
}

/// Above this many outline points the gap zones are drawn from the cells
/// (`cells.gap`, `cells.gap_edges`) rather than as vector outlines: the 1 M-node
/// city's 642 zones have 185 k rings and 1.4 M points (most parts are single cells
/// or small clusters), too many for the page's vector layers and 15 MB of data.
const GAP_OUTLINE_MAX_POINTS: usize = 50_000;

fn gap_points(run: &RunDir) -> usize {
    run.gap_shapes
        .iter()
        .flat_map(|g| &g.shape.0)
        .map(|p| p.exterior().0.len() + p.interiors().iter().map(|r| r.0.len()).sum::<usize>())
        .sum()
}

/// `gaps` (§3.9) and, in raster mode, the per-category cell fields that replace
/// the outlines.
fn gaps_json(run: &RunDir, names: &[String]) -> (Value, Vec<(&'static str, Value)>) {
    let shapes: BTreeMap<&str, &geo::MultiPolygon<f64>> = run
        .gap_shapes
        .iter()
        .map(|g| (g.gap_id.as_str(), &g.shape))
        .collect();
    let raster = gap_points(run) > GAP_OUTLINE_MAX_POINTS && run.cells.is_some();
    let listed: Vec<(&super::charts::run::GapRow, usize)> = run
        .gaps
        .iter()
        .filter_map(|g| Some((g, category_index(names, &g.category)?)))
        .collect();
    let gaps = Value::Array(
        listed
            .iter()
            .map(|(g, c)| {
                let outline = match shapes.get(g.gap_id.as_str()) {
                    Some(s) if !raster => outline(s),
                    _ => Value::Null,
                };
                json!({
                    "id": g.gap_id, "category": c, "rank": g.rank, "cells": g.cells,
                    "population": g.population, "elderly": g.elderly,
                    "worst_walk_min": g.worst_walk_min,
                    "label": [g.centroid_lon, g.centroid_lat],
                    "outline": outline,
                })
            })
            .collect(),
    );
    let fields = match (raster, run.cells.as_ref()) {
        (true, Some(cells)) => gap_cells::fields(cells, &listed, &shapes, names.len(), run),
        _ => Vec::new(),
    };
    (gaps, fields)
}

fn recommendations_json(run: &RunDir, names: &[String]) -> Value {
    Value::Array(
        run.recommend
            .iter()
            .filter_map(|r| {
                let c = category_index(names, &r.category)?;
                Some(json!({
                    "rank": r.rank, "category": c, "candidate_id": r.candidate_id, "name": null,
                    "lon": r.lon, "lat": r.lat, "gain_population": r.gain_population,
                    "gain_elderly": r.gain_elderly, "cumulative_share": r.cumulative_share,
                }))
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Coord;

    #[test]
    fn collinear_corners_are_dropped_and_corners_kept() {
        // A 200 m × 100 m rectangle traced through every 100 m cell corner.
        let k = 1.0 / 111_320.0;
        let c = |x: f64, y: f64| Coord {
            x: 121.5 + x * k / 31.3_f64.to_radians().cos(),
            y: 31.3 + y / 110_540.0,
        };
        let ring = [
            c(0., 0.),
            c(100., 0.),
            c(200., 0.),
            c(200., 100.),
            c(100., 100.),
            c(0., 100.),
            c(0., 0.),
        ];
        let kept = drop_collinear(&ring, 0.01);
        assert_eq!(kept, vec![ring[0], ring[2], ring[3], ring[5], ring[6]]);
        // A 1 m detour is a corner, not noise.
        let bent = [c(0., 0.), c(100., 1.), c(200., 0.), c(0., 0.)];
        assert_eq!(drop_collinear(&bent, 0.01).len(), 4);
    }

    #[test]
    fn template_placeholders_are_replaced_once_and_data_cannot_close_the_script() {
        let html = fill_template("t", Lang::En, &json!({"s": "</script><b>"}), "Rk9OVA==");
        assert!(!html.contains("{{LC_"), "a placeholder is left");
        assert!(html.contains(r#"{"s":"\u003c/script>\u003cb>"}"#));
        assert!(html.contains("Rk9OVA=="));
        assert_eq!(
            html.matches("<script").count(),
            TEMPLATE.matches("<script").count()
        );
    }
}
