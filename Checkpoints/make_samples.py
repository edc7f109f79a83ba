"""Writes the sample checkpoints in this folder. Run from the repository root:

    .venv/bin/python Checkpoints/make_samples.py

ViT-tiny_16.npz: a tiny ViT (image 64 px, patch 16, width 64, 4 heads, MLP 128, depth 2,
10 classes) in Google's vision_transformer `.npz` naming (pre-Linen module names such as
`MultiHeadDotProductAttention_1`, `LayerNorm_2`, `MlpBlock_3`; Flax layouts: conv kernel
[h, w, C, D], q/k/v kernels [D, H, hd], out kernel [H, hd, D]), written with `np.savez`
exactly as the vision_transformer repository saves its checkpoints. The values are random
(seed 0) with the scales of a freshly initialised ViT, so the file is small and its
contents are reproducible; it is a structural sample, not a trained model.
"""

from pathlib import Path

import numpy as np

IMAGE, PATCH, WIDTH, HEADS, MLP, DEPTH, CLASSES = 64, 16, 64, 4, 128, 2, 10


def tiny_vit(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)

    def normal(*shape, std=0.02):
        return (rng.standard_normal(shape) * std).astype(np.float32)

    head_dim = WIDTH // HEADS
    tokens = (IMAGE // PATCH) ** 2 + 1
    params = {
        "embedding/kernel": normal(PATCH, PATCH, 3, WIDTH),
        "embedding/bias": normal(WIDTH),
        "cls": normal(1, 1, WIDTH),
        "Transformer/posembed_input/pos_embedding": normal(1, tokens, WIDTH),
    }
    for block in range(DEPTH):
        prefix = f"Transformer/encoderblock_{block}"
        attention = f"{prefix}/MultiHeadDotProductAttention_1"
        for norm in ("LayerNorm_0", "LayerNorm_2"):
            params[f"{prefix}/{norm}/scale"] = (1 + normal(WIDTH)).astype(np.float32)
            params[f"{prefix}/{norm}/bias"] = normal(WIDTH)
        for projection in ("query", "key", "value"):
            params[f"{attention}/{projection}/kernel"] = normal(WIDTH, HEADS, head_dim)
            params[f"{attention}/{projection}/bias"] = normal(HEADS, head_dim)
        params[f"{attention}/out/kernel"] = normal(HEADS, head_dim, WIDTH)
        params[f"{attention}/out/bias"] = normal(WIDTH)
        params[f"{prefix}/MlpBlock_3/Dense_0/kernel"] = normal(WIDTH, MLP)
        params[f"{prefix}/MlpBlock_3/Dense_0/bias"] = normal(MLP)
        params[f"{prefix}/MlpBlock_3/Dense_1/kernel"] = normal(MLP, WIDTH)
        params[f"{prefix}/MlpBlock_3/Dense_1/bias"] = normal(WIDTH)
    params["Transformer/encoder_norm/scale"] = (1 + normal(WIDTH)).astype(np.float32)
    params["Transformer/encoder_norm/bias"] = normal(WIDTH)
    params["head/kernel"] = normal(WIDTH, CLASSES)
    params["head/bias"] = np.zeros(CLASSES, np.float32)
    return params


if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    np.savez(here / "ViT-tiny_16.npz", **tiny_vit())
    print("wrote", here / "ViT-tiny_16.npz")
