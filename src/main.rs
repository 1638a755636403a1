//! The `learncircle` binary: parse arguments, run the command, print, exit.
//! The only place that prints errors or chooses the exit code
//! (0 success, 1 finished with rejected input records, 2 error).

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use learncircle::app::{self, ConfigSource, CoverageOptions, RunOutcome};
use learncircle::cli::{Cli, Command, CoverageArgs, DemoArgs, GridArgs};

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

fn with_threads<T: Send>(threads: Option<usize>, f: impl FnOnce() -> T + Send) -> Result<T> {
    match threads {
        None => Ok(f()),
        Some(0) => anyhow::bail!("--threads must be at least 1"),
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
    }
}

struct Printing {
    json: bool,
    timings: bool,
    quiet: bool,
}

fn finish(outcome: &RunOutcome, p: &Printing) -> Result<ExitCode> {
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
        write!(out, "{}", learncircle::report::terminal_table(s))?;
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

fn coverage(a: CoverageArgs) -> Result<ExitCode> {
    let opts = CoverageOptions {
        sites: a.sites,
        sites_crs: a.sites_crs,
        population: a.population,
        population_crs: a.population_crs,
        network: a.network,
        config: match (a.config, a.preset) {
            (Some(p), _) => ConfigSource::File(p),
            (None, Some(n)) => ConfigSource::Preset(n),
            (None, None) => ConfigSource::None,
        },
        mode: a.mode,
        circuity: a.circuity,
        threshold_m: a.threshold_m,
        walk_min: a.walk_min,
        out: a.out,
        strict: a.strict,
        units: a.units,
        units_crs: a.units_crs,
        unit_assignment: a.unit_assignment,
        gap_link_m: a.gap_link_m,
        access: a.access,
        population_format: app::PopulationFormatOptions {
            elderly_rasters: a.elderly,
            layer: a.population_layer,
            population_column: a.population_column,
            elderly_columns: a.elderly_columns,
            epsg: a.population_epsg,
            clip: a.clip,
            integer: a.integer_population,
        },
    };
    let outcome = with_threads(a.threads, || app::run_coverage(&opts))??;
    finish(
        &outcome,
        &Printing {
            json: a.json,
            timings: a.timings,
            quiet: a.quiet,
        },
    )
}

fn demo(a: &DemoArgs) -> Result<ExitCode> {
    let opts = learncircle::demo::prepare(a.case, &a.out)?;
    if !a.quiet && !a.json && std::io::stderr().is_terminal() {
        eprintln!(
            "learncircle demo: {:?} sample, inputs in {}",
            a.case,
            opts.sites.parent().unwrap_or(&a.out).display()
        );
    }
    let outcome = with_threads(a.threads, || app::run_coverage(&opts))??;
    finish(
        &outcome,
        &Printing {
            json: a.json,
            timings: a.timings,
            quiet: a.quiet,
        },
    )
}

fn grid(a: &GridArgs) -> Result<ExitCode> {
    learncircle::app::write_grid(a)?;
    Ok(ExitCode::SUCCESS)
}
