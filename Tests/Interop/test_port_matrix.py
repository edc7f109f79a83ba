"""Every ViT layout Tubelet writes, loaded and run by that layout's own library.

For each source sample (one per family that writes a ViT with a classifier) and each target
layout, `tubelet convert --to TARGET` (with `--drop-head` where the target is a backbone), and
the target's library loads the output as it loads its own checkpoints: timm
`load_state_dict(strict=True)`, timm's own npz loader for Google's vision_transformer and
big_vision files, transformers `from_pretrained` (ViTModel and ViTForImageClassification, v4 and
v5 names; no missing, unexpected or mismatched keys), keras-hub `ViTBackbone.load_weights`, and
for scenic a Flax module with scenic's structure and names whose parameters must be exactly
the file's tree. Its
CLS features (the final LayerNorm's CLS token) on fixed random pixels must equal the source's,
computed by the source family's library from the source's own file (timm for every sample
that holds ViT-tiny_16's weights or timm's; keras-hub for its backbone sample), to 1e-5. A
backbone source converted to a classifier layout is refused: a classifier is never invented.

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
#: keras-hub's backbone sample: another architecture, no classifier; its reference is keras-hub.
KERAS_SAMPLE = "ViT-tiny_keras3.weights.h5"
#: Image size, patch, width, depth, heads, MLP width and classes of each source's model.
TINY = dict(image=64, patch=16, width=64, depth=2, heads=4, mlp=128, classes=10)
ARCHITECTURE = {KERAS_SAMPLE: dict(image=32, patch=8, width=16, depth=2, heads=2, mlp=32, classes=0)}
CLASSIFIERS = {"hf-vit-classifier", "hf-vit-classifier-v5"}
TARGETS = ["timm", "vision_transformer", "big_vision", "hf-vit", "hf-vit-v5", "hf-vit-classifier",
           "hf-vit-classifier-v5", "keras-hub-vit", "scenic"]
BACKBONES = {"hf-vit", "hf-vit-v5", "keras-hub-vit"}
EXTENSION = {"timm": ".safetensors", "vision_transformer": ".npz", "big_vision": ".npz", "keras-hub-vit": ".weights.h5",
             "scenic": ".npz"}


def timm_model(arch: dict, no_embed_class: bool = False):
    """The source's architecture in timm. `no_embed_class`: the CLS token has no position
    (big_vision's ViT)."""
    return timm.models.vision_transformer.VisionTransformer(
        img_size=arch["image"], patch_size=arch["patch"], embed_dim=arch["width"], depth=arch["depth"],
        num_heads=arch["heads"], mlp_ratio=arch["mlp"] / arch["width"], num_classes=arch["classes"],
        no_embed_class=no_embed_class).eval()


@cache
def pixels(size: int) -> np.ndarray:
    return np.random.default_rng(7).standard_normal((2, 3, size, size)).astype(np.float32)


def timm_features(model, arch: dict) -> np.ndarray:
    with torch.no_grad():
        return model.forward_features(torch.from_numpy(pixels(arch["image"])))[:, 0].numpy()


def keras_features(path: Path, arch: dict) -> np.ndarray:
    # Keras 3 picks TensorFlow unless told; the samples were written with JAX.
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras_hub = pytest.importorskip("keras_hub")
    model = keras_hub.models.ViTBackbone(
        image_shape=(arch["image"], arch["image"], 3), patch_size=arch["patch"], num_layers=arch["depth"],
        num_heads=arch["heads"], hidden_dim=arch["width"], mlp_dim=arch["mlp"], layer_norm_epsilon=1e-6)
    model.load_weights(str(path))
    return np.asarray(model(np.transpose(pixels(arch["image"]), (0, 2, 3, 1))))[:, 0]


@cache
def reference(source: str) -> np.ndarray:
    """The source's CLS features, by the source family's library from the source's own file."""
    arch = ARCHITECTURE.get(source, TINY)
    if source == KERAS_SAMPLE:
        return keras_features(CHECKPOINTS / source, arch)
    model = timm_model(arch)
    if source == TIMM_SAMPLE:
        model.load_state_dict(torch.load(CHECKPOINTS / source, weights_only=True), strict=True)
    else:
        # Every other sample holds ViT-tiny_16's weights (test_layout_samples checks that);
        # timm reads Google's npz with its own loader.
        timm.models.vision_transformer._load_weights(model, str(CHECKPOINTS / "ViT-tiny_16.npz"))
    return timm_features(model, arch)


def features(target: str, path: Path, arch: dict) -> np.ndarray:
    """CLS features of the converted file, loaded by the target layout's own library."""
    if target == "timm":
        from safetensors.torch import load_file
        model = timm_model(arch)
        model.load_state_dict(load_file(path), strict=True)
        return timm_features(model, arch)
    if target in ("vision_transformer", "big_vision"):
        # big_vision keeps no position for the CLS token: Tubelet writes a zero CLS position
        # that way (16 rows), any other one as a 17th row. timm's loader reads either into the
        # model with the matching structure.
        with np.load(path) as archive:
            rows = next(archive[name].shape[1] for name in archive.files if name.endswith("pos_embedding"))
        model = timm_model(arch, no_embed_class=rows == (arch["image"] // arch["patch"]) ** 2)
        timm.models.vision_transformer._load_weights(model, str(path))
        return timm_features(model, arch)
    if target.startswith("hf-vit"):
        model_class = "ViTForImageClassification" if "classifier" in target else "ViTModel"
        extra = {} if "classifier" in target else {"add_pooling_layer": False}
        model, info = getattr(transformers, model_class).from_pretrained(
            path, output_loading_info=True, hidden_act="gelu", layer_norm_eps=1e-6, **extra)
        assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"], info
        backbone = model.vit if "classifier" in target else model
        with torch.no_grad():
            return backbone.eval()(pixel_values=torch.from_numpy(pixels(arch["image"]))).last_hidden_state[:, 0].numpy()
    if target == "keras-hub-vit":
        return keras_features(path, arch)
    if target == "scenic":
        return scenic_features(path, arch)
    raise AssertionError(f"no loader for {target}")


def scenic_features(path: Path, arch: dict) -> np.ndarray:
    """scenic's ViT parameter tree, as Flax reads an npz of it (`unflatten_dict(sep="/")`; a
    msgpack cannot hold the metadata most sources carry), run by a Flax module with scenic's structure and names: `embedding` (a patch
    Conv), `cls`, `Transformer/posembed_input/pos_embedding`, `encoderblock_{i}` of
    LayerNorm_0 → MultiHeadDotProductAttention_0 → LayerNorm_1 → MlpBlock_0/Dense_{0,1},
    `encoder_norm`. The restored tree must have exactly the module's parameters, no more, no fewer."""
    flax = pytest.importorskip("flax")
    import jax
    import jax.numpy as jnp
    from flax import linen as nn

    class MlpBlock(nn.Module):
        @nn.compact
        def __call__(self, x):
            x = nn.gelu(nn.Dense(arch["mlp"])(x), approximate=False)
            return nn.Dense(arch["width"])(x)

    class Encoder1DBlock(nn.Module):
        @nn.compact
        def __call__(self, x):
            y = nn.LayerNorm(epsilon=1e-6)(x)
            x = x + nn.MultiHeadDotProductAttention(num_heads=arch["heads"])(y, y)
            return x + MlpBlock()(nn.LayerNorm(epsilon=1e-6)(x))

    class ViT(nn.Module):
        @nn.compact
        def __call__(self, images):
            p = arch["patch"]
            x = nn.Conv(arch["width"], (p, p), strides=(p, p), padding="VALID", name="embedding")(images)
            x = x.reshape(x.shape[0], -1, x.shape[-1])
            cls = self.param("cls", nn.initializers.zeros, (1, 1, arch["width"]))
            x = jnp.concatenate([jnp.tile(cls, (x.shape[0], 1, 1)), x], axis=1)
            x = Transformer(name="Transformer")(x)
            logits = nn.Dense(arch["classes"], name="output_projection")(x[:, 0]) if arch["classes"] else None
            return x[:, 0], logits

    class Transformer(nn.Module):
        @nn.compact
        def __call__(self, x):
            class PositionEmbedding(nn.Module):
                @nn.compact
                def __call__(self, x):
                    return x + self.param("pos_embedding", nn.initializers.zeros, (1,) + x.shape[1:])
            x = PositionEmbedding(name="posembed_input")(x)
            for i in range(arch["depth"]):
                x = Encoder1DBlock(name=f"encoderblock_{i}")(x)
            return nn.LayerNorm(epsilon=1e-6, name="encoder_norm")(x)

    with np.load(path) as archive:
        params = flax.traverse_util.unflatten_dict({name: archive[name] for name in archive.files}, sep="/")
    images = jnp.asarray(np.transpose(pixels(arch["image"]), (0, 2, 3, 1)))
    model = ViT()
    expected = jax.tree_util.tree_map(lambda a: a.shape, model.init(jax.random.PRNGKey(0), images)["params"])
    restored = jax.tree_util.tree_map(lambda a: a.shape, params)
    assert flax.traverse_util.flatten_dict(restored) == flax.traverse_util.flatten_dict(expected)
    features, _ = model.apply({"params": params}, images)
    return np.asarray(features)


CASES = [(source, target) for source in [*SOURCES, TIMM_SAMPLE, KERAS_SAMPLE] for target in TARGETS]


@pytest.mark.parametrize("source,target", CASES, ids=[f"{s}->{t}" for s, t in CASES])
def test_port_loads_in_the_targets_library_and_computes_the_same_features(tmp_path, source: str, target: str):
    arch = ARCHITECTURE.get(source, TINY)
    out = tmp_path / f"out{EXTENSION.get(target, '')}"
    args = ["convert", CHECKPOINTS / source, out, "--to", target, "--heads", str(arch["heads"])]
    if target.startswith("hf-vit"):
        args += ["--format", "hf"]
    if not arch["classes"] and target in CLASSIFIERS:
        # A classifier the source does not have is never invented.
        process = run_tubelet(args, expect_rc=1)
        assert "ViTForImageClassification needs a classifier head" in process.stderr and not out.exists()
        return
    if arch["classes"] and target in BACKBONES:
        process = run_tubelet(args, expect_rc=1)
        assert "--drop-head" in process.stderr and not out.exists()
        args.append("--drop-head")
    process = run_tubelet(args)
    if arch["classes"] and target in BACKBONES:
        assert "left out 2 tensors on purpose" in process.stderr
    np.testing.assert_allclose(features(target, out, arch), reference(source), atol=1e-5, rtol=0)
