"""Makes Flax msgpack fixtures with flax.serialization.msgpack_serialize, so CI (which has no
flax) still checks that Tubelet reads what Flax writes. Expected values are saved beside them
with numpy (`*.expected.npz`; bfloat16 as raw uint16 bits).

    .venv/bin/pip install flax
    .venv/bin/python Tests/Fixtures/flax/make_flax_fixtures.py

scenic-vit-state.msgpack: a scenic-style train state (`optimizer/target/...` params of a tiny
ViT in Linen names, plus a step counter and an empty optimizer state).
dtypes-chunked.msgpack: one array of each dtype, a 0-d scalar, and one array written in Flax's
chunked form (MAX_CHUNK_SIZE lowered so a small array is split).
"""

from pathlib import Path

import jax.numpy as jnp
import ml_dtypes
import numpy as np
from flax import serialization

HERE = Path(__file__).resolve().parent
rng = np.random.default_rng(11)


def f32(*shape):
    return rng.standard_normal(shape).astype(np.float32)


D, H, M = 8, 2, 16
block = {
    "LayerNorm_0": {"scale": f32(D), "bias": f32(D)},
    "MultiHeadDotProductAttention_0": {p: {"kernel": f32(D, H, D // H), "bias": f32(H, D // H)} for p in ("query", "key", "value")}
    | {"out": {"kernel": f32(H, D // H, D), "bias": f32(D)}},
    "LayerNorm_1": {"scale": f32(D), "bias": f32(D)},
    "MlpBlock_0": {"Dense_0": {"kernel": f32(D, M), "bias": f32(M)}, "Dense_1": {"kernel": f32(M, D), "bias": f32(D)}},
}
params = {
    "embedding": {"kernel": f32(4, 4, 3, D), "bias": f32(D)},
    "cls": f32(1, 1, D),
    "Transformer": {"posembed_input": {"pos_embedding": f32(1, 5, D)}, "encoderblock_0": block,
                    "encoder_norm": {"scale": f32(D), "bias": f32(D)}},
    "output_projection": {"kernel": f32(D, 3), "bias": f32(3)},
}
state = {"optimizer": {"target": params, "state": {}}, "step": 1234}
(HERE / "scenic-vit-state.msgpack").write_bytes(serialization.msgpack_serialize(state))


def flatten(tree, prefix=""):
    out = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out |= flatten(value, name + "/")
        else:
            out[name] = value
    return out


np.savez(HERE / "scenic-vit-state.expected.npz", **flatten({"optimizer": {"target": params}}))

arrays = {
    "f16": rng.standard_normal((3, 2)).astype(np.float16),
    "f64": rng.standard_normal(4),
    "bf16": np.asarray(jnp.asarray(rng.standard_normal((2, 3)), dtype=jnp.bfloat16)),
    "i8": np.arange(-3, 3, dtype=np.int8),
    "u16": np.arange(5, dtype=np.uint16),
    "i64": np.array([-(2**40), 7], dtype=np.int64),
    "flag": np.array([True, False, True]),
    "scalar": np.float32(2.5),
    "empty": np.zeros((0, 3), np.float32),
    "big": np.arange(40, dtype=np.float32).reshape(5, 8),
}
old = serialization.MAX_CHUNK_SIZE
serialization.MAX_CHUNK_SIZE = 64  # 'big' (160 bytes) is written as 3 chunks, as Flax does over 1 GiB
try:
    (HERE / "dtypes-chunked.msgpack").write_bytes(serialization.msgpack_serialize({"arrays": arrays}))
finally:
    serialization.MAX_CHUNK_SIZE = old
expected = {f"arrays/{k}": (np.asarray(v).view(np.uint16) if k == "bf16" else np.asarray(v)) for k, v in arrays.items()}
np.savez(HERE / "dtypes-chunked.expected.npz", **expected)
print("wrote fixtures in", HERE)
