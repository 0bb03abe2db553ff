"""Training examples: every sliding window of a clip, computed once, and a label per clip.

A clip is scored at inference as the max over its windows (one harmful turn is enough), so
training sees the same thing: all windows of a clip, with the clip's label applied to its most
harmful-looking window (multiple-instance learning; train.py picks that window as inference would
score it, then runs the training step on it alone). A random 8-s crop could miss the
only harmful turn of a 20-s conversation and teach the model that it was safe.

The expensive part of the front end (decode, resample, STFT, mel) runs once per clip, not once
per clip per epoch: decoding and resampling every clip every epoch costs 40-50 s per epoch for 80
clips. Its result, log mel power, is cached on disk (one .npy file per
clip) and memory-mapped back a batch at a time, so training memory does not grow with the corpus.
Augmentation (augment.py) then works on whole batches of cached log power.
"""
import collections
import contextlib
import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset
from tqdm import tqdm

from augment import augment_log_power
from config import CFG
from utils_io import HelmitError, atomic_output
from logmel import log_power, normalise_logmel
from utils_audio import add_noise, load_audio, stream_windows, windows


class ClipWaves(Sequence):
    """Clips decoded on access, one at a time: a corpus never sits in memory as waveforms."""

    def __init__(self, paths, sr=CFG.sample_rate, where=None):
        self.paths, self.sr, self.where = list(paths), sr, where  # where: per clip, its labels.csv row

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        with naming_row(self.where, i):
            return load_audio(self.paths[i], self.sr)  # a bad file raises HelmitError naming it


@contextlib.contextmanager
def naming_row(where, i):
    """A HelmitError raised inside is prefixed with where[i] (the labels.csv row of clip i), when given."""
    try:
        yield
    except HelmitError as e:
        if not where or not where[i]:
            raise
        raise HelmitError(f"{where[i]}: {e}") from None


def window_waves(waves, cfg=CFG, stride=None):
    """Per clip, its sliding windows as a (n_windows, window) float32 array, as inference cuts them."""
    stride = stride or cfg.clip_samples // 2
    return [windows(w, cfg.clip_samples, stride)[1] for w in waves]


def window_log_power(clip_windows, cfg=CFG, batch_size=32):
    """(n_windows, window) samples -> their log mel power, float16 (n_windows, n_mels, T).

    float16 halves the cache; log power spans about -23..+15, where float16 keeps ~3 decimal
    digits, far finer than any augmentation or the 60 dB floor.
    """
    parts = [log_power(torch.from_numpy(np.ascontiguousarray(clip_windows[i:i + batch_size])), cfg)
             for i in range(0, len(clip_windows), batch_size)]
    return torch.cat(parts).to(torch.float16).numpy()


def logmel_windows(waves, cfg=CFG):
    """Per in-memory clip, the log mel power of each window: float16 (n_windows, n_mels, T)."""
    stride = cfg.clip_samples // 2
    return [window_log_power(windows(w, cfg.clip_samples, stride)[1], cfg)
            for w in tqdm(waves, desc="log-mel", unit="clip", leave=False)]


# --- log mel power of every window, computed once per clip and cached on disk ---

LOG_POWER_VERSION = 1  # bump when the decoding or log power changes: old cache files stop matching


class DiskWindows:
    """One clip's cached windows: its .npy file and window count. The array is memory-mapped only
    while a batch reads it (np.asarray), so a list of these holds no features in RAM, and no open
    file either: 100,000 clips would otherwise mean 100,000 open memory maps."""
    __slots__ = ("path", "n_windows")

    def __init__(self, path, n_windows):
        self.path, self.n_windows = Path(path), int(n_windows)

    def __len__(self):
        return self.n_windows

    def load(self):
        return np.load(self.path, mmap_mode="r")  # (n_windows, n_mels, T) float16 np.memmap

    def __array__(self, dtype=None, copy=None):
        return self.load() if dtype is None else self.load().astype(dtype)


def log_power_settings(cfg=CFG, stride=None):
    """Everything besides the clip that decides its cached log power."""
    stride = stride or cfg.clip_samples // 2
    return (f"helmit-log-power v{LOG_POWER_VERSION} float16 sr={cfg.sample_rate} window={cfg.clip_samples} "
            f"stride={stride} n_fft={cfg.n_fft} hop={cfg.hop_length} n_mels={cfg.n_mels} "
            f"fmin={cfg.fmin} fmax={cfg.fmax}")


def log_power_cache_file(cache_dir, audio_path, settings):
    """<cache_dir>/logmel/<clip stem>.<sha256 of settings, absolute path, size, mtime>.npy.

    A clip is known by its path, size and modification time, not by its samples: hashing the
    audio would decode the whole corpus at every start, the work the cache is there to skip.
    Editing, replacing or touching a clip changes its mtime, so its old entry is never read again.
    """
    audio_path = Path(audio_path).resolve()
    try:
        st = audio_path.stat()
    except OSError as e:
        raise HelmitError(f"{audio_path}: cannot read ({e.strerror})") from None
    key = hashlib.sha256(f"{settings}\n{audio_path}\n{st.st_size}\n{st.st_mtime_ns}".encode()).hexdigest()
    return Path(cache_dir) / "logmel" / f"{audio_path.stem}.{key[:32]}.npy"


def _cached_window_count(file, cfg):
    """Windows in a valid cache file, or None when it is missing or unreadable (then it is computed again)."""
    try:
        arr = np.load(file, mmap_mode="r")
    except (OSError, ValueError, EOFError):
        return None
    n_frames = cfg.clip_samples // cfg.hop_length + 1
    ok = arr.dtype == np.float16 and arr.ndim == 3 and arr.shape[0] > 0 and arr.shape[1:] == (cfg.n_mels, n_frames)
    return arr.shape[0] if ok else None


def clip_log_power(path, cfg=CFG, stride=None, batch_size=32):
    """float16 (n_windows, n_mels, T) log power of one audio file, streamed: at most one decoded block
    and `batch_size` windows of samples in memory, whatever the clip's length."""
    stride = stride or cfg.clip_samples // 2
    parts, batch = [], []
    for _, w in stream_windows(path, cfg.clip_samples, stride, cfg.sample_rate):
        batch.append(w)
        if len(batch) == batch_size:
            parts.append(window_log_power(np.stack(batch), cfg))
            batch = []
    if batch:
        parts.append(window_log_power(np.stack(batch), cfg))
    return np.concatenate(parts)


def cached_log_power(paths, cache_dir, cfg=CFG, stride=None, where=None):
    """(a DiskWindows per clip, how many clips were computed), via one float16 .npy per clip in
    <cache_dir>/logmel. Missing clips are decoded one at a time and saved atomically as they are
    done, so an interrupted run keeps its work and a reader never sees half a file. `where`: per
    clip, its labels.csv row, named by a decoding error."""
    settings = log_power_settings(cfg, stride)
    files = [log_power_cache_file(cache_dir, p, settings) for p in paths]
    counts = [_cached_window_count(f, cfg) for f in files]
    missing = [i for i, n in enumerate(counts) if n is None]
    for i in tqdm(missing, desc="log-mel features", unit="clip", leave=False):
        with naming_row(where, i):
            feats = clip_log_power(paths[i], cfg, stride)
        with atomic_output(files[i], mode="wb") as fh:  # an open file: np.save would add .npy to a temp path
            np.save(fh, feats)
        counts[i] = len(feats)
    return [DiskWindows(f, n) for f, n in zip(files, counts)], len(missing)


# --- views: what a batch of one clip's (or several clips') windows looks like to the model ---

def cnn_view(cfg=CFG, train=False):
    """Windows (N, n_mels, T) of log power -> CNN input: augmented (train) or plain standardised log-mel."""
    def view(batch, rng):
        x = torch.from_numpy(np.asarray(batch, dtype=np.float32))
        return augment_log_power(x, rng, cfg) if train else normalise_logmel(x)
    return view


def wave_view(cfg=CFG, train=False):
    """Windows (N, window) -> waveforms for a Wav2Vec2 being fine-tuned; training adds background noise."""
    def view(batch, rng):
        batch = np.array(batch, dtype=np.float32)  # a copy: noise must not reach the cached windows
        if train:
            for i in np.flatnonzero(rng.random(len(batch)) < cfg.aug_prob):
                batch[i] = add_noise(batch[i], float(rng.uniform(*cfg.noise_snr_db)), rng)
        return torch.from_numpy(batch)
    return view


def feature_view(batch, rng):
    """Cached frozen-backbone features are used as they are."""
    return torch.from_numpy(np.array(batch, dtype=np.float32))


class HelmitAudioDS(Dataset):
    """Item i is (windows of clip i through `view`, label i); windows: (n_windows, ...).

    clip_windows: per clip, an array of its windows, or anything np.asarray reads as one (DiskWindows).
    """

    def __init__(self, clip_windows, labels, view=feature_view, seed=0):
        self.clip_windows, self.labels, self.view = clip_windows, [int(x) for x in labels], view
        self.rng = np.random.default_rng(seed)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.view(np.asarray(self.clip_windows[i]), self.rng), self.labels[i]

    def __getitems__(self, indices):
        """A whole batch at once (DataLoader calls this when it exists): the view, augmentation
        included, runs once over all the batch's windows instead of once per clip."""
        clips = [np.asarray(self.clip_windows[i]) for i in indices]
        x = self.view(np.concatenate(clips), self.rng)  # (all windows of the batch, ...)
        return list(zip(torch.split(x, [len(c) for c in clips]), [self.labels[i] for i in indices]))


def collate_windows(batch):
    """[(windows, label)] -> (all windows stacked, owner clip of each window, labels)."""
    xs, ys = zip(*batch)
    owner = torch.cat([torch.full((len(x),), i, dtype=torch.long) for i, x in enumerate(xs)])
    return torch.cat(xs), owner, torch.tensor(ys, dtype=torch.long)


def top_windows(margin, owner, n_clips):
    """Index of each clip's window with the highest harmful margin (MIL max); a tie takes the
    clip's first such window. margin: (n_windows,) logit[harmful] - logit[safe]."""
    best = torch.full((n_clips,), -float("inf"), device=margin.device).scatter_reduce(0, owner, margin, "amax")
    is_best = margin == best[owner]
    first = torch.full((n_clips,), len(owner), device=margin.device)
    return first.scatter_reduce(0, owner[is_best], torch.nonzero(is_best).squeeze(1), "amin")


# --- Wav2Vec2 features of a frozen backbone, computed once per clip and cached on disk ---

FEATURE_VERSION = 1  # bump when `layer_means` changes what it computes: old cache files stop matching


def _batch_layer_means(model, batch):   # list of (window,) arrays -> float32 numpy (B, L+1, H)
    x = torch.from_numpy(np.stack(batch)).to(next(model.parameters()).device)  # (B, window)
    return model.layer_means(x).float().cpu().numpy()


@torch.no_grad()  # on a generator torch applies it to each step only, not to the caller's code
def _iter_window_features(model, waves, n_clips, window, stride, batch_size):
    """Yield each clip's (n_windows, L+1, H) as soon as its last window is scored, so a cache can
    save clip by clip. Windows of several clips share a batch: short clips still fill it.
    `waves` may be a generator of the n_clips waves: each is read when its turn comes."""
    was_training = model.training
    model.eval()  # no dropout, LayerDrop or time masking: the features inference sees, every time
    try:
        counts, pending, scored = collections.deque(), [], []
        for i, wave in enumerate(waves):
            batch = windows(np.asarray(wave, dtype=np.float32), window, stride)[1]  # (n_windows, window)
            counts.append(len(batch))
            pending.extend(batch)
            while len(pending) >= batch_size or (pending and i == n_clips - 1):
                scored.extend(_batch_layer_means(model, pending[:batch_size]))
                pending = pending[batch_size:]
            while counts and len(scored) >= counts[0]:
                n = counts.popleft()
                yield np.stack(scored[:n])  # (n_windows, L+1, H)
                scored = scored[n:]
    finally:
        model.train(was_training)


def _scored_clips(model, waves, n_clips, window, stride, batch_size):
    return tqdm(_iter_window_features(model, waves, n_clips, window, stride, batch_size), total=n_clips,
                desc="wav2vec2 features", unit="clip", leave=False)


def w2v_window_features(model, waves, window, stride, batch_size=8):
    """Per clip, float32 (n_windows, L+1, H): `layer_means` of every window, windowed as inference does."""
    return list(_scored_clips(model, waves, len(waves), window, stride, batch_size))


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
    # a generator: with ClipWaves each missing clip is decoded when the model reaches it, not all up front
    computed = _scored_clips(model, (waves[i] for i in missing), len(missing), window, stride, batch_size)
    for i, clip_feats in zip(missing, computed):  # saved clip by clip: an interrupted run keeps its work
        with atomic_output(files[i], mode="wb") as fh:  # an open file: np.save would add .npy to a temp path
            np.save(fh, clip_feats)
        feats[i] = clip_feats
    return feats, len(missing)
