"""Score every clip of a labels.csv with a Helmit ONNX model and write the predictions CSV.

Columns: path,label,pred,prob,prob_harmful,split,error (plus category when labels.csv has one).
`split` comes from the model's own record of the clips it trained and validated on, so metrics
on training clips can never pass for held-out metrics. One bad clip does not stop the run: its
row carries the error, and the exit code is 1 when any clip failed.
"""
import argparse
import json
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from model import clip_prob, decision, harmful_probs, load_onnx, window_and_stride
from utils_audio import stream_windows
from utils_io import HelmitError, read_labels_csv, refuse_to_overwrite, run_cli, write_csv

FIELDS = ["path", "label", "pred", "prob", "prob_harmful", "split", "error"]


def split_lookup(meta):
    """path -> train/val/test from the model's metadata; 'all' when the model kept no record."""
    lookup = {}
    for split in ("test", "val", "train"):
        for p in json.loads(meta.get(f"{split}_clips", "[]")):
            lookup[p] = split
    default = "test" if lookup else "all"  # a recorded model never saw clips outside its lists
    return lambda path: lookup.get(path, default)


def score_rows(sess, meta, rows, batch_size, window, stride):
    """Yield (row, prob_harmful or None, error or '') for each row.

    Windows are batched across clips (many short clips share one ONNX Runtime call) and each clip
    is streamed, so a one-hour recording holds one decoded block and one batch, not the hour.
    """
    sr = int(meta["sample_rate"])
    queue, done = [], []  # queue: (that clip's probs list, window) awaiting the model; done: clips fully queued
    for row in rows:
        probs = []
        try:
            for _, win in stream_windows(row["abspath"], window, stride, sr):
                queue.append((probs, win))
                if len(queue) >= batch_size:
                    _run_queue(sess, queue)
        except HelmitError as e:  # a clip that fails half way is dropped: its queued windows too
            queue[:] = [(p, w) for p, w in queue if p is not probs]
            yield row, None, str(e)
            continue
        done.append((row, probs))
        yield from _finished(done, queue)
    _run_queue(sess, queue)
    yield from _finished(done, queue)


def _run_queue(sess, queue):
    """Score every queued window and append each P(harmful) to its clip's list."""
    if queue:
        logits = sess.run(["logits"], {"waveform": np.stack([w for _, w in queue])})[0]
        for (probs, _), p in zip(queue, harmful_probs(logits)):
            probs.append(p)
        queue.clear()


def _finished(done, queue):
    """Yield the result of each clip in `done` with no window left in the queue."""
    waiting = {id(p) for p, _ in queue}
    for row, probs in [d for d in done if id(d[1]) not in waiting]:
        p = clip_prob(probs)
        yield (row, p, "") if np.isfinite(p) else (row, None, f"{row['abspath']}: the model returned NaN")
    done[:] = [d for d in done if id(d[1]) in waiting]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--onnx", default="runs/lite_cnn.onnx", help="Helmit ONNX model (FP32 or INT8)")
    p.add_argument("--data_root", default="data", help="folder the paths in labels.csv are relative to")
    p.add_argument("--labels_csv", default=None, help="clips to score (default: <data_root>/labels.csv)")
    p.add_argument("--output_csv", default=None, help="predictions CSV (default: <data_root>/<model>_predictions.csv)")
    p.add_argument("--batch_size", type=int, default=32, help="windows per ONNX Runtime call")
    p.add_argument("--stride_sec", type=float, default=None, help="hop between windows (default: half a window)")
    p.add_argument("--threads", type=int, default=0, help="ONNX Runtime threads (0 = all cores)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing predictions CSV")
    args = p.parse_args(argv)
    labels_csv = Path(args.labels_csv or Path(args.data_root) / "labels.csv")
    out = Path(args.output_csv or Path(args.data_root) / f"{Path(args.onnx).stem}_predictions.csv")
    refuse_to_overwrite(out, args.overwrite, inputs=[labels_csv, args.onnx])
    sess, meta = load_onnx(args.onnx, args.threads)
    window, stride = window_and_stride(meta, None, args.stride_sec)  # fails before any clip is read
    threshold = float(meta["threshold"])
    rows = [{**r, "index": i} for i, r in enumerate(read_labels_csv(labels_csv, args.data_root, check_files=False))]
    split_of = split_lookup(meta)
    extra = [c for c in ("category", "fold") if c in rows[0]]
    results, failures, t0 = [], [], time.time()
    scored = sorted(tqdm(score_rows(sess, meta, rows, args.batch_size, window, stride),
                         total=len(rows), desc="scoring", unit="clip"), key=lambda r: r[0]["index"])
    for row, p_harm, error in scored:  # in labels.csv order (failed clips come back first)
        out_row = {"path": row["path"], "label": row["label"], "split": split_of(row["path"]), "error": error,
                   **{c: row.get(c, "") for c in extra}}
        if error:
            failures.append(error)
            out_row.update(pred="", prob="", prob_harmful="")
        else:
            out_row.update(decision(p_harm, threshold))
        results.append(out_row)
    seconds = time.time() - t0
    write_csv(out, results, FIELDS + extra)
    scored = [r for r in results if not r["error"]]
    held = [r for r in scored if r["split"] != "train"]
    print(f"wrote {out}: {len(scored)} clips scored in {seconds:.1f}s ({len(rows) / max(seconds, 1e-9):.0f} clips/s), "
          f"{len(failures)} failed; threshold {threshold:.3f}")
    splits = {s: sum(r["split"] == s for r in scored) for s in ("train", "val", "test", "all")}
    print("  splits: " + ", ".join(f"{k} {v}" for k, v in splits.items() if v))
    if held:
        acc = np.mean([r["pred"] == r["label"] for r in held])
        print(f"  accuracy on the {len(held)} clips the model did not train on: {acc:.3f} (run compute_metrics.py for more)")
    for e in failures[:10]:
        print(f"  failed: {e}")
    return 1 if failures else 0


if __name__ == "__main__":
    run_cli(main)
