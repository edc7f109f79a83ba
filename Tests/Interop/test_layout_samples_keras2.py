"""The Keras 2 (tf.keras) vit-keras layout against the samples tf.keras wrote with vit-keras
(Checkpoints/ViT-tiny_16_keras2.h5 from `save_weights`, ViT-tiny_16_keras2-model.h5 from
`model.save`; see Checkpoints/make_vit_keras_sample.py): detection with the exact
architecture, `diff` against ViT-tiny_16.npz (whose weights vit-keras's own loader put in),
bit-exact round trips through every other image layout, and the Keras weight lists Tubelet
writes, which are what tf.keras `load_weights` goes by.

The files are read with h5py and numpy only, so all of this runs in CI. The last test loads
Tubelet's output into vit-keras's model with tf.keras itself; it runs where an interpreter
with tf-keras and vit-keras 0.1.2 is available (this one, as the full test stack has them, or
$TF_KERAS_PYTHON, e.g. a venv made as make_vit_keras_sample.py says) and is skipped otherwise.

vit-keras stores attention as [D, D] Dense kernels, which do not say how many heads there
are: Tubelet assumes 64-dimensional heads unless `--heads` is given, so the tests pass
`--heads 4` (the sample's width is 64).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from functools import cache
from pathlib import Path

import h5py
import numpy as np
import pytest

from conftest import REPO_ROOT, convert, inspect_json, run_tubelet

CHECKPOINTS = REPO_ROOT / "Checkpoints"
NPZ = CHECKPOINTS / "ViT-tiny_16.npz"
WEIGHTS = CHECKPOINTS / "ViT-tiny_16_keras2.h5"
FULL_MODEL = CHECKPOINTS / "ViT-tiny_16_keras2-model.h5"
#: Sample → the group its Keras weight lists are in (model.save puts them under model_weights/).
SAMPLES = {WEIGHTS: "", FULL_MODEL: "model_weights"}
HEADS = ["--heads", "4"]

TINY = {"patch_size": [16, 16], "channels": 3, "grid": [4, 4], "image_size": [64, 64], "width": 64, "depth": 2,
        "heads": 4, "mlp_width": 128, "classifier": "token", "has_pre_logits": False, "classes": 10}

#: The layers vit-keras's model holds weights in, in the model's order (the others, input_1,
#: reshape and ExtractToken, have none).
LAYERS_WITH_WEIGHTS = ["embedding", "class_token", "Transformer/posembed_input", "Transformer/encoderblock_0",
                       "Transformer/encoderblock_1", "Transformer/encoder_norm", "head"]

#: The file format each layout is written in on the way: its family's usual one.
EXTENSION = {"vision_transformer": ".npz", "big_vision": ".npz", "big_vision-scan": ".npz", "scenic": ".npz",
             "timm": ".pth", "keras-hub-vit": ".h5", "vit-keras": ".h5"}
VIDEO_LAYOUTS = {"hf-vivit-classifier", "hf-vivit-classifier-v5", "hf-vivit", "hf-vivit-v5", "scenic-vivit-factorised-encoder",
                 "scenic-vivit-factorised-self-attention", "hf-timesformer", "hf-timesformer-classifier"}


def sample_id(path: Path) -> str:
    return path.name


# --------------------------------------------------------------------------------------------
# Reading Keras 2 files with h5py
# --------------------------------------------------------------------------------------------

def names(attribute) -> list[str]:
    """A Keras name list as h5py gives it (bytes or str; Keras's empty float64 array is [])."""
    return [n.decode("utf8") if isinstance(n, bytes) else str(n) for n in attribute]


def keras_weights(path: Path, group: str = "") -> dict[str, list[tuple[str, np.ndarray]]]:
    """What tf.keras's loader reads: for each layer with weights, in `layer_names` order, its
    weights in `weight_names` order (name, value)."""
    with h5py.File(path, "r") as file:
        root = file[group] if group else file
        result = {}
        for layer in names(root.attrs["layer_names"]):
            weights = names(root[layer].attrs["weight_names"])
            if weights:
                result[layer] = [(weight, root[layer][weight][()]) for weight in weights]
        return result


def datasets(path: Path, strip: str = "") -> dict[str, np.ndarray]:
    """Every dataset of an HDF5 file by path, `strip` removed from the front."""
    found: dict[str, np.ndarray] = {}
    with h5py.File(path, "r") as file:
        file.visititems(lambda name, item: found.__setitem__(name.removeprefix(strip), item[()])
                        if isinstance(item, h5py.Dataset) else None)
    return found


def assert_same_tensors(actual: dict[str, np.ndarray], expected: dict[str, np.ndarray]) -> None:
    """The same names, dtypes, shapes and bytes."""
    assert sorted(actual) == sorted(expected)
    for name, tensor in expected.items():
        got = actual[name]
        assert (got.dtype, got.shape) == (tensor.dtype, tensor.shape), name
        assert np.ascontiguousarray(got).tobytes() == np.ascontiguousarray(tensor).tobytes(), name


def assert_same_keras_weights(actual: Path, expected: Path, expected_group: str = "", actual_group: str = "") -> None:
    """The same layers with weights, in the same order, each with the same weight names in the
    same order and the same bytes: tf.keras would load the same model from both."""
    ours, theirs = keras_weights(actual, actual_group), keras_weights(expected, expected_group)
    assert list(ours) == list(theirs)
    for layer, weights in theirs.items():
        assert [name for name, _ in ours[layer]] == [name for name, _ in weights], layer
        for (name, got), (_, want) in zip(ours[layer], weights):
            assert (got.dtype, got.shape, got.tobytes()) == (want.dtype, want.shape, want.tobytes()), name


@cache
def image_layouts() -> tuple[str, ...]:
    """The built-in layouts `tubelet schemas` lists, less the video ones."""
    rows = run_tubelet(["schemas"]).stdout.splitlines()[1:]
    return tuple(sorted(row.split()[0] for row in rows if row.split()[0] not in VIDEO_LAYOUTS))


@cache
def has_head(layout: str) -> bool:
    schema = json.loads(run_tubelet(["schemas", layout]).stdout)
    return any("output_projection/kernel" in ([r["canonical"]] if isinstance(r["canonical"], str) else r["canonical"])
               for r in schema["tensors"])


# --------------------------------------------------------------------------------------------
# The samples
# --------------------------------------------------------------------------------------------

def test_samples_are_what_tf_keras_writes():
    """The committed files have tf.keras's Keras 2 structure: root (or model_weights)
    layer_names, weight_names with the TF `:0` suffix, datasets at <layer>/<weight name>;
    the full-model file also has the model's JSON."""
    for path, group in SAMPLES.items():
        with h5py.File(path, "r") as file:
            root = file[group] if group else file
            assert root.attrs["keras_version"] == "2.21.0" and root.attrs["backend"] == "tensorflow"
            assert names(root.attrs["layer_names"])[:3] == ["input_1", "embedding", "reshape"]
            assert names(root["Transformer/encoderblock_0"].attrs["weight_names"])[0] == \
                "Transformer/encoderblock_0/MultiHeadDotProductAttention_1/query/kernel:0"
            assert len(root["input_1"].attrs["weight_names"]) == 0
            if group:
                assert json.loads(file.attrs["model_config"])["config"]["name"] == "vit-tiny16"
        assert list(keras_weights(path, group)) == LAYERS_WITH_WEIGHTS


@pytest.mark.parametrize("path", SAMPLES, ids=sample_id)
def test_sample_is_detected_with_its_architecture(path: Path):
    """inspect names vit-keras (the full-model file with prefix model_weights/) and ViT-tiny_16's
    architecture; without --heads the [D, D] kernels do not say how many heads there are."""
    layout = inspect_json(path, *HEADS)["layout"]
    assert (layout["name"], layout["prefix"]) == ("vit-keras", "model_weights/" if SAMPLES[path] else "")
    assert layout["architecture"] == TINY
    assert layout["outside"] == []
    assert inspect_json(path)["layout"]["architecture"]["heads"] is None


@pytest.mark.parametrize("path", SAMPLES, ids=sample_id)
def test_sample_equals_the_npz_vit_keras_loaded(path: Path):
    """vit-keras's load_weights_numpy put ViT-tiny_16.npz's weights in: under canonical names
    the two files are equal, all 40 tensors."""
    report = json.loads(run_tubelet(["diff", path, NPZ, *HEADS, "--json"]).stdout)
    assert report["equal"] is True and report["basis"].startswith("canonical names (vit-keras")
    assert report["basis"].endswith(" vs vision_transformer)")
    assert len(report["tensors"]) == 40 and not report["only_in_first"] and not report["only_in_second"]


def test_diff_finds_one_changed_value(tmp_path):
    """One value changed in a copy of the sample is found, under its canonical name and at its
    canonical position: query kernel [D, D] (5, 17) is canonical [D, H, hd] (5, 1, 1)."""
    changed = tmp_path / "changed.h5"
    shutil.copy(WEIGHTS, changed)
    name = "Transformer/encoderblock_1/Transformer/encoderblock_1/MultiHeadDotProductAttention_1/query/kernel:0"
    with h5py.File(changed, "r+") as file:
        file[name][5, 17] += 0.5
    report = json.loads(run_tubelet(["diff", changed, NPZ, *HEADS, "--json"], expect_rc=2).stdout)
    differing = [t for t in report["tensors"] if t["status"] != "equal"]
    assert [t["name"] for t in differing] == ["Transformer/encoderblock_1/MultiHeadDotProductAttention_0/query/kernel"]
    assert differing[0]["mismatched"] == 1 and differing[0]["first_mismatch"] == 5 * 64 + 17
    assert differing[0]["max_abs_diff"] == pytest.approx(0.5, abs=1e-6)


# --------------------------------------------------------------------------------------------
# Round trips
# --------------------------------------------------------------------------------------------

def test_every_image_layout_is_covered():
    assert "vit-keras" in image_layouts() and len(image_layouts()) >= 10


@pytest.mark.parametrize("layout", image_layouts())
@pytest.mark.parametrize("path", SAMPLES, ids=sample_id)
def test_round_trip_through_layout_is_bit_exact(tmp_path, path: Path, layout: str):
    """sample → layout → vit-keras gives the sample's weights back bit for bit, under the same
    names (the save_weights form: a full-model file's tensors without model_weights/) and in
    the same Keras lists, so tf.keras loads the same model. A backbone layout has no place for
    the head: the conversion fails naming it and writes nothing."""
    middle = tmp_path / f"as-{layout}{EXTENSION.get(layout, '.safetensors')}"
    if not has_head(layout):
        process = run_tubelet(["convert", path, middle, "--to", layout, *HEADS], expect_rc=1)
        assert f"the {layout} layout has no place for" in process.stderr and "output_projection/" in process.stderr
        assert not middle.exists()
        return
    convert(path, middle, "--to", layout, *HEADS)
    back = convert(middle, tmp_path / "back.h5", "--to", "vit-keras", *HEADS)
    strip = SAMPLES[path] + "/" if SAMPLES[path] else ""
    assert_same_tensors(datasets(back), datasets(path, strip))
    assert_same_keras_weights(back, path, SAMPLES[path])


def test_vit_keras_written_from_the_npz_is_the_tf_keras_sample(tmp_path):
    """ViT-tiny_16.npz converted --to vit-keras is, weight for weight and list for list, what
    tf.keras saved after vit-keras loaded the same npz; the root holds the lists and no
    layer without weights."""
    out = convert(NPZ, tmp_path / "vit.h5", "--to", "vit-keras", *HEADS)
    assert_same_tensors(datasets(out), datasets(WEIGHTS))
    assert_same_keras_weights(out, WEIGHTS)
    with h5py.File(out, "r") as file:
        assert names(file.attrs["layer_names"]) == LAYERS_WITH_WEIGHTS
        assert file.attrs["layer_names"].dtype.kind == "O"  # variable-length strings, as h5py writes a list of str


def test_keras_file_rewritten_keeps_its_lists(tmp_path):
    """A Keras 2 file converted to HDF5 as it is (no --to) keeps every list where Keras put it,
    empty ones as Keras's empty float64 array, so it is still a Keras file."""
    for path, group in SAMPLES.items():
        out = convert(path, tmp_path / f"copy-{path.name}")
        assert_same_keras_weights(out, path, group, group)
        with h5py.File(out, "r") as copy, h5py.File(path, "r") as original:
            a, b = (copy[group] if group else copy), (original[group] if group else original)
            assert names(a.attrs["layer_names"]) == names(b.attrs["layer_names"])
            empty = a["ExtractToken"].attrs["weight_names"]
            assert empty.shape == (0,) and empty.dtype == np.float64


def test_keras_lists_are_not_carried_into_another_layout(tmp_path):
    """The sample written --to timm as .h5 has no Keras lists (they named vit-keras tensors), so
    it is no broken Keras file: Tubelet reads it back as timm."""
    out = convert(WEIGHTS, tmp_path / "timm.h5", "--to", "timm", *HEADS)
    with h5py.File(out, "r") as file:
        assert "layer_names" not in file.attrs and file.attrs["keras_version"] == "2.21.0"
    assert inspect_json(out, *HEADS)["layout"]["name"] == "timm"


# --------------------------------------------------------------------------------------------
# In tf.keras itself
# --------------------------------------------------------------------------------------------

#: Loads each file into vit-keras's model with tf.keras load_weights and checks every weight
#: against the committed sample loaded the same way. Run in its own interpreter, since
#: tf.keras is tf-keras only if TF_USE_LEGACY_KERAS is set before TensorFlow is imported.
LOAD_SCRIPT = textwrap.dedent("""
    import os, sys, types
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    for module in ("tensorflow_addons", "cv2"):  # imported by vit_keras, unused here
        try:
            __import__(module)
        except ImportError:
            sys.modules[module] = types.ModuleType(module)
    from vit_keras import vit

    def model():
        return vit.build_model(image_size=64, patch_size=16, num_layers=2, hidden_size=64, num_heads=4,
                               name="vit-tiny16", mlp_dim=128, classes=10)

    reference = model()
    reference.load_weights(sys.argv[1])
    for path in sys.argv[2:]:
        loaded = model()
        loaded.load_weights(path)
        assert len(loaded.weights) == 40
        for a, b in zip(loaded.weights, reference.weights):
            assert a.name == b.name and a.numpy().tobytes() == b.numpy().tobytes(), (path, a.name)
        print("loaded", path)
""")


@cache
def tf_keras_python() -> str | None:
    """An interpreter with tf-keras and vit-keras: $TF_KERAS_PYTHON, else this one; None if neither has them."""
    python = os.environ.get("TF_KERAS_PYTHON", sys.executable)
    probe = "import importlib.util as u, sys; sys.exit(0 if u.find_spec('tf_keras') and u.find_spec('vit_keras') else 1)"
    try:
        return python if subprocess.run([python, "-c", probe], capture_output=True, timeout=60).returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired):
        return None


def test_tubelet_output_loads_in_tf_keras(tmp_path):
    """Tubelet's vit-keras files load with tf.keras load_weights into vit-keras's model and give
    it exactly the weights of the sample tf.keras wrote: converted from the npz, from the
    full-model sample through Hugging Face, and the save_weights sample rewritten as is."""
    python = tf_keras_python()
    if python is None:
        pytest.skip("needs tf-keras and vit-keras 0.1.2 (here, or in the interpreter $TF_KERAS_PYTHON names)")
    outputs = [
        convert(NPZ, tmp_path / "from-npz.h5", "--to", "vit-keras", *HEADS),
        convert(convert(FULL_MODEL, tmp_path / "hf.safetensors", "--to", "hf-vit-classifier", *HEADS),
                tmp_path / "from-hf.h5", "--to", "vit-keras", *HEADS),
        convert(WEIGHTS, tmp_path / "copy.h5"),
        convert(FULL_MODEL, tmp_path / "model-copy.h5"),
    ]
    process = subprocess.run([python, "-c", LOAD_SCRIPT, WEIGHTS, *outputs], capture_output=True, text=True, timeout=600)
    assert process.returncode == 0, process.stderr[-3000:]
    assert process.stdout.count("loaded") == len(outputs)
