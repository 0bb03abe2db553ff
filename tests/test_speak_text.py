"""speak_text.py: sentences spoken by espeak-ng the same way every run, by the voices asked for,
and a sentences CSV with a bad row refused by its line."""
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import speak_text  # noqa: E402
import synth_dataset as synth  # noqa: E402
from utils_io import HelmitError  # noqa: E402

ROWS = [{"text": "I know which school you go to."}, {"text": "Send me the homework photo later."},
        {"text": "Good game, see you tomorrow."}]


def test_sentences_are_spoken_the_same_every_run_by_held_out_voices(tmp_path):
    heldout = synth.voice_pool(True, speak_text.HOLDOUT_FRACTION)
    runs = []
    for run in ("a", "b"):
        (tmp_path / run).mkdir()
        paths, voices = speak_text.speak_all(ROWS, heldout, tmp_path / run, seed=3, workers=1)
        assert [Path(p).name for p in paths] == ["00000.flac", "00001.flac", "00002.flac"]
        assert set(voices) <= set(heldout), voices
        runs.append(([Path(p).read_bytes() for p in paths], voices))
    assert runs[0] == runs[1]  # every sentence in a fresh fork, espeak-ng's own generator seeded
    assert len(set(runs[0][0])) == 3
    train = synth.voice_pool(False, speak_text.HOLDOUT_FRACTION)
    assert not set(heldout) & set(train)


def test_a_breathy_voice_is_seeded_so_it_sounds_the_same_every_run(tmp_path):
    # f2 draws noise from espeak-ng's own random generator: without espeak_voice.set_seed it differs per run
    clips = []
    for run in ("a", "b"):
        (tmp_path / run).mkdir()
        breathy = [f"{accent}+f2" for accent in synth.ACCENTS]
        paths, voices = speak_text.speak_all(ROWS[:1], breathy, tmp_path / run, seed=3, workers=1)
        assert voices[0] in breathy
        clips.append(Path(paths[0]).read_bytes())
    assert clips[0] == clips[1]


def test_a_sentences_csv_with_a_bad_row_is_refused_by_its_line(tmp_path):
    bad = tmp_path / "s.csv"
    bad.write_text("id,text,label\n1,hello there,0\n2,you again,harmful\n")
    with pytest.raises(HelmitError, match=r"s.csv:3: needs a text and a label 0 or 1"):
        speak_text.read_sentences(bad)
