#!/usr/bin/env python3
"""Agreement of an anchor's cells CSV with learncircle's cells.csv, per category.

Usage: compare.py LEARNCIRCLE_CELLS_CSV ANCHOR_CELLS_CSV [--worst N]
Both have cell_id and <category>_dist_m columns (empty = no distance within the
bound, or off-network). Prints per category: cells where both have a distance and
the share within 0.1 m / 1 m / 50 m, cells with a distance on one side only, the
largest difference; with --worst N, the N largest differences with their cell ids.
"""
import argparse

import numpy as np
import pandas as pd

ap = argparse.ArgumentParser()
ap.add_argument("lc")
ap.add_argument("anchor")
ap.add_argument("--worst", type=int, default=0)
a = ap.parse_args()
lc = pd.read_csv(a.lc).set_index("cell_id")
an = pd.read_csv(a.anchor).set_index("cell_id").reindex(lc.index)
cats = [c[: -len("_dist_m")] for c in an.columns if c.endswith("_dist_m")]
print(f"{'category':>18} {'both':>8} {'≤0.1 m':>8} {'≤1 m':>8} {'≤50 m':>8} {'only lc':>8} {'only anchor':>11} {'max |Δ| m':>10}")
tot = np.zeros(6)
for c in cats:
    x, y = lc[f"{c}_dist_m"].values, an[f"{c}_dist_m"].values
    both = ~np.isnan(x) & ~np.isnan(y)
    d = np.abs(x - y)[both]
    row = [both.sum(), (d <= 0.1 + 1e-9).sum(), (d <= 1).sum(), (d <= 50).sum(),
           (~np.isnan(x) & np.isnan(y)).sum(), (np.isnan(x) & ~np.isnan(y)).sum()]
    tot += row
    n = max(row[0], 1)
    print(f"{c:>18} {row[0]:>8} {row[1] / n:>8.2%} {row[2] / n:>8.2%} {row[3] / n:>8.2%} {row[4]:>8} {row[5]:>11} {d.max() if len(d) else 0:>10.1f}")
    if a.worst:
        diff = pd.Series(np.abs(x - y), index=lc.index)[both].sort_values(ascending=False).head(a.worst)
        for cid, v in diff.items():
            print(f"{'':>18}   cell {cid}: learncircle {lc.at[cid, f'{c}_dist_m']}, anchor {an.at[cid, f'{c}_dist_m']} (Δ {v:.1f})")
n = max(tot[0], 1)
print(f"{'all':>18} {int(tot[0]):>8} {tot[1] / n:>8.2%} {tot[2] / n:>8.2%} {tot[3] / n:>8.2%} {int(tot[4]):>8} {int(tot[5]):>11}")
