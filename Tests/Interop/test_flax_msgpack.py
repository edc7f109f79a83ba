"""Flax msgpack (`flax.serialization.msgpack_serialize`, scenic's checkpoint format) both ways:
files Flax wrote are read bit-exactly (committed fixtures, so this runs without flax), and
files Tubelet writes restore in Flax (skipped without flax)."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import REPO_ROOT, convert, inspect_json, run_tubelet

FIXTURES = REPO_ROOT / "Tests" / "Fixtures" / "flax"
SAMPLE = REPO_ROOT / "Checkpoints" / "ViT-tiny_16.npz"


@pytest.mark.parametrize("name", ["scenic-vit-state", "dtypes-chunked"])
def test_flax_written_files_read_bit_exactly(tmp_path, name):
    """Every array Flax wrote (all dtypes, a 0-d scalar, an empty array, a chunked array)
    converts to an npz holding exactly the same bytes; bfloat16 is compared bit for bit."""
    out = np.load(convert(FIXTURES / f"{name}.msgpack", tmp_path / "out.npz"))
    expected = np.load(FIXTURES / f"{name}.expected.npz")
    assert sorted(out.files) == sorted(expected.files)
    for key in expected.files:
        ours = out[key].view(np.uint16) if out[key].dtype.kind == "V" else out[key]
        assert ours.shape == expected[key].shape and ours.dtype == expected[key].dtype, key
        assert ours.tobytes() == expected[key].tobytes(), key


def test_scenic_train_state_is_detected_with_its_prefix():
    """A scenic state (`optimizer/target/...`) is the scenic layout; the step counter is metadata."""
    report = inspect_json(FIXTURES / "scenic-vit-state.msgpack")
    assert report["format"] == "msgpack"
    assert report["layout"]["name"] == "scenic" and report["layout"]["prefix"] == "optimizer/target/"
    assert report["metadata"] == {"step": "1234"}


def test_truncated_msgpack_is_refused(tmp_path):
    """Half a Flax file is one clear error, not a crash."""
    data = (FIXTURES / "scenic-vit-state.msgpack").read_bytes()
    path = tmp_path / "truncated.msgpack"
    path.write_bytes(data[: len(data) // 2])
    failed = run_tubelet(["inspect", path], expect_rc=1)
    assert "truncated" in failed.stderr and str(path) in failed.stderr


def test_inflated_msgpack_restores_in_flax(tmp_path):
    """`inflate --format msgpack` restores with flax.serialization.msgpack_restore into the
    same params tree the npz output unflattens to."""
    serialization = pytest.importorskip("flax.serialization")
    traverse_util = pytest.importorskip("flax.traverse_util")
    for suffix in ("msgpack", "npz"):
        run_tubelet(["inflate", SAMPLE, "-o", tmp_path / f"vivit.{suffix}", "--model", "factorised-encoder",
                     "--frames", "8", "--classes", "5"])
    restored = serialization.msgpack_restore((tmp_path / "vivit.msgpack").read_bytes())
    flat = traverse_util.flatten_dict(restored, sep="/")
    npz = np.load(tmp_path / "vivit.npz")
    assert sorted(flat) == sorted(npz.files)
    for key in npz.files:
        assert np.asarray(flat[key]).tobytes() == npz[key].tobytes(), key


def test_every_dtype_written_restores_in_flax(tmp_path):
    """Tubelet's msgpack of Flax's own arrays restores with the same dtypes and bytes,
    bfloat16 included."""
    serialization = pytest.importorskip("flax.serialization")
    convert(FIXTURES / "dtypes-chunked.msgpack", tmp_path / "again.msgpack")
    original = serialization.msgpack_restore((FIXTURES / "dtypes-chunked.msgpack").read_bytes())["arrays"]
    again = serialization.msgpack_restore((tmp_path / "again.msgpack").read_bytes())["arrays"]
    assert sorted(original) == sorted(again)
    for key, value in original.items():
        assert again[key].dtype == value.dtype and again[key].shape == value.shape, key
        assert np.asarray(again[key]).tobytes() == np.asarray(value).tobytes(), key


def test_safetensors_format_marker_is_not_metadata_a_msgpack_must_refuse(tmp_path):
    """safetensors' own `"format": "pt"` marker is not carried, so a plain safetensors file (as
    Hugging Face writes it) converts to Flax msgpack; metadata of the user's own is still
    refused by name, and nothing is written."""
    from flax import serialization
    from safetensors.numpy import save_file
    tensors = {"params/dense/kernel": np.arange(6, dtype=np.float32).reshape(2, 3)}
    plain, annotated = tmp_path / "plain.safetensors", tmp_path / "annotated.safetensors"
    save_file(tensors, plain, metadata={"format": "pt"})
    save_file(tensors, annotated, metadata={"format": "pt", "author": "someone"})
    restored = serialization.msgpack_restore(convert(plain, tmp_path / "plain.msgpack").read_bytes())
    assert restored["params"]["dense"]["kernel"].tobytes() == tensors["params/dense/kernel"].tobytes()
    refused = tmp_path / "annotated.msgpack"
    process = run_tubelet(["convert", annotated, refused], expect_rc=1)
    assert "Flax msgpack has no place for the source's 1 metadata entries (author)" in process.stderr
    assert not refused.exists()
