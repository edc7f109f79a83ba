"""Every ViT layout Tubelet writes, loaded and run by that layout's own library.

For each source sample (one per family that writes a ViT with a classifier) and each target
layout, `tubelet convert --to TARGET` (with `--drop-head` where the target is a backbone), and
the target's library loads the output as it loads its own checkpoints: timm
`load_state_dict(strict=True)`, timm's own npz loader for Google's vision_transformer and
big_vision files, transformers `from_pretrained` (ViTModel and ViTForImageClassification, v4 and
v5 names; no missing, unexpected or mismatched keys), keras-hub `ViTBackbone.load_weights`. Its
CLS features (the final LayerNorm's CLS token) on fixed random pixels must equal the source's,
computed by timm from the source's own file, to 1e-5.

The weights are ported, not the activation: every model here is built with the exact GELU and
LayerNorm epsilon 1e-6, so the comparison checks the mapping of every tensor.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO_ROOT, run_tubelet

torch = pytest.importorskip("torch")
timm = pytest.importorskip("timm")
transformers = pytest.importorskip("transformers")

CHECKPOINTS = REPO_ROOT / "Checkpoints"
#: ViT-tiny_16 and the samples written from its weights by each family's library.
SOURCES = {
    "ViT-tiny_16.npz": "vision_transformer",
    "vit-tiny-big_vision.npz": "big_vision",
    "vit-tiny-big_vision-scan.npz": "big_vision-scan",
    "vit-tiny-hf-classifier": "hf-vit-classifier",
    "vit-tiny-hf-classifier-v5": "hf-vit-classifier-v5",
    "vit-tiny-scenic_checkpoint_0": "scenic",
    "ViT-tiny_16_keras2.h5": "vit-keras",
}
#: The timm sample holds other weights: its reference is timm itself.
TIMM_SAMPLE = "vit-tiny-timm.pth"
TARGETS = ["timm", "vision_transformer", "big_vision", "hf-vit", "hf-vit-v5", "hf-vit-classifier",
           "hf-vit-classifier-v5", "keras-hub-vit"]
BACKBONES = {"hf-vit", "hf-vit-v5", "keras-hub-vit"}
EXTENSION = {"timm": ".safetensors", "vision_transformer": ".npz", "big_vision": ".npz", "keras-hub-vit": ".weights.h5"}


def timm_model(no_embed_class: bool = False):
    """ViT-tiny_16's architecture in timm: 64 px, patch 16, width 64, 2 blocks, 4 heads.
    `no_embed_class`: the CLS token has no position (big_vision's ViT)."""
    return timm.models.vision_transformer.VisionTransformer(
        img_size=64, patch_size=16, embed_dim=64, depth=2, num_heads=4, mlp_ratio=2.0, num_classes=10,
        no_embed_class=no_embed_class).eval()


@cache
def pixels() -> np.ndarray:
    return np.random.default_rng(7).standard_normal((2, 3, 64, 64)).astype(np.float32)


def timm_features(model) -> np.ndarray:
    with torch.no_grad():
        return model.forward_features(torch.from_numpy(pixels()))[:, 0].numpy()


@cache
def reference(source: str) -> np.ndarray:
    """The source's CLS features, by timm from the source's own file."""
    model = timm_model()
    if source == TIMM_SAMPLE:
        model.load_state_dict(torch.load(CHECKPOINTS / source, weights_only=True), strict=True)
    else:
        # Every other sample holds ViT-tiny_16's weights (test_layout_samples checks that);
        # timm reads Google's npz with its own loader.
        timm.models.vision_transformer._load_weights(model, str(CHECKPOINTS / "ViT-tiny_16.npz"))
    return timm_features(model)


def features(target: str, path: Path) -> np.ndarray:
    """CLS features of the converted file, loaded by the target layout's own library."""
    if target == "timm":
        from safetensors.torch import load_file
        model = timm_model()
        model.load_state_dict(load_file(path), strict=True)
        return timm_features(model)
    if target in ("vision_transformer", "big_vision"):
        # big_vision keeps no position for the CLS token: Tubelet writes a zero CLS position
        # that way (16 rows), any other one as a 17th row. timm's loader reads either into the
        # model with the matching structure.
        with np.load(path) as archive:
            rows = next(archive[name].shape[1] for name in archive.files if name.endswith("pos_embedding"))
        model = timm_model(no_embed_class=rows == 16)
        timm.models.vision_transformer._load_weights(model, str(path))
        return timm_features(model)
    if target.startswith("hf-vit"):
        model_class = "ViTForImageClassification" if "classifier" in target else "ViTModel"
        extra = {} if "classifier" in target else {"add_pooling_layer": False}
        model, info = getattr(transformers, model_class).from_pretrained(
            path, output_loading_info=True, hidden_act="gelu", layer_norm_eps=1e-6, **extra)
        assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"], info
        backbone = model.vit if "classifier" in target else model
        with torch.no_grad():
            return backbone.eval()(pixel_values=torch.from_numpy(pixels())).last_hidden_state[:, 0].numpy()
    if target == "keras-hub-vit":
        # Keras 3 picks TensorFlow unless told; the samples were written with JAX.
        os.environ.setdefault("KERAS_BACKEND", "jax")
        keras_hub = pytest.importorskip("keras_hub")
        model = keras_hub.models.ViTBackbone(image_shape=(64, 64, 3), patch_size=16, num_layers=2, num_heads=4,
                                             hidden_dim=64, mlp_dim=128, layer_norm_epsilon=1e-6)
        model.load_weights(str(path))
        output = model(np.transpose(pixels(), (0, 2, 3, 1)))
        return np.asarray(output)[:, 0]
    raise AssertionError(f"no loader for {target}")


CASES = [(source, target) for source in [*SOURCES, TIMM_SAMPLE] for target in TARGETS]


@pytest.mark.parametrize("source,target", CASES, ids=[f"{s}->{t}" for s, t in CASES])
def test_port_loads_in_the_targets_library_and_computes_the_same_features(tmp_path, source: str, target: str):
    out = tmp_path / f"out{EXTENSION.get(target, '')}"
    args = ["convert", CHECKPOINTS / source, out, "--to", target, "--heads", "4"]
    if target.startswith("hf-vit"):
        args += ["--format", "hf"]
    if target in BACKBONES:
        process = run_tubelet(args, expect_rc=1)
        assert "--drop-head" in process.stderr and not out.exists()
        args.append("--drop-head")
    process = run_tubelet(args)
    if target in BACKBONES:
        assert "left out 2 tensors on purpose" in process.stderr
    np.testing.assert_allclose(features(target, out), reference(source), atol=1e-5, rtol=0)
