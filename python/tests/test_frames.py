"""DataFrame inputs give the same results as the files they came from."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import learncircle as lc
from conftest import HEL, SH

OSM = SH / "fudan_wujiaochang_2023.osm"
COLS_SAME = ["cell_id", "population"]


def _dist_cols(df):
    return [c for c in df.columns if c.endswith(("_dist_m", "_covered", "_sites_within"))]


def test_dataframes_equal_files():
    by_file = lc.coverage(SH / "sites.csv", SH / "population.csv", OSM, config=SH / "learncircle.toml")
    sites = pd.read_csv(SH / "sites.csv", dtype=str)
    pop = pd.read_csv(SH / "population.csv", dtype=str)
    by_frame = lc.coverage(sites, pop, OSM, config=SH / "learncircle.toml")
    a, b = pd.DataFrame(by_file.cells), pd.DataFrame(by_frame.cells)
    pd.testing.assert_frame_equal(a.drop(columns="geometry", errors="ignore"),
                                  b.drop(columns="geometry", errors="ignore"))
    pd.testing.assert_frame_equal(pd.DataFrame(by_file.gaps).drop(columns="geometry", errors="ignore"),
                                  pd.DataFrame(by_frame.gaps).drop(columns="geometry", errors="ignore"))
    assert by_file.summary["categories"] == by_frame.summary["categories"]


gpd = pytest.importorskip("geopandas") if lc.HAS_GEOPANDAS else None


@pytest.mark.skipif(not lc.HAS_GEOPANDAS, reason="geopandas not installed")
def test_geodataframe_3857_equals_wgs84_file():
    import geopandas as gpd

    sites = pd.read_csv(HEL / "sites.csv", dtype={"id": str})
    g = gpd.GeoDataFrame(sites.drop(columns=["lon", "lat"]),
                         geometry=gpd.points_from_xy(sites.lon, sites.lat), crs=4326).to_crs(3857)
    pop = gpd.read_file(HEL / "population.geojson").to_crs(3857)
    net = lc.read_network(HEL / "Helsinki.osm.pbf")
    ref = lc.coverage(HEL / "sites.csv", HEL / "population.geojson", net, config=HEL / "learncircle.toml")
    got = lc.coverage(g, pop, net, config=HEL / "learncircle.toml")
    a, b = pd.DataFrame(ref.cells), pd.DataFrame(got.cells)
    assert list(a.cell_id) == list(b.cell_id)
    for c in _dist_cols(a):
        # a round trip through EPSG:3857 moves points by < 1 µm: same distances to 0.1 m
        np.testing.assert_allclose(a[c].to_numpy(float), b[c].to_numpy(float), atol=0.11, err_msg=c)
    assert ref.cells.crs.to_epsg() == 4326


def test_units_geodataframe(tmp_path):
    if not lc.HAS_GEOPANDAS:
        pytest.skip("geopandas not installed")
    import geopandas as gpd
    from shapely.geometry import box

    units = gpd.GeoDataFrame({"code": ["W", "E"], "name": ["west", "east"]},
                             geometry=[box(121.485, 31.288, 121.503, 31.311), box(121.503, 31.288, 121.521, 31.311)],
                             crs=4326)
    r = lc.coverage(SH / "sites.csv", SH / "population.csv", OSM, config=SH / "learncircle.toml",
                    units=units.to_crs(32651))
    assert list(r.units.unit_id) == ["W", "E"]
    assert r.units.population.sum() > 0
