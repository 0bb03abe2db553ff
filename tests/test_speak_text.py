"""speak_text.py: sentences spoken by espeak-ng the same way every run, and a sentences CSV with a
bad row refused by its line."""
import csv
import ctypes
import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import espeak_voice  # noqa: E402
import speak_text  # noqa: E402
import synth_dataset as synth  # noqa: E402
from utils_io import HelmitError  # noqa: E402

ROWS = [{"text": "I know which school you go to."}, {"text": "Send me the homework photo later."},
        {"text": "Good game, see you tomorrow."}]
BREATHY = [f"{accent}+f2" for accent in synth.ACCENTS]  # f2 draws noise from espeak-ng's own generator


def speak_in_two_runs(rows, voices, tmp_path):
    """The clips' bytes from two runs. Each CLI run starts espeak-ng with its generator seeded from the
    clock; here both runs fork from this process, so its generator is moved between them to the same effect."""
    runs = []
    for run in (1, 2):
        espeak_voice.espeak()["lib"].espeak_ng_SetRandSeed(ctypes.c_long(run))
        (tmp_path / str(run)).mkdir(parents=True)
        paths, _ = speak_text.speak_all(rows, voices, tmp_path / str(run), seed=3, workers=1)
        assert [Path(p).name for p in paths] == [f"{i:05d}.flac" for i in range(len(rows))]
        runs.append([Path(p).read_bytes() for p in paths])
    return runs


def test_sentences_are_spoken_the_same_every_run(tmp_path):
    first, second = speak_in_two_runs(ROWS, synth.voice_pool(True, speak_text.HOLDOUT_FRACTION), tmp_path)
    assert first == second
    assert len(set(first)) == 3


def test_a_breathy_voice_sounds_the_same_every_run_because_it_is_seeded(tmp_path, monkeypatch):
    first, second = speak_in_two_runs(ROWS[:1], BREATHY, tmp_path / "seeded")
    assert first == second
    monkeypatch.setattr(espeak_voice, "set_seed", lambda seed: None)  # what the runs would do unseeded
    first, second = speak_in_two_runs(ROWS[:1], BREATHY, tmp_path / "unseeded")
    assert first != second


def test_a_sentences_csv_with_a_bad_row_is_refused_by_its_line(tmp_path):
    bad = tmp_path / "s.csv"
    bad.write_text("id,text,label\n1,hello there,0\n2,you again,harmful\n")
    with pytest.raises(HelmitError, match=r"s\.csv:3: needs a text and a label 0 or 1"):
        speak_text.read_sentences(bad)
    short = tmp_path / "short.csv"
    short.write_text("id,text,label\nc1,hello there\n")  # a row cut short: no label at all
    with pytest.raises(HelmitError, match=r"short\.csv:2: needs a text and a label 0 or 1"):
        speak_text.read_sentences(short)


def test_a_spreadsheets_byte_order_mark_is_read_past(tmp_path):
    saved = tmp_path / "excel.csv"
    saved.write_bytes("\ufeffid,text,label\n1,see you at practice,0\n".encode("utf-8"))
    assert speak_text.read_sentences(saved) == [{"id": "1", "text": "see you at practice", "label": "0",
                                                 "category": "", "subtype": ""}]
    with pytest.raises(SystemExit):
        speak_text.parse_args(["--generated", "5", "--voices", "train", "--output_csv", "x.csv", "--workers", "0"])


def test_a_minimal_pair_keeps_its_pair_id_when_spoken(tmp_path):
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("id,pair,text,label\n1,p1,I'll hurt you later,1\n2,p1,I'll help you later,0\n")
    assert [r["pair"] for r in speak_text.read_sentences(pairs)] == ["p1", "p1"]
    plain = tmp_path / "plain.csv"
    plain.write_text("id,text,label\n1,see you at practice,0\n")
    assert "pair" not in speak_text.read_sentences(plain)[0]  # no empty pair column for the benchmark's files


def test_the_two_texts_of_a_minimal_pair_are_said_by_one_voice_alike(tmp_path):
    rows = [{"text": "I'll hurt you after school.", "pair": "p1"}, {"text": "See you at lunch.", "pair": "p2"},
            {"text": "I'll help you after school.", "pair": "p1"}, {"text": "Good game."}]
    assert speak_text.render_keys(rows) == [0, 1, 0, 3]
    voices = synth.voice_pool(True, speak_text.HOLDOUT_FRACTION)
    paths, used = speak_text.speak_all(rows, voices, tmp_path, seed=3, workers=1)
    assert used[0] == used[2] and len(set(Path(p).name for p in paths)) == 4
    assert speak_text.render_keys([{"text": r["text"]} for r in rows]) == [0, 1, 2, 3]  # unpaired: each its own


@pytest.mark.parametrize("with_pairs", [True, False])
def test_the_spoken_csv_keeps_the_pair_column_only_when_given_one(tmp_path, monkeypatch, with_pairs):
    """main's own path, with the recognizer replaced (Whisper is not needed to write the CSV's columns)."""
    import transcribe

    def heard(paths, *args, **kwargs):  # what main does with the transcripts, not what Whisper hears
        return "fake-asr", [({"text": f"heard {Path(p).stem}"}, "") for p in paths]

    monkeypatch.setattr(transcribe, "transcribe_files", heard)
    given = tmp_path / "given.csv"
    given.write_text("id,pair,text,label\n1,p1,I'll hurt you later,1\n2,p1,I'll help you later,0\n" if with_pairs
                     else "id,text,label\n1,I'll hurt you later,1\n2,I'll help you later,0\n")
    out = tmp_path / "spoken.csv"
    assert speak_text.main(["--input_csv", str(given), "--voices", "heldout", "--output_csv", str(out),
                            "--audio_dir", str(tmp_path / "audio"), "--cache_dir", str(tmp_path / "cache"),
                            "--workers", "1"]) == 0
    rows = list(csv.DictReader(out.open()))
    assert [r["spoken_text"] for r in rows] == ["I'll hurt you later", "I'll help you later"]
    assert [r["text"] for r in rows] == ["heard 00000", "heard 00001"] and {r["asr"] for r in rows} == {"fake-asr"}
    if with_pairs:
        assert [r["pair"] for r in rows] == ["p1", "p1"] and rows[0]["voice"] == rows[1]["voice"]
    else:
        assert "pair" not in rows[0]


def test_only_new_speaks_the_rows_an_earlier_output_lacks_as_the_whole_file_would(tmp_path, monkeypatch):
    """--only_new: sentences added to a file are spoken alone, each with the voice its row would get if the
    whole file were spoken again; the earlier transcripts are kept as they were."""
    import transcribe

    asked = []

    def heard(paths, *args, **kwargs):
        asked.append([Path(p).stem for p in paths])
        return "fake-asr", [({"text": f"heard {Path(p).stem} run {len(asked)}"}, "") for p in paths]

    monkeypatch.setattr(transcribe, "transcribe_files", heard)
    sentences = ["see you at practice", "I'll wait by your gate tonight", "good game everyone", "nice shot mate"]
    given, whole, out = tmp_path / "given.csv", tmp_path / "whole.csv", tmp_path / "spoken.csv"

    def speak(n, output, *extra):
        given.write_text("id,text,label\n" + "".join(f"s{i},{t},{i % 2}\n" for i, t in enumerate(sentences[:n])))
        return speak_text.main(["--input_csv", str(given), "--voices", "train", "--output_csv", str(output),
                                "--audio_dir", str(tmp_path / "audio"), "--cache_dir", str(tmp_path / "cache"),
                                "--seed", "11", "--workers", "1", *extra])

    assert speak(2, out) == 0
    before = list(csv.DictReader(out.open()))
    assert speak(4, out, "--only_new") == 0
    after = list(csv.DictReader(out.open()))
    assert asked[-1] == ["00002", "00003"]  # the two new rows, and nothing already heard
    assert after[:2] == before and [r["spoken_text"] for r in after] == sentences
    assert [r["text"] for r in after[2:]] == ["heard 00002 run 2", "heard 00003 run 2"]
    assert speak(4, whole) == 0  # the whole file spoken at once: the same voices, row by row
    assert [r["voice"] for r in csv.DictReader(whole.open())] == [r["voice"] for r in after]
    # the same text, relabelled: its transcript is kept, its label is the input's, and nothing is heard again
    given.write_text(given.read_text().replace("s0,see you at practice,0", "s0,see you at practice,1"))
    assert speak_text.main(["--input_csv", str(given), "--voices", "train", "--output_csv", str(out),
                            "--audio_dir", str(tmp_path / "audio"), "--cache_dir", str(tmp_path / "cache"),
                            "--seed", "11", "--workers", "1", "--only_new"]) == 0
    relabelled = list(csv.DictReader(out.open()))
    assert relabelled[0]["label"] == "1" and relabelled[0]["text"] == after[0]["text"] and len(asked) == 3


def test_hearings_are_written_and_only_new_hears_again_a_row_heard_another_number_of_times(tmp_path, monkeypatch):
    import transcribe

    asked = []

    def heard(paths, *args, hearings=1, **kwargs):
        asked.append(([Path(p).stem for p in paths], hearings))
        return "fake-asr", [({"text": f"a {Path(p).stem}", "hearings": [f"a {Path(p).stem}", "b", "c"][:hearings]}, "")
                            for p in paths]

    monkeypatch.setattr(transcribe, "transcribe_files", heard)
    given, out = tmp_path / "given.csv", tmp_path / "spoken.csv"
    given.write_text("id,text,label\ns0,see you at practice,0\ns1,I'll wait by your gate tonight,1\n")

    def speak(*extra):
        return speak_text.main(["--input_csv", str(given), "--voices", "heldout", "--output_csv", str(out),
                                "--audio_dir", str(tmp_path / "audio"), "--cache_dir", str(tmp_path / "cache"),
                                "--workers", "1", *extra])

    assert speak() == 0 and "hearings" not in next(csv.DictReader(out.open()))  # one hearing: no column
    assert speak("--hearings", "3", "--only_new") == 0
    assert asked[-1] == (["00000", "00001"], 3)  # heard once before: both heard again, three times
    rows = list(csv.DictReader(out.open()))
    assert [json.loads(r["hearings"]) for r in rows] == [["a 00000", "b", "c"], ["a 00001", "b", "c"]]
    assert speak("--hearings", "3", "--only_new") == 0 and len(asked) == 2  # heard three times already: kept
    assert list(csv.DictReader(out.open())) == rows
    assert [json.loads(r["hearing_ways"]) for r in rows] == [transcribe.hearing_ways(3)] * 2
    # written before the ways were recorded: three hearings then were three speeds of one recognizer, so both
    # are heard again; two hearings were the same two then as now, so those are kept
    def rewrite(kept_rows, drop=()):
        with open(out, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=[k for k in kept_rows[0] if k not in drop], extrasaction="ignore")
            w.writeheader(), w.writerows(kept_rows)

    rewrite(rows, drop=("hearing_ways",))
    assert speak("--hearings", "3", "--only_new") == 0 and asked[-1] == (["00000", "00001"], 3) and len(asked) == 3
    assert speak("--hearings", "2", "--overwrite") == 0 and len(asked) == 4
    rewrite(list(csv.DictReader(out.open())), drop=("hearing_ways",))
    assert speak("--hearings", "2", "--only_new") == 0 and len(asked) == 4
    assert speak("--hearings", "3", "--overwrite") == 0 and len(asked) == 5
    # a row that failed is spoken again, whatever ways its row names
    failed = list(csv.DictReader(out.open()))
    failed[1].update(text="", error="could not decode", hearings="[]")
    rewrite(failed)
    assert speak("--hearings", "3", "--only_new") == 0 and asked[-1] == (["00001"], 3)
    out.write_text(out.read_text().replace('"[""a 00001"", ""b"", ""c""]"', '"[""a 00001"", oops"'))
    with pytest.raises(HelmitError, match=re.escape(f"{out}:3: damaged hearings")):
        speak("--hearings", "3", "--only_new")


def test_only_new_refuses_a_sentence_changed_since_it_was_spoken(tmp_path, monkeypatch):
    import transcribe

    monkeypatch.setattr(transcribe, "transcribe_files",
                        lambda paths, *a, **k: ("fake-asr", [({"text": "heard"}, "") for _ in paths]))
    given, out = tmp_path / "given.csv", tmp_path / "spoken.csv"
    common = ["--input_csv", str(given), "--voices", "train", "--output_csv", str(out), "--audio_dir",
              str(tmp_path / "audio"), "--cache_dir", str(tmp_path / "cache"), "--workers", "1"]
    given.write_text("id,text,label\na,see you at practice,0\n")
    with pytest.raises(HelmitError, match=r"spoken\.csv: not found; --only_new adds to an earlier output"):
        speak_text.main(common + ["--only_new"])
    assert speak_text.main(common) == 0
    given.write_text("id,text,label\na,see you at the match,0\n")
    with pytest.raises(HelmitError, match=r"spoken\.csv:2: id a was spoken as 'see you at practice', but the input"):
        speak_text.main(common + ["--only_new"])
    assert list(csv.DictReader(out.open()))[0]["spoken_text"] == "see you at practice"  # left as it was
    with pytest.raises(SystemExit):
        speak_text.parse_args(["--generated", "5", "--voices", "train", "--output_csv", "x.csv", "--only_new"])


def test_only_new_refuses_another_pool_of_voices_and_warns_of_another_seed(tmp_path, monkeypatch, capsys):
    """Held-out voices kept in a training file (or training voices in the benchmark) would mix what must stay
    apart: refused. Another --seed of the same pool only mixes two draws: said, and kept."""
    import transcribe

    monkeypatch.setattr(transcribe, "transcribe_files",
                        lambda paths, *a, **k: ("fake-asr", [({"text": "heard"}, "") for _ in paths]))
    given, out = tmp_path / "given.csv", tmp_path / "spoken.csv"
    given.write_text("id,text,label\na,see you at practice,0\nb,I'll wait by your gate tonight,1\n")

    def speak(voices, seed, *extra):
        return speak_text.main(["--input_csv", str(given), "--voices", voices, "--output_csv", str(out),
                                "--audio_dir", str(tmp_path / "audio"), "--cache_dir", str(tmp_path / "cache"),
                                "--seed", str(seed), "--workers", "1", *extra])

    assert speak("train", 11) == 0
    written = out.read_text()
    pool = synth.voice_pool(False, speak_text.HOLDOUT_FRACTION)
    assert [r["voice"] for r in csv.DictReader(out.open())] == [speak_text.drawn_voice(11, i, pool) for i in (0, 1)]
    with pytest.raises(HelmitError, match=r"spoken\.csv: id a was spoken by '.+', which is not one of the --voices"):
        speak("heldout", 11, "--only_new")
    assert out.read_text() == written  # left as it was
    capsys.readouterr()
    seed = next(s for s in range(12, 40) if speak_text.drawn_voice(s, 0, pool) != speak_text.drawn_voice(11, 0, pool))
    assert speak("train", seed, "--only_new") == 0
    assert "were said by another voice than --seed" in capsys.readouterr().out
    assert speak("train", 11, "--only_new") == 0
    assert "another voice" not in capsys.readouterr().out
