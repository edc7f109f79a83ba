"""Writes the malformed Flax msgpack fixtures of Tests/tubeletTests/MalformedMsgpackTests.swift
into this folder. Run from the repository root (any Python 3; nothing outside the standard
library is needed):

    python3 Tests/Fixtures/malformed-msgpack/make_malformed_msgpack.py

A Flax checkpoint (`flax.serialization.msgpack_serialize`, scenic's `checkpoint_N`) is a
msgpack tree of string-keyed maps whose leaves are arrays packed as ext type 1 holding the
msgpack triple (shape, dtype name, C-order bytes); arrays over 1 GiB are split into a
`__msgpack_chunked_array__` map. Every file here is written byte by byte with the encoder
below, so the output is identical on every run. Each is tiny and named after its case;
README.md says what is wrong with each and which error Tubelet must give. `valid.msgpack` is
the control, read without error.
"""

from __future__ import annotations

import struct
from pathlib import Path

HERE = Path(__file__).resolve().parent


# MARK: - A minimal msgpack encoder (the forms Flax's msgpack writes)


def pack(value) -> bytes:
    """msgpack bytes of `value`: dict (insertion order, so duplicate keys can be written as a
    list of pairs via Pairs), list, str, bytes, int, float, bool, None, Ext, Raw."""
    if isinstance(value, Raw):
        return value.data
    if isinstance(value, Ext):
        return ext(value.type, value.payload)
    if isinstance(value, Pairs):
        return map_header(len(value.items)) + b"".join(pack(k) + pack(v) for k, v in value.items)
    if isinstance(value, dict):
        return map_header(len(value)) + b"".join(pack(k) + pack(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return array_header(len(value)) + b"".join(pack(v) for v in value)
    if value is None:
        return b"\xc0"
    if value is True:
        return b"\xc3"
    if value is False:
        return b"\xc2"
    if isinstance(value, int):
        if 0 <= value < 128:
            return bytes([value])
        if -32 <= value < 0:
            return struct.pack("b", value)
        if 0 <= value < 1 << 64:
            return b"\xcf" + struct.pack(">Q", value)
        return b"\xd3" + struct.pack(">q", value)
    if isinstance(value, float):
        return b"\xcb" + struct.pack(">d", value)
    if isinstance(value, str):
        data = value.encode()
        return (bytes([0xA0 | len(data)]) if len(data) < 32 else b"\xd9" + bytes([len(data)])) + data
    if isinstance(value, bytes):
        return b"\xc6" + struct.pack(">I", len(value)) + value
    raise TypeError(value)


def map_header(count: int) -> bytes:
    return bytes([0x80 | count]) if count < 16 else b"\xde" + struct.pack(">H", count)


def array_header(count: int) -> bytes:
    return bytes([0x90 | count]) if count < 16 else b"\xdc" + struct.pack(">H", count)


def ext(kind: int, payload: bytes) -> bytes:
    return b"\xc9" + struct.pack(">Ib", len(payload), kind) + payload


class Ext:
    def __init__(self, kind: int, payload: bytes) -> None:
        self.type, self.payload = kind, payload


class Pairs:
    """A map written from a list of (key, value) pairs, so a key may repeat."""

    def __init__(self, items) -> None:
        self.items = items


class Raw:
    """Bytes written as they are."""

    def __init__(self, data: bytes) -> None:
        self.data = data


def array(shape, dtype: str = "float32", data: bytes | None = None) -> Ext:
    """A Flax ndarray: ext 1 around (shape, dtype, bytes); data defaults to the right size."""
    if data is None:
        count = 1
        for size in shape:
            count *= size
        data = struct.pack(f"<{count}f", *range(count))
    return Ext(1, pack([list(shape), dtype, data]))


def write(name: str, tree) -> None:
    write_bytes(name, pack(tree) if not isinstance(tree, (bytes, bytearray)) else bytes(tree))


def write_bytes(name: str, data: bytes) -> None:
    (HERE / name).write_bytes(data)


def params(**leaves) -> dict:
    """scenic's layout: {"params": {...}}."""
    return {"params": leaves}


# MARK: - The cases


def main() -> None:
    for old in HERE.glob("*.msgpack"):
        old.unlink()

    valid = pack(params(kernel=array((2, 3)), bias=array((3,)), step=7))
    write_bytes("valid.msgpack", valid)

    # Truncations at each structural boundary: inside the root map, inside a key, inside an
    # ext header, inside an ext payload (the array's bytes), and an empty file.
    write_bytes("mp-empty.msgpack", b"")
    write_bytes("mp-truncated-map.msgpack", pack(params(kernel=array((2, 3))))[:10])
    write_bytes("mp-truncated-key.msgpack", b"\x81\xd9\x20" + b"params")
    at_ext = valid.index(b"\xc9")
    write_bytes("mp-truncated-ext-header.msgpack", valid[:at_ext + 3])
    write_bytes("mp-truncated-array-bytes.msgpack", valid[:at_ext + 30])
    write_bytes("mp-trailing-bytes.msgpack", valid + b"\x00\x00")

    # Bytes that are no msgpack, or lengths that lie.
    write_bytes("mp-bad-tag.msgpack", b"\x81\xa6params\xc1")
    write_bytes("mp-map-count-past-eof.msgpack", b"\x81\xa6params\xdf\x80\x00\x00\x00\xa1a\xc0")
    write_bytes("mp-string-length-past-eof.msgpack", b"\x81\xa6params\xdb\x7f\xff\xff\xffabc")
    write_bytes("mp-ext-length-past-eof.msgpack", b"\x81\xa6params\xc9\xff\xff\xff\xf0\x01" + bytes(16))
    write_bytes("mp-invalid-utf8-key.msgpack", b"\x81\xa6params\x81\xa2\xff\xfe\xc0")
    nested = b"\xc0"
    for _ in range(100):
        nested = b"\x81\xa1a" + nested
    write_bytes("mp-deep-nesting.msgpack", nested)

    # Trees whose names cannot become tensor names.
    write("mp-non-string-key.msgpack", {"params": Pairs([(1, array((2,)))])})
    write("mp-key-with-slash.msgpack", params(**{"dense/kernel": array((2,))}))
    write("mp-empty-key.msgpack", params(**{"": array((2,))}))
    write("mp-duplicate-key.msgpack", {"params": Pairs([("kernel", array((2,))), ("kernel", array((2,)))])})
    write("mp-duplicate-key-metadata.msgpack", {"params": Pairs([("step", 1), ("step", array((2,)))])})

    # Array records that lie about shapes, sizes or types.
    write("mp-ext-complex.msgpack", params(kernel=Ext(2, pack([[1], "complex64", bytes(8)]))))
    write("mp-ext-unknown-type.msgpack", params(kernel=Ext(9, b"\x00")))
    write("mp-record-not-triple.msgpack", params(kernel=Ext(1, pack([[2], "float32"]))))
    write("mp-record-invalid-msgpack.msgpack", params(kernel=Ext(1, b"\xc1")))
    write("mp-unknown-dtype.msgpack", params(kernel=array((1,), "complex64", bytes(8))))
    write("mp-shape-negative.msgpack", params(kernel=array((-1,), data=bytes(4))))
    write("mp-shape-not-integers.msgpack", params(kernel=Ext(1, pack([[2, "x"], "float32", bytes(8)]))))
    write("mp-shape-overflow.msgpack", params(kernel=array((1 << 32, 1 << 32), data=bytes(4))))
    write("mp-rank-over-limit.msgpack", params(kernel=array((1,) * 65)))
    write("mp-size-mismatch.msgpack", params(kernel=array((10,), data=bytes(16))))

    # Flax's chunked form for arrays over 1 GiB.
    def chunked(chunks, shape=(4,)):
        return {"__msgpack_chunked_array__": True, "shape": {str(i): s for i, s in enumerate(shape)}, "chunks": chunks}

    write("mp-chunked-missing-chunks.msgpack", params(kernel={"__msgpack_chunked_array__": True, "shape": {"0": 4}}))
    write("mp-chunked-out-of-order.msgpack", params(kernel=chunked({"1": array((2,)), "0": array((2,))})))
    write("mp-chunked-mixed-dtypes.msgpack",
          params(kernel=chunked({"0": array((2,)), "1": array((1,), "float64", bytes(8))})))
    write("mp-chunked-size-mismatch.msgpack", params(kernel=chunked({"0": array((2,)), "1": array((1,))})))
    write("mp-chunked-rank-over-limit.msgpack", params(kernel=chunked({"0": array((1,))}, shape=(1,) * 65)))
    print("wrote", len(list(HERE.glob("*.msgpack"))), "files to", HERE)


if __name__ == "__main__":
    main()
