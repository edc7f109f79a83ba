#!/usr/bin/env bash
# Runs every test: the Swift unit and command-line tests, then the interop tests that check
# Tubelet against the reference libraries in .venv (numpy, ml_dtypes, h5py…, and with the full
# stack torch, transformers, flax, Keras). Run `Scripts/setup.sh --dev` once first. Warnings are
# errors, as in CI. pytest lists every skipped test with its reason (-rs); with
# TUBELET_NO_SKIPS=1, as in CI, a skipped test fails the run. The interop tests also run
# Scripts/install.sh and Scripts/package.sh, which build the release binary in .build-release
# (a few minutes the first time, incremental after).
set -euo pipefail
cd "$(dirname "$0")/.."

swift build --build-tests -Xswiftc -warnings-as-errors
swift test --skip-build

PYTHON="${TUBELET_PYTHON:-.venv/bin/python}"
TUBELET="$(swift build --show-bin-path)/tubelet" "$PYTHON" -m pytest -q -rs Tests/Interop
