//! Coverage: per cell and per category, is a site within the walking threshold, and
//! how many residents (and elderly residents) does that cover.
//!
//! Input: validated cells, categories, the sites of each category, and a distance
//! engine ([`crate::analysis::distance::Reach`]). Output: [`Coverage`], plain data that the
//! report and export stages read. No I/O here.

use rayon::prelude::*;
use serde::Serialize;

use crate::analysis::distance::{CategoryReach, Reach};
use crate::base::category::{Category, Layer};
use crate::base::model::{Cell, Site};

/// Coverage of one category.
#[derive(Clone, Debug, PartialEq)]
pub struct CategoryCoverage {
    /// The category (threshold, speed, layer).
    pub category: Category,
    /// Engine output (distance, sites within), indexed like the cells.
    pub reach: CategoryReach,
    /// Per cell: distance ≤ threshold.
    pub covered: Vec<bool>,
    /// Totals.
    pub stats: CategoryStats,
}

/// Population-weighted totals of one category.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CategoryStats {
    /// Sites of this category in the input.
    pub sites: usize,
    /// Sites that could be used (attached to the network; all in straight mode).
    pub sites_used: usize,
    /// Cells analysed.
    pub cells: usize,
    /// Cells within the threshold.
    pub cells_covered: usize,
    /// Cells with no site within the search bound.
    pub cells_unreached: usize,
    /// Residents in the analysed cells.
    pub population: f64,
    /// Residents within the threshold.
    pub population_covered: f64,
    /// Elderly residents in the analysed cells (if the layer exists).
    pub elderly: Option<f64>,
    /// Elderly residents within the threshold.
    pub elderly_covered: Option<f64>,
}

impl CategoryStats {
    /// Share of residents covered (0 when there are none).
    #[must_use]
    pub fn population_share(&self) -> f64 {
        share(self.population_covered, self.population)
    }

    /// Share of elderly residents covered.
    #[must_use]
    pub fn elderly_share(&self) -> Option<f64> {
        Some(share(self.elderly_covered?, self.elderly?))
    }

    /// The share for the layer the category serves.
    #[must_use]
    pub fn served_share(&self, layer: Layer) -> f64 {
        match layer {
            Layer::Elderly => self
                .elderly_share()
                .unwrap_or_else(|| self.population_share()),
            Layer::Total => self.population_share(),
        }
    }
}

/// `part / whole`, 0 when `whole` is 0.
#[must_use]
pub fn share(part: f64, whole: f64) -> f64 {
    if whole > 0.0 { part / whole } else { 0.0 }
}

/// Coverage of every category plus the cells covered for all of them.
#[derive(Clone, Debug, PartialEq)]
pub struct Coverage {
    /// Per category, in config order.
    pub categories: Vec<CategoryCoverage>,
    /// Per cell: covered for every category.
    pub covered_all: Vec<bool>,
    /// Per cell: the engine could not place the cell (network mode).
    pub off_network: Vec<bool>,
    /// Totals for `covered_all`.
    pub all: CategoryStats,
    /// Per tier label (categories sharing a `tier`), in first-appearance order:
    /// a cell is covered for a tier when it is covered for every category of it.
    pub tiers: Vec<TierCoverage>,
}

/// Coverage of one tier (e.g. all `5min` categories together).
#[derive(Clone, Debug, PartialEq)]
pub struct TierCoverage {
    /// Tier label as written in the config.
    pub tier: String,
    /// Names of its categories.
    pub categories: Vec<String>,
    /// Per cell: covered for every category of the tier.
    pub covered: Vec<bool>,
    /// Totals.
    pub stats: CategoryStats,
}

/// Compute coverage for every category.
///
/// `sites_of(k)` gives the sites of category `k`. Work inside the engine is
/// parallel; the sums here run in cell order, so they are the same at any thread
/// count (f64 accumulation).
pub fn compute(
    cells: &[Cell],
    categories: &[Category],
    sites: &[Site],
    engine: &dyn Reach,
    search_factor: f64,
) -> Coverage {
    // Categories run side by side (each search is sequential at heart: the
    // multi-source Dijkstra of one category would otherwise leave the other cores
    // idle); results are collected in category order.
    let reaches: Vec<CategoryReach> = categories
        .par_iter()
        .map(|cat| {
            let own: Vec<[f64; 2]> = sites
                .iter()
                .filter(|s| s.category == cat.name)
                .map(|s| s.xy)
                .collect();
            engine.category_reach(
                &own,
                &cat.profile,
                cat.threshold_m,
                cat.threshold_m * search_factor,
            )
        })
        .collect();
    assemble(cells, categories, reaches, engine.cell_off_network())
}

/// Coverage from engine results computed elsewhere (e.g. merged from tiles): one
/// [`CategoryReach`] per category, in category order, indexed like `cells`.
#[must_use]
pub fn assemble(
    cells: &[Cell],
    categories: &[Category],
    reaches: Vec<CategoryReach>,
    off_network: Vec<bool>,
) -> Coverage {
    let mut out = Vec::with_capacity(categories.len());
    for (cat, reach) in categories.iter().zip(reaches) {
        let covered: Vec<bool> = reach
            .dist_m
            .iter()
            .map(|d| d.is_some_and(|d| d <= cat.threshold_m))
            .collect();
        let mut stats = totals(cells, &covered);
        stats.sites = reach.site_used.len();
        stats.sites_used = reach.site_used.iter().filter(|u| **u).count();
        stats.cells_unreached = reach.dist_m.iter().filter(|d| d.is_none()).count();
        out.push(CategoryCoverage {
            category: cat.clone(),
            reach,
            covered,
            stats,
        });
    }
    let covered_all: Vec<bool> = (0..cells.len())
        .map(|i| !out.is_empty() && out.iter().all(|c| c.covered[i]))
        .collect();
    let all = totals(cells, &covered_all);
    let mut tiers: Vec<TierCoverage> = Vec::new();
    for c in &out {
        let Some(t) = &c.category.tier else { continue };
        match tiers.iter_mut().find(|x| x.tier == *t) {
            Some(x) => {
                x.categories.push(c.category.name.clone());
                for (a, b) in x.covered.iter_mut().zip(&c.covered) {
                    *a &= *b;
                }
            }
            None => tiers.push(TierCoverage {
                tier: t.clone(),
                categories: vec![c.category.name.clone()],
                covered: c.covered.clone(),
                stats: CategoryStats::default(),
            }),
        }
    }
    for t in &mut tiers {
        t.stats = totals(cells, &t.covered);
    }
    Coverage {
        categories: out,
        covered_all,
        off_network,
        all,
        tiers,
    }
}

fn totals(cells: &[Cell], covered: &[bool]) -> CategoryStats {
    let has_elderly = cells.iter().any(|c| c.elderly.is_some());
    let mut s = CategoryStats {
        cells: cells.len(),
        ..CategoryStats::default()
    };
    let (mut e, mut ec) = (0.0, 0.0);
    for (c, &cov) in cells.iter().zip(covered) {
        s.population += c.population;
        e += c.elderly.unwrap_or(0.0);
        if cov {
            s.cells_covered += 1;
            s.population_covered += c.population;
            ec += c.elderly.unwrap_or(0.0);
        }
    }
    if has_elderly {
        s.elderly = Some(e);
        s.elderly_covered = Some(ec);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::distance::Euclidean;

    fn cell(x: f64, pop: f64) -> Cell {
        Cell {
            id: format!("c{x}"),
            lon: 0.0,
            lat: 0.0,
            xy: [x, 0.0],
            population: pop,
            elderly: Some(pop / 4.0),
            polygon: None,
        }
    }

    #[test]
    fn shares_and_covered_all() {
        let cells: Vec<Cell> = (0..10).map(|i| cell(f64::from(i) * 100.0, 10.0)).collect();
        let cats = crate::base::category::Category::uniform(["a", "b"], 250.0);
        let site = |c: &str, x: f64| Site {
            id: format!("{c}{x}"),
            name: String::new(),
            category: c.into(),
            lon: 0.0,
            lat: 0.0,
            xy: [x, 0.0],
            capacity: None,
        };
        let sites = vec![site("a", 0.0), site("b", 300.0)];
        let xy: Vec<[f64; 2]> = cells.iter().map(|c| c.xy).collect();
        let cov = compute(&cells, &cats, &sites, &Euclidean::new(&xy, 1.0), 2.0);
        // a: cells at 0,100,200 (≤ 250); b: 100..500.
        assert_eq!(cov.categories[0].stats.cells_covered, 3);
        assert_eq!(cov.categories[1].stats.cells_covered, 5);
        assert_eq!(cov.all.cells_covered, 2); // 100 and 200
        assert_eq!(cov.categories[0].stats.population_covered, 30.0);
        assert_eq!(cov.categories[0].stats.elderly_covered, Some(7.5));
        assert!((cov.categories[1].stats.population_share() - 0.5).abs() < 1e-12);
        // a: bound 500 → cells beyond 500 m unreached.
        assert_eq!(cov.categories[0].stats.cells_unreached, 4);
    }
}
