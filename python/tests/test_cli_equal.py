"""`coverage(...).write(dir)` gives the CLI's files, byte for byte."""

from __future__ import annotations

import learncircle as lc
from conftest import HEL, SH, run_cli, same_files


def test_shanghai_write_equals_cli(tmp_path):
    args = dict(sites=SH / "sites.csv", population=SH / "population.csv",
                network=SH / "fudan_wujiaochang_2023.osm", config=SH / "learncircle.toml")
    run_cli("coverage", "--sites", args["sites"], "--population", args["population"],
            "--network", args["network"], "--config", args["config"], "--access", "2sfca",
            "--service-areas", "--format", "csv,geojson,gpkg", "--out", tmp_path / "cli", "--quiet")
    r = lc.coverage(**args, access="2sfca", service_areas=True, formats=("csv", "geojson", "gpkg"))
    r.write(tmp_path / "py")
    assert same_files(tmp_path / "cli", tmp_path / "py") == []
    # the frames are the files
    assert list(r.cells.columns[: 4]) == ["cell_id", "lon", "lat", "population"]
    assert len(r.cells) == sum(1 for _ in open(tmp_path / "cli" / "cells.csv", encoding="utf-8")) - 1
    assert r.summary["categories"][0]["name"] == "library" or r.summary["categories"]


def test_helsinki_write_equals_cli_with_reused_network(tmp_path):
    pbf = HEL / "Helsinki.osm.pbf"
    run_cli("coverage", "--sites", HEL / "sites.csv", "--population", HEL / "population.geojson",
            "--network", pbf, "--config", HEL / "learncircle.toml", "--out", tmp_path / "cli", "--quiet")
    net = lc.read_network(pbf)
    assert net.nodes > 0 and net.path == str(pbf)
    for k in range(2):  # the same Network object, twice
        r = lc.coverage(HEL / "sites.csv", HEL / "population.geojson", net, config=HEL / "learncircle.toml")
        r.write(tmp_path / f"py{k}")
        assert same_files(tmp_path / "cli", tmp_path / f"py{k}") == []


def test_recommend_equals_cli(tmp_path):
    common = ["--sites", SH / "sites.csv", "--population", SH / "population.csv",
              "--network", SH / "fudan_wujiaochang_2023.osm", "--config", SH / "learncircle.toml"]
    run_cli("recommend", *common, "--category", "library", "-k", "3", "--out", tmp_path / "cli", "--quiet")
    r = lc.recommend(SH / "sites.csv", SH / "population.csv", "library", 3,
                     SH / "fudan_wujiaochang_2023.osm", config=SH / "learncircle.toml")
    r.write(tmp_path / "py")
    assert same_files(tmp_path / "cli", tmp_path / "py") == []
    assert len(r.sites) == 3


def test_sites_from_osm_equals_cli(tmp_path):
    osm = SH / "fudan_wujiaochang_2023.osm"
    run_cli("sites", "--osm", osm, "--config", SH / "learncircle.toml", "--out", tmp_path / "cli.csv", "--quiet")
    df = lc.sites_from_osm(osm, config=SH / "learncircle.toml", out=tmp_path / "py.csv")
    assert (tmp_path / "cli.csv").read_bytes() == (tmp_path / "py.csv").read_bytes()
    assert len(df) > 0 and {"lon", "lat", "category"} <= set(df.columns)
