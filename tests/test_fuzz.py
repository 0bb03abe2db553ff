"""Property-based fuzzing of everything user audio passes through: decoding, features, scoring.

The one property: whatever the bytes or samples, the answer is either a finite result of the
right shape or Helmit's own one-line error naming the file. Nothing else may escape.
Set HELMIT_FUZZ_SCALE=10 (say) to run ten times as many examples.
"""
import functools
import io
import os
import re

import numpy as np
import soundfile as sf
import torch
from hypothesis import HealthCheck, event, given, settings, strategies as st

import infer
from config import CFG
from scoring import onnx_window_probs, window_and_stride
from logmel import to_logmel
from utils_audio import MAX_FILE_SR, MIN_FILE_SR, load_audio
from utils_io import HelmitError

SCALE = float(os.environ.get("HELMIT_FUZZ_SCALE", "1"))


def fuzz(examples):
    # deadline=None: the first example pays for imports and ONNX Runtime's warm-up
    return settings(max_examples=int(examples * SCALE), deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def check_clear_error(path, err):
    """A HelmitError must be one line naming the file; tally its kind for --hypothesis-show-statistics."""
    assert str(err).startswith(f"{path}: ") and "\n" not in str(err), str(err)
    event(re.sub(r"\d+", "N", str(err)[len(str(path)) + 2:])[:50])


def decode_or_clear_error(path):
    """load_audio's output, checked; None when it raised a proper HelmitError."""
    try:
        wave = load_audio(path)
    except HelmitError as e:
        check_clear_error(path, e)
        return None
    event("decoded")
    assert wave.dtype == np.float32 and wave.ndim == 1 and len(wave) > 0
    assert np.isfinite(wave).all()
    return wave


# ---- random and mutated bytes ----

SEED_FORMATS = {  # (container, subtype, channels, sample rate)
    "wav": ("WAV", "PCM_16", 1, 16000), "wav6": ("WAV", "FLOAT", 6, 48000),
    "adpcm": ("WAV", "IMA_ADPCM", 1, 8000), "flac": ("FLAC", "PCM_24", 2, 44100),
    "ogg": ("OGG", "VORBIS", 1, 22050), "mp3": ("MP3", "MPEG_LAYER_III", 1, 16000),
    "aiff": ("AIFF", "PCM_16", 2, 32000), "au": ("AU", "ULAW", 1, 8000),
}
MAGIC = [b"RIFF\xff\xff\xff\x7fWAVEfmt ", b"fLaC", b"OggS", b"ID3\x04", b"FORM\x00\x00\x10\x00AIFF", b".snd",
         b"\xff\xfb", b"\x89PNG\r\n\x1a\n", b""]


@functools.lru_cache(maxsize=None)
def seed_bytes(name):
    """A valid 0.3-s file of each format, to mutate: random bytes alone rarely get past a header."""
    container, subtype, channels, sr = SEED_FORMATS[name]
    t = np.arange(int(0.3 * sr)) / sr
    wave = np.stack([0.5 * np.sin(2 * np.pi * (300 + 100 * c) * t) for c in range(channels)], axis=1)
    buf = io.BytesIO()
    sf.write(buf, wave.astype(np.float32), sr, format=container, subtype=subtype)
    return buf.getvalue()


@st.composite
def mutated_files(draw):
    data = bytearray(seed_bytes(draw(st.sampled_from(sorted(SEED_FORMATS)))))
    for _ in range(draw(st.integers(0, 6))):  # byte flips, mostly in the header where the numbers live
        at = draw(st.one_of(st.integers(0, 79), st.integers(0, len(data) - 1)))
        data[at] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        data = data[:draw(st.integers(0, len(data)))]
    return bytes(data)


@fuzz(examples=250)
@given(data=st.one_of(mutated_files(), st.builds(bytes.__add__, st.sampled_from(MAGIC), st.binary(max_size=3000))),
       ext=st.sampled_from(["wav", "flac", "mp3", "ogg", "m4a", "bin", ""]))
def test_random_bytes_decode_or_fail_clearly(tmp_path, data, ext):
    path = tmp_path / (f"upload.{ext}" if ext else "upload")
    path.write_bytes(data)
    wave = decode_or_clear_error(path)
    if wave is not None:
        assert len(wave) < 100 * len(data) + 16000  # no header can conjure hours out of a few kB
        assert np.isfinite(to_logmel(wave).numpy()).all()


# ---- random samples written at random rates and bit depths ----

SUBTYPES = [("WAV", s) for s in ("PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE", "ULAW", "ALAW")] + \
           [("FLAC", "PCM_16"), ("FLAC", "PCM_24")]
SPECIAL = st.sampled_from([np.nan, np.inf, -np.inf, 1e38, -3e38, 1e-45, -1e-40, 1.0, -1.0, 0.0, 65504.0])


@st.composite
def signals(draw, max_seconds=3.0):
    """(samples (n, channels) float32, sample rate): noise of any level with special values injected."""
    sr = draw(st.one_of(st.sampled_from([8000, 16000, 44100, 96000]), st.integers(1, 200_000)))
    channels = draw(st.sampled_from([1, 1, 2, 6]))
    n = draw(st.integers(0, int(max_seconds * min(sr, 96000) / channels)))
    level = draw(st.sampled_from([0.0, 1e-30, 1e-4, 0.3, 1.0, 4.0, 1e20]))
    wave = level * np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1))).standard_normal((n, channels))
    wave = wave.astype(np.float32)
    for value, at in draw(st.lists(st.tuples(SPECIAL, st.integers(0, 10 ** 9)), max_size=8 if n else 0)):
        wave.flat[at % wave.size] = value
    return wave, sr


def write_signal(path, wave, sr, container, subtype):
    """Write a fuzzed signal; False when soundfile will not, so no user could have such a file."""
    if subtype in ("ULAW", "ALAW"):  # libsndfile's mu/A-law writers index a table with the sample value
        wave = np.clip(np.nan_to_num(wave), -1, 1)  # and segfault beyond full scale
    try:
        sf.write(path, wave, sr, format=container, subtype=subtype)
    except Exception:  # NaN into FLAC, FLAC at 123457 Hz: refused
        return False
    return True


@fuzz(examples=120)
@given(signal=signals(), format_subtype=st.sampled_from(SUBTYPES))
def test_random_signals_decode_to_finite_features(tmp_path, signal, format_subtype):
    wave, sr = signal
    path = tmp_path / f"clip.{format_subtype[0].lower()}"
    if not write_signal(path, wave, sr, *format_subtype):
        return
    decoded = decode_or_clear_error(path)
    if decoded is None:
        assert not len(wave) or not MIN_FILE_SR <= sr <= MAX_FILE_SR or len(wave) * CFG.sample_rate < sr
        return
    assert abs(len(decoded) - len(wave) * CFG.sample_rate / sr) <= 1  # the length in seconds survives
    assert np.abs(decoded).max() <= 4  # clipped to full scale, then the resampler's sinc rings (2.4x on +-1 noise)
    spec = to_logmel(decoded)
    assert spec.shape[0] == CFG.n_mels and torch.isfinite(spec).all()


def as_decoded(signal):
    """What load_audio could make of a signal: its first channel, repaired and clipped."""
    samples = signal[0][:, 0] if len(signal[0]) else np.zeros(0, np.float32)
    return np.clip(np.nan_to_num(samples), -1, 1)


@fuzz(examples=100)
@given(wave=st.one_of(st.lists(st.floats(-1, 1, width=32), max_size=3000).map(lambda x: np.array(x, np.float32)),
                      signals().map(as_decoded)))
def test_front_end_is_finite_on_anything_load_audio_can_return(wave):
    """to_logmel's input contract is load_audio's output: float32 in [-1, 1], any length, even 0."""
    spec = to_logmel(wave)
    assert spec.shape[0] == CFG.n_mels and torch.isfinite(spec).all()


# ---- the scoring path ----

@fuzz(examples=40)
@given(signal=signals(max_seconds=20.0), format_subtype=st.sampled_from(SUBTYPES[:6]))  # mu/A-law: above
def test_infer_scores_any_file_in_0_1_or_fails_clearly(tmp_path, tone_session, signal, format_subtype):
    sess, meta = tone_session
    wave, sr = signal
    path = tmp_path / f"clip.{format_subtype[0].lower()}"
    if not write_signal(path, wave, sr, *format_subtype):
        return
    window, stride = window_and_stride(meta)
    try:
        result = infer.classify_file(sess, meta, path, window, stride)
    except HelmitError as e:
        check_clear_error(path, e)
        return
    event("scored")
    assert 0 <= result["prob_harmful"] <= 1 and 0 <= result["probability"] <= 1
    assert result["n_windows"] >= 1 and all(isinstance(w, str) for w in result["warnings"])


@fuzz(examples=40)
@given(signal=signals(max_seconds=20.0))
def test_onnx_scores_raw_arrays_in_0_1_or_fails_clearly(tone_session, signal):
    """Even unrepaired samples (NaN, 1e38) straight into the graph: a probability or a clear error."""
    sess, meta = tone_session
    window, stride = window_and_stride(meta)
    wave = signal[0][:, 0] if len(signal[0]) else np.zeros(0, np.float32)
    try:
        starts, probs = onnx_window_probs(sess, wave, window, stride)
    except HelmitError as e:
        assert "the model returned NaN or infinite scores" in str(e)
        assert not np.isfinite(wave).all() or np.abs(wave).max() > 1e10
        event("refused: NaN scores")
        return
    event("scored")
    assert len(starts) == len(probs) >= 1 and ((probs >= 0) & (probs <= 1)).all()
