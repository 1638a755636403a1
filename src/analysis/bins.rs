//! Points binned on a square grid, for the two neighbour questions of the gap
//! zones: which points lie within a link distance of a point, and how far its
//! nearest other point is. A query reads the 3 × 3 bins around its point, so a
//! whole pass is linear in the points where an R-tree pays a descent per query.

use rayon::prelude::*;

/// Points sorted by their bin (rows of bins, then columns) and the bins found.
pub struct PointBins {
    xy: Vec<[f64; 2]>,
    bin_m: f64,
    /// Point indices in bin order.
    order: Vec<u32>,
    /// `(row, column)` of every non-empty bin, sorted, and where it starts in `order`.
    keys: Vec<(i64, i64)>,
    starts: Vec<u32>,
    /// Where every bin of the bounding rows × columns starts in `order`, row by row
    /// (empty bins included), when that table is not much larger than the points:
    /// a query then finds its bins by index instead of binary searches in `keys`.
    dense: Option<DenseBins>,
}

/// The bins of [`PointBins`] as a full table over their bounding box.
struct DenseBins {
    row0: i64,
    col0: i64,
    rows: i64,
    cols: i64,
    /// `starts[b]`: first position in `order` of bin `b` or any later bin;
    /// one more entry than bins.
    starts: Vec<u32>,
}

impl DenseBins {
    /// The table, or `None` when it would hold more than 4 bins per point (plus a
    /// few): sparse points keep the binary searches.
    fn new(keys: &[(i64, i64)], starts: &[u32], points: usize) -> Option<Self> {
        let row0 = keys.first()?.0;
        let rows = keys.last()?.0.checked_sub(row0)?.checked_add(1)?;
        let col0 = keys.iter().map(|k| k.1).min()?;
        let cols = keys
            .iter()
            .map(|k| k.1)
            .max()?
            .checked_sub(col0)?
            .checked_add(1)?;
        let bins = rows.checked_mul(cols)?;
        if bins > 4 * i64::try_from(points).ok()? + 64 {
            return None;
        }
        let mut table = Vec::with_capacity(usize::try_from(bins).ok()? + 1);
        for (k, &(r, c)) in keys.iter().enumerate() {
            let b = usize::try_from((r - row0) * cols + (c - col0)).ok()?;
            table.resize(b + 1, starts[k]);
        }
        table.resize(usize::try_from(bins).ok()? + 1, *starts.last()?);
        Some(DenseBins {
            row0,
            col0,
            rows,
            cols,
            starts: table,
        })
    }

    /// Positions in `order` of the bins of row `r`, columns `c0..=c1`.
    fn span(&self, r: i64, c0: i64, c1: i64) -> std::ops::Range<usize> {
        let (c0, c1) = (c0.max(self.col0), c1.min(self.col0 + self.cols - 1));
        if r < self.row0 || r >= self.row0 + self.rows || c0 > c1 {
            return 0..0;
        }
        // In the table: row and columns are within its bounds.
        let at =
            |c: i64| usize::try_from((r - self.row0) * self.cols + (c - self.col0)).unwrap_or(0);
        self.starts[at(c0)] as usize..self.starts[at(c1) + 1] as usize
    }
}

impl PointBins {
    /// Bins of at least `bin_m` metres (raised where the coordinates are so
    /// large that a bin index would lose the point's position).
    #[must_use]
    pub fn new(xy: Vec<[f64; 2]>, bin_m: f64) -> Self {
        let largest = xy.iter().flatten().fold(0.0_f64, |m, v| m.max(v.abs()));
        let bin_m = bin_m.max(largest * 1e-12).max(f64::MIN_POSITIVE);
        let mut keyed: Vec<((i64, i64), u32)> = xy
            .par_iter()
            .enumerate()
            .map(|(i, p)| {
                let key = ((p[1] / bin_m).floor() as i64, (p[0] / bin_m).floor() as i64);
                (key, u32::try_from(i).expect("fewer than 2^32 points"))
            })
            .collect();
        keyed.par_sort_unstable();
        let (mut keys, mut starts) = (Vec::new(), Vec::new());
        for (at, &(k, _)) in keyed.iter().enumerate() {
            if keys.last() != Some(&k) {
                keys.push(k);
                starts.push(u32::try_from(at).expect("fits"));
            }
        }
        starts.push(u32::try_from(keyed.len()).expect("fits"));
        let order = keyed.into_iter().map(|(_, i)| i).collect();
        let dense = DenseBins::new(&keys, &starts, xy.len());
        PointBins {
            xy,
            bin_m,
            order,
            keys,
            starts,
            dense,
        }
    }

    /// Side of a bin in metres.
    #[must_use]
    pub fn bin_m(&self) -> f64 {
        self.bin_m
    }

    /// Σ over bins of (points in the bin)²: the work of a pass of queries.
    #[must_use]
    pub fn crowding(&self) -> u64 {
        self.starts
            .windows(2)
            .map(|w| u64::from(w[1] - w[0]).pow(2))
            .sum()
    }

    /// Every point in the 3 × 3 bins around `p`, with its squared distance to
    /// `p` (`dx² + dy²`). Holds every point closer to `p` than 0.99 bin.
    pub fn around(&self, p: [f64; 2]) -> impl Iterator<Item = (u32, f64)> + '_ {
        let (row, col) = (
            (p[1] / self.bin_m).floor() as i64,
            (p[0] / self.bin_m).floor() as i64,
        );
        (row.saturating_sub(1)..=row.saturating_add(1)).flat_map(move |r| {
            let (c0, c1) = (col.saturating_sub(1), col.saturating_add(1));
            let span = match &self.dense {
                Some(d) => d.span(r, c0, c1),
                None => {
                    let first = self.keys.partition_point(|&k| k < (r, c0));
                    let last = self.keys.partition_point(|&k| k <= (r, c1));
                    self.starts[first] as usize..self.starts[last] as usize
                }
            };
            self.order[span].iter().map(move |&i| {
                let q = self.xy[i as usize];
                let (dx, dy) = (q[0] - p[0], q[1] - p[1]);
                (i, dx * dx + dy * dy)
            })
        })
    }

    /// Distance to the nearest point at other coordinates than `p`, when it is
    /// closer than 0.99 bin (then no point outside the 3 × 3 bins can be
    /// nearer); `None` otherwise.
    #[must_use]
    pub fn nearest_other(&self, p: [f64; 2]) -> Option<f64> {
        let reach2 = (0.99 * self.bin_m).powi(2);
        let mut best: Option<(f64, f64)> = None;
        for (i, d2) in self.around(p) {
            let q = self.xy[i as usize];
            if q == p || d2 > reach2 {
                continue;
            }
            // The least (d², d): `hypot` only for a candidate at the least d² so far.
            let d = || (q[0] - p[0]).hypot(q[1] - p[1]);
            best = match best {
                Some((b2, _)) if d2 > b2 => best,
                Some((b2, bd)) if d2 == b2 => Some((b2, bd.min(d()))),
                _ => Some((d2, d())),
            };
        }
        best.map(|(_, d)| d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn random_points(n: usize, seed: u64, side_m: f64) -> Vec<[f64; 2]> {
        let mut s = seed;
        let mut next = move || {
            s = s
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        (0..n)
            .map(|_| [next() * side_m - side_m / 2.0, next() * side_m])
            .collect()
    }

    #[test]
    fn around_holds_every_point_within_the_bin() {
        let xy = random_points(3000, 7, 1000.0);
        let bins = PointBins::new(xy.clone(), 40.0);
        for p in xy.iter().step_by(7) {
            let mut got: Vec<u32> = bins
                .around(*p)
                .filter(|&(_, d2)| d2 <= 39.0 * 39.0)
                .map(|(i, _)| i)
                .collect();
            got.sort_unstable();
            let want: Vec<u32> = (0..xy.len())
                .filter(|&i| (xy[i][0] - p[0]).powi(2) + (xy[i][1] - p[1]).powi(2) <= 39.0 * 39.0)
                .map(|i| i as u32)
                .collect();
            assert_eq!(got, want);
        }
    }

    #[test]
    fn nearest_other_is_the_brute_force_nearest_or_none() {
        let mut xy = random_points(2000, 11, 2000.0);
        xy.push(xy[5]); // a duplicate: not its own nearest
        let bins = PointBins::new(xy.clone(), 60.0);
        let mut found = 0;
        for p in &xy {
            let brute = xy
                .iter()
                .filter(|q| *q != p)
                .map(|q| (q[0] - p[0]).hypot(q[1] - p[1]))
                .fold(f64::INFINITY, f64::min);
            match bins.nearest_other(*p) {
                Some(d) => {
                    assert_eq!(d, brute);
                    found += 1;
                }
                None => assert!(brute > 0.99 * 60.0 - 1e-9),
            }
        }
        assert!(found > 1900, "{found}");
    }

    #[test]
    fn the_bin_table_finds_what_the_binary_searches_find() {
        let mut clustered = random_points(500, 3, 300.0);
        clustered.extend(
            random_points(500, 4, 300.0)
                .iter()
                .map(|p| [p[0] + 5e5, p[1] - 3e5]),
        );
        for (xy, bin_m, dense) in [
            (random_points(3000, 7, 1000.0), 40.0, true),
            (random_points(400, 9, 1000.0), 7.0, false),
            (clustered, 25.0, false),
        ] {
            let with_table = PointBins::new(xy.clone(), bin_m);
            assert_eq!(with_table.dense.is_some(), dense);
            let mut searched = PointBins::new(xy.clone(), bin_m);
            searched.dense = None;
            let queries = random_points(300, 5, 1400.0)
                .into_iter()
                .chain(xy.iter().copied())
                .chain([[-1e6, 0.0], [1e6, 1e6], [5e5, -3e5]]);
            for q in queries {
                let a: Vec<(u32, f64)> = with_table.around(q).collect();
                let b: Vec<(u32, f64)> = searched.around(q).collect();
                assert_eq!(a, b, "query {q:?}");
            }
        }
    }
}
