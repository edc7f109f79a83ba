"""Scripts/setup.sh as root and as a sudo user, user and contributor modes, with stand-ins.

The script runs from a copy of the repository's files it reads, with a PATH that holds only
stand-ins for `id`, `dpkg`, `apt-get`, `sudo` and `python3` plus the few real tools it uses
(bash, env, sed, dirname, grep…), so nothing is installed and the real apt-get cannot be reached.
Each stand-in appends what it was asked to a log, which the tests then read.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO_ROOT

USER_PACKAGES = "libhdf5-dev libzip-dev pkg-config"
PIP = "pip install -q --disable-pip-version-check --no-deps"
TORCH = next(line for line in (REPO_ROOT / "Tests" / "Interop" / "requirements-full.txt").read_text().splitlines()
             if line.startswith("torch=="))

#: name → shell body. $LOG is the log; $AS_ROOT says whether the caller went through sudo.
STUBS = {
    # id -u: the uid the test chose (0 for root).
    "id": 'echo "$STUB_UID"',
    # dpkg -s: the packages are installed only if the test says so.
    "dpkg": 'echo "dpkg $*" >> "$LOG"; exit "$STUB_DPKG_STATUS"',
    # apt-get: logs whether it ran as root and which DEBIAN_FRONTEND it saw.
    "apt-get": 'uid=$STUB_UID; [ -n "${AS_ROOT:-}" ] && uid=0\n'
               'echo "apt-get uid=$uid frontend=${DEBIAN_FRONTEND:-unset} $*" >> "$LOG"',
    "sudo": 'echo "sudo $*" >> "$LOG"; AS_ROOT=1 exec "$@"',
    # python3: the venv and version probes, and `-m venv DIR`, which makes a venv of stand-ins.
    "python3": 'case "$*" in\n'
               '  *ensurepip*) exit "$STUB_NO_ENSUREPIP" ;;\n'
               '  *version_info*) exit "$STUB_WRONG_PYTHON" ;;\n'
               '  "-m venv "*) mkdir -p "$3/bin"\n'
               '     for tool in pip python; do\n'
               '       printf \'#!/bin/bash\\necho "%s $*" >> "$LOG"\\n%s\\n\' "$tool" "$PIP_RULE" > "$3/bin/$tool"\n'
               '       chmod +x "$3/bin/$tool"\n'
               '     done\n'
               '     echo "python3 $*" >> "$LOG" ;;\n'
               '  *) echo "unexpected python3 $*" >&2; exit 99 ;;\n'
               'esac',
}


@pytest.fixture
def sandbox(tmp_path):
    """A copy of the files setup.sh reads, and a PATH of stand-ins and the real tools it needs."""
    repo = tmp_path / "repo"
    (repo / "Scripts").mkdir(parents=True)
    (repo / "Tests" / "Interop").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "Scripts" / "setup.sh", repo / "Scripts" / "setup.sh")
    for lock in (REPO_ROOT / "Tests" / "Interop").glob("requirements-*.txt"):
        shutil.copy(lock, repo / "Tests" / "Interop" / lock.name)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in STUBS.items():
        (bin_dir / name).write_text(f"#!/bin/bash\n{body}\n")
        (bin_dir / name).chmod(0o755)
    for tool in ("bash", "env", "sed", "dirname", "grep", "mkdir", "chmod"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    return repo, bin_dir, tmp_path / "log"


def run_setup(sandbox, *arguments, uid=0, installed=False, ensurepip=True, python311=True, sudo=True,
              torch_found=True):
    repo, bin_dir, log = sandbox
    if not sudo:
        (bin_dir / "sudo").unlink(missing_ok=True)
    environment = {
        "PATH": str(bin_dir), "LOG": str(log), "STUB_UID": str(uid),
        "STUB_DPKG_STATUS": "0" if installed else "1",
        "STUB_NO_ENSUREPIP": "0" if ensurepip else "1",
        "STUB_WRONG_PYTHON": "0" if python311 else "1",
        # pip finds no torch CPU wheel unless pointed at PyTorch's index (or always, when told).
        "PIP_RULE": "" if torch_found else 'case "$*" in *torch==*) [[ "$*" == *--index-url* ]] || exit 1 ;; esac',
    }
    process = subprocess.run([str(bin_dir / "bash"), str(repo / "Scripts" / "setup.sh"), *arguments],
                             env=environment, capture_output=True, text=True, timeout=60)
    lines = log.read_text().splitlines() if log.exists() else []
    return process, lines


def test_user_mode_as_root_installs_the_build_libraries_without_sudo(sandbox):
    process, log = run_setup(sandbox, uid=0)
    assert process.returncode == 0, process.stderr
    assert log == [
        f"dpkg -s {USER_PACKAGES}",
        "apt-get uid=0 frontend=unset update -qq",
        f"apt-get uid=0 frontend=noninteractive install -y -qq {USER_PACKAGES}",
    ]


def test_user_mode_as_a_sudo_user_goes_through_sudo(sandbox):
    process, log = run_setup(sandbox, uid=1000)
    assert process.returncode == 0, process.stderr
    assert log == [
        f"dpkg -s {USER_PACKAGES}",
        "sudo apt-get update -qq",
        "apt-get uid=0 frontend=unset update -qq",
        f"sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {USER_PACKAGES}",
        f"apt-get uid=0 frontend=noninteractive install -y -qq {USER_PACKAGES}",
    ]


def test_nothing_is_installed_when_the_packages_are_there(sandbox):
    for uid in (0, 1000):
        process, log = run_setup(sandbox, uid=uid, installed=True)
        assert process.returncode == 0, process.stderr
    assert log == [f"dpkg -s {USER_PACKAGES}"] * 2


def test_a_user_without_sudo_is_told_what_to_do(sandbox):
    process, log = run_setup(sandbox, uid=1000, sudo=False)
    assert process.returncode == 1
    assert f"installing {USER_PACKAGES} needs root: run it as root, or install sudo" in process.stderr
    assert log == []


@pytest.mark.parametrize(("option", "lock"), [("--dev", "full"), ("--dev-core", "core")])
@pytest.mark.parametrize("uid", [0, 1000])
def test_dev_mode_adds_hdf5_tools_and_the_locked_venv(sandbox, option, lock, uid):
    process, log = run_setup(sandbox, option, uid=uid)
    assert process.returncode == 0, process.stderr
    packages = f"{USER_PACKAGES} hdf5-tools"
    sudo = [] if uid == 0 else [f"sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {packages}"]
    assert [line for line in log if not line.startswith(("sudo apt-get", "apt-get uid=0 frontend=unset"))] == [
        f"dpkg -s {packages}",
        *sudo,
        f"apt-get uid=0 frontend=noninteractive install -y -qq {packages}",
        "python3 -m venv .venv",
        *([f"{PIP} {TORCH}"] if lock == "full" else []),
        f"{PIP} -r Tests/Interop/requirements-{lock}.txt",
        "pip check",
    ]


def test_torch_cpu_comes_from_pytorchs_index_when_pips_sources_lack_it(sandbox):
    process, log = run_setup(sandbox, "--dev", installed=True, torch_found=False)
    assert process.returncode == 0, process.stderr
    assert [line for line in log if line.startswith("pip")] == [
        f"{PIP} {TORCH}",
        f"{PIP} --index-url https://download.pytorch.org/whl/cpu {TORCH}",
        f"{PIP} -r Tests/Interop/requirements-full.txt",
        "pip check",
    ]


def test_dev_mode_installs_python3_venv_where_ensurepip_is_missing(sandbox):
    process, log = run_setup(sandbox, "--dev", ensurepip=False)
    assert process.returncode == 0, process.stderr
    assert f"apt-get uid=0 frontend=noninteractive install -y -qq {USER_PACKAGES} hdf5-tools python3 python3-venv" in log


def test_dev_mode_refuses_another_python(sandbox):
    process, log = run_setup(sandbox, "--dev", installed=True, python311=False)
    assert process.returncode == 1
    assert "the Python locks are for Python 3.11" in process.stderr
    assert not any(line.startswith(("python3", "pip")) for line in log)


def test_an_existing_venv_is_reused(sandbox):
    run_setup(sandbox, "--dev", installed=True)
    process, log = run_setup(sandbox, "--dev", installed=True)
    assert process.returncode == 0, process.stderr
    assert log.count("python3 -m venv .venv") == 1
    assert log.count("pip check") == 2


def test_an_unknown_option_is_a_usage_error(sandbox):
    process, log = run_setup(sandbox, "--devv")
    assert process.returncode == 64
    assert "unknown option '--devv'" in process.stderr
    assert log == []


def test_every_lock_the_script_names_exists():
    text = (REPO_ROOT / "Scripts" / "setup.sh").read_text()
    for mode in ("full", "core"):
        assert f"requirements-{mode}.txt" in text
        assert (REPO_ROOT / "Tests" / "Interop" / f"requirements-{mode}.txt").is_file()
