//! End-to-end tests of the `learncircle` binary, in one integration test binary
//! (ripgrep style). Each test runs the real binary in a fresh temporary directory.

mod util;

mod bad_input;
mod contract;
mod properties;
