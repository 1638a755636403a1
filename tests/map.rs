//! The learning map (`map.html`) in real headless Chromium, driven over the
//! DevTools protocol (`support/cdp.rs`): the Shanghai demo's page loads offline with
//! no console error and no request but its own file; the category switcher changes
//! the legend; a real click on a cell opens a popup whose walking times are
//! `cells.csv`'s and draws the route whose length is the cell's distance (0.1 m);
//! searching a site by its Chinese name selects it.
//!
//! `LEARNCIRCLE_UPDATE_DOCS=1` also writes the screenshots `docs/map-*.png`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/cdp.rs"]
mod cdp;
mod support;

use std::path::Path;

use serde_json::Value;
use support::{Dir, chromium_or_skip, column, read_csv};

/// Walking minutes and distance of one cell per category, as `cells.csv` prints them.
struct CellRow {
    id: String,
    minutes: Vec<Option<f64>>,
    dist_m: Vec<Option<f64>>,
}

fn cells_csv(dir: &Dir, out: &str, categories: &[String]) -> Vec<CellRow> {
    let (head, rows) = read_csv(&dir.read(&format!("{out}/cells.csv")));
    let opt = |s: &str| s.parse::<f64>().ok();
    rows.iter()
        .map(|r| CellRow {
            id: r[column(&head, "cell_id")].clone(),
            minutes: categories
                .iter()
                .map(|c| opt(&r[column(&head, &format!("{c}_walk_min"))]))
                .collect(),
            dist_m: categories
                .iter()
                .map(|c| opt(&r[column(&head, &format!("{c}_dist_m"))]))
                .collect(),
        })
        .collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_owned())
        .collect()
}

/// Load `dir/rel` (a `map.html`) in `b` and wait until the page is ready.
fn open_map(b: &mut cdp::Browser, dir: &Dir, rel: &str) {
    let page = std::fs::canonicalize(dir.path(rel)).unwrap();
    b.navigate(&format!("file://{}", page.display()));
    assert_eq!(b.eval("lcMap.ready.then(() => true)"), Value::Bool(true));
}

/// Neither the page (`lcMap.errors`) nor the browser (console, exceptions,
/// failed requests) reported a problem.
fn assert_no_page_errors(b: &mut cdp::Browser) {
    assert_eq!(
        b.eval("lcMap.errors.length"),
        Value::from(0),
        "{}",
        b.eval("JSON.stringify(lcMap.errors)")
    );
    assert!(b.problems().is_empty(), "{:#?}", b.problems());
}

/// Open the demo's map and wait until it is drawn.
fn open_demo_map(chromium: &Path, dir: &Dir) -> cdp::Browser {
    let r = dir.run(&["demo", "--report", "--quiet", "--out", "run"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut b = cdp::Browser::launch(chromium, 1280, 860);
    open_map(&mut b, dir, "run/map.html");
    b
}

#[test]
fn demo_map_works_offline_in_headless_chromium() {
    let Some(chromium) = chromium_or_skip("demo_map_works_offline_in_headless_chromium") else {
        return;
    };
    let dir = Dir::new();
    let mut b = open_demo_map(&chromium, &dir);
    let page_url = b.eval("location.href").as_str().unwrap().to_owned();

    // Categories and legend: switching changes what the legend counts.
    let cats = strings(&b.eval("lcMap.categories()"));
    assert!(cats.len() >= 2, "{cats:?}");
    let legends: Vec<Value> = (0..cats.len())
        .map(|c| {
            b.eval(&format!("lcMap.setCategory({c})"));
            assert_eq!(b.eval("lcMap.category()").as_str(), Some(cats[c].as_str()));
            b.eval("JSON.parse(JSON.stringify(lcMap.legend().map(r => r.population)))")
        })
        .collect();
    assert!(
        legends.windows(2).any(|w| w[0] != w[1]),
        "the legend did not change with the category: {legends:?}"
    );

    // Every category's walking time of a cell with a route, by a real click.
    let rows = cells_csv(&dir, "run", &cats);
    let c = 0;
    b.eval(&format!("lcMap.setCategory({c})"));
    let cell = rows
        .iter()
        .find(|r| r.dist_m[c].is_some_and(|d| d > 200.0))
        .expect("a cell with a walking distance");
    let xy = b.eval(&format!(
        "(() => {{ const D = lcMap.data(), i = D.cells.ids.indexOf({:?}); \
         const m = lcMap.map(); m.setView([D.cells.lat_e7[i] / 1e7, D.cells.lon_e7[i] / 1e7], 17, {{animate: false}}); \
         const p = m.latLngToContainerPoint([D.cells.lat_e7[i] / 1e7, D.cells.lon_e7[i] / 1e7]); \
         const r = m.getContainer().getBoundingClientRect(); return [p.x + r.left, p.y + r.top]; }})()",
        cell.id
    ));
    b.eval("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))");
    b.click(xy[0].as_f64().unwrap(), xy[1].as_f64().unwrap());
    let popup = b.eval("lcMap.popupText()");
    let popup = popup
        .as_str()
        .unwrap_or_else(|| panic!("no popup after the click"));
    assert!(popup.contains(&cell.id), "popup of another cell: {popup}");
    for (k, m) in cell.minutes.iter().enumerate() {
        if let Some(m) = m {
            assert!(
                popup.contains(&format!("{m:.2}")),
                "{}: {m:.2} min not in {popup}",
                cats[k]
            );
        }
    }
    let route_m = b
        .eval("lcMap.routeLength()")
        .as_f64()
        .expect("a route is drawn");
    let want = cell.dist_m[c].unwrap();
    assert!(
        (route_m - want).abs() <= 0.05 + 1e-9,
        "route {route_m} m, cells.csv {want} m"
    );
    let drawn = b.eval("lcMap.route() && lcMap.route().path ? lcMap.route().path.nodes.length : 0");
    assert!(
        drawn.as_u64().unwrap_or(0) >= 1,
        "the route does not follow the network"
    );

    // The route of every cell for every category agrees with cells.csv (the
    // demo has cells with tied attachments: they take the shorter walk).
    let mut checked = 0;
    for (k, name) in cats.iter().enumerate() {
        let lengths = b.eval(&format!("lcMap.routeLengths({k})"));
        for (r, l) in rows.iter().zip(lengths.as_array().unwrap()) {
            match (l.as_f64(), r.dist_m[k]) {
                (Some(l), Some(d)) => {
                    assert!(
                        (l - d).abs() <= 0.05 + 1e-9,
                        "{} {name}: route {l} m, cells.csv {d} m",
                        r.id
                    );
                    checked += 1;
                }
                (None, None) => {}
                other => panic!("{} {name}: route vs distance {other:?}", r.id),
            }
        }
    }
    assert!(checked > 1000, "only {checked} routes checked");

    // Clicks on a sample of cells: the popup's times are cells.csv's.
    let mut checked = 0;
    for (k, _) in cats.iter().enumerate() {
        b.eval(&format!("lcMap.setCategory({k})"));
        for r in rows.iter().step_by(23) {
            let got = b.eval(&format!("lcMap.clickCell({:?})", r.id));
            let times = &got["times"];
            for (j, name) in cats.iter().enumerate() {
                let t = times[name].as_f64();
                match (t, r.minutes[j]) {
                    (Some(t), Some(m)) => {
                        assert!((t - m).abs() < 0.005, "{} {name}: {t} vs {m}", r.id)
                    }
                    (None, None) => {}
                    other => panic!("{} {name}: {other:?}", r.id),
                }
            }
            match (got["route_m"].as_f64(), r.dist_m[k]) {
                (Some(l), Some(d)) => {
                    assert!(
                        (l - d).abs() <= 0.05 + 1e-9,
                        "{} {}: route {l} m, cells.csv {d} m",
                        r.id,
                        cats[k]
                    );
                    checked += 1;
                }
                (None, None) => {}
                other => panic!("{} {}: route vs distance {other:?}", r.id, cats[k]),
            }
        }
    }
    assert!(checked > 20, "only {checked} clicks checked");

    // Search a site by its Chinese name.
    let (head, sites) = read_csv(&dir.read("run/sites.csv"));
    let name = sites
        .iter()
        .map(|s| s[column(&head, "name")].clone())
        .find(|n| n.chars().any(|ch| ('\u{4e00}'..='\u{9fff}').contains(&ch)))
        .expect("a site with a Chinese name");
    let part: String = name.chars().take(4).collect();
    let found = b.eval(&format!("lcMap.searchSite({part:?})"));
    assert!(
        found["name"].as_str().is_some_and(|n| n.contains(&part)),
        "{found}"
    );
    assert_eq!(b.eval("lcMap.selectedSite()")["index"], found["index"]);

    if std::env::var("LEARNCIRCLE_UPDATE_DOCS").as_deref() == Ok("1") {
        b.eval(&format!(
            "lcMap.setCategory(0); lcMap.clickCell({:?}); 1",
            cell.id
        ));
        b.eval("new Promise(r => setTimeout(r, 300))");
        let png = b.screenshot();
        std::fs::write(
            concat!(env!("CARGO_MANIFEST_DIR"), "/docs/map-demo-route.png"),
            png,
        )
        .unwrap();
        b.eval(
            "(() => { const m = lcMap.map(), b = lcMap.data().meta.bbox; m.closePopup(); \
             m.fitBounds([[b[1], b[0]], [b[3], b[2]]], {paddingBottomRight: [300, 0], animate: false}); return 1; })()",
        );
        b.eval("new Promise(r => setTimeout(r, 300))");
        let png = b.screenshot();
        std::fs::write(
            concat!(env!("CARGO_MANIFEST_DIR"), "/docs/map-demo.png"),
            png,
        )
        .unwrap();
    }

    // Offline: nothing but the page itself was requested, and nothing went wrong.
    let requests = b.requests();
    assert!(
        requests
            .iter()
            .all(|u| *u == page_url || u.starts_with("data:")),
        "requests beyond the page: {requests:?}"
    );
    assert_no_page_errors(&mut b);
}

/// A what-if run's map switches between before and after (the planned sites change
/// the legend), and a straight-line run's map (no network: no streets, no routes)
/// loads without errors.
#[test]
fn whatif_and_straight_line_maps_load() {
    let Some(chromium) = chromium_or_skip("whatif_and_straight_line_maps_load") else {
        return;
    };
    let dir = Dir::new();
    let r = dir.run(&["demo", "--quiet", "--out", "demo"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    dir.write(
        "planned.csv",
        "id,name,category,lon,lat\np1,规划社区图书馆,library,121.5000,31.2950\n",
    );
    let input = |f: &str| dir.path(&format!("demo/inputs/{f}")).display().to_string();
    let study = [
        "--sites".to_owned(),
        input("sites.csv"),
        "--population".into(),
        input("population.csv"),
        "--config".into(),
        input("learncircle.toml"),
    ];
    let mut whatif: Vec<String> = vec!["coverage".into()];
    whatif.extend(study.iter().cloned());
    let planned = dir.path("planned.csv").display().to_string();
    whatif.extend([
        "--network".into(),
        input("fudan_wujiaochang_2023.osm"),
        "--planned".into(),
        planned,
    ]);
    whatif.extend(["--report", "--quiet", "--out", "whatif"].map(String::from));
    let r = dir.run_owned(&whatif);
    assert!(r.code <= 1, "{}", r.stderr);
    let mut straight: Vec<String> = vec!["coverage".into()];
    straight.extend(study.iter().cloned());
    straight.extend(["--report", "--quiet", "--out", "straight"].map(String::from));
    let r = dir.run_owned(&straight);
    assert!(r.code <= 1, "{}", r.stderr);

    let mut b = cdp::Browser::launch(&chromium, 1280, 860);
    open_map(&mut b, &dir, "whatif/map.html");
    b.eval("lcMap.setCategory('library')");
    let after = b.eval("JSON.parse(JSON.stringify(lcMap.legend().map(r => r.population)))");
    assert_eq!(b.eval("lcMap.setWhatif('before')").as_str(), Some("before"));
    let before = b.eval("JSON.parse(JSON.stringify(lcMap.legend().map(r => r.population)))");
    assert_ne!(
        before, after,
        "the planned library changes nothing on the map"
    );
    let planned = b.eval("lcMap.data().sites.filter(s => s.planned).map(s => s.name)");
    assert_eq!(planned, serde_json::json!(["规划社区图书馆"]));
    assert_no_page_errors(&mut b);

    open_map(&mut b, &dir, "straight/map.html");
    assert_eq!(b.eval("lcMap.data().network"), Value::Null);
    let first = b.eval("lcMap.data().cells.ids[0]");
    let got = b.eval(&format!("lcMap.clickCell({first})"));
    assert_eq!(got["route_m"], Value::Null, "a route without a network");
    assert_no_page_errors(&mut b);
}

/// The Shanghai three-level example (`data/shanghai/levels`, straight-line): the
/// map carries each level's units with their parents and has_site, draws the
/// finest level (street) first, and switches to the districts.
#[test]
fn unit_levels_switch_on_the_map() {
    let Some(chromium) = chromium_or_skip("unit_levels_switch_on_the_map") else {
        return;
    };
    let dir = Dir::new();
    let data = |f: &str| {
        std::fs::canonicalize(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("data/shanghai")
                .join(f),
        )
        .unwrap()
        .display()
        .to_string()
    };
    let args: Vec<String> = vec![
        "coverage".into(),
        "--sites".into(),
        data("sites.csv"),
        "--population".into(),
        data("population.csv"),
        "--config".into(),
        data("levels/levels.toml"),
        "--mode".into(),
        "straight".into(),
        "--report".into(),
        "--quiet".into(),
        "--out".into(),
        "lv".into(),
    ];
    let r = dir.run_owned(&args);
    assert!(r.code <= 1, "{}", r.stderr);
    let mut b = cdp::Browser::launch(&chromium, 1280, 860);
    open_map(&mut b, &dir, "lv/map.html");
    let levels = b.eval("lcMap.data().levels.map(l => l.level + ':' + l.units.length)");
    assert_eq!(levels, serde_json::json!(["district:2", "street:6"]));
    // Default: the finest level; its units name their district.
    assert_eq!(b.eval("lcMap.units().length"), Value::from(6));
    let (head, rows) = read_csv(&dir.read("lv/units_street.csv"));
    let first = &rows[0];
    let got = b.eval("JSON.parse(JSON.stringify(lcMap.units()[0]))");
    assert_eq!(got["id"].as_str(), Some(first[0].as_str()));
    assert_eq!(got["level"], "street");
    assert_eq!(
        got["parent"].as_str(),
        Some(first[column(&head, "parent_id")].as_str())
    );
    assert!(got["has_site"].is_array(), "{got}");
    assert_eq!(
        b.eval("lcMap.setLevel('district')").as_str(),
        Some("district")
    );
    assert_eq!(b.eval("lcMap.units().length"), Value::from(2));
    assert_eq!(b.eval("lcMap.units()[0].level"), "district");
    // 曲阳路 (r13466001) has no culture centre of its own.
    let qu_yang_road_site = "(() => { lcMap.setLevel('street'); \
        const c = lcMap.data().categories.findIndex(c => c.name === 'culture_centre'); \
        return lcMap.units().find(u => u.id === 'r13466001').has_site[c]; })()";
    assert_eq!(b.eval(qu_yang_road_site), Value::Bool(false));
    assert_no_page_errors(&mut b);

    // The same run with a planned culture centre in 曲阳路: the what-if map has the
    // level switch too, and the street's units show the state after the plan.
    dir.write(
        "planned.csv",
        "id,name,category,lon,lat\np1,规划文化活动中心,culture_centre,121.4912,31.29417\n",
    );
    let mut whatif = args.clone();
    let out = whatif.len() - 1;
    whatif[out] = "whatif".into();
    whatif.extend([
        "--planned".into(),
        dir.path("planned.csv").display().to_string(),
    ]);
    let r = dir.run_owned(&whatif);
    assert!(r.code <= 1, "{}", r.stderr);
    open_map(&mut b, &dir, "whatif/map.html");
    assert_eq!(b.eval(qu_yang_road_site), Value::Bool(true));
    assert_eq!(b.eval("lcMap.setWhatif('before')").as_str(), Some("before"));
    assert_eq!(
        b.eval("lcMap.setLevel('district')").as_str(),
        Some("district")
    );
    assert_eq!(b.eval("lcMap.units().length"), Value::from(2));
    assert_no_page_errors(&mut b);
}

/// Load time of any `map.html` (docs/PERFORMANCE.md): `LEARNCIRCLE_MAP_PAGE=PATH
/// cargo test --release --test map -- --ignored --nocapture measure_map_page`.
/// Prints the page's own timings (`lcMap.stats()`: decoding, first paint after
/// navigation start) for three loads in a fresh browser each.
#[test]
#[ignore = "a measurement: needs LEARNCIRCLE_MAP_PAGE"]
fn measure_map_page() {
    let page = std::env::var("LEARNCIRCLE_MAP_PAGE").expect("LEARNCIRCLE_MAP_PAGE=PATH");
    let chromium = support::chromium().expect("chromium");
    let page = std::fs::canonicalize(page).unwrap();
    for run in 1..=3 {
        let mut b = cdp::Browser::launch(&chromium, 1280, 860);
        let start = std::time::Instant::now();
        b.navigate(&format!("file://{}", page.display()));
        assert_eq!(b.eval("lcMap.ready.then(() => true)"), Value::Bool(true));
        b.eval("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))");
        let wall = start.elapsed().as_secs_f64();
        let stats = b.eval("JSON.parse(JSON.stringify(lcMap.stats()))");
        let heap = b.eval("performance.memory ? performance.memory.usedJSHeapSize / 1e6 : null");
        let t0 = std::time::Instant::now();
        let n = b.eval("lcMap.data().cells.n").as_u64().unwrap();
        for k in 0..20 {
            b.eval(&format!("lcMap.clickCell({}); 1", (k * 7919) % n));
        }
        let click_ms = t0.elapsed().as_secs_f64() * 1000.0 / 20.0;
        if let (1, Ok(shot)) = (run, std::env::var("LEARNCIRCLE_MAP_SHOT")) {
            b.eval("lcMap.map().closePopup(); new Promise(r => setTimeout(r, 300))");
            std::fs::write(format!("{shot}-city.png"), b.screenshot()).unwrap();
            b.eval(&format!(
                "(() => {{ const D = lcMap.data(), d = D.cells.dist_dm[0]; let i = {};
                 while (i < D.cells.n && !(d[i] !== 4294967295 && d[i] > 6000)) i++;
                 lcMap.setCategory(0);
                 lcMap.map().setView([D.cells.lat_e7[i] / 1e7, D.cells.lon_e7[i] / 1e7], 15, {{animate: false}});
                 lcMap.clickCell(i); return i; }})()",
                n / 2
            ));
            b.eval("new Promise(r => setTimeout(r, 500))");
            std::fs::write(format!("{shot}-route.png"), b.screenshot()).unwrap();
        }
        println!(
            "run {run}: load+draw {wall:.2} s (driver), stats {stats}, JS heap {heap} MB, click {click_ms:.1} ms, errors {}",
            b.problems().len()
        );
    }
}
