"""Writes the Keras 2 (tf.keras) vit-keras samples in this folder with vit-keras and tf.keras
themselves. They are not test dependencies, so use a venv of their own. From the repository
root:

    python3.11 -m venv /tmp/venv-tf-keras
    /tmp/venv-tf-keras/bin/pip install tensorflow tf-keras "vit-keras==0.1.2"
    /tmp/venv-tf-keras/bin/python Checkpoints/make_vit_keras_sample.py

vit-keras 0.1.2 is the last release for tf.keras (0.2.0 moved to Keras 3, which forbids the
`/` in its layer names and names them `Transformer_encoderblock_0`). With TensorFlow 2.16 and
later, `tf.keras` is Keras 3 unless TF_USE_LEGACY_KERAS=1 points it at tf-keras, so this
script sets that and checks that it took.

Both files hold ViT-tiny_16.npz's weights (64 px images, 16 px patches, width 64, 4 heads,
MLP 128, depth 2, 10 classes), put into vit-keras's own model by its own loader,
`vit_keras.utils.load_weights_numpy`, as `vit_keras.vit.vit_b16(pretrained=True)` does with
Google's checkpoints: q/k/v/out kernels [D, H, hd] / [H, hd, D] reshaped to [D, D], LayerNorm
scale/bias as gamma/beta, the CLS token as `class_token/cls`.

- ViT-tiny_16_keras2.h5: `model.save_weights(...)`, the Keras 2 weights file: root
  `layer_names`, per-layer groups with `weight_names`, datasets at `<layer>/<weight name>`
  (`Transformer/encoderblock_0/Transformer/encoderblock_0/MultiHeadDotProductAttention_1/query/kernel:0`).
  The same bytes on every run with the same versions.
- ViT-tiny_16_keras2-model.h5: `model.save(...)`, the full-model file: the same tree under
  `model_weights/`, and the model's JSON in the root's `model_config`. Not byte-reproducible:
  the config holds the marshalled code of vit-keras's `ExtractToken` lambda, file path included.

vit_keras imports `tensorflow_addons` and `cv2` at module level but uses them only on paths
this script does not take: tensorflow-addons's GELU when `tf.keras.activations` has none (every
tf.keras since 2.4 has one, and tensorflow-addons does not import with TensorFlow 2.16+), and
OpenCV to read images. When they are not installed, empty stand-ins are put in their place.
"""

import os
import sys
import types
import warnings
from importlib.metadata import version
from pathlib import Path

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

for module in ("tensorflow_addons", "cv2"):
    try:
        __import__(module)
    except ImportError:  # see the docstring: imported by vit_keras, not used here
        sys.modules[module] = types.ModuleType(module)

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras  # noqa: E402
from vit_keras import utils, vit  # noqa: E402

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "ViT-tiny_16.npz"
IMAGE, PATCH, WIDTH, HEADS, MLP, DEPTH, CLASSES = 64, 16, 64, 4, 128, 2, 10


def model() -> tf_keras.Model:
    """vit-keras's ViT in the tiny configuration, as `vit_b16` builds it (dropout 0.1, linear head)."""
    return vit.build_model(image_size=IMAGE, patch_size=PATCH, num_layers=DEPTH, hidden_size=WIDTH,
                           num_heads=HEADS, name="vit-tiny16", mlp_dim=MLP, classes=CLASSES)


def main() -> None:
    assert tf.keras.__name__.startswith("tf_keras"), f"tf.keras is {tf.keras.__name__}, not tf-keras (Keras 2)"
    vit_model = model()
    with warnings.catch_warnings():
        # load_weights_numpy warns about weights it did not use or set: none may be left over.
        warnings.simplefilter("error")
        utils.load_weights_numpy(vit_model, str(SOURCE), pretrained_top=True,
                                 num_x_patches=IMAGE // PATCH, num_y_patches=IMAGE // PATCH)

    weights = HERE / "ViT-tiny_16_keras2.h5"
    full = HERE / "ViT-tiny_16_keras2-model.h5"
    vit_model.save_weights(weights)
    vit_model.save(full)

    # Both files load back into a fresh model with the npz's values, reshaped as vit-keras does.
    params = np.load(SOURCE)
    for path in (weights, full):
        check = model()
        check.load_weights(path)
        query = check.get_layer("Transformer/encoderblock_1").att.query_dense.kernel.numpy()
        expected = params["Transformer/encoderblock_1/MultiHeadDotProductAttention_1/query/kernel"].reshape(WIDTH, WIDTH)
        assert query.tobytes() == expected.tobytes(), path
        print("wrote", path)
    print(f"tensorflow {tf.__version__}, tf-keras {tf_keras.__version__}, vit-keras {version('vit-keras')}, h5py {version('h5py')}")


if __name__ == "__main__":
    main()
