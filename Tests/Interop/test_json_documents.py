"""Every JSON document Tubelet writes, validated against its published JSON Schema
(Docs/json-schema/DOCUMENT.schema.json, draft 2020-12; a layout against
Schemas/schema.schema.json): real outputs of inspect, diff, inflate --report (and the HDF5
`tubelet.report` attribute), the `tubelet.config` and `tubelet.excluded` metadata, and
`schemas`. Each document opens with its header (`document`, `format_version`,
`tubelet_version`) and uses snake_case keys throughout."""

from __future__ import annotations

import json
import re
from pathlib import Path

import h5py
import jsonschema
import numpy as np
import pytest
from safetensors.numpy import load_file

from conftest import REPO_ROOT, inspect_json, run_tubelet

DOCS = REPO_ROOT / "Docs" / "json-schema"
CHECKPOINTS = REPO_ROOT / "Checkpoints"
SAMPLE = CHECKPOINTS / "ViT-tiny_16.npz"
SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")

#: Each document's schema; a layout's is the format users write schemas in.
SCHEMA_FILES = {path.name.removesuffix(".schema.json"): path for path in DOCS.glob("*.schema.json")}
SCHEMA_FILES["tubelet.layout"] = REPO_ROOT / "Schemas" / "schema.schema.json"


def tubelet_version() -> str:
    return run_tubelet(["--version"]).stdout.strip()


def keys_not_snake_case(value, path="") -> list[str]:
    """Every key that is not snake_case, but inside `metadata`, whose keys are the file's own."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if not SNAKE.match(key):
                found.append(f"{path}/{key}")
            if key != "metadata":
                found += keys_not_snake_case(item, f"{path}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += keys_not_snake_case(item, f"{path}[{index}]")
    return found


def validate(document: dict, expected: str) -> dict:
    """Checks `document` is an `expected` document of this Tubelet and follows its schema."""
    assert document["document"] == expected
    assert document["format_version"] == 1
    assert document["tubelet_version"] == tubelet_version()
    assert keys_not_snake_case(document) == []
    schema = json.loads(SCHEMA_FILES[expected].read_text())
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(document)
    return document


@pytest.mark.parametrize("name", sorted(SCHEMA_FILES), ids=str)
def test_published_schema_is_valid_draft_2020_12(name):
    schema = json.loads(SCHEMA_FILES[name].read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_every_document_has_a_schema():
    documents = {"tubelet.inspect", "tubelet.diff", "tubelet.report", "tubelet.config", "tubelet.excluded",
                 "tubelet.layout", "tubelet.layouts"}
    assert set(SCHEMA_FILES) == documents


@pytest.mark.parametrize("sample", [
    "ViT-tiny_16.npz", "ViT-tiny_16.h5", "ViT-tiny_keras3.keras", "vit-tiny-big_vision-scan.npz", "vit-tiny-hf",
    "vit-tiny-hf-classifier-v5", "vit-tiny-scenic_checkpoint_0", "vit-tiny-timm.pth", "vit-tiny-timm.safetensors",
])
def test_inspect_of_every_sample(sample):
    validate(inspect_json(CHECKPOINTS / sample), "tubelet.inspect")


def test_inspect_with_stats_filter_and_non_finite_values(tmp_path):
    path = tmp_path / "odd.npz"
    np.savez(path, a=np.array([1.0, np.nan, np.inf], dtype=np.float32), b=np.full(3, np.inf, dtype=np.float64),
             c=np.arange(4, dtype=np.int32))
    document = validate(inspect_json(path, "--stats"), "tubelet.inspect")
    assert document["layout"]["name"] is None  # no layout fits three loose arrays
    assert {row["name"]: row["stats"]["nan_count"] for row in document["tensors"]} == {"a": 1, "b": 0, "c": 0}
    assert validate(inspect_json(SAMPLE, "--filter", "Transformer/*"), "tubelet.inspect")["filter"] == "Transformer/*"


@pytest.mark.parametrize("model", ["spacetime", "factorised-encoder", "factorised-self-attention", "factorised-dot-product"])
def test_inflation_report_config_and_inspect_of_the_output(tmp_path, model):
    """The report as --report writes it and as HDF5 keeps it, the tubelet.config metadata, and
    inspect of the inflated ViViT; the options are those that apply to the model."""
    out, report = tmp_path / "vivit.h5", tmp_path / "report.json"
    run_tubelet(["inflate", SAMPLE, "-o", out, "--model", model, "--frames", "4", "--classes", "3", "--report", report])
    document = validate(json.loads(report.read_text()), "tubelet.report")
    options = document["options"]
    assert options["model"] == model and options["frames"] == 4 and options["tubelet"] == [2, 16, 16]
    assert options["image_size"] == [64, 64] and options["posemb"] == "tile" and options["dtype"] == "float32"
    assert ("temporal_layers" in options) == (model == "factorised-encoder")
    assert ("temporal_attention" in options) == (model == "factorised-self-attention")
    with h5py.File(out) as f:
        assert validate(json.loads(f.attrs["tubelet.report"]), "tubelet.report") == document
        validate(json.loads(f.attrs["tubelet.config"]), "tubelet.config")
    vivit = validate(inspect_json(out), "tubelet.inspect")["layout"]["vivit"]
    number = ["spacetime", "factorised-encoder", "factorised-self-attention", "factorised-dot-product"].index(model) + 1
    # Model 4 has Model 1's tensors without a CLS token: a gap Model 1 too, so both are candidates.
    assert number in vivit["candidate_models"] and vivit["model"] in (number, None)


def test_report_of_a_hugging_face_output_names_tensors_as_the_file_does(tmp_path):
    """An hf directory's report gives each output under its name in model.safetensors, with
    the file's shape and dtype, and the canonical name beside it; the summary says both."""
    out, report = tmp_path / "vivit-hf", tmp_path / "report.json"
    process = run_tubelet(["inflate", SAMPLE, "-o", out, "--format", "hf", "--model", "1", "--frames", "4",
                           "--classes", "3", "--dtype", "bfloat16", "--report", report])
    document = validate(json.loads(report.read_text()), "tubelet.report")
    with open(out / "model.safetensors", "rb") as f:
        header = json.loads(f.read(int.from_bytes(f.read(8), "little")))
    written = {name: (entry["shape"], entry["dtype"]) for name, entry in header.items() if name != "__metadata__"}
    reported = {entry["name"]: (entry["shape"], entry["dtype"]) for entry in document["outputs"]}
    assert reported == {name: (shape, "bfloat16" if dtype == "BF16" else dtype) for name, (shape, dtype) in written.items()}
    kernel = next(entry for entry in document["outputs"] if entry["canonical"] == "embedding/kernel")
    assert kernel["name"] == "vivit.embeddings.patch_embeddings.projection.weight" and kernel["shape"] == [64, 3, 2, 16, 16]
    assert document["options"]["dtype"] == "bfloat16"
    assert "inflated vivit.embeddings.patch_embeddings.projection.weight (embedding/kernel) [64, 3, 2, 16, 16]" in process.stderr


def test_report_of_a_timesformer(tmp_path):
    out, report = tmp_path / "ts.safetensors", tmp_path / "report.json"
    run_tubelet(["inflate", SAMPLE, "-o", out, "--model", "timesformer", "--frames", "4", "--report", report])
    document = validate(json.loads(report.read_text()), "tubelet.report")
    assert {entry["name"] for entry in document["outputs"]} == set(load_file(out))
    assert "kernel_init" not in document["options"] and document["options"]["temporal_attention"] == "copy"


def test_diff_equal_and_differing(tmp_path):
    timm = tmp_path / "timm.safetensors"
    run_tubelet(["convert", SAMPLE, timm, "--to", "timm"])
    assert validate(json.loads(run_tubelet(["diff", SAMPLE, timm, "--json"]).stdout), "tubelet.diff")["equal"] is True
    arrays = dict(np.load(SAMPLE))
    arrays["cls"] = arrays["cls"] + 1
    del arrays["head/bias"]
    changed = tmp_path / "changed.npz"
    np.savez(changed, **arrays)
    document = validate(json.loads(run_tubelet(["diff", SAMPLE, changed, "--json"], expect_rc=2).stdout), "tubelet.diff")
    assert document["equal"] is False and document["only_in_first"] == ["head/bias"]
    assert document["kind_difference"] is None


def test_diff_of_a_vit_and_a_vivit_says_the_kinds(tmp_path):
    vivit = tmp_path / "vivit.npz"
    run_tubelet(["inflate", SAMPLE, "-o", vivit, "--model", "spacetime", "--frames", "8"])
    document = validate(json.loads(run_tubelet(["diff", SAMPLE, vivit, "--json"], expect_rc=2).stdout), "tubelet.diff")
    assert document["equal"] is False and "ViViT Model 1" in document["kind_difference"]


def test_excluded_metadata_of_a_conversion(tmp_path):
    out = tmp_path / "headless.npz"
    run_tubelet(["convert", SAMPLE, out, "--exclude", "head/*"])
    record = validate(json.loads(inspect_json(out)["metadata"]["tubelet.excluded"]), "tubelet.excluded")
    assert sorted(entry["name"] for entry in record["left_out"]) == ["head/bias", "head/kernel"]


def test_schemas_list_and_every_layout(tmp_path):
    """`schemas --json` lists every layout; `schemas NAME` of each is a valid layout schema
    that reads back as a --schema file."""
    listing = validate(json.loads(run_tubelet(["schemas", "--json"]).stdout), "tubelet.layouts")
    names = [entry["name"] for entry in listing["layouts"]]
    assert "timm" in names and names == sorted(names)
    for name in names:
        layout = validate(json.loads(run_tubelet(["schemas", name]).stdout), "tubelet.layout")
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(layout))
        assert json.loads(run_tubelet(["schemas", name, "--schema", path]).stdout) == layout


def test_a_user_schema_in_the_old_camel_case_keys_still_works(tmp_path):
    """Schemas written before the snake_case convention (layerNormEpsilon, huggingFaceClass)
    are read as before."""
    layout = json.loads(run_tubelet(["schemas", "hf-vit"]).stdout)
    for key in ("document", "format_version", "tubelet_version"):
        del layout[key]
    layout["layerNormEpsilon"] = layout.pop("layer_norm_eps")
    layout["huggingFaceClass"] = layout.pop("hugging_face_class")
    old = tmp_path / "old.json"
    old.write_text(json.dumps(layout))
    jsonschema.validate(layout, json.loads(SCHEMA_FILES["tubelet.layout"].read_text()))
    printed = json.loads(run_tubelet(["schemas", "hf-vit", "--schema", old]).stdout)
    assert printed["layer_norm_eps"] == layout["layerNormEpsilon"] and printed["hugging_face_class"] == "ViTModel"
    inspected = inspect_json(CHECKPOINTS / "vit-tiny-hf", "--schema", str(old))
    assert inspected["layout"]["name"] == "hf-vit"
