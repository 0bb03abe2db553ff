"""Audio in: decoding (streamed in blocks), resampling, crop/pad, windows, noise. No torch.

Nothing else in the repo decodes audio. The features are computed in `logmel.py`, the other half
of the one audio front end. This half needs only numpy, soundfile and soxr, so the ONNX scoring
path (`infer.py`, `infer_dataset.py`) starts in a fraction of a second instead of importing torch.
"""
import dataclasses
import itertools
import math
import os
import struct
from pathlib import Path

import numpy as np
import soundfile as sf

from config import AUDIO_EXTENSIONS, CFG
from utils_io import HelmitError

# ---- decoding: every file is read in blocks, so a one-hour upload never sits in memory whole ----
BLOCK_SAMPLES = 1 << 20  # decoded per read (frames x channels): 4 MB of float32, 65 s of 16 kHz mono
# A header outside this range is corrupt (or a fuzzer's): resampling 1 Hz "audio" to 16 kHz would
# multiply a small file into gigabytes. 1 kHz is below any telephone codec, 768 kHz above any DAC.
MIN_FILE_SR, MAX_FILE_SR = 1000, 768000
MIN_CLIP_SEC = 0.1  # shorter than a syllable: scored (zero-padded like every short clip) but flagged
SILENT_PEAK = 1e-3  # -60 dBFS: below this a listener hears next to nothing (a warning; Whisper may still hear words)
# -80 dBFS: below this Whisper base hears nothing in speech, and makes words up in digital silence (a
# muted microphone's 120 s of zeros came out "You You You You", read as a threat). Measured on a corpus
# clip scaled down: its words still heard at -70 dBFS, none at -74; so quieter clips are not transcribed.
NO_SOUND_PEAK = 1e-4
CLIP_LEVEL = 0.99  # 8-bit PCM tops out at 127/128 = 0.992, so "full scale" has to start below that
# Peak-normalised speech reaches full scale at a few peaks; clipped speech sits there in flat tops
CLIPPED_FRACTION = 1e-3
# WAV format tags libsndfile decodes (PCM, ADPCM, float, A-law, mu-law, IMA, GSM, G721, MP3, extensible);
# for any other tag it says "Malformed 'fmt ' chunk", which sounds like corruption, not a codec it lacks
SOUNDFILE_WAV_TAGS = {0x0001, 0x0002, 0x0003, 0x0006, 0x0007, 0x0011, 0x0031, 0x0040, 0x0055, 0xFFFE}


@dataclasses.dataclass
class AudioStats:
    """What decoding one file saw, gathered block by block: infer.py reports it as warnings."""
    sample_rate: int = 0  # the file's own rate
    declared_frames: int = 0  # what the header promises
    frames: int = 0  # what was decoded
    samples: int = 0  # samples out, at the requested rate
    peak: float = 0.0  # loudest sample of any channel, after repair
    clipped: int = 0  # frames with a channel at full scale
    nonfinite: int = 0  # NaN/inf samples replaced

    def warnings(self) -> list:
        seconds = self.frames / max(self.sample_rate, 1)
        notes = []
        if self.frames < 0.99 * self.declared_frames:
            notes.append(f"truncated: decoded {seconds:.2f} s of the "
                         f"{self.declared_frames / self.sample_rate:.2f} s its header declares")
        if seconds < MIN_CLIP_SEC:
            notes.append(f"only {seconds * 1000:.0f} ms long: too short to hold a word")
        if self.peak < SILENT_PEAK:
            notes.append("very quiet: no sample reaches -60 dBFS")
        if self.clipped > CLIPPED_FRACTION * self.frames:
            notes.append(f"clipped: {100 * self.clipped / self.frames:.1f}% of samples at full scale")
        if self.nonfinite:
            notes.append(f"{self.nonfinite} NaN or infinite samples replaced (NaN by 0, inf by full scale)")
        return notes


def list_audio_files(folder: Path) -> list:
    """Audio files under `folder` by extension (any case), sorted; hidden files and dirs skipped
    (macOS `._clip.wav` resource forks carry an audio suffix but hold no audio)."""
    return sorted(p for p in folder.rglob("*")
                  if p.suffix.lower() in AUDIO_EXTENSIONS and p.is_file()
                  and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def _check_path(path) -> Path:
    path = Path(path)
    if not path.exists():
        raise HelmitError(f"{path}: no such file")
    if path.is_dir():
        raise HelmitError(f"{path}: is a directory, expected an audio file")
    if path.stat().st_size == 0:
        raise HelmitError(f"{path}: empty file (0 bytes)")
    if not os.access(path, os.R_OK):
        raise HelmitError(f"{path}: permission denied")
    return path


def _wav_header(path):
    """{"format_tag", "block_align", "data_bytes"} from a RIFF/WAVE file's chunks (each None when its
    chunk is not in the first 64 KB), or None when the file is not one."""
    try:
        with open(path, "rb") as f:
            head = f.read(1 << 16)
    except OSError:
        return None
    if head[:4] not in (b"RIFF", b"RF64") or head[8:12] != b"WAVE":
        return None
    out, pos = {"format_tag": None, "block_align": None, "data_bytes": None}, 12
    while pos + 8 <= len(head):
        chunk, size = head[pos:pos + 4], struct.unpack("<I", head[pos + 4:pos + 8])[0]
        if chunk == b"fmt " and pos + 22 <= len(head):
            out["format_tag"], _, _, _, out["block_align"] = struct.unpack("<HHIIH", head[pos + 8:pos + 22])
        if chunk == b"data":
            out["data_bytes"] = size
            break
        pos += 8 + size + (size & 1)  # chunks are padded to an even length
    return out


def _wav_format_tag(path):
    """The codec tag of a RIFF/WAVE file, or None when the file is not one."""
    header = _wav_header(path)
    return header and header["format_tag"]


def _decode_error(path, sf_err, fallback_err, pyav_err=None) -> HelmitError:
    """One clear line for a file neither soundfile nor audioread could open."""
    tag = _wav_format_tag(path)
    if tag is not None and tag not in SOUNDFILE_WAV_TAGS:
        return HelmitError(f"{path}: unsupported codec (WAV format tag 0x{tag:04X}); convert it to PCM WAV or FLAC")
    ext = path.suffix.lower().lstrip(".")
    if ext and ext.upper() not in sf.available_formats() and ext not in ("aif", "oga", "opus"):
        why = str(fallback_err).strip() or type(fallback_err).__name__  # audioread: NoBackendError, no text
        # PyAV's own reason too, when it had one: a damaged file is not cured by installing ffmpeg
        pyav = f"; PyAV: {pyav_err}" if pyav_err else ""
        return HelmitError(f"{path}: cannot decode audio: soundfile does not read .{ext} files and audioread "
                           f"failed too ({why}){pyav}; install ffmpeg or convert it to WAV or FLAC")
    return HelmitError(f"{path}: cannot decode audio ({_reason(sf_err)})")


def _reason(err) -> str:
    """libsndfile's message, trimmed to fit in parentheses: 'Error : flac decoder lost sync.' -> '...'."""
    why = str(getattr(err, "error_string", "") or err).strip().rstrip(".")
    why = why.removeprefix("Error :").removeprefix("Error:").strip() or type(err).__name__
    if why.startswith("File does not exist"):  # libsndfile's words for a stream it cannot parse
        why = "corrupt or truncated stream"
    return why[:1].lower() + why[1:]


# FFmpeg's demuxers of audio files, by their names in FFmpeg (mov covers m4a, mp4 and 3gp)
PYAV_FORMATS = "mov,mp4,m4a,3gp,3g2,mj2,aac,asf,matroska,webm,ogg,wav,w64,flac,mp3,caf,amr,aiff,au,wv,ape,tta"


def _pyav_blocks(path, stats, why):
    """(frames, channels) float32 blocks decoded by PyAV (FFmpeg's libraries in a wheel; faster-whisper
    installs it, so it is on every machine that transcribes): m4a/AAC and the other formats libsndfile lacks,
    streamed. None when PyAV is not installed or cannot open the file (its reason appended to `why`)."""
    try:
        import av

        # only audio containers: FFmpeg also reads playlists (concat, hls) that would score another file in
        # this one's name, and an upload is not to be trusted
        container = av.open(str(path), options={"format_whitelist": PYAV_FORMATS})
    except ImportError:
        return None
    except Exception as e:
        why.append(getattr(e, "strerror", None) or type(e).__name__)  # FFmpeg's words, without the path again
        return None
    try:
        stream = next((s for s in container.streams if s.type == "audio"), None)
        if stream is None:
            container.close()
            why.append("no audio stream")
            return None
    except Exception:
        container.close()
        return None

    def blocks():
        with container:
            stats.declared_frames = 0
            try:
                to_float = av.AudioResampler(format="flt")  # packed float32 at the file's own rate and channels
                for frame in container.decode(stream):
                    for out in to_float.resample(frame):
                        # the rate of what was decoded: a damaged stream's header may not say (a fuzzed
                        # file's AudioStream had no rate at all)
                        stats.sample_rate = stats.sample_rate or int(out.sample_rate)
                        yield out.to_ndarray().reshape(-1, len(out.layout.channels))
            except Exception as e:  # FFmpeg's errors, and the resampler's on a stream whose layout or rate changes
                past = f" past {stats.frames / stats.sample_rate:.1f} s" if stats.frames and stats.sample_rate else ""
                raise HelmitError(f"{path}: cannot decode audio{past} ({e})") from None

    return blocks()


def _fallback_blocks(path, sf_err, stats):
    """Formats soundfile lacks, such as m4a: PyAV, streamed; else the whole file via audioread (ffmpeg or
    GStreamer when installed).

    audioread cannot seek, so its files are held in memory whole; every format soundfile reads
    (wav, flac, ogg, mp3, aiff, ...) streams in bounded memory instead. audioread is called directly,
    not through librosa.load: librosa warns on every file it hands over, and silencing that with
    warnings.catch_warnings is not thread-safe (prep_dataset decodes in threads).
    """
    # only for what libsndfile cannot read: a damaged FLAC or WAV keeps libsndfile's own reason
    ext = path.suffix.lower().lstrip(".")
    pyav_why = []
    pyav = _pyav_blocks(path, stats, pyav_why) if ext and ext.upper() not in sf.available_formats() else None
    if pyav is not None:
        yield from pyav
        return
    try:
        import audioread

        with audioread.audio_open(str(path)) as f:
            file_sr, channels = int(f.samplerate), max(int(f.channels), 1)
            pcm = np.frombuffer(b"".join(f), dtype="<i2")  # audioread yields 16-bit little-endian PCM
    except Exception as fallback_err:
        raise _decode_error(path, sf_err, fallback_err, pyav_why[0] if pyav_why else None) from None
    wave = (pcm[: len(pcm) // channels * channels].reshape(-1, channels).mean(axis=1) / 32768.0).astype(np.float32)
    stats.sample_rate, stats.declared_frames = file_sr, len(wave)
    if len(wave):
        yield wave[:, None]  # (S, 1)


def _wav_declared_frames(path, f):
    """Frames a WAV file's data chunk declares (0 when unknown). libsndfile trusts the file's length
    instead and reports only what is there, so a WAV cut off mid-upload would pass unnoticed."""
    header = _wav_header(path) if f.format in ("WAV", "WAVEX") else None
    if not header or not header["block_align"] or header["data_bytes"] in (None, 0, 0xFFFFFFFF):
        return 0  # 0 and 0xFFFFFFFF: a streaming writer that never went back to fill the size in (RF64 keeps it elsewhere)
    return header["data_bytes"] // header["block_align"]


def _native_blocks(path, stats):
    """(frames, channels) float32 blocks at the file's own rate; fills stats.sample_rate first."""
    try:
        f = sf.SoundFile(str(path))
    except Exception as sf_err:
        yield from _fallback_blocks(path, sf_err, stats)
        return
    with f:
        stats.sample_rate, stats.declared_frames = f.samplerate, max(f.frames, _wav_declared_frames(path, f))
        block_frames = max(1, BLOCK_SAMPLES // f.channels)
        while True:
            try:
                block = f.read(block_frames, dtype="float32", always_2d=True)  # (S, C)
            except Exception as e:
                past = f" past {stats.frames / f.samplerate:.1f} s" if stats.frames else ""
                raise HelmitError(f"{path}: cannot decode audio{past} ({_reason(e)})") from None
            if not len(block):
                return
            yield block


def _repair(block, stats) -> np.ndarray:
    """(S, C) -> (S,) mono: NaN/inf replaced, clipped to full scale, channels averaged."""
    stats.frames += len(block)
    # min and max first: two passes with no temporary array. They are NaN or inf exactly when some
    # sample is, and below CLIP_LEVEL (most blocks) nothing needs clipping or counting, so the
    # four full-size temporaries of the general path below (it was a third of decoding) are skipped.
    low, high = float(block.min()), float(block.max())
    if math.isfinite(low) and math.isfinite(high) and max(-low, high) < CLIP_LEVEL:
        stats.peak = max(stats.peak, -low, high)
    else:
        finite = np.isfinite(block)
        if not finite.all():
            stats.nonfinite += int(block.size - finite.sum())
            block = np.nan_to_num(block, nan=0.0, posinf=1.0, neginf=-1.0)
        # Float files can hold any value; a player clips them at full scale, so the model hears what a
        # listener would. It also keeps the mel power finite: 1e20 squared overflows float32.
        block = np.clip(block, -1.0, 1.0)
        loud = np.abs(block)
        stats.peak = max(stats.peak, float(loud.max()))
        stats.clipped += int((loud >= CLIP_LEVEL).any(axis=1).sum())
    # Channel by channel: numpy's mean(axis=1) walks each short row on its own and took 15x as
    # long. Added in order, as numpy itself adds fewer than 8 values, so up to 7 channels the
    # result is bit for bit that mean's; mono passes through untouched.
    mono = block[:, 0]  # (S,)
    for c in range(1, block.shape[1]):
        mono = mono + block[:, c]
    return mono if block.shape[1] == 1 else mono / np.float32(block.shape[1])


def _check_rate(path, file_sr):
    if not MIN_FILE_SR <= file_sr <= MAX_FILE_SR:
        raise HelmitError(f"{path}: sample rate {file_sr} Hz in its header is outside "
                          f"{MIN_FILE_SR}-{MAX_FILE_SR} Hz: the file is corrupt")


def _resampled(path, blocks, stats, sr):
    """Mono blocks at the file's rate -> blocks at `sr`, with soxr (librosa's own default resampler,
    called directly to skip librosa's import cost).

    A file that fits in one block (BLOCK_SAMPLES: 65 s of 16 kHz mono, 12 s of 44.1 kHz
    stereo) takes soxr's one-shot call: the same samples as its streaming resampler, in three
    quarters of the time. Longer files stream."""
    first = next(blocks, None)
    if first is None:
        return
    second = next(blocks, None)  # read one block ahead: is the first also the last?
    _check_rate(path, stats.sample_rate)
    if second is None:
        yield resample(first, stats.sample_rate, sr)
        return
    if stats.sample_rate == sr:
        yield from itertools.chain([first, second], blocks)
        return
    yield from resample_stream(itertools.chain([first, second], blocks), stats.sample_rate, sr)


def resample_stream(blocks, orig_sr: int, sr: int):
    """Blocks at `orig_sr` -> blocks at `sr`, resampled as one stream: concatenated, the same samples as
    resample() of the whole wave (soxr's streaming resampler), one block held at a time."""
    import soxr

    stream = soxr.ResampleStream(orig_sr, sr, 1, dtype="float32", quality="HQ")
    for block in blocks:
        yield stream.resample_chunk(block)
    yield stream.resample_chunk(np.zeros(0, np.float32), last=True)  # the resampler's delay line


def iter_audio_blocks(path, sr: int = CFG.sample_rate, stats=None):
    """Yield float32 mono blocks of a file at `sr`, decoding at most BLOCK_SAMPLES at a time.

    Concatenated they are exactly `load_audio(path, sr)`: soxr's streaming resampler returns the
    same samples as its one-shot call. Raises HelmitError naming the file. Pass an AudioStats to
    learn the clip's length, level and what was repaired.
    """
    path = _check_path(path)
    stats = AudioStats() if stats is None else stats
    mono = (_repair(block, stats) for block in _native_blocks(path, stats))
    for out in _resampled(path, mono, stats, sr):
        stats.samples += len(out)
        if len(out):
            yield out
    if stats.samples == 0:
        found = f" at {sr} Hz ({stats.frames} at {stats.sample_rate} Hz)" if stats.frames else ""
        raise HelmitError(f"{path}: decoded to zero samples{found}")


def load_audio(path, sr: int = CFG.sample_rate, stats=None) -> np.ndarray:
    """Decode any soundfile/audioread-readable file to float32 mono at `sr`. Raises HelmitError."""
    return np.concatenate(list(iter_audio_blocks(path, sr, stats)))


def stream_windows(path, window: int, stride: int, sr: int = CFG.sample_rate, stats=None):
    """Yield (start, window) pairs equal to those of `windows(load_audio(path, sr), window, stride)`.

    Holds one decoded block plus one window, whatever the file's length.
    """
    buf, buf_start, next_start = np.zeros(0, np.float32), 0, 0  # buf holds samples from buf_start on
    for block in iter_audio_blocks(path, sr, stats):
        buf = np.concatenate([buf, block])
        end = buf_start + len(buf)
        while next_start + window <= end:
            yield next_start, buf[next_start - buf_start:next_start - buf_start + window].copy()
            next_start += stride
        # keep from the next window's start, or the last `window` samples: the final window is flush with the end
        keep = max(buf_start, min(next_start, end - window))
        buf, buf_start = buf[keep - buf_start:], keep
    end = buf_start + len(buf)
    if next_start == 0:  # shorter than one window: zero-padded, as `windows` does
        yield 0, crop_or_pad(buf, window, "start")
    elif next_start - stride + window < end:
        yield end - window, buf[len(buf) - window:].copy()


def resample(wave: np.ndarray, orig_sr: int, sr: int) -> np.ndarray:
    if orig_sr == sr:
        return np.ascontiguousarray(wave, dtype=np.float32)
    import soxr

    return soxr.resample(wave, orig_sr, sr, quality="HQ").astype(np.float32, copy=False)


def crop_or_pad(wave: np.ndarray, n_samples: int, mode: str = "center", rng=None) -> np.ndarray:
    """Cut or zero-pad to exactly `n_samples`. mode: "center", "random" (needs rng) or "start"."""
    n = len(wave)
    if n < n_samples:
        return np.pad(wave, (0, n_samples - n)).astype(np.float32)
    if mode == "random":
        start = int(rng.integers(0, n - n_samples + 1))
    elif mode == "center":
        start = (n - n_samples) // 2
    else:
        start = 0
    return wave[start:start + n_samples]


def window_starts(n_samples: int, window: int, stride: int) -> list:
    """Start offsets of sliding windows that cover a clip; the last window is flush with the end."""
    if n_samples <= window:
        return [0]
    starts = list(range(0, n_samples - window + 1, stride))
    if starts[-1] + window < n_samples:
        starts.append(n_samples - window)
    return starts


def windows(wave: np.ndarray, window: int, stride: int):
    """(starts, batch) with batch (n_windows, window): every window of a clip, short ones padded."""
    starts = window_starts(len(wave), window, stride)
    batch = np.stack([crop_or_pad(wave[s:s + window], window, "start") for s in starts])
    return starts, batch


def add_noise(wave: np.ndarray, snr_db: float, rng) -> np.ndarray:
    """Add white noise at `snr_db` relative to the clip's own power (silence stays silent-ish)."""
    power = float(np.mean(wave ** 2)) + 1e-10
    noise = rng.standard_normal(len(wave)).astype(np.float32)
    return (wave + noise * np.sqrt(power / 10 ** (snr_db / 10))).astype(np.float32)
