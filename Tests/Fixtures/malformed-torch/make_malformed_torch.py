"""Writes the malformed PyTorch checkpoints in this folder. Run from the repository root:

    .venv/bin/python Tests/Fixtures/malformed-torch/make_malformed_torch.py

torch is not needed: each archive is built with Python's zipfile around a pickle written
opcode by opcode, exactly as torch.save lays them out (folder named after the file stem,
data.pkl, byteorder, data/N, version), with one thing wrong. Nothing here is ever
unpickled by Python. Tests/tubeletTests/MalformedTorchTests.swift lists what Tubelet must
say about each file; `valid.pth` is the control case, read without error.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


class Pickle:
    """A protocol-2 pickle written opcode by opcode."""

    def __init__(self) -> None:
        self.out = bytearray(b"\x80\x02")

    def raw(self, data: bytes) -> "Pickle":
        self.out += data
        return self

    def glob(self, module: str, name: str) -> "Pickle":
        return self.raw(b"c" + module.encode() + b"\n" + name.encode() + b"\n")

    def string(self, text: str) -> "Pickle":
        data = text.encode()
        return self.raw(b"X" + struct.pack("<I", len(data)) + data)

    def int(self, value: int) -> "Pickle":
        if 0 <= value < 256:
            return self.raw(b"K" + bytes([value]))
        return self.raw(b"J" + struct.pack("<i", value))

    def int_tuple(self, values) -> "Pickle":
        self.raw(b"(")
        for value in values:
            self.int(value)
        return self.raw(b"t")

    def tensor(self, key: str, storage: str, numel: int, offset: int, size, stride,
               rebuild: str = "_rebuild_tensor_v2", dtype: str | None = None) -> "Pickle":
        """`_rebuild_tensor_v2(('storage', torch.<storage>, key, 'cpu', numel), offset, size, stride, False, OrderedDict())`."""
        self.glob("torch._utils", rebuild).raw(b"(")
        self.raw(b"(").string("storage")
        if storage == "UntypedStorage":
            self.glob("torch.storage", storage)
        else:
            self.glob("torch", storage)
        self.string(key).string("cpu").int(numel).raw(b"t" + b"Q")
        self.int(offset).int_tuple(size).int_tuple(stride).raw(b"\x89")
        self.glob("collections", "OrderedDict").raw(b")R")
        if dtype:
            self.glob("torch", dtype)
        return self.raw(b"tR")

    def state_dict(self, entries) -> bytes:
        """An OrderedDict of name -> tensor, where each entry is a callable adding one value."""
        self.glob("collections", "OrderedDict").raw(b")R(")
        for name, add in entries:
            self.string(name)
            add(self)
        return bytes(self.raw(b"u.").out)


def floats(*values: float) -> bytes:
    return struct.pack(f"<{len(values)}f", *values)


def archive(name: str, records: dict[str, bytes], *, folder: str | None = None) -> None:
    """A zip like torch.save's: stored members under one folder."""
    folder = folder if folder is not None else Path(name).stem
    with zipfile.ZipFile(HERE / name, "w", zipfile.ZIP_STORED) as zf:
        for record, data in records.items():
            zf.writestr(f"{folder}/{record}" if folder else record, data)


def torch_records(pickle: bytes, storages: dict[str, bytes], **extra: bytes) -> dict[str, bytes]:
    records = {"data.pkl": pickle, "byteorder": b"little"}
    records.update({f"data/{key}": data for key, data in storages.items()})
    records["version"] = b"3\n"
    records.update(extra)
    return records


def one_tensor(**kwargs) -> bytes:
    return Pickle().state_dict([("weight", lambda p: p.tensor(**kwargs))])


VALID_PICKLE = one_tensor(key="0", storage="FloatStorage", numel=4, offset=0, size=(2, 2), stride=(2, 1))


def main() -> None:
    for old in HERE.glob("*.p*"):
        if old.suffix in (".pth", ".pt", ".bin"):
            old.unlink()

    archive("valid.pth", torch_records(VALID_PICKLE, {"0": floats(1, 2, 3, 4)}))

    # The container.
    whole = (HERE / "valid.pth").read_bytes()
    (HERE / "torch-truncated.pth").write_bytes(whole[: len(whole) // 2])
    archive("torch-missing-data-pkl.pth", {"byteorder": b"little", "data/0": floats(1, 2, 3, 4), "version": b"3\n"})
    archive("torch-no-version.pth", {"data.pkl": VALID_PICKLE, "data/0": floats(1, 2, 3, 4)})
    archive("torch-bad-byteorder.pth", torch_records(VALID_PICKLE, {"0": floats(1, 2, 3, 4)}, byteorder=b"middle"))
    archive("torch-no-folder.pth", torch_records(VALID_PICKLE, {"0": floats(1, 2, 3, 4)}), folder="")
    archive("torch-torchscript.pt", {"data.pkl": VALID_PICKLE, "constants.pkl": b"\x80\x02).", "code/__torch__.py": b"",
                                      "version": b"3\n"})
    # torch.save(..., _use_new_zipfile_serialization=False) starts with the magic number as LONG1.
    (HERE / "torch-legacy.pt").write_bytes(b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19." + bytes(16))

    # Storages against the pickle.
    archive("torch-storage-short.pth", torch_records(VALID_PICKLE, {"0": floats(1, 2)}))
    archive("torch-storage-long.pth", torch_records(VALID_PICKLE, {"0": floats(1, 2, 3, 4, 5)}))
    archive("torch-missing-storage.pth", torch_records(
        one_tensor(key="9", storage="FloatStorage", numel=4, offset=0, size=(4,), stride=(1,)), {"0": floats(1, 2, 3, 4)}))
    archive("torch-view-out-of-bounds.pth", torch_records(
        one_tensor(key="0", storage="FloatStorage", numel=4, offset=2, size=(2, 2), stride=(2, 1)), {"0": floats(1, 2, 3, 4)}))
    archive("torch-negative-stride.pth", torch_records(
        one_tensor(key="0", storage="FloatStorage", numel=4, offset=3, size=(4,), stride=(-1,)), {"0": floats(1, 2, 3, 4)}))
    archive("torch-unsupported-dtype.pth", torch_records(
        one_tensor(key="0", storage="UntypedStorage", numel=4, offset=0, size=(4,), stride=(1,),
                   rebuild="_rebuild_tensor_v3", dtype="float8_e4m3fn"), {"0": bytes(4)}))
    archive("torch-complex-storage.pth", torch_records(
        one_tensor(key="0", storage="ComplexFloatStorage", numel=1, offset=0, size=(1,), stride=(1,)), {"0": bytes(8)}))
    archive("torch-storage-redeclared.pth", torch_records(Pickle().state_dict([
        ("a", lambda p: p.tensor(key="0", storage="FloatStorage", numel=4, offset=0, size=(4,), stride=(1,))),
        ("b", lambda p: p.tensor(key="0", storage="FloatStorage", numel=2, offset=0, size=(2,), stride=(1,))),
    ]), {"0": floats(1, 2, 3, 4)}))
    crc = bytearray()
    archive("torch-crc-mismatch.pth", torch_records(VALID_PICKLE, {"0": floats(1, 2, 3, 4)}))
    crc = bytearray((HERE / "torch-crc-mismatch.pth").read_bytes())
    position = crc.index(floats(1, 2, 3, 4))
    crc[position] ^= 0xFF
    (HERE / "torch-crc-mismatch.pth").write_bytes(bytes(crc))

    # Pickles that try to run code.
    archive("torch-global-os-system.pth", torch_records(
        Pickle().glob("os", "system").string("touch PWNED").raw(b"\x85R.").out, {}))
    archive("torch-global-in-state-dict.pth", torch_records(Pickle().state_dict([
        ("weight", lambda p: p.tensor(key="0", storage="FloatStorage", numel=4, offset=0, size=(4,), stride=(1,))),
        ("args", lambda p: p.glob("argparse", "Namespace").raw(b")R")),
    ]), {"0": floats(1, 2, 3, 4)}))
    archive("torch-inst-opcode.pth", torch_records(b"\x80\x02(ios\nsystem\n.", {}))
    archive("torch-stack-global.pth", torch_records(
        b"\x80\x04\x8c\x02os\x8c\x06system\x93\x8c\x0btouch PWNED\x85R.", {}))

    # Pickles that break the machine's rules.
    archive("torch-forbidden-opcode.pth", torch_records(b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00}.", {}))
    archive("torch-unbalanced-stack.pth", torch_records(b"\x80\x02}N.", {}))
    archive("torch-open-mark.pth", torch_records(b"\x80\x02(}.", {}))
    archive("torch-stack-underflow.pth", torch_records(b"\x80\x02}s.", {}))
    archive("torch-memo-miss.pth", torch_records(b"\x80\x02h\x05.", {}))
    archive("torch-no-stop.pth", torch_records(VALID_PICKLE[:-1], {"0": floats(1, 2, 3, 4)}))
    archive("torch-truncated-string.pth", torch_records(b"\x80\x02X\xff\xff\x00\x00abc", {}))
    archive("torch-mark-depth.pth", torch_records(b"\x80\x02" + b"(" * 5000 + b".", {}))
    deep = Pickle()
    for _ in range(200):
        deep.raw(b"}").string("a")
    deep.tensor(key="0", storage="FloatStorage", numel=4, offset=0, size=(4,), stride=(1,))
    archive("torch-deep-nesting.pth", torch_records(bytes(deep.raw(b"s" * 200 + b".").out), {"0": floats(1, 2, 3, 4)}))
    archive("torch-setitem-on-list.pth", torch_records(b"\x80\x02]K\x01K\x02s.", {}))
    archive("torch-persid-not-storage.pth", torch_records(b"\x80\x02X\x03\x00\x00\x00abcQ.", {}))

    # Sizes, shapes and names that lie.
    archive("torch-rank-over-limit.pth", torch_records(
        one_tensor(key="0", storage="FloatStorage", numel=1, offset=0, size=(1,) * 65, stride=(1,) * 65),
        {"0": floats(1)}))
    big = 2**31 - 1
    archive("torch-shape-overflow.pth", torch_records(
        one_tensor(key="0", storage="FloatStorage", numel=4, offset=0, size=(big,) * 4, stride=(1,) * 4),
        {"0": floats(1, 2, 3, 4)}))
    duplicated = HERE / "torch-duplicate-record.pth"
    with zipfile.ZipFile(duplicated, "w", zipfile.ZIP_STORED) as zf:
        for record, data in torch_records(VALID_PICKLE, {"0": floats(1, 2, 3, 4)}).items():
            zf.writestr(f"torch-duplicate-record/{record}", data)
        zf.writestr("torch-duplicate-record/data/0", floats(5, 6, 7, 8))
    # A storage record deflated from 64 zero bytes whose zip headers claim 4 GB: far past
    # what DEFLATE can expand 64 compressed bytes to (a zip bomb's claim).
    bomb = HERE / "torch-zip-bomb-claim.pth"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        for record, data in torch_records(
                one_tensor(key="0", storage="FloatStorage", numel=1_000_000_000, offset=0, size=(1_000_000_000,),
                           stride=(1,)), {"0": bytes(64)}).items():
            zf.writestr(f"torch-zip-bomb-claim/{record}", data)
    bomb.write_bytes(patch_sizes(bomb.read_bytes(), "torch-zip-bomb-claim/data/0", 4_000_000_000))
    print("wrote", len(list(HERE.glob("*.pt*"))), "files to", HERE)


def patch_sizes(data: bytes, name: str, size: int) -> bytes:
    """`data` (a zip) with member `name`'s uncompressed size set to `size` in its local header
    and its central-directory entry."""
    out = bytearray(data)
    encoded = name.encode()
    position = 0
    while (position := data.find(encoded, position)) >= 0:
        if data[position - 30:position - 26] == b"PK\x03\x04":
            struct.pack_into("<I", out, position - 30 + 22, size)
        elif data[position - 46:position - 42] == b"PK\x01\x02":
            struct.pack_into("<I", out, position - 46 + 24, size)
        position += 1
    return bytes(out)


if __name__ == "__main__":
    main()
