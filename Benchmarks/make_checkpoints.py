"""Makes the benchmark checkpoints: ViT-B/16- and ViT-L/16-shaped float32 weights with random
values, in Google's vision_transformer `.npz` naming (what `np.savez` of a vision_transformer
checkpoint holds), plus the same ViT-L tensors as safetensors, HDF5 and PyTorch files for
`tubelet inspect` on every format.

    .venv/bin/python Benchmarks/make_checkpoints.py OUT_DIR [--models B,L] [--formats npz,safetensors,h5,pth]

Files go to OUT_DIR (never into the repository: ViT-L is 1.2 GB). A file that already exists
with a matching `.done` stamp is left alone, so repeated benchmark runs reuse the data. The
values are random (seed 0) with a freshly initialised ViT's scale; only shapes and names
matter for speed.
"""

import argparse
import json
from pathlib import Path

import numpy as np

# name: (width, depth, heads, mlp)
MODELS = {"B": (768, 12, 12, 3072), "L": (1024, 24, 16, 4096)}
IMAGE, PATCH, CLASSES = 224, 16, 1000
VERSION = 1  # bump when the tensors change, so stale files are remade


def vit(model: str, seed: int = 0):
    """Yields (name, array) in the order vision_transformer's checkpoints list them."""
    width, depth, heads, mlp = MODELS[model]
    rng = np.random.default_rng(seed)

    def normal(*shape, std=0.02):
        values = rng.standard_normal(shape, dtype=np.float32)
        values *= std
        return values

    tokens = (IMAGE // PATCH) ** 2 + 1
    head_dim = width // heads
    yield "embedding/kernel", normal(PATCH, PATCH, 3, width)
    yield "embedding/bias", normal(width)
    yield "cls", normal(1, 1, width)
    yield "Transformer/posembed_input/pos_embedding", normal(1, tokens, width)
    for block in range(depth):
        prefix = f"Transformer/encoderblock_{block}"
        attention = f"{prefix}/MultiHeadDotProductAttention_1"
        for norm in ("LayerNorm_0", "LayerNorm_2"):
            yield f"{prefix}/{norm}/scale", 1 + normal(width)
            yield f"{prefix}/{norm}/bias", normal(width)
        for projection in ("query", "key", "value"):
            yield f"{attention}/{projection}/kernel", normal(width, heads, head_dim)
            yield f"{attention}/{projection}/bias", normal(heads, head_dim)
        yield f"{attention}/out/kernel", normal(heads, head_dim, width)
        yield f"{attention}/out/bias", normal(width)
        yield f"{prefix}/MlpBlock_3/Dense_0/kernel", normal(width, mlp)
        yield f"{prefix}/MlpBlock_3/Dense_0/bias", normal(mlp)
        yield f"{prefix}/MlpBlock_3/Dense_1/kernel", normal(mlp, width)
        yield f"{prefix}/MlpBlock_3/Dense_1/bias", normal(width)
    yield "Transformer/encoder_norm/scale", 1 + normal(width)
    yield "Transformer/encoder_norm/bias", normal(width)
    yield "head/kernel", normal(width, CLASSES)
    yield "head/bias", np.zeros(CLASSES, np.float32)


def write(model: str, fmt: str, path: Path) -> None:
    tensors = dict(vit(model))
    if fmt == "npz":
        np.savez(path, **tensors)
    elif fmt == "safetensors":
        from safetensors.numpy import save_file
        save_file(tensors, path)
    elif fmt == "h5":
        import h5py
        with h5py.File(path, "w") as f:
            for name, value in tensors.items():
                f.create_dataset(name, data=value)
    elif fmt == "pth":
        import torch
        torch.save({name: torch.from_numpy(value) for name, value in tensors.items()}, path)
    else:
        raise SystemExit(f"unknown format {fmt}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--models", default="B,L")
    parser.add_argument("--formats", default="npz", help="comma-separated: npz, safetensors, h5, pth")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for model in args.models.split(","):
        for fmt in args.formats.split(","):
            path = args.out / f"ViT-{model}_16.{fmt}"
            stamp = path.with_name(path.name + ".done")
            expected = json.dumps({"version": VERSION, "model": model, "format": fmt})
            if path.exists() and stamp.exists() and stamp.read_text() == expected:
                continue
            partial = path.with_name(path.name + ".partial" + path.suffix)
            write(model, fmt, partial)
            partial.rename(path)
            stamp.write_text(expected)
            print(f"wrote {path} ({path.stat().st_size / 1e9:.2f} GB)")


if __name__ == "__main__":
    main()
