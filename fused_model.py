"""The deployable fused model: one directory holding everything a fused decision needs, checked on load.

    runs/helmit_fused/
      manifest.json    what it is, the recognizer it needs, the sha256 of every file below
      acoustic.onnx    the acoustic model (export_onnx.py), waveform in, logits out
      fusion.json      the calibrated combination of the acoustic and text scores, with its CV numbers
      text/            the text model (text_model.json, model.onnx, model_int8.onnx, tokenizer.json)

fusion.py writes it; infer.py and infer_dataset.py take it with --fusion. Scoring imports no torch.
"""
import collections
import json
import math
import shutil
import sys
from pathlib import Path

import numpy as np

import text_model
from transcribe import HEARINGS, hearing_ways, old_hearing_ways, transcripts_ways, way_keys
from utils_io import HelmitError, file_sha256

FORMAT = "helmit-fused-model"
FORMAT_VERSION = 1
EPS = 1e-4  # scores are clipped to [EPS, 1 - EPS] before the logit: a 0 or 1 would be infinite
TEXT_FILES = ("text_model.json", "model.onnx", "model_int8.onnx", "tokenizer.json")  # what scoring needs


def logit(p):
    p = np.clip(np.asarray(p, dtype=np.float64), EPS, 1 - EPS)
    return np.log(p / (1 - p))


def combine(params, *columns):
    """P(harmful) from score columns under {coef, intercept} (fusion.fit_combiner)."""
    z = np.column_stack([logit(c) for c in columns]) @ np.asarray(params["coef"]) + params["intercept"]
    return 1.0 / (1.0 + np.exp(-z))


def write(out_dir, acoustic_onnx, text_dir, fusion):
    """Fill `out_dir` (a fresh directory) with the bundle; returns the manifest."""
    out_dir = Path(out_dir)
    shutil.copy(acoustic_onnx, out_dir / "acoustic.onnx")
    (out_dir / "text").mkdir()
    text_dir = Path(text_dir)
    names = TEXT_FILES if text_dir.is_dir() else ()
    for name in names:
        if (text_dir / name).is_file():
            shutil.copy(text_dir / name, out_dir / "text" / name)
    if not text_dir.is_dir():  # an n-gram text model is one JSON file
        shutil.copy(text_dir, out_dir / "text" / "text_model.json")
    (out_dir / "fusion.json").write_text(json.dumps(fusion, indent=1), encoding="utf-8")
    files = sorted(p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*") if p.is_file())
    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "asr": fusion["asr"],
                "files": {f: file_sha256(out_dir / f) for f in files}}
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return manifest


TEXT_INT8_HELP = ("with --fusion: score transcripts with the fused model's INT8 text model (a quarter of the size; "
                  "faster on one CPU it was timed on, not on an AVX2-only one: 1.1x the FP32 time a transcript, "
                  "1.7x in batches, docs/performance.md; 99.9%% of the benchmark's "
                  "decisions unchanged, but the fusion was calibrated on the FP32 model's scores)")


def load(path, int8_text=False, threads=0):
    """{manifest, fusion, text_model, acoustic_onnx (path), asr, threshold}, every file checked
    against its digest; raises HelmitError naming the file. `threads`: the text model's ONNX Runtime
    threads (0 = all cores)."""
    path = Path(path)
    if not path.exists():
        raise HelmitError(f"{path}: fused model not found (fusion.py --out writes one)")
    if path.is_file():
        raise HelmitError(f"{path}: a fused model is a directory (fusion.py --out DIR); this is a file")
    if not (path / "manifest.json").is_file():
        raise HelmitError(f"{path}: not a Helmit fused model (no manifest.json; run fusion.py)")
    if not (path / "fusion.json").is_file():
        raise HelmitError(f"{path / 'fusion.json'}: missing from the fused model")
    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        fusion = json.loads((path / "fusion.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as e:
        raise HelmitError(f"{path}: damaged fused model ({e})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise HelmitError(f"{path}: not a Helmit fused model (manifest.json's format is not {FORMAT!r})")
    version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise HelmitError(f"{path / 'manifest.json'}: format_version {version!r} is not a whole number (damaged or "
                          "edited); rebuild it with fusion.py")
    if version > FORMAT_VERSION:
        raise HelmitError(f"{path}: fused model format_version {version} is newer than this Helmit reads "
                          f"({FORMAT_VERSION}); update Helmit")
    files = manifest.get("files")
    if not isinstance(files, dict) or not all(
            isinstance(n, str) and isinstance(d, str) and n and not Path(n).is_absolute() and ".." not in Path(n).parts
            for n, d in files.items()):
        raise HelmitError(f"{path / 'manifest.json'}: its files list is damaged or edited (each entry a path inside "
                          "the model and its sha256); rebuild it with fusion.py")
    for name, digest in files.items():
        if not (path / name).is_file():
            raise HelmitError(f"{path / name}: missing from the fused model")
        if file_sha256(path / name) != digest:
            raise HelmitError(f"{path / name}: sha256 differs from the fused model's manifest (damaged, edited or "
                              "swapped); rebuild it with fusion.py")
    for name in ("acoustic.onnx", "fusion.json", "text/text_model.json"):
        if name not in files:
            raise HelmitError(f"{path}: the fused model's manifest does not list {name}")
    try:
        coef = [float(c) for c in fusion["combiner"]["coef"]]
        ok = len(coef) == 2 and all(map(math.isfinite, coef + [float(fusion["combiner"]["intercept"])]))
        ok = ok and 0.0 <= float(fusion["threshold"]) <= 1.0 and isinstance(fusion.get("asr"), str)
    except (KeyError, TypeError, ValueError):
        ok = False
    hearings = fusion.get("hearings", 1)  # fused models from before --hearings heard each clip once
    if not ok or not isinstance(hearings, int) or isinstance(hearings, bool) or not 1 <= hearings <= len(HEARINGS):
        raise HelmitError(f"{path / 'fusion.json'}: damaged or edited (combiner, threshold, asr or hearings)")
    if manifest.get("asr", fusion["asr"]) != fusion["asr"]:
        raise HelmitError(f"{path / 'manifest.json'}: its recognizer {manifest.get('asr')!r} is not the one the fusion "
                          f"was fit with ({fusion['asr']!r}): edited; rebuild it with fusion.py")
    encoder = any(n.startswith("text/") and n != "text/text_model.json" for n in files)  # else one n-gram JSON
    text = path / "text"
    tm = text_model.load(text if encoder else text / "text_model.json", int8=int8_text, threads=threads)
    return {"manifest": manifest, "fusion": fusion, "text_model": tm, "acoustic_onnx": path / "acoustic.onnx",
            "asr": fusion["asr"], "threshold": float(fusion["threshold"]), "hearings": hearings, "path": path}


def acoustic_weight(fused):
    """The weight a loaded fused model gives the acoustic score (0: its decisions are the text's alone)."""
    return float(fused["fusion"]["combiner"]["coef"][0])


def fused_prob(fused, p_acoustic, p_text):
    """P(harmful) from the two sources' scores under a loaded fused model."""
    return combine(fused["fusion"]["combiner"], np.atleast_1d(p_acoustic), np.atleast_1d(p_text))


def fused_scores(fused, p_acoustic, transcript, explain=True):
    """{prob_harmful (fused), prob_acoustic, prob_text, category, transcript, top_words, and hearings when
    the clip was heard more than once} for one clip. The text score is the mean over the transcript's
    hearings that hold words; the words that drove it are the first of those's."""
    heard = text_model.hearings_of(transcript)
    p_text, cats = text_model.predict_heard([heard], fused["text_model"])
    p_text = float(p_text[0])
    out = {"prob_harmful": float(fused_prob(fused, p_acoustic, p_text)[0]), "prob_acoustic": float(p_acoustic),
           "prob_text": p_text, "category": cats[0] if cats else "", "transcript": transcript["text"]}
    if len(heard) > 1:
        out["hearings"] = heard
    out["top_words"] = text_model.explain(text_model.first_heard(transcript), fused["text_model"]) if explain else []
    return out


NO_SPEECH = "no speech recognised: the transcript is empty"
# Whisper's mean word confidence under which a transcript is often misheard, so its decision is less sure. On
# the 400 held-out clips of the 2,000-clip corpus (make fusion-heldout, default text model), the 105 clips
# under it were decided right at 0.71 balanced accuracy and the other 295 at 0.89; on the demo's clips,
# adapted per fold on their own wording, it made little difference (insights.md). Other
# recognizers score their words on other scales, so only Whisper transcripts are judged by it.
LOW_CONFIDENCE = 0.75
UNSURE_WORDS = "the recognizer was unsure of the words"


UNSURE_HELP = ("with --fusion: warn of a clip whose Whisper words were heard with a mean confidence under this "
               "(0 = never warn; default: %(default)s, where 400 held-out clips were decided right at 0.71 against "
               "0.89 above it; a warning, never a change of decision)")


def chosen_hearings(fused, hearings=None):
    """How many times a run hears each clip: `hearings` (--hearings), else as many as the fusion was fit on."""
    return fused["hearings"] if hearings is None else hearings


def fusion_hearings(fused, fusion_path, hearings=None, ways=None, heard_in=None):
    """How many times to hear each clip: `hearings` (--hearings), else as many times as the fusion was fit
    on; a warning when they differ, or when the clips are heard in other ways than the fit's: this version's
    HEARINGS, or `ways` as a transcripts file `heard_in` records them (transcribe.transcripts_ways)."""
    chosen = chosen_hearings(fused, hearings)
    if chosen != fused["hearings"]:
        print(f"warning: {fusion_path} was fit on text scores averaged over {fused['hearings']} hearing(s) of each clip, "
              f"and this run hears each clip {chosen} time(s): its calibration may sit off", file=sys.stderr)
    fit_ways = fused["fusion"].get("hearing_ways") or old_hearing_ways(fused["hearings"])
    now = hearing_ways(chosen) if ways is None else ways
    # A clip's score is the mean over its hearings, so their order is no change. Fewer hearings than the fit
    # (the count warning above) should be among the fit's; more should hold all of them.
    fit, heard = collections.Counter(way_keys(fit_ways)), collections.Counter(way_keys(now))
    if (heard - fit) if chosen <= fused["hearings"] else (fit - heard):
        these = "this version of Helmit hears them" if ways is None else f"the clips of {heard_in} were heard"
        print(f"warning: {fusion_path} was fit on clips heard as {fit_ways} ([speed, second recognizer]), and {these} "
              f"as {now}: its calibration may sit off (refit it: fusion.py)", file=sys.stderr)
    return chosen


def check_transcript_ways(fused, fusion_path, hearings, transcripts, transcripts_path):
    """fusion_hearings's warning for clips read from a transcripts file: the ways the file records of its heard
    clips (transcribe.transcripts_ways) against the fit's, since they were heard when the file was written, not
    as this version would hear them. Nothing to compare when none of them was heard."""
    heard = [t for t in transcripts if t and not t.get("error")]
    if heard:
        fusion_hearings(fused, fusion_path, hearings, transcripts_ways(heard, transcripts_path), transcripts_path)


def check_unsure_below(value):
    """--unsure_below, checked: a confidence between 0 and 1."""
    if not 0.0 <= value <= 1.0:  # also refuses nan
        raise HelmitError(f"--unsure_below {value}: not a word confidence between 0 and 1, such as {LOW_CONFIDENCE}")
    return value


def unsure_words(transcript, below=LOW_CONFIDENCE):
    """A warning when a Whisper transcript's words were heard with low confidence, else None. Judged by the
    recognizer that made the transcript (its `asr`), not the one the fusion was fit with; a transcript
    without the recognizer's words (a user's own text, whose confidence column is empty) is not judged."""
    if (not (transcript.get("asr") or "").startswith("faster-whisper") or not transcript.get("words")
            or text_model.no_speech(transcript["text"])):
        return None
    confidence = float(transcript["confidence"])
    if confidence >= below:
        return None
    return (f"{UNSURE_WORDS} (confidence {confidence:.2f}, under {below:g}): the decision may rest on "
            "misheard words; listen to it")


def fuse_result(fused, result, transcript, unsure_below=LOW_CONFIDENCE):
    """An acoustic result dict (infer.classify_file) with the transcript evidence and the fused
    decision: label/probability/prob_harmful/threshold become the fused ones, the acoustic ones are
    kept as prob_acoustic/acoustic_threshold. The harm category is named only for a harmful clip."""
    scores = fused_scores(fused, result["prob_harmful"], transcript)
    p, harmful = scores["prob_harmful"], scores["prob_harmful"] >= fused["threshold"]
    warnings = list(result["warnings"])
    if not text_model.first_heard(transcript):  # the text model then scores nothing, and "safe" would look like a finding
        warnings.append(f"{NO_SPEECH}, so the decision says nothing about what was said; listen to the clip if it "
                        "should hold speech")
    if unsure := unsure_words(transcript, unsure_below):
        warnings.append(unsure)
    # the acoustic model's flagged windows keep their owner's name: under a fusion that gives it no weight, a
    # key called harmful_ranges listed "harm" in clips decided safe, for any program reading --json
    result = {k: v for k, v in result.items() if k != "harmful_ranges"} | {"acoustic_ranges": result["harmful_ranges"]}
    return {**result, **scores, "label": "harmful" if harmful else "safe", "probability": p if harmful else 1 - p,
            "category": scores["category"] if harmful else "", "threshold": fused["threshold"],
            "acoustic_threshold": result["threshold"], "asr_confidence": transcript["confidence"],
            "acoustic_weight": acoustic_weight(fused), "warnings": warnings}
