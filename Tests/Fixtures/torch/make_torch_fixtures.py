"""Writes the torch-written checkpoints in this folder, and what they must read as. Needs
torch (CPU); run once from the repository root, then commit the outputs:

    .venv/bin/python Tests/Fixtures/torch/make_torch_fixtures.py

CI has no torch, so the files torch writes are committed and Tests/Interop/test_torch_interop.py
checks that Tubelet reads them bit-exactly against `NAME.expected.npz` (the same tensors,
written by numpy; bfloat16 as ml_dtypes' '<V2').

- `torch-mixed.pth`: `{"state_dict": OrderedDict, "epoch": 3}` holding float16, bfloat16,
  float32, float64, int64, int8, uint8, uint16 (a `_rebuild_tensor_v3` dtype), bool, a 0-d
  tensor, an empty tensor, a non-contiguous slice, a transpose, two tensors sharing one
  storage at different offsets, and Parameters.
- `torch-many.pth`: a plain `nn.Module.state_dict()` of 1,100 tensors (more than one
  1000-item SETITEMS batch, more than 256 memo entries, `_metadata` BUILD).
"""

from __future__ import annotations

from pathlib import Path

import ml_dtypes
import numpy as np
import torch

HERE = Path(__file__).resolve().parent


def as_numpy(tensor: torch.Tensor) -> np.ndarray:
    tensor = tensor.detach().contiguous()
    if tensor.dtype == torch.bfloat16:
        return tensor.view(torch.int16).numpy().view(ml_dtypes.bfloat16)
    if tensor.dtype == torch.uint16:
        return tensor.view(torch.int16).numpy().view(np.uint16)
    return tensor.numpy()


def mixed() -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    base = torch.randn(5, 6, generator=generator)
    shared = torch.randn(12, generator=generator)
    return {
        "f16": torch.randn(3, 4, generator=generator).half(),
        "bf16": torch.randn(2, 3, generator=generator).bfloat16(),
        "f32": torch.randn(4, generator=generator),
        "f64": torch.randn(2, 2, generator=generator).double(),
        "i64": torch.arange(-3, 4),
        "i8": torch.tensor([-128, 0, 127], dtype=torch.int8),
        "u8": torch.tensor([0, 200, 255], dtype=torch.uint8),
        "u16": torch.tensor([0, 1, 65535], dtype=torch.int32).to(torch.uint16),
        "mask": torch.tensor([[True, False], [False, True]]),
        "scalar": torch.tensor(2.5),
        "empty": torch.zeros(0, 3),
        "slice": base[1:4, ::2],
        "transposed": base.t(),
        "shared.first": shared[:6].view(2, 3),
        "shared.second": shared[6:],
        "weight": torch.nn.Parameter(torch.randn(3, 2, generator=generator)),
        "bias": torch.nn.Parameter(torch.randn(3, generator=generator), requires_grad=False),
    }


class Many(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        generator = torch.Generator().manual_seed(1)
        self.layers = torch.nn.ModuleList()
        for _ in range(550):
            layer = torch.nn.Linear(1, 1)
            with torch.no_grad():
                layer.weight.copy_(torch.randn(1, 1, generator=generator))
                layer.bias.copy_(torch.randn(1, generator=generator))
            self.layers.append(layer)


def write(name: str, obj, tensors: dict[str, torch.Tensor]) -> None:
    torch.save(obj, HERE / name)
    np.savez(HERE / (Path(name).stem + ".expected.npz"), **{key: as_numpy(value) for key, value in tensors.items()})
    print("wrote", HERE / name)


if __name__ == "__main__":
    tensors = mixed()
    write("torch-mixed.pth", {"state_dict": tensors, "epoch": 3}, tensors)
    state = Many().state_dict()
    write("torch-many.pth", state, dict(state))
