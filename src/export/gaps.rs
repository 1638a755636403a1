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
    use rayon::prelude::*;
    writeln!(
        w,
        "{{\"type\":\"FeatureCollection\",\"name\":\"gaps\",\"features\":["
    )?;
    // Features formatted a few at a time side by side (an outline can hold
    // hundreds of thousands of points), written in zone order.
    let batch = 2 * rayon::current_num_threads().max(1);
    let items: Vec<(usize, (&GapZone, &MultiPolygon<f64>))> =
        zones.iter().zip(outlines).enumerate().collect();
    for part in items.chunks(batch) {
        let bufs: Vec<io::Result<Vec<u8>>> = part
            .par_iter()
            .map(|&(i, (g, poly))| {
                let mut buf = Vec::new();
                if i > 0 {
                    buf.extend_from_slice(b",\n");
                }
                gap_feature(&mut buf, g, poly, proj, has_elderly)?;
                Ok(buf)
            })
            .collect();
        for b in bufs {
            w.write_all(&b?)?;
        }
    }
    writeln!(w, "\n]}}")
}

/// One feature of `gaps.geojson`. The geometry is streamed in the bytes
/// `serde_json` writes for `geojson::Geometry::from(poly)` (same key order, same
/// shortest round-trip numbers) without building the value tree.
fn gap_feature(
    buf: &mut Vec<u8>,
    g: &GapZone,
    poly: &MultiPolygon<f64>,
    proj: &LocalProjection,
    has_elderly: bool,
) -> io::Result<()> {
    buf.extend_from_slice(b"{\"type\":\"Feature\",\"geometry\":");
    multipolygon_json(buf, poly)?;
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
    buf.extend_from_slice(b",\"properties\":");
    serde_json::to_writer(&mut *buf, &props).map_err(io::Error::other)?;
    buf.push(b'}');
    Ok(())
}

/// `{"type":"MultiPolygon","coordinates":[…]}` as `serde_json` writes the
/// `geojson` geometry (closed rings as stored, every number through `serde_json`).
fn multipolygon_json(buf: &mut Vec<u8>, poly: &MultiPolygon<f64>) -> io::Result<()> {
    buf.extend_from_slice(b"{\"type\":\"MultiPolygon\",\"coordinates\":[");
    for (pi, p) in poly.0.iter().enumerate() {
        if pi > 0 {
            buf.push(b',');
        }
        buf.push(b'[');
        for (ri, ring) in std::iter::once(p.exterior())
            .chain(p.interiors())
            .enumerate()
        {
            if ri > 0 {
                buf.push(b',');
            }
            buf.push(b'[');
            for (ci, c) in ring.0.iter().enumerate() {
                if ci > 0 {
                    buf.push(b',');
                }
                buf.push(b'[');
                serde_json::to_writer(&mut *buf, &c.x).map_err(io::Error::other)?;
                buf.push(b',');
                serde_json::to_writer(&mut *buf, &c.y).map_err(io::Error::other)?;
                buf.push(b']');
            }
            buf.push(b']');
        }
        buf.push(b']');
    }
    buf.extend_from_slice(b"]}");
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{LineString, Polygon};

    /// The streamed geometry is byte for byte what `serde_json` writes for the
    /// `geojson` value: holes, several polygons, integral and long numbers, empty.
    #[test]
    fn multipolygon_json_matches_geojson_crate() {
        let ring = |pts: &[(f64, f64)]| LineString::from(pts.to_vec());
        let outer = ring(&[
            (121.20601462155247, 31.37478664644675),
            (122.0, 31.0),
            (121.5, -0.000_001_234),
            (121.20601462155247, 31.37478664644675),
        ]);
        let hole = ring(&[(121.3, 31.1), (121.31, 31.1), (121.3, 31.11), (121.3, 31.1)]);
        let cases = [
            MultiPolygon(vec![]),
            MultiPolygon(vec![Polygon::new(outer.clone(), vec![])]),
            MultiPolygon(vec![
                Polygon::new(outer.clone(), vec![hole.clone(), hole]),
                Polygon::new(ring(&[(1e-7, 1e21), (5.0, 6.0), (1e-7, 1e21)]), vec![]),
            ]),
        ];
        for mp in cases {
            let mut buf = Vec::new();
            multipolygon_json(&mut buf, &mp).unwrap();
            let want = serde_json::to_string(&geojson::Geometry::from(&mp)).unwrap();
            assert_eq!(String::from_utf8(buf).unwrap(), want);
        }
    }
}
