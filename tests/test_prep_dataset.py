"""prep_dataset.py: clips made here with soundfile, labels.csv checked line by line."""
import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import prep_dataset
from utils_io import HelmitError, read_labels_csv

REPO = Path(__file__).resolve().parents[1]
EXPECTED = """path,label,duration_s
harmful/a.wav,1,1.00
harmful/sub/deep/b.WAV,1,0.50
safe/c.flac,0,0.25
safe/nested/d.wav,0,2.00
"""


def tone(path, seconds, sr, channels=1):
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * sr)) / sr
    wave = 0.3 * np.sin(2 * np.pi * 440 * t).astype(np.float32)
    sf.write(path, np.stack([wave] * channels, axis=1) if channels > 1 else wave, sr)


@pytest.fixture
def corpus(tmp_path):
    root = tmp_path / "data"
    tone(root / "harmful/a.wav", 1.0, 16000)
    tone(root / "harmful/sub/deep/b.WAV", 0.5, 44100, channels=2)
    tone(root / "safe/c.flac", 0.25, 22050)
    tone(root / "safe/nested/d.wav", 2.0, 16000)
    (root / "safe/broken.wav").write_text("this is a text file, not audio")
    (root / "safe/notes.txt").write_text("not a clip")
    (root / "safe/._c.flac").write_bytes(b"\x00\x05\x16\x07 macOS resource fork")
    return root


def test_labels_csv_contents_and_bad_file_named(corpus, capsys):
    rows, skipped = prep_dataset.prep(corpus)
    assert (corpus / "labels.csv").read_text() == EXPECTED
    err = capsys.readouterr().err
    assert f"warning: {corpus / 'safe/broken.wav'}: cannot decode audio" in err
    assert "left out of labels.csv" in err
    assert "._c.flac" not in err  # hidden resource fork never reached the decoder
    assert len(skipped) == 1
    # what training will read: every row points at a real file, labels as the folders say
    labels = {r["path"]: r["label"] for r in read_labels_csv(corpus / "labels.csv")}
    assert labels == {"harmful/a.wav": 1, "harmful/sub/deep/b.WAV": 1, "safe/c.flac": 0, "safe/nested/d.wav": 0}
    assert "truncated" not in err and "very quiet" not in err  # sound clips draw no warning


def test_a_clip_that_decodes_but_looks_wrong_is_labelled_and_named(corpus, capsys):
    data = (corpus / "harmful/a.wav").read_bytes()
    (corpus / "harmful/a.wav").write_bytes(data[:len(data) // 2])  # an upload cut off halfway
    sf.write(corpus / "safe/quiet.wav", np.zeros(8000, np.float32), 16000)
    rows, _ = prep_dataset.prep(corpus, overwrite=True)
    err = capsys.readouterr().err
    assert f"warning: {corpus / 'harmful/a.wav'}: truncated: decoded 0.50 s of the 1.00 s its header declares" in err
    assert f"warning: {corpus / 'safe/quiet.wav'}: very quiet" in err
    assert {r["path"] for r in rows} >= {"harmful/a.wav", "safe/quiet.wav"}  # still labelled: a listener decides


def test_the_same_audio_under_two_names_is_named(corpus, capsys):
    (corpus / "safe" / "copy_of_a.wav").write_bytes((corpus / "harmful" / "a.wav").read_bytes())
    prep_dataset.prep(corpus)
    err = capsys.readouterr().err
    assert "warning: safe/copy_of_a.wav: the same audio as harmful/a.wav, byte for byte, but labelled otherwise" in err
    assert err.count("the same audio as") == 1


def test_summary_counts(corpus, capsys):
    prep_dataset.prep(corpus)
    out = capsys.readouterr().out
    assert "4 clips" in out
    assert "harmful  (label 1):      2 clips" in out
    assert "safe     (label 0):      2 clips" in out
    assert "skipped 1 undecodable file(s)" in out


def test_workers_do_not_change_the_output(corpus, tmp_path):
    prep_dataset.main(["--data_root", str(corpus), "--workers", "1", "--labels_csv", str(tmp_path / "one.csv")])
    prep_dataset.main(["--data_root", str(corpus), "--workers", "4", "--labels_csv", str(tmp_path / "four.csv")])
    assert (tmp_path / "one.csv").read_text() == (tmp_path / "four.csv").read_text() == EXPECTED
    assert not (corpus / "labels.csv").exists()  # --labels_csv moved the output


def write_manifest(path, header, rows):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def test_manifest_columns_joined(corpus, capsys):
    write_manifest(corpus / "synth_manifest.csv",
                   ["path", "label", "category", "template", "voices", "holdout", "text", "group"],
                   [["harmful/a.wav", 1, "threat", "t07", "en+m3", 0, "I will ...", "conv12"],
                    ["safe/c.flac", 1, "greeting", "t01", "en+f2", 1, "hello there", "conv3"],
                    ["safe/gone.wav", 0, "x", "t9", "en", 0, "deleted since", "conv9"]])
    prep_dataset.prep(corpus)
    with open(corpus / "labels.csv", newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == ["path", "label", "duration_s", "category", "template", "holdout", "group"]
        rows = {r["path"]: r for r in reader}
    assert rows["harmful/a.wav"] == {"path": "harmful/a.wav", "label": "1", "duration_s": "1.00",
                                     "category": "threat", "template": "t07", "holdout": "0", "group": "conv12"}
    assert rows["safe/c.flac"]["group"] == "conv3" and rows["safe/c.flac"]["label"] == "0"
    assert rows["safe/nested/d.wav"]["category"] == rows["safe/nested/d.wav"]["group"] == ""
    assert "safe/gone.wav" not in rows
    captured = capsys.readouterr()
    assert "safe/c.flac: manifest label '1' disagrees with its folder" in captured.err
    assert "joined synth_manifest.csv for 2 of 4 clips" in captured.out


def test_manifest_without_group_adds_no_group(corpus):
    write_manifest(corpus / "synth_manifest.csv", ["path", "label", "category"], [["harmful/a.wav", 1, "threat"]])
    prep_dataset.prep(corpus)
    header = (corpus / "labels.csv").read_text().splitlines()[0]
    assert header == "path,label,duration_s,category"


def test_manifest_saved_by_a_spreadsheet_with_a_byte_order_mark_is_joined(corpus):
    (corpus / "synth_manifest.csv").write_bytes(b"\xef\xbb\xbfpath,label,category\r\nharmful/a.wav,1,threat\r\n")
    rows, _ = prep_dataset.prep(corpus)
    assert {r["path"]: r["category"] for r in rows}["harmful/a.wav"] == "threat"


def test_manifest_that_is_not_utf8_is_named_before_any_clip_is_decoded(corpus, monkeypatch):
    (corpus / "synth_manifest.csv").write_bytes("path,label,category\nsafe/c.flac,0,caf\u00e9\n".encode("latin-1"))

    def no_decoding(paths, workers):
        raise AssertionError("decoded every clip before reading the manifest")

    monkeypatch.setattr(prep_dataset, "decode_all", no_decoding)
    with pytest.raises(HelmitError, match=r"synth_manifest\.csv:2: byte 0xe9 at column 18 is not UTF-8"):
        prep_dataset.prep(corpus)
    assert not (corpus / "labels.csv").exists()


def test_class_with_only_undecodable_files_fails_and_keeps_old_labels(corpus):
    (corpus / "labels.csv").write_text("previous run\n")
    for clip in ["harmful/a.wav", "harmful/sub/deep/b.WAV"]:
        (corpus / clip).write_bytes(b"garbage")
    with pytest.raises(HelmitError, match=r"harmful: none of the audio files for class 'harmful' could be decoded"):
        prep_dataset.prep(corpus, overwrite=True)
    assert (corpus / "labels.csv").read_text() == "previous run\n"


def test_class_without_audio_and_missing_root(tmp_path):
    (tmp_path / "data/harmful").mkdir(parents=True)
    tone(tmp_path / "data/safe/s.wav", 0.1, 16000)
    (tmp_path / "data/harmful/readme.txt").write_text("no clips")
    with pytest.raises(HelmitError, match=r"data/harmful: no audio files .* for class 'harmful'"):
        prep_dataset.prep(tmp_path / "data")
    with pytest.raises(HelmitError, match=r"nowhere: data root not found"):
        prep_dataset.prep(tmp_path / "nowhere")


def test_cli_missing_class_is_one_error_line(tmp_path):
    tone(tmp_path / "data/harmful/h.wav", 0.1, 16000)
    res = subprocess.run([sys.executable, str(REPO / "prep_dataset.py"), "--data_root", str(tmp_path / "data")],
                         capture_output=True, text=True, cwd=tmp_path)
    assert res.returncode == 1
    assert res.stderr.startswith(f"error: {tmp_path / 'data/safe'}: class directory for 'safe' not found")
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
    assert not (tmp_path / "data/labels.csv").exists()


def test_audio_outside_the_class_folders_is_named_and_a_capitalised_folder_is_pointed_at(tmp_path, capsys):
    tone(tmp_path / "data/harmful/h.wav", 0.5, 16000)
    tone(tmp_path / "data/Safe/s.wav", 0.6, 16000)
    with pytest.raises(HelmitError, match=r"data/safe: class directory for 'safe' not found \('Safe/' is there: the "
                                          r"names are lower-case\)"):
        prep_dataset.prep(tmp_path / "data")
    (tmp_path / "data/Safe").rename(tmp_path / "data/safe")
    tone(tmp_path / "data/unsure/u.wav", 0.7, 16000)
    tone(tmp_path / "data/stray.wav", 0.8, 16000)
    rows, _ = prep_dataset.prep(tmp_path / "data")
    assert sorted(r["path"] for r in rows) == ["harmful/h.wav", "safe/s.wav"]
    assert (f"warning: 2 audio file(s) under {tmp_path / 'data'} are outside safe/ and harmful/, e.g. "
            f"{tmp_path / 'data/stray.wav'}, and are left out") in capsys.readouterr().err
