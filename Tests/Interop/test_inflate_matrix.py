"""Every sample checkpoint inflates to all four ViViT models in every output format; each
output opens in its reference reader (numpy, h5py, safetensors) or equals the npz output
tensor for tensor (pth, msgpack), and the report accounts for every tensor of the input."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest
from safetensors.numpy import load_file

from conftest import REPO_ROOT, inspect_json, run_tubelet

CHECKPOINTS = REPO_ROOT / "Checkpoints"
# Sample → flags its layout needs (timm and vit-keras files do not store the head count).
SAMPLES = {
    "ViT-tiny_16.npz": [],
    "ViT-tiny_16.h5": [],
    "vit-tiny-timm.pth": ["--heads", "4"],
    "vit-tiny-timm.safetensors": ["--heads", "4"],
    "ViT-tiny_keras3.weights.h5": [],
    "ViT-tiny_keras3.keras": [],
    "ViT-tiny_keras3-bf16.weights.h5": [],
    "ViT-tiny_16_keras2.h5": ["--heads", "4"],
    "ViT-tiny_16_keras2-model.h5": ["--heads", "4"],
    "vit-tiny-scenic_checkpoint_0": [],
    "vit-tiny-big_vision.npz": [],
    "vit-tiny-big_vision-scan.npz": [],
    "vit-tiny-hf": [],
    "vit-tiny-hf-classifier": [],
    "vit-tiny-hf-v5": [],
    "vit-tiny-hf-classifier-v5": [],
}
MODELS = ["spacetime", "factorised-encoder", "factorised-self-attention", "factorised-dot-product"]


def inflate(tmp_path, sample, model, suffix, *flags):
    out = tmp_path / f"vivit.{suffix}"
    report = tmp_path / f"report-{suffix}.json"
    run_tubelet(["inflate", CHECKPOINTS / sample, "-o", out, "--model", model, "--frames", "4", "--classes", "3",
                 "--report", report, *SAMPLES[sample], *flags])
    return out, json.loads(report.read_text())


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_every_sample_inflates_to_every_model_and_format(tmp_path, sample, model):
    npz_path, report = inflate(tmp_path, sample, model, "npz")
    npz = np.load(npz_path)
    expected = {entry["name"]: entry["shape"] for entry in report["outputs"]}
    assert {name: list(npz[name].shape) for name in npz.files} == expected
    assert all(npz[name].dtype == np.float32 for name in npz.files)

    # The report accounts for every tensor of the input file: used by an output, or left out with a reason.
    inputs = {row["name"] for row in inspect_json(CHECKPOINTS / sample)["tensors"]}
    used = {name for entry in report["outputs"] for name in entry.get("file_tensors") or []}
    dropped = {name for entry in report["dropped"] for name in entry.get("file_tensors") or []}
    assert inputs == used | dropped, inputs ^ (used | dropped)
    assert all(entry["reason"] for entry in report["dropped"])

    h5_path, _ = inflate(tmp_path, sample, model, "h5")
    with h5py.File(h5_path) as f:
        for name, shape in expected.items():
            assert list(f[name].shape) == shape and f[name][()].tobytes() == npz[name].tobytes(), name
        assert json.loads(f.attrs["tubelet.report"])["outputs"] == report["outputs"]
        assert json.loads(f.attrs["tubelet.config"])["model"] == model

    st_path, _ = inflate(tmp_path, sample, model, "safetensors")
    st = load_file(st_path)
    assert sorted(st) == sorted(expected) and all(st[n].tobytes() == npz[n].tobytes() for n in st)

    for suffix in ("pth", "msgpack"):
        path, _ = inflate(tmp_path, sample, model, suffix)
        same = run_tubelet(["diff", npz_path, path, "--json"])
        assert json.loads(same.stdout)["equal"] is True, suffix


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_hf_output_is_model_1_only(tmp_path, sample):
    """hf writes a Hugging Face ViViT directory for Model 1 and refuses the others by name."""
    run_tubelet(["inflate", CHECKPOINTS / sample, "-o", tmp_path / "hf", "--format", "hf", "--model", "spacetime",
                 "--frames", "4", "--classes", "3", *SAMPLES[sample]])
    config = json.loads((tmp_path / "hf" / "config.json").read_text())
    assert config["model_type"] == "vivit" and config["num_frames"] == 4 and len(config["id2label"]) == 3
    weights = load_file(tmp_path / "hf" / "model.safetensors")
    assert "classifier.weight" in weights and not np.any(weights["classifier.weight"])
    refused = run_tubelet(["inflate", CHECKPOINTS / sample, "-o", tmp_path / "hf2", "--format", "hf",
                           "--model", "factorised-encoder", "--classes", "3", *SAMPLES[sample]], expect_rc=1)
    assert "Model 1" in refused.stderr and not (tmp_path / "hf2").exists()


@pytest.mark.parametrize("model", ["spacetime", "factorised-dot-product"])
def test_inflating_a_vivit_is_refused_saying_what_it_is(tmp_path, model: str):
    """A ViViT (Models 1 and 4 share the image ViT's names) is refused as what it is, not with
    'expected rank 4', and inspect gives its ViViT architecture."""
    vivit = tmp_path / "vivit.npz"
    run_tubelet(["inflate", REPO_ROOT / "Checkpoints" / "ViT-tiny_16.npz", "-o", vivit, "--model", model, "--frames", "4"])
    again = tmp_path / "again.npz"
    process = run_tubelet(["inflate", vivit, "-o", again, "--model", "spacetime"], expect_rc=1)
    name = "ViViT Model 1 (spacetime)" if model == "spacetime" else "ViViT Model 1 or 4"
    assert f"this is already a {name}" in process.stderr and "(a [2, 16, 16, 3, 64] tubelet kernel), not an image ViT" in process.stderr
    assert not again.exists()
    line = run_tubelet(["inspect", vivit]).stdout
    assert ("— ViViT Model 1 (spacetime), tubelet 2x16x16" if model == "spacetime" else "— ViViT Model 1 or 4") in line


@pytest.mark.parametrize("image_size", ["96", "48", "1024"])
def test_a_new_image_size_resizes_the_grid_as_scipy_zoom_then_tiles(tmp_path, image_size):
    """scenic resizes each frame's grid with scipy.ndimage.zoom(order=1) in float64 and tiles it
    over time: Tubelet's streamed resize gives the same float32 bits (up, down, and a 64x64 grid
    of 1 MB tiles)."""
    out, _ = inflate(tmp_path, "ViT-tiny_16.npz", "spacetime", "npz", "--image-size", image_size)
    scipy_ndimage = pytest.importorskip("scipy.ndimage")
    source = np.load(CHECKPOINTS / "ViT-tiny_16.npz")["Transformer/posembed_input/pos_embedding"]
    grid = source[0, 1:].reshape(4, 4, -1).astype(np.float64)
    side = int(image_size) // 16
    resized = scipy_ndimage.zoom(grid, (side / 4, side / 4, 1), order=1).astype(np.float32).reshape(side * side, -1)
    expected = np.concatenate([source[0, :1]] + [resized] * 2)[None]
    actual = np.load(out)["Transformer/posembed_input/pos_embedding"]
    assert actual.shape == expected.shape and actual.tobytes() == expected.tobytes()
