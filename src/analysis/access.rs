//! Two-step floating catchment area (2SFCA) accessibility and its enhanced
//! variants: how much supply (site capacity) each resident can reach, discounting
//! supply that many others also reach.
//!
//! With walking distance `d_ij` between cell `i` and site `j`, threshold `d0`,
//! demand `D_i` (the category's population layer), supply `S_j` (site capacity,
//! 1 when the sites file has none) and a weight `W(d)` that is 0 beyond `d0`:
//!
//! 1. `R_j = S_j / Σ_k W(d_kj) D_k` — supply per person in the site's catchment;
//! 2. `A_i = Σ_j W(d_ij) R_j` — the accessibility score of cell `i`.
//!
//! Weights:
//! * `2sfca` (Luo & Wang 2003): `W = 1` within `d0`;
//! * `e2sfca-step` (Luo & Qi 2009): three sub-zones `[0, d0/3]`, `(d0/3, 2d0/3]`,
//!   `(2d0/3, d0]` with weights 1.00, 0.68, 0.22;
//! * `e2sfca-gaussian` (Dai 2010): `W = (e^{-½(d/d0)²} − e^{-½}) / (1 − e^{-½})`.
//!
//! Because both steps use the same weights, supply is conserved:
//! `Σ_i D_i A_i = Σ_j S_j` over the sites with any demand in reach (tested).
//! Sites whose catchment holds no demand keep their supply out of the scores and
//! are counted in [`AccessResult::sites_without_demand`].

use serde::Serialize;

use crate::analysis::distance::Catchment;

/// Distance-decay method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Classic 2SFCA, uniform weight within the threshold.
    #[serde(rename = "2sfca")]
    TwoStep,
    /// Enhanced 2SFCA, three step weights 1.00 / 0.68 / 0.22.
    E2sfcaStep,
    /// Enhanced 2SFCA, Gaussian decay.
    E2sfcaGaussian,
}

impl Method {
    /// Weight of a walking distance `d_m` for threshold `d0_m`.
    #[must_use]
    pub fn weight(self, d_m: f64, d0_m: f64) -> f64 {
        if d_m > d0_m {
            return 0.0;
        }
        match self {
            Method::TwoStep => 1.0,
            Method::E2sfcaStep => {
                if d_m <= d0_m / 3.0 {
                    1.0
                } else if d_m <= 2.0 * d0_m / 3.0 {
                    0.68
                } else {
                    0.22
                }
            }
            Method::E2sfcaGaussian => {
                let e = (-0.5_f64).exp();
                ((-0.5 * (d_m / d0_m).powi(2)).exp() - e) / (1.0 - e)
            }
        }
    }

    /// Name used in outputs.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Method::TwoStep => "2sfca",
            Method::E2sfcaStep => "e2sfca-step",
            Method::E2sfcaGaussian => "e2sfca-gaussian",
        }
    }
}

/// Scores of one category.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AccessResult {
    /// Per cell: accessibility `A_i` (supply units per person).
    #[serde(skip)]
    pub score: Vec<f64>,
    /// Per site: supply-to-demand ratio `R_j` (`None`: no demand in reach).
    #[serde(skip)]
    pub ratio: Vec<Option<f64>>,
    /// Σ supply of all sites.
    pub supply_total: f64,
    /// Σ supply of sites with demand in reach.
    pub supply_reached: f64,
    /// Σ_i D_i A_i (equals `supply_reached` up to rounding).
    pub demand_weighted_score: f64,
    /// Sites whose catchment holds no demand.
    pub sites_without_demand: usize,
}

/// Compute 2SFCA scores from the sites' catchments (cells within `d0_m`).
///
/// `demand[i]` is the cell's demand, `supply[j]` the site's capacity. Sums run in
/// index order (deterministic).
#[must_use]
pub fn two_step(
    method: Method,
    d0_m: f64,
    demand: &[f64],
    supply: &[f64],
    catchments: &[Catchment],
) -> AccessResult {
    let mut r = AccessResult {
        score: vec![0.0; demand.len()],
        ratio: vec![None; supply.len()],
        ..AccessResult::default()
    };
    for (j, c) in catchments.iter().enumerate() {
        let denom: f64 = c
            .iter()
            .map(|&(i, d)| method.weight(f64::from(d), d0_m) * demand[i as usize])
            .sum();
        if denom > 0.0 {
            r.ratio[j] = Some(supply[j] / denom);
        }
    }
    for (j, c) in catchments.iter().enumerate() {
        let Some(ratio) = r.ratio[j] else { continue };
        for &(i, d) in c {
            r.score[i as usize] += method.weight(f64::from(d), d0_m) * ratio;
        }
    }
    r.fill_totals(demand, supply);
    r
}

impl AccessResult {
    /// Fill the totals from `score` and `ratio` (sums in index order), as
    /// [`two_step`] does: also used when scores and ratios are assembled from
    /// tiles, so both give the same bits.
    pub fn fill_totals(&mut self, demand: &[f64], supply: &[f64]) {
        self.supply_total = 0.0;
        self.supply_reached = 0.0;
        self.sites_without_demand = 0;
        for (s, r) in supply.iter().zip(&self.ratio) {
            self.supply_total += s;
            match r {
                Some(_) => self.supply_reached += s,
                None => self.sites_without_demand += 1,
            }
        }
        self.demand_weighted_score = demand.iter().zip(&self.score).map(|(d, a)| d * a).sum();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hand-computed example (step 2SFCA, d0 = 1000 m):
    /// cells D = [100, 200, 300]; site A (S = 60) reaches cells 0, 1; site B (S = 30)
    /// reaches cells 1, 2.
    /// R_A = 60 / (100 + 200) = 0.2; R_B = 30 / (200 + 300) = 0.06.
    /// A_0 = 0.2; A_1 = 0.2 + 0.06 = 0.26; A_2 = 0.06.
    /// Σ D A = 20 + 52 + 18 = 90 = 60 + 30.
    #[test]
    fn hand_computed_example() {
        let cat = vec![vec![(0, 100.0), (1, 400.0)], vec![(1, 900.0), (2, 50.0)]];
        let r = two_step(
            Method::TwoStep,
            1000.0,
            &[100.0, 200.0, 300.0],
            &[60.0, 30.0],
            &cat,
        );
        assert_eq!(r.ratio, vec![Some(0.2), Some(0.06)]);
        let want = [0.2, 0.26, 0.06];
        for (a, b) in r.score.iter().zip(want) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
        assert!((r.demand_weighted_score - 90.0).abs() < 1e-9);
        assert_eq!(r.supply_reached, 90.0);
    }

    /// E2SFCA-step by hand: site S = 10, cells at 100 m (D = 50, w 1.0), 500 m
    /// (D = 100, w 0.68), 900 m (D = 200, w 0.22); d0 = 1000.
    /// denom = 50 + 68 + 44 = 162 → R = 10/162; A = [1, 0.68, 0.22] × R.
    #[test]
    fn enhanced_step_by_hand() {
        let cat = vec![vec![(0, 100.0), (1, 500.0), (2, 900.0)]];
        let r = two_step(
            Method::E2sfcaStep,
            1000.0,
            &[50.0, 100.0, 200.0],
            &[10.0],
            &cat,
        );
        let rr = 10.0 / 162.0;
        for (a, w) in r.score.iter().zip([1.0, 0.68, 0.22]) {
            assert!((a - w * rr).abs() < 1e-12);
        }
        assert!((r.demand_weighted_score - 10.0).abs() < 1e-9);
    }

    #[test]
    fn gaussian_weight_shape() {
        let m = Method::E2sfcaGaussian;
        assert!((m.weight(0.0, 800.0) - 1.0).abs() < 1e-12);
        assert!(m.weight(800.0, 800.0).abs() < 1e-12);
        assert_eq!(m.weight(801.0, 800.0), 0.0);
        assert!(m.weight(400.0, 800.0) > m.weight(600.0, 800.0));
    }

    proptest::proptest! {
        /// Supply is conserved for every method on random catchments.
        #[test]
        fn supply_is_conserved(
            demand in proptest::collection::vec(0.0f64..500.0, 1..40),
            sites in proptest::collection::vec((1.0f64..100.0, proptest::collection::vec((0u32..40, 0.0f32..1200.0), 0..15)), 1..12),
            m in 0usize..3,
        ) {
            let method = [Method::TwoStep, Method::E2sfcaStep, Method::E2sfcaGaussian][m];
            let n = demand.len() as u32;
            let supply: Vec<f64> = sites.iter().map(|s| s.0).collect();
            let catchments: Vec<Catchment> = sites
                .iter()
                .map(|s| {
                    let mut c: Catchment = s.1.iter().filter(|x| x.0 < n && x.1 <= 1000.0).copied().collect();
                    c.sort_by_key(|x| x.0);
                    c.dedup_by_key(|x| x.0);
                    c
                })
                .collect();
            let r = two_step(method, 1000.0, &demand, &supply, &catchments);
            proptest::prop_assert!((r.demand_weighted_score - r.supply_reached).abs() <= 1e-9 * r.supply_total.max(1.0));
        }
    }
}
