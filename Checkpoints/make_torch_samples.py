"""Writes the PyTorch and safetensors sample checkpoints in this folder. Needs torch (CPU)
and safetensors; run from the repository root:

    .venv/bin/python Checkpoints/make_torch_samples.py

vit-tiny-timm.pth / vit-tiny-timm.safetensors: the same tiny ViT as ViT-tiny_16.npz's
shape (image 64 px, patch 16, width 64, 4 heads, MLP 128, depth 2, 10 classes), in timm's
naming and PyTorch layouts: `patch_embed.proj.weight` [D, 3, p, p], `cls_token` [1, 1, D],
`pos_embed` [1, N+1, D], `blocks.{i}.norm1`, `attn.qkv` (fused [3D, D]), `attn.proj`,
`norm2`, `mlp.fc1` [M, D], `mlp.fc2` [D, M], `norm`, `head` [C, D]. The state dict is
built by hand with torch (random values, seed 0, the scales of a fresh timm ViT), saved by
`torch.save` and, the same tensors, by `safetensors.torch.save_file` with
`{"format": "pt"}` metadata as Hugging Face writes it. A structural sample, not a trained
model.
"""

from collections import OrderedDict
from pathlib import Path

import torch
from safetensors.torch import save_file

IMAGE, PATCH, WIDTH, HEADS, MLP, DEPTH, CLASSES = 64, 16, 64, 4, 128, 2, 10


def tiny_timm_vit(seed: int = 0) -> "OrderedDict[str, torch.Tensor]":
    generator = torch.Generator().manual_seed(seed)

    def normal(*shape, std=0.02):
        return torch.randn(*shape, generator=generator) * std

    tokens = (IMAGE // PATCH) ** 2 + 1
    state = OrderedDict()
    state["cls_token"] = normal(1, 1, WIDTH, std=1e-6)
    state["pos_embed"] = normal(1, tokens, WIDTH)
    state["patch_embed.proj.weight"] = normal(WIDTH, 3, PATCH, PATCH)
    state["patch_embed.proj.bias"] = torch.zeros(WIDTH)
    for block in range(DEPTH):
        prefix = f"blocks.{block}"
        state[f"{prefix}.norm1.weight"] = 1 + normal(WIDTH)
        state[f"{prefix}.norm1.bias"] = normal(WIDTH)
        state[f"{prefix}.attn.qkv.weight"] = normal(3 * WIDTH, WIDTH)
        state[f"{prefix}.attn.qkv.bias"] = normal(3 * WIDTH)
        state[f"{prefix}.attn.proj.weight"] = normal(WIDTH, WIDTH)
        state[f"{prefix}.attn.proj.bias"] = normal(WIDTH)
        state[f"{prefix}.norm2.weight"] = 1 + normal(WIDTH)
        state[f"{prefix}.norm2.bias"] = normal(WIDTH)
        state[f"{prefix}.mlp.fc1.weight"] = normal(MLP, WIDTH)
        state[f"{prefix}.mlp.fc1.bias"] = normal(MLP)
        state[f"{prefix}.mlp.fc2.weight"] = normal(WIDTH, MLP)
        state[f"{prefix}.mlp.fc2.bias"] = normal(WIDTH)
    state["norm.weight"] = 1 + normal(WIDTH)
    state["norm.bias"] = normal(WIDTH)
    state["head.weight"] = normal(CLASSES, WIDTH)
    state["head.bias"] = torch.zeros(CLASSES)
    return state


if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    state = tiny_timm_vit()
    torch.save(state, here / "vit-tiny-timm.pth")
    save_file(state, here / "vit-tiny-timm.safetensors", metadata={"format": "pt"})
    print("wrote", here / "vit-tiny-timm.pth", "and", here / "vit-tiny-timm.safetensors")
