"""The built-in layout schemas against their JSON Schema, and layout conversion seen from
numpy: a vision_transformer .npz rewritten as timm has timm's names and PyTorch layouts."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from conftest import REPO_ROOT, convert, inspect_json

SCHEMAS = REPO_ROOT / "Schemas"
SAMPLE = REPO_ROOT / "Checkpoints" / "ViT-tiny_16.npz"


@pytest.mark.parametrize("path", sorted(p for p in SCHEMAS.glob("*.json") if p.name != "schema.schema.json"),
                         ids=lambda p: p.name)
def test_builtin_schema_is_valid(path: Path):
    """Every built-in schema follows Schemas/schema.schema.json, the format users write to."""
    jsonschema.validate(json.loads(path.read_text()), json.loads((SCHEMAS / "schema.schema.json").read_text()))


def test_sample_is_detected_with_its_architecture():
    """inspect names the sample's layout and the architecture its shapes imply."""
    layout = inspect_json(SAMPLE)["layout"]
    assert layout["name"] == "vision_transformer"
    assert layout["architecture"] == {
        "patch_size": [16, 16], "channels": 3, "grid": [4, 4], "image_size": [64, 64], "width": 64, "depth": 2,
        "heads": 4, "mlp_width": 128, "classifier": "token", "has_pre_logits": False, "classes": 10,
    }


def test_timm_layout_has_pytorch_layouts(tmp_path):
    """--to timm gives timm's names with exact PyTorch layouts: the conv kernel OIHW, q/k/v
    fused row-wise as [q; k; v] with each [D_out, D_in], Dense kernels transposed."""
    out = convert(SAMPLE, tmp_path / "timm.npz", "--to", "timm", "--heads", "4")
    source, timm = np.load(SAMPLE), np.load(out)
    block = "Transformer/encoderblock_1/MultiHeadDotProductAttention_1"
    np.testing.assert_array_equal(timm["patch_embed.proj.weight"], source["embedding/kernel"].transpose(3, 2, 0, 1))
    expected_qkv = np.concatenate([source[f"{block}/{p}/kernel"].reshape(64, 64).T for p in ("query", "key", "value")])
    np.testing.assert_array_equal(timm["blocks.1.attn.qkv.weight"], expected_qkv)
    np.testing.assert_array_equal(timm["blocks.1.attn.proj.weight"], source[f"{block}/out/kernel"].reshape(64, 64).T)
    np.testing.assert_array_equal(timm["blocks.1.mlp.fc1.weight"],
                                  source["Transformer/encoderblock_1/MlpBlock_3/Dense_0/kernel"].T)
    np.testing.assert_array_equal(timm["head.weight"], source["head/kernel"].T)


TIMM_REFERENCE = REPO_ROOT / "Tests" / "Fixtures" / "layouts" / "timm-load_weights-ViT-tiny_16.safetensors"


def test_timm_layout_agrees_with_timms_own_npz_loader(tmp_path):
    """`convert --to timm` of the sample gives bit for bit the state dict timm's own
    `_load_weights` builds from the same .npz (recorded once with timm installed; see
    Tests/Fixtures/layouts/make_timm_reference.py), and converting that state dict back gives
    the sample again."""
    from safetensors.numpy import load_file

    reference = load_file(TIMM_REFERENCE)
    ours = np.load(convert(SAMPLE, tmp_path / "timm.npz", "--to", "timm", "--heads", "4"))
    assert sorted(ours.files) == sorted(reference)
    for name, tensor in reference.items():
        assert ours[name].dtype == tensor.dtype and ours[name].shape == tensor.shape, name
        assert ours[name].tobytes() == tensor.tobytes(), name

    back = np.load(convert(tmp_path / "timm.npz", tmp_path / "back.npz", "--to", "vision_transformer", "--heads", "4"))
    sample = np.load(SAMPLE)
    assert sorted(back.files) == sorted(sample.files)
    for name in sample.files:
        assert back[name].tobytes() == sample[name].tobytes(), name


def test_diff_across_layouts_finds_one_changed_value(tmp_path):
    """diff compares a timm-layout file with the vision_transformer sample under canonical
    names: equal as written (exit 0); one changed element is found, named and located (exit 2)."""
    from conftest import run_tubelet

    timm_path = convert(SAMPLE, tmp_path / "timm.npz", "--to", "timm", "--heads", "4")
    same = run_tubelet(["diff", SAMPLE, timm_path, "--heads", "4", "--json"])
    assert json.loads(same.stdout)["equal"] is True

    arrays = dict(np.load(timm_path))
    arrays["blocks.0.mlp.fc2.weight"][5, 7] += 0.5  # [D, M] in timm: canonical Dense_1 kernel [M, D] at (7, 5)
    np.savez(tmp_path / "changed.npz", **arrays)
    changed = run_tubelet(["diff", SAMPLE, tmp_path / "changed.npz", "--heads", "4", "--json"], expect_rc=2)
    report = json.loads(changed.stdout)
    differing = [t for t in report["tensors"] if t["status"] != "equal"]
    assert [t["name"] for t in differing] == ["Transformer/encoderblock_0/MlpBlock_0/Dense_1/kernel"]
    assert differing[0]["mismatched"] == 1
    assert differing[0]["first_mismatch"] == 7 * 64 + 5
    assert differing[0]["max_abs_diff"] == pytest.approx(0.5, abs=1e-6)
