"""One clip through infer.py as a user runs it: a subprocess, wall seconds from start to exit.

    .venv/bin/python bench/bench_startup.py        # part of `make bench`

A moderation queue that calls infer.py once per clip pays the Python start-up every time, and for an 8-s
clip with the CNN that start-up is nearly all of the run. scoring.py reads an ONNX file's metadata from its
protobuf fields itself rather than importing the onnx package, whose import (its ml_dtypes extension) took
~0.5 s. Baseline, in the same run and interleaved with it: the same infer.py run with `import onnx` first,
as every run paid before. The floor: `python -c pass`, the interpreter's own start.

The model is bench_scoring.py's CNN (trained one epoch by train.py and exported by export_onnx.py, made
afresh) and the clip the built-in corpus's first; all CPU work, the files come from the page cache.
"""
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (puts the repo root on sys.path too)
from bench_scoring import cnn_onnx  # noqa: E402

ROUNDS = 15


def main():
    t0 = time.time()
    corpus = common.corpus(60, 40)
    onnx = cnn_onnx(corpus)
    clip = corpus / next(line.split(",")[0] for line in (corpus / "labels.csv").read_text().splitlines()[1:])
    args = ["--onnx", str(onnx), "--audio_path", str(clip), "--json"]
    infer = str(common.ROOT / "infer.py")
    runs = {
        "infer.py": [sys.executable, infer, *args],
        "infer.py, onnx imported first (baseline)": [
            sys.executable, "-c", "import onnx, runpy, sys; sys.argv = sys.argv[1:]; "
            "runpy.run_path(sys.argv[0], run_name='__main__')", infer, *args],
        "python -c pass (floor)": [sys.executable, "-c", "pass"],
    }

    out = {}  # each run's last output

    def call(name, cmd):
        def run():
            out[name] = subprocess.run(cmd, cwd=common.ROOT, capture_output=True, text=True, check=True).stdout
        return run

    timed = common.timed_interleaved({name: call(name, cmd) for name, cmd in runs.items()}, repeats=ROUNDS)
    same = out["infer.py"] == out["infer.py, onnx imported first (baseline)"]  # the baseline decides as infer.py does
    base, new = timed["infer.py, onnx imported first (baseline)"], timed["infer.py"]
    common.print_table(f"one clip, infer.py as a subprocess, start to exit (median of {ROUNDS} interleaved rounds)",
                       ["run", "median s", "p95 s", "min s", "x baseline"],
                       [(name, t["median"], t["p95"], t["min"], base["median"] / t["median"]) for name, t in timed.items()])
    speedup = base["median"] / new["median"]
    # the ratio is a measurement, not a target: the baseline is this run plus an import, so it shows what the
    # import costs, and could only fail by noise
    targets = [("infer.py one clip: the same output as the baseline", "yes" if same else "no", same)]
    results = {"what": "wall seconds of a one-clip infer.py subprocess, start to exit",
               "baseline": "the same run with `import onnx` first (what each run paid before scoring.py read the "
                           "metadata itself)",
               "rounds": ROUNDS, "clip": str(clip.relative_to(corpus)), "timed": timed, "speedup": speedup,
               "bench_seconds": time.time() - t0}
    common.write_results("startup", results, targets)
    print(f"bench_startup.py took {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
