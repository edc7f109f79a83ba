#!/usr/bin/env bash
# Builds the release binary as it ships and prints its path:
#
#     Scripts/build-release.sh            # → .build-release/release/tubelet
#
# - `--static-swift-stdlib`: the Swift runtime and FoundationEssentials are linked in, so the
#   binary runs on a machine without a Swift toolchain and starts 10-30 ms sooner than one that
#   loads Foundation's shared libraries;
# - libhdf5 linked statically (TUBELET_STATIC_HDF5=1, see Package.swift) where Debian's
#   libhdf5.a is installed (libhdf5-dev ships it): Debian's shared libhdf5 pulls in libcurl and
#   about 30 more libraries that loading costs ~5 ms of every run, and a static libhdf5 also
#   frees the binary from libhdf5's soname. Elsewhere libhdf5 stays shared.
#
# libzip, zlib and libc stay shared (they are small, and everywhere).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -f /usr/lib/x86_64-linux-gnu/hdf5/serial/libhdf5.a ] || [ -f /usr/lib/aarch64-linux-gnu/hdf5/serial/libhdf5.a ]; then
    export TUBELET_STATIC_HDF5=1
fi
BUILD=(swift build -c release --static-swift-stdlib --scratch-path .build-release --product tubelet)
"${BUILD[@]}" >&2
echo "$("${BUILD[@]}" --show-bin-path)/tubelet"
