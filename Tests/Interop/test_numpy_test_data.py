"""numpy's own test files (numpy/lib/tests/data), written by old numpy versions and Python 2.

Each is either read with the values np.load gives, or refused cleanly: exit status 1 and a
one-line error saying it holds objects. Never a crash, a hang or a wrong value.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import assert_error_line, assert_same_bits, convert, inspect_json, load_npy, run_tubelet

NUMPY_TEST_DATA = Path(np.__file__).parent / "lib" / "tests" / "data"

#: Plain float64 arrays Tubelet must read: python3.npy (data 16-byte aligned, not 64) and
#: win64python2.npy (its shape is written '(2L,)', a Python 2 long).
READABLE = ["python3.npy", "win64python2.npy"]

#: Pickled object arrays ('|O' / '|O8'), which must be refused: loading them would mean
#: running pickle.
OBJECT_ARRAYS = ["py2-objarr.npy", "py2-np0-objarr.npy", "py3-objarr.npy", "py2-objarr.npz",
                 "py3-objarr.npz"]


def data_file(name: str) -> Path:
    """A file from numpy's test data; fails if this numpy does not ship it."""
    path = NUMPY_TEST_DATA / name
    assert path.is_file(), f"numpy's test data has no {path}"
    return path


@pytest.mark.filterwarnings("ignore:Reading `.npy` or `.npz` file required additional header")
@pytest.mark.parametrize("name", READABLE)
def test_old_plain_arrays_are_read_like_np_load(tmp_path, name):
    """inspect reports np.load's dtype and shape, and converting gives np.load's values."""
    path = data_file(name)
    expected = np.load(path, allow_pickle=False)

    report = inspect_json(path)
    result = load_npy(convert(path, tmp_path / "out.npy"))

    [row] = report["tensors"]
    assert (row["name"], row["dtype"], row["shape"]) == (path.stem, "float64", list(expected.shape))
    assert_same_bits(result, expected)


@pytest.mark.parametrize("command", ["inspect", "convert"])
@pytest.mark.parametrize("name", OBJECT_ARRAYS)
def test_pickled_object_arrays_are_refused(tmp_path, name, command):
    """Object arrays are refused with exit status 1 and a one-line error naming the file and
    saying 'object' — no crash, no hang, no output file."""
    path = data_file(name)
    output = tmp_path / "out.npz"
    args = ["inspect", path] if command == "inspect" else ["convert", path, output]

    process = run_tubelet(args, expect_rc=None)

    assert_error_line(process, path, "object")
    assert not output.exists()


@pytest.mark.parametrize("name", sorted(p.name for p in NUMPY_TEST_DATA.glob("*.np[yz]")))
def test_every_numpy_test_file_gets_a_clean_answer(name):
    """Whatever numpy ships there (new files included): exit status 0, or 1 with a one-line
    'Error: FILE: ...' message; never a crash, a hang or a stack trace."""
    path = data_file(name)

    process = run_tubelet(["inspect", path, "--stats", "--json"], expect_rc=None)

    assert process.returncode in (0, 1), process.stderr
    if process.returncode == 1:
        assert_error_line(process, path)
