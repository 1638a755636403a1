//! `gaps.csv` and `gaps.geojson`: gap zones per category and for `covered_all`.
//!
//! `gaps.csv`: `gap_id,category,rank,cells,population,elderly,area_m2,centroid_lon,
//! centroid_lat,worst_walk_min`, then the extension `cells_unreached`.

use std::io::{self, Write};

use rayon::prelude::*;

use super::cells::fmt_population;
use crate::crs::LocalProjection;
use crate::gaps::{GapZone, zone_polygon};
use crate::model::Cell;

fn fields(g: &GapZone, proj: &LocalProjection, has_elderly: bool) -> [String; 11] {
    let (lon, lat) = proj.inverse(g.centroid_xy);
    [
        g.id.clone(),
        g.category.clone(),
        g.rank.to_string(),
        g.cells.len().to_string(),
        fmt_population((g.population * 1e4).round() / 1e4),
        if has_elderly {
            fmt_population((g.elderly * 1e4).round() / 1e4)
        } else {
            String::new()
        },
        format!("{:.0}", g.area_m2),
        format!("{lon:.6}"),
        format!("{lat:.6}"),
        g.worst_walk_min
            .map(|m| format!("{m:.2}"))
            .unwrap_or_default(),
        g.cells_unreached.to_string(),
    ]
}

const HEADERS: [&str; 11] = [
    "gap_id",
    "category",
    "rank",
    "cells",
    "population",
    "elderly",
    "area_m2",
    "centroid_lon",
    "centroid_lat",
    "worst_walk_min",
    "cells_unreached",
];

/// Write `gaps.csv`.
///
/// # Errors
/// On write errors.
pub fn gaps_csv(
    w: &mut dyn Write,
    zones: &[GapZone],
    proj: &LocalProjection,
    has_elderly: bool,
) -> io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(HEADERS)?;
    for g in zones {
        out.write_record(fields(g, proj, has_elderly))?;
    }
    out.flush()
}

/// Zones whose outlines are computed together by [`gaps_geojson`].
const POLYGON_CHUNK: usize = 64;

/// Write `gaps.geojson` (zone outlines: union of their cells).
///
/// # Errors
/// On write errors.
pub fn gaps_geojson(
    w: &mut dyn Write,
    zones: &[GapZone],
    cells: &[Cell],
    spacing_m: f64,
    proj: &LocalProjection,
    has_elderly: bool,
) -> io::Result<()> {
    writeln!(
        w,
        "{{\"type\":\"FeatureCollection\",\"name\":\"gaps\",\"features\":["
    )?;
    // Outlines (polygon unions, the costly part) are computed in parallel, a chunk
    // of zones at a time to bound memory, and written in zone order.
    let mut polys = Vec::new();
    for (i, g) in zones.iter().enumerate() {
        if i % POLYGON_CHUNK == 0 {
            let end = (i + POLYGON_CHUNK).min(zones.len());
            zones[i..end]
                .par_iter()
                .map(|g| zone_polygon(g, cells, spacing_m, proj))
                .collect_into_vec(&mut polys);
        }
        if i > 0 {
            w.write_all(b",\n")?;
        }
        let poly = &polys[i % POLYGON_CHUNK];
        let geometry =
            serde_json::to_string(&geojson::Geometry::from(poly)).map_err(io::Error::other)?;
        let f = fields(g, proj, has_elderly);
        let mut props = serde_json::Map::new();
        for (k, (h, v)) in HEADERS.iter().zip(f).enumerate() {
            let value = if v.is_empty() {
                serde_json::Value::Null
            } else if k <= 1 {
                serde_json::Value::String(v)
            } else {
                serde_json::from_str(&v).unwrap_or(serde_json::Value::String(v))
            };
            props.insert((*h).to_owned(), value);
        }
        let props = serde_json::to_string(&props).map_err(io::Error::other)?;
        write!(
            w,
            "{{\"type\":\"Feature\",\"geometry\":{geometry},\"properties\":{props}}}"
        )?;
    }
    writeln!(w, "\n]}}")
}
