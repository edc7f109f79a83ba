"""Writes the Hugging Face ViT samples in this folder with transformers itself. Needs torch
(CPU) and transformers 5; run from the repository root:

    .venv/bin/python Checkpoints/make_hf_samples.py

The weights are those of ViT-tiny_16.npz (the vision_transformer sample: 64 px images,
16 px patches, width 64, 4 heads, MLP 128, depth 2, 10 classes), ported the way Hugging
Face's own ViT converters do it (reference notes, vivit-init.md §1): the conv kernel
[h, w, C, D] permuted to [D, C, h, w]; q/k/v kernels [D, H, hd] flattened to [D, D] and
transposed; the out kernel [H, hd, D] flattened to [D, D] and transposed; Dense kernels
transposed. The port is loaded into the transformers model with `load_state_dict(strict=True)`
and checked against a numpy forward pass of the Flax model before anything is saved, so the
samples are what transformers writes for a model that computes what the .npz computes.

The config is a faithful port too: `hidden_act="gelu_fast"` (Flax's `nn.gelu` is the tanh
approximation) and `layer_norm_eps=1e-6` (Flax's LayerNorm default), no dropout.

vit-tiny-hf-classifier/: `ViTForImageClassification.save_pretrained`, the library's default
(`save_original_format=True`): `vit.encoder.layer.{i}.attention.attention.query.weight`, …,
`classifier` — the names every Hub checkpoint has.
vit-tiny-hf/: `ViTModel.save_pretrained` of the same encoder without the head, with a pooler
(`pooler.dense`, what transformers calls the pre_logits layer; random values, seed 1, as the
.npz has none).
vit-tiny-hf-classifier-v5/, vit-tiny-hf-v5/: the same two models saved with
`save_original_format=False`, which transformers 5 offers: its own internal names
(`vit.layers.{i}.attention.q_proj.weight`, `mlp.fc1`, …), which `from_pretrained` reads too.

Deterministic: the same bytes on every run with the same transformers and safetensors
(config.json records the transformers version).
"""

from pathlib import Path

import numpy as np
import torch
from transformers import ViTConfig, ViTForImageClassification, ViTModel

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "ViT-tiny_16.npz"
WIDTH, HEADS, MLP, DEPTH, IMAGE, PATCH, CLASSES = 64, 4, 128, 2, 64, 16, 10


def config() -> ViTConfig:
    return ViTConfig(
        hidden_size=WIDTH, num_hidden_layers=DEPTH, num_attention_heads=HEADS, intermediate_size=MLP,
        hidden_act="gelu_fast", hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
        layer_norm_eps=1e-6, image_size=IMAGE, patch_size=PATCH, num_channels=3, qkv_bias=True,
        num_labels=CLASSES)


def internal_state_dict(npz: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    """The vision_transformer tensors under transformers 5's in-memory names (`prefix` is
    `vit.` for the classifier, empty for ViTModel)."""
    state = {
        f"{prefix}embeddings.cls_token": npz["cls"],
        f"{prefix}embeddings.position_embeddings": npz["Transformer/posembed_input/pos_embedding"],
        f"{prefix}embeddings.patch_embeddings.projection.weight": npz["embedding/kernel"].transpose(3, 2, 0, 1),
        f"{prefix}embeddings.patch_embeddings.projection.bias": npz["embedding/bias"],
    }
    for block in range(DEPTH):
        flax = f"Transformer/encoderblock_{block}"
        attention = f"{flax}/MultiHeadDotProductAttention_1"
        hf = f"{prefix}layers.{block}"
        for flax_name, hf_name in (("query", "q_proj"), ("key", "k_proj"), ("value", "v_proj")):
            state[f"{hf}.attention.{hf_name}.weight"] = npz[f"{attention}/{flax_name}/kernel"].reshape(WIDTH, WIDTH).T
            state[f"{hf}.attention.{hf_name}.bias"] = npz[f"{attention}/{flax_name}/bias"].reshape(WIDTH)
        state[f"{hf}.attention.o_proj.weight"] = npz[f"{attention}/out/kernel"].reshape(WIDTH, WIDTH).T
        state[f"{hf}.attention.o_proj.bias"] = npz[f"{attention}/out/bias"]
        state[f"{hf}.layernorm_before.weight"] = npz[f"{flax}/LayerNorm_0/scale"]
        state[f"{hf}.layernorm_before.bias"] = npz[f"{flax}/LayerNorm_0/bias"]
        state[f"{hf}.layernorm_after.weight"] = npz[f"{flax}/LayerNorm_2/scale"]
        state[f"{hf}.layernorm_after.bias"] = npz[f"{flax}/LayerNorm_2/bias"]
        state[f"{hf}.mlp.fc1.weight"] = npz[f"{flax}/MlpBlock_3/Dense_0/kernel"].T
        state[f"{hf}.mlp.fc1.bias"] = npz[f"{flax}/MlpBlock_3/Dense_0/bias"]
        state[f"{hf}.mlp.fc2.weight"] = npz[f"{flax}/MlpBlock_3/Dense_1/kernel"].T
        state[f"{hf}.mlp.fc2.bias"] = npz[f"{flax}/MlpBlock_3/Dense_1/bias"]
    state[f"{prefix}layernorm.weight"] = npz["Transformer/encoder_norm/scale"]
    state[f"{prefix}layernorm.bias"] = npz["Transformer/encoder_norm/bias"]
    return state


def flax_forward(npz: dict[str, np.ndarray], images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """vision_transformer's ViT in numpy (float64): the encoder output [n, tokens, D] and the
    head's logits, for NHWC `images`."""
    p = {name: value.astype(np.float64) for name, value in npz.items()}

    def layer_norm(x, prefix):
        mean = x.mean(-1, keepdims=True)
        variance = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(variance + 1e-6) * p[f"{prefix}/scale"] + p[f"{prefix}/bias"]

    def gelu(x):  # flax.linen.gelu, approximate=True
        return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))

    n = images.shape[0]
    grid = IMAGE // PATCH
    patches = images.reshape(n, grid, PATCH, grid, PATCH, 3).transpose(0, 1, 3, 2, 4, 5).reshape(n, grid * grid, -1)
    x = patches @ p["embedding/kernel"].reshape(-1, WIDTH) + p["embedding/bias"]
    x = np.concatenate([np.broadcast_to(p["cls"], (n, 1, WIDTH)), x], axis=1)
    x = x + p["Transformer/posembed_input/pos_embedding"]
    for block in range(DEPTH):
        prefix = f"Transformer/encoderblock_{block}"
        attention = f"{prefix}/MultiHeadDotProductAttention_1"
        y = layer_norm(x, f"{prefix}/LayerNorm_0")
        q, k, v = (np.einsum("nld,dhk->nlhk", y, p[f"{attention}/{name}/kernel"]) + p[f"{attention}/{name}/bias"]
                   for name in ("query", "key", "value"))
        logits = np.einsum("nqhk,nlhk->nhql", q, k) / np.sqrt(WIDTH // HEADS)
        weights = np.exp(logits - logits.max(-1, keepdims=True))
        weights /= weights.sum(-1, keepdims=True)
        y = np.einsum("nhql,nlhk->nqhk", weights, v)
        x = x + np.einsum("nqhk,hkd->nqd", y, p[f"{attention}/out/kernel"]) + p[f"{attention}/out/bias"]
        y = layer_norm(x, f"{prefix}/LayerNorm_2")
        y = gelu(y @ p[f"{prefix}/MlpBlock_3/Dense_0/kernel"] + p[f"{prefix}/MlpBlock_3/Dense_0/bias"])
        x = x + y @ p[f"{prefix}/MlpBlock_3/Dense_1/kernel"] + p[f"{prefix}/MlpBlock_3/Dense_1/bias"]
    encoded = layer_norm(x, "Transformer/encoder_norm")
    return encoded, encoded[:, 0] @ p["head/kernel"] + p["head/bias"]


def test_images() -> np.ndarray:
    """Two fixed NHWC images for checking the port."""
    return np.random.default_rng(7).standard_normal((2, IMAGE, IMAGE, 3)).astype(np.float32)


def load_exactly(model: torch.nn.Module, state: dict[str, np.ndarray]) -> None:
    """Every parameter of `model` from `state`, none left over (strict)."""
    assert set(state) == set(model.state_dict()), sorted(set(state) ^ set(model.state_dict()))
    model.load_state_dict({name: torch.from_numpy(np.ascontiguousarray(value)) for name, value in state.items()}, strict=True)


def main() -> None:
    with np.load(SOURCE) as archive:
        npz = {name: archive[name] for name in archive.files}
    images = test_images()
    encoded, expected_logits = flax_forward(npz, images)
    pixels = torch.from_numpy(images.transpose(0, 3, 1, 2).copy())

    classifier = ViTForImageClassification(config()).eval()
    state = internal_state_dict(npz, "vit.")
    state["classifier.weight"] = npz["head/kernel"].T
    state["classifier.bias"] = npz["head/bias"]
    load_exactly(classifier, state)
    with torch.no_grad():
        logits = classifier(pixel_values=pixels).logits.double().numpy()
    assert np.allclose(logits, expected_logits, atol=1e-5), np.abs(logits - expected_logits).max()

    backbone = ViTModel(config()).eval()  # with its pooler, as ViTModel is built by default
    state = internal_state_dict(npz, "")
    rng = np.random.default_rng(1)
    state["pooler.dense.weight"] = (rng.standard_normal((WIDTH, WIDTH)) * 0.02).astype(np.float32)
    state["pooler.dense.bias"] = np.zeros(WIDTH, np.float32)
    load_exactly(backbone, state)
    with torch.no_grad():
        hidden = backbone(pixel_values=pixels).last_hidden_state.double().numpy()
    assert np.allclose(hidden, encoded, atol=1e-5), np.abs(hidden - encoded).max()

    for model, name in ((classifier, "vit-tiny-hf-classifier"), (backbone, "vit-tiny-hf")):
        model.save_pretrained(HERE / name)
        model.save_pretrained(HERE / f"{name}-v5", save_original_format=False)
        print("wrote", HERE / name, "and", HERE / f"{name}-v5")


if __name__ == "__main__":
    main()
