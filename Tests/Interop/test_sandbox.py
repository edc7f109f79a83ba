"""The seccomp sandbox (issue 15, "Sandbox").

Every command that reads a file restricts itself with a seccomp filter before it opens the
input, so that a file crafted to exploit a parser cannot make the process run a program, open
a network socket, fork, trace another process or map executable memory. These tests check
that the filter is on while a run reads (`Seccomp: 2` in /proc/PID/status), that what it
denies is denied (through the probes that debug builds run after installing the filter,
`TUBELET_DEBUG_AFTER_SANDBOX`), that --no-sandbox and TUBELET_NO_SANDBOX=1 turn it off, and
that every command still works under it. The rest of the interop suite runs with the filter on
too, since it is on by default.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO_ROOT, TIMEOUT_SECONDS, load_npz, run_tubelet, tubelet_binary

SAMPLE = REPO_ROOT / "Checkpoints" / "ViT-tiny_16.npz"
PROBES = ["socket", "unix-socket", "fork", "ptrace", "exec-memory"]


def run(arguments: list[object], **environment: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(tubelet_binary()), *map(str, arguments)], capture_output=True, text=True,
                          timeout=TIMEOUT_SECONDS, env={**os.environ, **environment})


@functools.cache
def probes_compiled_in() -> bool:
    """Whether the binary runs the debug probes. With the sandbox off, the `exec` probe
    replaces the process with /bin/true: no output and exit 0. A release build (no probes)
    just runs the command."""
    process = run(["inspect", SAMPLE, "--no-sandbox"], TUBELET_DEBUG_AFTER_SANDBOX="exec")
    assert process.returncode == 0, process.stderr
    return process.stdout == "" and process.stderr == ""


def require_probes() -> None:
    if not probes_compiled_in():
        pytest.skip("this tubelet is a release build: the TUBELET_DEBUG_AFTER_SANDBOX probes exist only in debug builds")


@pytest.fixture(scope="module")
def big_npz(tmp_path_factory) -> Path:
    """64 MiB of float32, so that a run reads for long enough to be looked at."""
    path = tmp_path_factory.mktemp("sandbox-input") / "big.npz"
    rng = np.random.default_rng(1)
    np.savez(path, **{f"block{i}/kernel": rng.standard_normal((1024, 1024), dtype=np.float32) for i in range(16)})
    return path


def reading(pid: int, path: Path) -> bool:
    """Whether process `pid` has `path` open or mapped."""
    target = str(path)
    try:
        if target in Path(f"/proc/{pid}/maps").read_text():
            return True
        for descriptor in os.listdir(f"/proc/{pid}/fd"):
            if os.readlink(f"/proc/{pid}/fd/{descriptor}") == target:
                return True
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return False


def observe(arguments: list[object], input_path: Path, **environment: str):
    """Runs tubelet and samples its /proc status until it ends: (Seccomp, NoNewPrivs, whether
    `input_path` is open or mapped) per sample. Returns the samples, the finished process and
    its stderr."""
    process = subprocess.Popen([str(tubelet_binary()), *map(str, arguments)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True, env={**os.environ, **environment})
    samples: list[tuple[str, str, bool]] = []
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while process.poll() is None and time.monotonic() < deadline:
        # The input first, then the status: a file seen open was opened before the status
        # was read, so the filter, installed before the input is opened, must show in it.
        is_reading = reading(process.pid, input_path)
        try:
            status = Path(f"/proc/{process.pid}/status").read_text()
        except (FileNotFoundError, ProcessLookupError):
            break
        fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
        if fields.get("State", "").startswith("Z"):
            break
        samples.append((fields["Seccomp"].strip(), fields["NoNewPrivs"].strip(), is_reading))
    _, stderr = process.communicate(timeout=TIMEOUT_SECONDS)
    return samples, process, stderr


def test_the_filter_is_on_while_a_run_reads(tmp_path, big_npz):
    samples, process, stderr = observe(["convert", big_npz, tmp_path / "out.h5"], big_npz)
    assert process.returncode == 0, stderr
    while_reading = [(seccomp, no_new_privs) for seccomp, no_new_privs, is_reading in samples if is_reading]
    assert while_reading, f"never caught the run with {big_npz} open ({len(samples)} samples)"
    assert set(while_reading) == {("2", "1")}, f"Seccomp/NoNewPrivs while reading: {sorted(set(while_reading))}"
    # Once on, it stays on: a filter cannot be removed.
    first = next(i for i, sample in enumerate(samples) if sample[0] == "2")
    assert all(sample[0] == "2" for sample in samples[first:])


@pytest.mark.parametrize("how", ["--no-sandbox", "TUBELET_NO_SANDBOX=1"])
def test_no_sandbox_leaves_the_process_unfiltered(tmp_path, big_npz, how):
    arguments: list[object] = ["convert", big_npz, tmp_path / "out.h5"]
    environment = {}
    if how == "--no-sandbox":
        arguments.append(how)
    else:
        environment["TUBELET_NO_SANDBOX"] = "1"
    samples, process, stderr = observe(arguments, big_npz, **environment)
    assert process.returncode == 0, stderr
    assert any(is_reading for _, _, is_reading in samples), "never caught the run reading"
    assert {seccomp for seccomp, _, _ in samples} == {"0"}


def test_a_denied_call_fails_with_eperm_and_the_run_goes_on():
    require_probes()
    process = run(["inspect", SAMPLE, "--json"], TUBELET_DEBUG_AFTER_SANDBOX=",".join([*PROBES, "exec"]))
    assert process.returncode == 0, process.stderr
    for probe in [*PROBES, "exec"]:
        assert f"sandbox probe {probe}: Operation not permitted" in process.stderr, process.stderr
    # execve was refused, so this is still tubelet, and it finished its work.
    assert json.loads(process.stdout)["totals"]["tensors"] == len(load_npz(SAMPLE))


def test_the_probes_succeed_without_the_filter():
    """The control case: the same probes, unfiltered, are allowed (ptrace of a process that
    is not being traced fails with ESRCH, not EPERM)."""
    require_probes()
    process = run(["inspect", SAMPLE, "--no-sandbox"], TUBELET_DEBUG_AFTER_SANDBOX=",".join(PROBES))
    assert process.returncode == 0, process.stderr
    for probe in PROBES:
        expected = "No such process" if probe == "ptrace" else "allowed"
        assert f"sandbox probe {probe}: {expected}" in process.stderr, process.stderr


def test_probes_are_not_run_by_a_command_that_reads_nothing():
    """`schemas` reads no untrusted file: no filter, and no probe."""
    process = run(["schemas"], TUBELET_DEBUG_AFTER_SANDBOX="exec")
    assert process.returncode == 0 and "vision_transformer" in process.stdout, process.stderr
    assert "sandbox probe" not in process.stderr


def every_command(tmp: Path, big: Path) -> list[list[object]]:
    checkpoints = REPO_ROOT / "Checkpoints"
    return [
        ["inspect", checkpoints / "ViT-tiny_16.h5", "--stats", "--progress"],
        ["inspect", checkpoints / "ViT-tiny_keras3.keras", "--stats", "--json"],
        ["inspect", checkpoints / "vit-tiny-timm.pth", "--stats"],
        ["inspect", checkpoints / "vit-tiny-hf", "--stats"],
        ["inspect", checkpoints / "vit-tiny-scenic_checkpoint_0"],
        ["inspect", big, "--stats"],  # large enough to split the CRC and statistics over threads
        ["convert", big, tmp / "big.h5", "--progress"],
        ["convert", tmp / "big.h5", tmp / "big-gzip.h5", "--compress", "gzip"],
        ["convert", big, tmp / "big-deflate.npz", "--compress", "deflate"],
        ["convert", big, tmp / "shards", "--max-shard-size", "8MB"],
        ["convert", tmp / "shards", tmp / "from-shards.pth"],
        ["convert", checkpoints / "ViT-tiny_16.npz", tmp / "out.msgpack"],
        ["convert", checkpoints / "vit-tiny-timm.safetensors", tmp / "hf-vit", "--to", "hf-vit-classifier", "--heads", "4"],
        ["inflate", SAMPLE, "-o", tmp / "vivit.h5", "--model", "factorised-encoder", "--frames", "8",
         "--report", tmp / "report.json", "--progress"],
        ["inflate", SAMPLE, "-o", tmp / "vivit-hf", "--format", "hf", "--classes", "4", "--model", "spacetime",
         "--frames", "8", "--report", "-"],
        ["inflate", SAMPLE, "--model", "spacetime", "--dry-run"],
        ["diff", big, tmp / "from-shards.pth"],
        ["diff", checkpoints / "ViT-tiny_16.npz", checkpoints / "ViT-tiny_16.h5", "--json"],
    ]


def test_every_command_works_under_the_filter(tmp_path, big_npz):
    """Each run also probes execve once the filter is on (in debug builds), which proves the
    filter was in force for that command."""
    probing = probes_compiled_in()
    environment = {"TUBELET_DEBUG_AFTER_SANDBOX": "exec"} if probing else {}
    for arguments in every_command(tmp_path, big_npz):
        process = run(arguments, **environment)
        shown = " ".join(map(str, arguments))
        assert process.returncode == 0, f"{shown}\n{process.stderr}"
        if probing:
            assert "sandbox probe exec: Operation not permitted" in process.stderr, f"{shown}\n{process.stderr}"
    assert json.loads((tmp_path / "vivit-hf" / "config.json").read_text())["model_type"] == "vivit"
    assert sorted(p.name for p in (tmp_path / "shards").iterdir())[-1] == "model.safetensors.index.json"
