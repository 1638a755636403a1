"""learncircle: walking coverage of learning sites along the OpenStreetMap pedestrian
network, from Python.

The computation is the Rust library the ``learncircle`` command line uses (linked,
not run as a process); each call releases the GIL while it runs. Results are the
CLI's output files, read into (Geo)DataFrames, so ``result.write(dir)`` gives the
same bytes as ``learncircle coverage … --out dir``.

Inputs (``sites``, ``population``, ``units``, ``planned``, ``candidates``) are
paths (any format the CLI reads) or DataFrames:

* a GeoDataFrame with a CRS (any EPSG) is converted to WGS84 lon/lat;
* a DataFrame (or a GeoDataFrame without a CRS) needs ``lon``/``lat`` columns in
  the datum given by the matching ``*_crs`` argument (``"wgs84"``, ``"gcj02"``,
  ``"bd09"``).

DataFrames are written to a temporary CSV (GeoJSON for unit polygons) in the
format the CLI reads, so they go through exactly the same validation: a frame
gives the same results as the file it came from.

Units: distances in metres (``*_dist_m``, ``threshold_m``), walking times in
minutes at the planning speed of 60 m/min (``*_walk_min``, ``walk_min``),
populations in persons, areas in m² (``area_m2``) or km² (``area_km2``).

Errors raise :class:`LearncircleError` with the CLI's message (file, row or option,
and the reason). Rejected input rows are not errors: they are in
``result.rejected`` (a DataFrame, as ``rejected.csv``).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Union

import pandas as pd

from . import _native
from ._native import LearncircleError, Network

try:  # geopandas is optional: without it frames are pandas with lon/lat columns
    import geopandas as _gpd
except ImportError:  # pragma: no cover - exercised in environments without geopandas
    _gpd = None

__all__ = [
    "LearncircleError",
    "Network",
    "CoverageResult",
    "RecommendResult",
    "RouteResult",
    "coverage",
    "recommend",
    "read_network",
    "route",
    "sites_from_osm",
    "HAS_GEOPANDAS",
]

HAS_GEOPANDAS = _gpd is not None

PathLike = Union[str, "os.PathLike[str]"]
Frame = Any  # pandas.DataFrame or geopandas.GeoDataFrame
Input = Union[PathLike, Frame]

_CRS = ("wgs84", "gcj02", "bd09")


def read_network(path: PathLike) -> Network:
    """Read the walkable network of an OSM ``.osm.pbf`` / ``.osm`` file once.

    Pass the returned :class:`Network` as ``network=`` to :func:`coverage`,
    :func:`recommend` or :func:`route`: several runs on one city then decode the file only once.
    Results are identical to passing the path.
    """
    return _native.read_network(os.fspath(path))


def _set_progress(progress: bool) -> None:
    _native.set_progress(bool(progress))


# ---------------------------------------------------------------- inputs


def _check_crs(name: str, value: str) -> str:
    v = str(value).lower()
    if v not in _CRS:
        raise LearncircleError(f"{name} {value!r}: expected one of {', '.join(_CRS)}")
    return v


def _is_frame(x: Any) -> bool:
    return isinstance(x, pd.DataFrame)


def _frame_to_file(df: Frame, what: str, tmp: Path, polygons: bool = False) -> tuple[str, bool]:
    """Write a frame in a format the CLI reads; returns (path, converted_to_wgs84).

    A GeoDataFrame becomes GeoJSON (points, or polygon cells / units) in WGS84 when it
    has a CRS (else its coordinates are taken as lon/lat in the given datum); a
    DataFrame becomes CSV with its lon/lat columns."""
    geom = getattr(df, "_geometry_column_name", None)
    if geom is not None and geom in df.columns:
        converted = df.crs is not None
        g = df.to_crs(4326) if converted else df
        path = tmp / f"{what}.geojson"
        path.write_text(g.to_json(na="null", drop_id=True), encoding="utf-8")
        return str(path), converted
    if polygons:
        raise LearncircleError(f"{what}: unit polygons must be a GeoDataFrame (or a file)")
    path = tmp / f"{what}.csv"
    pd.DataFrame(df).to_csv(path, index=False)
    return str(path), False


class _Inputs:
    """Paths for every input, writing frames to a temporary folder."""

    def __init__(self) -> None:
        self._tmp: Optional[tempfile.TemporaryDirectory] = None

    def dir(self) -> Path:
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="learncircle-in-")
        return Path(self._tmp.name)

    def path(self, x: Input, what: str, crs: str, polygons: bool = False) -> tuple[str, str]:
        if _is_frame(x):
            p, converted = _frame_to_file(x, what, self.dir(), polygons)
            return p, ("wgs84" if converted else crs)
        return os.fspath(x), crs

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def _study_options(
    ins: _Inputs,
    out: str,
    sites: Input,
    population: Input,
    network: Union[None, PathLike, Network],
    preset: Optional[str],
    config: Optional[PathLike],
    threshold_m: Optional[float],
    walk_min: Optional[float],
    units: Optional[Input],
    mode: Optional[str],
    sites_crs: str,
    population_crs: str,
    units_crs: str,
    circuity: Optional[float],
    strict: bool,
    extra: Mapping[str, Any],
) -> tuple[dict, Optional[Network]]:
    sites_p, s_crs = ins.path(sites, "sites", _check_crs("sites_crs", sites_crs))
    pop_p, p_crs = ins.path(population, "population", _check_crs("population_crs", population_crs))
    o = json.loads(_native.default_options(sites_p, pop_p, out))
    o["sites_crs"], o["population_crs"] = s_crs, p_crs
    net_obj = None
    if isinstance(network, Network):
        net_obj = network
        o["network"] = network.path
    elif network is not None:
        o["network"] = os.fspath(network)
    if config is not None and preset is not None:
        raise LearncircleError("give config or preset, not both")
    if config is not None:
        o["config"] = {"File": os.fspath(config)}
    elif preset is not None:
        o["config"] = {"Preset": str(preset)}
    if mode is not None:
        if mode not in ("network", "straight"):
            raise LearncircleError(f"mode {mode!r}: expected 'network' or 'straight'")
        o["mode"] = mode
    o["threshold_m"] = None if threshold_m is None else float(threshold_m)
    o["walk_min"] = None if walk_min is None else float(walk_min)
    o["circuity"] = None if circuity is None else float(circuity)
    o["strict"] = bool(strict)
    if units is not None:
        o["units"], o["units_crs"] = ins.path(units, "units", _check_crs("units_crs", units_crs), polygons=True)
    for k, v in extra.items():
        if k not in o:
            raise TypeError(f"unknown option {k!r}")
        o[k] = v
    return o, net_obj


# ---------------------------------------------------------------- outputs


def _read_csv(path: Path) -> pd.DataFrame:
    # identifiers stay text (cell ids like "g-15_-12", OSM ids like "n123")
    return pd.read_csv(path, dtype={c: str for c in ("cell_id", "site_id", "gap_id", "unit_id", "unit_name", "name", "id", "location", "file", "reason", "category")}, keep_default_na=True)


def _with_points(df: pd.DataFrame, lon: str = "lon", lat: str = "lat") -> Frame:
    if _gpd is None or lon not in df.columns:
        return df
    return _gpd.GeoDataFrame(df, geometry=_gpd.points_from_xy(df[lon], df[lat]), crs="EPSG:4326")


def _with_shapes(df: pd.DataFrame, geojson: Path, fallback: tuple[str, str]) -> Frame:
    """The CSV's columns with the polygons of the GeoJSON written beside it (same
    rows, same order); points at (centroid) lon/lat when there is none."""
    if _gpd is not None and geojson.is_file():
        shapes = _gpd.read_file(geojson)
        if len(shapes) == len(df):
            return _gpd.GeoDataFrame(df, geometry=shapes.geometry.to_numpy(), crs=shapes.crs or "EPSG:4326")
    return _with_points(df, *fallback)


class _Result:
    """The files of one run, in a folder (a temporary one unless ``out=`` was given)."""

    def __init__(self, out: Path, tmp: Optional[tempfile.TemporaryDirectory], outcome: dict) -> None:
        self._out = out
        self._tmp = tmp  # kept alive as long as the result
        self.written: list[str] = [Path(p).name for p in outcome["written"]]
        self.n_rejected: int = int(outcome["rejected"])
        self._cache: dict[str, Any] = {}

    @property
    def dir(self) -> Path:
        """Folder holding the output files."""
        return self._out

    def _csv(self, name: str) -> Optional[pd.DataFrame]:
        p = self._out / name
        return _read_csv(p) if p.is_file() else None

    def _cached(self, key: str, make):
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def write(self, directory: PathLike) -> list[Path]:
        """Copy every output file to ``directory`` (created if needed): the same
        files, byte for byte, as the CLI writes with ``--out directory``."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        done = []
        for name in self.written:
            src = self._out / name
            if src.is_dir():
                shutil.copytree(src, d / name, dirs_exist_ok=True)
            else:
                shutil.copyfile(src, d / name)
            done.append(d / name)
        return done


class CoverageResult(_Result):
    """Result of :func:`coverage`: the frames of its output files."""

    @property
    def summary(self) -> dict:
        """``summary.json`` as a dict."""
        return self._cached("summary", lambda: json.loads((self._out / "summary.json").read_text(encoding="utf-8")))

    @property
    def cells(self) -> Frame:
        """``cells.csv``: one row per population cell; per category the network (or
        straight-line) distance to the nearest site ``*_dist_m`` (m), ``*_walk_min``
        (min at 60 m/min), ``*_covered`` (0/1) and ``*_sites_within``; geometry the
        cell centre (EPSG:4326)."""
        return self._cached("cells", lambda: _with_points(self._csv("cells.csv")))

    @property
    def gaps(self) -> Frame:
        """``gaps.csv``: gap zones (connected uncovered populated cells), ranked per
        category; ``area_m2`` in m²; geometry the zone outline from ``gaps.geojson``."""
        return self._cached(
            "gaps", lambda: _with_shapes(self._csv("gaps.csv"), self._out / "gaps.geojson", ("centroid_lon", "centroid_lat"))
        )

    @property
    def units(self) -> Optional[Frame]:
        """``units.csv`` (population covered per planning unit), or None without units."""
        def make():
            df = self._csv("units.csv")
            return None if df is None else _with_shapes(df, self._out / "units.geojson", ("lon", "lat"))
        return self._cached("units", make)

    @property
    def targets(self) -> pd.DataFrame:
        """The target rules evaluated (``summary.json`` → ``targets``), one row each."""
        return pd.DataFrame(self.summary.get("targets", []))

    @property
    def sites(self) -> Frame:
        """``sites.csv``: the sites analysed, with ``used`` (0 when off-network)."""
        return self._cached("sites", lambda: _with_points(self._csv("sites.csv")))

    @property
    def access(self) -> Optional[pd.DataFrame]:
        """``access.csv`` (2SFCA scores per cell) when ``access=`` was given."""
        return self._csv("access.csv")

    @property
    def rejected(self) -> pd.DataFrame:
        """``rejected.csv``: input rows not used — file, location (row), reason, population."""
        return self._cached("rejected", lambda: self._csv("rejected.csv"))

    @property
    def warnings(self) -> list[str]:
        """Warnings of the run (as the CLI prints them)."""
        return list(self.summary.get("warnings", []))

    def __repr__(self) -> str:
        return f"<CoverageResult {self._out} ({len(self.written)} files, {self.n_rejected} rejected rows)>"


class RecommendResult(_Result):
    """Result of :func:`recommend`."""

    @property
    def summary(self) -> dict:
        """``recommend.json`` as a dict (coverage before and after, in persons and shares)."""
        return self._cached("summary", lambda: json.loads((self._out / "recommend.json").read_text(encoding="utf-8")))

    @property
    def sites(self) -> Frame:
        """``recommend.csv``: the chosen sites in order, with the population each adds."""
        return self._cached("sites", lambda: _with_points(self._csv("recommend.csv")))

    @property
    def rejected(self) -> Optional[pd.DataFrame]:
        """``recommend_rejected.csv`` when rows were rejected."""
        return self._csv("recommend_rejected.csv")

    def __repr__(self) -> str:
        return f"<RecommendResult {self._out} ({len(self.written)} files)>"


def _out_dir(out: Optional[PathLike], prefix: str) -> tuple[Path, Optional[tempfile.TemporaryDirectory]]:
    if out is not None:
        return Path(out), None
    tmp = tempfile.TemporaryDirectory(prefix=prefix)
    return Path(tmp.name) / "out", tmp


# ---------------------------------------------------------------- commands


def coverage(
    sites: Input,
    population: Input,
    network: Union[None, PathLike, Network] = None,
    *,
    preset: Optional[str] = None,
    config: Optional[PathLike] = None,
    threshold_m: Optional[float] = None,
    walk_min: Optional[float] = None,
    units: Optional[Input] = None,
    mode: Optional[str] = None,
    sites_crs: str = "wgs84",
    population_crs: str = "wgs84",
    units_crs: str = "wgs84",
    circuity: Optional[float] = None,
    strict: bool = False,
    planned: Optional[Input] = None,
    planned_crs: str = "wgs84",
    access: Optional[str] = None,
    service_areas: bool = False,
    service_buffer_m: float = 40.0,
    gap_link_m: Optional[float] = None,
    formats: Iterable[str] = ("csv", "geojson"),
    out: Optional[PathLike] = None,
    progress: bool = False,
) -> CoverageResult:
    """Walking coverage of ``sites`` for ``population`` (``learncircle coverage``).

    sites, population, units, planned: paths or (Geo)DataFrames (see the module doc).
    network: an OSM file path or a :class:`Network` from :func:`read_network`;
        without it distances are straight lines × circuity (an approximation).
    preset / config: built-in preset name (e.g. ``"gb50180"``) or a TOML file with
        categories, thresholds and targets; neither: every category at one threshold.
    threshold_m: walking threshold in metres (runs without config); walk_min: the
        same in minutes at 60 m/min. Default 15 min = 900 m.
    mode: ``"network"`` or ``"straight"`` (default: network when a network is given).
    circuity: straight-line multiplier (1.0–3.0) in straight mode.
    access: ``"2sfca"``, ``"e2sfca-step"`` or ``"e2sfca-gaussian"``: also write ``access.csv``.
    service_areas: also write ``service_areas.geojson`` (per category, the walk-shed of
        its sites: reached streets buffered by ``service_buffer_m`` metres, ≤ 500).
    gap_link_m: gap-zone link distance in metres (default 1.5 × the cell spacing).
    formats: per-cell outputs, any of ``"csv"``, ``"geojson"``, ``"gpkg"``.
    out: write the outputs there (else a temporary folder that lives as long as the result).
    progress: print the CLI's progress lines on stderr.
    """
    ins = _Inputs()
    try:
        out_dir, tmp = _out_dir(out, "learncircle-coverage-")
        extra: dict[str, Any] = {
            "gap_link_m": None if gap_link_m is None else float(gap_link_m),
            "service_buffer_m": float(service_buffer_m) if service_areas else None,
            "formats": _formats(formats),
        }
        if access is not None:
            extra["access"] = _access(access)
        if planned is not None:
            extra["planned"], extra["planned_crs"] = ins.path(planned, "planned", _check_crs("planned_crs", planned_crs))
        o, net = _study_options(
            ins, str(out_dir), sites, population, network, preset, config, threshold_m, walk_min,
            units, mode, sites_crs, population_crs, units_crs, circuity, strict, extra,
        )
        _set_progress(progress)
        outcome = json.loads(_native.coverage(json.dumps(o), net))
        return CoverageResult(out_dir, tmp, outcome)
    finally:
        ins.close()


def _formats(formats: Iterable[str]) -> dict:
    fs = [formats] if isinstance(formats, str) else list(formats)
    bad = [f for f in fs if f not in ("csv", "geojson", "gpkg")]
    if bad or not fs:
        raise LearncircleError(f"formats {fs!r}: choose from 'csv', 'geojson', 'gpkg'")
    return {"csv": "csv" in fs, "geojson": "geojson" in fs, "gpkg": "gpkg" in fs}


def _access(method: str) -> str:
    m = str(method).lower()
    names = ("2sfca", "e2sfca-step", "e2sfca-gaussian")
    if m not in names:
        raise LearncircleError(f"access {method!r}: expected one of {', '.join(names)}")
    return m


def recommend(
    sites: Input,
    population: Input,
    category: str,
    k: int,
    network: Union[None, PathLike, Network] = None,
    *,
    candidates: Optional[Input] = None,
    candidates_crs: str = "wgs84",
    candidates_from: str = "cells",
    capacity: Optional[float] = None,
    exact: bool = False,
    preset: Optional[str] = None,
    config: Optional[PathLike] = None,
    threshold_m: Optional[float] = None,
    walk_min: Optional[float] = None,
    units: Optional[Input] = None,
    mode: Optional[str] = None,
    sites_crs: str = "wgs84",
    population_crs: str = "wgs84",
    units_crs: str = "wgs84",
    circuity: Optional[float] = None,
    strict: bool = False,
    out: Optional[PathLike] = None,
    progress: bool = False,
) -> RecommendResult:
    """Where to build ``k`` new sites of ``category`` (``learncircle recommend``):
    greedy maximal coverage with the existing sites held fixed.

    candidates: candidate locations (path or frame with id, lon, lat[, capacity]);
        else generated from ``candidates_from`` (``"cells"``, ``"nodes"``, ``"both"``).
    capacity: capacity of every candidate without its own (persons).
    exact: also solve exactly (small instances) and report the greedy's gap.
    Other arguments as in :func:`coverage`.
    """
    ins = _Inputs()
    try:
        out_dir, tmp = _out_dir(out, "learncircle-recommend-")
        o, net = _study_options(
            ins, str(out_dir), sites, population, network, preset, config, threshold_m, walk_min,
            units, mode, sites_crs, population_crs, units_crs, circuity, strict, {},
        )
        cand, cand_crs = (None, _check_crs("candidates_crs", candidates_crs))
        if candidates is not None:
            cand, cand_crs = ins.path(candidates, "candidates", cand_crs)
        _set_progress(progress)
        outcome = json.loads(
            _native.recommend(json.dumps(o), str(category), int(k), cand, cand_crs, str(candidates_from),
                              None if capacity is None else float(capacity), bool(exact), net)
        )
        return RecommendResult(out_dir, tmp, outcome)
    finally:
        ins.close()


def sites_from_osm(
    osm: PathLike,
    *,
    preset: Optional[str] = None,
    config: Optional[PathLike] = None,
    with_education: bool = False,
    exclude: Iterable[str] = (),
    merge_radius_m: Optional[float] = None,
    out: Optional[PathLike] = None,
) -> Frame:
    """Learning sites from OpenStreetMap tags (``learncircle sites``): one row per
    site (id, name, category, lon, lat, …) in the config's (default gb50180)
    categories. ``merge_radius_m``: same-name sites of one category closer than this
    (m) are merged. ``out``: also keep the CSV there. The frame's ``attrs`` hold the
    report ``lines`` and ``warnings``."""
    with tempfile.TemporaryDirectory(prefix="learncircle-sites-") as t:
        path = Path(out) if out is not None else Path(t) / "sites.csv"
        args = dict(config=None if config is None else os.fspath(config), preset=preset,
                    with_education=bool(with_education), exclude=[str(e) for e in exclude])
        if merge_radius_m is not None:
            args["merge_radius_m"] = float(merge_radius_m)
        report = json.loads(_native.sites_from_osm(os.fspath(osm), str(path), **args))
        df = _read_csv(path)
    g = _with_points(df)
    g.attrs["lines"] = report["lines"]
    g.attrs["warnings"] = report["warnings"]
    return g


# ---------------------------------------------------------------- route

LonLat = tuple[float, float]


class RouteResult:
    """Result of :func:`route`: one walk per start point, in the order given.

    ``length_m`` is the walking distance exactly as ``cells.csv`` measures it (door to
    door: access legs, partial segments, steps priced by the profile), in metres;
    ``walk_min`` = ``length_m`` ÷ the profile's speed, in minutes."""

    def __init__(self, outcome: dict) -> None:
        self._walks: list[dict] = outcome["routes"]
        self.geojson: str = outcome["geojson"]
        """The GeoJSON FeatureCollection the CLI writes with ``--out`` (coordinates
        rounded to 1e-6°, distances to 0.1 m, minutes to 0.01)."""
        self.lines: list[str] = outcome["lines"]
        """The CLI's summary line per walk."""
        self._cache: dict[str, Any] = {}

    def __len__(self) -> int:
        return len(self._walks)

    def _one(self, what: str) -> dict:
        if len(self._walks) != 1:
            raise ValueError(f"{len(self._walks)} walks: use .routes[{what!r}]")
        return self._walks[0]

    @property
    def length_m(self) -> float:
        """Walking distance of the walk (one start point), metres, unrounded."""
        return float(self._one("length_m")["length_m"])

    @property
    def walk_min(self) -> float:
        """Walking time of the walk (one start point), minutes at the profile's speed."""
        return float(self._one("walk_min")["walk_min"])

    @property
    def routes(self) -> Frame:
        """One row per walk: ``from_lon``, ``from_lat``, ``to_lon``, ``to_lat`` (the
        point, or the site's position), ``category``, ``site_id``, ``site_name``,
        ``length_m`` (m), ``walk_min`` (min), ``line_m`` (drawn length, m; shorter
        than ``length_m`` only where the profile prices steps), ``threshold_m`` (m,
        category routes), ``within_threshold``; unrounded. With geopandas a
        GeoDataFrame of LineStrings in EPSG:4326."""
        def make():
            cols = ("category", "site_id", "site_name", "length_m", "walk_min", "line_m",
                    "threshold_m", "within_threshold")
            df = pd.DataFrame([
                {"from_lon": w["from"][0], "from_lat": w["from"][1], "to_lon": w["to"][0], "to_lat": w["to"][1],
                 **{c: w[c] for c in cols}}
                for w in self._walks
            ])
            if _gpd is None:
                return df
            from shapely.geometry import LineString
            lines = [LineString(w["lonlat"]) if len(w["lonlat"]) > 1 else None for w in self._walks]
            return _gpd.GeoDataFrame(df, geometry=lines, crs="EPSG:4326")
        return self._cached("routes", make)

    @property
    def path(self) -> Frame:
        """The vertices of every walk in order: ``route`` (0-based walk index),
        ``seq``, ``lon``, ``lat`` (WGS84, unrounded); points in EPSG:4326 with
        geopandas."""
        def make():
            rows = [(i, k, p[0], p[1]) for i, w in enumerate(self._walks) for k, p in enumerate(w["lonlat"])]
            return _with_points(pd.DataFrame(rows, columns=["route", "seq", "lon", "lat"]))
        return self._cached("path", make)

    def _cached(self, key: str, make):
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def write(self, path: PathLike) -> Path:
        """Write :attr:`geojson` to ``path``: the bytes ``learncircle route --out path``
        writes."""
        p = Path(path)
        p.write_bytes(self.geojson.encode("utf-8"))
        return p

    def __repr__(self) -> str:
        more = f"; … {len(self.lines) - 2} more" if len(self.lines) > 2 else ""
        return f"<RouteResult {len(self._walks)} walk(s): {'; '.join(self.lines[:2])}{more}>"


def _lonlat_text(p: Any) -> str:
    """A point as the CLI's ``LON,LAT`` text (so it is checked with the CLI's messages)."""
    if isinstance(p, str):
        return p
    try:
        lon, lat = p
    except (TypeError, ValueError):
        raise LearncircleError(f"point {p!r}: expected (lon, lat)") from None
    return f"{lon},{lat}"


def _start_points(from_lonlat: Any) -> list[str]:
    """``(lon, lat)``, ``"LON,LAT"``, a sequence of those, or a frame of points."""
    if _is_frame(from_lonlat):
        df = from_lonlat
        geom = getattr(df, "_geometry_column_name", None)
        if geom is not None and geom in df.columns:
            g = df.to_crs(4326) if df.crs is not None else df
            return [f"{pt.x},{pt.y}" for pt in g.geometry]
        if not {"lon", "lat"} <= set(df.columns):
            raise LearncircleError("from_lonlat: a DataFrame needs lon and lat columns (WGS84)")
        return [f"{x},{y}" for x, y in zip(df["lon"].astype(float), df["lat"].astype(float))]
    if isinstance(from_lonlat, str):
        return [from_lonlat]
    pts = list(from_lonlat)
    if len(pts) == 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in pts):
        return [_lonlat_text(pts)]
    return [_lonlat_text(p) for p in pts]


def route(
    network: Union[PathLike, Network],
    from_lonlat: Any,
    to_lonlat: Optional[Union[LonLat, str]] = None,
    category: Optional[str] = None,
    sites: Optional[Input] = None,
    *,
    sites_crs: str = "wgs84",
    preset: Optional[str] = None,
    config: Optional[PathLike] = None,
    threshold_m: Optional[float] = None,
    walk_min: Optional[float] = None,
) -> RouteResult:
    """The walking path from a point to a point, or to the nearest site of a category
    (``learncircle route``), on the same network and engine as :func:`coverage`.

    network: an OSM file path or a :class:`Network` from :func:`read_network`.
    from_lonlat: start point(s), WGS84: ``(lon, lat)``, ``"LON,LAT"``, a list of
        those (one walk each, like repeating ``--from``), or a frame of points (a
        GeoDataFrame with a CRS, or ``lon``/``lat`` columns in WGS84).
    to_lonlat: destination ``(lon, lat)`` (WGS84); ``category`` then only selects
        the walking profile (speed, steps) of that category of the config.
    category + sites: walk to the nearest site of the category instead; ``sites`` is
        a path or a (Geo)DataFrame as for :func:`coverage`, in ``sites_crs``.
    preset / config: the categories' walking profiles and thresholds, ``max_snap_m``.
    threshold_m / walk_min: threshold in metres / minutes at 60 m/min for runs
        without a config (``within_threshold``); default 15 min = 900 m.

    A start point that cannot be attached to the network, or has no path, raises
    :class:`LearncircleError` with the CLI's message (as the CLI exits 2).
    """
    if config is not None and preset is not None:
        raise LearncircleError("give config or preset, not both")
    if (config is not None or preset is not None) and (threshold_m is not None or walk_min is not None):
        raise LearncircleError("threshold_m / walk_min are for runs without config or preset")
    if threshold_m is not None and walk_min is not None:
        raise LearncircleError("give threshold_m or walk_min, not both")
    if to_lonlat is not None and sites is not None:
        raise LearncircleError("give to_lonlat, or category with sites, not both")
    if sites is not None and category is None:
        raise LearncircleError("sites needs category (the category to walk to)")
    starts = _start_points(from_lonlat)
    ins = _Inputs()
    try:
        sites_p, s_crs = (None, _check_crs("sites_crs", sites_crs))
        if sites is not None:
            sites_p, s_crs = ins.path(sites, "sites", s_crs)
        net_obj = network if isinstance(network, Network) else None
        net_path = network.path if net_obj is not None else os.fspath(network)
        outcome = json.loads(_native.route(
            net_path, starts,
            to=None if to_lonlat is None else _lonlat_text(to_lonlat),
            category=None if category is None else str(category),
            sites=sites_p, sites_crs=s_crs,
            config=None if config is None else os.fspath(config),
            preset=None if preset is None else str(preset),
            threshold_m=None if threshold_m is None else float(threshold_m),
            walk_min=None if walk_min is None else float(walk_min),
            network=net_obj,
        ))
        return RouteResult(outcome)
    finally:
        ins.close()
