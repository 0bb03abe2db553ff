import dataclasses
import os

import numpy as np
import pytest
import soundfile as sf
import torch

import dataset
from config import CFG, get_device, seed_all
from dataset import (DiskWindows, HelmitAudioDS, cached_log_power, cnn_view, collate_windows,
                     logmel_windows, top_windows, wave_view, window_waves)
from logmel import log_power, normalise_logmel, to_logmel
from utils_audio import load_audio, windows


def tone(sr, seconds, freq=440.0):
    t = np.arange(int(sr * seconds)) / sr
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def waves(n=4, seconds=(3.0, 12.0)):
    rng = np.random.default_rng(0)
    return [rng.standard_normal(int(16000 * rng.uniform(*seconds))).astype(np.float32) * 0.1 for _ in range(n)]


def write_clips(folder, n=3, seconds=(3.0, 21.0), sr=22050):
    """n noise clips at another sample rate (so decoding resamples); the last needs 5 windows."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    paths = []
    for i, sec in enumerate(np.linspace(*seconds, n)):
        paths.append(folder / f"clip{i}.wav")
        sf.write(paths[-1], (0.1 * rng.standard_normal(int(sr * sec))).astype(np.float32), sr)
    return paths


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


def test_disk_cache_holds_exactly_the_features_computed_directly_and_memory_maps_them(tmp_path):
    paths = write_clips(tmp_path / "audio")
    clips, n_new = cached_log_power(paths, tmp_path / "cache")
    assert n_new == 3 and [len(c) for c in clips] == [1, 2, 5]  # 3 s, 12 s and 21 s in 8-s windows with a 4-s hop
    direct = logmel_windows([load_audio(p) for p in paths])  # decoded whole, as infer.py decodes a file
    for c, want in zip(clips, direct):
        got = c.load()
        assert isinstance(got, np.memmap) and got.dtype == np.float16  # read from disk, not held in RAM
        np.testing.assert_array_equal(got, want)  # the same float16 bits: training sees what inference computes
        np.testing.assert_array_equal(np.asarray(c), want)
    names = sorted(p.name for p in (tmp_path / "cache" / "logmel").iterdir())
    assert len(names) == 3 and all(n.startswith("clip") and n.endswith(".npy") for n in names)  # no temp files


def test_disk_cache_is_reused_and_invalidated_by_a_changed_clip_or_setting(tmp_path):
    paths, cache = write_clips(tmp_path / "audio"), tmp_path / "cache"
    first, _ = cached_log_power(paths, cache)
    again, n_new = cached_log_power(paths, cache)
    assert n_new == 0 and [c.path for c in again] == [c.path for c in first]

    sf.write(paths[1], tone(16000, 12.0), 16000)  # an edited clip: new samples, size and mtime
    edited, n_new = cached_log_power(paths, cache)
    assert n_new == 1 and edited[1].path != first[1].path and edited[0].path == first[0].path
    np.testing.assert_array_equal(edited[1].load(), logmel_windows([load_audio(paths[1])])[0])

    st = os.stat(paths[0])  # same bytes, newer mtime (a re-export, a restore): not trusted
    os.utime(paths[0], ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert cached_log_power(paths, cache)[1] == 1

    for change in ({"n_mels": 2 * CFG.n_mels}, {"hop_length": 320}, {"fmax": 7000.0}, {"sample_rate": 8000, "fmax": 4000.0}):
        cfg = dataclasses.replace(CFG, **change)
        other, n_new = cached_log_power(paths, cache, cfg)
        assert n_new == 3, change
        assert other[0].load().shape[1:] == (cfg.n_mels, cfg.clip_samples // cfg.hop_length + 1)
    assert cached_log_power(paths, cache, stride=CFG.clip_samples // 4)[1] == 3  # another hop between windows
    assert cached_log_power(paths, cache)[1] == 0  # the original settings still find their files


def test_disk_cache_recomputes_damaged_files_and_an_interrupted_fill_keeps_what_it_finished(tmp_path, monkeypatch):
    paths, cache = write_clips(tmp_path / "audio"), tmp_path / "cache"
    real, calls = dataset.clip_log_power, []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # Ctrl-C while the second clip is computed
        return real(*args, **kwargs)

    monkeypatch.setattr(dataset, "clip_log_power", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cached_log_power(paths, cache)
    monkeypatch.setattr(dataset, "clip_log_power", real)
    assert len(list((cache / "logmel").iterdir())) == 1  # the finished clip, no half-written file
    clips, n_new = cached_log_power(paths, cache)
    assert n_new == 2
    clips[2].path.write_bytes(b"truncated")
    clips[1].path.write_bytes(clips[1].path.read_bytes()[:200])
    repaired, n_new = cached_log_power(paths, cache)
    assert n_new == 2 and [len(c) for c in repaired] == [1, 2, 5]


def test_training_dataset_reads_windows_from_disk_a_batch_at_a_time(tmp_path):
    clips, _ = cached_log_power(write_clips(tmp_path / "audio"), tmp_path / "cache")
    ds = HelmitAudioDS(clips, [0, 1, 1], cnn_view(train=False))
    assert all(type(c) is DiskWindows for c in ds.clip_windows)  # paths and counts: no feature arrays in RAM
    items = ds.__getitems__([2, 0])  # what the DataLoader calls: the whole batch through one view
    assert [(x.shape[0], y) for x, y in items] == [(5, 1), (1, 0)]
    for (x, _), i in zip(items, (2, 0)):
        torch.testing.assert_close(x, ds[i][0])  # the evaluation view is the same per clip or per batch
        torch.testing.assert_close(x, normalise_logmel(torch.from_numpy(clips[i].load().astype(np.float32))))


def test_training_views_are_augmented_reproducibly_and_wave_view_gives_waveforms():
    w = waves()
    cached = logmel_windows(w)
    train = HelmitAudioDS(cached, [0, 1, 0, 1], cnn_view(train=True), seed=1)
    a, b = train[2][0], train[2][0]
    assert a.shape == b.shape and not torch.equal(a, b)  # a new augmentation each time
    again = HelmitAudioDS(cached, [0, 1, 0, 1], cnn_view(train=True), seed=1)
    torch.testing.assert_close(again[2][0], a)  # same seed, same sequence
    batch = again.__getitems__([0, 3])
    assert [x.shape[0] for x, _ in batch] == [len(cached[0]), len(cached[3])]
    assert all(torch.isfinite(x).all() for x, _ in batch)
    raw = HelmitAudioDS(window_waves(w), [0, 1, 0, 1], wave_view(train=False))
    x, _ = raw[0]
    assert x.shape[1:] == (CFG.clip_samples,) and x.dtype == torch.float32
    noisy = HelmitAudioDS(window_waves(w), [0, 1, 0, 1], wave_view(train=True), seed=0)
    before = window_waves(w)[1].copy()
    assert not torch.equal(noisy[1][0], torch.from_numpy(before)) and np.array_equal(noisy.clip_windows[1], before)


def test_collate_and_mil_pick_each_clips_most_harmful_window():
    batch = [(torch.zeros(3, 2), 1), (torch.zeros(1, 2), 0), (torch.zeros(2, 2), 1)]
    x, owner, y = collate_windows(batch)
    assert x.shape == (6, 2) and owner.tolist() == [0, 0, 0, 1, 2, 2] and y.tolist() == [1, 0, 1]
    margin = torch.tensor([1., 3., -1., -2., 0., 0.])  # logit[harmful] - logit[safe] per window
    assert top_windows(margin, owner, 3).tolist() == [1, 3, 4]  # clip 2: a tie takes its first window


def test_seed_all_and_device():
    seed_all(7)
    a = (np.random.rand(), torch.rand(1).item())
    seed_all(7)
    assert (np.random.rand(), torch.rand(1).item()) == a
    assert get_device("cpu").type == "cpu" and get_device().type in ("cpu", "cuda", "mps")


def test_cached_log_power_is_the_model_front_end():
    power = log_power(tone(16000, 8.0))
    torch.testing.assert_close(normalise_logmel(power), to_logmel(tone(16000, 8.0)))
