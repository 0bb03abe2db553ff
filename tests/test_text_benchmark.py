"""The frozen text benchmark (eval/): what each part holds, and that its parts stay apart."""
import collections

import pytest

import eval_text
from text_model import normalise_text

HARMS = eval_text.HARM


def written(row):
    """What the author wrote: a spoken file's `text` is the recognizer's transcript, its `spoken_text` what was said."""
    return row.get("spoken_text") or row["text"]


@pytest.fixture(scope="module")
def sets():
    """Every benchmark file, read once for the module: each test only reads it."""
    return eval_text.benchmark_sets()


def runs(text, n=5):
    """The runs of n words in `text`, as the text model reads them (case and punctuation gone)."""
    w = normalise_text(text).split()
    return {tuple(w[i:i + n]) for i in range(len(w) - n + 1)}


@pytest.mark.parametrize("part", eval_text.PARTS)
def test_every_part_covers_each_harm_everyday_talk_and_hard_negatives(part, sets):
    rows = sets[part]
    assert len({r["id"] for r in rows}) == len(rows) and len({r["text"] for r in rows}) == len(rows)
    for r in rows:  # the label follows the category: a harm is 1, everyday talk and hard negatives 0
        assert r["label"] == ("1" if r["category"] in HARMS else "0"), r["id"]
        assert r["category"] in HARMS + eval_text.SAFE, r["id"]
    counts = collections.Counter(r["category"] for r in rows)
    # parts 5-9 lost more rows to the filter against the other parts (a run of five words shared): part 5
    # kept 25 grooming items and 93 hard negatives, part 6 23 grooming items and 28 threats, part 7 25 grooming
    # items and 83 hard negatives, part 8 23 grooming items and 87 hard negatives, part 9 21 grooming items
    # and 85 hard negatives; the authors of parts 10-14 and 16-23 reworded such rows instead, so each keeps 120 per harm and
    # 180 hard negatives; part 15 lost 13 rows to the hand-written hard negatives written beside it (rule 24),
    # keeping 117-120 per harm and 174 hard negatives
    number = int(part.removeprefix("part"))
    harm_least, hard_least = {"part5": (25, 90), "part6": (20, 100), "part7": (25, 80), "part8": (20, 80),
                              "part9": (20, 80), "part15": (117, 174)}.get(part, (120, 180) if number >= 10
                                                                                 else (35, 100))
    assert min(counts[c] for c in HARMS) >= harm_least and counts["everyday"] >= 100
    assert counts["hard_negative"] >= hard_least
    hard = collections.Counter(r["subtype"] for r in rows if r["category"] == "hard_negative")
    assert {"gaming_violence", "sports", "idiom", "banter", "reporting", "safety_advice"} <= set(hard), hard


@pytest.mark.parametrize("part, authors", [("part3", {"a", "b"}), ("part4", {"p", "q", "r", "s"}),
                                           ("part5", {"t", "u", "v", "w"}), ("part6", {"r", "s", "x", "y", "z"}),
                                           ("part7", {"c", "d", "e", "f", "g"}), ("part8", {"h", "i", "j", "k", "m"}),
                                           ("part9", {"l", "n", "o", "a9", "b9"}),
                                           ("part10", {"a10", "b10", "c10", "d10", "e10"}),
                                           ("part11", {"a11", "b11", "c11", "d11", "e11"}),
                                           ("part12", {"a12", "b12", "c12", "d12", "e12"}),
                                           ("part13", {"a13", "b13", "c13", "d13", "e13"}),
                                           ("part14", {"a14", "b14", "c14", "d14", "e14"}),
                                           ("part15", {"a15", "b15", "c15", "d15", "e15"}),
                                           ("part16", {"a16", "b16", "c16", "d16", "e16"}),
                                           ("part17", {"a17", "b17", "c17", "d17", "e17"}),
                                           ("part18", {"a18", "b18", "c18", "d18", "e18"}),
                                           ("part19", {"a19", "b19", "c19", "d19", "e19"}),
                                           ("part20", {"a20", "b20", "c20", "d20", "e20"}),
                                           ("part21", {"a21", "b21", "c21", "d21", "e21"}),
                                           ("part22", {"a22", "b22", "c22", "d22", "e22"}),
                                           ("part23", {"a23", "b23", "c23", "d23", "e23"})])
def test_parts_after_2_hold_no_run_of_five_words_from_the_other_parts(part, authors, sets):
    """Their authors reached for the same stock phrases as the other parts' ("I could murder a pizza right
    now"); those rows were dropped (the authors of part 10 and later reworded them instead), so each measures wording
    the rest of the benchmark does not hold."""
    others = set().union(*(runs(written(r)) for name, rows in sets.items() if name not in (part, f"{part}_spoken")
                           for r in rows))
    shared = [r["id"] for r in sets[part] if runs(r["text"]) & others]
    assert not shared, shared[:5]
    assert {r["author"] for r in sets[part]} == authors


def test_a_run_of_five_words_is_found_whatever_the_case_and_punctuation():
    assert runs("I could MURDER a pizza, right now!") & runs("i could murder a pizza")
    assert not runs("i could murder a salad right now") & runs("i could murder a pizza right now")


@pytest.mark.parametrize("name", [*eval_text.PARTS, *(f"pairs_{p}" for p in eval_text.PAIR_PARTS)])
def test_each_spoken_set_is_its_written_set_as_heard(name, sets):
    """Every part and every minimal-pairs file: the spoken file says the same items, with their labels
    (and pair ids), and `text` there is what the recognizer heard, as often as fused scoring hears a clip."""
    from transcribe import DEFAULT_HEARINGS

    said = {r["id"]: r for r in sets[name]}
    heard = sets[f"{name}_spoken"]
    assert sorted(r["id"] for r in heard) == sorted(said)
    assert {len(r["hearings"]) for r in heard} == {DEFAULT_HEARINGS}  # heard as fused scoring hears a clip
    for r in heard:
        w = said[r["id"]]
        assert (r["spoken_text"], r["label"], r["category"], r.get("pair")) == \
            (w["text"], w["label"], w["category"], w.get("pair")), r["id"]


@pytest.mark.parametrize("name", [*eval_text.PARTS, *(f"pairs_{p}" for p in eval_text.PAIR_PARTS)])
def test_each_spoken_set_is_said_only_by_voices_no_training_audio_uses(name, sets):
    """The spoken benchmark measures voices the models never heard: every voice in it is one of the built-in
    corpus's held-out voices (a held-out accent with a held-out variant), none a training voice."""
    import speak_text
    import synth_dataset

    held = set(synth_dataset.voice_pool(True, speak_text.HOLDOUT_FRACTION))
    heard = {r["voice"] for r in sets[f"{name}_spoken"]}
    assert heard and heard <= held, sorted(heard - held)[:5]
    assert not heard & set(synth_dataset.voice_pool(False, speak_text.HOLDOUT_FRACTION))
