import numpy as np
import torch

from config import CFG, get_device, seed_all
from dataset import (HelmitAudioDS, augment_log_power, clip_logits, cnn_view, collate_windows, eq_logmel,
                     logmel_windows, noise_logmel, pitch_shift_logmel, reverb_logmel, wave_view, window_waves)
from utils_audio import log_power, normalise_logmel, to_logmel, windows


def tone(sr, seconds, freq=440.0):
    t = np.arange(int(sr * seconds)) / sr
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


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


def test_pitch_shift_moves_energy_up_and_augment_keeps_shape():
    spec = torch.full((CFG.n_mels, 50), -1.0)
    spec[40] = 5.0  # one bright mel band
    up = pitch_shift_logmel(spec, 3.0)
    assert int(up[:, 0].argmax()) > 40
    torch.testing.assert_close(pitch_shift_logmel(spec, 0.0), spec)
    rng = np.random.default_rng(0)
    power = log_power(tone(16000, 8.0))
    real = normalise_logmel(power)
    torch.testing.assert_close(real, to_logmel(tone(16000, 8.0)))  # the cached path is the model's front end
    outs = [augment_log_power(power, rng) for _ in range(20)]
    assert all(o.shape == real.shape for o in outs)
    assert sum(not torch.equal(o, real) for o in outs) >= 18


def test_room_noise_and_microphone_augmentations_do_what_they_say():
    rng = np.random.default_rng(0)
    power = log_power(np.concatenate([tone(16000, 1.0), np.zeros(16000, np.float32)]))  # a tone, then silence
    frames = power.shape[1]
    wet = reverb_logmel(power, 0.5, 0.5)
    tail = slice(frames // 2 + 5, frames // 2 + 15)  # just after the tone stops
    assert float(wet[:, tail].mean()) > float(power[:, tail].mean()) + 5  # the room rings on
    torch.testing.assert_close(wet[:, 0], power[:, 0] + np.log(0.5), atol=1e-4, rtol=0)  # first frame: the direct half only
    noisy = noise_logmel(power, 10.0, 1, rng)
    snr = 10 * np.log10(float(power.exp().sum(0).mean()) / float((noisy.exp() - power.exp()).sum(0).mean()))
    assert abs(snr - 10.0) < 1.0
    eq = eq_logmel(power, 6.0, rng)
    shift_db = (eq - power)[:, 0] / np.log(10) * 10
    assert float(shift_db.abs().max()) <= 6.0 + 1e-4 and float(shift_db.std()) > 0.5
