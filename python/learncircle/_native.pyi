"""Type stubs of the Rust extension (python/src/lib.rs). Use the functions of
``learncircle`` (``__init__.py``); these take the library's options as JSON."""

from typing import Optional

class LearncircleError(Exception):
    """A learncircle run failed; the message names the file, row or option and the reason
    (the same text the CLI prints after ``learncircle: error:``)."""

class Network:
    """An OSM extract read once (walkable ways and the nodes they reference, WGS84)."""

    @property
    def path(self) -> str:
        """The OSM file it was read from."""
    @property
    def nodes(self) -> int:
        """Nodes kept (those referenced by walkable ways)."""
    @property
    def ways(self) -> int:
        """Walkable ways kept."""

def read_network(path: str) -> Network: ...
def default_options(sites: str, population: str, out: str) -> str: ...
def set_progress(on: bool) -> None: ...
def coverage(options: str, network: Optional[Network] = None) -> str: ...
def recommend(
    options: str,
    category: str,
    k: int,
    candidates: Optional[str] = None,
    candidates_crs: str = "wgs84",
    candidates_from: str = "cells",
    capacity: Optional[float] = None,
    exact: bool = False,
    network: Optional[Network] = None,
) -> str: ...
def sites_from_osm(
    osm: str,
    out: str,
    config: Optional[str] = None,
    preset: Optional[str] = None,
    with_education: bool = False,
    exclude: list[str] = ...,
    merge_radius_m: float = ...,
) -> str: ...
def route(
    network_path: str,
    from_lonlat: list[str],
    to: Optional[str] = None,
    category: Optional[str] = None,
    sites: Optional[str] = None,
    sites_crs: str = "wgs84",
    config: Optional[str] = None,
    preset: Optional[str] = None,
    threshold_m: Optional[float] = None,
    walk_min: Optional[float] = None,
    network: Optional[Network] = None,
) -> str:
    """``learncircle route`` (GIL released); points as ``"LON,LAT"`` text; returns JSON
    ``{geojson, lines, routes}``."""
