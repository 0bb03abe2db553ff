"""Training examples: every sliding window of a clip, computed once, and a label per clip.

A clip is scored at inference as the max over its windows (one harmful turn is enough), so
training sees the same thing: all windows of a clip, with the clip's label applied to its most
harmful-looking window (multiple-instance learning). A random 8-s crop, as before, could miss the
only harmful turn of a 20-s conversation and teach the model that it was safe.

The expensive part of the front end (decode, resample, STFT, mel) runs once per clip, not once
per clip per epoch: decoding and resampling every clip every epoch is what made the original take
40-50 s per epoch for 80 clips. Augmentation (defined here: it is a training concern, not part
of the front end that inference shares) then works on the cached log mel power.
"""
import collections
import functools
import hashlib
import math
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset
from tqdm import tqdm

from config import CFG
from utils_io import HelmitError, atomic_output
from utils_audio import (LOG_EPS, add_noise, load_audio, log_power, mel_filterbank,
                         normalise_logmel, windows)


def decode_clips(paths, sr=CFG.sample_rate, desc="decoding clips"):
    """Decode every path once (tqdm bar); a bad file raises HelmitError naming it."""
    return [load_audio(p, sr) for p in tqdm(paths, desc=desc, unit="clip", leave=False)]


def window_waves(waves, cfg=CFG, stride=None):
    """Per clip, its sliding windows as a (n_windows, window) float32 array, as inference cuts them."""
    stride = stride or cfg.clip_samples // 2
    return [windows(w, cfg.clip_samples, stride)[1] for w in waves]


def logmel_windows(waves, cfg=CFG, batch_size=32):
    """Per clip, the log mel power of each window: float16 (n_windows, n_mels, T).

    float16 halves the cache; log power spans about -23..+15, where float16 keeps ~3 decimal
    digits, far finer than any augmentation or the 60 dB floor.
    """
    out = []
    for clip_windows in tqdm(window_waves(waves, cfg), desc="log-mel", unit="clip", leave=False):
        parts = [log_power(torch.from_numpy(clip_windows[i:i + batch_size]), cfg)
                 for i in range(0, len(clip_windows), batch_size)]
        out.append(torch.cat(parts).to(torch.float16).numpy())
    return out


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
def _noise_band_shapes(cfg):  # cached per Config (frozen, so hashable)
    """Relative mel-band power of white, pink and brown noise, and FFT bins per band."""
    fb = mel_filterbank(cfg)  # (n_freqs, n_mels)
    freqs = torch.linspace(0, cfg.sample_rate / 2, fb.shape[0]).clamp(min=cfg.sample_rate / cfg.n_fft)
    shapes = torch.stack([fb.T @ freqs.pow(-e) for e in (0.0, 1.0, 2.0)])  # (3, n_mels)
    return shapes / shapes.sum(dim=1, keepdim=True), (fb > 0).sum(0).clamp(min=1).float()


def noise_logmel(log_power: torch.Tensor, snr_db: float, colour: int, rng, cfg=CFG) -> torch.Tensor:
    """Background noise (0 white, 1 pink, 2 brown) at `snr_db` below the window's speech power.

    Added in the power domain, with the frame-to-frame fluctuation of real noise: a band that
    pools k FFT bins of Gaussian noise has Gamma(k)-distributed power.
    """
    shapes, bins = _noise_band_shapes(cfg)
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


def cnn_view(cfg=CFG, train=False):
    """Window -> CNN input: augmented (train) or plain standardised log-mel, (n_mels, T)."""
    def view(window, rng):
        x = torch.from_numpy(window).float()
        return augment_log_power(x, rng, cfg) if train else normalise_logmel(x)
    return view


def wave_view(cfg=CFG, train=False):
    """Window -> waveform for a Wav2Vec2 being fine-tuned; training adds background noise."""
    def view(window, rng):
        if train and rng.random() < cfg.aug_prob:
            window = add_noise(window, float(rng.uniform(*cfg.noise_snr_db)), rng)
        return torch.from_numpy(np.ascontiguousarray(window, dtype=np.float32))
    return view


def feature_view(window, rng):
    """Cached frozen-backbone features are used as they are."""
    return torch.from_numpy(np.asarray(window, dtype=np.float32))


class HelmitAudioDS(Dataset):
    """Item i is (windows of clip i through `view`, label i); windows: (n_windows, ...)."""

    def __init__(self, clip_windows, labels, view=feature_view, seed=0):
        self.clip_windows, self.labels, self.view = clip_windows, [int(x) for x in labels], view
        self.rng = np.random.default_rng(seed)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return torch.stack([self.view(w, self.rng) for w in self.clip_windows[i]]), self.labels[i]


def collate_windows(batch):
    """[(windows, label)] -> (all windows stacked, owner clip of each window, labels)."""
    xs, ys = zip(*batch)
    owner = torch.cat([torch.full((len(x),), i, dtype=torch.long) for i, x in enumerate(xs)])
    return torch.cat(xs), owner, torch.tensor(ys, dtype=torch.long)


def clip_logits(window_logits, owner, n_clips):
    """Each clip's logits are those of its window with the highest harmful margin (MIL max).

    Consistent with inference, whose clip score is its highest window's P(harmful).
    """
    margin = (window_logits[:, 1] - window_logits[:, 0]).detach()
    best = torch.full((n_clips,), -float("inf")).scatter_reduce(0, owner, margin, "amax")
    is_best = margin == best[owner]
    # ties (identical windows): take the first window of each clip that reaches its max
    first = torch.full((n_clips,), len(owner)).scatter_reduce(
        0, owner[is_best], torch.nonzero(is_best).squeeze(1), "amin")
    return window_logits[first]


# --- Wav2Vec2 features of a frozen backbone, computed once per clip and cached on disk ---

FEATURE_VERSION = 1  # bump when `layer_means` changes what it computes: old cache files stop matching


def _batch_layer_means(model, batch):   # list of (window,) arrays -> float32 numpy (B, L+1, H)
    x = torch.from_numpy(np.stack(batch)).to(next(model.parameters()).device)  # (B, window)
    return model.layer_means(x).float().cpu().numpy()


@torch.no_grad()  # on a generator torch applies it to each step only, not to the caller's code
def _iter_window_features(model, waves, window, stride, batch_size):
    """Yield each clip's (n_windows, L+1, H) as soon as its last window is scored, so a cache can
    save clip by clip. Windows of several clips share a batch: short clips still fill it."""
    was_training = model.training
    model.eval()  # no dropout, LayerDrop or time masking: the features inference sees, every time
    try:
        counts, pending, scored = collections.deque(), [], []
        for i, wave in enumerate(waves):
            batch = windows(np.asarray(wave, dtype=np.float32), window, stride)[1]  # (n_windows, window)
            counts.append(len(batch))
            pending.extend(batch)
            while len(pending) >= batch_size or (pending and i == len(waves) - 1):
                scored.extend(_batch_layer_means(model, pending[:batch_size]))
                pending = pending[batch_size:]
            while counts and len(scored) >= counts[0]:
                n = counts.popleft()
                yield np.stack(scored[:n])  # (n_windows, L+1, H)
                scored = scored[n:]
    finally:
        model.train(was_training)


def _scored_clips(model, waves, window, stride, batch_size):
    return tqdm(_iter_window_features(model, waves, window, stride, batch_size), total=len(waves),
                desc="wav2vec2 features", unit="clip", leave=False)


def w2v_window_features(model, waves, window, stride, batch_size=8):
    """Per clip, float32 (n_windows, L+1, H): `layer_means` of every window, windowed as inference does."""
    return list(_scored_clips(model, waves, window, stride, batch_size))


def w2v_fingerprint(model, window, stride):
    """sha256 of everything besides the clip that decides its features: weights, config, windowing."""
    h = hashlib.sha256(f"helmit-w2v-features {FEATURE_VERSION} {window} {stride}\n".encode())
    h.update(model.backbone.config.to_json_string(use_diff=False).encode())
    for name, t in sorted(model.backbone.state_dict().items()):
        h.update(f"{name} {t.dtype} {tuple(t.shape)}\n".encode())
        h.update(t.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy())  # raw bytes, any dtype
    return h.hexdigest()


def _cache_file(cache_dir, path, wave, fingerprint):
    """<clip stem>.<sha256 of fingerprint + float32 samples>.npy: exact where an mtime is not, and cheap."""
    h = hashlib.sha256(fingerprint.encode())
    h.update(np.ascontiguousarray(wave, dtype=np.float32))
    return Path(cache_dir) / f"{Path(path).stem}.{h.hexdigest()[:32]}.npy"


def _load_cached(path):
    """A cached feature array, or None when missing or unreadable (then it is computed again)."""
    try:
        return np.load(path) if path.is_file() else None
    except (OSError, ValueError, EOFError):
        return None


def cached_w2v_features(model, paths, waves, window, stride, cache_dir, batch_size=8):
    """(w2v_window_features of each clip, how many were computed), via one .npy per clip in cache_dir.

    A clip's file name holds a sha256 of its samples and of the backbone fingerprint, so new
    weights, config, windowing or audio all miss the cache; its stem only makes the files readable.
    """
    if model.num_unfrozen_layers > 0:
        raise HelmitError(f"cached Wav2Vec2 features need a frozen backbone; num_unfrozen_layers is "
                          f"{model.num_unfrozen_layers}, so the features change as it trains")
    fingerprint = w2v_fingerprint(model, window, stride)  # once per call: hashing wav2vec2-base takes ~1 s
    files = [_cache_file(cache_dir, p, w, fingerprint) for p, w in zip(paths, waves)]
    feats = [_load_cached(f) for f in files]
    missing = [i for i, f in enumerate(feats) if f is None]
    computed = _scored_clips(model, [waves[i] for i in missing], window, stride, batch_size)
    for i, clip_feats in zip(missing, computed):  # saved clip by clip: an interrupted run keeps its work
        with atomic_output(files[i], mode="wb") as fh:  # an open file: np.save would add .npy to a temp path
            np.save(fh, clip_feats)
        feats[i] = clip_feats
    return feats, len(missing)
