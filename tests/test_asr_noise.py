"""asr_noise.py: aligning what was said with what was heard, the confusion table, corrupting text with
it, and train_text.py's --asr_noise."""
import random
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import asr_noise  # noqa: E402
import train_text  # noqa: E402
from utils_io import HelmitError  # noqa: E402


def test_align_pairs_misheard_dropped_and_extra_words():
    assert asr_noise.align("I will hurt you.", "i will heard you too") == [
        ("i", ("i",)), ("will", ("will",)), ("hurt", ("heard",)), ("you", ("you", "too"))]
    assert asr_noise.align("send me a photo", "send a photo") == [
        ("send", ("send",)), ("me", ()), ("a", ("a",)), ("photo", ("photo",))]
    # words heard before the first spoken one go with it; two spoken words heard as one: the second is dropped
    assert asr_noise.align("meet me tonight", "so meet me to night") == [
        ("meet", ("so", "meet")), ("me", ("me",)), ("tonight", ("to", "night"))]
    assert asr_noise.align("see you at home", "see you at gnome") == [
        ("see", ("see",)), ("you", ("you",)), ("at", ("at",)), ("home", ("gnome",))]
    assert [w for w, _ in asr_noise.align("a b c d", "x")] == ["a", "b", "c", "d"]  # every spoken word, once


def test_fit_counts_what_each_word_became_and_the_rates():
    table = asr_noise.fit([("kill you", "skill you"), ("kill him", "kill him"), ("kill them", "them")])
    assert table["words"]["kill"] == {"skill": 1, "kill": 1, "": 1}
    assert table["words"]["you"] == {"you": 1}
    assert table["drop_rate"] == pytest.approx(1 / 6)
    assert table["kept_rate"] == pytest.approx(4 / 6)
    with pytest.raises(ValueError):
        asr_noise.fit([])


def test_corrupt_uses_a_words_own_confusions_and_never_invents_words():
    table = {"words": {"kill": {"skill": 5}, "rare": {"bear": 1}}, "drop_rate": 0.0, "kept_rate": 1.0}
    rng = random.Random(0)
    assert asr_noise.corrupt("I'll KILL you!", table, rng) == "i'll skill you"
    assert asr_noise.corrupt("I'll kill you", table, rng, level=0.0) == "i'll kill you"
    # a word heard too seldom to trust its confusions is kept (drop rate 0) or dropped (drop rate 1), never swapped
    assert asr_noise.corrupt("a rare word", table, rng) == "a rare word"
    assert asr_noise.corrupt("a rare word", dict(table, drop_rate=1.0), rng) == ""
    levels = [asr_noise.corrupt("kill " * 200, table, random.Random(s), level=0.5).split().count("skill")
              for s in range(3)]
    assert all(70 < n < 130 for n in levels), levels


def test_corrupt_share_is_deterministic_and_keeps_texts_it_would_empty():
    table = {"words": {"hello": {"hollow": 3}}, "drop_rate": 0.0, "kept_rate": 0.5}
    texts = ["hello there"] * 1000
    out, n = asr_noise.corrupt_share(texts, table, 0.3, seed=1)
    assert (out, n) == asr_noise.corrupt_share(texts, table, 0.3, seed=1)
    assert 200 < n < 400
    # a corrupted text draws a level in asr_noise.LEVELS: some of its words go through the table, not all
    misheard = sum("hollow" in t for t in out)
    assert 0.4 * n < misheard < 0.95 * n and sum(t != "hello there" for t in out) <= n
    assert asr_noise.corrupt_share(texts, table, 0.0, seed=1) == (texts, 0)
    emptied = asr_noise.corrupt_share(["hello"], {"words": {"hello": {"": 3}}, "drop_rate": 1.0}, 1.0, seed=0)
    assert emptied == (["hello"], 0)


def test_read_pairs_needs_what_was_said(tmp_path):
    good = tmp_path / "spoken.csv"
    good.write_text("id,text,spoken_text,label,error\na,i will heard you,I will hurt you.,1,\nb,,x,0,timeout\n")
    assert asr_noise.read_pairs([good]) == [("I will hurt you.", "i will heard you")]
    bad = tmp_path / "transcripts.csv"
    bad.write_text("path,text,label\nx.wav,hello,0\n")
    with pytest.raises(HelmitError, match="transcripts.csv: no spoken_text column"):
        asr_noise.read_pairs([good, bad])


def test_train_text_spreads_learned_errors_over_generated_text(tmp_path, capsys):
    pairs = tmp_path / "spoken.csv"
    rows = ["id,text,spoken_text,label,category,error"] + [f"{i},i will hurt ewe,I will hurt you.,1,threat," for i in range(5)]
    pairs.write_text("\n".join(rows) + "\n")

    def generated(noise):
        args = train_text.parse_args(["--n_generated", "300", "--chat", "0", "--asr_transcripts", str(pairs),
                                       "--asr_noise", noise, "--written_copies", "0", "--twin_copies", "0"])
        data = train_text.load_data(args)
        return data["summary"]["asr_noised"], [t for t, _, _ in data["all"][:data["summary"]["generated"]]]

    def count(texts, word):
        return sum(t.lower().replace(".", " ").split().count(word) for t in texts)

    n_clean, clean = generated("0")
    n_noised, noised = generated("1")
    assert n_clean == 0 and n_noised > 0.9 * len(noised)
    assert count(clean, "you") > 50 and count(noised, "you") < 0.6 * count(clean, "you")  # often heard as "ewe"
    assert count(clean, "ewe") == 0 and count(noised, "ewe") > 0.3 * count(clean, "you")
    assert sum(t == t.lower() and "," not in t and "." not in t for t in noised) >= n_noised
    assert train_text.parse_args([]).asr_noise == train_text.ASR_NOISE > 0
    assert train_text.parse_args(["--no_asr_transcripts"]).asr_noise == 0  # nothing to learn the errors from
    with pytest.raises(SystemExit):
        train_text.parse_args(["--asr_noise", "0.3", "--no_asr_transcripts"])
    assert "--asr_noise learns recognition errors from --asr_transcripts" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        train_text.parse_args(["--asr_noise", "1.5"])
    assert "--asr_noise must be a share between 0 and 1" in capsys.readouterr().err
