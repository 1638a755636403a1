"""Benchmark (not a test): the 1M-node synthetic city from Python and with the CLI.

    python bench/python_vs_cli.py [--data /work/bench-data/synth-1000000] [--bin target/release/learncircle] [--runs 3]

Both sides run the same release-built library on the same inputs
(`coverage --sites sites.csv --population grid.csv --network city.osm.pbf
--threshold-m 1000`, docs/PERFORMANCE.md), alternating, and the script prints the
median wall times. Python: the `learncircle.coverage(...)` call including reading
`cells.csv` into a frame (`.cells`), i.e. what an analyst waits for. Install the
package in release (`pip install ./python`) first; record the load average.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import learncircle as lc

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/work/bench-data/synth-1000000")
    ap.add_argument("--bin", default=str(ROOT / "target" / "release" / "learncircle"))
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    d = Path(a.data)
    inputs = dict(sites=d / "sites.csv", population=d / "grid.csv", network=d / "city.osm.pbf")
    cli, py, py_frames = [], [], []
    with tempfile.TemporaryDirectory(prefix="learncircle-bench-") as t:
        for i in range(a.runs):
            out = Path(t) / f"cli{i}"
            t0 = time.perf_counter()
            subprocess.run([a.bin, "coverage", "--sites", inputs["sites"], "--population", inputs["population"],
                            "--network", inputs["network"], "--threshold-m", "1000", "--out", out, "--quiet"],
                           check=True)
            cli.append(time.perf_counter() - t0)
            shutil.rmtree(out)
            t0 = time.perf_counter()
            r = lc.coverage(**inputs, threshold_m=1000)
            py.append(time.perf_counter() - t0)
            n = len(r.cells)
            py_frames.append(time.perf_counter() - t0)
            del r
    load = os.getloadavg()
    print(f"cells {n}; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {a.runs} runs each, medians:")
    m_cli, m_py, m_f = (statistics.median(x) for x in (cli, py, py_frames))
    print(f"  CLI                       {m_cli:7.2f} s   {[round(x, 2) for x in cli]}")
    print(f"  Python coverage()         {m_py:7.2f} s   {[round(x, 2) for x in py]}  ({100 * (m_py / m_cli - 1):+.1f} %)")
    print(f"  Python coverage() + .cells {m_f:6.2f} s   {[round(x, 2) for x in py_frames]}  ({100 * (m_f / m_cli - 1):+.1f} %)")


if __name__ == "__main__":
    main()
