"""Inflated checkpoints in Hugging Face's ViViT: the hf output loads with no missing or
unexpected keys, and a ViViT made from a ViT with one temporal token reproduces the ViT's
CLS features on a static video. Needs torch and transformers; skipped cleanly without them."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import numpy as np

from conftest import REPO_ROOT, convert, run_tubelet

SAMPLE = REPO_ROOT / "Checkpoints" / "ViT-tiny_16.npz"


def vit_from_sample(tmp_path):
    """The sample as a Hugging Face ViTForImageClassification: `convert --to hf-vit-classifier`
    gives the on-disk names, loaded by from_pretrained with no missing or unexpected keys."""
    directory = tmp_path / "vit"
    directory.mkdir()
    convert(SAMPLE, directory / "model.safetensors", "--to", "hf-vit-classifier", "--heads", "4")
    transformers.ViTConfig(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128,
                           image_size=64, patch_size=16, hidden_act="gelu_fast", layer_norm_eps=1e-6,
                           num_labels=10).save_pretrained(directory)
    model, info = transformers.ViTForImageClassification.from_pretrained(directory, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"], info
    return model.eval()


def inflate_hf(tmp_path, *flags):
    out = tmp_path / "vivit"
    run_tubelet(["inflate", SAMPLE, "-o", out, "--format", "hf", "--model", "spacetime", "--classes", "7", *flags])
    model, info = transformers.VivitForVideoClassification.from_pretrained(out, output_loading_info=True)
    return model.eval(), info


def test_hf_output_loads_with_no_missing_or_unexpected_keys(tmp_path):
    """The hf directory (config.json + model.safetensors) is exactly what VivitForVideoClassification expects."""
    model, info = inflate_hf(tmp_path, "--frames", "8")
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"], info
    assert model.config.num_frames == 8 and model.config.tubelet_size == [2, 16, 16] and model.config.num_labels == 7
    assert torch.count_nonzero(model.classifier.weight) == 0  # scenic's zero classifier


@pytest.mark.parametrize("kernel", ["average", "central"])
def test_one_temporal_token_reproduces_the_vit_on_a_static_video(tmp_path, kernel):
    """With --frames equal to the tubelet depth there is one temporal token; a video of
    identical frames through an average (or central) kernel gives the 2-D patch embedding, so
    the ViViT's CLS features equal the ViT's (within 1e-5)."""
    vit = vit_from_sample(tmp_path)
    vivit, _ = inflate_hf(tmp_path, "--frames", "2", "--kernel-init", kernel)
    image = torch.from_numpy(np.random.default_rng(0).standard_normal((1, 3, 64, 64)).astype(np.float32))
    video = image.unsqueeze(1).repeat(1, 2, 1, 1, 1)  # [B, T, C, H, W]
    with torch.no_grad():
        expected = vit.vit(image).last_hidden_state[:, 0]
        actual = vivit.vivit(video).last_hidden_state[:, 0]
    np.testing.assert_allclose(actual.numpy(), expected.numpy(), atol=1e-5, rtol=0)


def test_timm_vit_inflated_reproduces_timm_on_a_static_video(tmp_path):
    """The timm family: the timm sample loaded into timm's own VisionTransformer, and the same
    file inflated with one temporal token into Hugging Face's ViViT, give the same CLS
    features on a static video (timm's GELU is exact, so hidden_act is 'gelu')."""
    timm = pytest.importorskip("timm")
    from timm.models.vision_transformer import VisionTransformer

    sample = REPO_ROOT / "Checkpoints" / "vit-tiny-timm.pth"
    model = VisionTransformer(img_size=64, patch_size=16, embed_dim=64, depth=2, num_heads=4, mlp_ratio=2.0, num_classes=10)
    model.load_state_dict(torch.load(sample, weights_only=True), strict=True)
    model.eval()
    out = tmp_path / "vivit"
    run_tubelet(["inflate", sample, "-o", out, "--format", "hf", "--model", "spacetime", "--classes", "7",
                 "--frames", "2", "--kernel-init", "average", "--heads", "4"])
    vivit = transformers.VivitForVideoClassification.from_pretrained(out).eval()
    assert vivit.config.hidden_act == "gelu"
    image = torch.from_numpy(np.random.default_rng(1).standard_normal((1, 3, 64, 64)).astype(np.float32))
    with torch.no_grad():
        expected = model.forward_features(image)[:, 0]
        actual = vivit.vivit(image.unsqueeze(1).repeat(1, 2, 1, 1, 1)).last_hidden_state[:, 0]
    np.testing.assert_allclose(actual.numpy(), expected.numpy(), atol=1e-5, rtol=0)


def test_hugging_face_vit_inflated_reproduces_it_on_a_static_video(tmp_path):
    """The Hugging Face family: the transformers-written ViT sample (its head count,
    activation and epsilon read from its config.json) inflated with one temporal token gives
    the CLS features transformers computes for the ViT."""
    sample = REPO_ROOT / "Checkpoints" / "vit-tiny-hf-classifier"
    vit = transformers.ViTForImageClassification.from_pretrained(sample).eval()
    out = tmp_path / "vivit"
    run_tubelet(["inflate", sample, "-o", out, "--format", "hf", "--model", "spacetime", "--classes", "7",
                 "--frames", "2", "--kernel-init", "average"])
    vivit = transformers.VivitForVideoClassification.from_pretrained(out).eval()
    assert (vivit.config.hidden_act, vivit.config.layer_norm_eps) == (vit.config.hidden_act, vit.config.layer_norm_eps)
    image = torch.from_numpy(np.random.default_rng(2).standard_normal((1, 3, 64, 64)).astype(np.float32))
    with torch.no_grad():
        expected = vit.vit(image).last_hidden_state[:, 0]
        actual = vivit.vivit(image.unsqueeze(1).repeat(1, 2, 1, 1, 1)).last_hidden_state[:, 0]
    np.testing.assert_allclose(actual.numpy(), expected.numpy(), atol=1e-5, rtol=0)


# Samples of every family, with the flags their layout needs and the headless ones' shapes.
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


@pytest.mark.parametrize("name", sorted(FAMILY_SAMPLES))
def test_every_family_inflates_to_a_vivit_that_computes_its_vit(tmp_path, name):
    """For a sample of each family: the ViT as transformers computes it (its weights through
    `convert --to hf-vit`, the family's activation and epsilon in the config) and the ViViT
    inflated from the same file with one temporal token (`average`) give the same CLS features
    on a static video, within 1e-5."""
    sample = REPO_ROOT / "Checkpoints" / name
    flags = FAMILY_SAMPLES[name]
    vivit_dir = tmp_path / "vivit"
    report = json.loads(run_tubelet(["inspect", sample, "--json", *flags]).stdout)["layout"]
    architecture = report["architecture"]
    patch, size = architecture["patch_size"][0], architecture["image_size"][0]
    run_tubelet(["inflate", sample, "-o", vivit_dir, "--format", "hf", "--model", "spacetime", "--classes", "3",
                 "--frames", "2", "--tubelet", f"2x{patch}x{patch}", "--kernel-init", "average", *flags])
    vivit = transformers.VivitForVideoClassification.from_pretrained(vivit_dir).eval()

    vit_dir = tmp_path / "vit"
    vit_dir.mkdir()
    with_head = architecture.get("classes") is not None
    convert(sample, vit_dir / "model.safetensors", "--to", "hf-vit-classifier" if with_head else "hf-vit", *flags)
    transformers.ViTConfig(hidden_size=architecture["width"], num_hidden_layers=architecture["depth"],
                           num_attention_heads=architecture["heads"], intermediate_size=architecture["mlp_width"],
                           image_size=size, patch_size=patch, hidden_act=vivit.config.hidden_act,
                           layer_norm_eps=vivit.config.layer_norm_eps,
                           num_labels=architecture["classes"] if with_head else 2).save_pretrained(vit_dir)
    if with_head:
        model, info = transformers.ViTForImageClassification.from_pretrained(vit_dir, output_loading_info=True)
        vit = model.vit
    else:
        vit, info = transformers.ViTModel.from_pretrained(vit_dir, add_pooling_layer=False, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"], info
    image = torch.from_numpy(np.random.default_rng(3).standard_normal((1, 3, size, size)).astype(np.float32))
    with torch.no_grad():
        expected = vit.eval()(image).last_hidden_state[:, 0]
        actual = vivit.vivit(image.unsqueeze(1).repeat(1, 2, 1, 1, 1)).last_hidden_state[:, 0]
    np.testing.assert_allclose(actual.numpy(), expected.numpy(), atol=1e-5, rtol=0)
