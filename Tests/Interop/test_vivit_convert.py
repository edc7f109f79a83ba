"""scenic ViViT Model 1 ⇄ Hugging Face ViViT (issue 12): `convert --format hf` of a scenic tree
(npz or Flax msgpack, with or without a training checkpoint's prefix) writes a directory
transformers loads with no missing or unexpected keys and that computes what scenic computes;
converting it back gives the same bytes; a Hugging Face ViViT written by `save_pretrained` goes
to scenic's tree and back unchanged. Refusals leave nothing behind.

The scenic trees are Tubelet's inflation of the sample ViT and trees numpy writes directly
under scenic's names (`projects/vivit/model.py`); the reference forward pass below is scenic's
Model 1 written out in numpy, so the comparison does not go through Tubelet's own mapping.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import transformers

from conftest import REPO_ROOT, load_npz, run_tubelet

SAMPLE = REPO_ROOT / "Checkpoints" / "ViT-tiny_16.npz"  # width 64, depth 2, 4 heads, MLP 128, 64 px
FRAMES = 8


# --------------------------------------------------------------------------------------------
# Sources
# --------------------------------------------------------------------------------------------

def scenic_model1_params(seed: int = 0, width=32, depth=2, heads=2, mlp=64, tubelet=(2, 8, 8), frames=4, image=16,
                         classes=3) -> dict[str, np.ndarray]:
    """A scenic ViViT Model 1 (token classifier) with random weights, under scenic's names and
    Flax's layouts, as numpy writes it."""
    rng = np.random.default_rng(seed)
    t, h, w = tubelet
    positions = (frames // t) * (image // h) * (image // w) + 1
    head_width = width // heads

    def normal(*shape, scale=0.05):
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    params = {
        "embedding/kernel": normal(t, h, w, 3, width),
        "embedding/bias": normal(width),
        "cls": normal(1, 1, width),
        "Transformer/posembed_input/pos_embedding": normal(1, positions, width),
        "Transformer/encoder_norm/scale": 1 + normal(width),
        "Transformer/encoder_norm/bias": normal(width),
        "output_projection/kernel": normal(width, classes, scale=0.5),
        "output_projection/bias": normal(classes),
    }
    for i in range(depth):
        block = f"Transformer/encoderblock_{i}/"
        for norm in ("LayerNorm_0", "LayerNorm_1"):
            params[block + norm + "/scale"] = 1 + normal(width)
            params[block + norm + "/bias"] = normal(width)
        for projection in ("query", "key", "value"):
            params[f"{block}MultiHeadDotProductAttention_0/{projection}/kernel"] = normal(width, heads, head_width)
            params[f"{block}MultiHeadDotProductAttention_0/{projection}/bias"] = normal(heads, head_width)
        params[block + "MultiHeadDotProductAttention_0/out/kernel"] = normal(heads, head_width, width)
        params[block + "MultiHeadDotProductAttention_0/out/bias"] = normal(width)
        params[block + "MlpBlock_0/Dense_0/kernel"] = normal(width, mlp)
        params[block + "MlpBlock_0/Dense_0/bias"] = normal(mlp)
        params[block + "MlpBlock_0/Dense_1/kernel"] = normal(mlp, width)
        params[block + "MlpBlock_0/Dense_1/bias"] = normal(width)
    return params


def inflated_model1(tmp_path) -> tuple:
    """The sample ViT inflated into Model 1 as scenic's npz, and as the Hugging Face directory
    `inflate --format hf` writes directly."""
    npz, directory = tmp_path / "inflated.npz", tmp_path / "inflated-hf"
    common = ["--model", "spacetime", "--frames", str(FRAMES), "--classes", "5"]
    run_tubelet(["inflate", SAMPLE, "-o", npz, *common])
    run_tubelet(["inflate", SAMPLE, "-o", directory, "--format", "hf", *common])
    return npz, directory


def unflatten(flat: dict) -> dict:
    from flax import traverse_util
    return traverse_util.unflatten_dict(flat, sep="/")


def write_source(tmp_path, params: dict, kind: str):
    """`params` as scenic keeps them: an npz (bare or under `params/`), a Flax TrainState with
    Adam moments (`params/`), or a `flax.optim` checkpoint (`optimizer/target/`)."""
    from flax import serialization
    if kind == "npz":
        path = tmp_path / "scenic.npz"
        np.savez(path, **params)
    elif kind == "npz-params":
        path = tmp_path / "scenic-params.npz"
        np.savez(path, **{"params/" + name: value for name, value in params.items()})
    elif kind == "train-state":
        import optax
        from flax.training import train_state
        state = train_state.TrainState.create(apply_fn=None, params=unflatten(params), tx=optax.adam(1e-3))
        path = tmp_path / "scenic-state.msgpack"
        path.write_bytes(serialization.to_bytes(state))
    else:
        path = tmp_path / "scenic-optim.msgpack"
        path.write_bytes(serialization.msgpack_serialize({"optimizer": {"target": unflatten(params), "state": {"step": np.int32(3)}}}))
    return path


def read_scenic(path) -> dict[str, np.ndarray]:
    """The model's tensors under scenic's names, read by numpy or Flax, the prefix removed."""
    from flax import serialization, traverse_util
    if path.suffix == ".npz":
        flat = load_npz(path)
    else:
        flat = traverse_util.flatten_dict(serialization.msgpack_restore(path.read_bytes()), sep="/")
    for prefix in ("params/", "optimizer/target/"):
        if any(name.startswith(prefix) for name in flat):
            flat = {name[len(prefix):]: value for name, value in flat.items() if name.startswith(prefix)}
    return {name: np.asarray(value) for name, value in flat.items()}


# --------------------------------------------------------------------------------------------
# scenic's Model 1 in numpy
# --------------------------------------------------------------------------------------------

def layer_norm(x, params, name, epsilon=1e-6):
    mean = x.mean(-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + epsilon) * params[name + "/scale"] + params[name + "/bias"]


def gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))


def scenic_model1_logits(params: dict, video: np.ndarray) -> np.ndarray:
    """scenic's ViViT Model 1 with a token classifier, in float64: `video` is [B, T, H, W, C]."""
    p = {name: value.astype(np.float64) for name, value in params.items()}
    kernel = p["embedding/kernel"]
    t, h, w, channels, width = kernel.shape
    b, frames, height, breadth, _ = video.shape
    nt, nh, nw = frames // t, height // h, breadth // w
    x = video[:, :nt * t].astype(np.float64).reshape(b, nt, t, nh, h, nw, w, channels)
    x = x.transpose(0, 1, 3, 5, 2, 4, 6, 7).reshape(b, nt * nh * nw, t * h * w * channels)
    x = x @ kernel.reshape(-1, width) + p["embedding/bias"]
    x = np.concatenate([np.broadcast_to(p["cls"], (b, 1, width)), x], axis=1)
    x = x + p["Transformer/posembed_input/pos_embedding"]
    depth = len({name.split("/")[1] for name in p if name.startswith("Transformer/encoderblock_")})
    for i in range(depth):
        block = f"Transformer/encoderblock_{i}/"
        attention = block + "MultiHeadDotProductAttention_0/"
        y = layer_norm(x, p, block + "LayerNorm_0")
        q, k, v = (np.einsum("bnd,dhk->bnhk", y, p[attention + n + "/kernel"]) + p[attention + n + "/bias"]
                   for n in ("query", "key", "value"))
        logits = np.einsum("bqhk,bvhk->bhqv", q, k) / np.sqrt(q.shape[-1])
        weights = np.exp(logits - logits.max(-1, keepdims=True))
        weights /= weights.sum(-1, keepdims=True)
        o = np.einsum("bhqv,bvhk->bqhk", weights, v)
        x = x + np.einsum("bqhk,hkd->bqd", o, p[attention + "out/kernel"]) + p[attention + "out/bias"]
        y = layer_norm(x, p, block + "LayerNorm_1")
        y = gelu_tanh(y @ p[block + "MlpBlock_0/Dense_0/kernel"] + p[block + "MlpBlock_0/Dense_0/bias"])
        x = x + y @ p[block + "MlpBlock_0/Dense_1/kernel"] + p[block + "MlpBlock_0/Dense_1/bias"]
    x = layer_norm(x, p, "Transformer/encoder_norm")
    return x[:, 0] @ p["output_projection/kernel"] + p["output_projection/bias"]


def hugging_face_outputs(directory, video: np.ndarray):
    """Logits and last hidden state of `directory` loaded by VivitForVideoClassification, which
    must find every key it expects and no other; `video` is [B, T, H, W, C] as scenic takes it."""
    model, info = transformers.VivitForVideoClassification.from_pretrained(directory, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"], info
    pixels = torch.from_numpy(np.ascontiguousarray(video.transpose(0, 1, 4, 2, 3)))  # [B, T, C, H, W]
    with torch.no_grad():
        out = model.eval()(pixels, output_hidden_states=True)
    return out.logits.numpy(), out.hidden_states[-1].numpy()


# --------------------------------------------------------------------------------------------
# scenic → Hugging Face → scenic
# --------------------------------------------------------------------------------------------

def test_inflated_model1_npz_to_hugging_face_equals_the_directory_inflate_writes(tmp_path):
    """The npz `inflate` writes, converted to a Hugging Face directory, loads with no missing or
    unexpected keys and computes what the directory `inflate --format hf` writes computes (to
    1e-5) and what scenic's Model 1 computes; back to npz it is bit-exact; any two of the four
    files diff as equal."""
    npz, direct = inflated_model1(tmp_path)
    directory = tmp_path / "converted-hf"
    process = run_tubelet(["convert", npz, directory, "--format", "hf", "--frames", str(FRAMES)])
    assert "clip: 8 frames of 64 px (given)" in process.stderr
    assert "note: assumed activation gelu_fast" in process.stderr
    assert "no preprocessor_config.json" in process.stderr and not (directory / "preprocessor_config.json").exists()
    config = json.loads((directory / "config.json").read_text())
    assert json.loads((direct / "config.json").read_text()) == config
    video = np.random.default_rng(1).standard_normal((2, FRAMES, 64, 64, 3)).astype(np.float32)
    logits, hidden = hugging_face_outputs(directory, video)
    expected_logits, expected_hidden = hugging_face_outputs(direct, video)
    np.testing.assert_allclose(logits, expected_logits, atol=1e-5, rtol=0)
    np.testing.assert_allclose(hidden, expected_hidden, atol=1e-5, rtol=0)
    np.testing.assert_allclose(logits, scenic_model1_logits(load_npz(npz), video), atol=1e-4, rtol=1e-4)

    back = tmp_path / "back.npz"
    run_tubelet(["convert", directory, back, "--to", "scenic"])
    original, returned = load_npz(npz), load_npz(back)
    assert sorted(returned) == sorted(original)
    for name, value in original.items():
        assert returned[name].dtype == value.dtype and returned[name].tobytes() == value.tobytes(), name
    files = [npz, direct, directory, back]
    for i, first in enumerate(files):
        for second in files[i + 1:]:
            run_tubelet(["diff", first, second])


@pytest.mark.parametrize("kind", ["npz", "npz-params", "train-state", "flax-optim"])
def test_scenic_model1_written_by_numpy_and_flax_round_trips_through_hugging_face(tmp_path, kind):
    """A Model 1 numpy or Flax writes under scenic's names (bare, `params/`, a TrainState with
    Adam moments, `optimizer/target/`) converts to a Hugging Face directory whose logits are
    scenic's, and back into scenic's tree with the same bytes; the source, the directory and
    the copy back diff as equal."""
    params = scenic_model1_params()
    source = write_source(tmp_path, params, kind)
    directory = tmp_path / "hf"
    run_tubelet(["convert", source, directory, "--to", "hf-vivit-classifier", "--image-size", "16"])
    config = json.loads((directory / "config.json").read_text())
    assert (config["architectures"], config["num_frames"], config["image_size"], config["tubelet_size"]) == \
        (["VivitForVideoClassification"], 4, 16, [2, 8, 8])
    assert (config["hidden_size"], config["num_hidden_layers"], config["num_attention_heads"], config["intermediate_size"]) == \
        (32, 2, 2, 64)
    assert config["id2label"] == {"0": "LABEL_0", "1": "LABEL_1", "2": "LABEL_2"}
    video = np.random.default_rng(2).standard_normal((2, 4, 16, 16, 3)).astype(np.float32)
    logits, _ = hugging_face_outputs(directory, video)
    np.testing.assert_allclose(logits, scenic_model1_logits(params, video), atol=1e-5, rtol=1e-4)

    # A TrainState's step is file metadata, which the directory keeps and a Flax msgpack has no
    # place for: that copy goes back to npz.
    back = tmp_path / ("back.msgpack" if kind == "flax-optim" else "back.npz")
    process = run_tubelet(["convert", directory, back, "--to", "scenic"])
    assert "pass --frames 4 when converting them to a Hugging Face ViViT" in process.stderr
    returned = read_scenic(back)
    assert sorted(returned) == sorted(params)
    for name, value in params.items():
        assert returned[name].dtype == value.dtype and returned[name].tobytes() == value.tobytes(), name
    for first, second in [(source, directory), (directory, back), (source, back)]:
        run_tubelet(["diff", first, second])


def test_preprocessor_config_from_the_options_loads_in_auto_image_processor(tmp_path):
    """--image-mean/--image-std give a VivitImageProcessor at the clip's size that
    AutoImageProcessor loads and that maps white frames to (1 - mean) / std."""
    source = write_source(tmp_path, scenic_model1_params(), "npz")
    directory = tmp_path / "hf"
    process = run_tubelet(["convert", source, directory, "--format", "hf", "--frames", "4",
                           "--image-mean", "0.485,0.456,0.406", "--image-std", "0.229,0.224,0.225"])
    assert "preprocessor_config.json: mean [0.485, 0.456, 0.406]" in process.stderr
    processor = transformers.AutoImageProcessor.from_pretrained(directory)
    assert type(processor).__name__.startswith("VivitImageProcessor")
    frames = [np.full((24, 16, 3), 255, np.uint8)] * 4
    pixels = processor(frames, return_tensors="pt")["pixel_values"]
    assert tuple(pixels.shape) == (1, 4, 3, 16, 16)
    expected = (1 - np.array([0.485, 0.456, 0.406])) / np.array([0.229, 0.224, 0.225])
    np.testing.assert_allclose(pixels[0, 0, :, 0, 0].numpy(), expected, rtol=1e-5)


def test_preprocessor_config_and_labels_from_the_files_beside_the_weights(tmp_path):
    """A preprocessor_config.json beside the weights gives the normalisation, and a config.json
    the clip and the class names: the directory carries all three."""
    folder = tmp_path / "released"
    folder.mkdir()
    source = write_source(folder, scenic_model1_params(), "npz")
    (folder / "preprocessor_config.json").write_text(json.dumps({"image_mean": [0.5] * 3, "image_std": [0.5] * 3}))
    labels = {"0": "archery", "1": "bowling", "2": "juggling balls"}
    (folder / "config.json").write_text(json.dumps({"num_frames": 4, "image_size": 16, "tubelet_size": [2, 8, 8], "id2label": labels}))
    directory = tmp_path / "hf"
    process = run_tubelet(["convert", source, directory, "--format", "hf"])
    assert f"clip: 4 frames of 16 px ({folder}/config.json, num_frames)" in process.stderr
    config = json.loads((directory / "config.json").read_text())
    assert config["id2label"] == labels
    assert config["label2id"] == {"archery": 0, "bowling": 1, "juggling balls": 2}
    processor = transformers.AutoImageProcessor.from_pretrained(directory)
    assert list(processor.image_mean) == [0.5] * 3 and processor.crop_size == {"height": 16, "width": 16}
    model = transformers.VivitForVideoClassification.from_pretrained(directory)
    assert model.config.id2label[2] == "juggling balls"


def test_without_a_clip_the_conversion_is_refused_and_nothing_is_written(tmp_path):
    source = write_source(tmp_path, scenic_model1_params(), "npz")
    process = run_tubelet(["convert", source, tmp_path / "hf", "--format", "hf"], expect_rc=1)
    assert "store only as 8 space-time positions" in process.stderr and "Pass --frames N or --image-size N" in process.stderr
    assert not (tmp_path / "hf").exists()


# --------------------------------------------------------------------------------------------
# Hugging Face (save_pretrained) → scenic → Hugging Face
# --------------------------------------------------------------------------------------------

def hf_config(**extra):
    return transformers.VivitConfig(image_size=32, num_frames=4, tubelet_size=[2, 16, 16], hidden_size=64,
                                    num_hidden_layers=2, num_attention_heads=4, intermediate_size=128, **extra)


@pytest.mark.parametrize("names", ["v4", "v5"])
@pytest.mark.parametrize("classifier", [True, False])
def test_save_pretrained_vivit_to_scenic_and_back_is_unchanged(tmp_path, classifier, names):
    """VivitForVideoClassification and VivitModel (with its pooler, scenic's pre_logits), saved
    in transformers' original names and in transformers 5's own: to scenic's npz and msgpack and
    back into the same layout, every tensor has its name and bytes, the config its values, and
    from_pretrained finds every key."""
    from safetensors.numpy import load_file
    torch.manual_seed(0)
    model_class = transformers.VivitForVideoClassification if classifier else transformers.VivitModel
    model = model_class(hf_config(num_labels=3)) if classifier else model_class(hf_config())
    original = tmp_path / "original"
    model.save_pretrained(original, **({} if names == "v4" else {"save_original_format": False}))
    layout = ("hf-vivit-classifier" if classifier else "hf-vivit") + ("" if names == "v4" else "-v5")
    assert json.loads(run_tubelet(["inspect", original, "--json"]).stdout)["layout"]["name"] == layout
    expected = load_file(original / "model.safetensors")
    expected_config = json.loads((original / "config.json").read_text())
    for suffix in ("npz", "msgpack"):
        scenic = tmp_path / f"scenic.{suffix}"
        run_tubelet(["convert", original, scenic, "--to", "scenic"])
        assert ("pre_logits/kernel" in read_scenic(scenic)) is not classifier  # VivitModel's pooler
        back = tmp_path / f"back-{suffix}"
        process = run_tubelet(["convert", scenic, back, "--format", "hf", "--to", layout, "--frames", "4"])
        assert "left out" not in process.stderr
        returned = load_file(back / "model.safetensors")
        assert sorted(returned) == sorted(expected)
        for name, value in expected.items():
            assert returned[name].dtype == value.dtype and returned[name].tobytes() == value.tobytes(), name
        config = json.loads((back / "config.json").read_text())
        for key in ("architectures", "model_type", "hidden_size", "num_hidden_layers", "num_attention_heads",
                    "intermediate_size", "hidden_act", "layer_norm_eps", "image_size", "num_frames", "tubelet_size",
                    "num_channels", "qkv_bias"):
            assert config[key] == expected_config[key], key
        if classifier:
            assert config["id2label"] == expected_config["id2label"]
        loaded, info = model_class.from_pretrained(back, output_loading_info=True)
        assert not info["missing_keys"] and not info["unexpected_keys"], info
        run_tubelet(["diff", original, back])
        run_tubelet(["diff", original, scenic])


def test_hugging_face_classifier_to_vivit_model_drops_the_classifier_and_records_it(tmp_path):
    """--to hf-vivit (VivitModel) of a classifier leaves the classifier out, says so and records
    it in the weights' metadata; VivitModel loads the rest (without a pooler: scenic had no
    pre_logits)."""
    from safetensors import safe_open
    source = write_source(tmp_path, scenic_model1_params(), "npz")
    directory = tmp_path / "backbone"
    process = run_tubelet(["convert", source, directory, "--format", "hf", "--to", "hf-vivit", "--frames", "4"])
    assert "left out 2 tensors on purpose: output_projection/kernel, output_projection/bias (the video classifier" in process.stderr
    assert "add_pooling_layer=False" in process.stderr
    with safe_open(directory / "model.safetensors", "np") as weights:
        excluded = json.loads(weights.metadata()["tubelet.excluded"])
    assert [entry["name"] for entry in excluded["left_out"]] == ["output_projection/kernel", "output_projection/bias"]
    config = json.loads((directory / "config.json").read_text())
    assert config["architectures"] == ["VivitModel"] and "id2label" not in config
    model, info = transformers.VivitModel.from_pretrained(directory, add_pooling_layer=False, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"], info


def test_inflate_format_hf_without_classes_writes_a_vivit_model(tmp_path):
    """Without --classes `inflate --format hf` writes the headless VivitModel (hf-vivit): it loads
    with no missing or unexpected keys (without a pooler, which needs pre_logits, as the run
    says), and its last hidden state is the classifier directory's, whose backbone is the same."""
    headless, classifier = tmp_path / "headless", tmp_path / "classifier"
    common = ["--model", "spacetime", "--frames", str(FRAMES)]
    process = run_tubelet(["inflate", SAMPLE, "-o", headless, "--format", "hf", *common])
    assert "add_pooling_layer=False" in process.stderr
    run_tubelet(["inflate", SAMPLE, "-o", classifier, "--format", "hf", "--classes", "5", *common])
    config = json.loads((headless / "config.json").read_text())
    assert config["architectures"] == ["VivitModel"] and "id2label" not in config
    model, info = transformers.VivitModel.from_pretrained(headless, add_pooling_layer=False, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"], info
    video = np.random.default_rng(2).standard_normal((1, FRAMES, 64, 64, 3)).astype(np.float32)
    pixels = torch.from_numpy(np.ascontiguousarray(video.transpose(0, 1, 4, 2, 3)))
    full = transformers.VivitForVideoClassification.from_pretrained(classifier)
    with torch.no_grad():
        hidden = model.eval()(pixels).last_hidden_state.numpy()
        expected = full.eval().vivit(pixels).last_hidden_state.numpy()
    np.testing.assert_array_equal(hidden, expected)
    difference = run_tubelet(["diff", headless, classifier, "--json"], expect_rc=2)
    report = json.loads(difference.stdout)
    assert sorted(report["only_in_second"]) == ["output_projection/bias", "output_projection/kernel"], report
    assert not report["only_in_first"] and all(t["status"] == "equal" for t in report["tensors"])


# --------------------------------------------------------------------------------------------
# Refusals
# --------------------------------------------------------------------------------------------

def inflate_model(tmp_path, model: str, *flags: str):
    out = tmp_path / f"{model}.npz"
    run_tubelet(["inflate", SAMPLE, "-o", out, "--model", model, "--frames", str(FRAMES), "--classes", "5", *flags])
    return out


@pytest.mark.parametrize("model, expected", [
    ("factorised-encoder", "this is a ViViT Model 2 (factorised-encoder), and Hugging Face has only ViViT Model 1"),
    ("factorised-self-attention", "this is a ViViT Model 3 (factorised-self-attention), and Hugging Face has only ViViT Model 1"),
    ("factorised-dot-product", "which this ViViT Model 1 or 4 (spacetime or factorised-dot-product: the same tensors) (a gap classifier) does not have"),
])
@pytest.mark.parametrize("target", [[], ["--to", "hf-vivit-classifier"], ["--to", "hf-vivit"]])
def test_models_2_to_4_to_hugging_face_are_refused_naming_the_model(tmp_path, model, expected, target):
    source = inflate_model(tmp_path, model)
    out = tmp_path / "hf"
    process = run_tubelet(["convert", source, out, "--format", "hf", "--frames", str(FRAMES), *target], expect_rc=1)
    assert process.stderr.count("Error:") == 1 and expected in process.stderr, process.stderr
    assert "instead of --format hf" in process.stderr
    if model != "factorised-dot-product":
        assert f"--to scenic-vivit-{model}" in process.stderr
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == [f"{model}.npz"]


def test_headless_vivit_to_the_classifier_layout_is_refused_with_the_fix(tmp_path):
    torch.manual_seed(0)
    source = tmp_path / "backbone"
    transformers.VivitModel(hf_config()).save_pretrained(source)
    out = tmp_path / "classifier"
    process = run_tubelet(["convert", source, out, "--format", "hf", "--to", "hf-vivit-classifier"], expect_rc=1)
    assert "VivitForVideoClassification needs a classifier (output_projection), which this ViViT does not have" in process.stderr
    assert "Convert --to hf-vivit (VivitModel) instead" in process.stderr
    assert not out.exists()


# --------------------------------------------------------------------------------------------
# diff across kinds
# --------------------------------------------------------------------------------------------

def test_diff_of_a_vivit_and_a_vit_says_what_differs_in_kind(tmp_path):
    """A ViViT against the ViT it came from, in either order and as npz or a Hugging Face
    directory: one line naming both models instead of a list of tensors, exit 2; the JSON
    says the same and compares no tensor."""
    npz, directory = inflated_model1(tmp_path)
    vit = "a ViT/16 (width 64, depth 2, 4 heads, MLP 128) image model at 64 px"
    for vivit, clip in ((npz, "64 space-time positions"), (directory, "8 frames")):
        described = f"a ViViT Model 1 (spacetime) with tubelet 2x16x16 and {clip}"
        forward = run_tubelet(["diff", vivit, SAMPLE], expect_rc=2).stdout
        assert forward == f"{vivit} and {SAMPLE} differ in kind: A is {described}, B is {vit}; compare like with like, or inflate B first\n"
        backward = run_tubelet(["diff", SAMPLE, vivit], expect_rc=2).stdout
        assert backward == f"{SAMPLE} and {vivit} differ in kind: A is {vit}, B is {described}; compare like with like, or inflate A first\n"
        report = json.loads(run_tubelet(["diff", vivit, SAMPLE, "--json"], expect_rc=2).stdout)
        assert report["equal"] is False and report["tensors"] == [] and report["kind_difference"].startswith(f"A is {described}")
    assert json.loads(run_tubelet(["diff", npz, directory, "--json"]).stdout)["kind_difference"] is None


def test_diff_of_two_vivit_models_says_what_differs_in_kind(tmp_path):
    model1, model2 = inflate_model(tmp_path, "spacetime"), inflate_model(tmp_path, "factorised-encoder")
    out = run_tubelet(["diff", model1, model2], expect_rc=2).stdout
    assert "differ in kind: A is a ViViT Model 1 (spacetime)" in out and "B is a ViViT Model 2 (factorised-encoder)" in out
    assert out.count("\n") == 1


# --------------------------------------------------------------------------------------------
# Conversions into another model's layout
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("model, target, named, fits", [
    ("factorised-encoder", "scenic", "a ViViT Model 2 (factorised-encoder)", "scenic-vivit-factorised-encoder"),
    ("factorised-self-attention", "scenic", "a ViViT Model 3 (factorised-self-attention)", "scenic-vivit-factorised-self-attention"),
    ("factorised-encoder", "hf-vivit-classifier", "a ViViT Model 2 (factorised-encoder)", "scenic-vivit-factorised-encoder"),
    ("spacetime", "scenic-vivit-factorised-encoder", "a ViViT Model 1 (spacetime)", "scenic"),
    ("spacetime", "timm", "a ViViT Model 1 (spacetime)", "scenic"),
    ("factorised-dot-product", "scenic-vivit-factorised-self-attention", "a ViViT Model 1 or 4", "scenic"),
])
def test_convert_into_another_models_layout_names_the_model_and_the_layout_that_fits(tmp_path, model, target, named, fits):
    source = inflate_model(tmp_path, model)
    out = tmp_path / "out.npz"
    process = run_tubelet(["convert", source, out, "--to", target], expect_rc=1)
    assert process.stderr.count("Error:") == 1, process.stderr
    assert f"this is {named}" in process.stderr and f"which the {target} layout does not hold" in process.stderr
    assert f"Use --to {fits}, the layout of its model" in process.stderr
    assert not out.exists()
    run_tubelet(["convert", source, out, "--to", fits])  # the layout named fits


def test_convert_of_an_image_vit_into_a_video_layout_says_to_inflate_it(tmp_path):
    out = tmp_path / "out.safetensors"
    process = run_tubelet(["convert", SAMPLE, out, "--to", "scenic-vivit-factorised-encoder"], expect_rc=1)
    assert "this is an image ViT (ViT/16 (width 64, depth 2, 4 heads, MLP 128)), which the scenic-vivit-factorised-encoder layout, a video model's, does not hold" in process.stderr
    assert "Inflate it into a ViViT first" in process.stderr and not out.exists()


def test_inflate_format_hf_of_model1_writes_the_same_preprocessor_config_as_convert(tmp_path):
    """inflate --format hf of Model 1 with --image-mean/--image-std writes the VivitImageProcessor
    convert writes for the same clip; AutoImageProcessor loads it."""
    normalisation = ["--image-mean", "0.5,0.5,0.5", "--image-std", "0.5,0.5,0.5"]
    direct = tmp_path / "direct"
    run_tubelet(["inflate", SAMPLE, "-o", direct, "--format", "hf", "--model", "spacetime", "--frames", str(FRAMES),
                 "--classes", "5", *normalisation])
    npz = inflate_model(tmp_path, "spacetime")
    converted = tmp_path / "converted"
    run_tubelet(["convert", npz, converted, "--format", "hf", "--frames", str(FRAMES), *normalisation])
    assert (direct / "preprocessor_config.json").read_bytes() == (converted / "preprocessor_config.json").read_bytes()
    processor = transformers.AutoImageProcessor.from_pretrained(direct)
    pixels = processor([np.full((64, 80, 3), 255, np.uint8)] * FRAMES, return_tensors="pt")["pixel_values"]
    assert tuple(pixels.shape) == (1, FRAMES, 3, 64, 64) and float(pixels.max()) == pytest.approx(1.0)
