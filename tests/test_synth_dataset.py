"""synth_dataset.py: a tiny corpus through the CLI, then checks of its files, manifest and fairness."""
import csv
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import synth_dataset as S  # noqa: E402
import synth_templates  # noqa: E402

SEP = S.TURN_SEP


def run_cli(*args):
    return subprocess.run([sys.executable, str(ROOT / "synth_dataset.py"), *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


def read_manifest(out_dir):
    with open(Path(out_dir) / "synth_manifest.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def template_category(template_id):
    return next(c for c, t in synth_templates.TEMPLATES.items() if template_id in t)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """80 clips (40 harmful, 40 safe) with the default holdout, made by the CLI."""
    out = tmp_path_factory.mktemp("synth") / "data"
    res = run_cli("--out_dir", out, "--n_harmful", 40, "--n_safe", 40, "--seed", 3, "--workers", 2)
    assert res.returncode == 0, res.stderr
    assert "wrote 80 clips" in res.stdout and "holdout" in res.stdout
    rows = read_manifest(out)
    for r in rows:
        info = sf.info(str(out / r["path"]))
        r.update(duration=info.duration, sr=info.samplerate, channels=info.channels,
                 ext=r["path"].rsplit(".", 1)[1], subtype=info.subtype)
        wave, _ = sf.read(str(out / r["path"]), always_2d=True)
        r["rms_db"] = 20 * np.log10(np.sqrt(np.mean(wave.mean(axis=1) ** 2)) + 1e-12)
    return out, rows


def test_same_seed_gives_identical_bytes_whatever_the_workers(tmp_path):
    runs = {}
    for workers in (2, 1):
        out = tmp_path / str(workers)
        res = run_cli("--out_dir", out, "--n_harmful", 6, "--n_safe", 6, "--seed", 11, "--workers", workers)
        assert res.returncode == 0, res.stderr
        runs[workers] = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    assert len(runs[2]) == 13  # 12 clips + manifest
    assert runs[2] == runs[1]


def test_another_seed_gives_other_clips(tmp_path):
    plan = {"label": 1, "category": "grooming", "holdout": 0}
    rows = [S.render_clip((0, seed, plan, 0.2, tmp_path / str(seed)))[0] for seed in (11, 12)]
    assert rows[0]["text"] != rows[1]["text"] and rows[0]["voices"] != rows[1]["voices"]


def test_counts_categories_and_layout(corpus):
    out, rows = corpus
    assert list(rows[0])[:7] == S.MANIFEST_FIELDS
    assert len(rows) == 80 and sum(int(r["label"]) for r in rows) == 40
    cats = Counter(r["category"] for r in rows)
    assert cats == {"harassment": 10, "bullying": 10, "threat": 10, "grooming": 10, "safe": 28, "hard_negative": 12}
    for r in rows:
        assert r["path"].startswith("harmful/" if r["label"] == "1" else "safe/")
        assert (r["category"] in S.HARMFUL_CATEGORIES) == (r["label"] == "1")
    on_disk = {p.relative_to(out).as_posix() for c in ("harmful", "safe") for p in (out / c).iterdir()}
    assert on_disk == {r["path"] for r in rows}  # no temp files or extras left behind


def test_holdout_clips_use_only_held_out_templates_and_voices(corpus):
    _, rows = corpus
    held = [r for r in rows if r["holdout"] == "1"]
    seen = [r for r in rows if r["holdout"] == "0"]
    assert len(held) == 16  # round(0.2 * 10) per harmful category, round(0.2*28) + round(0.2*12) safe
    for key in ("template", "voices"):
        held_set = {x for r in held for x in r[key].split(SEP)}
        seen_set = {x for r in seen for x in r[key].split(SEP)}
        assert held_set and seen_set and not held_set & seen_set, key
    held_templates = {x for r in held for x in r["template"].split(SEP)}
    for cat in synth_templates.TEMPLATES:
        assert held_templates <= set().union(*(S.template_pool(c, True, 0.2) for c in synth_templates.TEMPLATES))
        assert not set(S.template_pool(cat, True, 0.2)) & set(S.template_pool(cat, False, 0.2))
    # held-out voices share neither accent nor variant with the seen ones
    held_v, seen_v = S.voice_pool(True, 0.2), S.voice_pool(False, 0.2)
    for part in (0, 1):
        assert not {v.split("+")[part] for v in held_v} & {v.split("+")[part] for v in seen_v}


@pytest.mark.parametrize("fraction", [0.1, 0.2, 0.5])
def test_holdout_split_partitions_every_category(fraction):
    for cat, templates in synth_templates.TEMPLATES.items():
        held, seen = S.template_pool(cat, True, fraction), S.template_pool(cat, False, fraction)
        assert held and seen and set(held) | set(seen) == set(templates) and not set(held) & set(seen)
        assert fraction * 0.7 <= len(held) / len(templates) <= fraction + 0.25
        lengths = [S.spoken_length(templates[t]) for t in held]
        assert min(lengths) < 25 and max(lengths) >= 50  # short and long wording in both splits
        assert set(S.template_pool(cat, True, 0.1)) <= set(held) or fraction < 0.1
    assert S.template_pool("threat", True, 0.0) == [] and S.voice_pool(True, 0.0) == []


def test_conversations_have_a_harmful_turn_only_when_harmful(corpus):
    _, rows = corpus
    turns = Counter(len(r["text"].split(SEP)) for r in rows)
    assert turns[1] > 10 and set(turns) - {1} and max(turns) <= 5
    for r in rows:
        cats = [template_category(t) for t in r["template"].split(SEP)]
        texts, voices = r["text"].split(SEP), r["voices"].split(SEP)
        assert len(cats) == len(texts) == len(voices)
        if r["label"] == "1":
            assert r["category"] in cats and set(cats) <= {r["category"], "safe"}
        else:
            assert not set(cats) & set(S.HARMFUL_CATEGORIES)
            assert (r["category"] == "hard_negative") == ("hard_negative" in cats)
        if len(voices) > 1:  # two speakers take turns
            assert voices[0] != voices[1] and voices[::2] == [voices[0]] * len(voices[::2])


def test_formats_sample_rates_channels_and_durations(corpus):
    _, rows = corpus
    assert {r["ext"] for r in rows} == {"wav", "flac", "mp3"}
    assert {r["sr"] for r in rows} == set(S.SAMPLE_RATES)
    assert {r["channels"] for r in rows} == {1, 2}
    assert all(r["subtype"] == "PCM_16" for r in rows if r["ext"] in ("wav", "flac"))
    durations = [r["duration"] for r in rows]
    assert 1.45 <= min(durations) and max(durations) <= 25.1
    assert max(durations) > 12 and np.mean([d > 8 for d in durations]) > 0.2  # nothing cut to 8 s


def test_harmful_and_safe_clips_are_acoustically_alike(corpus):
    _, rows = corpus
    harmful = [r for r in rows if r["label"] == "1"]
    safe = [r for r in rows if r["label"] == "0"]
    for key in ("duration", "rms_db"):
        p = stats.ks_2samp([r[key] for r in harmful], [r[key] for r in safe]).pvalue
        assert p > 0.01, (key, p)
    for key in ("sr", "channels", "ext"):
        values = sorted({r[key] for r in rows})
        table = [[sum(r[key] == v for r in group) for v in values] for group in (harmful, safe)]
        assert stats.chi2_contingency(table).pvalue > 0.01, (key, table)
    # no single threshold on duration or loudness separates the classes (fit on half, test on half)
    y = np.array([int(r["label"]) for r in rows])
    for key in ("duration", "rms_db"):
        x = np.array([r[key] for r in rows])
        train, test = np.arange(len(x)) % 2 == 0, np.arange(len(x)) % 2 == 1
        best = max(((t, s) for t in x[train] for s in (1, -1)),
                   key=lambda ts: np.mean((ts[1] * (x[train] - ts[0]) > 0) == y[train]))
        acc = np.mean((best[1] * (x[test] - best[0]) > 0) == y[test])
        assert acc < 0.75, (key, acc)


def test_rendering_does_not_depend_on_the_label(tmp_path):
    """The same (seed, index) rendered as harmful and as safe: same voices, turns, format, sample
    rate and channels, and (paired, so far stronger than comparing two samples) about the same
    loudness and duration, since only the words differ."""
    d_rms, d_seconds = [], []
    for index in range(8):
        out = {}
        for label, category in ((1, "threat"), (0, "safe")):
            plan = {"label": label, "category": category, "holdout": int(index % 4 == 0)}
            row, seconds = S.render_clip((index, 5, plan, 0.2, tmp_path / category))
            wave, sr = sf.read(str(tmp_path / category / row["path"]), always_2d=True)
            out[label] = (row["voices"], row["path"].rsplit(".")[-1], sr, wave.shape[1], seconds,
                          20 * np.log10(np.sqrt(np.mean(wave[:, 0] ** 2))))
        assert out[0][:4] == out[1][:4]
        d_seconds.append(abs(out[0][4] - out[1][4]))
        d_rms.append(abs(out[0][5] - out[1][5]))
    assert np.median(d_rms) < 0.5 and np.median(d_seconds) < 1.0, (d_rms, d_seconds)


def test_sentence_lengths_match_across_labels():
    """Duration leaks start in the text: harmful and safe sentences must be equally long."""
    for holdout in (False, True):
        sentences = S.generate_sentences(1000, seed=1, holdout=holdout)
        lengths = [[S.spoken_length(t) for t, label, _, _ in sentences if label == lab] for lab in (0, 1)]
        assert stats.ttest_ind(*lengths).pvalue > 0.01 and abs(np.mean(lengths[1]) / np.mean(lengths[0]) - 1) < 0.05
        if not holdout:  # the tiny holdout pools only match to within LENGTH_TOLERANCE: lumpier
            assert stats.ks_2samp(*lengths).pvalue > 0.01


def test_generate_sentences():
    a, b = S.generate_sentences(200, seed=4), S.generate_sentences(200, seed=4)
    assert a == b and a != S.generate_sentences(200, seed=5)
    assert Counter(label for _, label, _, _ in a) == {0: 100, 1: 100}
    assert Counter(c for _, _, c, _ in a)["grooming"] == 25
    assert len({t for t, *_ in a}) > 150 and all("{" not in t for t, *_ in a)
    held = S.generate_sentences(100, seed=4, holdout=True)
    held_ids = {t for c in synth_templates.TEMPLATES for t in S.template_pool(c, True, 0.2)}
    assert {tid for *_, tid in held} <= held_ids
    assert not {tid for *_, tid in a} & held_ids


def test_refuses_existing_files_and_overwrite_keeps_user_files(tmp_path, capsys):
    user_clip = tmp_path / "harmful" / "my_upload.wav"
    stale = tmp_path / "safe" / "synth_09999.wav"
    for f in (user_clip, stale):
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(b"x")
    res = run_cli("--out_dir", tmp_path, "--n_harmful", 2, "--n_safe", 2)
    assert res.returncode == 1 and res.stderr.startswith("error: ") and "--overwrite" in res.stderr
    assert "Traceback" not in res.stderr and not (tmp_path / "synth_manifest.csv").exists()
    assert S.main(["--out_dir", str(tmp_path), "--n_harmful", "2", "--n_safe", "2", "--overwrite"]) == 0
    assert user_clip.exists() and not stale.exists() and "kept 1 file" in capsys.readouterr().out
    assert len(read_manifest(tmp_path)) == 4


@pytest.mark.parametrize("flags", [["--holdout", "1.5"], ["--n_harmful", "0", "--n_safe", "0"], ["--workers", "0"]])
def test_usage_errors_exit_2(tmp_path, flags):
    with pytest.raises(SystemExit) as exit_info:
        S.main(["--out_dir", str(tmp_path), *flags])
    assert exit_info.value.code == 2 and not (tmp_path / "harmful").exists()


def render_then_fail(job):
    """S.render_clip for the first 3 clips, then a crash: a run that dies half-way (module level, so the
    pool can send it to its workers)."""
    if job[0] >= 3:
        raise RuntimeError("espeak crashed")
    return RENDER_CLIP(job)


RENDER_CLIP = S.render_clip


def test_overwrite_that_fails_half_way_leaves_the_earlier_run_whole(tmp_path, monkeypatch):
    assert S.main(["--out_dir", str(tmp_path), "--n_harmful", "3", "--n_safe", "3", "--seed", "1"]) == 0
    user_clip = tmp_path / "safe" / "my_upload.wav"
    user_clip.write_bytes(b"x")
    before = {p.relative_to(tmp_path).as_posix(): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    monkeypatch.setattr(S, "render_clip", render_then_fail)
    with pytest.raises(RuntimeError, match="espeak crashed"):
        S.main(["--out_dir", str(tmp_path), "--n_harmful", "3", "--n_safe", "3", "--seed", "2", "--overwrite",
                "--workers", "1"])
    after = {p.relative_to(tmp_path).as_posix(): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert after == before  # the manifest still describes the clips on disk; no new clip, no hidden folder left
    assert {r["path"] for r in read_manifest(tmp_path)} == {p for p in after if p.startswith(("harmful/synth_",
                                                                                              "safe/synth_"))}


def test_overwrite_stopped_while_clips_move_in_leaves_no_stale_manifest(tmp_path, monkeypatch):
    assert S.main(["--out_dir", str(tmp_path), "--n_harmful", "2", "--n_safe", "2", "--seed", "1"]) == 0

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(S, "write_csv", interrupted)  # Ctrl-C after the new clips are in, before their manifest
    with pytest.raises(KeyboardInterrupt):
        S.main(["--out_dir", str(tmp_path), "--n_harmful", "2", "--n_safe", "2", "--seed", "2", "--overwrite"])
    assert not (tmp_path / "synth_manifest.csv").exists()  # incomplete, and says so: no manifest of other clips
    assert sorted(p.name for p in tmp_path.iterdir()) == ["harmful", "safe"]


@pytest.mark.parametrize("where", ["", "safe"])
def test_out_dir_that_is_a_file_is_named(tmp_path, where):
    out = tmp_path / "data"
    (out / where).parent.mkdir(parents=True, exist_ok=True)
    (out / where).write_bytes(b"not a folder")
    res = run_cli("--out_dir", out, "--n_harmful", 1, "--n_safe", 1)
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert res.stderr.startswith(f"error: {out / where}: is a file, not a folder"), res.stderr
