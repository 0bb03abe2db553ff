"""Bad labels.csv files: each gives a clear error or warning naming the row or the class.

The clips are the session's tone corpus; each test writes its own labels.csv into tmp_path and
points --data_root at the corpus, so the audio is shared and never copied.
"""
import codecs
import csv

import pytest

import infer_dataset
import prep_dataset
import train
from conftest import run_script
from utils_io import HelmitError, read_labels_csv


def corpus_rows(tone_corpus):
    with open(tone_corpus / "labels.csv", newline="") as f:
        return list(csv.DictReader(f))


def write_labels(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def labels_text(rows, header="path,label"):
    return header + "\n" + "".join(f"{r['path']},{r['label']}\n" for r in rows)


def test_missing_columns(tone_corpus, tmp_path):
    labels = write_labels(tmp_path / "labels.csv", "file,class\nharmful/clip001.wav,1\n")
    with pytest.raises(HelmitError, match=r"labels\.csv: missing column\(s\) label, path; expected a header 'path,label'"):
        read_labels_csv(labels, tone_corpus)
    write_labels(labels, "")  # an empty file has no header at all
    with pytest.raises(HelmitError, match=r"missing column\(s\) label, path"):
        read_labels_csv(labels, tone_corpus)


def test_a_row_that_ends_before_its_label_says_so(tone_corpus, tmp_path):
    labels = write_labels(tmp_path / "labels.csv", "path,label\nharmful/clip001.wav,1\nsafe/clip010.wav\n")
    with pytest.raises(HelmitError, match=rf"^{labels}:3: no label \(the row has 1 field\(s\); expected path,label\)$"):
        read_labels_csv(labels, tone_corpus, check_files=False)


def test_a_row_with_more_values_than_the_header_is_refused_but_a_trailing_comma_is_not(tone_corpus, tmp_path):
    """An unquoted comma in a value shifted a row's holdout and group columns, and the clip quietly left
    its speaker's group."""
    labels = write_labels(tmp_path / "labels.csv", "path,label,category,group\nharmful/clip001.wav,1,threat,spk1,\n"
                                                   "harmful/clip002.wav,1,threat, insult,spk2\n")
    with pytest.raises(HelmitError, match=rf"^{labels}:3: 5 values, but the header names 4 columns: an unquoted comma "
                                          r"inside a value \(quote it\), or a column with no name"):
        read_labels_csv(labels, tone_corpus, check_files=False)
    write_labels(labels, "path,label\nharmful/a,b.wav,1\n")  # the comma in a path: named as such, not as a label
    with pytest.raises(HelmitError, match=rf"^{labels}:2: 3 values, but the header names 2 columns"):
        read_labels_csv(labels, tone_corpus, check_files=False)
    write_labels(labels, "path,label,category,group\nharmful/clip001.wav,1,threat,spk1,\n"
                         "harmful/clip002.wav,1,\"threat, insult\",spk2\n")
    rows = read_labels_csv(labels, tone_corpus, check_files=False)
    assert [r["group"] for r in rows] == ["spk1", "spk2"]


def test_missing_columns_cli_is_one_line_and_writes_nothing(tone_corpus, tmp_path):
    labels = write_labels(tmp_path / "labels.csv", "path\nharmful/clip001.wav\n")
    proc = run_script("train.py", "--data_root", tone_corpus, "--labels_csv", labels, "--ckpt", tmp_path / "m.pt",
                      check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == f"error: {labels}: missing column(s) label; expected a header 'path,label'"
    assert not (tmp_path / "m.pt").exists()


@pytest.mark.parametrize("label", ["harmful", "2", "", "-1", "0.5"])
def test_unknown_label_names_the_row(tone_corpus, tmp_path, label):
    rows = corpus_rows(tone_corpus)[:3]
    rows[1] = {**rows[1], "label": label}
    labels = write_labels(tmp_path / "labels.csv", labels_text(rows))
    with pytest.raises(HelmitError, match=rf"labels\.csv:3: label '{label}' is not 0 \(safe\) or 1 \(harmful\)$"):
        read_labels_csv(labels, tone_corpus)


def test_row_whose_file_is_missing(tone_corpus, tmp_path):
    rows = corpus_rows(tone_corpus)[:4] + [{"path": "safe/gone.wav", "label": "0"}]
    labels = write_labels(tmp_path / "labels.csv", labels_text(rows))
    with pytest.raises(HelmitError, match=rf"labels\.csv:6: audio file {tone_corpus / 'safe/gone.wav'} does not exist$"):
        read_labels_csv(labels, tone_corpus)  # what training and quantize_onnx.py read
    write_labels(labels, labels_text(corpus_rows(tone_corpus)[:2] + [{"path": "safe", "label": "0"}]))
    with pytest.raises(HelmitError, match=rf"labels\.csv:4: audio file {tone_corpus / 'safe'} is not a file$"):
        read_labels_csv(labels, tone_corpus)


def test_row_whose_file_is_missing_is_one_error_row_when_scoring(tone_onnx, tone_corpus, tmp_path, capsys):
    rows = corpus_rows(tone_corpus)[:3] + [{"path": "safe/gone.wav", "label": "0"}]
    labels = write_labels(tmp_path / "labels.csv", labels_text(rows))
    out = tmp_path / "p.csv"
    code = infer_dataset.main(["--onnx", str(tone_onnx), "--data_root", str(tone_corpus), "--labels_csv", str(labels),
                               "--output_csv", str(out), "--threads", "1"])
    assert code == 1 and "1 failed" in capsys.readouterr().out
    scored = {r["path"]: r for r in csv.DictReader(open(out))}
    assert scored["safe/gone.wav"]["error"] == f"{tone_corpus / 'safe/gone.wav'}: no such file"
    assert all(r["pred"] in ("0", "1") for p, r in scored.items() if p != "safe/gone.wav")


def test_duplicate_row_is_dropped_with_a_warning(tone_corpus, tmp_path, capsys):
    rows = corpus_rows(tone_corpus)[:4]
    dup = {**rows[1], "path": "./" + rows[1]["path"]}  # the same clip written another way
    labels = write_labels(tmp_path / "labels.csv", labels_text(rows + [rows[1], dup]))
    read = read_labels_csv(labels, tone_corpus)
    assert [r["path"] for r in read] == [r["path"] for r in rows]
    err = capsys.readouterr().err
    assert f"warning: {labels}:6: duplicate row for {rows[1]['path']} (first on line 3); keeping the first" in err
    assert f"warning: {labels}:7: duplicate row for ./{rows[1]['path']} (first on line 3)" in err


def test_duplicate_row_with_the_other_label_is_an_error(tone_corpus, tmp_path):
    rows = corpus_rows(tone_corpus)[:4]
    flipped = {**rows[2], "label": str(1 - int(rows[2]["label"]))}
    labels = write_labels(tmp_path / "labels.csv", labels_text(rows + [flipped]))
    with pytest.raises(HelmitError, match=rf"labels\.csv:6: {rows[2]['path']} is labelled {flipped['label']} here "
                                          rf"and {rows[2]['label']} on line 4; keep one row per clip"):
        read_labels_csv(labels, tone_corpus)


def test_class_with_no_clips_is_named(tone_corpus, tmp_path, capsys):
    harmful = [r for r in corpus_rows(tone_corpus) if r["label"] == "1"]
    labels = write_labels(tmp_path / "labels.csv", labels_text(harmful))
    assert len(read_labels_csv(labels, tone_corpus)) == len(harmful)  # scoring one class is allowed...
    assert (f"warning: {labels}: no clips of class 'safe' (label 0); training needs both classes"
            in capsys.readouterr().err)  # ...but said


def test_class_folder_with_no_clips_stops_prep(tone_corpus, tmp_path):
    (tmp_path / "data/harmful").mkdir(parents=True)
    (tmp_path / "data/harmful/a.wav").write_bytes((tone_corpus / "harmful/clip001.wav").read_bytes())
    (tmp_path / "data/safe").mkdir()
    (tmp_path / "data/safe/notes.txt").write_text("no audio here")
    with pytest.raises(HelmitError, match=r"data/safe: no audio files \(.*\) for class 'safe'$"):
        prep_dataset.prep(tmp_path / "data")
    assert not (tmp_path / "data/labels.csv").exists()


def test_single_class_dataset_given_to_training(tone_corpus, tmp_path, capsys, monkeypatch):
    harmful = [r for r in corpus_rows(tone_corpus) if r["label"] == "1"]
    labels = write_labels(tmp_path / "labels.csv", labels_text(harmful))
    base = ["--data_root", str(tone_corpus), "--labels_csv", str(labels), "--epochs", "1", "--width_mult", "0.25"]

    def decoded_first(*args):
        raise AssertionError("every clip was decoded before the labels were found unusable")

    monkeypatch.setattr(train, "clip_inputs", decoded_first)
    with pytest.raises(HelmitError, match=r"labels\.csv: class 'safe' has 0 training clip\(s\); need at least 2 per class "
                                          r"\(a single-class dataset cannot train a classifier\)"):
        train.main(base + ["--ckpt", str(tmp_path / "m.pt")])
    assert "no clips of class 'safe'" in capsys.readouterr().err  # named as soon as labels.csv is read
    assert not (tmp_path / "m.pt").exists()
    with pytest.raises(HelmitError, match=r"labels\.csv: class 'safe' has 0 clip\(s\); 2 folds need at least 2"):
        train.main(base + ["--folds", "2", "--oof_csv", str(tmp_path / "oof.csv")])
    assert not (tmp_path / "oof.csv").exists()


def test_training_never_writes_over_its_labels_csv(tone_corpus, tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_bytes((tone_corpus / "labels.csv").read_bytes())
    base = ["--data_root", str(tone_corpus), "--labels_csv", str(labels), "--epochs", "1", "--overwrite"]
    for flags in (["--folds", "2", "--oof_csv", str(labels)], ["--ckpt", str(labels)]):
        with pytest.raises(HelmitError, match=r"labels\.csv: is also an input of this run"):
            train.main(base + flags)
    assert labels.read_bytes() == (tone_corpus / "labels.csv").read_bytes()


def test_cross_validation_checks_its_splits_before_decoding(tone_corpus, tmp_path, monkeypatch):
    def decoded_first(*args):
        raise AssertionError("every clip was decoded before the folds were found unusable")

    monkeypatch.setattr(train, "clip_inputs", decoded_first)
    base = ["--data_root", str(tone_corpus), "--folds", "2", "--oof_csv", str(tmp_path / "oof.csv")]
    with pytest.raises(HelmitError, match=r"^--val_fraction 1\.5 must be between 0 and 1"):
        train.main(base + ["--val_fraction", "1.5"])


def test_class_with_one_clip_given_to_training(tone_corpus, tmp_path):
    rows = corpus_rows(tone_corpus)
    one_safe = [r for r in rows if r["label"] == "1"] + [next(r for r in rows if r["label"] == "0")]
    labels = write_labels(tmp_path / "labels.csv", labels_text(one_safe))
    with pytest.raises(HelmitError, match=r"class 'safe' has 1 training clip\(s\); need at least 2 per class"):
        train.main(["--data_root", str(tone_corpus), "--labels_csv", str(labels), "--epochs", "1",
                    "--width_mult", "0.25", "--ckpt", str(tmp_path / "m.pt")])


def test_header_only_and_unreadable_files(tone_corpus, tmp_path):
    labels = write_labels(tmp_path / "labels.csv", "path,label\n")
    with pytest.raises(HelmitError, match=r"labels\.csv: no rows$"):
        read_labels_csv(labels, tone_corpus)
    labels.write_bytes("path,label\nsafe/caf\xe9.wav,0\n".encode("latin-1"))
    with pytest.raises(HelmitError, match=r"labels\.csv:2: byte 0xe9 at column 9 is not UTF-8; save the file as UTF-8"):
        read_labels_csv(labels, tone_corpus)
    # far past the decoder's first buffer: the line is the file's, not an offset into a buffer
    labels.write_bytes(("path,label\n" + "safe/clip.wav,0\n" * 2000 + "safe/caf\xe9.wav,0\n").encode("latin-1"))
    with pytest.raises(HelmitError, match=r"labels\.csv:2002: byte 0xe9 at column 9 is not UTF-8"):
        read_labels_csv(labels, tone_corpus, check_files=False)
    # lines ended by a lone CR (Excel for Mac's "CSV (Macintosh)"), a byte-order mark, and characters of
    # two bytes before the bad one: still the line and the column a text editor shows
    for data, where in [(b"path,label\rsafe/caf\xe9.wav,0\r", r":2: byte 0xe9 at column 9"),
                        (codecs.BOM_UTF8 + b"p\xe9th,label\r\n", r":1: byte 0xe9 at column 2"),
                        ("path,label\nsafe/été".encode() + b"\xe9.wav,0\n", r":2: byte 0xe9 at column 9")]:
        labels.write_bytes(data)
        with pytest.raises(HelmitError, match=r"labels\.csv" + where + " is not UTF-8"):
            read_labels_csv(labels, tone_corpus, check_files=False)


def test_spreadsheet_byte_order_mark_is_accepted(tone_corpus, tmp_path):
    rows = corpus_rows(tone_corpus)[:4]
    labels = tmp_path / "labels.csv"
    labels.write_text(labels_text(rows), encoding="utf-8-sig")  # what Excel's "CSV UTF-8" writes
    assert [r["path"] for r in read_labels_csv(labels, tone_corpus)] == [r["path"] for r in rows]


def test_a_path_written_with_windows_separators_or_another_accent_form_is_found(tone_corpus, tmp_path):
    import shutil
    import unicodedata

    composed = unicodedata.normalize("NFC", "réunion.wav")
    (tmp_path / "safe").mkdir()
    shutil.copy(tone_corpus / "safe" / "clip000.wav", tmp_path / "safe" / composed)
    shutil.copy(tone_corpus / "harmful" / "clip001.wav", tmp_path / "h.wav")
    labels = tmp_path / "labels.csv"
    # typed on a Mac (e + combining accent) and with Windows' separator: both print as the file's name
    labels.write_text(f"path,label\nsafe\\{unicodedata.normalize('NFD', 'réunion.wav')},0\nh.wav,1\n", encoding="utf-8")
    rows = read_labels_csv(labels)
    assert rows[0]["abspath"] == str(tmp_path / "safe" / composed) and rows[0]["label"] == 0
    assert read_labels_csv(labels, check_files=False)[0]["abspath"] == rows[0]["abspath"]  # transcribe, infer_dataset
    labels.write_text("path,label\nsafe/missing.wav,0\n")
    with pytest.raises(HelmitError, match=r"labels\.csv:2: audio file .*missing\.wav does not exist"):
        read_labels_csv(labels)
