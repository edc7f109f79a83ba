"""Tubelet → numpy: the `.npy` and `.npz` files Tubelet writes are what numpy itself writes.

A `.npy` must be byte-identical to `np.save`'s output for the same array (header text, the
spare "growth" spaces after it, and the padding that puts the data on a 64-byte boundary),
so tools that compare or memory-map files see no difference. An `.npz` must load in `np.load`
with the right keys and values, and be reproducible byte for byte.
"""

from __future__ import annotations

import zipfile

import ml_dtypes
import numpy as np
import pytest

from conftest import (
    DTYPES,
    as_bfloat16,
    assert_same_bits,
    convert,
    inspect_json,
    load_npz,
    np_save_bytes,
    npz_members,
    random_array,
)

#: Shapes whose header text differs in length, so the padding before the data changes: every
#: rank from 0 to 12, first dimensions of 1 to 19 digits (empty arrays, so no data is needed),
#: and the ordinary and large cases.
NPY_SHAPES = (
    [(), (0,), (1,), (7,), (2, 3), (3, 0, 2), (123456,), (1000, 0, 1000)]
    + [(2,) * rank for rank in range(2, 13)]
    + [(10 ** digits, 0) for digits in range(19)]
    + [(0, 10 ** digits) for digits in (5, 12, 18)]
)


def save_as_npz(path, arrays: dict[str, np.ndarray], compressed: bool = False):
    """Writes `arrays` with numpy, for Tubelet to read; returns the path."""
    (np.savez_compressed if compressed else np.savez)(path, **arrays)
    return path


def read_flags(arrays: dict[str, np.ndarray]) -> list[str]:
    """--npy-v2-as-bfloat16 when numpy wrote a bfloat16 array as '<V2'."""
    return ["--npy-v2-as-bfloat16"] if any(a.dtype == DTYPES["bfloat16"] for a in arrays.values()) else []


# --------------------------------------------------------------------------------------------
# .npy byte identity
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", list(DTYPES))
def test_npy_is_byte_identical_to_np_save_for_every_dtype(tmp_path, dtype):
    """For each dtype, the .npy Tubelet writes equals np.save's bytes exactly (descr spelling
    such as '|b1', '<V2' for bfloat16, header padding, data)."""
    array = random_array(dtype, (3, 5), seed=11)
    arrays = {"x": array}
    source = save_as_npz(tmp_path / "in.npz", arrays)

    written = convert(source, tmp_path / "out.npy", *read_flags(arrays)).read_bytes()

    assert written == np_save_bytes(array)


@pytest.mark.parametrize("shape", NPY_SHAPES, ids=str)
def test_npy_is_byte_identical_to_np_save_for_every_header_length(tmp_path, shape):
    """np.save pads the header with 21 - len(repr(shape[0])) spare spaces and then to a
    64-byte boundary; over shapes whose header text has many lengths, Tubelet's bytes equal
    numpy's."""
    array = random_array("float32", shape, seed=12)
    source = save_as_npz(tmp_path / "in.npz", {"x": array})

    written = convert(source, tmp_path / "out.npy").read_bytes()

    assert written == np_save_bytes(array)


@pytest.mark.parametrize("dtype", ["float64", "int16", "bool", "bfloat16"])
def test_npy_from_a_non_canonical_source_is_what_np_save_writes(tmp_path, dtype):
    """A big-endian or Fortran-order input is written exactly as np.save writes the same
    values little-endian in C order."""
    base = random_array(dtype, (3, 4, 2), seed=13)
    source_array = np.asfortranarray(base)
    if dtype in ("float64", "int16"):
        source_array = np.asfortranarray(base.byteswap().view(base.dtype.newbyteorder(">")))
    source = tmp_path / "in.npy"
    np.save(source, source_array)
    flags = read_flags({"x": base})

    written = convert(source, tmp_path / "out.npy", *flags).read_bytes()

    assert written == np_save_bytes(np.ascontiguousarray(base))


# --------------------------------------------------------------------------------------------
# .npz that numpy loads
# --------------------------------------------------------------------------------------------

def model_arrays() -> dict[str, np.ndarray]:
    """Every dtype under a Flax-style '/' name, plus a 0-d and an empty array."""
    arrays = {f"Transformer/{name}/kernel": random_array(name, (3, 4), seed=i)
              for i, name in enumerate(DTYPES)}
    arrays["Transformer/scalar"] = np.array(np.pi)
    arrays["Transformer/empty"] = np.zeros((0, 3), np.float32)
    return arrays


COMPRESSION = {
    "none": zipfile.ZIP_STORED,
    "deflate": zipfile.ZIP_DEFLATED,
    "deflate:1": zipfile.ZIP_DEFLATED,
    "deflate:9": zipfile.ZIP_DEFLATED,
}


@pytest.mark.parametrize("compress", list(COMPRESSION))
def test_npz_loads_in_numpy_with_the_same_keys_and_values(tmp_path, compress):
    """np.load of Tubelet's archive (stored or deflated at any level) lists the keys without
    '.npy' and with their '/', in order, and every value is bit-identical; bfloat16 comes
    back as 2-byte opaque values whose bfloat16 view equals the original."""
    arrays = model_arrays()
    source = save_as_npz(tmp_path / "in.npz", arrays)

    output = convert(source, tmp_path / "out.npz", *read_flags(arrays), "--compress", compress)
    result = load_npz(output)

    assert list(result) == list(arrays)
    for name, array in arrays.items():
        if array.dtype == DTYPES["bfloat16"]:
            assert result[name].dtype.str in ("<V2", "|V2")
            assert_same_bits(as_bfloat16(result[name]), array)
        else:
            assert_same_bits(result[name], array)
    with zipfile.ZipFile(output) as archive:
        assert archive.testzip() is None, "a member's CRC is wrong"
        assert {info.compress_type for info in archive.infolist()} == {COMPRESSION[compress]}


def test_npz_members_are_exactly_what_np_save_writes(tmp_path):
    """Each member is named KEY.npy and holds np.save's bytes for that array, as in an
    archive written by np.savez; nothing else is in the archive."""
    arrays = model_arrays()
    source = save_as_npz(tmp_path / "in.npz", arrays)

    members = npz_members(convert(source, tmp_path / "out.npz", *read_flags(arrays)))

    assert list(members) == [name + ".npy" for name in arrays]
    for name, array in arrays.items():
        assert members[name + ".npy"] == np_save_bytes(array), name


def test_bfloat16_written_by_tubelet_is_read_back_as_bfloat16(tmp_path):
    """Tubelet's own archive remembers which '<V2' members are bfloat16, so reading it back
    needs no flag, while numpy still loads it (the note is in the zip comment it ignores)."""
    array = random_array("bfloat16", (8, 3), seed=14)
    source = tmp_path / "in.npy"
    np.save(source, array)

    output = convert(source, tmp_path / "out.npz", "--npy-v2-as-bfloat16")
    report = inspect_json(output)

    assert [(row["name"], row["dtype"]) for row in report["tensors"]] == [("in", "bfloat16")]
    assert_same_bits(as_bfloat16(load_npz(output)["in"]), array)


def test_bfloat16_npz_converts_again_bit_exactly(tmp_path):
    """bfloat16 survives Tubelet → Tubelet → numpy: a second conversion of Tubelet's archive
    (no flag) keeps the values and the bfloat16 marking."""
    array = random_array("bfloat16", (5, 5), seed=15)
    source = tmp_path / "in.npy"
    np.save(source, array)

    first = convert(source, tmp_path / "first.npz", "--npy-v2-as-bfloat16")
    second = convert(first, tmp_path / "second.npz")

    assert inspect_json(second)["tensors"][0]["dtype"] == "bfloat16"
    assert_same_bits(load_npz(second)["in"].view(ml_dtypes.bfloat16), array)


# --------------------------------------------------------------------------------------------
# Reproducibility
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("compress", ["none", "deflate"])
def test_npz_output_depends_only_on_the_tensors(tmp_path, compress):
    """The same tensors always give the same bytes: converting twice gives identical files,
    even from differently written inputs (np.savez vs np.savez_compressed), and every member
    carries the fixed 1980-01-01 timestamp rather than the current time."""
    arrays = model_arrays()
    stored = save_as_npz(tmp_path / "stored.npz", arrays)
    deflated = save_as_npz(tmp_path / "deflated.npz", arrays, compressed=True)
    flags = [*read_flags(arrays), "--compress", compress]

    first = convert(stored, tmp_path / "first.npz", *flags).read_bytes()
    second = convert(stored, tmp_path / "second.npz", *flags).read_bytes()
    third = convert(deflated, tmp_path / "third.npz", *flags).read_bytes()

    assert first == second
    assert first == third
    with zipfile.ZipFile(tmp_path / "first.npz") as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
