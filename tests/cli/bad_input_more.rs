//! More bad input (issue 8), table-driven like `bad_input.rs`: every format the
//! CLI reads (CSV, GeoJSON, OSM XML/PBF, GeoTIFF, GeoPackage, TOML), the output
//! directory, encodings and line endings. Each case states its exit code and
//! either the stderr fragments (file, row/feature/element, reason) with nothing
//! written, the exact `rejected.csv`, the warnings of a successful run, or that
//! the outputs equal those of the plain UTF-8 input.

use crate::util::{Dir, POP, REJECTED_HEADER, SITES, files_in, fixture};

enum Expect {
    /// Exit 2; stderr has every fragment; `--out` untouched.
    Fatal(&'static [&'static str]),
    /// Exit 2; stderr has every fragment; every file (`--out`'s earlier outputs
    /// included) is untouched.
    FatalKeepsOut(&'static [&'static str]),
    /// Exit 1; `rejected.csv` is exactly this after its header.
    Rejected(&'static str),
    /// Exit 0; stderr has every fragment (warnings).
    Warns(&'static [&'static str]),
    /// Exit 0; `cells.csv`, `sites.csv` and `rejected.csv` equal those of the run on
    /// the plain UTF-8 `SITES`/`POP`.
    SameAsUtf8,
}

struct Case {
    name: &'static str,
    /// Files written before the run: (name, bytes).
    files: Vec<(&'static str, Vec<u8>)>,
    /// Arguments after `coverage`; `--sites sites.csv --population pop.csv --out out`
    /// are added unless given.
    args: Vec<&'static str>,
    /// Another run holds the lock on `--out` (simulated by the test process
    /// holding it) for the whole run.
    out_locked: bool,
    expect: Expect,
}

fn case(name: &'static str, expect: Expect) -> Case {
    Case {
        name,
        files: Vec::new(),
        args: Vec::new(),
        out_locked: false,
        expect,
    }
}

impl Case {
    fn file(mut self, name: &'static str, bytes: impl Into<Vec<u8>>) -> Self {
        self.files.push((name, bytes.into()));
        self
    }
    fn sites(self, bytes: impl Into<Vec<u8>>) -> Self {
        self.file("sites.csv", bytes)
    }
    fn pop(self, bytes: impl Into<Vec<u8>>) -> Self {
        self.file("pop.csv", bytes)
    }
    fn args(mut self, args: &[&'static str]) -> Self {
        self.args.extend_from_slice(args);
        self
    }
    fn out_locked(mut self) -> Self {
        self.out_locked = true;
        self
    }
}

/// A little-endian classic GeoTIFF (EPSG:4326, one strip, uncompressed) whose
/// header may lie: `declared_strip_bytes` overrides the strip's byte count.
fn geotiff(
    width: u32,
    height: u32,
    bits: u16,
    data: &[u8],
    declared_strip_bytes: Option<u32>,
) -> Vec<u8> {
    enum V {
        Short(Vec<u16>),
        Long(Vec<u32>),
        Double(Vec<f64>),
    }
    let strip_offset = 8u32;
    let strip_bytes = declared_strip_bytes.unwrap_or(u32::try_from(data.len()).unwrap());
    let format = if bits == 32 { 3 } else { 1 };
    let tags: Vec<(u16, V)> = vec![
        (256, V::Long(vec![width])),
        (257, V::Long(vec![height])),
        (258, V::Short(vec![bits])),
        (259, V::Short(vec![1])),
        (262, V::Short(vec![1])),
        (273, V::Long(vec![strip_offset])),
        (277, V::Short(vec![1])),
        (278, V::Long(vec![height])),
        (279, V::Long(vec![strip_bytes])),
        (339, V::Short(vec![format])),
        (33550, V::Double(vec![0.001, 0.001, 0.0])),
        (33922, V::Double(vec![0.0, 0.0, 0.0, 121.5, 31.3, 0.0])),
        (
            34735,
            V::Short(vec![
                1, 1, 0, 3, 1024, 0, 1, 2, 1025, 0, 1, 1, 2048, 0, 1, 4326,
            ]),
        ),
    ];
    let mut out = b"II*\0".to_vec();
    let ifd_at = 8 + data.len() + data.len() % 2;
    out.extend_from_slice(&u32::try_from(ifd_at).unwrap().to_le_bytes());
    out.extend_from_slice(data);
    out.resize(ifd_at, 0);
    let mut extra: Vec<u8> = Vec::new();
    let extra_at = ifd_at + 2 + 12 * tags.len() + 4;
    out.extend_from_slice(&u16::try_from(tags.len()).unwrap().to_le_bytes());
    for (tag, v) in &tags {
        let (typ, count, bytes): (u16, usize, Vec<u8>) = match v {
            V::Short(s) => (3, s.len(), s.iter().flat_map(|x| x.to_le_bytes()).collect()),
            V::Long(l) => (4, l.len(), l.iter().flat_map(|x| x.to_le_bytes()).collect()),
            V::Double(d) => (
                12,
                d.len(),
                d.iter().flat_map(|x| x.to_le_bytes()).collect(),
            ),
        };
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&typ.to_le_bytes());
        out.extend_from_slice(&u32::try_from(count).unwrap().to_le_bytes());
        if bytes.len() <= 4 {
            let mut b = bytes.clone();
            b.resize(4, 0);
            out.extend_from_slice(&b);
        } else {
            let at = u32::try_from(extra_at + extra.len()).unwrap();
            out.extend_from_slice(&at.to_le_bytes());
            extra.extend_from_slice(&bytes);
        }
    }
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&extra);
    out
}

/// A one-layer GeoPackage with three 250 m squares whose `gpkg_spatial_ref_sys`
/// says `organization` / `code`; coordinates are written as given.
fn gpkg(path: &std::path::Path, organization: &str, code: i64, squares: &[(f64, f64, f64)]) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT, srs_id INTEGER PRIMARY KEY,
           organization TEXT, organization_coordsys_id INTEGER, definition TEXT);
         CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT);
         INSERT INTO gpkg_contents VALUES ('grid', 'features');
         CREATE TABLE gpkg_geometry_columns (table_name TEXT, column_name TEXT, srs_id INTEGER);
         INSERT INTO gpkg_geometry_columns VALUES ('grid', 'geom', 990001);
         CREATE TABLE grid (fid INTEGER PRIMARY KEY, geom BLOB, population INTEGER);",
    )
    .unwrap();
    conn.execute(
        "INSERT INTO gpkg_spatial_ref_sys VALUES ('custom', 990001, ?1, ?2, 'undefined')",
        rusqlite::params![organization, code],
    )
    .unwrap();
    for (i, (x, y, s)) in squares.iter().enumerate() {
        let ring = [(*x, *y), (x + s, *y), (x + s, y + s), (*x, y + s), (*x, *y)];
        let mut blob = b"GP\x00\x01".to_vec();
        blob.extend_from_slice(&990_001i32.to_le_bytes());
        blob.push(1);
        blob.extend_from_slice(&3u32.to_le_bytes());
        blob.extend_from_slice(&1u32.to_le_bytes());
        blob.extend_from_slice(&5u32.to_le_bytes());
        for (px, py) in ring {
            blob.extend_from_slice(&px.to_le_bytes());
            blob.extend_from_slice(&py.to_le_bytes());
        }
        conn.execute(
            "INSERT INTO grid VALUES (?1, ?2, 100)",
            rusqlite::params![i64::try_from(i).unwrap() + 1, blob],
        )
        .unwrap();
    }
}

/// A PBF whose first blob header declares a 1 GiB blob.
fn pbf_declaring_1gib() -> Vec<u8> {
    let mut header = vec![0x0a, 9];
    header.extend_from_slice(b"OSMHeader");
    header.extend_from_slice(&[0x18, 0x80, 0x80, 0x80, 0x80, 0x04]); // datasize = 2^30
    let mut out = u32::try_from(header.len()).unwrap().to_be_bytes().to_vec();
    out.extend_from_slice(&header);
    out.extend_from_slice(&[0u8; 64]);
    out
}

const NET_OK: &str = r#"<?xml version="1.0"?>
<osm version="0.6">
 <node id="1" lat="31.3000" lon="121.4990"/>
 <node id="2" lat="31.3000" lon="121.5050"/>
 <node id="3" lat="31.3000" lon="121.5110"/>
 <node id="4" lat="31.3010" lon="121.5020"/>
 <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="footway"/></way>
 <way id="11"><nd ref="2"/><nd ref="4"/><nd ref="99"/><tag k="highway" v="footway"/></way>
</osm>
"#;

fn units(features: &str) -> String {
    format!(r#"{{"type":"FeatureCollection","features":[{features}]}}"#)
}

fn square_feature(id: &str, x0: f64, y0: f64, x1: f64, y1: f64) -> String {
    format!(
        r#"{{"type":"Feature","properties":{{"code":"{id}"}},"geometry":{{"type":"Polygon","coordinates":[[[{x0},{y0}],[{x1},{y0}],[{x1},{y1}],[{x0},{y1}],[{x0},{y0}]]]}}}}"#
    )
}

fn cases() -> Vec<Case> {
    use Expect::*;
    let tongji_pbf = std::fs::read(fixture("tongji_clip.osm.pbf")).unwrap();
    let pop_xlsx = std::fs::read(fixture("excel/population.xlsx")).unwrap();
    let pop_geojson_no_geometry = br#"{"type":"FeatureCollection","features":[
        {"type":"Feature","geometry":{"type":"Point","coordinates":[121.5,31.3]},"properties":{"population":100}},
        {"type":"Feature","properties":{"population":80}}]}"#;
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(SITES.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let (gbk, _, _) = encoding_rs::GBK.encode(SITES);
    vec![
        // --- empty, header-only, undecodable, unsupported ----------------------------
        case("empty population file", Fatal(&["pop.csv", "file is empty"])).pop(""),
        case("whitespace-only sites file", Fatal(&["sites.csv", "file is empty"])).sites(" \n\r\n\t\n"),
        case("header-only sites file", Fatal(&["sites.csv", "header but no data rows"])).sites("id,category,lon,lat\n"),
        case("GeoJSON population without features", Fatal(&["pop.geojson", "FeatureCollection has no features"]))
            .file("pop.geojson", r#"{"type":"FeatureCollection","features":[]}"#)
            .args(&["--population", "pop.geojson"]),
        case("GeoJSON population whose features all lack geometry", Fatal(&["pop.geojson", "none of the 1 rows", "feature 0: feature has no geometry"]))
            .file("pop.geojson", r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"population":80}}]}"#)
            .args(&["--population", "pop.geojson"]),
        case("binary bytes, neither UTF-8 nor GBK", Fatal(&["sites.csv", "text is neither UTF-8 nor GB18030/GBK"]))
            .sites(b"id,category\x80\xff\x00\x81\n".to_vec()),
        case("sites as a zip header only (.xlsx)", Fatal(&["sites.xlsx: cannot read the workbook", "damaged or truncated"]))
            .file("sites.xlsx", "PK\x03\x04")
            .args(&["--sites", "sites.xlsx"]),
        // --- rows: coordinates, numbers, ids, shape ----------------------------------
        case("one site with lat/lon swapped", Rejected("sites.csv,row 2,lat 121.502 is out of range: lon and lat appear to be swapped (lon 31.301),\n"))
            .sites("id,category,lon,lat\ns1,library,121.502,31.301\ns2,library,31.301,121.502\n"),
        case("NaN population", Rejected("pop.csv,row 2,population is NaN,\n"))
            .pop("lon,lat,population\n121.5,31.3,10\n121.5,31.3,NaN\n"),
        case("huge numeric field", Rejected("pop.csv,row 2,population 1e300 is implausibly large for one cell (limit 1e9),\n"))
            .pop("lon,lat,population\n121.5,31.3,10\n121.5,31.3,1e300\n"),
        case("400-digit number", Rejected("pop.csv,row 2,\"population is infinite (\"\"99999999999999999999\"\"… (400 characters))\",\n"))
            .pop(format!("lon,lat,population\n121.5,31.3,10\n121.5,31.3,{}\n", "9".repeat(400))),
        case("decimal comma in a count", Rejected("pop.csv,row 2,\"population is not a number (\"\"12,5\"\"): a decimal comma? write a point (12.5)\",\n"))
            .pop("lon,lat,population\n121.5,31.3,10\n121.5,31.3,\"12,5\"\n"),
        case("negative elderly", Rejected("pop.csv,row 2,elderly is negative (-1),80\n"))
            .pop("lon,lat,population,elderly\n121.5,31.3,100,10\n121.505,31.3,80,-1\n"),
        case("negative capacity", Rejected("sites.csv,row 2,capacity is negative (-5),\n"))
            .sites("id,category,lon,lat,capacity\ns1,library,121.502,31.301,10\ns2,library,121.503,31.301,-5\n"),
        case("duplicate cell ids", Rejected("pop.csv,row 3,\"duplicate cell id \"\"a\"\" (first used at row 1)\",60\n"))
            .pop("cell_id,lon,lat,population\na,121.500,31.300,100\nb,121.505,31.300,80\na,121.510,31.300,60\n"),
        case("ragged row with too few fields", Rejected("pop.csv,row 2,row has 3 fields but the header has 4 (ragged row),\n"))
            .pop("cell_id,lon,lat,population\na,121.500,31.300,100\nb,121.505,31.300\n"),
        case("unquoted comma shifts the columns", Rejected("sites.csv,row 2,row has 6 fields but the header has 5 (an unquoted comma inside a value?),\n"))
            .sites("id,name,category,lon,lat\ns1,a,library,121.502,31.301\ns2,Library, Central,library,121.51,31.30\n"),
        case("GeoJSON population feature without geometry", Rejected("pop.geojson,feature 1,feature has no geometry,80\n"))
            .file("pop.geojson", pop_geojson_no_geometry.to_vec())
            .args(&["--population", "pop.geojson"]),
        case("GeoJSON position with one number (found by fuzzing)", Rejected("pop.geojson,feature 1,\"bad geometry: a position has 1 coordinate(s), expected [lon, lat]\",80\n"))
            .file("pop.geojson", r#"{"type":"FeatureCollection","features":[
                {"type":"Feature","geometry":{"type":"Point","coordinates":[121.5,31.3]},"properties":{"population":100}},
                {"type":"Feature","geometry":{"type":"LineString","coordinates":[[121.5,31.3],[121.5]]},"properties":{"population":80}}]}"#)
            .args(&["--population", "pop.geojson"]),
        case("GeoJSON site that is a polygon", Rejected("sites.geojson,feature 1,\"geometry is a Polygon, expected a Point\",\n"))
            .file("sites.geojson", r#"{"type":"FeatureCollection","features":[
                {"type":"Feature","geometry":{"type":"Point","coordinates":[121.502,31.301]},"properties":{"category":"library"}},
                {"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[121.5,31.3],[121.51,31.3],[121.51,31.31],[121.5,31.3]]]},"properties":{"category":"library"}}]}"#)
            .args(&["--sites", "sites.geojson"]),
        case("unit that is a point", Rejected("units.geojson,feature 1,\"geometry is a Point, expected a Polygon or MultiPolygon\",\n"))
            .file("units.geojson", units(&format!(
                r#"{},{{"type":"Feature","properties":{{"code":"p"}},"geometry":{{"type":"Point","coordinates":[121.5,31.3]}}}}"#,
                square_feature("u1", 121.49, 31.29, 121.52, 31.31)
            )))
            .args(&["--units", "units.geojson"]),
        // --- integer population ------------------------------------------------------
        case("fractional population with --integer-population", Rejected("pop.csv,row 2,population 80.5 is not a whole number (--integer-population),80.5\n"))
            .pop("lon,lat,population\n121.5,31.3,100\n121.505,31.3,80.5\n")
            .args(&["--integer-population"]),
        case("every population fractional with --integer-population", Fatal(&["pop.csv", "none of the 2 rows", "row 1: population 1.5 is not a whole number"]))
            .pop("lon,lat,population\n121.5,31.3,1.5\n121.505,31.3,2.25\n")
            .args(&["--integer-population"]),
        case("fractional population is accepted without the flag", Warns(&[]))
            .pop("lon,lat,population\n121.5,31.3,100\n121.505,31.3,80.5\n"),
        // --- CRS and place -----------------------------------------------------------
        case("sites for another city (or a wrong --sites-crs)", Fatal(&["sites.csv", "all 1 sites lie more than 100 km from the population in pop.csv", "row 1"]))
            .sites("id,category,lon,lat\nh1,library,24.94,60.17\n")
            .args(&["--sites-crs", "gcj02"]),
        case("some sites far away", Warns(&["sites.csv: 1 of 2 sites lie more than 100 km from the population", "first: row 2"]))
            .sites("id,category,lon,lat\ns1,library,121.502,31.301\nh1,library,24.94,60.17\n"),
        case("GeoPackage feature with a NaN vertex (found by fuzzing)", Rejected("grid_nan.gpkg,feature 1,geometry has a coordinate that is NaN or infinite,100\n"))
            .args(&["--population", "grid_nan.gpkg"]),
        case("GeoPackage in an unknown CRS", Fatal(&["grid.gpkg", "unsupported CRS srs_id 990001 (NONE 990001)"]))
            .args(&["--population", "grid.gpkg"]),
        case("GeoPackage whose declared CRS is wrong", Fatal(&["grid_deg.gpkg", "nothing to analyse; first problem: feature 0: cannot transform", "from EPSG:3879"]))
            .args(&["--population", "grid_deg.gpkg"]),
        // --- OSM network -------------------------------------------------------------
        case("truncated PBF", Fatal(&["net.osm.pbf", "truncated at byte"]))
            .file("net.osm.pbf", tongji_pbf[..tongji_pbf.len() / 2].to_vec())
            .args(&["--network", "net.osm.pbf"]),
        case("PBF blob header declaring 1 GiB", Fatal(&["huge.osm.pbf", "declares 1073741824 bytes, over the format limit of 33554432"]))
            .file("huge.osm.pbf", pbf_declaring_1gib())
            .args(&["--network", "huge.osm.pbf"]),
        case("XML whose ways miss some nodes", Warns(&["net.osm: 1 walkable ways reference 1 nodes that are not in the file (first: way 11 needs node 99"]))
            .file("net.osm", NET_OK)
            .args(&["--network", "net.osm"]),
        case("XML whose ways miss every node", Fatal(&["net.osm", "no walkable way", "way 10 needs node 1, which is not in the file"]))
            .file("net.osm", NET_OK.replace("<node id=\"", "<node id=\"7"))
            .args(&["--network", "net.osm"]),
        case("XML <nd> without ref", Fatal(&["net.osm", "way 10: <nd> without a valid ref"]))
            .file("net.osm", NET_OK.replace("<nd ref=\"2\"/>", "<nd/>"))
            .args(&["--network", "net.osm"]),
        case("XML cut in the middle", Fatal(&["net.osm", "truncated"]))
            .file("net.osm", &NET_OK.as_bytes()[..NET_OK.len() - 40])
            .args(&["--network", "net.osm"]),
        case("--network file is a CSV", Fatal(&["osm file pop.csv", "not an OpenStreetMap XML or PBF file"]))
            .args(&["--network", "pop.csv"]),
        // --- rasters -----------------------------------------------------------------
        case("raster declaring 2^20 × 2^20 pixels", Fatal(&["big.tif", "1048576 × 1048576 pixels exceeds the limit"]))
            .file("big.tif", geotiff(1 << 20, 1 << 20, 8, &[0; 4], None))
            .args(&["--population", "big.tif"]),
        case("raster 200 million pixels wide", Fatal(&["wide.tif", "200000000 pixels per row need 4800000000 bytes"]))
            .file("wide.tif", geotiff(200_000_000, 1, 8, &[0; 4], None))
            .args(&["--population", "wide.tif"]),
        case("raster strip beyond the end of the file", Fatal(&["cut.tif", "chunk 0 at byte 8 (+1000 bytes) lies beyond the end of the file"]))
            .file("cut.tif", geotiff(2, 2, 32, &[0; 16], Some(1000)))
            .args(&["--population", "cut.tif"]),
        case("text file named .tif", Fatal(&["fake.tif", "not a readable TIFF"]))
            .file("fake.tif", POP)
            .args(&["--population", "fake.tif"]),
        // --- units and clip ----------------------------------------------------------
        case("self-intersecting unit polygon", Warns(&["units.geojson: feature 0: unit polygon is not valid"]))
            .file("units.geojson", units(
                r#"{"type":"Feature","properties":{"code":"bowtie"},"geometry":{"type":"Polygon","coordinates":[[[121.49,31.29],[121.52,31.31],[121.52,31.29],[121.49,31.31],[121.49,31.29]]]}}"#,
            ))
            .args(&["--units", "units.geojson"]),
        case("units as a shapefile", Fatal(&["units.shp", "unsupported file type (expected .geojson or .json)"]))
            .file("units.shp", "not read")
            .args(&["--units", "units.shp"]),
        case("units that miss every cell", Fatal(&["units.geojson", "none of the 3 cells lies inside any of the 1 units"]))
            .file("units.geojson", units(&square_feature("far", 121.0, 31.0, 121.1, 31.1)))
            .args(&["--units", "units.geojson"]),
        case("clip area away from the population", Fatal(&["pop.csv", "no population cell lies inside the clip area clip.geojson"]))
            .file("clip.geojson", units(&square_feature("far", 121.0, 31.0, 121.1, 31.1)))
            .args(&["--clip", "clip.geojson"]),
        // --- config ------------------------------------------------------------------
        case("config with a duplicated category", Fatal(&["dup.toml", "category \"library\": defined twice"]))
            .file("dup.toml", "[[category]]\nname = 'library'\nthreshold_m = 500\n[[category]]\nname = 'library'\nthreshold_m = 900\n")
            .args(&["--config", "dup.toml"]),
        case("config TOML syntax error", Fatal(&["syntax.toml", "invalid config", "line 2"]))
            .file("syntax.toml", "[[category]]\nname = 'library\n")
            .args(&["--config", "syntax.toml"]),
        case("config with an unknown target metric", Fatal(&["rule.toml", "unknown metric \"reach\""]))
            .file("rule.toml", "[[category]]\nname = 'library'\nthreshold_m = 500\n[[target]]\nrule = 'library.reach >= 0.9'\n")
            .args(&["--config", "rule.toml"]),
        case("threshold NaN", Fatal(&["walking threshold NaN m is outside (0, 20000]"])).args(&["--walk-min", "NaN"]),
        // --- output directory --------------------------------------------------------
        case("--out is an existing file", Fatal(&["afile: output path exists and is not a directory"]))
            .file("afile", "x")
            .args(&["--out", "afile"]),
        case("--out below a file", Fatal(&["afile/run: cannot write output"]))
            .file("afile", "x")
            .args(&["--out", "afile/run"]),
        case("--out on a read-only file system", Fatal(&["/proc/learncircle-out: cannot write output"]))
            .args(&["--out", "/proc/learncircle-out"]),
        case("--out being written by another run", FatalKeepsOut(&["out: another learncircle run is writing to this output directory", "choose another --out"]))
            .file("out/summary.json", "{\"earlier\": true}\n")
            .out_locked(),
        // --- encodings and line endings (accepted, same results as UTF-8) ------------
        case("GBK-encoded sites", SameAsUtf8).sites(gbk.into_owned()),
        case("UTF-8 BOM on both files", SameAsUtf8)
            .sites(format!("\u{feff}{SITES}"))
            .pop(format!("\u{feff}{POP}")),
        case("CRLF line endings", SameAsUtf8)
            .sites(SITES.replace('\n', "\r\n"))
            .pop(POP.replace('\n', "\r\n")),
        case("UTF-16LE sites (Excel Unicode text)", SameAsUtf8).sites(utf16),
        case("semicolon-delimited CSV (European Excel)", SameAsUtf8)
            .sites(SITES.replace(',', ";"))
            .pop(POP.replace(',', ";")),
        case("tab-separated population", SameAsUtf8)
            .file("pop.tsv", POP.replace(',', "\t"))
            .args(&["--population", "pop.tsv"]),
        // --- spreadsheet workbooks (issue 14; fixtures: tests/fixtures/excel/) --------
        case("population workbook written by openpyxl", SameAsUtf8)
            .file("pop.xlsx", pop_xlsx.clone())
            .args(&["--population", "pop.xlsx"]),
        case("truncated workbook", Fatal(&["pop.xlsx: cannot read the workbook", "damaged or truncated"]))
            .file("pop.xlsx", pop_xlsx[..pop_xlsx.len() / 2].to_vec())
            .args(&["--population", "pop.xlsx"]),
        case("sheet that does not exist", Fatal(&["pop.xlsx: no sheet named \"不存在\" (sheets: 人口)"]))
            .file("pop.xlsx", pop_xlsx.clone())
            .args(&["--population", "pop.xlsx", "--sheet", "population=不存在"]),
        case("one --sheet for every workbook, missing in one", Fatal(&["pop.xlsx: no sheet named \"站点\""]))
            .file("pop.xlsx", pop_xlsx.clone())
            .args(&["--population", "pop.xlsx", "--sheet", "站点"]),
        case("password-protected workbook", Fatal(&["encrypted.xlsx: cannot read the workbook", "password-protected"]))
            .file("encrypted.xlsx", std::fs::read(fixture("excel/encrypted.xlsx")).unwrap())
            .args(&["--population", "encrypted.xlsx"]),
        case("CSV text saved as .xlsx", Fatal(&["sites.xlsx: cannot read the workbook"]))
            .file("sites.xlsx", SITES)
            .args(&["--sites", "sites.xlsx"]),
        case("first sheet holds notes, not the table", Fatal(&["sites.xlsx: missing column \"lon\"", "坐标系"]))
            .file("sites.xlsx", std::fs::read(fixture("excel/sites_gcj02.xlsx")).unwrap())
            .args(&["--sites", "sites.xlsx"]),
        case("--sheet for an input that has none", Fatal(&["--sheet", "\"parcels\" is not an input with sheets"]))
            .args(&["--sheet", "parcels=x"]),
    ]
}

/// The `--out` value of a run.
fn out_arg<'a>(args: &[&'a str]) -> &'a str {
    args.iter()
        .position(|a| *a == "--out")
        .map_or("out", |i| args[i + 1])
}

fn setup(d: &Dir, c: &Case) {
    if c.args.contains(&"grid.gpkg") {
        gpkg(
            &d.path("grid.gpkg"),
            "NONE",
            990_001,
            &[(2.5e7, 6.67e6, 250.0)],
        );
    }
    if c.args.contains(&"grid_deg.gpkg") {
        // Degrees written into a layer that claims EPSG:3879 (metres).
        gpkg(
            &d.path("grid_deg.gpkg"),
            "EPSG",
            3879,
            &[(121.500, 31.300, 0.002), (121.505, 31.300, 0.002)],
        );
    }
    if c.args.contains(&"grid_nan.gpkg") {
        gpkg(
            &d.path("grid_nan.gpkg"),
            "EPSG",
            4326,
            &[(121.500, 31.300, 0.002), (f64::NAN, 31.300, 0.002)],
        );
    }
    for (name, bytes) in &c.files {
        d.write(name, bytes);
    }
}

#[test]
fn more_bad_inputs_table() {
    let all = cases();
    assert!(
        all.len() + 21 >= 40,
        "issue 8 asks for at least 40 bad inputs"
    );
    // Every case runs, and every failure is reported, not only the first.
    let failed: Vec<String> = all
        .iter()
        .filter_map(|c| {
            std::panic::catch_unwind(|| check(c)).err().map(|e| {
                e.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_else(|| c.name.to_owned())
            })
        })
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failed.len(),
        all.len(),
        failed.join("\n\n")
    );
}

fn check(c: &Case) {
    {
        let d = Dir::tiny();
        setup(&d, c);
        let out = out_arg(&c.args);
        let before = files_in(d.tmp.path());
        let lock = c.out_locked.then(|| {
            let f = std::fs::File::open(d.path(out)).unwrap();
            f.try_lock().unwrap();
            f
        });
        let r = d.coverage(&c.args);
        drop(lock);
        r.assert_no_panic(c.name);
        match &c.expect {
            Expect::Fatal(fragments) => {
                r.assert_exit(c.name, 2, fragments);
                assert_eq!(
                    files_in(d.tmp.path()),
                    before,
                    "{}: something was written",
                    c.name
                );
                assert!(
                    !d.path(out).is_dir(),
                    "{}: output directory {out} left behind",
                    c.name
                );
            }
            Expect::FatalKeepsOut(fragments) => {
                r.assert_exit(c.name, 2, fragments);
                assert_eq!(files_in(d.tmp.path()), before, "{}: files changed", c.name);
                assert_eq!(
                    d.read("out/summary.json"),
                    "{\"earlier\": true}\n",
                    "{}",
                    c.name
                );
            }
            Expect::Rejected(want) => {
                r.assert_exit(c.name, 1, &[]);
                assert_eq!(
                    d.read("out/rejected.csv"),
                    format!("{REJECTED_HEADER}{want}"),
                    "{}",
                    c.name
                );
            }
            Expect::Warns(fragments) => {
                r.assert_exit(c.name, 0, fragments);
                assert_eq!(d.read("out/rejected.csv"), REJECTED_HEADER, "{}", c.name);
            }
            Expect::SameAsUtf8 => {
                r.assert_exit(c.name, 0, &[]);
                let plain = Dir::tiny();
                let base = plain.coverage(&["--out", "out"]);
                assert_eq!(base.code, 0, "{}", base.stderr);
                for f in ["cells.csv", "sites.csv", "rejected.csv", "gaps.csv"] {
                    assert_eq!(
                        d.read(&format!("out/{f}")),
                        plain.read(&format!("out/{f}")),
                        "{}: {f} differs from the UTF-8 run",
                        c.name
                    );
                }
            }
        }
    }
}
