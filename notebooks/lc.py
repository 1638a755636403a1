"""Small helpers shared by the notebooks: find (or build) the learncircle binary, run
it, read its outputs into geopandas, and set up matplotlib with the repo's CJK font.

The notebooks never recompute anything themselves: every number comes from a
learncircle run made here, so they cannot drift from the tool.

Binary: $LEARNCIRCLE_BIN if set, else target/release/learncircle of this repo,
else `cargo build --release` is run once and that binary is used.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import matplotlib as mpl
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib import font_manager
from matplotlib import patheffects


def _find_root() -> Path:
    here = Path.cwd().resolve()
    for d in (here, *here.parents):
        if (d / "Cargo.toml").is_file() and (d / "data" / "shanghai").is_dir():
            return d
    raise RuntimeError(f"run the notebooks from inside the learncircle repository (cwd {here})")


ROOT = _find_root()
DATA = ROOT / "data" / "shanghai"
OUT = ROOT / "notebooks" / "out"
FONT = ROOT / "assets" / "fonts" / "NotoSansCJKsc-Regular-GB2312.otf"
# UTM zone 51N: metric CRS for Shanghai (120–126° E), used only for drawing cell squares.
METRIC_CRS = "EPSG:32651"
ATTRIBUTION = "© OpenStreetMap contributors (ODbL); population: learncircle estimate from OSM buildings"


def binary() -> str:
    """Path of the learncircle binary (see module docstring)."""
    env = os.environ.get("LEARNCIRCLE_BIN")
    if env:
        return env
    exe = ROOT / "target" / "release" / "learncircle"
    if not exe.is_file():
        subprocess.run(["cargo", "build", "--release", "--bin", "learncircle"], cwd=ROOT, check=True)
    return str(exe)


def run(*args, ok=(0,), show: bool = True) -> None:
    """Run `learncircle ARGS…` from the repo root; print the command and its terminal
    output; raise unless its exit code is in `ok` (0 = success, 1 = finished but some
    input rows were rejected, 2 = error)."""
    cmd = [binary(), *(str(Path(a).resolve()) if isinstance(a, Path) else str(a) for a in args)]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if show:
        print("$ learncircle " + " ".join(_rel(a) for a in cmd[1:]))
        # paths relative to the repo, so the committed outputs name no machine's folders
        print(p.stdout.replace(f"{ROOT}/", ""), end="")
        if p.stderr.strip():
            print(p.stderr.replace(f"{ROOT}/", ""), end="")
    if p.returncode not in ok:
        raise RuntimeError(f"learncircle exited {p.returncode}:\n{p.stderr}")


def _rel(a: str) -> str:
    if not os.path.isabs(a):
        return a
    try:
        return str(Path(a).relative_to(ROOT))
    except ValueError:
        return a


def outdir(name: str) -> Path:
    """A fresh notebooks/out/NAME directory (gitignored)."""
    d = OUT / name
    shutil.rmtree(d, ignore_errors=True)
    d.parent.mkdir(parents=True, exist_ok=True)
    return d


def summary(run_dir: Path) -> dict:
    return json.loads((Path(run_dir) / "summary.json").read_text(encoding="utf-8"))


def cells(run_dir: Path, cell_m: float | None = None) -> gpd.GeoDataFrame:
    """cells.geojson as 100 m squares in the metric CRS (the file holds cell centres)."""
    g = gpd.read_file(Path(run_dir) / "cells.geojson").to_crs(METRIC_CRS)
    if cell_m is None:
        cell_m = summary(run_dir).get("gaps", {}).get("spacing_m", 100.0)
    if (g.geom_type == "Point").all():
        g["geometry"] = g.buffer(cell_m / 2, cap_style="square")
    return g


def read(path: Path) -> gpd.GeoDataFrame:
    return gpd.read_file(path).to_crs(METRIC_CRS)


def setup() -> None:
    """matplotlib: the repo's embedded Noto Sans CJK SC subset (GB 2312 + the sample's
    names), small PNGs (dpi 80) so the committed notebooks stay light."""
    font_manager.fontManager.addfont(str(FONT))
    name = font_manager.FontProperties(fname=str(FONT)).get_name()
    mpl.rcParams.update(
        {
            "font.family": [name, "DejaVu Sans"],
            "axes.unicode_minus": False,
            "figure.dpi": 80,
            "savefig.dpi": 80,
            "figure.figsize": (9, 6),
        }
    )
    pd.set_option("display.width", 140)
    pd.set_option("display.max_columns", 20)


def streets() -> gpd.GeoDataFrame:
    """The sample's walking graph, written by `learncircle export-network` (once, to
    notebooks/out/network.geojson), for a street backdrop."""
    net = OUT / "network.geojson"
    if not net.is_file():
        OUT.mkdir(parents=True, exist_ok=True)
        run("export-network", "--network", DATA / "fudan_wujiaochang_2023.osm", "--out", net)
    return read(net)


def basemap(ax, streets: gpd.GeoDataFrame | None, title: str = "", extent=None) -> None:
    """Streets in light grey, no axes; `extent` zooms to the study area: the cells
    GeoDataFrame (its outline is drawn dashed) or (minx, miny, maxx, maxy)."""
    if streets is not None:
        streets.plot(ax=ax, color="#9a9a9a", linewidth=0.4, zorder=1)
    if extent is not None:
        if isinstance(extent, gpd.GeoDataFrame):  # the cells: also outline the study area
            gpd.GeoSeries([extent.buffer(2).union_all()], crs=extent.crs).boundary.plot(
                ax=ax, color="#555555", linewidth=0.8, linestyle="--", zorder=1)
            extent = extent.total_bounds
        x0, y0, x1, y1 = extent
        ax.set_xlim(x0 - 60, x1 + 60)
        ax.set_ylim(y0 - 60, y1 + 60)
    ax.set_axis_off()
    ax.set_aspect("equal")
    if title:
        ax.set_title(title, fontsize=11)


def label_sites(ax, sites: gpd.GeoDataFrame, column: str = "name", **kw) -> None:
    for _, s in sites.iterrows():
        if isinstance(s[column], str) and s[column]:
            ax.annotate(s[column], (s.geometry.x, s.geometry.y), xytext=(4, 4),
                        textcoords="offset points", fontsize=kw.get("fontsize", 8),
                        color=kw.get("color", "black"), zorder=7,
                        path_effects=[patheffects.withStroke(linewidth=2.5, foreground="white")])


def sites_gdf(csv_path: Path) -> gpd.GeoDataFrame:
    """A sites.csv (input or output) as points in the metric CRS."""
    df = pd.read_csv(csv_path, dtype={"name": str})
    df["name"] = df["name"].fillna("")
    g = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df.lon, df.lat), crs="EPSG:4326")
    return g.to_crs(METRIC_CRS)


def credit(fig) -> None:
    fig.text(0.01, 0.01, ATTRIBUTION, fontsize=7, color="#555555")
