"""Bad input raises LearncircleError with the CLI's message; rejected rows are a frame."""

from __future__ import annotations

import pandas as pd
import pytest

import learncircle as lc
from conftest import SH, run_cli


def test_missing_file_message_equals_cli(tmp_path):
    missing = tmp_path / "nope.csv"
    with pytest.raises(lc.LearncircleError) as e:
        lc.coverage(missing, SH / "population.csv")
    p = run_cli_err("coverage", "--sites", missing, "--population", SH / "population.csv", "--out", tmp_path / "o")
    assert str(e.value) in p
    assert str(missing) in str(e.value)


def run_cli_err(*args) -> str:
    import subprocess
    from conftest import cli_binary
    p = subprocess.run([str(cli_binary()), *map(str, args)], capture_output=True, text=True)
    assert p.returncode == 2
    return p.stderr


def test_bad_threshold_and_options():
    with pytest.raises(lc.LearncircleError, match="outside"):
        lc.coverage(SH / "sites.csv", SH / "population.csv", threshold_m=-5)
    with pytest.raises(lc.LearncircleError, match="mode"):
        lc.coverage(SH / "sites.csv", SH / "population.csv", mode="teleport")
    with pytest.raises(lc.LearncircleError, match="sites_crs"):
        lc.coverage(SH / "sites.csv", SH / "population.csv", sites_crs="epsg:1")
    with pytest.raises(lc.LearncircleError, match="network"):
        lc.coverage(SH / "sites.csv", SH / "population.csv", mode="network")
    with pytest.raises(lc.LearncircleError):
        lc.read_network(SH / "sites.csv")
    assert issubclass(lc.LearncircleError, Exception)


def test_rejected_rows_are_a_frame():
    sites = pd.read_csv(SH / "sites.csv", dtype=str)
    sites.loc[0, "lat"] = "not a number"
    r = lc.coverage(sites, SH / "population.csv", walk_min=15)
    assert isinstance(r.rejected, pd.DataFrame)
    assert len(r.rejected) == 1 and r.n_rejected == 1
    assert list(r.rejected.columns) == ["file", "location", "reason", "population"]
    with pytest.raises(lc.LearncircleError, match="--strict"):
        lc.coverage(sites, SH / "population.csv", strict=True)
