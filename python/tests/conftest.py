"""Shared fixtures: the repository's sample data and the CLI binary to compare with."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SH = ROOT / "data" / "shanghai"
HEL = ROOT / "data" / "helsinki"


def cli_binary() -> Path:
    """$LEARNCIRCLE_BIN, else target/debug (CI builds it), else target/release."""
    env = os.environ.get("LEARNCIRCLE_BIN")
    if env:
        return Path(env)
    for profile in ("debug", "release"):
        p = ROOT / "target" / profile / "learncircle"
        if p.is_file():
            return p
    pytest.skip("no learncircle binary: run `cargo build --bin learncircle` or set LEARNCIRCLE_BIN")


def run_cli(*args) -> subprocess.CompletedProcess:
    p = subprocess.run([str(cli_binary()), *map(str, args)], capture_output=True, text=True)
    if p.returncode not in (0, 1):
        raise AssertionError(f"learncircle {' '.join(map(str, args))} exited {p.returncode}:\n{p.stderr}")
    return p


def same_files(a: Path, b: Path) -> list[str]:
    """Names of files that differ (or exist on one side only) between two folders."""
    fa = {p.relative_to(a) for p in a.rglob("*") if p.is_file()}
    fb = {p.relative_to(b) for p in b.rglob("*") if p.is_file()}
    bad = sorted(str(x) for x in fa ^ fb)
    bad += sorted(str(x) for x in fa & fb if _content(a / x) != _content(b / x))
    return bad


def _content(p: Path):
    """The bytes of a file; for JSON, the parsed value without `timings_ms` (the stage
    times, the one part of the outputs that changes between runs; bench/golden.sh
    compares the same way)."""
    if p.suffix != ".json":
        return p.read_bytes()

    def strip(v):
        if isinstance(v, dict):
            return {k: strip(x) for k, x in v.items() if k != "timings_ms"}
        if isinstance(v, list):
            return [strip(x) for x in v]
        return v

    return strip(json.loads(p.read_text(encoding="utf-8")))
