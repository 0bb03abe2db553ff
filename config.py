"""Every default in one place (`CFG`), plus seeding and device choice.

Command-line flags override these; the effective values are written into the checkpoint and
the ONNX metadata so later stages read them instead of guessing.
"""
import os
import random
from dataclasses import asdict, dataclass

import numpy as np

CLASS_NAMES = ("safe", "harmful")  # label 0 = safe, 1 = harmful, as in data/labels.csv
# the harms the text model names (its category head), in this order; the rest of the labels are safe kinds
HARM_CATEGORIES = ("harassment", "bullying", "threat", "grooming")
AUDIO_EXTENSIONS = (".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a", ".aac", ".aif", ".aiff", ".wma")


@dataclass(frozen=True)
class Config:
    # audio and log-mel front end (shared by training and the exported graph)
    sample_rate: int = 16000
    clip_seconds: float = 8.0
    # 64 bands, as PANNs and VGGish use (speech recognisers use 40-80): against 128, the CNN's
    # training step ran ~1.6x faster and a tone-burst MIL task's held-out AUC was higher in all
    # 6 seeds (mean 0.84 vs 0.68). Checkpoints and ONNX files keep the n_mels they were built with.
    n_mels: int = 64
    n_fft: int = 512
    hop_length: int = 256
    fmin: float = 60.0
    fmax: float = 8000.0
    # augmentation, training only; each transform fires with probability aug_prob
    aug_prob: float = 0.7
    time_stretch: tuple = (0.85, 1.2)
    pitch_shift_steps: tuple = (-3.0, 3.0)
    noise_snr_db: tuple = (5.0, 30.0)   # background noise, dB below the speech
    reverb_rt60: tuple = (0.2, 0.8)     # room decay time, seconds
    reverb_wet: tuple = (0.2, 0.6)      # share of reverberant energy
    eq_db: float = 6.0                  # microphone colouring: up to +-6 dB across the bands
    freq_mask_bins: int = 16   # SpecAugment: widest frequency mask, in mel bins
    time_mask_frames: int = 40  # widest time mask, in frames (40 * 16 ms = 0.64 s)
    n_freq_masks: int = 2
    n_time_masks: int = 2
    # training
    epochs: int = 40
    batch_size: int = 16
    lr: float = 1e-3
    weight_decay: float = 1e-4
    dropout: float = 0.3
    width_mult: float = 1.0
    val_fraction: float = 0.2
    early_stop_patience: int = 12
    plateau_factor: float = 0.5
    plateau_patience: int = 5
    seed: int = 42
    w2v_model: str = "facebook/wav2vec2-base"
    data_root: str = "data"
    labels_csv: str = "data/labels.csv"

    @property
    def clip_samples(self) -> int:
        return int(round(self.sample_rate * self.clip_seconds))

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


CFG = Config()


def seed_all(seed: int) -> None:
    """Seed python, numpy and torch so the same seed gives the same run on the same machine."""
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)


def get_device(prefer: str = "auto"):
    """CUDA if present, then Apple MPS, then CPU; `prefer` forces one ("cpu", "cuda", "mps")."""
    import torch

    if prefer != "auto":
        available = {"cpu": True, "cuda": torch.cuda.is_available(),
                     "mps": getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()}
        if not available.get(prefer, False):
            from utils_io import HelmitError

            raise HelmitError(f"device '{prefer}' is not available here (choose auto, cpu, cuda or mps)")
        return torch.device(prefer)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")
