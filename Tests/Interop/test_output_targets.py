"""What an output path may name (issue 15, "Targets").

An output is written to a temporary file and renamed over its target, and a rename replaces
whatever directory entry is there. So a symbolic link is followed (its final target is
replaced and the link stays a link, as `sed -i --follow-symlinks` does), while a FIFO, a
socket or a device node is refused with or without --force and left exactly as it was.
`-` is standard output: a stream for `--report -`, refused for a checkpoint. An input that
is a stream (a pipe behind /dev/stdin, a FIFO) is refused with a message naming it, instead
of failing with "Illegal seek" or blocking on the FIFO.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO_ROOT, TIMEOUT_SECONDS, assert_error_line, load_npz, run_tubelet, tubelet_binary

SAMPLE = REPO_ROOT / "Checkpoints" / "ViT-tiny_16.npz"
INFLATE = ["inflate", SAMPLE, "--model", "spacetime", "--frames", "4"]


def sample_tensors() -> dict[str, np.ndarray]:
    return load_npz(SAMPLE)


def assert_sample(path: Path) -> None:
    loaded = load_npz(path)
    expected = sample_tensors()
    assert list(loaded) == list(expected)
    for name, array in expected.items():
        assert loaded[name].tobytes() == array.tobytes(), name


# --------------------------------------------------------------------------------------------
# Symbolic links are followed
# --------------------------------------------------------------------------------------------

def test_force_onto_a_symlink_updates_its_target_and_keeps_the_link(tmp_path):
    target = tmp_path / "run-7.npz"
    target.write_bytes(b"previous run")
    link = tmp_path / "latest.npz"
    link.symlink_to("run-7.npz")

    refused = run_tubelet(["convert", SAMPLE, link], expect_rc=1)
    assert_error_line(refused, link, "already exists", "--force")
    assert target.read_bytes() == b"previous run"

    run_tubelet(["convert", SAMPLE, link, "--force"])
    assert link.is_symlink() and os.readlink(link) == "run-7.npz"
    assert_sample(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.npz", "run-7.npz"]


def test_a_chain_of_links_is_followed_to_its_end(tmp_path):
    (tmp_path / "data").mkdir()
    final = tmp_path / "data" / "weights.npz"
    final.write_bytes(b"old")
    (tmp_path / "middle.npz").symlink_to(final)          # absolute
    (tmp_path / "first.npz").symlink_to("middle.npz")    # relative, to another link
    run_tubelet(["convert", SAMPLE, tmp_path / "first.npz", "--force"])
    assert (tmp_path / "first.npz").is_symlink() and (tmp_path / "middle.npz").is_symlink()
    assert_sample(final)
    # The temporary went beside the final target and is gone.
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["weights.npz"]


def test_a_dangling_link_gets_its_target_created(tmp_path):
    (tmp_path / "out").mkdir()
    link = tmp_path / "next.npz"
    link.symlink_to("out/new.npz")
    run_tubelet(["convert", SAMPLE, link])
    assert link.is_symlink()
    assert_sample(tmp_path / "out" / "new.npz")


def test_a_link_loop_is_refused(tmp_path):
    (tmp_path / "a.npz").symlink_to("b.npz")
    (tmp_path / "b.npz").symlink_to("a.npz")
    process = run_tubelet(["convert", SAMPLE, tmp_path / "a.npz", "--force"], expect_rc=1)
    assert_error_line(process, tmp_path / "a.npz", "symbolic link")


def test_a_symlinked_model_directory_is_replaced_at_its_target(tmp_path):
    real = tmp_path / "vivit-v1"
    link = tmp_path / "vivit"
    link.symlink_to("vivit-v1")
    run_tubelet([*INFLATE, "--classes", "3", "--format", "hf", "-o", f"{link}/"])
    assert link.is_symlink()
    assert sorted(p.name for p in real.iterdir()) == ["config.json", "model.safetensors"]
    first = (real / "config.json").read_bytes()
    run_tubelet([*INFLATE, "--classes", "5", "--format", "hf", "-o", link, "--force"])
    assert link.is_symlink() and os.readlink(link) == "vivit-v1"
    assert len(json.loads((real / "config.json").read_bytes())["id2label"]) == 5
    assert len(json.loads(first)["id2label"]) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vivit", "vivit-v1"]


def test_a_symlinked_report_is_written_at_its_target(tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    (tmp_path / "report.json").symlink_to("reports/r1.json")
    run_tubelet([*INFLATE, "-o", tmp_path / "out.npz", "--report", tmp_path / "report.json"])
    assert (tmp_path / "report.json").is_symlink()
    assert "outputs" in json.loads((reports / "r1.json").read_text())


# --------------------------------------------------------------------------------------------
# FIFOs, sockets and devices are refused, --force or not, and left untouched
# --------------------------------------------------------------------------------------------

def make_fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def make_socket(path: Path) -> Path:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.close()  # the node stays in the file system
    return path


def make_character_device(path: Path) -> Path:
    """A node for /dev/null's device numbers (1, 3), made where this user may call mknod."""
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError as error:
        pytest.skip(f"mknod of a character device is not permitted here ({error}); this needs root or CAP_MKNOD")
    return path


NODES = {
    "fifo": (make_fifo, stat.S_ISFIFO, "named pipe"),
    "socket": (make_socket, stat.S_ISSOCK, "socket"),
    "character-device": (make_character_device, stat.S_ISCHR, "character device"),
}

#: (command arguments before the output, arguments after, whether the output is the report)
WRITERS = {
    "convert-npz": (["convert", SAMPLE], ["--format", "npz"]),
    "convert-hdf5": (["convert", SAMPLE], ["--format", "hdf5"]),
    "convert-sharded": (["convert", SAMPLE], ["--max-shard-size", "100kB"]),
    "inflate-npz": ([*INFLATE, "-o"], ["--format", "npz"]),
    "inflate-hf": ([*INFLATE, "-o"], ["--format", "hf", "--classes", "3"]),
}


@pytest.mark.parametrize("node", sorted(NODES))
@pytest.mark.parametrize("writer", sorted(WRITERS))
@pytest.mark.parametrize("force", [False, True])
def test_special_files_are_refused_and_untouched(tmp_path, node, writer, force):
    make, is_kind, words = NODES[node]
    target = make(tmp_path / "target")
    before = os.lstat(target)
    before_arguments, after = WRITERS[writer]
    process = run_tubelet([*before_arguments, target, *after, *(["--force"] if force else [])], expect_rc=1)
    assert_error_line(process, target, words, "regular file")
    after_stat = os.lstat(target)
    assert is_kind(after_stat.st_mode) and after_stat.st_ino == before.st_ino
    assert sorted(p.name for p in tmp_path.iterdir()) == ["target"]


@pytest.mark.parametrize("node", sorted(NODES))
def test_a_special_report_file_is_refused_before_anything_is_written(tmp_path, node):
    make, is_kind, words = NODES[node]
    report = make(tmp_path / "report.json")
    process = run_tubelet([*INFLATE, "-o", tmp_path / "out.npz", "--report", report, "--force"], expect_rc=1)
    assert_error_line(process, report, words)
    assert is_kind(os.lstat(report).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_a_link_to_a_fifo_is_refused(tmp_path):
    make_fifo(tmp_path / "fifo")
    (tmp_path / "out.npz").symlink_to("fifo")
    process = run_tubelet(["convert", SAMPLE, tmp_path / "out.npz", "--force"], expect_rc=1)
    assert_error_line(process, tmp_path / "out.npz", "named pipe")
    assert stat.S_ISFIFO(os.lstat(tmp_path / "fifo").st_mode)


def test_dev_stdout_as_a_checkpoint_is_refused_whatever_stdout_is(tmp_path):
    binary = str(tubelet_binary())
    # A pipe.
    process = subprocess.run([binary, "convert", str(SAMPLE), "/dev/stdout", "--format", "npz", "--force"],
                             capture_output=True, text=True, timeout=TIMEOUT_SECONDS)
    assert process.returncode == 1 and process.stdout == ""
    assert process.stderr.startswith("Error: /dev/stdout: ") and "named pipe" in process.stderr
    # A regular file: /dev/stdout leads into /proc, and the file behind it is left alone.
    redirected = tmp_path / "redirected.npz"
    with open(redirected, "wb") as stdout:
        process = subprocess.run([binary, "convert", str(SAMPLE), "/dev/stdout", "--format", "npz", "--force"],
                                 stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=TIMEOUT_SECONDS)
    assert process.returncode == 1 and "open files" in process.stderr, process.stderr
    assert redirected.read_bytes() == b""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["redirected.npz"]


# --------------------------------------------------------------------------------------------
# '-': standard output where a stream makes sense
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("arguments", [
    ["convert", SAMPLE, "-", "--format", "npz"],
    ["convert", SAMPLE, "-", "--format", "safetensors"],
    [*INFLATE, "-o", "-", "--format", "hdf5"],
])
def test_a_checkpoint_to_standard_output_is_refused_with_the_reason(tmp_path, arguments):
    process = run_tubelet(arguments, expect_rc=1)
    assert_error_line(process, Path("-"), "standard output", "renamed into place", "seek")
    assert process.stdout == ""


def test_report_dash_writes_the_json_report_to_standard_output(tmp_path):
    out = tmp_path / "out.npz"
    process = run_tubelet([*INFLATE, "-o", out, "--report", "-"])
    report = json.loads(process.stdout)
    assert {"outputs", "dropped"} <= set(report)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.npz"]


def test_report_dash_writes_no_file_named_dash(tmp_path):
    process = subprocess.run([str(tubelet_binary()), *map(str, INFLATE), "-o", "out.npz", "--report", "-"],
                             cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT_SECONDS)
    assert process.returncode == 0, process.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.npz"]
    assert json.loads(process.stdout)["outputs"]


# --------------------------------------------------------------------------------------------
# Inputs that are streams
# --------------------------------------------------------------------------------------------

def test_a_pipe_as_input_is_refused_naming_the_file():
    """`cat weights.npz | tubelet inspect /dev/stdin`."""
    process = subprocess.Popen([str(tubelet_binary()), "inspect", "/dev/stdin"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _, stderr_bytes = process.communicate(SAMPLE.read_bytes(), timeout=TIMEOUT_SECONDS)
    except BrokenPipeError:  # refused before reading all of it, as it should be
        _, stderr_bytes = process.communicate(timeout=TIMEOUT_SECONDS)
    stderr = stderr_bytes.decode()
    assert process.returncode == 1, stderr
    assert stderr.startswith("Error: /dev/stdin: ") and "named pipe" in stderr and "Illegal seek" not in stderr, stderr
    assert len(stderr.strip().splitlines()) == 1


def test_dash_as_input_is_refused_as_a_stream(tmp_path):
    process = subprocess.run([str(tubelet_binary()), "inspect", "-"], cwd=tmp_path, stdin=subprocess.DEVNULL,
                             capture_output=True, text=True, timeout=TIMEOUT_SECONDS)
    assert_error_line(process, Path("-"), "standard input is a stream", "file first")


def test_a_fifo_as_input_is_refused_without_blocking(tmp_path):
    fifo = make_fifo(tmp_path / "weights.npz")
    process = run_tubelet(["convert", fifo, tmp_path / "out.npz"], expect_rc=1)
    assert_error_line(process, fifo, "named pipe", "file first")


def test_dev_stdin_redirected_from_a_file_is_read(tmp_path):
    with open(SAMPLE, "rb") as source:
        process = subprocess.run([str(tubelet_binary()), "inspect", "/dev/stdin", "--json"], stdin=source,
                                 capture_output=True, text=True, timeout=TIMEOUT_SECONDS)
    assert process.returncode == 0, process.stderr
    assert json.loads(process.stdout)["totals"]["tensors"] == len(sample_tensors())


def test_a_killed_runs_temporary_beside_a_links_target_is_named(tmp_path):
    """Temporaries are made beside the link's target, so that is where the next run looks."""
    (tmp_path / "data").mkdir()
    link = tmp_path / "latest.npz"
    link.symlink_to("data/run.npz")
    dead = 4_194_304  # PID_MAX_LIMIT: counting down from it finds an unused process id at once
    while True:
        dead -= 1
        try:
            os.kill(dead, 0)
        except ProcessLookupError:
            break
        except PermissionError:
            continue
    left = tmp_path / "data" / f".run.npz.tubelet-{dead}-abc"
    left.write_bytes(b"partial")
    process = run_tubelet(["convert", SAMPLE, link])
    assert f"note: {left} was left by an interrupted tubelet run (process {dead} has ended)" in process.stderr, process.stderr
    assert left.exists()
