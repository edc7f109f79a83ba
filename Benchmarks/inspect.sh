#!/usr/bin/env bash
# `tubelet inspect` (metadata only) on ViT-L/16 in every format, with hyperfine: the quick
# look at the 15 ms target of issue 17 without the whole benchmark (Benchmarks/run.sh).
#
#   Benchmarks/inspect.sh                         # builds the release binary as it ships
#   TUBELET=path/to/tubelet Benchmarks/inspect.sh # another binary (say, a baseline)
#   RUNS=60 Benchmarks/inspect.sh
#
# Prints one line per format: median, fastest and slowest wall time. Needs hyperfine; the
# checkpoints come from make_checkpoints.py in $BENCH_DIR/data, as for run.sh, and are reused.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS="${RUNS:-40}"
BENCH_DIR="${BENCH_DIR:-${TMPDIR:-/tmp}/tubelet-bench}"
PYTHON="${TUBELET_PYTHON:-.venv/bin/python}"
command -v hyperfine >/dev/null || { echo "hyperfine is needed (apt-get install hyperfine)" >&2; exit 64; }
TUBELET="${TUBELET:-$(Scripts/build-release.sh)}"

formats=npz,safetensors,h5
"$PYTHON" -c "import torch" 2>/dev/null && formats="$formats,pth"
"$PYTHON" Benchmarks/make_checkpoints.py "$BENCH_DIR/data" --models L --formats "$formats" >&2

results="$(mktemp)"
trap 'rm -f "$results"' EXIT
commands=()
for format in ${formats//,/ }; do
    commands+=("$TUBELET inspect $BENCH_DIR/data/ViT-L_16.$format")
done
# -N: no shell in between, so the times are the binary's own; the warm-up runs fault the
# files' headers into the page cache, as right after a download.
hyperfine -N --warmup 5 --runs "$RUNS" --style none --export-json "$results" "${commands[@]}" >/dev/null
"$PYTHON" - "$results" <<'EOF'
import json, sys
for result in json.load(open(sys.argv[1]))["results"]:
    fmt = result["command"].rsplit(".", 1)[-1]
    ms = lambda seconds: f"{seconds * 1000:.1f} ms"
    print(f"inspect ViT-L {fmt:12} median {ms(result['median'])}  (fastest {ms(result['min'])}, slowest {ms(result['max'])}, {len(result['times'])} runs)")
EOF
