"""Writes the malformed .npy/.npz fixtures of Tests/tubeletTests/MalformedInputTests.swift
into this folder. Run from the repository root:

    .venv/bin/python Tests/Fixtures/malformed/make_malformed.py

Each file is tiny and named after the case it exercises; README.md in this folder says what is
wrong with each one and which error Tubelet must give. The output is deterministic: headers are
written byte by byte, zip members carry a fixed timestamp (1980-01-01 00:00:00) and fixed
attributes, and nothing random is used, so running the script again rewrites identical files
(DEFLATE output comes from zlib and is stable across its releases). Needs numpy (for the
object-array fixture only), zipfile and struct.

Most corruptions of .npz archives are made at byte level after zipfile has written a valid
archive: the CRC, sizes and flags of a member are patched in both its local header and its
central-directory entry, so that only the corruption the case is about is present.
"""

import io
import struct
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
MAGIC = b"\x93NUMPY"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


# MARK: - .npy building blocks


def header_text(descr="'<f4'", fortran="False", shape="(2, 3)", extra="") -> str:
    """The dict literal np.save writes, with any part replaced by raw Python text."""
    return f"{{'descr': {descr}, 'fortran_order': {fortran}, 'shape': {shape}, {extra}}}"


def npy(text, data=b"", version=(1, 0), declared_length=None) -> bytes:
    """An .npy file: magic, version, header length, the header padded with spaces to a
    64-byte boundary and ended by a newline (as np.save does), then `data`.
    `declared_length` overrides the header length field."""
    body = text.encode("latin-1") if isinstance(text, str) else text
    length_size = 2 if version[0] == 1 else 4
    prefix = 6 + 2 + length_size
    padding = (-(prefix + len(body) + 1)) % 64
    body = body + b" " * padding + b"\n"
    length = len(body) if declared_length is None else declared_length
    packed = struct.pack("<H" if length_size == 2 else "<I", length)
    return MAGIC + bytes(version) + packed + body + data


def f32(count: int) -> bytes:
    """`count` little-endian float32 values 0, 1, 2, …"""
    return struct.pack(f"<{count}f", *range(count))


def good_npy(shape=(2, 3)) -> bytes:
    count = int(np.prod(shape))
    shape_text = f"({shape[0]},)" if len(shape) == 1 else "(" + ", ".join(map(str, shape)) + ")"
    return npy(header_text(shape=shape_text), f32(count))


# MARK: - .npz building blocks


def zip_archive(members, compression=zipfile.ZIP_STORED) -> bytes:
    """A zip with `members` [(name, bytes) or (name, bytes, compression)], each with a fixed
    timestamp and attributes, written as numpy's savez writes them."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Duplicate name" is the point of one fixture
        with zipfile.ZipFile(buffer, "w") as archive:
            for member in members:
                name, data = member[0], member[1]
                method = member[2] if len(member) > 2 else compression
                info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
                info.create_system = 3
                info.external_attr = 0o600 << 16
                info.compress_type = method
                archive.writestr(info, data)
    return buffer.getvalue()


def zip_entries(archive: bytes):
    """(central-directory offset, local-header offset, name) of every member."""
    eocd = archive.rindex(b"PK\x05\x06")
    count, _, cd_offset = struct.unpack_from("<HII", archive, eocd + 10)
    entries, offset = [], cd_offset
    for _ in range(count):
        assert archive[offset:offset + 4] == b"PK\x01\x02"
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", archive, offset + 28)
        (local,) = struct.unpack_from("<I", archive, offset + 42)
        name = archive[offset + 46:offset + 46 + name_length].decode()
        entries.append((offset, local, name))
        offset += 46 + name_length + extra_length + comment_length
    return entries


def patch_member(archive: bytes, name: str, *, crc=None, compressed=None, size=None, flags=None) -> bytes:
    """Rewrites fields of member `name` in its local header and central-directory entry."""
    data = bytearray(archive)
    for central, local, member in zip_entries(archive):
        if member != name:
            continue
        for base, flag_at, crc_at in ((local, 6, 14), (central, 8, 16)):
            if flags is not None:
                struct.pack_into("<H", data, base + flag_at, flags)
            if crc is not None:
                struct.pack_into("<I", data, base + crc_at, crc)
            if compressed is not None:
                struct.pack_into("<I", data, base + crc_at + 4, compressed)
            if size is not None:
                struct.pack_into("<I", data, base + crc_at + 8, size)
        return bytes(data)
    raise KeyError(name)


def member_data_offset(archive: bytes, name: str) -> int:
    """Offset of member `name`'s (compressed) bytes in the archive."""
    for _, local, member in zip_entries(archive):
        if member == name:
            name_length, extra_length = struct.unpack_from("<HH", archive, local + 26)
            return local + 30 + name_length + extra_length
    raise KeyError(name)


def deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def raw_zip(name: str, on_disk: bytes, *, method: int, crc: int, compressed: int, size: int) -> bytes:
    """A one-member zip written by hand, for sizes zipfile refuses to write: the member's
    bytes are `on_disk`, but its headers declare `compressed` and `size` (in a zip64 extra
    field in both headers, so any 64-bit size can be declared)."""
    encoded = name.encode()
    zip64 = struct.pack("<HHQQ", 0x0001, 16, size, compressed)
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, method, 0, 0x0021, crc,
                        0xFFFFFFFF, 0xFFFFFFFF, len(encoded), len(zip64)) + encoded + zip64
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0x031E, 45, 0, method, 0, 0x0021, crc,
                          0xFFFFFFFF, 0xFFFFFFFF, len(encoded), len(zip64), 0, 0, 0, 0o600 << 16, 0)
    central += encoded + zip64
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(local) + len(on_disk), 0)
    return local + on_disk + central + end


def npy_exact_header(text: str, length: int, data: bytes) -> bytes:
    """A version 1.0 .npy whose header (text, spaces, newline) is exactly `length` bytes."""
    body = text.encode("latin-1")
    body = body + b" " * (length - len(body) - 1) + b"\n"
    return MAGIC + b"\x01\x00" + struct.pack("<H", length) + body + data


def raw_zip_local_offset(name: str, content: bytes, local_offset: int) -> bytes:
    """A one-member stored zip whose central directory puts the member's local header at
    `local_offset` (in a zip64 extra field, so any 64-bit offset can be declared)."""
    encoded = name.encode()
    crc = zlib.crc32(content)
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0x0021, crc,
                        len(content), len(content), len(encoded), 0) + encoded
    zip64 = struct.pack("<HHQ", 0x0001, 8, local_offset)
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0x031E, 45, 0, 0, 0, 0x0021, crc,
                          len(content), len(content), len(encoded), len(zip64), 0, 0, 0, 0o600 << 16, 0xFFFFFFFF)
    central += encoded + zip64
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(local) + len(content), 0)
    return local + content + central + end


def zip64_end_claiming(archive: bytes, count: int) -> bytes:
    """`archive` with its end record saturated and a zip64 end record (and locator) before it
    that claims `count` members in the same central directory."""
    eocd = archive.rindex(b"PK\x05\x06")
    size, offset = struct.unpack_from("<II", archive, eocd + 12)
    record = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count, size, offset)
    locator = struct.pack("<IIQI", 0x07064B50, 0, eocd, 1)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, size, 0xFFFFFFFF, 0)
    return archive[:eocd] + record + locator + end


def deflated_member(name: str, content: bytes, declared_size: int) -> bytes:
    """An archive with one deflated member `name` whose real content is `content` but whose
    headers declare `declared_size` bytes (CRC of the real content)."""
    archive = zip_archive([(name, content)], zipfile.ZIP_DEFLATED)
    return patch_member(archive, name, size=declared_size)


# MARK: - The fixtures


def fixtures() -> dict[str, bytes]:
    files: dict[str, bytes] = {}

    # --- valid inputs for the invocation cases ---
    files["valid-single.npy"] = good_npy((2, 3))
    files["valid-multi.npz"] = zip_archive([("a.npy", good_npy((2,))), ("b.npy", good_npy((3,)))])

    # --- .npy: preamble ---
    files["npy-empty.npy"] = b""
    files["npy-bad-magic.npy"] = b"\x93NUMPX" + npy(header_text(), f32(6))[6:]
    files["npy-truncated-preamble.npy"] = MAGIC + b"\x01"
    files["npy-version-1.1.npy"] = npy(header_text(), f32(6), version=(1, 1))
    files["npy-version-4.0.npy"] = npy(header_text(), f32(6), version=(4, 0))
    files["npy-header-length-past-eof.npy"] = npy(header_text(), f32(6), declared_length=5000)
    # A valid array whose header is padded with spaces to just over numpy's 10000-byte cap.
    files["npy-header-over-cap.npy"] = npy(header_text(shape="(2,)") + " " * 10_050, f32(2))
    # Headers of exactly numpy's cap (read: numpy refuses only a longer one) and one byte over.
    files["npy-header-at-cap.npy"] = npy_exact_header(header_text(shape="(2,)"), 10_000, f32(2))
    files["npy-header-one-past-cap.npy"] = npy_exact_header(header_text(shape="(2,)"), 10_001, f32(2))
    # Truncations inside the header-length field (version 1 and 2) and inside the header text.
    files["npy-truncated-length-field.npy"] = MAGIC + b"\x01\x00\x76"
    files["npy-v2-truncated-length-field.npy"] = MAGIC + b"\x02\x00\x76\x00"
    files["npy-truncated-header-text.npy"] = good_npy((2, 3))[:40]

    # --- .npy: header literal ---
    files["npy-header-call-expression.npy"] = npy(header_text(descr="__import__('os').system('true')"), f32(6))
    files["npy-header-not-dict.npy"] = npy("('<f4', False, (2, 3))", f32(6))
    files["npy-header-unterminated.npy"] = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)", f32(6))
    files["npy-header-duplicate-key.npy"] = npy(header_text(extra="'shape': (6,), "), f32(6))
    files["npy-header-deep-nesting.npy"] = npy(header_text(shape="(" * 100 + "1," + ")" * 100), f32(1))
    files["npy-header-v3-invalid-utf8.npy"] = npy(header_text(descr="'<f4\xff'").encode("latin-1"), f32(6), version=(3, 0))
    files["npy-missing-key.npy"] = npy("{'descr': '<f4', 'shape': (2, 3), }", f32(6))
    files["npy-extra-key.npy"] = npy(header_text(extra="'order': 'C', "), f32(6))

    # --- .npy: shape, fortran_order, descr ---
    files["npy-negative-dimension.npy"] = npy(header_text(shape="(-1, 3)"), f32(6))
    files["npy-bool-in-shape.npy"] = npy(header_text(shape="(True, 3)"), f32(3))
    files["npy-shape-list.npy"] = npy(header_text(shape="[2, 3]"), f32(6))
    files["npy-shape-integer-too-large.npy"] = npy(header_text(shape="(99999999999999999999999,)"), f32(6))
    files["npy-rank-over-limit.npy"] = npy(header_text(shape="(" + "1, " * 65 + ")"), f32(1))
    files["npy-fortran-order-int.npy"] = npy(header_text(fortran="0"), f32(6))
    files["npy-descr-not-string.npy"] = npy(header_text(descr="4"), f32(6))
    object_array = np.empty(2, dtype=object)
    object_array[0], object_array[1] = 1, "two"
    buffer = io.BytesIO()
    np.save(buffer, object_array, allow_pickle=True)
    files["npy-object-pickle.npy"] = buffer.getvalue()
    files["npy-structured-dtype.npy"] = npy(header_text(descr="[('x', '<f4'), ('y', '<f4')]", shape="(3,)"), f32(6))
    files["npy-complex64.npy"] = npy(header_text(descr="'<c8'", shape="(3,)"), f32(6))
    files["npy-float8-f1.npy"] = npy(header_text(descr="'<f1'", shape="(4,)"), bytes(4))
    files["npy-unicode.npy"] = npy(header_text(descr="'<U2'", shape="(2,)"), "abcd".encode("utf-32-le"))
    files["npy-v2-bfloat16.npy"] = npy(header_text(descr="'<V2'", shape="(3,)"), bytes.fromhex("803f0040 4040"))

    # --- .npy: data against shape ---
    files["npy-truncated-data.npy"] = npy(header_text(), f32(4))
    files["npy-trailing-bytes.npy"] = npy(header_text(), f32(6) + b"trailing")
    files["npy-shape-overflow.npy"] = npy(header_text(shape=f"({2**62}, {2**62})"), f32(1))
    files["npy-shape-terabytes.npy"] = npy(header_text(shape="(1000000, 1000000)"), f32(4))

    # --- .npz: the archive itself ---
    two_members = zip_archive([("a.npy", good_npy((8,))), ("b.npy", good_npy((8,)))])
    files["npz-truncated-middle.npz"] = two_members[: len(two_members) // 2]
    first_central = min(central for central, _, _ in zip_entries(two_members))
    files["npz-no-central-directory.npz"] = two_members[:first_central]
    files["npz-not-a-zip.npz"] = b"this is not a zip archive, only text named .npz\n"
    files["npz-zip-signature-garbage.npz"] = b"PK\x03\x04" + bytes(range(60))
    one_member = zip_archive([("weights.npy", good_npy((8,)))])
    end = bytearray(one_member)
    struct.pack_into("<HH", end, one_member.rindex(b"PK\x05\x06") + 8, 3, 3)  # lists 3 members, holds 1
    files["npz-entry-count-inconsistent.npz"] = bytes(end)
    (central, _, _), = zip_entries(one_member)
    offset = bytearray(one_member)
    struct.pack_into("<I", offset, central + 42, 1_000_000)  # local header "at" 1 MB into a 300-byte file
    files["npz-member-offset-past-eof.npz"] = bytes(offset)
    # Truncations at the other structural boundaries: inside the first local header, inside
    # a central-directory entry, inside the end-of-central-directory record.
    files["npz-truncated-local-header.npz"] = one_member[:20]
    second_central = max(central for central, _, _ in zip_entries(two_members))
    files["npz-truncated-central-directory.npz"] = two_members[:second_central + 30]
    files["npz-truncated-end-record.npz"] = one_member[:-10]
    # zip64 fields out of range: a local-header offset of 2**62, and an end record that
    # sends readers to a zip64 record claiming 2**40 members.
    files["npz-zip64-offset-out-of-range.npz"] = raw_zip_local_offset("weights.npy", good_npy((8,)), 2**62)
    files["npz-zip64-count-huge.npz"] = zip64_end_claiming(one_member, 2**40)

    # --- .npz: member bytes against the member's headers ---
    stored = zip_archive([("weights.npy", good_npy((8,)))])
    # The first member is intact, so `convert` has written it before it meets the second.
    corrupt = bytearray(zip_archive([("a.npy", good_npy((8,))), ("weights.npy", good_npy((8,)))]))
    corrupt[member_data_offset(bytes(corrupt), "weights.npy") + len(good_npy((8,))) - 1] ^= 0x40
    files["npz-crc-mismatch.npz"] = bytes(corrupt)

    # Real content: a (4,) float32 array plus 48 more bytes; the zip headers declare only the
    # array (header + 16 bytes), so the npy header agrees with the declared size but the
    # DEFLATE stream goes on past it.
    declared = npy(header_text(shape="(4,)"), f32(4))
    files["npz-size-understated.npz"] = deflated_member("weights.npy", declared + bytes(48), len(declared))
    # The reverse: the headers declare (and the npy header agrees with) 16 more bytes than
    # the DEFLATE stream holds.
    claimed = npy(header_text(shape="(8,)"), f32(8))
    files["npz-size-overstated.npz"] = deflated_member("weights.npy", claimed[:-16], len(claimed))
    files["npz-stored-size-mismatch.npz"] = patch_member(stored, "weights.npy", size=len(good_npy((8,))) + 64)
    files["npz-shape-size-mismatch.npz"] = zip_archive([("weights.npy", npy(header_text(shape="(10,)"), f32(4)))])
    files["npz-member-header-past-end.npz"] = zip_archive(
        [("weights.npy", npy(header_text(shape="(4,)"), f32(4), declared_length=4000))])
    bomb = zip_archive([("weights.npy", npy(header_text(shape="(16,)"), bytes(64)))], zipfile.ZIP_DEFLATED)
    files["npz-zip-bomb-claim.npz"] = patch_member(bomb, "weights.npy", size=4_000_000_064)
    # A real bomb in miniature: 4 MiB of zeros deflated to 4 kB (about 1000 : 1, as much as
    # DEFLATE gives). Read with the default limits; refused with a lower
    # --max-decompressed-bytes (absolute size) or --max-expansion-ratio (ratio).
    zeros = npy(header_text(shape=f"({1 << 20},)"), bytes(4 << 20))
    files["npz-bomb-4mib-zeros.npz"] = zip_archive([("weights.npy", zeros)], zipfile.ZIP_DEFLATED)
    # Members whose headers claim far more bytes than the archive holds, with an npy header
    # that agrees with the claim: 32 TiB of float32 in an archive of a few hundred bytes.
    huge = 2**45
    huge_header = npy(header_text(shape=f"({huge // 4},)"))
    huge_start = huge_header + f32(4)
    files["npz-zip64-stored-size-past-eof.npz"] = raw_zip(
        "weights.npy", huge_start, method=zipfile.ZIP_STORED, crc=zlib.crc32(huge_start),
        compressed=len(huge_header) + huge, size=len(huge_header) + huge)
    # The same claim for a deflated member, whose compressed size (64 GiB) is also a lie
    # but keeps the claimed size within DEFLATE's 1032:1 ratio.
    files["npz-zip64-deflate-size-past-eof.npz"] = raw_zip(
        "weights.npy", deflate(huge_start), method=zipfile.ZIP_DEFLATED, crc=zlib.crc32(huge_start),
        compressed=2**36, size=len(huge_header) + huge)
    # Without zip64: a stored member claiming 4 GB (header agrees) in an archive of 300 bytes.
    four_gb = 0xFFFF_FF00
    claim = npy(header_text(shape=f"({four_gb // 4},)"))
    files["npz-stored-size-past-eof.npz"] = patch_member(
        zip_archive([("weights.npy", claim + f32(4))]), "weights.npy",
        compressed=len(claim) + four_gb, size=len(claim) + four_gb)

    # --- .npz: members Tubelet does not read ---
    files["npz-bzip2-member.npz"] = zip_archive([("weights.npy", good_npy((4,)))], zipfile.ZIP_BZIP2)
    files["npz-encrypted-member.npz"] = patch_member(stored, "weights.npy", flags=0x0001)
    files["npz-duplicate-member.npz"] = zip_archive([("weights.npy", good_npy((4,))), ("weights.npy", good_npy((2,)))])
    files["npz-member-bad-header.npz"] = zip_archive([
        ("good.npy", good_npy((4,))),
        ("weights.npy", npy(header_text(descr="__import__('os')"), f32(6))),
    ])
    files["npz-member-empty.npz"] = zip_archive([("weights.npy", b"")])
    files["npz-member-not-npy.npz"] = zip_archive([("weights.npy", b"just some bytes, not an array\n")])
    files["npz-member-v2-bfloat16.npz"] = zip_archive([("weights.npy", files["npy-v2-bfloat16.npy"])])
    # Found by the zip-directory fuzzer: a version 1.0 header whose text (1 byte) ends inside
    # the 12 preamble bytes the reader had already taken; it computed a negative read and trapped.
    files["npz-member-header-inside-preamble.npz"] = zip_archive(
        [("weights.npy", MAGIC + b"\x01\x00\x01\x00\n" + f32(2))])
    return files


def main() -> None:
    written = fixtures()
    for name, data in sorted(written.items()):
        (HERE / name).write_bytes(data)
    stale = sorted(p.name for p in HERE.iterdir() if p.suffix in (".npy", ".npz") and p.name not in written)
    for name in stale:
        print(f"note: {name} is no longer generated; delete it")
    print(f"wrote {len(written)} fixtures to {HERE}")


if __name__ == "__main__":
    main()
