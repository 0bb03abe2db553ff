"""Sentences written by hand (textdata/handwritten.csv), their safe twins (textdata/handwritten_twins.csv) and
their recognizer transcripts (textdata/espeak_whisper_train_written.csv): what they hold, that they stay apart
from the benchmark, and how train_text.py joins them to the generated text."""
import collections
import csv
import math
import re
from pathlib import Path

import pytest

import eval_text
import speak_text
import synth_dataset
import train_text
from text_model import normalise_text
from test_text_benchmark import HARMS, runs, written
from utils_io import HelmitError


SENTENCES, TWINS = train_text.WRITTEN[0], train_text.TWINS[0]
SPOKEN = SENTENCES.parent / "espeak_whisper_train_written.csv"
MAKEFILE = SENTENCES.parents[1] / "Makefile"  # the recipes that name files by hand
# eight more authors' sentences and twins (rule 19's candidate text, W15): not in train_text.py's defaults; the
# second member of rule 21's averaged model trained on them after the default files (insights.md)
W15, W15_TWINS = SENTENCES.parent / "handwritten_w15.csv", SENTENCES.parent / "handwritten_w15_twins.csv"
# six more authors' frame pairs (W17, in the defaults since rule 26): each harmful sentence beside a safe one that
# keeps its words in a frame a moderator would pass (a report, a warning, a game, a story, banter, an idiom)
W17 = SENTENCES.parent / "handwritten_w17.csv"
# six more authors' quiet threats and grooming (W18, rule 27's candidate text, not kept: not in the defaults):
# veiled and indirect threats and grooming's meetings and trust-building, each beside a safe twin that keeps its
# words (frames as W17's, plus the same details said with a kind purpose)
W18 = SENTENCES.parent / "handwritten_w18.csv"
# eight more authors' frame pairs over all four harms, written to W17's brief (W19, in the defaults since rule 28)
W19 = SENTENCES.parent / "handwritten_w19.csv"
# eight more authors' frame pairs to the same brief (W20, rule 31's candidate text, not kept: not in the defaults)
W20 = SENTENCES.parent / "handwritten_w20.csv"


def written_rows(path=SENTENCES):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_the_written_sentences_cover_every_harm_and_safe_kind_from_42_authors():
    rows = written_rows()
    assert len({r["text"] for r in rows}) == len({r["id"] for r in rows}) == len(rows) >= 9600
    for r in rows:
        assert r["label"] == ("1" if r["category"] in HARMS else "0"), r["text"]
    counts = collections.Counter(r["category"] for r in rows)
    assert min(counts[c] for c in HARMS) >= 450 and min(counts["everyday"], counts["hard_negative"]) >= 1300
    assert len({r["author"] for r in rows}) == 42


def test_every_twin_is_safe_and_answers_one_harmful_written_sentence():
    harmful = {r["id"]: r for r in written_rows() if r["label"] == "1"}
    twins = written_rows(TWINS)
    assert len(twins) >= 0.8 * len(harmful) and len({r["twin_of"] for r in twins}) == len(twins)
    for t in twins:
        assert (t["label"], t["category"]) == ("0", "hard_negative"), t["id"]
        assert t["subtype"] == "twin_" + harmful[t["twin_of"]]["category"], t["id"]  # KeyError: a twin of nothing
        assert normalise_text(t["text"]) != normalise_text(harmful[t["twin_of"]]["text"]), t["id"]


def test_train_text_states_the_committed_counts():
    """train_text.py's docstring and --help name how many sentences, authors and twins the defaults hold; they
    went stale each time authors were added, so they are checked against the files."""

    rows, twins = written_rows(), written_rows(TWINS)
    n, authors = f"{len(rows):,}", len({r["author"] for r in rows})
    harmful = f"{sum(r['label'] == '1' for r in rows):,}"
    source = (SENTENCES.parents[1] / "train_text.py").read_text()
    assert f"{n} by {authors} authors" in train_text.__doc__
    assert f"safe twin of {len(twins):,} of handwritten.csv's {harmful} harmful ones" in re.sub(r"\s+", " ",
                                                                                            train_text.__doc__)
    assert f"{n} sentences by {authors} authors" in source
    assert f"a twin of {len(twins):,} of handwritten.csv's {harmful} \"\n" in source


def test_the_spoken_written_sentences_are_the_written_ones_as_heard_by_training_voices():
    """speak_text.py --input_csv textdata/handwritten.csv --voices train: every sentence once, label kept."""
    written = {r["id"]: r for r in written_rows()}
    spoken = written_rows(SPOKEN)
    assert sorted(r["id"] for r in spoken) == sorted(written)
    for r in spoken:
        assert (r["spoken_text"], r["label"]) == (written[r["id"]]["text"], written[r["id"]]["label"]), r["id"]
    heldout = synth_dataset.voice_pool(True, speak_text.HOLDOUT_FRACTION)
    assert {r["voice"] for r in spoken} <= set(synth_dataset.voice_pool(False, speak_text.HOLDOUT_FRACTION))
    assert not {r["voice"] for r in spoken} & set(heldout)  # the benchmark's voices stay unheard


def test_no_written_sentence_shares_a_run_of_five_words_with_the_benchmark():
    """Never train on the benchmark, nor on its stock phrases: the authors reached for the same ones. (What
    was written; the recognizer's transcripts of it may happen on any five words.)"""
    bench = set().union(*(runs(written(r)) for rows in eval_text.benchmark_sets().values() for r in rows))
    shared = [r["text"] for p in (SENTENCES, TWINS, W15, W15_TWINS, W17, W18, W19, W20) for r in written_rows(p)
              if runs(r["text"]) & bench]
    assert not shared, shared[:5]


def test_the_eight_more_authors_text_follows_the_default_files_as_rule_21_trained_on_it():
    """handwritten.csv then handwritten_w15.csv (and the twins likewise) are, byte for byte, the files the
    averaged model's second member read at rule 21 (their sha256 was taken before rule 20): 2,080 sentences by eight
    more authors, and 1,320 safe twins, each answering one of their harmful sentences."""
    import hashlib

    def joined(first, then):
        return first.read_bytes() + then.read_bytes().split(b"\n", 1)[1]  # the second file's header dropped

    assert hashlib.sha256(joined(SENTENCES, W15)).hexdigest() == \
        "ae1d7d9e5f82c1ecf686dca8fbe933031ea6604c570dc1b6984798b93d5a019b"
    assert hashlib.sha256(joined(TWINS, W15_TWINS)).hexdigest() == \
        "149e7cce3f535751f6642e6419f5eeb32d148dac06ca0ca2ca0c861748c20739"
    rows, twins = written_rows(W15), written_rows(W15_TWINS)
    assert len(rows) == 2080 and len(twins) == 1320 and len({r["author"] for r in rows}) == 8
    assert not {r["id"] for r in rows} & {r["id"] for r in written_rows()}
    assert not {r["text"] for r in rows} & {r["text"] for r in written_rows()}
    harmful = {r["id"]: r for r in rows if r["label"] == "1"}
    for t in twins:
        assert (t["label"], t["category"]) == ("0", "hard_negative"), t["id"]
        assert t["subtype"] == "twin_" + harmful[t["twin_of"]]["category"], t["id"]
    for r in rows:
        assert r["label"] == ("1" if r["category"] in HARMS else "0"), r["id"]


FRAMES = {"reporting", "safety_advice", "fiction_news", "gaming_violence", "sports", "banter", "idiom", "healthy_adult"}
# the harms' subtypes as the frame-pair authors' brief named them
SUBTYPES = {"threat": {"direct", "conditional", "indirect", "veiled"},
            "harassment": {"sexual_comments", "unwanted_contact", "doxxing", "targeted_abuse"},
            "bullying": {"appearance", "ability", "identity", "exclusion", "humiliation"},
            "grooming": {"trust_building", "flattery", "gifts", "secrecy", "isolation", "private_channel",
                         "photo_request", "meeting"}}


def check_frame_pairs(path, earlier, frames, authors=6):
    """140 rows by each of `authors` authors, apart from the `earlier` files (texts and ids); each harmful row
    answered by exactly one safe row of its author, in one of `frames`, keeping at least 40% of its words (the
    authors' checker asked for that). Returns the harmful rows."""
    rows = written_rows(path)
    assert len(rows) == 140 * authors and len({r["author"] for r in rows}) == authors
    assert len({r["text"] for r in rows}) == len({r["id"] for r in rows}) == len(rows)
    before = [r for p in earlier for r in written_rows(p)]
    assert not {r["text"] for r in rows} & {r["text"] for r in before}
    assert not {r["id"] for r in rows} & {r["id"] for r in before}
    by_id = {r["id"]: r for r in rows}
    harmful = [r for r in rows if r["label"] == "1"]
    twins = [r for r in rows if r["twin_of"]]
    assert collections.Counter(r["twin_of"] for r in twins) == collections.Counter(r["id"] for r in harmful)
    for r in rows:
        assert r["label"] == ("1" if r["category"] in HARMS else "0"), r["id"]
    for t in twins:
        h = by_id[t["twin_of"]]
        assert (t["label"], t["category"], h["label"]) == ("0", "hard_negative", "1"), t["id"]
        assert t["subtype"] in frames and t["author"] == h["author"], t["id"]
        words = set(normalise_text(h["text"]).split())
        assert len(words & set(normalise_text(t["text"]).split())) >= 0.4 * len(words), t["id"]
    return harmful


def assert_every_author_used_every_subtype(harmful):
    for author in {r["author"] for r in harmful}:
        used = {(r["category"], r["subtype"]) for r in harmful if r["author"] == author}
        assert used == {(h, s) for h, subtypes in SUBTYPES.items() for s in subtypes}, author


def assert_read_by_no_default_recipe(path):
    default = train_text.parse_args([])
    assert path.name not in {Path(f).name for f in default.written + default.twins}
    assert path.name not in MAKEFILE.read_text()


def test_every_harmful_frame_pair_sentence_has_one_safe_twin_keeping_its_words_in_another_frame():
    """W17: six authors new to the project, 15 harmful rows a harm each (360 in all), every one answered by a safe twin."""
    harmful = check_frame_pairs(W17, (SENTENCES, TWINS, W15, W15_TWINS), FRAMES)
    assert collections.Counter(r["category"] for r in harmful) == {h: 90 for h in HARMS}


def test_the_quiet_threat_and_grooming_pairs_answer_each_harmful_sentence_with_one_safe_twin_out_of_the_defaults():
    """W18: six more authors; 180 threats (veiled most) and 180 grooming sentences (meetings and trust-building
    most), each beside a safe twin (W17's frames, or the same details said with a kind purpose). Rule 27 did not
    keep them: no default recipe reads the file."""
    harmful = check_frame_pairs(W18, (SENTENCES, TWINS, W15, W15_TWINS, W17), FRAMES | {"kind_intent"})
    assert collections.Counter(r["category"] for r in harmful) == {"threat": 180, "grooming": 180}
    subtypes = collections.Counter(r["subtype"] for r in harmful)
    assert (subtypes["veiled"], subtypes["indirect"], subtypes["meeting"], subtypes["trust_building"]) == (84, 48, 48, 42)
    assert_read_by_no_default_recipe(W18)


def test_the_eight_authors_frame_pairs_cover_every_subtype_of_every_harm_apart_from_the_other_files():
    """W19: eight more authors to W17's brief (15 harmful rows a harm each, every subtype used, each answered by a
    safe twin in W17's frames or with a kind purpose), apart from every earlier file, W18 included."""
    harmful = check_frame_pairs(W19, (SENTENCES, TWINS, W15, W15_TWINS, W17, W18), FRAMES | {"kind_intent"}, authors=8)
    assert collections.Counter(r["category"] for r in harmful) == {h: 120 for h in HARMS}
    assert_every_author_used_every_subtype(harmful)


def test_eight_more_authors_frame_pairs_cover_every_subtype_of_every_harm_apart_from_w19_and_before():
    """W20: eight more authors to W19's brief, unchanged but for the personas, apart from every earlier file. Rule 31
    did not keep it: no default recipe reads the file."""
    earlier = (SENTENCES, TWINS, W15, W15_TWINS, W17, W18, W19)
    harmful = check_frame_pairs(W20, earlier, FRAMES | {"kind_intent"}, authors=8)
    assert collections.Counter(r["category"] for r in harmful) == {h: 120 for h in HARMS}
    assert_every_author_used_every_subtype(harmful)
    # the authors' checker held the project's hand-written text as well as the benchmark
    held = set().union(*(runs(r["text"]) for p in earlier for r in written_rows(p)))
    assert not [r["id"] for r in written_rows(W20) if runs(r["text"]) & held]
    assert_read_by_no_default_recipe(W20)


def test_the_frame_pairs_heard_by_training_voices_are_w17_and_w19_once_each_out_of_the_default_transcripts():
    """W17 and W19 spoken by training voices and transcribed, one hearing each: rule 29's candidate, not kept. Named
    outside train_text.py's default glob (espeak_whisper_train*.csv), so no default recipe reads them."""
    train_voices = set(synth_dataset.voice_pool(False, speak_text.HOLDOUT_FRACTION))
    default = {Path(p).name for p in train_text.parse_args([]).asr_transcripts}
    for written_file in (W17, W19):
        heard = SENTENCES.parent / written_file.name.replace("handwritten", "espeak_whisper_heard")
        said = {r["id"]: r for r in written_rows(written_file)}
        rows = written_rows(heard)
        assert sorted(r["id"] for r in rows) == sorted(said)
        for r in rows:
            assert (r["spoken_text"], r["label"]) == (said[r["id"]]["text"], said[r["id"]]["label"]), r["id"]
            assert r["voice"] in train_voices, r["id"]  # (a few heard as silence: empty text, as in the default files)
        assert heard.name not in default
        assert heard.name not in MAKEFILE.read_text()


def test_the_averaged_recipes_second_member_reads_the_default_text_then_w15_in_member_as_steps():
    """make text-model-averaged averages two models of one schedule: member b's --written and --twins must start
    with train_text.py's defaults (member a's text) and its --epochs must give member a's planned steps once W15 is
    added. Both went stale by hand when the default text grew."""
    root = Path(train_text.__file__).parent
    recipe = re.sub(r"\\\n\s*", " ", MAKEFILE.read_text().split("\ntext-model-averaged:")[1])  # one line a command
    line = next(line for line in recipe.splitlines() if "--out $(AVG_B)" in line)  # both members, joined by "&"
    member_b = line[line.rindex("$(PY)", 0, line.index("--out $(AVG_B)")):].split("||")[0]
    epochs = float(re.search(r"--epochs ([0-9.]+)", member_b).group(1))
    files = {flag: re.search(rf"{flag} ([^-|]+)", member_b).group(1).split() for flag in ("--written", "--twins")}
    assert files["--written"] == [str(p.relative_to(root)) for p in train_text.WRITTEN] + [str(W15.relative_to(root))]
    assert files["--twins"] == [str(p.relative_to(root)) for p in train_text.TWINS] + [str(W15_TWINS.relative_to(root))]
    n_a = default_examples()
    n_b = n_a + 3 * written_count([W15]) + 2 * written_count([W15_TWINS])
    assert round(epochs * math.ceil(n_b / 32)) == math.ceil(n_a / 32)  # member a: --epochs 1, batch 32


def written_count(paths):  # counted by the reader training uses
    return sum(len(train_text.labelled_csv(p, "--written")) for p in paths)


def default_examples():
    """How many examples train_text.py's default recipe trains on, counted without making them."""
    args = train_text.parse_args([])
    shared = (args.n_generated + args.n_generated // 5 + args.chat
              + sum(len(train_text.labelled_csv(p, "--asr_transcripts")) for p in args.asr_transcripts))
    return shared + 3 * written_count(train_text.WRITTEN) + 2 * written_count(train_text.TWINS)


def test_the_steps_quoted_for_the_demos_one_epoch_are_one_epoch_of_the_default_text():
    """The demo's text model trains one epoch of the default text (member a's); the steps the Makefile and the
    README quote for it went stale by hand when the default text grew."""
    steps = f"{math.ceil(default_examples() / 32):,}"  # batch 32
    makefile = MAKEFILE.read_text()
    assert f"for one epoch ({steps} steps)" in makefile
    assert f"({steps}; recompute " in makefile  # the averaged recipe's comment
    assert f"one epoch of the full recipe ({steps} steps)" in (MAKEFILE.parent / "README.md").read_text()


def write(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["text", "label", "category"])
        w.writerows(rows)
    return str(path)


def test_written_sentences_join_the_generated_ones_copied_each_with_its_own_errors(tmp_path):
    mine = write(tmp_path / "w.csv", [("meet me behind the gym at nine or you will regret it badly", 1, "threat"),
                                      ("we should order pizza for the team after practice tonight", 0, "everyday")])
    base = ["--n_generated", "40", "--chat", "0", "--context", "0", "--written", mine, "--twin_copies", "0"]
    without = train_text.load_data(train_text.parse_args(base + ["--written_copies", "0"]))
    data = train_text.load_data(train_text.parse_args(base + ["--written_copies", "40", "--asr_noise", "1.0"]))
    assert data["summary"]["written"] == 2 and data["summary"]["written_copies"] == 40
    assert without["summary"]["written"] == 0 and without["summary"]["written_copies"] == 0
    assert data["summary"]["generated"] == without["summary"]["generated"] == 48  # counted apart from the copies
    added = data["all"][48:48 + 80]  # after the generated sentences, before the recognizer's transcripts
    assert [y for _, y, _ in added] == [1, 0] * 40 and {c for _, _, c in added} == {"threat", "everyday"}
    assert len({t for t, _, _ in added}) > 10  # each copy heard with its own recognition errors


def test_safe_twins_join_as_many_times_as_asked_apart_from_the_written_sentences(tmp_path):
    mine = write(tmp_path / "w.csv", [("meet me behind the gym at nine or you will regret it badly", 1, "threat")])
    twin = write(tmp_path / "t.csv", [("meet me behind the gym at nine or you will miss the bus", 0, "hard_negative")])
    base = ["--n_generated", "40", "--chat", "0", "--context", "0", "--asr_noise", "0", "--written", mine, "--twins", twin]
    data = train_text.load_data(train_text.parse_args(base + ["--written_copies", "3", "--twin_copies", "2"]))
    s = data["summary"]
    assert (s["written"], s["written_copies"], s["twins"], s["twin_copies"], s["generated"]) == (1, 3, 1, 2, 48)
    assert [y for _, y, _ in data["all"][48:48 + 5]] == [1, 1, 1, 0, 0]
    assert s["twin_files"] == [twin] and s["written_files"] == [mine]
    none = train_text.load_data(train_text.parse_args(base + ["--twin_copies", "0"]))["summary"]
    assert (none["twins"], none["twin_copies"], none["twin_files"]) == (0, 0, [])


def test_the_written_sentences_join_by_default_but_not_an_adaptation_and_a_bad_row_is_named(tmp_path, capsys):
    default = train_text.parse_args([])  # the default recipe, as measured (insights.md)
    assert default.written_copies == 3 and default.written == [str(SENTENCES), str(W17), str(W19)]
    assert default.twin_copies == 2 and default.twins == [str(TWINS)]
    adapting = train_text.parse_args(["--n_generated", "0", "--init", "m"])
    assert adapting.written_copies == adapting.twin_copies == 0  # your transcripts alone
    assert train_text.parse_args(["--n_generated", "0", "--written_copies", "2"]).written_copies == 2
    for bad_args, says in ((["--written_copies", "-1"], "--written_copies must be >= 0, not -1"),
                           (["--twin_copies", "-2"], "--twin_copies must be >= 0, not -2"),
                           (["--twins", "--twin_copies", "1"], "give at least one"),
                           (["--written", "--written_copies", "3"], "give at least one")):  # no file to copy
        with pytest.raises(SystemExit):
            train_text.parse_args(bad_args)
        assert says in capsys.readouterr().err
    (tmp_path / "notext.csv").write_text("sentence,label\nhi,0\n")
    with pytest.raises(HelmitError, match=r"--written must be labelled sentences \(text, label, category\)"):
        train_text.load_data(train_text.parse_args(["--n_generated", "10", "--chat", "0", "--written_copies", "1",
                                                    "--written", str(tmp_path / "notext.csv")]))
    bad = write(tmp_path / "bad.csv", [("you are great", 2, "everyday")])
    with pytest.raises(HelmitError, match=rf"{tmp_path / 'bad.csv'}:2: label '2' is not 0 or 1"):
        train_text.load_data(train_text.parse_args(["--n_generated", "10", "--chat", "0", "--written", bad,
                                                    "--written_copies", "1"]))


def test_out_may_not_replace_a_written_file_it_reads(tmp_path):
    mine = write(tmp_path / "w.csv", [("see you at practice", 0, "everyday")])
    with pytest.raises(HelmitError, match="an input of this run"):
        train_text.main(["--kind", "ngram", "--out", mine, "--overwrite", "--written", mine, "--written_copies", "1"])
    with pytest.raises(HelmitError, match="an input of this run"):
        train_text.main(["--kind", "ngram", "--out", mine, "--overwrite", "--twins", mine, "--twin_copies", "1"])
    assert open(mine, encoding="utf-8").read().startswith("text,label,category")
