"""Recognition errors learned from real transcripts, put onto clean training text.

The text model reads what Whisper heard, not what was said. speak_text.py gives it a few thousand
real transcripts of spoken generated and hand-written sentences (textdata/), which is slow to make
(~50 min for 7,000); this module learns from those same pairs what the recognizer does to each word
(kept, misheard as which words, dropped) and applies it to any number of generated sentences, so the
model meets recognition errors on the whole breadth of the generator's wording rather than on the
16,704 sentences that were spoken. Only training-voice transcripts are read; the spoken benchmark never is.

A word seen fewer than MIN_SEEN times falls back to the corpus-wide rate of dropped words: it is
kept or dropped, never swapped for a random word, which could turn a safe sentence harmful.
"""
import csv
import difflib
import random
from collections import Counter
from pathlib import Path

from text_model import normalise_text
from utils_io import HelmitError

MIN_SEEN = 3  # a word's own confusions are used once it was said this often


def align(said, heard):
    """[(spoken word, what was heard for it)] for two texts, in order; what was heard is a tuple of
    words: (word,) kept, () dropped, anything else misheard. Words heard between two spoken words
    go with the first of them (at the start, with the first spoken word)."""
    a, b = normalise_text(said).split(), normalise_text(heard).split()
    out = []
    lead = ()  # words heard before any spoken word
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out += [(w, (w,)) for w in a[i1:i2]]
        elif op == "delete":
            out += [(w, ()) for w in a[i1:i2]]
        elif op == "insert":
            if out:
                out[-1] = (out[-1][0], out[-1][1] + tuple(b[j1:j2]))
            else:
                lead += tuple(b[j1:j2])
        else:  # replace: pair words in order; extra spoken words dropped, extra heard ones go with the last
            n = min(i2 - i1, j2 - j1)
            out += [(a[i1 + k], (b[j1 + k],)) for k in range(n)]
            out += [(w, ()) for w in a[i1 + n:i2]]
            if j2 - j1 > n:
                out[-1] = (out[-1][0], out[-1][1] + tuple(b[j1 + n:j2]))
    if lead and out:
        out[0] = (out[0][0], lead + out[0][1])
    return out


def read_pairs(paths):
    """[(said, heard)] from speak_text.py CSVs (columns spoken_text: what was said, text: what the
    recognizer heard); rows with an error are skipped."""
    pairs = []
    for path in map(Path, paths):
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            if not {"spoken_text", "text"} <= set(reader.fieldnames or []):
                raise HelmitError(f"{path}: no spoken_text column, so what was said is unknown and recognition errors "
                                  "cannot be learned from it; use speak_text.py's CSVs, or --asr_noise 0")
            pairs += [(r["spoken_text"], r["text"]) for r in reader if not (r.get("error") or "").strip()]
    return pairs


def fit(pairs):
    """A confusion table from [(said, heard)]: {"words": {word: {heard as text: count}},
    "drop_rate": share of all spoken words heard as nothing, "kept_rate": share heard as themselves}."""
    words, total, dropped, kept = {}, 0, 0, 0
    for said, heard in pairs:
        for w, h in align(said, heard):
            words.setdefault(w, Counter())[" ".join(h)] += 1
            total += 1
            dropped += not h
            kept += h == (w,)
    if not total:
        raise ValueError("no words to learn recognition errors from")
    return {"words": {w: dict(c) for w, c in words.items()}, "drop_rate": dropped / total, "kept_rate": kept / total}


def corrupt(text, table, rng, level=1.0):
    """`text` as the recognizer of `table` might have heard it (normalised: lower case, no punctuation).
    Each word goes through the table with probability `level` (0..1) and is kept otherwise.
    `rng`: a random.Random."""
    out = []
    for w in normalise_text(text).split():
        seen = table["words"].get(w)
        if rng.random() >= level:
            heard = w
        elif seen and sum(seen.values()) >= MIN_SEEN:
            heard = rng.choices(list(seen), weights=list(seen.values()))[0]
        else:
            heard = "" if rng.random() < table["drop_rate"] else w
        if heard:
            out.append(heard)
    return " ".join(out)


LEVELS = (0.3, 1.0)  # each corrupted text draws its level here: clean speech to the training voices in noise


def corrupt_share(texts, table, share, seed):
    """(texts with about `share` of them corrupted, how many were): deterministic for the seed.
    A text whose every word was dropped is kept as it was."""
    rng = random.Random(f"asr_noise-{seed}")
    out, n = [], 0
    for t in texts:
        if rng.random() < share:
            c = corrupt(t, table, rng, rng.uniform(*LEVELS))
            if c:
                out.append(c)
                n += 1
                continue
        out.append(t)
    return out, n
