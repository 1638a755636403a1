//! Scratch evaluation of `headless_chrome` for the map.html test (issue 13).
//! usage: front-cdp PAGE.html SCRIPT.js SCREENSHOT.png
//! Loads the page in Debian's /usr/bin/chromium, waits for `lcMap.ready`, evaluates
//! SCRIPT.js (an async expression returning a JSON string), clicks the map with a real
//! mouse event, records console messages, exceptions and network requests.
use std::ffi::OsStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use headless_chrome::protocol::cdp::types::Event;
use headless_chrome::protocol::cdp::{Network, Page};
use headless_chrome::{Browser, LaunchOptions};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (page, script, shot) = (&args[1], &args[2], &args[3]);
    let profile = std::env::temp_dir().join(format!("front-cdp-profile-{}", std::process::id()));
    let user_data = format!("--user-data-dir={}", profile.display());
    let t0 = Instant::now();
    let browser = Browser::new(LaunchOptions {
        headless: true,
        sandbox: false,
        path: Some("/usr/bin/chromium".into()),
        window_size: Some((1280, 860)),
        idle_browser_timeout: Duration::from_secs(300),
        args: vec![
            OsStr::new("--disable-gpu"),
            OsStr::new("--disable-background-networking"),
            OsStr::new("--disable-component-update"),
            OsStr::new("--no-first-run"),
            OsStr::new(&user_data),
        ],
        ..LaunchOptions::default()
    })
    .context("launch /usr/bin/chromium")?;
    let tab = browser.new_tab()?;
    tab.set_default_timeout(Duration::from_secs(300));
    let log: Arc<Mutex<Vec<String>>> = Arc::default();
    let requests: Arc<Mutex<Vec<String>>> = Arc::default();
    {
        let (log, requests) = (log.clone(), requests.clone());
        tab.add_event_listener(Arc::new(move |e: &Event| match e {
            Event::RuntimeConsoleAPICalled(ev) => {
                let text: Vec<String> = ev
                    .params
                    .args
                    .iter()
                    .map(|a| {
                        a.value
                            .as_ref()
                            .map(|v| v.to_string())
                            .or_else(|| a.description.clone())
                            .unwrap_or_default()
                    })
                    .collect();
                log.lock().unwrap().push(format!("console.{:?}: {}", ev.params.Type, text.join(" ")));
            }
            Event::RuntimeExceptionThrown(ev) => {
                log.lock().unwrap().push(format!("exception: {:?}", ev.params.exception_details.text));
            }
            Event::LogEntryAdded(ev) => {
                log.lock().unwrap().push(format!("log.{:?}: {}", ev.params.entry.level, ev.params.entry.text));
            }
            Event::NetworkRequestWillBeSent(ev) => {
                requests.lock().unwrap().push(ev.params.request.url.chars().take(120).collect());
            }
            _ => {}
        }))?;
    }
    tab.enable_log()?;
    tab.enable_runtime()?;
    tab.call_method(Network::Enable {
        max_total_buffer_size: None,
        max_resource_buffer_size: None,
        max_post_data_size: None,
        report_direct_socket_traffic: None,
        enable_durable_messages: None,
    })?;
    let launched = t0.elapsed();
    let t1 = Instant::now();
    tab.navigate_to(&format!("file://{page}"))?.wait_until_navigated()?;
    let loaded = t1.elapsed();
    let ready = tab.evaluate("lcMap.ready.then(() => JSON.stringify(lcMap.stats()))", true)?;
    let ready_wall = t1.elapsed();
    println!("launch {launched:?}, navigate+load {loaded:?}, ready {ready_wall:?}");
    println!("stats {}", ready.value.unwrap_or_default());
    let js = std::fs::read_to_string(script)?;
    let out = tab.evaluate(&js, true)?;
    println!("script {}", out.value.unwrap_or_default());
    let png = tab.capture_screenshot(Page::CaptureScreenshotFormatOption::Png, None, None, true)?;
    std::fs::write(shot, png)?;
    // A real mouse click in the middle of the map (a cell there opens a popup).
    tab.click_point(headless_chrome::browser::tab::point::Point { x: 500.0, y: 430.0 })?;
    std::thread::sleep(Duration::from_millis(300));
    let after = tab.evaluate("JSON.stringify({popup: lcMap.popupText(), route: lcMap.routeLength()})", false)?;
    println!("click {}", after.value.unwrap_or_default());
    println!("console/log/exceptions: {:?}", log.lock().unwrap());
    println!("network requests: {:?}", requests.lock().unwrap());
    drop(tab);
    drop(browser);
    let _ = std::fs::remove_dir_all(profile);
    Ok(())
}
