"""Several clips in one Whisper window: how transcribe.py stops paying for padding.

Whisper's encoder always runs on a 30-s window, shorter audio padded with silence, and Helmit's clips
average about 9 s, so one clip per window spends about two thirds of the encoder on padding. Here a
batch of clips is trimmed to its speech (silero VAD, shipped inside faster-whisper), packed into 30-s
windows with silence between the clips, and the windows are decoded several at a time (faster-whisper's
BatchedInferencePipeline: one matrix product serves the beams of every window in a call, where one
clip's beams alone leave it mostly idle). Each word goes back to the clip whose span holds it.

A window can fail a clip: no words for it, the decoder stopping before its last speech, its words
looping (compressing more than 2.4x), or a window decoded with a mean log-probability below -1 (the
limits at which one-clip-per-window decoding retries at higher temperatures). Those clips, clips
longer than a window and clips without speech for the VAD are transcribed alone, exactly as without
packing. docs/performance.md has the measurements behind the choices here.
"""
import numpy as np

from config import CFG

WINDOW_S = 30.0  # Whisper's encoder input: every window is padded (or cut) to this
# Silence between two clips in a window: long enough that Whisper ends a segment between them and that a
# word's aligned time (DTW on 20-ms frames, off by up to a few hundred ms) stays on its own side.
# Measured on 200 clips: 1 s put 24 words in the gaps (1.5 s: 2), 3 s lost 1.2 points of word recall.
GAP_S = 1.5
# Windows per decoding call. The beams of every window in a call share the decoder's matrix products; each
# beam also holds its cross-attention keys and values (1,500 frames x 6 layers x 2 x 512 floats, 18 MB).
# Measured on 100 clips with 5 beams: 8 windows 0.0446 CPU s per audio s at a peak RSS of 1,291 MB,
# 4 windows 0.0458 at 827 MB, 2 windows 0.0503 at 667 MB.
BATCH_WINDOWS = 4
# Beams per window. One clip per window decodes with 5 (faster-whisper's default); here 3 keep the word
# recall (bench/bench_fused.py: 0.729 packed against 0.706 one clip per window; 5 beams packed 0.739) for
# 10-15% less CPU, which took fused scoring from 1.93x to 2.20x the clips/s of one clip per window.
# 1 beam lost 3-5 points of word recall.
BEAM_SIZE = 3
# Whisper's limits for a failed decode (faster-whisper's transcribe defaults)
MAX_COMPRESSION_RATIO = 2.4
MIN_AVG_LOGPROB = -1.0
# Trimming, not cutting: only the silence before the first and after the last speech of a clip goes, and
# 300 ms of it stays on each side so no word's onset or tail is lost
VAD_OPTIONS = dict(min_silence_duration_ms=500, speech_pad_ms=300)


def speech_span(wave, sr=CFG.sample_rate):
    """(start, end, start of the last speech) in samples of the speech in `wave`, or None when the VAD
    hears none."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    parts = get_speech_timestamps(wave, VadOptions(**VAD_OPTIONS), sampling_rate=sr)
    return (parts[0]["start"], parts[-1]["end"], parts[-1]["start"]) if parts else None


def plan_windows(durations, window_s=WINDOW_S, gap_s=GAP_S):
    """Clips into windows, first fit by decreasing length: ([[(clip index, offset s), ...] per window],
    [indices of clips too long for a window, which go alone]).

    Within a window the shortest clip comes first: Whisper ends a window early more often than it
    skips its start, and a short clip last was the one it dropped (on 200 clips, shortest first took
    0.052 CPU s per audio s against 0.060 for longest first, with fewer clips transcribed again alone,
    and word recall 0.693 against 0.686)."""
    windows, alone = [], []  # windows: [seconds used, clip indices]
    for i in sorted(range(len(durations)), key=lambda i: -durations[i]):
        if durations[i] > window_s:
            alone.append(i)
            continue
        for window in windows:
            if window[0] + gap_s + durations[i] <= window_s:
                window[0] += gap_s + durations[i]
                window[1].append(i)
                break
        else:
            windows.append([durations[i], [i]])
    planned = []
    for _, members in windows:
        offsets = np.cumsum([0.0] + [durations[i] + gap_s for i in members[::-1]])
        planned.append([(i, float(offset)) for i, offset in zip(members[::-1], offsets)])
    return planned, alone


def window_audio(members, clips, sr=CFG.sample_rate):
    """One window's samples: each clip at its offset, digital silence between."""
    end = max(round(offset * sr) + len(clips[i]) for i, offset in members)
    out = np.zeros(end, dtype=np.float32)
    for i, offset in members:
        start = round(offset * sr)
        out[start:start + len(clips[i])] = clips[i]
    return out


def assign_words(words, members, durations):
    """Window words [word, start s, end s, p] -> ({clip index: its words, times relative to the clip,
    clamped to it}, [words that touch no clip: said in a gap, dropped]).

    A word belongs to the clip whose span holds its midpoint. The aligner often starts the first word
    after a silence early, stretching it back across the gap, so a word whose midpoint falls in a gap
    goes to the clip it overlaps most."""
    offsets = dict(members)
    out, dropped = {i: [] for i in offsets}, []
    for word, start, end, p in words:
        mid = (start + end) / 2
        owner = next((i for i, offset in members if offset <= mid <= offset + durations[i]), None)
        if owner is None:
            overlap = {i: min(end, o + durations[i]) - max(start, o) for i, o in members}
            owner = max(overlap, key=overlap.get)
            if overlap[owner] <= 0:
                dropped.append([word, start, end, p])
                continue
        offset = offsets[owner]
        out[owner].append([word, max(0.0, start - offset), min(durations[owner], end - offset), p])
    return out, dropped


def decode_windows(pipeline, audios, sr=CFG.sample_rate):
    """[(words with times in the window, the decoding's mean log-probability)] per window, the windows
    decoded BATCH_WINDOWS at a time with word timestamps."""
    starts = np.cumsum([0] + [len(a) for a in audios])
    segments, _ = pipeline.transcribe(
        np.concatenate(audios), language="en", beam_size=BEAM_SIZE, word_timestamps=True, vad_filter=False,
        without_timestamps=False,  # Whisper's segment timestamps: without them windows failed more clips
        clip_timestamps=[{"start": starts[k] / sr, "end": starts[k + 1] / sr} for k in range(len(audios))],
        batch_size=BATCH_WINDOWS)
    found = [[] for _ in audios]
    window_frames = starts[:-1] * 100 / sr  # a segment's `seek` is its window's start, in 10-ms frames
    for seg in segments:
        found[int(np.argmin(np.abs(window_frames - seg.seek)))].append(seg)
    return [([[w.word.strip(), w.start - starts[k] / sr, w.end - starts[k] / sr, float(w.probability)]
              for s in segs for w in (s.words or []) if w.word.strip()],
             segs[0].avg_logprob if segs else 0.0) for k, segs in enumerate(found)]


def transcribe_packed(pipeline, waves, transcribe_alone, stats=None, sr=CFG.sample_rate):
    """Words [word, start s, end s, p] of each 16-kHz mono wave, several waves per Whisper window.

    transcribe_alone(wave) -> words: the one-clip-per-window path, for clips longer than a window, clips
    their window failed, and clips in which the VAD hears no speech (it missed the speech of 1 clip in
    200 of the built-in corpus that Whisper alone heard). `stats` (a dict) counts windows, clips a window
    failed (retried), clips without speech for the VAD, all clips transcribed alone, and words dropped
    in gaps."""
    stats = {} if stats is None else stats
    for key in ("windows", "retried", "no_speech", "alone", "dropped_words"):
        stats.setdefault(key, 0)
    spans = [speech_span(w, sr) for w in waves]
    result = [[] for _ in waves]
    todo = [i for i, span in enumerate(spans) if span]
    stats["no_speech"] += len(waves) - len(todo)
    speech = {i: waves[i][spans[i][0]:spans[i][1]] for i in todo}  # views, not copies
    durations = {i: len(speech[i]) / sr for i in todo}
    windows, alone = plan_windows([durations[i] for i in todo])
    windows = [[(todo[j], offset) for j, offset in members] for members in windows]
    alone = [todo[j] for j in alone] + [i for i, span in enumerate(spans) if not span]
    stats["windows"] += len(windows)
    decoded = decode_windows(pipeline, [window_audio(m, speech, sr) for m in windows], sr) if windows else []
    for members, (words, logprob) in zip(windows, decoded):
        mine, dropped = assign_words(words, members, durations)
        stats["dropped_words"] += len(dropped)
        for i, clip_words in mine.items():
            trim = spans[i][0] / sr
            if logprob < MIN_AVG_LOGPROB or _failed(clip_words, spans[i][2] / sr - trim):
                alone.append(i)
                stats["retried"] += 1
                continue
            result[i] = [[w, round(s + trim, 2), round(e + trim, 2), round(p, 4)] for w, s, e, p in clip_words]
    stats["alone"] += len(alone)
    for i in alone:
        result[i] = transcribe_alone(waves[i])
    return result


def _failed(words, last_speech):
    """Did the window fail this clip: no words, the decoder stopping before the clip's last speech
    began, or words that loop? (A clip's own text, not the window's: clips that share a phrase, as
    the built-in corpus's do, would push a window's ratio over the limit.)"""
    from faster_whisper.transcribe import get_compression_ratio

    return (not words or words[-1][2] < last_speech
            or get_compression_ratio(" ".join(w[0] for w in words)) > MAX_COMPRESSION_RATIO)
