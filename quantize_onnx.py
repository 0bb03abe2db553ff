"""INT8 quantization of a Helmit ONNX model, checked against the FP32 model before it is written.

LiteAudioCNN: static INT8 of the convolution blocks and the head (QLinearConv, QGemm), per-channel
weights, activation ranges calibrated on real clips (99.999th percentiles: on the demo model they
flipped 3% of decisions where min-max ranges flipped 10%, because one outlier no longer
stretches an activation's 256 levels). The log-mel front end stays in float: quantizing it gave
NaN outputs, and int8's steps of 1/127 (-42 dB) fall inside the 60 dB range the features keep.
Its mel filterbank, 0.4% non-zero, is stored sparse. (Dynamic quantization would turn Conv into
ConvInteger, which ONNX Runtime's CPU provider cannot run with int8 weights.)
Wav2Vec2: dynamic INT8 of the transformer's MatMul layers (~90% of the weights); the feature
projection and the convolutions stay in float, their weights stored as float16.
"""
import argparse
import contextlib
import io
import json
import logging
import os
import shutil
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from scoring import clip_prob, load_onnx, onnx_window_probs, read_metadata, set_metadata, store_dense_constants, store_sparse_constants
from utils_audio import load_audio, windows
from utils_io import (HelmitError, HelpFormatter, atomic_output, read_labels_csv, refuse_to_overwrite, run_cli,
                      temp_beside)

MAX_FLIP_RATE = 0.02  # refuse an INT8 model that changes more than 2% of FP32 decisions


def sample_paths(meta, labels_csv, data_root, n, seed=0):
    """n clips to calibrate and check on: from labels.csv, validation clips first."""
    root = Path(data_root or meta.get("data_root") or "data")
    # the labels file the model was trained on, unless the user points elsewhere
    labels = Path(labels_csv or (root / "labels.csv" if data_root else meta.get("labels_csv") or root / "labels.csv"))
    if not labels.is_file() and not labels_csv and not data_root:
        raise HelmitError(f"{labels}: not found; it is where the model's training clips were listed (paths as "
                          "train.py was given them, relative to the folder it ran in): run from that folder, or pass "
                          "--data_root and --labels_csv")
    rows = read_labels_csv(labels, root)
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

    Symbolic shape inference is skipped: it cannot follow the front end's dynamic shapes. Sparse
    constants (the mel filterbank) are expanded first: the quantizer cannot follow them.
    """
    import onnx
    from onnxruntime.quantization.shape_inference import quant_pre_process

    proto = onnx.load(src)
    dense = dst + ".dense.onnx"
    try:
        if store_dense_constants(proto):
            onnx.save(proto, dense)
            src = dense
        quant_pre_process(src, dst, skip_symbolic_shape=True)
    finally:
        if os.path.exists(dense):
            os.remove(dense)
    return dst


def quantize(src, dst, meta, calib_waves, output=None):
    """Quantize `src` into `dst`. `output`: the file `dst` becomes (dst may be its temp name; default dst).

    The intermediate models (hundreds of MB for Wav2Vec2) go in a temp folder of `output`, beside it (the
    same disk as the result): removed here, and by the next run that writes `output` if the process was
    killed outright (out of memory), which no `finally` survives.
    """
    work = temp_beside(Path(output or dst), directory=True)
    root, level = logging.getLogger(), logging.getLogger().level
    root.setLevel(logging.ERROR)  # the quantizer logs its pre-processing advice at WARNING
    try:
        return quantize_preprocessed(preprocess(src, str(work / "pre.onnx")), dst, meta, calib_waves)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        root.setLevel(level)


def quantize_preprocessed(src, dst, meta, calib_waves):
    import onnx

    if meta["arch"] == "LiteAudioCNN":
        window = int(float(meta["window_seconds"]) * int(meta["sample_rate"]))
        method = quantize_cnn(src, dst, calib_waves, window)
        proto = onnx.load(dst)
        store_sparse_constants(proto)
    else:
        method = quantize_wav2vec2(src, dst)
        proto = onnx.load(dst)
        store_float16(proto, "Conv")
    del proto.graph.value_info[:]  # shape annotations ONNX Runtime infers anyway: 5% of the CNN file
    onnx.save(proto, dst)
    return method


def single_channel_convs(proto):
    """Names of the Conv nodes that read a single input channel (the CNN's stem)."""
    weights = {i.name: i for i in proto.graph.initializer}
    group = {n.name: next((a.i for a in n.attribute if a.name == "group"), 1) for n in proto.graph.node}
    return [n.name for n in proto.graph.node if n.op_type == "Conv" and n.input[1] in weights
            and weights[n.input[1]].dims[1] == 1 and group[n.name] == 1]


def quantize_cnn(src, dst, calib_waves, window):
    """Static INT8 of the CNN's blocks and head, calibrated on the windows of real clips.

    QOperator format (QLinearConv, QGemm) rather than QDQ: ONNX Runtime runs the same int8 kernels
    either way, but QDQ keeps a DequantizeLinear node, a bias scale and a zero point per layer in
    the file, 10% of this small model. Relu is quantized too, so it folds into the convolution
    instead of a dequantize-Relu-quantize round trip per layer. The stem conv stays in float: with
    one input channel QLinearConv has no fast path (0.44 ms against 0.10 ms in float).
    """
    import onnx
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    stem = single_channel_convs(onnx.load(src))
    with contextlib.redirect_stdout(io.StringIO()):  # the calibrator prints its histogram settings
        quantize_static(src, dst, WindowReader(calib_waves, window), quant_format=QuantFormat.QOperator,
                        op_types_to_quantize=["Conv", "Relu", "Gemm"], nodes_to_exclude=stem, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        calibrate_method=CalibrationMethod.Percentile)
    n_windows = sum(len(windows(w, window, window)[0]) for w in calib_waves)
    return (f"static int8 (QLinearConv, QGemm; per-channel weights; percentile calibration on {n_windows} windows "
            f"of {len(calib_waves)} clips); stem conv and log-mel front end in float, mel filterbank stored sparse")


def feature_projection(proto):
    """Name of the first MatMul with a weight: Wav2Vec2's feature projection, where the conv
    features enter the transformer (the node list is in topological order)."""
    weights = {i.name for i in proto.graph.initializer}
    first = next((n.name for n in proto.graph.node if n.op_type == "MatMul" and any(i in weights for i in n.input)), None)
    return [first] if first else []


def quantize_wav2vec2(src, dst):
    """Dynamic INT8 of the transformer's MatMuls; the convolutions and the feature projection in float.

    Dynamic quantization picks each activation's range per input, which suits the transformer's
    outliers; the attention's activation-by-activation products (MatMulConstBOnly off) are
    quantized too, 2% faster at the same error. On the first 8 s of 48 built-in corpus clips
    (wav2vec2-base, random weights), the INT8 - FP32 P(harmful) difference had a standard deviation
    of 0.0097 with every MatMul in int8 and 0.0016 with the feature projection (1% of the compute)
    left in float; also quantizing the positional convolution (ConvInteger, 2% of the time) made it
    0.0023. Int8 in any one of the feature encoder's conv layers 1-6 dropped the correlation of
    INT8 and FP32 scores from 0.99 to about 0.4 (24 clips), so the encoder, a third of the FP32
    time, stays float.
    """
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(src, dst, op_types_to_quantize=["MatMul"], weight_type=QuantType.QInt8,
                     nodes_to_exclude=feature_projection(onnx.load(src, load_external_data=False)),
                     extra_options={"MatMulConstBOnly": False})
    return "dynamic int8 (MatMul) of the transformer; feature projection and convolutions in float (weights stored float16)"


def store_float16(proto, op_type):
    """Store the float weights of `op_type` nodes as float16, each behind a Cast back to float.

    ONNX Runtime folds the Cast when it loads the model, so inference still runs in float32, on
    weights rounded to 11 significant bits (relative error under 5e-4, far below int8's 1/127).
    """
    from onnx import TensorProto, helper, numpy_helper

    used_by = {name for n in proto.graph.node if n.op_type == op_type for name in n.input}
    casts, kept = [], []
    for init in proto.graph.initializer:
        weight = numpy_helper.to_array(init) if init.name in used_by and init.data_type == TensorProto.FLOAT else None
        if weight is None or not np.all(np.abs(weight) < 65504):  # float16's largest finite value
            kept.append(init)
            continue
        kept.append(numpy_helper.from_array(weight.astype(np.float16), init.name + "_fp16"))
        casts.append(helper.make_node("Cast", [init.name + "_fp16"], [init.name], name=init.name + "_cast",
                                      to=TensorProto.FLOAT))
    del proto.graph.initializer[:]
    proto.graph.initializer.extend(kept)
    nodes = casts + list(proto.graph.node)  # casts first: the node list must stay topologically sorted
    del proto.graph.node[:]
    proto.graph.node.extend(nodes)


def compare(fp32_path, int8_path, waves, meta):
    """Decisions of both models on each clip (window max vs the model's threshold)."""
    window = int(float(meta["window_seconds"]) * int(meta["sample_rate"]))
    threshold = float(meta["threshold"])
    s32, _ = load_onnx(fp32_path)
    s8, _ = load_onnx(int8_path)
    p32, p8 = [], []
    for w in tqdm(waves, desc="comparing FP32 and INT8", unit="clip", leave=False):
        p32.append(clip_prob(onnx_window_probs(s32, w, window, window // 2)[1]))
        try:
            p8.append(clip_prob(onnx_window_probs(s8, w, window, window // 2)[1]))
        except HelmitError:  # NaN or inf logits: counted, and reported with the file's name by the caller
            p8.append(np.nan)
    p32, p8 = np.array(p32), np.array(p8)
    return p32, p8, (p32 >= threshold) == (p8 >= threshold)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=HelpFormatter)
    p.add_argument("--onnx_in", default="runs/lite_cnn.onnx", help="FP32 model from export_onnx.py")
    p.add_argument("--onnx_out", default=None, help="INT8 model to write (default: <onnx_in>_int8.onnx)")
    p.add_argument("--data_root", default=None, help="data folder (default: the one the model was trained on)")
    p.add_argument("--labels_csv", default=None, help="clips to calibrate and check on (default: the labels file the model was trained on; "
                        "with --data_root, <data_root>/labels.csv)")
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
    n_calib = args.n_calib if meta["arch"] == "LiteAudioCNN" else 0  # Wav2Vec2's dynamic ranges need none
    paths = sample_paths(meta, args.labels_csv, args.data_root, max(n_calib, args.n_check))
    waves = [load_audio(p, sr) for p in tqdm(paths, desc="loading clips", unit="clip", leave=False)]
    import onnx  # here, not at the top: --help and a mistyped flag need not wait ~1 s for it

    t0 = time.time()
    with atomic_output(dst, mode=None) as tmp:
        method = quantize(str(src), tmp, meta, waves[:n_calib], output=dst)
        proto = onnx.load(tmp)
        set_metadata(proto, {**meta, "quantization": method})
        onnx.save(proto, tmp)
        p32, p8, agree = compare(str(src), tmp, waves[: args.n_check], meta)
        if not np.all(np.isfinite(p8)):
            raise HelmitError(f"{dst}: INT8 model outputs NaN/inf on {int(np.sum(~np.isfinite(p8)))} clips; not written")
        if 1 - agree.mean() > args.max_flip_rate:
            raise HelmitError(f"{dst}: INT8 flips {1 - agree.mean():.1%} of decisions (> {args.max_flip_rate:.0%}) "
                              f"on {len(agree)} clips; not written. On few clips one borderline clip is a large share: "
                              f"check more clips, or accept it with --max_flip_rate {1 - agree.mean() + 0.005:.3f}")
    size32, size8 = src.stat().st_size, dst.stat().st_size
    print(f"wrote {dst} in {time.time() - t0:.1f}s ({method})\n"
          f"  size: FP32 {size32 / 2**20:.2f} MB -> INT8 {size8 / 2**20:.2f} MB ({size8 / size32:.0%})\n"
          f"  same decision as FP32 on {int(agree.sum())}/{len(agree)} clips ({agree.mean():.1%}); "
          f"max |P(harmful) difference| {np.abs(p32 - p8).max():.3f}")
    return 0


if __name__ == "__main__":
    run_cli(main)
