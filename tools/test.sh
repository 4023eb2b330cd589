#!/usr/bin/env bash
# The one test command: every test, Rust and Python, on a machine that has only
# Rust, a python3 (3.9+) and what the package registries give.
#
#   1. cargo test --workspace --locked        (the Rust tests; no Python needed)
#   2. a virtual environment in target/test-venv with maturin, pytest, dask and
#      pyarrow from PyPI, the bytescope package built into it (a debug build,
#      quick to compile) and pytest over crates/python/tests.
#
# PYTHON=python3.X picks the interpreter for step 2 (default: python3).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test --workspace --locked

py="${PYTHON:-python3}"
venv="target/test-venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c '' 2>/dev/null; then
    rm -rf "$venv"
    "$py" -m venv "$venv"
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
"$venv/bin/python" -m pip install -q --upgrade maturin pytest "dask[distributed]" pyarrow
log="target/maturin-develop.log"
if ! VIRTUAL_ENV="$PWD/$venv" "$venv/bin/maturin" develop -q -m crates/python/Cargo.toml >"$log" 2>&1; then
    cat "$log"
    exit 1
fi
"$venv/bin/python" -m pytest -q -p no:cacheprovider crates/python/tests
