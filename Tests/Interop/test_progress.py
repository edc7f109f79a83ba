"""The progress bar on stderr: drawn in place when stderr is a terminal, absent when it is
not (pipes, logs, CI) or with --json, and printed as plain lines when --progress asks."""

from __future__ import annotations

import os
import re
import pty
import subprocess

from conftest import REPO_ROOT, run_tubelet, tubelet_binary

SAMPLE = REPO_ROOT / "Checkpoints" / "ViT-tiny_16.npz"
REDRAW = "\r\x1b[2K"


def run_on_terminal(args: list[object]) -> tuple[int, str]:
    """Runs tubelet with stderr on a pseudo-terminal; returns the exit status and what the
    terminal received."""
    master, slave = pty.openpty()
    process = subprocess.Popen([str(tubelet_binary()), *map(str, args)], stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    received = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        received += chunk
    os.close(master)
    return process.wait(), received.decode("utf-8", "replace")


def test_a_terminal_gets_a_bar_that_is_cleared_at_the_end(tmp_path):
    status, text = run_on_terminal(["inflate", SAMPLE, "-o", tmp_path / "out.npz", "--model", "spacetime"])
    assert status == 0
    assert f"{REDRAW}inflate [" in text
    assert "% " in text
    # The bar is wiped before the summary, which starts on a clean line.
    assert re.search(r"\r\x1b\[2K\d+ tensors: ", text)


def test_nothing_when_stderr_is_not_a_terminal(tmp_path):
    process = run_tubelet(["convert", SAMPLE, tmp_path / "out.safetensors"])
    assert "[" not in process.stderr and "\r" not in process.stderr
    process = run_tubelet(["inspect", "--stats", SAMPLE])
    assert "\r" not in process.stderr and "stats [" not in process.stderr


def test_nothing_with_json_even_on_a_terminal():
    status, text = run_on_terminal(["inspect", "--stats", "--json", SAMPLE])
    assert status == 0
    assert "stats [" not in text and REDRAW not in text


def test_progress_flag_prints_plain_lines_off_a_terminal(tmp_path):
    process = run_tubelet(["convert", SAMPLE, tmp_path / "out.npz", "--progress"])
    lines = [line for line in process.stderr.splitlines() if line.startswith("convert [")]
    assert lines and "\r" not in process.stderr
    assert lines[-1].startswith("convert [########################] 100%")
