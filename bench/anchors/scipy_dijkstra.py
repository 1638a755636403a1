#!/usr/bin/env python3
"""Exact multi-source Dijkstra anchor (numpy/scipy) for `learncircle coverage`.

Same inputs and the same definitions as learncircle's network mode (docs/METHODS.md
§2.2, §5.2, §6; the reading and snapping rules are in common.py): walkable graph from
the PBF, door-to-door snapping of cells and sites to the nearest point of the nearest
eligible segment, one multi-source search per category with
`scipy.sparse.csgraph.dijkstra(..., min_only=True, limit=search_factor × threshold)`
on the reversed graph, seeded through a virtual source joined to both ends of every
site's segment at their door-to-door cost; a cell's distance is the minimum over its
segment's two ends of (access leg + offset + node distance), or the direct
along-segment distance when a site is on the same segment. Covered = distance ≤
threshold; covered share = covered population ÷ total population (off-network cells
count as not covered).

Usage: scipy_dijkstra.py --sites sites.csv --population grid.csv --network city.osm.pbf
           [--threshold-m 1000] [--search-factor 2] --out cells.csv
Writes cells.csv (cell_id, <category>_dist_m ..., off_network; distances to 0.1 m,
empty beyond the bound or off-network) and prints the covered shares; stage times on
stderr.
"""

import argparse
import sys
from collections import defaultdict

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from common import Clock, edge_arrays, projector, read_network, read_points, snap, write_cells


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sites", required=True)
    ap.add_argument("--population", required=True)
    ap.add_argument("--network", required=True)
    ap.add_argument("--threshold-m", type=float, default=1000.0)
    ap.add_argument("--search-factor", type=float, default=2.0)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    clock = Clock()

    sites, grid = read_points(a.sites, a.population)
    project = projector(grid)
    cells_xy = project(grid.lon.values, grid.lat.values)
    sites_xy = project(sites.lon.values, sites.lat.values)
    clock.lap("read inputs, project")
    net = read_network(a.network, project)
    n = len(net.osm_ids)
    frm, to, w = edge_arrays(net, reverse=True)
    clock.lap("read network")
    cseg, ct, cacc = snap(net, cells_xy)  # segment, position from u (0..1), access leg
    sseg, st, sacc = snap(net, sites_xy)
    clock.lap("snap cells and sites")

    L = net.length.astype(np.float64)
    bound = a.search_factor * a.threshold_m
    on = cseg >= 0
    cs = np.where(on, cseg, 0)
    exit_u = cacc + ct * L[cs]          # cell → u along its segment
    exit_v = cacc + (1 - ct) * L[cs]    # cell → v
    cats = sorted(sites.category.unique())
    pop = grid.population.values.astype(np.float64)
    total = pop.sum()
    dist = {}
    for c in cats:
        k = np.flatnonzero((sites.category.values == c) & (sseg >= 0))
        s = sseg[k]
        seed_u = sacc[k] + st[k] * L[s]        # u → site
        seed_v = sacc[k] + (1 - st[k]) * L[s]  # v → site
        # virtual source n: edges n → u / n → v (reversed graph: from the site outwards);
        # one edge per node, the cheapest (a CSR built from COO would sum duplicates)
        sn = np.concatenate([net.u[s], net.v[s]])
        sw = np.concatenate([seed_u, seed_v])
        o = np.lexsort((sw, sn))
        sn, sw = sn[o], sw[o]
        keep = np.r_[True, sn[1:] != sn[:-1]]
        f2 = np.concatenate([frm, np.full(keep.sum(), n)])
        t2 = np.concatenate([to, sn[keep]])
        w2 = np.maximum(np.concatenate([w, sw[keep]]), 1e-9)  # csgraph: explicit 0 = no edge
        g = csr_matrix((w2, (f2, t2)), shape=(n + 1, n + 1))
        nd = dijkstra(g, directed=True, indices=n, limit=bound)
        d = np.minimum(exit_u + nd[net.u[cs]], exit_v + nd[net.v[cs]])
        # a site on the cell's own segment: straight along the segment
        on_seg = defaultdict(list)
        for j, sg in zip(k, s):
            on_seg[sg].append(j)
        for i in np.flatnonzero(on & np.isin(cseg, s)):
            for j in on_seg[cseg[i]]:
                d[i] = min(d[i], cacc[i] + abs(ct[i] - st[j]) * L[cseg[i]] + sacc[j])
        d[~on] = np.inf
        d[d > bound] = np.inf
        dist[c] = np.where(np.isfinite(d), d, np.nan)
        covered = pop[np.isfinite(d) & (d <= a.threshold_m)].sum()
        print(f"{c:>20}: {len(k)} sites, covered {covered:,.0f} of {total:,.0f} ({covered / total:.4%})")
    clock.lap("distances and coverage")
    write_cells(a.out, grid, cats, dist, ~on)
    clock.lap("write cells")
    clock.total()


if __name__ == "__main__":
    sys.exit(main())
