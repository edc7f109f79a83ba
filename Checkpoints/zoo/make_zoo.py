"""The ViT zoo: real models built by the real libraries (timm, transformers, keras-hub), at 1-2 blocks but
with the real widths, head counts, MLP widths and patch sizes, and small images so each is cheap,
saved the way each library saves them.

Each case is a directory holding what a user would download (timm: `model.safetensors` plus
timm's `config.json`, as `timm.models.save_for_hf` writes them; transformers: `config.json` plus
`model.safetensors`, as `save_pretrained` writes them; "bare" cases: the safetensors file
alone; keras-hub: `model.weights.h5`, as `ViTBackbone.save_weights` writes it), plus `reference.npz` with a seeded image and the source model's features for it,
computed by the library itself: the final-norm CLS token (`forward_features(x)[:, 0]` in timm,
`last_hidden_state[:, 0]` in transformers, the backbone's output `[:, 0]` in keras-hub), or for a gap model the pooled features
(`forward_head(forward_features(x), pre_logits=True)`).

Every parameter is perturbed with a seeded normal (LayerScale set to U(0.5, 1.5) instead of
its 1e-5 initialisation), so every tensor moves the features and a misplaced or lost tensor
shows. Nothing large is committed: Tests/Interop/test_zoo.py builds the zoo into a cached
temporary directory at test time.

    python Checkpoints/zoo/make_zoo.py OUT_DIR [CASE ...]   # builds the cases (all by default)
    python Checkpoints/zoo/make_zoo.py --list               # the cases and what Tubelet should do

`CASES` says, for each case, what Tubelet must do with it: `exact` (inflates as it is),
`rewrite` (inflates after the named exact rewrites), `gap` (a ViT without a CLS token:
inflates into a gap ViViT in scenic's tree), or `refused` (exit 1, the structure named).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Case:
    library: str  # "timm", "transformers" or "keras-hub"
    builder: str  # timm model name, or a transformers config preset below
    expect: str  # exact | rewrite | gap | refused
    #: create_model / config overrides (depth and image size kept small).
    args: dict = field(default_factory=dict)
    #: The attention heads (what `--heads` says when the files do not).
    heads: int = 0
    #: For rewrite: the rewrite methods the report must list; for refused: a phrase of the reason.
    detail: tuple = ()
    #: transformers: write only model.safetensors, no config.json.
    bare: bool = False
    note: str = ""


# Small images: a 2x2 grid at patch 14 or 16 unless the family needs its own grid (FlexiViT's 15x15).
def _timm(name, expect, heads, depth=1, img=None, detail=(), note="", **extra):
    args = dict(depth=depth, **extra)
    if img is not None:
        args["img_size"] = img
    return Case("timm", name, expect, args, heads, tuple(detail), note=note)


CASES: dict[str, Case] = {
    # Plain ViTs, every standard size (timm).
    "timm-vit-ti16": _timm("vit_tiny_patch16_224", "exact", 3, depth=2, img=32),
    "timm-vit-s16": _timm("vit_small_patch16_224", "exact", 6, img=32),
    "timm-vit-b16": _timm("vit_base_patch16_224", "exact", 12, img=32),
    "timm-vit-l16": _timm("vit_large_patch16_224", "exact", 16, img=32),
    "timm-vit-h14": _timm("vit_huge_patch14_224", "exact", 16, img=28, note="1280 wide, 16 heads (width/64 = 20)"),
    "timm-vit-g14": _timm("vit_giant_patch14_224", "exact", 16, img=28, note="1408 wide, 16 heads (width/64 = 22)"),
    "timm-mae-b16": _timm("vit_base_patch16_224.mae", "exact", 12, img=32),
    "timm-deit-s16": _timm("deit_small_patch16_224", "exact", 6, img=32),
    # Exact after a rewrite.
    "timm-deit3-s16": _timm("deit3_small_patch16_224", "rewrite", 6, img=32, detail=("layer-scale", "class-position")),
    "timm-deit3-h14": _timm("deit3_huge_patch14_224", "rewrite", 16, img=28, detail=("layer-scale", "class-position"),
                            note="1280 wide, 16 heads (width/64 = 20)"),
    "timm-dinov2-s14": _timm("vit_small_patch14_dinov2", "rewrite", 6, img=28, detail=("layer-scale",)),
    "timm-dinov2-l14": _timm("vit_large_patch14_dinov2", "rewrite", 16, img=28, detail=("layer-scale",)),
    "timm-flexivit-s": _timm("flexivit_small", "rewrite", 6, img=240, detail=("class-position",),
                             note="15x15 grid, no CLS position"),
    "timm-vit-b16-no-qkv-bias": _timm("vit_base_patch16_224", "rewrite", 12, img=32, detail=("zero-bias",), qkv_bias=False),
    # No CLS token and no attention pool: a gap ViViT (scenic tree formats).
    "timm-siglip-gap-b16": _timm("vit_base_patch16_siglip_gap_224", "gap", 12, img=32),
    # Refused, with the structure named.
    "timm-deit-distilled-ti16": _timm("deit_tiny_distilled_patch16_224", "refused", 3, img=32, detail=("distillation token",)),
    "timm-dinov2-reg4-s14": _timm("vit_small_patch14_reg4_dinov2", "refused", 6, img=28, detail=("register tokens",)),
    "timm-dinov2-g14": _timm("vit_giant_patch14_dinov2", "refused", 24, img=28, detail=("gated MLP",),
                             note="SwiGLU packed into fc1; 1536 wide, 24 heads"),
    "timm-clip-b16": _timm("vit_base_patch16_clip_224", "refused", 12, img=32, detail=("LayerNorm before the first block",)),
    "timm-clip-h14": _timm("vit_huge_patch14_clip_224", "refused", 16, img=28, detail=("LayerNorm before the first block",)),
    "timm-siglip-b16": _timm("vit_base_patch16_siglip_224", "refused", 12, img=32, detail=("attention-pool",)),
    "timm-siglip-so400m14": _timm("vit_so400m_patch14_siglip_224", "refused", 16, img=28, detail=("attention-pool",),
                                  note="1152 wide, 16 heads"),
    "timm-vit-b16-avg-fc-norm": _timm("vit_base_patch16_224", "refused", 12, img=32, detail=("pooling before the final norm",),
                                      global_pool="avg"),
    "timm-beit-b16": _timm("beit_base_patch16_224", "refused", 12, img=32, detail=("relative position bias",)),
    "timm-eva02-ti14": _timm("eva02_tiny_patch14_224", "refused", 3, img=28, detail=("pooling before the final norm", "gated MLP"),
                             note="its rotary embeddings are non-persistent buffers, not in the file"),
    # Hugging Face transformers, as save_pretrained writes them.
    "hf-vit-b16": Case("transformers", "vit", "exact", dict(hidden_size=768, num_attention_heads=12, intermediate_size=3072,
                                                             patch_size=16, image_size=32), 12),
    "hf-vit-h14": Case("transformers", "vit", "exact", dict(hidden_size=1280, num_attention_heads=16, intermediate_size=5120,
                                                             patch_size=14, image_size=28), 16, note="heads from config.json"),
    "hf-vit-h14-bare": Case("transformers", "vit", "exact", dict(hidden_size=1280, num_attention_heads=16, intermediate_size=5120,
                                                                  patch_size=14, image_size=28), 16, bare=True,
                            note="model.safetensors alone: --heads 16"),
    "hf-vit-l16-bare": Case("transformers", "vit", "exact", dict(hidden_size=1024, num_attention_heads=16, intermediate_size=4096,
                                                                  patch_size=16, image_size=32), 16, bare=True),
    "hf-dinov2-s14": Case("transformers", "dinov2", "rewrite", dict(hidden_size=384, num_attention_heads=6, mlp_ratio=4,
                                                                     patch_size=14, image_size=28), 6, ("layer-scale",)),
    "hf-dinov2-l14": Case("transformers", "dinov2", "rewrite", dict(hidden_size=1024, num_attention_heads=16, mlp_ratio=4,
                                                                     patch_size=14, image_size=28), 16, ("layer-scale",)),
    "hf-dinov2-g14-swiglu": Case("transformers", "dinov2", "refused", dict(hidden_size=1536, num_attention_heads=24, mlp_ratio=4,
                                                                            use_swiglu_ffn=True, patch_size=14, image_size=28),
                                 24, ("gated MLP",)),
    "hf-clip-b16": Case("transformers", "clip", "refused", dict(hidden_size=768, num_attention_heads=12, intermediate_size=3072,
                                                                 patch_size=16, image_size=32), 12,
                        ("LayerNorm before the first block",)),
    # keras-hub's ViTBackbone, as save_weights writes it (heads stored: [D, H, hd] kernels).
    "keras-hub-vit-b16": Case("keras-hub", "vit", "exact", dict(hidden_dim=768, num_heads=12, mlp_dim=3072, patch_size=16,
                                                                 image_shape=(32, 32, 3)), 12),
    "keras-hub-vit-l16": Case("keras-hub", "vit", "exact", dict(hidden_dim=1024, num_heads=16, mlp_dim=4096, patch_size=16,
                                                                 image_shape=(32, 32, 3)), 16),
    "keras-hub-vit-h14": Case("keras-hub", "vit", "exact", dict(hidden_dim=1280, num_heads=16, mlp_dim=5120, patch_size=14,
                                                                 image_shape=(28, 28, 3)), 16, note="1280 wide, 16 heads"),
}

SEED = 0


def perturb(model, torch) -> None:
    """Moves every parameter off its initialisation (seeded), so each one matters: LayerScale
    to U(0.5, 1.5), everything else plus normal(0, 0.02)."""
    generator = torch.Generator().manual_seed(SEED)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name.endswith(("gamma", "lambda1", "gamma_1", "gamma_2")):
                parameter.copy_(0.5 + torch.rand(parameter.shape, generator=generator))
            else:
                parameter.add_(0.02 * torch.randn(parameter.shape, generator=generator))


def image_for(size: int) -> np.ndarray:
    return np.random.default_rng(SEED).standard_normal((1, 3, size, size)).astype(np.float32)


def build_timm(case: Case, out: Path) -> dict:
    import timm
    import torch

    model = timm.create_model(case.builder, pretrained=False, **case.args).eval()
    perturb(model, torch)
    timm.models.save_for_hf(model, str(out), model_args=case.args, safe_serialization=True)
    size = model.patch_embed.img_size[0]
    image = image_for(size)
    with torch.no_grad():
        tokens = model.forward_features(torch.from_numpy(image))
        if case.expect == "gap":
            features = model.forward_head(tokens, pre_logits=True)
        else:
            features = tokens[:, 0]
    patch = model.patch_embed.patch_size[0]
    return dict(weights="model.safetensors", image=image, features=features.numpy(), patch=patch, size=size)


def build_transformers(case: Case, out: Path) -> dict:
    import torch
    import transformers

    config_class, model_class = {
        "vit": (transformers.ViTConfig, lambda config: transformers.ViTModel(config, add_pooling_layer=False)),
        "dinov2": (transformers.Dinov2Config, transformers.Dinov2Model),
        "clip": (transformers.CLIPVisionConfig, transformers.CLIPVisionModel),
    }[case.builder]
    config = config_class(num_hidden_layers=1, **case.args)
    torch.manual_seed(SEED)
    model = model_class(config).eval()
    perturb(model, torch)
    model.save_pretrained(str(out))
    if case.bare:
        (out / "config.json").unlink()
    image = image_for(case.args["image_size"])
    with torch.no_grad():
        features = model(pixel_values=torch.from_numpy(image)).last_hidden_state[:, 0]
    return dict(weights="model.safetensors", image=image, features=features.numpy(),
                patch=case.args["patch_size"], size=case.args["image_size"])


def build_keras_hub(case: Case, out: Path) -> dict:
    # Keras 3 picks TensorFlow unless told; the repository's Keras samples use JAX.
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras
    import keras_hub

    keras.utils.set_random_seed(SEED)
    model = keras_hub.models.ViTBackbone(num_layers=1, **case.args)
    rng = np.random.default_rng(SEED)
    for variable in model.weights:  # off its initialisation, as perturb() does for torch
        value = np.asarray(variable.numpy())
        variable.assign(value + 0.02 * rng.standard_normal(value.shape).astype(value.dtype))
    model.save_weights(str(out / "model.weights.h5"))
    size = case.args["image_shape"][0]
    image = image_for(size)
    features = np.asarray(model(np.transpose(image, (0, 2, 3, 1))))[:, 0]
    return dict(weights="model.weights.h5", image=image, features=features, patch=case.args["patch_size"], size=size)


def build(name: str, root: Path) -> Path:
    """Builds case `name` under `root` (once: an existing complete case is reused) and returns
    its directory. Written into a temporary directory and renamed into place, so an
    interrupted build leaves nothing that looks complete."""
    case = CASES[name]
    target = root / name
    if (target / "case.json").is_file():
        return target
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=root))
    try:
        builder = {"timm": build_timm, "transformers": build_transformers, "keras-hub": build_keras_hub}[case.library]
        made = builder(case, work)
        np.savez(work / "reference.npz", image=made.pop("image"), features=made.pop("features"))
        meta = dict(case=name, library=case.library, builder=case.builder, expect=case.expect, args=case.args,
                    heads=case.heads, detail=list(case.detail), bare=case.bare, note=case.note, **made)
        (work / "case.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
        try:
            os.rename(work, target)
        except OSError:
            if not (target / "case.json").is_file():  # another process finished it first otherwise
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", type=Path)
    parser.add_argument("cases", nargs="*")
    parser.add_argument("--list", action="store_true")
    options = parser.parse_args()
    if options.list or options.out is None:
        for name, case in CASES.items():
            print(f"{name:28} {case.library:12} {case.expect:8} {', '.join(case.detail):40} {case.note}")
        return
    for name in options.cases or list(CASES):
        print(build(name, options.out), file=sys.stderr)


if __name__ == "__main__":
    main()
