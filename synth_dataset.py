"""Built-in spoken corpus: harmful and safe English speech made with espeak-ng, no download needed.

Writes `<out_dir>/harmful/`, `<out_dir>/safe/` (as a download would) and `<out_dir>/synth_manifest.csv`
(`path,label,category,template,voices,holdout,text`; multi-turn fields joined with ` | `).

The one rule that shapes this file: harmful and safe clips differ ONLY in what is said. Every
acoustic choice (voices, rate, pitch, turns, pauses, padding, noise, reverb, phone line, level,
format, sample rate, channels) comes from `draw_render_params`, which never sees the label, and
the wording of every turn is chosen to match a label-blind length target, so duration cannot
give the label away either. A model that learns anything here has to learn the words.
"""
import argparse
import functools
import hashlib
import math
import multiprocessing as mp
import re
import shutil
import time
from collections import Counter
from pathlib import Path

import numpy as np
import soundfile as sf
from tqdm import tqdm

import espeak_voice
import synth_templates
from config import CLASS_NAMES
from utils_audio import resample
from utils_io import HelmitError, atomic_output, check_output_folder, run_cli, temp_beside, write_csv

HARMFUL_CATEGORIES = ("harassment", "bullying", "threat", "grooming")
HARD_NEGATIVE_SHARE = 0.3  # of safe clips: same trigger words used innocently
MANIFEST_FIELDS = ["path", "label", "category", "template", "voices", "holdout", "text"]
TURN_SEP = " | "
MIN_SECONDS, MAX_SECONDS = 1.5, 25.0
# en-Shaw is left out: it expects Shavian script, not Latin text.
ACCENTS = ("en", "en-us", "en-us-nyc", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan",
           "en-gb-x-gbcwmd", "en-029")
# Voice variants shipped in espeak-ng-data/voices/!v; robot, echo-heavy, whisper and joke variants
# are left out because real uploads do not sound like them.
VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "f1", "f2", "f3", "f4", "f5", "klatt",
            "klatt2", "klatt3", "klatt4", "klatt6", "Andy", "Annie", "aunty", "belinda", "benjamin",
            "david", "ed", "edward", "grandma", "grandpa", "gustave", "iven", "john", "linda", "max",
            "michel", "paul", "quincy", "rob", "robert", "steph", "travis", "victor", "zac")
NOISE_KINDS = ("white", "pink", "brown", "babble")
SAMPLE_RATES = (8000, 16000, 22050, 44100)
FORMATS = {"wav": ("WAV", "PCM_16"), "flac": ("FLAC", "PCM_16"), "mp3": ("MP3", "MPEG_LAYER_III")}
FORMAT_WEIGHTS = {"wav": 0.5, "flac": 0.25, "mp3": 0.25}


# ---------------------------------------------------------------- wording and the holdout split
def held_out(ids, fraction, band=lambda _id: 0):
    """The ids kept aside: in each band, the first ceil(fraction * n) in a fixed hash order (never all).

    The order depends on the ids only, not on the seed, so every run and `generate_sentences`
    agree on which wording and voices are unseen. Templates are banded by length so the held-out
    set has short and long sentences too (see `common_lengths`).
    """
    kept = set()
    for b in sorted({band(i) for i in ids}) if fraction > 0 else []:
        group = sorted((i for i in ids if band(i) == b), key=lambda i: hashlib.sha1(i.encode()).hexdigest())
        kept |= set(group[:min(len(group) - 1, math.ceil(fraction * len(group)))])
    return kept


def template_pool(category, holdout, fraction):
    return list(_template_pool(category, bool(holdout), fraction))


@functools.lru_cache(maxsize=None)
def _template_pool(category, holdout, fraction):
    # cached: each sentence asks for its pool, and measuring every template again took most of
    # generate_sentences' time
    texts = synth_templates.TEMPLATES[category]
    kept = held_out(texts, fraction, band=lambda i: min(2, spoken_length(texts[i]) // 25))  # short/medium/long
    return tuple(sorted(kept if holdout else set(texts) - kept))


def voice_pool(holdout, fraction):
    """Held-out voices combine a held-out accent with a held-out variant, so both are unseen."""
    accents, variants = held_out(ACCENTS, fraction), held_out(VARIANTS, fraction)
    if not holdout:
        accents, variants = set(ACCENTS) - accents, set(VARIANTS) - variants
    return [f"{a}+{v}" for a in sorted(accents) for v in sorted(variants)]


def spoken_length(text):
    """How long a sentence takes to say, in letters: espeak speaks ~0.06 s per letter and pauses
    ~0.24 s (4 letters' worth) at each comma or full stop inside the sentence."""
    return sum(map(str.isalnum, text)) + 4 * len(re.findall(r"[,.?!;:](?=\s)", text))


A_BEFORE_VOWEL = re.compile(r"\b([Aa]) (?=[aeio])")


@functools.lru_cache(maxsize=None)
def template_text(template_id):
    """(template text, its slot names in sorted order): sorted, as set order varies per run."""
    text = next(t[template_id] for t in synth_templates.TEMPLATES.values() if template_id in t)
    return text, tuple(sorted(set(re.findall(r"{(\w+)}", text))))


def fill_template(template_id, rng):
    text, names = template_text(template_id)
    slots = synth_templates.SLOTS
    values = {slot: slots[slot][rng.integers(len(slots[slot]))] for slot in names}
    text = A_BEFORE_VOWEL.sub(r"\1n ", text.format(**values))  # "a idiot" -> "an idiot"
    return text[0].upper() + text[1:]


LENGTH_TOLERANCE = 2  # letters (~0.15 s of speech)


@functools.lru_cache(maxsize=None)
def common_lengths(holdout, fraction):
    """Sentence lengths (letters, 14-75) that EVERY category can say to within LENGTH_TOLERANCE.

    Turn lengths are drawn from this one label-blind set, so harmful and safe turns have the same
    length distribution however the templates happen to spread (a lookup of 40 fills per template).
    """
    rng, reach = np.random.default_rng(0), []
    for cat in synth_templates.TEMPLATES:
        lengths = {spoken_length(fill_template(t, rng)) for t in template_pool(cat, holdout, fraction) for _ in range(40)}
        reach.append({n + d for n in lengths for d in range(-LENGTH_TOLERANCE, LENGTH_TOLERANCE + 1)})
    return np.array(sorted(n for n in set.intersection(*reach) if 14 <= n <= 75))


def length_target(quantile, max_length, holdout, fraction):
    common = common_lengths(bool(holdout), fraction)
    fits = common[common <= max_length]
    fits = fits if len(fits) else common[:max(1, len(common) // 4)]  # tiny holdout pools: shortest quarter
    return int(fits[int(quantile * len(fits))])


def pick_sentence(pool, target_length, rng, tries=200):
    """(text, template id): the first random fill of exactly the target length, else the nearest."""
    best = None
    for _ in range(tries):
        template_id = pool[rng.integers(len(pool))]
        text = fill_template(template_id, rng)
        gap = abs(spoken_length(text) - target_length)
        if best is None or gap < best[0]:
            best = (gap, text, template_id)
        if gap == 0:
            break
    return best[1], best[2]


def plan_clips(n_harmful, n_safe, fraction):
    """One {label, category, holdout} per clip: harmful categories balanced, ~30% hard negatives,
    and the last round(fraction * k) clips of each category held out."""
    cats = [HARMFUL_CATEGORIES[i % len(HARMFUL_CATEGORIES)] for i in range(n_harmful)]
    cats += ["hard_negative" if math.floor((i + 1) * HARD_NEGATIVE_SHARE) > math.floor(i * HARD_NEGATIVE_SHARE)
             else "safe" for i in range(n_safe)]
    plans = [{"label": int(c in HARMFUL_CATEGORIES), "category": c, "holdout": 0} for c in cats]
    for cat in set(cats):
        members = [p for p in plans if p["category"] == cat]
        for p in members[len(members) - round(fraction * len(members)):]:
            p["holdout"] = 1
    return plans


def generate_sentences(n, seed, holdout=False, holdout_fraction=0.2):
    """n labelled sentences without audio: [(text, label, category, template)], half harmful.

    Same templates, slot words, length matching and holdout split as the audio corpus, for a
    text model that wants thousands of examples.
    """
    if holdout and holdout_fraction <= 0:
        raise HelmitError("holdout sentences need holdout_fraction > 0")
    out = []
    for i, plan in enumerate(plan_clips(n // 2, n - n // 2, 0.0)):
        rng = np.random.default_rng([seed, i, 2])
        pool = template_pool(plan["category"], holdout, holdout_fraction)
        text, template_id = pick_sentence(pool, length_target(rng.random(), 75, holdout, holdout_fraction), rng)
        out.append((text, plan["label"], plan["category"], template_id))
    return out


def turn_categories(category, n_turns, rng):
    """Which category each turn is drawn from. A harmful (or hard-negative) conversation has at
    least one such turn anywhere, the rest everyday talk; a plain safe one is all everyday talk."""
    if category == "safe":
        return ["safe"] * n_turns
    special = rng.random(n_turns) < 0.3
    special[rng.integers(n_turns)] = True
    return [category if s else "safe" for s in special]


# ---------------------------------------------------------------- rendering (label-blind)
def draw_render_params(rng, voices):
    """Every acoustic choice for one clip. Takes no label, so it cannot differ between classes."""
    n_turns = 1 if rng.random() < 0.5 else int(rng.integers(2, 6))
    picked = rng.choice(len(voices), 2, replace=False)
    speakers = [{"voice": voices[v], "rate": int(rng.integers(130, 221)), "pitch": int(rng.integers(25, 76)),
                 "range": int(rng.integers(20, 81)), "gain_db": float(rng.uniform(-6, 0))} for v in picked]
    fmt = list(FORMAT_WEIGHTS)[rng.choice(len(FORMAT_WEIGHTS), p=list(FORMAT_WEIGHTS.values()))]
    return {
        "n_turns": n_turns, "speakers": speakers,
        # turn lengths (quantiles of `common_lengths`, letters); shorter turns keep 5 turns under 25 s
        "length_quantiles": rng.random(n_turns).tolist(), "max_length": 75 if n_turns == 1 else max(30, 180 // n_turns),
        "gaps": [float(rng.uniform(0.1, 1.0)), *rng.uniform(0.25, 1.2, n_turns - 1), float(rng.uniform(0.1, 1.0))],
        # 30% of clips are padded (noise-only lead-in/tail) to a length drawn regardless of content
        "pad_to": float(rng.uniform(MIN_SECONDS, MAX_SECONDS)) if rng.random() < 0.3 else MIN_SECONDS,
        "pad_split": float(rng.random()),
        "reverb": (float(rng.uniform(0.15, 0.7)), float(rng.uniform(0.2, 0.6))) if rng.random() < 0.3 else None,
        "noise": NOISE_KINDS[rng.integers(len(NOISE_KINDS))],
        "snr_db": float(rng.uniform(40, 55) if rng.random() < 0.25 else rng.uniform(5, 30)),
        "phone": bool(rng.random() < 0.2),
        "level_dbfs": float(rng.uniform(-38, -20)),  # RMS; peaks rarely need limiting
        "format": fmt, "sample_rate": int(SAMPLE_RATES[rng.integers(len(SAMPLE_RATES))]),
        "channels": 2 if rng.random() < 0.25 else 1,
        "stereo": (int(rng.integers(0, 30)), float(rng.uniform(0.7, 1.0))),  # right-channel delay (samples), gain
    }


def preload_audio_libraries():
    """Import the scipy modules the audio is made with, in the parent before it forks a worker per clip: every clip
    runs in a fresh fork (maxtasksperchild=1), so whatever is not loaded here is imported again for each clip."""
    import scipy.fft  # noqa: F401
    import scipy.signal  # noqa: F401


def colored_noise(n, exponent, rng):
    """Unit-RMS noise with power ~ 1/f^exponent (0 white, 1 pink, 2 brown)."""
    # scipy (scipy.signal alone ~1.9 s to import) is imported where the audio is made: train_text.py and
    # eval_text.py import this module for its text, which needs none of it
    import scipy.fft

    m = scipy.fft.next_fast_len(n, real=True)  # FFTs of prime lengths are 100x slower
    freqs = np.fft.rfftfreq(m)
    freqs[0] = freqs[1]
    x = scipy.fft.irfft(scipy.fft.rfft(rng.standard_normal(m)) * freqs ** (-exponent / 2), m)[:n]
    return x / (x.std() + 1e-12)


def background_noise(kind, n, sr, rng):
    from scipy import signal

    if kind != "babble":
        return colored_noise(n, NOISE_KINDS.index(kind), rng)
    # Babble-like: six speech-band "talkers", each gated by a random syllable-rate (3-6 Hz)
    # envelope. No real words, so the background can never carry the label.
    band = signal.butter(2, [200, 3500], "bandpass", fs=sr, output="sos")
    out = np.zeros(n)
    for _ in range(6):
        k = int(n / sr * rng.uniform(3, 6)) + 2
        envelope = np.interp(np.arange(n), np.linspace(0, n, k), rng.random(k) ** 2)
        out += signal.sosfilt(band, colored_noise(n, 1, rng)) * envelope
    return out / (out.std() + 1e-12)


def add_reverb(x, sr, rt60, wet, rng):
    """Convolve with a synthetic room: exponentially decaying noise reaching -60 dB at rt60."""
    from scipy import signal

    t = np.arange(int(rt60 * sr)) / sr
    rir = rng.standard_normal(len(t)) * np.exp(-6.9 * t / rt60)
    rir /= np.sqrt(np.sum(rir ** 2))
    return (1 - wet) * x + wet * signal.fftconvolve(x, rir)[:len(x)]


def mix_scene(turns, p, sr, rng):
    """Turns + pauses + padding -> reverb -> background noise -> phone line -> level. (wave, sr)."""
    from scipy import signal

    speech_s, gaps = sum(len(t) for t in turns) / sr, list(p["gaps"])
    extra = max(0.0, p["pad_to"] - speech_s - sum(gaps))
    gaps[0] += extra * p["pad_split"]
    gaps[-1] += extra * (1 - p["pad_split"])
    budget = max(0.0, MAX_SECONDS - 0.05 - speech_s)  # never crop speech; shrink the silences instead
    if sum(gaps) > budget:
        gaps = [g * budget / sum(gaps) for g in gaps]
    pieces = [np.zeros(int(gaps[0] * sr))]
    for turn, gap in zip(turns, gaps[1:]):
        pieces += [turn, np.zeros(int(gap * sr))]
    x = np.concatenate(pieces)
    speech_power = float(np.mean(np.concatenate(turns) ** 2)) + 1e-10  # SNR against speech, not padding
    if p["reverb"]:
        x = add_reverb(x, sr, *p["reverb"], rng)
    x = x + background_noise(p["noise"], len(x), sr, rng) * np.sqrt(speech_power / 10 ** (p["snr_db"] / 10))
    if p["phone"]:  # telephone channel: 300-3400 Hz band, 8 kHz
        x = signal.sosfilt(signal.butter(4, [300, 3400], "bandpass", fs=sr, output="sos"), x)
        x, sr = resample(x.astype(np.float32), sr, 8000), 8000
    x = x * 10 ** (p["level_dbfs"] / 20) / (np.sqrt(np.mean(x ** 2)) + 1e-12)
    return x / max(1.0, np.abs(x).max() / 0.99), sr  # keep PCM16 from clipping


def render_clip(job):
    """Make, write and describe one clip; seeded by (seed, index) only, so results never depend
    on which worker ran it."""
    index, seed, plan, fraction, out_dir = job
    render_rng = np.random.default_rng([seed, index, 0])  # acoustics: never sees the label
    text_rng = np.random.default_rng([seed, index, 1])  # wording
    p = draw_render_params(render_rng, voice_pool(plan["holdout"], fraction))
    espeak_voice.set_seed(render_rng.integers(2 ** 31))
    lines = []
    for cat, q in zip(turn_categories(plan["category"], p["n_turns"], text_rng), p["length_quantiles"]):
        target = length_target(q, p["max_length"], plan["holdout"], fraction)
        lines.append(pick_sentence(template_pool(cat, plan["holdout"], fraction), target, text_rng))
    speakers = [p["speakers"][i % 2] for i in range(p["n_turns"])]  # two voices take turns
    turns = [espeak_voice.speak(text, s) * 10 ** (s["gain_db"] / 20) for (text, _), s in zip(lines, speakers)]
    wave, sr = mix_scene(turns, p, espeak_voice.espeak()["sr"], render_rng)
    wave = resample(wave.astype(np.float32), sr, p["sample_rate"])
    if p["channels"] == 2:  # a stereo phone/camera recording: same scene, slight delay and level offset
        delay, gain = p["stereo"]
        wave = np.stack([wave, np.concatenate([np.zeros(delay), wave[:len(wave) - delay]]) * gain], axis=1)
    rel = f"{CLASS_NAMES[plan['label']]}/synth_{index:05d}.{p['format']}"
    with atomic_output(Path(out_dir) / rel, mode=None) as tmp:  # temp name: give soundfile the format
        sf.write(tmp, wave, p["sample_rate"], format=FORMATS[p["format"]][0], subtype=FORMATS[p["format"]][1])
    row = {"path": rel, "label": plan["label"], "category": plan["category"],
           "template": TURN_SEP.join(t for _, t in lines), "voices": TURN_SEP.join(s["voice"] for s in speakers),
           "holdout": plan["holdout"], "text": TURN_SEP.join(text for text, _ in lines)}
    return row, len(wave) / p["sample_rate"]


# ---------------------------------------------------------------- the run
def existing_files(out_dir):
    """(synth files from an earlier run, count of other files) under harmful/ and safe/."""
    files = [f for cls in CLASS_NAMES for f in (Path(out_dir) / cls).rglob("*") if f.is_file()]
    synth = [f for f in files if f.parent.parent == Path(out_dir) and re.match(r"\.?synth_\d+\.", f.name)]
    return synth, len(files) - len(synth)


def check_out_dir(out_dir):
    """Fail before any rendering, naming the path, if harmful/, safe/ or the manifest could not go in `out_dir`."""
    if out_dir.exists() and not out_dir.is_dir():
        raise HelmitError(f"{out_dir}: is a file, not a folder; --out_dir names the folder that gets "
                          f"{' and '.join(c + '/' for c in CLASS_NAMES)}")
    for folder in (out_dir / cls for cls in CLASS_NAMES):
        if folder.exists() and not folder.is_dir():
            raise HelmitError(f"{folder}: is a file, not a folder; the {folder.name} clips go in a folder of that "
                              "name: move the file away")
    check_output_folder(out_dir / "synth_manifest.csv")  # a file further up, a read-only disk


def install_clips(staging, out_dir, rows, old_synth):
    """Move the clips rendered in `staging` into `out_dir`, delete the earlier run's, then write the manifest.

    The old manifest goes first: until the new one is written, the folder has none, so a run stopped
    half-way through the swap leaves no manifest describing clips that are not the ones on disk.
    """
    (out_dir / "synth_manifest.csv").unlink(missing_ok=True)
    for r in rows:
        (out_dir / r["path"]).parent.mkdir(parents=True, exist_ok=True)
        shutil.move(staging / r["path"], out_dir / r["path"])  # a rename; a copy when harmful/ links to another disk
    new = {(out_dir / r["path"]).resolve() for r in rows}
    for f in old_synth:  # clips of an earlier run that this run did not rewrite (other count or format)
        if f.resolve() not in new:
            f.unlink(missing_ok=True)
    write_csv(out_dir / "synth_manifest.csv", rows, MANIFEST_FIELDS)


def synthesize_corpus(out_dir, n_harmful, n_safe, fraction, seed, workers):
    """Render every clip in worker processes; returns [(row, seconds)] in index order."""
    espeak_voice.espeak()  # load once here; forked workers inherit it (and the length tables below)
    preload_audio_libraries()
    common_lengths(False, fraction), common_lengths(True, fraction)
    jobs = [(i, seed, plan, fraction, str(out_dir)) for i, plan in enumerate(plan_clips(n_harmful, n_safe, fraction))]
    # libespeak-ng keeps hidden state between sentences (the same text comes out slightly different
    # after other text) that neither re-initialising nor espeak_ng_SetRandSeed resets. So every clip
    # runs in a fresh fork of this process (maxtasksperchild=1), which has loaded espeak but never
    # spoken: the same seed then gives byte-identical files for any --workers.
    with mp.get_context("fork").Pool(workers, maxtasksperchild=1) as pool:
        return list(tqdm(pool.imap(render_clip, jobs), total=len(jobs), desc="synthesising", unit="clip"))


def summary(results, out_dir, elapsed, kept_others):
    rows, seconds = [r for r, _ in results], [s for _, s in results]
    cats, n_harmful = Counter(r["category"] for r in rows), sum(r["label"] for r in rows)
    formats = Counter(r["path"].rsplit(".", 1)[1] for r in rows)
    lines = [
        f"wrote {len(rows)} clips to {out_dir} ({n_harmful} harmful, {len(rows) - n_harmful} safe) in {elapsed:.1f} s",
        "  " + " | ".join(f"{c} {cats[c]}" for c in (*HARMFUL_CATEGORIES, "safe", "hard_negative")),
        f"  holdout (unseen wording and voices): {sum(r['holdout'] for r in rows)} clips",
        f"  audio: {sum(seconds) / 60:.1f} min, clips {min(seconds):.1f}-{max(seconds):.1f} s; "
        + ", ".join(f"{k} {v}" for k, v in sorted(formats.items())),
        f"  manifest: {Path(out_dir) / 'synth_manifest.csv'}",
    ]
    if kept_others:
        lines.append(f"  kept {kept_others} file(s) in harmful/ and safe/ not made by synth_dataset.py")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out_dir", default="data", help="where harmful/, safe/ and synth_manifest.csv go (default: data)")
    parser.add_argument("--n_harmful", type=int, default=60, help="harmful clips, balanced over the 4 categories (default: 60)")
    parser.add_argument("--n_safe", type=int, default=40, help="safe clips, ~30%% of them hard negatives (default: 40)")
    parser.add_argument("--holdout", type=float, default=0.2,
                        help="fraction of templates per category, of voices and of clips kept aside as an unseen-wording, "
                             "unseen-voice test set (manifest column holdout=1); 0 disables (default: 0.2)")
    parser.add_argument("--seed", type=int, default=42, help="same seed, same files byte for byte (default: 42)")
    parser.add_argument("--workers", type=int, default=2, help="parallel worker processes (default: 2)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the synth_* clips of an earlier run; other files in harmful/ and safe/ are kept")
    args = parser.parse_args(argv)
    for bad, message in ((min(args.n_harmful, args.n_safe) < 0 or args.n_harmful + args.n_safe == 0,
                          "--n_harmful and --n_safe must be >= 0 and not both 0"),
                         (not 0 <= args.holdout < 1, "--holdout must be in [0, 1)"), (args.workers < 1, "--workers must be >= 1")):
        if bad:
            parser.error(message)

    out_dir = Path(args.out_dir)
    check_out_dir(out_dir)
    old_synth, others = existing_files(out_dir)
    if (old_synth or others) and not args.overwrite:
        raise HelmitError(f"{out_dir}: harmful/ or safe/ already holds {len(old_synth) + others} file(s); "
                          "pass --overwrite to replace the synth_* clips (other files are kept)")
    start = time.time()
    # Clips are rendered into a hidden folder inside out_dir (same filesystem: moving them in is a rename) and
    # moved in only once all are made, so a failed or interrupted run leaves the earlier clips and manifest as
    # they were. A killed run's folder is a temp of out_dir/synth: the next run removes it.
    staging = temp_beside(out_dir / "synth", directory=True)
    try:
        results = synthesize_corpus(staging, args.n_harmful, args.n_safe, args.holdout, args.seed, args.workers)
        install_clips(staging, out_dir, [r for r, _ in results], old_synth)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    print(summary(results, out_dir, time.time() - start, others))
    return 0


if __name__ == "__main__":
    run_cli(main)
