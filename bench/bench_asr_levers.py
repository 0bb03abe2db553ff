"""Whisper's other levers, one at a time, against today's one clip per window: CPU seconds per second
of audio and word recall against the spoken text, on the bench corpus's clips (2-25 s, mixed formats).

    .venv/bin/python bench/bench_asr_levers.py [--clips 100]

Each setting transcribes the same clips in this process (one recognizer, 1 thread, no cache). The
packed settings change one of packed_asr.py's constants at a time; the last row runs the default
packed path in one process with 2 threads, by wall time, to set against two processes of 1 thread
each (what transcribe.py and infer_dataset.py start), whose wall time is about half the 1-thread CPU
seconds. Not part of `make bench` (~10 min): it is
how the constants in packed_asr.py were chosen, rerun when they change (docs/performance.md).
"""
import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (puts the repo root on sys.path too)
from bench_scoring import BASE_CORPUS, read_rows  # noqa: E402


def one_per_window(model, trim=False, **options):
    """Each clip in windows of its own (model.transcribe), with faster-whisper's `options`; trim: cut to
    the span the VAD hears speech in first, as packing does."""
    import packed_asr

    options = {"vad_filter": False, **options}

    def transcribe(wave):
        span = packed_asr.speech_span(wave) if trim else None
        segments, _ = model.transcribe(wave[span[0]:span[1]] if span else wave, language="en", **options)
        if options.get("word_timestamps"):
            return [w.word.strip() for s in segments for w in (s.words or [])]
        return [s.text.strip() for s in segments]
    return lambda waves: [" ".join(transcribe(w)) for w in waves]


def packed(transcriber, **constants):
    import packed_asr

    def run(waves):
        saved = {k: getattr(packed_asr, k) for k in constants}
        for k, v in constants.items():
            setattr(packed_asr, k, v)
        try:
            return [" ".join(w[0] for w in words) for words in transcriber.packed(waves)]
        finally:
            for k, v in saved.items():
                setattr(packed_asr, k, v)
    return run


def measure(fn, waves, said, wall=False):
    from transcribe import word_recall

    clock = time.perf_counter if wall else time.process_time
    start = clock()
    heard = fn(waves)
    seconds = clock() - start
    found, total = word_recall(said, heard)
    return seconds, found / total


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--clips", type=int, default=100, help="clips of the bench corpus (default: %(default)s)")
    args = p.parse_args()
    from faster_whisper import WhisperModel

    from recognizers import WhisperTranscriber, make_recognizer, whisper_base_dir
    from utils_audio import load_audio

    root = common.corpus(*BASE_CORPUS)
    rows = read_rows(root / "labels.csv")[:args.clips]
    spoken = {r["path"]: r["text"] for r in read_rows(root / "synth_manifest.csv")}
    waves = [load_audio(root / r["path"]) for r in rows]
    said = [spoken[r["path"]] for r in rows]
    audio_s = sum(len(w) for w in waves) / 16000
    _, default = make_recognizer("whisper-base")
    model = default.model
    settings = {
        "one clip per window: beam 5, word timestamps (before packing)": one_per_window(model, word_timestamps=True),
        "one clip per window: no word timestamps, not conditioned on previous text":
            one_per_window(model, condition_on_previous_text=False),
        "one clip per window: beam 1, no word timestamps": one_per_window(model, beam_size=1),
        "one clip per window: VAD cuts every stretch without speech (vad_filter)":
            one_per_window(model, word_timestamps=True, vad_filter=True),
        "one clip per window: trimmed to its speech by the VAD": one_per_window(model, trim=True, word_timestamps=True),
        "packed (default: 4 windows per call, beam 5)": packed(default),
        "packed, 2 windows per call": packed(default, BATCH_WINDOWS=2),
        "packed, 8 windows per call": packed(default, BATCH_WINDOWS=8),
        "packed, beam 3": packed(default, BEAM_SIZE=3),
    }
    rows_out = []
    print(f"{len(waves)} clips, {audio_s:.0f} s of audio; CPU s of this process (1 thread)", flush=True)
    for name, fn in settings.items():
        seconds, recall = measure(fn, waves, said)
        rows_out.append((name, seconds / audio_s, recall))
        print(f"  {name}: {seconds / audio_s:.4f} CPU s per audio s, word recall {recall:.3f}", flush=True)
    threaded = WhisperTranscriber(WhisperModel(str(whisper_base_dir()), device="cpu", compute_type="int8",
                                               cpu_threads=2, local_files_only=True))
    wall_two_threads, recall_two = measure(packed(threaded), waves, said, wall=True)
    rows_out.append(("packed, 1 process x 2 threads: wall s per audio s", wall_two_threads / audio_s, recall_two))
    common.print_table(f"Whisper base levers, {len(waves)} clips ({audio_s:.0f} s of audio); load average "
                       f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
                       ["setting", "CPU s per audio s", "word recall"], rows_out)
    print("  2 processes x 1 thread (transcribe.py's default) take about half the packed row's CPU s in wall time.")
    common.write_results("asr_levers", {"clips": len(waves), "audio_seconds": audio_s,
                                        "settings": {n: {"per_audio_s": s, "word_recall": r} for n, s, r in rows_out}})


if __name__ == "__main__":
    main()
