//! Packed typed arrays of the map data (`docs/MAP-DATA.md` §3): little-endian
//! bytes, optionally delta-coded and gzip-compressed, in base64.

use std::io::Write as _;

use base64::Engine as _;
use flate2::Compression;
use flate2::write::GzEncoder;
use serde::Serialize;

/// Arrays larger than this many bytes are gzip-compressed.
const GZIP_FROM_BYTES: usize = 4096;

/// One packed array: `{"t", "n", "z", "d", "b64"}`.
#[derive(Clone, Debug, Serialize)]
pub struct Packed {
    t: &'static str,
    n: usize,
    z: u8,
    d: u8,
    b64: String,
}

/// An element type of a packed array.
pub trait Element: Copy {
    /// The type's name in the map data (`u8`, `i32`, …).
    const NAME: &'static str;
    /// Append the little-endian bytes.
    fn put(self, out: &mut Vec<u8>);
}

macro_rules! element {
    ($($t:ty => $name:literal),*) => {$(
        impl Element for $t {
            const NAME: &'static str = $name;
            fn put(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
        }
    )*};
}
element!(u8 => "u8", u32 => "u32", i32 => "i32", f32 => "f32", f64 => "f64");

/// Pack `values` as they are.
#[must_use]
pub fn pack<T: Element>(values: &[T]) -> Packed {
    let mut raw = Vec::with_capacity(std::mem::size_of_val(values));
    for &v in values {
        v.put(&mut raw);
    }
    finish::<T>(values.len(), raw, false)
}

/// An integer element that can be delta-coded.
pub trait Delta: Element + Default {
    /// `self − other`, wrapping.
    #[must_use]
    fn wrapping_delta(self, other: Self) -> Self;
}

macro_rules! delta {
    ($($t:ty),*) => {$(
        impl Delta for $t {
            fn wrapping_delta(self, other: Self) -> Self {
                self.wrapping_sub(other)
            }
        }
    )*};
}
delta!(u32, i32);

/// Pack integer `values` delta-coded (`v[i] − v[i−1]`, wrapping; `v[−1] = 0`):
/// small steps for coordinates in row or Hilbert order, which gzip then halves.
#[must_use]
pub fn pack_delta<T: Delta>(values: &[T]) -> Packed {
    let mut raw = Vec::with_capacity(std::mem::size_of_val(values));
    let mut prev = T::default();
    for &v in values {
        v.wrapping_delta(prev).put(&mut raw);
        prev = v;
    }
    finish::<T>(values.len(), raw, true)
}

fn finish<T: Element>(n: usize, raw: Vec<u8>, delta: bool) -> Packed {
    let (z, bytes) = if raw.len() > GZIP_FROM_BYTES {
        (1, gzip(&raw))
    } else {
        (0, raw)
    };
    Packed {
        t: T::NAME,
        n,
        z,
        d: u8::from(delta),
        b64: base64::engine::general_purpose::STANDARD.encode(bytes),
    }
}

/// Gzip with a fixed header (no time stamp, no file name): the same bytes for the
/// same input, so the page is byte-identical run to run.
fn gzip(raw: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::with_capacity(raw.len() / 2), Compression::new(6));
    enc.write_all(raw).expect("writing to a Vec cannot fail");
    enc.finish().expect("writing to a Vec cannot fail")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read as _;

    fn bytes_of(p: &Packed) -> Vec<u8> {
        let b = base64::engine::general_purpose::STANDARD
            .decode(&p.b64)
            .unwrap();
        if p.z == 0 {
            return b;
        }
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&b[..])
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn small_arrays_are_plain_little_endian() {
        let p = pack(&[1u32, 258]);
        assert_eq!((p.t, p.n, p.z, p.d), ("u32", 2, 0, 0));
        assert_eq!(bytes_of(&p), vec![1, 0, 0, 0, 2, 1, 0, 0]);
    }

    #[test]
    fn large_arrays_are_gzipped_and_deltas_undo() {
        let v: Vec<i32> = (0..5000).map(|i| 1_214_000_000 + i * 7 - (i % 3)).collect();
        let p = pack_delta(&v);
        assert_eq!((p.t, p.n, p.z, p.d), ("i32", 5000, 1, 1));
        let raw = bytes_of(&p);
        let mut prev = 0i32;
        let back: Vec<i32> = raw
            .chunks_exact(4)
            .map(|c| {
                prev = prev.wrapping_add(i32::from_le_bytes(c.try_into().unwrap()));
                prev
            })
            .collect();
        assert_eq!(back, v);
        // Deterministic: the same bytes twice.
        assert_eq!(pack_delta(&v).b64, p.b64);
    }
}
