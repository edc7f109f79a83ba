"""Scripts/package.sh: the wheel installs into a fresh venv outside the repository and its
`tubelet` inflates the sample; the tarball's `bin/tubelet` does the same where it is unpacked;
each binary's libraries resolve to the manylinux allowlist or to files inside the package; the
wheel's platform tag names the newest glibc symbol version its ELF files need."""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO_ROOT

#: What the packaged binary may take from the system: libc, libm, libpthread, libdl, librt,
#: libgcc_s, libstdc++, the loader and the vDSO. Everything else, zlib included (which the
#: manylinux policy would allow), is inside the package.
ALLOWED = {"libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1", "libgcc_s.so.1",
           "libstdc++.so.6", "linux-vdso.so.1", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1"}
SAMPLE = REPO_ROOT / "Checkpoints" / "ViT-tiny_16.npz"


@pytest.fixture(scope="module")
def artefacts() -> tuple[Path, Path]:
    process = subprocess.run([str(REPO_ROOT / "Scripts" / "package.sh")], capture_output=True, text=True,
                             cwd=REPO_ROOT, timeout=3600)
    assert process.returncode == 0, process.stderr[-3000:]
    wheel, tarball = (REPO_ROOT / line for line in process.stdout.split())
    assert wheel.suffix == ".whl" and tarball.name.endswith(".tar.gz"), process.stdout
    return wheel, tarball


def assert_self_contained(binary: Path, package: Path) -> None:
    """Every library ldd resolves is on the allowlist or a file inside `package`."""
    process = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, check=True)
    assert "not found" not in process.stdout, process.stdout
    for line in process.stdout.splitlines():
        name, _, resolved = line.strip().partition(" => ")
        name = Path(name.split()[0]).name  # the loader is listed by its path
        path = Path(resolved.split(" (")[0]) if resolved else None
        inside = path is not None and path.resolve().is_relative_to(package.resolve())
        assert name in ALLOWED or inside, f"{name} => {resolved}"


def inflate_with(binary: Path, tmp_path: Path) -> None:
    out = tmp_path / "vivit.npz"
    process = subprocess.run([str(binary), "inflate", str(SAMPLE), "-o", str(out), "--model", "spacetime",
                              "--frames", "8", "--classes", "10"], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert process.returncode == 0, process.stderr
    with np.load(out) as arrays:
        assert arrays["embedding/kernel"].shape == (2, 16, 16, 3, 64)
        assert arrays["output_projection/kernel"].shape == (64, 10)


def test_the_wheel_installs_in_a_fresh_venv_and_inflates_the_sample(artefacts, tmp_path):
    wheel, _ = artefacts
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "--no-index", "--no-deps", str(wheel)],
                   check=True, timeout=300, cwd=tmp_path)
    version = subprocess.run([str(venv / "bin" / "tubelet"), "--version"], capture_output=True, text=True, check=True)
    assert wheel.name.startswith(f"tubelet-{version.stdout.strip()}-py3-none-manylinux_")
    inflate_with(venv / "bin" / "tubelet", tmp_path)
    site_packages = next(venv.glob("lib/python3*/site-packages"))
    assert_self_contained(site_packages / "tubelet.scripts" / "tubelet", site_packages)


def test_the_tag_names_the_glibc_the_files_need(artefacts, tmp_path):
    wheel, _ = artefacts
    tag = re.search(r"manylinux_(\d+)_(\d+)_", wheel.name)
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(tmp_path)
    needed = set()
    for path in [tmp_path / "tubelet.scripts" / "tubelet", *(tmp_path / "tubelet.libs").iterdir()]:
        versions = subprocess.run(["readelf", "-V", "-W", str(path)], capture_output=True, text=True, check=True).stdout
        needed |= {tuple(map(int, match)) for match in re.findall(r"Name: GLIBC_(\d+)\.(\d+)", versions)}
    assert (int(tag[1]), int(tag[2])) == max(needed)


def test_the_tarball_runs_where_it_is_unpacked(artefacts, tmp_path):
    _, tarball = artefacts
    with tarfile.open(tarball) as archive:
        archive.extractall(tmp_path, filter="tar")
    (root,) = tmp_path.iterdir()
    inflate_with(root / "bin" / "tubelet", tmp_path)
    assert_self_contained(root / "bin" / "tubelet", root)
    assert ".Dt TUBELET 1" in (root / "share" / "man" / "man1" / "tubelet.1").read_text()
    for path in ["share/bash-completion/completions/tubelet", "share/zsh/site-functions/_tubelet",
                 "share/fish/vendor_completions.d/tubelet.fish"]:
        assert "inflate" in (root / path).read_text(), path
