"""Leaving tensors out on purpose: `convert --exclude GLOB` and `--drop-head`.

A ViT with a classifier converted to a backbone layout (keras-hub's ViTBackbone) needs its head
left out, and nothing may be dropped silently: without an option the conversion fails naming
the options; with one, what was left out is printed and recorded in the output's metadata
(`tubelet.excluded`), and everything else is bit-exact.
"""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest
from safetensors.numpy import load_file

from conftest import REPO_ROOT, inspect_json, run_tubelet

CHECKPOINTS = REPO_ROOT / "Checkpoints"
NPZ = CHECKPOINTS / "ViT-tiny_16.npz"
TIMM = CHECKPOINTS / "vit-tiny-timm.safetensors"


def excluded(path: Path) -> list[dict]:
    """The `tubelet.excluded` record of an output, read by Tubelet's inspect."""
    return json.loads(inspect_json(path)["metadata"]["tubelet.excluded"])["left_out"]


def test_a_head_the_target_cannot_hold_is_an_error_naming_the_options(tmp_path):
    out = tmp_path / "x.weights.h5"
    process = run_tubelet(["convert", NPZ, out, "--to", "keras-hub-vit"], expect_rc=1)
    assert "has no place for 2 tensors: output_projection/kernel, output_projection/bias" in process.stderr
    assert "--drop-head" in process.stderr and "--exclude GLOB" in process.stderr
    assert not out.exists()


@pytest.mark.parametrize("source", [NPZ, TIMM, CHECKPOINTS / "vit-tiny-hf-classifier", CHECKPOINTS / "vit-tiny-big_vision.npz"])
def test_drop_head_ports_a_classifier_to_a_backbone_layout(tmp_path, source: Path):
    """--drop-head leaves out exactly the classifier; every other tensor arrives bit for bit
    (checked by converting back and comparing under canonical names)."""
    out = tmp_path / "x.weights.h5"
    process = run_tubelet(["convert", source, out, "--to", "keras-hub-vit", "--drop-head", "--heads", "4"])
    assert "left out 2 tensors on purpose:" in process.stderr and "(the image classifier (drop head))" in process.stderr
    assert sorted(entry["name"] for entry in excluded(out)) == ["output_projection/bias", "output_projection/kernel"]
    with h5py.File(out) as file:
        assert "tubelet.excluded" in file.attrs
    report = json.loads(run_tubelet(["diff", source, out, "--json", "--heads", "4"], expect_rc=2).stdout)
    assert sorted(report["only_in_first"]) == ["output_projection/bias", "output_projection/kernel"]
    assert not report["only_in_second"] and all(row["status"] == "equal" for row in report["tensors"])


def test_drop_head_keeps_pre_logits_where_the_target_has_a_place_for_it(tmp_path):
    """The Hugging Face backbone sample has pre_logits (ViTModel's pooler) and no head:
    --drop-head leaves it out for keras-hub (no place) and keeps it for hf-vit-v5 (the pooler)."""
    source = CHECKPOINTS / "vit-tiny-hf"
    keras = tmp_path / "k.weights.h5"
    run_tubelet(["convert", source, keras, "--to", "keras-hub-vit", "--drop-head"])
    assert [entry["name"] for entry in excluded(keras)] == ["pre_logits/kernel", "pre_logits/bias"]
    assert "no place for" in excluded(keras)[0]["reason"]
    hf = tmp_path / "hf.safetensors"
    process = run_tubelet(["convert", source, hf, "--to", "hf-vit-v5", "--drop-head"])
    assert "left out" not in process.stderr
    assert "pooler.dense.weight" in load_file(hf)


@pytest.mark.parametrize("pattern", ["output_projection/*", "head.*", "*head*"])
def test_exclude_matches_canonical_or_file_names(tmp_path, pattern: str):
    out = tmp_path / "x.safetensors"
    run_tubelet(["convert", TIMM, out, "--to", "hf-vit", "--exclude", pattern])
    names = load_file(out)
    assert not any("classifier" in name for name in names) and "embeddings.cls_token" in names
    assert [entry["file_tensors"] for entry in excluded(out)] == [["head.weight"], ["head.bias"]]


def test_exclude_without_to_uses_the_files_own_names(tmp_path):
    out = tmp_path / "x.npz"
    process = run_tubelet(["convert", NPZ, out, "--exclude", "head/*", "--exclude", "Transformer/encoder_norm/*"])
    assert "left out 4 tensors on purpose" in process.stderr
    with np.load(out) as archive, np.load(NPZ) as source:
        assert sorted(archive.files) == sorted(name for name in source.files
                                               if not name.startswith(("head/", "Transformer/encoder_norm/")))
        for name in archive.files:
            assert archive[name].tobytes() == source[name].tobytes()
    assert len(excluded(out)) == 4


@pytest.mark.parametrize("args,code,fragment", [
    (["--exclude", "head"], 1, "--exclude 'head' matches no tensor"),
    (["--to", "timm", "--exclude", "nothing*"], 1, "--exclude 'nothing*' matches no tensor"),
    (["--drop-head"], 64, "--drop-head needs --to"),
])
def test_exclusion_mistakes_are_errors(tmp_path, args, code, fragment):
    out = tmp_path / "x.npz"
    process = run_tubelet(["convert", NPZ, out, *args], expect_rc=code)
    assert fragment in process.stderr and not out.exists()
