#!/usr/bin/env bash
# Installs what Tubelet needs to build and test on Debian/Ubuntu: libhdf5, libzip and
# pkg-config from apt (and hdf5-tools, whose h5dump the interop tests run on written
# files), and a Python venv (.venv) with the reference readers the interop tests compare
# against. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
if ! dpkg -s libhdf5-dev libzip-dev pkg-config hdf5-tools >/dev/null 2>&1; then
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libhdf5-dev libzip-dev pkg-config hdf5-tools >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/pip install -q --disable-pip-version-check -r Tests/Interop/requirements.txt
