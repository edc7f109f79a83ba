"""Runs the benchmark cases round-robin and writes Benchmarks/RESULTS.md. Called by run.sh,
which builds Tubelet and makes the checkpoints first; see Benchmarks/README.md.

Every case runs under `/usr/bin/time -v` (for peak resident memory); wall time is measured
here around it, so it includes /usr/bin/time's own start-up, which the `launch` row shows.
Repetitions alternate between cases (rep 1 of every case, then rep 2, ...), so a change in
machine load hits all cases alike; each row reports the median.
"""

import argparse
import datetime
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

NOTES_MARKER = "<!-- Notes below this line are written by hand and kept when the benchmark rewrites this file. -->"


class Case:
    def __init__(self, key, model, label, command, output=None, input_bytes=0, kind="other", inputs=()):
        self.key, self.model, self.label = key, model, label
        self.command, self.output, self.input_bytes, self.kind = command, output, input_bytes, kind
        self.inputs = list(inputs)
        self.seconds, self.cpu, self.rss_kb, self.failures = [], [], [], []

    @property
    def median(self):
        return statistics.median(self.seconds) if self.seconds else None

    @property
    def cpu_median(self):
        return statistics.median(self.cpu) if self.cpu else None

    @property
    def peak_mb(self):
        return max(self.rss_kb) / 1024 if self.rss_kb else None


def run_once(case, scratch):
    """One timed run. Dirty pages left by the previous case are flushed first (untimed), so
    no case pays for another's writeback, and the case's input is read once (untimed), so it
    is in the page cache: on these VMs DAMON's proactive reclaim pages out files left idle
    for a while, so a file read a minute ago may be back on disk."""
    if case.output:
        remove(case.output)
    subprocess.run(["sync"], check=False)
    for path in case.inputs:
        warm(path)
    log, errors = scratch / "time.log", scratch / "stderr.log"
    argv = ["/usr/bin/time", "-v", "-o", str(log)] + case.command
    actions = [(os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0),
               (os.POSIX_SPAWN_OPEN, 2, str(errors), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)]
    started = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=actions)
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        lines = errors.read_text(errors="replace").strip().splitlines()
        case.failures.append(lines[-1:] or ["exit status %d" % os.waitstatus_to_exitcode(status)])
    else:
        case.seconds.append(elapsed)
        case.cpu.append(usage.ru_utime + usage.ru_stime)
        match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", log.read_text())
        if match:
            case.rss_kb.append(int(match.group(1)))
    if case.output:
        remove(case.output)


def warm(path):
    with open(path, "rb", buffering=0) as file:
        buffer = bytearray(8 << 20)
        while file.readinto(buffer):
            pass


def remove(path):
    path = Path(path)
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def verify(tubelet, python, reference, source, scratch, extension):
    """Runs tubelet and the reference script once and checks they give the same tensors."""
    ours, theirs = scratch / f"verify-tubelet.{extension}", scratch / f"verify-reference.{extension}"
    remove(ours), remove(theirs)
    subprocess.run([tubelet, "inflate", str(source), "-o", str(ours), "--model", "spacetime", "--classes", "1000"],
                   check=True, stderr=subprocess.DEVNULL)
    subprocess.run([python, reference, str(source), str(theirs), "1000"], check=True)
    check = r"""
import sys, numpy as np
def load(path):
    if path.endswith(".npz"):
        with np.load(path) as f:
            return {k: f[k] for k in f.files}
    import h5py
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: out.__setitem__(name, obj[()]) if hasattr(obj, "shape") else None)
    return out
a, b = load(sys.argv[1]), load(sys.argv[2])
assert sorted(a) == sorted(b), ("names differ", sorted(set(a) ^ set(b))[:5])
bad = [k for k in a if a[k].dtype != b[k].dtype or a[k].shape != b[k].shape or not np.array_equal(a[k], b[k])]
assert not bad, ("values differ", bad[:5])
print(len(a))
"""
    count = subprocess.run([python, "-c", check, str(ours), str(theirs)], check=True, capture_output=True, text=True).stdout.strip()
    remove(ours), remove(theirs)
    return int(count)


def capable(tubelet, args):
    return subprocess.run([tubelet] + args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0


def machine_info(scratch):
    def sh(command):
        try:
            return subprocess.run(command, shell=True, capture_output=True, text=True, timeout=20).stdout.strip()
        except Exception:
            return "?"
    cpu = sh("lscpu | sed -n 's/^Model name: *//p'") or platform.processor()
    ram = sh("free -g | awk '/^Mem:/ {print $2 \" GB total, \" $7 \" GB available\"}'")
    disk = sh(f"df -h {shlex.quote(str(scratch))} | awk 'NR==2 {{print $1 \" (\" $2 \", \" $4 \" free)\"}}'")
    device = sh(f"findmnt -no SOURCE -T {shlex.quote(str(scratch))}")
    rota = sh(f"lsblk -dno ROTA,MODEL {shlex.quote(device)} 2>/dev/null") if device.startswith("/dev/") else ""
    versions = sh(f"{shlex.quote(sys.executable)} -c 'import numpy, h5py; print(numpy.__version__, h5py.__version__)'").split() or ["?", "?"]
    return {
        "cpus": f"{os.cpu_count()} (nproc {sh('nproc')})",
        "cpu": cpu,
        "ram": ram,
        "disk": disk + (f", rotational/model: {rota}" if rota else ""),
        "kernel": platform.release(),
        "swift": sh("swift --version 2>&1 | head -1"),
        "python": f"{platform.python_version()}, numpy {versions[0]}, h5py {versions[1]}",
    }


def load_average():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def fmt_seconds(value):
    if value is None:
        return "—"
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tubelet", required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--scratch", type=Path, required=True)
    parser.add_argument("--models", default="B,L")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated case keys to run (default all)")
    parser.add_argument("--results", type=Path, required=True)
    parser.add_argument("--no-verify", action="store_true")
    parser.add_argument("--command-line", default="Benchmarks/run.sh")
    parser.add_argument("--temporary", default="G,22B",
                        help="models whose checkpoint is made just before their cases and deleted after")
    args = parser.parse_args()

    here = Path(__file__).resolve().parent
    tubelet, python, reference = args.tubelet, sys.executable, str(here / "reference_inflate.py")
    sample = str(here.parent / "Checkpoints" / "ViT-tiny_16.npz")
    args.scratch.mkdir(parents=True, exist_ok=True)
    probe = args.scratch / "probe.h5"
    remove(probe)
    hdf5_writes = capable(tubelet, ["inflate", sample, "-o", str(probe), "--model", "spacetime"])
    remove(probe)
    out = args.scratch

    launch = Case("launch", "-", "start-up floor: `/usr/bin/time -v true`", ["true"])
    cases, notes, verified = [launch], [], []
    if not hdf5_writes:
        notes.append("HDF5 cases skipped: `tubelet inflate -o x.h5` does not work in this build yet; they are included "
                     "automatically once it does.")
    temporary = set(args.temporary.split(",")) if args.temporary else set()
    keep = set(args.only.split(",")) if args.only else None
    load_before = load_average()
    started = datetime.datetime.now(datetime.timezone.utc)
    for model in args.models.split(","):
        if model in temporary:
            # The big checkpoints are made just before their cases run and deleted after, one
            # at a time: ViT-G/14 alone is 7.4 GB, and its outputs as large again.
            subprocess.run([python, str(here / "make_checkpoints.py"), str(args.data), "--models", model, "--formats", "npz"], check=True)
        group = model_cases(model, args, tubelet, python, reference, out, here, hdf5_writes, verified,
                            verify_outputs=not args.no_verify and model not in temporary)
        if keep is not None:
            group = [c for c in group if c.key in keep or c.key in ("cp", "cp-fsync")]
        if model == args.models.split(",")[0]:
            group = [launch] + group  # the start-up floor, once
        cases += [c for c in group if c is not launch]
        for rep in range(args.reps):
            for case in group:
                run_once(case, args.scratch)
            print(f"ViT-{model}: rep {rep + 1}/{args.reps} done (load {load_average()})", file=sys.stderr)
        if model in temporary:
            for leftover in args.data.glob(f"{checkpoint_name(model, 'npz')}*"):
                remove(leftover)
    load_after = load_average()

    redact = placeholders(args, tubelet, python)
    write_results(args, cases, notes, verified, machine_info(args.scratch), started, load_before, load_after, redact)


def checkpoint_name(model, fmt):
    return f"ViT-{model}_{14 if model in ('G', '22B') else 16}.{fmt}"


def model_cases(model, args, tubelet, python, reference, out, here, hdf5_writes, verified, verify_outputs):
    """The cases of one model: the floors, inflate to every format, convert to safetensors
    (one file and shards), and for ViT-B/L the numpy reference, inspect and --stats."""
    src = args.data / checkpoint_name(model, "npz")
    size = src.stat().st_size
    S = str(src)
    small = model in ("B", "L")
    cases = []
    def add(key, label, command, output=None, kind="other"):
        cases.append(Case(key, model, label, command, output, size, kind, inputs=[S]))
    add("cp", "`cp` (the disk floor)", ["cp", S, str(out / "cp.npz")], out / "cp.npz", "floor")
    add("cp-fsync", "`cp` + `sync FILE` (floor with fsync, as Tubelet flushes)",
        ["sh", "-c", f"cp {shlex.quote(S)} {out}/cpsync.npz && sync {out}/cpsync.npz"], out / "cpsync.npz", "floor")
    if small:
        add("ref-npz", "numpy reference → npz (Model 1)", [python, reference, S, str(out / "ref.npz"), "1000"], out / "ref.npz", "reference")
        if hdf5_writes:
            add("ref-h5", "numpy + h5py reference → HDF5 (Model 1)", [python, reference, S, str(out / "ref.h5"), "1000"], out / "ref.h5", "reference")
    formats = (["npz", "h5"] if hdf5_writes else ["npz"]) + ["safetensors", "msgpack", "pth", "hf"]
    for extension in formats:
        models = ((1, "spacetime"), (2, "factorised-encoder")) if small and extension in ("npz", "h5") else ((1, "spacetime"),)
        for number, name in models:
            target = out / (f"m{number}-hf" if extension == "hf" else f"m{number}.{extension}")
            command = [tubelet, "inflate", S, "-o", str(target), "--model", name, "--classes", "1000"]
            if extension == "hf":
                command += ["--format", "hf"]
            add(f"inflate-m{number}-{extension}", f"`tubelet inflate` Model {number} → {extension}", command, target,
                f"inflate-{extension}")
    add("convert-st", "`tubelet convert` npz → safetensors", [tubelet, "convert", S, str(out / "c.safetensors")],
        out / "c.safetensors", "convert")
    add("convert-st-shards", "`tubelet convert` npz → safetensors shards of 1 GB",
        [tubelet, "convert", S, str(out / "c-shards"), "--max-shard-size", "1GB"], out / "c-shards", "convert")
    h5 = args.data / checkpoint_name(model, "h5")
    if h5.exists():
        # An HDF5 input (h5py, contiguous datasets): its datasets are read a hyperslab at a
        # time, so peak RSS must not follow the largest dataset either.
        H, h5_size = str(h5), h5.stat().st_size
        for key, label, command, target, kind in (
                ("h5-inflate-npz", "`tubelet inflate` Model 1 from HDF5 (h5py) → npz",
                 ["inflate", H, "-o", str(out / "h5-m1.npz"), "--model", "spacetime", "--classes", "1000"], out / "h5-m1.npz", "inflate-npz"),
                ("h5-convert-st", "`tubelet convert` HDF5 (h5py) → safetensors",
                 ["convert", H, str(out / "h5-c.safetensors")], out / "h5-c.safetensors", "convert")):
            cases.append(Case(key, model, label, [tubelet, *command], target, h5_size, kind, inputs=[h5]))
    if small:
        add("inspect-npz", "`tubelet inspect` npz (metadata only)", [tubelet, "inspect", S], kind="inspect")
        for fmt in ("safetensors", "h5", "pth"):
            other = args.data / checkpoint_name(model, fmt)
            if other.exists() and (fmt != "h5" or capable(tubelet, ["inspect", str(here.parent / "Checkpoints" / "ViT-tiny_16.h5")])):
                cases.append(Case(f"inspect-{fmt}", model, f"`tubelet inspect` {fmt} (metadata only)", [tubelet, "inspect", str(other)],
                                  None, size, "inspect", inputs=[other]))
        add("stats-npz", "`tubelet inspect --stats` npz", [tubelet, "inspect", "--stats", S], kind="stats")
        st = args.data / checkpoint_name(model, "safetensors")
        if st.exists():
            cases.append(Case("stats-st", model, "`tubelet inspect --stats` safetensors", [tubelet, "inspect", "--stats", str(st)],
                              None, st.stat().st_size, "stats", inputs=[st]))
    if verify_outputs:
        for extension in (["npz", "h5"] if hdf5_writes else ["npz"]):
            count = verify(tubelet, python, reference, src, out, extension)
            verified.append(f"ViT-{model}/16 → {extension}: tubelet and the reference agree on all {count} tensors "
                            "(names, dtypes, shapes, values bit for bit)")
    return cases


def placeholders(args, tubelet, python):
    """Machine paths in the commands, each replaced by the name the README gives it, so the
    results say what ran without saying where."""
    repo = Path(__file__).resolve().parent.parent
    pairs = [(str(args.scratch), "$BENCH_DIR/out"), (str(args.data), "$BENCH_DIR/data"), (str(Path(tubelet)), "$TUBELET"),
             (str(Path(tubelet).resolve()), "$TUBELET"), (python, ".venv/bin/python"), (str(repo) + "/", "")]
    pairs = [(a, b) for a, b in pairs if a]
    def redact(text):
        for machine, placeholder in sorted(pairs, key=lambda pair: -len(pair[0])):
            text = text.replace(machine, placeholder)
        return text
    return redact


def write_results(args, cases, notes, verified, machine, started, load_before, load_after, redact):
    lines = ["# Benchmark results", ""]
    lines += [f"Written by `{args.command_line}` on {started.strftime('%Y-%m-%d %H:%M UTC')}; "
              f"{args.reps} repetitions per case, alternating between cases; medians. Each case's input is read (untimed) just before it runs, so it is in the page cache "
              "(warm), as after a download; outputs go to the same disk as the inputs; `sync` runs (untimed) before every "
              "run, so no case pays for the previous one's writeback.", ""]
    lines += ["## Machine", ""]
    for key, value in machine.items():
        lines.append(f"- {key}: {redact(value)}")
    lines.append(f"- load average (1/5/15 min) before: {load_before}; after: {load_after} "
                 f"(the machine's 2 cores are shared; a load above ~0.5 means others were running)")
    lines.append("")
    for note in notes:
        lines += [f"> {note}", ""]
    if verified:
        lines += ["## Same output as the reference", ""] + [f"- {v}" for v in verified] + [""]
    lines += ["## Results", ""]
    by_model = {}
    for case in cases:
        by_model.setdefault(case.model, []).append(case)
    launch = by_model.get("-", [None])[0]
    if launch:
        lines += [f"Start-up floor (`/usr/bin/time -v true`, included in every row): {fmt_seconds(launch.median)} wall, "
                  f"{fmt_seconds(launch.cpu_median)} CPU. CPU is user + system time of the process tree (from `wait4`), "
                  "which machine load changes far less than wall time.", ""]
    targets = []
    for model, group in by_model.items():
        if model == "-":
            continue
        cp = next((c for c in group if c.key == "cp"), None)
        floor = next((c for c in group if c.key == "cp-fsync"), None)
        refs = {c.key.split("-")[1]: c for c in group if c.kind == "reference"}
        size = group[0].input_bytes
        lines += [f"### {checkpoint_name(model, 'npz')[:-4].replace('_', '/')} ({size / 1e9:.2f} GB npz)", "",
                  "| case | median | min – max | CPU (user+sys) | × cp | × cp+sync | speed-up vs reference | peak RSS | throughput |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for case in group:
            median = case.median
            ratio = f"{median / cp.median:.2f}" if median and cp and cp.median else "—"
            synced = f"{median / floor.median:.2f}" if median and floor and floor.median else "—"
            ref = refs.get(case.kind.split("-")[1]) if case.kind.startswith("inflate") and "-m1-" in case.key else None
            speedup = f"{ref.median / median:.2f}×" if ref and ref.median and median else "—"
            spread = f"{fmt_seconds(min(case.seconds))} – {fmt_seconds(max(case.seconds))}" if case.seconds else "—"
            rss = f"{case.peak_mb:.0f} MB" if case.peak_mb else "—"
            rate = f"{case.input_bytes / median / 1e9:.2f} GB/s" if median and (case.kind in ("stats", "floor", "convert") or case.kind.startswith("inflate")) else ""
            failed = f" (failed {len(case.failures)}×: {redact(case.failures[0][0])[:120]})" if case.failures else ""
            lines.append(f"| {case.label}{failed} | {fmt_seconds(median)} | {spread} | {fmt_seconds(case.cpu_median)} | {ratio} | {synced} | {speedup} | {rss} | {rate} |")
            targets += target_rows(model, case, cp, floor, ref, size)
        lines.append("")
    lines += ["## Targets", "", "| target | case | measured | verdict |", "|---|---|---:|---|"] + targets + [""]
    lines += ["## Commands", "", "```"]
    seen = set()
    for case in cases:
        text = " ".join(shlex.quote(part) for part in case.command)
        if text not in seen:
            seen.add(text)
            lines.append(f"{case.model:>3} {case.key:<20} {redact(text)}")
    lines += ["```", ""]
    old = args.results.read_text() if args.results.exists() else ""
    kept = old.split(NOTES_MARKER, 1)[1] if NOTES_MARKER in old else "\n"
    args.results.write_text("\n".join(lines) + "\n" + NOTES_MARKER + kept)
    print(f"wrote {args.results}", file=sys.stderr)


def target_rows(model, case, cp, floor, ref, size):
    rows, m = [], case.median
    if m is None:
        return rows
    def verdict(ok, how):
        return f"{'met' if ok else '**missed**'} ({how})"
    writes = case.kind.startswith("inflate") or case.kind == "convert"
    if writes and model != "B" and floor and floor.median:
        r = m / floor.median
        rows.append(f"| ≤ 1.2 × cp + sync (ViT-{model}) | {case.label} | {r:.2f} × cp+sync | {verdict(r <= 1.2, f'{(r / 1.2 - 1) * 100:+.0f}% vs the target')} |")
    if ref and ref.median and model == "L":
        s = ref.median / m
        rows.append(f"| ≥ 1.4 × faster than reference (ViT-L) | {case.label} | {s:.2f}× | {verdict(s >= 1.4, f'needs 1.4×')} |")
    if writes and case.peak_mb:
        rows.append(f"| peak RSS ≤ 64 MB, flat in size | {case.label} (ViT-{model}) | {case.peak_mb:.0f} MB | {verdict(case.peak_mb <= 64, f'{case.peak_mb - 64:+.0f} MB vs 64 MB')} |")
    if case.kind == "inspect" and model == "L":
        cpu = case.cpu_median or 0
        rows.append(f"| inspect < 15 ms (1.2 GB) | {case.label} | {m * 1000:.1f} ms wall, {cpu * 1000:.1f} ms CPU | "
                    f"{verdict(m < 0.015, 'wall time, including the start-up floor')} |")
    if case.kind == "stats" and model == "L":
        rate = case.input_bytes / m / 1e9
        rows.append(f"| inspect --stats ≥ 2 GB/s | {case.label} | {rate:.2f} GB/s | {verdict(rate >= 2, 'file bytes / wall time')} |")
    return rows


if __name__ == "__main__":
    main()
