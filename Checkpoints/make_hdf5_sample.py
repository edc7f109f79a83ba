"""Writes ViT-tiny_16.h5 in this folder with h5py. Run from the repository root:

    .venv/bin/python Checkpoints/make_hdf5_sample.py

The same tiny ViT as ViT-tiny_16.npz (the same tensors, bit for bit: `tiny_vit()` from
make_samples.py with seed 0), stored the way a user's own h5py script would store a Flax
parameter tree: one group per module, one dataset per parameter, written in Flax order.
Kernels are chunked and gzip-compressed with the shuffle filter, everything else is
contiguous, so the file exercises both storage layouts. The root carries a few attributes of
the kinds h5py writes: a `str` (variable-length UTF-8), a list of `str`, an integer and a
float. h5py writes no timestamps and uses HDF5's earliest file format by default, so the
output is the same on every run with the same h5py.
"""

from pathlib import Path

import h5py
import numpy as np

from make_samples import IMAGE, PATCH, tiny_vit


def main() -> None:
    here = Path(__file__).resolve().parent
    output = here / "ViT-tiny_16.h5"
    with h5py.File(output, "w") as file:
        for name, array in tiny_vit().items():
            if name.endswith("kernel"):
                file.create_dataset(name, data=array, chunks=True, compression="gzip", shuffle=True)
            else:
                file.create_dataset(name, data=array)
        file.attrs["description"] = "tiny ViT (random weights, seed 0) in Google's vision_transformer naming"
        file.attrs["modules"] = ["embedding", "cls", "Transformer", "head"]
        file.attrs["image_size"] = IMAGE
        file.attrs["patch_size"] = PATCH
        file.attrs["init_std"] = 0.02
    print("wrote", output)


if __name__ == "__main__":
    main()
