//! Fixed-decimal numbers as text, the same characters as `format!("{v:.d$}")`
//! without its exact-decimal machinery on the common case: the hundreds of
//! thousands of coordinates and distances of `cells.csv` and `cells.geojson`.

use std::fmt::Write as _;

const POW10: [f64; 10] = [1.0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
const POW10_U64: [u64; 10] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
];

/// Append `v` with `decimals` decimals, exactly as `write!(out, "{v:.decimals$}")`.
///
/// Fast path: a positive `v` scaled by 10^decimals (one rounding) whose
/// fraction is clearly away from one half rounds the same way as the exact
/// decimal value, so the rounded integer gives the digits. Everything else
/// (zero, negatives, non-finite, huge, near a half) goes to `format!`.
pub fn push_fixed(out: &mut String, v: f64, decimals: usize) {
    if let Some(n) = scaled_rounded(v, decimals) {
        let unit = POW10_U64[decimals];
        push_u64(out, n / unit);
        if decimals > 0 {
            out.push('.');
            let frac = n % unit;
            let mut digits = [b'0'; 10];
            let mut f = frac;
            for d in digits[..decimals].iter_mut().rev() {
                *d = b'0' + (f % 10) as u8;
                f /= 10;
            }
            out.push_str(std::str::from_utf8(&digits[..decimals]).unwrap_or_default());
        }
    } else {
        let _ = write!(out, "{v:.decimals$}");
    }
}

/// `round(v · 10^decimals)` when that is unambiguous, else `None`.
fn scaled_rounded(v: f64, decimals: usize) -> Option<u64> {
    let p = *POW10.get(decimals)?;
    if !(v > 0.0 && v < 1e15) {
        return None;
    }
    let scaled = v * p;
    if scaled >= 4.0e15 {
        return None;
    }
    let whole = scaled.floor();
    let frac = scaled - whole; // exact below 2^52
    // The product's rounding moves it by at most half an ulp of `scaled`.
    let margin = scaled * 4.0 * f64::EPSILON + 1e-9;
    if (frac - 0.5).abs() <= margin {
        return None;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // < 4e15, positive
    let n = whole as u64 + u64::from(frac > 0.5);
    Some(n)
}

/// Append an unsigned integer in decimal.
pub fn push_u64(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&digits[at..]).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(v: f64, d: usize) {
        let mut got = String::new();
        push_fixed(&mut got, v, d);
        assert_eq!(got, format!("{v:.d$}"), "{v:e} with {d} decimals");
    }

    #[test]
    fn same_text_as_format() {
        let awkward = [
            0.0,
            -0.0,
            1e-12,
            -1e-12,
            0.5,
            1.5,
            2.5,
            0.05,
            0.15,
            0.25,
            0.35,
            1.0000005,
            121.4442325,
            31.2790135,
            999_999.95,
            0.949_999_999_999_9,
            9.999_999_95,
            1e14,
            3.9e15,
            5e15,
            1e300,
            f64::MIN_POSITIVE,
            f64::MAX,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            -121.5,
            -2.25,
            7.0,
            1234.5678,
        ];
        for &v in &awkward {
            for d in [0, 1, 2, 4, 6, 8, 9, 10] {
                check(v, d);
            }
        }
        let mut s = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..200_000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let u = (s >> 11) as f64 / (1u64 << 53) as f64;
            let v = match s % 4 {
                0 => 73.0 + u * 62.0,                           // longitudes of China
                1 => u * 5000.0,                                // metres
                2 => u * 60.0,                                  // minutes
                _ => ((s >> 20) % 100_000) as f64 / 1e3 + 5e-4, // near halves
            };
            check(v, [0, 1, 2, 4, 6][(s >> 40) as usize % 5]);
        }
    }

    #[test]
    fn integers() {
        for n in [0, 1, 9, 10, 99, 100, 12_345, u64::MAX] {
            let mut s = String::new();
            push_u64(&mut s, n);
            assert_eq!(s, n.to_string());
        }
    }
}
