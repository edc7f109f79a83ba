#!/usr/bin/env bash
# Installs what Tubelet needs on Debian 12 / Ubuntu. Safe to run again.
#
#     Scripts/setup.sh              # to build and run: libhdf5-dev, libzip-dev, pkg-config (apt)
#     Scripts/setup.sh --dev        # to test as well: + hdf5-tools (apt; the interop tests run
#                                   # h5dump) and .venv with the full pinned Python stack
#                                   # (Tests/Interop/requirements-full.txt: numpy … torch CPU,
#                                   # transformers, flax, keras, keras-hub, tf-keras)
#     Scripts/setup.sh --dev-core   # as --dev, but only the core interop stack
#                                   # (Tests/Interop/requirements-core.txt: numpy, ml-dtypes,
#                                   # h5py, …); the torch/flax/keras checks are then skipped
#
# Runs as root (a container) or as a user with sudo. The Python locks pin every package to an
# exact version, so a fresh clone tests against the libraries of the last green CI; change
# them deliberately with Scripts/lock-python.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=user
for argument in "$@"; do
    case "$argument" in
        --dev) mode=full ;;
        --dev-core) mode=core ;;
        -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "setup.sh: unknown option '$argument' (try --help)" >&2; exit 64 ;;
    esac
done

# What `swift build` needs: the C libraries Tubelet links and pkg-config to find them.
packages=(libhdf5-dev libzip-dev pkg-config)
if [ "$mode" != user ]; then
    packages+=(hdf5-tools)
    # `python3 -m venv` needs ensurepip, which Debian ships apart from python3 (python3-venv).
    if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
        packages+=(python3 python3-venv)
    fi
fi

# As root, apt-get runs as is; otherwise through sudo. `env` carries DEBIAN_FRONTEND to
# apt-get either way (with SUDO empty, `$SUDO VAR=value cmd` would try to run the assignment).
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
        echo "setup.sh: installing ${packages[*]} needs root: run it as root, or install sudo" >&2
        exit 1
    fi
    SUDO=(sudo)
fi
if ! dpkg -s "${packages[@]}" >/dev/null 2>&1; then
    "${SUDO[@]}" apt-get update -qq
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
fi

if [ "$mode" = user ]; then
    exit 0
fi

# The locks are made for CPython 3.11 (Debian 12's python3): torch's wheel is built per version.
if ! python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    echo "setup.sh: the Python locks are for Python 3.11; python3 here is $(python3 -V 2>&1)" >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
lock="Tests/Interop/requirements-$mode.txt"
pip=(.venv/bin/pip install -q --disable-pip-version-check --no-deps)
# torch's CPU-only build (`+cpu`; the PyPI wheel pulls in gigabytes of CUDA libraries) is not
# on PyPI. It comes from whatever pip is configured with (PIP_FIND_LINKS, PIP_EXTRA_INDEX_URL)
# if that has it, else from PyTorch's own CPU wheel index. Installed first, so the lock below
# finds it satisfied and asks no index for it.
torch_pin="$(grep -E '^torch==' "$lock" || true)"
if [ -n "$torch_pin" ] && ! "${pip[@]}" "$torch_pin" 2>/dev/null; then
    "${pip[@]}" --index-url https://download.pytorch.org/whl/cpu "$torch_pin"
fi
# --no-deps: the lock lists every package, dependencies included, so pip installs exactly
# those; `pip check` then fails if the lock ever misses a dependency.
"${pip[@]}" -r "$lock"
.venv/bin/pip check >/dev/null
