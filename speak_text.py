"""Speak labelled sentences with espeak-ng and transcribe them with the default recognizer.

The text model must read transcripts, not clean text: Whisper drops, merges and mishears words.
This makes the spoken versions of two kinds of text:
- training text (`--generated N`): sentences from text_corpus.py, spoken by the corpus's training
  voices, so the text model also learns from real recognizer output (train_text.py reads it);
- the frozen benchmark (`--input_csv eval/text_benchmark_part1.csv`), spoken by the held-out
  voices, which no training audio uses, to measure the whole path from speech.
Each sentence becomes one clip with the built-in corpus's acoustics (voice, rate, pitch, room,
noise, phone line, format), drawn without looking at the label. Writes a CSV with the transcript
as `text`, the spoken sentence as `spoken_text`, and the input's label, category and subtype.
"""
import argparse
import json
import multiprocessing as mp
import time
from pathlib import Path

import numpy as np
import soundfile as sf
from tqdm import tqdm

import espeak_voice
import synth_dataset as synth
from utils_audio import resample
from utils_io import HelmitError, atomic_output, csv_rows, refuse_to_overwrite, run_cli, write_csv

FIELDS = ["id", "text", "spoken_text", "label", "category", "subtype", "voice", "asr", "error"]
HOLDOUT_FRACTION = 0.2  # the built-in corpus's split of voices (synth_dataset --holdout default)


def read_sentences(path):
    """[{id, text, label, category, subtype}] from a CSV with at least id, text, label; and pair, when the CSV
    has that column (the minimal pairs, eval/text_pairs_part*.csv)."""
    rows = []
    for line, row in csv_rows(path, ("id", "text", "label"), "not found", "--input_csv needs id, text and label"):
        if (row["label"] or "").strip() not in ("0", "1") or not (row["text"] or "").strip():  # None: a short row
            raise HelmitError(f"{path}:{line}: needs a text and a label 0 or 1")
        rows.append({k: row.get(k) or "" for k in ("id", "text", "label", "category", "subtype")
                     + (("pair",) if "pair" in row else ())})
    return rows


def earlier_transcripts(path, rows, hearings=1):
    """--only_new: {index: output row} for the input rows whose id and spoken text --output_csv already holds,
    with the transcript, voice and recognizer it holds and the input's label, category and subtype (a row that
    failed there is left out, to be spoken again). An id it holds with other text is refused: the sentence
    changed, so its transcript would be wrong. A row heard otherwise than `hearings` (another number of times, or
    in other ways: its hearing_ways, or for a row written before they were recorded, transcribe.old_hearing_ways)
    is spoken again."""
    from transcribe import hearing_ways, old_hearing_ways, parse_hearings, row_ways, same_ways

    now = hearing_ways(hearings)

    done = {}
    for line, row in csv_rows(path, FIELDS, "not found; --only_new adds to an earlier output of speak_text.py",
                              "--only_new needs an earlier output of speak_text.py"):
        done[row["id"]] = (line, row)
    keep = {}
    for i, r in enumerate(rows):
        if r["id"] in done:
            line, row = done[r["id"]]
            if row["spoken_text"] != r["text"]:
                raise HelmitError(f"{path}:{line}: id {r['id']} was spoken as {row['spoken_text']!r}, but the input "
                                  f"now says {r['text']!r}; speak the whole file again with --overwrite")
            heard = parse_hearings(row.get("hearings"), row["text"], f"{path}:{line}")
            ways = row_ways(row, heard, f"{path}:{line}") or old_hearing_ways(len(heard))
            if not row["error"] and same_ways(ways, now):  # kept; the rest comes from the input as it is now
                keep[i] = dict(r, text=row["text"], spoken_text=r["text"], voice=row["voice"], asr=row["asr"], error="",
                               hearings=row.get("hearings") or "", hearing_ways=json.dumps(ways))
    return keep


def generated_sentences(n, seed):
    """n training sentences from text_corpus.py (training structures and words only)."""
    import text_corpus

    return [{"id": f"gen-{seed}-{i:05d}", "text": g["text"], "label": str(g["label"]), "category": g["category"],
             "subtype": g["subtype"]} for i, g in enumerate(text_corpus.generate(n, seed, "train"))]


def render_params(seed, key, voices):
    """(rng, the corpus's render parameters) of the sentence with this render key: its voice and acoustics."""
    rng = np.random.default_rng([seed, key, 5])
    return rng, synth.draw_render_params(rng, voices)


def drawn_voice(seed, key, voices):
    """The voice render_sentence gives the sentence with this render key, without speaking it."""
    return render_params(seed, key, voices)[1]["speakers"][0]["voice"]


def check_kept_voices(path, rows, kept, voices, seed):
    """--only_new: refuse kept rows said by a voice outside this run's --voices (held-out voices in training
    text, or training voices in the benchmark, would mix the two); the number said by another voice of the
    same pool than this --seed gives them where they stand (another --seed, or rows moved in the input)."""
    pool, keys, moved = set(voices), render_keys(rows), 0
    for i, r in kept.items():
        if r["voice"] not in pool:
            raise HelmitError(f"{path}: id {r['id']} was spoken by {r['voice']!r}, which is not one of the --voices "
                              "given now; the file was made with the other --voices: give the same, or --overwrite")
        moved += r["voice"] != drawn_voice(seed, keys[i], voices)
    return moved


def render_sentence(job):
    """One sentence -> one audio file, seeded by (seed, render key); returns the voice used."""
    index, seed, text, voices, path = job
    rng, p = render_params(seed, index, voices)
    p.update(n_turns=1, gaps=p["gaps"][:1] + p["gaps"][-1:], pad_to=synth.MIN_SECONDS)
    espeak_voice.set_seed(rng.integers(2 ** 31))
    speaker = p["speakers"][0]
    turn = espeak_voice.speak(text, speaker) * 10 ** (speaker["gain_db"] / 20)
    wave, sr = synth.mix_scene([turn], p, espeak_voice.espeak()["sr"], rng)
    wave = resample(wave.astype(np.float32), sr, 16000)
    with atomic_output(path, mode=None) as tmp:
        sf.write(tmp, wave, 16000, format="FLAC", subtype="PCM_16")
    return speaker["voice"]


def render_keys(rows):
    """Per row, the index its voice and acoustics are drawn from: its own, or for the texts of a minimal pair
    the pair's first row's, so both are said alike and only their words differ."""
    first = {}
    return [first.setdefault(r["pair"], i) if r.get("pair") else i for i, r in enumerate(rows)]


def speak_all(rows, voices, audio_dir, seed, workers, todo=None):
    """Speak rows (only the indices in `todo`, if given); each row's voice and acoustics come from its index
    in `rows`, so speaking a file's new rows alone gives them what speaking the whole file would."""
    espeak_voice.espeak()
    synth.preload_audio_libraries()
    jobs = [(key, seed, r["text"], voices, str(Path(audio_dir) / f"{i:05d}.flac"))
            for i, (key, r) in enumerate(zip(render_keys(rows), rows)) if todo is None or i in todo]
    # a fresh fork per sentence: libespeak-ng keeps hidden state between sentences (synth_dataset.py)
    with mp.get_context("fork").Pool(workers, maxtasksperchild=1) as pool:
        voices_used = list(tqdm(pool.imap(render_sentence, jobs), total=len(jobs), desc="speaking", unit="sentence"))
    return [j[4] for j in jobs], voices_used


def parse_args(argv=None):
    from transcribe import add_hearings_arg

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--input_csv", help="sentences to speak: a CSV with id, text, label (and category, subtype; and pair, "
                                          "whose two texts are said by one voice alike)")
    src.add_argument("--generated", type=int, help="speak this many text_corpus.py training sentences instead")
    p.add_argument("--voices", choices=("train", "heldout"), required=True,
                   help="the built-in corpus's training voices, or its held-out voices (never used for training)")
    p.add_argument("--output_csv", required=True, help="where to write the transcripts")
    p.add_argument("--audio_dir", default="runs/spoken",
                   help="parent folder of the clips: they go to <audio_dir>/<output file name without .csv>/, so give "
                        "two outputs different file names or they share (and replace) one folder's clips "
                        "(default: %(default)s)")
    p.add_argument("--cache_dir", default="runs/cache", help="transcript cache (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="voices and acoustics, and --generated text (default: %(default)s)")
    p.add_argument("--workers", type=int, default=2, help="parallel processes (default: %(default)s)")
    # one hearing by default: the transcripts that train the text model are one hearing's; the spoken benchmark is
    # made with the fused default's four (Makefile's text-asr)
    add_hearings_arg(p, default=1)
    p.add_argument("--overwrite", action="store_true", help="replace an existing --output_csv")
    p.add_argument("--only_new", action="store_true",
                   help="add to an existing --output_csv: keep its transcripts of the rows it already holds (same id "
                        "and text) and speak only the input's other rows (and any that failed, or were heard otherwise "
                        "than --hearings asks), each with the voice "
                        "and acoustics it would get if the whole file were spoken; the file is rewritten in the "
                        "input's order")
    args = p.parse_args(argv)
    if args.only_new and not args.input_csv:
        p.error("--only_new needs --input_csv")
    if args.generated is not None and args.generated < 2:
        p.error("--generated must be >= 2")
    if args.workers < 1:
        p.error("--workers must be >= 1")
    return args


def main(argv=None):
    from recognizers import DEFAULT_ASR
    from transcribe import hearing_ways, transcribe_files, word_recall

    args = parse_args(argv)
    refuse_to_overwrite(args.output_csv, args.overwrite or args.only_new, inputs=[args.input_csv])
    rows = read_sentences(args.input_csv) if args.input_csv else generated_sentences(args.generated, args.seed)
    kept = earlier_transcripts(args.output_csv, rows, args.hearings) if args.only_new else {}
    todo = [i for i in range(len(rows)) if i not in kept]
    voices = synth.voice_pool(args.voices == "heldout", HOLDOUT_FRACTION)
    moved = check_kept_voices(args.output_csv, rows, kept, voices, args.seed)
    audio_dir = Path(args.audio_dir) / Path(args.output_csv).stem
    audio_dir.mkdir(parents=True, exist_ok=True)
    start = time.time()
    used, asr_id, results = [], "", []  # --only_new with nothing new: the file is rewritten from the input alone
    if todo:
        paths, used = speak_all(rows, voices, audio_dir, args.seed, args.workers, set(todo))
        asr_id, results = transcribe_files(paths, DEFAULT_ASR, cache_dir=args.cache_dir, workers=args.workers,
                                           hearings=args.hearings)
    ways = json.dumps(hearing_ways(args.hearings))
    new = [dict(rows[i], text=(res or {}).get("text", ""), spoken_text=rows[i]["text"], voice=v, asr=asr_id, error=err,
                hearings=json.dumps((res or {}).get("hearings", [])), hearing_ways=ways)
           for i, v, (res, err) in zip(todo, used, results)]
    spoken = iter(new)
    write_csv(args.output_csv, [kept[i] if i in kept else next(spoken) for i in range(len(rows))],
              FIELDS + (["pair"] if rows and "pair" in rows[0] else []) + (["hearings", "hearing_ways"] if args.hearings > 1 else []))
    if kept:
        print(f"\nkept {len(kept)} earlier transcript(s) of {args.output_csv}")
    if moved:
        print(f"warning: {moved} of them were said by another voice than --seed {args.seed} gives them at their place "
              "in the input (made with another --seed, or rows moved): the file mixes two draws of voices; "
              "--overwrite speaks it whole")
    ok = [r for r in new if not r["error"]]
    found, said = word_recall([r["spoken_text"] for r in ok], [r["text"] for r in ok])
    print(f"\n{len(new)} sentence(s) spoken by {len(set(used))} {args.voices} voice(s) and transcribed by {asr_id} "
          f"in {time.time() - start:.0f} s; {sum(bool(r['error']) for r in new)} failed")
    print(f"word recall (share of spoken words found in the transcripts): {found / max(1, said):.3f}")
    print(f"wrote {args.output_csv}")
    return 1 if any(r["error"] for r in new) else 0


if __name__ == "__main__":
    run_cli(main)
