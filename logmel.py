"""The log-mel front end, in torch: the first layer of `LiteAudioCNN`, so the exported ONNX graph
computes exactly the features the model was trained on. Audio comes in through `utils_audio`.
"""
import functools
import math
from pathlib import Path

import numpy as np
import torch
import torchaudio
from torch import nn

from config import CFG
from utils_audio import load_audio

LOG_EPS = 1e-10  # floor before log() so digital silence stays finite
# Whisper's trick: floor the log-mel a fixed range below the clip's loudest bin. A floor relative
# to the clip, not absolute, keeps the features independent of gain, even in the empty mel bands
# that a 512-point FFT leaves at the low end of the mel scale. 60 dB (6 ln 10 in natural log) rather
# than Whisper's 80: the faintest bins are where torch's and ONNX Runtime's float32 FFTs differ
# most in relative terms, and uploads rarely have more than 60 dB between their peak and their
# noise floor. (It was not what fixed the export mismatch; see the standardisation below.)
DYNAMIC_RANGE = 6 * math.log(10)


def frontend_args(cfg=CFG) -> dict:
    return dict(sample_rate=cfg.sample_rate, n_fft=cfg.n_fft, hop_length=cfg.hop_length,
                n_mels=cfg.n_mels, fmin=cfg.fmin, fmax=cfg.fmax)


class LogMel(nn.Module):
    """Waveform (B, S) -> standardised log-mel (B, n_mels, T). Has no trainable weights."""

    def __init__(self, sample_rate, n_fft, hop_length, n_mels, fmin, fmax):
        super().__init__()
        self.mel = torchaudio.transforms.MelSpectrogram(
            sample_rate=sample_rate, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels,
            f_min=fmin, f_max=fmax, power=2.0)

    def log_power(self, wave):
        """(B, S) -> natural log of mel power (B, n_mels, T): what training caches and augments."""
        # clamp, not `+ LOG_EPS`: the ONNX exporter folded the addition away and silence gave -inf/NaN
        return torch.log(torch.clamp(self.mel(wave), min=LOG_EPS))

    @staticmethod
    def normalise(log_power):
        """(B, n_mels, T) log power -> the standardised log-mel the CNN sees."""
        # relative to the clip's peak, floored DYNAMIC_RANGE below it; subtracting the peak first
        # makes digital silence exactly 0 everywhere in torch and ONNX alike (x - x is exact)
        logmel = torch.clamp(log_power - log_power.amax(dim=(1, 2), keepdim=True), min=-DYNAMIC_RANGE)
        # Per-clip standardisation: how loud an upload is says nothing about what is said in it.
        # Mean over time, then over mels: ONNX Runtime sums a 64k-element ReduceMean naively in
        # float32, which was off by 7e-5 (relative) on a padded clip; two short sums are not.
        # The 1e-2 under the root keeps a constant clip (digital silence) from dividing float
        # rounding by a near-zero std: that gave logits 0.15 apart between torch and ONNX.
        # Real clips have a log-mel variance of several units, so 1e-2 barely touches them.
        mean = logmel.mean(dim=2, keepdim=True).mean(dim=1, keepdim=True)
        var = (logmel - mean).square().mean(dim=2, keepdim=True).mean(dim=1, keepdim=True)
        return (logmel - mean) / torch.sqrt(var + 1e-2)

    def forward(self, wave):
        return self.normalise(self.log_power(wave))


@functools.lru_cache(maxsize=4)
def _logmel_module(sample_rate, n_fft, hop_length, n_mels, fmin, fmax):
    return LogMel(sample_rate, n_fft, hop_length, n_mels, fmin, fmax).eval()


def _wave_tensor(x, cfg=CFG) -> torch.Tensor:
    """A float32 tensor of a (S,) or (B, S) array, zero-padded to at least half an FFT plus one.

    The centred STFT reflect-pads n_fft // 2 samples at each end, which torch refuses for shorter
    input; zeros at the end are what `windows` adds to every short clip anyway.
    """
    wave = (x if torch.is_tensor(x) else torch.as_tensor(np.asarray(x, dtype=np.float32))).float()
    short = cfg.n_fft // 2 + 1 - wave.shape[-1]
    return torch.nn.functional.pad(wave, (0, short)) if short > 0 else wave


def mel_filterbank(cfg=CFG) -> torch.Tensor:
    """The front end's mel filterbank, (n_freqs, n_mels)."""
    return _logmel_module(**frontend_args(cfg)).mel.mel_scale.fb


def to_logmel(x, cfg=CFG) -> torch.Tensor:
    """Log-mel of a path, a numpy array or a tensor: (S,) -> (n_mels, T), (B, S) -> (B, n_mels, T)."""
    if isinstance(x, (str, Path)):
        x = load_audio(x, cfg.sample_rate)
    wave = _wave_tensor(x, cfg)
    single = wave.dim() == 1
    with torch.no_grad():
        spec = _logmel_module(**frontend_args(cfg))(wave[None] if single else wave)
    return spec[0] if single else spec


def log_power(wave, cfg=CFG) -> torch.Tensor:
    """Log mel power of a (S,) or (B, S) waveform: `to_logmel` before its normalisation."""
    with torch.no_grad():
        return _logmel_module(**frontend_args(cfg)).log_power(_wave_tensor(wave, cfg))


def normalise_logmel(log_power: torch.Tensor) -> torch.Tensor:
    """(n_mels, T) or (B, n_mels, T) log power -> the CNN's input, exactly as inside `LogMel`."""
    single = log_power.dim() == 2
    out = LogMel.normalise(log_power[None] if single else log_power)
    return out[0] if single else out
