"""h5py ⇄ Tubelet: HDF5 files written by h5py are read exactly, and files Tubelet writes open
in h5py (and `h5dump`, Debian's libhdf5 1.10 tool) with the same bits, dtypes and shapes.

h5py → Tubelet: every dtype in both byte orders, contiguous / chunked / chunked with gzip and
shuffle, scalar and empty datasets; attributes of every kind (fixed-length strings with each
padding, variable-length ASCII and UTF-8, scalars, arrays, numbers, bools, `Empty`) as
metadata; Keras 2 weight lists (`layer_names`, `weight_names` with `:0`, full-model
`model_weights`, split `weight_names0/1`, empty float64 lists, h5py-2 fixed-length strings);
soft and external links; the committed Keras 3 samples, `.weights.h5` and `.keras`.

Tubelet → h5py: the same arrays converted from `.npz` to `.h5` (stored and `--compress gzip`),
read back bit for bit with h5py's own dtypes (bool enum, float16, bfloat16 as Keras 3's
opaque + `dtype` attribute), metadata as UTF-8 string attributes, and every file written here
read by `h5dump` without a complaint. With keras and keras-hub installed, a Tubelet-written copy
of the Keras 3 sample also loads into the model (skipped otherwise).
"""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import h5py
import ml_dtypes
import numpy as np
import pytest

from conftest import (
    DTYPES,
    REPO_ROOT,
    as_bfloat16,
    assert_error_line,
    assert_same_bits,
    convert,
    inspect_json,
    load_npz,
    random_array,
    run_tubelet,
    to_big_endian,
)

CHECKPOINTS = REPO_ROOT / "Checkpoints"

#: Datasets every dtype is tried with: name → shape. Chunked storage skips the scalar and the
#: empty ones (HDF5 cannot chunk them), so those are always contiguous.
SHAPES = {"matrix": (4, 5), "scalar": (), "empty": (0,), "empty3d": (3, 0, 2), "cube": (3, 4, 6)}

STORAGES = {
    "contiguous": {},
    "chunked": {"chunks": True},
    "gzip-shuffle": {"chunks": True, "compression": "gzip", "compression_opts": 4, "shuffle": True},
}


def byte_orders(dtype: str) -> list[str]:
    """Both byte orders where the dtype has one (multi-byte numbers other than bfloat16,
    whose opaque storage has no order)."""
    return ["<", ">"] if DTYPES[dtype].itemsize > 1 and dtype != "bfloat16" else ["<"]


def h5dump_ok(path: Path) -> None:
    """`h5dump` (libhdf5 1.10.8) reads the whole file, data included, without an error."""
    h5dump = shutil.which("h5dump")
    assert h5dump, "h5dump not found: install Debian's hdf5-tools (Scripts/setup.sh does)"
    process = subprocess.run([h5dump, str(path)], capture_output=True, text=True, timeout=60)
    assert process.returncode == 0 and process.stderr == "", f"h5dump {path}: {process.returncode}\n{process.stderr}"


def store(group: h5py.Group, name: str, array: np.ndarray, **storage) -> None:
    """Writes `array` as h5py and Keras do; bfloat16 as Keras 3 (opaque V2 + dtype attribute)."""
    if array.ndim == 0 or array.size == 0:
        storage = {}
    if array.dtype == DTYPES["bfloat16"]:
        dataset = group.create_dataset(name, data=array.view("V2"), **storage)
        dataset.attrs["dtype"] = "bfloat16"
    else:
        group.create_dataset(name, data=array, **storage)


def h5py_arrays(path: Path) -> dict[str, np.ndarray]:
    """Every dataset of an HDF5 file as h5py reads it, bfloat16 (opaque + attribute) viewed as such."""
    arrays = {}
    with h5py.File(path, "r") as file:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                value = obj[()]
                if obj.attrs.get("dtype") == "bfloat16":
                    value = np.asarray(value).view(ml_dtypes.bfloat16)
                arrays[name] = np.asarray(value)
        file.visititems(visit)
    return arrays


def tubelet_rows(path: Path, *flags: str) -> dict[str, tuple[str, list[int]]]:
    """name → (dtype, shape) as `tubelet inspect --json` lists them."""
    return {row["name"]: (row["dtype"], row["shape"]) for row in inspect_json(path, *flags)["tensors"]}


# --------------------------------------------------------------------------------------------
# h5py → Tubelet → numpy / h5py: every dtype, byte order and storage
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("storage", list(STORAGES))
@pytest.mark.parametrize("dtype", list(DTYPES))
def test_h5py_datasets_read_bit_exactly(tmp_path: Path, dtype: str, storage: str) -> None:
    expected: dict[str, np.ndarray] = {}
    source = tmp_path / "source.h5"
    with h5py.File(source, "w") as file:
        for order in byte_orders(dtype):
            for seed, (shape_name, shape) in enumerate(SHAPES.items()):
                array = random_array(dtype, shape, seed=seed)
                stored = to_big_endian(array) if order == ">" else array
                name = f"{'big' if order == '>' else 'little'}/{shape_name}"
                store(file, name, stored, **STORAGES[storage])
                expected[name] = array

    rows = tubelet_rows(source)
    assert rows == {name: (dtype, list(array.shape)) for name, array in expected.items()}

    # Through numpy: the .npz Tubelet writes holds the same bits, little-endian.
    arrays = load_npz(convert(source, tmp_path / "out.npz"))
    assert set(arrays) == set(expected)
    for name, array in expected.items():
        assert_same_bits(arrays[name], array)

    # Back to HDF5, where h5py must see its own dtypes again.
    written = convert(source, tmp_path / "out.h5")
    back = h5py_arrays(written)
    for name, array in expected.items():
        assert back[name].dtype == array.dtype, name
        assert_same_bits(back[name], array)
    h5dump_ok(written)


#: Datasets larger than the 4 MB slices Tubelet reads large datasets in (a hyperslab at a
#: time): name → (dtype, shape, byte order). Row sizes are chosen so slice boundaries fall
#: inside rows; the cube's outer rows are close to a slice each.
LARGE = {
    "f32": ("float32", (2048, 3072), "<"),  # 24 MB: six slices
    "f32_big": ("float32", (1500, 1700), ">"),
    "f16_big_cube": ("float16", (3, 1100, 1500), ">"),
    "i64": ("int64", (700, 1000), "<"),
    "bool": ("bool", (5000, 1000), "<"),
}

#: Storages of the large datasets: h5py's defaults, gzip with shuffle (h5py's chunk guess),
#: and chunks spanning the whole first axes (a row of chunks larger than Tubelet holds at
#: once, and for the cube chunks across outer rows), whose slabs cut through chunks.
LARGE_STORAGES = {
    "contiguous": lambda shape: {},
    "chunked": lambda shape: {"chunks": True},
    "gzip-shuffle": lambda shape: {"chunks": True, "compression": "gzip", "compression_opts": 1, "shuffle": True},
    "gzip-tall-chunks": lambda shape: {"chunks": shape[:-1] + (min(shape[-1], 256),), "compression": "gzip",
                                       "compression_opts": 1, "shuffle": True},
}


@pytest.mark.parametrize("storage", list(LARGE_STORAGES))
def test_large_datasets_stream_bit_exactly(tmp_path: Path, storage: str) -> None:
    """Datasets over several slices, read a hyperslab at a time, give exactly what h5py
    reads, in every storage and byte order."""
    source = tmp_path / "large.h5"
    with h5py.File(source, "w") as file:
        for seed, (name, (dtype, shape, order)) in enumerate(LARGE.items()):
            array = random_array(dtype, shape, seed=seed)
            file.create_dataset(name, data=to_big_endian(array) if order == ">" else array, **LARGE_STORAGES[storage](shape))
    # What h5py reads, in little-endian order (swapped, not cast, so NaN payloads stay).
    expected = {name: array.byteswap().view(array.dtype.newbyteorder("<")) if array.dtype.byteorder == ">" else array
                for name, array in h5py_arrays(source).items()}
    assert set(expected) == set(LARGE)

    arrays = load_npz(convert(source, tmp_path / "out.npz"))
    assert set(arrays) == set(expected)
    for name, array in expected.items():
        assert_same_bits(arrays[name], array)
    # HDF5 to HDF5: a streamed input written in hyperslabs, read back by h5py.
    back = h5py_arrays(convert(source, tmp_path / "out.h5"))
    for name, array in expected.items():
        assert_same_bits(back[name], array)


def test_large_compressed_writes_hold_each_chunk_once_in_whole_rows(tmp_path: Path) -> None:
    """--compress gzip writes large tensors a slab at a time: the chunks are whole trailing rows
    of at most 1 MiB (k rows, or one outer row cut along the next axis), h5py reads the values
    back bit for bit, and the file holds every chunk once (a chunk written twice would leave its
    first copy's space behind)."""
    source = tmp_path / "large.h5"
    with h5py.File(source, "w") as file:
        for seed, (name, (dtype, shape, order)) in enumerate(LARGE.items()):
            file.create_dataset(name, data=random_array(dtype, shape, seed=seed))
        file.create_dataset("rows_over_1mib", data=random_array("float32", (6, 400_000), seed=9))
    expected = h5py_arrays(source)
    output = convert(source, tmp_path / "out.h5", "--compress", "gzip:1")
    chunks = {"f32": (82, 3072), "f32_big": (150, 1700), "f16_big_cube": (1, 275, 1500), "i64": (117, 1000),
              "bool": (1000, 1000), "rows_over_1mib": (1, 200_000)}
    stored = 0
    with h5py.File(output, "r") as file:
        for name, array in expected.items():
            dataset = file[name]
            assert dataset.chunks == chunks[name], name
            assert_same_bits(dataset[()], array)
            count = dataset.id.get_num_chunks()
            assert count == np.prod([-(-n // c) for n, c in zip(array.shape, dataset.chunks)]), name
            stored += sum(dataset.id.get_chunk_info(i).size for i in range(count))
    # Chunks, a B-tree per dataset and the object headers: nothing else, no stray chunk copies.
    assert output.stat().st_size - stored < 64 << 10, (output.stat().st_size, stored)


def write_corrupt_streamed_dataset(source: Path) -> None:
    """An HDF5 file whose 18 MB gzip dataset 'weights' has a corrupt chunk in its fifth slice."""
    with h5py.File(source, "w") as file:
        file.create_dataset("small", data=np.arange(10, dtype=np.float32))
        file.create_dataset("weights", data=random_array("float32", (3000, 1500), seed=3),
                            chunks=(100, 1500), compression="gzip", compression_opts=1)
        info = file["weights"].id.get_chunk_info(25)  # rows 2500-2599: the fifth slice
    with open(source, "r+b") as handle:
        handle.seek(info.byte_offset + info.size // 2)
        handle.write(b"\xff" * 64)


@pytest.mark.parametrize("command", ["stats", "diff"])
def test_corrupt_chunk_read_whole_is_an_error_not_a_crash(tmp_path: Path, command: str) -> None:
    """`inspect --stats` and `diff` read each tensor a slice at a time: a streamed dataset that
    fails part way is one error line naming it and exit 1 (it trapped before)."""
    source = tmp_path / "corrupt.h5"
    write_corrupt_streamed_dataset(source)
    args = ["inspect", "--stats", source] if command == "stats" else ["diff", source, source]
    assert_error_line(run_tubelet(args, expect_rc=None), source, "'weights'", "cannot read the dataset")


@pytest.mark.parametrize("output", ["out.npz", "out.safetensors", "out.h5"])
def test_corrupt_chunk_inside_a_streamed_dataset_fails_cleanly(tmp_path: Path, output: str) -> None:
    """A gzip chunk that cannot be inflated, found only when the stream reaches it (well
    after the first slices were written), fails with one line naming the dataset, exit 1, and
    leaves no output file."""
    source = tmp_path / "corrupt.h5"
    write_corrupt_streamed_dataset(source)
    target = tmp_path / output
    process = run_tubelet(["convert", source, target], expect_rc=None)
    assert_error_line(process, source, "'weights'", "cannot read the dataset")
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corrupt.h5"], "a temporary output was left behind"


def test_opaque_two_byte_data_needs_the_attribute_or_the_flag(tmp_path: Path) -> None:
    values = random_array("bfloat16", (3, 4))
    path = tmp_path / "opaque.h5"
    with h5py.File(path, "w") as file:
        file["weights"] = values.view("V2")  # ml_dtypes bfloat16 as h5py stores it, no attribute
    process = run_tubelet(["inspect", path], expect_rc=1)
    assert "2-byte opaque data (possibly bfloat16)" in process.stderr and "--npy-v2-as-bfloat16" in process.stderr
    assert tubelet_rows(path, "--npy-v2-as-bfloat16") == {"weights": ("bfloat16", [3, 4])}
    arrays = load_npz(convert(path, tmp_path / "out.npz", "--npy-v2-as-bfloat16"))
    assert_same_bits(as_bfloat16(arrays["weights"]), values)


def test_h5py_bool_enum_reads_as_bool(tmp_path: Path) -> None:
    values = np.array([[True, False, True], [False, False, True]])
    path = tmp_path / "bool.h5"
    with h5py.File(path, "w") as file:
        file["mask"] = values
        assert h5py.check_enum_dtype(file["mask"].dtype) is None  # h5py maps its bool enum back to bool
    assert tubelet_rows(path) == {"mask": ("bool", [2, 3])}
    assert_same_bits(load_npz(convert(path, tmp_path / "out.npz"))["mask"], values)


def test_groups_nest_and_names_are_paths(tmp_path: Path) -> None:
    path = tmp_path / "tree.h5"
    with h5py.File(path, "w") as file:
        file["a/b/c/kernel"] = np.ones((2, 2), "f4")
        file["a/bias"] = np.zeros(2, "f4")
        file["top"] = np.float32(1)
        file.create_group("empty/group")
    # h5py does not track creation order: natural name order, depth first.
    assert list(tubelet_rows(path)) == ["a/b/c/kernel", "a/bias", "top"]


def test_natural_order_for_keras3_variable_indices(tmp_path: Path) -> None:
    path = tmp_path / "vars.h5"
    with h5py.File(path, "w") as file:
        for index in range(12):
            file[f"layers/dense/vars/{index}"] = np.full(2, index, "f4")
    assert list(tubelet_rows(path)) == [f"layers/dense/vars/{index}" for index in range(12)]


# --------------------------------------------------------------------------------------------
# Attributes → metadata
# --------------------------------------------------------------------------------------------

def fixed_string_type(size: int, padding: int, cset: int = h5py.h5t.CSET_ASCII) -> h5py.h5t.TypeStringID:
    kind = h5py.h5t.C_S1.copy()
    kind.set_size(size)
    kind.set_strpad(padding)
    kind.set_cset(cset)
    return kind


def write_raw_attribute(obj: h5py.HLObject, name: str, kind, data: np.ndarray, shape: tuple | None) -> None:
    """An attribute with exactly this HDF5 type and dataspace (h5py's high-level API picks them)."""
    space = h5py.h5s.create(h5py.h5s.SCALAR) if shape is None else h5py.h5s.create_simple(shape)
    attribute = h5py.h5a.create(obj.id, name.encode(), kind, space)
    attribute.write(np.ascontiguousarray(data), mtype=kind)


def test_attributes_of_every_kind_become_metadata(tmp_path: Path) -> None:
    path = tmp_path / "attributes.h5"
    with h5py.File(path, "w") as file:
        file["weights"] = np.zeros(2, "f4")
        root, group, dataset = file.attrs, file.create_group("g").attrs, file["weights"].attrs
        root["vlen_utf8"] = "ünïcode ✓"
        root["vlen_ascii"] = np.array(b"plain", dtype=h5py.string_dtype("ascii"))
        root["fixed_bytes"] = np.bytes_(b"abc")                      # h5py: fixed-length, NULLPAD
        root["fixed_list"] = np.array([b"dense", b"ln"], dtype="S5")  # h5py 2 / Keras 2 era lists
        root["vlen_list"] = ["dense", "layer_norm", "ünï"]
        root["utf8_fixed"] = np.array("ünï".encode(), dtype=h5py.string_dtype("utf-8", 8))
        root["int"] = np.int64(-7)
        root["uint"] = np.uint64(2**64 - 1)
        root["float32"] = np.float32(0.1)
        root["float64"] = 1e-6
        root["float16"] = np.float16(0.5)
        root["ints"] = np.arange(3, dtype=">i2")
        root["floats"] = np.array([1.5, np.nan, -np.inf])
        root["bool"] = True
        root["bools"] = np.array([True, False])
        root["empty_float_list"] = np.asarray([])                     # Keras's empty weight_names
        root["nothing"] = h5py.Empty("f4")
        write_raw_attribute(file, "nullterm", fixed_string_type(8, h5py.h5t.STR_NULLTERM), np.array([b"term"], "S8"), None)
        write_raw_attribute(file, "spacepad", fixed_string_type(8, h5py.h5t.STR_SPACEPAD), np.array([b"pad     "], "S8"), None)
        write_raw_attribute(file, "nullpad2d", fixed_string_type(3, h5py.h5t.STR_NULLPAD), np.array([[b"a", b"bc"], [b"def", b""]], "S3"), (2, 2))
        group["note"] = "on a group"
        dataset["unit"] = "on a dataset"
        dataset["scale"] = np.float32(2.5)

    metadata = inspect_json(path)["metadata"]
    assert metadata == {
        "vlen_utf8": "ünïcode ✓",
        "vlen_ascii": "plain",
        "fixed_bytes": "abc",
        "fixed_list": '["dense", "ln"]',
        "vlen_list": '["dense", "layer_norm", "ünï"]',
        "utf8_fixed": "ünï",
        "int": "-7",
        "uint": "18446744073709551615",
        "float32": "0.1",
        "float64": "1e-06",
        "float16": "0.5",
        "ints": "[0, 1, 2]",
        "floats": "[1.5, NaN, -Infinity]",
        "bool": "true",
        "bools": "[true, false]",
        "empty_float_list": "[]",
        "nothing": "",
        "nullterm": "term",
        "spacepad": "pad",
        "nullpad2d": '["a", "bc", "def", ""]',
        "g/note": "on a group",
        "weights/unit": "on a dataset",
        "weights/scale": "2.5",
    }


def test_metadata_is_written_as_utf8_string_attributes_of_the_root(tmp_path: Path) -> None:
    source = tmp_path / "source.h5"
    with h5py.File(source, "w") as file:
        file["w"] = np.ones(3, "f4")
        file.attrs["note"] = "ünï"
        file.attrs["count"] = 3
        file.attrs["list"] = ["a", "b"]
        file.create_group("g").attrs["inner"] = "x"
    output = convert(source, tmp_path / "out.h5")
    with h5py.File(output, "r") as file:
        attributes = dict(file.attrs)
        assert attributes == {"note": "ünï", "count": "3", "list": '["a", "b"]', "g/inner": "x"}
        for name in attributes:
            kind = file.attrs.get_id(name).get_type()
            assert kind.is_variable_str() and kind.get_cset() == h5py.h5t.CSET_UTF8, name
    # And read back by Tubelet as the same metadata.
    assert inspect_json(output)["metadata"] == inspect_json(source)["metadata"]
    h5dump_ok(output)


# --------------------------------------------------------------------------------------------
# Keras 2 / tf.keras layouts, written with h5py exactly as tf_keras's hdf5_format.py does
# --------------------------------------------------------------------------------------------

def keras2_layers() -> dict[str, dict[str, np.ndarray]]:
    """Two layers as tf.keras names their weights (the variable name, `:0` suffix)."""
    rng = np.random.default_rng(1)
    return {
        "dense": {"dense/kernel:0": rng.standard_normal((4, 3)).astype("f4"), "dense/bias:0": np.zeros(3, "f4")},
        "ln": {"ln/gamma:0": np.ones(3, "f4"), "ln/beta:0": np.zeros(3, "f4")},
        "dropout": {},
    }


def write_keras2(group: h5py.Group, layers: dict, split_at: int | None = None, fixed: bool = False) -> None:
    """`save_weights` layout under `group`; with `split_at`, `weight_names` is split into
    `weight_names0`, `weight_names1` as Keras does past its 64 kB header limit; `fixed` stores
    the lists as h5py 2 did (fixed-length strings)."""
    def strings(names: list[str]):
        encoded = [name.encode() for name in names]
        return np.array(encoded, dtype="S" if fixed else h5py.string_dtype("ascii")) if names else np.asarray([])

    group.attrs["layer_names"] = strings(list(layers))
    group.attrs["backend"] = "tensorflow"
    group.attrs["keras_version"] = "2.21.0"
    for layer, weights in layers.items():
        layer_group = group.create_group(layer)
        names = list(weights)
        if split_at is not None and len(names) > split_at:
            layer_group.attrs["weight_names0"] = strings(names[:split_at])
            layer_group.attrs["weight_names1"] = strings(names[split_at:])
        else:
            layer_group.attrs["weight_names"] = strings(names)
        # Written in reverse, so that name order and Keras's order differ.
        for name in reversed(names):
            layer_group.create_dataset(name, data=weights[name])


@pytest.mark.parametrize("variant", ["save_weights", "full_model", "split_lists", "h5py2_fixed_strings"])
def test_keras2_layouts(tmp_path: Path, variant: str) -> None:
    layers = keras2_layers()
    path = tmp_path / "keras2.h5"
    prefix = "model_weights/" if variant == "full_model" else ""
    with h5py.File(path, "w") as file:
        if variant == "full_model":
            file.attrs["model_config"] = '{"class_name": "Sequential"}'
            write_keras2(file.create_group("model_weights"), layers)
            file["optimizer_weights/iteration:0"] = np.int64(10)
        else:
            write_keras2(file, layers, split_at=1 if variant == "split_lists" else None, fixed=variant == "h5py2_fixed_strings")

    expected = [f"{prefix}{layer}/{name}" for layer, weights in layers.items() for name in weights]
    rows = tubelet_rows(path)
    listed = [name for name in rows if not name.startswith("optimizer_weights")]
    assert listed == expected, "Keras's order: layer_names, then each layer's weight_names"
    metadata = inspect_json(path)["metadata"]
    assert metadata[f"{prefix}layer_names"] == '["dense", "ln", "dropout"]'
    assert metadata[f"{prefix}dense/weight_names"] == '["dense/kernel:0", "dense/bias:0"]'
    assert metadata[f"{prefix}dropout/weight_names"] == "[]"
    assert not any(key.endswith("weight_names0") for key in metadata), "split lists are joined"
    arrays = load_npz(convert(path, tmp_path / "out.npz"))
    for layer, weights in layers.items():
        for name, array in weights.items():
            assert_same_bits(arrays[f"{prefix}{layer}/{name}"], array)


def test_keras2_weight_without_dataset_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.h5"
    with h5py.File(path, "w") as file:
        write_keras2(file, keras2_layers())
        del file["ln/ln/gamma:0"]
    process = run_tubelet(["inspect", path], expect_rc=1)
    assert process.stderr.startswith(f"Error: {path}: 'ln/ln/gamma:0': layer 'ln' lists weight 'ln/gamma:0'"), process.stderr
    assert "HDF5-DIAG" not in process.stderr


def test_links_are_listed_not_followed(tmp_path: Path) -> None:
    path = tmp_path / "links.h5"
    with h5py.File(path, "w") as file:
        file["real"] = np.arange(3, dtype="f4")
        file["alias"] = h5py.SoftLink("/real")
        file["dangling"] = h5py.SoftLink("/nowhere")
        file["elsewhere"] = h5py.ExternalLink("other.h5", "/weights")
        file["g/hard"] = file["real"]  # a second hard link: the same dataset under two names
    assert tubelet_rows(path) == {"g/hard": ("float32", [3]), "real": ("float32", [3])}
    metadata = inspect_json(path)["metadata"]
    assert metadata["hdf5.soft_links"] == '{"alias": "/real", "dangling": "/nowhere"}'
    assert metadata["hdf5.external_links"] == '{"elsewhere": "other.h5:/weights"}'


# --------------------------------------------------------------------------------------------
# Keras 3: the committed samples, written by Keras itself
# --------------------------------------------------------------------------------------------

def keras_weights_member(path: Path) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read("model.weights.h5")


@pytest.mark.parametrize("sample", ["ViT-tiny_keras3.weights.h5", "ViT-tiny_keras3-bf16.weights.h5", "ViT-tiny_keras3.keras"])
def test_keras3_samples_every_name_and_shape(tmp_path: Path, sample: str) -> None:
    path = CHECKPOINTS / sample
    h5 = io.BytesIO(keras_weights_member(path)) if path.suffix == ".keras" else path
    expected = {}
    with h5py.File(h5, "r") as file:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                dtype = "bfloat16" if obj.attrs.get("dtype") == "bfloat16" else str(obj.dtype)
                expected[name] = (dtype, list(obj.shape))
        file.visititems(visit)
    assert len(expected) == 38
    report = inspect_json(path)
    assert report["format"] == ("keras" if path.suffix == ".keras" else "hdf5")
    assert {row["name"]: (row["dtype"], row["shape"]) for row in report["tensors"]} == expected

    # The values too, through a Tubelet-written HDF5 file read by h5py.
    reference = h5py_arrays(CHECKPOINTS / sample) if path.suffix != ".keras" else None
    if reference is None:
        member = tmp_path / "model.weights.h5"
        member.write_bytes(keras_weights_member(path))
        reference = h5py_arrays(member)
    copy = h5py_arrays(convert(path, tmp_path / "copy.h5"))
    assert set(copy) == set(reference)
    for name, array in reference.items():
        assert_same_bits(copy[name], array)


def test_keras3_sample_written_by_tubelet_loads_into_keras(tmp_path: Path) -> None:
    """A Tubelet copy of the Keras 3 sample (its own layout, bfloat16 convention included) is
    accepted by `load_weights` and gives the model the same weights. Needs keras and keras-hub,
    which are in the full test stack (requirements-full.txt); skipped without them."""
    keras = pytest.importorskip("keras")
    keras_hub = pytest.importorskip("keras_hub")
    config = dict(image_shape=(32, 32, 3), patch_size=8, num_layers=2, num_heads=2, hidden_dim=16, mlp_dim=32)
    for sample, dtype in [("ViT-tiny_keras3.weights.h5", None), ("ViT-tiny_keras3-bf16.weights.h5", "bfloat16")]:
        copy = convert(CHECKPOINTS / sample, tmp_path / f"copy-{dtype}.weights.h5", "--compress", "gzip")
        reference = keras_hub.models.ViTBackbone(**config, dtype=dtype)
        reference.load_weights(CHECKPOINTS / sample)
        model = keras_hub.models.ViTBackbone(**config, dtype=dtype)
        model.load_weights(copy)
        for ours, theirs in zip(model.weights, reference.weights, strict=True):
            assert keras.ops.convert_to_numpy(ours).tobytes() == keras.ops.convert_to_numpy(theirs).tobytes(), ours.path


# --------------------------------------------------------------------------------------------
# Tubelet → h5py: what Tubelet writes, as h5py and h5dump see it
# --------------------------------------------------------------------------------------------

def every_dtype_npz(path: Path) -> dict[str, np.ndarray]:
    """An .npz of every dtype and shape, written by numpy (bfloat16 as '<V2')."""
    arrays = {}
    for dtype in DTYPES:
        for seed, (shape_name, shape) in enumerate(SHAPES.items()):
            arrays[f"{dtype}/{shape_name}"] = random_array(dtype, shape, seed=seed)
    np.savez(path, **{name: array.view("V2") if array.dtype == DTYPES["bfloat16"] else array for name, array in arrays.items()})
    return arrays


@pytest.mark.parametrize("compress", [None, "gzip", "gzip:9", "deflate:1"])
def test_tubelet_hdf5_opens_in_h5py_bit_exactly(tmp_path: Path, compress: str | None) -> None:
    expected = every_dtype_npz(tmp_path / "source.npz")
    flags = ["--npy-v2-as-bfloat16"] + (["--compress", compress] if compress else [])
    output = convert(tmp_path / "source.npz", tmp_path / "out.h5", *flags)
    level = int(compress.split(":")[1]) if compress and ":" in compress else 6
    with h5py.File(output, "r") as file:
        assert file.libver[0] == "earliest"
        for name, array in expected.items():
            dataset = file[name]
            assert dataset.shape == array.shape, name
            if array.dtype == DTYPES["bfloat16"]:
                # Keras 3's convention: opaque 2-byte data, dtype named in an attribute.
                assert dataset.dtype == np.dtype("V2") and dataset.attrs["dtype"] == "bfloat16", name
            else:
                assert dataset.dtype == array.dtype, name
                assert dict(dataset.attrs) == {}, name
            chunkable = array.ndim > 0 and array.size > 0
            if compress and chunkable:
                assert dataset.chunks is not None and dataset.compression == "gzip", name
                assert dataset.compression_opts == level, name
                assert dataset.shuffle == (array.dtype.itemsize > 1), name
            else:
                assert dataset.chunks is None and dataset.compression is None, name
    for name, array in h5py_arrays(output).items():
        assert_same_bits(array, expected[name])
    h5dump_ok(output)


def test_writes_are_reproducible_and_read_back_in_order(tmp_path: Path) -> None:
    every_dtype_npz(tmp_path / "source.npz")
    first = convert(tmp_path / "source.npz", tmp_path / "a.h5", "--npy-v2-as-bfloat16")
    second = convert(tmp_path / "source.npz", tmp_path / "b.h5", "--npy-v2-as-bfloat16")
    assert first.read_bytes() == second.read_bytes()
    with np.load(tmp_path / "source.npz") as archive:
        order = list(archive.files)
    assert [row["name"] for row in inspect_json(first)["tensors"]] == order


def test_samples_convert_to_hdf5_that_h5dump_reads(tmp_path: Path) -> None:
    for sample in ["ViT-tiny_16.npz", "ViT-tiny_16.h5", "ViT-tiny_keras3.keras"]:
        for flags in [[], ["--compress", "gzip:9"], ["--dtype", "bfloat16"]]:
            output = convert(CHECKPOINTS / sample, tmp_path / f"{sample}-{len(flags)}-{'-'.join(flags)}.h5", *flags)
            h5dump_ok(output)
    h5 = h5py_arrays(CHECKPOINTS / "ViT-tiny_16.h5")
    with np.load(CHECKPOINTS / "ViT-tiny_16.npz") as npz:
        assert set(h5) == set(npz.files)
        for name in npz.files:
            assert_same_bits(h5[name], npz[name])
