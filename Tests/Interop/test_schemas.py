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
