#!/usr/bin/env bash
# One command for the whole benchmark: builds Tubelet (release), makes the checkpoints
# outside the repository, runs every case round-robin and writes Benchmarks/RESULTS.md.
# See Benchmarks/README.md.
#
#   Benchmarks/run.sh                      # ViT-B, ViT-L, ViT-G/14, ViT-22B widths; 3 repetitions
#   REPS=5 MODELS=L Benchmarks/run.sh
#   ONLY=inflate-m1-npz,stats-npz Benchmarks/run.sh   # a few cases (cp always runs)
#
# BENCH_DIR (default ${TMPDIR:-/tmp}/tubelet-bench) holds the data (~5 GB with ViT-L in four
# formats) and is reused between runs; it is never inside the repository. ViT-G/14 (7.4 GB)
# and the ViT-22B-widths file (3.6 GB) are made just before their cases and deleted after,
# one at a time (peak disk use ~16 GB with ViT-G's outputs).
set -euo pipefail
cd "$(dirname "$0")/.."

REPS="${REPS:-3}"
MODELS="${MODELS:-B,L,G,22B}"
TEMPORARY="${TEMPORARY:-G,22B}"
BENCH_DIR="${BENCH_DIR:-${TMPDIR:-/tmp}/tubelet-bench}"
PYTHON="${TUBELET_PYTHON:-.venv/bin/python}"
case "$(realpath -m "$BENCH_DIR")/" in
    "$(pwd -P)/"*) echo "BENCH_DIR must be outside the repository" >&2; exit 64 ;;
esac

if [ ! -x /usr/bin/time ]; then
    echo "installing GNU time (for peak memory)…" >&2
    apt-get install -y time >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y time >/dev/null; }
fi

# The release binary as it ships (Scripts/build-release.sh): the Swift runtime and, on Debian,
# libhdf5 linked in statically; start-up is ~6 ms instead of 20-40 ms.
TUBELET="$(Scripts/build-release.sh)"

# ViT-L also in safetensors, HDF5 and PyTorch, for `inspect` on every format; the PyTorch
# file needs torch and is left out without it.
kept=""
for model in ${MODELS//,/ }; do
    [[ ",$TEMPORARY," == *",$model,"* ]] || kept="${kept:+$kept,}$model"
done
[ -n "$kept" ] && "$PYTHON" Benchmarks/make_checkpoints.py "$BENCH_DIR/data" --models "$kept" --formats npz
if [[ ",$MODELS," == *",L,"* ]]; then
    formats=safetensors,h5
    "$PYTHON" -c "import torch" 2>/dev/null && formats="$formats,pth"
    "$PYTHON" Benchmarks/make_checkpoints.py "$BENCH_DIR/data" --models L --formats "$formats"
fi

extra=()
[ -n "${ONLY:-}" ] && extra+=(--only "$ONLY")
[ -n "${NO_VERIFY:-}" ] && extra+=(--no-verify)
"$PYTHON" Benchmarks/bench.py --tubelet "$TUBELET" --data "$BENCH_DIR/data" --scratch "$BENCH_DIR/out" \
    --models "$MODELS" --temporary "$TEMPORARY" --reps "$REPS" --results Benchmarks/RESULTS.md \
    --command-line "REPS=$REPS MODELS=$MODELS${ONLY:+ ONLY=$ONLY} Benchmarks/run.sh" "${extra[@]}"
