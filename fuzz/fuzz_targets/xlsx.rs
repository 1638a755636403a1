//! Fuzz target `xlsx`: see `learncircle::fuzzing` and docs/FUZZING.md.
#![no_main]

use learncircle::fuzzing::{Target, run_checked};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = run_checked(Target::Xlsx, data);
});
