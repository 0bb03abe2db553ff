"""Batched augmentation: each step equals a plain per-window reference, and does what it says."""
import dataclasses
import math

import numpy as np
import torch
import torch.nn.functional as F

from augment import (augment_log_power, eq_logmel, noise_power, pitch_shift_logmel, reverb_power, spec_augment,
                     stretch_starts, time_stretch_logmel)
from config import CFG
from logmel import log_power, normalise_logmel


def tone(sr, seconds, freq=440.0):
    t = np.arange(int(sr * seconds)) / sr
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def speechlike_batch(n=6, seed=0):
    """(n, n_mels, T) log power of 8-s windows: noise bursts and tones, so every step has something to move."""
    rng = np.random.default_rng(seed)
    waves = []
    for i in range(n):
        w = 0.05 * rng.standard_normal(CFG.clip_samples).astype(np.float32)
        w[: CFG.clip_samples // 2] += tone(16000, 4.0, 200 + 150 * i)
        waves.append(w)
    return log_power(np.stack(waves))


def test_time_stretch_equals_interpolating_each_window():
    x = speechlike_batch()
    rates = np.array([0.85, 0.9, 1.0, 1.1, 1.2, 1.0])
    starts = stretch_starts(rates, x.shape[2], np.random.default_rng(0))
    out = time_stretch_logmel(x, rates, starts)
    for i, rate in enumerate(rates):  # the per-window version this replaced
        n_frames = x.shape[2]
        new_len = max(2, int(round(n_frames / rate)))
        ref = F.interpolate(x[i][None], size=new_len, mode="linear", align_corners=False)[0]
        if new_len >= n_frames:
            ref = ref[:, starts[i]:starts[i] + n_frames]
        else:
            ref = F.pad(ref, (0, n_frames - new_len), value=float(x[i].min()))
        torch.testing.assert_close(out[i], ref, atol=1e-3, rtol=0)  # float32 vs float64 positions; the cache is float16
    assert torch.equal(out[2], x[2])  # rate 1: exactly the window
    assert (starts[rates >= 1] == 0).all()  # only slowed-down (longer) windows are cut at a random frame


def test_pitch_shift_moves_energy_up_and_zero_steps_is_exact():
    spec = torch.full((2, CFG.n_mels, 50), -1.0)
    spec[:, 40] = 5.0  # one bright mel band
    out = pitch_shift_logmel(spec, np.array([3.0, 0.0]))
    assert int(out[0, :, 0].argmax()) > 40
    assert torch.equal(out[1], spec[1])


def test_reverb_equals_a_causal_decay_convolution():
    power = speechlike_batch(3).exp()
    rt60, wet = np.array([0.2, 0.5, 0.8]), np.array([0.2, 0.5, 0.6])
    out = reverb_power(power, rt60, wet)
    frame_s = CFG.hop_length / CFG.sample_rate
    for i in range(3):  # a plain convolution with the decay a^k (k frames back), normalised over k <= rt60
        t = torch.arange(1, power.shape[2], dtype=torch.float64) * frame_s  # the whole window: no cut at -60 dB
        kernel = torch.exp(-6 * math.log(10) * t / rt60[i])
        kernel = (kernel / kernel[:max(2, int(rt60[i] / frame_s))].sum()).float()
        tail = F.conv1d(F.pad(power[i][:, None], (len(kernel), 0)), kernel.flip(0)[None, None])[:, 0, :power.shape[2]]
        ref = (1 - wet[i]) * power[i] + wet[i] * tail
        torch.testing.assert_close(out[i], ref, rtol=1e-3, atol=1e-6)  # float32 sums in another order


def test_room_noise_and_microphone_do_what_they_say():
    rng = np.random.default_rng(0)
    power = log_power(np.concatenate([tone(16000, 1.0), np.zeros(16000, np.float32)]))[None].exp()  # tone, silence
    frames = power.shape[2]
    wet = reverb_power(power, np.array([0.5]), np.array([0.5]))
    tail = slice(frames // 2 + 5, frames // 2 + 15)  # just after the tone stops
    assert float(wet[..., tail].log().mean()) > float(power[..., tail].log().mean()) + 5  # the room rings on
    torch.testing.assert_close(wet[..., 0], 0.5 * power[..., 0])  # first frame: the direct half only
    for colour in range(3):
        noisy = noise_power(power.repeat(2, 1, 1), np.array([10.0, 20.0]), np.array([colour, colour]), rng)
        added = (noisy - power).sum(1).mean(1)  # noise power per frame
        snr = 10 * np.log10(float(power.sum(1).mean()) / added.numpy())
        np.testing.assert_allclose(snr, [10.0, 20.0], atol=1.0)
        assert not torch.equal(noisy[0, :, :100], noisy[0, :, 100:200])  # it fluctuates frame to frame
    logp = power.log().repeat(2, 1, 1)
    gains = np.array([[6.0, -6.0, 3.0, 0.0, -3.0], [0.0] * 5])
    eq = eq_logmel(logp, gains)
    shift_db = (eq - logp)[0, :, 0] / np.log(10) * 10
    np.testing.assert_allclose(shift_db[[0, -1]].numpy(), [6.0, -3.0], atol=1e-3)  # the end points
    np.testing.assert_allclose(shift_db.numpy(), np.interp(np.arange(CFG.n_mels), np.linspace(0, CFG.n_mels - 1, 5),
                                                           gains[0]), atol=1e-3)
    assert torch.equal(eq[1], logp[1])  # 0 dB: unchanged


def test_spec_augment_masks_only_chosen_windows_with_their_mean():
    x = normalise_logmel(speechlike_batch(4))
    out = spec_augment(x, np.random.default_rng(3), np.array([True, True, False, True]))
    assert torch.equal(out[2], x[2])
    for i in (0, 1, 3):
        changed = out[i] != x[i]
        assert changed.any()
        torch.testing.assert_close(out[i][changed], x[i].mean().expand(int(changed.sum())))
        # masks are whole mel bands or whole frames
        rows, cols = changed.all(dim=1), changed.all(dim=0)
        assert torch.equal(changed, rows[:, None] | cols[None, :])


def test_augment_batch_shapes_reproducibility_and_that_it_changes_things():
    # contiguous, as batches read from the cache are: a transposed view is summed in another order,
    # which moved the normalisation by one float32 step and would hide whether the identity is exact
    x = speechlike_batch(8).contiguous()
    before = x.clone()
    a = augment_log_power(x, np.random.default_rng(5))
    b = augment_log_power(x, np.random.default_rng(5))
    assert torch.equal(x, before)  # the input (a cached batch) is never modified
    assert a.shape == x.shape and torch.equal(a, b)  # same seed, same batch
    plain = normalise_logmel(x)
    assert sum(not torch.equal(a[i], plain[i]) for i in range(8)) >= 7
    off = augment_log_power(x, np.random.default_rng(5), dataclasses.replace(CFG, aug_prob=0.0))
    assert torch.equal(off, plain)  # no step fires: exactly the model's normalisation
    assert torch.isfinite(augment_log_power(log_power(np.zeros((2, CFG.clip_samples), np.float32)),
                                            np.random.default_rng(0))).all()  # digital silence stays finite
