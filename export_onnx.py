"""Export a Helmit checkpoint to ONNX: waveform [batch, samples] at 16 kHz in, logits out.

The log-mel front end is inside the graph, and the model's settings travel in its metadata, so
`infer.py` needs nothing but the .onnx file. The export is checked against PyTorch on real clips
before it replaces anything.
"""
import argparse
import copy
import logging
import math
import os
import time
import warnings
from pathlib import Path

from utils_io import HelpFormatter


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=HelpFormatter)
    p.add_argument("--ckpt", default="runs/lite_cnn.pt", help="checkpoint written by train.py")
    p.add_argument("--onnx", default=None, help="ONNX file to write (default: the checkpoint path with .onnx)")
    p.add_argument("--n_check", type=int, default=8, help="real clips used to compare ONNX Runtime with PyTorch")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --onnx file")
    args = p.parse_args(argv)
    if args.n_check < 1:
        p.error("--n_check must be at least 1")
    return args


if __name__ == "__main__":
    parse_args()  # --help and a mistyped flag answer now, not after the seconds torch takes to import below

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from model import check_checkpoint_settings, load_checkpoint, onnx_metadata  # noqa: E402
from scoring import set_metadata, store_sparse_constants  # noqa: E402
from utils_audio import crop_or_pad, load_audio  # noqa: E402
from utils_io import HelmitError, atomic_output, refuse_to_overwrite, run_cli  # noqa: E402

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


class FftMelPower(nn.Module):
    """torchaudio's MelSpectrogram (power 2, centred, reflect padding) as matrix products, for export.

    ONNX Runtime's STFT kernel took 4-5 ms of the CNN's 6-7 ms per 8-s clip on one thread. Here the
    n_fft-point DFT of each frame is one Cooley-Tukey step, n_fft = N1 x N2 (16 x 32): an N1-point
    DFT, twiddle factors, an N2-point DFT, each a small MatMul (~50k multiply-adds per frame where a
    plain DFT matrix needs 263k), then the mel filterbank. It matches torchaudio to ~1e-6
    (relative); export checks the logits against PyTorch on real clips.
    """

    def __init__(self, mel):
        super().__init__()
        n = mel.spectrogram.n_fft
        self.n_fft, self.hop = n, mel.spectrogram.hop_length
        self.n1 = max(d for d in range(1, math.isqrt(n) + 1) if n % d == 0)
        self.n2 = n // self.n1
        self.k2 = (n // 2) // self.n1 + 1  # bins k = k1 + N1 * k2 up to n/2 need k2 = 0 .. n/2 // N1

        def angles(rows, cols, period):  # float64, so the float32 tables are exact to the last bit
            return 2 * math.pi / period * torch.outer(torch.arange(rows, dtype=torch.float64),
                                                      torch.arange(cols, dtype=torch.float64))

        a1 = angles(self.n1, self.n1, self.n1)  # (k1, n1)
        self.register_buffer("dft1", torch.cat([torch.cos(a1), -torch.sin(a1)]).float())  # (2 N1, n1): re rows, im rows
        tw = angles(self.n1, self.n2, n)        # (k1, n2)
        self.register_buffer("twiddle_cos", torch.cos(tw).float())
        self.register_buffer("twiddle_sin", torch.sin(tw).float())
        a2 = angles(self.n2, self.k2, self.n2)  # (n2, k2)
        c, s = torch.cos(a2), torch.sin(a2)
        # [re | im] (2 N2) @ dft2 = [re | im] (2 K2): a complex product written as one real one
        self.register_buffer("dft2", torch.cat([torch.cat([c, -s], 1), torch.cat([s, c], 1)]).float())
        self.register_buffer("window", mel.spectrogram.window.reshape(self.n1, self.n2).clone())
        k = (torch.arange(self.n1)[:, None] + self.n1 * torch.arange(self.k2)).reshape(-1)  # bin of each (k1, k2)
        fb = mel.mel_scale.fb[k.clamp(max=n // 2)]
        self.register_buffer("fb", torch.where((k <= n // 2)[:, None], fb, 0.0))  # (N1 K2, n_mels)

    @staticmethod
    def fits(mel):
        """True for the MelSpectrogram settings this class reproduces (all that Helmit uses)."""
        spec = getattr(mel, "spectrogram", None)
        return (spec is not None and spec.power == 2.0 and spec.center and spec.pad_mode == "reflect"
                and spec.onesided and not spec.normalized and spec.pad == 0 and spec.win_length == spec.n_fft
                and spec.window.numel() == spec.n_fft)

    def frames(self, wave):
        """(B, S) -> centred, reflect-padded frames (B, T, n_fft), T = 1 + S // hop, as torch.stft cuts them."""
        x = nn.functional.pad(wave, (self.n_fft // 2, self.n_fft // 2), mode="reflect")
        if self.n_fft % self.hop:
            return x.unfold(1, self.n_fft, self.hop)
        # hop-sized blocks side by side: unfold becomes a Gather that took 4.8 ms in ONNX Runtime
        r, n_blocks = self.n_fft // self.hop, x.shape[1] // self.hop
        blocks = x[:, : n_blocks * self.hop].reshape(x.shape[0], n_blocks, self.hop)  # (B, T + r - 1, hop)
        return torch.cat([blocks[:, i: n_blocks - r + 1 + i] for i in range(r)], dim=2)

    def forward(self, wave):                                           # (B, S) -> (B, n_mels, T)
        frames = self.frames(wave)                                     # (B, T, n_fft)
        b, t = frames.shape[0], frames.shape[1]
        x = frames.reshape(b, t, self.n1, self.n2) * self.window       # (B, T, n1, n2): sample n1 * N2 + n2
        a = self.dft1 @ x                                              # (B, T, 2 N1, n2): DFT over n1
        re, im = a[:, :, : self.n1], a[:, :, self.n1:]                 # (B, T, k1, n2)
        re, im = re * self.twiddle_cos + im * self.twiddle_sin, im * self.twiddle_cos - re * self.twiddle_sin
        y = torch.cat([re, im], dim=3) @ self.dft2                     # (B, T, k1, 2 K2): DFT over n2
        re, im = y[..., : self.k2], y[..., self.k2:]
        power = re * re + im * im                                      # (B, T, k1, k2); Pow is slower in ORT
        return (power.reshape(b, t, -1) @ self.fb).transpose(1, 2)     # (B, T, n_mels) -> (B, n_mels, T)


def exportable(model):
    """The module that is exported: a copy of `model` whose log-mel front end (if any) computes
    its spectrum with FftMelPower; the model itself is left as it is."""
    frontend = getattr(model, "frontend", None)
    if frontend is None or not FftMelPower.fits(getattr(frontend, "mel", None)):
        return model
    model = copy.deepcopy(model)
    model.frontend.mel = FftMelPower(model.frontend.mel)
    return model


def export(model, dummy, path):
    batch, samples = torch.export.Dim("batch"), torch.export.Dim("samples", min=1024)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.getLogger("torch.onnx").setLevel(logging.ERROR)
        torch.onnx.export(exportable(model), (dummy,), path, dynamo=True, input_names=["waveform"],
                          output_names=["logits"], dynamic_shapes={"wave": {0: batch, 1: samples}}, verbose=False)


def compact(proto):
    """Leave out of the file what inference does not need, and store the mel filterbank sparse."""
    for node in proto.graph.node:  # the exporter's per-node stack traces: local paths, ~23% of a CNN file
        node.doc_string = ""
        del node.metadata_props[:]
    del proto.graph.value_info[:]  # shape annotations: ONNX Runtime infers them anyway (2% of a CNN file)
    store_sparse_constants(proto)
    return proto


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
    args = parse_args(argv)
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
        compact(proto)
        set_metadata(proto, onnx_metadata(ckpt))
        onnx.checker.check_model(proto, full_check=True)
        onnx.save(proto, tmp)
        paths, waves = sample_clips(ckpt, args.n_check, seconds)
        if not waves:
            root = ckpt.get("train_args", {}).get("data_root", "data")
            print(f"warning: none of the checkpoint's clips are under {root} (train.py's --data_root, relative to the "
                  "folder it ran in); checking on random noise instead: run from that folder to check on real clips")
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
