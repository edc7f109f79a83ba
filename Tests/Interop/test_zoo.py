"""The ViT zoo (Checkpoints/zoo/make_zoo.py): real models from timm and transformers at real
widths and head counts. Each case either inflates into a Hugging Face ViViT that
`VivitForVideoClassification.from_pretrained` loads with no missing, unexpected or mismatched
keys and that reproduces the source's CLS features on a static video within 1e-5 (with the
exact rewrites it needs listed in the report), or, for a ViT without a CLS token, into a gap
ViViT in scenic's tree that computes the source's pooled features, or is refused (exit 1) with
its structure named in the one-line error. None may be silently wrong.

The static video: two identical frames, tubelets 2xPxP, the central-frame kernel. There is one
temporal token, and the frame that the kernel reads is the image, so the ViViT's tokens are
the image model's (vivit-init.md: inflation is exact for a static video only with one temporal
token; with more, the CLS token attends over repeated patch keys).

The zoo is built at test time into a cached temporary directory ($TUBELET_ZOO_DIR, else
$TMPDIR/tubelet-zoo-KEY, KEY a hash of the generator and the library versions), never
committed. Needs torch and transformers; timm cases also need timm, whose import needs a
torchvision that matches torch: where it fails they skip with the import error as the reason.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("safetensors")

from conftest import REPO_ROOT, assert_error_line, run_tubelet

GENERATOR = REPO_ROOT / "Checkpoints" / "zoo" / "make_zoo.py"
_spec = importlib.util.spec_from_file_location("make_zoo", GENERATOR)
make_zoo = importlib.util.module_from_spec(_spec)
sys.modules["make_zoo"] = make_zoo  # dataclasses look their module up
_spec.loader.exec_module(make_zoo)

TOLERANCE = 1e-5


def timm_or_skip():
    try:
        import timm
    except Exception as error:  # a torchvision built for another torch raises RuntimeError, not ImportError
        pytest.skip(f"timm does not import here ({type(error).__name__}: {error})")
    return timm


def zoo_root() -> Path:
    if os.environ.get("TUBELET_ZOO_DIR"):
        return Path(os.environ["TUBELET_ZOO_DIR"])
    versions = [torch.__version__, transformers.__version__]
    try:
        import timm
        versions.append(timm.__version__)
    except Exception:
        versions.append("no-timm")
    key = hashlib.sha256(GENERATOR.read_bytes() + " ".join(versions).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"tubelet-zoo-{key}"


def built(name: str) -> tuple[Path, dict]:
    case = make_zoo.CASES[name]
    if case.library == "timm":
        timm_or_skip()
    directory = make_zoo.build(name, zoo_root())
    return directory, json.loads((directory / "case.json").read_text())


def heads_flags(meta: dict) -> list[str]:
    """--heads only for a bare safetensors without its config.json: timm's Hub config.json
    (its architecture name, e.g. vit_huge_patch14_224 → 16) and transformers' config.json
    (num_attention_heads) give the head count, which Tubelet must find there on its own."""
    return ["--heads", str(meta["heads"])] if meta["bare"] else []


def static_video(image: np.ndarray) -> "torch.Tensor":
    return torch.from_numpy(image).unsqueeze(1).repeat(1, 2, 1, 1, 1)  # [B, T, C, H, W]


def inflate(directory: Path, meta: dict, out: Path, *flags: str, expect_rc: int = 0):
    patch = meta["patch"]
    return run_tubelet(["inflate", directory / meta["weights"], "-o", out, "--model", "spacetime", "--frames", "2",
                        "--tubelet", f"2x{patch}x{patch}", "--kernel-init", "central", *heads_flags(meta), *flags],
                       expect_rc=expect_rc)


def check_hf(directory: Path, meta: dict, tmp_path: Path) -> None:
    out, report_path = tmp_path / "vivit", tmp_path / "report.json"
    if meta["bare"]:
        # Without its config.json nothing says how many heads: refused, never width / 64.
        process = run_tubelet(["inflate", directory / meta["weights"], "-o", out, "--model", "spacetime",
                               "--format", "hf", "--classes", "3"], expect_rc=1)
        assert "--heads N" in process.stderr and not out.exists(), process.stderr
    process = inflate(directory, meta, out, "--format", "hf", "--classes", "3", "--report", report_path)
    report = json.loads(report_path.read_text())
    # The real head count, read from the config (or given, for a bare file): never width / 64.
    assert report["values"]["heads"]["value"] == meta["heads"], report["values"]
    methods = sorted({rewrite["method"] for rewrite in report.get("rewrites", [])})
    expected = sorted(meta["detail"]) if meta["expect"] == "rewrite" else []
    assert methods == expected, f"rewrites {methods}, expected {expected}\n{process.stderr}"
    for method in expected:
        assert method in process.stderr, f"the summary does not print the {method} rewrite:\n{process.stderr}"
    model, info = transformers.VivitForVideoClassification.from_pretrained(out, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"], info
    reference = np.load(directory / "reference.npz")
    with torch.no_grad():
        actual = model.eval().vivit(static_video(reference["image"])).last_hidden_state[:, 0].numpy()
    np.testing.assert_allclose(actual, reference["features"], atol=TOLERANCE, rtol=0)


def vivit_npz_as_timm(arrays: dict, depth: int) -> dict:
    """A one-temporal-token Model 1 ViViT (scenic's tree) as the timm ViT it equals on a static
    video: the tubelet kernel summed over its frames, q/k/v fused, PyTorch [out, in] kernels."""
    def t(x):
        return torch.from_numpy(np.ascontiguousarray(x))

    kernel = arrays["embedding/kernel"].sum(axis=0)  # [p, p, C, D]: the static video's frames all equal
    state = {"patch_embed.proj.weight": t(kernel.transpose(3, 2, 0, 1)), "patch_embed.proj.bias": t(arrays["embedding/bias"]),
             "pos_embed": t(arrays["Transformer/posembed_input/pos_embedding"]),
             "norm.weight": t(arrays["Transformer/encoder_norm/scale"]), "norm.bias": t(arrays["Transformer/encoder_norm/bias"])}
    for i in range(depth):
        p = f"Transformer/encoderblock_{i}/"
        a = p + "MultiHeadDotProductAttention_0/"
        width = arrays[a + "out/bias"].shape[0]
        state |= {
            f"blocks.{i}.norm1.weight": t(arrays[p + "LayerNorm_0/scale"]), f"blocks.{i}.norm1.bias": t(arrays[p + "LayerNorm_0/bias"]),
            f"blocks.{i}.attn.qkv.weight": t(np.concatenate([arrays[a + f"{n}/kernel"].reshape(width, width).T for n in "query key value".split()])),
            f"blocks.{i}.attn.qkv.bias": t(np.concatenate([arrays[a + f"{n}/bias"].reshape(-1) for n in "query key value".split()])),
            f"blocks.{i}.attn.proj.weight": t(arrays[a + "out/kernel"].reshape(width, width).T),
            f"blocks.{i}.attn.proj.bias": t(arrays[a + "out/bias"]),
            f"blocks.{i}.norm2.weight": t(arrays[p + "LayerNorm_1/scale"]), f"blocks.{i}.norm2.bias": t(arrays[p + "LayerNorm_1/bias"]),
            f"blocks.{i}.mlp.fc1.weight": t(arrays[p + "MlpBlock_0/Dense_0/kernel"].T), f"blocks.{i}.mlp.fc1.bias": t(arrays[p + "MlpBlock_0/Dense_0/bias"]),
            f"blocks.{i}.mlp.fc2.weight": t(arrays[p + "MlpBlock_0/Dense_1/kernel"].T), f"blocks.{i}.mlp.fc2.bias": t(arrays[p + "MlpBlock_0/Dense_1/bias"]),
        }
    return state


def check_gap(directory: Path, meta: dict, tmp_path: Path) -> None:
    """A ViT without a CLS token (SigLIP's gap variant): Hugging Face's ViViT always has one, so
    the output is scenic's tree (npz); loaded back into the source family's own model, it gives
    the source's pooled features."""
    timm = timm_or_skip()
    out = tmp_path / "vivit.npz"
    process = inflate(directory, meta, out)
    assert "gap classifier" in process.stderr, process.stderr
    arrays = dict(np.load(out))
    assert "cls" not in arrays
    model = timm.create_model(meta["builder"], pretrained=False, num_classes=0, **meta["args"]).eval()
    model.load_state_dict(vivit_npz_as_timm(arrays, meta["args"]["depth"]), strict=True)
    reference = np.load(directory / "reference.npz")
    with torch.no_grad():
        actual = model.forward_head(model.forward_features(torch.from_numpy(reference["image"])), pre_logits=True).numpy()
    np.testing.assert_allclose(actual, reference["features"], atol=TOLERANCE, rtol=0)


def check_refused(directory: Path, meta: dict, tmp_path: Path) -> None:
    weights = directory / meta["weights"]
    out = tmp_path / "vivit"
    process = inflate(directory, meta, out, "--format", "hf", expect_rc=1)
    assert_error_line(process, weights, *meta["detail"])
    assert "closest" not in process.stderr, "a structural refusal names the structure, not the closest layout"
    assert not out.exists()


@pytest.mark.parametrize("name", list(make_zoo.CASES))
def test_zoo_case(tmp_path, name):
    """Inflated exactly (as it is or after the named rewrites), or refused with its structure."""
    directory, meta = built(name)
    {"exact": check_hf, "rewrite": check_hf, "gap": check_gap, "refused": check_refused}[meta["expect"]](directory, meta, tmp_path)


def test_zoo_covers_the_families_the_issue_names():
    """Every family of issue 11's list is in the zoo, so dropping a case fails here, not silently."""
    builders = {case.builder for case in make_zoo.CASES.values()}
    for family in ["vit_tiny_patch16_224", "vit_small_patch16_224", "vit_base_patch16_224", "vit_large_patch16_224",
                   "vit_huge_patch14_224", "vit_giant_patch14_224", "deit_small_patch16_224", "deit3_small_patch16_224",
                   "deit3_huge_patch14_224", "vit_small_patch14_dinov2", "vit_small_patch14_reg4_dinov2",
                   "vit_base_patch16_clip_224", "vit_base_patch16_siglip_224", "vit_base_patch16_siglip_gap_224",
                   "vit_base_patch16_224.mae", "flexivit_small", "vit", "dinov2"]:
        assert family in builders, family
    assert any(case.args.get("qkv_bias") is False for case in make_zoo.CASES.values())
    assert any(case.bare and case.args["hidden_size"] == 1280 for case in make_zoo.CASES.values() if case.library == "transformers")
    assert {case.args["hidden_dim"] for case in make_zoo.CASES.values() if case.library == "keras-hub"} >= {768, 1024, 1280}
