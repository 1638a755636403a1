//! Learning sites: CSV (`id,name,category,lon,lat[,capacity]`, English or Chinese
//! headers) or GeoJSON Point features with the same properties.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

use super::InputError;
use super::features::{as_text, property, read_nonempty_features};
use super::table::{
    Column, CsvFields, Fields, LAT, LON, check_lon_lat, check_row_width, delimiter, parse_number,
    read_text,
};
use super::workbook::{is_workbook, read_sheet};
use crate::base::model::{RawSite, Rejected};
use crate::crs::InputCrs;

const ID: Column = Column {
    name: "id",
    aliases: &[
        "id",
        "siteid",
        "candidateid",
        "fid",
        "编号",
        "序号",
        "代码",
        "编码",
        "osmid",
    ],
};
const NAME: Column = Column {
    name: "name",
    aliases: &[
        "name",
        "sitename",
        "名称",
        "名字",
        "机构名称",
        "设施名称",
        "站点名称",
        "学校名称",
    ],
};
const CATEGORY: Column = Column {
    name: "category",
    aliases: &[
        "category",
        "type",
        "class",
        "kind",
        "amenity",
        "类别",
        "类型",
        "分类",
        "设施类型",
        "设施类别",
    ],
};
const CAPACITY: Column = Column {
    name: "capacity",
    aliases: &[
        "capacity",
        "seats",
        "places",
        "容量",
        "座位数",
        "学位数",
        "规模",
    ],
};

/// Sites read from a file, plus the rows that could not be used.
#[derive(Debug, Default)]
pub struct SitesRead {
    /// Usable sites, in file order.
    pub sites: Vec<RawSite>,
    /// Rows/features not used, with reasons.
    pub rejected: Vec<Rejected>,
    /// Text encoding detected (CSV only).
    pub encoding: &'static str,
}

/// Read learning sites from a CSV, GeoJSON or workbook file (the first sheet),
/// converting `crs` to WGS84.
///
/// Row problems (bad coordinates, empty category, duplicate id, …) become
/// [`Rejected`] records; duplicate ids keep the first row.
///
/// # Errors
/// When the file is unreadable, empty, lacks a required column, or has no usable row.
pub fn read_sites(path: &Path, crs: InputCrs) -> Result<SitesRead, InputError> {
    read_points(path, None, crs, true)
}

/// [`read_sites`] with the sheet of a workbook named (`None`: the first sheet;
/// ignored for CSV and GeoJSON).
///
/// # Errors
/// As [`read_sites`]; [`InputError::NoSheet`] when the workbook has no such sheet.
pub fn read_sites_in(
    path: &Path,
    sheet: Option<&str>,
    crs: InputCrs,
) -> Result<SitesRead, InputError> {
    read_points(path, sheet, crs, true)
}

/// Read candidate locations: the sites format with the category optional (an
/// empty category is allowed; the caller assigns one).
///
/// # Errors
/// As [`read_sites_in`].
pub fn read_candidates(
    path: &Path,
    sheet: Option<&str>,
    crs: InputCrs,
) -> Result<SitesRead, InputError> {
    read_points(path, sheet, crs, false)
}

fn read_points(
    path: &Path,
    sheet: Option<&str>,
    crs: InputCrs,
    require_category: bool,
) -> Result<SitesRead, InputError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let (candidates, mut rejected, encoding, rows) = match ext.as_str() {
        "csv" | "txt" | "tsv" => read_csv(path, require_category)?,
        "geojson" | "json" => read_geojson(path, require_category)?,
        _ if is_workbook(path) => read_workbook(path, sheet, require_category)?,
        _ => {
            return Err(InputError::UnsupportedFormat {
                path: path.into(),
                expected: ".csv, .geojson or a workbook (.xlsx, .xls, .ods)",
            });
        }
    };
    let file = path.display().to_string();
    let mut seen: HashMap<String, String> = HashMap::new();
    let mut sites = Vec::with_capacity(candidates.len());
    for mut s in candidates {
        if let Err(reason) = check_lon_lat(s.lon, s.lat) {
            rejected.push(Rejected::new(&file, &s.location, reason));
            continue;
        }
        if let Some(first) = seen.get(&s.id) {
            rejected.push(Rejected::new(
                &file,
                &s.location,
                format!("duplicate site id {:?} (first used at {first})", s.id),
            ));
            continue;
        }
        seen.insert(s.id.clone(), s.location.clone());
        (s.lon, s.lat) = crs.to_wgs84(s.lon, s.lat);
        sites.push(s);
    }
    if sites.is_empty() {
        return Err(InputError::NoUsableRows {
            path: path.into(),
            rows,
            first: rejected.first().map_or_else(
                || "no rows".into(),
                |r| format!("{}: {}", r.location, r.reason),
            ),
        });
    }
    Ok(SitesRead {
        sites,
        rejected,
        encoding,
    })
}

type Parsed = (Vec<RawSite>, Vec<Rejected>, &'static str, usize);

/// Where the columns of a sites table are.
struct SiteColumns {
    lon: usize,
    lat: usize,
    category: Option<usize>,
    id: Option<usize>,
    name: Option<usize>,
    capacity: Option<usize>,
}

impl SiteColumns {
    fn find(headers: &[String], path: &Path, require_category: bool) -> Result<Self, InputError> {
        Ok(Self {
            lon: LON.require(headers, path)?,
            lat: LAT.require(headers, path)?,
            category: if require_category {
                Some(CATEGORY.require(headers, path)?)
            } else {
                CATEGORY.find(headers)
            },
            id: ID.find(headers),
            name: NAME.find(headers),
            capacity: CAPACITY.find(headers),
        })
    }

    /// One row as a site; `default_id` when the row has no id.
    fn parse(
        &self,
        rec: &impl Fields,
        default_id: impl FnOnce() -> String,
        location: &str,
        require_category: bool,
    ) -> Result<RawSite, String> {
        let text = |i: Option<usize>| -> Result<String, String> {
            i.map_or_else(|| Ok(String::new()), |i| rec.text(i).map(Cow::into_owned))
        };
        let lon = rec.number(self.lon, "lon")?;
        let lat = rec.number(self.lat, "lat")?;
        let category = text(self.category)?;
        if require_category && category.is_empty() {
            let reason = "category is empty".to_owned();
            return Err(self
                .category
                .map_or_else(|| reason.clone(), |i| rec.at(i, &reason)));
        }
        let id = text(self.id)?;
        let id = if id.is_empty() { default_id() } else { id };
        let capacity = match self.capacity.filter(|i| !rec.is_blank(*i)) {
            None => None,
            Some(i) => {
                let v = rec.number(i, "capacity")?;
                if v < 0.0 {
                    return Err(rec.at(i, &format!("capacity is negative ({v})")));
                }
                Some(v)
            }
        };
        Ok(RawSite {
            id,
            name: text(self.name)?,
            category,
            lon,
            lat,
            capacity,
            location: location.to_owned(),
        })
    }
}

fn read_csv(path: &Path, require_category: bool) -> Result<Parsed, InputError> {
    let (text, encoding) = read_text(path)?;
    if text.trim().is_empty() {
        return Err(InputError::Empty {
            path: path.into(),
            what: "file is empty",
        });
    }
    let delimiter = delimiter(path, &text);
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = crate::input::table::csv_headers(&mut rdr, path)?;
    let cols = SiteColumns::find(&headers, path, require_category)?;
    let file = path.display().to_string();
    let mut sites = Vec::new();
    let mut rejected = Vec::new();
    let mut rows = 0usize;
    for (i, rec) in rdr.records().enumerate() {
        let row = i + 1;
        rows = row;
        let location = format!("row {row}");
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                rejected.push(Rejected::new(
                    &file,
                    &location,
                    format!("unreadable CSV row: {e}"),
                ));
                continue;
            }
        };
        if let Err(reason) = check_row_width(&rec, headers.len()) {
            rejected.push(Rejected::new(&file, &location, reason));
            continue;
        }
        match cols.parse(
            &CsvFields(&rec),
            || format!("r{row}"),
            &location,
            require_category,
        ) {
            Ok(s) => sites.push(s),
            Err(reason) => rejected.push(Rejected::new(&file, &location, reason)),
        }
    }
    if rows == 0 {
        return Err(InputError::Empty {
            path: path.into(),
            what: "file has a header but no data rows",
        });
    }
    Ok((sites, rejected, encoding, rows))
}

fn read_workbook(
    path: &Path,
    sheet: Option<&str>,
    require_category: bool,
) -> Result<Parsed, InputError> {
    let sheet = read_sheet(path, sheet)?;
    let cols = SiteColumns::find(&sheet.headers, path, require_category)?;
    let file = path.display().to_string();
    let mut sites = Vec::new();
    let mut rejected = Vec::new();
    let mut rows = 0usize;
    for rec in sheet.rows() {
        rows += 1;
        let location = sheet.location(rec.number);
        match cols.parse(
            &rec,
            || format!("r{}", rec.number),
            &location,
            require_category,
        ) {
            Ok(s) => sites.push(s),
            Err(reason) => rejected.push(Rejected::new(&file, &location, reason)),
        }
    }
    if rows == 0 {
        return Err(InputError::Empty {
            path: path.into(),
            what: "sheet has a header but no data rows",
        });
    }
    Ok((sites, rejected, "workbook", rows))
}

fn read_geojson(path: &Path, require_category: bool) -> Result<Parsed, InputError> {
    let features = read_nonempty_features(path)?;
    let file = path.display().to_string();
    let rows = features.len();
    let mut sites = Vec::new();
    let mut rejected = Vec::new();
    for f in features {
        let location = format!("feature {}", f.index);
        let parsed = (|| -> Result<RawSite, String> {
            let point = match f.geometry? {
                geo::Geometry::Point(p) => p,
                geo::Geometry::MultiPoint(mp) if mp.0.len() == 1 => mp.0[0],
                other => {
                    return Err(format!(
                        "geometry is a {}, expected a Point",
                        geometry_name(&other)
                    ));
                }
            };
            if !(point.x().is_finite() && point.y().is_finite()) {
                return Err("coordinates are not finite".into());
            }
            let category = property(&f.properties, CATEGORY.aliases)
                .map(as_text)
                .unwrap_or_default();
            if require_category && category.trim().is_empty() {
                return Err("category property is missing or empty".into());
            }
            let id = property(&f.properties, ID.aliases)
                .map(as_text)
                .filter(|s| !s.is_empty())
                .or(f.id.clone())
                .unwrap_or_else(|| format!("f{}", f.index));
            let capacity = match property(&f.properties, CAPACITY.aliases) {
                None | Some(serde_json::Value::Null) => None,
                Some(v) => {
                    let c = parse_number(&as_text(v), "capacity")?;
                    if c < 0.0 {
                        return Err(format!("capacity is negative ({c})"));
                    }
                    Some(c)
                }
            };
            Ok(RawSite {
                id,
                name: property(&f.properties, NAME.aliases)
                    .map(as_text)
                    .unwrap_or_default(),
                category: category.trim().to_owned(),
                lon: point.x(),
                lat: point.y(),
                capacity,
                location: location.clone(),
            })
        })();
        match parsed {
            Ok(s) => sites.push(s),
            Err(reason) => rejected.push(Rejected::new(&file, &location, reason)),
        }
    }
    Ok((sites, rejected, "UTF-8", rows))
}

/// Human name of a geometry type, for messages.
#[must_use]
pub fn geometry_name(g: &geo::Geometry<f64>) -> &'static str {
    match g {
        geo::Geometry::Point(_) => "Point",
        geo::Geometry::Line(_) | geo::Geometry::LineString(_) => "LineString",
        geo::Geometry::Polygon(_) | geo::Geometry::Rect(_) | geo::Geometry::Triangle(_) => {
            "Polygon"
        }
        geo::Geometry::MultiPoint(_) => "MultiPoint",
        geo::Geometry::MultiLineString(_) => "MultiLineString",
        geo::Geometry::MultiPolygon(_) => "MultiPolygon",
        geo::Geometry::GeometryCollection(_) => "GeometryCollection",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write(dir: &tempfile::TempDir, name: &str, content: &[u8]) -> std::path::PathBuf {
        let p = dir.path().join(name);
        std::fs::File::create(&p)
            .unwrap()
            .write_all(content)
            .unwrap();
        p
    }

    #[test]
    fn chinese_headers_and_rejections() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "s.csv",
            "编号,名称,类别,经度,纬度\n\
             a,五角场街道社区文化服务中心,culture_centre,121.514,31.303\n\
             b,图书馆,library,31.3,121.5\n\
             a,重复,library,121.5,31.3\n\
             c,空,,121.5,31.3\n\
             d,NaN,library,NaN,31.3\n"
                .as_bytes(),
        );
        let r = read_sites(&p, InputCrs::Wgs84).unwrap();
        assert_eq!(r.sites.len(), 1);
        assert_eq!(r.sites[0].name, "五角场街道社区文化服务中心");
        let reasons: Vec<_> = r
            .rejected
            .iter()
            .map(|x| (x.location.as_str(), x.reason.as_str()))
            .collect();
        assert_eq!(reasons.len(), 4, "{reasons:?}");
        assert!(reasons[0].0 == "row 4" && reasons[0].1.contains("category"));
        assert!(reasons[1].0 == "row 5" && reasons[1].1.contains("NaN"));
        assert!(reasons[2].0 == "row 2" && reasons[2].1.contains("swapped"));
        assert!(reasons[3].0 == "row 3" && reasons[3].1.contains("duplicate"));
    }

    #[test]
    fn gcj02_input_is_converted() {
        let dir = tempfile::tempdir().unwrap();
        let (glon, glat) = crate::crs::gcj02_from_wgs84(121.4737, 31.2304);
        let p = write(
            &dir,
            "s.csv",
            format!("id,category,lon,lat\nx,library,{glon},{glat}\n").as_bytes(),
        );
        let r = read_sites(&p, InputCrs::Gcj02).unwrap();
        assert!(
            (r.sites[0].lon - 121.4737).abs() < 1e-6 && (r.sites[0].lat - 31.2304).abs() < 1e-6
        );
    }

    #[test]
    fn missing_column_and_empty() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(&dir, "s.csv", b"id,name,lon,lat\n1,a,121,31\n");
        let e = read_sites(&p, InputCrs::Wgs84).unwrap_err().to_string();
        assert!(e.contains("missing column \"category\""), "{e}");
        let p = write(&dir, "e.csv", b"");
        assert!(
            read_sites(&p, InputCrs::Wgs84)
                .unwrap_err()
                .to_string()
                .contains("empty")
        );
        let p = write(&dir, "h.csv", b"id,category,lon,lat\n");
        assert!(
            read_sites(&p, InputCrs::Wgs84)
                .unwrap_err()
                .to_string()
                .contains("no data rows")
        );
    }

    #[test]
    fn geojson_points() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "s.geojson",
            br#"{"type":"FeatureCollection","features":[
              {"type":"Feature","id":7,"geometry":{"type":"Point","coordinates":[121.5,31.3]},"properties":{"name":"A","category":"library","capacity":120}},
              {"type":"Feature","geometry":{"type":"LineString","coordinates":[[121.5,31.3],[121.6,31.3]]},"properties":{"category":"library"}}
            ]}"#,
        );
        let r = read_sites(&p, InputCrs::Wgs84).unwrap();
        assert_eq!(r.sites.len(), 1);
        assert_eq!(r.sites[0].id, "7");
        assert_eq!(r.sites[0].capacity, Some(120.0));
        assert!(r.rejected[0].reason.contains("LineString"));
    }
}
