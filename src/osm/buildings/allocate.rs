//! Whole-person apportionment: split an integer total over weights so that the
//! parts are integers and add up to the total **exactly** (Hamilton's
//! largest-remainder method), optionally under per-item caps (the elderly of a
//! cell never exceed its residents).
//!
//! Each item's quota is `total × weight ÷ Σ weights`; it first gets the integer
//! part of its quota, then the persons left over go one each to the items with the
//! largest fractional remainders, ties broken by the lower index. The result is
//! deterministic (no parallel sums) and no item is more than one person away from
//! its quota (without caps).

/// Why a total cannot be apportioned.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AllocateError {
    /// A positive total but no positive, finite weight to carry it.
    #[error("{total} persons but no positive weight to place them on")]
    NoWeight {
        /// The total.
        total: u64,
    },
    /// The caps of the positive-weight items add up to less than the total.
    #[error("{total} persons but the caps allow only {capacity}")]
    OverCapacity {
        /// The total.
        total: u64,
        /// Σ caps over positive-weight items.
        capacity: u64,
    },
}

/// Largest-remainder apportionment of `total` over `weights` (negative, NaN and
/// infinite weights count as zero; zero-weight items get nothing).
///
/// # Errors
/// [`AllocateError::NoWeight`] when `total > 0` and no weight is positive.
///
/// ```
/// use learncircle::osm::buildings::allocate::largest_remainder;
/// let parts = largest_remainder(10, &[1.0, 1.0, 1.0]).unwrap();
/// assert_eq!(parts, vec![4, 3, 3]);
/// # Ok::<(), learncircle::osm::buildings::allocate::AllocateError>(())
/// ```
pub fn largest_remainder(total: u64, weights: &[f64]) -> Result<Vec<u64>, AllocateError> {
    largest_remainder_capped(total, weights, None)
}

/// [`largest_remainder`] where item `i` may receive at most `caps[i]`.
///
/// Integer parts above a cap are cut to the cap; the leftover persons go by
/// largest remainder to items still below their cap, and any still left (only
/// when caps bind) one by one to the items with room, in the same order, until
/// none are left.
///
/// # Errors
/// [`AllocateError::NoWeight`] as above; [`AllocateError::OverCapacity`] when
/// the caps of the positive-weight items add up to less than `total`.
pub fn largest_remainder_capped(
    total: u64,
    weights: &[f64],
    caps: Option<&[u64]>,
) -> Result<Vec<u64>, AllocateError> {
    let n = weights.len();
    let mut out = vec![0u64; n];
    if total == 0 {
        return Ok(out);
    }
    let w = |i: usize| {
        let v = weights[i];
        if v.is_finite() && v > 0.0 { v } else { 0.0 }
    };
    let cap = |i: usize| caps.map_or(u64::MAX, |c| c.get(i).copied().unwrap_or(0));
    // Sequential sum in index order: the same result on every run.
    let sum: f64 = (0..n).map(w).sum();
    if sum <= 0.0 || !sum.is_finite() {
        return Err(AllocateError::NoWeight { total });
    }
    let capacity = (0..n)
        .filter(|&i| w(i) > 0.0)
        .fold(0u64, |acc, i| acc.saturating_add(cap(i)));
    if capacity < total {
        return Err(AllocateError::OverCapacity { total, capacity });
    }
    #[allow(clippy::cast_precision_loss)] // totals are persons, far below 2^53
    let total_f = total as f64;
    let mut remainders: Vec<(f64, usize)> = Vec::with_capacity(n);
    let mut given: u64 = 0;
    for (i, slot) in out.iter_mut().enumerate() {
        if w(i) == 0.0 {
            continue;
        }
        let quota = total_f * (w(i) / sum);
        let whole = quota.floor();
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let whole_u = (whole as u64).min(cap(i));
        *slot = whole_u;
        given += whole_u;
        remainders.push((quota - whole, i));
    }
    // Largest remainder first; ties to the lower index.
    remainders.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    // Rounding in `quota` could in principle hand out one person too many: take
    // them back from the smallest remainders.
    for &(_, i) in remainders.iter().rev() {
        if given <= total {
            break;
        }
        if out[i] > 0 {
            out[i] -= 1;
            given -= 1;
        }
    }
    while given < total {
        let before = given;
        for &(_, i) in &remainders {
            if given == total {
                break;
            }
            if out[i] < cap(i) {
                out[i] += 1;
                given += 1;
            }
        }
        if given == before {
            // Unreachable: capacity ≥ total was checked above.
            return Err(AllocateError::OverCapacity { total, capacity });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn examples() {
        assert_eq!(largest_remainder(10, &[1.0, 1.0, 1.0]).unwrap(), [4, 3, 3]);
        assert_eq!(largest_remainder(7, &[0.0, 2.0, 5.0]).unwrap(), [0, 2, 5]);
        assert_eq!(largest_remainder(0, &[]).unwrap(), Vec::<u64>::new());
        assert_eq!(
            largest_remainder(1, &[1.0, 1.0]).unwrap(),
            [1, 0],
            "tie → lower index"
        );
        assert_eq!(
            largest_remainder(3, &[f64::NAN, -1.0, 1.0]).unwrap(),
            [0, 0, 3]
        );
        assert_eq!(
            largest_remainder(5, &[0.0, 0.0]),
            Err(AllocateError::NoWeight { total: 5 })
        );
    }

    #[test]
    fn caps_bind() {
        // Equal weights, but the first item may take only 1.
        let got = largest_remainder_capped(6, &[1.0, 1.0, 1.0], Some(&[1, 10, 10])).unwrap();
        assert_eq!(got, [1, 3, 2]);
        assert_eq!(
            largest_remainder_capped(6, &[1.0, 1.0, 0.0], Some(&[1, 2, 100])),
            Err(AllocateError::OverCapacity {
                total: 6,
                capacity: 3
            })
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn sums_exactly_and_stays_within_one_of_the_quota(
            total in 0u64..5_000_000,
            weights in prop::collection::vec(0.0f64..1e6, 1..200),
        ) {
            prop_assume!(weights.iter().any(|w| *w > 0.0));
            let parts = largest_remainder(total, &weights).unwrap();
            prop_assert_eq!(parts.iter().sum::<u64>(), total);
            let sum: f64 = weights.iter().sum();
            for (p, w) in parts.iter().zip(&weights) {
                let quota = total as f64 * w / sum;
                prop_assert!((*p as f64 - quota).abs() < 1.0 + 1e-6, "{} vs quota {}", p, quota);
            }
        }

        #[test]
        fn capped_sums_exactly_and_respects_caps(
            total in 0u64..100_000,
            share in 0.0f64..=1.0,
            weights in prop::collection::vec(0.0f64..1e4, 1..100),
        ) {
            prop_assume!(weights.iter().any(|w| *w > 0.0));
            let pop = largest_remainder(total, &weights).unwrap();
            let elderly_total = (share * total as f64).round() as u64;
            let eld = largest_remainder_capped(elderly_total, &weights, Some(&pop)).unwrap();
            prop_assert_eq!(eld.iter().sum::<u64>(), elderly_total);
            for (e, p) in eld.iter().zip(&pop) {
                prop_assert!(e <= p);
            }
        }
    }
}
