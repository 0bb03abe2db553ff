import numpy as np
import torch

from config import CFG, get_device, seed_all
from dataset import (HelmitAudioDS, clip_logits, cnn_view, collate_windows, logmel_windows, wave_view,
                     window_waves)
from utils_audio import to_logmel, windows


def waves(n=4, seconds=(3.0, 12.0)):
    rng = np.random.default_rng(0)
    return [rng.standard_normal(int(16000 * rng.uniform(*seconds))).astype(np.float32) * 0.1 for _ in range(n)]


def test_cached_windows_give_exactly_the_features_inference_computes():
    w = waves()
    cached = logmel_windows(w)
    for clip, wave in zip(cached, w):
        _, expected = windows(wave, CFG.clip_samples, CFG.clip_samples // 2)  # as infer.py cuts them
        assert clip.dtype == np.float16 and len(clip) == len(expected)
        ds = HelmitAudioDS([clip], [1], cnn_view(train=False))
        x, label = ds[0]
        assert label == 1 and x.shape == (len(expected), CFG.n_mels, CFG.clip_samples // CFG.hop_length + 1)
        # float16 storage of the log power: the standardised features stay within 0.01
        torch.testing.assert_close(x, to_logmel(expected), atol=1e-2, rtol=0)


def test_training_views_are_augmented_reproducibly_and_wave_view_gives_waveforms():
    w = waves()
    cached = logmel_windows(w)
    train = HelmitAudioDS(cached, [0, 1, 0, 1], cnn_view(train=True), seed=1)
    a, b = train[2][0], train[2][0]
    assert a.shape == b.shape and not torch.equal(a, b)  # a new augmentation each time
    again = HelmitAudioDS(cached, [0, 1, 0, 1], cnn_view(train=True), seed=1)
    torch.testing.assert_close(again[2][0], a)  # same seed, same sequence
    raw = HelmitAudioDS(window_waves(w), [0, 1, 0, 1], wave_view(train=False))
    x, _ = raw[0]
    assert x.shape[1:] == (CFG.clip_samples,) and x.dtype == torch.float32


def test_collate_and_mil_pick_each_clips_most_harmful_window():
    batch = [(torch.zeros(3, 2), 1), (torch.zeros(1, 2), 0), (torch.zeros(2, 2), 1)]
    x, owner, y = collate_windows(batch)
    assert x.shape == (6, 2) and owner.tolist() == [0, 0, 0, 1, 2, 2] and y.tolist() == [1, 0, 1]
    logits = torch.tensor([[0., 1.], [0., 3.], [1., 0.], [2., 0.], [0., 0.], [0., 0.]], requires_grad=True)
    picked = clip_logits(logits, owner, 3)
    assert picked.tolist() == [[0., 3.], [2., 0.], [0., 0.]]  # clip 2: a tie takes its first window
    picked.sum().backward()  # gradients reach only the picked windows
    assert logits.grad.abs().sum(1).tolist() == [0, 2, 0, 2, 2, 0]


def test_seed_all_and_device():
    seed_all(7)
    a = (np.random.rand(), torch.rand(1).item())
    seed_all(7)
    assert (np.random.rand(), torch.rand(1).item()) == a
    assert get_device("cpu").type == "cpu" and get_device().type in ("cpu", "cuda", "mps")
