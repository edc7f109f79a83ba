"""Writes the big_vision samples in this folder. big_vision saves its checkpoints through numpy
(`big_vision.utils.save_checkpoint`: the tree flattened to `/`-joined names, `np.savez` into
a buffer, the buffer written out), so numpy is its library here. Run from the repository root:

    .venv/bin/python Checkpoints/make_big_vision_samples.py

The weights are those of ViT-tiny_16.npz (the vision_transformer sample), upgraded exactly as
big_vision's `vit.fix_old_checkpoints` upgrades such a file when it loads it:
  1. `convert_pre_linen`: `MultiHeadDotProductAttention_1` → `_0`, `LayerNorm_2` → `LayerNorm_1`,
     `MlpBlock_3` → `MlpBlock_0` (per-prefix renumbering in sorted order);
  2. `Transformer/posembed_input/pos_embedding` moves to the top-level `pos_embedding`;
  3. its 4×4+1 rows are one more than a square, so the first (CLS) row is split off and added
     into `cls` (`cls += pe[:, :1]`, float32), keeping `pe[:, 1:]` ([1, 16, 64]).
`head` stays (a `pool_type='tok'` classifier with 10 classes). The checkpoint is `{"params":
params}`, so every name starts with `params/`, as big_vision's own `.npz` files do.

Because of step 3, `cls` and the positional embedding are not bit-equal to ViT-tiny_16.npz's:
Tubelet reads big_vision's missing CLS position as a zero row, so in canonical form `cls` is
the sum and row 0 of the positions is zero. The model computes the same function (the CLS
token enters the encoder as cls + pe[0] either way, up to float32 rounding of that sum).

vit-tiny-big_vision.npz: the standard tree, `Transformer/encoderblock_{0,1}/…`.
vit-tiny-big_vision-scan.npz: the same model as a `scan=True` big_vision ViT trains it: one
`Transformer/encoderblock/…` subtree whose leaves have a leading depth axis (`np.stack` of the
blocks, what `nn.scan` over `encoderblock_{i}` holds).

Deterministic: the same bytes on every run (numpy writes zip members with a fixed date).
"""

import io
import re
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "ViT-tiny_16.npz"


def unflatten(flat: dict[str, np.ndarray]) -> dict:
    tree: dict = {}
    for name, value in flat.items():
        node = tree
        *parents, leaf = name.split("/")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return tree


def flatten(tree: dict, prefix: str = "") -> dict[str, np.ndarray]:
    """`/`-joined names in sorted key order, as big_vision's `tree_flatten_with_names` of a
    dict gives them (jax flattens dicts by sorted key)."""
    flat = {}
    for key in sorted(tree):
        value = tree[key]
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}/"))
        else:
            flat[prefix + key] = value
    return flat


def natural_key(text: str):
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def convert_pre_linen(tree: dict) -> dict:
    """flax.training.checkpoints.convert_pre_linen: at every level, keys `name_N` are
    renumbered with one counter per `name`, in natural sort order."""
    counters: dict[str, int] = {}
    result = {}
    for key in sorted(tree, key=natural_key):
        value = tree[key]
        match = re.fullmatch(r"(.*)_\d+", key)
        if match:
            prefix = match.group(1)
            new_key = f"{prefix}_{counters.get(prefix, 0)}"
            counters[prefix] = counters.get(prefix, 0) + 1
        else:
            new_key = key
        result[new_key] = convert_pre_linen(value) if isinstance(value, dict) else value
    return result


def fix_old_checkpoint(params: dict) -> dict:
    """big_vision's vit.fix_old_checkpoints, for a tree with a CLS token and no MAP head."""
    params = convert_pre_linen(params)
    transformer = params["Transformer"]
    if "posembed_input" in transformer:
        params["pos_embedding"] = transformer.pop("posembed_input")["pos_embedding"]
    posemb = params["pos_embedding"]
    if int(np.sqrt(posemb.shape[1])) ** 2 + 1 == int(posemb.shape[1]):
        params["pos_embedding"] = posemb[:, 1:]
        params["cls"] = params["cls"] + posemb[:, :1]
    return params


def scanned(params: dict) -> dict:
    """The same params as a scan=True model holds them: encoderblock_{i} stacked on axis 0."""
    transformer = dict(params["Transformer"])
    blocks = [transformer.pop(f"encoderblock_{i}") for i in range(len([k for k in transformer if k.startswith("encoderblock_")]))]
    flat_blocks = [flatten(block) for block in blocks]
    transformer["encoderblock"] = unflatten({name: np.stack([block[name] for block in flat_blocks]) for name in flat_blocks[0]})
    return {**params, "Transformer": transformer}


def save_checkpoint(checkpoint: dict, path: Path) -> None:
    """big_vision.utils.save_checkpoint, without gfile."""
    buffer = io.BytesIO()
    np.savez(buffer, **flatten(checkpoint))
    path.write_bytes(buffer.getvalue())


def main() -> None:
    with np.load(SOURCE) as archive:
        params = fix_old_checkpoint(unflatten({name: archive[name] for name in archive.files}))
    save_checkpoint({"params": params}, HERE / "vit-tiny-big_vision.npz")
    save_checkpoint({"params": scanned(params)}, HERE / "vit-tiny-big_vision-scan.npz")
    print("wrote", HERE / "vit-tiny-big_vision.npz", "and", HERE / "vit-tiny-big_vision-scan.npz")


if __name__ == "__main__":
    main()
