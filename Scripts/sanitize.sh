#!/usr/bin/env bash
# Runs the Swift test suite under sanitizers, each in its own build directory:
#
#     Scripts/sanitize.sh                      # address, undefined, thread
#     Scripts/sanitize.sh address undefined    # just these
#
#   address    AddressSanitizer (+ LeakSanitizer) in .build-asan
#   undefined  UndefinedBehaviorSanitizer in .build-ubsan, on the C that Tubelet compiles (the
#              CHDF5/CLibzip shims, the CRC-32 code). swiftc rejects -sanitize=undefined on
#              Linux; Swift code needs no such sanitizer, since the language itself traps on
#              overflow, out-of-bounds access and exclusivity violations, in every build
#   thread     ThreadSanitizer in .build-tsan: Tubelet splits statistics over cores
#              (Parallel.map), guards libhdf5 with one lock, and Swift Testing runs suites
#              in parallel
#
# The end-to-end tests run the `tubelet` built beside the tests, so the command-line runs
# are sanitized too. A sanitizer finding fails the run: the report names the sanitizer, and
# the script exits non-zero. Run Scripts/setup.sh once first.
set -euo pipefail
cd "$(dirname "$0")/.."

SANITIZERS=("$@")
[ ${#SANITIZERS[@]} -gt 0 ] || SANITIZERS=(address undefined thread)

# Swift's crash handler would run inside the sanitizer's and hide its report.
export SWIFT_BACKTRACE=enable=no
# Every finding is an error (exit status 1 from the process that found it, which fails the
# test that ran it); LeakSanitizer skips only libhdf5's own allocations (Scripts/sanitize.supp).
export ASAN_OPTIONS="halt_on_error=1:detect_stack_use_after_return=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$PWD/Scripts/sanitize-leaks.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export TSAN_OPTIONS="halt_on_error=1${TSAN_OPTIONS:+:$TSAN_OPTIONS}"

failed=()
for sanitizer in "${SANITIZERS[@]}"; do
    case $sanitizer in
        address) scratch=.build-asan; flags=(--sanitize=address) ;;
        undefined) scratch=.build-ubsan
            flags=(-Xcc -fsanitize=undefined -Xcc -fno-sanitize-recover=undefined
                   -Xswiftc -Xclang-linker -Xswiftc -fsanitize=undefined) ;;
        thread) scratch=.build-tsan; flags=(--sanitize=thread) ;;
        *) echo "sanitize: unknown sanitizer '$sanitizer' (address, undefined, thread)" >&2; exit 64 ;;
    esac
    echo "== $sanitizer ($scratch)" >&2
    export TUBELET_SANITIZER=$sanitizer
    swift build --build-tests "${flags[@]}" --scratch-path "$scratch" -Xswiftc -warnings-as-errors
    log="$scratch/sanitize-test.log"
    # Reports go to files (REPORTS.PID) as well as being looked for in the log: a test that
    # redirects the process's stderr (HDF5Tests' diagnostics check does) would otherwise
    # swallow the report of a finding made while it runs, leaving only a test run that stops.
    reports="$PWD/$scratch/sanitizer-report"
    rm -f "$reports".*
    if TUBELET="$(swift build "${flags[@]}" --scratch-path "$scratch" --show-bin-path)/tubelet" \
        ASAN_OPTIONS="$ASAN_OPTIONS:log_path=$reports" UBSAN_OPTIONS="$UBSAN_OPTIONS:log_path=$reports" \
        TSAN_OPTIONS="$TSAN_OPTIONS:log_path=$reports" \
        swift test --skip-build "${flags[@]}" --scratch-path "$scratch" 2>&1 | tee "$log"; then
        status=0
    else
        status=$?
    fi
    found_reports=false
    for report in "$reports".*; do
        [ -e "$report" ] || continue
        found_reports=true
        echo "sanitize: report $report:" >&2
        cat "$report" >&2
    done
    if [ "$status" -ne 0 ] || $found_reports || grep -qE "ERROR: (AddressSanitizer|LeakSanitizer|ThreadSanitizer)|WARNING: ThreadSanitizer|runtime error:" "$log"; then
        failed+=("$sanitizer")
        echo "sanitize: $sanitizer FAILED (see $log)" >&2
    else
        echo "sanitize: $sanitizer clean" >&2
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "sanitize: findings under ${failed[*]}" >&2
    exit 1
fi
echo "sanitize: clean under ${SANITIZERS[*]}" >&2
