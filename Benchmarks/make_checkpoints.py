"""Makes the benchmark checkpoints: ViT-B/16-, ViT-L/16- and ViT-G/14-shaped float32 weights,
and a 2-block checkpoint with ViT-22B's widths (D 6144, 48 heads, MLP 24576: one MLP kernel
is 604 MB), with random values, in Google's vision_transformer `.npz` naming (what `np.savez`
of a vision_transformer checkpoint holds), plus the same ViT-L tensors as safetensors, HDF5
and PyTorch files for `tubelet inspect` on every format.

    .venv/bin/python Benchmarks/make_checkpoints.py OUT_DIR [--models B,L,G,22B] [--formats npz,safetensors,h5,pth,msgpack]

Files go to OUT_DIR (never into the repository: ViT-G/14 is 7.4 GB, the ViT-22B-widths file
3.6 GB). The npz is written one member at a time, as `np.savez` lays it out, so making it
needs memory for one tensor, not the file. A file that already exists
with a matching `.done` stamp is left alone, so repeated benchmark runs reuse the data. The
values are random (seed 0) with a freshly initialised ViT's scale; only shapes and names
matter for speed.
"""

import argparse
import json
from pathlib import Path

import numpy as np

# name: (width, depth, heads, mlp, patch). ViT-G/14 as in Zhai et al., "Scaling Vision
# Transformers" (2022); "22B" has ViT-22B's widths (Dehghani et al., 2023) and 2 blocks.
MODELS = {"B": (768, 12, 12, 3072, 16), "L": (1024, 24, 16, 4096, 16),
          "G": (1664, 48, 16, 8192, 14), "22B": (6144, 2, 48, 24576, 14)}
IMAGE, CLASSES = 224, 1000
VERSION = 1  # bump when the tensors change, so stale files are remade


def vit(model: str, seed: int = 0):
    """Yields (name, array) in the order vision_transformer's checkpoints list them."""
    width, depth, heads, mlp, patch = MODELS[model]
    rng = np.random.default_rng(seed)

    def normal(*shape, std=0.02):
        values = rng.standard_normal(shape, dtype=np.float32)
        values *= std
        return values

    tokens = (IMAGE // patch) ** 2 + 1
    head_dim = width // heads
    yield "embedding/kernel", normal(patch, patch, 3, width)
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


def file_name(model: str, fmt: str) -> str:
    return f"ViT-{model}_{MODELS[model][4]}.{fmt}"


def write_npz(model: str, path: Path) -> None:
    """What `np.savez` writes (stored members `NAME.npy`, zip64 where needed), one tensor in
    memory at a time."""
    import zipfile
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, value in vit(model):
            with archive.open(name + ".npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, value, allow_pickle=False)


def write_msgpack(model: str, path: Path) -> None:
    """What `flax.serialization.msgpack_serialize({"params": tree})` writes (nested maps, each
    array an ext 1 of `(shape, dtype name, bytes)`), one tensor in memory at a time: each map
    is written with a 32-bit count, patched when the map is closed."""
    import msgpack
    with open(path, "wb") as out:
        maps = []  # [header offset, entries] of each open map, outermost first

        def open_map(key):
            if key is not None:
                out.write(msgpack.packb(key))
                maps[-1][1] += 1
            maps.append([out.tell(), 0])
            out.write(b"\xdf\0\0\0\0")

        def close_map():
            offset, entries = maps.pop()
            end = out.tell()
            out.seek(offset + 1)
            out.write(entries.to_bytes(4, "big"))
            out.seek(end)

        open_map(None)
        open_map("params")
        groups = []
        for name, value in vit(model):
            *path_groups, leaf = name.split("/")
            common = 0
            while common < min(len(groups), len(path_groups)) and groups[common] == path_groups[common]:
                common += 1
            for _ in groups[common:]:
                close_map()
            for group in path_groups[common:]:
                open_map(group)
            groups = path_groups
            out.write(msgpack.packb(leaf))
            maps[-1][1] += 1
            payload = msgpack.packb((list(value.shape), value.dtype.name, value.tobytes()), use_bin_type=True)
            out.write(msgpack.packb(msgpack.ExtType(1, payload)))
        while maps:
            close_map()


def write(model: str, fmt: str, path: Path) -> None:
    if fmt == "npz":
        write_npz(model, path)
        return
    if fmt == "msgpack":
        write_msgpack(model, path)
        return
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
    parser.add_argument("--formats", default="npz", help="comma-separated: npz, safetensors, h5, pth, msgpack")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for model in args.models.split(","):
        for fmt in args.formats.split(","):
            path = args.out / file_name(model, fmt)
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
