"""`tubelet inspect --stats` against numpy.

Tubelet's statistics are over the finite values only (so one NaN does not hide the rest):
min, max, mean and population std (ddof 0), with NaNs and infinities counted separately, and
null min/max/mean/std when a tensor has no finite value. The reference is numpy on
`values[np.isfinite(values)]` widened to float64.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import DTYPES, from_bits, inspect_json, random_array, to_big_endian

RTOL = 1e-9


def tubelet_stats(tmp_path, array: np.ndarray, name: str = "x") -> dict:
    """The `stats` object `inspect --stats --json` reports for `array` saved as NAME.npy."""
    path = tmp_path / f"{name}.npy"
    flags = ["--npy-v2-as-bfloat16"] if array.dtype == DTYPES["bfloat16"] else []
    np.save(path, array)
    report = inspect_json(path, "--stats", *flags)
    [row] = report["tensors"]
    return row["stats"]


def assert_stats_match_numpy(stats: dict, array: np.ndarray) -> None:
    """`stats` agrees with numpy: counts exactly, min and max exactly (they are values of the
    tensor, so the JSON must carry them without loss), mean and std within RTOL."""
    with np.errstate(invalid="ignore"):
        values = np.asarray(array).astype(np.float64).ravel()
    finite = values[np.isfinite(values)]
    assert stats["count"] == values.size
    assert stats["nan_count"] == int(np.isnan(values).sum())
    assert stats["inf_count"] == int(np.isinf(values).sum())
    assert finite.size > 0, "use assert_no_finite_stats for tensors without finite values"
    assert stats["min"] == finite.min()
    assert stats["max"] == finite.max()
    assert stats["mean"] == pytest.approx(finite.mean(), rel=RTOL, abs=1e-300)
    assert stats["std"] == pytest.approx(finite.std(), rel=RTOL, abs=1e-300)


def assert_no_finite_stats(stats: dict) -> None:
    """With no finite value there is nothing to summarise: the four value fields are null."""
    assert (stats["min"], stats["max"], stats["mean"], stats["std"]) == (None, None, None, None)


def test_float32_with_nans_and_infinities(tmp_path):
    """NaNs (with payloads, both signs) and ±Inf are counted and left out of min, max, mean
    and std, which match numpy over the finite values."""
    rng = np.random.default_rng(50)
    array = (rng.standard_normal(10_000) * 3 + 1).astype(np.float32)
    positions = rng.choice(array.size, 60, replace=False)
    array[positions[:20]] = from_bits([0x7FC00000, 0xFFC00001, 0x7F800123, 0x7FFFFFFF] * 5, np.float32)
    array[positions[20:35]] = np.inf
    array[positions[35:60]] = -np.inf

    stats = tubelet_stats(tmp_path, array.reshape(100, 100))

    assert (stats["nan_count"], stats["inf_count"]) == (20, 40)
    assert_stats_match_numpy(stats, array)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_float_dtypes(tmp_path, dtype):
    """Every float dtype, with its special values: NaNs, ±Inf, ±0 and subnormals.

    ±max is left out (except for float16, where it is small): +max and -max cancel in the
    sum, so the mean's condition number is ~1e37 and no summation order gives rtol 1e-9.
    """
    rng = np.random.default_rng(51)
    array = np.concatenate([
        (rng.standard_normal(5000) * 10).astype(DTYPES[dtype]),
        random_array(dtype, (17,)),  # the special values
    ])
    with np.errstate(invalid="ignore"):
        array = array[~(np.abs(array.astype(np.float64)) > 1e30)]

    assert_stats_match_numpy(tubelet_stats(tmp_path, array), array)


@pytest.mark.parametrize("offset", [
    0.0,
    1e3,
    1e6,
    1e9,
])
def test_float64_mean_and_std_are_accurate(tmp_path, offset):
    """float64 data agrees with numpy within rtol 1e-9, also when the mean is large compared
    with the spread (where one-pass formulas lose digits)."""
    array = offset + np.random.default_rng(52).standard_normal(100_000)

    assert_stats_match_numpy(tubelet_stats(tmp_path, array), array)


def test_extreme_values_survive_the_json(tmp_path):
    """min and max are printed exactly, even for the smallest subnormal and values with long
    decimal expansions, and a tiny spread is not lost."""
    array = np.array([5e-324, 2.2250738585072014e-308, 1 / 3, 0.1, 1e-310, 2.0**-1074 * 3])

    assert_stats_match_numpy(tubelet_stats(tmp_path, array), array)


def test_float64_near_the_largest_finite_value(tmp_path):
    """Finite values near ±1.8e308 (whose differences overflow) still give exit status 0 and
    finite statistics: numpy's mean, and the true std (computed on scaled-down data, since
    numpy's own std overflows to Inf here)."""
    array = np.array([1.7e308, -1.7e308, 1e308, -0.5e308])

    stats = tubelet_stats(tmp_path, array)

    scale = 2.0**-1000  # exact: scaling by a power of two changes no digit
    assert stats["min"] == -1.7e308 and stats["max"] == 1.7e308
    assert stats["mean"] == pytest.approx(array.mean(), rel=RTOL)
    assert stats["std"] == pytest.approx((array * scale).std() / scale, rel=RTOL)


def test_big_endian_gives_the_same_stats(tmp_path):
    """Byte order does not change the numbers: a '>f8' array has its '<f8' twin's stats."""
    array = np.random.default_rng(53).standard_normal(1000)

    little = tubelet_stats(tmp_path, array, name="little")
    big = tubelet_stats(tmp_path, to_big_endian(array), name="big")

    assert big == little
    assert_stats_match_numpy(big, array)


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "int64", "uint16", "uint32", "uint64"])
def test_integer_tensors(tmp_path, dtype):
    """Integer tensors over their full range: no NaN or Inf, and numpy's min, max, mean, std
    (min and max as the nearest float64, which is what JSON numbers carry)."""
    array = random_array(dtype, (64, 50), seed=54)

    stats = tubelet_stats(tmp_path, array)

    assert (stats["nan_count"], stats["inf_count"]) == (0, 0)
    assert_stats_match_numpy(stats, array)


def test_bool_tensor(tmp_path):
    """A bool tensor counts False as 0 and True as 1: its mean is the fraction of Trues."""
    array = np.random.default_rng(55).random((30, 40)) < 0.3

    stats = tubelet_stats(tmp_path, array)

    assert (stats["min"], stats["max"]) == (0, 1)
    assert_stats_match_numpy(stats, array)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_all_nan_tensor_has_null_values(tmp_path, dtype):
    """A tensor of NaNs only has no finite value: null min, max, mean and std, every
    element counted as NaN."""
    array = np.full((4, 8), np.nan, DTYPES[dtype])

    stats = tubelet_stats(tmp_path, array)

    assert_no_finite_stats(stats)
    assert (stats["count"], stats["nan_count"], stats["inf_count"]) == (32, 32, 0)


def test_all_infinite_tensor_has_null_values(tmp_path):
    """±Inf only: no finite value either, every element counted as Inf."""
    array = np.array([np.inf, -np.inf, np.inf], np.float32)

    stats = tubelet_stats(tmp_path, array)

    assert_no_finite_stats(stats)
    assert (stats["count"], stats["nan_count"], stats["inf_count"]) == (3, 0, 3)


def test_empty_tensor(tmp_path):
    """An empty tensor has count 0 and nothing to summarise."""
    stats = tubelet_stats(tmp_path, np.zeros((3, 0, 2), np.float32))

    assert_no_finite_stats(stats)
    assert (stats["count"], stats["nan_count"], stats["inf_count"]) == (0, 0, 0)


def test_scalar_tensor(tmp_path):
    """A 0-d tensor is one value: min = max = mean = it, std 0."""
    stats = tubelet_stats(tmp_path, np.array(-2.5, np.float32))

    assert stats == {"count": 1, "min": -2.5, "max": -2.5, "mean": -2.5, "std": 0,
                     "nan_count": 0, "inf_count": 0}
