"""safetensors ⇄ Tubelet.

safetensors → Tubelet: files written by the safetensors library are read bit-exactly, every
dtype Tubelet has (BF16 through a hand-built file, as `safetensors.numpy` cannot write it).

Tubelet → safetensors: Tubelet's files load in `safetensors.numpy` (and `safetensors.torch`
where torch is installed) with the same values, and their header bytes equal the library's
for the same tensors: same order, same JSON, same space padding. Sharded output matches
Hugging Face's layout and huggingface_hub's split rule, and reads back as one checkpoint.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import ml_dtypes
import numpy as np
import pytest
from safetensors.numpy import load_file, save, save_file

from conftest import (
    DTYPES,
    REPO_ROOT,
    assert_error_line,
    assert_same_bits,
    convert,
    inspect_json,
    load_npz,
    random_array,
    run_tubelet,
)

#: numpy can hold every Tubelet dtype but bfloat16 (ml_dtypes' is opaque to safetensors.numpy).
NUMPY_DTYPES = [name for name in DTYPES if name != "bfloat16"]
SAFETENSORS_NAMES = {"bool": "BOOL", "uint8": "U8", "int8": "I8", "int16": "I16", "int32": "I32", "int64": "I64",
                     "uint16": "U16", "uint32": "U32", "uint64": "U64", "float16": "F16", "bfloat16": "BF16",
                     "float32": "F32", "float64": "F64"}
SHAPES = [(3, 4), (), (0,), (2, 0, 3), (5,)]


def header_of(data: bytes) -> bytes:
    length = struct.unpack("<Q", data[:8])[0]
    return data[8:8 + length]


def numpy_arrays() -> dict[str, np.ndarray]:
    arrays = {}
    for index, name in enumerate(NUMPY_DTYPES):
        for shape_index, shape in enumerate(SHAPES):
            arrays[f"{name}/{shape_index}"] = random_array(name, shape, seed=index * 10 + shape_index)
    # Names that need escaping or sort past ASCII.
    arrays['quote"back\\slash'] = random_array("float32", (2,), seed=99)
    arrays["ünïcode.weight"] = random_array("float32", (2,), seed=98)
    arrays["tab\tnew\nline"] = random_array("int8", (3,), seed=97)
    return arrays


def handmade_safetensors(path: Path, tensors: dict[str, tuple[str, tuple, bytes]]) -> None:
    """A safetensors file laid out by hand: name -> (dtype name, shape, raw bytes)."""
    header, data = {}, b""
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + data)



def tensor_rows(report: dict) -> dict[str, dict]:
    """The `tensors` of an inspect report, by name."""
    return {row["name"]: row for row in report["tensors"]}

# --------------------------------------------------------------------------------------------
# safetensors → Tubelet
# --------------------------------------------------------------------------------------------

def test_library_files_read_bit_exactly(tmp_path):
    arrays = numpy_arrays()
    source = tmp_path / "lib.safetensors"
    save_file(arrays, source, metadata={"format": "pt", "note": "x"})
    report = inspect_json(source)
    assert report["format"] == "safetensors"
    assert report["metadata"] == {"format": "pt", "note": "x"}
    rows = tensor_rows(report)
    actual = load_npz(convert(source, tmp_path / "out.npz"))
    for key, want in arrays.items():
        assert rows[key]["shape"] == list(want.shape)
        assert_same_bits(actual[key], want)


def test_bfloat16_reads_bit_exactly(tmp_path):
    values = random_array("bfloat16", (4, 5), seed=3)
    source = tmp_path / "bf16.safetensors"
    handmade_safetensors(source, {"w": ("BF16", values.shape, values.tobytes())})
    assert tensor_rows(inspect_json(source))["w"]["dtype"] == "bfloat16"
    out = load_npz(convert(source, tmp_path / "out.npz"))
    assert out["w"].tobytes() == values.tobytes()


def test_unsupported_and_unknown_dtypes_are_named(tmp_path):
    for dtype, fragment in (("F8_E4M3", "dtype F8_E4M3 is not supported"), ("C64", "dtype C64 is not supported"),
                            ("F128", "unknown dtype 'F128'")):
        source = tmp_path / f"{dtype}.safetensors"
        handmade_safetensors(source, {"w": (dtype, (2,), bytes(2 * 8))} if dtype != "F8_E4M3" else {"w": (dtype, (2,), bytes(2))})
        assert_error_line(run_tubelet(["inspect", source], expect_rc=1), source, "'w'", fragment)


def test_duplicate_keys_accepted_by_the_library_are_refused(tmp_path):
    source = tmp_path / "dup.safetensors"
    entry = '{"dtype":"F32","shape":[1],"data_offsets":[0,4]}'
    text = ('{"w":' + entry + ',"w":' + entry + "}").encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    source.write_bytes(struct.pack("<Q", len(text)) + text + bytes(4))
    load_file(source)  # the reference reader keeps the last one
    assert_error_line(run_tubelet(["inspect", source], expect_rc=1), source, 'the key "w" appears twice')


# --------------------------------------------------------------------------------------------
# Tubelet → safetensors
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("metadata", [{"format": "pt"}, {}])
def test_written_header_equals_the_librarys(tmp_path, metadata):
    arrays = numpy_arrays()
    source = tmp_path / "source.npz"
    np.savez(source, **arrays)
    out = convert(source, tmp_path / "out.safetensors")
    # Tubelet always writes format=pt (Hugging Face requires it), as save_pretrained does.
    reference = save(arrays, metadata={"format": "pt"})
    assert header_of(out.read_bytes()) == header_of(reference)
    assert out.read_bytes() == reference
    loaded = load_file(out)
    for key, want in arrays.items():
        assert_same_bits(loaded[key], want)


def test_source_metadata_is_merged_after_format(tmp_path):
    source = tmp_path / "meta.safetensors"
    save_file({"w": np.ones(2, np.float32)}, source, metadata={"format": "flax", "epoch": "3"})
    out = convert(source, tmp_path / "out.safetensors")
    header = json.loads(header_of(out.read_bytes()))
    assert header["__metadata__"] == {"epoch": "3", "format": "flax"}


def test_written_bfloat16_matches_the_library(tmp_path):
    values = random_array("bfloat16", (3, 2), seed=8)
    others = {"a": random_array("float32", (2,), seed=1), "z": random_array("float16", (3,), seed=2)}
    source = tmp_path / "source.npz"
    np.savez(source, w=values, **others)
    out = convert(source, tmp_path / "out.safetensors", "--npy-v2-as-bfloat16")
    header = json.loads(header_of(out.read_bytes()))
    assert list(header) == ["__metadata__", "a", "w", "z"]  # F32, then BF16, then F16
    assert header["w"]["dtype"] == "BF16"
    begin, end = header["w"]["data_offsets"]
    start = 8 + struct.unpack("<Q", out.read_bytes()[:8])[0]
    assert out.read_bytes()[start + begin:start + end] == values.tobytes()
    torch = pytest.importorskip("torch", reason="torch is not installed")
    from safetensors.torch import load_file as torch_load_file, save as torch_save
    loaded = torch_load_file(out)
    assert loaded["w"].dtype == torch.bfloat16
    assert loaded["w"].view(torch.int16).numpy().tobytes() == values.tobytes()
    tensors = {"w": torch.from_numpy(values.view(np.int16).copy()).view(torch.bfloat16),
               **{key: torch.from_numpy(value.copy()) for key, value in others.items()}}
    assert header_of(torch_save(tensors, metadata={"format": "pt"})) == header_of(out.read_bytes())


def test_sample_checkpoint_round_trips_byte_identically(tmp_path):
    sample = REPO_ROOT / "Checkpoints" / "vit-tiny-timm.safetensors"
    out = convert(sample, tmp_path / "copy.safetensors")
    assert out.read_bytes() == sample.read_bytes()
    pth = REPO_ROOT / "Checkpoints" / "vit-tiny-timm.pth"
    from_pth = convert(pth, tmp_path / "from-pth.safetensors")
    assert from_pth.read_bytes() == sample.read_bytes()


# --------------------------------------------------------------------------------------------
# Sharded checkpoints
# --------------------------------------------------------------------------------------------

def hf_split(sizes: list[tuple[str, int]], limit: int) -> list[list[str]]:
    """huggingface_hub's split_state_dict_into_shards_factory, on (name, bytes) pairs."""
    shards, current, current_size = [], [], 0
    for name, size in sizes:
        if size > limit:
            shards.append([name])
            continue
        if current_size + size > limit:
            shards.append(current)
            current, current_size = [], 0
        current.append(name)
        current_size += size
    if current:
        shards.append(current)
    return shards


@pytest.mark.parametrize("limit", ["20kB", "60000", "1GB"])
def test_sharded_output_matches_hugging_faces_layout(tmp_path, limit):
    sample = REPO_ROOT / "Checkpoints" / "vit-tiny-timm.safetensors"
    out = tmp_path / "hf"
    run_tubelet(["convert", sample, out, "--max-shard-size", limit])
    report = inspect_json(sample)
    sizes = [(row["name"], row["bytes"]) for row in report["tensors"]]
    # Tubelet splits in its source's order, which for a safetensors file is its data order.
    bytes_limit = {"20kB": 20_000, "60000": 60_000, "1GB": 10**9}[limit]
    shards = hf_split(sizes, bytes_limit)
    files = sorted(path.name for path in out.iterdir())
    if len(shards) == 1:
        assert files == ["model.safetensors"]
        assert (out / "model.safetensors").read_bytes() == sample.read_bytes()
    else:
        names = [f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors" for i in range(len(shards))]
        assert files == sorted(names + ["model.safetensors.index.json"])
        index_text = (out / "model.safetensors.index.json").read_text()
        expected = {"metadata": {"total_size": sum(size for _, size in sizes)},
                    "weight_map": {name: names[i] for i, shard in enumerate(shards) for name in shard}}
        assert index_text == json.dumps(expected, indent=2, sort_keys=True) + "\n"
        reference = load_file(sample)
        for i, shard in enumerate(shards):
            loaded = load_file(out / names[i])
            assert sorted(loaded) == sorted(shard)
            for name in shard:
                assert_same_bits(loaded[name], reference[name])
    # The directory (and the index) read back as the whole checkpoint.
    for path in (out, out / "model.safetensors.index.json"):
        if path.exists():
            back = inspect_json(path)
            assert sorted(row["name"] for row in back["tensors"]) == sorted(name for name, _ in sizes)
    merged = convert(out, tmp_path / f"merged-{limit}.safetensors")
    assert load_file(merged).keys() == load_file(sample).keys()


def test_huggingface_hub_agrees_on_the_split(tmp_path):
    hub = pytest.importorskip("huggingface_hub", reason="huggingface_hub is not installed")
    sample = REPO_ROOT / "Checkpoints" / "vit-tiny-timm.safetensors"
    state = load_file(sample)
    from huggingface_hub.serialization import split_state_dict_into_shards_factory
    split = split_state_dict_into_shards_factory(
        state, get_storage_size=lambda array: array.nbytes, filename_pattern="model{suffix}.safetensors",
        max_shard_size=20_000)
    out = tmp_path / "hf"
    run_tubelet(["convert", sample, out, "--max-shard-size", "20000"])
    index = json.loads((out / "model.safetensors.index.json").read_text())
    assert index["weight_map"] == split.tensor_to_filename
    assert index["metadata"] == split.metadata
