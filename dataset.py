"""`HelmitAudioDS`: labelled clips as log-mel (CNN) or raw waveform (Wav2Vec2) training examples.

Clips are decoded once, on construction, and kept in memory as 16 kHz float32: decoding and
resampling every clip every epoch is what made the original take 40-50 s per epoch for 80 clips.
"""
import numpy as np
import torch
from torch.utils.data import Dataset
from tqdm import tqdm

from config import CFG
from utils_audio import add_noise, augment_logmel, crop_or_pad, load_audio, to_logmel


def decode_clips(paths, sr=CFG.sample_rate, desc="decoding clips"):
    """Decode every path once (tqdm bar); a bad file raises HelmitError naming it."""
    return [load_audio(p, sr) for p in tqdm(paths, desc=desc, unit="clip", leave=False)]


class HelmitAudioDS(Dataset):
    """Items are (features, label). features: (n_mels, T) log-mel, or (samples,) waveform.

    train=True: random crop of long clips and augmentation (noise on the waveform; time stretch,
    pitch shift and SpecAugment on the log-mel). train=False: centre crop, no augmentation.
    """

    def __init__(self, paths, labels, cfg=CFG, train=False, return_raw_audio=False, seed=0, waves=None):
        self.labels = [int(x) for x in labels]
        self.waves = waves if waves is not None else decode_clips(paths, cfg.sample_rate)
        self.cfg, self.train, self.return_raw_audio = cfg, train, return_raw_audio
        self.rng = np.random.default_rng(seed)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        cfg, rng = self.cfg, self.rng
        wave = crop_or_pad(self.waves[i], cfg.clip_samples, "random" if self.train else "center", rng)
        if self.train and rng.random() < cfg.aug_prob:
            wave = add_noise(wave, float(rng.uniform(*cfg.noise_snr_db)), rng)
        if self.return_raw_audio:
            return torch.from_numpy(np.ascontiguousarray(wave)), self.labels[i]
        spec = to_logmel(wave, cfg)  # (n_mels, T)
        if self.train:
            spec = augment_logmel(spec, rng, cfg)
        return spec, self.labels[i]
