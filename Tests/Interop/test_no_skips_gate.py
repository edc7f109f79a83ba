"""conftest's TUBELET_NO_SKIPS gate, which CI sets: a skipped test fails the run, whatever
module it waited for. Runs pytest on small test files beside a copy of conftest.py (and the
module it imports)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

from conftest import REPO_ROOT

TESTS = textwrap.dedent("""
    import pytest

    def test_runs():
        pass

    def test_skips():
        pytest.skip("{reason}")
""")


def run_pytest(tmp_path, reason: str, gate: bool) -> subprocess.CompletedProcess:
    for name in ("conftest.py", "torchvision_shim.py"):
        shutil.copy(REPO_ROOT / "Tests" / "Interop" / name, tmp_path / name)
    (tmp_path / "test_sample.py").write_text(TESTS.format(reason=reason))
    environment = {key: value for key, value in os.environ.items() if key != "TUBELET_NO_SKIPS"}
    if gate:
        environment["TUBELET_NO_SKIPS"] = "1"
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                          cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120)


def test_a_skip_fails_the_run_under_the_gate(tmp_path):
    process = run_pytest(tmp_path, "could not import 'torch': No module named 'torch'", gate=True)
    assert process.returncode == 1, process.stdout
    assert "skipped tests fail the run (TUBELET_NO_SKIPS=1)" in process.stdout
    assert "SKIPPED test_sample.py::test_skips: could not import 'torch'" in process.stdout


def test_a_skip_passes_without_the_gate(tmp_path):
    process = run_pytest(tmp_path, "could not import 'torch': No module named 'torch'", gate=False)
    assert process.returncode == 0, process.stdout
    assert "1 passed, 1 skipped" in process.stdout


def test_no_module_is_exempt(tmp_path):
    """timm runs in CI too (torchvision_shim lets it import under the CPU torch)."""
    process = run_pytest(tmp_path, "could not import 'timm': No module named 'timm'", gate=True)
    assert process.returncode != 0, process.stdout
