"""The text model's cost: latency per transcript at one thread (FP32 and INT8 ONNX), file sizes, and
how often INT8 decides as FP32 does.

    python bench/bench_text.py [--text_model runs/text_model]

Scores the frozen benchmark's spoken transcripts one at a time, as infer.py scores a clip, with
the two files interleaved in the same run. Without a trained model (make text-model) it fine-tunes
one for a minute into bench/.work: the same architecture and files, so the same speed and size;
its INT8 agreement is then that of a less-trained model.
"""
import argparse
import csv
import sys
import time

import numpy as np
from common import ROOT, print_table, text_model_dir, timed_interleaved, write_results

sys.path.insert(0, str(ROOT))
import text_model  # noqa: E402

LATENCY_MS = 10.0
INT8_SIZE_SHARE = 0.30
INT8_AGREEMENT = 0.99


def transcripts():
    texts = []
    for part in ("part1", "part2"):
        for name in (f"text_benchmark_{part}_spoken.csv", f"text_benchmark_{part}.csv"):
            path = ROOT / "eval" / name
            if path.is_file():
                texts += [r["text"] for r in csv.DictReader(open(path, encoding="utf-8"))]
    return texts


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--text_model", default=str(ROOT / "runs" / "text_model"), help="encoder text model directory")
    p.add_argument("--n", type=int, default=300, help="transcripts timed one at a time (default: %(default)s)")
    args = p.parse_args()
    model_dir = text_model_dir(args.text_model, "text_model", "--n_generated", 3000, "--budget_min", 1)
    fp32, int8 = text_model.load(model_dir, threads=1), text_model.load(model_dir, int8=True, threads=1)
    texts = transcripts()
    rng = np.random.default_rng(0)
    sample = [texts[i] for i in rng.choice(len(texts), min(args.n, len(texts)), replace=False)]
    it = {"fp32": iter(sample * 10), "int8": iter(sample * 10)}
    spread = timed_interleaved({k: (lambda k=k, m=m: text_model.predict([next(it[k])], m))
                                for k, m in (("fp32", fp32), ("int8", int8))}, repeats=len(sample), warmup=20)
    sizes = {k: (ROOT / model_dir / f).stat().st_size for k, f in (("fp32", "model.onnx"), ("int8", "model_int8.onnx"))}
    t0 = time.perf_counter()
    agree = float(np.mean((text_model.predict(texts, fp32) >= fp32["threshold"]) ==
                          (text_model.predict(texts, int8) >= int8["threshold"])))
    batch_s = time.perf_counter() - t0
    p50 = {k: v["median"] * 1e3 for k, v in spread.items()}
    print_table("text model, one transcript per call, 1 thread",
                ["file", "MB", "p50 ms", "p95 ms"],
                [(k, f"{sizes[k] / 1e6:.1f}", f"{p50[k]:.2f}", f"{spread[k]['p95'] * 1e3:.2f}") for k in ("fp32", "int8")])
    # the milliseconds are the target, but this machine is shared: the ratio of the two files, timed
    # interleaved in one run, is the number that carries to another day or machine
    speedup = p50["fp32"] / p50["int8"]
    print(f"INT8 p50 is {1 / speedup:.2f}x FP32's in this run ({speedup:.2f}x as fast); the milliseconds move with "
          "the machine's load")
    print(f"INT8 decides as FP32 on {agree:.1%} of {len(texts)} benchmark texts (both files, batched: {batch_s:.1f} s)")
    share = sizes["int8"] / sizes["fp32"]
    write_results("text_model", {"model": str(model_dir), "p50_ms": p50, "int8_speedup": speedup, "sizes": sizes,
                                 "int8_agreement": agree,
                                 "n_texts": len(texts), "n_timed": len(sample), "spread": spread},
                  [(f"text model p50 <= {LATENCY_MS:g} ms at 1 thread (FP32)", p50["fp32"], p50["fp32"] <= LATENCY_MS),
                   (f"text model p50 <= {LATENCY_MS:g} ms at 1 thread (INT8)", p50["int8"], p50["int8"] <= LATENCY_MS),
                   (f"text INT8 file <= {INT8_SIZE_SHARE:.0%} of FP32", share, share <= INT8_SIZE_SHARE),
                   (f"text INT8 same decision >= {INT8_AGREEMENT:.0%}", agree, agree >= INT8_AGREEMENT)])


if __name__ == "__main__":
    main()
