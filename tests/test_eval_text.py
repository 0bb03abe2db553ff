"""eval_text.py's clip mode: the same clips scored from what was said and from what was heard."""
import csv
import json

import pytest

import eval_text
import text_model
from utils_io import HelmitError

HARMFUL = ["i will hurt you tonight", "i am going to hurt you", "you will get hurt", "i will find you and hurt you"]
SAFE = ["see you at lunch", "see you at practice", "want to come to lunch", "see you tonight at practice"]


def write_csv(path, fields, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    return path


@pytest.fixture()
def clips(tmp_path):
    """Four clips: a threat said in two turns and heard as small talk, a threat heard right, a safe
    clip heard right, and a clip the recognizer failed on."""
    model = text_model.fit(HARMFUL * 3 + SAFE * 3, [1] * 12 + [0] * 12)
    text_model.save(tmp_path / "ngram.json", model)
    said = write_csv(tmp_path / "synth_manifest.csv", ["path", "label", "category", "text"], [
        {"path": "harmful/a.wav", "label": 1, "category": "threat", "text": "I will hurt you tonight | I will find you"},
        {"path": "harmful/b.wav", "label": 1, "category": "threat", "text": "I am going to hurt you"},
        {"path": "safe/c.wav", "label": 0, "category": "safe", "text": "See you at lunch"},
        {"path": "safe/d.wav", "label": 0, "category": "safe", "text": "See you at practice"}])
    heard = write_csv(tmp_path / "transcripts.csv", ["path", "label", "text", "confidence", "words", "error"], [
        {"path": "harmful/a.wav", "label": 1, "text": "I will see you tonight at lunch", "confidence": 0.8},
        {"path": "harmful/b.wav", "label": 1, "text": "I am going to hurt you", "confidence": 0.9},
        {"path": "safe/c.wav", "label": 0, "text": "See you at lunch", "confidence": 0.9},
        {"path": "safe/d.wav", "label": 0, "text": "", "error": "decode failed"}])
    return tmp_path, said, heard


def test_clips_are_scored_from_what_was_said_and_from_what_was_heard(clips, capsys):
    tmp_path, said, heard = clips
    assert eval_text.main(["--text_model", str(tmp_path / "ngram.json"), "--transcripts", str(heard),
                           "--said", str(said), "--json", str(tmp_path / "r.json")]) == 0
    out = capsys.readouterr().out
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["clips_said"]["n"] == rep["clips_heard"]["n"] == 3  # the failed clip left out of both
    # the threat said in two turns is caught from its words and missed from the recognizer's small talk
    assert rep["clips_said"]["flagged"]["threat"] == 1.0 and rep["clips_heard"]["flagged"]["threat"] == 0.5
    assert rep["clips_said"]["flagged"]["everyday"] == rep["clips_heard"]["flagged"]["everyday"] == 0.0
    # said: i will hurt you tonight i will find you / i am going to hurt you / see you at lunch (9 + 6 + 4 words);
    # heard keeps i, will, you, tonight of the first (4) and every word of the other two (10)
    assert rep["word_recall"] == pytest.approx(14 / 19)
    assert "clips_said" in out and "clips_heard" in out and "14 of 19 spoken words" in out
    assert "1 clip(s) it failed on left out" in out


def test_transcripts_are_also_scored_by_how_many_of_their_words_the_recognizer_kept(clips, capsys):
    tmp_path, said, heard = clips
    assert eval_text.main(["--text_model", str(tmp_path / "ngram.json"), "--transcripts", str(heard),
                           "--said", str(said), "--json", str(tmp_path / "r.json")]) == 0
    rep = json.loads((tmp_path / "r.json").read_text())
    assert "by_word_recall" not in rep["clips_said"]  # what was said loses no words
    # the two-turn threat kept 4 of its 9 words and was missed: alone below half, one class, no balance;
    # the other two kept every word, and the threat among them was caught and the lunch left alone
    assert rep["clips_heard"]["by_word_recall"] == [
        {"low": 0.0, "high": 0.5, "n": 1, "balanced_accuracy": None},
        {"low": 0.5, "high": 0.8, "n": 0, "balanced_accuracy": None},
        {"low": 0.8, "high": 1.0, "n": 2, "balanced_accuracy": 1.0}]
    assert "clips_heard 0%-50% - (n=1), 50%-80% - (n=0), 80%-100% 1.000 (n=2)" in capsys.readouterr().out


def test_recall_bands_split_transcripts_by_the_words_kept():
    import numpy as np

    said = ["one two three four", "one two three four", "one two three four", "one two three four"]
    heard = ["one", "one two three", "one two three four", "four three two one"]  # kept 1/4, 3/4, 4/4, 4/4
    bands = eval_text.recall_bands(said, heard, np.array([1, 0, 1, 0]), np.array([False, False, True, True]))
    assert [b["n"] for b in bands] == [1, 1, 2]
    assert bands[2]["balanced_accuracy"] == 0.5  # of the two heard whole, the harmful caught, the safe flagged


def test_clip_mode_refuses_what_it_cannot_pair(clips, capsys):
    tmp_path, said, heard = clips
    model = ["--text_model", str(tmp_path / "ngram.json")]
    short = write_csv(tmp_path / "short.csv", ["path", "text"], [{"path": "harmful/a.wav", "text": "x"}])
    with pytest.raises(HelmitError, match=r"short\.csv: no row for clip harmful/b\.wav of .*transcripts\.csv"):
        eval_text.main(model + ["--transcripts", str(heard), "--said", str(short)])
    no_text = write_csv(tmp_path / "labels.csv", ["path", "label"], [{"path": "harmful/a.wav", "label": 1}])
    with pytest.raises(HelmitError, match=r"labels\.csv: missing column\(s\) text"):
        eval_text.main(model + ["--transcripts", str(heard), "--said", str(no_text)])
    unlabelled = write_csv(tmp_path / "t.csv", ["path", "text"], [{"path": "harmful/a.wav", "text": "hi"}])
    with pytest.raises(HelmitError, match=r"t\.csv: clip harmful/a\.wav has no 0/1 label"):
        eval_text.main(model + ["--transcripts", str(unlabelled), "--said", str(said)])
    with pytest.raises(SystemExit):
        eval_text.main(model + ["--transcripts", str(heard)])
    assert "--transcripts and --said go together" in capsys.readouterr().err


def test_json_report_never_replaces_a_file_unasked_nor_its_own_model(clips):
    tmp_path, said, heard = clips
    model = tmp_path / "ngram.json"
    before = model.read_bytes()
    flags = ["--text_model", str(model), "--transcripts", str(heard), "--said", str(said)]
    with pytest.raises(HelmitError, match=r"ngram\.json: is also an input of this run"):
        eval_text.main(flags + ["--json", str(model), "--overwrite"])
    assert model.read_bytes() == before
    old = tmp_path / "old.json"
    old.write_text("{}")
    with pytest.raises(HelmitError, match=r"old\.json: exists; pass --overwrite"):
        eval_text.main(flags + ["--json", str(old)])
    assert old.read_text() == "{}"
    assert eval_text.main(flags + ["--json", str(old), "--overwrite"]) == 0 and "clips_said" in json.loads(old.read_text())
    encoder = tmp_path / "encoder_model"  # an encoder model is a directory: its manifest is inside it
    encoder.mkdir()
    with pytest.raises(HelmitError, match=r"text_model\.json: is inside .*encoder_model, an input of this run"):
        eval_text.main(["--text_model", str(encoder), "--json", str(encoder / "text_model.json"), "--overwrite"])


def test_a_said_csv_that_is_not_utf8_is_named(clips):
    tmp_path, _, heard = clips
    latin = tmp_path / "latin.csv"
    latin.write_bytes("path,text\nharmful/a.wav,caf\xe9 t\xf6night\n".encode("latin-1"))
    with pytest.raises(HelmitError, match=r"latin\.csv:2: byte 0xe9 at column 18 is not UTF-8"):
        eval_text.main(["--text_model", str(tmp_path / "ngram.json"), "--transcripts", str(heard), "--said", str(latin)])


def test_the_report_names_every_column_whole_and_aligns_its_values():
    flagged = {"harassment": 0.9, "bullying": 0.875, "threat": 1.0, "grooming": 0.95, "everyday": 0.05,
               "hard_negative": 0.113}
    rep = {"part1": {"n": 640, "balanced_accuracy": 0.931, "roc_auc": 0.977, "flagged": flagged,
                     "category_accuracy": 0.83, "hard_negative_flagged_by_subtype": {"banter": 0.45}}}
    header, row = eval_text.format_report(rep).splitlines()[:2]
    for name, value in (("harassment", "0.900"), ("grooming", "0.950"), ("everyday", "0.050"),
                        ("hard_neg", "0.113")):
        assert f" {name}" in header
        assert row[header.index(name) + len(name) - len(value):header.index(name) + len(name)] == value


def test_a_damaged_hearings_cell_is_refused_as_the_file_is_read_before_any_training(tmp_path):
    """train_text.py reads the benchmark before it trains: a cell found damaged only while scoring, after
    training, cost the trained model."""
    good = tmp_path / "spoken.csv"
    good.write_text('id,text,label,hearings\np-1,hi there,0,"[""hi there"", ""high there""]"\n')
    assert eval_text.read_rows(good)[0]["hearings"] == ["hi there", "high there"]
    bad = tmp_path / "bad.csv"
    bad.write_text('id,text,label,hearings\np-1,hi there,0,"[""hi there"", oops"\n')
    with pytest.raises(HelmitError, match=f"{bad}:2: damaged hearings"):
        eval_text.read_rows(bad)
