//! `gaps.csv` and `gaps.geojson`: gap zones per category and for `covered_all`.
//!
//! `gaps.csv`: `gap_id,category,rank,cells,population,elderly,area_m2,centroid_lon,
//! centroid_lat,worst_walk_min`, then the extension `cells_unreached`.

use std::io::{self, Write};

use super::cells::fmt_population;
use super::gpkg::{Column, ColumnType, Feature, GeometryType, Layer, Shape};
use crate::analysis::gaps::{GapZone, zone_polygons};
use crate::base::model::Cell;
use crate::crs::LocalProjection;
use geo::MultiPolygon;

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

/// GeoPackage types of [`HEADERS`].
const TYPES: [ColumnType; 11] = {
    use ColumnType::{Integer, Real, Text};
    [
        Text, Text, Integer, Integer, Real, Real, Real, Real, Real, Real, Integer,
    ]
};

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

/// The outline of every zone (union of its cells, WGS84), in zone order: computed
/// once (in parallel; each zone on its own, so the result does not depend on the
/// thread count) for `gaps.geojson` and the `gaps` layer of `learncircle.gpkg`.
#[must_use]
pub fn gap_outlines(
    zones: &[GapZone],
    cells: &[Cell],
    spacing_m: f64,
    proj: &LocalProjection,
) -> Vec<MultiPolygon<f64>> {
    zone_polygons(zones, cells, spacing_m, proj)
}

/// Write `gaps.geojson` (zone outlines from [`gap_outlines`]).
///
/// # Errors
/// On write errors.
pub fn gaps_geojson(
    w: &mut dyn Write,
    zones: &[GapZone],
    outlines: &[MultiPolygon<f64>],
    proj: &LocalProjection,
    has_elderly: bool,
) -> io::Result<()> {
    writeln!(
        w,
        "{{\"type\":\"FeatureCollection\",\"name\":\"gaps\",\"features\":["
    )?;
    for (i, (g, poly)) in zones.iter().zip(outlines).enumerate() {
        if i > 0 {
            w.write_all(b",\n")?;
        }
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

/// The `gaps` layer of `results.gpkg`: the zone outlines of `gaps.geojson` with the
/// `gaps.csv` columns, typed (`TEXT` id/category, `INTEGER` rank and counts, `REAL`
/// the rest; `NULL` where the CSV field is empty), in `gaps.csv` order.
#[must_use]
pub fn gaps_layer<'a>(
    zones: &'a [GapZone],
    outlines: &'a [MultiPolygon<f64>],
    proj: &'a LocalProjection,
    has_elderly: bool,
) -> Layer<'a> {
    let features = zones.iter().zip(outlines).map(move |(g, outline)| Feature {
        shape: Some(Shape::MultiPolygon(outline.clone())),
        values: fields(g, proj, has_elderly)
            .iter()
            .zip(TYPES)
            .map(|(v, ty)| ty.parse(v))
            .collect(),
    });
    Layer {
        name: "gaps".into(),
        description: "learncircle: gap zones per category (columns of gaps.csv)".into(),
        geometry_type: GeometryType::MultiPolygon,
        columns: HEADERS
            .iter()
            .zip(TYPES)
            .map(|(h, ty)| Column::new(*h, ty))
            .collect(),
        features: Box::new(features),
    }
}
