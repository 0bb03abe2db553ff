"""Fused scoring end to end: infer_dataset.py --fusion with packed Whisper windows against one clip per
window (today's path before packing), and the default hearings of each clip (transcribe.DEFAULT_HEARINGS) against one, in the
same run, interleaved; word recall of each; memory.

    .venv/bin/python bench/bench_fused.py [--rounds 2]      # part of `make bench`

What is timed: infer_dataset.py --fusion run as a user runs it, as a subprocess, from start to exit:
Python start-up, loading the CNN and Whisper base in each worker, decoding the clips (wav/flac/mp3 at
8-44.1 kHz, 2-25 s), transcribing them, the acoustic and text scores, the fusion and the CSV. Each run
gets an empty transcript cache, so every clip is transcribed. clips/s = clips / wall seconds.

The corpus is the built-in one (bench/common.corpus, 100 clips); its synth_manifest.csv has the text
each clip speaks, against which both paths' transcripts are scored for word recall (each spoken word
found, in any order: transcribe.word_recall). The fused model is made as `make demo` makes one, on
another 50 clips (fused_model_dir), with the full text model when runs/text_model exists.
Memory: peak RSS of the largest worker process, scoring the 100 clips and 1,000 (the same 100 ten times
under other paths, hard links: the 900 repeats are read from the transcript cache the run fills).
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (puts the repo root on sys.path too)
from bench_scoring import MODELS, base_corpus, cnn_onnx, interleaved, read_rows  # noqa: E402
from transcribe import DEFAULT_HEARINGS  # noqa: E402
from utils_io import write_csv  # noqa: E402

SPEEDUP_TARGET = 2.0  # fused clips/s against one clip per window, same run
RECALL_POINTS = 1.0  # word recall may fall at most this many points
SAME_DECISIONS = 0.98
RSS_GROWTH_LIMIT = 1.10
COPIES = 10
# harmful, safe, seed: the clips the fusion is fit on. Not the scored corpus's seed: a corpus of the same seed
# holds some of the same clips byte for byte, which infer_dataset.py (rightly) marks as the CNN's training clips,
# and fusion.py refuses to fit on those
FUSION_CORPUS = (30, 20, 43)


def text_model():
    """The full text model (make text-model) when there is one, else the demo's smaller one (one epoch on
    21,400 sentences, ~3.5 min), trained once into bench/.work."""
    return common.text_model_dir("runs/text_model", "text_model_demo", "--n_generated", 12000, "--epochs", 1,
                                 "--budget_min", 0)


def fused_model_dir(onnx, out_dir):
    """A fused model made as `make demo` makes one, on another corpus (50 clips): the bench CNN's
    scores, one-clip-per-window transcripts of those clips (what a fusion fit before packing saw) and
    the text model, through fusion.py. Made every run, for that run's CNN; the transcripts come from
    the cache after the first run."""
    bundle = out_dir / "helmit_fused"
    root = common.corpus(*FUSION_CORPUS)
    # its paths under the bench's folder: the corpus names its files as the CNN's training corpus does
    # (harmful/synth_00000.wav, ...), so the CNN would take them for its training clips
    labels = out_dir / "fusion_labels.csv"
    rows = read_rows(root / "labels.csv")
    write_csv(labels, [{**r, "path": f"{root.name}/{r['path']}"} for r in rows], list(rows[0]))
    where = ["--data_root", common.WORK, "--labels_csv", labels]
    common.run_script("transcribe.py", *where, "--one_clip_per_window", "--cache_dir", common.WORK / "cache",
                      "--output_csv", out_dir / "fusion_transcripts.csv", "--overwrite")
    common.run_script("infer_dataset.py", "--onnx", onnx, *where, "--output_csv", out_dir / "fusion_acoustic.csv",
                      "--overwrite")
    common.run_script("fusion.py", "--acoustic_csv", out_dir / "fusion_acoustic.csv", "--transcripts",
                      out_dir / "fusion_transcripts.csv", "--text_model", text_model(), "--acoustic_onnx", onnx,
                      "--out", bundle, "--overwrite")
    return bundle


def score(fused, data_root, out_csv, *flags):
    """One infer_dataset.py --fusion run with an empty transcript cache: seconds, clips/s, peak memory."""
    with tempfile.TemporaryDirectory() as cache:
        cmd = [sys.executable, str(common.ROOT / "infer_dataset.py"), "--fusion", str(fused),
               "--data_root", str(data_root), "--output_csv", str(out_csv), "--cache_dir", cache, "--overwrite",
               *flags]
        start = time.perf_counter()
        proc, peak = common.run_with_peak_memory(cmd, interval=0.2, cwd=common.ROOT)
        seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    clips = len(read_rows(out_csv))
    return {"clips": clips, "seconds": seconds, "clips_per_s": clips / seconds, "peak_rss_mb": peak["rss_mb"],
            "peak_pss_mb": peak["pss_mb"], "worker_rss_mb": peak["worker_rss_mb"],
            "summary": proc.stdout.strip().splitlines()[0]}


def recall_and_agreement(root, csvs):
    """({path: mean word recall over its rounds}, {path: mean balanced accuracy of the fused decisions},
    {(path, path): mean share of clips with the same fused decision over every pair of rounds}), a path
    against itself included (one clip per window samples at a higher temperature when a decode fails, so
    it does not always agree with itself either). csvs: {path: [predictions CSV of each round]}."""
    from itertools import combinations, product

    from sklearn.metrics import balanced_accuracy_score

    from transcribe import word_recall

    spoken = {r["path"]: r["text"] for r in read_rows(root / "synth_manifest.csv")}
    rows = {name: [read_rows(f) for f in files] for name, files in csvs.items()}
    recall, accuracy = {}, {}
    for name, rounds in rows.items():
        scores = [word_recall([spoken[r["path"]] for r in rs], [r["transcript"] for r in rs]) for rs in rounds]
        recall[name] = statistics.mean(found / total for found, total in scores)
        accuracy[name] = statistics.mean(balanced_accuracy_score([r["label"] for r in rs], [r["pred"] for r in rs])
                                         for rs in rounds)
    same = lambda a, b: sum(x["pred"] == y["pred"] for x, y in zip(a, b)) / len(a)  # noqa: E731
    agree = {(n, n): statistics.mean(same(a, b) for a, b in combinations(rs, 2)) for n, rs in rows.items() if len(rs) > 1}
    for (n1, r1), (n2, r2) in combinations(rows.items(), 2):
        agree[n1, n2] = statistics.mean(same(a, b) for a, b in product(r1, r2))
    return recall, accuracy, agree


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=2, help="interleaved runs of each path (default: %(default)s)")
    args = p.parse_args()
    t0, load_at_start = time.time(), os.getloadavg()
    base, info = base_corpus()
    onnx = cnn_onnx(base)
    fused = fused_model_dir(onnx, MODELS)
    out = common.WORK / "fused_out"
    out.mkdir(exist_ok=True)
    print(f"\nfused scoring of {info['clips']} clips, {args.rounds} interleaved rounds:", flush=True)
    csvs = {"one clip per window": [], "packed": [], "packed, one hearing": []}

    def run(name, *flags):
        csvs[name].append(out / f"{name.replace(' ', '_')}_{len(csvs[name])}.csv")
        return score(fused, base, csvs[name][-1], *flags)
    runs = interleaved({"one clip per window": lambda: run("one clip per window", "--one_clip_per_window"),
                        "packed": lambda: run("packed"),
                        "packed, one hearing": lambda: run("packed, one hearing", "--hearings", "1")}, args.rounds)
    one, packed, once = ({k: statistics.median(r[k] for r in runs[name]) for k in runs[name][0] if k != "summary"}
                         for name in ("one clip per window", "packed", "packed, one hearing"))
    speedup = packed["clips_per_s"] / one["clips_per_s"]
    hearing_cost = once["clips_per_s"] / packed["clips_per_s"]
    recall, accuracy, agree = recall_and_agreement(base, csvs)
    recall_one, recall_packed = recall["one clip per window"], recall["packed"]
    same = agree["one clip per window", "packed"]
    print(f"\npacked, {COPIES * info['clips']} clips (the {info['clips']} x {COPIES}, hard links), for memory:", flush=True)
    large = score(fused, common.scaled_corpus(base, COPIES), out / "packed_large.csv")
    growth = large["worker_rss_mb"] / packed["worker_rss_mb"]

    common.print_table(f"infer_dataset.py --fusion end to end, {info['clips']} clips (median of {args.rounds} "
                       "interleaved rounds, word recall their mean; a subprocess with an empty transcript cache)",
                       ["path", "clips/s", "x one per window", "word recall", "fused balanced accuracy",
                        "largest worker MB", "tree PSS MB"],
                       [(name, run["clips_per_s"], run["clips_per_s"] / one["clips_per_s"], recall[name],
                         accuracy[name], run["worker_rss_mb"], run["peak_pss_mb"])
                        for name, run in (("one clip per window", one), ("packed", packed),
                                          ("packed, one hearing", once))])
    print(f"  {DEFAULT_HEARINGS} hearings (the default) take {hearing_cost:.2f}x the time of one, packed; fused balanced accuracy "
          f"{accuracy['packed']:.3f} against {accuracy['packed, one hearing']:.3f} (these 100 clips share the fusion's "
          "templates, so they say little about accuracy: insights.md has the benchmark's)")
    print(f"  same fused decision, one clip per window against packed: {same:.1%} of clips (mean over pairs of rounds); "
          + ", ".join(f"{a} against itself: {v:.1%}" for (a, b), v in agree.items() if a == b))
    print(f"  packed scoring {large['clips']} clips: largest worker "
          f"{large['worker_rss_mb']:.0f} MB ({growth:.2f}x the {info['clips']}-clip run); load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    targets = [
        (f"fused infer_dataset.py, packed: >= {SPEEDUP_TARGET}x the clips/s of one clip per window, same run", speedup,
         speedup >= SPEEDUP_TARGET),
        (f"word recall within {RECALL_POINTS:g} point of one clip per window ({recall_one:.3f})", recall_packed,
         recall_packed >= recall_one - RECALL_POINTS / 100),
        (f"same fused decision on >= {SAME_DECISIONS:.0%} of clips", same, same >= SAME_DECISIONS),
        (f"largest worker's peak RSS, {large['clips']} / {packed['clips']} clips: <= {RSS_GROWTH_LIMIT}", growth,
         growth <= RSS_GROWTH_LIMIT),
    ]
    common.write_results("fused", {
        "what": "infer_dataset.py --fusion as a subprocess with an empty transcript cache, wall seconds from start to "
                "exit; clips/s = clips / those seconds",
        "baseline": "infer_dataset.py --fusion --one_clip_per_window: each clip in Whisper windows of its own",
        "corpus": info, "one_clip_per_window": one, "packed": packed, "speedup": speedup,
        "packed_one_hearing": once, "default_hearings": DEFAULT_HEARINGS, "default_hearings_time_ratio": hearing_cost,
        "runs": {name: [{k: v for k, v in r.items() if k != "summary"} for r in rs] for name, rs in runs.items()},
        "word_recall_mean_of_rounds": recall, "fused_balanced_accuracy_mean_of_rounds": accuracy,
        "same_decisions_mean_of_round_pairs": same,
        "same_decisions_against_itself": {a: v for (a, b), v in agree.items() if a == b},
        "memory": {"large": {k: v for k, v in large.items() if k != "summary"}, "worker_rss_growth": growth},
        "load_average_at_bench_start": list(load_at_start), "bench_seconds": time.time() - t0,
    }, targets)
    print(f"bench_fused.py took {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
