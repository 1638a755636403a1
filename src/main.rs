//! The `learncircle` binary: parse arguments, run the command, print, exit.
//! The only place that prints errors or chooses the exit code
//! (0 success, 1 finished with rejected input records, 2 error).

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use learncircle::app::{self, RunOutcome};
mod cli;

use cli::{
    Cli, Command, CoverageArgs, DemoArgs, FromBuildingsArgs, GridArgs, PopulationCommand,
    PrintArgs, RecommendArgs, ReportArgs, RouteArgs, SitesArgs, options,
};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("learncircle: error: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// More worker threads than any machine this runs on has cores; a bound that
/// keeps `--threads` from spawning threads until the system refuses.
const MAX_THREADS: usize = 1024;

fn with_threads<T: Send>(threads: Option<usize>, f: impl FnOnce() -> T + Send) -> Result<T> {
    match threads {
        None => Ok(f()),
        Some(0) => anyhow::bail!("--threads must be at least 1"),
        Some(n) if n > MAX_THREADS => {
            anyhow::bail!("--threads {n}: at most {MAX_THREADS} worker threads")
        }
        Some(n) => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .context("cannot start worker threads")?;
            Ok(pool.install(f))
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Coverage(a) => coverage(*a),
        Command::Demo(a) => demo(&a),
        Command::Grid(a) => grid(&a),
        Command::Recommend(a) => recommend(*a),
        Command::Plan(a) => {
            let a = *a;
            let mut opts = options::study(a.study, std::path::PathBuf::new(), false);
            opts.planned = a.planned;
            opts.planned_crs = a.planned_crs;
            opts.access = a.access.map(Into::into);
            let plan = app::tile::make_plan(&opts, a.tile_km, &a.out)?;
            println!(
                "{}: {} tiles of {} km with a {:.0} m halo ({}); {} cells",
                a.out.display(),
                plan.tiles.len(),
                a.tile_km,
                plan.halo_m,
                plan.halo_rule,
                plan.fingerprint.cells
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Merge(a) => {
            learncircle::base::progress::set_enabled(!a.print.quiet);
            let formats = a.format.as_deref().map(cli::formats);
            let outcome = app::tile::merge(&a.dirs, &a.out, formats)?;
            finish(&outcome, &a.print)
        }
        Command::ExportNetwork(a) => {
            let s = app::export_network(&options::export_network(&a))?;
            println!(
                "{}: {} nodes, {} segments, {:.1} km, {} components (largest {:.1} % of nodes), {} small components excluded from snapping",
                a.out.display(),
                s.nodes,
                s.segments,
                s.total_length_km,
                s.components,
                100.0 * s.largest_component_node_share,
                s.excluded_components
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Route(a) => route(*a),
        Command::Report(a) => report(&a),
        Command::Sites(a) => sites(&a),
        Command::Population(p) => match p.command {
            PopulationCommand::FromBuildings(a) => from_buildings(&a),
        },
    }
}

/// Write the report of a finished run; prints its path unless quiet.
fn write_report(
    run: &std::path::Path,
    lang: learncircle::present::charts::Lang,
    out: Option<std::path::PathBuf>,
    quiet: bool,
    timings: bool,
    network: Option<&app::RunNetwork>,
) -> Result<()> {
    let opts = learncircle::present::report::html::ReportOptions { lang, out };
    let run_network = network;
    let network = network
        .map(|n| learncircle::present::charts::context::Network::from_graph(&n.graph, &n.proj));
    let engine = run_network.map(app::RunNetwork::engine);
    let done = learncircle::present::report::html::write_report_and_map(
        run,
        &opts,
        network.as_ref(),
        engine.as_ref(),
    )?;
    if timings {
        let mut err = std::io::stderr().lock();
        for t in done.timings.iter().filter(|t| t.stage != "total") {
            writeln!(err, "{:>28}  {:>10.1} ms", t.stage, t.ms)?;
        }
    }
    if !quiet {
        for w in &done.warnings {
            eprintln!("learncircle: warning: {w}");
        }
        eprintln!(
            "report: {} and {} ({} chart files in {})",
            done.report.display(),
            done.map.display(),
            done.charts.len(),
            done.charts
                .first()
                .and_then(|p| p.parent())
                .map_or_else(String::new, |p| p.display().to_string())
        );
    }
    Ok(())
}

/// The report of the run `coverage` or `demo` just finished, with the network
/// it walked; with `--timings`, how long it took.
fn report_after_run(
    out: &std::path::Path,
    lang: learncircle::present::charts::Lang,
    print: &PrintArgs,
    outcome: &RunOutcome,
) -> Result<()> {
    let start = std::time::Instant::now();
    write_report(
        out,
        lang,
        None,
        print.quiet,
        print.timings,
        outcome.network.as_ref(),
    )?;
    report_timing(start, print.timings)
}

/// With `--timings`, the time the report and its charts took (after the run's
/// own stages, which `summary.json` records).
fn report_timing(start: std::time::Instant, timings: bool) -> Result<()> {
    if timings {
        let ms = start.elapsed().as_secs_f64() * 1000.0;
        writeln!(
            std::io::stderr().lock(),
            "{:>28}  {ms:>10.1} ms",
            "report and charts"
        )?;
    }
    Ok(())
}

fn report(a: &ReportArgs) -> Result<ExitCode> {
    learncircle::base::progress::set_enabled(!a.quiet);
    write_report(&a.run, a.lang, a.out.clone(), a.quiet, false, None)?;
    Ok(ExitCode::SUCCESS)
}

fn finish(outcome: &RunOutcome, p: &PrintArgs) -> Result<ExitCode> {
    let s = &outcome.summary;
    if !p.quiet {
        for w in &s.warnings {
            eprintln!("learncircle: warning: {w}");
        }
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if p.json {
        writeln!(out, "{}", serde_json::to_string_pretty(s)?)?;
    } else if !p.quiet {
        write!(out, "{}", learncircle::present::report::terminal_table(s))?;
        if let Some(first) = outcome.written.first().and_then(|f| f.parent()) {
            writeln!(out, "outputs: {}", first.display())?;
        }
    }
    if p.timings {
        let mut err = std::io::stderr().lock();
        for t in &s.timings_ms {
            writeln!(err, "{:>28}  {:>10.1} ms", t.stage, t.ms)?;
        }
    }
    if outcome.rejected > 0 {
        if !p.quiet {
            eprintln!(
                "learncircle: warning: {} input records were rejected and are listed in rejected.csv (exit code 1; --strict makes this an error)",
                outcome.rejected
            );
        }
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn recommend(a: RecommendArgs) -> Result<ExitCode> {
    learncircle::base::progress::set_enabled(!a.quiet);
    let opts = app::RecommendOptions {
        study: options::study(a.study, a.out, a.strict),
        category: a.category,
        k: a.k,
        candidates: a.candidates,
        candidates_crs: a.candidates_crs,
        candidates_from: a.candidates_from.into(),
        capacity: a.capacity,
        exact: a.exact,
    };
    let outcome = with_threads(a.threads, || app::run_recommend(&opts))??;
    let s = &outcome.summary;
    let mut out = std::io::stdout().lock();
    if a.json {
        writeln!(out, "{}", serde_json::to_string_pretty(s)?)?;
    } else if !a.quiet {
        writeln!(
            out,
            "recommend {}: {} new sites from {} candidates ({} unreachable); {} layer covered {} → {} ({:.1} % → {:.1} %)",
            s["category"].as_str().unwrap_or(""),
            s["chosen"],
            s["candidates"],
            s["candidates_unreachable"],
            s["layer"].as_str().unwrap_or(""),
            learncircle::present::report::fmt_count(s["covered_before"].as_f64().unwrap_or(0.0)),
            learncircle::present::report::fmt_count(s["covered_after"].as_f64().unwrap_or(0.0)),
            100.0 * s["share_before"].as_f64().unwrap_or(0.0),
            100.0 * s["share_after"].as_f64().unwrap_or(0.0),
        )?;
        if let Some(e) = s.get("exact").filter(|e| !e.is_null()) {
            writeln!(
                out,
                "exact optimum gain {}; greedy reaches {:.2} % of it",
                learncircle::present::report::fmt_count(e["optimum_gain"].as_f64().unwrap_or(0.0)),
                100.0 * e["greedy_share_of_optimum"].as_f64().unwrap_or(0.0)
            )?;
        }
        if let Some(dir) = outcome.written.first().and_then(|f| f.parent()) {
            writeln!(out, "outputs: {}", dir.display())?;
        }
    }
    if outcome.rejected > 0 {
        if !a.quiet {
            eprintln!(
                "learncircle: warning: {} input records rejected (recommend_rejected.csv)",
                outcome.rejected
            );
        }
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn coverage(a: CoverageArgs) -> Result<ExitCode> {
    learncircle::base::progress::set_enabled(!a.print.quiet);
    let (report_lang, out_dir) = (a.report, a.out.clone());
    let mut opts = options::study(a.study, a.out, a.strict);
    opts.access = a.access.map(Into::into);
    opts.formats = cli::formats(&a.format);
    opts.planned_crs = a.planned_crs;
    if let (Some(plan), Some(index)) = (&a.tiles, a.tile) {
        opts.planned = a.planned;
        opts.service_buffer_m = a.service_areas.then_some(a.service_buffer_m);
        let t = with_threads(a.threads, || app::tile::run_tile(&opts, plan, index))??;
        if !a.print.quiet {
            println!("tile {index}: {} cells → {}", t.cells, opts.out.display());
        }
        if a.print.timings {
            let mut err = std::io::stderr().lock();
            for s in &t.timings_ms {
                writeln!(err, "{:>28}  {:>10.1} ms", s.stage, s.ms)?;
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    opts.planned = a.planned;
    opts.service_buffer_m = a.service_areas.then_some(a.service_buffer_m);
    let outcome = with_threads(a.threads, || app::run_coverage(&opts))??;
    let code = finish(&outcome, &a.print)?;
    if let Some(lang) = report_lang {
        report_after_run(&out_dir, lang, &a.print, &outcome)?;
    }
    Ok(code)
}

fn demo(a: &DemoArgs) -> Result<ExitCode> {
    learncircle::base::progress::set_enabled(!a.print.quiet);
    let opts = app::demo::prepare(a.case.into(), &a.out)?;
    if !a.print.quiet && !a.print.json && std::io::stderr().is_terminal() {
        eprintln!(
            "learncircle demo: {:?} sample, inputs in {}",
            a.case,
            opts.sites.parent().unwrap_or(&a.out).display()
        );
    }
    let outcome = with_threads(a.threads, || app::run_coverage(&opts))??;
    let code = finish(&outcome, &a.print)?;
    if let Some(lang) = a.report {
        report_after_run(&a.out, lang, &a.print, &outcome)?;
    }
    Ok(code)
}

fn route(a: RouteArgs) -> Result<ExitCode> {
    let (out, quiet) = (a.out.clone(), a.quiet);
    let opts = options::route(a)?;
    let routes = app::run_route(&opts)?
        .into_iter()
        .collect::<Result<Vec<_>>>()?;
    let lines: Vec<String> = routes.iter().map(app::route_line).collect();
    match &out {
        Some(path) => {
            learncircle::export::write_file_atomic(path, |w| {
                app::write_routes_geojson(w, &routes)
            })?;
            if !quiet {
                let mut o = std::io::stdout().lock();
                for l in &lines {
                    writeln!(o, "{l}")?;
                }
                writeln!(o, "wrote {}", path.display())?;
            }
        }
        None => {
            app::write_routes_geojson(&mut std::io::stdout().lock(), &routes)?;
            if !quiet {
                for l in &lines {
                    eprintln!("{l}");
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn grid(a: &GridArgs) -> Result<ExitCode> {
    app::write_grid(&options::grid(a))?;
    Ok(ExitCode::SUCCESS)
}

/// Report lines on stdout, warnings on stderr; exit 1 when `rejected > 0`.
fn print_command_report(
    lines: &[String],
    warnings: &[String],
    rejected: usize,
    quiet: bool,
) -> Result<ExitCode> {
    if !quiet {
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        for l in lines {
            writeln!(out, "{l}")?;
        }
        for w in warnings {
            eprintln!("learncircle: warning: {w}");
        }
    }
    Ok(if rejected > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn sites(a: &SitesArgs) -> Result<ExitCode> {
    let out = learncircle::osm::sites::run(&options::sites(a))?;
    let mut lines = out.lines();
    lines.push(format!("wrote {}", a.out.display()));
    print_command_report(&lines, &out.warnings(), out.unplaced.len(), a.quiet)
}

fn from_buildings(a: &FromBuildingsArgs) -> Result<ExitCode> {
    use learncircle::osm::buildings;
    let opts = options::from_buildings(a)?;
    let grid = buildings::population_from_buildings(&opts)?;
    buildings::write_grid_csv(&a.out, &grid)?;
    let mut lines = grid.report.lines();
    lines.push(format!("wrote {}", a.out.display()));
    print_command_report(
        &lines,
        &grid.report.warnings,
        grid.report.stats.no_geometry.len(),
        a.quiet,
    )
}
