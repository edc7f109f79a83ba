"""Writes vit-tiny-scenic_checkpoint_0: the ViT-tiny_16.npz weights as a scenic ViT training
checkpoint, the way scenic saves one: a flax.struct TrainState (global_step, opt_state,
params, model_state, rng, metadata) serialised by flax.serialization.to_bytes, the msgpack
that flax.training.checkpoints.save_checkpoint writes to `checkpoint_N` files. Params use
scenic's Linen names (MultiHeadDotProductAttention_0, LayerNorm_1, MlpBlock_0) and its
classifier name, output_projection; the optimizer state is optax Adam's (count, mu, nu).

    .venv/bin/pip install flax
    .venv/bin/python Checkpoints/make_scenic_sample.py
"""

from pathlib import Path
from typing import Any

import flax
import jax
import numpy as np
import optax
from flax import serialization

HERE = Path(__file__).resolve().parent


@flax.struct.dataclass
class TrainState:
    """scenic.train_lib.train_utils.TrainState's fields."""
    global_step: int
    opt_state: Any
    params: Any
    model_state: Any
    rng: Any
    metadata: Any


def scenic_params(npz) -> dict:
    """vision_transformer (pre-Linen) names → scenic's Linen tree, as convert_pre_linen renumbers."""
    renames = {"MultiHeadDotProductAttention_1": "MultiHeadDotProductAttention_0", "LayerNorm_2": "LayerNorm_1",
               "MlpBlock_3": "MlpBlock_0", "head": "output_projection"}
    tree: dict = {}
    for key in npz.files:
        parts = [renames.get(part, part) for part in key.split("/")]
        node = tree
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = np.asarray(npz[key])
    return tree


params = scenic_params(np.load(HERE / "ViT-tiny_16.npz"))
opt_state = optax.adam(1e-3).init(params)
state = TrainState(global_step=0, opt_state=opt_state, params=params, model_state={},
                   rng=np.asarray(jax.random.key_data(jax.random.PRNGKey(0))), metadata={"chrono": {}})
(HERE / "vit-tiny-scenic_checkpoint_0").write_bytes(serialization.to_bytes(state))
print("wrote", HERE / "vit-tiny-scenic_checkpoint_0")
