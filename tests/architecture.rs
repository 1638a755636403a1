//! The folder tree is the pipeline: each top-level module of the library may use
//! only the modules of lower layers (and itself). `docs/ARCHITECTURE.md` draws the
//! same table. Also: the library never sees clap; only `src/cli/` and `src/main.rs`
//! (the binary) do.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Bottom to top. A module may import from its own row and the rows above it
/// in this list (lower layers); never from a row below.
const LAYERS: &[&str] = &[
    "base", "crs", "input", "network", "analysis", "config", "export", "osm", "present", "app",
    "fuzzing",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("src/ is readable") {
        let p = e.expect("directory entry").path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Code without `//` comments (doc links may point anywhere).
fn code_of(p: &Path) -> String {
    let text = std::fs::read_to_string(p).expect("source is readable");
    text.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Top-level modules named by `crate::NAME` paths, grouped imports included.
fn used_modules(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for item in group.split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                out.insert(name);
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.insert(name);
        }
    }
    out.retain(|n| !n.is_empty() && n != "self");
    out
}

fn src() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn top_level(rel: &Path) -> String {
    let first = rel.components().next().expect("a path under src/");
    let name = first.as_os_str().to_string_lossy();
    name.trim_end_matches(".rs").to_owned()
}

fn is_binary(top: &str) -> bool {
    top == "cli" || top == "main"
}

#[test]
fn no_module_imports_from_a_higher_layer() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut problems = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(src()).expect("under src/");
        let me = top_level(rel);
        if is_binary(&me) || me == "lib" {
            continue;
        }
        let my_layer = LAYERS
            .iter()
            .position(|l| *l == me)
            .unwrap_or_else(|| panic!("src/{} is not in the LAYERS table", rel.display()));
        for used in used_modules(&code_of(f)) {
            match LAYERS.iter().position(|l| *l == used) {
                Some(l) if l <= my_layer => {}
                Some(_) => problems.push(format!(
                    "src/{} ({me}) uses crate::{used}, a higher layer",
                    rel.display()
                )),
                None => problems.push(format!(
                    "src/{} uses crate::{used}, not in LAYERS",
                    rel.display()
                )),
            }
        }
    }
    assert!(
        problems.is_empty(),
        "layering violations:\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_top_level_module_is_in_the_table() {
    let lib = std::fs::read_to_string(src().join("lib.rs")).expect("lib.rs");
    let declared: BTreeSet<&str> = lib
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .map(|l| l.trim_end_matches(';'))
        .collect();
    let table: BTreeSet<&str> = LAYERS.iter().copied().collect();
    assert_eq!(
        declared, table,
        "lib.rs modules and the LAYERS table differ"
    );
}

#[test]
fn only_the_binary_knows_clap() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    for f in &files {
        let rel = f.strip_prefix(src()).expect("under src/");
        if is_binary(&top_level(rel)) {
            continue;
        }
        let code = code_of(f);
        assert!(
            !code.contains("clap"),
            "src/{} mentions clap",
            rel.display()
        );
        assert!(
            !code.contains("crate::cli"),
            "src/{} uses crate::cli",
            rel.display()
        );
    }
}
