"""ViTs inflated into Hugging Face's TimeSformer (`inflate --model timesformer`).

For a sample of every family Tubelet reads: the hf directory loads into
TimesformerForVideoClassification with no missing, unexpected or mismatched keys; on a static
video (one image repeated over the frames) its CLS features equal the ViT's as transformers
computes it, within 1e-5; the weights are initialised as the TimeSformer authors do (temporal
attention a copy of the spatial one, zero time embeddings and temporal_dense), and the
temporal branch is wired in (changing temporal_dense changes the output). Needs torch and
transformers; the no-skip gate makes CI run it."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import numpy as np
from safetensors.numpy import load_file

from conftest import REPO_ROOT, convert, run_tubelet

# Samples of every family, with the flags their layout needs.
FAMILY_SAMPLES = {
    "ViT-tiny_16.npz": [],
    "vit-tiny-big_vision.npz": [],
    "vit-tiny-big_vision-scan.npz": [],
    "vit-tiny-scenic_checkpoint_0": [],
    "vit-tiny-timm.pth": ["--heads", "4"],
    "vit-tiny-hf-classifier": [],
    "ViT-tiny_16_keras2.h5": ["--heads", "4"],
    "ViT-tiny_keras3.weights.h5": [],
}
FRAMES = 4


def reference_vit(sample, flags, architecture, tmp_path, activation, epsilon):
    """The ViT as transformers computes it: the sample's weights through `convert --to hf-vit`,
    loaded with no missing or unexpected keys."""
    vit_dir = tmp_path / "vit"
    vit_dir.mkdir()
    with_head = architecture.get("classes") is not None
    convert(sample, vit_dir / "model.safetensors", "--to", "hf-vit-classifier" if with_head else "hf-vit", *flags)
    transformers.ViTConfig(hidden_size=architecture["width"], num_hidden_layers=architecture["depth"],
                           num_attention_heads=architecture["heads"], intermediate_size=architecture["mlp_width"],
                           image_size=architecture["image_size"][0], patch_size=architecture["patch_size"][0],
                           hidden_act=activation, layer_norm_eps=epsilon,
                           num_labels=architecture["classes"] if with_head else 2).save_pretrained(vit_dir)
    if with_head:
        model, info = transformers.ViTForImageClassification.from_pretrained(vit_dir, output_loading_info=True)
        model = model.vit
    else:
        model, info = transformers.ViTModel.from_pretrained(vit_dir, add_pooling_layer=False, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"], info
    return model.eval()


def inflate(sample, out, *flags):
    run_tubelet(["inflate", sample, "-o", out, "--model", "timesformer", "--frames", str(FRAMES), *flags])
    return out


@pytest.mark.parametrize("name", sorted(FAMILY_SAMPLES))
def test_every_family_inflates_to_a_timesformer_that_computes_its_vit(tmp_path, name):
    sample = REPO_ROOT / "Checkpoints" / name
    flags = FAMILY_SAMPLES[name]
    architecture = json.loads(run_tubelet(["inspect", sample, "--json", *flags]).stdout)["layout"]["architecture"]
    size = architecture["image_size"][0]
    out = inflate(sample, tmp_path / "timesformer", "--format", "hf", "--classes", "3", *flags)
    model, info = transformers.TimesformerForVideoClassification.from_pretrained(out, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"], info
    model.eval()
    config = model.config
    assert (config.attention_type, config.num_frames, config.image_size, config.num_labels) == (
        "divided_space_time", FRAMES, size, 3)

    # Initialised as the authors do it.
    for layer in model.timesformer.encoder.layer:
        assert torch.equal(layer.temporal_attention.attention.qkv.weight, layer.attention.attention.qkv.weight)
        assert torch.equal(layer.temporal_attention.output.dense.bias, layer.attention.output.dense.bias)
        assert torch.equal(layer.temporal_layernorm.weight, layer.layernorm_before.weight)
        assert torch.count_nonzero(layer.temporal_dense.weight) == 0 and torch.count_nonzero(layer.temporal_dense.bias) == 0
    assert torch.count_nonzero(model.timesformer.embeddings.time_embeddings) == 0
    assert torch.count_nonzero(model.classifier.weight) == 0

    vit = reference_vit(sample, flags, architecture, tmp_path, config.hidden_act, config.layer_norm_eps)
    rng = np.random.default_rng(7)
    image = torch.from_numpy(rng.standard_normal((1, 3, size, size)).astype(np.float32))
    static = image.unsqueeze(1).repeat(1, FRAMES, 1, 1, 1)  # [B, T, C, H, W]
    moving = torch.from_numpy(rng.standard_normal((1, FRAMES, 3, size, size)).astype(np.float32))
    with torch.no_grad():
        expected = vit(image).last_hidden_state[:, 0]
        actual = model.timesformer(static).last_hidden_state[:, 0]
        np.testing.assert_allclose(actual.numpy(), expected.numpy(), atol=1e-5, rtol=0)
        before = model.timesformer(moving).last_hidden_state[:, 0]
        # The temporal branch is wired in: a non-zero temporal_dense changes what a moving clip gives.
        for layer in model.timesformer.encoder.layer:
            layer.temporal_dense.weight.copy_(torch.eye(layer.temporal_dense.weight.shape[0]) * 0.5)
        after = model.timesformer(moving).last_hidden_state[:, 0]
    assert not np.allclose(before.numpy(), expected.numpy(), atol=1e-3)
    assert not np.allclose(after.numpy(), before.numpy(), atol=1e-3)


SAMPLE = REPO_ROOT / "Checkpoints" / "ViT-tiny_16.npz"


def test_without_classes_it_is_a_timesformer_model(tmp_path):
    out = inflate(SAMPLE, tmp_path / "backbone", "--format", "hf")
    model, info = transformers.TimesformerModel.from_pretrained(out, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"], info
    assert json.loads((out / "config.json").read_text())["architectures"] == ["TimesformerModel"]


def test_a_timesformer_is_recognised_and_not_inflated_again(tmp_path):
    out = inflate(SAMPLE, tmp_path / "ts", "--format", "hf", "--classes", "3")
    shown = run_tubelet(["inspect", out]).stdout
    assert "layout: hf-timesformer-classifier — no architecture: this is already a TimeSformer" in shown
    again = tmp_path / "again.safetensors"
    process = run_tubelet(["inflate", out, "-o", again, "--model", "timesformer"], expect_rc=1)
    assert "this is already a TimeSformer (time embeddings [1, 4, 64]), not an image ViT" in process.stderr
    assert not again.exists()


def test_safetensors_and_pth_hold_the_hugging_face_names(tmp_path):
    directory = inflate(SAMPLE, tmp_path / "hf", "--format", "hf", "--classes", "3")
    expected = load_file(directory / "model.safetensors")
    single = load_file(inflate(SAMPLE, tmp_path / "ts.safetensors", "--classes", "3"))
    pth = torch.load(inflate(SAMPLE, tmp_path / "ts.pth", "--classes", "3"), weights_only=True)
    assert sorted(single) == sorted(expected) == sorted(pth)
    for key, value in expected.items():
        assert np.array_equal(single[key], value) and np.array_equal(pth[key].numpy(), value), key


def test_a_new_image_size_resizes_the_positions_per_frame(tmp_path):
    """96 px with 16 px patches: a 6x6 grid plus the CLS row, interpolated in 2-D (as for ViViT)."""
    out = inflate(SAMPLE, tmp_path / "ts96", "--format", "hf", "--classes", "3", "--image-size", "96")
    model, info = transformers.TimesformerForVideoClassification.from_pretrained(out, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"], info
    assert tuple(model.timesformer.embeddings.position_embeddings.shape) == (1, 37, 64)
    with torch.no_grad():
        model.eval()(torch.zeros(1, FRAMES, 3, 96, 96))


@pytest.mark.parametrize("output, flags, message", [
    ("x.npz", [], "write it as hf, safetensors or pth"),
    ("x.h5", [], "write it as hf, safetensors or pth"),
    ("x.safetensors", ["--kernel-init", "average"], "--kernel-init"),
    ("x.safetensors", ["--temporal-layers", "2"], "--temporal-layers"),
    ("x.safetensors", ["--copy-spatial-cls"], "--copy-spatial-cls"),
    ("x.safetensors", ["--keep-pre-logits"], "--keep-pre-logits"),
])
def test_options_timesformer_has_no_use_for_are_usage_errors(tmp_path, output, flags, message):
    process = run_tubelet(["inflate", SAMPLE, "-o", tmp_path / output, "--model", "timesformer", *flags], expect_rc=64)
    assert message in process.stderr
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("flags, message", [
    (["--tubelet", "2x16x16"], "its tubelet is 1x16x16"),
    (["--image-size", "64x96"], "square"),
    (["--classifier", "gap"], "no gap classifier"),
])
def test_what_timesformer_cannot_take_is_refused(tmp_path, flags, message):
    out = tmp_path / "ts.safetensors"
    process = run_tubelet(["inflate", SAMPLE, "-o", out, "--model", "timesformer", *flags], expect_rc=1)
    assert message in process.stderr
    assert not out.exists()


def test_a_vit_without_a_cls_token_is_refused(tmp_path):
    """TimeSformer pools with its CLS token: a gap ViT (the sample less its CLS token and the
    CLS row of its positions, as numpy writes it) is refused rather than given a fresh token
    that would not compute the ViT."""
    arrays = dict(np.load(SAMPLE))
    del arrays["cls"]
    arrays["Transformer/posembed_input/pos_embedding"] = arrays["Transformer/posembed_input/pos_embedding"][:, 1:]
    gap = tmp_path / "gap.npz"
    np.savez(gap, **arrays)
    out = tmp_path / "ts.safetensors"
    process = run_tubelet(["inflate", gap, "-o", out, "--model", "timesformer"], expect_rc=1)
    assert "pools with its CLS token, which this ViT" in process.stderr
    assert not out.exists()


def test_preprocessor_config_from_the_options_loads_in_transformers(tmp_path):
    """--image-mean/--image-std give a VideoMAEImageProcessor (what the Hub's TimeSformers use)
    that AutoImageProcessor loads and that maps white frames to (1 - mean) / std."""
    out = inflate(SAMPLE, tmp_path / "ts", "--format", "hf", "--image-mean", "0.485,0.456,0.406",
                  "--image-std", "0.229,0.224,0.225")
    processor = transformers.AutoImageProcessor.from_pretrained(out)
    frames = [np.full((80, 64, 3), 255, np.uint8)] * FRAMES
    pixels = processor(frames, return_tensors="pt")["pixel_values"]
    assert tuple(pixels.shape) == (1, FRAMES, 3, 64, 64)
    expected = (1 - np.array([0.485, 0.456, 0.406])) / np.array([0.229, 0.224, 0.225])
    np.testing.assert_allclose(pixels[0, 0, :, 0, 0].numpy(), expected, rtol=1e-5)


@pytest.mark.parametrize("beside, expected", [
    ({"preprocessor_config.json": {"image_mean": [0.5, 0.5, 0.5], "image_std": [0.25, 0.25, 0.25]}}, [0.25] * 3),
    ({"config.json": {"architecture": "vit_tiny_patch16_224", "num_features": 64,
                      "pretrained_cfg": {"mean": [0.5, 0.5, 0.5], "std": [0.125, 0.125, 0.125]}}}, [0.125] * 3),
])
def test_preprocessor_config_from_the_files_beside_the_weights(tmp_path, beside, expected):
    """A Hugging Face preprocessor_config.json or a timm config.json beside the weights says
    the normalisation; the output's preprocessor_config.json carries it and names the file."""
    source = tmp_path / "vit"
    source.mkdir()
    weights = source / "model.npz"
    weights.write_bytes(SAMPLE.read_bytes())
    for name, content in beside.items():
        (source / name).write_text(json.dumps(content))
    out = tmp_path / "ts"
    process = run_tubelet(["inflate", weights, "-o", out, "--model", "timesformer", "--frames", str(FRAMES),
                           "--format", "hf", "--heads", "4"])
    assert json.loads((out / "preprocessor_config.json").read_text())["image_std"] == expected
    assert f"({source}/{next(iter(beside))}, " in process.stderr


def test_without_evidence_no_preprocessor_config_is_written_and_the_run_says_so(tmp_path):
    process = run_tubelet(["inflate", SAMPLE, "-o", tmp_path / "ts", "--model", "timesformer", "--format", "hf"])
    assert "note: no preprocessor_config.json: the ViT's input normalisation is not stored" in process.stderr
    assert not (tmp_path / "ts" / "preprocessor_config.json").exists()


@pytest.mark.parametrize("flags, message", [
    (["--model", "timesformer", "--format", "hf", "--image-mean", "0.5,0.5,0.5"], "--image-mean and --image-std go together"),
    (["--model", "factorised-encoder", "--format", "hf", "--image-mean", "0.5,0.5,0.5", "--image-std", "0.5,0.5,0.5"],
     "apply to --format hf of --model spacetime or timesformer"),
    (["--model", "spacetime", "--format", "npz", "--image-mean", "0.5,0.5,0.5", "--image-std", "0.5,0.5,0.5"],
     "apply to --format hf of --model spacetime or timesformer"),
    (["--model", "timesformer", "--format", "hf", "--image-mean", "0.5,0.5", "--image-std", "0.5,0.5,0.5"],
     "--image-mean has 2 values but --image-std 3"),
])
def test_normalisation_options_misused_are_usage_errors(tmp_path, flags, message):
    process = run_tubelet(["inflate", SAMPLE, "-o", tmp_path / "out", *flags], expect_rc=64)
    assert message in process.stderr
