"""ViViT checkpoints as inputs (issue 12): files the real libraries write are recognised with
their architecture, `convert` moves them between every format with their names, and `diff`
of the same ViViT in two formats or two layouts finds nothing.

The scenic trees are Tubelet's own inflations (their names checked against scenic's
`projects/vivit/model.py`), wrapped as training checkpoints by Flax itself: a
`flax.training.train_state.TrainState` with optax Adam moments (`params/`, as scenic's current
trainers save) and the older `flax.optim` layout (`optimizer/target/`, `optimizer/state/
param_states/…`). The Hugging Face directories are written by transformers' `save_pretrained`.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import REPO_ROOT, inspect_json, load_npz, run_tubelet

SAMPLE = REPO_ROOT / "Checkpoints" / "ViT-tiny_16.npz"  # ViT-Ti-like: width 64, depth 2, 4 heads, MLP 128, 64 px
MODELS = ["spacetime", "factorised-encoder", "factorised-self-attention", "factorised-dot-product"]
TEMPORAL_LAYERS = 3  # Model 2's temporal transformer, deeper than the spatial one on purpose


def inflate(tmp_path, model: str, *flags: str):
    out = tmp_path / f"{model}.npz"
    # --temporal-layers sizes Model 2's temporal transformer; other models refuse it.
    depth = ["--temporal-layers", str(TEMPORAL_LAYERS)] if model == "factorised-encoder" else []
    run_tubelet(["inflate", SAMPLE, "-o", out, "--model", model, "--frames", "8", "--classes", "5", *depth, *flags])
    return out


def params_tree(npz_path):
    from flax import traverse_util
    return traverse_util.unflatten_dict({key: np.asarray(value) for key, value in load_npz(npz_path).items()}, sep="/")


def params_flat(params) -> dict:
    from flax import traverse_util
    return traverse_util.flatten_dict(params, sep="/")


def train_state_bytes(params) -> tuple[bytes, list[str]]:
    """A Flax TrainState with Adam's moments (mu, nu) and step count beside the params; the
    names of those arrays (the step, a plain integer, is metadata)."""
    import optax
    from flax import serialization, traverse_util
    from flax.training import train_state

    state = train_state.TrainState.create(apply_fn=None, params=params, tx=optax.adam(1e-3))
    data = serialization.to_bytes(state)
    return data, arrays_outside(data, "params/")


def arrays_outside(data: bytes, prefix: str) -> list[str]:
    """The arrays of a Flax checkpoint outside the model's subtree, as Flax reads them back."""
    from flax import serialization, traverse_util
    flat = traverse_util.flatten_dict(serialization.msgpack_restore(data), sep="/")
    return sorted(name for name, value in flat.items() if not name.startswith(prefix) and isinstance(value, (np.ndarray, np.generic)))


def flax_optim_bytes(params) -> tuple[bytes, list[str]]:
    """The `flax.optim` checkpoint older scenic trainers wrote: `optimizer/target` and
    per-parameter Adam state under `optimizer/state/param_states`."""
    import jax
    from flax import serialization, traverse_util

    moments = jax.tree_util.tree_map(lambda x: {"grad_ema": np.zeros_like(x), "grad_sq_ema": np.ones_like(x)}, params)
    tree = {"optimizer": {"target": params, "state": {"step": np.int32(7), "param_states": moments}}}
    data = serialization.msgpack_serialize(tree)
    return data, arrays_outside(data, "optimizer/target/")


def expected_architecture(model: str) -> dict:
    base = {"tubelet": [2, 16, 16], "channels": 3, "width": 64, "depth": 2, "heads": 4, "mlp_width": 128, "classes": 5,
            "has_pre_logits": False}
    if model == "factorised-encoder":
        return {**base, "model": 2, "candidate_models": [2], "classifier": "token", "positions": 16,
                "temporal_tokens": 4, "frames": 8, "grid": [4, 4], "image_size": [64, 64], "clip_origin": "stored in the weights",
                "temporal_layers": TEMPORAL_LAYERS, "temporal_heads": 4, "temporal_mlp_width": 128}
    unknown_clip = {"positions": 64, "temporal_tokens": None, "frames": None, "grid": None, "image_size": None,
                    "clip_origin": None, "temporal_layers": 0, "temporal_heads": None, "temporal_mlp_width": None}
    if model == "spacetime":
        return {**base, **unknown_clip, "model": 1, "candidate_models": [1], "classifier": "token", "positions": 65 - 1}
    if model == "factorised-self-attention":
        return {**base, **unknown_clip, "model": 3, "candidate_models": [3], "classifier": "gap"}
    return {**base, **unknown_clip, "model": None, "candidate_models": [1, 4], "classifier": "gap"}


@pytest.mark.parametrize("wrapper", ["train_state", "flax_optim"])
@pytest.mark.parametrize("model", MODELS)
def test_scenic_training_checkpoint_is_recognised_with_its_architecture(tmp_path, model, wrapper):
    """Each model's tree inside a Flax training checkpoint: its layout under the checkpoint's
    prefix, the architecture from the tensors alone, and every optimizer moment counted
    outside the model, none silently dropped."""
    params = params_tree(inflate(tmp_path, model))
    data, moments = (train_state_bytes if wrapper == "train_state" else flax_optim_bytes)(params)
    path = tmp_path / f"{model}-{wrapper}.msgpack"
    path.write_bytes(data)
    layout = inspect_json(path)["layout"]
    assert layout["name"] == {"factorised-encoder": "scenic-vivit-factorised-encoder",
                              "factorised-self-attention": "scenic-vivit-factorised-self-attention"}.get(model, "scenic")
    assert layout["prefix"] == ("params/" if wrapper == "train_state" else "optimizer/target/")
    assert layout["architecture"] is None
    vivit = layout["vivit"]
    expected = expected_architecture(model)
    assert {key: vivit[key] for key in expected} == expected
    assert vivit["clip_assumed"] is False
    assert sorted(layout["outside"]) == moments
    assert sum("/mu/" in name or "/nu/" in name or "_ema" in name for name in moments) == 2 * len(params_flat(params))
    line = run_tubelet(["inspect", path]).stdout
    assert f"{len(moments)} tensors outside '{layout['prefix']}' are not part of the model" in line
    assert layout["summary"] in line


def hf_config(**extra):
    from transformers import VivitConfig
    return VivitConfig(image_size=32, num_frames=4, tubelet_size=[2, 16, 16], hidden_size=64, num_hidden_layers=2,
                       num_attention_heads=4, intermediate_size=128, **extra)


@pytest.mark.parametrize("classifier", [False, True])
def test_hugging_face_vivit_written_by_save_pretrained_is_recognised(tmp_path, classifier):
    """VivitModel and VivitForVideoClassification, saved in transformers' original names (what
    every Hub checkpoint holds) and in transformers 5's own (`save_original_format=False`):
    each is its layout, Model 1 with the clip from its config.json, and the two are equal by
    canonical names."""
    import torch
    from transformers import VivitForVideoClassification, VivitModel

    torch.manual_seed(0)
    model = VivitForVideoClassification(hf_config(num_labels=3)) if classifier else VivitModel(hf_config())
    model.save_pretrained(tmp_path / "v4")
    model.save_pretrained(tmp_path / "v5", save_original_format=False)
    from safetensors.numpy import load_file
    v4_names, v5_names = (set(load_file(tmp_path / d / "model.safetensors")) for d in ("v4", "v5"))
    assert any(".attention.attention.query." in name for name in v4_names)
    assert any(".attention.q_proj." in name for name in v5_names), "this transformers writes no v5 names"
    base = "hf-vivit-classifier" if classifier else "hf-vivit"
    for directory, layout_name in (("v4", base), ("v5", base + "-v5")):
        layout = inspect_json(tmp_path / directory)["layout"]
        assert layout["name"] == layout_name
        vivit = layout["vivit"]
        assert vivit["model"] == 1 and vivit["classifier"] == "token"
        assert (vivit["tubelet"], vivit["frames"], vivit["temporal_tokens"], vivit["grid"], vivit["image_size"]) == \
            ([2, 16, 16], 4, 2, [2, 2], [32, 32])
        assert vivit["clip_origin"].endswith("config.json, num_frames")
        assert (vivit["width"], vivit["depth"], vivit["heads"], vivit["mlp_width"]) == (64, 2, 4, 128)
        assert vivit["classes"] == (3 if classifier else None)
        assert vivit["has_pre_logits"] is (not classifier)  # VivitModel's pooler
    run_tubelet(["diff", tmp_path / "v4", tmp_path / "v5"])


@pytest.mark.parametrize("model", MODELS)
def test_convert_between_every_format_preserves_names(tmp_path, model):
    """npz → msgpack → safetensors → HDF5 → pth → npz without --to: every file, read by its own
    library, holds the same names and bytes; each step and the whole chain diff as equal."""
    import h5py
    import torch
    from flax import serialization, traverse_util
    from safetensors.numpy import load_file

    source = inflate(tmp_path, model)
    expected = load_npz(source)

    def read(path):
        if path.suffix == ".npz":
            return load_npz(path)
        if path.suffix == ".msgpack":
            return traverse_util.flatten_dict(serialization.msgpack_restore(path.read_bytes()), sep="/")
        if path.suffix == ".safetensors":
            return load_file(path)
        if path.suffix == ".h5":
            with h5py.File(path, "r") as h5:
                out = {}
                h5.visititems(lambda name, item: out.__setitem__(name, item[()]) if isinstance(item, h5py.Dataset) else None)
                return out
        return {name: value.numpy() for name, value in torch.load(path, weights_only=True).items()}

    previous = source
    for suffix in ("msgpack", "safetensors", "h5", "pth", "npz"):
        out = tmp_path / f"chain-{suffix}.{suffix}"
        run_tubelet(["convert", previous, out])
        arrays = read(out)
        assert sorted(arrays) == sorted(expected), suffix
        for name, value in expected.items():
            assert np.asarray(arrays[name]).tobytes() == value.tobytes(), (suffix, name)
        run_tubelet(["diff", previous, out])
        previous = out
    run_tubelet(["diff", source, previous])


def test_diff_of_one_vivit_as_scenic_npz_and_hugging_face_directory(tmp_path):
    """One inflation written as scenic's npz and as a Hugging Face directory: the classifier
    meets at one canonical name, so nothing differs and diff exits 0."""
    npz = inflate(tmp_path, "spacetime")
    run_tubelet(["inflate", SAMPLE, "-o", tmp_path / "hf", "--model", "spacetime", "--frames", "8", "--classes", "5",
                 "--format", "hf"])
    report = json.loads(run_tubelet(["diff", npz, tmp_path / "hf", "--json"]).stdout)
    assert report["only_in_first"] == [] and report["only_in_second"] == []
