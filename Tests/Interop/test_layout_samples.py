"""Every built-in image layout against a sample its own ecosystem's library wrote
(Checkpoints/, see its README): detection with the exact architecture, bit-exact round trips
A → B → A through every other layout, `diff` across layouts, the closest-candidate error for a
file no layout fits, and `convert --format hf` giving the directory transformers writes.

The samples are read only with numpy, safetensors and h5py, so all of this runs in CI; the
tests that load models in transformers, timm or torch skip cleanly without them.

Most samples hold the weights of ViT-tiny_16.npz (width 64, 4 heads). The timm samples were
made separately (other values, same shapes), and the Keras sample is keras-hub's own tiny ViT
(width 16, 2 heads). timm and Hugging Face files store attention as [D, D] and do not say how
many heads there are; Tubelet assumes 64-dimensional heads (1 head at width 64) unless
`--heads` is given, so the tests pass `--heads` for those layouts.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import h5py
import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from conftest import REPO_ROOT, assert_error_line, convert, inspect_json, run_tubelet

CHECKPOINTS = REPO_ROOT / "Checkpoints"

TINY = {"patch_size": [16, 16], "channels": 3, "grid": [4, 4], "image_size": [64, 64], "width": 64, "depth": 2,
        "heads": 4, "mlp_width": 128, "classifier": "token", "has_pre_logits": False, "classes": 10}
#: ViTModel: the same encoder, a pooler (pre_logits) and no head.
TINY_BACKBONE = {key: value for key, value in TINY.items() if key != "classes"} | {"has_pre_logits": True}
KERAS = {"patch_size": [8, 8], "channels": 3, "grid": [4, 4], "image_size": [32, 32], "width": 16, "depth": 2,
         "heads": 2, "mlp_width": 32, "classifier": "token", "has_pre_logits": False}


@dataclass(frozen=True)
class Sample:
    file: str
    layout: str
    prefix: str
    heads: int
    architecture: dict
    #: The layout stores attention as [D, D], so detection needs --heads.
    needs_heads: bool = False

    @property
    def path(self) -> Path:
        return CHECKPOINTS / self.file

    @property
    def heads_flags(self) -> list[str]:
        return ["--heads", str(self.heads)] if self.needs_heads else []

    def __str__(self) -> str:
        return self.file


SAMPLES = [
    Sample("ViT-tiny_16.npz", "vision_transformer", "", 4, TINY),
    Sample("vit-tiny-big_vision.npz", "big_vision", "params/", 4, TINY),
    Sample("vit-tiny-big_vision-scan.npz", "big_vision-scan", "params/", 4, TINY),
    Sample("vit-tiny-timm.pth", "timm", "", 4, TINY, needs_heads=True),
    Sample("vit-tiny-timm.safetensors", "timm", "", 4, TINY, needs_heads=True),
    Sample("vit-tiny-hf", "hf-vit", "", 4, TINY_BACKBONE, needs_heads=True),
    Sample("vit-tiny-hf-classifier", "hf-vit-classifier", "", 4, TINY, needs_heads=True),
    Sample("vit-tiny-hf-v5", "hf-vit-v5", "", 4, TINY_BACKBONE, needs_heads=True),
    Sample("vit-tiny-hf-classifier-v5", "hf-vit-classifier-v5", "", 4, TINY, needs_heads=True),
    Sample("ViT-tiny_keras3.weights.h5", "keras-hub-vit", "", 2, KERAS),
    Sample("vit-tiny-scenic_checkpoint_0", "scenic", "params/", 4, TINY),
    Sample("ViT-tiny_16_keras2.h5", "vit-keras", "", 4, TINY, needs_heads=True),
]
SAMPLE_BY_FILE = {sample.file: sample for sample in SAMPLES}

#: Layouts with no sample here (none: every image layout has one).
# hf-dinov2 has no committed sample: transformers' own Dinov2Model files are built at test time
# by the zoo (Checkpoints/zoo/make_zoo.py, cases hf-dinov2-*), which Tests/Interop/test_zoo.py
# detects, inflates and checks against transformers' features.
WITHOUT_SAMPLES: set[str] = {"hf-dinov2"}
VIDEO_LAYOUTS = {"hf-vivit-classifier", "hf-vivit-classifier-v5", "hf-vivit", "hf-vivit-v5", "scenic-vivit-factorised-encoder",
                 "scenic-vivit-factorised-self-attention", "hf-timesformer", "hf-timesformer-classifier"}


# --------------------------------------------------------------------------------------------
# Reading samples and layouts with the reference libraries
# --------------------------------------------------------------------------------------------

def reference_tensors(path: Path) -> dict[str, np.ndarray]:
    """A weight file's tensors read by its own format's library (never by Tubelet).

    A `.pth` needs torch; its twin `.safetensors`, written by the same script from the same
    state dict, stands in for it (test_timm_pth_and_safetensors_twins_hold_the_same_tensors
    checks that they agree)."""
    if path.is_dir():
        return load_file(path / "model.safetensors")
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    if path.suffix == ".safetensors":
        return load_file(path)
    if path.suffix == ".pth":
        return load_file(path.with_suffix(".safetensors"))
    if path.name.startswith("vit-tiny-scenic_checkpoint"):
        return flax_msgpack_tensors(path)
    if path.suffix == ".h5":
        tensors: dict[str, np.ndarray] = {}
        with h5py.File(path, "r") as file:
            file.visititems(lambda name, item: tensors.__setitem__(name, item[()]) if isinstance(item, h5py.Dataset) else None)
        return tensors
    raise AssertionError(f"no reference reader for {path}")


def flax_msgpack_tensors(path: Path) -> dict[str, np.ndarray]:
    """A Flax checkpoint's arrays, decoded with the msgpack library as
    flax.serialization.msgpack_restore does (ext type 1: (shape, dtype name, bytes))."""
    import msgpack

    def ext_hook(code, data):
        shape, dtype, buffer = msgpack.unpackb(data, raw=False)
        return np.frombuffer(buffer, dtype=np.dtype(dtype)).reshape(shape)

    def flatten(tree, prefix=""):
        out = {}
        for key, value in tree.items():
            if isinstance(value, dict):
                out |= flatten(value, f"{prefix}{key}/")
            elif isinstance(value, np.ndarray):
                out[f"{prefix}{key}"] = value
        return out

    return flatten(msgpack.unpackb(path.read_bytes(), ext_hook=ext_hook, raw=False))


def model_tensors(path: Path, prefix: str) -> dict[str, np.ndarray]:
    """The tensors under `prefix`, named without it: the model, without a training
    checkpoint's optimizer state."""
    return {name[len(prefix):]: tensor for name, tensor in reference_tensors(path).items() if name.startswith(prefix)}


def assert_same_tensors(actual: dict[str, np.ndarray], expected: dict[str, np.ndarray]) -> None:
    """The same names, dtypes, shapes and bytes."""
    assert sorted(actual) == sorted(expected)
    for name, tensor in expected.items():
        got = actual[name]
        assert (got.dtype, got.shape) == (tensor.dtype, tensor.shape), name
        assert np.ascontiguousarray(got).tobytes() == np.ascontiguousarray(tensor).tobytes(), name


@cache
def image_layouts() -> tuple[str, ...]:
    """The built-in layouts `tubelet schemas` lists, less the video ones."""
    rows = run_tubelet(["schemas"]).stdout.splitlines()[1:]
    return tuple(sorted(row.split()[0] for row in rows if row.split()[0] not in VIDEO_LAYOUTS))


@cache
def canonical_names(layout: str) -> frozenset[str]:
    """Every canonical name a layout's rules produce (`{i}` kept)."""
    schema = json.loads(run_tubelet(["schemas", layout]).stdout)
    names: set[str] = set()
    for rule in schema["tensors"]:
        names.update([rule["canonical"]] if isinstance(rule["canonical"], str) else rule["canonical"])
    return frozenset(names)


def unplaceable(sample: Sample, layout: str) -> list[str]:
    """The sample's canonical tensors `layout` has no place for."""
    names = canonical_names(layout)
    wanted = []
    if "classes" in sample.architecture:
        wanted.append("output_projection/kernel")
    if sample.architecture["has_pre_logits"]:
        wanted.append("pre_logits/kernel")
    return [name for name in wanted if name not in names]


#: The file format each layout is written in on the way: its family's usual one.
EXTENSION = {"vision_transformer": ".npz", "big_vision": ".npz", "big_vision-scan": ".npz", "scenic": ".npz",
             "timm": ".pth", "keras-hub-vit": ".h5", "vit-keras": ".h5"}


def extension(layout: str) -> str:
    return EXTENSION.get(layout, ".safetensors")


# --------------------------------------------------------------------------------------------
# Detection
# --------------------------------------------------------------------------------------------

def test_every_image_layout_has_a_sample():
    """A new built-in layout needs a sample written by its own library (or a reason here)."""
    assert set(image_layouts()) == {sample.layout for sample in SAMPLES} | WITHOUT_SAMPLES


@pytest.mark.parametrize("sample", SAMPLES, ids=str)
def test_sample_is_detected_with_its_architecture(sample: Sample):
    """inspect names the sample's own layout (and prefix) and the exact architecture."""
    layout = inspect_json(sample.path, *sample.heads_flags)["layout"]
    assert (layout["name"], layout["prefix"]) == (sample.layout, sample.prefix)
    assert layout["architecture"] == sample.architecture


def test_a_layout_without_a_head_count_never_guesses_one(tmp_path):
    """Without --heads or a config.json, a timm file's head count is not stored: inspect says so
    (null, not width / 64), a conversion that would bake the split into [D, H, hd] kernels is
    refused naming --heads, and one into another [D, D] layout is still exact."""
    sample = SAMPLE_BY_FILE["vit-tiny-timm.pth"]
    layout = inspect_json(sample.path)["layout"]
    assert layout["architecture"]["heads"] is None
    assert layout["values"]["heads"] == {"value": None, "origin": None, "assumed": False}
    assert layout["values"]["activation"] == {"value": "gelu", "origin": "the timm family's default, assumed", "assumed": True}
    assert "heads not stored" in run_tubelet(["inspect", sample.path]).stdout
    out = tmp_path / "out.npz"
    process = run_tubelet(["convert", sample.path, out, "--to", "vision_transformer"], expect_rc=1)
    assert "depends on the number of attention heads" in process.stderr and "--heads N" in process.stderr
    assert not out.exists()
    process = run_tubelet(["inflate", sample.path, "-o", tmp_path / "v.npz", "--model", "spacetime"], expect_rc=1)
    assert "--heads N" in process.stderr and not (tmp_path / "v.npz").exists()
    run_tubelet(["convert", sample.path, tmp_path / "hf.safetensors", "--to", "hf-vit-classifier"])
    run_tubelet(["convert", tmp_path / "hf.safetensors", tmp_path / "back.safetensors", "--to", "timm"])
    assert run_tubelet(["diff", sample.path, tmp_path / "back.safetensors"]).returncode == 0


def test_heads_that_contradict_the_stored_count_are_an_error(tmp_path):
    """ViT-tiny_16.npz stores 4 heads in its [D, H, hd] kernels: --heads 2 is refused in every
    command, not silently ignored."""
    npz = CHECKPOINTS / "ViT-tiny_16.npz"
    for command in (["inspect", npz], ["convert", npz, tmp_path / "x.safetensors", "--to", "timm"],
                    ["inflate", npz, "-o", tmp_path / "v.npz", "--model", "spacetime"]):
        process = run_tubelet([*command, "--heads", "2"], expect_rc=1)
        assert "--heads 2 contradicts the 4 heads the vision_transformer layout stores" in process.stderr
    assert not (tmp_path / "x.safetensors").exists() and not (tmp_path / "v.npz").exists()
    process = run_tubelet(["inflate", SAMPLE_BY_FILE["vit-tiny-timm.pth"].path, "-o", tmp_path / "v.npz",
                           "--model", "spacetime", "--heads", "5"], expect_rc=1)
    assert "a timm ViT, but 5 attention heads (given) do not divide the width 64" in process.stderr


def test_timm_pth_and_safetensors_twins_hold_the_same_tensors():
    """The round trips read vit-tiny-timm.pth's tensors from its .safetensors twin: Tubelet
    sees the same names and bytes in both, and so does torch where it is installed."""
    pth, twin = CHECKPOINTS / "vit-tiny-timm.pth", CHECKPOINTS / "vit-tiny-timm.safetensors"
    report = json.loads(run_tubelet(["diff", pth, twin, "--json"]).stdout)
    assert report["equal"] and report["basis"] == "the files' own names" and len(report["tensors"]) == 32
    try:
        import torch
    except ImportError:
        return
    state = torch.load(pth, weights_only=True)
    assert_same_tensors({name: tensor.numpy() for name, tensor in state.items()}, load_file(twin))


# --------------------------------------------------------------------------------------------
# Round trips
# --------------------------------------------------------------------------------------------

ROUND_TRIPS = [(sample, layout) for sample in SAMPLES for layout in sorted(
    {s.layout for s in SAMPLES} | WITHOUT_SAMPLES)]


@pytest.mark.parametrize("sample,layout", ROUND_TRIPS, ids=lambda value: str(value))
def test_round_trip_through_layout_is_bit_exact(tmp_path, sample: Sample, layout: str):
    """sample (layout A) → layout B → A gives the sample's tensors back bit for bit; when B has
    no place for one of the sample's tensors (a head in a backbone layout) the conversion fails
    naming it, and writes nothing."""
    heads = ["--heads", str(sample.heads)]
    middle = tmp_path / f"as-{layout}{extension(layout)}"
    missing = unplaceable(sample, layout)
    if missing:
        process = run_tubelet(["convert", sample.path, middle, "--to", layout, *heads], expect_rc=1)
        assert f"the {layout} layout has no place for" in process.stderr and missing[0] in process.stderr
        assert not middle.exists()
        return
    convert(sample.path, middle, "--to", layout, *heads)
    back = convert(middle, tmp_path / "back.npz", "--to", sample.layout, *heads)
    # Layout A is written with its schema's first prefix; a training checkpoint's optimizer
    # state (outside the model's prefix) is not part of the model and is left out on the way.
    written_prefix = (json.loads((REPO_ROOT / "Schemas" / f"{sample.layout}.json").read_text()).get("prefixes") or [""])[0]
    assert_same_tensors(model_tensors(back, written_prefix), model_tensors(sample.path, sample.prefix))


# --------------------------------------------------------------------------------------------
# diff across layouts
# --------------------------------------------------------------------------------------------

def test_timm_sample_has_other_weights_than_the_vision_transformer_sample():
    """vit-tiny-timm.pth was made separately from ViT-tiny_16.npz: same shapes, other values.
    So the same-weights comparisons below convert it first."""
    report = json.loads(run_tubelet(["diff", CHECKPOINTS / "vit-tiny-timm.pth", CHECKPOINTS / "ViT-tiny_16.npz",
                                     "--heads", "4", "--json"], expect_rc=2).stdout)
    assert report["basis"].startswith("canonical names") and not report["only_in_first"] and not report["only_in_second"]


@pytest.mark.parametrize("layout", ["vision_transformer", "big_vision-scan", "hf-vit-classifier", "keras-hub-vit"])
def test_diff_of_timm_pth_and_the_same_weights_in_another_layout(tmp_path, layout: str):
    """vit-tiny-timm.pth against its own weights converted to another layout: equal (exit 0)
    under canonical names; one value changed in the converted file is found, named and located
    (exit 2). A keras-hub backbone has no head, so the head is dropped from the timm file first."""
    source = CHECKPOINTS / "vit-tiny-timm.pth"
    if layout == "keras-hub-vit":
        tensors = load_file(CHECKPOINTS / "vit-tiny-timm.safetensors")
        save_file({name: value for name, value in tensors.items() if not name.startswith("head.")}, tmp_path / "backbone.safetensors")
        source = tmp_path / "backbone.safetensors"
    other = convert(source, tmp_path / f"same{extension(layout)}", "--to", layout, "--heads", "4")
    same = json.loads(run_tubelet(["diff", source, other, "--heads", "4", "--json"]).stdout)
    assert same["equal"] is True and same["basis"].startswith("canonical names (timm vs ")
    assert len(same["tensors"]) == (38 if layout == "keras-hub-vit" else 40)

    # Change canonical Transformer/encoderblock_1/MlpBlock_0/Dense_0/kernel [D, M] at (3, 9).
    changed = tmp_path / f"changed{extension(layout)}"
    name, index = {
        "vision_transformer": ("Transformer/encoderblock_1/MlpBlock_3/Dense_0/kernel", (3, 9)),
        "big_vision-scan": ("params/Transformer/encoderblock/MlpBlock_0/Dense_0/kernel", (1, 3, 9)),
        "hf-vit-classifier": ("vit.encoder.layer.1.intermediate.dense.weight", (9, 3)),
        "keras-hub-vit": ("layers/vi_t_encoder/encoder_layers/vi_t_encoder_block_1/mlp/dense_1/vars/0", (3, 9)),
    }[layout]
    if layout == "keras-hub-vit":
        shutil.copy(other, changed)
        with h5py.File(changed, "r+") as file:
            file[name][index] += 0.25
    else:
        tensors = reference_tensors(other)
        tensors[name] = tensors[name].copy()
        tensors[name][index] += 0.25
        if changed.suffix == ".npz":
            np.savez(changed, **tensors)
        else:
            save_file(tensors, changed)
    report = json.loads(run_tubelet(["diff", source, changed, "--heads", "4", "--json"], expect_rc=2).stdout)
    differing = [t for t in report["tensors"] if t["status"] != "equal"]
    assert [t["name"] for t in differing] == ["Transformer/encoderblock_1/MlpBlock_0/Dense_0/kernel"]
    assert differing[0]["mismatched"] == 1 and differing[0]["first_mismatch"] == 3 * 128 + 9
    assert differing[0]["max_abs_diff"] == pytest.approx(0.25, abs=1e-6)


@pytest.mark.parametrize("file", ["vit-tiny-hf-classifier", "vit-tiny-hf-classifier-v5", "vit-tiny-hf"])
def test_transformers_sample_equals_the_vision_transformer_sample(file: str):
    """What transformers wrote for the ported ViT-tiny_16 is the same weights, bit for bit,
    under canonical names (ViTModel: all but the head, plus its pooler)."""
    report = json.loads(run_tubelet(["diff", CHECKPOINTS / file, CHECKPOINTS / "ViT-tiny_16.npz", "--heads", "4", "--json"],
                                    expect_rc=None).stdout)
    differing = [t["name"] for t in report["tensors"] if t["status"] != "equal"]
    assert differing == []
    if file == "vit-tiny-hf":
        assert sorted(report["only_in_first"]) == ["pre_logits/bias", "pre_logits/kernel"]
        assert sorted(report["only_in_second"]) == ["output_projection/bias", "output_projection/kernel"]
    else:
        assert report["equal"] is True


@pytest.mark.parametrize("file", ["vit-tiny-big_vision.npz", "vit-tiny-big_vision-scan.npz"])
def test_big_vision_samples_differ_from_vision_transformer_only_by_the_folded_cls_position(file: str):
    """big_vision's fix_old_checkpoints adds the CLS position into cls and drops it, so exactly
    cls and the positional embedding's row 0 differ; cls + position 0 is the same sum."""
    report = json.loads(run_tubelet(["diff", CHECKPOINTS / file, CHECKPOINTS / "ViT-tiny_16.npz", "--json"],
                                    expect_rc=2).stdout)
    differing = {t["name"]: t for t in report["tensors"] if t["status"] != "equal"}
    assert sorted(differing) == ["Transformer/posembed_input/pos_embedding", "cls"]
    assert differing["Transformer/posembed_input/pos_embedding"]["mismatched"] == 64  # row 0 only
    ours, theirs = reference_tensors(CHECKPOINTS / file), reference_tensors(CHECKPOINTS / "ViT-tiny_16.npz")
    pos = theirs["Transformer/posembed_input/pos_embedding"]
    assert ours["params/cls"].tobytes() == (theirs["cls"] + pos[:, :1]).tobytes()
    assert ours["params/pos_embedding"].tobytes() == pos[:, 1:].tobytes()


# --------------------------------------------------------------------------------------------
# Files no layout fits
# --------------------------------------------------------------------------------------------

def test_file_no_layout_fits_names_the_closest_layout_and_what_it_missed(tmp_path):
    """A timm state dict with one tensor renamed and one removed fits no layout: convert exits 1
    naming timm as the closest and the missing and unexpected names; inspect reports the same."""
    tensors = load_file(CHECKPOINTS / "vit-tiny-timm.safetensors")
    tensors["blocks.1.norm_2.weight"] = tensors.pop("blocks.1.norm2.weight")
    del tensors["norm.bias"]
    broken = tmp_path / "broken.safetensors"
    save_file(tensors, broken)
    out = tmp_path / "out.npz"
    process = run_tubelet(["convert", broken, out, "--to", "vision_transformer", "--heads", "4"], expect_rc=1)
    assert_error_line(process, broken, "no known layout fits", "the closest is timm",
                      "missing blocks.1.norm2.weight, norm.bias", "not expected blocks.1.norm_2.weight")
    assert not out.exists()
    layout = inspect_json(broken, "--heads", "4")["layout"]
    assert layout["name"] is None and layout["closest"] == "timm"
    assert layout["missing"] == ["blocks.1.norm2.weight", "norm.bias"]
    assert layout["unexpected"] == ["blocks.1.norm_2.weight"]


def test_file_with_other_block_names_lists_the_block_names_looked_for(tmp_path):
    """A file whose blocks all have unknown names is no full match of zero blocks: the closest
    layout's block-0 names are listed as missing."""
    tensors = load_file(CHECKPOINTS / "vit-tiny-timm.safetensors")
    broken = tmp_path / "broken.safetensors"
    save_file({name.replace("blocks.", "layers."): value for name, value in tensors.items()}, broken)
    layout = inspect_json(broken, "--heads", "4")["layout"]
    assert layout["name"] is None and layout["closest"] == "timm"
    assert "blocks.0.attn.qkv.weight" in layout["missing"] and "blocks.1.norm1.weight" not in layout["missing"]
    assert "layers.1.attn.qkv.weight" in layout["unexpected"]


# --------------------------------------------------------------------------------------------
# convert --format hf
# --------------------------------------------------------------------------------------------

#: config.json fields that decide what the model computes or how it loads.
CONFIG_FIELDS = ["architectures", "model_type", "hidden_size", "num_hidden_layers", "num_attention_heads",
                 "intermediate_size", "hidden_act", "layer_norm_eps", "image_size", "patch_size", "num_channels",
                 "qkv_bias", "encoder_stride", "pooler_output_size", "pooler_act", "hidden_dropout_prob",
                 "attention_probs_dropout_prob", "id2label", "label2id"]


@pytest.mark.parametrize("source,layout,expected", [
    ("ViT-tiny_16.npz", "hf-vit-classifier", "vit-tiny-hf-classifier"),
    ("vit-tiny-timm.safetensors", "hf-vit-classifier-v5", None),
    ("vit-tiny-hf-classifier-v5", "hf-vit-classifier", "vit-tiny-hf-classifier"),
    ("ViT-tiny_16.npz", "hf-vit-classifier-v5", "vit-tiny-hf-classifier-v5"),
])
def test_format_hf_writes_what_transformers_writes(tmp_path, source: str, layout: str, expected: str | None):
    """`convert --to hf-vit-classifier --format hf` of ViT-tiny_16 writes the directory
    transformers' save_pretrained wrote for the same model: model.safetensors byte for byte,
    and a config.json that agrees on every field that matters; the activation and LayerNorm
    epsilon are the source's config.json's, else the source family's (timm: exact GELU)."""
    out = tmp_path / "model"
    run_tubelet(["convert", CHECKPOINTS / source, out, "--to", layout, "--format", "hf", "--heads", "4"])
    assert sorted(p.name for p in out.iterdir()) == ["config.json", "model.safetensors"]
    config = json.loads((out / "config.json").read_text())
    if expected is None:
        assert config["hidden_act"] == "gelu" and config["layer_norm_eps"] == 1e-6
        assert config["num_attention_heads"] == 4 and config["architectures"] == ["ViTForImageClassification"]
        return
    reference = json.loads((CHECKPOINTS / expected / "config.json").read_text())
    # A Hugging Face source's own config.json gives its activation and epsilon (the sample's
    # say gelu_fast and 1e-6, as its Flax origin computes), so they carry over unchanged.
    assert {key: config[key] for key in CONFIG_FIELDS} == {key: reference[key] for key in CONFIG_FIELDS}
    assert (out / "model.safetensors").read_bytes() == (CHECKPOINTS / expected / "model.safetensors").read_bytes()


def test_format_hf_is_inferred_for_an_output_without_extension(tmp_path):
    """--to a Hugging Face ViT layout with an OUT that names no file format writes the directory."""
    out = tmp_path / "vit-out"
    run_tubelet(["convert", CHECKPOINTS / "vit-tiny-big_vision.npz", out, "--to", "hf-vit-classifier"])
    assert (out / "config.json").is_file() and (out / "model.safetensors").is_file()


def test_format_hf_backbone_says_how_to_load_it_without_a_pooler(tmp_path):
    """A ViT without pre_logits written as ViTModel: the note says add_pooling_layer=False."""
    tensors = load_file(CHECKPOINTS / "vit-tiny-timm.safetensors")
    backbone = tmp_path / "backbone.safetensors"
    save_file({name: value for name, value in tensors.items() if not name.startswith("head.")}, backbone)
    process = run_tubelet(["convert", backbone, tmp_path / "model", "--to", "hf-vit", "--format", "hf", "--heads", "4"])
    assert "add_pooling_layer=False" in process.stderr
    assert json.loads((tmp_path / "model" / "config.json").read_text())["architectures"] == ["ViTModel"]


@pytest.mark.parametrize("args,fragments", [
    (["--to", "hf-vit"], ["hf-vit layout has no place for", "output_projection/kernel"]),
    (["--to", "hf-vit-classifier", "--from", "hf-vit"], ["ViTForImageClassification needs a classifier head"]),
])
def test_format_hf_refuses_what_transformers_would_not_load(tmp_path, args, fragments):
    """A head where ViTModel has none, or no head for ViTForImageClassification: exit 1 with the
    reason, and no directory."""
    source = CHECKPOINTS / ("vit-tiny-hf" if "--from" in args else "ViT-tiny_16.npz")
    out = tmp_path / "model"
    process = run_tubelet(["convert", source, out, "--format", "hf", "--heads", "4", *args], expect_rc=1)
    assert_error_line(process, source, *fragments)
    assert not out.exists()


@pytest.mark.parametrize("args", [["--format", "hf"], ["--format", "hf", "--to", "timm"],
                                  ["--format", "hf", "--to", "hf-vit", "--max-shard-size", "1MB"]])
def test_format_hf_usage_errors(tmp_path, args):
    """--format hf needs --to a Hugging Face ViT layout and writes one unsharded file: exit 64."""
    process = run_tubelet(["convert", CHECKPOINTS / "ViT-tiny_16.npz", tmp_path / "model", *args], expect_rc=64)
    assert "--format hf" in process.stderr


# --------------------------------------------------------------------------------------------
# In transformers (and timm) themselves
# --------------------------------------------------------------------------------------------

def pixels(torch, size: int = 64):
    return torch.from_numpy(np.random.default_rng(3).standard_normal((2, 3, size, size)).astype(np.float32))


def load_hf(transformers, directory: Path, model_class: str, **overrides):
    model, info = getattr(transformers, model_class).from_pretrained(directory, output_loading_info=True, **overrides)
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"], info
    return model.eval()


#: The samples' config is a port of a Flax ViT (tanh GELU, eps 1e-6). A Hugging Face source
#: converted with --format hf keeps its own config.json's values, so its output says the same.
FLAX_PORT = {"hidden_act": "gelu_fast", "layer_norm_eps": 1e-6}


@pytest.mark.parametrize("file", ["ViT-tiny_16.npz", "vit-tiny-big_vision.npz", "vit-tiny-big_vision-scan.npz",
                                  "vit-tiny-hf-classifier-v5"])
@pytest.mark.parametrize("layout", ["hf-vit-classifier", "hf-vit-classifier-v5"])
def test_converted_classifier_loads_in_transformers_with_the_samples_logits(tmp_path, file: str, layout: str):
    """Our --format hf output loads in ViTForImageClassification with no missing, unexpected or
    mismatched keys and gives exactly the logits of the transformers-written sample."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    out = tmp_path / "model"
    run_tubelet(["convert", CHECKPOINTS / file, out, "--to", layout, "--format", "hf", "--heads", "4"])
    config = json.loads((out / "config.json").read_text())
    assert {key: config[key] for key in FLAX_PORT} == FLAX_PORT
    ours = load_hf(transformers, out, "ViTForImageClassification")
    theirs = load_hf(transformers, CHECKPOINTS / "vit-tiny-hf-classifier", "ViTForImageClassification")
    with torch.no_grad():
        np.testing.assert_array_equal(ours(pixel_values=pixels(torch)).logits.numpy(),
                                      theirs(pixel_values=pixels(torch)).logits.numpy())


def test_converted_backbone_loads_in_transformers_with_the_samples_features(tmp_path):
    """hf-vit output (ViTModel with its pooler) loads with no missing or unexpected keys and
    gives exactly the sample's features."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    out = tmp_path / "model"
    run_tubelet(["convert", CHECKPOINTS / "vit-tiny-hf-v5", out, "--to", "hf-vit", "--format", "hf", "--heads", "4"])
    config = json.loads((out / "config.json").read_text())
    assert {key: config[key] for key in FLAX_PORT} == FLAX_PORT
    ours = load_hf(transformers, out, "ViTModel")
    theirs = load_hf(transformers, CHECKPOINTS / "vit-tiny-hf", "ViTModel")
    with torch.no_grad():
        a, b = ours(pixel_values=pixels(torch)), theirs(pixel_values=pixels(torch))
    np.testing.assert_array_equal(a.last_hidden_state.numpy(), b.last_hidden_state.numpy())
    np.testing.assert_array_equal(a.pooler_output.numpy(), b.pooler_output.numpy())


def test_timm_sample_in_transformers_computes_what_timm_computes(tmp_path):
    """vit-tiny-timm.pth loads in timm's VisionTransformer as is (strict), and converted with
    --format hf (exact GELU, eps 1e-6 from the timm schema) gives timm's logits."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    timm = pytest.importorskip("timm")
    model = timm.models.vision_transformer.VisionTransformer(
        img_size=64, patch_size=16, embed_dim=64, depth=2, num_heads=4, mlp_ratio=2, num_classes=10).eval()
    model.load_state_dict(torch.load(CHECKPOINTS / "vit-tiny-timm.pth", weights_only=True), strict=True)
    out = tmp_path / "model"
    run_tubelet(["convert", CHECKPOINTS / "vit-tiny-timm.pth", out, "--to", "hf-vit-classifier", "--format", "hf", "--heads", "4"])
    ours = load_hf(transformers, out, "ViTForImageClassification")
    with torch.no_grad():
        np.testing.assert_allclose(ours(pixel_values=pixels(torch)).logits.numpy(), model(pixels(torch)).numpy(),
                                   atol=1e-5, rtol=0)


def test_config_json_field_of_another_type_leaves_the_rest_read(tmp_path):
    """A Hugging Face directory whose config.json has one field of an unexpected type (here
    hidden_act) still gives its head count: without it, a 64-wide ViT would be read as 1 head."""
    directory = tmp_path / "vit"
    shutil.copytree(CHECKPOINTS / "vit-tiny-hf", directory)
    config = json.loads((directory / "config.json").read_text())
    assert config["num_attention_heads"] == 4
    config["hidden_act"] = {"not": "a string"}
    (directory / "config.json").write_text(json.dumps(config))
    assert inspect_json(directory)["layout"]["architecture"]["heads"] == 4


def test_convert_names_the_sources_activation_where_the_target_family_uses_another(tmp_path):
    """Weights carry no activation: converting a Flax ViT (tanh GELU) to timm (exact GELU by
    default) says which one the model must be built with; timm → Hugging Face (both exact) does not."""
    process = run_tubelet(["convert", CHECKPOINTS / "ViT-tiny_16.npz", tmp_path / "t.safetensors", "--to", "timm"])
    assert "the source's activation is gelu_fast (the vision_transformer family's default, assumed)" in process.stderr
    assert "timm models use gelu unless built otherwise" in process.stderr
    process = run_tubelet(["convert", CHECKPOINTS / "vit-tiny-timm.safetensors", tmp_path / "h.safetensors",
                           "--to", "hf-vit-classifier"])
    assert "activation" not in process.stderr


def test_a_config_json_of_another_model_is_no_evidence(tmp_path):
    """A config.json beside the weights that describes another model (another width or depth)
    is refused naming the file and field, never used for the head count."""
    shutil.copy(CHECKPOINTS / "vit-tiny-timm.safetensors", tmp_path / "model.safetensors")
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "vit", "hidden_size": 768, "num_attention_heads": 4,
                                                      "num_hidden_layers": 2}))
    process = run_tubelet(["inspect", tmp_path / "model.safetensors"], expect_rc=1)
    assert "config.json, hidden_size describes a model 768 wide, but the weights are 64 wide" in process.stderr
    (tmp_path / "config.json").write_text(json.dumps({"architecture": "vit_tiny_patch16_224", "num_features": 64,
                                                      "model_args": {"embed_dim": 64, "depth": 12, "num_heads": 4}}))
    process = run_tubelet(["inflate", tmp_path / "model.safetensors", "-o", tmp_path / "v.npz", "--model", "spacetime"],
                          expect_rc=1)
    assert "model_args.depth describes a model 12 blocks deep, but the weights are 2 blocks deep" in process.stderr
    (tmp_path / "config.json").write_text(json.dumps({"architecture": "vit_tiny_patch16_224", "num_features": 64,
                                                      "model_args": {"embed_dim": 64, "depth": 2, "num_heads": 4}}))
    layout = inspect_json(tmp_path / "model.safetensors")["layout"]
    assert layout["values"]["heads"]["value"] == 4 and "model_args.num_heads" in layout["values"]["heads"]["origin"]


@pytest.mark.parametrize("args", [
    ["convert", CHECKPOINTS / "vit-tiny-timm.safetensors", "OUT", "--heads", "4"],
    ["convert", CHECKPOINTS / "ViT-tiny_16.npz", "OUT", "--activation", "gelu"],
    ["diff", CHECKPOINTS / "ViT-tiny_16.npz", CHECKPOINTS / "vit-tiny-timm.pth", "--layer-norm-eps", "1e-5"],
])
def test_model_value_options_that_would_be_ignored_are_usage_errors(tmp_path, args):
    out = tmp_path / "x.npz"
    process = run_tubelet([out if arg == "OUT" else arg for arg in args], expect_rc=64)
    assert "only apply with --to" in process.stderr or "do not apply to diff" in process.stderr
    assert not out.exists()
