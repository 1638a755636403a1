//! End-to-end tests of the `learncircle` binary, in one integration test binary
//! (ripgrep style). Each test runs the real binary in a fresh temporary directory.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod util;

mod bad_input;
mod bad_input_more;
mod contract;
mod crash;
mod excel;
mod flag_values;
mod formats;
mod gpkg;
mod levels;
mod osm_data;
mod properties;
mod recommend;
mod route;
mod tiles;
mod units_targets;
mod whatif;
