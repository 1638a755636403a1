"""`route(...)` gives the CLI's route GeoJSON byte for byte, the distances of
`cells.csv`, and the CLI's messages on bad input."""

from __future__ import annotations

import subprocess

import pandas as pd
import pytest

import learncircle as lc
from conftest import SH, cli_binary, run_cli

OSM = SH / "fudan_wujiaochang_2023.osm"
CONFIG = SH / "learncircle.toml"
STARTS = [(121.492422, 31.289928), (121.5, 31.3), (121.5031, 31.2987)]


def cli_route(tmp_path, name, *args) -> bytes:
    out = tmp_path / f"{name}.geojson"
    run_cli("route", "--network", OSM, *args, "--out", out, "--quiet")
    return out.read_bytes()


def from_args(points):
    return [a for lon, lat in points for a in ("--from", f"{lon},{lat}")]


@pytest.fixture(scope="module")
def net():
    return lc.read_network(OSM)


@pytest.mark.parametrize("reuse", [False, True])
def test_point_to_point_equals_cli(tmp_path, net, reuse):
    network = net if reuse else OSM
    want = cli_route(tmp_path, "cli", *from_args(STARTS), "--to", "121.502,31.301")
    r = lc.route(network, STARTS, (121.502, 31.301))
    assert r.write(tmp_path / "py.geojson").read_bytes() == want
    assert r.geojson.encode("utf-8") == want
    assert len(r) == 3 and len(r.routes) == 3
    assert (r.routes["length_m"] > 0).all()
    with pytest.raises(ValueError, match="3 walks"):
        r.length_m
    # one start: scalars; the profile of a category of the config
    want = cli_route(tmp_path, "one", *from_args(STARTS[:1]), "--to", "121.502,31.301",
                     "--config", CONFIG, "--category", "library")
    one = lc.route(network, STARTS[0], (121.502, 31.301), category="library", config=CONFIG)
    assert one.geojson.encode("utf-8") == want
    assert one.length_m > 0 and one.walk_min > 0
    assert one.routes["category"][0] == "library"
    path = one.path
    assert list(path[["route", "seq", "lon", "lat"]].columns) == ["route", "seq", "lon", "lat"]
    assert len(path) >= 2 and (path["route"] == 0).all()


def test_nearest_site_of_category_equals_cli(tmp_path, net):
    want = cli_route(tmp_path, "cli", *from_args(STARTS), "--category", "library",
                     "--sites", SH / "sites.csv", "--config", CONFIG)
    for network in (OSM, net):
        r = lc.route(network, STARTS, category="library", sites=SH / "sites.csv", config=CONFIG)
        assert r.geojson.encode("utf-8") == want
    # the sites as a DataFrame give the same walks
    df = pd.read_csv(SH / "sites.csv", dtype=str)
    r = lc.route(net, STARTS, category="library", sites=df, config=CONFIG)
    assert r.geojson.encode("utf-8") == want
    assert r.routes["site_id"].notna().all()
    assert r.routes["threshold_m"].iloc[0] == 1000.0
    assert all(line.startswith("route ") and "nearest library" in line for line in r.lines)


def test_distances_equal_cells_csv(tmp_path, net):
    out = tmp_path / "cov"
    run_cli("coverage", "--sites", SH / "sites.csv", "--population", SH / "population.csv",
            "--network", OSM, "--config", CONFIG, "--out", out, "--quiet")
    cells = pd.read_csv(out / "cells.csv", dtype={"cell_id": str})
    for cat in ("library", "school"):
        reached = cells[cells[f"{cat}_dist_m"].notna()]
        pick = reached.iloc[:: max(1, len(reached) // 10)].head(10)  # 10 cells per category, spread
        assert len(pick) == 10
        r = lc.route(net, list(zip(pick["lon"], pick["lat"])), category=cat,
                     sites=SH / "sites.csv", config=CONFIG)
        got = r.routes["length_m"].to_numpy()
        want = pick[f"{cat}_dist_m"].to_numpy()
        assert abs(got - want).max() <= 0.1, list(zip(pick["cell_id"], got, want))


def cli_error(*args) -> str:
    p = subprocess.run([str(cli_binary()), "route", "--network", str(OSM), *map(str, args),
                        "--out", "/nonexistent/x.geojson"], capture_output=True, text=True)
    assert p.returncode == 2, p.stderr
    return p.stderr


@pytest.mark.parametrize("start, to, kwargs, cli_args", [
    ("121.5", (121.502, 31.301), {}, ["--from", "121.5", "--to", "121.502,31.301"]),
    ((31.3, 121.5), (121.502, 31.301), {}, ["--from", "31.3,121.5", "--to", "121.502,31.301"]),
    ((121.7, 31.3), (121.502, 31.301), {}, ["--from", "121.7,31.3", "--to", "121.502,31.301"]),
    ((121.5, 31.3), (121.9, 31.3), {}, ["--from", "121.5,31.3", "--to", "121.9,31.3"]),
    ((121.5, 31.3), None, dict(category="zoo", sites=SH / "sites.csv", config=CONFIG),
     ["--from", "121.5,31.3", "--category", "zoo", "--sites", SH / "sites.csv", "--config", CONFIG]),
])
def test_bad_input_raises_the_cli_message(net, start, to, kwargs, cli_args):
    with pytest.raises(lc.LearncircleError) as e:
        lc.route(net, start, to, **kwargs)
    assert f"learncircle: error: {e.value}\n" in cli_error(*cli_args)


def test_bad_arguments():
    with pytest.raises(lc.LearncircleError, match="to_lonlat, or category with sites"):
        lc.route(OSM, STARTS[0], category="library")
    with pytest.raises(lc.LearncircleError, match="not both"):
        lc.route(OSM, STARTS[0], (121.502, 31.301), sites=SH / "sites.csv", category="library")
    with pytest.raises(lc.LearncircleError, match="sites_crs"):
        lc.route(OSM, STARTS[0], category="library", sites=SH / "sites.csv", sites_crs="utm")
    with pytest.raises(lc.LearncircleError):
        lc.route(SH / "sites.csv", STARTS[0], (121.502, 31.301))
