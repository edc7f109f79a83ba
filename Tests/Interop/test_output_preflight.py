"""Every output is checked before any work, and --dry-run fails where the run would (issue 15,
"Preflight").

An output that exists without --force, one in a missing or unwritable directory (the
directory is named, not the file blamed), one of the wrong kind, and a report that cannot be
written are all refused before the input is read: nothing is written, and in particular an
existing --report file no longer lets the checkpoint be written first. `inflate --dry-run`
runs the same checks and the same option validation as the real run, and fails with the
same message and exit status.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import REPO_ROOT, TIMEOUT_SECONDS, assert_error_line, run_tubelet, tubelet_binary

SAMPLE = REPO_ROOT / "Checkpoints" / "ViT-tiny_16.npz"
INFLATE = ["inflate", SAMPLE, "--model", "spacetime", "--frames", "4"]


def listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


# --------------------------------------------------------------------------------------------
# --dry-run fails exactly where the run fails
# --------------------------------------------------------------------------------------------

def prepare_existing(tmp: Path) -> list[object]:
    (tmp / "out.npz").write_bytes(b"previous")
    return ["-o", tmp / "out.npz"]


def prepare_missing_directory(tmp: Path) -> list[object]:
    return ["-o", tmp / "absent" / "out.npz"]


def prepare_parent_is_a_file(tmp: Path) -> list[object]:
    (tmp / "file").write_bytes(b"")
    return ["-o", tmp / "file" / "out.npz"]


def prepare_hf_model_3(tmp: Path) -> list[object]:
    return ["-o", tmp / "hf", "--format", "hf", "--classes", "3", "--model", "factorised-self-attention"]


def prepare_unknown_extension(tmp: Path) -> list[object]:
    return ["-o", tmp / "out.weights"]


def prepare_existing_report(tmp: Path) -> list[object]:
    (tmp / "report.json").write_text("{}")
    return ["-o", tmp / "out.npz", "--report", tmp / "report.json"]


def prepare_report_in_missing_directory(tmp: Path) -> list[object]:
    return ["-o", tmp / "out.npz", "--report", tmp / "absent" / "report.json"]


def prepare_report_is_output(tmp: Path) -> list[object]:
    return ["-o", tmp / "out.npz", "--report", f"{tmp}/./out.npz"]


def prepare_fifo(tmp: Path) -> list[object]:
    os.mkfifo(tmp / "out.npz")
    return ["-o", tmp / "out.npz", "--force"]


def prepare_existing_file_for_hf(tmp: Path) -> list[object]:
    (tmp / "hf").write_bytes(b"a file")
    return ["-o", tmp / "hf", "--format", "hf", "--classes", "3", "--force"]


def prepare_foreign_directory_for_hf(tmp: Path) -> list[object]:
    (tmp / "hf").mkdir()
    (tmp / "hf" / "notes.txt").write_text("mine")
    return ["-o", tmp / "hf", "--format", "hf", "--classes", "3", "--force"]


#: name: (arguments after INFLATE, the exit status, the file the message names, fragments)
CASES = {
    "existing output": (prepare_existing, 1, "out.npz", ["already exists", "--force"]),
    "missing directory": (prepare_missing_directory, 1, "absent", ["directory does not exist", "mkdir -p"]),
    "parent is a file": (prepare_parent_is_a_file, 1, "file", ["not a directory"]),
    "hf of Model 3": (prepare_hf_model_3, 1, str(SAMPLE), ["Model 1", "Model 3"]),
    "unknown extension": (prepare_unknown_extension, 64, None, ["cannot tell the output format"]),
    "existing report": (prepare_existing_report, 1, "report.json", ["already exists"]),
    "report in a missing directory": (prepare_report_in_missing_directory, 1, "absent", ["directory does not exist"]),
    "report is the output": (prepare_report_is_output, 1, "./out.npz", ["report would replace the checkpoint"]),
    "fifo": (prepare_fifo, 1, "out.npz", ["named pipe"]),
    "file where a directory goes": (prepare_existing_file_for_hf, 1, "hf", ["not a directory"]),
    "directory of other files": (prepare_foreign_directory_for_hf, 1, "hf", ["notes.txt"]),
}


def shown(tmp: Path, name: str | None) -> str | None:
    if name is None or name.startswith("/"):
        return name
    return f"{tmp}/{name}"


@pytest.mark.parametrize("case", sorted(CASES))
def test_dry_run_fails_where_the_run_fails(tmp_path, case):
    prepare, status, named, fragments = CASES[case]
    results = {}
    for mode in ["run", "dry-run"]:
        work = tmp_path / mode
        work.mkdir()
        arguments = prepare(work)
        before = listing(work)
        process = run_tubelet([*INFLATE, *arguments, *(["--dry-run"] if mode == "dry-run" else [])], expect_rc=None)
        assert process.returncode == status, f"{mode}: exit {process.returncode}\n{process.stderr}"
        assert process.stdout == "", f"{mode} printed a plan before failing:\n{process.stdout}"
        error = [line for line in process.stderr.splitlines() if line.startswith("Error: ")]
        assert len(error) == 1, process.stderr
        if named is not None:
            assert error[0].startswith(f"Error: {shown(work, named)}: "), error[0]
        for fragment in fragments:
            assert fragment in error[0], f"{fragment!r} not in {error[0]!r}"
        assert listing(work) == before, f"{mode} changed the directory"
        results[mode] = error[0].replace(str(work), "WORK")
    assert results["run"] == results["dry-run"]


def test_an_existing_report_refuses_the_run_before_the_checkpoint_exists(tmp_path):
    (tmp_path / "report.json").write_text("previous report")
    process = run_tubelet([*INFLATE, "-o", tmp_path / "out.npz", "--report", tmp_path / "report.json"], expect_rc=1)
    assert_error_line(process, tmp_path / "report.json", "already exists", "--force")
    assert listing(tmp_path) == ["report.json"]
    assert (tmp_path / "report.json").read_text() == "previous report"
    # With --force both are written.
    run_tubelet([*INFLATE, "-o", tmp_path / "out.npz", "--report", tmp_path / "report.json", "--force"])
    assert listing(tmp_path) == ["out.npz", "report.json"]


def test_dry_run_with_good_outputs_writes_nothing_and_succeeds(tmp_path):
    process = run_tubelet([*INFLATE, "-o", tmp_path / "hf", "--format", "hf", "--classes", "3",
                           "--report", tmp_path / "r.json", "--dry-run"])
    assert "parameters" in process.stdout.lower()
    assert listing(tmp_path) == []


# --------------------------------------------------------------------------------------------
# convert checks its output before reading the input
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("arguments,named,fragment", [
    (["{tmp}/absent/out.npz"], "absent", "directory does not exist"),
    (["{tmp}/existing", "--max-shard-size", "1MB", "--force"], "existing", "not a directory"),
    # Usage errors (exit 64): the arguments alone show them.
    (["{tmp}/out.weights"], None, "cannot tell the output format from '{tmp}/out.weights'; pass --format"),
    (["{tmp}/shards.npz", "--max-shard-size", "1MB"], None, "--max-shard-size splits safetensors output only, not npz"),
])
def test_convert_refuses_its_output_before_reading_the_input(tmp_path, arguments, named, fragment):
    (tmp_path / "existing").write_bytes(b"a file")
    # An input that cannot be read: had it been opened, the error would be about it.
    bad_input = tmp_path / "unreadable.npz"
    bad_input.write_bytes(b"not a checkpoint at all")
    process = run_tubelet(["convert", bad_input, *[a.format(tmp=tmp_path) for a in arguments]],
                          expect_rc=1 if named else 64)
    if named:
        assert_error_line(process, tmp_path / named, fragment)
    else:
        assert f"Error: {fragment.format(tmp=tmp_path)}" in process.stderr
    assert listing(tmp_path) == ["existing", "unreadable.npz"]


# --------------------------------------------------------------------------------------------
# An unwritable directory is named, not blamed on the file
# --------------------------------------------------------------------------------------------

def run_as_unprivileged(arguments: list[object]) -> subprocess.CompletedProcess:
    """Runs tubelet as this user, or, for root (whom permissions do not stop), as nobody."""
    command = [str(tubelet_binary()), *map(str, arguments)]
    extra = {"user": 65534, "group": 65534, "extra_groups": []} if os.geteuid() == 0 else {}
    return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, **extra)


@pytest.fixture
def world_readable_tmp():
    """A directory every user can enter (pytest's own tmp_path is private to its user)."""
    directory = Path(tempfile.mkdtemp(prefix="tubelet-preflight-"))
    directory.chmod(0o755)
    yield directory
    for path in directory.rglob("*"):
        if path.is_dir():
            path.chmod(0o755)
    shutil.rmtree(directory)


def test_an_unwritable_directory_is_named(world_readable_tmp):
    locked = world_readable_tmp / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    sample = world_readable_tmp / "sample.npz"
    shutil.copy(SAMPLE, sample)
    sample.chmod(0o644)
    writable = world_readable_tmp / "writable"
    writable.mkdir()
    writable.chmod(0o777)
    for arguments in (["convert", sample, locked / "out.npz"],
                      ["convert", sample, locked / "shards", "--max-shard-size", "1MB"],
                      [*INFLATE[:1], sample, *INFLATE[2:], "-o", writable / "out.npz", "--report", locked / "r.json"]):
        process = run_as_unprivileged(arguments)
        assert process.returncode == 1, process.stderr
        lines = process.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"Error: {locked}: "), process.stderr
        assert "cannot create files in the directory" in lines[0] and "Permission denied" in lines[0], lines[0]
        assert list(locked.iterdir()) == [] and list(writable.iterdir()) == []
    assert sorted(p.name for p in world_readable_tmp.iterdir()) == ["locked", "sample.npz", "writable"]
