import csv
import json

import pytest
import soundfile as sf
import numpy as np

import infer
import infer_dataset
from utils_io import HelmitError
from conftest import run_script


def test_harmful_ranges_merge_overlapping_windows():
    starts = [0, 64000, 128000, 192000, 256000]  # 8-s windows every 4 s at 16 kHz
    assert infer.harmful_ranges(starts, [0.9, 0.8, 0.1, 0.1, 0.7], 8.0, 16000, 0.5) == [[0.0, 12.0, 0.9], [16.0, 24.0, 0.7]]
    assert infer.harmful_ranges(starts, [0.9, 0.1, 0.6, 0.1, 0.1], 8.0, 16000, 0.5) == [[0.0, 16.0, 0.9]]  # touching
    assert infer.harmful_ranges(starts, [0.9, 0.8, 0.1, 0.1, 0.7], 8.0, 16000, 0.95) == []


def test_split_lookup_marks_what_the_model_saw():
    meta = {"train_clips": json.dumps(["a.wav"]), "val_clips": json.dumps(["b.wav"]), "test_clips": "[]"}
    split_of = infer_dataset.split_lookup(meta)
    assert [split_of(p) for p in ("a.wav", "b.wav", "new.wav")] == ["train", "val", "test"]
    assert infer_dataset.split_lookup({})("x.wav") == "all"  # no record: the split is unknown


def test_infer_dataset_survives_a_bad_clip(tone_onnx, tone_corpus, tmp_path):
    data = tmp_path / "data"
    (data / "safe").mkdir(parents=True)
    (data / "harmful").mkdir()
    sf.write(data / "safe" / "ok.wav", np.zeros(16000, np.float32) + 0.01, 16000)
    (data / "harmful" / "fake.wav").write_text("not audio")
    sf.write(data / "harmful" / "long.flac", 0.1 * np.sin(np.arange(16000 * 20) / 5).astype(np.float32), 16000)
    (data / "labels.csv").write_text("path,label\nsafe/ok.wav,0\nharmful/fake.wav,1\nharmful/long.flac,1\n")
    proc = run_script("infer_dataset.py", "--onnx", tone_onnx, "--data_root", data, "--output_csv",
                      data / "p.csv", check=False)
    assert proc.returncode == 1 and "1 failed" in proc.stdout and "fake.wav" in proc.stdout
    rows = list(csv.DictReader(open(data / "p.csv")))
    assert [r["path"] for r in rows] == ["safe/ok.wav", "harmful/fake.wav", "harmful/long.flac"]
    assert rows[1]["error"] and rows[1]["pred"] == "" and not rows[0]["error"] and not rows[2]["error"]
    assert all(r["split"] == "test" for r in rows)  # none of these were in the model's training record


def test_infer_cli_errors_are_one_line(tone_onnx, tmp_path):
    proc = run_script("infer.py", "--onnx", tone_onnx, "--audio_path", tmp_path / "missing.wav", check=False)
    assert proc.returncode == 1 and proc.stderr.strip().startswith("error:") and "Traceback" not in proc.stderr
    proc = run_script("infer.py", "--onnx", tmp_path / "nope.onnx", "--audio_path", tmp_path, check=False)
    assert proc.returncode == 1 and "nope.onnx" in proc.stderr


def test_bad_windows_fail_before_scoring(tone_onnx, tone_corpus):
    clip = tone_corpus / "harmful" / "clip001.wav"
    for flags, message in ((["--window_sec", "0.01"], "too short"), (["--stride_sec", "0"], "must be positive"),
                           (["--window_sec", "4", "--stride_sec", "6"], "at most the window")):
        proc = run_script("infer.py", "--onnx", tone_onnx, "--audio_path", clip, *flags, check=False)
        assert proc.returncode == 1 and message in proc.stderr and "Traceback" not in proc.stderr


def test_several_files_one_missing_reports_on_stderr(tone_onnx, tone_corpus, tmp_path):
    clip = tone_corpus / "harmful" / "clip001.wav"
    proc = run_script("infer.py", "--onnx", tone_onnx, "--audio_path", clip, tmp_path / "gone.wav", check=False)
    assert proc.returncode == 1
    assert str(clip) in proc.stdout and "gone.wav" not in proc.stdout
    assert proc.stderr.strip() == f"error: {tmp_path / 'gone.wav'}: no such file"


class NaNSession:
    """Stands in for an ONNX Runtime session whose model returns NaN logits."""

    def run(self, outputs, feeds):
        return [np.full((len(feeds["waveform"]), 2), np.nan, np.float32)]


def test_nan_scores_become_errors_not_safe_verdicts(tmp_path):
    from model import onnx_window_probs

    meta = {"sample_rate": "16000", "window_seconds": "1.0"}
    with pytest.raises(HelmitError, match="the model returned NaN or infinite scores"):
        onnx_window_probs(NaNSession(), np.zeros(20000, np.float32), 16000, 8000)
    sf.write(tmp_path / "a.wav", np.full(20000, 0.1, np.float32), 16000)
    rows = [{"abspath": str(tmp_path / "a.wav"), "path": "a.wav"}]
    [(row, p, error)] = list(infer_dataset.score_rows(NaNSession(), meta, rows, 8, 16000, 8000))
    assert p is None and error == f"{tmp_path / 'a.wav'}: the model returned NaN"


def test_the_stored_threshold_decides_in_both_inference_scripts(tone_onnx, tone_corpus, tmp_path):
    """Write the same model with its threshold moved; every decision must follow the metadata."""
    import onnx

    from model import read_metadata, set_metadata

    base = list(csv.DictReader(open(tone_corpus / "labels.csv")))
    clip = tone_corpus / base[1]["path"]
    probs = []
    for threshold in ("0.0", "1.01"):  # below and above every possible P(harmful)
        proto = onnx.load(tone_onnx)
        set_metadata(proto, {**read_metadata(tone_onnx), "threshold": threshold})
        moved = tmp_path / f"t{threshold}.onnx"
        onnx.save(proto, moved)
        out = tmp_path / f"p{threshold}.csv"
        run_script("infer_dataset.py", "--onnx", moved, "--data_root", tone_corpus, "--output_csv", out)
        rows = list(csv.DictReader(open(out)))
        assert {r["pred"] for r in rows} == {"1" if threshold == "0.0" else "0"}
        result = json.loads(run_script("infer.py", "--onnx", moved, "--audio_path", clip, "--json").stdout)
        assert result["label"] == ("harmful" if threshold == "0.0" else "safe")
        probs.append([r["prob_harmful"] for r in rows])
    assert probs[0] == probs[1]  # same scores: only the threshold moved the decisions
