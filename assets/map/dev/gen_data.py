#!/usr/bin/env python3
"""Generate valid map data (docs/MAP-DATA.md) for developing and testing map.html
without the Rust generator.

    gen_data.py toy OUT.json      a hand-checkable 3x3 street grid, 2 sites, 9 cells
    gen_data.py toy-whatif OUT.json   the same with a planned library at (0, 100)
    gen_data.py demo OUT.json     random but valid, at the Shanghai demo's size (4900 nodes, 729 cells)
    gen_data.py large OUT.json    random but valid, at the 1M-node city's size
                                  (1 M nodes, ~1.1 M segments, 213 k cells, 4263 sites)

The toy case (local metres, origin at lon 121.5, lat 31.3):
  nodes (x, y) on a 100 m grid: n0 (0,0) n1 (100,0) n2 (200,0) / n3 (0,100) n4 … / n6 (0,200) …
  a library at (150, 210) snaps to segment n7–n8 (y = 200) at x = 150: access 10,
  along_a 50 (from n7), along_b 50.
  a school at (0, 30) snaps to segment n0–n3 (x = 0) at y = 30: access 0, along 30 / 70.
  cell c4 at (100, 110) snaps to n4–n7 (x = 100) at y = 110: access 0 (on the street)…
  Every cell's expected library distance is printed by `toy --explain`.

Needs numpy and scipy (/work/venv).
"""
import base64
import gzip
import json
import math
import sys

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

LON0, LAT0 = 121.5, 31.3
R_EARTH = 6378137.0
NONE = 4294967295
BANDS = [5, 10, 15]
COLOURS = ["#1a6f3c", "#4da85c", "#b5dc8a", "#f4a582", "#cfcfcf", "#f2d8f0"]


def to_lonlat(x, y):
    lat = LAT0 + np.degrees(np.asarray(y) / R_EARTH)
    lon = LON0 + np.degrees(np.asarray(x) / (R_EARTH * math.cos(math.radians(LAT0))))
    return lon, lat


def e7(v):
    return np.round(np.asarray(v) * 1e7).astype(np.int32)


def pack(arr, dtype, delta=False):
    a = np.asarray(arr).astype(dtype)
    if delta:
        a = np.diff(a, prepend=a.dtype.type(0)).astype(dtype)  # wraps like the type
    raw = a.astype(a.dtype.newbyteorder("<")).tobytes()
    z = len(raw) > 4096
    if z:
        raw = gzip.compress(raw, compresslevel=6, mtime=0)
    t = {"uint8": "u8", "int8": "i8", "uint16": "u16", "int16": "i16", "uint32": "u32",
         "int32": "i32", "float32": "f32", "float64": "f64"}[np.dtype(dtype).name]
    return {"t": t, "n": int(a.size), "z": int(z), "d": int(delta), "b64": base64.b64encode(raw).decode("ascii")}


def closest_on_segment(ax, ay, bx, by, px, py):
    """Vectorised snap.rs closest_on_segment: (offset from a, qx, qy)."""
    dx, dy = bx - ax, by - ay
    len2 = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(len2 > 0, ((px - ax) * dx + (py - ay) * dy) / len2, 0.0)
    t = np.clip(t, 0.0, 1.0)
    return t * np.sqrt(len2), ax + t * dx, ay + t * dy


class City:
    def __init__(self, nx_, ny_, seg_a, seg_b, seg_flags, cells_xy, cell_size, pop, eld, sites, cats):
        self.nx, self.ny = nx_, ny_  # node x, y (f64 local metres)
        self.seg_a, self.seg_b = seg_a.astype(np.uint32), seg_b.astype(np.uint32)
        self.seg_flags = seg_flags.astype(np.uint8)
        self.seglen64 = np.hypot(nx_[seg_b] - nx_[seg_a], ny_[seg_b] - ny_[seg_a])
        self.seg_len32 = self.seglen64.astype(np.float32)
        self.cells_xy, self.cell_size, self.pop, self.eld = cells_xy, cell_size, pop, eld
        self.sites, self.cats = sites, cats
        self.V, self.S = len(nx_), len(seg_a)

    # ------------------------------------------------------------ snapping
    def snap(self, pts, k=8):
        """Nearest of the k segments with the nearest midpoints (exact for our data)."""
        from scipy.spatial import cKDTree

        mx = (self.nx[self.seg_a] + self.nx[self.seg_b]) / 2
        my = (self.ny[self.seg_a] + self.ny[self.seg_b]) / 2
        tree = cKDTree(np.column_stack([mx, my]))
        k = min(k, self.S)
        _, idx = tree.query(pts, k=k)
        idx = idx.reshape(len(pts), k)
        a, b = self.seg_a[idx], self.seg_b[idx]
        off, qx, qy = closest_on_segment(self.nx[a], self.ny[a], self.nx[b], self.ny[b], pts[:, :1], pts[:, 1:2])
        d2 = (qx - pts[:, :1]) ** 2 + (qy - pts[:, 1:2]) ** 2
        # ties: lowest segment index (a stand-in for the engine's lowest OSM id pair)
        order = np.lexsort((idx, d2), axis=1)[:, 0]
        r = np.arange(len(pts))
        seg = idx[r, order]
        offset = off[r, order]
        access = np.sqrt(d2[r, order])
        along_b = np.maximum(self.seglen64[seg] - offset, 0.0)
        return seg.astype(np.int64), access, offset, along_b, qx[r, order], qy[r, order]

    # ------------------------------------------------------------ costs
    def along(self, c, seg, x):
        k = self.cats[c]
        steps = (self.seg_flags[seg] & 4) != 0
        if k["step_free"]:
            return np.where(steps, np.inf, x)
        return np.where(steps, x * k["step_factor"], x)

    def arc(self, c):
        k = self.cats[c]
        steps = (self.seg_flags & 4) != 0
        base = self.seg_len32.astype(np.float64)
        if k["step_free"]:
            return np.where(steps, np.inf, base)
        stepped = (self.seg_len32.astype(np.float64) * k["step_factor"]).astype(np.float32).astype(np.float64)
        return np.where(steps, stepped, base)

    # ------------------------------------------------------------ run
    def run(self):
        sites_xy = np.array([[s["x"], s["y"]] for s in self.sites])
        s_seg, s_acc, s_la, s_lb, s_qx, s_qy = self.snap(sites_xy)
        c_seg, c_acc, c_la, c_lb, c_qx, c_qy = self.snap(self.cells_xy)
        self.s_snap = (s_seg, s_acc, s_la, s_lb, s_qx, s_qy)
        self.c_snap = (c_seg, c_acc, c_la, c_lb, c_qx, c_qy)
        V, S = self.V, self.S
        a, b = self.seg_a.astype(np.int64), self.seg_b.astype(np.int64)
        flags = self.seg_flags
        a2b, b2a = (flags & 1) != 0, (flags & 2) != 0
        # incidence lists in segment order (MAP-DATA §3.5)
        ends = np.concatenate([a, b])
        segs_of = np.concatenate([np.arange(S), np.arange(S)])
        order = np.lexsort((segs_of, ends))
        inc_node, inc_seg = ends[order], segs_of[order]
        inc_first = np.searchsorted(inc_node, np.arange(V + 1))
        self.trees, self.dist_dm, self.walk_cmin, self.covered = [], [], [], np.zeros(len(self.cells_xy), np.uint32)
        cat_of_site = np.array([s["category"] for s in self.sites])
        self.within = np.zeros(len(self.sites))
        for c, k in enumerate(self.cats):
            cost = self.arc(c)
            ok = np.isfinite(cost)
            # reversed graph: node v reaches u (toward the site) when forward v->u is walkable.
            # Search from a super source on the reversed graph: arc u -> v (reversed) costs
            # forward v->u. Forward a->b exists if a2b: reversed arc b -> a.
            rows = np.concatenate([b[a2b & ok], a[b2a & ok]])
            cols = np.concatenate([a[a2b & ok], b[b2a & ok]])
            w = np.concatenate([cost[a2b & ok], cost[b2a & ok]])
            # seeds: site entry costs (walking.rs entries)
            mine = np.nonzero((cat_of_site == c) & (s_seg >= 0))[0]
            seed_node, seed_cost, seed_site = [], [], []
            for i in mine:
                sg = s_seg[i]
                if a2b[sg]:
                    seed_node.append(a[sg]); seed_cost.append(s_acc[i] + float(self.along(c, sg, s_la[i]))); seed_site.append(i)
                if b2a[sg]:
                    seed_node.append(b[sg]); seed_cost.append(s_acc[i] + float(self.along(c, sg, s_lb[i]))); seed_site.append(i)
            seed_node, seed_cost, seed_site = np.array(seed_node, np.int64), np.array(seed_cost), np.array(seed_site, np.int64)
            o = np.lexsort((seed_site, seed_cost, seed_node))
            seed_node, seed_cost, seed_site = seed_node[o], seed_cost[o], seed_site[o]
            first = np.ones(len(seed_node), bool)
            first[1:] = seed_node[1:] != seed_node[:-1]
            seed_node, seed_cost, seed_site = seed_node[first], seed_cost[first], seed_site[first]
            src = V
            rows = np.concatenate([rows, np.full(len(seed_node), src)])
            cols = np.concatenate([cols, seed_node])
            w = np.concatenate([w, seed_cost])
            # scipy drops explicit zeros: nudge a zero weight to the smallest subnormal
            w = np.where(w == 0, 5e-324, w)
            g = csr_matrix((w, (rows, cols)), shape=(V + 1, V + 1))
            dist, pred = dijkstra(g, directed=True, indices=src, return_predecessors=True, limit=k["bound_m"])
            dist, pred = dist[:V], pred[:V]
            # encode pred (MAP-DATA §3.6)
            p8 = np.full(V, 255, np.uint8)
            reached = np.isfinite(dist)
            root = reached & (pred == src)
            p8[root] = 254
            inner = np.nonzero(reached & ~root)[0]
            u = pred[inner]
            lo, hi = np.minimum(inner, u), np.maximum(inner, u)
            key_seg = np.minimum(a, b) * (V + 1) + np.maximum(a, b)
            so = np.argsort(key_seg, kind="stable")
            pos = np.searchsorted(key_seg[so], lo * (V + 1) + hi)
            seg_vu = so[pos]
            # position of seg_vu in v's incidence list (sorted by node, then segment)
            inc_key = inc_node * (S + 1) + inc_seg
            j = np.searchsorted(inc_key, inner * (S + 1) + seg_vu) - inc_first[inner]
            if len(j) and j.max() >= 253:
                raise SystemExit("degree >= 253 not supported by this generator")
            p8[inner] = j
            rn = np.nonzero(root)[0]
            rs = seed_site[np.searchsorted(seed_node, rn)]
            self.trees.append({"pred": pack(p8, np.uint8), "wide": [],
                               "root_node": pack(rn, np.uint32), "root_site": pack(rs, np.uint32)})
            # recompute node distances from the tree exactly as the browser does (check)
            # cell distances (MAP-DATA §4)
            nd = np.where(np.isfinite(dist), dist, np.inf)
            best = np.full(len(c_seg), np.inf)
            ca, cb = a[c_seg], b[c_seg]
            ea = np.where(b2a[c_seg], c_acc + self.along(c, c_seg, c_la) + nd[ca], np.inf)
            eb = np.where(a2b[c_seg], c_acc + self.along(c, c_seg, c_lb) + nd[cb], np.inf)
            best = np.minimum(ea, eb)
            co = np.argsort(c_seg, kind="stable")
            cs_sorted = c_seg[co]
            for i in mine:  # same segment
                lo_, hi_ = np.searchsorted(cs_sorted, [s_seg[i], s_seg[i] + 1])
                for ci in co[lo_:hi_]:
                    okd = a2b[c_seg[ci]] if s_la[i] >= c_la[ci] else b2a[c_seg[ci]]
                    if okd:
                        L = c_acc[ci] + float(self.along(c, c_seg[ci], abs(s_la[i] - c_la[ci]))) + s_acc[i]
                        if L < best[ci]:
                            best[ci] = L
            best = np.where(best <= k["bound_m"], best, np.inf)
            self.check_dist = getattr(self, "check_dist", []) + [best]
            dm = np.full(len(best), NONE, np.uint32)
            cm = np.full(len(best), NONE, np.uint32)
            fin = np.isfinite(best)
            dm[fin] = [int(format(x, ".1f").replace(".", "")) for x in best[fin]]
            cm[fin] = [int(format(x / k["speed_m_per_min"], ".2f").replace(".", "")) for x in best[fin]]
            self.dist_dm.append(pack(dm, np.uint32))
            self.walk_cmin.append(pack(cm, np.uint32))
            self.covered |= np.where(best <= k["threshold_m"], np.uint32(1 << c), np.uint32(0))
            # residents within threshold per site (approximation: nearest-site catchment)
        return self

    def data(self, title, units=(), gaps=(), whatif=None, recs=()):
        lon, lat = to_lonlat(self.nx, self.ny)
        clon, clat = to_lonlat(self.cells_xy[:, 0], self.cells_xy[:, 1])
        c_seg, c_acc, c_la, c_lb, c_qx, c_qy = self.c_snap
        s_seg, s_acc, s_la, s_lb, s_qx, s_qy = self.s_snap
        qlon, qlat = to_lonlat(c_qx, c_qy)
        slon, slat = to_lonlat(np.array([s["x"] for s in self.sites]), np.array([s["y"] for s in self.sites]))
        sqlon, sqlat = to_lonlat(s_qx, s_qy)
        sites = []
        for i, s in enumerate(self.sites):
            sites.append({"id": s["id"], "name": s["name"], "category": s["category"],
                          "lon": round(float(slon[i]), 7), "lat": round(float(slat[i]), 7),
                          "capacity": s.get("capacity"), "used": True, "planned": s.get("planned", False),
                          "residents_within": s.get("within"), "elderly_within": s.get("elderly_within"),
                          "snap": {"seg": int(s_seg[i]), "access_m": float(s_acc[i]), "along_a_m": float(s_la[i]),
                                   "along_b_m": float(s_lb[i]), "lon": float(sqlon[i]), "lat": float(sqlat[i])}})
        return {
            "format": "learncircle-map", "version": 1,
            "meta": {"title": title, "lang": "zh", "mode": "network",
                     "distance_method": "walking distance along the pedestrian network (door-to-door edge snapping)",
                     "elderly_label": "60+", "has_elderly": True, "bands_min": BANDS, "band_colors": COLOURS,
                     "tiers": [{"name": "5min", "minutes": 5, "label_zh": "5分钟生活圈", "label_en": "5-minute circle"},
                               {"name": "15min", "minutes": 15, "label_zh": "15分钟生活圈", "label_en": "15-minute circle"}],
                     "bbox": [float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())],
                     "projection": {"kind": "tmerc", "lon_0": LON0, "lat_0": LAT0}},
            "categories": self.cats,
            "cells": {"n": int(len(self.cells_xy)), "size_m": self.cell_size,
                      "ids": [f"c{i}" for i in range(len(self.cells_xy))],
                      "lon_e7": pack(e7(clon), np.int32, True), "lat_e7": pack(e7(clat), np.int32, True),
                      "population": pack(self.pop, np.float32), "elderly": pack(self.eld, np.float32),
                      "dist_dm": self.dist_dm, "walk_cmin": self.walk_cmin,
                      "covered": pack(self.covered, np.uint32),
                      "off_network": pack(np.zeros(len(self.cells_xy)), np.uint8),
                      "snap_seg": pack(c_seg, np.int32), "snap_access_m": pack(c_acc, np.float64),
                      "snap_along_a_m": pack(c_la, np.float64), "snap_along_b_m": pack(c_lb, np.float64),
                      "snap_lon_e7": pack(e7(qlon), np.int32), "snap_lat_e7": pack(e7(qlat), np.int32)},
            "network": {"nodes": int(self.V), "segs": int(self.S),
                        "node_lon_e7": pack(e7(lon), np.int32, True), "node_lat_e7": pack(e7(lat), np.int32, True),
                        "seg_a": pack(self.seg_a, np.uint32, True), "seg_b": pack(self.seg_b, np.uint32),
                        "seg_len_m": pack(self.seg_len32, np.float32), "seg_flags": pack(self.seg_flags, np.uint8)},
            "trees": self.trees,
            "sites": sites,
            "units": list(units), "gaps": list(gaps), "whatif": whatif, "recommendations": list(recs),
        }


def category(name, zh, en, threshold, speed=60.0, layer="total", tier="15min"):
    return {"name": name, "label_zh": zh, "label_en": en, "tier": tier, "threshold_m": threshold,
            "speed_m_per_min": speed, "bound_m": 2 * threshold, "step_free": False, "step_factor": 1.0,
            "layer": layer, "elderly": layer == "elderly"}


def square(x0, y0, x1, y1):
    lo0, la0 = to_lonlat(x0, y0)
    lo1, la1 = to_lonlat(x1, y1)
    lo0, la0, lo1, la1 = (round(float(v), 6) for v in (lo0, la0, lo1, la1))
    return [[[[lo0, la0], [lo1, la0], [lo1, la1], [lo0, la1], [lo0, la0]]]]


def toy(whatif_run=False):
    xs = np.array([0, 100, 200] * 3, float)
    ys = np.repeat([0.0, 100.0, 200.0], 3)
    # segments: horizontals then verticals (a = lower index)
    pairs = [(0, 1), (1, 2), (3, 4), (4, 5), (6, 7), (7, 8), (0, 3), (3, 6), (1, 4), (4, 7), (2, 5), (5, 8)]
    a = np.array([p[0] for p in pairs]); b = np.array([p[1] for p in pairs])
    flags = np.full(len(pairs), 3)
    flags[[8, 9]] |= 8  # the middle vertical street n1-n4-n7 is a footway
    cells = np.array([[x, y] for y in (30.0, 110.0, 170.0) for x in (40.0, 100.0, 170.0)])
    cats = [category("library", "图书馆", "Library", 300.0, tier="5min"),
            category("school", "社区学校", "Community school", 1000.0)]
    sites = [{"id": "s0", "name": "五角场图书馆", "category": 0, "x": 150.0, "y": 210.0, "capacity": 200},
             {"id": "s1", "name": "Riverside community school 江湾社区学校", "category": 1, "x": 0.0, "y": 30.0, "capacity": None}]
    pop = np.array([100, 200, 150, 80, 90, 60, 120, 40, 70], float)
    city = City(xs, ys, a, b, flags, cells, 50.0, pop, np.round(pop * 0.25), sites, cats).run()
    sites[0]["within"] = 0
    sites[1]["within"] = 0
    for c in range(2):
        d = city.check_dist[c]
        for s in sites:
            if s["category"] == c:
                s["within"] = int(pop[d <= cats[c]["threshold_m"]].sum())
                s["elderly_within"] = int(np.round(pop * 0.25)[d <= cats[c]["threshold_m"]].sum())
    units = [{"id": "U0", "name": "西街道", "population": 520, "elderly": 130, "outline": square(-20, -20, 100, 220),
              "share": [0.4, 0.9], "covered_all_share": 0.4,
              "targets": [{"label_zh": "图书馆覆盖 ≥ 80%", "label_en": "library ≥ 80%", "category": 0, "target": 0.8, "value": 0.4, "pass": False}]},
             {"id": "U1", "name": "东街道", "population": 390, "elderly": 97, "outline": square(100, -20, 220, 220),
              "share": [0.85, 0.7], "covered_all_share": 0.6,
              "targets": [{"label_zh": "图书馆覆盖 ≥ 80%", "label_en": "library ≥ 80%", "category": 0, "target": 0.8, "value": 0.85, "pass": True}]}]
    gaps = [{"id": "library-1", "category": 0, "rank": 1, "cells": 2, "population": 300, "elderly": 75,
             "worst_walk_min": 5.5, "unreached": 0, "outline": square(10, 0, 130, 60)}]
    recs = [{"rank": 1, "category": 0, "candidate_id": "cell:c0", "name": None, "lon": float(to_lonlat(40, 30)[0]),
             "lat": float(to_lonlat(40, 30)[1]), "gain_population": 300, "gain_elderly": 75, "cumulative_share": 0.8}]
    whatif = None
    if whatif_run:
        before = City(xs, ys, a, b, flags, cells, 50.0, pop, np.round(pop * 0.25), sites, cats).run()
        planned = {"id": "p0", "name": "规划图书馆 (planned)", "category": 0, "x": 0.0, "y": 100.0,
                   "capacity": 100, "planned": True}
        city = City(xs, ys, a, b, flags, cells, 50.0, pop, np.round(pop * 0.25), sites + [planned], cats).run()
        whatif = {"planned": [len(sites)], "before": {"dist_dm": before.dist_dm, "walk_cmin": before.walk_cmin,
                                                     "covered": pack(before.covered, np.uint32)}}
    data = city.data("Toy: 3×3 street grid / 玩具路网", units, gaps, whatif, recs)
    return data, city


def large(seed=42, side=1000, n_cells_side=462, n_sites=4263):
    rng = np.random.default_rng(seed)
    step = 62.0  # side x side nodes, 62 m apart (1000: a 62 km square)
    gx, gy = np.meshgrid(np.arange(side), np.arange(side))
    nx_ = (gx.ravel() * step + rng.uniform(-15, 15, side * side)).astype(float)
    ny_ = (gy.ravel() * step + rng.uniform(-15, 15, side * side)).astype(float)
    idx = np.arange(side * side).reshape(side, side)
    ha, hb = idx[:, :-1].ravel(), idx[:, 1:].ravel()
    va, vb = idx[:-1, :].ravel(), idx[1:, :].ravel()
    a = np.concatenate([ha, va]); b = np.concatenate([hb, vb])
    keep = rng.random(len(a)) < 0.56  # ~1.12 M segments
    a, b = a[keep], b[keep]
    flags = np.full(len(a), 3, np.uint8)
    flags[rng.random(len(a)) < 0.35] |= 8
    cs = side * step / n_cells_side
    cx, cy = np.meshgrid((np.arange(n_cells_side) + 0.5) * cs, (np.arange(n_cells_side) + 0.5) * cs)
    cells = np.column_stack([cx.ravel(), cy.ravel()])
    pop = np.round(rng.gamma(2.0, 120.0, len(cells)))
    cats = [category("learning_point", "居村委学习点", "Neighbourhood learning point", 300.0, tier="5min"),
            category("culture_station", "文化活动站", "Culture station", 300.0, tier="5min"),
            category("community_school", "街镇社区学校", "Community school", 1000.0),
            category("culture_centre", "文化活动中心", "Culture centre", 1000.0),
            category("library", "图书馆", "Library", 1000.0),
            category("elderly_learning", "老年教育学习点", "Elderly learning point", 480.0, 48.0, "elderly", "10min")]
    sc = rng.integers(0, len(cats), n_sites)
    sx, sy = rng.uniform(0, side * step, n_sites), rng.uniform(0, side * step, n_sites)
    sites = [{"id": f"w{1000000000 + i}", "name": f"第{i}号{cats[c]['label_zh']}", "category": int(c),
              "x": float(x), "y": float(y), "capacity": int(rng.integers(50, 500))} for i, (c, x, y) in enumerate(zip(sc, sx, sy))]
    city = City(nx_, ny_, a, b, flags, cells, cs, pop, np.round(pop * 0.22), sites, cats).run()
    units = []
    k = 0
    for i in range(4):
        for j in range(4):
            w = side * step / 4
            units.append({"id": f"U{k}", "name": f"第{k}街道", "population": 0, "elderly": 0,
                          "outline": square(i * w, j * w, (i + 1) * w, (j + 1) * w),
                          "share": [float(rng.random()) for _ in cats], "covered_all_share": 0.1, "targets": []})
            k += 1
    title = f"Synthetic city, {side * side:,} nodes / 合成城市"
    return city.data(title, units, [], None, []), city


def main():
    mode, out = sys.argv[1], sys.argv[2]
    if mode.startswith("toy"):
        data, city = toy(mode == "toy-whatif")
    elif mode == "demo":  # the Shanghai demo's size: ~5 k nodes, ~700 cells, 28 sites
        data, city = large(side=70, n_cells_side=27, n_sites=28)
    else:
        data, city = large()
    with open(out, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, separators=(",", ":"))
    if mode == "toy" and "--explain" in sys.argv:
        for c, k in enumerate(city.cats):
            print(k["name"], [None if not math.isfinite(x) else round(x, 3) for x in city.check_dist[c]])


if __name__ == "__main__":
    main()
