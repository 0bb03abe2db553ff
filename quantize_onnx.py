"""INT8 quantization of a Helmit ONNX model, checked against the FP32 model before it is written.

LiteAudioCNN: static QDQ quantization of the Conv and Gemm layers, calibrated on real clips
(99.999th-percentile ranges: on the demo model they flipped 3% of decisions where min-max ranges
flipped 10%, because one outlier no longer stretches an activation's 256 levels). The
STFT and mel filterbank stay in float: quantizing the front end gave NaN outputs, and dynamic
quantization turns Conv into ConvInteger, which ONNX Runtime's CPU provider cannot run with int8
weights. Wav2Vec2: dynamic quantization of the MatMul layers only (the transformer, ~95% of the
weights); the convolutional feature encoder stays in float, as is usual for wav2vec2.
"""
import argparse
import contextlib
import io
import json
import logging
import os
import time
from pathlib import Path

import numpy as np
import onnx
from tqdm import tqdm

from model import clip_prob, load_onnx, onnx_window_probs, read_metadata, set_metadata
from utils_audio import load_audio, windows
from utils_io import HelmitError, atomic_output, read_labels_csv, refuse_to_overwrite, run_cli

MAX_FLIP_RATE = 0.02  # refuse an INT8 model that changes more than 2% of FP32 decisions


def sample_paths(meta, labels_csv, data_root, n, seed=0):
    """n clips to calibrate and check on: from labels.csv, validation clips first."""
    root = Path(data_root or meta.get("data_root") or "data")
    rows = read_labels_csv(labels_csv or root / "labels.csv", root)
    val = set(json.loads(meta.get("val_clips", "[]")))
    order = np.random.default_rng(seed).permutation(len(rows))
    ranked = sorted(order, key=lambda i: rows[i]["path"] not in val)
    return [rows[i]["abspath"] for i in ranked[:n]]


class WindowReader:
    """onnxruntime CalibrationDataReader over the windows of some clips, one batch each."""

    def __init__(self, waves, window, batch_size=1):  # the percentile calibrator needs equal batches
        flat = np.concatenate([windows(w, window, window)[1] for w in waves])
        self.batches = iter([{"waveform": flat[i:i + batch_size]} for i in range(0, len(flat), batch_size)])

    def get_next(self):
        return next(self.batches, None)


def preprocess(src, dst):
    """ONNX Runtime's recommended pre-pass (shape inference, graph optimisation) before quantizing.

    Symbolic shape inference is skipped: it cannot follow the STFT's dynamic shapes.
    """
    from onnxruntime.quantization.shape_inference import quant_pre_process

    quant_pre_process(src, dst, skip_symbolic_shape=True)
    return dst


def quantize(src, dst, meta, calib_waves):
    root, level = logging.getLogger(), logging.getLogger().level
    root.setLevel(logging.ERROR)  # the quantizer logs its pre-processing advice at WARNING
    pre = dst + ".pre.onnx"
    try:
        return quantize_preprocessed(preprocess(src, pre), dst, meta, calib_waves)
    finally:
        if os.path.exists(pre):  # next to the destination: never left behind, even on failure
            os.remove(pre)
        root.setLevel(level)


def quantize_preprocessed(src, dst, meta, calib_waves):
    from onnxruntime.quantization import (CalibrationMethod, QuantFormat, QuantType, quantize_dynamic,
                                          quantize_static)

    if meta["arch"] == "LiteAudioCNN":
        window = int(float(meta["window_seconds"]) * int(meta["sample_rate"]))
        with contextlib.redirect_stdout(io.StringIO()):  # the calibrator prints its histogram settings
            quantize_static(src, dst, WindowReader(calib_waves, window), quant_format=QuantFormat.QDQ,
                            op_types_to_quantize=["Conv", "Gemm"], per_channel=True,
                            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                            calibrate_method=CalibrationMethod.Percentile)
        return "static QDQ int8 (Conv, Gemm; percentile calibration), front end in float"
    quantize_dynamic(src, dst, op_types_to_quantize=["MatMul"], weight_type=QuantType.QInt8, per_channel=False)
    return "dynamic int8 (MatMul), conv feature encoder in float"


def compare(fp32_path, int8_path, waves, meta):
    """Decisions of both models on each clip (window max vs the model's threshold)."""
    window = int(float(meta["window_seconds"]) * int(meta["sample_rate"]))
    threshold = float(meta["threshold"])
    s32, _ = load_onnx(fp32_path)
    s8, _ = load_onnx(int8_path)
    p32, p8 = [], []
    for w in tqdm(waves, desc="comparing FP32 and INT8", unit="clip", leave=False):
        p32.append(clip_prob(onnx_window_probs(s32, w, window, window // 2)[1]))
        p8.append(clip_prob(onnx_window_probs(s8, w, window, window // 2)[1]))
    p32, p8 = np.array(p32), np.array(p8)
    return p32, p8, (p32 >= threshold) == (p8 >= threshold)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--onnx_in", default="runs/lite_cnn.onnx", help="FP32 model from export_onnx.py")
    p.add_argument("--onnx_out", default=None, help="INT8 model to write (default: <onnx_in>_int8.onnx)")
    p.add_argument("--data_root", default=None, help="data folder (default: the one the model was trained on)")
    p.add_argument("--labels_csv", default=None, help="clips to calibrate and check on (default: <data_root>/labels.csv)")
    p.add_argument("--n_calib", type=int, default=32, help="clips used to calibrate activation ranges (CNN)")
    p.add_argument("--n_check", type=int, default=100, help="clips on which INT8 and FP32 decisions are compared")
    p.add_argument("--max_flip_rate", type=float, default=MAX_FLIP_RATE,
                   help="refuse to write when INT8 changes more than this share of FP32 decisions")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --onnx_out file")
    args = p.parse_args(argv)
    if min(args.n_calib, args.n_check) < 1:
        p.error("--n_calib and --n_check must be at least 1")
    src = Path(args.onnx_in)
    dst = Path(args.onnx_out or src.with_name(src.stem + "_int8.onnx"))
    refuse_to_overwrite(dst, args.overwrite, inputs=[src])
    meta = read_metadata(src)
    if "quantization" in meta:
        raise HelmitError(f"{src}: already quantized ({meta['quantization']}); quantize the FP32 model "
                          "that export_onnx.py wrote")
    sr = int(meta["sample_rate"])
    paths = sample_paths(meta, args.labels_csv, args.data_root, max(args.n_calib, args.n_check))
    waves = [load_audio(p, sr) for p in tqdm(paths, desc="loading clips", unit="clip", leave=False)]
    t0 = time.time()
    with atomic_output(dst, mode=None) as tmp:
        method = quantize(str(src), tmp, meta, waves[: args.n_calib])
        proto = onnx.load(tmp)
        set_metadata(proto, {**meta, "quantization": method})
        onnx.save(proto, tmp)
        p32, p8, agree = compare(str(src), tmp, waves[: args.n_check], meta)
        if not np.all(np.isfinite(p8)):
            raise HelmitError(f"{dst}: INT8 model outputs NaN/inf on {int(np.sum(~np.isfinite(p8)))} clips; not written")
        if 1 - agree.mean() > args.max_flip_rate:
            raise HelmitError(f"{dst}: INT8 flips {1 - agree.mean():.1%} of decisions (> {args.max_flip_rate:.0%}) "
                              f"on {len(agree)} clips; not written")
    size32, size8 = src.stat().st_size, dst.stat().st_size
    print(f"wrote {dst} in {time.time() - t0:.1f}s ({method})\n"
          f"  size: FP32 {size32 / 2**20:.2f} MB -> INT8 {size8 / 2**20:.2f} MB ({size8 / size32:.0%})\n"
          f"  same decision as FP32 on {int(agree.sum())}/{len(agree)} clips ({agree.mean():.1%}); "
          f"max |P(harmful) difference| {np.abs(p32 - p8).max():.3f}")
    return 0


if __name__ == "__main__":
    run_cli(main)
