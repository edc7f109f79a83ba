"""Writes a wheel that carries one executable, as ruff and uv ship theirs: the binary goes into
`tubelet-VERSION.data/scripts/`, which pip installs onto the venv's bin/ (PATH). Used by
Scripts/package.sh, which then has auditwheel put the shared libraries it needs inside the
wheel and give it its manylinux tag.

    python3 Scripts/make_wheel.py BINARY VERSION OUT_DIR   # prints the wheel's path

The tag written here is the plain `py3-none-linux_ARCH`: the binary does not use Python, and
the platform tag is auditwheel's to name.
"""

from __future__ import annotations

import base64
import hashlib
import platform
import sys
import zipfile
from pathlib import Path

NAME = "tubelet"
SUMMARY = "Inspect and convert ViT weight files, and inflate them into ViViT checkpoints."


def record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def main(binary: Path, version: str, out_dir: Path) -> Path:
    tag = f"py3-none-linux_{platform.machine()}"
    dist_info = f"{NAME}-{version}.dist-info"
    files: list[tuple[str, bytes, int]] = [
        (f"{NAME}-{version}.data/scripts/{NAME}", binary.read_bytes(), 0o755),
        (f"{dist_info}/METADATA", (
            f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {version}\nSummary: {SUMMARY}\n"
            "Requires-Python: >=3.8\n").encode(), 0o644),
        (f"{dist_info}/WHEEL", (
            f"Wheel-Version: 1.0\nGenerator: tubelet Scripts/make_wheel.py\nRoot-Is-Purelib: false\nTag: {tag}\n").encode(), 0o644),
    ]
    record = "\n".join([record_line(path, data) for path, data, _ in files] + [f"{dist_info}/RECORD,,", ""])
    files.append((f"{dist_info}/RECORD", record.encode(), 0o644))

    out_dir.mkdir(parents=True, exist_ok=True)
    wheel = out_dir / f"{NAME}-{version}-{tag}.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data, mode in files:
            info = zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = (0o100000 | mode) << 16  # a regular file with its mode, as unzip and pip read it
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return wheel


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: make_wheel.py BINARY VERSION OUT_DIR")
    print(main(Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])))
