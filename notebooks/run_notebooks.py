"""Execute the notebooks (CI: `.ci/run`, step "notebooks").

    python notebooks/run_notebooks.py            # execute copies; committed files untouched
    python notebooks/run_notebooks.py --write    # execute and save the outputs in place
    python notebooks/run_notebooks.py 02_*.ipynb # only some

A notebook fails when any cell raises (nbclient stops at the first error); the script
then exits 1. It also fails when a committed notebook has no outputs or is over 1 MB,
so the rendered maps stay visible on GitHub and the repository stays small.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

HERE = Path(__file__).resolve().parent
MAX_BYTES = 1_000_000


def main(argv: list[str]) -> int:
    write = "--write" in argv
    names = [a for a in argv if not a.startswith("--")]
    paths = sorted(HERE / n for n in names) if names else sorted(HERE.glob("[0-9][0-9]_*.ipynb"))
    passed = failed = 0
    for path in paths:
        committed = path.read_bytes()
        nb = nbformat.reads(committed.decode("utf-8"), as_version=4)
        problems = []
        if not write:
            if len(committed) > MAX_BYTES:
                problems.append(f"committed file is {len(committed):,} bytes (> {MAX_BYTES:,})")
            if not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"):
                problems.append("committed without outputs (run with --write and commit)")
        for c in nb.cells:  # no execution timestamps: re-running gives no diff
            c.metadata.pop("execution", None)
        t0 = time.monotonic()
        try:
            NotebookClient(nb, timeout=300, kernel_name="python3", record_timing=False,
                           resources={"metadata": {"path": str(HERE)}}).execute()
        except CellExecutionError as e:
            problems.append(f"a cell failed:\n{e}")
        dt = time.monotonic() - t0
        if write and not problems:
            nbformat.write(nb, path)
            size = path.stat().st_size
            if size > MAX_BYTES:
                problems.append(f"written file is {size:,} bytes (> {MAX_BYTES:,})")
        status = "FAILED" if problems else "ok"
        print(f"{path.name}: {status} in {dt:.1f} s")
        for p in problems:
            print("  " + p.replace("\n", "\n  "))
        if problems:
            failed += 1
        else:
            passed += 1
    print(f"notebooks: {passed} passed, {failed} failed")
    return 1 if failed or not paths else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
