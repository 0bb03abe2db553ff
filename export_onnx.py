"""Export a Helmit checkpoint to ONNX: waveform [batch, samples] at 16 kHz in, logits out.

The log-mel front end is inside the graph, and the model's settings travel in its metadata, so
`infer.py` needs nothing but the .onnx file. The export is checked against PyTorch on real clips
before it replaces anything.
"""
import argparse
import logging
import os
import time
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch

from model import check_checkpoint_settings, load_checkpoint, onnx_metadata, set_metadata
from utils_audio import crop_or_pad, load_audio
from utils_io import HelmitError, atomic_output, refuse_to_overwrite, run_cli

MAX_ABS_DIFF = 1e-4  # ONNX Runtime vs PyTorch logits; float32 kernels differ by ~1e-6


def sample_clips(ckpt, n, seconds):
    """Up to n validation clips the checkpoint names (real speech beats random noise as a check)."""
    args = ckpt.get("train_args", {})
    root = Path(args.get("data_root", "data"))
    paths = [root / p for p in ckpt.get("val_clips", []) + ckpt.get("train_clips", [])]
    paths = [p for p in paths if p.is_file()][:n]
    sr = ckpt["audio"]["sample_rate"]
    waves = [crop_or_pad(load_audio(p, sr), int(sr * seconds), "start") for p in paths]
    return paths, waves


def export(model, dummy, path):
    batch, samples = torch.export.Dim("batch"), torch.export.Dim("samples", min=1024)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.getLogger("torch.onnx").setLevel(logging.ERROR)
        torch.onnx.export(model, (dummy,), path, dynamo=True, input_names=["waveform"], output_names=["logits"],
                          dynamic_shapes={"wave": {0: batch, 1: samples}}, verbose=False)


def max_diff_vs_torch(model, onnx_path, waves):
    import onnxruntime as ort

    sess = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    worst = 0.0
    for wave in waves:
        x = wave[None].astype(np.float32)
        with torch.no_grad():
            ref = model(torch.from_numpy(x)).numpy()
        worst = max(worst, float(np.abs(sess.run(["logits"], {"waveform": x})[0] - ref).max()))
    return worst


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--ckpt", default="runs/lite_cnn.pt", help="checkpoint written by train.py")
    p.add_argument("--onnx", default=None, help="ONNX file to write (default: the checkpoint path with .onnx)")
    p.add_argument("--n_check", type=int, default=8, help="real clips used to compare ONNX Runtime with PyTorch")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --onnx file")
    args = p.parse_args(argv)
    if args.n_check < 1:
        p.error("--n_check must be at least 1")
    out = Path(args.onnx or Path(args.ckpt).with_suffix(".onnx"))
    refuse_to_overwrite(out, args.overwrite, inputs=[args.ckpt])
    model, ckpt = load_checkpoint(args.ckpt)
    check_checkpoint_settings(ckpt, args.ckpt)
    seconds = ckpt["audio"]["clip_seconds"]
    sr = ckpt["audio"]["sample_rate"]
    t0 = time.time()
    print(f"exporting {ckpt['arch']} from {args.ckpt} ...")
    with atomic_output(out, mode=None) as tmp:
        export(model, torch.randn(2, int(sr * seconds)), tmp)
        proto = onnx.load(tmp)  # pulls in the weights the exporter may have put in <tmp>.data
        if os.path.exists(tmp + ".data"):
            os.remove(tmp + ".data")  # saved inline below: one self-contained file
        for node in proto.graph.node:  # the exporter's per-node stack traces: local paths, ~23% of a CNN file
            node.doc_string = ""
            del node.metadata_props[:]
        set_metadata(proto, onnx_metadata(ckpt))
        onnx.checker.check_model(proto, full_check=True)
        onnx.save(proto, tmp)
        paths, waves = sample_clips(ckpt, args.n_check, seconds)
        if not waves:
            print("warning: none of the checkpoint's clips are on disk; checking on random noise instead")
            waves = list(np.random.default_rng(0).standard_normal((args.n_check, int(sr * seconds))).astype(np.float32) * 0.1)
        # an odd-length clip (the graph must take any length) and digital silence (must stay finite)
        waves += [waves[0][: int(sr * seconds * 0.55) + 37], np.zeros(int(sr * seconds), np.float32)]
        diff = max_diff_vs_torch(model, tmp, waves)
        if not diff <= MAX_ABS_DIFF:
            raise HelmitError(f"{out}: ONNX Runtime differs from PyTorch by {diff:.2e} (> {MAX_ABS_DIFF:g}); not written")
    size_mb = out.stat().st_size / 2**20
    print(f"wrote {out} ({size_mb:.2f} MB) in {time.time() - t0:.1f}s\n"
          f"  onnx.checker: ok\n"
          f"  max |ONNX Runtime - PyTorch| logits on {len(waves)} clips ({len(paths)} real): {diff:.2e}\n"
          f"  threshold {float(ckpt['threshold']):.3f}, classes {ckpt['class_names']}, window {seconds:g}s @ {sr} Hz")
    return 0


if __name__ == "__main__":
    run_cli(main)
