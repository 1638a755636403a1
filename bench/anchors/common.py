"""Shared input reading for the benchmark anchors (bench/anchors/*.py).

Reads the inputs learncircle reads, with the rules of docs/METHODS.md, so that an
anchor computes the same quantity with another tool:

* sites.csv (id,name,category,lon,lat) and grid.csv (cell_id,lon,lat,population);
* the OSM PBF with pyosmium: ways passing learncircle's walking filter (METHODS §5.2,
  `src/network/pedestrian.rs`: highway classes, foot/access/sidewalk rules,
  oneway:foot, tunnel/indoor/elevated/steps flags), every node of a walkable way a
  graph node, every way segment an edge;
* the local projection of METHODS §2.2 (transverse Mercator on WGS84, k=1, origin at
  the centre of the population's bounding box rounded to 1e-4°) with pyproj;
  edge length = projected straight distance, stored as float32 like learncircle;
* components (METHODS §5.2): points attach only to segments of components with at
  least 1000 m of walkable length;
* door-to-door snapping (METHODS §5.2): a point attaches to the nearest point of the
  nearest eligible segment (ties: lowest pair of OSM node ids), preferring a
  street-level step-free segment within d0 + 50 m; beyond 300 m it is off-network.
  Exact: segments are cut into pieces of at most PIECE_M for a cKDTree of piece
  midpoints, every piece that can hold a nearer point is examined.

Not reproduced: rejection rules for malformed rows (the synthetic inputs have none).
"""

import sys
import time

import numpy as np
import osmium
import pandas as pd
from pyproj import Transformer
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

HIGHWAY = [
    "footway", "path", "pedestrian", "steps", "living_street", "residential", "service",
    "unclassified", "track", "road", "corridor", "bridleway", "platform", "tertiary",
    "tertiary_link", "secondary", "secondary_link", "primary", "primary_link", "trail",
    "cycleway", "motorway", "motorway_link", "busway", "trunk", "trunk_link",
]
FIRST_CONDITIONAL, FIRST_SIDEWALK_OK = 20, 24
CLASS = {h: i for i, h in enumerate(HIGHWAY)}
MAX_SNAP_M, SURFACE_MARGIN_M, MIN_COMPONENT_M = 300.0, 50.0, 1000.0
PIECE_M = 20.0


class Clock:
    """Stage timer printed to stderr (the anchors' --timings)."""

    def __init__(self):
        self.t0 = self.t = time.perf_counter()

    def lap(self, stage):
        now = time.perf_counter()
        print(f"{stage:>28} {1000 * (now - self.t):9.1f} ms", file=sys.stderr)
        self.t = now

    def total(self):
        print(f"{'total':>28} {1000 * (time.perf_counter() - self.t0):9.1f} ms", file=sys.stderr)


def level_sign(level):
    if level is None:
        return None
    vals = []
    for part in level.split(";"):
        try:
            vals.append(float(part.strip()))
        except ValueError:
            return None
    if vals and all(v > 0 for v in vals):
        return True
    if vals and all(v < 0 for v in vals):
        return False
    return None


def walkable(tags):
    """(direction, preferred) for a walkable way, None otherwise. direction: 0 both,
    1 forward only, -1 backward only (oneway:foot)."""
    hw = tags.get("highway")
    cls = CLASS.get(hw)
    if cls is None:
        return None
    foot = tags.get("foot")
    if foot in ("no", "private", "use_sidepath"):
        return None
    foot_ok = foot in ("yes", "designated", "permissive", "official")
    if cls >= FIRST_CONDITIONAL:
        sidewalk = cls >= FIRST_SIDEWALK_OK and tags.get("sidewalk") in ("both", "left", "right", "yes")
        if not (foot_ok or sidewalk):
            return None
    grants = foot_ok or foot in ("destination", "customers", "permit")
    if tags.get("access") in ("no", "private", "agricultural", "forestry", "military", "delivery") and not grants:
        return None
    ow = tags.get("oneway:foot")
    direction = 1 if ow in ("yes", "1", "true") else -1 if ow in ("-1", "reverse") else 0
    lvl = level_sign(tags.get("level"))
    tunnel = (tags.get("tunnel") not in (None, "no", "building_passage")
              or tags.get("location") == "underground" or lvl is False)
    indoor = hw == "corridor" or tags.get("indoor") not in (None, "no")
    elevated = tags.get("bridge") not in (None, "no", "boardwalk") or lvl is True
    preferred = not (tunnel or indoor or elevated or hw == "steps")
    return direction, preferred


def read_points(sites_csv, grid_csv):
    sites = pd.read_csv(sites_csv, dtype={"id": str, "name": str, "category": str})
    grid = pd.read_csv(grid_csv)
    return sites, grid


def projector(grid):
    """METHODS §2.2: tmerc k=1 on WGS84, origin = centre of the population bbox, 1e-4°."""
    lon0 = round((grid.lon.min() + grid.lon.max()) / 2 * 1e4) / 1e4
    lat0 = round((grid.lat.min() + grid.lat.max()) / 2 * 1e4) / 1e4
    tr = Transformer.from_crs(
        "EPSG:4326", f"+proj=tmerc +lat_0={lat0} +lon_0={lon0} +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m",
        always_xy=True)
    return lambda lon, lat: np.column_stack(tr.transform(np.asarray(lon), np.asarray(lat)))


class Network:
    """Walkable graph: nodes (dense 0..n-1, OSM ids, projected xy) and unique undirected
    segments (u < v by dense id, float32 length, direction, preferred, eligible)."""


def read_network(pbf, project):
    refs, lons, lats, way_start, way_dir, way_pref = [], [], [], [], [], []
    fp = (osmium.FileProcessor(pbf, osmium.osm.NODE | osmium.osm.WAY)
          .with_locations()
          .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
          .with_filter(osmium.filter.KeyFilter("highway")))
    for w in fp:
        wk = walkable(w.tags)
        if wk is None:
            continue
        way_start.append(len(refs))
        way_dir.append(wk[0])
        way_pref.append(wk[1])
        for nd in w.nodes:
            loc = nd.location
            if not loc.valid():
                # a missing node: keep the present parts, not a segment across the gap
                if len(refs) > way_start[-1]:
                    way_start.append(len(refs))
                    way_dir.append(wk[0])
                    way_pref.append(wk[1])
                continue
            refs.append(nd.ref)
            lons.append(loc.lon)
            lats.append(loc.lat)
    refs = np.asarray(refs, dtype=np.int64)
    starts = np.asarray(way_start + [len(refs)], dtype=np.int64)
    counts = np.diff(starts)
    way_of = np.repeat(np.arange(len(counts)), counts)
    osm_ids, first, dense = np.unique(refs, return_index=True, return_inverse=True)
    xy = project(np.asarray(lons)[first], np.asarray(lats)[first])
    # consecutive refs of one way
    same = way_of[1:] == way_of[:-1]
    a, b = dense[:-1][same], dense[1:][same]
    wid = way_of[:-1][same]
    keep = a != b
    a, b, wid = a[keep], b[keep], wid[keep]
    direction = np.asarray(way_dir, dtype=np.int8)[wid]
    pref = np.asarray(way_pref, dtype=bool)[wid]
    # orient u < v; a forward-only way becomes backward-only when flipped
    flip = a > b
    u, v = np.where(flip, b, a), np.where(flip, a, b)
    direction = np.where(flip, -direction, direction)
    length = np.hypot(*(xy[u] - xy[v]).T).astype(np.float32)
    net = Network()
    net.osm_ids, net.xy = osm_ids, xy
    net.u, net.v, net.length, net.direction, net.preferred = u, v, length, direction, pref
    # components by walkable length (undirected)
    n = len(osm_ids)
    g = coo_matrix((np.ones(len(u)), (u, v)), shape=(n, n))
    _, comp = connected_components(g, directed=False)
    comp_len = np.bincount(comp[u], weights=length.astype(np.float64), minlength=comp.max() + 1)
    net.eligible = comp_len[comp[u]] >= MIN_COMPONENT_M
    return net


def edge_arrays(net, reverse=True):
    """Directed edges (from, to, length) of the walkable graph, parallel edges reduced
    to the shortest; reverse=True gives the reversed graph (search from the sites)."""
    fwd = net.direction >= 0  # u → v walkable
    bwd = net.direction <= 0  # v → u walkable
    frm = np.concatenate([net.u[fwd], net.v[bwd]])
    to = np.concatenate([net.v[fwd], net.u[bwd]])
    w = np.concatenate([net.length[fwd], net.length[bwd]]).astype(np.float64)
    if reverse:
        frm, to = to, frm
    order = np.lexsort((w, to, frm))
    frm, to, w = frm[order], to[order], w[order]
    first = np.ones(len(frm), dtype=bool)
    first[1:] = (frm[1:] != frm[:-1]) | (to[1:] != to[:-1])
    return frm[first], to[first], w[first]


def snap(net, pts):
    """Door-to-door snapping of projected points. Returns (seg, t, access) with seg = -1
    for off-network points; t = position along the segment from u (0..1)."""
    elig = np.flatnonzero(net.eligible)
    seg_sel = {}
    for name, sel in (("any", elig), ("pref", elig[net.preferred[elig]])):
        p = net.xy[net.u[sel]]
        q = net.xy[net.v[sel]]
        L = np.hypot(*(q - p).T)
        k = np.maximum(1, np.ceil(L / PIECE_M)).astype(np.int64)
        seg = np.repeat(sel, k)
        j = np.arange(len(seg)) - np.repeat(np.cumsum(k) - k, k)
        f = ((j + 0.5) / np.repeat(k, k))[:, None]
        mid = net.xy[net.u[seg]] * (1 - f) + net.xy[net.v[seg]] * f
        seg_sel[name] = (cKDTree(mid), seg)

    def nearest(name, q):
        tree, seg = seg_sel[name]
        dm, _ = tree.query(q, workers=-1)
        # every piece within dm + PIECE_M/2 of q can hold a point as near as the nearest
        cand = tree.query_ball_point(q, dm + PIECE_M / 2 + 1e-6, workers=-1)
        lens = np.fromiter((len(c) for c in cand), dtype=np.int64, count=len(cand))
        pi = np.repeat(np.arange(len(q)), lens)
        s = seg[np.concatenate(cand).astype(np.int64)]
        a, b = net.xy[net.u[s]], net.xy[net.v[s]]
        ab = b - a
        l2 = (ab ** 2).sum(1)
        t = np.clip(((q[pi] - a) * ab).sum(1) / np.where(l2 > 0, l2, 1), 0, 1)
        d = np.hypot(*(q[pi] - (a + t[:, None] * ab)).T)
        lo = net.osm_ids[net.u[s]]
        hi = net.osm_ids[net.v[s]]
        lo, hi = np.minimum(lo, hi), np.maximum(lo, hi)
        order = np.lexsort((hi, lo, d, pi))  # per point: nearest, then lowest OSM id pair
        firsts = order[np.r_[0, np.flatnonzero(np.diff(pi[order])) + 1]]
        return s[firsts], t[firsts], d[firsts]

    s0, t0, d0 = nearest("any", pts)
    seg, t, d = s0.copy(), t0.copy(), d0.copy()
    need = ~net.preferred[s0] & (d0 <= MAX_SNAP_M)
    if need.any():
        s1, t1, d1 = nearest("pref", pts[need])
        ok = d1 <= np.minimum(d0[need] + SURFACE_MARGIN_M, MAX_SNAP_M)
        idx = np.flatnonzero(need)[ok]
        seg[idx], t[idx], d[idx] = s1[ok], t1[ok], d1[ok]
    seg = np.where(d <= MAX_SNAP_M, seg, -1)
    return seg, t, d


def write_cells(path, grid, cats, dist, off):
    out = pd.DataFrame({"cell_id": grid["cell_id"]})
    for c in cats:
        out[f"{c}_dist_m"] = np.round(dist[c], 1)
    out["off_network"] = off.astype(np.int8)
    out.to_csv(path, index=False, float_format="%.1f")
