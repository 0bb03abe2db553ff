import numpy as np
import torch

from config import CFG, get_device, seed_all
from dataset import HelmitAudioDS
from utils_audio import to_logmel


def waves(n=4, seconds=(3.0, 12.0)):
    rng = np.random.default_rng(0)
    return [rng.standard_normal(int(16000 * rng.uniform(*seconds))).astype(np.float32) * 0.1 for _ in range(n)]


def test_eval_items_are_deterministic_centre_crops():
    w = waves()
    ds = HelmitAudioDS(None, [0, 1, 0, 1], train=False, waves=w)
    spec, label = ds[1]
    assert spec.shape == (CFG.n_mels, CFG.clip_samples // CFG.hop_length + 1) and label == 1
    torch.testing.assert_close(spec, ds[1][0])
    start = (len(w[1]) - CFG.clip_samples) // 2 if len(w[1]) > CFG.clip_samples else 0
    expected = w[1][start:start + CFG.clip_samples]
    expected = np.pad(expected, (0, CFG.clip_samples - len(expected)))
    torch.testing.assert_close(spec, to_logmel(expected))


def test_training_items_are_augmented_and_raw_mode_gives_waveforms():
    w = waves()
    train = HelmitAudioDS(None, [0, 1, 0, 1], train=True, waves=w, seed=1)
    a, b = train[2][0], train[2][0]
    assert a.shape == b.shape and not torch.equal(a, b)  # a new crop / augmentation each time
    raw = HelmitAudioDS(None, [0, 1, 0, 1], train=False, return_raw_audio=True, waves=w)
    x, _ = raw[0]
    assert x.shape == (CFG.clip_samples,) and x.dtype == torch.float32
    # same seed, same sequence of augmented items
    again = HelmitAudioDS(None, [0, 1, 0, 1], train=True, waves=w, seed=1)
    torch.testing.assert_close(again[2][0], a)


def test_seed_all_and_device():
    seed_all(7)
    a = (np.random.rand(), torch.rand(1).item())
    seed_all(7)
    assert (np.random.rand(), torch.rand(1).item()) == a
    assert get_device("cpu").type == "cpu" and get_device().type in ("cpu", "cuda", "mps")
