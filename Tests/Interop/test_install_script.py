"""Scripts/install.sh: builds the release binary and installs it with its completions under a
prefix; the installed `tubelet` runs on its own (the Swift runtime linked in) and inflates the
sample checkpoint."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO_ROOT

#: A release build from scratch takes minutes on two cores.
BUILD_TIMEOUT = 1800


def install(*arguments: str, environment: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(REPO_ROOT / "Scripts" / "install.sh"), *arguments], capture_output=True, text=True,
                          env={**os.environ, **(environment or {})}, timeout=BUILD_TIMEOUT)


@pytest.fixture(scope="module")
def prefix(tmp_path_factory) -> Path:
    prefix = tmp_path_factory.mktemp("prefix")
    process = install("--prefix", str(prefix))
    assert process.returncode == 0, process.stderr[-3000:]
    assert process.stdout.strip() == f"installed {prefix}/bin/tubelet"
    return prefix


def test_installs_the_binary_and_completions(prefix):
    binary = prefix / "bin" / "tubelet"
    assert os.access(binary, os.X_OK)
    completions = {
        "share/bash-completion/completions/tubelet": "complete",
        "share/zsh/site-functions/_tubelet": "#compdef tubelet",
        "share/fish/vendor_completions.d/tubelet.fish": "complete -c 'tubelet'",
    }
    for path, marker in completions.items():
        text = (prefix / path).read_text()
        assert marker in text and "inflate" in text, path


def test_installs_the_man_page_generated_from_the_help(prefix):
    """tubelet(1) comes from the same definitions as --help: every command, the exit statuses,
    the examples and the options of each command are in it."""
    page = (prefix / "share" / "man" / "man1" / "tubelet.1").read_text()
    assert ".Dt TUBELET 1" in page
    for word in ("inspect", "convert", "inflate", "diff", "schemas", "timesformer", "--max-shard-size",
                 "64 on a usage error", "tubelet inflate ViT-B_16.npz"):
        assert word in page, word


def test_the_installed_binary_needs_no_swift_toolchain(prefix):
    """The Swift runtime and Foundation are linked in, and every library it does need is found."""
    libraries = subprocess.run(["ldd", str(prefix / "bin" / "tubelet")], capture_output=True, text=True, check=True).stdout
    assert "not found" not in libraries, libraries
    assert "libswift" not in libraries and "libFoundation" not in libraries, libraries


def test_the_installed_binary_inflates_the_sample(prefix, tmp_path):
    out = tmp_path / "vivit.npz"
    process = subprocess.run([str(prefix / "bin" / "tubelet"), "inflate", str(REPO_ROOT / "Checkpoints" / "ViT-tiny_16.npz"),
                              "-o", str(out), "--model", "spacetime", "--frames", "8", "--classes", "10"],
                             capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert process.returncode == 0, process.stderr
    with np.load(out) as arrays:
        assert arrays["embedding/kernel"].shape == (2, 16, 16, 3, 64)
        assert arrays["output_projection/kernel"].shape == (64, 10)


def test_prefix_from_the_environment(tmp_path):
    """PREFIX= works as --prefix does (the release build is already there from the fixture)."""
    process = install(environment={"PREFIX": str(tmp_path), "PATH": f"{tmp_path}/bin:{os.environ['PATH']}"})
    assert process.returncode == 0, process.stderr[-3000:]
    assert (tmp_path / "bin" / "tubelet").is_file()
    assert "is not on PATH" not in process.stderr


def test_an_unknown_option_is_a_usage_error():
    process = install("--prefx", "/tmp/x")
    assert process.returncode == 64
    assert "unknown option '--prefx'" in process.stderr
