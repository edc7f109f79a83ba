"""Atomic output under SIGKILL: `tubelet convert` and `tubelet inflate` are killed at random
points while they write, and the target must then be absent (a new output) or the complete
previous file (an existing output replaced with --force), or else the complete new output:
never a partial file or directory. Every writer goes through one temporary-file, fsync and
rename path (a directory output is swapped in with one exchange), so no kill point can leave
anything else at the target.

A SIGKILL gives the process no chance to clean up, so its hidden temporary file
(`.NAME.tubelet-PID-RANDOM` beside the target) may be left behind; that is expected and counted.
After a normal failure, none may be left, and none after SIGINT, SIGTERM or SIGHUP either:
those end the run with exit status 128 + the signal and one line on stderr, once every
temporary (file or directory, libzip's and libhdf5's included) is removed.

The delays are drawn from a seeded generator (printed on failure) between 0 and
the duration of an uninterrupted run of the same command, so the kills land in every phase:
start-up, reading, computing, writing, flushing and renaming.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO_ROOT, tubelet_binary

#: Kills per case; each command's cases together exceed the 30 kills the issue asks for.
KILLS_PER_CASE = 20
SEED = int(os.environ.get("TUBELET_KILL_SEED", "20261126"))
SAMPLE = REPO_ROOT / "Checkpoints" / "ViT-tiny_16.npz"

#: (name, command arguments after the binary with {src} and {out}, whether the output is a directory)
CONVERT_CASES = [
    ("convert-safetensors", ["convert", "{src}", "{out}"], "out.safetensors", False),
    ("convert-hdf5", ["convert", "{src}", "{out}"], "out.h5", False),
    ("convert-npz-deflate", ["convert", "--compress", "deflate", "{src}", "{out}"], "out.npz", False),
    ("convert-pth", ["convert", "{src}", "{out}"], "out.pth", False),
    ("convert-sharded", ["convert", "--max-shard-size", "8MB", "{src}", "{out}"], "sharded", True),
]
INFLATE = ["inflate", "{src}", "-o", "{out}", "--model", "spacetime", "--frames", "32", "--image-size", "1024", "--seed", "1"]
INFLATE_CASES = [
    ("inflate-hdf5", INFLATE, "out.h5", False),
    ("inflate-npz", INFLATE, "out.npz", False),
    ("inflate-hf", INFLATE + ["--format", "hf", "--classes", "5"], "hfout", True),
]


@pytest.fixture(scope="module")
def big_npz(tmp_path_factory) -> Path:
    """32 MiB of float32 in eight tensors: large enough that writing takes a noticeable part
    of a run."""
    path = tmp_path_factory.mktemp("kill-input") / "big.npz"
    rng = np.random.default_rng(0)
    np.savez(path, **{f"block{i}/kernel": rng.standard_normal((1024, 1024), dtype=np.float32) for i in range(8)})
    return path


def snapshot(path: Path):
    """The bytes at `path`: a file's, a directory's {name: bytes}, or None when absent."""
    if path.is_dir():
        return {child.name: child.read_bytes() for child in sorted(path.iterdir())}
    if path.exists():
        return path.read_bytes()
    return None


def remove(path: Path) -> None:
    if path.is_dir():
        for child in path.iterdir():
            child.unlink()
        path.rmdir()
    elif path.exists():
        path.unlink()


def temporaries(directory: Path, name: str) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.name.startswith(f".{name}.tubelet-"))


def run(arguments: list[str], src: Path, out: Path, *, force: bool = False) -> subprocess.Popen:
    argv = [str(tubelet_binary())] + [a.format(src=src, out=out) for a in arguments] + (["--force"] if force else [])
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def previous_output(out: Path, is_directory: bool) -> None:
    """An existing output for --force to replace: for a directory, one that --force accepts
    (only shard and config names)."""
    if is_directory:
        out.mkdir()
        (out / "model.safetensors").write_bytes(b"previous shard")
        (out / "config.json").write_bytes(b'{"previous": true}')
    else:
        out.write_bytes(b"previous output, complete")


def kill_case(tmp_path: Path, src: Path, name: str, arguments: list[str], output: str, is_directory: bool,
              rng: random.Random) -> tuple[int, int]:
    """Runs one case KILLS_PER_CASE times; returns (processes killed, temporaries left)."""
    work = tmp_path / name
    work.mkdir()
    out = work / output

    # The complete new output, from an uninterrupted run, and how long such a run takes.
    start = time.monotonic()
    reference_run = run(arguments, src, out)
    _, stderr = reference_run.communicate(timeout=60)
    duration = time.monotonic() - start
    assert reference_run.returncode == 0, stderr.decode()
    reference = snapshot(out)
    remove(out)

    killed = left = 0
    for attempt in range(KILLS_PER_CASE):
        existing = attempt % 2 == 1
        if existing:
            previous_output(out, is_directory)
        previous = snapshot(out)
        delay = rng.uniform(0, duration)
        process = run(arguments, src, out, force=existing)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=60)
        if process.returncode == -signal.SIGKILL:
            killed += 1
        state = snapshot(out)
        where = f"{name} attempt {attempt} (seed {SEED}, delay {delay * 1000:.0f} ms of {duration * 1000:.0f} ms, " \
                f"{'existing' if existing else 'new'} output, exit {process.returncode})"
        if existing:
            assert state == previous or state == reference, f"{where}: the target is neither the previous nor the new output"
        else:
            assert state is None or state == reference, f"{where}: a partial output is at the target"
        extra = [p.name for p in work.iterdir() if p.name != output and not p.name.startswith(f".{output}.tubelet-")]
        assert extra == [], f"{where}: unexpected files {extra}"
        for temporary in temporaries(work, output):
            left += 1
            remove(temporary)
        remove(out)
    return killed, left


@pytest.mark.parametrize("command,cases", [("convert", CONVERT_CASES), ("inflate", INFLATE_CASES)])
def test_sigkill_leaves_previous_or_complete_output(tmp_path, big_npz, command, cases):
    rng = random.Random(f"{SEED}-{command}")
    src = big_npz if command == "convert" else SAMPLE
    killed = left = 0
    for name, arguments, output, is_directory in cases:
        k, l = kill_case(tmp_path, src, name, arguments, output, is_directory, rng)
        killed, left = killed + k, left + l
    print(f"{command}: {killed} runs killed by SIGKILL, {left} temporary files left by them")
    assert killed >= 30, f"only {killed} of the {command} runs were still running when killed"


#: Interrupts per case and signal; with both kinds of output, every writer gets each signal.
INTERRUPTS_PER_CASE = 4
INTERRUPT_SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]


def wait_for_handlers(process: subprocess.Popen, signals: list[int]) -> None:
    """Waits until the process catches `signals` (its SigCgt mask in /proc), so that a signal
    sent from now on meets the handler and not the default action of a process still
    starting up."""
    wanted = sum(1 << (number - 1) for number in signals)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            status = Path(f"/proc/{process.pid}/status").read_text()
        except FileNotFoundError:
            return  # already gone: nothing left to interrupt
        caught = next(int(line.split()[1], 16) for line in status.splitlines() if line.startswith("SigCgt:"))
        if caught & wanted == wanted:
            return
        if process.poll() is not None:
            return
        time.sleep(0.001)
    pytest.fail(f"process {process.pid} did not install its handlers within 10 s")


def interrupt_case(tmp_path: Path, src: Path, name: str, arguments: list[str], output: str, is_directory: bool,
                   rng: random.Random) -> int:
    """Interrupts one case with each signal INTERRUPTS_PER_CASE times; returns how many runs the
    signal ended (the others had finished first)."""
    work = tmp_path / f"{name}-interrupted"
    work.mkdir()
    out = work / output

    start = time.monotonic()
    reference_run = run(arguments, src, out)
    _, stderr = reference_run.communicate(timeout=60)
    duration = time.monotonic() - start
    assert reference_run.returncode == 0, stderr.decode()
    reference = snapshot(out)
    remove(out)

    interrupted = 0
    for number in INTERRUPT_SIGNALS:
        message = f"tubelet: interrupted by {signal.Signals(number).name}; any unfinished output was removed"
        for attempt in range(INTERRUPTS_PER_CASE):
            existing = attempt % 2 == 1
            if existing:
                previous_output(out, is_directory)
            previous = snapshot(out)
            delay = rng.uniform(0, duration)
            process = run(arguments, src, out, force=existing)
            wait_for_handlers(process, INTERRUPT_SIGNALS)
            time.sleep(delay)
            process.send_signal(number)
            _, stderr = process.communicate(timeout=60)
            text = stderr.decode()
            where = f"{name} {signal.Signals(number).name} attempt {attempt} (seed {SEED}, delay {delay * 1000:.0f} ms " \
                    f"of {duration * 1000:.0f} ms, {'existing' if existing else 'new'} output, exit {process.returncode})"
            left = [p.name for p in work.iterdir() if p.name != output]
            assert left == [], f"{where}: left behind {left}\n{text}"
            state = snapshot(out)
            if process.returncode == 128 + number:
                interrupted += 1
                lines = text.strip().splitlines()
                assert lines[-1] == message and text.count(message) == 1, f"{where}: stderr was\n{text}"
                if existing:
                    assert state == previous or state == reference, f"{where}: the target is neither the previous nor the new output"
                else:
                    assert state is None or state == reference, f"{where}: a partial output is at the target"
            else:
                assert process.returncode == 0, f"{where}: neither finished nor interrupted\n{text}"
                assert state == reference, f"{where}: finished, but the target is not the complete output"
            remove(out)
    return interrupted


@pytest.mark.parametrize("command,cases", [("convert", CONVERT_CASES), ("inflate", INFLATE_CASES)])
def test_sigint_sigterm_sighup_remove_every_temporary(tmp_path, big_npz, command, cases):
    rng = random.Random(f"{SEED}-{command}-interrupt")
    src = big_npz if command == "convert" else SAMPLE
    interrupted = 0
    runs = 0
    for name, arguments, output, is_directory in cases:
        interrupted += interrupt_case(tmp_path, src, name, arguments, output, is_directory, rng)
        runs += INTERRUPTS_PER_CASE * len(INTERRUPT_SIGNALS)
    print(f"{command}: {interrupted} of {runs} runs ended by SIGINT, SIGTERM or SIGHUP, no temporary left")
    assert interrupted >= runs // 2, f"only {interrupted} of {runs} {command} runs were still running when signalled"


def test_normal_failure_leaves_no_temporary(tmp_path):
    """A write that fails part-way (a CRC error in the second tensor, met after the first
    has been written) removes its temporary file."""
    src = REPO_ROOT / "Tests" / "Fixtures" / "malformed" / "npz-crc-mismatch.npz"
    for output in ["out.safetensors", "out.h5", "out.npz", "out.pth", "out.msgpack"]:
        process = run(["convert", "{src}", "{out}"], src, tmp_path / output)
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 1, stderr.decode()
        assert list(tmp_path.iterdir()) == [], f"{output}: {sorted(p.name for p in tmp_path.iterdir())}"


def test_next_run_names_a_killed_runs_temporary(tmp_path, big_npz):
    """A temporary a SIGKILL left behind is named (not removed) by the next run that writes
    the same output, with the process that left it."""
    out = tmp_path / "out.safetensors"
    for _ in range(40):
        process = run(["convert", "{src}", "{out}"], big_npz, out)
        # Kill as soon as the temporary exists, rather than after a random delay that may
        # miss it: the writer needs far longer than a millisecond for a file this size.
        deadline = time.monotonic() + 30
        while process.poll() is None and not temporaries(tmp_path, out.name) and time.monotonic() < deadline:
            time.sleep(0.001)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=60)
        left = temporaries(tmp_path, out.name)
        if left:
            break
        remove(out)
    else:
        pytest.fail("in 40 runs, no SIGKILL landed while the temporary file existed")
    remove(out)
    process = run(["convert", "{src}", "{out}"], big_npz, out)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr.decode()
    text = stderr.decode()
    for temporary in left:
        assert f"note: {temporary} was left by an interrupted tubelet run (process {process_id(temporary)} has ended)" in text, text
        assert temporary.exists(), "the next run removed a temporary it cannot know to be abandoned"


def process_id(temporary: Path) -> int:
    """The PID in `.NAME.tubelet-PID-RANDOM`."""
    return int(temporary.name.rsplit(".tubelet-", 1)[1].split("-")[0])
