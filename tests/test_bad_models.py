"""Bad models: checkpoints of another architecture or a newer format, ONNX files that are not
Helmit models or whose metadata is missing or garbled, and flags that contradict the model."""
import json
import os

import numpy as np
import onnx
import pytest
import torch

import export_onnx
import infer
import infer_dataset
import quantize_onnx
from config import CFG
from conftest import cnn_args, run_script, saved, tiny_checkpoint
from model import CHECKPOINT_FORMAT, LiteAudioCNN, Wav2Vec2Classifier, load_checkpoint, storable_model_args
from scoring import ONNX_FORMAT, onnx_metadata_props, read_metadata, set_metadata
from utils_io import HelmitError

CNN_ARGS = cnn_args()


# --- checkpoints ---

def test_a_good_tiny_checkpoint_loads(tone_corpus, tmp_path):
    model, ckpt = load_checkpoint(saved(tmp_path / "m.pt", tiny_checkpoint(tone_corpus)))
    assert isinstance(model, LiteAudioCNN) and ckpt["threshold"] == 0.5  # the fixture itself is sound


def test_weights_of_another_architecture(tone_corpus, tmp_path, tiny_w2v_dir):
    w2v = Wav2Vec2Classifier(source=str(tiny_w2v_dir))
    w2v_args = storable_model_args(w2v, {"n_classes": 2, "source": str(tiny_w2v_dir)})
    # a Wav2Vec2 checkpoint whose weights are a CNN's (a mixed-up or hand-assembled file)
    path = saved(tmp_path / "mixed.pt", tiny_checkpoint(tone_corpus, arch="Wav2Vec2Classifier", model_args=w2v_args))
    with pytest.raises(HelmitError) as err:
        load_checkpoint(path)
    message = str(err.value)
    assert message.startswith(f"{path}: weights do not fit Wav2Vec2Classifier with its model_args (")
    assert "missing, e.g. backbone." in message and "unexpected, e.g. frontend." in message
    assert message.endswith("they come from another architecture or size, or the file was edited")


def test_weights_of_another_size(tone_corpus, tmp_path):
    path = saved(tmp_path / "wide.pt", tiny_checkpoint(tone_corpus, model_args={**CNN_ARGS, "width_mult": 0.5}))
    with pytest.raises(HelmitError, match=r"wide\.pt: weights do not fit LiteAudioCNN with its model_args \("
                                          r"\d+ of another shape, e\.g\. stem\.0\.weight \[8, 1, 3, 3\] instead of "
                                          r"\[16, 1, 3, 3\]\)"):
        load_checkpoint(path)


def test_unknown_architecture_names_the_file(tone_corpus, tmp_path):
    path = saved(tmp_path / "odd.pt", tiny_checkpoint(tone_corpus, arch="ResNet50"))
    with pytest.raises(HelmitError, match=rf"^{path}: unknown architecture 'ResNet50'; this Helmit knows "
                                          r"LiteAudioCNN, Wav2Vec2Classifier$"):
        load_checkpoint(path)


def test_model_args_the_architecture_does_not_take(tone_corpus, tmp_path):
    path = saved(tmp_path / "args.pt", tiny_checkpoint(tone_corpus, model_args={**CNN_ARGS, "depth": 50}))
    with pytest.raises(HelmitError, match=r"args\.pt: model_args do not fit LiteAudioCNN \(.*unexpected keyword "
                                          r"argument 'depth'\)"):
        load_checkpoint(path)


@pytest.mark.parametrize("version, message", [
    (CHECKPOINT_FORMAT + 1, rf"checkpoint format {CHECKPOINT_FORMAT + 1} is newer than this Helmit understands "
                            rf"\({CHECKPOINT_FORMAT}\); update Helmit"),
    ("2", r"format_version '2' is not an integer; the file is damaged or edited"),
])
def test_newer_or_garbled_format_version(tone_corpus, tmp_path, version, message):
    path = saved(tmp_path / "v.pt", tiny_checkpoint(tone_corpus, format_version=version))
    with pytest.raises(HelmitError, match=message):
        load_checkpoint(path)


def test_a_resume_progress_file_is_not_a_checkpoint(tmp_path):
    path = saved(tmp_path / "m.progress.pt", {"format_version": 1, "epoch": 3, "model": {}, "optimizer": {}})
    with pytest.raises(HelmitError, match=r"m\.progress\.pt: a train\.py progress file \(for --resume\), not a "
                                          r"checkpoint"):
        load_checkpoint(path)


def test_a_progress_file_from_before_labels_were_recorded_is_named_as_such(tmp_path):
    import argparse

    from train_progress import load_progress

    path = saved(tmp_path / "m.progress.pt", {"format_version": 1, "train_args": {"lr": 0.001}, "epoch": 3})
    args = argparse.Namespace(folds=0, lr=0.001, labels_csv="data/labels.csv", labels_sha256="ab" * 32)
    with pytest.raises(HelmitError, match=r"m\.progress\.pt: written by an older train\.py that did not record its "
                                          r"labels\.csv"):
        load_progress(path, args)


class RunsCode:
    """Pickles as a call to os.mkdir: loading it with weights_only=False would create the marker."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.mkdir, (self.marker,)


def test_a_checkpoint_carrying_code_is_refused_without_running_it(tone_corpus, tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({**tiny_checkpoint(tone_corpus), "extra": RunsCode(tmp_path / "ran")}, path)
    with pytest.raises(HelmitError, match=r"evil\.pt: not a Helmit checkpoint, or damaged \(UnpicklingError"):
        load_checkpoint(path)
    assert not (tmp_path / "ran").exists()


@pytest.mark.parametrize("change, message", [
    ({"class_names": ["safe", "harmful", "spam"]}, r"'class_names' is \['safe', 'harmful', 'spam'\], not a list of "
                                                   r"2 class names"),
    ({"threshold": float("nan")}, r"'threshold' is nan, not a finite number"),
    ({"audio": {"sample_rate": 16000}}, r"'audio' is .*, without a positive sample_rate and clip_seconds"),
    ({"audio": {**CFG.to_dict(), "n_mels": 2 * CFG.n_mels}},
     rf"the model's front end was built with n_mels={CFG.n_mels} but 'audio' records n_mels={2 * CFG.n_mels}"),
])
def test_export_refuses_a_checkpoint_that_contradicts_itself(tone_corpus, tmp_path, change, message):
    path = saved(tmp_path / "m.pt", tiny_checkpoint(tone_corpus, **change))
    with pytest.raises(HelmitError, match=message + "; the checkpoint is damaged or was edited$"):
        export_onnx.main(["--ckpt", str(path), "--onnx", str(tmp_path / "m.onnx")])
    assert not (tmp_path / "m.onnx").exists()


def test_export_flags_that_cannot_work(tone_corpus, tmp_path):
    path = saved(tmp_path / "m.onnx", tiny_checkpoint(tone_corpus))  # a checkpoint with an .onnx name
    with pytest.raises(HelmitError, match=r"m\.onnx: is also an input of this run"):
        export_onnx.main(["--ckpt", str(path), "--overwrite"])  # default --onnx is the checkpoint itself
    assert load_checkpoint(path)[1]["threshold"] == 0.5
    with pytest.raises(SystemExit) as exit_:
        export_onnx.main(["--ckpt", str(path), "--onnx", str(tmp_path / "x.onnx"), "--n_check", "0"])
    assert exit_.value.code == 2


# --- ONNX files ---

def edited_onnx(tone_onnx, path, **meta_changes):
    """tone_onnx with metadata keys replaced (None deletes a key)."""
    proto = onnx.load(tone_onnx)
    meta = {p.key: p.value for p in proto.metadata_props}
    meta = {k: v for k, v in {**meta, **meta_changes}.items() if v is not None}
    set_metadata(proto, meta)
    onnx.save(proto, path)
    return path


def foreign_onnx(path):
    x = onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1])
    y = onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1])
    graph = onnx.helper.make_graph([onnx.helper.make_node("Identity", ["x"], ["y"])], "g", [x], [y])
    onnx.save(onnx.helper.make_model(graph), path)
    return path


def test_onnx_that_is_not_a_helmit_model(tone_corpus, tmp_path):
    clip = str(tone_corpus / "harmful/clip001.wav")
    path = foreign_onnx(tmp_path / "other.onnx")
    proc = run_script("infer.py", "--onnx", path, "--audio_path", clip, check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == (f"error: {path}: not a Helmit model (no helmit metadata); "
                                   "export it with export_onnx.py")
    with pytest.raises(HelmitError, match=r"other\.onnx: not a Helmit model"):
        infer_dataset.main(["--onnx", str(path), "--data_root", str(tone_corpus), "--output_csv", str(tmp_path / "p.csv")])
    assert not (tmp_path / "p.csv").exists()


@pytest.mark.parametrize("content, message", [
    (b"", r"empty file \(0 bytes\), not an ONNX model"),
    (b"hello, I am a text file\n", r"not an ONNX model \(Error parsing message"),
    (b"\x72\x02\x08\x80\x08\x07", r"not an ONNX model \(Error parsing message"),  # a number runs out of its entry
])
def test_a_file_that_is_not_onnx_at_all(tmp_path, content, message):
    (tmp_path / "m.onnx").write_bytes(content)
    with pytest.raises(HelmitError, match=r"m\.onnx: " + message):
        read_metadata(tmp_path / "m.onnx")


def test_a_file_that_cannot_be_read_is_named_with_the_reason(tmp_path, monkeypatch):
    """A file that exists but the system will not read (permissions, a failing disk): tests run as root here, so
    the read fails by a stand-in that raises what open() raises."""
    import scoring

    def refuse(path):
        raise PermissionError(13, "Permission denied", str(path))

    (tmp_path / "m.onnx").write_bytes(b"\x08\x07")
    monkeypatch.setattr(scoring, "onnx_metadata_props", refuse)
    with pytest.raises(HelmitError, match=r"m\.onnx: cannot be read \(Permission denied\)$"):
        read_metadata(tmp_path / "m.onnx")


def test_metadata_is_read_as_onnx_reads_it_and_a_cut_file_is_refused(tone_onnx, tmp_path):
    """scoring.py reads the metadata without the onnx package; it must read what onnx.load reads."""
    proto = onnx.load(tone_onnx)
    set_metadata(proto, {**read_metadata(tone_onnx), "note": "caf\u00e9 \u2713", "": "an empty key", "empty": ""})
    onnx.save(proto, tmp_path / "m.onnx")
    expected = {p.key: p.value for p in onnx.load(tmp_path / "m.onnx").metadata_props}
    assert onnx_metadata_props(tmp_path / "m.onnx") == expected and len(expected) >= 10
    data = (tmp_path / "m.onnx").read_bytes()
    (tmp_path / "cut.onnx").write_bytes(data[:len(data) // 2])  # a copy that stopped half way
    with pytest.raises(Exception, match="Error parsing message"):  # onnx.load refuses it too
        onnx.load(tmp_path / "cut.onnx")
    with pytest.raises(HelmitError, match=r"cut\.onnx: not an ONNX model \(Error parsing message"):
        read_metadata(tmp_path / "cut.onnx")


def test_helmit_metadata_on_a_foreign_graph(tone_onnx, tone_corpus, tmp_path):
    path = foreign_onnx(tmp_path / "fake.onnx")
    proto = onnx.load(path)
    set_metadata(proto, read_metadata(tone_onnx))
    onnx.save(proto, path)
    with pytest.raises(HelmitError, match=r"fake\.onnx: has Helmit metadata but its graph takes \['x'\] and returns "
                                          r"\['y'\]; a Helmit model takes 'waveform' and returns 'logits'"):
        infer.main(["--onnx", str(path), "--audio_path", str(tone_corpus / "harmful/clip001.wav")])


@pytest.mark.parametrize("key, value, problem", [
    ("sample_rate", None, "is missing"),
    ("threshold", None, "is missing"),
    ("class_names", "safe,harmful", "is 'safe,harmful', not a JSON list of 2 class names"),
    ("class_names", '["safe"]', """is '["safe"]', not a JSON list of 2 class names"""),
    ("sample_rate", "16 kHz", "is '16 kHz', not a positive integer"),
    ("window_seconds", "0", "is '0', not a number of seconds >= 0.1"),
    ("threshold", "nan", "is 'nan', not a finite number"),
    ("arch", "GPT2", "is 'GPT2', not one of LiteAudioCNN, Wav2Vec2Classifier"),
    ("helmit_format", "one", "is 'one', not a format number"),
    ("train_clips", "[\"a.wav\", ", """is '["a.wav", ', not a JSON list of paths"""),
])
def test_helmit_onnx_with_missing_or_garbled_metadata(tone_onnx, tone_corpus, tmp_path, key, value, problem):
    path = edited_onnx(tone_onnx, tmp_path / "m.onnx", **{key: value})
    expected = (f"{path}: Helmit metadata '{key}' {problem}; the file was damaged or edited "
                "(export it again with export_onnx.py)")
    with pytest.raises(HelmitError) as err:
        infer.main(["--onnx", str(path), "--audio_path", str(tone_corpus / "harmful/clip001.wav")])
    assert str(err.value) == expected
    with pytest.raises(HelmitError, match="damaged or edited"):  # every reader checks the same way
        quantize_onnx.main(["--onnx_in", str(path), "--onnx_out", str(tmp_path / "q.onnx")])


def test_newer_helmit_onnx_format(tone_onnx, tmp_path):
    path = edited_onnx(tone_onnx, tmp_path / "m.onnx", helmit_format=str(ONNX_FORMAT + 1))
    with pytest.raises(HelmitError, match=rf"m\.onnx: Helmit ONNX format {ONNX_FORMAT + 1} is newer than this Helmit "
                                          rf"understands \({ONNX_FORMAT}\); update Helmit"):
        read_metadata(path)


def test_quantizing_an_int8_model_again_is_refused(tone_onnx, tmp_path):
    path = edited_onnx(tone_onnx, tmp_path / "m_int8.onnx", quantization="static QDQ int8 (Conv, Gemm)")
    with pytest.raises(HelmitError, match=r"m_int8\.onnx: already quantized \(static QDQ int8 \(Conv, Gemm\)\); "
                                          r"quantize the FP32 model"):
        quantize_onnx.main(["--onnx_in", str(path), "--onnx_out", str(tmp_path / "again.onnx")])
    assert not (tmp_path / "again.onnx").exists()


# --- flags that contradict the model ---

def test_window_other_than_the_training_window_is_said(tone_onnx, tone_corpus, capsys):
    trained = float(read_metadata(tone_onnx)["window_seconds"])
    clip = str(tone_corpus / "harmful/clip001.wav")
    assert infer.main(["--onnx", str(tone_onnx), "--audio_path", clip, "--window_sec", "4", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["n_windows"] >= 1  # still scored...
    assert (f"warning: --window_sec 4 differs from the {trained:g}-s window {tone_onnx} was trained on; its "
            "threshold was chosen for that window, so decisions may shift") in captured.err  # ...and said
    assert infer.main(["--onnx", str(tone_onnx), "--audio_path", clip, "--window_sec", f"{trained:g}"]) == 0
    assert "warning: --window_sec" not in capsys.readouterr().err  # the same window, no warning


@pytest.mark.parametrize("value", ["nan", "inf", "5.0", "-0.1"])
def test_a_threshold_that_is_not_a_probability(tone_onnx, tone_corpus, value):
    with pytest.raises(HelmitError, match=rf"^--threshold {value}: not a P\(harmful\) cut-off between 0 and 1"):
        infer.main(["--onnx", str(tone_onnx), "--audio_path", str(tone_corpus / "harmful/clip001.wav"),
                    "--threshold", value])


def test_quantize_onto_its_own_input(tone_onnx, tmp_path):
    path = tmp_path / "m.onnx"
    path.write_bytes(tone_onnx.read_bytes())
    with pytest.raises(HelmitError, match=r"m\.onnx: is also an input of this run"):
        quantize_onnx.main(["--onnx_in", str(path), "--onnx_out", str(path), "--overwrite"])
    assert path.read_bytes() == tone_onnx.read_bytes()
    assert np.isfinite(float(read_metadata(path)["threshold"]))
