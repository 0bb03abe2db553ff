"""Classify audio files with a Helmit ONNX model: label, probability, and where the harm is.

Clips longer than the model's window are scored in sliding windows; a clip is harmful when any
window's P(harmful) reaches the model's threshold (chosen on validation data at training time
and read from the ONNX metadata), and the output names those time ranges.

With --fusion (a fused model directory from fusion.py, which holds its own acoustic model) the
clip is also transcribed offline, and the decision fuses the acoustic score with the transcript's:
the output shows the decision, the harm it names, the transcript, the words that drove the text
score, and both scores.
"""
import argparse
import json
import math
import sys
from pathlib import Path

from fused_model import LOW_CONFIDENCE, TEXT_INT8_HELP, UNSURE_HELP, check_unsure_below
from scoring import clip_prob, default_onnx, load_onnx, onnx_stream_probs, window_and_stride
from recognizers import add_recognizer_args
from transcribe import add_hearings_arg
from utils_audio import AudioStats, stream_windows
from utils_io import HelmitError, HelpFormatter, run_cli


def harmful_ranges(starts, probs, window_sec, sr, threshold):
    """Merge overlapping harmful windows into [start_s, end_s, max_prob] ranges."""
    ranges = []
    for start, prob in zip(starts, probs):
        if prob < threshold:
            continue
        s, e = start / sr, start / sr + window_sec
        if ranges and s <= ranges[-1][1]:
            ranges[-1][1], ranges[-1][2] = e, max(ranges[-1][2], float(prob))
        else:
            ranges.append([s, e, float(prob)])
    return [[round(s, 2), round(e, 2), round(p, 4)] for s, e, p in ranges]


def classify_file(sess, meta, path, window, stride, threshold=None):
    """Score one file with windows of `window` samples every `stride`; returns a JSON-ready dict."""
    sr = int(meta["sample_rate"])
    threshold = float(meta["threshold"]) if threshold is None else threshold
    classes = json.loads(meta["class_names"])
    stats = AudioStats()
    try:  # streamed: a one-hour recording holds one block and one batch of windows, not the hour
        starts, probs = onnx_stream_probs(sess, stream_windows(path, window, stride, sr, stats))
    except HelmitError as e:
        if str(e).startswith(f"{path}:"):  # decoding errors name the file already; the model's do not
            raise
        raise HelmitError(f"{path}: {e}") from None
    p_harm = clip_prob(probs)
    harmful = p_harm >= threshold
    duration = stats.samples / sr
    ranges = harmful_ranges(starts, probs, window / sr, sr, threshold)
    for r in ranges:
        r[1] = min(r[1], round(duration, 2))
    return {"path": str(path), "label": classes[int(harmful)], "probability": float(p_harm if harmful else 1 - p_harm),
            "prob_harmful": p_harm, "threshold": threshold, "duration_s": round(duration, 2),
            "n_windows": len(starts), "harmful_ranges": ranges, "warnings": stats.warnings()}


def digits_apart(p, threshold):
    """Decimals to show P(harmful) and its threshold with, so that they never print the same while the
    decision depends on which is larger ("0.51 vs 0.51"), nor a threshold inside (0, 1) as 0 or 1 (a
    threshold of 1.00 would flag nothing): 2 unless they agree to 2, at most 6."""
    d = 2
    while d < 6 and p != threshold and f"{p:.{d}f}" == f"{threshold:.{d}f}":
        d += 1
    while d < 6 and 0 < threshold < 1 and float(f"{threshold:.{d}f}") in (0.0, 1.0):  # 0.999 is not "1.00"
        d += 1
    return d


def describe(result):
    from text_model import heard_again, no_speech

    fused = "prob_text" in result
    harm = f" ({result['category']})" if result.get("category") else ""
    d = digits_apart(result["prob_harmful"], result["threshold"])
    lines = [f"{result['path']}: {result['label'].upper()}{harm} (probability {result['probability']:.2f}; "
             f"{'fused ' if fused else ''}P(harmful) {result['prob_harmful']:.{d}f} vs threshold {result['threshold']:.{d}f}; "
             f"{result['duration_s']:.1f}s, {result['n_windows']} window(s))"]
    if fused:
        words = ", ".join(f"{w} ({d:+.2f})" for w, d in result["top_words"]) or "none"
        with_words = sum(not no_speech(t) for t in result.get("hearings", []))
        lines += [f"  acoustic P(harmful) {result['prob_acoustic']:.2f} (its threshold {result['acoustic_threshold']:.2f}); "
                  f"transcript P(harmful) {result['prob_text']:.2f}"
                  + (f" (the mean over the {with_words} hearings that hold words)" if with_words > 1 else ""),
                  f"  transcript: \"{result['transcript']}\" (recognizer confidence {result['asr_confidence']:.2f})"]
        lines += [f"  heard again: \"{text}\"" for text in heard_again(result.get("hearings", []))]
        lines += [f"  words that drove the transcript score (how far its logit falls without each): {words}"]
    # the ranges are the acoustic model's windows: under a fusion, say whose they are and what they count for
    owner = "acoustic model flags" if fused else "harmful speech at"
    unweighted = " (the fusion gives the acoustic model no weight)" if fused and result["acoustic_weight"] == 0 else ""
    for s, e, p in result["acoustic_ranges" if fused else "harmful_ranges"]:
        lines.append(f"  {owner} {s:.1f}-{e:.1f}s (P {p:.2f}){unweighted}")
    lines += [f"  warning: {w}" for w in result["warnings"]]
    return "\n".join(lines)


def fusion_step(fused, args):
    """result, path -> fused result, with the recognizers loaded once (and checked before any clip is scored)."""
    from fused_model import fuse_result, fusion_hearings
    from recognizers import fusion_recognizer
    from transcribe import check_cache_dir, heard_transcript, other_recognizers

    check_cache_dir(args.cache_dir)
    hearings = fusion_hearings(fused, args.fusion, args.hearings)
    asr, asr_id, transcribe = fusion_recognizer(fused, args.fusion, args.asr, args.asr_model)
    others = other_recognizers(asr, hearings)
    return lambda result, path: fuse_result(
        fused, result, dict(heard_transcript(path, asr_id, transcribe, args.cache_dir, hearings, others), asr=asr_id),
        args.unsure_below)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=HelpFormatter)
    p.add_argument("--audio_path", nargs="+", required=True, help="audio file(s) to classify")
    p.add_argument("--onnx", default=None,
                   help="Helmit ONNX model (FP32 or INT8) for acoustic-only scoring (default: runs/lite_cnn.onnx, or the "
                        "acoustic model inside --fusion)")
    p.add_argument("--window_sec", type=float, default=None, help="window length (default: the model's training window)")
    p.add_argument("--stride_sec", type=float, default=None, help="hop between windows (default: half a window)")
    p.add_argument("--threshold", type=float, default=None,
                   help="override the model's P(harmful) threshold (with --fusion: the fused decision's)")
    p.add_argument("--threads", type=int, default=0, help="ONNX Runtime threads (0 = all cores)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.add_argument("--fusion", help="fused model directory from fusion.py (e.g. runs/helmit_fused): also transcribe "
                                    "each clip, fuse the acoustic and transcript scores and name the harm "
                                    "(default: acoustic only)")
    p.add_argument("--text_int8", action="store_true",
                   help=TEXT_INT8_HELP)
    p.add_argument("--unsure_below", type=float, default=LOW_CONFIDENCE, help=UNSURE_HELP)
    add_recognizer_args(p, for_fusion=True)
    add_hearings_arg(p, for_fusion=True)
    args = p.parse_args(argv)
    if args.threshold is not None and not 0.0 <= args.threshold <= 1.0:  # also refuses nan
        raise HelmitError(f"--threshold {args.threshold}: not a P(harmful) cut-off between 0 and 1, such as 0.5")
    if args.threads < 0:
        raise HelmitError(f"--threads {args.threads}: give 0 (all cores) or a positive count")
    check_unsure_below(args.unsure_below)
    if args.text_int8 and not args.fusion:
        raise HelmitError("--text_int8 picks the text model of a fused model; give --fusion too")
    if not args.fusion and any(getattr(args, k) != p.get_default(k) for k in ("unsure_below", "cache_dir", "hearings")):
        raise HelmitError("--unsure_below, --cache_dir and --hearings are about transcripts, which only a fused model "
                          "makes; give --fusion too")
    if not args.fusion and (args.asr or args.asr_model):
        raise HelmitError("--asr and --asr_model choose the recognizer of a fused model; give --fusion too "
                          "(acoustic-only scoring transcribes nothing)")
    fused = None
    acoustic_threshold = args.threshold
    if args.fusion:
        if args.onnx:
            raise HelmitError(f"--onnx {args.onnx}: a fused model holds its own acoustic model; give --fusion or --onnx")
        from fused_model import load as load_fused

        fused = load_fused(args.fusion, int8_text=args.text_int8, threads=args.threads)
        args.onnx = fused["acoustic_onnx"]
        if args.threshold is not None:  # the decision is the fusion's, so that is the threshold to move
            fused["threshold"], acoustic_threshold = args.threshold, None
    args.onnx = args.onnx or default_onnx()
    sess, meta = load_onnx(args.onnx, args.threads)
    window, stride = window_and_stride(meta, args.window_sec, args.stride_sec)  # fails before any file is read
    trained = float(meta["window_seconds"])
    if args.window_sec is not None and not math.isclose(args.window_sec, trained):
        print(f"warning: --window_sec {args.window_sec:g} differs from the {trained:g}-s window {args.onnx} was "
              "trained on; its threshold was chosen for that window, so decisions may shift", file=sys.stderr)
    fuse = fusion_step(fused, args) if fused else (lambda result, path: result)
    results, failed = [], 0
    for path in args.audio_path:  # each file's result is printed as soon as it is scored
        try:
            results.append(fuse(classify_file(sess, meta, Path(path), window, stride, acoustic_threshold), Path(path)))
        except HelmitError as e:
            if len(args.audio_path) == 1 and not args.json:
                raise
            failed += 1  # with --json, one failed file is still one object on stdout: {"path", "error"}
            results.append({"path": str(path), "error": str(e)})
        if "error" in results[-1]:  # a failed file is named on stderr in either output form
            print(f"error: {results[-1]['error']}", file=sys.stderr)
        elif not args.json:
            print(describe(results[-1]), flush=True)
    if args.json:
        print(json.dumps(results[0] if len(results) == 1 else {"results": results, "model": str(args.fusion or args.onnx)}))
    return 1 if failed else 0


if __name__ == "__main__":
    run_cli(main)
