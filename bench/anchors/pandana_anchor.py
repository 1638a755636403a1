#!/usr/bin/env python3
"""pandana anchor for `learncircle coverage`: the usual pyrosm + pandana pipeline.

pyrosm reads the PBF's walking network (`get_network("walking", nodes=True)`, its own
walking filter; edge `length` in metres) and builds a pandana Network
(`to_graph(..., graph_type="pandana")`); the sites of each category are POIs
(`set_pois`, snapped by pandana to their nearest network node), and every cell takes
the distance of its nearest node (`get_node_ids`) to the nearest POI
(`nearest_pois(distance=search_factor × threshold, num_pois=1)`). This is how pandana
is used in practice and it is *not* learncircle's definition: points snap to the
nearest node (no door-to-door access legs, no component or max-snap rule, nearest
node found in lon/lat degrees), and pyrosm's walking filter and haversine lengths
differ in details from METHODS.md §5.2. `--reader pyosmium` builds the same pandana
network from common.py's reader instead (learncircle's filter and projection).

Usage: pandana_anchor.py --sites sites.csv --population grid.csv --network city.osm.pbf
           [--threshold-m 1000] [--search-factor 2] [--reader pyrosm|pyosmium] --out cells.csv
Writes cells.csv like scipy_dijkstra.py (off_network = 0 for every cell: pandana has
no such notion) and prints the covered shares; stage times on stderr.
"""

import argparse
import sys

import numpy as np
import pandana
import pandas as pd

from common import Clock, projector, read_network, read_points, write_cells


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sites", required=True)
    ap.add_argument("--population", required=True)
    ap.add_argument("--network", required=True)
    ap.add_argument("--threshold-m", type=float, default=1000.0)
    ap.add_argument("--search-factor", type=float, default=2.0)
    ap.add_argument("--reader", choices=["pyrosm", "pyosmium"], default="pyrosm")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    clock = Clock()
    sites, grid = read_points(a.sites, a.population)
    bound = a.search_factor * a.threshold_m
    clock.lap("read inputs")
    if a.reader == "pyrosm":
        import pyrosm

        osm = pyrosm.OSM(a.network)
        nodes, edges = osm.get_network(network_type="walking", nodes=True)
        clock.lap("pyrosm: read network")
        net = osm.to_graph(nodes, edges, graph_type="pandana")
        cx, cy = grid.lon.values, grid.lat.values
        sx, sy = sites.lon.values, sites.lat.values
    else:
        project = projector(grid)
        g = read_network(a.network, project)
        clock.lap("pyosmium: read network")
        # twoway=True: every segment both ways (no oneway:foot in the synthetic cities)
        net = pandana.Network(pd.Series(g.xy[:, 0]), pd.Series(g.xy[:, 1]), pd.Series(g.u),
                              pd.Series(g.v), pd.DataFrame({"length": g.length.astype(np.float64)}),
                              twoway=True)
        cxy, sxy = project(grid.lon.values, grid.lat.values), project(sites.lon.values, sites.lat.values)
        cx, cy, sx, sy = cxy[:, 0], cxy[:, 1], sxy[:, 0], sxy[:, 1]
    net.precompute(bound)
    clock.lap("pandana: network, precompute")
    cell_node = net.get_node_ids(cx, cy).values
    cats = sorted(sites.category.unique())
    pop = grid.population.values.astype(np.float64)
    total = pop.sum()
    dist = {}
    for c in cats:
        m = sites.category.values == c
        net.set_pois(category=c, maxdist=bound, maxitems=1, x_col=sx[m], y_col=sy[m])
        # nearest_pois fills "no POI within distance" with the distance itself
        d = net.nearest_pois(distance=bound, category=c, num_pois=1).iloc[:, 0]
        d = d.reindex(cell_node).values.astype(np.float64)
        d[d >= bound] = np.nan
        dist[c] = d
        covered = pop[d <= a.threshold_m].sum()
        print(f"{c:>20}: {m.sum()} sites, covered {covered:,.0f} of {total:,.0f} ({covered / total:.4%})")
    clock.lap("pandana: nearest_pois")
    write_cells(a.out, grid, cats, dist, np.zeros(len(grid), dtype=bool))
    clock.lap("write cells")
    clock.total()


if __name__ == "__main__":
    sys.exit(main())
