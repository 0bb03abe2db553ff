"""What every benchmark shares: the machine record, repeated timing, peak memory, corpora, results.

Every speed claim is a ratio against a baseline timed in the same run (this machine is shared and
noisy), so each benchmark times its baseline and its fast path back to back with `timed`, and
writes both with the machine it ran on to bench/results/<name>.json.
"""
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work"        # corpora and models the benchmarks make (git-ignored)
RESULTS = ROOT / "bench" / "results"   # one JSON per benchmark (git-ignored)
sys.path.insert(0, str(ROOT))  # the scripts are top-level modules


def machine():
    """Cores, CPU, versions and thread settings, stored with every result."""
    import numpy
    import onnxruntime
    import torch

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor()) if Path("/proc/cpuinfo").exists() else platform.processor()
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True).stdout.strip()
    except OSError:
        commit = ""
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
            "onnxruntime": onnxruntime.__version__, "numpy": numpy.__version__,
            "load_average_at_start": list(os.getloadavg()), "commit": commit,
            "date": time.strftime("%Y-%m-%d %H:%M:%S")}


def timed(fn, repeats=5, warmup=1):
    """Seconds per call of fn(): warm-up calls first, then `repeats` timed calls.
    Returns {median, p95, min, runs} so a table can show the spread, not only the middle."""
    for _ in range(warmup):
        fn()
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return _spread(runs)


def _spread(runs):
    ordered = sorted(runs)
    return {"median": statistics.median(runs), "p95": ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))],
            "min": ordered[0], "runs": runs}


def timed_interleaved(fns, repeats=5, warmup=1):
    """`timed` for several functions called in turn (a, b, b, a, ...), so that a burst of load from
    the machine's other users slows all of them alike. fns: {name: fn}.

    Returns {name: timed()'s dict plus "cpu_median"}: the median CPU seconds of the calling thread
    per call. When the work runs on the calling thread alone (ONNX Runtime with one intra-op thread),
    that is the latency without the time other processes held the core."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    wall, cpu = {name: [] for name in fns}, {name: [] for name in fns}
    for r in range(repeats):
        for name, fn in list(fns.items())[:: 1 if r % 2 == 0 else -1]:  # neither always goes first
            start, start_cpu = time.perf_counter(), time.thread_time()
            fn()
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(time.thread_time() - start_cpu)
    return {name: {**_spread(wall[name]), "cpu_median": statistics.median(cpu[name])} for name in fns}


def run_with_peak_rss(cmd, interval=0.05, **kwargs):
    """Run a command; returns (CompletedProcess, peak RSS in MB of it and all its children together).

    Sampled every `interval` s with psutil, summing the process tree, so DataLoader workers and
    torchrun's processes count too."""
    proc, peak = run_with_peak_memory(cmd, interval, pss=False, **kwargs)
    return proc, peak["rss_mb"]


def run_with_peak_memory(cmd, interval=0.05, pss=True, **kwargs):
    """Like run_with_peak_rss, but returns (CompletedProcess, {"rss_mb": ..., "pss_mb": ...,
    "worker_rss_mb": ...}): the tree's sums, and the peak RSS of its largest child process alone.

    A sum of RSS counts every page a forked worker shares with its parent (torch's libraries:
    hundreds of MB) once per process. PSS (Linux; pss=True) splits each shared page among the
    processes that map it, so its sum is the memory the tree really holds. Reading it costs more
    (/proc/<pid>/smaps_rollup), so pss=False samples RSS alone."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)
    peak = {"rss_mb": 0.0, "pss_mb": 0.0} if pss else {"rss_mb": 0.0}
    worker = {"worker_rss_mb": 0.0}

    def sample():
        try:
            root = psutil.Process(proc.pid)
            while proc.poll() is None:
                total = dict.fromkeys(peak, 0)
                for p in [root, *root.children(recursive=True)]:
                    try:
                        info = p.memory_full_info() if pss else p.memory_info()
                        for key in peak:
                            total[key] += getattr(info, key[:3]) / 2**20
                        if p.pid != root.pid:
                            worker["worker_rss_mb"] = max(worker["worker_rss_mb"], info.rss / 2**20)
                    except psutil.Error:
                        pass
                for key in peak:
                    peak[key] = max(peak[key], total[key])
                time.sleep(interval)
        except psutil.Error:
            pass

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    out, err = proc.communicate()
    watcher.join()
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err), {**peak, **worker}


def run_script(script, *args, **kwargs):
    """A pipeline stage as a subprocess from the repo root, failing loudly with its stderr."""
    proc = subprocess.run([sys.executable, str(ROOT / script), *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, **kwargs)
    if proc.returncode != 0:
        raise RuntimeError(f"{script} {' '.join(map(str, args))} exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    return proc


def text_model_dir(preferred, fallback, *train_args):
    """`preferred` (the full model of make text-model) when it holds a text model, else bench/.work/<fallback>,
    trained once with train_text.py `train_args`: the same architecture and files, so the same cost per
    transcript, though less trained."""
    model_dir = ROOT / preferred
    if (model_dir / "text_model.json").is_file():
        return model_dir
    model_dir = WORK / fallback
    if not (model_dir / "text_model.json").is_file():
        run_script("train_text.py", "--out", model_dir, *train_args, "--overwrite")
    return model_dir


def corpus(n_harmful, n_safe, seed=42, holdout=0.2):
    """A built-in corpus (mixed wav/flac/mp3, 8-44.1 kHz, 1.5-25 s) with labels.csv, made once and
    reused: bench/.work/corpus_<h>_<s>_<seed>. Returns its data root."""
    root = WORK / f"corpus_{n_harmful}_{n_safe}_{seed}"
    if not (root / "labels.csv").exists():
        run_script("synth_dataset.py", "--out_dir", root, "--n_harmful", n_harmful, "--n_safe", n_safe,
                   "--seed", seed, "--holdout", holdout, "--overwrite")
        run_script("prep_dataset.py", "--data_root", root, "--overwrite")
    return root


def scaled_corpus(root, copies):
    """`copies` x the clips of corpus `root` under distinct paths (hard links: same bytes, no extra disk):
    bench/.work/<root name>_x<copies>. Every copy is a clip of its own to decode, cache and train on."""
    import csv

    from utils_io import write_csv

    out = WORK / f"{Path(root).name}_x{copies}"
    if (out / "labels.csv").exists():
        return out
    with open(Path(root) / "labels.csv", newline="") as f:
        reader = csv.DictReader(f)
        fields, rows = reader.fieldnames, list(reader)
    copied = []
    for k in range(copies):
        for row in rows:
            rel = f"copy{k}/{row['path']}"
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            if not (out / rel).exists():
                try:
                    os.link(Path(root) / row["path"], out / rel)
                except OSError:  # a filesystem without hard links
                    (out / rel).symlink_to((Path(root) / row["path"]).resolve())
            copied.append({**row, "path": rel})
    write_csv(out / "labels.csv", copied, fields)  # last: its presence marks a finished corpus
    return out


def print_table(title, headers, rows):
    """A plain fixed-width table: what a person reads in the terminal and pastes into the README."""
    cells = [[str(h) for h in headers]] + [[c if isinstance(c, str) else f"{c:.4g}" if isinstance(c, float) else str(c)
                                            for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    print(f"\n{title}")
    for i, row in enumerate(cells):
        print("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths)))
        if i == 0:
            print("  " + "  ".join("-" * w for w in widths))


def write_results(name, results, targets=None):
    """bench/results/<name>.json: the machine, the measurements and each target with pass/fail.

    targets: [(description, measured value, passed bool)]. Returns the path."""
    from utils_io import atomic_output

    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {"benchmark": name, "machine": machine(), "results": results,
               "targets": [{"target": t, "measured": v, "met": bool(ok)} for t, v, ok in (targets or [])]}
    path = RESULTS / f"{name}.json"
    with atomic_output(path, "w", encoding="utf-8") as f:
        json.dump(payload, f, indent=2, default=float)
    if targets:
        print_table(f"{name}: targets", ["target", "measured", "met"],
                    [(t, v if isinstance(v, str) else f"{v:.4g}", "yes" if ok else "NO") for t, v, ok in targets])
    print(f"\nwrote {path.relative_to(ROOT)}")
    return path
