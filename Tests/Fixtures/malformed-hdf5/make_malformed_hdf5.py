"""Writes the malformed HDF5 / Keras fixtures of Tests/tubeletTests/MalformedHDF5Tests.swift
into this folder. Run from the repository root with a Python that has numpy, h5py >= 3.16
(which bundles HDF5 2.0, needed for the libver='latest' case) and hdf5plugin (for the blosc
case); a case whose requirement is missing is skipped with a note, keeping its old file:

    python Tests/Fixtures/malformed-hdf5/make_malformed_hdf5.py

Each file is tiny and named after the case it exercises; README.md in this folder says what
is wrong with each and which error Tubelet must give. Most are valid HDF5 that Tubelet
refuses for a reason (a filter this libhdf5 lacks, a type that is no tensor, a Keras weight
list naming a missing dataset); the rest are corrupted at byte level after h5py wrote a valid
file. h5py writes no timestamps, so the output is the same on every run with the same h5py
(the bytes depend on the HDF5 version h5py bundles; the cases do not).
"""

import io
import struct
import zipfile
import zlib
from pathlib import Path

import h5py
import numpy as np

HERE = Path(__file__).resolve().parent
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def weights() -> np.ndarray:
    """A (16, 16) float32 array 0, 1, 2, …"""
    return np.arange(256, dtype="<f4").reshape(16, 16)


def write(name: str, build) -> None:
    """Writes HERE/name with h5py, calling build(file)."""
    path = HERE / name
    with h5py.File(path, "w") as file:
        build(file)
    print("wrote", path)


def patch(name: str, transform) -> None:
    """Rewrites HERE/name as transform(its bytes)."""
    path = HERE / name
    path.write_bytes(transform(path.read_bytes()))


# MARK: - Files that are not (whole) HDF5


def truncated() -> None:
    write("h5-truncated.h5", lambda f: f.create_dataset("weights", data=weights()))
    patch("h5-truncated.h5", lambda data: data[: len(data) // 2])


def bad_superblock() -> None:
    signature = b"\x89HDF\r\n\x1a\n"
    (HERE / "h5-bad-superblock.h5").write_bytes(signature + bytes(range(7, 255)) * 4)
    print("wrote", HERE / "h5-bad-superblock.h5")


def not_hdf5() -> None:
    (HERE / "h5-not-hdf5.h5").write_bytes(b"this is a text file named like an HDF5 file\n")
    print("wrote", HERE / "h5-not-hdf5.h5")


# MARK: - Filters this libhdf5 lacks


def lzf() -> None:
    write("h5-lzf-filter.h5", lambda f: f.create_dataset("weights", data=weights(), compression="lzf"))


def blosc() -> None:
    try:
        import hdf5plugin
    except ImportError:
        print("skipped h5-blosc-filter.h5: hdf5plugin is not installed (pip install hdf5plugin)")
        return
    write("h5-blosc-filter.h5", lambda f: f.create_dataset("weights", data=weights(), **hdf5plugin.Blosc()))


# MARK: - Datasets that are not tensors


def compound() -> None:
    record = np.dtype([("x", "<f4"), ("y", "<i4")])
    write("h5-compound.h5", lambda f: f.create_dataset("points", data=np.zeros(3, record)))


def vlen_integers() -> None:
    def build(f):
        dataset = f.create_dataset("ragged", (2,), dtype=h5py.vlen_dtype(np.dtype("<i4")))
        dataset[0] = [1, 2, 3]
        dataset[1] = [4]
    write("h5-vlen-int.h5", build)


def string_dataset() -> None:
    write("h5-string-dataset.h5", lambda f: f.create_dataset("labels", data=np.array([b"cat", b"dog"])))


def opaque_two_byte() -> None:
    data = np.arange(4, dtype="<u2").view("V2")
    write("h5-opaque-2byte.h5", lambda f: f.create_dataset("weights", data=data))


def enum_not_bool() -> None:
    kind = h5py.enum_dtype({"RED": 0, "GREEN": 1, "BLUE": 2}, basetype="i1")
    write("h5-enum-not-bool.h5", lambda f: f.create_dataset("colours", data=np.array([0, 1, 2], "i1"), dtype=kind))


def float8() -> None:
    """A 1-byte float (E4M3-like fields), valid HDF5 no numpy dtype matches."""
    def build(f):
        kind = h5py.h5t.IEEE_F32LE.copy()
        kind.set_fields(7, 3, 4, 0, 3)
        kind.set_offset(0)
        kind.set_precision(8)
        kind.set_size(1)
        kind.set_ebias(7)
        space = h5py.h5s.create_simple((4,))
        creation = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        creation.set_obj_track_times(False)  # as h5py's high-level API, for reproducible bytes
        h5py.h5d.create(f.id, b"weights", kind, space, dcpl=creation).write(
            h5py.h5s.ALL, h5py.h5s.ALL, np.array([0x38, 0x40, 0x44, 0x48], "u1"), mtype=kind)
    write("h5-float8.h5", build)


def null_dataspace() -> None:
    write("h5-null-dataspace.h5", lambda f: f.create_dataset("nothing", data=h5py.Empty("<f4")))


def external_storage() -> None:
    raw = HERE / "h5-external-storage.raw"
    write("h5-external-storage.h5",
          lambda f: f.create_dataset("weights", (16,), "<f4", external=[(raw.name, 0, 64)]))
    raw.unlink(missing_ok=True)  # the file is refused before its raw data would be looked for


def newer_layout() -> None:
    """A gzip-compressed chunked dataset written with libver='latest' by HDF5 2.0: its layout
    message has a version libhdf5 1.10 cannot decode. (Unfiltered chunked datasets, and
    anything written by HDF5 1.14 with 'latest', still read in 1.10.)"""
    path = HERE / "h5-libver-latest-chunked.h5"
    if h5py.version.hdf5_version_tuple < (2, 0, 0):
        print(f"skipped {path.name}: needs h5py built with HDF5 >= 2.0 (h5py >= 3.16), this one has {h5py.version.hdf5_version}")
        return
    with h5py.File(path, "w", libver="latest") as f:
        f.create_dataset("weights", data=weights(), chunks=(4, 4), compression="gzip")
    print("wrote", path)


def huge_unwritten() -> None:
    """A 40 GB float32 dataset that stores nothing: created, never written."""
    write("h5-huge-unwritten.h5", lambda f: f.create_dataset("weights", (100_000, 100_000), "<f4", chunks=(1000, 1000)))


def contiguous_past_eof() -> None:
    """A contiguous dataset whose layout message puts its data 1 GiB into a 2 kB file."""
    name = "h5-contiguous-offset-past-eof.h5"
    offsets = {}

    def build(f):
        dataset = f.create_dataset("weights", data=weights())
        f.flush()
        offsets["data"] = dataset.id.get_offset()

    write(name, build)
    needle = struct.pack("<QQ", offsets["data"], weights().nbytes)

    def move(data: bytes) -> bytes:
        assert data.count(needle) == 1, "the layout message's address and size were not found exactly once"
        return data.replace(needle, struct.pack("<QQ", 1 << 30, weights().nbytes))

    patch(name, move)


# MARK: - Keras 2 weight lists


def keras2_file(f, weight_names=None, layer_names=None, datasets=None) -> None:
    """A tf.keras save_weights layout: root layer_names, a 'dense' group with weight_names, its
    datasets at dense/<weight name> (strings as h5py 3 writes Keras's lists: vlen ASCII)."""
    f.attrs["layer_names"] = np.array(layer_names or [b"dense"], dtype=h5py.string_dtype("ascii"))
    f.attrs["backend"] = "tensorflow"
    f.attrs["keras_version"] = "2.21.0"
    group = f.create_group("dense")
    names = weight_names if weight_names is not None else [b"dense/kernel:0", b"dense/bias:0"]
    if isinstance(names, list):
        names = np.array(names, dtype=h5py.string_dtype("ascii"))
    group.attrs["weight_names"] = names
    for name in datasets if datasets is not None else ["dense/kernel:0", "dense/bias:0"]:
        group.create_dataset(name, data=weights()[:4, :4] if "kernel" in name else weights()[0, :4])


def keras2_missing_weight() -> None:
    write("keras2-missing-weight.h5", lambda f: keras2_file(f, datasets=["dense/bias:0"]))


def keras2_missing_layer() -> None:
    write("keras2-missing-layer.h5", lambda f: keras2_file(f, layer_names=[b"dense", b"ln"]))


def keras2_weight_names_integers() -> None:
    write("keras2-weight-names-int.h5", lambda f: keras2_file(f, weight_names=np.array([1, 2], "<i8")))


# MARK: - .keras archives


def keras_archive(name: str, members: dict[str, bytes], corrupt_crc: bool = False) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for member, data in members.items():
            info = zipfile.ZipInfo(member, date_time=ZIP_DATE)
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    data = buffer.getvalue()
    if corrupt_crc:
        member = members["model.weights.h5"]
        good = struct.pack("<I", zlib.crc32(member))
        bad = struct.pack("<I", zlib.crc32(member) ^ 0xFFFFFFFF)
        assert data.count(good) == 2, "the CRC was not found in exactly the local and central headers"
        data = data.replace(good, bad)
    (HERE / name).write_bytes(data)
    print("wrote", HERE / name)


def keras_members(weights_h5: bytes) -> dict[str, bytes]:
    return {
        "metadata.json": b'{"keras_version": "3.15.1", "date_saved": "1980-01-01@00:00:00"}',
        "config.json": b'{"module": "keras", "class_name": "Sequential", "config": {}}',
        "model.weights.h5": weights_h5,
    }


def small_keras3_weights() -> bytes:
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        f.create_dataset("layers/dense/vars/0", data=weights()[:4, :4])
        f.create_dataset("layers/dense/vars/1", data=weights()[0, :4])
        f["layers/dense/vars"].attrs["name"] = "dense"
        f.create_group("vars").attrs["name"] = "sequential"
    return buffer.getvalue()


def keras_member_not_hdf5() -> None:
    keras_archive("keras-member-not-hdf5.keras", keras_members(b"\x89HDF\r\n\x1a\n" + b"not really HDF5 " * 64))


def keras_member_crc() -> None:
    keras_archive("keras-member-crc-mismatch.keras", keras_members(small_keras3_weights()), corrupt_crc=True)


def keras_valid() -> None:
    keras_archive("valid-keras3.keras", keras_members(small_keras3_weights()))


# MARK: - Data that only reading finds bad


def corrupt_gzip_chunk() -> None:
    name = "h5-corrupt-gzip-chunk.h5"
    chunk = {}

    def build(f):
        dataset = f.create_dataset("weights", data=weights(), chunks=(16, 16), compression="gzip")
        f.flush()
        info = dataset.id.get_chunk_info(0)
        chunk["offset"], chunk["size"] = info.byte_offset, info.size

    write(name, build)
    start, size = chunk["offset"], chunk["size"]
    patch(name, lambda data: data[:start + 2] + bytes([0xFF]) * (size - 2) + data[start + size:])


# MARK: - Links that loop (controls: read, each object once, within seconds)


def hard_link_cycle() -> None:
    """`a/b/loop` is a hard link back to `a`: an infinite path, one dataset."""
    def build(f):
        f.create_group("a/b")
        f["a"].create_dataset("w", data=weights())
        f["a/b/loop"] = f["a"]
    write("h5-hard-link-cycle.h5", build)


def soft_link_cycle() -> None:
    """`s1` and `s2` are soft links to each other, beside one dataset."""
    def build(f):
        f.create_dataset("w", data=weights())
        f["s1"] = h5py.SoftLink("/s2")
        f["s2"] = h5py.SoftLink("/s1")
    write("h5-soft-link-cycle.h5", build)


# MARK: - Valid inputs (controls)


def valid() -> None:
    write("valid-every-kind.h5", lambda f: (
        f.create_dataset("weights", data=weights()),
        f.create_dataset("compressed", data=weights(), chunks=(4, 16), compression="gzip", shuffle=True),
    ))


if __name__ == "__main__":
    for make in [truncated, bad_superblock, not_hdf5, lzf, blosc, compound, vlen_integers, string_dataset,
                 opaque_two_byte, enum_not_bool, float8, null_dataspace, external_storage, newer_layout,
                 huge_unwritten, contiguous_past_eof, keras2_missing_weight, keras2_missing_layer,
                 keras2_weight_names_integers, keras_member_not_hdf5, keras_member_crc, keras_valid,
                 corrupt_gzip_chunk, hard_link_cycle, soft_link_cycle, valid]:
        make()
