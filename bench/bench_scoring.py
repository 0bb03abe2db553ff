"""Batch scoring: clips per second of infer_dataset.py end to end, CNN and Wav2Vec2-base, and its memory.

    .venv/bin/python bench/bench_scoring.py        # part of `make bench`

What is timed: infer_dataset.py run as a user runs it, as a subprocess, from start to exit. So the
Python start-up, model load, decoding (wav/flac/mp3 at 8-44.1 kHz), resampling, scoring and the CSV
are all inside; nothing is subtracted. clips/s = clips in labels.csv / wall seconds.
CNN baseline, in the same run and interleaved with it: the same script with --workers 1
--batch_size 32, one process whose ONNX Runtime session uses every core on 32 windows at a time,
the single-process way of scoring. Wav2Vec2-base runs its default (one process) and 2 workers, to show why that is its default.

The corpus is the built-in one (bench/common.corpus), repeated under distinct paths (hard links)
to make a backlog of the wanted size: every clip is still decoded and scored; the files are read
from the page cache, as in every run after the first, so this measures CPU work, not the disk.
The models are the real pipeline's: a CNN trained for one epoch by train.py (speed does not depend
on its weights) and Wav2Vec2-base (transformers' Wav2Vec2Config() defaults, 94M weights, random),
both exported by export_onnx.py under bench/.work: the CNN afresh every run, the Wav2Vec2 once.
"""
import csv
import os
import re
import resource
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (puts the repo root on sys.path too)
from utils_io import write_csv  # noqa: E402

BASE_CORPUS = (60, 40)  # harmful, safe: the demo corpus's size, 100 clips
# 1,000 clips: a backlog, where the ~2 s of Python start-up (importing torch) is a small share of
# the run. Peak memory is also measured at 100 clips, to show it does not follow the number of clips.
THROUGHPUT_COPIES, SMALL_COPIES = 10, 1
ROUNDS = 3  # CNN baseline and default alternate, so both see the same background load
W2V_CLIPS = 16  # Wav2Vec2-base needs ~1.5 CPU-s per 8-s window: a few dozen windows are enough
CNN_TARGET = 150  # clips/s (docs/performance.md)
RSS_GROWTH_LIMIT = 1.10  # peak memory at 10x the clips within 10% of the small run's

MODELS = common.WORK / "scoring_models"


def cnn_onnx(corpus):
    """LiteAudioCNN at its default width, trained one epoch by train.py and exported; made afresh
    every run, so a model an older commit left in bench/.work is never what gets timed."""
    onnx, ckpt = MODELS / "cnn.onnx", MODELS / "cnn.pt"
    common.run_script("train.py", "--data_root", corpus, "--epochs", 1, "--ckpt", ckpt, "--cache_dir", MODELS / "cache",
                      "--overwrite")
    common.run_script("export_onnx.py", "--ckpt", ckpt, "--onnx", onnx, "--n_check", 2, "--overwrite")
    return onnx


def w2v_onnx(corpus):
    """Wav2Vec2-base with random weights in a Helmit checkpoint, exported by export_onnx.py.

    Built directly rather than by train.py: a frozen backbone's training would first run it on
    every clip, minutes of CPU that say nothing about scoring speed."""
    onnx = MODELS / "wav2vec2_base.onnx"
    if onnx.exists():
        return onnx
    import torch
    from transformers import Wav2Vec2Config

    from config import CFG, CLASS_NAMES
    from model import CHECKPOINT_FORMAT, Wav2Vec2Classifier, save_checkpoint, storable_model_args

    torch.manual_seed(0)
    model = Wav2Vec2Classifier(backbone_config=Wav2Vec2Config().to_dict())
    args = storable_model_args(model, dict(n_classes=2, source=None, num_unfrozen_layers=0, dropout=0.1,
                                           pooling="mean"))
    clips = [r["path"] for r in read_rows(corpus / "labels.csv")]
    ckpt = {"format_version": CHECKPOINT_FORMAT, "arch": "Wav2Vec2Classifier", "model_args": args,
            "audio": CFG.to_dict(), "class_names": list(CLASS_NAMES), "threshold": 0.5,
            "train_args": {"data_root": str(corpus)}, "train_clips": [], "val_clips": clips[:2], "test_clips": [],
            "selection_metric": "roc_auc", "state_dict": model.state_dict(), "best_epoch": 0, "metrics": {},
            "history": []}
    save_checkpoint(MODELS / "wav2vec2_base.pt", ckpt)
    common.run_script("export_onnx.py", "--ckpt", MODELS / "wav2vec2_base.pt", "--onnx", onnx, "--n_check", 1,
                      "--overwrite")
    return onnx


def read_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def score(onnx, data_root, out_csv, *flags, labels_csv=None):
    """One infer_dataset.py run: wall and CPU seconds, peak RSS and PSS (MB) of its process tree."""
    cmd = [sys.executable, str(common.ROOT / "infer_dataset.py"), "--onnx", str(onnx), "--data_root", str(data_root),
           "--output_csv", str(out_csv), "--overwrite", *map(str, flags)]
    if labels_csv:
        cmd += ["--labels_csv", str(labels_csv)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    # every 0.2 s: reading PSS walks the page tables (~1 ms for a 1 GB process), which at the
    # default 50 ms would take CPU from the run it measures; memory is flat while clips stream
    proc, peak = common.run_with_peak_memory(cmd, interval=0.2, cwd=common.ROOT)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the workers are its children: they count too
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    clips = len(read_rows(out_csv))
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"clips": clips, "seconds": seconds, "clips_per_s": clips / seconds, "cpu_s_per_clip": cpu / clips,
            "peak_rss_mb": peak["rss_mb"], "peak_pss_mb": peak["pss_mb"], "summary": proc.stdout.strip().splitlines()[0]}


def interleaved(variants, rounds):
    """{name: [run, ...]}: the variants take turns (common.timed_interleaved: a, b, b, a, ...), so a
    burst of load from the machine's other users slows them alike and neither always runs first."""
    runs = {name: [] for name in variants}

    def turn(name):
        def run():
            runs[name].append(variants[name]())
            print(f"  {name} ({len(runs[name])}/{rounds}): {runs[name][-1]['summary']}", flush=True)
        return run
    common.timed_interleaved({name: turn(name) for name in variants}, repeats=rounds, warmup=0)
    return runs


def median_run(runs):
    keys = ("seconds", "clips_per_s", "cpu_s_per_clip", "peak_rss_mb", "peak_pss_mb")
    return {**{k: statistics.median(r[k] for r in runs) for k in keys}, "clips": runs[0]["clips"],
            "runs": [{k: r[k] for k in keys} for r in runs]}


def agreement(csv_a, csv_b):
    """Largest |P(harmful)| difference and the share of equal decisions between two predictions CSVs."""
    a, b = read_rows(csv_a), read_rows(csv_b)
    assert [r["path"] for r in a] == [r["path"] for r in b], "the two runs scored different clips"
    diff = max(abs(float(x["prob_harmful"]) - float(y["prob_harmful"])) for x, y in zip(a, b))
    return diff, sum(x["pred"] == y["pred"] for x, y in zip(a, b)) / len(a)


def describe_corpus(root):
    import soundfile as sf

    rows = read_rows(root / "labels.csv")
    kinds = Counter(f"{Path(r['path']).suffix[1:]} {sf.info(str(root / r['path'])).samplerate // 1000} kHz"
                    for r in rows)
    seconds = [float(r["duration_s"]) for r in rows]
    return {"clips": len(rows), "mean_seconds": statistics.mean(seconds), "min_seconds": min(seconds),
            "max_seconds": max(seconds), "formats": dict(sorted(kinds.items()))}


def base_corpus():
    """(data root, describe_corpus) of the built-in corpus of BASE_CORPUS clips, made once; printed."""
    base = common.corpus(*BASE_CORPUS)
    info = describe_corpus(base)
    print(f"corpus {base.name}: {info['clips']} clips, {info['mean_seconds']:.1f} s on average "
          f"({info['min_seconds']:.1f}-{info['max_seconds']:.1f} s); {info['formats']}")
    MODELS.mkdir(parents=True, exist_ok=True)
    return base, info


def config_of(run):
    """What the run used, as infer_dataset.py reports it: '2 worker(s) x 1 thread(s)'."""
    return re.search(r"\d+ worker\(s\) x \d+ thread\(s\)", run["summary"])[0]


def main():
    t0, load_at_start = time.time(), os.getloadavg()  # the machine is shared: say how busy it was
    base, corpus_info = base_corpus()
    cnn, w2v = cnn_onnx(base), w2v_onnx(base)
    corpora = {copies: common.scaled_corpus(base, copies) for copies in (SMALL_COPIES, THROUGHPUT_COPIES)}
    out = common.WORK / "scoring_out"
    out.mkdir(exist_ok=True)
    setup_seconds = time.time() - t0
    print(f"models and corpora ready in {setup_seconds:.0f}s")

    # The small run comes first and doubles as the warm-up (page cache, ONNX Runtime's first load).
    small = score(cnn, corpora[SMALL_COPIES], out / "cnn_small.csv")
    print(f"\nCNN on {THROUGHPUT_COPIES * corpus_info['clips']} clips, {ROUNDS} rounds:", flush=True)
    cnn_runs = interleaved({
        "baseline": lambda: score(cnn, corpora[THROUGHPUT_COPIES], out / "cnn_baseline.csv", "--workers", 1,
                                  "--batch_size", 32),
        "fast": lambda: score(cnn, corpora[THROUGHPUT_COPIES], out / "cnn_fast.csv"),
    }, ROUNDS)
    cnn_base, cnn_fast = median_run(cnn_runs["baseline"]), median_run(cnn_runs["fast"])
    diff, same = agreement(out / "cnn_baseline.csv", out / "cnn_fast.csv")
    large = cnn_fast
    # the two sizes also give the rate without the fixed start-up: extra clips over extra seconds
    steady = (large["clips"] - small["clips"]) / max(large["seconds"] - small["seconds"], 1e-9)

    # its default is one process (infer_dataset.default_workers); 2 workers shows why
    print(f"\nWav2Vec2-base on {W2V_CLIPS} clips, one run each:", flush=True)
    w2v_labels = common.WORK / f"{base.name}_first{W2V_CLIPS}.csv"
    rows = read_rows(base / "labels.csv")
    write_csv(w2v_labels, rows[:W2V_CLIPS], list(rows[0]))
    w2v_runs = interleaved({
        "default": lambda: score(w2v, base, out / "w2v_default.csv", labels_csv=w2v_labels),
        "2 workers": lambda: score(w2v, base, out / "w2v_2workers.csv", "--workers", 2, labels_csv=w2v_labels),
    }, 1)
    w2v_one, w2v_two = median_run(w2v_runs["default"]), median_run(w2v_runs["2 workers"])
    w2v_diff, w2v_same = agreement(out / "w2v_default.csv", out / "w2v_2workers.csv")

    table = []
    for model, runs in (("CNN", cnn_runs), ("Wav2Vec2-base", w2v_runs)):
        first = median_run(next(iter(runs.values())))
        for name, name_runs in runs.items():
            run = median_run(name_runs)
            table.append((model, f"{name}: {config_of(name_runs[0])}", run["clips"], run["clips_per_s"],
                          run["clips_per_s"] / first["clips_per_s"], run["cpu_s_per_clip"] * 1000,
                          run["peak_rss_mb"], run["peak_pss_mb"]))
    common.print_table("infer_dataset.py end to end (a subprocess; start-up and decoding included; CNN: median of "
                       f"{ROUNDS} interleaved rounds)",
                       ["model", "run", "clips", "clips/s", "x first", "CPU ms/clip", "peak RSS MB", "peak PSS MB"],
                       table)
    common.print_table("fast path, CNN: peak memory of the process tree against the number of clips",
                       ["clips", "seconds", "clips/s", "peak RSS MB", "peak PSS MB"],
                       [(r["clips"], r["seconds"], r["clips_per_s"], r["peak_rss_mb"], r["peak_pss_mb"])
                        for r in (small, large)])
    print(f"  clips/s without the fixed start-up (extra clips / extra seconds between the two sizes): {steady:.0f}")
    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; at {cnn_fast['cpu_s_per_clip'] * 1000:.1f} "
          f"CPU-ms per clip the CNN default could reach at most {os.cpu_count() / cnn_fast['cpu_s_per_clip']:.0f} "
          "clips/s with every core free (a bound from CPU time, not a measurement)")

    growth = {k: large[f"peak_{k}_mb"] / small[f"peak_{k}_mb"] for k in ("rss", "pss")}
    speedup = cnn_fast["clips_per_s"] / cnn_base["clips_per_s"]
    targets = [
        (f"infer_dataset.py, CNN, end to end on {os.cpu_count()} cores: >= {CNN_TARGET} clips/s",
         cnn_fast["clips_per_s"], cnn_fast["clips_per_s"] >= CNN_TARGET),
        ("CNN: faster than the one-process path in the same run (x baseline)", speedup, speedup > 1),
        ("CNN: worker processes give the one-process scores (max |P diff|)", diff, diff <= 1e-5 and same == 1.0),
        ("Wav2Vec2-base: 2 workers give the one-process scores (max |P diff|)", w2v_diff,
         w2v_diff <= 1e-4 and w2v_same == 1.0),
        (f"peak RSS, {large['clips']} / {small['clips']} clips: <= {RSS_GROWTH_LIMIT}", growth["rss"],
         growth["rss"] <= RSS_GROWTH_LIMIT),
    ]
    results = {
        "what": "infer_dataset.py as a subprocess, wall seconds from start to exit (Python start-up, model load, "
                "decoding, scoring and the CSV included); clips/s = clips / those seconds",
        "baseline": "infer_dataset.py --workers 1 --batch_size 32: one process, ONNX Runtime on every core, 32 "
                    "windows per call (the single-process way)",
        "corpus": {**corpus_info, "throughput_clips": cnn_fast["clips"], "copies_by_hard_link": THROUGHPUT_COPIES},
        "cnn": {"baseline": cnn_base, "fast": cnn_fast, "fast_config": config_of(cnn_runs["fast"][0]),
                "speedup": speedup, "max_abs_prob_diff": diff, "same_decisions": same,
                "clips_per_s_without_startup": steady,
                # not a measurement: what the measured CPU cost per clip would allow if every core were free
                "cpu_bound_clips_per_s_if_cores_idle": os.cpu_count() / cnn_fast["cpu_s_per_clip"]},
        "wav2vec2_base": {"clips": W2V_CLIPS, "default": w2v_one, "default_config": config_of(w2v_runs["default"][0]),
                          "two_workers": w2v_two,
                          "two_workers_speedup": w2v_two["clips_per_s"] / w2v_one["clips_per_s"],
                          "max_abs_prob_diff": w2v_diff, "same_decisions": w2v_same,
                          "onnx_mb": w2v.stat().st_size / 2**20},
        "memory": {"note": "peaks sampled every 50 ms over the process and its workers. RSS counts the pages forked "
                           "workers share with their parent once per process; PSS splits them, so it is what "
                           "the tree really holds",
                   **{f"{r['clips']}_clips": {k: r[k] for k in ("peak_rss_mb", "peak_pss_mb", "seconds")}
                      for r in (small, large)},
                   "growth_rss": growth["rss"], "growth_pss": growth["pss"]},
        "load_average_at_bench_start": list(load_at_start),
        "setup_seconds": setup_seconds,
        "bench_seconds": time.time() - t0,
    }
    common.write_results("scoring", results, targets)
    print(f"bench_scoring.py took {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
