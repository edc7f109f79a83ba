#!/usr/bin/env bash
# Runs every test: the Swift unit and command-line tests, then the interop tests that check
# Tubelet against the reference libraries (numpy, ml_dtypes) in .venv. Run Scripts/setup.sh
# once first. Warnings are errors, as in CI.
set -euo pipefail
cd "$(dirname "$0")/.."

swift build --build-tests -Xswiftc -warnings-as-errors
swift test --skip-build

PYTHON="${TUBELET_PYTHON:-.venv/bin/python}"
TUBELET="$(swift build --show-bin-path)/tubelet" "$PYTHON" -m pytest -q Tests/Interop
