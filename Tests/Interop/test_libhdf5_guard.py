"""CrashGuard's time limit on libhdf5: on a file where libhdf5 1.10.8 loops forever (found by
the hdf5-reader fuzz target, Tests/Fixtures/malformed-hdf5/h5-libhdf5-hang-global-heap.h5),
`tubelet` must still end with exit status 1, one `Error: FILE: …` line and no output once a
libhdf5 call has run longer than TUBELET_LIBHDF5_TIMEOUT seconds. (The crash cases are in
Tests/tubeletTests/MalformedHDF5Tests.swift; this one needs the variable set for one process.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest

from conftest import REPO_ROOT, tubelet_binary

HANG = REPO_ROOT / "Tests" / "Fixtures" / "malformed-hdf5" / "h5-libhdf5-hang-global-heap.h5"


@pytest.mark.parametrize("command", ["inspect", "convert"])
def test_a_looping_libhdf5_call_is_ended_with_a_message(tmp_path, command):
    source = tmp_path / "input" / HANG.name
    source.parent.mkdir()
    shutil.copy(HANG, source)
    out = tmp_path / "output"
    out.mkdir()
    argv = [str(tubelet_binary()), command, str(source)] + ([str(out / "out.npz")] if command == "convert" else [])
    start = time.monotonic()
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60,
                            env={**os.environ, "TUBELET_LIBHDF5_TIMEOUT": "2"})
    elapsed = time.monotonic() - start
    assert result.returncode == 1, result
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"Error: {source}: libhdf5 "), result.stderr
    assert "did not return within 2 s" in lines[0] and "TUBELET_LIBHDF5_TIMEOUT" in lines[0]
    assert elapsed < 10, elapsed
    assert list(out.iterdir()) == []
    assert sorted(p.name for p in source.parent.iterdir()) == [HANG.name]
