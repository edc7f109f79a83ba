"""Shared helpers for the interop tests, which check Tubelet against numpy and ml_dtypes.

Every test writes its inputs with the reference library into pytest's `tmp_path`, runs the
`tubelet` binary on them, and reads the results back with the reference library. Values are
compared as raw bytes (little-endian, C order), so "equal" always means bit-exact: NaN
payloads, the sign of zero and subnormals included.

The binary is `$TUBELET` (Scripts/test.sh sets it to `$(swift build --show-bin-path)/tubelet`)
or, when that variable is unset, `.build/debug/tubelet`. A missing binary fails the tests
rather than skipping them, so a broken build can never pass as a green run; and a `$TUBELET`
that names no file is an error too, rather than a silent fallback to a possibly stale build.
"""

from __future__ import annotations

import ast
import functools
import io
import json
import os
import subprocess
import zipfile
from pathlib import Path
from typing import Sequence

import ml_dtypes
import numpy as np
import pytest

from torchvision_shim import define_missing_torchvision_ops

REPO_ROOT = Path(__file__).resolve().parents[2]

# Before any test imports timm (and so torchvision): see torchvision_shim.
define_missing_torchvision_ops()

# Keras 3 picks its backend when first imported, TensorFlow if it is installed (the full stack
# has it, for keras-hub). The Keras samples were written with JAX, and JAX is lighter to load.
os.environ.setdefault("KERAS_BACKEND", "jax")


# --------------------------------------------------------------------------------------------
# No skipped checks in CI
# --------------------------------------------------------------------------------------------

_skipped: list[tuple[str, str]] = []


def _skip_reason(report) -> str:
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return reason.removeprefix("Skipped: ")


def pytest_collectreport(report):
    if report.skipped:
        _skipped.append((report.nodeid, _skip_reason(report)))


def pytest_runtest_logreport(report):
    if report.skipped and not hasattr(report, "wasxfail"):
        _skipped.append((report.nodeid, _skip_reason(report)))


def pytest_sessionfinish(session, exitstatus):
    """With TUBELET_NO_SKIPS=1 (CI sets it), a skipped test fails the run: every interop check
    must have run against the pinned stack."""
    if os.environ.get("TUBELET_NO_SKIPS") != "1":
        return
    failing = list(_skipped)
    if not failing:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    reporter.write_sep("=", "skipped tests fail the run (TUBELET_NO_SKIPS=1)", red=True)
    for node, reason in failing:
        reporter.write_line(f"SKIPPED {node}: {reason}")
    session.exitstatus = pytest.ExitCode.TESTS_FAILED

#: Seconds before a tubelet run counts as hung. Every run here takes milliseconds.
TIMEOUT_SECONDS = 30

#: Tubelet's dtype names and the numpy dtype (little-endian) each corresponds to.
DTYPES: dict[str, np.dtype] = {
    "bool": np.dtype(np.bool_),
    "uint8": np.dtype("<u1"),
    "int8": np.dtype("<i1"),
    "int16": np.dtype("<i2"),
    "int32": np.dtype("<i4"),
    "int64": np.dtype("<i8"),
    "uint16": np.dtype("<u2"),
    "uint32": np.dtype("<u4"),
    "uint64": np.dtype("<u8"),
    "float16": np.dtype("<f2"),
    "bfloat16": np.dtype(ml_dtypes.bfloat16),
    "float32": np.dtype("<f4"),
    "float64": np.dtype("<f8"),
}

FLOAT_DTYPES = ["float16", "bfloat16", "float32", "float64"]

#: Unsigned integer dtype of the same width, to look at float bit patterns.
BITS_DTYPE = {1: np.dtype("<u1"), 2: np.dtype("<u2"), 4: np.dtype("<u4"), 8: np.dtype("<u8")}

#: Special values of each float dtype, as bit patterns: ±0, ±Inf, quiet and signalling NaNs
#: with payloads (both signs), the smallest and largest subnormals, the smallest normal, the
#: largest finite value, ±1 and a value with every mantissa bit set.
SPECIAL_BITS: dict[str, list[int]] = {
    "float16": [0x0000, 0x8000, 0x7C00, 0xFC00, 0x7E00, 0x7D23, 0xFE55, 0x7C01, 0x0001, 0x8001,
                0x03FF, 0x0400, 0x7BFF, 0xFBFF, 0x3C00, 0xBC00, 0x3FFF],
    "bfloat16": [0x0000, 0x8000, 0x7F80, 0xFF80, 0x7FC0, 0x7F81, 0xFFC5, 0x7FA3, 0x0001, 0x8001,
                 0x007F, 0x0080, 0x7F7F, 0xFF7F, 0x3F80, 0xBF80, 0x3FFF],
    "float32": [0x00000000, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0x7F800123,
                0xFFC12345, 0x7FBFFFFF, 0x00000001, 0x80000001, 0x007FFFFF, 0x00800000,
                0x7F7FFFFF, 0xFF7FFFFF, 0x3F800000, 0xBF800000, 0x3FFFFFFF],
    "float64": [0x0000000000000000, 0x8000000000000000, 0x7FF0000000000000, 0xFFF0000000000000,
                0x7FF8000000000000, 0x7FF0000000012345, 0xFFF8DEADBEEF0001, 0x7FF7FFFFFFFFFFFF,
                0x0000000000000001, 0x8000000000000001, 0x000FFFFFFFFFFFFF, 0x0010000000000000,
                0x7FEFFFFFFFFFFFFF, 0xFFEFFFFFFFFFFFFF, 0x3FF0000000000000, 0xBFF0000000000000,
                0x3FFFFFFFFFFFFFFF],
}


# --------------------------------------------------------------------------------------------
# Running the binary
# --------------------------------------------------------------------------------------------

@functools.cache
def tubelet_binary() -> Path:
    """The tubelet executable under test; fails (never skips) when there is none."""
    from_environment = os.environ.get("TUBELET")
    candidate = Path(from_environment) if from_environment else REPO_ROOT / ".build" / "debug" / "tubelet"
    if not (candidate.is_file() and os.access(candidate, os.X_OK)):
        source = "$TUBELET" if from_environment else "the default path (TUBELET is unset)"
        pytest.fail(f"no tubelet executable at {candidate}, from {source}. Run `swift build` "
                    "first, or set TUBELET to the binary's path.", pytrace=False)
    return candidate


def run_tubelet(args: Sequence[object], expect_rc: int | None = 0) -> subprocess.CompletedProcess:
    """Runs `tubelet ARGS...` with a timeout and returns the finished process.

    A hang, a death by signal (a crash) and, unless `expect_rc` is None, an exit status other
    than `expect_rc` fail the test with the command and its stderr.
    """
    command = [str(tubelet_binary()), *map(str, args)]
    shown = " ".join(command)
    try:
        process = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail(f"tubelet hung for more than {TIMEOUT_SECONDS}s: {shown}", pytrace=False)
    assert process.returncode >= 0, (
        f"tubelet crashed (signal {-process.returncode}): {shown}\nstderr:\n{process.stderr}")
    if expect_rc is not None:
        assert process.returncode == expect_rc, (
            f"tubelet exited {process.returncode}, expected {expect_rc}: {shown}\n"
            f"stdout:\n{process.stdout}\nstderr:\n{process.stderr}")
    return process


def inspect_json(path: Path, *flags: str) -> dict:
    """`tubelet inspect PATH --json FLAGS...`, parsed."""
    process = run_tubelet(["inspect", path, "--json", *flags])
    return json.loads(process.stdout)


def convert(source: Path, output: Path, *flags: str) -> Path:
    """`tubelet convert SOURCE OUTPUT FLAGS...`; returns OUTPUT."""
    run_tubelet(["convert", source, output, *flags])
    assert output.is_file(), f"convert exited 0 but wrote no {output}"
    return output


def assert_error_line(process: subprocess.CompletedProcess, file: Path, *fragments: str) -> None:
    """The process failed with exit status 1 and one line `Error: FILE: ...` on stderr that
    contains every fragment (case-insensitively)."""
    assert process.returncode == 1, f"exit status {process.returncode}, expected 1"
    lines = process.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected a one-line error, got:\n{process.stderr}"
    assert lines[0].startswith(f"Error: {file}: "), lines[0]
    for fragment in fragments:
        assert fragment.lower() in lines[0].lower(), f"{fragment!r} not in {lines[0]!r}"


# --------------------------------------------------------------------------------------------
# Arrays
# --------------------------------------------------------------------------------------------

def bits_of(array: np.ndarray) -> np.ndarray:
    """The array's elements as unsigned integers of the same width (a view, no conversion)."""
    return np.ascontiguousarray(array).view(BITS_DTYPE[array.dtype.itemsize])


def from_bits(bits: Sequence[int], dtype: np.dtype) -> np.ndarray:
    """A 1-D array of `dtype` holding exactly these bit patterns."""
    dtype = np.dtype(dtype)
    return np.array(bits, dtype=BITS_DTYPE[dtype.itemsize]).view(dtype)


def special_values(name: str) -> np.ndarray:
    """The special values of float dtype `name` (see SPECIAL_BITS)."""
    return from_bits(SPECIAL_BITS[name], DTYPES[name])


def random_array(name: str, shape: Sequence[int], seed: int = 0) -> np.ndarray:
    """A deterministic array of dtype `name`: random bit patterns (so floats span every
    exponent and include NaNs), with the dtype's special values first when it is a float."""
    dtype = DTYPES[name]
    rng = np.random.default_rng(seed)
    count = int(np.prod(shape, dtype=np.int64))
    if name == "bool":
        return rng.integers(0, 2, size=count).astype(np.bool_).reshape(shape)
    flat = rng.integers(0, 256, size=count * dtype.itemsize, dtype=np.uint8).view(dtype).copy()
    if name in SPECIAL_BITS:
        specials = special_values(name)[:count]
        flat[: len(specials)] = specials
    return flat.reshape(shape)


def to_big_endian(array: np.ndarray) -> np.ndarray:
    """The same values with big-endian byte order, made by swapping bytes (not by a cast,
    which could quiet signalling NaNs)."""
    return array.byteswap().view(array.dtype.newbyteorder(">"))


def le_c_bytes(array: np.ndarray) -> bytes:
    """The array's elements as little-endian bytes in C order, copied without conversion."""
    contiguous = np.ascontiguousarray(array)
    if contiguous.dtype.byteorder == ">":
        contiguous = contiguous.byteswap()
    return contiguous.tobytes()


def assert_same_bits(actual: np.ndarray, expected: np.ndarray) -> None:
    """`actual` (loaded from a Tubelet output) holds exactly `expected`'s values.

    The shape must match, the dtype must be `expected`'s in little-endian order (bfloat16
    comes back from numpy as the opaque 'V2'), and the bytes must be identical.
    """
    assert actual.shape == expected.shape
    assert actual.flags.c_contiguous, "the output is not in C order"
    assert actual.dtype.byteorder in "<|=", f"output dtype {actual.dtype.str} is not little-endian"
    if expected.dtype == DTYPES["bfloat16"]:
        assert actual.dtype in (np.dtype("V2"), DTYPES["bfloat16"]), actual.dtype
    else:
        assert actual.dtype == expected.dtype.newbyteorder("<"), (actual.dtype, expected.dtype)
    got, want = le_c_bytes(actual), le_c_bytes(expected)
    if got != want:
        width = expected.dtype.itemsize
        got_bits = np.frombuffer(got, BITS_DTYPE[width])
        want_bits = np.frombuffer(want, BITS_DTYPE[width])
        wrong = np.flatnonzero(got_bits != want_bits)
        first = wrong[:5]
        pytest.fail(f"{len(wrong)} of {len(want_bits)} elements differ; at flat indices {first.tolist()}: "
                    f"got bits {[hex(v) for v in got_bits[first]]}, "
                    f"expected {[hex(v) for v in want_bits[first]]}", pytrace=False)


def assert_same_floats(actual: np.ndarray, expected: np.ndarray) -> None:
    """Like assert_same_bits, but any NaN matches any NaN: for casts, where the NaN payload a
    conversion produces is not specified."""
    assert actual.shape == expected.shape
    actual_values = actual.view(expected.dtype) if actual.dtype.kind == "V" else actual
    with np.errstate(invalid="ignore"):  # widening a signalling NaN is not an error here
        expected_nan = np.isnan(expected.astype(np.float64))
        actual_nan = np.isnan(actual_values.astype(np.float64))
    np.testing.assert_array_equal(actual_nan, expected_nan, err_msg="NaN positions differ")
    assert_same_bits(actual[~expected_nan], expected[~expected_nan])


# --------------------------------------------------------------------------------------------
# .npy and .npz files
# --------------------------------------------------------------------------------------------

def np_save_bytes(array: np.ndarray) -> bytes:
    """What `np.save` writes for `array`."""
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def npy_header(data: bytes) -> dict:
    """The header dict of `.npy` bytes exactly as written (descr, fortran_order, shape):
    the literal text, not numpy's normalised reading of it ('<V2' stays '<V2')."""
    stream = io.BytesIO(data)
    major, _ = np.lib.format.read_magic(stream)
    length_size = 2 if major == 1 else 4
    length = int.from_bytes(stream.read(length_size), "little")
    return ast.literal_eval(stream.read(length).decode("latin-1" if major < 3 else "utf-8"))


def npz_members(path: Path) -> dict[str, bytes]:
    """Every member of a zip archive, by name, as raw (decompressed) bytes."""
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def load_npy(path: Path) -> np.ndarray:
    """A `.npy` file read by numpy, refusing pickles."""
    return np.load(path, allow_pickle=False)


def load_npz(path: Path) -> dict[str, np.ndarray]:
    """Every array of an `.npz` read by numpy, refusing pickles, in archive order."""
    with np.load(path, allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def as_bfloat16(array: np.ndarray) -> np.ndarray:
    """A bfloat16 array read by numpy (opaque 'V2' bytes) viewed as ml_dtypes.bfloat16."""
    assert array.dtype.itemsize == 2 and array.dtype.kind == "V", array.dtype
    return array.view(ml_dtypes.bfloat16)



def tubelet_dtype(array: np.ndarray) -> str:
    """Tubelet's name for `array`'s dtype, whatever its byte order."""
    little = array.dtype.newbyteorder("<") if array.dtype.itemsize > 1 else array.dtype
    for name, dtype in DTYPES.items():
        if dtype == little:
            return name
    raise AssertionError(f"no Tubelet dtype for {array.dtype}")
