//! Where to build next: maximal covering location (MCLP) with the existing sites
//! held fixed.
//!
//! Given the cells already covered by existing sites, candidate locations and each
//! candidate's catchment (cells within the category's walking threshold, sparse),
//! choose `k` candidates that cover the most residents not yet covered (the
//! category's layer: elderly for elderly categories).
//!
//! * [`lazy_greedy`]: the greedy algorithm with lazy re-evaluation. The objective
//!   (weighted coverage) is monotone submodular, so the greedy answer is at least
//!   1 − 1/e ≈ 63 % of the optimum (Nemhauser, Wolsey & Fisher 1978) and usually
//!   far closer; lazy evaluation (Minoux 1978) returns the same choices as plain
//!   greedy because a candidate's gain can only shrink as others are chosen. Ties
//!   go to the lowest candidate index, so the result is deterministic.
//! * Capacities (optional, persons per candidate): a chosen candidate serves the
//!   residual demand of its catchment nearest-first until its capacity is used;
//!   cells may be partly served. Gains still only shrink, so lazy evaluation stays
//!   exact for this greedy.
//! * [`exact`]: the MCLP as a mixed-integer programme solved by `good_lp` with the
//!   pure-Rust `microlp` solver, for small instances, to report the greedy's gap.
//!
//! Storage is sparse throughout: catchments list only the cells in reach; there is
//! no dense candidate × cell matrix.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::analysis::distance::Catchment;

/// The instance: demand per cell, what is already covered, candidate catchments.
#[derive(Debug)]
pub struct Problem<'a> {
    /// Demand weight per cell (the category's layer).
    pub demand: &'a [f64],
    /// Residents per cell (for reporting).
    pub population: &'a [f64],
    /// Elderly per cell (for reporting; zeros without a layer).
    pub elderly: &'a [f64],
    /// Cells already covered by existing sites.
    pub covered: &'a [bool],
    /// Per candidate: cells within the threshold, with distances, sorted by cell.
    pub catchments: &'a [Catchment],
    /// Per candidate: capacity in persons (`None`: unlimited).
    pub capacity: &'a [Option<f64>],
}

/// One chosen candidate.
#[derive(Clone, Debug, PartialEq)]
pub struct Pick {
    /// Candidate index.
    pub candidate: usize,
    /// Demand newly served (objective units).
    pub gain: f64,
    /// Residents newly served.
    pub gain_population: f64,
    /// Elderly newly served.
    pub gain_elderly: f64,
}

#[derive(PartialEq)]
struct Entry {
    gain: f64,
    candidate: usize,
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    // Max-heap on gain; ties go to the lowest candidate index.
    fn cmp(&self, other: &Self) -> Ordering {
        self.gain
            .total_cmp(&other.gain)
            .then_with(|| other.candidate.cmp(&self.candidate))
    }
}

/// Residual demand of cell `i` (0 when already covered).
fn residuals(p: &Problem<'_>) -> Vec<f64> {
    p.demand
        .iter()
        .zip(p.covered)
        .map(|(d, c)| if *c { 0.0 } else { *d })
        .collect()
}

/// What choosing candidate `j` would serve now: `(cell, fraction of its demand)`.
fn serve(
    p: &Problem<'_>,
    j: usize,
    residual: &[f64],
    order: &mut Vec<(u32, f32)>,
) -> Vec<(u32, f64)> {
    let c = &p.catchments[j];
    match p.capacity[j] {
        None => c
            .iter()
            .filter(|(i, _)| residual[*i as usize] > 0.0)
            .map(|(i, _)| (*i, residual[*i as usize]))
            .collect(),
        Some(cap) => {
            order.clear();
            order.extend(c.iter().copied());
            order.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            let mut left = cap;
            let mut out = Vec::new();
            for &(i, _) in order.iter() {
                if left <= 0.0 {
                    break;
                }
                let r = residual[i as usize];
                if r > 0.0 {
                    let take = r.min(left);
                    left -= take;
                    out.push((i, take));
                }
            }
            out
        }
    }
}

fn gain_of(served: &[(u32, f64)]) -> f64 {
    served.iter().map(|x| x.1).sum()
}

/// Choose up to `k` candidates by lazy greedy. Stops early when no candidate adds
/// anything.
#[must_use]
pub fn lazy_greedy(p: &Problem<'_>, k: usize) -> Vec<Pick> {
    let mut residual = residuals(p);
    let mut order = Vec::new();
    let mut heap: BinaryHeap<Entry> = (0..p.catchments.len())
        .map(|j| Entry {
            gain: gain_of(&serve(p, j, &residual, &mut order)),
            candidate: j,
        })
        .collect();
    let mut picks = Vec::with_capacity(k);
    let mut chosen = vec![false; p.catchments.len()];
    while picks.len() < k {
        let Some(top) = heap.pop() else { break };
        if chosen[top.candidate] {
            continue;
        }
        let served = serve(p, top.candidate, &residual, &mut order);
        let gain = gain_of(&served);
        // Lazy step: the stored gain is an upper bound; accept if the fresh gain
        // still beats (or ties, with a lower index) the next upper bound.
        let beats_next = heap.peek().is_none_or(|next| {
            Entry {
                gain,
                candidate: top.candidate,
            } >= *next
        });
        if !beats_next {
            heap.push(Entry {
                gain,
                candidate: top.candidate,
            });
            continue;
        }
        if gain <= 0.0 {
            break;
        }
        let (mut gp, mut ge) = (0.0, 0.0);
        for &(i, take) in &served {
            let i = i as usize;
            let frac = if p.demand[i] > 0.0 {
                take / p.demand[i]
            } else {
                0.0
            };
            gp += frac * p.population[i];
            ge += frac * p.elderly[i];
            residual[i] -= take;
            if residual[i] < 1e-12 {
                residual[i] = 0.0;
            }
        }
        chosen[top.candidate] = true;
        picks.push(Pick {
            candidate: top.candidate,
            gain,
            gain_population: gp,
            gain_elderly: ge,
        });
    }
    picks
}

/// Objective value of a set of candidates, evaluated with the same serving rule as
/// the greedy (in the given order).
#[must_use]
pub fn objective(p: &Problem<'_>, chosen: &[usize]) -> f64 {
    let mut residual = residuals(p);
    let mut order = Vec::new();
    let mut total = 0.0;
    for &j in chosen {
        let served = serve(p, j, &residual, &mut order);
        for &(i, take) in &served {
            residual[i as usize] -= take;
        }
        total += gain_of(&served);
    }
    total
}

/// The optimum of a small instance.
#[derive(Clone, Debug, PartialEq)]
pub struct Exact {
    /// Optimal objective (demand served).
    pub objective: f64,
    /// Candidates chosen by the optimum, ascending.
    pub chosen: Vec<usize>,
}

/// Errors of the exact solver.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExactError {
    /// The instance is larger than the exact mode accepts.
    #[error(
        "exact mode is for small instances: {candidates} candidates and {cells} cells in reach exceed the limit ({limit} of each)"
    )]
    TooLarge {
        /// Candidates.
        candidates: usize,
        /// Cells in some catchment with residual demand.
        cells: usize,
        /// The limit.
        limit: usize,
    },
    /// The solver failed.
    #[error("MIP solver failed: {0}")]
    Solver(String),
}

/// Largest instance the exact mode accepts (candidates, and cells in reach).
pub const EXACT_LIMIT: usize = 400;

/// Solve the MCLP exactly (mixed-integer programme, `good_lp` + `microlp`).
///
/// Uncapacitated: max Σ w_i y_i s.t. y_i ≤ Σ_{j ∋ i} x_j, Σ x_j ≤ k, x binary,
/// 0 ≤ y ≤ 1. Capacitated: max Σ z_ij s.t. Σ_j z_ij ≤ w_i, Σ_i z_ij ≤ C_j x_j,
/// z_ij ≤ w_i x_j, Σ x_j ≤ k.
///
/// # Errors
/// [`ExactError::TooLarge`] beyond [`EXACT_LIMIT`]; solver failures.
pub fn exact(p: &Problem<'_>, k: usize) -> Result<Exact, ExactError> {
    use good_lp::{
        Expression, ProblemVariables, Solution, SolverModel, Variable, constraint, microlp,
        variable,
    };
    let residual = residuals(p);
    let mut cell_ids: Vec<u32> = p
        .catchments
        .iter()
        .flatten()
        .filter(|(i, _)| residual[*i as usize] > 0.0)
        .map(|(i, _)| *i)
        .collect();
    cell_ids.sort_unstable();
    cell_ids.dedup();
    if p.catchments.len() > EXACT_LIMIT || cell_ids.len() > EXACT_LIMIT {
        return Err(ExactError::TooLarge {
            candidates: p.catchments.len(),
            cells: cell_ids.len(),
            limit: EXACT_LIMIT,
        });
    }
    let pos = |i: u32| cell_ids.binary_search(&i).expect("cell is in the list");
    let mut vars = ProblemVariables::new();
    let x: Vec<Variable> = (0..p.catchments.len())
        .map(|_| vars.add(variable().binary()))
        .collect();
    let capacitated = p.capacity.iter().any(Option::is_some);
    let k_f = f64::from(u32::try_from(k).unwrap_or(u32::MAX));
    let solution = if capacitated {
        // z_ij for every (candidate, cell in its catchment with residual demand).
        let mut z: Vec<(usize, usize, Variable)> = Vec::new();
        for (j, c) in p.catchments.iter().enumerate() {
            for &(i, _) in c {
                if residual[i as usize] > 0.0 {
                    z.push((j, pos(i), vars.add(variable().min(0.0))));
                }
            }
        }
        let objective: Expression = z.iter().map(|t| t.2).sum();
        let mut model = vars.maximise(objective).using(microlp);
        let mut per_cell: Vec<Expression> = vec![Expression::from(0.0); cell_ids.len()];
        let mut per_cand: Vec<Expression> = vec![Expression::from(0.0); p.catchments.len()];
        for &(j, ci, v) in &z {
            let w = residual[cell_ids[ci] as usize];
            per_cell[ci] += v;
            per_cand[j] += v;
            model = model.with(constraint!(v <= w * x[j]));
        }
        for (ci, e) in per_cell.into_iter().enumerate() {
            model = model.with(constraint!(e <= residual[cell_ids[ci] as usize]));
        }
        for (j, e) in per_cand.into_iter().enumerate() {
            if let Some(cap) = p.capacity[j] {
                model = model.with(constraint!(e <= cap * x[j]));
            }
        }
        let total: Expression = x.iter().copied().sum();
        model = model.with(constraint!(total <= k_f));
        model
            .solve()
            .map_err(|e| ExactError::Solver(e.to_string()))?
    } else {
        let y: Vec<Variable> = cell_ids
            .iter()
            .map(|_| vars.add(variable().min(0.0).max(1.0)))
            .collect();
        let objective: Expression = cell_ids
            .iter()
            .zip(&y)
            .map(|(i, v)| residual[*i as usize] * *v)
            .sum();
        let mut model = vars.maximise(objective).using(microlp);
        let mut cover: Vec<Expression> = vec![Expression::from(0.0); cell_ids.len()];
        for (j, c) in p.catchments.iter().enumerate() {
            for &(i, _) in c {
                if residual[i as usize] > 0.0 {
                    cover[pos(i)] += x[j];
                }
            }
        }
        for (ci, e) in cover.into_iter().enumerate() {
            model = model.with(constraint!(y[ci] <= e));
        }
        let total: Expression = x.iter().copied().sum();
        model = model.with(constraint!(total <= k_f));
        model
            .solve()
            .map_err(|e| ExactError::Solver(e.to_string()))?
    };
    let chosen: Vec<usize> = (0..x.len())
        .filter(|&j| solution.value(x[j]) > 0.5)
        .collect();
    // Re-evaluate the chosen set with the greedy's own serving rule for an
    // apples-to-apples comparison (for the capacitated case the MIP's assignment is
    // at least as good, so report the MIP's objective there).
    let objective_value = if capacitated {
        let served: f64 = solution_objective(p, &chosen, &residual);
        served.max(objective(p, &chosen))
    } else {
        objective(p, &chosen)
    };
    Ok(Exact {
        objective: objective_value,
        chosen,
    })
}

/// Upper bound of what the chosen candidates can serve (capacity-limited sum of the
/// demand in their joint catchments, assigned by a greedy transport): used only to
/// report the capacitated optimum consistently.
fn solution_objective(p: &Problem<'_>, chosen: &[usize], residual: &[f64]) -> f64 {
    // Serve cells nearest-first across all chosen candidates.
    let mut pairs: Vec<(f32, u32, usize)> = chosen
        .iter()
        .flat_map(|&j| p.catchments[j].iter().map(move |&(i, d)| (d, i, j)))
        .collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut left: Vec<f64> = (0..p.catchments.len())
        .map(|j| p.capacity[j].unwrap_or(f64::INFINITY))
        .collect();
    let mut r = residual.to_vec();
    let mut total = 0.0;
    for (_, i, j) in pairs {
        let take = r[i as usize].min(left[j]);
        if take > 0.0 {
            r[i as usize] -= take;
            left[j] -= take;
            total += take;
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg(s: &mut u64) -> f64 {
        *s = s
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (*s >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A random instance: cells on a plane, candidates with circular catchments.
    fn instance(
        seed: u64,
        n_cells: usize,
        n_cand: usize,
        radius: f64,
    ) -> (Vec<f64>, Vec<bool>, Vec<Catchment>) {
        let mut s = seed;
        let cells: Vec<[f64; 2]> = (0..n_cells)
            .map(|_| [lcg(&mut s) * 3000.0, lcg(&mut s) * 3000.0])
            .collect();
        let demand: Vec<f64> = (0..n_cells)
            .map(|_| (lcg(&mut s) * 300.0).round())
            .collect();
        let covered: Vec<bool> = (0..n_cells).map(|_| lcg(&mut s) < 0.2).collect();
        let cands: Vec<[f64; 2]> = (0..n_cand)
            .map(|_| [lcg(&mut s) * 3000.0, lcg(&mut s) * 3000.0])
            .collect();
        #[allow(clippy::cast_possible_truncation)]
        let catchments = cands
            .iter()
            .map(|c| {
                (0..n_cells)
                    .filter_map(|i| {
                        let d = (cells[i][0] - c[0]).hypot(cells[i][1] - c[1]);
                        (d <= radius).then_some((i as u32, d as f32))
                    })
                    .collect()
            })
            .collect();
        (demand, covered, catchments)
    }

    fn plain_greedy(p: &Problem<'_>, k: usize) -> Vec<usize> {
        let mut chosen: Vec<usize> = Vec::new();
        for _ in 0..k {
            let base = objective(p, &chosen);
            let mut best: Option<(f64, usize)> = None;
            for j in 0..p.catchments.len() {
                if chosen.contains(&j) {
                    continue;
                }
                let mut with = chosen.clone();
                with.push(j);
                let g = objective(p, &with) - base;
                if best.is_none_or(|(bg, _)| g > bg) {
                    best = Some((g, j));
                }
            }
            match best {
                Some((g, j)) if g > 0.0 => chosen.push(j),
                _ => break,
            }
        }
        chosen
    }

    #[test]
    fn lazy_equals_plain_greedy_and_gains_never_increase() {
        for seed in 0..20u64 {
            let (demand, covered, catchments) = instance(seed, 150, 30, 500.0);
            let zeros = vec![0.0; demand.len()];
            let cap: Vec<Option<f64>> = if seed % 2 == 0 {
                vec![None; 30]
            } else {
                (0..30).map(|j| Some(500.0 + 100.0 * j as f64)).collect()
            };
            let p = Problem {
                demand: &demand,
                population: &demand,
                elderly: &zeros,
                covered: &covered,
                catchments: &catchments,
                capacity: &cap,
            };
            let lazy = lazy_greedy(&p, 6);
            let plain = plain_greedy(&p, 6);
            assert_eq!(
                lazy.iter().map(|x| x.candidate).collect::<Vec<_>>(),
                plain,
                "seed {seed}"
            );
            assert!(
                lazy.windows(2).all(|w| w[0].gain >= w[1].gain),
                "seed {seed}: marginal gains must not increase"
            );
            let total: f64 = lazy.iter().map(|x| x.gain).sum();
            let chosen: Vec<usize> = lazy.iter().map(|x| x.candidate).collect();
            assert!((total - objective(&p, &chosen)).abs() < 1e-6);
        }
    }

    /// Greedy vs the MIP optimum on seeded small instances: the distribution of
    /// greedy / optimum is printed; every instance must reach 97 %.
    #[test]
    fn greedy_is_within_3_percent_of_the_optimum() {
        let mut ratios = Vec::new();
        for seed in 100..130u64 {
            let (demand, covered, catchments) = instance(seed, 120, 25, 450.0);
            let zeros = vec![0.0; demand.len()];
            let cap = vec![None; catchments.len()];
            let p = Problem {
                demand: &demand,
                population: &demand,
                elderly: &zeros,
                covered: &covered,
                catchments: &catchments,
                capacity: &cap,
            };
            let k = 2 + (seed % 4) as usize;
            let g: f64 = lazy_greedy(&p, k).iter().map(|x| x.gain).sum();
            let e = exact(&p, k).unwrap();
            assert!(
                e.objective + 1e-6 >= g,
                "seed {seed}: optimum {} below greedy {g}",
                e.objective
            );
            assert!(e.chosen.len() <= k);
            ratios.push(if e.objective > 0.0 {
                g / e.objective
            } else {
                1.0
            });
        }
        ratios.sort_by(f64::total_cmp);
        eprintln!(
            "greedy/optimum over {} instances: min {:.4}, median {:.4}, max {:.4}, optimal in {}",
            ratios.len(),
            ratios[0],
            ratios[ratios.len() / 2],
            ratios[ratios.len() - 1],
            ratios.iter().filter(|r| **r > 1.0 - 1e-9).count()
        );
        assert!(
            ratios[0] >= 0.97,
            "worst greedy/optimum ratio {:.4}",
            ratios[0]
        );
    }

    #[test]
    fn capacitated_exact_bounds_greedy() {
        for seed in 200..206u64 {
            let (demand, covered, catchments) = instance(seed, 60, 12, 600.0);
            let zeros = vec![0.0; demand.len()];
            let cap: Vec<Option<f64>> = (0..12).map(|j| Some(800.0 + 150.0 * j as f64)).collect();
            let p = Problem {
                demand: &demand,
                population: &demand,
                elderly: &zeros,
                covered: &covered,
                catchments: &catchments,
                capacity: &cap,
            };
            let g: f64 = lazy_greedy(&p, 3).iter().map(|x| x.gain).sum();
            let e = exact(&p, 3).unwrap();
            assert!(
                e.objective + 1e-6 >= g,
                "seed {seed}: {} < {g}",
                e.objective
            );
            // Capacity is respected by the greedy.
            for pick in lazy_greedy(&p, 3) {
                assert!(pick.gain <= cap[pick.candidate].unwrap() + 1e-9);
            }
        }
    }

    #[test]
    fn nothing_to_gain_stops_early() {
        let demand = [5.0, 5.0];
        let covered = [true, true];
        let catchments = vec![vec![(0u32, 10.0f32)], vec![(1, 10.0)]];
        let cap = [None, None];
        let p = Problem {
            demand: &demand,
            population: &demand,
            elderly: &[0.0, 0.0],
            covered: &covered,
            catchments: &catchments,
            capacity: &cap,
        };
        assert!(lazy_greedy(&p, 2).is_empty());
    }
}
