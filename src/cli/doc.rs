//! `docs/CLI.md`, generated from the clap definitions in [`crate::cli`]: the
//! top-level `--help` and the `--help` of every subcommand (nested ones too),
//! whatever subcommands exist when it runs.
//!
//! The test `cli_doc_is_up_to_date` regenerates the file and fails when the
//! committed one differs; `LEARNCIRCLE_UPDATE_DOCS=1 cargo test cli_doc` rewrites it.

use clap::CommandFactory;

/// No wrapping (clap: 0 = source formatting), so the output does not depend on the
/// terminal the generator runs in and example command lines stay whole.
const WIDTH: usize = 0;

/// The whole of `docs/CLI.md`.
#[must_use]
pub fn render_markdown() -> String {
    let mut cmd = crate::cli::Cli::command()
        .term_width(WIDTH)
        .max_term_width(WIDTH);
    cmd.build();
    let mut out = String::from(
        "# Command-line reference\n\n\
         <!-- Generated from src/cli/ by src/cli/doc.rs; do not edit by hand.\n     \
         Update with: LEARNCIRCLE_UPDATE_DOCS=1 cargo test cli_doc -->\n\n\
         The output of `--help` for `learncircle` and each of its commands.\n\n",
    );
    let mut sections = Vec::new();
    collect(&cmd, &mut sections);
    out.push_str("Commands:\n\n");
    for (path, _, about) in sections.iter().skip(1) {
        let anchor = path.replace(' ', "-");
        out.push_str(&format!("* [`{path}`](#{anchor}){about}\n"));
    }
    for (path, help, _) in &sections {
        out.push_str(&format!(
            "\n## `{path}`\n\n```text\n{}\n```\n",
            help.trim_end()
        ));
    }
    out
}

/// Depth-first: `(command path, long help, " — about")` for `cmd` and every
/// visible subcommand (clap's own `help` subcommand is left out).
fn collect(cmd: &clap::Command, out: &mut Vec<(String, String, String)>) {
    let path = cmd
        .get_bin_name()
        .unwrap_or_else(|| cmd.get_name())
        .to_owned();
    let help = cmd
        .clone()
        .render_long_help()
        .to_string()
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n");
    let about = cmd
        .get_about()
        .map(|a| format!(" — {a}"))
        .unwrap_or_default();
    out.push((path, help, about));
    for sub in cmd.get_subcommands() {
        if sub.is_hide_set() || sub.get_name() == "help" {
            continue;
        }
        collect(sub, out);
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    #[test]
    fn cli_doc_is_up_to_date() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/CLI.md");
        let want = super::render_markdown();
        if std::env::var_os("LEARNCIRCLE_UPDATE_DOCS").is_some() {
            std::fs::write(&path, &want).expect("write docs/CLI.md");
            return;
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        if have != want {
            let first = have
                .lines()
                .zip(want.lines())
                .position(|(a, b)| a != b)
                .unwrap_or_else(|| have.lines().count().min(want.lines().count()));
            panic!(
                "docs/CLI.md is out of date with src/cli.rs (first difference at line {}).\n\
                 Regenerate it with:\n\n    LEARNCIRCLE_UPDATE_DOCS=1 cargo test cli_doc\n\n\
                 and commit the result.",
                first + 1
            );
        }
    }

    #[test]
    fn cli_doc_covers_every_subcommand() {
        let md = super::render_markdown();
        let cmd = <crate::cli::Cli as clap::CommandFactory>::command();
        for sub in cmd.get_subcommands() {
            assert!(
                md.contains(&format!("## `learncircle {}`", sub.get_name())),
                "{} missing",
                sub.get_name()
            );
        }
    }
}
