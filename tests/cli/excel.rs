//! Spreadsheet workbooks as input (issue 14, item 4). The fixtures in
//! `tests/fixtures/excel/` were written by other tools (XlsxWriter, openpyxl,
//! msoffcrypto-tool, odfpy for the `.ods`, xlwt for the `.xls`; `make_workbooks.py`); each run on a
//! workbook must give the outputs of the run on the same data as CSV. Broken
//! workbooks are in the bad-input table (`bad_input_more.rs`).

use crate::util::{Dir, POP, REJECTED_HEADER, fixture, summary_without_timings};

/// `sites_gcj02.xlsx`, sheet 站点, as CSV: Chinese headers, GCJ-02 coordinates,
/// the formula's saved value (120), without the empty row and the date column.
const SITES_GCJ02: &str = "编号,名称,类别,经度,纬度,容量\n\
s1,五角场图书馆,library,121.506446,31.299025,120\n\
s2,社区学校,library,121.513446,31.299025,80\n";

fn path(rel: &str) -> String {
    fixture(rel).display().to_string()
}

#[test]
fn workbooks_from_other_tools_give_the_csv_results() {
    let d = Dir::new();
    d.write("sites.csv", SITES_GCJ02);
    d.write("pop.csv", POP);
    let csv = d.coverage(&["--sites-crs", "gcj02", "--out", "csv"]);
    assert_eq!(csv.code, 0, "{}", csv.stderr);
    let (sites, pop) = (
        path("excel/sites_gcj02.xlsx"),
        path("excel/population.xlsx"),
    );
    let xlsx = d.coverage(&[
        "--sites",
        &sites,
        "--population",
        &pop,
        "--sheet",
        "sites=站点",
        "--sites-crs",
        "gcj02",
        "--out",
        "xlsx",
    ]);
    assert_eq!(xlsx.code, 0, "{}", xlsx.stderr);
    assert_same_outputs(&d, "csv", "xlsx");
    // The GCJ-02 pair was converted (the site sits ≈ 0.5 km from the raw numbers),
    // and the formula's saved value is the capacity.
    let sites_out = d.read("xlsx/sites.csv");
    assert!(
        sites_out.contains("s1,五角场图书馆,library,121.502") && sites_out.contains(",120,"),
        "{sites_out}"
    );
}

/// The files of two runs in `d` are equal, but for the input file names in
/// `summary.json`.
fn assert_same_outputs(d: &Dir, a_dir: &str, b_dir: &str) {
    let files = crate::util::files_in(&d.path(a_dir));
    assert_eq!(files, crate::util::files_in(&d.path(b_dir)));
    for f in &files {
        let (a, b) = (
            d.read(&format!("{a_dir}/{f}")),
            d.read(&format!("{b_dir}/{f}")),
        );
        if f == "summary.json" {
            let strip = |t: &str| {
                let mut v = summary_without_timings(t);
                v["inputs"]["sites_file"] = serde_json::Value::Null;
                v["inputs"]["population_file"] = serde_json::Value::Null;
                v
            };
            assert_eq!(strip(&a), strip(&b), "summary.json");
        } else {
            assert_eq!(a, b, "{f} differs between {a_dir} and {b_dir}");
        }
    }
}

/// The sites workbook `fixture` (sheet 站点) read with `--sites` gives the same
/// outputs as the same sites as CSV, formulas through their saved values.
fn assert_sites_workbook_reads_like_csv(fixture: &str, out: &str) {
    let d = Dir::new();
    d.write("sites.csv", SITES_GCJ02);
    d.write("pop.csv", POP);
    let csv = d.coverage(&["--sites-crs", "gcj02", "--out", "csv"]);
    assert_eq!(csv.code, 0, "{}", csv.stderr);
    let workbook = path(fixture);
    let r = d.coverage(&[
        "--sites",
        &workbook,
        "--sheet",
        "sites=站点",
        "--sites-crs",
        "gcj02",
        "--out",
        out,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_same_outputs(&d, "csv", out);
    assert!(d.read(&format!("{out}/sites.csv")).contains(",120,"));
}

/// The same sites as OpenDocument, written by odfpy (not LibreOffice).
#[test]
fn ods_from_odfpy_gives_the_csv_results() {
    assert_sites_workbook_reads_like_csv("excel/sites_gcj02.ods", "ods");
}

/// The same sites as an Excel 97–2003 (BIFF8) workbook, written by xlwt (and so
/// the same as the `.xlsx`).
#[test]
fn xls_from_xlwt_gives_the_csv_results() {
    assert_sites_workbook_reads_like_csv("excel/sites_gcj02.xls", "xls");
}

#[test]
fn rejected_workbook_rows_name_sheet_row_and_column() {
    let d = Dir::new();
    d.write("pop.csv", POP);
    let sites = path("excel/sites_bad_rows.xlsx");
    let r = d.coverage(&["--sites", &sites]);
    r.assert_no_panic("bad rows");
    assert_eq!(r.code, 1, "{}", r.stderr);
    let want = format!(
        "{REJECTED_HEADER}\
{sites},sheet Sites row 3,\"column D (lon): lon is a date cell (2024-05-01), not a number: is the column formatted as a date?\",\n\
{sites},sheet Sites row 4,\"column D (lon): lon is TRUE, not a number\",\n\
{sites},sheet Sites row 5,column C (category): category is empty,\n\
{sites},sheet Sites row 6,column D (lon): lon is the error value #DIV/0!,\n"
    );
    assert_eq!(d.read("out/rejected.csv"), want);
}

#[test]
fn sheet_by_name_for_every_workbook_and_planned_sites() {
    // One name for every workbook input: here only the sites are a workbook.
    let d = Dir::new();
    d.write("pop.csv", POP);
    let sites = path("excel/sites_gcj02.xlsx");
    let r = d.coverage(&["--sites", &sites, "--sheet", "站点", "--sites-crs", "gcj02"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // A workbook of planned sites (what-if) is read like the sites.
    d.write(
        "existing.csv",
        "id,category,lon,lat\ne1,library,121.60,31.40\n",
    );
    let r = d.coverage(&[
        "--sites",
        "existing.csv",
        "--planned",
        &sites,
        "--sheet",
        "planned=站点",
        "--planned-crs",
        "gcj02",
        "--out",
        "whatif",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let s = d.read("whatif/sites.csv");
    assert!(
        s.contains("s1,五角场图书馆") && s.contains("s2,社区学校"),
        "{s}"
    );
}

#[test]
fn formulas_without_a_saved_value_are_rejected_not_read_as_empty() {
    // openpyxl writes "=E2+0" with no value; calamine reads such a cell as empty.
    let d = Dir::new();
    d.write("pop.csv", POP);
    let sites = path("excel/sites_uncomputed.xlsx");
    let r = d.coverage(&["--sites", &sites]);
    r.assert_no_panic("uncomputed formulas");
    assert_eq!(r.code, 1, "{}", r.stderr);
    let why = "has no saved value: the workbook must be saved by a spreadsheet program that computes formulas (Excel, LibreOffice Calc, WPS); tools such as openpyxl write formulas without their results";
    let want = format!(
        "{REJECTED_HEADER}\
{sites},sheet Sites row 3,\"column E (lat): the formula =E2+0 {why}\",\n\
{sites},sheet Sites row 4,\"column F (capacity): the formula =F2*2 {why}\",\n"
    );
    assert_eq!(d.read("out/rejected.csv"), want);
    // The formula in a column the reader does not use does not matter.
    let kept = d.read("out/sites.csv");
    assert!(
        kept.contains("\ns1,") && kept.contains("\ns4,") && !kept.contains("\ns2,"),
        "{kept}"
    );
}

/// An empty optional elderly cell: a CSV row with an empty `elderly` field is
/// rejected ("elderly is empty", its residents counted as rejected); a workbook
/// row (openpyxl) is rejected the same way, naming sheet, row and column.
#[test]
fn empty_elderly_cell_is_rejected_as_in_csv() {
    let d = Dir::new();
    d.write(
        "pop.csv",
        "cell_id,lon,lat,population,elderly\na,121.500,31.300,100,10\nb,121.505,31.300,80,\n",
    );
    d.write(
        "sites.csv",
        "id,name,category,lon,lat\ns1,x,library,121.502,31.301\n",
    );
    let csv = d.coverage(&["--out", "csv"]);
    assert_eq!(csv.code, 1, "{}", csv.stderr);
    assert_eq!(
        d.read("csv/rejected.csv"),
        format!("{REJECTED_HEADER}pop.csv,row 2,elderly is empty,80\n")
    );
    let pop = path("excel/population_empty_elderly.xlsx");
    let xlsx = d.coverage(&["--population", &pop, "--out", "xlsx"]);
    assert_eq!(xlsx.code, 1, "{}", xlsx.stderr);
    assert_eq!(
        d.read("xlsx/rejected.csv"),
        format!(
            "{REJECTED_HEADER}{pop},sheet 人口 row 3,column E (elderly): elderly is empty,80\n"
        )
    );
    assert_eq!(
        d.json("csv/summary.json")["categories"],
        d.json("xlsx/summary.json")["categories"]
    );
}
