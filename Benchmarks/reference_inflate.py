"""The inflation a user would write with numpy + h5py: ViT (vision_transformer .npz) to ViViT
Model 1 (spacetime) as scenic initialises it, written as HDF5 (.h5) or npz (.npz).

    python Benchmarks/reference_inflate.py ViT-L_16.npz OUT.h5|OUT.npz [CLASSES] [FRAMES]

Central-frame tubelet kernel (2 frames), positional embeddings tiled over FRAMES/2 temporal
positions with the CLS row kept, blocks copied under scenic's module names, image head
dropped, zero output_projection. `tubelet inflate SRC -o OUT --model spacetime --classes
CLASSES --frames FRAMES` gives the same tensors (Benchmarks/run.sh checks it).
"""
import sys

import h5py
import numpy as np

src, out = sys.argv[1], sys.argv[2]
classes = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
frames, tubelet_frames = (int(sys.argv[4]) if len(sys.argv) > 4 else 32), 2
renames = {"MultiHeadDotProductAttention_1": "MultiHeadDotProductAttention_0", "LayerNorm_2": "LayerNorm_1", "MlpBlock_3": "MlpBlock_0"}

vit = np.load(src)
params = {}
for name in vit.files:
    if name.startswith(("head/", "pre_logits/")):
        continue
    x = vit[name]
    if name == "embedding/kernel":  # [h, w, C, D] -> [t, h, w, C, D], the 2-D kernel in the central frame
        kernel = np.zeros((tubelet_frames,) + x.shape, x.dtype)
        kernel[tubelet_frames // 2] = x
        x = kernel
    elif name.endswith("posembed_input/pos_embedding"):  # CLS row, then the grid once per temporal position
        x = np.concatenate([x[:, :1], np.tile(x[:, 1:], (1, frames // tubelet_frames, 1))], axis=1)
    for old, new in renames.items():
        name = name.replace(old, new)
    params[name] = x
width = params["embedding/bias"].shape[0]
params["output_projection/kernel"] = np.zeros((width, classes), np.float32)
params["output_projection/bias"] = np.zeros((classes,), np.float32)

if out.endswith(".npz"):
    np.savez(out, **params)
else:
    with h5py.File(out, "w") as f:
        for name, value in params.items():
            f.create_dataset(name, data=value)
