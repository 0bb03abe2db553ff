"""End to end: every stage as a subprocess, as the README runs them, on a corpus made here.

The models are tiny and barely trained, so this checks that each stage reads what the previous
one wrote and that each artifact says what it should, not how accurate the models are.
"""
import csv
import json
import re

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from conftest import clip_probs, reported_agreement, run_script


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    data = tmp_path_factory.mktemp("pipeline") / "data"
    run_script("synth_dataset.py", "--out_dir", data, "--n_harmful", 14, "--n_safe", 10, "--seed", 3)
    run_script("prep_dataset.py", "--data_root", data)
    return data


def test_cnn_pipeline(corpus, tmp_path):
    data, runs = corpus, tmp_path
    labels = read_csv(data / "labels.csv")
    assert len(labels) == 24 and sum(r["label"] == "1" for r in labels) == 14
    assert all(r["path"].split("/")[0] == ("harmful" if r["label"] == "1" else "safe") for r in labels)

    ckpt_path = runs / "cnn.pt"
    out = run_script("train.py", "--data_root", data, "--epochs", 2, "--batch_size", 8, "--width_mult", 0.5,
                     "--cache_dir", runs / "cache", "--ckpt", ckpt_path).stdout  # not the repo's runs/cache
    assert "best epoch" in out
    ckpt = torch.load(ckpt_path, weights_only=True)
    assert ckpt["arch"] == "LiteAudioCNN" and len(ckpt["history"]) == 2
    n_split = len(ckpt["train_clips"]) + len(ckpt["val_clips"]) + len(ckpt["test_clips"])
    assert n_split == 24 and ckpt["test_clips"]  # holdout clips of the built-in corpus form the test split
    from utils_io import clip_digest  # and the clips it learned from are known by content too

    assert ckpt["train_digests"] == [clip_digest(data / p) for p in ckpt["train_clips"]]
    assert ckpt["val_digests"] == [clip_digest(data / p) for p in ckpt["val_clips"]]

    onnx_path = runs / "cnn.onnx"
    out = run_script("export_onnx.py", "--ckpt", ckpt_path, "--onnx", onnx_path, "--n_check", 5).stdout
    # the ONNX Runtime vs PyTorch check (export_onnx.py refuses a difference above 1e-4) ran on the checkpoint's
    # own clips, as many as --n_check asked for, not on its random-noise fallback
    assert "random noise" not in out, out
    n_real = int(re.search(r"PyTorch\| logits on \d+ clips \((\d+) real\): ", out).group(1))
    assert n_real == min(5, len(ckpt["train_clips"]) + len(ckpt["val_clips"])) >= 1, out
    proto = onnx.load(onnx_path)
    meta = {p.key: p.value for p in proto.metadata_props}
    assert float(meta["threshold"]) == pytest.approx(ckpt["threshold"])
    assert json.loads(meta["class_names"]) == ["safe", "harmful"] and meta["arch"] == "LiteAudioCNN"
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_param != "" for d in dims] == [True, True]  # dynamic batch and time

    int8_path = runs / "cnn_int8.onnx"
    # any share of flipped decisions is allowed here (the refusal is tested in test_quantize_onnx.py); what the
    # run reports must be what the two models decide on the clips it checked (all 24: --n_check's default is 100)
    out = run_script("quantize_onnx.py", "--onnx_in", onnx_path, "--onnx_out", int8_path, "--max_flip_rate", 1).stdout
    agree, checked, _ = reported_agreement(out)
    paths = [data / r["path"] for r in labels]
    threshold = float(meta["threshold"])
    same = (clip_probs(onnx_path, paths, meta) >= threshold) == (clip_probs(int8_path, paths, meta) >= threshold)
    assert (agree, checked) == (int(same.sum()), len(labels))
    assert int8_path.stat().st_size < onnx_path.stat().st_size
    int8_proto = onnx.load(int8_path)
    conv_weights = [i for i in int8_proto.graph.initializer if i.name.endswith(".weight_quantized")]
    assert len(conv_weights) >= 9 and all(i.data_type == onnx.TensorProto.INT8 for i in conv_weights)
    int8_ops = {n.op_type for n in int8_proto.graph.node}
    assert "QuantizeLinear" in int8_ops and "ConvInteger" not in int8_ops
    for model in (onnx_path, int8_path):  # digital silence must give finite logits in both
        sess = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
        assert np.isfinite(sess.run(None, {"waveform": np.zeros((2, 40000), np.float32)})[0]).all()

    clip = data / labels[0]["path"]
    result = json.loads(run_script("infer.py", "--audio_path", clip, "--onnx", onnx_path, "--json").stdout)
    assert (result["label"] == "harmful") == (result["prob_harmful"] >= float(meta["threshold"]))
    assert result["threshold"] == pytest.approx(float(meta["threshold"]), abs=1e-4)
    # the threshold really drives the decision
    low = json.loads(run_script("infer.py", "--audio_path", clip, "--onnx", int8_path, "--json", "--threshold", 0).stdout)
    high = json.loads(run_script("infer.py", "--audio_path", clip, "--onnx", int8_path, "--json", "--threshold", 1).stdout)
    assert low["label"] == "harmful" and high["label"] == "safe" and high["harmful_ranges"] == []
    assert low["harmful_ranges"][0][0] == 0.0 and low["harmful_ranges"][-1][1] == pytest.approx(result["duration_s"], abs=0.01)
    text = run_script("infer.py", "--audio_path", clip, "--onnx", onnx_path).stdout
    assert text.startswith(str(clip)) and ("HARMFUL" in text or "SAFE" in text)

    preds_path = data / "cnn_predictions.csv"
    run_script("infer_dataset.py", "--onnx", onnx_path, "--data_root", data, "--output_csv", preds_path)
    preds = read_csv(preds_path)
    assert [p["path"] for p in preds] == [r["path"] for r in labels]
    split_of = {**{p: "train" for p in ckpt["train_clips"]}, **{p: "val" for p in ckpt["val_clips"]},
                **{p: "test" for p in ckpt["test_clips"]}}
    assert all(p["split"] == split_of[p["path"]] for p in preds)
    for p in preds:
        assert int(p["pred"]) == int(float(p["prob_harmful"]) >= float(meta["threshold"]))
    by_path = {p["path"]: p for p in preds}
    assert float(by_path[labels[0]["path"]]["prob_harmful"]) == pytest.approx(result["prob_harmful"], abs=1e-3)

    metrics_path = data / "model_metrics.txt"
    out = run_script("compute_metrics.py", preds_path, "--output", metrics_path).stdout
    report = metrics_path.read_text()
    assert "balanced accuracy" in report and "ROC-AUC" in report and "confusion matrix" in report
    n_train = len(ckpt["train_clips"])
    assert f"{n_train} of 24 scored clips were training clips" in report
    # the headline is the test split (never seen); validation clips follow as their own section
    assert f"clips scored        {len(ckpt['test_clips'])}   (test {len(ckpt['test_clips'])})" in report
    assert f"clips scored        {len(ckpt['val_clips'])}   (val {len(ckpt['val_clips'])})" in report


def test_wav2vec2_pipeline(corpus, tmp_path, tiny_w2v_dir):
    ckpt_path, onnx_path = tmp_path / "w2v.pt", tmp_path / "w2v.onnx"
    cache = tmp_path / "cache"
    train_w2v = ("train.py", "--data_root", corpus, "--epochs", 1, "--batch_size", 8, "--use_wav2vec2",
                 "--w2v_model", tiny_w2v_dir, "--w2v_pooling", "layers", "--cache_dir", cache, "--ckpt", ckpt_path,
                 "--overwrite")
    assert "24 clip(s) computed, 0 from cache" in run_script(*train_w2v).stdout
    assert "0 clip(s) computed, 24 from cache" in run_script(*train_w2v).stdout  # a second run reuses them
    ckpt = torch.load(ckpt_path, weights_only=True)
    assert ckpt["arch"] == "Wav2Vec2Classifier" and ckpt["model_args"]["backbone_config"]["num_hidden_layers"] == 2
    assert ckpt["model_args"]["pooling"] == "layers" and "layer_weights" in ckpt["state_dict"]
    out = run_script("export_onnx.py", "--ckpt", ckpt_path, "--onnx", onnx_path).stdout
    assert "onnx.checker: ok" in out
    int8_path = tmp_path / "w2v_int8.onnx"
    out = run_script("quantize_onnx.py", "--onnx_in", onnx_path, "--onnx_out", int8_path,
                     "--max_flip_rate", 1).stdout
    assert "dynamic int8 (MatMul)" in out
    ops = {n.op_type for n in onnx.load(int8_path).graph.node}
    assert "MatMulInteger" in ops or "DynamicQuantizeMatMul" in ops
    clip = corpus / read_csv(corpus / "labels.csv")[-1]["path"]
    for model in (onnx_path, int8_path):
        result = json.loads(run_script("infer.py", "--audio_path", clip, "--onnx", model, "--json").stdout)
        assert result["label"] in ("safe", "harmful") and 0 <= result["prob_harmful"] <= 1
