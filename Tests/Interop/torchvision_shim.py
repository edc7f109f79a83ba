"""Lets timm import under PyPI's CPU-only torch wheel.

timm imports torchvision, and PyPI's only torchvision wheels are CUDA builds: their C++ ops
(`torchvision/_C.so`) link libtorch_cuda and cannot load under `torch==…+cpu`. torchvision
then imports without its ops, except that its `_meta_registrations` registers a fake kernel for
`torchvision::nms` and `torchvision::qnms` unguarded, which fails when the op was never defined. Defining those two ops'
schemas (as `_C.so` would) lets the import finish. The tests use no torchvision op, and nothing
is defined when the real ops load (a torchvision built for the installed torch).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

#: Kept alive: dropping the Library object would undefine the op.
_LIBRARY = None


def define_missing_torchvision_ops() -> None:
    global _LIBRARY
    if _LIBRARY is not None or importlib.util.find_spec("torch") is None:
        return
    spec = importlib.util.find_spec("torchvision")
    if spec is None or spec.origin is None:
        return
    import torch

    extension = Path(spec.origin).parent / "_C.so"
    try:
        torch.ops.load_library(str(extension))
        return
    except (OSError, RuntimeError):
        pass
    _LIBRARY = torch.library.Library("torchvision", "DEF")
    for op in ("nms", "qnms"):
        _LIBRARY.define(f"{op}(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
