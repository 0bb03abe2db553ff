"""Recognizer speed: real-time factor per core of transcribe.py's default recognizer, and what a
cached second run costs.

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


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--clips", type=int, default=16, help="8-s clips to transcribe (default: %(default)s)")
    args = p.parse_args()
    from transcribe import make_recognizer, transcript_of

    root = corpus(30, 20)
    with tempfile.TemporaryDirectory() as tmp:
        paths = eight_second_clips(root, args.clips, tmp)
        asr_id, transcribe = make_recognizer("pocketsphinx")
        cache = Path(tmp) / "cache"
        start = time.process_time()
        first = [transcript_of(path, asr_id, transcribe, cache) for path in paths]
        cpu_first = time.process_time() - start
        audio = sum(r["duration_s"] for r in first)
        second = timed(lambda: [transcript_of(path, asr_id, transcribe, cache) for path in paths], repeats=3, warmup=0)
        cached = [transcript_of(path, asr_id, transcribe, cache)["cached"] for path in paths]
    per_clip = [r["asr_seconds"] for r in first]
    rtf = cpu_first / audio
    results = {"recognizer": asr_id, "clips": len(paths), "audio_seconds": audio, "cpu_seconds_first_run": cpu_first,
               "rtf_per_core": rtf, "cpu_seconds_per_clip_median": float(np.median(per_clip)),
               "cpu_seconds_per_clip_p95": float(np.percentile(per_clip, 95)),
               "cached_run_seconds_median": second["median"], "cached_run_ratio": second["median"] / cpu_first,
               "all_cached_on_second_run": all(cached)}
    print_table(f"transcription ({asr_id}, {len(paths)} clips of 8 s)", ["run", "seconds", "per clip", "real-time factor"],
                [("first (recognizer)", cpu_first, cpu_first / len(paths), rtf),
                 ("second (cache)", second["median"], second["median"] / len(paths), second["median"] / audio)])
    write_results("transcribe", results, [
        (f"real-time factor per core <= {TARGET_RTF}", rtf, rtf <= TARGET_RTF),
        ("second run reads every transcript from the cache", f"{sum(cached)}/{len(cached)} cached", all(cached)),
    ])


if __name__ == "__main__":
    main()
