"""Training examples: every sliding window of a clip, computed once, and a label per clip.

A clip is scored at inference as the max over its windows (one harmful turn is enough), so
training sees the same thing: all windows of a clip, with the clip's label applied to its most
harmful-looking window (multiple-instance learning). A random 8-s crop, as before, could miss the
only harmful turn of a 20-s conversation and teach the model that it was safe.

The expensive part of the front end (decode, resample, STFT, mel) runs once per clip, not once
per clip per epoch: decoding and resampling every clip every epoch is what made the original take
40-50 s per epoch for 80 clips. Augmentation then works on the cached log mel power.
"""
import numpy as np
import torch
from torch.utils.data import Dataset
from tqdm import tqdm

from config import CFG
from utils_audio import add_noise, augment_log_power, load_audio, log_power, normalise_logmel, windows


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
