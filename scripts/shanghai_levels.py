#!/usr/bin/env python3
"""Unit levels for the bundled Shanghai sample from its OSM administrative boundaries.

    python scripts/shanghai_levels.py            # writes data/shanghai/levels/*.geojson

The sample (data/shanghai/fudan_wujiaochang_2023.osm, an OSM API `map` export) holds
the boundary relations of two districts (admin_level 6: 杨浦区 r398350, 虹口区
r398351) and six streets (admin_level 8: 曲阳路街道 r13466001, 四平路街道 r13466002,
五角场街道 r13466003, 江湾镇街道 r13466137, 长海路街道 r13466408, 新江湾城街道
r13466494), but only the member ways that cross its bounds, so the relations cannot
be assembled into whole polygons (osmium export skips them). This script builds
each unit *clipped to the sample's bounds*: the present boundary ways of a level and
the bounds' rectangle are polygonised into faces, and a face belongs to the
relation whose boundary ways make up every edge of it that is not on the rectangle
(a face touching a relation's boundary from outside is told apart by the other
relations of the level sharing that edge; a face bounded only by a boundary two
districts share goes to the district whose `subarea` streets cover it). No residential-committee (居委) level is
mapped in OSM here, so there is none: say so wherever the levels are used.

Needs pyosmium and shapely (`pip install osmium shapely`).
"""
import json
import pathlib
import sys

import osmium
from shapely.geometry import LineString, Polygon, box, mapping, shape
from shapely.ops import polygonize, unary_union

ROOT = pathlib.Path(__file__).resolve().parent.parent
OSM = ROOT / "data/shanghai/fudan_wujiaochang_2023.osm"
OUT = ROOT / "data/shanghai/levels"
LEVELS = {
    "district": [398350, 398351],
    "street": [13466001, 13466002, 13466003, 13466137, 13466408, 13466494],
}
TOL = 1e-7  # degrees (≈ 1 cm)


class Reader(osmium.SimpleHandler):
    def __init__(self, wanted):
        super().__init__()
        self.wanted = wanted
        self.rels = {}
        self.ways = {}
        self.bounds = None

    def relation(self, r):
        if r.id in self.wanted:
            self.rels[r.id] = {
                "tags": {t.k: t.v for t in r.tags},
                "ways": [m.ref for m in r.members if m.type == "w"],
                "subareas": [m.ref for m in r.members if m.type == "r" and m.role == "subarea"],
            }

    def way(self, w):
        try:
            self.ways[w.id] = [(n.lon, n.lat) for n in w.nodes]
        except osmium.InvalidLocationError:
            pass


def main():
    wanted = {r for ids in LEVELS.values() for r in ids}
    rd = Reader(wanted)
    rd.apply_file(str(OSM), locations=True)
    hdr = osmium.io.Reader(str(OSM)).header().box()
    bounds = box(hdr.bottom_left.lon, hdr.bottom_left.lat, hdr.top_right.lon, hdr.top_right.lat)
    OUT.mkdir(parents=True, exist_ok=True)
    built = {}  # relation id -> clipped polygon, streets first (districts use them)
    for level in ["street", "district"]:
        ids = LEVELS[level]
        lines = {}
        for rid in ids:
            ls = [LineString(rd.ways[w]) for w in rd.rels[rid]["ways"] if w in rd.ways and len(rd.ways[w]) > 1]
            lines[rid] = unary_union(ls)
        net = unary_union(list(lines.values()) + [bounds.exterior])
        faces = [f.intersection(bounds) for f in polygonize(net) if f.intersection(bounds).area > 0]
        faces = [f for f in faces if f.representative_point().within(bounds)]
        owned = {rid: [] for rid in ids}
        unowned = 0
        for f in faces:
            inner = f.exterior.difference(bounds.exterior.buffer(TOL))
            owners = [rid for rid in ids if inner.length > 0 and inner.within(lines[rid].buffer(TOL))]
            if len(owners) > 1:
                # Shared boundary: the owner whose subareas cover most of the face.
                cover = {rid: sum(built[s].intersection(f).area for s in rd.rels[rid]["subareas"] if s in built)
                         for rid in owners}
                best = max(owners, key=lambda r: cover[r])
                owners = [best] if cover[best] > 0.5 * f.area else owners
            if len(owners) == 1:
                owned[owners[0]].append(f)
            else:
                unowned += 1
        feats = []
        for rid in ids:
            if not owned[rid]:
                print(f"{level}: r{rid} {rd.rels[rid]['tags'].get('name')}: no face", file=sys.stderr)
                continue
            geom = unary_union(owned[rid])
            built[rid] = geom
            tags = rd.rels[rid]["tags"]
            feats.append({
                "type": "Feature",
                "properties": {
                    "code": f"r{rid}",
                    "name": tags.get("name", ""),
                    "name_en": tags.get("name:en", ""),
                    "admin_level": tags.get("admin_level", ""),
                    "osm_relation": rid,
                    "clipped_to_sample": True,
                },
                "geometry": mapping(geom),
            })
        # Rounded to 1e-7° (≈ 1 cm) so that the file is small and stable.
        text = json.dumps({"type": "FeatureCollection", "name": f"shanghai_{level}", "features": feats},
                          ensure_ascii=False)
        text = round_coords(text)
        (OUT / f"{level}.geojson").write_text(text + "\n", encoding="utf-8")
        area = sum(shape(f["geometry"]).area for f in feats) / bounds.area
        print(f"{level}: {len(feats)} units, {area:.1%} of the sample's bounds, {unowned} faces unassigned")


def round_coords(text):
    import re
    return re.sub(r"-?\d+\.\d{8,}", lambda m: f"{float(m.group(0)):.7f}", text)


if __name__ == "__main__":
    main()
