"""The decoder's shortcuts return exactly what the plain computation does.

`_repair` skips clipping when a block's min and max show nothing to clip, and averages channels
one by one instead of numpy's row-wise mean; neither may change a sample or a statistic.
"""
import dataclasses

import numpy as np
import pytest

from utils_audio import CLIP_LEVEL, AudioStats, _repair


def plain_repair(block):
    """What `_repair` computes, written the slow and obvious way: (mono samples, stats)."""
    finite = np.isfinite(block)
    block = np.clip(np.nan_to_num(block, nan=0.0, posinf=1.0, neginf=-1.0), -1.0, 1.0)
    loud = np.abs(block)
    stats = AudioStats(frames=len(block), peak=float(loud.max()), nonfinite=int(block.size - finite.sum()),
                       clipped=int((loud >= CLIP_LEVEL).any(axis=1).sum()))
    return block.mean(axis=1, dtype=np.float32), stats


def blocks():
    rng = np.random.default_rng(0)
    for channels in range(1, 10):
        quiet = rng.uniform(-0.5, 0.5, (4001, channels)).astype(np.float32)
        yield f"quiet, {channels} channel(s)", quiet
        loud = quiet * 3  # a float file past full scale: clipped
        yield f"past full scale, {channels} channel(s)", loud
        edge = quiet.copy()
        edge[17, -1] = -CLIP_LEVEL  # exactly at the clip level counts as clipped
        yield f"one sample at -CLIP_LEVEL, {channels} channel(s)", edge
        broken = quiet.copy()
        broken[3, 0], broken[9, -1], broken[11, 0] = np.nan, np.inf, -np.inf
        yield f"NaN and inf, {channels} channel(s)", broken
    yield "digital silence", np.zeros((100, 2), np.float32)
    yield "all NaN", np.full((10, 1), np.nan, np.float32)


@pytest.mark.parametrize("name, block", list(blocks()), ids=[name for name, _ in blocks()])
def test_repair_equals_the_plain_computation(name, block):
    stats = AudioStats()
    mono = _repair(block.copy(), stats)
    expected, expected_stats = plain_repair(block)
    assert mono.dtype == np.float32 and mono.shape == (len(block),)
    if block.shape[1] < 8:  # numpy adds fewer than 8 values in order: the very same bits
        np.testing.assert_array_equal(mono, expected)
    else:  # from 8 values numpy keeps 8 partial sums; the order differs by float rounding only
        np.testing.assert_allclose(mono, expected, rtol=0, atol=1e-6)
    assert dataclasses.astuple(stats) == dataclasses.astuple(expected_stats)


def test_repair_adds_up_stats_over_blocks():
    stats = AudioStats()
    rng = np.random.default_rng(1)
    quiet, loud = rng.uniform(-0.3, 0.3, (500, 2)).astype(np.float32), np.full((20, 2), 2.0, np.float32)
    for block in (quiet, loud, quiet):
        _repair(block, stats)
    assert (stats.frames, stats.clipped, stats.peak) == (1020, 20, 1.0)


# Not mp3: libmpg123 itself decodes a few samples differently when read in small pieces (it
# reported bit-reservoir errors on 4099-frame reads of a white-noise mp3), whatever Helmit does next.
@pytest.mark.parametrize("sr, channels, ext", [(8000, 1, "wav"), (11025, 2, "flac"), (22050, 6, "wav"),
                                               (44100, 2, "wav"), (48000, 1, "flac"), (16000, 1, "wav")])
def test_a_file_in_one_block_decodes_like_a_streamed_one(tmp_path, monkeypatch, sr, channels, ext):
    """Clips that fit in one block are resampled by soxr's one-shot call, longer files by its
    streaming resampler: the samples, the windows and the stats must not depend on which."""
    import soundfile as sf

    import utils_audio
    from utils_audio import load_audio, stream_windows

    path = tmp_path / f"clip.{ext}"
    wave = np.random.default_rng(sr).uniform(-0.5, 0.5, (int(sr * 9.3), channels)).astype(np.float32)
    sf.write(path, wave, sr)
    decoded, windows, stats = {}, {}, {}
    for name, block in (("one block", 1 << 30), ("streamed", 4099)):
        monkeypatch.setattr(utils_audio, "BLOCK_SAMPLES", block)
        stats[name] = AudioStats()
        decoded[name] = load_audio(path, 16000, stats[name])
        windows[name] = list(stream_windows(path, 16000 * 4, 16000 * 2))
    np.testing.assert_array_equal(decoded["one block"], decoded["streamed"])
    assert [s for s, _ in windows["one block"]] == [s for s, _ in windows["streamed"]]
    np.testing.assert_array_equal(np.stack([w for _, w in windows["one block"]]),
                                  np.stack([w for _, w in windows["streamed"]]))
    assert dataclasses.astuple(stats["one block"]) == dataclasses.astuple(stats["streamed"])
