"""The INT8 guard: quantize_onnx.py must refuse, and leave the destination untouched, when the
INT8 model outputs NaN or changes too many decisions."""
import numpy as np
import onnx
import pytest
import torch

import export_onnx
import quantize_onnx
from config import CFG, CLASS_NAMES
from model import LiteAudioCNN, onnx_metadata, set_metadata
from utils_io import HelmitError


@pytest.fixture(scope="module")
def cnn_onnx(tmp_path_factory, tone_corpus):
    torch.manual_seed(0)
    model = LiteAudioCNN(width_mult=0.25).eval()
    path = tmp_path_factory.mktemp("q") / "cnn.onnx"
    export_onnx.export(model, torch.randn(2, CFG.clip_samples), str(path))
    proto = onnx.load(path)
    ckpt = {"arch": "LiteAudioCNN", "audio": CFG.to_dict(), "class_names": list(CLASS_NAMES), "threshold": 0.5,
            "model_args": {"width_mult": 0.25}, "train_args": {"data_root": str(tone_corpus)}}
    set_metadata(proto, onnx_metadata(ckpt))
    onnx.save(proto, path)
    return path


def test_refuses_too_many_flips_and_keeps_the_old_file(cnn_onnx, tmp_path):
    out = tmp_path / "cnn_int8.onnx"
    out.write_bytes(b"previous good model")
    # a negative allowance makes any result "too many flips": the refusal path, deterministically
    with pytest.raises(HelmitError, match="flips .* not written"):
        quantize_onnx.main(["--onnx_in", str(cnn_onnx), "--onnx_out", str(out), "--max_flip_rate", "-1",
                            "--n_check", "6", "--n_calib", "4", "--overwrite"])
    assert out.read_bytes() == b"previous good model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cnn_int8.onnx"]  # no temp files left


def test_refuses_nan_output(cnn_onnx, tmp_path, monkeypatch):
    def nan_compare(fp32, int8, waves, meta):
        p = np.full(len(waves), 0.3)
        return p, np.full(len(waves), np.nan), np.ones(len(waves), bool)

    monkeypatch.setattr(quantize_onnx, "compare", nan_compare)
    out = tmp_path / "nan_int8.onnx"
    with pytest.raises(HelmitError, match="NaN"):
        quantize_onnx.main(["--onnx_in", str(cnn_onnx), "--onnx_out", str(out), "--n_check", "4", "--n_calib", "4"])
    assert not out.exists()


def test_writes_a_checked_int8_model_with_metadata(cnn_onnx, tmp_path, capsys):
    out = tmp_path / "ok_int8.onnx"
    quantize_onnx.main(["--onnx_in", str(cnn_onnx), "--onnx_out", str(out), "--max_flip_rate", "1",
                        "--n_check", "6", "--n_calib", "4"])
    printed = capsys.readouterr().out
    assert "same decision as FP32 on" in printed and "/6 clips" in printed
    meta = {p.key: p.value for p in onnx.load(out).metadata_props}
    assert meta["threshold"] == "0.5" and meta["quantization"].startswith("static QDQ int8")
    assert out.stat().st_size < cnn_onnx.stat().st_size


def test_rejects_a_foreign_onnx_file(tmp_path):
    x = onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1])
    y = onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1])
    graph = onnx.helper.make_graph([onnx.helper.make_node("Identity", ["x"], ["y"])], "g", [x], [y])
    onnx.save(onnx.helper.make_model(graph), tmp_path / "other.onnx")
    with pytest.raises(HelmitError, match="not a Helmit model"):
        quantize_onnx.main(["--onnx_in", str(tmp_path / "other.onnx")])


def test_a_failing_quantizer_leaves_no_temp_files(cnn_onnx, tmp_path, monkeypatch):
    def broken(src, dst, meta, calib_waves):
        raise RuntimeError("quantizer crashed")

    monkeypatch.setattr(quantize_onnx, "quantize_preprocessed", broken)
    with pytest.raises(RuntimeError, match="quantizer crashed"):
        quantize_onnx.main(["--onnx_in", str(cnn_onnx), "--onnx_out", str(tmp_path / "x_int8.onnx"),
                            "--n_check", "4", "--n_calib", "4"])
    assert list(tmp_path.iterdir()) == []
