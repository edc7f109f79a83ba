"""Makes timm-load_weights-ViT-tiny_16.safetensors: the sample vision_transformer checkpoint
(Checkpoints/ViT-tiny_16.npz) loaded by timm's own npz loader
(`timm.models.vision_transformer._load_weights`) into a matching timm VisionTransformer, and
its state dict saved with safetensors. The interop tests check that `tubelet convert --to
timm` gives exactly these tensors, without needing torch or timm themselves.

Run once, with torch and timm installed (not needed in CI):

    .venv/bin/pip install torch timm
    .venv/bin/python Tests/Fixtures/layouts/make_timm_reference.py
"""

from pathlib import Path

import timm
import torch
from safetensors.torch import save_file
from timm.models.vision_transformer import VisionTransformer, _load_weights

ROOT = Path(__file__).resolve().parents[3]

model = VisionTransformer(img_size=64, patch_size=16, embed_dim=64, depth=2, num_heads=4, mlp_ratio=2.0,
                          num_classes=10)
_load_weights(model, str(ROOT / "Checkpoints" / "ViT-tiny_16.npz"))
state = {name: tensor.detach().contiguous() for name, tensor in model.state_dict().items()}
out = Path(__file__).resolve().parent / "timm-load_weights-ViT-tiny_16.safetensors"
save_file(state, str(out), metadata={"timm": timm.__version__, "torch": torch.__version__,
                                      "source": "Checkpoints/ViT-tiny_16.npz via timm _load_weights"})
print("wrote", out, len(state), "tensors")
