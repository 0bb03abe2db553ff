"""Score every clip of a labels.csv (or, with --audio_dir, of an unlabelled folder) with a Helmit ONNX model and write the predictions CSV.

Columns: path,label,pred,prob,prob_harmful,split,error (plus category, fold and group when labels.csv
has them; label is empty for --audio_dir).
`split` comes from the model's own record of the clips it trained and validated on (and, with
--fusion, of the clips the fusion was fit on), so metrics on training clips can never pass for
held-out metrics. One bad clip does not stop the run: its
row carries the error, and the exit code is 1 when any clip failed. Clips are decoded and scored
in parallel worker processes, and --num_shards/--shard_index split a backlog between jobs.
"""
import argparse
import contextlib
import csv
import json
import math
import multiprocessing
import os
import signal
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np
from tqdm import tqdm

import text_model
from config import AUDIO_EXTENSIONS
from fused_model import (LOW_CONFIDENCE, NO_SPEECH, TEXT_INT8_HELP, UNSURE_HELP, acoustic_weight, check_transcript_ways,
                         check_unsure_below, chosen_hearings, fusion_hearings, unsure_words)
from scoring import (DEFAULT_ONNX, clip_prob, decision, default_onnx, harmful_probs, load_onnx, read_metadata,
                     window_and_stride)
from prediction_csvs import shard_csv_path
from recognizers import add_recognizer_args
from transcribe import add_hearings_arg
from utils_audio import AudioStats, list_audio_files, stream_windows
from utils_io import (HelmitError, HelpFormatter, atomic_output, clip_digest, read_labels_csv, refuse_to_overwrite,
                      run_cli, usable_cores)

# warning: what decoding saw (truncated, very quiet, clipped, too short, NaN samples), an empty transcript and words
# the recognizer was unsure of, "; "-joined
FIELDS = ["path", "label", "pred", "prob", "prob_harmful", "split", "error", "warning"]
# with --fusion; heard_again: the clip's other hearings (transcribe.py --hearings), " | "-joined, whose text
# scores the fused decision averaged with the transcript's
FUSED_FIELDS = ["prob_acoustic", "prob_text", "pred_category", "transcript", "heard_again", "asr_confidence",
                "top_words"]
# Clips per task sent to a worker. Small enough that the workers stay evenly loaded to the end and
# Ctrl-C waits for at most one chunk each; large enough that passing a task between processes
# (~1 ms) is noise next to its work, and that a --batch_size above 1 can gather several clips.
MAX_CHUNK_CLIPS = 8


def default_workers(meta):
    """Worker processes when --workers is 0: one per core for the CNN, one in all for Wav2Vec2.

    Decoding a clip costs a third to a half of the CNN's CPU time for its windows, and only
    processes run it in parallel. Wav2Vec2's windows cost hundreds of times the decoding, in matrix
    products ONNX Runtime's threads already share out: in bench/bench_scoring.py 2 single-thread
    workers used 5-15% less CPU per clip than one 2-thread session, but each worker holds its own
    copy of the model (+0.9 GB for Wav2Vec2-base; one per core on a 32-core server would want
    ~20 GB). So one by default, and --workers to trade memory for those few percent.
    """
    return usable_cores() if meta.get("arch") == "LiteAudioCNN" else 1


def split_lookup(meta, fit_on=(), fit_digests=()):
    """(path, file) -> train/val/test from the model's metadata; 'all' when the model kept no record.

    A model that recorded its clips' digests (utils_io.clip_digest) knows them by content: a training
    clip under another path or in a copied folder is still train, and a new clip that shares a
    training clip's name is not. Only files as large as some training clip are hashed. Older models
    are matched by path. `fit_on` / `fit_digests`: the clips a fused model's combiner (and adapted
    text model) learned from, by path (those it could not hash) and by content, which count as
    train whatever the acoustic model made of them."""
    by_path = {}
    for split in ("test", "val", "train"):
        for p in json.loads(meta.get(f"{split}_clips", "[]")):
            by_path[p] = split
    own = {d: split for split in ("val", "train") for d in json.loads(meta.get(f"{split}_digests", "[]"))}
    by_content = {**own, **{d: "train" for d in fit_digests}}
    sizes = {d.split(":", 1)[0] for d in by_content}
    fit_on = set(fit_on)
    default = "test" if by_path else "all"  # a recorded model never saw clips outside its lists

    def split_of(path, file=None):
        if path in fit_on:
            return "train"
        if not by_content or file is None:
            return by_path.get(path, default)
        try:
            split = by_content.get(clip_digest(file)) if str(os.path.getsize(file)) in sizes else None
        except OSError:
            return by_path.get(path, default)  # unreadable: its row carries the error anyway
        # a model that knows its own clips by content never saw one it does not recognise
        return split or ("test" if own else by_path.get(path, default))

    return split_of


def fused_fit_clips(fused, fusion_path):
    """(paths, digests) of the clips `fused` was fit on: by content where it recorded their digests,
    by path the others; a warning when a fused model from an older fusion.py did not record them."""
    fit_on = fused["fusion"].get("fit_on", {})
    clips = fit_on.get("paths_only", []) if "digests" in fit_on else fit_on.get("clips")
    if clips is None:
        print(f"warning: {fusion_path} does not record the clips it was fit on (made by an older fusion.py), so "
              "they cannot be told from new ones: refit it before reading held-out metrics", file=sys.stderr)
    return clips or [], fit_on.get("digests", [])


def shard_rows(rows, num_shards, shard_index):
    """The rows of one shard: every `num_shards`-th row of labels.csv, starting at `shard_index`.

    Round robin, not contiguous ranges: labels.csv is usually sorted by class and folder, and this
    way every shard gets its share of each class and of the long clips, so shards take equal time.
    """
    return rows[shard_index::num_shards]


def score_rows(sess, meta, rows, batch_size, window, stride):
    """Yield (row, prob_harmful or None, error or '', decoding warnings) for each row.

    Windows are batched across clips (many short clips share one ONNX Runtime call) and each clip
    is streamed, so a one-hour recording holds one decoded block and one batch, not the hour.
    """
    sr = int(meta["sample_rate"])
    queue, done = [], []  # queue: (that clip's probs list, window) awaiting the model; done: clips fully queued
    for row in rows:
        probs, stats = [], AudioStats()
        try:
            for _, win in stream_windows(row["abspath"], window, stride, sr, stats):
                queue.append((probs, win))
                if len(queue) >= batch_size:
                    _run_queue(sess, queue)
        except HelmitError as e:  # a clip that fails half way is dropped: its queued windows too
            queue[:] = [(p, w) for p, w in queue if p is not probs]
            yield row, None, str(e), []
            continue
        done.append((row, probs, stats))
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
    for row, probs, stats in [d for d in done if id(d[1]) not in waiting]:
        p = clip_prob(probs)
        yield (row, p, "", stats.warnings()) if np.isfinite(p) else (row, None, f"{row['abspath']}: the model returned NaN", [])
    done[:] = [d for d in done if id(d[1]) in waiting]


def score_chunk(sess, meta, rows, batch_size, window, stride):
    """[(row index, prob_harmful or None, error or '', warnings)] of a few rows, in labels.csv order."""
    results = score_rows(sess, meta, rows, batch_size, window, stride)
    return sorted(((row["index"], p, error, warns) for row, p, error, warns in results), key=lambda r: r[0])


_WORKER = {}  # a worker process's own session and where to load it from


def _start_worker(onnx_path, threads):
    # Ctrl-C reaches the whole process group; the parent handles it and stops the pool, so a
    # worker that also raised would only add a traceback per process to the terminal.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER.clear()  # a forked worker starts with a copy of its parent's
    _WORKER.update(onnx_path=onnx_path, threads=threads)


def _load_worker_session(_=None):
    if "sess" not in _WORKER:
        _WORKER["sess"], _WORKER["meta"] = load_onnx(_WORKER["onnx_path"], _WORKER["threads"])


def _score_chunk_in_worker(job):
    _load_worker_session()
    return score_chunk(_WORKER["sess"], _WORKER["meta"], *job)


def _from_pool(onnx_path, results):
    """`results` of a pool's map, with a dead worker said in one line instead of a traceback."""
    try:
        yield from results
    except BrokenProcessPool:
        raise HelmitError(f"{onnx_path}: a scoring worker process died (out of memory, or a decoder crashed on "
                          "a file); run again with --workers 1 to see which file") from None


@contextlib.contextmanager
def chunk_scorer(onnx_path, workers, threads):
    """Yield score(chunks, batch_size, window, stride) -> iterator of each chunk's results, in order.

    workers=1 scores in this process; more fork a pool where each worker decodes its clips and runs
    its own `threads`-thread session. For the CNN on 2 cores, 2 single-thread workers use a third
    less CPU per clip than one 2-thread session: decoding is work ONNX Runtime's threads cannot
    share, and the CNN's small operators gain little from a second thread, which spins meanwhile.
    """
    if workers == 1:
        sess, meta = load_onnx(onnx_path, threads)
        yield lambda chunks, *args: (score_chunk(sess, meta, chunk, *args) for chunk in chunks)
        return
    # fork: a worker starts in milliseconds with torch and onnx already imported (spawn would
    # re-import them, 2 s per worker). Safe here: no session and no thread exists yet in this process.
    # Not on macOS, whose system libraries start threads of their own (Python spawns there too).
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method),
                               initializer=_start_worker, initargs=(str(onnx_path), threads))
    try:
        # Sessions load in the workers (in the initializer, an error would only say "broken pool").
        # Loading them before the first chunk makes a model ONNX Runtime refuses fail here, before
        # any progress bar, with ONNX Runtime's own message.
        list(_from_pool(onnx_path, pool.map(_load_worker_session, range(workers))))
        yield lambda chunks, *args: _from_pool(
            onnx_path, pool.map(_score_chunk_in_worker, [(chunk, *args) for chunk in chunks]))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def unlabelled_rows(folder):
    """labels.csv-like rows, with an empty label, for every audio file under `folder`."""
    if not folder.is_dir():
        raise HelmitError(f"--audio_dir {folder}: not a folder")
    paths = list_audio_files(folder)
    if not paths:
        raise HelmitError(f"--audio_dir {folder}: no audio files ({', '.join(AUDIO_EXTENSIONS)}) under it")
    return [{"path": p.relative_to(folder).as_posix(), "label": "", "abspath": str(p)} for p in paths]


def prediction_row(row, p_harm, error, split, threshold, extra):
    """One predictions-CSV row: the clip, its label and split, and the decision or the error."""
    out = {"path": row["path"], "label": row["label"], "split": split, "error": error,
           **{c: row.get(c, "") for c in extra}}
    out.update(decision(p_harm, threshold) if not error else {"pred": "", "prob": "", "prob_harmful": ""})
    return out


def clip_transcripts(args, all_rows, rows, fused):
    """index -> (transcript dict or None, error) for --fusion: read from --transcripts, else recognised
    (cached per file, in parallel)."""
    from recognizers import fusion_recognizer, warn_other_recognizer
    from transcribe import read_transcripts, transcribe_files

    if args.transcripts:
        known = read_transcripts(args.transcripts)
        warn_other_recognizer(fused, args.fusion, {t.get("asr") or "" for t in known.values()} - {""},
                              str(args.transcripts))
        # transcribe.py keys a labels.csv's clips by their path in it, and --audio_path files by the path as typed:
        # a clip is found by either, so an unlabelled folder's transcripts match too
        by_file = {Path(k).resolve(): t for k, t in known.items()}
        missing = f"no transcript in {args.transcripts}; " + (
            "run transcribe.py --audio_path on the same files, from this directory" if args.audio_dir
            else "run transcribe.py on the same labels.csv")
        found = {r["index"]: known.get(r["path"]) or by_file.get(Path(all_rows[r["index"]]["abspath"]).resolve())
                 for r in rows}
        hearings = chosen_hearings(fused, args.hearings)
        short = next((t for t in found.values() if t and not t.get("error") and len(t["hearings"]) != hearings), None)
        if short:
            raise HelmitError(f"{args.transcripts}: {short['path']} was heard {len(short['hearings'])} time(s), and this "
                              f"run hears each clip {hearings} time(s); transcribe with transcribe.py --hearings "
                              f"{hearings}, or give --hearings {len(short['hearings'])}")
        check_transcript_ways(fused, args.fusion, args.hearings, found.values(), args.transcripts)
        return {i: (t, t.get("error") or "") if t else (None, f"{all_rows[i]['path']}: {missing}")
                for i, t in found.items()}
    hearings = fusion_hearings(fused, args.fusion, args.hearings)
    asr, _, _ = fusion_recognizer(fused, args.fusion, args.asr, args.asr_model, load=False)  # the workers load it
    asr_id, results = transcribe_files([all_rows[r["index"]]["abspath"] for r in rows], asr, args.asr_model,
                                       args.cache_dir, args.workers or usable_cores(),
                                       pack=not args.one_clip_per_window, hearings=hearings)
    return {r["index"]: (dict(t, asr=asr_id) if t else t, error) for r, (t, error) in zip(rows, results)}


def heard_again(hearings):
    """The heard_again column: a clip's other hearings, " | "-joined; blank when none holds words."""
    return " | ".join(text_model.heard_again(hearings))


def fused_row(row, fused, transcript, explain="flagged"):
    """A prediction row decided by the fusion, with the evidence beside it. explain: which clips get
    their top words ("flagged", "all" or "none")."""
    from fused_model import fused_scores
    from text_model import explain as top_words

    scores = fused_scores(fused, row["prob_harmful"], transcript, explain=False)
    out = {**row, **decision(scores["prob_harmful"], fused["threshold"]), "prob_acoustic": scores["prob_acoustic"],
           "prob_text": scores["prob_text"], "transcript": scores["transcript"],
           "heard_again": heard_again(scores.get("hearings", [])),
           "asr_confidence": transcript["confidence"] if transcript.get("words") else "", "top_words": ""}
    out["pred_category"] = scores["category"] if out["pred"] == 1 else ""  # a harm is named only for a harmful clip
    if explain == "all" or (explain == "flagged" and out["pred"] == 1):
        words = top_words(text_model.first_heard(transcript), fused["text_model"])
        out["top_words"] = " ".join(f"{w}:{d:+.2f}" for w, d in words)
    return out


# the flags that only mean something with --fusion
FUSION_ONLY = ("transcripts", "text_int8", "explain", "unsure_below", "asr", "asr_model", "cache_dir",
               "one_clip_per_window", "hearings")


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=HelpFormatter)
    p.add_argument("--onnx", default=None,
                   help="Helmit ONNX model (FP32 or INT8) for acoustic-only scoring (default: runs/lite_cnn.onnx, or the "
                        "acoustic model inside --fusion)")
    p.add_argument("--data_root", default="data", help="folder the paths in labels.csv are relative to")
    p.add_argument("--labels_csv", default=None, help="clips to score (default: <data_root>/labels.csv)")
    p.add_argument("--audio_dir", default=None,
                   help="score every audio file under this folder instead, with no labels (a moderation backlog): "
                        "the CSV's label column stays empty, so it holds decisions but no metrics; paths are "
                        "relative to this folder, and the CSV goes here unless --output_csv says otherwise")
    p.add_argument("--output_csv", default=None,
                   help="predictions CSV (default: <data_root>/<model>_predictions.csv, or "
                        "<data_root>/<model>_predictions.shard<I>of<N>.csv for a shard); a shard's name must "
                        "end in .shard<I>of<N>.csv so compute_metrics.py can check that no shard is missing")
    p.add_argument("--batch_size", type=int, default=1,
                   help="at most this many windows per ONNX Runtime call, from one clip or several; on CPU one at a "
                        "time is fastest (for the CNN, 16 at a time took 1.5x the CPU per window: their "
                        "intermediate tensors no longer fit in the cache)")
    p.add_argument("--stride_sec", type=float, default=None, help="hop between windows (default: half a window)")
    p.add_argument("--workers", type=int, default=0,
                   help="processes that decode and score clips in parallel, each with its own ONNX Runtime session "
                        "(so its own copy of the model in memory); 1 = all in this process; 0 = one per core for "
                        "the CNN, 1 for Wav2Vec2 (whose matrix products already keep every core busy)")
    p.add_argument("--threads", type=int, default=0,
                   help="ONNX Runtime threads per worker (0 = the cores shared out among the workers)")
    p.add_argument("--num_shards", type=int, default=1,
                   help="split labels.csv into this many shards and score only one (--shard_index), e.g. one per "
                        "job of a cluster job array; shard I holds clips I, I+N, I+2N, ... (0-based, in labels.csv "
                        "order), so the shards cover every clip exactly once")
    p.add_argument("--shard_index", type=int, default=0, help="which shard to score, 0 to --num_shards - 1")
    p.add_argument("--overwrite", action="store_true", help="replace an existing predictions CSV")
    p.add_argument("--fusion", help="fused model directory from fusion.py (e.g. runs/helmit_fused): also transcribe each "
                                    "clip, decide on the fused score and name the harm; adds the columns "
                                    + ",".join(FUSED_FIELDS))
    p.add_argument("--transcripts", help="with --fusion: read transcripts from this transcribe.py CSV instead of "
                                         "running the recognizer")
    p.add_argument("--explain", choices=("flagged", "all", "none"), default="flagged",
                   help="with --fusion: which clips get the words that drove their transcript score (top_words): "
                        "each costs about 20 text-model passes, one per word left out, so by default only the "
                        "clips flagged harmful, the ones a moderator reads (default: %(default)s)")
    p.add_argument("--text_int8", action="store_true",
                   help=TEXT_INT8_HELP)
    p.add_argument("--unsure_below", type=float, default=LOW_CONFIDENCE, help=UNSURE_HELP)
    add_recognizer_args(p, for_fusion=True, several_clips=True)
    add_hearings_arg(p, for_fusion=True)
    args = p.parse_args(argv)
    if not args.fusion:  # said, not silently ignored
        given = [f"--{k}" for k in FUSION_ONLY if getattr(args, k) != p.get_default(k)]
        if given:
            p.error(f"{', '.join(given)}: only used with --fusion (scoring with a fused model)")
    if args.audio_dir and args.labels_csv:
        p.error("give --labels_csv (labelled clips) or --audio_dir (unlabelled ones), not both")
    if args.onnx and args.fusion:
        p.error("give --onnx or --fusion: a fused model holds its own acoustic model")
    for flag in ("batch_size", "num_shards"):
        if getattr(args, flag) < 1:
            p.error(f"--{flag} must be at least 1 (got {getattr(args, flag)})")
    for flag in ("workers", "threads"):
        if getattr(args, flag) < 0:
            p.error(f"--{flag} must be 0 (automatic) or more (got {getattr(args, flag)})")
    try:
        check_unsure_below(args.unsure_below)
    except HelmitError as e:
        p.error(str(e))
    if not 0 <= args.shard_index < args.num_shards:
        p.error(f"--shard_index {args.shard_index} is not a shard of --num_shards {args.num_shards}; "
                f"use 0 to {args.num_shards - 1}")
    if args.num_shards > 1 and args.output_csv:
        wanted = f".shard{args.shard_index}of{args.num_shards}"
        if not Path(args.output_csv).stem.endswith((wanted, "_" + wanted[1:])):
            p.error(f"--output_csv {args.output_csv}: a shard's CSV name must end in {wanted}.csv (e.g. "
                    f"{shard_csv_path(args.output_csv, args.shard_index, args.num_shards).name}), so "
                    "compute_metrics.py can tell the shards of one model apart and check that none is missing")
    return args


def main(argv=None):
    args = parse_args(argv)
    root = Path(args.audio_dir or args.data_root)
    labels_csv = None if args.audio_dir else Path(args.labels_csv or root / "labels.csv")
    model_name = Path(args.fusion).name if args.fusion else Path(args.onnx or DEFAULT_ONNX).stem
    out = Path(args.output_csv or root / f"{model_name}_predictions.csv")
    if args.num_shards > 1 and not args.output_csv:
        out = shard_csv_path(out, args.shard_index, args.num_shards)
    # the acoustic model as it will be read, default included: --output_csv runs/lite_cnn.onnx once replaced it
    refuse_to_overwrite(out, args.overwrite, inputs=[labels_csv, args.onnx or (None if args.fusion else default_onnx()),
                                                     args.fusion, args.transcripts])
    fused = None
    if args.fusion:
        from fused_model import load as load_fused

        fused = load_fused(args.fusion, int8_text=args.text_int8, threads=args.threads)
        args.onnx = fused["acoustic_onnx"]
    args.onnx = args.onnx or default_onnx()
    meta = read_metadata(args.onnx)
    window, stride = window_and_stride(meta, None, args.stride_sec)  # fails before any clip is read
    threshold = float(meta["threshold"])
    all_rows = unlabelled_rows(root) if args.audio_dir else read_labels_csv(labels_csv, root, check_files=False)
    if out.resolve() in {Path(r["abspath"]).resolve() for r in all_rows if Path(r["abspath"]).name == out.name}:
        raise HelmitError(f"{out}: is one of the clips to score; write the predictions elsewhere")
    rows = shard_rows([{**r, "index": i} for i, r in enumerate(all_rows)], args.num_shards, args.shard_index)
    split_of = split_lookup(meta, *(fused_fit_clips(fused, args.fusion) if fused else ()))
    extra = [c for c in ("category", "fold", "group") if c in all_rows[0]]  # from all rows: every shard gets the same columns
    transcripts, asr_seconds = None, 0.0
    if fused:
        t_asr = time.time()
        transcripts = clip_transcripts(args, all_rows, rows, fused)
        asr_seconds = time.time() - t_asr
        extra += FUSED_FIELDS
    workers = args.workers or default_workers(meta)
    chunk = max(1, min(MAX_CHUNK_CLIPS, math.ceil(len(rows) / (4 * workers))))
    chunks = [rows[i:i + chunk] for i in range(0, len(rows), chunk)]
    workers = max(1, min(workers, len(chunks)))
    threads = args.threads or max(1, usable_cores() // workers)
    failures, counts, t0 = [], {}, time.time()
    held_out = held_out_right = held_out_val = flagged = unheard = unsure = 0
    warned = []
    with atomic_output(out, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS + extra, extrasaction="ignore")
        writer.writeheader()  # rows are written as their chunks finish: memory stays flat however many clips
        with chunk_scorer(args.onnx, workers, threads) as score, \
                tqdm(total=len(rows), desc="scoring", unit="clip") as bar:
            for results in score(chunks, args.batch_size, window, stride):
                for index, p_harm, error, warns in results:
                    error = error or (transcripts[index][1] if fused else "")
                    row = prediction_row(all_rows[index], p_harm, error,
                                         split_of(all_rows[index]["path"], all_rows[index]["abspath"]), threshold, extra)
                    if fused and not error:
                        row = fused_row(row, fused, transcripts[index][0], args.explain)
                        if not text_model.first_heard(transcripts[index][0]):
                            unheard += 1
                            warns = warns + [NO_SPEECH]
                        elif unsure_note := unsure_words(transcripts[index][0], args.unsure_below):
                            unsure += 1
                            warns = warns + [unsure_note]
                    row["warning"] = "; ".join(warns)
                    if warns:
                        warned.append(row["path"])
                    writer.writerow(row)
                    if error:
                        where = all_rows[index].get("labels_row")  # none for --audio_dir's unlabelled files
                        failures.append(f"{where}: {error}" if where else error)
                        continue
                    counts[row["split"]] = counts.get(row["split"], 0) + 1
                    flagged += row["pred"] == 1
                    if row["split"] != "train" and row["label"] != "":
                        held_out += 1
                        held_out_right += row["pred"] == row["label"]
                        held_out_val += row["split"] == "val"
                bar.update(len(results))
    seconds = time.time() - t0 + asr_seconds
    shard = f" (shard {args.shard_index} of {args.num_shards})" if args.num_shards > 1 else ""
    asr_part = f", {asr_seconds:.1f}s of it transcribing" if fused else ""
    print(f"wrote {out}{shard}: {len(rows) - len(failures)} clips scored in {seconds:.1f}s{asr_part} "
          f"({(len(rows) - len(failures)) / max(seconds, 1e-9):.1f} clips/s, {workers} worker(s) x {threads} thread(s)), "
          f"{len(failures)} failed; " + (f"decided by the fusion {args.fusion} (threshold {fused['threshold']:.2f})"
                                         if fused else f"threshold {threshold:.3f}"))
    if counts:
        print(f"  flagged harmful: {flagged} of {sum(counts.values())}")
        print("  splits: " + ", ".join(f"{k} {counts[k]}" for k in ("train", "val", "test", "all") if counts.get(k)))
    if unheard:
        print(f"  warning: no speech recognised in {unheard} clip(s) (empty transcript): their decisions say nothing "
              "about what was said; listen to them if they should hold speech")
    if unsure:
        print(f"  {unsure} clip(s) heard with the recognizer unsure of the words (confidence under {args.unsure_below:g}): "
              "their decisions may rest on misheard words; listen to them first")
    if warned:
        more = f" and {len(warned) - 3} more" if len(warned) > 3 else ""
        print(f"  {len(warned)} clip(s) with a warning in the CSV's warning column (truncated, very quiet, too short, "
              f"clipped, NaN samples, no speech, unsure words): {', '.join(warned[:3])}{more}")
    if held_out:
        caveat = ""  # validation clips chose the epoch and threshold, so they flatter the model
        if held_out_val and not fused:
            caveat = f"; {held_out_val} of them validation clips, which chose the epoch and threshold, so this is optimistic"
        elif held_out_val and acoustic_weight(fused) != 0:  # a fusion's own threshold saw none
            caveat = (f"; {held_out_val} of them the acoustic model's validation clips, which chose its epoch and "
                      "threshold, so this may be optimistic")
        print(f"  accuracy on the {held_out} clips the model did not train on: {held_out_right / held_out:.3f} "
              f"(run compute_metrics.py for more{caveat})")
    for e in failures[:10]:
        print(f"error: {e}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    run_cli(main)
