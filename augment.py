"""Training augmentation of log mel power, vectorised over a batch of windows.

Each transform changes the voice, the room or the microphone and keeps the words: the only thing
that separates harmful from safe clips is what is said, so nothing else may carry the label.

Every function takes a batch x (N, n_mels, T) of natural-log mel power and per-window parameters
(arrays of length N), so one batch is augmented by a few tensor operations instead of a Python
loop per window: per window, the augmentation cost more than the model's forward and backward
pass. The random draws come from one numpy Generator, whose state `train.py --resume` saves.
"""
import functools
import math

import numpy as np
import torch

from config import CFG
from logmel import LOG_EPS, mel_filterbank, normalise_logmel

LN_DB = math.log(10) / 10  # natural-log power per dB


def _lerp_gather(x, src, dim):
    """x (N, n_mels, T) read at fractional positions src along `dim` (1: mels, 2: frames).

    src is (N, n_mels) for dim 1, (N, T) for dim 2; linear interpolation between neighbours, the
    last index repeated past the end (as torch's linear interpolate does).
    """
    size = x.shape[dim]
    lo = src.floor().clamp(0, size - 1)
    frac = (src - lo).unsqueeze(3 - dim)  # (N, n_mels, 1) or (N, 1, T)
    hi = (lo + 1).clamp(max=size - 1)
    # indices built at (N, n_mels) or (N, T) and broadcast by expand (a view): no full-size index tensors
    at = lambda i: x.gather(dim, i.long().unsqueeze(3 - dim).expand_as(x))
    return torch.lerp(at(lo), at(hi), frac)


def time_stretch_logmel(x, rates, starts):
    """Play window i rates[i] times faster: frames interpolated as F.interpolate(mode="linear") would.

    A slower window is longer than T frames and is cut from frame starts[i] on (draw it with
    `stretch_starts`); a faster one ends early and is padded with its own minimum.
    """
    n_frames = x.shape[2]
    new_len = _stretched_length(rates, n_frames)  # (N,)
    pos = np.arange(n_frames)[None] + np.asarray(starts)[:, None]  # (N, T): frame in the stretched window
    # align_corners=False: output frame j of L reads input position (j + 0.5) * T / L - 0.5
    src = np.maximum((pos + 0.5) * (n_frames / new_len[:, None]) - 0.5, 0)
    out = _lerp_gather(x, torch.as_tensor(src, dtype=x.dtype), dim=2)
    past_end = torch.as_tensor(pos >= new_len[:, None])[:, None, :]  # (N, 1, T)
    return torch.where(past_end, x.amin(dim=(1, 2), keepdim=True), out)


def _stretched_length(rates, n_frames):
    return np.maximum(2, np.round(n_frames / np.asarray(rates))).astype(np.int64)


def stretch_starts(rates, n_frames, rng):
    """Random first frame of each slowed-down window (0 when it is not longer than T frames)."""
    return rng.integers(0, np.maximum(_stretched_length(rates, n_frames) - n_frames, 0) + 1)


@functools.lru_cache(maxsize=4)
def _mel_centres(n_mels, fmin, fmax):
    import librosa

    return librosa.mel_frequencies(n_mels + 2, fmin=fmin, fmax=fmax)[1:-1]


def pitch_shift_logmel(x, steps, cfg=CFG):
    """Shift window i by steps[i] semitones by warping the mel axis.

    Cheap stand-in for librosa.effects.pitch_shift: moving every frequency f to f * 2^(steps/12)
    is a resampling of the mel axis, so it costs one gather instead of a phase vocoder per clip.
    """
    centres = _mel_centres(cfg.n_mels, cfg.fmin, cfg.fmax)
    src = np.interp(centres[None] / 2 ** (np.asarray(steps)[:, None] / 12), centres, np.arange(cfg.n_mels))
    return _lerp_gather(x, torch.as_tensor(src, dtype=x.dtype), dim=1)


def reverb_power(power, rt60, wet, cfg=CFG):
    """A room: each frame's power (N, n_mels, T) smeared forward with a decay reaching -60 dB at rt60 s.

    A causal convolution with the kernel a^k / (a^1 + ... + a^K), k frames back, K = rt60 in
    frames, summed by a parallel prefix scan in log2 steps instead of a per-window convolution.
    It runs on past K until a^k is below -70 dB (the convolution it replaced stopped at -60 dB).
    """
    frame_s = cfg.hop_length / cfg.sample_rate
    rt60 = np.asarray(rt60, dtype=np.float64)
    decay = np.exp(-6 * math.log(10) * frame_s / rt60)  # (N,) per-frame energy decay: 60 dB over rt60
    taps = np.maximum(2, (rt60 / frame_s).astype(np.int64))
    kernel_sum = decay * (1 - decay ** taps) / (1 - decay)  # sum of a^k, k = 1..taps
    acc, step = power.clone(), 1
    # after it, acc[t] = sum over k < 2 * step of a^k power[t - k]; stop once a^step is below -70 dB
    while step < power.shape[2] and decay.max() ** step > 1e-7:
        # the right-hand side is computed from the old values before the in-place add
        acc[:, :, step:] += torch.as_tensor(decay ** step, dtype=power.dtype)[:, None, None] * acc[:, :, :-step]
        step *= 2
    tail = (acc - power) / torch.as_tensor(kernel_sum, dtype=power.dtype)[:, None, None]
    wet = torch.as_tensor(np.asarray(wet), dtype=power.dtype)[:, None, None]
    return (1 - wet) * power + wet * tail


@functools.lru_cache(maxsize=4)
def _noise_band_shapes(cfg):  # cached per Config (frozen, so hashable)
    """Relative mel-band power of white, pink and brown noise, and FFT bins per band."""
    fb = mel_filterbank(cfg)  # (n_freqs, n_mels)
    freqs = torch.linspace(0, cfg.sample_rate / 2, fb.shape[0]).clamp(min=cfg.sample_rate / cfg.n_fft)
    shapes = torch.stack([fb.T @ freqs.pow(-e) for e in (0.0, 1.0, 2.0)])  # (3, n_mels)
    return shapes / shapes.sum(dim=1, keepdim=True), (fb > 0).sum(0).clamp(min=1).float()


NOISE_BANK_WINDOWS = 16  # windows' worth of noise fluctuation drawn once; each window reads a random stretch of it


@functools.lru_cache(maxsize=4)
def _noise_bank(cfg, n_frames):
    """Gamma(k)/k power fluctuation per mel band, (n_mels, NOISE_BANK_WINDOWS * n_frames), mean 1.

    Drawn once, with a fixed seed so that `--resume` sees the same bank: each window reads it from
    a random frame on, a copy instead of 64,000 gamma draws, which took longer than the model.
    """
    _, bins = _noise_band_shapes(cfg)
    k = np.broadcast_to(bins.numpy()[:, None], (len(bins), NOISE_BANK_WINDOWS * n_frames))
    return torch.from_numpy(np.random.default_rng(0).standard_gamma(k, dtype=np.float32)) / bins[:, None]


def noise_power(power, snr_db, colour, rng, cfg=CFG):
    """Background noise (colour 0 white, 1 pink, 2 brown) at snr_db below each window's speech power.

    Added in the power domain, with the frame-to-frame fluctuation of real noise: a band that
    pools k FFT bins of Gaussian noise has Gamma(k)-distributed power.
    """
    n, _, n_frames = power.shape
    shapes, _ = _noise_band_shapes(cfg)
    bank = _noise_bank(cfg, n_frames)
    start = torch.as_tensor(rng.integers(0, bank.shape[1] - n_frames + 1, n))
    fluctuation = bank.unfold(1, n_frames, 1)[:, start].transpose(0, 1)  # (n_mels, N, T) -> (N, n_mels, T)
    level = power.sum(dim=1).mean(dim=1) * torch.as_tensor(10 ** (-np.asarray(snr_db) / 10), dtype=power.dtype)
    return power + (level[:, None] * shapes[torch.as_tensor(colour)])[:, :, None] * fluctuation


def eq_logmel(x, gains_db):
    """A microphone or phone colouring: per window, 5 gains (N, 5) in dB, interpolated across the mel bands."""
    n_mels = x.shape[1]
    # linear interpolation of 5 evenly spaced points over the mel axis, as a (5, n_mels) matrix
    hat = np.maximum(0, 1 - np.abs(np.arange(n_mels)[None] / ((n_mels - 1) / 4) - np.arange(5)[:, None]))
    return x + torch.as_tensor(np.asarray(gains_db) @ hat * LN_DB, dtype=x.dtype)[:, :, None]


def spec_augment(x, rng, chosen, cfg=CFG):
    """SpecAugment frequency and time masks on the windows in `chosen`, filled with each window's mean."""
    n, n_mels, n_frames = x.shape

    def masks(count, widest, size):  # (N, size) bool: `count` random bands of 0..widest per chosen window
        width = rng.integers(0, widest + 1, (n, count)) * np.asarray(chosen)[:, None]
        start = rng.integers(0, np.maximum(1, size - width))
        idx = np.arange(size)[None, None]
        return torch.as_tensor(((idx >= start[..., None]) & (idx < (start + width)[..., None])).any(axis=1))

    hidden = (masks(cfg.n_freq_masks, cfg.freq_mask_bins, n_mels)[:, :, None]
              | masks(cfg.n_time_masks, min(cfg.time_mask_frames, n_frames // 4), n_frames)[:, None, :])
    return torch.where(hidden, x.mean(dim=(1, 2), keepdim=True), x)


def _room_and_noise(x, reverb, noise, rt60, wet, snr, colour, rng, cfg):
    """Reverb and noise on the windows that get either, in the power domain: one exp and one log."""
    chosen = np.flatnonzero(reverb | noise)
    if not len(chosen):
        return x
    power = x[torch.as_tensor(chosen)].exp()  # (windows chosen, n_mels, T)
    room, noisy = np.flatnonzero(reverb[chosen]), np.flatnonzero(noise[chosen])  # positions among them
    if len(room):
        power[room] = reverb_power(power[room], rt60[chosen][room], wet[chosen][room], cfg)
    if len(noisy):
        power[noisy] = noise_power(power[noisy], snr[chosen][noisy], colour[chosen][noisy], rng, cfg)
    x[torch.as_tensor(chosen)] = torch.log(torch.clamp(power, min=LOG_EPS))
    return x


def augment_log_power(x, rng, cfg=CFG):
    """Training view of a batch of log-power windows (N, n_mels, T) -> standardised, augmented log-mel.

    Voice (tempo, pitch/formants) -> room (reverb) -> background noise -> microphone (EQ) -> the
    model's own normalisation -> SpecAugment masks. Each step fires per window with cfg.aug_prob
    (reverb with half of it). A window a step skips gets that step's identity (rate 1, 0
    semitones, 0 dB), which is exact: batches stay whole instead of being split and put back.
    """
    x = x.to(torch.float32, copy=True)  # never change the caller's tensor
    n, _, n_frames = x.shape
    p = cfg.aug_prob
    fire = rng.random((6, n)) < np.array([p, p, p / 2, p, p, p])[:, None]  # (step, window)
    rates = np.where(fire[0], rng.uniform(*cfg.time_stretch, n), 1.0)
    x = time_stretch_logmel(x, rates, stretch_starts(rates, n_frames, rng))
    x = pitch_shift_logmel(x, np.where(fire[1], rng.uniform(*cfg.pitch_shift_steps, n), 0.0), cfg)
    x = _room_and_noise(x, fire[2], fire[3], rng.uniform(*cfg.reverb_rt60, n), rng.uniform(*cfg.reverb_wet, n),
                        rng.uniform(*cfg.noise_snr_db, n), rng.integers(0, 3, n), rng, cfg)
    x = eq_logmel(x, rng.uniform(-cfg.eq_db, cfg.eq_db, (n, 5)) * fire[4][:, None])
    return spec_augment(normalise_logmel(x), rng, fire[5], cfg)
