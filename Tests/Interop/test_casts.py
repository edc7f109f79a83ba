"""`tubelet convert --dtype`: floating-point casts that agree bit for bit with the reference
libraries, and integer/bool tensors that pass through untouched.

The inputs are chosen to hit every rounding decision: random bit patterns (so every exponent,
subnormals, infinities and NaNs occur), each float dtype's special values, and, for every
narrowing cast, every value exactly halfway between two neighbouring values of the target
type together with the nearest source values on either side of it. For 16-bit targets the
halfway points are exhaustive (all 2 × 31 744 float16 and 2 × 32 640 bfloat16 gaps, including
the one past the largest finite value, where ties round to ±Inf). NaN only has to stay NaN:
which NaN a conversion produces is not specified.
"""

from __future__ import annotations

import bisect
from fractions import Fraction
from functools import cache

import numpy as np
import pytest

from conftest import (
    DTYPES,
    assert_same_bits,
    assert_same_floats,
    bits_of,
    convert,
    from_bits,
    load_npz,
    random_array,
    run_tubelet,
    special_values,
)

BFLOAT16 = DTYPES["bfloat16"]
RANDOM_COUNT = 100_000


def bfloat16_rounded_once(values: np.ndarray) -> np.ndarray:
    """float64 → bfloat16, correctly rounded (nearest, ties to even) in a single step.

    Going through float32 (as ml_dtypes' `astype(bfloat16)` from float64 did before 0.7)
    rounds twice: a float64 just above (below) a bfloat16 tie first rounds *onto* the tie in
    float32 and then to even, which can be the wrong neighbour (see
    test_float64_to_bfloat16_rounds_once). Tubelet rounds once, so the reference does too, on
    its own whatever ml_dtypes' version does: it narrows to float32 with round-to-odd
    (truncate, then set the last bit if anything was lost), which keeps enough information for
    ml_dtypes' float32 → bfloat16 rounding to be exact (float32 has 16 bits more than
    bfloat16 at every exponent).
    """
    values = np.asarray(values, np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        narrowed = values.astype(np.float32)
        widened = narrowed.astype(np.float64)
        inexact = np.isfinite(values) & (widened != values)
        overshot = inexact & (np.abs(widened) > np.abs(values))
    bits = narrowed.view(np.uint32).copy()
    bits[overshot] -= 1  # one step toward zero (sign-magnitude); also turns Inf into the max
    bits[inexact] |= 1   # the sticky bit: "inexact" survives as an odd last bit
    return bits.view(np.float32).astype(BFLOAT16)


def widened(target: str):
    """Reference for a widening cast: numpy/ml_dtypes astype, which is exact."""
    return lambda values: values.astype(DTYPES[target])


#: (source, target) → the reference conversion.
REFERENCES = {
    # Narrowing, one rounding each.
    ("float32", "float16"): lambda v: v.astype(np.float16),                   # numpy
    ("float32", "bfloat16"): lambda v: v.astype(BFLOAT16),                    # ml_dtypes
    ("float64", "float16"): lambda v: v.astype(np.float16),                   # numpy: direct, not via float32
    ("float64", "bfloat16"): bfloat16_rounded_once,                           # see above
    ("float64", "float32"): lambda v: v.astype(np.float32),                   # numpy
    ("float16", "bfloat16"): lambda v: v.astype(np.float32).astype(BFLOAT16),  # exact widening, one rounding
    ("bfloat16", "float16"): lambda v: v.astype(np.float32).astype(np.float16),
    # Widening, exact.
    ("bfloat16", "float32"): widened("float32"),
    ("float16", "float32"): widened("float32"),
    ("bfloat16", "float64"): widened("float64"),
    ("float16", "float64"): widened("float64"),
    ("float32", "float64"): widened("float64"),
}


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------

@cache
def all_finite_nonnegative(dtype_name: str) -> np.ndarray:
    """Every finite value ≥ +0 of a 16-bit float dtype, in increasing order."""
    largest = {"float16": 0x7BFF, "bfloat16": 0x7F7F}[dtype_name]
    return from_bits(np.arange(largest + 1), DTYPES[dtype_name])


def halfway_points(target: str, count_for_wide_targets: int = RANDOM_COUNT) -> np.ndarray:
    """float64 values exactly halfway between neighbouring positive values of `target`,
    including the gap above the largest finite value (where a tie overflows to Inf).

    For 16-bit targets these are all of them; for float32, those above random values.
    """
    if target in ("float16", "bfloat16"):
        lower = all_finite_nonnegative(target).astype(np.float64)
    else:
        rng = np.random.default_rng(30)
        lower_bits = np.concatenate([
            rng.integers(0, 0x7F7FFFFF, size=count_for_wide_targets, dtype=np.uint32),
            np.array([0, 0x7F7FFFFF], np.uint32),  # +0 and the largest finite value
        ])
        lower = np.unique(lower_bits.view(np.float32)).astype(np.float64)  # sorted
    with np.errstate(over="ignore"):
        upper = np.nextafter(lower.astype(DTYPES[target]), np.array(np.inf, DTYPES[target])).astype(np.float64)
    # Past the largest finite value the next step is as wide as the last finite gap.
    largest = lower[-1]
    below_largest = np.nextafter(np.array(largest, DTYPES[target]), np.array(0, DTYPES[target]))
    upper[-1] = largest + (largest - float(below_largest))
    return (lower + upper) / 2  # exact: one more bit than `target` has


def around(points: np.ndarray, source: str) -> np.ndarray:
    """`points` as `source` values, with the neighbouring `source` value on either side, and
    all of it again negated."""
    exact = points.astype(DTYPES[source])
    assert np.array_equal(exact.astype(np.float64), points), "a halfway point is not exact in the source"
    up = np.nextafter(exact, np.array(np.inf, exact.dtype))
    down = np.nextafter(exact, np.array(-np.inf, exact.dtype))
    both_signs = np.concatenate([exact, up, down])
    return np.concatenate([both_signs, -both_signs])


def cast_inputs(source: str, target: str) -> np.ndarray:
    """The values a `source` → `target` cast is tested on (see the module docstring)."""
    parts = [special_values(source)]
    if source in ("float16", "bfloat16"):
        parts.append(from_bits(np.arange(1 << 16), DTYPES[source]))  # every value
    else:
        parts.append(random_array(source, (RANDOM_COUNT,), seed=31))
        if DTYPES[target].itemsize < DTYPES[source].itemsize:
            parts.append(around(halfway_points(target), source))
    return np.concatenate([part.astype(DTYPES[source]) for part in parts])


def cast_with_tubelet(tmp_path, values: np.ndarray, target: str, source: str) -> np.ndarray:
    """Runs `tubelet convert --dtype TARGET` on `values` and returns the result as numpy
    reads it (bfloat16 viewed as ml_dtypes.bfloat16)."""
    path = tmp_path / "in.npz"
    np.savez(path, x=values)
    flags = ["--npy-v2-as-bfloat16"] if source == "bfloat16" else []
    result = load_npz(convert(path, tmp_path / "out.npz", "--dtype", target, *flags))["x"]
    return result.view(BFLOAT16) if target == "bfloat16" else result


# --------------------------------------------------------------------------------------------
# Casts against the references
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("source", "target"), list(REFERENCES), ids=lambda n: n)
def test_cast_matches_reference(tmp_path, source, target):
    """Each cast gives the reference library's result bit for bit (NaN: any NaN), over random
    values of every exponent, the special values, and every halfway point ± 1 ulp."""
    values = cast_inputs(source, target)

    result = cast_with_tubelet(tmp_path, values, target, source)

    with np.errstate(over="ignore", invalid="ignore"):
        expected = REFERENCES[(source, target)](values)
    assert_same_floats(result, expected)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_cast_to_the_same_dtype_changes_nothing(tmp_path, dtype):
    """--dtype naming a tensor's own dtype leaves every bit alone, NaN payloads included."""
    values = random_array(dtype, (4096,), seed=32)

    result = cast_with_tubelet(tmp_path, values, dtype, dtype)

    assert_same_bits(result, values)


BF16_MAX = (2 - 2**-7) * 2.0**127
BF16_OVERFLOW_TIE = (2 - 2**-8) * 2.0**127  # halfway from BF16_MAX to the next power of two

# Hand-picked cases whose expected results are worked out by hand.
HAND_PICKED = [
    # (source dtype, target, value, expected result as a float)
    ("float32", "float16", 1 + 2**-11, 1.0),                      # tie, rounds to even (down)
    ("float32", "float16", 1 + 3 * 2**-11, 1 + 2**-9),            # tie, rounds to even (up)
    ("float32", "float16", 65504.0, 65504.0),                     # largest finite
    ("float32", "float16", 65519.99609375, 65504.0),              # just below the overflow tie
    ("float32", "float16", 65520.0, np.inf),                      # overflow tie → Inf
    ("float32", "float16", -1e10, -np.inf),
    ("float32", "float16", 2**-24, 2**-24),                       # smallest subnormal
    ("float32", "float16", 2**-25, 0.0),                          # half of it: tie to even 0
    ("float32", "float16", 3 * 2**-25, 2**-23),                   # tie to even, up
    ("float32", "float16", -2**-26, -0.0),                        # underflow keeps the sign
    ("float32", "bfloat16", 1 + 2**-8, 1.0),                      # tie to even (down)
    ("float32", "bfloat16", 1 + 3 * 2**-8, 1 + 2**-6),            # tie to even (up)
    ("float32", "bfloat16", BF16_MAX, BF16_MAX),                  # largest finite bfloat16
    ("float32", "bfloat16", BF16_OVERFLOW_TIE, np.inf),           # overflow tie → Inf
    ("float32", "bfloat16", -BF16_OVERFLOW_TIE * (1 - 2**-20), -BF16_MAX),  # just below it
    ("float32", "bfloat16", 2**-133, 2**-133),                    # smallest subnormal bfloat16
    ("float32", "bfloat16", 2**-134, 0.0),                        # tie to even 0
    ("float32", "bfloat16", -0.0, -0.0),
    ("float64", "float16", 1 + 2**-11 + 2**-40, 1 + 2**-10),      # just above a tie: up (float32 would round onto the tie)
    ("float64", "float16", 1 + 3 * 2**-11 - 2**-40, 1 + 2**-10),  # just below a tie: down
    ("float64", "float16", 1e300, np.inf),
    ("float64", "float16", 1e-300, 0.0),
    ("float64", "bfloat16", 1 + 2**-8 + 2**-30, 1 + 2**-7),       # just above a tie: up (via float32: 1.0)
    ("float64", "bfloat16", 1 + 3 * 2**-8 - 2**-30, 1 + 2**-7),   # just below a tie: down (via float32: 1 + 2**-6)
    ("float64", "bfloat16", 1e300, np.inf),
    ("float64", "bfloat16", -1e-300, -0.0),
    ("float64", "bfloat16", 3.5e38, np.inf),                      # beyond float32's range
    ("float64", "bfloat16", BF16_OVERFLOW_TIE - 2**90, BF16_MAX),   # just below the overflow tie
    ("float64", "float32", 1 + 2**-24, 1.0),                      # tie to even
    ("float64", "float32", 1 + 2**-24 + 2**-50, 1 + 2**-23),  # just above the tie
    ("float64", "float32", 1e-50, 0.0),
    ("float64", "float32", 1e39, np.inf),
]


@pytest.mark.parametrize(("source", "target", "value", "expected"), HAND_PICKED,
                         ids=[f"{s}-{t}-{v!r}" for s, t, v, _ in HAND_PICKED])
def test_hand_picked_rounding(tmp_path, source, target, value, expected):
    """Ties to even, overflow to ±Inf, subnormals, underflow to signed zero, and the
    double-rounding traps of float64 sources, each with its worked-out answer."""
    values = np.array([value], DTYPES[source])
    assert values[0] == value, "the test value is not exact in the source dtype"

    result = cast_with_tubelet(tmp_path, values, target, source)

    assert_same_bits(result, np.array([expected], DTYPES[target]))


def test_float64_to_bfloat16_rounds_once(tmp_path):
    """float64 → bfloat16 is rounded once, against an exact (rational-arithmetic) oracle.

    Rounding via float32 (ml_dtypes' astype before 0.7) differs here: for 1 + 2**-8 + 2**-30
    it gives 1.0, though 1 + 2**-7 is nearer. Tubelet promises single rounding (FloatBits.bfloat16),
    which is what the exact oracle says.
    """
    rng = np.random.default_rng(33)
    near_ties = around(halfway_points("bfloat16")[rng.choice(32640, 300, replace=False)], "float64")
    values = np.concatenate([near_ties, random_array("float64", (2000,), seed=34)])
    values = values[np.isfinite(values)]

    result = cast_with_tubelet(tmp_path, values, "bfloat16", "float64")

    expected = np.array([exact_bfloat16(v) for v in values], BFLOAT16)
    assert_same_bits(result, expected)


def test_rounded_once_reference_differs_from_rounding_via_float32_only_on_double_roundings():
    """The float64 → bfloat16 reference used above agrees with rounding twice, float64 →
    float32 → bfloat16 (each step one correct rounding by numpy and ml_dtypes), except where
    the first step is inexact and lands on a bfloat16 tie; there, and on a sample of the rest,
    it is what the exact oracle says. A check of the oracle itself (no tubelet run), built
    only on single roundings, so it holds whichever way ml_dtypes casts float64 directly."""
    values = cast_inputs("float64", "bfloat16")
    values = values[~np.isnan(values)]

    with np.errstate(over="ignore", invalid="ignore"):
        via_float32 = values.astype(np.float32)
        ours, twice = bfloat16_rounded_once(values), via_float32.astype(BFLOAT16)
    differ = bits_of(ours) != bits_of(twice)
    on_a_tie = (bits_of(via_float32) & 0xFFFF) == 0x8000
    inexact = via_float32.astype(np.float64) != values

    assert differ.any(), "the sample should contain double-rounding cases"
    assert not (differ & ~(on_a_tie & inexact)).any()
    sample = np.random.default_rng(35).choice(len(values), 3000, replace=False)
    sample = np.concatenate([sample, np.flatnonzero(differ)[:500]])
    exact = np.array([exact_bfloat16(v) for v in values[sample]], BFLOAT16)
    np.testing.assert_array_equal(bits_of(exact), bits_of(ours[sample]))


@cache
def bfloat16_ladder() -> list[float]:
    """Every non-negative finite bfloat16 as a float, ascending."""
    return all_finite_nonnegative("bfloat16").astype(np.float64).tolist()


def exact_bfloat16(value: float) -> float:
    """`value` rounded to bfloat16 with exact rational arithmetic (nearest, ties to even)."""
    ladder = bfloat16_ladder()
    magnitude = abs(float(value))
    overflow_tie = Fraction(ladder[-1]) + (Fraction(ladder[-1]) - Fraction(ladder[-2])) / 2
    if Fraction(magnitude) >= overflow_tie:
        result = np.inf
    else:
        index = bisect.bisect_right(ladder, magnitude) - 1
        low = ladder[index]
        high = ladder[index + 1] if index + 1 < len(ladder) else float(2 * overflow_tie - Fraction(low))
        below, above = Fraction(magnitude) - Fraction(low), Fraction(high) - Fraction(magnitude)
        if below < above or (below == above and index % 2 == 0):
            result = low
        else:
            result = high
    return float(np.copysign(result, value))


# --------------------------------------------------------------------------------------------
# What is not cast
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("target", ["float16", "bfloat16", "float32", "float64"])
def test_integer_and_bool_tensors_pass_through(tmp_path, target):
    """--dtype casts floating-point tensors only: integer and bool tensors keep their dtype
    and every bit, in the same archive as a float tensor that is cast."""
    untouched = {name: random_array(name, (6, 7), seed=i)
                 for i, name in enumerate(["bool", "uint8", "int8", "int16", "int32", "int64",
                                           "uint16", "uint32", "uint64"])}
    floats = random_array("float32", (6, 7), seed=40)
    path = tmp_path / "in.npz"
    np.savez(path, floats=floats, **untouched)

    result = load_npz(convert(path, tmp_path / "out.npz", "--dtype", target))

    assert list(result) == ["floats", *untouched]
    for name, array in untouched.items():
        assert_same_bits(result[name], array)
    cast = result["floats"].view(BFLOAT16) if target == "bfloat16" else result["floats"]
    with np.errstate(over="ignore", invalid="ignore"):
        expected = floats.astype(DTYPES[target])
    assert_same_floats(cast, expected)


@pytest.mark.parametrize("target", ["int8", "bool", "uint64"])
def test_dtype_must_be_a_float(tmp_path, target):
    """--dtype with a non-float dtype is a usage error (exit 64), and writes nothing."""
    path = tmp_path / "in.npz"
    np.savez(path, x=np.ones(3, np.float32))

    process = run_tubelet(["convert", path, tmp_path / "out.npz", "--dtype", target], expect_rc=64)

    assert "--dtype" in process.stderr
    assert not (tmp_path / "out.npz").exists()
