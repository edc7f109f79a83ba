"""numpy → Tubelet: files written by `np.save`, `np.savez` and `np.savez_compressed` are read
correctly.

Each test saves arrays with numpy, checks what `tubelet inspect --json` reports about them,
and converts them with `tubelet convert` to `.npy`/`.npz`, which numpy loads back: the values
must be bit-identical to the originals, in little-endian C order, whatever byte order and
memory order the input had.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import ml_dtypes
import numpy as np
import pytest

from conftest import (
    DTYPES,
    assert_error_line,
    assert_same_bits,
    convert,
    inspect_json,
    load_npy,
    load_npz,
    npy_header,
    random_array,
    run_tubelet,
    to_big_endian,
    tubelet_dtype,
)

#: Shapes every dtype is tried with: a matrix big enough to hold every special float value,
#: a 0-d array, and two empty arrays (one with a zero in the middle).
SHAPES = [(4, 5), (), (0,), (3, 0, 2)]

BIG_ENDIAN_DESCRS = [">i2", ">i4", ">i8", ">u2", ">u4", ">u8", ">f2", ">f4", ">f8"]


def read_flags(*arrays: np.ndarray) -> list[str]:
    """The flag Tubelet needs to read numpy-written bfloat16 ('<V2'), if any array is one."""
    return ["--npy-v2-as-bfloat16"] if any(a.dtype == DTYPES["bfloat16"] for a in arrays) else []


def expected_row(name: str, array: np.ndarray) -> dict:
    """The inspect row Tubelet should print for `array` stored under `name`."""
    return {
        "name": name,
        "dtype": tubelet_dtype(array),
        "shape": list(array.shape),
        "parameters": int(array.size),
        "bytes": int(array.nbytes),
    }


def load_single(path: Path, name: str) -> np.ndarray:
    """The array Tubelet wrote to `path`: a `.npy`, or the member `name` of an `.npz`."""
    if path.suffix == ".npy":
        return load_npy(path)
    arrays = load_npz(path)
    assert list(arrays) == [name]
    return arrays[name]


def write_npy_by_hand(path: Path, descr: str, fortran_order: bool, shape: tuple, data: bytes) -> None:
    """A `.npy` with exactly this header, for layouts `np.save` never writes (it only writes
    fortran_order True for arrays that are not also C-contiguous)."""
    with open(path, "wb") as file:
        np.lib.format.write_array_header_1_0(
            file, {"descr": descr, "fortran_order": fortran_order, "shape": shape})
        file.write(data)


# --------------------------------------------------------------------------------------------
# Single .npy files, every dtype
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", list(DTYPES))
def test_inspect_npy_reports_name_dtype_shape_and_size(tmp_path, dtype, shape):
    """inspect describes an np.save'd array: the tensor is named after the file's stem, and
    dtype, shape, parameter count and byte count match numpy's."""
    array = random_array(dtype, shape)
    path = tmp_path / "pos_embedding.npy"
    np.save(path, array)

    report = inspect_json(path, *read_flags(array))

    assert report["format"] == "npy"
    assert report["file"] == str(path)
    assert report["tensors"] == [expected_row("pos_embedding", array)]
    assert report["totals"] == {"tensors": 1, "parameters": array.size, "bytes": array.nbytes}


@pytest.mark.parametrize("output", ["out.npy", "out.npz"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", list(DTYPES))
def test_convert_npy_keeps_every_bit(tmp_path, dtype, shape, output):
    """Converting an np.save'd array to .npy or .npz gives numpy the same values bit for bit
    (special floats, NaN payloads and -0.0 included)."""
    array = random_array(dtype, shape, seed=1)
    source = tmp_path / "weights.npy"
    np.save(source, array)

    result = convert(source, tmp_path / output, *read_flags(array))

    assert_same_bits(load_single(result, "weights"), array)


def test_numpy_bfloat16_needs_the_opt_in_flag(tmp_path):
    """ml_dtypes saves bfloat16 as '<V2', which could be any 2-byte record: without
    --npy-v2-as-bfloat16 Tubelet refuses it with an error naming the flag, not a guess."""
    path = tmp_path / "scale.npy"
    np.save(path, np.ones(4, dtype=ml_dtypes.bfloat16))
    assert npy_header(path.read_bytes())["descr"] == "<V2"

    process = run_tubelet(["inspect", path, "--json"], expect_rc=1)

    assert_error_line(process, path, "'scale'", "--npy-v2-as-bfloat16")


def test_numpy_bfloat16_is_read_as_bfloat16_with_the_flag(tmp_path):
    """With --npy-v2-as-bfloat16, an ml_dtypes bfloat16 array is a bfloat16 tensor whose
    values come back (as '<V2' bytes, viewed as bfloat16) unchanged."""
    array = random_array("bfloat16", (64,), seed=2)
    path = tmp_path / "scale.npy"
    np.save(path, array)

    report = inspect_json(path, "--npy-v2-as-bfloat16")
    result = load_npy(convert(path, tmp_path / "out.npy", "--npy-v2-as-bfloat16"))

    assert report["tensors"][0]["dtype"] == "bfloat16"
    assert result.dtype.str in ("<V2", "|V2")
    assert_same_bits(result.view(ml_dtypes.bfloat16), array)


# --------------------------------------------------------------------------------------------
# Byte order and memory order
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("output", ["out.npy", "out.npz"])
@pytest.mark.parametrize("descr", BIG_ENDIAN_DESCRS)
def test_big_endian_npy_is_converted_to_little_endian(tmp_path, descr, output):
    """A big-endian array is reported under its plain dtype name and written little-endian
    with the same values, byte-swapped without any float conversion."""
    little = np.dtype(descr).newbyteorder("<").str
    array = to_big_endian(random_array(tubelet_dtype(np.empty(0, little)), (4, 6), seed=3))
    source = tmp_path / "weights.npy"
    np.save(source, array)
    assert npy_header(source.read_bytes())["descr"] == descr

    report = inspect_json(source)
    result = load_single(convert(source, tmp_path / output), "weights")

    assert report["tensors"] == [expected_row("weights", array)]
    assert result.dtype.str == little
    assert_same_bits(result, array)


FORTRAN_CASES = [
    ("float32", (2, 3)),
    ("float32", (4, 3, 5)),
    ("int16", (3, 7)),
    ("bool", (5, 2, 3)),
    ("float64", (2, 3, 4)),
    ("bfloat16", (6, 4)),
    ("uint8", (3, 2, 2, 4)),
]


@pytest.mark.parametrize("output", ["out.npy", "out.npz"])
@pytest.mark.parametrize(("dtype", "shape"), FORTRAN_CASES, ids=lambda case: str(case))
def test_fortran_order_npy_is_converted_to_c_order(tmp_path, dtype, shape, output):
    """An np.asfortranarray array (fortran_order: True in the header) keeps its logical shape
    and is written in C order with every element in its place."""
    array = np.asfortranarray(random_array(dtype, shape, seed=4))
    source = tmp_path / "weights.npy"
    np.save(source, array)
    assert npy_header(source.read_bytes())["fortran_order"] is True

    report = inspect_json(source, *read_flags(array))
    result_path = convert(source, tmp_path / output, *read_flags(array))
    result = load_single(result_path, "weights")

    assert report["tensors"] == [expected_row("weights", array)]
    assert result.flags.c_contiguous
    if output == "out.npy":
        assert npy_header(result_path.read_bytes())["fortran_order"] is False
    assert_same_bits(result, array)


def test_big_endian_fortran_order_npy(tmp_path):
    """Byte swapping and transposition together: a big-endian Fortran-order 3-D float64."""
    array = np.asfortranarray(to_big_endian(random_array("float64", (3, 4, 5), seed=5)))
    source = tmp_path / "weights.npy"
    np.save(source, array)
    header = npy_header(source.read_bytes())
    assert (header["descr"], header["fortran_order"]) == (">f8", True)

    result = load_npy(convert(source, tmp_path / "out.npy"))

    assert_same_bits(result, array)


@pytest.mark.parametrize("version", [(1, 0), (2, 0), (3, 0)], ids=lambda v: "%d.%d" % v)
def test_every_npy_format_version_is_read(tmp_path, version):
    """numpy writes format 2.0 (4-byte header length) and 3.0 (UTF-8 header) on request;
    Tubelet reads all three versions to the same values."""
    array = np.asfortranarray(random_array("float32", (3, 4), seed=8))
    source = tmp_path / "weights.npy"
    with open(source, "wb") as file:
        np.lib.format.write_array(file, array, version=version)
    assert source.read_bytes()[6:8] == bytes(version)

    report = inspect_json(source)
    result = load_npy(convert(source, tmp_path / "out.npy"))

    assert report["tensors"] == [expected_row("weights", array)]
    assert_same_bits(result, array)


@pytest.mark.parametrize("shape", [(3, 0, 2), (0, 4), (1, 5), (5, 1)], ids=str)
def test_fortran_order_header_on_degenerate_shapes(tmp_path, shape):
    """fortran_order True on an empty array, or one with a dimension of 1, is legal (numpy
    reads it) though np.save never writes it; Tubelet must agree with np.load."""
    c_order = random_array("int32", shape, seed=6)
    source = tmp_path / "weights.npy"
    write_npy_by_hand(source, "<i4", True, shape, np.asfortranarray(c_order).tobytes(order="F"))
    expected = np.load(source)
    np.testing.assert_array_equal(expected, c_order)

    result = load_npy(convert(source, tmp_path / "out.npy"))

    assert_same_bits(result, expected)


# --------------------------------------------------------------------------------------------
# .npz archives
# --------------------------------------------------------------------------------------------

def mixed_arrays() -> dict[str, np.ndarray]:
    """One array per dtype, plus the awkward cases, under Flax-style '/' names."""
    arrays = {f"params/{name}/kernel": random_array(name, (4, 5), seed=i)
              for i, name in enumerate(DTYPES)}
    arrays["layout/fortran"] = np.asfortranarray(random_array("float32", (3, 4, 2), seed=20))
    arrays["layout/big_endian"] = to_big_endian(random_array("float16", (7,), seed=21))
    arrays["layout/big_endian_fortran"] = np.asfortranarray(
        to_big_endian(random_array("int64", (2, 5), seed=22)))
    arrays["scalar"] = np.float64(-0.0) * np.ones(())
    arrays["empty/vector"] = np.zeros((0,), np.float32)
    arrays["empty/middle"] = np.zeros((3, 0, 2), np.int8)
    return arrays


@pytest.mark.parametrize("saver", [np.savez, np.savez_compressed], ids=lambda f: f.__name__)
def test_inspect_npz_lists_every_array_in_order(tmp_path, saver):
    """inspect of an np.savez / np.savez_compressed archive lists each array once, in archive
    order, under its key, with numpy's dtype and logical shape, and correct totals."""
    arrays = mixed_arrays()
    path = tmp_path / "model.npz"
    saver(path, **arrays)

    report = inspect_json(path, "--npy-v2-as-bfloat16")

    assert report["format"] == "npz"
    assert report["tensors"] == [expected_row(name, array) for name, array in arrays.items()]
    assert report["totals"] == {
        "tensors": len(arrays),
        "parameters": sum(a.size for a in arrays.values()),
        "bytes": sum(a.nbytes for a in arrays.values()),
    }


@pytest.mark.parametrize("compress", ["none", "deflate"])
@pytest.mark.parametrize("saver", [np.savez, np.savez_compressed], ids=lambda f: f.__name__)
def test_convert_npz_keeps_every_bit(tmp_path, saver, compress):
    """Converting a numpy archive (stored or deflated) to .npz (stored or deflated) gives
    numpy back the same keys, in order, and bit-identical little-endian C-order values."""
    arrays = mixed_arrays()
    source = tmp_path / "model.npz"
    saver(source, **arrays)
    expected_method = zipfile.ZIP_DEFLATED if saver is np.savez_compressed else zipfile.ZIP_STORED
    with zipfile.ZipFile(source) as archive:
        assert {info.compress_type for info in archive.infolist()} == {expected_method}

    result = load_npz(convert(source, tmp_path / "out.npz", "--npy-v2-as-bfloat16",
                              "--compress", compress))

    assert list(result) == list(arrays)
    for name, array in arrays.items():
        loaded = result[name]
        assert_same_bits(loaded, array)


def test_keys_with_slashes_and_unicode_survive(tmp_path):
    """Keys are kept exactly: '/' separators (Flax's flattened names), non-ASCII text, spaces
    and a key that itself ends in '.npy' (member 'x.npy.npy'), both in inspect and in the
    archive numpy reads back."""
    names = ["Transformer/encoder_norm/scale", "a/b/c/d", "plain", "ünï/权重/kernel", "with space",
             "looks_like.npy"]
    arrays = {name: random_array("float32", (2, 3), seed=i) for i, name in enumerate(names)}
    source = tmp_path / "model.npz"
    np.savez(source, **arrays)

    report = inspect_json(source)
    result = load_npz(convert(source, tmp_path / "out.npz"))

    assert [row["name"] for row in report["tensors"]] == names
    assert list(result) == names
    for name in names:
        assert_same_bits(result[name], arrays[name])


def test_positional_savez_arrays_are_named_like_numpy(tmp_path):
    """np.savez(f, a, b) names the arrays arr_0, arr_1; Tubelet uses the same names."""
    first, second = random_array("int32", (3,), seed=1), random_array("float64", (2, 2), seed=2)
    source = tmp_path / "positional.npz"
    np.savez(source, first, second)

    report = inspect_json(source)

    assert [row["name"] for row in report["tensors"]] == ["arr_0", "arr_1"]


def test_single_npy_converts_to_npz_named_after_the_file(tmp_path):
    """A .npy's one tensor is named after the file stem, so it becomes that npz key."""
    array = random_array("float32", (3, 4), seed=7)
    source = tmp_path / "pos_embedding.npy"
    np.save(source, array)

    result = load_npz(convert(source, tmp_path / "out.npz"))

    assert list(result) == ["pos_embedding"]
    assert_same_bits(result["pos_embedding"], array)


def test_numpy_bfloat16_in_npz_needs_the_opt_in_flag(tmp_path):
    """A numpy-written archive says nothing about bfloat16 either: its '<V2' member is refused
    without the flag, with an error that names the member and the flag."""
    source = tmp_path / "model.npz"
    np.savez(source, **{"dense/kernel": np.ones((2, 2), ml_dtypes.bfloat16)})

    process = run_tubelet(["inspect", source], expect_rc=1)

    assert_error_line(process, source, "'dense/kernel'", "--npy-v2-as-bfloat16")


def test_empty_npz(tmp_path):
    """np.savez with no arrays writes an archive with no members: zero tensors, and a
    conversion numpy can load."""
    source = tmp_path / "empty.npz"
    np.savez(source)

    report = inspect_json(source)
    result = load_npz(convert(source, tmp_path / "out.npz"))

    assert report["tensors"] == []
    assert report["totals"] == {"tensors": 0, "parameters": 0, "bytes": 0}
    assert result == {}


# --------------------------------------------------------------------------------------------
# --filter
# --------------------------------------------------------------------------------------------

FILTER_NAMES = [
    "encoder/layer_0/kernel", "encoder/layer_0/bias", "encoder/layer_1/kernel",
    "decoder/kernel", "kernel", "head/kernel_extra", "embedding",
]


@pytest.mark.parametrize(("pattern", "selected"), [
    ("*/kernel", ["encoder/layer_0/kernel", "encoder/layer_1/kernel", "decoder/kernel"]),
    ("encoder/*", ["encoder/layer_0/kernel", "encoder/layer_0/bias", "encoder/layer_1/kernel"]),
    ("*kernel*", ["encoder/layer_0/kernel", "encoder/layer_1/kernel", "decoder/kernel", "kernel",
                  "head/kernel_extra"]),
    ("encoder/layer_[1-9]/*", ["encoder/layer_1/kernel"]),
    ("nothing*", []),
])
def test_filter_selects_matching_tensors_and_their_totals(tmp_path, pattern, selected):
    """--filter GLOB lists exactly the tensors whose full name matches ('*' crosses '/'),
    in archive order, and the totals count only those."""
    arrays = {name: random_array("float32", (i + 1, 3), seed=i) for i, name in enumerate(FILTER_NAMES)}
    source = tmp_path / "model.npz"
    np.savez(source, **arrays)

    report = inspect_json(source, "--filter", pattern)

    assert report["filter"] == pattern
    assert [row["name"] for row in report["tensors"]] == selected
    assert report["totals"] == {
        "tensors": len(selected),
        "parameters": sum(arrays[name].size for name in selected),
        "bytes": sum(arrays[name].nbytes for name in selected),
    }


def test_inspect_reads_headers_not_tensor_data(tmp_path):
    """inspect without --stats reads only the zip directory and each member's .npy header:
    a member whose data (not header) is corrupt still lists, while --stats, which reads the
    data, finds the CRC error."""
    path = tmp_path / "corrupt-data.npz"
    np.savez(path, weights=np.arange(64, dtype=np.float32))
    raw = bytearray(path.read_bytes())
    last = raw.rfind(np.arange(64, dtype=np.float32)[-1].tobytes())
    raw[last] ^= 0xFF  # flip a byte of the last element: the CRC no longer matches
    path.write_bytes(bytes(raw))

    report = inspect_json(path)
    assert [(row["name"], row["shape"]) for row in report["tensors"]] == [("weights", [64])]
    failed = run_tubelet(["inspect", "--stats", path], expect_rc=1)
    assert_error_line(failed, path, "'weights'", "CRC error")