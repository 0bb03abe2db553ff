"""Minimal pairs: a harmful text beside a safe twin in its own sentence shape, in the frozen benchmark and in
the generator, so a text model cannot learn the shape of harm instead of its words."""
import collections
import re

import pytest

import eval_text
import text_corpus
from utils_io import HelmitError

HARMS = ("threat", "harassment", "bullying", "grooming")


@pytest.mark.parametrize("part", eval_text.PAIR_PARTS)
def test_every_frozen_pair_is_one_harmful_text_and_its_safe_twin(part):
    rows = eval_text.benchmark_sets()[f"pairs_{part}"]
    by_pair = collections.defaultdict(list)
    for r in rows:
        by_pair[r["pair"]].append(r)
    assert len(by_pair) >= 100
    cats = collections.Counter()
    for pair, (a, b) in ((k, v) for k, v in by_pair.items() if len(v) == 2):
        harmful, safe = (a, b) if a["label"] == "1" else (b, a)
        assert harmful["category"] in HARMS and safe["category"] == "hard_negative", pair
        assert safe["subtype"] == f"twin_{harmful['category']}" and harmful["style"] == safe["style"], pair
        cats[harmful["category"]] += 1
    assert sum(cats.values()) == len(by_pair)  # no pair of one or three texts
    assert len(set(cats.values())) == 1, cats  # the harms equally represented
    assert len({r["text"] for r in rows}) == len(rows)


def test_a_broken_pair_is_named(tmp_path):
    rows = [{"pair": "p1", "label": "1", "text": "a"}, {"pair": "p1", "label": "1", "text": "b"},
            {"pair": "p2", "label": "1", "text": "c"}, {"pair": "p2", "label": "0", "text": "d"}]
    with pytest.raises(HelmitError, match=r"pairs\.csv: pair 'p1' has labels \['1', '1'\]; each pair needs one "
                                          r"harmful \(1\) and one safe \(0\) text"):
        eval_text.check_pairs(rows, tmp_path / "pairs.csv")
    assert eval_text.check_pairs(rows[2:], tmp_path / "pairs.csv") == rows[2:]


def test_pairs_are_scored_both_right_and_in_order():
    rows = [{"pair": p, "label": y} for p in ("a", "b", "c") for y in ("1", "0")]
    # a: both right; b: both flagged, harmful higher; c: both missed, safe higher
    probs = [0.9, 0.1, 0.95, 0.8, 0.2, 0.3]
    flagged = [p >= 0.5 for p in probs]
    assert eval_text.pair_scores(rows, probs, flagged) == (pytest.approx(1 / 3), pytest.approx(2 / 3))
    assert eval_text.pair_scores([{"label": "1"}], [0.9], [True]) is None  # not a pairs set
    rep = {"pairs_part1": {"n": 6, "balanced_accuracy": 0.5, "roc_auc": 0.5, "flagged": {},
                           "hard_negative_flagged_by_subtype": {}, "pairs_both_right": 1 / 3,
                           "pairs_harmful_above_twin": 2 / 3}}
    assert "pairs_part1 both decided right 33.3%, harmful scored above its twin 66.7%" in eval_text.format_report(rep)


# Harm's shapes, and how often the generator's sentences of each shape were harmful before the everyday
# talk in those shapes (text_lexicon_frames.py) was added, on 40,000 training sentences of seed 0, and
# after: "I'll/I'm gonna ... you" 67% -> 57%, "you better" 100% -> 73%, "I know where you" 59% -> 34%,
# "you're so" 74% -> 66%. Each bound lies between the two, so the generator before them fails every one.
SHAPES = {"i will ... you": (r"\b(i'll|ill|i'm gonna|im gonna|i'm going to|im going to|i will) (\w+ )?(you|ya|u)\b",
                             0.63),
          "you better": (r"\byou'?d? better\b", 0.86), "i know where you": (r"\bi know where you\b", 0.49),
          "you're so": (r"\b(you're|youre|you are|ur) so\b", 0.71)}


def test_no_shape_of_harm_gives_the_label_away():
    rows = text_corpus.generate(40000, 0)
    for shape, (pattern, most_harmful) in SHAPES.items():
        hits = [r["label"] for r in rows if re.search(pattern, r["text"], re.I)]
        assert len(hits) - sum(hits) >= 25, shape  # safe sentences of that shape exist (before: none said "you better")
        assert sum(hits) / len(hits) <= most_harmful, (shape, sum(hits) / len(hits))


@pytest.mark.parametrize("part", eval_text.PAIR_PARTS)
def test_both_texts_of_a_spoken_pair_are_said_by_one_voice(part):
    """That the spoken pairs are the written ones, pair ids included, is test_text_benchmark.py's
    test_each_spoken_set_is_its_written_set_as_heard."""
    spoken = eval_text.benchmark_sets()[f"pairs_{part}_spoken"]
    assert spoken
    by_pair = collections.defaultdict(set)
    for r in spoken:
        by_pair[r["pair"]].add(r["voice"])
    assert all(len(v) == 1 for v in by_pair.values())  # one voice for both texts: only the words differ


def test_a_damaged_benchmark_file_stops_training_before_it_starts(tmp_path, monkeypatch):
    import argparse

    import train_text

    (tmp_path / "text_pairs_part1.csv").write_text("id,pair,text,label\n1,p1,a,1\n2,p1,b,1\n")
    monkeypatch.setattr(eval_text, "EVAL_DIR", tmp_path)
    args = argparse.Namespace(init=None, kind="ngram", base=None, no_benchmark=False)
    with pytest.raises(HelmitError, match=r"text_pairs_part1\.csv: pair 'p1' has labels \['1', '1'\]"):
        train_text.check_starting_point(args)
    train_text.check_starting_point(argparse.Namespace(**{**vars(args), "no_benchmark": True}))  # never read: not in its way
    (tmp_path / "text_pairs_part1.csv").write_text("id,text,label\n1,a,1\n")
    with pytest.raises(HelmitError, match=r"text_pairs_part1\.csv: no pair column"):
        train_text.check_starting_point(args)
