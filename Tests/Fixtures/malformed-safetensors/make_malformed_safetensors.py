"""Writes the malformed safetensors files in this folder. Run from the repository root:

    .venv/bin/python Tests/Fixtures/malformed-safetensors/make_malformed_safetensors.py

Each file is an 8-byte little-endian header length, a JSON header and a data buffer, built
by hand with one thing wrong (the safetensors library refuses to write such files). The
`*.index.json` files are Hugging Face shard indexes that point at `valid.safetensors` or at
nothing. Tests/tubeletTests/MalformedTorchTests.swift lists what Tubelet must say about each
file; `valid.safetensors` is the control case.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

HERE = Path(__file__).resolve().parent


def safetensors(name: str, header: str | bytes, data: bytes, *, length: int | None = None, pad: bytes = b" ") -> None:
    text = header.encode() if isinstance(header, str) else header
    text += pad * ((8 - len(text) % 8) % 8)
    declared = len(text) if length is None else length
    (HERE / name).write_bytes(struct.pack("<Q", declared) + text + data)


def entry(dtype: str = "F32", shape=(2,), offsets=(0, 8)) -> str:
    return json.dumps({"dtype": dtype, "shape": list(shape), "data_offsets": list(offsets)}, separators=(",", ":"))


F32x2 = struct.pack("<2f", 1.5, -2.0)


def main() -> None:
    for old in HERE.glob("*.safetensors"):
        old.unlink()
    for old in HERE.glob("*.index.json"):
        old.unlink()

    safetensors("valid.safetensors", '{"__metadata__":{"format":"pt"},"w":' + entry() + "}", F32x2)

    # The length prefix against the file.
    safetensors("st-header-past-eof.safetensors", '{"w":' + entry() + "}", F32x2, length=5000)
    safetensors("st-header-too-large.safetensors", '{"w":' + entry() + "}", F32x2, length=200_000_000)
    # Cut inside the 8-byte length prefix, and inside the JSON header.
    (HERE / "st-truncated-length.safetensors").write_bytes(struct.pack("<Q", 64)[:5])
    valid = (HERE / "valid.safetensors").read_bytes()
    (HERE / "st-truncated-header.safetensors").write_bytes(valid[:30])
    # The header text.
    safetensors("st-invalid-json.safetensors", '{"w":' + entry() + ",}", F32x2)
    safetensors("st-invalid-utf8.safetensors", b'{"w\xff":' + entry().encode() + b"}", F32x2)
    safetensors("st-nul-padding.safetensors", '{"w":' + entry() + "}", F32x2, pad=b"\x00")
    safetensors("st-deep-nesting.safetensors", '{"w":' + "[" * 100 + "]" * 100 + "}", F32x2)
    safetensors("st-duplicate-key.safetensors", '{"w":' + entry() + ',"w":' + entry(offsets=(8, 16)) + "}", F32x2 * 2)
    safetensors("st-duplicate-field.safetensors", '{"w":{"dtype":"F32","dtype":"F16","shape":[2],"data_offsets":[0,8]}}', F32x2)
    safetensors("st-metadata-not-string.safetensors", '{"__metadata__":{"epoch":3},"w":' + entry() + "}", F32x2)
    safetensors("st-missing-field.safetensors", '{"w":{"dtype":"F32","shape":[2]}}', F32x2)
    # dtypes and shapes.
    safetensors("st-unknown-dtype.safetensors", '{"w":' + entry(dtype="F128") + "}", F32x2)
    safetensors("st-lowercase-dtype.safetensors", '{"w":' + entry(dtype="f32") + "}", F32x2)
    safetensors("st-unsupported-dtype.safetensors", '{"w":' + entry(dtype="F8_E4M3", shape=(8,)) + "}", F32x2)
    safetensors("st-negative-shape.safetensors", '{"w":' + entry(shape=(-2,)) + "}", F32x2)
    safetensors("st-float-offset.safetensors", '{"w":{"dtype":"F32","shape":[2],"data_offsets":[0.0,8]}}', F32x2)
    safetensors("st-shape-overflow.safetensors", '{"w":' + entry(shape=(2**62, 8)) + "}", F32x2)
    # Offsets against each other and the buffer.
    safetensors("st-size-mismatch.safetensors", '{"w":' + entry(shape=(2, 2)) + "}", F32x2)
    safetensors("st-overlapping-offsets.safetensors",
                '{"a":' + entry(shape=(2,), offsets=(0, 8)) + ',"b":' + entry(shape=(2,), offsets=(4, 12)) + "}", F32x2 * 2)
    safetensors("st-gap-offsets.safetensors",
                '{"a":' + entry(shape=(2,), offsets=(0, 8)) + ',"b":' + entry(shape=(2,), offsets=(12, 20)) + "}", F32x2 * 3)
    safetensors("st-reversed-offsets.safetensors", '{"w":' + entry(shape=(0,), offsets=(8, 0)) + "}", F32x2)
    safetensors("st-truncated-data.safetensors", '{"w":' + entry(shape=(4,), offsets=(0, 16)) + "}", F32x2)
    safetensors("st-trailing-bytes.safetensors", '{"w":' + entry() + "}", F32x2 + b"junk")

    # Shard indexes, beside valid.safetensors.
    def index(name: str, text: str) -> None:
        (HERE / name).write_text(text)

    index("st-index-missing-shard.safetensors.index.json",
          json.dumps({"metadata": {"total_size": 8}, "weight_map": {"w": "model-00001-of-00002.safetensors"}}))
    index("st-index-unlisted-tensor.safetensors.index.json",
          json.dumps({"metadata": {}, "weight_map": {"v": "valid.safetensors"}}))
    index("st-index-duplicate-key.safetensors.index.json",
          '{"weight_map": {"w": "valid.safetensors", "w": "valid.safetensors"}}')
    index("st-index-escapes-directory.safetensors.index.json",
          json.dumps({"weight_map": {"w": "../valid.safetensors"}}))
    index("st-index-no-weight-map.safetensors.index.json", json.dumps({"metadata": {"total_size": 8}}))
    print("wrote", len(list(HERE.glob("*.safetensors"))) + len(list(HERE.glob("*.json"))), "files to", HERE)


if __name__ == "__main__":
    main()
