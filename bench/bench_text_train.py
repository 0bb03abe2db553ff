"""What one fine-tuning step of the text model costs in fp32 and under bf16 autocast.

    python bench/bench_text_train.py [--steps 60] [--rounds 3]

Fine-tunes all-MiniLM-L6-v2 (the default starting encoder) on the generator's training text, with
the batches train_text.py makes (32 sentences, bucketed by length), at each thread count. Each
round times both precisions back to back, in alternating order, from a fresh copy of the encoder;
the table gives the median seconds per step and the ratio. Speed only: what bf16 does to accuracy
is measured by full runs of train_text.py (insights.md).
"""
import argparse
import statistics
import sys

from common import ROOT, print_table, write_results

sys.path.insert(0, str(ROOT))
import text_corpus  # noqa: E402
import text_encoder  # noqa: E402
import text_model  # noqa: E402


def seconds_per_step(texts, labels, precision, threads, steps):
    module, tokenizer, _ = text_encoder.load_for_training()
    stats = text_encoder.fine_tune(module, tokenizer, texts, labels, [-1] * len(texts), epochs=1.0, seed=0,
                                   progress=False, threads=threads, precision=precision)
    assert stats["steps"] == steps, stats
    return stats["seconds"] / stats["steps"]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=60, help="fine-tuning steps timed per run (default: %(default)s)")
    p.add_argument("--rounds", type=int, default=3, help="runs of each precision per thread count (default: %(default)s)")
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="torch thread counts (default: %(default)s)")
    args = p.parse_args()
    data = text_corpus.generate(32 * args.steps, 0, "train", spoken=0.3)
    texts, labels = [text_model.normalise_text(g["text"]) for g in data], [g["label"] for g in data]
    native = text_encoder.resolve_precision("auto") == "bf16"  # what train_text.py's default would use
    results, rows = {"native_bf16": native, "steps": args.steps, "rounds": args.rounds}, []
    for threads in args.threads:
        runs = {"fp32": [], "bf16": []}
        for r in range(args.rounds):
            for precision in (("fp32", "bf16") if r % 2 == 0 else ("bf16", "fp32")):
                runs[precision].append(seconds_per_step(texts, labels, precision, threads, args.steps))
        med = {k: statistics.median(v) for k, v in runs.items()}
        results[f"threads_{threads}"] = {"runs_s_per_step": runs, "median_s_per_step": med,
                                         "speedup": med["fp32"] / med["bf16"]}
        rows.append((threads, f"{med['fp32']:.3f}", f"{med['bf16']:.3f}", f"{med['fp32'] / med['bf16']:.2f}x"))
    print_table(f"text model fine-tuning, seconds per step of 32 sentences ({'native' if native else 'emulated'} bf16)",
                ["threads", "fp32", "bf16 autocast", "bf16 speed-up"], rows)
    write_results("text_train", results)


if __name__ == "__main__":
    main()
