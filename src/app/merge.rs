//! `learncircle merge`: the tile directories of one plan (see `app/tile.rs`)
//! combined into the files a one-machine run writes, byte for byte.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::coverage::{access_demand, sites_with_plan};
use super::tile::{Plan, TileMeta, check_study};
use super::{Computed, CoverageOptions, RunOutcome, Study, finish_run, load_study_with};
use crate::analysis::access::AccessResult;
use crate::analysis::coverage::{Coverage, assemble};
use crate::analysis::distance::CategoryReach;
use crate::base::model::{Rejected, Site};
use crate::base::timing::Timer;
use crate::export::{Formats, OutputSet};

/// `learncircle merge`: combine tile directories into one run's outputs, in
/// `formats` (default: the `--format` the tile runs were given, which must agree).
///
/// # Errors
/// Tiles of different plans, missing or duplicate tiles, tiles asking for
/// different formats (without `formats`), input mismatch, output errors.
pub fn merge(dirs: &[PathBuf], out: &Path, formats: Option<Formats>) -> Result<RunOutcome> {
    if dirs.is_empty() {
        bail!("merge needs the tile directories");
    }
    let outputs = OutputSet::prepare(out)?;
    let mut timer = Timer::new();
    let metas = read_metas(dirs)?;
    let plan = metas[0].1.plan.clone();
    check_tile_set(&metas, &plan)?;
    let formats = match formats {
        Some(f) => f,
        None => common_formats(&metas)?,
    };
    let mut opts = plan.options.clone();
    opts.out = out.to_path_buf();
    opts.formats = formats;
    let study = load_study_with(&opts, &mut timer, false)?;
    check_study(&study, &plan, "merge")?;
    let mut rejected = study.rejected.clone();
    let (sites, n_existing, planned_file) = sites_with_plan(&opts, &study, &mut rejected)?;
    let mut results = TileResults::empty(&study, &sites, &opts);
    for (d, _) in &metas {
        results.read_tile(d)?;
    }
    results.check_complete(&study, &sites)?;
    timer.stage("read tiles");
    let sites = SitesWithPlan {
        sites,
        n_existing,
        planned_file,
        rejected,
    };
    let computed = results.into_computed(&study, sites, &opts, plan.network);
    timer.stage("distances and coverage");
    finish_run(&opts, &study, computed, outputs, timer)
}

/// Every tile directory's tile.json.
///
/// # Errors
/// A directory without a readable learncircle tile.json.
fn read_metas(dirs: &[PathBuf]) -> Result<Vec<(PathBuf, TileMeta)>> {
    let mut metas: Vec<(PathBuf, TileMeta)> = Vec::with_capacity(dirs.len());
    for d in dirs {
        let p = d.join("tile.json");
        let text = std::fs::read_to_string(&p).with_context(|| {
            format!(
                "{}: not a tile directory (no readable tile.json)",
                d.display()
            )
        })?;
        let meta: TileMeta = serde_json::from_str(&text)
            .with_context(|| format!("{}: not a learncircle tile", p.display()))?;
        metas.push((d.clone(), meta));
    }
    Ok(metas)
}

/// Every tile of one plan, each exactly once.
///
/// # Errors
/// A tile of another plan, a tile given twice, a tile outside or missing from the plan.
fn check_tile_set(metas: &[(PathBuf, TileMeta)], plan: &Plan) -> Result<()> {
    let mut seen = vec![None::<&Path>; plan.tiles.len()];
    for (d, m) in metas {
        if m.plan != *plan {
            bail!(
                "{}: tile of a different plan than {}",
                d.display(),
                metas[0].0.display()
            );
        }
        match seen.get(m.tile) {
            None => bail!("{}: tile {} is not in the plan", d.display(), m.tile),
            Some(Some(other)) => bail!(
                "tile {} given twice: {} and {}",
                m.tile,
                other.display(),
                d.display()
            ),
            Some(None) => seen[m.tile] = Some(d.as_path()),
        }
    }
    let missing: Vec<usize> = seen
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_none())
        .map(|(i, _)| i)
        .collect();
    if !missing.is_empty() {
        bail!(
            "missing tiles {missing:?} of {} (plan of {} tiles)",
            metas.len(),
            plan.tiles.len()
        );
    }
    Ok(())
}

/// The `--format` all tiles were run with.
///
/// # Errors
/// Tiles run with different formats (then `merge --format` must choose).
fn common_formats(metas: &[(PathBuf, TileMeta)]) -> Result<Formats> {
    let (d0, m0) = &metas[0];
    if let Some((d, m)) = metas.iter().find(|(_, m)| m.formats != m0.formats) {
        bail!(
            "{} was run with --format {} but {} with --format {}: give merge --format",
            d0.display(),
            m0.formats,
            d.display(),
            m.formats
        );
    }
    Ok(m0.formats)
}

/// The existing and planned sites of the run, as `merge` re-read them.
struct SitesWithPlan {
    sites: Vec<Site>,
    n_existing: usize,
    planned_file: Option<String>,
    /// The study's rejections and the planned sites'.
    rejected: Vec<Rejected>,
}

/// Per-cell engine results of every category, filled from the tiles.
struct Reaches {
    dist: Vec<Vec<Option<f64>>>,
    within: Vec<Vec<u32>>,
    filled: Vec<bool>,
}

impl Reaches {
    fn empty(n: usize, ncat: usize) -> Self {
        Self {
            dist: vec![vec![None; n]; ncat],
            within: vec![vec![0; n]; ncat],
            filled: vec![false; n],
        }
    }

    /// One tile's `[cell, off_network, [dist_m…], [sites_within…]]` lines; the
    /// off-network flags go to `off`.
    fn read(&mut self, p: &Path, off: &mut [bool]) -> Result<()> {
        let (n, ncat) = (self.filled.len(), self.dist.len());
        for_lines(p, |ln, line| {
            let (i, o, ds, ws): (usize, bool, Vec<Option<f64>>, Vec<u32>) =
                serde_json::from_str(line)
                    .with_context(|| format!("{}: line {ln}: malformed", p.display()))?;
            if i >= n || self.filled[i] || ds.len() != ncat || ws.len() != ncat {
                bail!(
                    "{}: line {ln}: cell {i} out of range, repeated, or with the wrong number of categories",
                    p.display()
                );
            }
            self.filled[i] = true;
            off[i] = o;
            for k in 0..ncat {
                self.dist[k][i] = ds[k];
                self.within[k][i] = ws[k];
            }
            Ok(())
        })
    }

    /// The reaches in category order; `site_used` of each category's sites
    /// (from `sites`) is "not rejected as off-network".
    fn into_reaches(
        mut self,
        study: &Study,
        sites: &[Site],
        site_err: &[Option<Option<String>>],
    ) -> Vec<CategoryReach> {
        study
            .categories
            .iter()
            .enumerate()
            .map(|(k, cat)| CategoryReach {
                dist_m: std::mem::take(&mut self.dist[k]),
                sites_within: std::mem::take(&mut self.within[k]),
                site_used: sites
                    .iter()
                    .zip(site_err)
                    .filter(|(s, _)| s.category == cat.name)
                    .map(|(_, e)| !matches!(e, Some(Some(_))))
                    .collect(),
            })
            .collect()
    }
}

/// 2SFCA results filled from the tiles: scores per category and cell, ratios
/// per site.
struct Access {
    score: Vec<Vec<f64>>,
    filled: Vec<bool>,
    ratio: Vec<Option<Option<f64>>>,
}

/// The tiles' per-cell distances and per-site snapping checks (and, when the
/// run asks, the what-if baseline and the 2SFCA parts), filled as the tile files
/// are read.
struct TileResults {
    reaches: Reaches,
    before: Option<Reaches>,
    access: Option<Access>,
    off: Vec<bool>,
    site_err: Vec<Option<Option<String>>>,
}

/// Calls `f(line number, line)` for every line of `p`.
fn for_lines(p: &Path, mut f: impl FnMut(usize, &str) -> Result<()>) -> Result<()> {
    let file = std::fs::File::open(p).with_context(|| format!("{}: cannot read", p.display()))?;
    for (ln, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("{}: line {}", p.display(), ln + 1))?;
        f(ln + 1, &line)?;
    }
    Ok(())
}

impl TileResults {
    fn empty(study: &Study, sites: &[Site], opts: &CoverageOptions) -> Self {
        let (n, ncat) = (study.cells.len(), study.categories.len());
        Self {
            reaches: Reaches::empty(n, ncat),
            before: opts.planned.as_ref().map(|_| Reaches::empty(n, ncat)),
            access: opts.access.map(|_| Access {
                score: vec![vec![0.0; n]; ncat],
                filled: vec![false; n],
                ratio: vec![None; sites.len()],
            }),
            off: vec![false; n],
            site_err: vec![None; sites.len()],
        }
    }

    /// Every file of one tile directory.
    fn read_tile(&mut self, d: &Path) -> Result<()> {
        self.reaches
            .read(&d.join("tile_cells.jsonl"), &mut self.off)?;
        if let Some(before) = &mut self.before {
            let mut off = self.off.clone();
            before.read(&d.join("tile_cells_before.jsonl"), &mut off)?;
        }
        self.read_sites(&d.join("tile_sites.jsonl"))?;
        if let Some(a) = &mut self.access {
            a.read_scores(&d.join("tile_access.jsonl"))?;
            a.read_ratios(&d.join("tile_access_sites.jsonl"))?;
        }
        Ok(())
    }

    /// One tile's tile_sites.jsonl: `[site, snapping error or null]`.
    fn read_sites(&mut self, p: &Path) -> Result<()> {
        for_lines(p, |ln, line| {
            let (k, err): (usize, Option<String>) = serde_json::from_str(line)
                .with_context(|| format!("{}: line {ln}: malformed", p.display()))?;
            if k >= self.site_err.len() || self.site_err[k].is_some() {
                bail!(
                    "{}: line {ln}: site {k} out of range or repeated",
                    p.display()
                );
            }
            self.site_err[k] = Some(err);
            Ok(())
        })
    }

    fn check_complete(&self, study: &Study, sites: &[Site]) -> Result<()> {
        let all_cells = |filled: &[bool], what: &str| -> Result<()> {
            if let Some(i) = filled.iter().position(|f| !f) {
                bail!("cell {} ({}) is in no tile's {what}", i, study.cells[i].id);
            }
            Ok(())
        };
        all_cells(&self.reaches.filled, "result")?;
        if let Some(b) = &self.before {
            all_cells(&b.filled, "what-if baseline")?;
        }
        if let Some(a) = &self.access {
            all_cells(&a.filled, "2SFCA scores")?;
            if let Some(k) = a.ratio.iter().position(Option::is_none) {
                bail!("site {} has a 2SFCA ratio from no tile", sites[k].id);
            }
        }
        if let Some(k) = self.site_err.iter().position(Option::is_none) {
            bail!("site {} was checked by no tile", sites[k].id);
        }
        Ok(())
    }

    /// Exactly what `compute_run` produces on one machine.
    fn into_computed(
        self,
        study: &Study,
        s: SitesWithPlan,
        opts: &CoverageOptions,
        network: Option<crate::network::GraphSummary>,
    ) -> Computed {
        let mut rejected = s.rejected;
        let mut warnings = study.warnings.clone();
        for (k, (site, err)) in s.sites.iter().zip(&self.site_err).enumerate() {
            if let Some(Some(why)) = err {
                let file = if k < s.n_existing {
                    study.sites_file.clone()
                } else {
                    s.planned_file.clone().unwrap_or_default()
                };
                rejected.push(Rejected::new(
                    file,
                    format!("site {}", site.id),
                    format!("off-network: {why}"),
                ));
            }
        }
        let off_count = self.off.iter().filter(|o| **o).count();
        if network.is_some() && off_count > 0 {
            warnings.push(format!(
                "{off_count} of {} cells are off-network (no walkable way within {} m, or only on small islands): counted as not covered",
                self.off.len(),
                study.run.max_snap_m
            ));
        }
        let existing = &s.sites[..s.n_existing];
        let before: Option<Coverage> = self.before.map(|b| {
            let reaches = b.into_reaches(study, existing, &self.site_err[..s.n_existing]);
            assemble(&study.cells, &study.categories, reaches, self.off.clone())
        });
        let access = match (self.access, opts.access) {
            (Some(a), Some(_)) => a.into_results(study, &s.sites),
            _ => Vec::new(),
        };
        let reaches = self.reaches.into_reaches(study, &s.sites, &self.site_err);
        let cov = assemble(&study.cells, &study.categories, reaches, self.off);
        Computed {
            sites: s.sites,
            n_existing: s.n_existing,
            planned_file: s.planned_file,
            rejected,
            warnings,
            cov,
            before,
            access,
            network: network.map(|mut n| {
                n.off_network_cells = Some(off_count);
                n
            }),
            service_areas: None,
        }
    }
}

impl Access {
    /// One tile's tile_access.jsonl: `[cell, [score…]]`.
    fn read_scores(&mut self, p: &Path) -> Result<()> {
        let (n, ncat) = (self.filled.len(), self.score.len());
        for_lines(p, |ln, line| {
            let (i, a): (usize, Vec<f64>) = serde_json::from_str(line)
                .with_context(|| format!("{}: line {ln}: malformed", p.display()))?;
            if i >= n || self.filled[i] || a.len() != ncat {
                bail!(
                    "{}: line {ln}: cell {i} out of range, repeated, or with the wrong number of categories",
                    p.display()
                );
            }
            self.filled[i] = true;
            for (k, v) in a.into_iter().enumerate() {
                self.score[k][i] = v;
            }
            Ok(())
        })
    }

    /// One tile's tile_access_sites.jsonl: `[site, ratio or null]`.
    fn read_ratios(&mut self, p: &Path) -> Result<()> {
        for_lines(p, |ln, line| {
            let (k, r): (usize, Option<f64>) = serde_json::from_str(line)
                .with_context(|| format!("{}: line {ln}: malformed", p.display()))?;
            if k >= self.ratio.len() || self.ratio[k].is_some() {
                bail!(
                    "{}: line {ln}: site {k} out of range or repeated",
                    p.display()
                );
            }
            self.ratio[k] = Some(r);
            Ok(())
        })
    }

    /// One [`AccessResult`] per category, totals filled as one machine does.
    fn into_results(mut self, study: &Study, sites: &[Site]) -> Vec<AccessResult> {
        study
            .categories
            .iter()
            .enumerate()
            .map(|(k, cat)| {
                let own: Vec<usize> = (0..sites.len())
                    .filter(|&j| sites[j].category == cat.name)
                    .collect();
                let supply: Vec<f64> = own
                    .iter()
                    .map(|&j| sites[j].capacity.unwrap_or(1.0))
                    .collect();
                let demand: Vec<f64> = study.cells.iter().map(|c| access_demand(cat, c)).collect();
                let mut r = AccessResult {
                    score: std::mem::take(&mut self.score[k]),
                    ratio: own.iter().map(|&j| self.ratio[j].flatten()).collect(),
                    ..AccessResult::default()
                };
                r.fill_totals(&demand, &supply);
                r
            })
            .collect()
    }
}
