//! Test helpers: the shared scaffolding of `tests/support/`.

#[path = "../support/mod.rs"]
mod support;

pub use support::*;
