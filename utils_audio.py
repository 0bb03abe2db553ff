"""The one audio front end: decoding, crop/pad, windows, log-mel, noise and spectral augmentation.

Nothing else in the repo decodes audio or computes features. The `LogMel` module defined here is
the first layer of `LiteAudioCNN`, so the exported ONNX graph computes exactly the features the
model was trained on.
"""
import functools
import math
import warnings
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
import torchaudio
from torch import nn

from config import CFG
from utils_io import HelmitError

LOG_EPS = 1e-10  # floor before log() so digital silence stays finite
# Whisper's trick: floor the log-mel a fixed range below the clip's loudest bin. A floor relative
# to the clip, not absolute, keeps the features independent of gain, even in the empty mel bands
# that 128 mels on a 512-point FFT leave at the low end. 60 dB (6 ln 10 in natural log) rather
# than Whisper's 80: the faintest bins are where torch's and ONNX Runtime's float32 FFTs differ
# most in relative terms, and uploads rarely have more than 60 dB between their peak and their
# noise floor. (It was not what fixed the export mismatch; see the standardisation below.)
DYNAMIC_RANGE = 6 * math.log(10)


def load_audio(path, sr: int = CFG.sample_rate) -> np.ndarray:
    """Decode any soundfile/librosa-readable file to float32 mono at `sr`. Raises HelmitError."""
    path = Path(path)
    if not path.exists():
        raise HelmitError(f"{path}: no such file")
    if path.is_dir():
        raise HelmitError(f"{path}: is a directory, expected an audio file")
    if path.stat().st_size == 0:
        raise HelmitError(f"{path}: empty file (0 bytes)")
    try:
        data, file_sr = sf.read(str(path), dtype="float32", always_2d=True)  # (S, C)
        wave = data.mean(axis=1)
    except Exception as sf_err:  # soundfile lacks some codecs (m4a, aac): try librosa/audioread
        try:
            import librosa

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # librosa warns before falling back to audioread
                wave, file_sr = librosa.load(str(path), sr=None, mono=True)
        except Exception:
            raise HelmitError(f"{path}: cannot decode audio ({str(sf_err).strip() or type(sf_err).__name__})") from None
    if wave.size == 0:
        raise HelmitError(f"{path}: decoded to zero samples")
    wave = np.nan_to_num(wave.astype(np.float32), nan=0.0, posinf=1.0, neginf=-1.0)
    return resample(wave, int(file_sr), sr)


def resample(wave: np.ndarray, orig_sr: int, sr: int) -> np.ndarray:
    if orig_sr == sr:
        return np.ascontiguousarray(wave, dtype=np.float32)
    import soxr  # librosa's own default resampler, called directly to skip librosa's import cost

    return soxr.resample(wave, orig_sr, sr, quality="HQ").astype(np.float32)


def crop_or_pad(wave: np.ndarray, n_samples: int, mode: str = "center", rng=None) -> np.ndarray:
    """Cut or zero-pad to exactly `n_samples`. mode: "center", "random" (needs rng) or "start"."""
    n = len(wave)
    if n < n_samples:
        return np.pad(wave, (0, n_samples - n)).astype(np.float32)
    if mode == "random":
        start = int(rng.integers(0, n - n_samples + 1))
    elif mode == "center":
        start = (n - n_samples) // 2
    else:
        start = 0
    return wave[start:start + n_samples]


def window_starts(n_samples: int, window: int, stride: int) -> list:
    """Start offsets of sliding windows that cover a clip; the last window is flush with the end."""
    if n_samples <= window:
        return [0]
    starts = list(range(0, n_samples - window + 1, stride))
    if starts[-1] + window < n_samples:
        starts.append(n_samples - window)
    return starts


def windows(wave: np.ndarray, window: int, stride: int):
    """(starts, batch) with batch (n_windows, window): every window of a clip, short ones padded."""
    starts = window_starts(len(wave), window, stride)
    batch = np.stack([crop_or_pad(wave[s:s + window], window, "start") for s in starts])
    return starts, batch


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


def to_logmel(x, cfg=CFG) -> torch.Tensor:
    """Log-mel of a path, a numpy array or a tensor: (S,) -> (n_mels, T), (B, S) -> (B, n_mels, T)."""
    if isinstance(x, (str, Path)):
        x = load_audio(x, cfg.sample_rate)
    wave = torch.as_tensor(np.asarray(x, dtype=np.float32) if not torch.is_tensor(x) else x).float()
    single = wave.dim() == 1
    with torch.no_grad():
        spec = _logmel_module(**frontend_args(cfg))(wave[None] if single else wave)
    return spec[0] if single else spec


def add_noise(wave: np.ndarray, snr_db: float, rng) -> np.ndarray:
    """Add white noise at `snr_db` relative to the clip's own power (silence stays silent-ish)."""
    power = float(np.mean(wave ** 2)) + 1e-10
    noise = rng.standard_normal(len(wave)).astype(np.float32)
    return (wave + noise * np.sqrt(power / 10 ** (snr_db / 10))).astype(np.float32)


@functools.lru_cache(maxsize=4)
def _mel_centres(n_mels, fmin, fmax):
    import librosa

    return librosa.mel_frequencies(n_mels + 2, fmin=fmin, fmax=fmax)[1:-1]


def pitch_shift_logmel(spec: torch.Tensor, steps: float, cfg=CFG) -> torch.Tensor:
    """Shift a (n_mels, T) log-mel by `steps` semitones by warping the mel axis.

    Cheap stand-in for librosa.effects.pitch_shift: moving every frequency f to f * 2^(steps/12)
    is a resampling of the mel axis, so it costs one gather instead of a phase vocoder per clip.
    """
    centres = _mel_centres(cfg.n_mels, cfg.fmin, cfg.fmax)
    src = np.interp(centres / 2 ** (steps / 12), centres, np.arange(cfg.n_mels))
    lo = torch.as_tensor(np.floor(src).astype(np.int64))
    hi = torch.clamp(lo + 1, max=cfg.n_mels - 1)
    frac = torch.as_tensor((src - np.floor(src)).astype(np.float32))[:, None]
    return spec[lo] * (1 - frac) + spec[hi] * frac


def time_stretch_logmel(spec: torch.Tensor, rate: float, rng) -> torch.Tensor:
    """Play a (n_mels, T) log-mel `rate` times faster (interpolate frames), keep T frames."""
    n_frames = spec.shape[1]
    new_len = max(2, int(round(n_frames / rate)))
    out = torch.nn.functional.interpolate(spec[None], size=new_len, mode="linear", align_corners=False)[0]
    if new_len >= n_frames:
        start = int(rng.integers(0, new_len - n_frames + 1))
        return out[:, start:start + n_frames]
    return torch.nn.functional.pad(out, (0, n_frames - new_len), value=float(spec.min()))


def spec_augment(spec: torch.Tensor, rng, cfg=CFG) -> torch.Tensor:
    """SpecAugment frequency and time masks on a (n_mels, T) log-mel, filled with its mean."""
    spec = spec.clone()
    fill = float(spec.mean())
    n_mels, n_frames = spec.shape
    for _ in range(cfg.n_freq_masks):
        width = int(rng.integers(0, cfg.freq_mask_bins + 1))
        start = int(rng.integers(0, max(1, n_mels - width)))
        spec[start:start + width, :] = fill
    for _ in range(cfg.n_time_masks):
        width = int(rng.integers(0, min(cfg.time_mask_frames, n_frames // 4) + 1))
        start = int(rng.integers(0, max(1, n_frames - width)))
        spec[:, start:start + width] = fill
    return spec


def log_power(wave, cfg=CFG) -> torch.Tensor:
    """Log mel power of a (S,) or (B, S) waveform: `to_logmel` before its normalisation."""
    wave = torch.as_tensor(np.asarray(wave, dtype=np.float32) if not torch.is_tensor(wave) else wave).float()
    with torch.no_grad():
        return _logmel_module(**frontend_args(cfg)).log_power(wave)


def normalise_logmel(log_power: torch.Tensor) -> torch.Tensor:
    """(n_mels, T) or (B, n_mels, T) log power -> the CNN's input, exactly as inside `LogMel`."""
    single = log_power.dim() == 2
    out = LogMel.normalise(log_power[None] if single else log_power)
    return out[0] if single else out


# ---- augmentation, applied to the log mel power of one window before normalisation ----
# Each one changes the voice, the room or the microphone and keeps the words: the only thing
# that separates harmful from safe clips is what is said, so nothing else may carry the label.
LN_DB = math.log(10) / 10  # natural-log power per dB


def reverb_logmel(log_power: torch.Tensor, rt60: float, wet: float, cfg=CFG) -> torch.Tensor:
    """A room: each frame's power smeared forward in time with a decay reaching -60 dB at rt60 s."""
    power = log_power.exp()
    frame_s = cfg.hop_length / cfg.sample_rate
    t = torch.arange(1, max(2, int(rt60 / frame_s)) + 1, dtype=power.dtype) * frame_s
    kernel = torch.exp(-6 * math.log(10) * t / rt60)  # energy decay: 60 dB over rt60
    kernel = kernel / kernel.sum()
    # causal: frame t receives energy from frames before it (conv1d is correlation, so flip)
    tail = torch.nn.functional.conv1d(torch.nn.functional.pad(power[:, None], (len(kernel), 0)),
                                      kernel.flip(0)[None, None])[:, 0, :power.shape[1]]
    return torch.log(torch.clamp((1 - wet) * power + wet * tail, min=LOG_EPS))


@functools.lru_cache(maxsize=4)
def _noise_band_shapes(sample_rate, n_fft, hop_length, n_mels, fmin, fmax):
    """Relative mel-band power of white, pink and brown noise, and FFT bins per band."""
    fb = _logmel_module(sample_rate, n_fft, hop_length, n_mels, fmin, fmax).mel.mel_scale.fb  # (n_freqs, n_mels)
    freqs = torch.linspace(0, sample_rate / 2, fb.shape[0]).clamp(min=sample_rate / n_fft)
    shapes = torch.stack([fb.T @ freqs.pow(-e) for e in (0.0, 1.0, 2.0)])  # (3, n_mels)
    return shapes / shapes.sum(dim=1, keepdim=True), (fb > 0).sum(0).clamp(min=1).float()


def noise_logmel(log_power: torch.Tensor, snr_db: float, colour: int, rng, cfg=CFG) -> torch.Tensor:
    """Background noise (0 white, 1 pink, 2 brown) at `snr_db` below the window's speech power.

    Added in the power domain, with the frame-to-frame fluctuation of real noise: a band that
    pools k FFT bins of Gaussian noise has Gamma(k)-distributed power.
    """
    shapes, bins = _noise_band_shapes(**frontend_args(cfg))
    power = log_power.exp()
    level = power.sum(dim=0).mean() * 10 ** (-snr_db / 10)  # total noise power per frame
    k = bins[:, None].expand_as(power)
    gamma = torch.as_tensor(rng.gamma(k.numpy(), 1.0), dtype=power.dtype) / k
    return torch.log(torch.clamp(power + level * shapes[colour][:, None] * gamma, min=LOG_EPS))


def eq_logmel(log_power: torch.Tensor, max_db: float, rng) -> torch.Tensor:
    """A microphone or phone colouring: a smooth random gain curve across the mel bands."""
    n_mels = log_power.shape[0]
    points = rng.uniform(-max_db, max_db, 5)
    curve = np.interp(np.arange(n_mels), np.linspace(0, n_mels - 1, 5), points)
    return log_power + torch.as_tensor(curve * LN_DB, dtype=log_power.dtype)[:, None]


def augment_log_power(log_power: torch.Tensor, rng, cfg=CFG) -> torch.Tensor:
    """Training view of one (n_mels, T) log-power window -> standardised, augmented log-mel.

    Voice (tempo, pitch/formants) -> room (reverb) -> background noise -> microphone (EQ) ->
    the model's own normalisation -> SpecAugment masks. Each step fires with cfg.aug_prob.
    """
    x = log_power.float()
    if rng.random() < cfg.aug_prob:
        x = time_stretch_logmel(x, float(rng.uniform(*cfg.time_stretch)), rng)
    if rng.random() < cfg.aug_prob:
        x = pitch_shift_logmel(x, float(rng.uniform(*cfg.pitch_shift_steps)), cfg)
    if rng.random() < cfg.aug_prob / 2:
        x = reverb_logmel(x, float(rng.uniform(*cfg.reverb_rt60)), float(rng.uniform(*cfg.reverb_wet)), cfg)
    if rng.random() < cfg.aug_prob:
        x = noise_logmel(x, float(rng.uniform(*cfg.noise_snr_db)), int(rng.integers(3)), rng, cfg)
    if rng.random() < cfg.aug_prob:
        x = eq_logmel(x, cfg.eq_db, rng)
    x = normalise_logmel(x)
    if rng.random() < cfg.aug_prob:
        x = spec_augment(x, rng, cfg)
    return x
