#!/usr/bin/env bash
# Generates the man page tubelet(1) from the command-line definitions themselves (the same
# ArgumentParser types that make --help), so the page and the help cannot disagree:
#
#     Scripts/man.sh BINARY DIR   # → DIR/tubelet.1 (man -l DIR/tubelet.1)
#
# BINARY is a built tubelet (Scripts/build-release.sh prints one). The page comes from
# ArgumentParser's generate-manual tool (what its GenerateManual plugin runs), built from the
# package's own swift-argument-parser in a scratch path of its own so the release build's
# flags are left alone. Prints the page's path. install.sh and package.sh use it.
set -euo pipefail
cd "$(dirname "$0")/.."

binary="${1:?usage: Scripts/man.sh BINARY DIR}"
directory="${2:?usage: Scripts/man.sh BINARY DIR}"
swift build --scratch-path .build-manual --product generate-manual >&2
mkdir -p "$directory"
.build-manual/debug/generate-manual "$binary" --output-directory "$directory" >&2
echo "$directory/tubelet.1"
