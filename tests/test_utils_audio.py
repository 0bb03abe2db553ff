import numpy as np
import pytest
import soundfile as sf
import torch

from config import CFG
from model import LiteAudioCNN
from logmel import to_logmel
from utils_audio import add_noise, crop_or_pad, load_audio, window_starts, windows
from utils_io import HelmitError


def tone(sr, seconds=1.0, freq=440.0, channels=1):
    t = np.arange(int(sr * seconds)) / sr
    x = (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.stack([x] * channels, axis=1) if channels > 1 else x


@pytest.mark.parametrize("sr,channels,ext,subtype", [
    (8000, 1, "wav", "PCM_16"), (44100, 2, "wav", "PCM_16"), (22050, 1, "flac", "PCM_16"),
    (16000, 6, "wav", "FLOAT"), (48000, 1, "mp3", None)])
def test_load_audio_any_rate_and_channels_gives_16k_mono(tmp_path, sr, channels, ext, subtype):
    path = tmp_path / f"clip.{ext}"
    sf.write(path, tone(sr, channels=channels), sr, subtype=subtype)
    wave = load_audio(path)
    assert wave.dtype == np.float32 and wave.ndim == 1
    assert abs(len(wave) - 16000) < 1200  # mp3 adds encoder padding
    # the 440 Hz tone survives resampling: the spectral peak is at 440 Hz
    spectrum = np.abs(np.fft.rfft(wave[:16000] if len(wave) >= 16000 else np.pad(wave, (0, 16000 - len(wave)))))
    assert abs(np.argmax(spectrum) - 440) <= 2


def test_load_audio_errors_name_the_file(tmp_path):
    with pytest.raises(HelmitError, match="no such file"):
        load_audio(tmp_path / "missing.wav")
    with pytest.raises(HelmitError, match="is a directory"):
        load_audio(tmp_path)
    bad = tmp_path / "notes.wav"
    bad.write_text("this is not audio")
    with pytest.raises(HelmitError, match="notes.wav: cannot decode"):
        load_audio(bad)
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(HelmitError, match="empty"):
        load_audio(empty)


def test_crop_or_pad_and_windows():
    x = np.arange(10, dtype=np.float32)
    assert crop_or_pad(x, 4, "center").tolist() == [3, 4, 5, 6]
    assert crop_or_pad(x, 4, "start").tolist() == [0, 1, 2, 3]
    assert crop_or_pad(x, 12).tolist() == list(range(10)) + [0, 0]
    r = crop_or_pad(x, 4, "random", np.random.default_rng(0))
    assert len(r) == 4 and r[1] - r[0] == 1
    assert window_starts(10, 4, 2) == [0, 2, 4, 6]
    assert window_starts(11, 4, 3) == [0, 3, 6, 7]  # last window flush with the end
    starts, batch = windows(np.ones(3, np.float32), 4, 2)
    assert starts == [0] and batch.shape == (1, 4) and batch[0, 3] == 0


def test_features_from_path_array_tensor_and_model_front_end_agree(tmp_path):
    wave = tone(16000, 2.0)
    sf.write(tmp_path / "a.wav", wave, 16000, subtype="FLOAT")
    from_path, from_array = to_logmel(tmp_path / "a.wav"), to_logmel(wave)
    from_tensor = to_logmel(torch.from_numpy(wave))
    assert from_path.shape == (CFG.n_mels, 2 * 16000 // CFG.hop_length + 1)
    torch.testing.assert_close(from_path, from_array)
    torch.testing.assert_close(from_array, from_tensor)
    # the model's own front end (what gets exported to ONNX) computes the same features
    model_frontend = LiteAudioCNN().eval().frontend
    with torch.no_grad():
        torch.testing.assert_close(model_frontend(torch.from_numpy(wave)[None])[0], from_array)


def test_logmel_ignores_loudness():
    wave = tone(16000, 1.0) + 0.01 * np.random.default_rng(0).standard_normal(16000).astype(np.float32)
    torch.testing.assert_close(to_logmel(wave), to_logmel(wave * 0.1), atol=1e-3, rtol=1e-3)


def test_add_noise_hits_requested_snr():
    rng = np.random.default_rng(0)
    wave = tone(16000, 2.0)
    noisy = add_noise(wave, 20.0, rng)
    snr = 10 * np.log10(np.mean(wave ** 2) / np.mean((noisy - wave) ** 2))
    assert abs(snr - 20.0) < 0.5
