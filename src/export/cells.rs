//! `cells.csv`, `cells.geojson` and `rejected.csv`.
//!
//! Column contract of `cells.csv` (also the properties of `cells.geojson`):
//! `cell_id,lon,lat,population[,elderly]`, then per category
//! `<cat>_dist_m,<cat>_walk_min,<cat>_covered,<cat>_sites_within`, then
//! `covered_all`, then the extensions `off_network,distance_method`.
//! Nothing in reach → empty `_dist_m` / `_walk_min` (JSON `null`).

use std::fmt::Write as _;
use std::io::{self, Write};

use super::fixed::{push_fixed, push_u64};
use super::gpkg::{Column, ColumnType, Feature, GeometryType, Layer, Shape, Value};
use crate::analysis::coverage::Coverage;
use crate::base::model::{Cell, Rejected};

/// Population as text: integers without decimals, otherwise up to 4 decimals
/// with trailing zeros removed.
#[must_use]
pub fn fmt_population(v: f64) -> String {
    let mut s = String::new();
    push_population(&mut s, v);
    s
}

/// Append [`fmt_population`]'s text.
fn push_population(out: &mut String, v: f64) {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        push_fixed(out, v, 0);
    } else {
        let start = out.len();
        push_fixed(out, v, 4);
        let kept = out[start..]
            .trim_end_matches('0')
            .trim_end_matches('.')
            .len();
        out.truncate(start + kept);
    }
}

/// The `cells.csv` columns with their GeoPackage types.
fn columns(coverage: &Coverage, has_elderly: bool) -> Vec<Column> {
    use ColumnType::{Integer, Real, Text};
    let mut h = vec![
        Column::new("cell_id", Text),
        Column::new("lon", Real),
        Column::new("lat", Real),
        Column::new("population", Real),
    ];
    if has_elderly {
        h.push(Column::new("elderly", Real));
    }
    for c in &coverage.categories {
        let n = &c.category.name;
        h.extend([
            Column::new(format!("{n}_dist_m"), Real),
            Column::new(format!("{n}_walk_min"), Real),
            Column::new(format!("{n}_covered"), Integer),
            Column::new(format!("{n}_sites_within"), Integer),
        ]);
    }
    h.extend([
        Column::new("covered_all", Integer),
        Column::new("off_network", Integer),
        Column::new("distance_method", Text),
    ]);
    h
}

fn headers(coverage: &Coverage, has_elderly: bool) -> Vec<String> {
    columns(coverage, has_elderly)
        .into_iter()
        .map(|c| c.name)
        .collect()
}

fn flag(b: bool) -> &'static str {
    if b { "1" } else { "0" }
}

/// Write `cells.csv`.
///
/// # Errors
/// On write errors.
pub fn cells_csv(
    w: &mut dyn Write,
    cells: &[Cell],
    coverage: &Coverage,
    has_elderly: bool,
    method: &str,
) -> io::Result<()> {
    let mut out = csv::WriterBuilder::new().from_writer(&mut *w);
    out.write_record(headers(coverage, has_elderly))?;
    out.flush()?;
    drop(out);
    write_chunks(w, cells.len(), |rows, bytes| {
        let mut out = csv::WriterBuilder::new().from_writer(bytes);
        let mut buf = String::new();
        for i in rows {
            csv_row(&mut out, &mut buf, i, cells, coverage, has_elderly, method)?;
        }
        out.flush()
    })
}

/// Rows of a large file are formatted in chunks of this many, side by side on the
/// pool, and written in order: the bytes do not depend on the thread count.
const CHUNK_ROWS: usize = 8192;

/// Format rows `0..n` with `format(rows, buffer)` in chunks of [`CHUNK_ROWS`], a
/// few chunks at a time in parallel (bounded memory), each chunk's bytes written
/// to `w` in row order.
fn write_chunks<F>(w: &mut dyn Write, n: usize, format: F) -> io::Result<()>
where
    F: Fn(std::ops::Range<usize>, &mut Vec<u8>) -> io::Result<()> + Sync,
{
    use rayon::prelude::*;
    let chunks = n.div_ceil(CHUNK_ROWS);
    let batch = 4 * rayon::current_num_threads().max(1);
    let mut start = 0;
    while start < chunks {
        let end = (start + batch).min(chunks);
        let bufs: Vec<io::Result<Vec<u8>>> = (start..end)
            .into_par_iter()
            .map(|k| {
                let rows = k * CHUNK_ROWS..((k + 1) * CHUNK_ROWS).min(n);
                let mut bytes = Vec::with_capacity(rows.len() * 128);
                format(rows, &mut bytes)?;
                Ok(bytes)
            })
            .collect();
        for b in bufs {
            w.write_all(&b?)?;
        }
        start = end;
    }
    Ok(())
}

/// One `cells.csv` row.
fn csv_row<W: Write>(
    out: &mut csv::Writer<W>,
    buf: &mut String,
    i: usize,
    cells: &[Cell],
    coverage: &Coverage,
    has_elderly: bool,
    method: &str,
) -> io::Result<()> {
    let cell = &cells[i];
    out.write_field(&cell.id)?;
    buf.clear();
    push_fixed(buf, cell.lon, 6);
    out.write_field(&*buf)?;
    buf.clear();
    push_fixed(buf, cell.lat, 6);
    out.write_field(&*buf)?;
    buf.clear();
    push_population(buf, cell.population);
    out.write_field(&*buf)?;
    if has_elderly {
        buf.clear();
        if let Some(e) = cell.elderly {
            push_population(buf, e);
        }
        out.write_field(&*buf)?;
    }
    for c in &coverage.categories {
        match c.reach.dist_m[i] {
            Some(d) => {
                buf.clear();
                push_fixed(buf, d, 1);
                out.write_field(&*buf)?;
                buf.clear();
                push_fixed(buf, d / c.category.profile.speed_m_per_s / 60.0, 2);
                out.write_field(&*buf)?;
            }
            None => {
                out.write_field("")?;
                out.write_field("")?;
            }
        }
        out.write_field(flag(c.covered[i]))?;
        buf.clear();
        push_u64(buf, u64::from(c.reach.sites_within[i]));
        out.write_field(&*buf)?;
    }
    out.write_field(flag(coverage.covered_all[i]))?;
    out.write_field(flag(coverage.off_network[i]))?;
    out.write_field(method)?;
    out.write_record(None::<&[u8]>)?;
    Ok(())
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn write_ring(out: &mut String, ring: &geo::LineString<f64>) {
    out.push('[');
    for (k, c) in ring.0.iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        out.push('[');
        push_fixed(out, c.x, 6);
        out.push(',');
        push_fixed(out, c.y, 6);
        out.push(']');
    }
    out.push(']');
}

/// GeoJSON geometry text for a cell: its polygon when it has one, else its point.
/// Rings are written counter-clockwise outside, clockwise holes (RFC 7946 §3.1.6).
fn cell_geometry(cell: &Cell, out: &mut String) {
    use geo::orient::{Direction, Orient};
    match &cell.polygon {
        Some(mp) => {
            let mp = mp.orient(Direction::Default);
            out.push_str("{\"type\":\"MultiPolygon\",\"coordinates\":[");
            for (pi, p) in mp.0.iter().enumerate() {
                if pi > 0 {
                    out.push(',');
                }
                out.push('[');
                write_ring(out, p.exterior());
                for hole in p.interiors() {
                    out.push(',');
                    write_ring(out, hole);
                }
                out.push(']');
            }
            out.push_str("]}");
        }
        None => {
            out.push_str("{\"type\":\"Point\",\"coordinates\":[");
            push_fixed(out, cell.lon, 6);
            out.push(',');
            push_fixed(out, cell.lat, 6);
            out.push_str("]}");
        }
    }
}

/// Write `cells.geojson` (RFC 7946: WGS84, lon/lat order).
///
/// Written by hand rather than through `geojson`/`serde_json` values: it streams
/// one feature at a time (no 213 k-feature tree in memory) with fixed decimals.
///
/// # Errors
/// On write errors.
pub fn cells_geojson(
    w: &mut dyn Write,
    cells: &[Cell],
    coverage: &Coverage,
    has_elderly: bool,
    method: &str,
) -> io::Result<()> {
    let names: Vec<[String; 4]> = coverage
        .categories
        .iter()
        .map(|c| {
            let n = &c.category.name;
            [
                json_str(&format!("{n}_dist_m")),
                json_str(&format!("{n}_walk_min")),
                json_str(&format!("{n}_covered")),
                json_str(&format!("{n}_sites_within")),
            ]
        })
        .collect();
    let method_json = json_str(method);
    writeln!(
        w,
        "{{\"type\":\"FeatureCollection\",\"name\":\"cells\",\"features\":["
    )?;
    write_chunks(w, cells.len(), |rows, bytes| {
        let mut buf = String::with_capacity(1024);
        for i in rows {
            buf.clear();
            geojson_feature(
                &mut buf,
                i,
                cells,
                coverage,
                has_elderly,
                &names,
                &method_json,
            );
            bytes.extend_from_slice(buf.as_bytes());
        }
        Ok(())
    })?;
    writeln!(w, "\n]}}")
}

/// One feature of `cells.geojson` (with the separator before it), appended to `buf`.
fn geojson_feature(
    buf: &mut String,
    i: usize,
    cells: &[Cell],
    coverage: &Coverage,
    has_elderly: bool,
    names: &[[String; 4]],
    method_json: &str,
) {
    let cell = &cells[i];
    if i > 0 {
        buf.push_str(",\n");
    }
    buf.push_str("{\"type\":\"Feature\",\"geometry\":");
    cell_geometry(cell, buf);
    buf.push_str(",\"properties\":{\"cell_id\":");
    buf.push_str(&json_str(&cell.id));
    buf.push_str(",\"lon\":");
    push_fixed(buf, cell.lon, 6);
    buf.push_str(",\"lat\":");
    push_fixed(buf, cell.lat, 6);
    buf.push_str(",\"population\":");
    push_population(buf, cell.population);
    if has_elderly {
        match cell.elderly {
            Some(e) => {
                buf.push_str(",\"elderly\":");
                push_population(buf, e);
            }
            None => buf.push_str(",\"elderly\":null"),
        }
    }
    for (c, n) in coverage.categories.iter().zip(names) {
        match c.reach.dist_m[i] {
            Some(d) => {
                buf.push(',');
                buf.push_str(&n[0]);
                buf.push(':');
                push_fixed(buf, d, 1);
                buf.push(',');
                buf.push_str(&n[1]);
                buf.push(':');
                push_fixed(buf, d / c.category.profile.speed_m_per_s / 60.0, 2);
            }
            None => {
                let _ = write!(buf, ",{}:null,{}:null", n[0], n[1]);
            }
        }
        buf.push(',');
        buf.push_str(&n[2]);
        buf.push(':');
        buf.push_str(flag(c.covered[i]));
        buf.push(',');
        buf.push_str(&n[3]);
        buf.push(':');
        push_u64(buf, u64::from(c.reach.sites_within[i]));
    }
    let _ = write!(
        buf,
        ",\"covered_all\":{},\"off_network\":{},\"distance_method\":{}}}}}",
        flag(coverage.covered_all[i]),
        flag(coverage.off_network[i]),
        method_json
    );
}

/// `v` rounded exactly as the CSV writes it (`{v:.decimals$}`), so that the
/// GeoPackage holds the same numbers as `cells.csv`.
fn fixed(v: f64, decimals: usize) -> f64 {
    format!("{v:.decimals$}").parse().unwrap_or(v)
}

fn population_value(v: f64) -> f64 {
    fmt_population(v).parse().unwrap_or(v)
}

/// The `cells` layer of `results.gpkg`: one feature per cell, in cell order, with
/// the `cells.csv` columns typed (`REAL` lon/lat/population/`_dist_m`/`_walk_min`,
/// `INTEGER` flags and counts, `TEXT` ids and method) and rounded as in the CSV;
/// `NULL` where the CSV field is empty. Geometry: the cell polygon (oriented as
/// in `cells.geojson`) or the cell point.
#[must_use]
pub fn cells_layer<'a>(
    cells: &'a [Cell],
    coverage: &'a Coverage,
    has_elderly: bool,
    method: &'a str,
) -> Layer<'a> {
    use geo::orient::{Direction, Orient};
    let with_polygon = cells.iter().filter(|c| c.polygon.is_some()).count();
    let geometry_type = if with_polygon == cells.len() && !cells.is_empty() {
        GeometryType::MultiPolygon
    } else if with_polygon == 0 {
        GeometryType::Point
    } else {
        GeometryType::Geometry
    };
    let columns = columns(coverage, has_elderly);
    let width = columns.len();
    let features = cells.iter().enumerate().map(move |(i, cell)| {
        let mut v = Vec::with_capacity(width);
        v.push(Value::Text(cell.id.clone()));
        v.push(Value::Real(fixed(cell.lon, 6)));
        v.push(Value::Real(fixed(cell.lat, 6)));
        v.push(Value::Real(population_value(cell.population)));
        if has_elderly {
            v.push(
                cell.elderly
                    .map_or(Value::Null, |e| Value::Real(population_value(e))),
            );
        }
        for c in &coverage.categories {
            match c.reach.dist_m[i] {
                Some(d) => {
                    v.push(Value::Real(fixed(d, 1)));
                    v.push(Value::Real(fixed(
                        d / c.category.profile.speed_m_per_s / 60.0,
                        2,
                    )));
                }
                None => v.extend([Value::Null, Value::Null]),
            }
            v.push(Value::Integer(i64::from(c.covered[i])));
            v.push(Value::Integer(i64::from(c.reach.sites_within[i])));
        }
        v.push(Value::Integer(i64::from(coverage.covered_all[i])));
        v.push(Value::Integer(i64::from(coverage.off_network[i])));
        v.push(Value::Text(method.to_owned()));
        let shape = match &cell.polygon {
            Some(mp) => Shape::MultiPolygon(mp.orient(Direction::Default)),
            None => Shape::Point(cell.lon, cell.lat),
        };
        Feature {
            shape: Some(shape),
            values: v,
        }
    });
    Layer {
        name: "cells".into(),
        description: "learncircle: walking coverage per population cell (columns of cells.csv)"
            .into(),
        geometry_type,
        columns,
        features: Box::new(features),
    }
}

/// Write `rejected.csv`: `file,location,reason,population`, sorted by file and
/// then by row/feature number.
///
/// # Errors
/// On write errors.
pub fn rejected_csv(w: &mut dyn Write, rejected: &[Rejected]) -> io::Result<()> {
    let mut rows: Vec<&Rejected> = rejected.iter().collect();
    let key = |r: &Rejected| {
        let n: u64 = r
            .location
            .rsplit(' ')
            .next()
            .and_then(|x| x.parse().ok())
            .unwrap_or(u64::MAX);
        (
            r.file.clone(),
            r.location.split(' ').next().unwrap_or("").to_owned(),
            n,
            r.reason.clone(),
        )
    };
    rows.sort_by_cached_key(|r| key(r));
    let mut out = csv::Writer::from_writer(w);
    out.write_record(["file", "location", "reason", "population"])?;
    for r in rows {
        out.write_record([
            r.file.as_str(),
            r.location.as_str(),
            r.reason.as_str(),
            r.population
                .map(fmt_population)
                .unwrap_or_default()
                .as_str(),
        ])?;
    }
    out.flush()
}

/// Write `sites.csv`: the sites analysed, `site_id,name,category,lon,lat,capacity,used`
/// (`used` = 0 when the site could not be attached to the network), plus a `planned`
/// column (1 for sites from `--planned`) when a what-if run added any: sites from
/// index `n_existing` on are planned.
///
/// # Errors
/// On write errors.
pub fn sites_csv(
    w: &mut dyn Write,
    sites: &[crate::base::model::Site],
    used: &[bool],
    n_existing: usize,
) -> io::Result<()> {
    let with_planned = sites.len() > n_existing;
    let mut out = csv::Writer::from_writer(w);
    let mut header = vec![
        "site_id", "name", "category", "lon", "lat", "capacity", "used",
    ];
    if with_planned {
        header.push("planned");
    }
    out.write_record(&header)?;
    for (k, (s, u)) in sites.iter().zip(used).enumerate() {
        if with_planned {
            out.write_field(&s.id)?;
            out.write_field(&s.name)?;
            out.write_field(&s.category)?;
            out.write_field(format!("{:.6}", s.lon))?;
            out.write_field(format!("{:.6}", s.lat))?;
            out.write_field(s.capacity.map(fmt_population).unwrap_or_default())?;
            out.write_field(flag(*u))?;
            out.write_field(flag(k >= n_existing))?;
            out.write_record(None::<&[u8]>)?;
            continue;
        }
        out.write_record([
            s.id.as_str(),
            s.name.as_str(),
            s.category.as_str(),
            &format!("{:.6}", s.lon),
            &format!("{:.6}", s.lat),
            &s.capacity.map(fmt_population).unwrap_or_default(),
            flag(*u),
        ])?;
    }
    out.flush()
}

/// Write `access.csv`: `cell_id`, then per category `<cat>_access` (2SFCA score,
/// supply units per person of the category's layer), then `method`.
///
/// # Errors
/// On write errors.
pub fn access_csv(
    w: &mut dyn Write,
    cells: &[Cell],
    coverage: &Coverage,
    access: &[crate::analysis::access::AccessResult],
    method: crate::analysis::access::Method,
) -> io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    let mut h = vec!["cell_id".to_owned()];
    h.extend(
        coverage
            .categories
            .iter()
            .map(|c| format!("{}_access", c.category.name)),
    );
    h.push("method".into());
    out.write_record(&h)?;
    for (i, c) in cells.iter().enumerate() {
        out.write_field(&c.id)?;
        for a in access {
            out.write_field(format!("{:.8}", a.score[i]))?;
        }
        out.write_field(method.name())?;
        out.write_record(None::<&[u8]>)?;
    }
    out.flush()
}

/// The `sites` layer of `learncircle.gpkg`: one point per site analysed, with the
/// `sites.csv` columns typed (`TEXT` id/name/category, `REAL` lon/lat/capacity,
/// `INTEGER` used and — in what-if runs — planned; `NULL` where the CSV field is
/// empty), in `sites.csv` order.
#[must_use]
pub fn sites_layer<'a>(
    sites: &'a [crate::base::model::Site],
    used: &'a [bool],
    n_existing: usize,
) -> Layer<'a> {
    use ColumnType::{Integer, Real, Text};
    let with_planned = sites.len() > n_existing;
    let mut columns = vec![
        Column::new("site_id", Text),
        Column::new("name", Text),
        Column::new("category", Text),
        Column::new("lon", Real),
        Column::new("lat", Real),
        Column::new("capacity", Real),
        Column::new("used", Integer),
    ];
    if with_planned {
        columns.push(Column::new("planned", Integer));
    }
    let features = sites.iter().zip(used).enumerate().map(move |(k, (s, u))| {
        let mut values = vec![
            Value::Text(s.id.clone()),
            Value::Text(s.name.clone()),
            Value::Text(s.category.clone()),
            Value::Real(fixed(s.lon, 6)),
            Value::Real(fixed(s.lat, 6)),
            s.capacity
                .map_or(Value::Null, |c| Value::Real(population_value(c))),
            Value::Integer(i64::from(*u)),
        ];
        if with_planned {
            values.push(Value::Integer(i64::from(k >= n_existing)));
        }
        Feature {
            shape: Some(Shape::Point(s.lon, s.lat)),
            values,
        }
    });
    Layer {
        name: "sites".into(),
        description: "learncircle: the sites analysed (columns of sites.csv)".into(),
        geometry_type: GeometryType::Point,
        columns,
        features: Box::new(features),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn population_format() {
        assert_eq!(fmt_population(12.0), "12");
        assert_eq!(fmt_population(12.5), "12.5");
        assert_eq!(fmt_population(0.123_456), "0.1235");
    }
}
