//! Bad input never panics: a table of broken inputs, each with its exit code, a
//! message naming the file and the row/feature, and either nothing written (fatal)
//! or the exact `rejected.csv` (recoverable rows).

use crate::util::{Dir, POP, REJECTED_HEADER, SITES, files_in};

enum Expect {
    /// Exit 2, stderr contains all the fragments, nothing written.
    Fatal(&'static [&'static str]),
    /// Exit 1, rejected.csv is exactly this (after the header line).
    Rejected(&'static str),
    /// Exit 0.
    Ok,
}

struct Case {
    name: &'static str,
    sites: &'static [u8],
    pop: &'static [u8],
    extra: &'static [&'static str],
    expect: Expect,
}

fn cases() -> Vec<Case> {
    use Expect::*;
    vec![
        Case { name: "sites without category column", sites: b"id,name,lon,lat\ns1,x,121.5,31.3\n", pop: POP.as_bytes(), extra: &[], expect: Fatal(&["sites.csv", "missing column \"category\""]) },
        Case { name: "population without population column", sites: SITES.as_bytes(), pop: b"lon,lat,people\n121.5,31.3,4\n", extra: &[], expect: Fatal(&["pop.csv", "missing column \"population\""]) },
        Case { name: "population without lat column", sites: SITES.as_bytes(), pop: b"lon,population\n121.5,4\n", extra: &[], expect: Fatal(&["pop.csv", "missing column \"lat\""]) },
        Case { name: "empty sites file", sites: b"", pop: POP.as_bytes(), extra: &[], expect: Fatal(&["sites.csv", "file is empty"]) },
        Case { name: "header-only population", sites: SITES.as_bytes(), pop: b"lon,lat,population\n", extra: &[], expect: Fatal(&["pop.csv", "header but no data rows"]) },
        Case { name: "every population row bad", sites: SITES.as_bytes(), pop: b"lon,lat,population\nx,31.3,5\n121.5,y,5\n", extra: &[], expect: Fatal(&["pop.csv", "none of the 2 rows", "row 1: lon is not a number"]) },
        Case { name: "unknown preset", sites: SITES.as_bytes(), pop: POP.as_bytes(), extra: &["--preset", "gb99999"], expect: Fatal(&["unknown preset \"gb99999\"", "gb50180"]) },
        Case { name: "invalid CRS name", sites: SITES.as_bytes(), pop: POP.as_bytes(), extra: &["--sites-crs", "utm51"], expect: Fatal(&["--sites-crs", "unknown coordinate system \"utm51\""]) },
        Case { name: "whole sites file with lon/lat swapped", sites: b"id,category,lon,lat\ns1,library,31.301,121.502\ns2,library,31.302,121.503\n", pop: POP.as_bytes(), extra: &[], expect: Fatal(&["sites.csv", "none of the 2 rows", "row 1: lat 121.502 is out of range: lon and lat appear to be swapped"]) },
        Case { name: "swapped in range (Helsinki order)", sites: b"id,category,lon,lat\ns1,library,60.17,24.94\n", pop: b"lon,lat,population\n24.94,60.17,5\n24.95,60.17,5\n", extra: &[], expect: Fatal(&["sites.csv", "appear to be swapped"]) },
        Case { name: "non-numeric, NaN, inf and out-of-range rows", sites: SITES.as_bytes(), pop: b"cell_id,lon,lat,population\na,121.5,31.3,10\nb,abc,31.3,10\nc,121.5,NaN,10\nd,121.5,31.3,inf\ne,190,31.3,10\n", extra: &[], expect: Rejected("pop.csv,row 2,\"lon is not a number (\"\"abc\"\")\",10\npop.csv,row 3,lat is NaN,10\npop.csv,row 4,\"population is infinite (\"\"inf\"\")\",\npop.csv,row 5,\"lon 190 is out of range [-180, 180]\",10\n") },
        Case { name: "negative population", sites: SITES.as_bytes(), pop: b"lon,lat,population\n121.5,31.3,10\n121.5,31.3,-3\n", extra: &[], expect: Rejected("pop.csv,row 2,population is negative (-3),\n") },
        Case { name: "duplicate site ids", sites: "id,name,category,lon,lat\ns1,a,library,121.50,31.30\ns1,b,library,121.51,31.30\n".as_bytes(), pop: POP.as_bytes(), extra: &[], expect: Rejected("sites.csv,row 2,\"duplicate site id \"\"s1\"\" (first used at row 1)\",\n") },
        Case { name: "site category not in the config", sites: "id,name,category,lon,lat\ns1,a,图书馆,121.50,31.30\ns2,b,swimming pool,121.51,31.30\n".as_bytes(), pop: POP.as_bytes(), extra: &["--preset", "gb50180"], expect: Rejected("sites.csv,row 2,\"category \"\"swimming pool\"\" is not analysed by preset:gb50180 (categories: learning_point, culture_station, community_school, culture_centre, library, elderly_learning)\",\n") },
        Case { name: "strict makes a bad row fatal", sites: SITES.as_bytes(), pop: b"lon,lat,population\n121.5,31.3,10\n121.5,31.3,-3\n", extra: &["--strict"], expect: Fatal(&["--strict", "pop.csv: row 2: population is negative"]) },
        Case { name: "config with an unknown key", sites: SITES.as_bytes(), pop: POP.as_bytes(), extra: &["--config", "bad.toml"], expect: Fatal(&["bad.toml", "unknown field `threshold`"]) },
        Case { name: "missing sites file", sites: b"", pop: POP.as_bytes(), extra: &["--sites", "nope.csv"], expect: Fatal(&["nope.csv", "cannot read"]) },
        Case { name: "malformed GeoJSON population", sites: SITES.as_bytes(), pop: b"", extra: &["--population", "pop.geojson"], expect: Fatal(&["pop.geojson", "not valid GeoJSON"]) },
        Case { name: "GBK-encoded sites with BOM-less Chinese headers", sites: b"", pop: POP.as_bytes(), extra: &["--sites", "gbk.csv"], expect: Ok },
        Case { name: "UTF-8 BOM", sites: "\u{feff}id,name,category,lon,lat\ns1,x,library,121.5,31.3\n".as_bytes(), pop: POP.as_bytes(), extra: &[], expect: Ok },
        Case { name: "elderly above population", sites: SITES.as_bytes(), pop: b"lon,lat,population,elderly\n121.5,31.3,10,2\n121.5,31.3,3,5\n", extra: &[], expect: Rejected("pop.csv,row 2,elderly (5) exceeds population (3),3\n") },
    ]
}

#[test]
fn bad_inputs_table() {
    for case in cases() {
        let d = Dir::new();
        d.write("sites.csv", case.sites);
        d.write("pop.csv", case.pop);
        d.write(
            "bad.toml",
            "[[category]]\nname = 'library'\nthreshold = 300\n",
        );
        d.write(
            "pop.geojson",
            "{\"type\": \"FeatureCollection\", \"features\": [ {\"type\": \"Feature\",, } ]}",
        );
        let (gbk, _, _) = encoding_rs::GBK
            .encode("编号,名称,类别,经度,纬度\ns1,五角场图书馆,library,121.502,31.301\n");
        d.write("gbk.csv", gbk);
        let r = d.coverage(case.extra);
        r.assert_no_panic(case.name);
        match case.expect {
            Expect::Fatal(fragments) => {
                r.assert_exit(case.name, 2, fragments);
                assert!(
                    !d.path("out").exists(),
                    "{}: wrote {:?}",
                    case.name,
                    files_in(&d.path("out"))
                );
            }
            Expect::Rejected(want) => {
                r.assert_exit(case.name, 1, &[]);
                assert!(
                    r.stderr.contains("rejected"),
                    "{}: warning printed",
                    case.name
                );
                let got = d.read("out/rejected.csv");
                assert_eq!(got, format!("{REJECTED_HEADER}{want}"), "{}", case.name);
            }
            Expect::Ok => {
                r.assert_exit(case.name, 0, &[]);
                assert!(d.read("out/sites.csv").contains("s1"));
            }
        }
    }
}

#[test]
fn unwritable_output_locations() {
    let d = Dir::tiny();
    d.write("afile", "x");
    // --out is an existing file.
    d.coverage(&["--out", "afile"]).assert_exit(
        "--out afile",
        2,
        &["afile: output path exists and is not a directory"],
    );
    // --out lies below a file: cannot be created (works even as root).
    d.coverage(&["--out", "afile/run"]).assert_exit(
        "--out afile/run",
        2,
        &["afile/run: cannot write output"],
    );
    assert_eq!(d.read("afile"), "x");
}
