"""Recognizer speed: real-time factor per core of the recognizers (recognizers.py), Whisper base one clip per
window and packed (several clips per window, the default; the target is on it), and what a cached second
run costs. bench_fused.py times the packed path end to end, against one clip per window.

Clips are 8 s of the built-in corpus (cut or zero-padded), the length the issue's target names.
The real-time factor is CPU seconds of one recognizer process per second of audio, decoding
included, so it does not depend on how many cores the machine has or how busy the others are.
The second pass over the same files must read every transcript from the cache.

    python bench/bench_transcribe.py [--clips 16]
"""
import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from common import corpus, print_table, timed, write_results

TARGET_RTF = 0.5


def eight_second_clips(root, n, out_dir):
    from utils_audio import crop_or_pad, load_audio
    from utils_io import read_labels_csv

    rows = read_labels_csv(root / "labels.csv", root)[:n]
    paths = []
    for i, row in enumerate(rows):
        path = Path(out_dir) / f"clip{i:03d}.wav"
        sf.write(path, crop_or_pad(load_audio(row["abspath"]), 8 * 16000), 16000)
        paths.append(str(path))
    return paths


def run(recognizer, paths, cache, pack=False):
    """One recognizer over the clips twice: CPU time of the first run, wall time of the cached second.
    pack: the clips go through transcripts_of together, Whisper packing them into shared windows."""
    from recognizers import make_recognizer
    from transcribe import transcripts_of

    asr_id, transcribe = make_recognizer(recognizer)
    transcripts = lambda: [r for r, _ in transcripts_of(paths, asr_id, transcribe, cache, pack)]  # noqa: E731
    start = time.process_time()
    first = transcripts()
    cpu_first = time.process_time() - start
    audio = sum(r["duration_s"] for r in first)
    second = timed(transcripts, repeats=3, warmup=0)
    cached = [r["cached"] for r in transcripts()]
    per_clip = [r["asr_seconds"] for r in first]
    return {"recognizer": asr_id, "clips": len(paths), "audio_seconds": audio, "cpu_seconds_first_run": cpu_first,
            "rtf_per_core": cpu_first / audio, "cpu_seconds_per_clip_median": float(np.median(per_clip)),
            "cpu_seconds_per_clip_p95": float(np.percentile(per_clip, 95)),
            "cached_run_seconds_median": second["median"], "cached_run_ratio": second["median"] / cpu_first,
            "cached_clips": sum(cached)}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--clips", type=int, default=16, help="8-s clips to transcribe (default: %(default)s)")
    args = p.parse_args()
    from recognizers import DEFAULT_ASR, RECOGNIZERS

    root = corpus(30, 20)
    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        paths = eight_second_clips(root, args.clips, tmp)
        for name in (n for n in RECOGNIZERS if n != "faster-whisper"):  # that one needs a model you bring
            runs[name] = run(name, paths, Path(tmp) / "cache")
        runs[f"{DEFAULT_ASR}, packed"] = run(DEFAULT_ASR, paths, Path(tmp) / "cache", pack=True)
    print_table(f"transcription, {len(paths)} clips of 8 s (default recognizer: {DEFAULT_ASR}, packed)",
                ["recognizer", "first run CPU s", "per clip", "real-time factor", "cached run s"],
                [(name, r["cpu_seconds_first_run"], r["cpu_seconds_first_run"] / r["clips"], r["rtf_per_core"],
                  r["cached_run_seconds_median"]) for name, r in runs.items()])
    default = runs[f"{DEFAULT_ASR}, packed"]
    write_results("transcribe", {"default": f"{DEFAULT_ASR}, packed", **runs}, [
        (f"default recognizer ({DEFAULT_ASR}, packed): real-time factor per core <= {TARGET_RTF}",
         default["rtf_per_core"], default["rtf_per_core"] <= TARGET_RTF),
        ("second run reads every transcript from the cache", f"{default['cached_clips']}/{default['clips']} cached",
         default["cached_clips"] == default["clips"]),
    ])


if __name__ == "__main__":
    main()
