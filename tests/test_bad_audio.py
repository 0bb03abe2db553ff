"""Every kind of audio a user can upload, good, odd or broken: each is decoded, scored or refused.

The decisions these tests pin down (utils_audio.py says why for each):
- not audio at all (missing, a directory, 0 bytes, text, an image, an unknown codec) -> HelmitError
  naming the file and the reason, one line from the scripts;
- valid but odd audio (silent, NaN/inf, clipped, 50 ms, truncated mp3) -> scored, with a warning;
- any bit depth, channel count or rate from 8 to 96 kHz -> float32 mono at 16 kHz;
- a one-hour recording -> scored in windows with bounded memory.
"""
import json
import os
import struct
import subprocess
import sys
import warnings
import zlib

import numpy as np
import pytest
import soundfile as sf

import infer
import infer_dataset
import utils_audio
from config import CFG
from conftest import ROOT
from scoring import onnx_window_probs, window_and_stride
from logmel import to_logmel
from utils_audio import AudioStats, iter_audio_blocks, load_audio, resample, stream_windows, windows
from utils_io import HelmitError

SR = 16000


def tone(sr, seconds=1.0, freq=440.0, amp=0.5):
    return (amp * np.sin(2 * np.pi * freq * np.arange(int(sr * seconds)) / sr)).astype(np.float32)


def peak_hz(wave, sr=SR):
    spectrum = np.abs(np.fft.rfft(wave))
    return np.argmax(spectrum) * sr / len(wave)


def wav_bytes(format_tag, data=bytes(4000), sr=SR):
    """A RIFF/WAVE file with any codec tag: 16-bit mono header fields, `data` as the payload."""
    fmt = struct.pack("<HHIIHHH", format_tag, 1, sr, 2 * sr, 2, 16, 0)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def png_bytes():
    """A real 1x1 PNG image."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def classify(tone_session, path):
    sess, meta = tone_session
    window, stride = window_and_stride(meta)
    return infer.classify_file(sess, meta, path, window, stride)


# ---- not audio: a clear error naming the file ----

def bad_files(tmp_path):
    """(path, the message it must give) for every input that is not decodable audio."""
    (tmp_path / "empty.wav").write_bytes(b"")
    sf.write(tmp_path / "zero_frames.wav", np.zeros(0, np.float32), SR)
    (tmp_path / "notes.wav").write_text("these are my meeting notes, not a recording\n" * 20)
    (tmp_path / "photo.wav").write_bytes(png_bytes())
    (tmp_path / "wma_in_wav.wav").write_bytes(wav_bytes(0x0161))  # Windows Media Audio inside a RIFF
    (tmp_path / "voice.m4a").write_bytes(b"\x00\x00\x00\x18ftypM4A \x00\x00\x02\x00isomiso2" + bytes(2000))
    (tmp_path / "a_folder.wav").mkdir()
    return [
        (tmp_path / "empty.wav", "empty file (0 bytes)"),
        (tmp_path / "zero_frames.wav", "decoded to zero samples"),
        (tmp_path / "notes.wav", "cannot decode audio (format not recognised)"),
        (tmp_path / "photo.wav", "cannot decode audio (format not recognised)"),
        (tmp_path / "wma_in_wav.wav", "unsupported codec (WAV format tag 0x0161); convert it to PCM WAV or FLAC"),
        (tmp_path / "voice.m4a", "soundfile does not read .m4a files and audioread failed too"),
        (tmp_path / "missing.wav", "no such file"),
        (tmp_path / "a_folder.wav", "is a directory, expected an audio file"),
    ]


def test_load_audio_refuses_what_is_not_audio_and_names_the_file(tmp_path):
    for path, message in bad_files(tmp_path):
        with pytest.raises(HelmitError) as err:
            load_audio(path)
        assert str(err.value).startswith(f"{path}: ") and message in str(err.value), str(err.value)
        assert "\n" not in str(err.value)


def test_infer_cli_gives_one_error_line_per_bad_file(tone_onnx, tone_corpus, tmp_path):
    cases = bad_files(tmp_path)
    good = tone_corpus / "harmful" / "clip001.wav"
    proc = subprocess.run([sys.executable, str(ROOT / "infer.py"), "--onnx", str(tone_onnx), "--audio_path",
                           str(good), *(str(p) for p, _ in cases)], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == len(cases)  # one line per bad file, nothing else
    for line, (path, message) in zip(lines, cases):
        assert line.startswith(f"error: {path}: ") and message in line, line
    assert str(good) in proc.stdout  # the good file among them is still scored


def test_a_header_with_an_absurd_sample_rate_is_refused(tmp_path):
    # a corrupt header claiming 10 Hz would otherwise be resampled into 1600x as many samples
    (tmp_path / "corrupt.wav").write_bytes(wav_bytes(0x0001, sr=10))
    with pytest.raises(HelmitError, match="corrupt.wav: sample rate 10 Hz in its header is outside 1000-768000 Hz"):
        load_audio(tmp_path / "corrupt.wav")


def test_one_sample_at_96k_is_less_than_one_sample_at_16k(tmp_path):
    sf.write(tmp_path / "blip.wav", np.full(1, 0.5, np.float32), 96000)
    with pytest.raises(HelmitError, match=r"blip.wav: decoded to zero samples at 16000 Hz \(1 at 96000 Hz\)"):
        load_audio(tmp_path / "blip.wav")


# ---- valid but odd: scored, with a warning ----

def test_silence_is_scored_and_flagged(tone_session, tmp_path):
    sf.write(tmp_path / "silence.wav", np.zeros(3 * SR, np.float32), SR)
    result = classify(tone_session, tmp_path / "silence.wav")
    assert 0 <= result["prob_harmful"] <= 1 and result["duration_s"] == 3.0
    assert result["warnings"] == ["very quiet: no sample reaches -60 dBFS"]
    assert np.isfinite(to_logmel(load_audio(tmp_path / "silence.wav")).numpy()).all()


def test_nan_and_inf_samples_are_replaced_and_the_score_is_finite(tone_session, tmp_path):
    wave = tone(SR, 2.0)
    wave[100], wave[200], wave[300] = np.nan, np.inf, -np.inf
    sf.write(tmp_path / "nan.wav", wave, SR, subtype="FLOAT")
    stats = AudioStats()
    decoded = load_audio(tmp_path / "nan.wav", stats=stats)
    assert np.isfinite(decoded).all() and stats.nonfinite == 3
    assert decoded[100] == 0 and decoded[200] == 1 and decoded[300] == -1  # NaN -> 0, inf -> full scale
    result = classify(tone_session, tmp_path / "nan.wav")
    assert np.isfinite(result["prob_harmful"])
    assert any("3 NaN or infinite samples replaced" in w for w in result["warnings"])


@pytest.mark.parametrize("subtype", ["PCM_16", "FLOAT"])
def test_clipping_is_scored_and_flagged(tone_session, tmp_path, subtype):
    loud = np.clip(tone(SR, 2.0, amp=3.0), -1, 1) if subtype == "PCM_16" else tone(SR, 2.0, amp=3.0)
    sf.write(tmp_path / "loud.wav", loud, SR, subtype=subtype)
    decoded = load_audio(tmp_path / "loud.wav")
    assert np.abs(decoded).max() <= 1.0  # float files beyond full scale are clipped like a player would
    result = classify(tone_session, tmp_path / "loud.wav")
    assert 0 <= result["prob_harmful"] <= 1
    [warning] = result["warnings"]
    assert warning.startswith("clipped: ") and float(warning.split()[1].rstrip("%")) > 50
    sf.write(tmp_path / "clean.wav", tone(SR, 2.0), SR)
    assert classify(tone_session, tmp_path / "clean.wav")["warnings"] == []


def test_a_50_ms_clip_is_padded_and_scored(tone_session, tmp_path):
    # Zero-padding to the model's window is what happens to every clip shorter than the window, in
    # training and inference alike; the graph never sees fewer samples than one window.
    sf.write(tmp_path / "blip.wav", tone(SR, 0.05), SR)
    result = classify(tone_session, tmp_path / "blip.wav")
    assert result["n_windows"] == 1 and 0 <= result["prob_harmful"] <= 1 and result["duration_s"] == 0.05
    assert result["warnings"] == ["only 50 ms long: too short to hold a word"]
    sf.write(tmp_path / "one.wav", np.full(1, 0.5, np.float32), SR)  # down to a single sample
    assert 0 <= classify(tone_session, tmp_path / "one.wav")["prob_harmful"] <= 1
    assert to_logmel(np.zeros(5, np.float32)).shape == (CFG.n_mels, 2)  # the front end pads too short an STFT input


def test_a_truncated_mp3_decodes_what_is_there(tone_session, tmp_path):
    sf.write(tmp_path / "full.mp3", tone(SR, 4.0), SR)
    data = (tmp_path / "full.mp3").read_bytes()
    (tmp_path / "half.mp3").write_bytes(data[:len(data) // 2])
    stats = AudioStats()
    wave = load_audio(tmp_path / "half.mp3", stats=stats)
    assert 1.5 * SR < len(wave) < 2.5 * SR and abs(peak_hz(wave) - 440) < 3
    assert stats.warnings() == [f"truncated: decoded {len(wave) / SR:.2f} s of the 4.00 s its header declares"]
    assert classify(tone_session, tmp_path / "half.mp3")["warnings"] == stats.warnings()
    (tmp_path / "stub.mp3").write_bytes(data[:200])  # cut inside the first frame: nothing to decode
    with pytest.raises(HelmitError, match="stub.mp3: cannot decode audio"):
        load_audio(tmp_path / "stub.mp3")


@pytest.mark.parametrize("subtype", ["PCM_16", "PCM_24", "FLOAT"])
def test_a_truncated_wav_is_flagged_by_what_its_data_chunk_declares(tone_session, tmp_path, subtype):
    """libsndfile reports only the frames a cut-off WAV still holds, so the header's own data size
    is what shows the upload stopped early."""
    sf.write(tmp_path / "full.wav", tone(SR, 3.0), SR, subtype=subtype)
    data = (tmp_path / "full.wav").read_bytes()
    (tmp_path / "cut.wav").write_bytes(data[:len(data) // 3])
    stats = AudioStats()
    wave = load_audio(tmp_path / "cut.wav", stats=stats)
    assert 0.9 * SR < len(wave) < 1.1 * SR
    assert stats.warnings() == [f"truncated: decoded {len(wave) / SR:.2f} s of the 3.00 s its header declares"]
    assert classify(tone_session, tmp_path / "cut.wav")["warnings"] == stats.warnings()
    whole = AudioStats()
    load_audio(tmp_path / "full.wav", stats=whole)
    assert whole.warnings() == []
    # a streaming writer's placeholder size (0xFFFFFFFF) says nothing about the length: no warning
    at = data.index(b"data") + 4
    (tmp_path / "stream.wav").write_bytes(data[:at] + b"\xff\xff\xff\xff" + data[at + 4:len(data) // 3])
    streamed = AudioStats()
    load_audio(tmp_path / "stream.wav", stats=streamed)
    assert not any(w.startswith("truncated") for w in streamed.warnings())


# ---- formats, channels and rates: float32 mono at 16 kHz ----

@pytest.mark.parametrize("subtype,tolerance", [("PCM_U8", 1 / 128), ("PCM_16", 1 / 2 ** 15), ("PCM_24", 1e-6),
                                                ("PCM_32", 1e-6), ("FLOAT", 0), ("DOUBLE", 1e-7)])
def test_every_bit_depth_decodes_to_the_same_signal(tmp_path, subtype, tolerance):
    wave = tone(SR, 0.5)
    sf.write(tmp_path / "a.wav", wave, SR, subtype=subtype)
    decoded = load_audio(tmp_path / "a.wav")
    assert decoded.dtype == np.float32 and decoded.shape == wave.shape
    assert np.abs(decoded - wave).max() <= tolerance


def test_six_channels_are_averaged(tmp_path):
    # 5.1: speech in the centre channel only, the others carrying other signals
    channels = np.stack([tone(48000, 1.0, freq=f, amp=0.1) for f in (200, 300, 440, 0, 600, 700)], axis=1)
    channels[:, 2] *= 5  # the loud centre
    sf.write(tmp_path / "surround.wav", channels, 48000, subtype="PCM_24")
    decoded = load_audio(tmp_path / "surround.wav")
    assert len(decoded) == SR and abs(peak_hz(decoded) - 440) < 2
    np.testing.assert_allclose(decoded, resample(channels.mean(axis=1), 48000, SR), atol=1e-5)


@pytest.mark.parametrize("fallback", ["pyav", "audioread"])
def test_a_file_soundfile_cannot_open_is_decoded_by_the_fallback_alike(tmp_path, monkeypatch, fallback):
    # The fallbacks (PyAV, else audioread, for m4a and the like) must mix channels and scale samples as the
    # soundfile path does, without a warning per file.
    if fallback == "audioread":  # what a machine without PyAV does
        monkeypatch.setattr(utils_audio, "_pyav_blocks", lambda path, stats: None)
    stereo = np.stack([tone(22050, 0.5, freq=300, amp=0.4), tone(22050, 0.5, freq=500, amp=0.2)], axis=1)
    sf.write(tmp_path / "stereo.wav", stereo, 22050, subtype="PCM_16")
    expected = load_audio(tmp_path / "stereo.wav")
    # named as a format libsndfile lacks: the fallbacks are for those (a damaged WAV keeps libsndfile's reason)
    (tmp_path / "stereo.m4a").write_bytes((tmp_path / "stereo.wav").read_bytes())

    def refuse(*args, **kwargs):
        raise RuntimeError("Error opening: format not recognised")
    monkeypatch.setattr(utils_audio.sf, "SoundFile", refuse)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # audioread's own WAV reader picks by name; PyAV is tried only for names libsndfile lacks
        decoded = load_audio(tmp_path / ("stereo.wav" if fallback == "audioread" else "stereo.m4a"))
    assert decoded.dtype == np.float32
    np.testing.assert_allclose(decoded, expected, atol=1e-6)


def test_an_m4a_voice_note_decodes_without_ffmpeg(tmp_path):
    """m4a (AAC), the phone's voice-note format: libsndfile cannot read it and audioread needs an ffmpeg
    program; PyAV, which faster-whisper installs, decodes it in a wheel."""
    import av

    stereo = np.stack([tone(44100, 1.0, freq=440, amp=0.4), tone(44100, 1.0, freq=440, amp=0.2)])
    with av.open(str(tmp_path / "note.m4a"), "w") as out:
        stream = out.add_stream("aac", rate=44100)
        stream.layout = "stereo"
        frame = av.AudioFrame.from_ndarray(stereo.astype(np.float32), format="fltp", layout="stereo")
        frame.sample_rate = 44100
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    stats = utils_audio.AudioStats()
    decoded = load_audio(tmp_path / "note.m4a", SR, stats)
    assert stats.sample_rate == 44100 and abs(len(decoded) / SR - 1.0) < 0.1  # AAC adds a few ms of priming
    assert abs(peak_hz(decoded) - 440) < 2
    middle = decoded[SR // 4: 3 * SR // 4]
    assert abs(np.sqrt(2) * middle.std() - 0.3) < 0.02  # the two channels' mean: (0.4 + 0.2) / 2


def test_a_stream_ffmpeg_has_no_decoder_for_fails_as_that_file(tmp_path):
    """Found by the fuzz test: a WAV header claiming 15,120-bit samples, named .m4a, reached PyAV, whose stream
    then had no rate at all; the AttributeError ended a whole batch."""
    import struct

    fmt = struct.pack("<HHIIHH", 1, 1, 16000, 32000, 2, 15120)
    data = bytes(2000)
    (tmp_path / "odd.m4a").write_bytes(b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt " + struct.pack("<I", 16)
                                       + fmt + b"data" + struct.pack("<I", len(data)) + data)
    with pytest.raises(HelmitError, match=r"odd\.m4a: cannot decode audio"):
        load_audio(tmp_path / "odd.m4a")


def test_a_playlist_named_as_audio_is_not_decoded_as_the_file_it_points_to(tmp_path):
    """FFmpeg reads playlists too: a text file named .m4a could make PyAV decode another upload in its name."""
    sf.write(tmp_path / "other.wav", tone(SR, 1.0), SR)
    (tmp_path / "note.m4a").write_text("ffconcat version 1.0\nfile other.wav\n")
    with pytest.raises(HelmitError, match=r"note\.m4a: cannot decode audio"):
        load_audio(tmp_path / "note.m4a")
    # a damaged voice note: PyAV's own reason, not only "install ffmpeg"
    (tmp_path / "cut.m4a").write_bytes(b"\x00\x00\x00\x18ftypM4A \x00\x00\x02\x00isomiso2" + bytes(2000))
    with pytest.raises(HelmitError, match=r"cut\.m4a: cannot decode audio: .*; PyAV: [A-Z][^;]+; install ffmpeg"):
        load_audio(tmp_path / "cut.m4a")


@pytest.mark.parametrize("sr", [8000, 11025, 16000, 22050, 32000, 44100, 48000, 88200, 96000])
def test_any_rate_from_8_to_96_khz_becomes_16_khz(tmp_path, sr):
    sf.write(tmp_path / "a.wav", tone(sr, 1.0, freq=1000), sr)
    decoded = load_audio(tmp_path / "a.wav")
    assert len(decoded) == SR  # length in seconds survives
    assert abs(peak_hz(decoded) - 1000) < 2  # so does the pitch
    assert abs(np.sqrt(2) * decoded[800:-800].std() - 0.5) < 0.01  # and the level


# ---- long recordings: streamed, identical to decoding the whole file ----

@pytest.mark.parametrize("sr,channels,seconds", [(16000, 1, 13.3), (44100, 2, 9.1), (8000, 6, 21.0),
                                                  (96000, 1, 3.0), (22050, 1, 0.04)])
def test_streamed_windows_equal_whole_file_windows(tmp_path, monkeypatch, sr, channels, seconds):
    monkeypatch.setattr(utils_audio, "BLOCK_SAMPLES", 12345)  # many blocks, boundaries inside windows
    wave = np.random.default_rng(0).uniform(-0.5, 0.5, (int(sr * seconds), channels)).astype(np.float32)
    sf.write(tmp_path / "a.flac", wave, sr, subtype="PCM_24")
    whole = load_audio(tmp_path / "a.flac")
    np.testing.assert_array_equal(np.concatenate(list(iter_audio_blocks(tmp_path / "a.flac"))), whole)
    monkeypatch.setattr(utils_audio, "BLOCK_SAMPLES", 1 << 30)  # the reference: one block, one resampler call
    assert np.array_equal(load_audio(tmp_path / "a.flac"), whole)
    monkeypatch.setattr(utils_audio, "BLOCK_SAMPLES", 12345)
    for window, stride in ((SR * 2, SR), (SR, SR), (SR * 3, 7001)):
        starts, batch = windows(whole, window, stride)
        streamed = list(stream_windows(tmp_path / "a.flac", window, stride))
        assert [s for s, _ in streamed] == starts
        np.testing.assert_array_equal(np.stack([w for _, w in streamed]), batch)


def test_infer_dataset_batches_streamed_clips_like_one_clip_at_a_time(tone_session, tmp_path, monkeypatch):
    monkeypatch.setattr(utils_audio, "BLOCK_SAMPLES", 4 * SR)  # 4-s blocks: clips span many batches
    sess, meta = tone_session
    window, stride = window_and_stride(meta)
    rng = np.random.default_rng(0)
    lengths = [30.0, 0.5, 2.0, "corrupt", 50.0, "text", 9.0]
    rows = []
    for i, seconds in enumerate(lengths):
        path = tmp_path / f"c{i}.flac"
        if seconds == "text":
            path.write_text("not audio")
        else:
            n = int(SR * (30 if seconds == "corrupt" else seconds))
            sf.write(path, tone(SR, n / SR, freq=300 + 50 * i) + 0.01 * rng.standard_normal(n).astype(np.float32), SR)
        if seconds == "corrupt":  # zeroed bytes half way: libFLAC fails after windows were queued and scored
            data = bytearray(path.read_bytes())
            data[len(data) // 2:len(data) // 2 + 2000] = bytes(2000)
            path.write_bytes(data)
        rows.append({"abspath": str(path), "path": path.name})
    results = {row["path"]: (p, err) for row, p, err, warns in infer_dataset.score_rows(sess, meta, rows, 5, window, stride)
               if not warns or pytest.fail(f"{row['path']}: {warns}")}
    assert len(results) == len(rows)
    assert results["c3.flac"][0] is None and "c3.flac: cannot decode audio past 1" in results["c3.flac"][1]
    assert results["c5.flac"][0] is None and "c5.flac: cannot decode audio" in results["c5.flac"][1]
    for row, seconds in zip(rows, lengths):
        if isinstance(seconds, float):
            expected = float(np.max(onnx_window_probs(sess, load_audio(row["abspath"]), window, stride)[1]))
            assert results[row["path"]] == (pytest.approx(expected, abs=1e-6), "")


def test_a_one_hour_recording_is_scored_in_bounded_memory(tone_onnx, tone_corpus, tmp_path):
    # 8 kHz int16 keeps the file at 58 MB and exercises the streaming resampler. Decoded whole at
    # 16 kHz it is 230 MB of float32, and its 8-s windows would be 230 MB more.
    hour = tmp_path / "hour.wav"
    rng = np.random.default_rng(0)
    with sf.SoundFile(hour, "w", 8000, 1, subtype="PCM_16") as f:
        minute = (0.1 * rng.standard_normal(8000 * 60)).astype(np.float32)
        for _ in range(60):
            f.write(minute)
    args = ["--onnx", tone_onnx, "--stride_sec", "8", "--json"]
    short_rss, _ = peak_rss_mb(tmp_path, *args, "--audio_path", tone_corpus / "safe" / "clip000.wav")
    hour_rss, out = peak_rss_mb(tmp_path, *args, "--audio_path", hour)
    result = json.loads(out)
    assert result["duration_s"] == 3600.0 and result["n_windows"] == 450 and 0 <= result["prob_harmful"] <= 1
    assert hour_rss - short_rss < 80, f"scoring an hour took {hour_rss - short_rss:.0f} MB more than a short clip"


def peak_rss_mb(tmp_path, *args):
    """(peak resident memory in MB, stdout) of one infer.py run."""
    out, err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    with open(out, "w") as fout, open(err, "w") as ferr:
        proc = subprocess.Popen([sys.executable, str(ROOT / "infer.py"), *map(str, args)], cwd=ROOT,
                                stdout=fout, stderr=ferr)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage, not every child's maximum
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 0, err.read_text()
    return usage.ru_maxrss / 1024, out.read_text()  # ru_maxrss is in kB on Linux
