#!/usr/bin/env bash
# CI step "python" (called by .ci/run): build the Python package (python/, PyO3 +
# maturin from PyPI) into .ci/venv, run its pytest suite against the CLI, then execute
# the notebooks with it. docs/PYTHON.md describes the package.
#
# The extension is built with the dev profile into the root target/ (the same
# optimised dependencies `cargo build`/`cargo test` compile), so this step adds the
# PyO3 crates and one link, not a second release build of the library.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s)
python3 -m venv .ci/venv
.ci/venv/bin/pip install -q --disable-pip-version-check -r notebooks/requirements.txt -r python/requirements-ci.txt
# the CLI the tests compare with and the notebooks' CLI cell use
cargo build --bin learncircle
# --no-build-isolation: the maturin of the venv (on PATH) builds it
PATH="$PWD/.ci/venv/bin:$PATH" CARGO_TARGET_DIR="$PWD/target" MATURIN_PEP517_ARGS="--profile dev" \
    .ci/venv/bin/pip install -q --disable-pip-version-check --no-build-isolation --force-reinstall --no-deps ./python
t1=$(date +%s)
export LEARNCIRCLE_BIN="$PWD/target/debug/learncircle"
# from the root: python/learncircle/ (no extension inside) must not shadow the installed package
.ci/venv/bin/python -m pytest -q python/tests
t2=$(date +%s)
.ci/venv/bin/python notebooks/run_notebooks.py
t3=$(date +%s)
echo "python step: install+build $((t1 - t0)) s, pytest $((t2 - t1)) s, notebooks $((t3 - t2)) s"
