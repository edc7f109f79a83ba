"""PyTorch ⇄ Tubelet.

torch → Tubelet: checkpoints written by `torch.save` are read bit-exactly. The committed
fixtures in Tests/Fixtures/torch (made by its script, compared with the numpy-written
`*.expected.npz` beside them) run everywhere; fresh files written by torch run where torch
is installed.

Tubelet → torch: Tubelet's `.pth` loads with `torch.load(weights_only=True)`, with and without
`mmap=True`, bit-exactly. Where torch is missing (CI) the archive's structure is still checked:
protocol-2 opcodes only (pickletools), stored members with data on 64-byte boundaries, the
folder named after the file, torch's records in torch's order, and Tubelet reading it back.
"""

from __future__ import annotations

import pickletools
import zipfile
from pathlib import Path

import numpy as np
import pytest

from conftest import (
    BITS_DTYPE,
    DTYPES,
    REPO_ROOT,
    assert_error_line,
    assert_same_bits,
    convert,
    inspect_json,
    load_npz,
    random_array,
    run_tubelet,
    tubelet_dtype,
)

FIXTURES = REPO_ROOT / "Tests" / "Fixtures" / "torch"

#: The opcodes torch.load(weights_only=True) executes (torch/_weights_only_unpickler.py).
WEIGHTS_ONLY_OPCODES = {
    "PROTO", "STOP", "GLOBAL", "NEWOBJ", "REDUCE", "BUILD", "APPEND", "APPENDS", "SETITEM", "SETITEMS", "MARK",
    "TUPLE", "TUPLE1", "TUPLE2", "TUPLE3", "NONE", "NEWFALSE", "NEWTRUE", "EMPTY_TUPLE", "EMPTY_LIST",
    "EMPTY_DICT", "EMPTY_SET", "BININT", "BININT1", "BININT2", "BINFLOAT", "BINUNICODE", "SHORT_BINSTRING",
    "LONG1", "BINPERSID", "BINGET", "LONG_BINGET", "BINPUT", "LONG_BINPUT",
}


def require_torch():
    return pytest.importorskip("torch", reason="torch is not installed (Scripts/setup.sh --dev installs it)")


def npz_source(tmp_path: Path, arrays: dict[str, np.ndarray]) -> Path:
    """An .npz Tubelet reads the arrays from (bfloat16 marked so Tubelet reads it as such)."""
    path = tmp_path / "source.npz"
    np.savez(path, **arrays)
    return path


def read_back(tmp_path: Path, checkpoint: Path, *flags: str) -> dict[str, np.ndarray]:
    """The tensors Tubelet reads from `checkpoint`, through an .npz it writes."""
    return load_npz(convert(checkpoint, tmp_path / (checkpoint.stem + "-out.npz"), *flags))



def tensor_rows(report: dict) -> dict[str, dict]:
    """The `tensors` of an inspect report, by name."""
    return {row["name"]: row for row in report["tensors"]}

# --------------------------------------------------------------------------------------------
# torch → Tubelet, committed fixtures (no torch needed)
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["torch-mixed", "torch-many"])
def test_committed_torch_files_read_bit_exactly(tmp_path, name):
    checkpoint = FIXTURES / f"{name}.pth"
    expected = load_npz(FIXTURES / f"{name}.expected.npz")
    report = inspect_json(checkpoint)
    assert report["format"] == "pytorch"
    assert [row["name"] for row in report["tensors"]] == list(expected)
    actual = read_back(tmp_path, checkpoint)
    assert list(actual) == list(expected)
    for key, want in expected.items():
        assert tensor_rows(report)[key]["shape"] == list(want.shape), key
        if want.dtype.kind == "V":
            assert tensor_rows(report)[key]["dtype"] == "bfloat16"
            assert actual[key].tobytes() == want.tobytes(), key
        else:
            assert tensor_rows(report)[key]["dtype"] == tubelet_dtype(want), key
            assert_same_bits(actual[key], want)


def test_wrapper_is_dropped_and_scalars_become_metadata():
    report = inspect_json(FIXTURES / "torch-mixed.pth")
    assert report["metadata"] == {"epoch": "3", "pytorch.wrapper": "state_dict"}
    assert "shared.first" in tensor_rows(report) and "weight" in tensor_rows(report)


def test_many_tensors_with_module_metadata():
    report = inspect_json(FIXTURES / "torch-many.pth")
    assert report["totals"]["tensors"] == 1100
    assert report["metadata"] == {}


# --------------------------------------------------------------------------------------------
# torch → Tubelet, fresh files (torch needed)
# --------------------------------------------------------------------------------------------

def torch_bits(tensor) -> bytes:
    torch = require_torch()
    flat = tensor.detach().contiguous().reshape(-1)
    return flat.view(torch.uint8).numpy().tobytes() if flat.numel() else b""


def test_fresh_torch_files_read_bit_exactly(tmp_path):
    torch = require_torch()
    generator = torch.Generator().manual_seed(5)
    base = torch.randn(6, 8, generator=generator)
    state = {
        "f16": torch.randn(4, 4, generator=generator).half(),
        "bf16": torch.randn(7, generator=generator).bfloat16(),
        "f32": torch.randn(3, 5, generator=generator),
        "i64": torch.arange(10) - 5,
        "bool": torch.rand(9, generator=generator) > 0.5,
        "view": base[::2, 1:7:3],
        "t": base.t(),
        "tied.a": base[2],
        "tied.b": base[2],
        "expand": torch.randn(1, 3, generator=generator).expand(4, 3),
        "param": torch.nn.Parameter(torch.randn(2, 3, generator=generator)),
    }
    for wrapper in (None, "state_dict", "model"):
        path = tmp_path / f"fresh-{wrapper}.pth"
        torch.save(state if wrapper is None else {wrapper: state}, path)
        actual = read_back(tmp_path, path)
        for key, tensor in state.items():
            assert list(actual[key].shape) == list(tensor.shape), key
            assert actual[key].tobytes() == torch_bits(tensor), key


def test_nested_dicts_get_slash_joined_names(tmp_path):
    torch = require_torch()
    path = tmp_path / "nested.pth"
    torch.save({"model": {"w": torch.ones(2)}, "ema": {"w": torch.zeros(2)}, "step": 7}, path)
    report = inspect_json(path)
    assert [row["name"] for row in report["tensors"]] == ["model/w", "ema/w"]
    assert report["metadata"] == {"step": "7"}


def test_bare_tensor_is_named_after_the_file(tmp_path):
    torch = require_torch()
    path = tmp_path / "pos_embed.pt"
    torch.save(torch.arange(6.0).reshape(2, 3), path)
    assert [row["name"] for row in inspect_json(path)["tensors"]] == ["pos_embed"]


def test_pickle_protocol_4_is_refused_as_torch_refuses_it(tmp_path):
    torch = require_torch()
    path = tmp_path / "p4.pth"
    torch.save({"w": torch.ones(2)}, path, pickle_protocol=4)
    with pytest.raises(Exception):
        torch.load(path, weights_only=True)
    assert_error_line(run_tubelet(["inspect", path], expect_rc=1), path, "FRAME")


def test_training_checkpoint_with_namespace_is_refused_by_name(tmp_path):
    torch = require_torch()
    import argparse
    path = tmp_path / "train.pth"
    torch.save({"model": {"w": torch.ones(2)}, "args": argparse.Namespace(lr=0.1)}, path)
    assert_error_line(run_tubelet(["inspect", path], expect_rc=1), path, "GLOBAL argparse.Namespace")


def test_os_system_is_never_run(tmp_path):
    """A hand-made archive whose pickle calls os.system('touch PWNED') is refused and nothing runs."""
    path = tmp_path / "evil.pth"
    marker = tmp_path / "PWNED"
    pickle = b"\x80\x02cos\nsystem\nX" + len(f"touch {marker}").to_bytes(4, "little") + f"touch {marker}".encode() + b"\x85R."
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("evil/data.pkl", pickle)
        archive.writestr("evil/version", "3\n")
    for command in (["inspect", path], ["inspect", "--stats", path], ["convert", path, tmp_path / "out.npz"]):
        assert_error_line(run_tubelet(command, expect_rc=1), path, "GLOBAL os.system")
    assert not marker.exists()
    assert not (tmp_path / "out.npz").exists()


# --------------------------------------------------------------------------------------------
# Tubelet → torch
# --------------------------------------------------------------------------------------------

SHAPES = [(3, 4), (), (0,), (2, 0, 3)]


def all_dtype_arrays() -> dict[str, np.ndarray]:
    arrays = {}
    for index, name in enumerate(DTYPES):
        for shape_index, shape in enumerate(SHAPES):
            arrays[f"t.{name}.{shape_index}"] = random_array(name, shape, seed=index * 10 + shape_index)
    return arrays


def tubelet_pth(tmp_path: Path, name: str = "model.pth") -> tuple[Path, dict[str, np.ndarray]]:
    arrays = all_dtype_arrays()
    source = npz_source(tmp_path, arrays)
    return convert(source, tmp_path / name, "--npy-v2-as-bfloat16"), arrays


def test_written_archive_has_torchs_structure(tmp_path):
    path, arrays = tubelet_pth(tmp_path, "vit_small.pth")
    data = path.read_bytes()
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        names = [info.filename for info in infos]
        assert names[:4] == ["vit_small/data.pkl", "vit_small/.format_version", "vit_small/.storage_alignment",
                             "vit_small/byteorder"]
        assert names[-1] == "vit_small/version"
        assert names[4:4 + len(arrays)] == [f"vit_small/data/{key}" for key in range(len(arrays))]
        assert archive.read("vit_small/version") == b"3\n"
        assert archive.read("vit_small/byteorder") == b"little"
        assert archive.read("vit_small/.storage_alignment") == b"64"
        for info in infos:
            assert info.compress_type == zipfile.ZIP_STORED, info.filename
            # The data offset: local header (30 bytes) + name + local extra field.
            offset = info.header_offset
            name_length = int.from_bytes(data[offset + 26:offset + 28], "little")
            extra_length = int.from_bytes(data[offset + 28:offset + 30], "little")
            assert (offset + 30 + name_length + extra_length) % 64 == 0, info.filename
        opcodes = {opcode.name for opcode, _, _ in pickletools.genops(archive.read("vit_small/data.pkl"))}
        assert opcodes <= WEIGHTS_ONLY_OPCODES, opcodes - WEIGHTS_ONLY_OPCODES
        protocol = next(pickletools.genops(archive.read("vit_small/data.pkl")))
        assert protocol[0].name == "PROTO" and protocol[1] == 2


def test_written_archive_reads_back_bit_exactly(tmp_path):
    path, arrays = tubelet_pth(tmp_path)
    actual = read_back(tmp_path, path)
    assert list(actual) == list(arrays)
    for key, want in arrays.items():
        if want.dtype == DTYPES["bfloat16"]:
            assert actual[key].tobytes() == want.tobytes()
        else:
            assert_same_bits(actual[key], want)


def test_big_endian_archives_are_swapped(tmp_path):
    """An archive whose `byteorder` record says `big` holds big-endian storages (as torch
    writes on s390x); Tubelet swaps them. Made here by rewriting a Tubelet archive."""
    path, arrays = tubelet_pth(tmp_path, "le.pth")
    keys = list(arrays)
    big = tmp_path / "be.pth"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(big, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "le/byteorder":
                data = b"big"
            elif info.filename.startswith("le/data/"):
                itemsize = arrays[keys[int(info.filename.rsplit("/", 1)[1])]].dtype.itemsize
                if itemsize > 1:
                    data = np.frombuffer(data, BITS_DTYPE[itemsize]).byteswap().tobytes()
            target.writestr(info.filename.replace("le/", "be/", 1), data)
    actual = read_back(tmp_path, big)
    for key, want in arrays.items():
        assert actual[key].tobytes() == np.ascontiguousarray(want).tobytes(), key


@pytest.mark.parametrize("mmap", [False, True])
def test_torch_loads_written_archive_weights_only(tmp_path, mmap):
    torch = require_torch()
    path, arrays = tubelet_pth(tmp_path)
    state = torch.load(path, weights_only=True, mmap=mmap)
    assert list(state) == list(arrays)
    for key, want in arrays.items():
        tensor = state[key]
        assert tuple(tensor.shape) == want.shape, key
        assert str(tensor.dtype) == "torch." + tubelet_dtype(want), key
        assert torch_bits(tensor) == np.ascontiguousarray(want).tobytes(), key


def test_torch_loads_converted_safetensors_and_sample(tmp_path):
    torch = require_torch()
    sample = REPO_ROOT / "Checkpoints" / "vit-tiny-timm.safetensors"
    out = convert(sample, tmp_path / "timm.pth")
    state = torch.load(out, weights_only=True, mmap=True)
    from safetensors.torch import load_file
    reference = load_file(sample)
    assert list(state) == list(inspect_json(sample)["tensors"][i]["name"] for i in range(len(reference)))
    for key, tensor in reference.items():
        assert torch.equal(state[key], tensor), key
