#!/usr/bin/env bash
# Runs one libFuzzer target for SECONDS seconds:
#
#     Scripts/fuzz.sh NAME SECONDS [extra libFuzzer options]
#     Scripts/fuzz.sh list            # the target names
#     Scripts/fuzz.sh build [NAME]    # build only (all targets, or one)
#     Scripts/fuzz.sh smoke           # CI: build all, run each for a fixed number of inputs
#
# Targets (Fuzz/Targets/NAME.swift): npy-header, safetensors-header, pickle-machine,
# zip-directory, hdf5-reader, flax-msgpack. They are not part of Package.swift: TensorIO's
# sources are compiled once with `swiftc -sanitize=fuzzer,address` into .build-fuzz/libTensorIO.a
# (rebuilt when a source changes) and each target links its small entry file against it.
#
# The working corpus is .build-fuzz/corpus/NAME (not committed), seeded on first use from the
# fixtures and samples in the repository. Crashes, leaks and timeouts are written to
# Fuzz/crashes/NAME/ (libFuzzer's crash-*, leak-*, timeout-* files): turn each into a fixture
# and a table case under Tests/, fix the bug, then delete the file. Each run appends a line
# (date, target, seconds, exit status) to .build-fuzz/fuzz-time.log, which Fuzz/README.md's
# totals come from. The fuzzer runs at the lowest CPU priority (nice 19).
set -euo pipefail
cd "$(dirname "$0")/.."

TARGETS=(npy-header safetensors-header pickle-machine zip-directory hdf5-reader flax-msgpack)
BUILD=.build-fuzz
HDF5_PC=hdf5-serial
pkg-config --exists "$HDF5_PC" 2>/dev/null || HDF5_PC=hdf5
CFLAGS=$(pkg-config --cflags "$HDF5_PC" libzip)
LIBS="$(pkg-config --libs "$HDF5_PC" libzip) -lCPlatform -lz"
SWIFTFLAGS=(-swift-version 6 -enable-upcoming-feature MemberImportVisibility -O -g -sanitize=fuzzer,address
            -I Sources/CHDF5 -I Sources/CLibzip -I .build-fuzz/CPlatform -use-ld=lld)
for flag in $CFLAGS; do SWIFTFLAGS+=(-Xcc "$flag"); done

usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 64; }

# TensorIO's C helpers (renameat2, the CRC-32 kernel) as SwiftPM builds them: a static
# library and a module map for `import CPlatform`.
build_platform() {
    mkdir -p "$BUILD/CPlatform"
    printf 'module CPlatform {\n    header "%s"\n    export *\n}\n' "$PWD/Sources/CPlatform/include/cplatform.h" \
        > "$BUILD/CPlatform/module.modulemap"
    local objects=()
    for file in Sources/CPlatform/*.c; do
        clang -O2 -g -fsanitize=address -I Sources/CPlatform/include -c "$file" -o "$BUILD/CPlatform/$(basename "$file" .c).o"
        objects+=("$BUILD/CPlatform/$(basename "$file" .c).o")
    done
    rm -f "$BUILD/libCPlatform.a"
    ar rcs "$BUILD/libCPlatform.a" "${objects[@]}"
}

build_library() {
    mkdir -p "$BUILD"
    local sources
    mapfile -t sources < <(find Sources/TensorIO -name '*.swift' | sort)
    local newest
    # `sed -n 1p`, not `head -1`: head exits after one line, and once the list is longer than
    # one stdio buffer `ls` dies of SIGPIPE, which `pipefail` turns into a failed build.
    newest=$(ls -t "${sources[@]}" Sources/CHDF5/* Sources/CLibzip/* Sources/CPlatform/*.c Sources/CPlatform/include/* "$0" | sed -n 1p)
    if [ -f "$BUILD/libTensorIO.a" ] && [ "$BUILD/libTensorIO.a" -nt "$newest" ]; then return; fi
    echo "fuzz: compiling TensorIO (${#sources[@]} files) with -sanitize=fuzzer,address" >&2
    build_platform
    # From a snapshot, so an edit made while the compiler runs cannot fail the build.
    rm -rf "$BUILD/src" "$BUILD/libTensorIO.a"
    mkdir -p "$BUILD/src"
    cp -R Sources/TensorIO "$BUILD/src/"
    mapfile -t sources < <(find "$BUILD/src/TensorIO" -name '*.swift' | sort)
    swiftc "${SWIFTFLAGS[@]}" -whole-module-optimization -parse-as-library -module-name TensorIO -enable-testing \
        -emit-library -static -emit-module -emit-module-path "$BUILD/TensorIO.swiftmodule" \
        "${sources[@]}" -o "$BUILD/libTensorIO.tmp.a"
    mv "$BUILD/libTensorIO.tmp.a" "$BUILD/libTensorIO.a"
}

build_target() {
    local name=$1
    local entry="Fuzz/Targets/$name.swift"
    [ -f "$entry" ] || { echo "fuzz: no target '$name' (Scripts/fuzz.sh list)" >&2; exit 64; }
    build_library
    if [ -x "$BUILD/$name" ] && [ "$BUILD/$name" -nt "$BUILD/libTensorIO.a" ] && [ "$BUILD/$name" -nt "$entry" ] \
        && [ "$BUILD/$name" -nt Fuzz/Support/FuzzInput.swift ]; then return; fi
    echo "fuzz: linking $name" >&2
    # shellcheck disable=SC2086
    swiftc "${SWIFTFLAGS[@]}" -parse-as-library -module-name "Fuzz_${name//-/_}" -I "$BUILD" \
        Fuzz/Support/FuzzInput.swift "$entry" -L "$BUILD" -lTensorIO $LIBS -o "$BUILD/$name"
}

# Files under the repository that make good starting points for `name`.
seed() {
    local name=$1 corpus=$2
    mkdir -p "$corpus"
    copy() { while read -r file; do cp "$file" "$corpus/$(echo "$file" | tr '/' '_')"; done; }
    case $name in
        npy-header) find Tests/Fixtures -name '*.npy' -size -64k | copy ;;
        safetensors-header) find Tests/Fixtures Checkpoints -name '*.safetensors' -size -64k | copy ;;
        zip-directory) find Tests/Fixtures -size -256k \( -name '*.npz' -o -name '*.pth' -o -name '*.pt' -o -name '*.keras' \) | copy ;;
        # Not the files known to crash or hang libhdf5 itself (Tests/Fixtures/malformed-hdf5/README.md):
        # from them, every run would start with a known crash or a 60-second timeout.
        hdf5-reader) find Tests/Fixtures Checkpoints -size -256k \( -name '*.h5' -o -name '*.hdf5' \) ! -name '*libhdf5-crash*' ! -name '*libhdf5-hang*' | copy ;;
        flax-msgpack) find Tests/Fixtures -size -256k -name '*.msgpack' | copy ;;
        pickle-machine)
            # The data.pkl of every torch archive in the repository.
            python3 - "$corpus" <<'PY'
import pathlib, sys, zipfile
out = pathlib.Path(sys.argv[1])
for path in list(pathlib.Path("Tests/Fixtures").rglob("*.pt*")) + list(pathlib.Path("Checkpoints").glob("*.pth")):
    try:
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if name.endswith("data.pkl"):
                    (out / (str(path).replace("/", "_") + ".pkl")).write_bytes(archive.read(name))
    except (zipfile.BadZipFile, OSError):
        pass
PY
            ;;
    esac
    [ -n "$(ls -A "$corpus")" ] || echo x > "$corpus/empty-seed"
}

# CI's smoke check: every target built, then run for a fixed number of inputs with a fixed
# seed from its seed corpus, so a run is repeatable and takes seconds.
smoke() {
    local name runs status=0
    for name in "${TARGETS[@]}"; do build_target "$name"; done
    for name in "${TARGETS[@]}"; do
        case $name in
            # The seed corpus only, no mutations: a few hundred mutated files are enough to
            # reach libhdf5 1.10.8's own crashes (Fuzz/README.md), which would fail CI on a
            # library bug. The smoke run checks the harness; the long runs look for bugs.
            hdf5-reader) runs=0 ;;
            pickle-machine) runs=10000 ;;
            *) runs=30000 ;;
        esac
        echo "fuzz: smoke $name ($runs inputs)" >&2
        rm -rf "$BUILD/smoke/$name"
        FUZZ_SMOKE=1 FUZZ_CORPUS="$BUILD/smoke/$name" "$0" "$name" 0 -runs="$runs" -seed=1 2>"$BUILD/smoke-$name.log" || { status=1; tail -40 "$BUILD/smoke-$name.log" >&2; }
        grep -h "^Done\|crashes\|ERROR" "$BUILD/smoke-$name.log" >&2 || true
    done
    return $status
}

case ${1:-} in
    list) printf '%s\n' "${TARGETS[@]}"; exit 0 ;;
    smoke) smoke; exit $? ;;
    build)
        if [ -n "${2:-}" ]; then build_target "$2"; else for t in "${TARGETS[@]}"; do build_target "$t"; done; fi
        exit 0 ;;
    ''|-h|--help) usage ;;
esac
[ $# -ge 2 ] || usage
NAME=$1 SECONDS_TO_RUN=$2
shift 2
build_target "$NAME"

CORPUS="${FUZZ_CORPUS:-$BUILD/corpus/$NAME}"
[ -d "$CORPUS" ] || seed "$NAME" "$CORPUS"
ARTIFACTS="Fuzz/crashes/$NAME"
mkdir -p "$ARTIFACTS"
# Inputs run in microseconds to milliseconds; the generous timeout only catches real hangs,
# not an input that waited for a CPU on a busy machine (the fuzzer runs at nice 19).
OPTIONS=(-max_total_time="$SECONDS_TO_RUN" -timeout=60 -rss_limit_mb=2560 -print_final_stats=1
         -artifact_prefix="$ARTIFACTS/")
case $NAME in
    # libhdf5 1.10.8 leaks inside itself on many corrupt files (Fuzz/README.md); the target
    # checks instead that Tubelet leaves no libhdf5 identifier open.
    # It also mallocs sizes a corrupt file claims (a NULL return is its normal error path),
    # so huge requests return NULL as they would outside the sanitizer.
    # libhdf5 crashes inside itself on some corrupt files (Fuzz/README.md): the target runs in
    # fork mode and goes on after a crash, so every distinct crash is collected, not just the first.
    hdf5-reader)
        OPTIONS+=(-max_len=131072 -detect_leaks=0)
        export ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
        [ -n "${FUZZ_SMOKE:-}" ] || OPTIONS+=(-fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1)
        export ASAN_OPTIONS="allocator_may_return_null=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}" ;;
    zip-directory) OPTIONS+=(-max_len=131072) ;;
    *) OPTIONS+=(-max_len=65536) ;;
esac
[ -f "Fuzz/Dictionaries/$NAME.dict" ] && OPTIONS+=(-dict="Fuzz/Dictionaries/$NAME.dict")

# Swift's own crash handler would run inside the sanitizer and hide the report.
export SWIFT_BACKTRACE=enable=no

start=$(date +%s)
status=0
nice -n 19 "$BUILD/$NAME" "${OPTIONS[@]}" "$@" "$CORPUS" || status=$?
elapsed=$(( $(date +%s) - start ))
[ -n "${FUZZ_SMOKE:-}" ] || echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) $NAME ${elapsed}s exit=$status" >> "$BUILD/fuzz-time.log"
total=$(awk -v n="$NAME" '$2 == n { sub("s", "", $3); t += $3 } END { print t + 0 }' "$BUILD/fuzz-time.log" 2>/dev/null || echo 0)
echo "fuzz: $NAME ran ${elapsed}s, exit $status; total for $NAME: ${total}s" >&2
exit $status
