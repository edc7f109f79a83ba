"""Writes the Keras 3 sample checkpoints in this folder with Keras itself. Needs keras,
keras-hub and a backend (jax CPU is enough); they are not test dependencies, so use a venv
of their own. From the repository root:

    python3 -m venv /tmp/venv-keras
    /tmp/venv-keras/bin/pip install keras keras-hub "jax[cpu]"
    KERAS_BACKEND=jax /tmp/venv-keras/bin/python Checkpoints/make_keras_samples.py

All three hold keras-hub's `ViTBackbone` in a tiny configuration (32 px images, 8 px
patches, 2 layers, 2 heads, width 16, MLP 32: 38 variables) with random weights
(`keras.utils.set_random_seed(0)`), so they are structural samples, not trained models:

- ViT-tiny_keras3.weights.h5: `model.save_weights(...)`, Keras 3's native HDF5 layout
  (`layers/<path>/vars/<i>`), float32.
- ViT-tiny_keras3-bf16.weights.h5: the same model built with `dtype="bfloat16"`, whose
  variables Keras stores as 2-byte opaque data with a `dtype = "bfloat16"` attribute.
- ViT-tiny_keras3.keras: `model.save(...)`, the zip archive holding `config.json`,
  `metadata.json` and the weights as `model.weights.h5`.

The `.weights.h5` files are the same on every run with the same versions; the `.keras`
archive is not, because `metadata.json` records the time it was saved.
"""

import os
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import keras_hub  # noqa: E402

CONFIG = dict(image_shape=(32, 32, 3), patch_size=8, num_layers=2, num_heads=2, hidden_dim=16, mlp_dim=32)


def backbone(dtype=None):
    keras.utils.set_random_seed(0)
    return keras_hub.models.ViTBackbone(**CONFIG, dtype=dtype)


def main() -> None:
    here = Path(__file__).resolve().parent
    model = backbone()
    model.save_weights(here / "ViT-tiny_keras3.weights.h5")
    model.save(here / "ViT-tiny_keras3.keras")
    backbone("bfloat16").save_weights(here / "ViT-tiny_keras3-bf16.weights.h5")
    for name in ["ViT-tiny_keras3.weights.h5", "ViT-tiny_keras3-bf16.weights.h5", "ViT-tiny_keras3.keras"]:
        print("wrote", here / name)
    print(f"keras {keras.__version__}, keras-hub {keras_hub.__version__}, backend {keras.backend.backend()}")


if __name__ == "__main__":
    main()
