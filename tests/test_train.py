import dataclasses
import re

import numpy as np
import pytest
import torch

import selection
import splits
import train
from sklearn.metrics import roc_auc_score

from config import CFG
from dataset import DiskWindows, cnn_view, logmel_windows, top_windows
from model import LiteAudioCNN, load_checkpoint
from utils_audio import load_audio
from utils_io import HelmitError, read_labels_csv


@pytest.fixture(autouse=True)
def in_tmp_dir(tmp_path_factory, monkeypatch):
    """train.py's default paths (runs/cache, runs/lite_cnn.pt) land in a folder of the test's own, not the repo."""
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))


def test_best_threshold_maximises_balanced_accuracy():
    labels = [0, 0, 0, 1, 1]
    probs = [0.05, 0.10, 0.30, 0.20, 0.90]
    t = selection.best_threshold(labels, probs)
    m = selection.binary_metrics(labels, probs, t)
    assert m["balanced_accuracy"] == pytest.approx(max(
        selection.binary_metrics(labels, probs, c)["balanced_accuracy"] for c in np.linspace(0, 1, 101)))
    # midway between the last safe and the first harmful score, not on either clip
    assert selection.best_threshold([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4]) == pytest.approx(0.25)


def test_selection_prefers_a_real_model_over_a_collapsed_one():
    labels = np.array([1] * 6 + [0] * 4)  # 60/40, as the original dataset
    collapsed = selection.binary_metrics(labels, np.full(10, 0.9), 0.5)   # "everything is harmful"
    learned = selection.binary_metrics(labels, np.array([.9, .8, .4, .3, .35, .45, .1, .2, .15, .05]), 0.5)
    assert collapsed["f1"] > learned["f1"]  # harmful-class F1 (the original's rule) would pick the collapse
    assert collapsed["balanced_accuracy"] == 0.5 and collapsed["roc_auc"] == 0.5
    assert selection.selection_key(learned) > selection.selection_key(collapsed)


def test_class_weights_balance_the_loss():
    w = train.class_weights([1] * 6 + [0] * 4)
    assert w.tolist() == pytest.approx([10 / 8, 10 / 12])
    assert float(w[0] * 4) == pytest.approx(float(w[1] * 6))


def test_a_training_step_runs_on_each_clips_top_window_only():
    """MIL: the pass with gradients sees one window per clip, the one inference (eval mode) scores
    highest; the pick leaves BatchNorm's running statistics and every module's mode as they were."""
    torch.manual_seed(0)
    model = LiteAudioCNN(width_mult=0.25)
    x = torch.randn(6, CFG.n_mels, 40)
    owner, y = torch.tensor([0, 0, 0, 1, 2, 2]), torch.tensor([1, 0, 1])
    with torch.no_grad():
        logits = model.eval().classify(x)
    expected = top_windows(logits[:, 1] - logits[:, 0], owner, 3)
    assert expected.tolist() != [0, 3, 4]  # the pick is not simply each clip's first window
    reference = LiteAudioCNN(width_mult=0.25)
    reference.load_state_dict(model.state_dict())
    reference.train().classify(x[expected])  # BatchNorm statistics of the top windows alone
    seen = []

    def forward(batch):
        seen.append(batch.clone())
        return model.classify(batch)

    scored = []

    def pick(batch):
        scored.append(batch.clone())
        return model.classify_folded(batch)

    args = train.parse_args(["--data_root", "."])
    train.train_epoch(model, forward, [(x, owner, y)], torch.nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1),
                      torch.amp.GradScaler("cpu", enabled=False), args, torch.device("cpu"), 1, pick=pick)
    assert len(seen) == 1 and torch.equal(seen[0], x[expected])
    # clip 1 has one window: it is trained on without being scored
    assert len(scored) == 1 and torch.equal(scored[0], x[[0, 1, 2, 4, 5]])
    assert all(m.training for m in model.modules())
    bn, ref_bn = model.stem[1], reference.stem[1]
    torch.testing.assert_close(bn.running_mean, ref_bn.running_mean)
    torch.testing.assert_close(bn.running_var, ref_bn.running_var)

    def no_pick(batch):
        raise AssertionError("one window per clip needs no pick")

    train.train_epoch(model, forward, [(x[:3], torch.arange(3), y)], torch.nn.CrossEntropyLoss(),
                      torch.optim.SGD(model.parameters(), lr=0.1), torch.amp.GradScaler("cpu", enabled=False), args,
                      torch.device("cpu"), 1, pick=no_pick)
    assert torch.equal(seen[-1], x[:3])


def test_accumulated_batches_make_one_step_per_group_on_the_groups_mean_loss():
    """--accumulate_steps 3 over 7 batches: optimizer steps after batches 3, 6 and 7, each on the gradient of
    the mean loss of its group (the short last group's loss divided by its own size, 1, not by 3)."""
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 2)
    criterion = torch.nn.CrossEntropyLoss()
    batches = [(torch.randn(3, 4), torch.arange(3), torch.randint(0, 2, (3,))) for _ in range(7)]  # a window per clip
    groups = [list(range(start, min(start + 3, len(batches)))) for start in range(0, len(batches), 3)]
    assert [len(g) for g in groups] == [3, 3, 1]

    def group_gradient(group):  # computed here: the gradient of the mean of the group's batch losses
        model.zero_grad(set_to_none=True)
        torch.stack([criterion(model(batches[i][0]), batches[i][2]) for i in group]).mean().backward()
        return [p.grad.clone() for p in model.parameters()]

    expected = [group_gradient(g) for g in groups]
    with torch.no_grad():
        losses = [criterion(model(x), y).item() for x, _, y in batches]
    model.zero_grad(set_to_none=True)
    stepped = []

    class RecordingOptimizer(torch.optim.SGD):  # learning rate 0: the weights stay as they are between steps
        def step(self, closure=None):
            stepped.append([p.grad.clone() for p in model.parameters()])

    args = train.parse_args(["--data_root", ".", "--accumulate_steps", "3"])
    mean_loss = train.train_epoch(model, model, batches, criterion, RecordingOptimizer(model.parameters(), lr=0.0),
                                  torch.amp.GradScaler("cpu", enabled=False), args, torch.device("cpu"), 1)
    assert len(stepped) == len(groups)
    for got, want in zip(stepped, expected):
        for g, w in zip(got, want):
            torch.testing.assert_close(g, w)
    assert mean_loss == pytest.approx(np.mean(losses))  # the reported loss is per clip, not divided by the group


def test_split_keeps_holdout_as_test_and_needs_two_classes(tone_corpus):
    rows = read_labels_csv(tone_corpus / "labels.csv")
    for i, r in enumerate(rows):
        r["holdout"] = "1" if i < 4 else "0"
    tr, va, te = splits.split_rows(rows, 0.25, seed=0)
    assert {r["path"] for r in te} == {r["path"] for r in rows[:4]}
    assert not {r["path"] for r in tr} & {r["path"] for r in va}
    assert len(tr) + len(va) + len(te) == len(rows)
    assert sorted(r["label"] for r in va) == [0, 0, 1, 1]  # stratified
    with pytest.raises(HelmitError, match="class 'harmful'"):
        splits.split_rows([r for r in rows if r["label"] == 0], 0.25, seed=0)


def test_training_learns_and_writes_a_self_describing_checkpoint(tone_corpus, tmp_path):
    ckpt_path = tmp_path / "cnn.pt"
    assert train.main(["--data_root", str(tone_corpus), "--epochs", "15", "--batch_size", "8", "--lr", "3e-3",
                       "--width_mult", "0.5", "--ckpt", str(ckpt_path), "--seed", "1"]) == 0
    ckpt = torch.load(ckpt_path, weights_only=True)
    for key in ("arch", "model_args", "audio", "class_names", "threshold", "train_args", "train_clips",
                "val_clips", "metrics", "history", "format_version"):
        assert key in ckpt, key
    assert ckpt["class_names"] == ["safe", "harmful"] and 0 < ckpt["threshold"] < 1
    assert not set(ckpt["train_clips"]) & set(ckpt["val_clips"])
    assert len(ckpt["train_clips"]) + len(ckpt["val_clips"]) == 20
    assert ckpt["audio"]["sample_rate"] == 16000 and ckpt["train_args"]["width_mult"] == 0.5
    assert ckpt["metrics"]["val"]["roc_auc"] >= 0.5
    assert (tmp_path / "cnn.log.csv").read_text().count("\n") == len(ckpt["history"]) + 1
    model, _ = load_checkpoint(ckpt_path)
    assert model.head.in_features == 96  # width_mult 0.5 of 192, rebuilt with no flags
    # a tone in noise vs noise: a model that learns separates the clips (untrained: AUC ~0.5)
    rows = read_labels_csv(tone_corpus / "labels.csv")
    inputs = logmel_windows([load_audio(r["abspath"]) for r in rows])
    probs = train.score_clips(model, model.classify, inputs, cnn_view(), torch.device("cpu"))
    assert roc_auc_score([r["label"] for r in rows], probs) >= 0.9


@pytest.mark.parametrize("flags", [["--use_sampler"], ["--accumulate_steps", "3", "--batch_size", "4"],
                                   ["--use_autocast"], ["--keep", "last"]])
def test_training_options_run_and_are_recorded(tone_corpus, tmp_path, flags):
    ckpt_path = tmp_path / "m.pt"
    assert train.main(["--data_root", str(tone_corpus), "--epochs", "3", "--width_mult", "0.25",
                       "--ckpt", str(ckpt_path), *flags]) == 0
    ckpt = torch.load(ckpt_path, weights_only=True)
    args = ckpt["train_args"]
    assert args["use_sampler"] == ("--use_sampler" in flags) and args["use_autocast"] == ("--use_autocast" in flags)
    assert ckpt["audio"]["epochs"] == 3 and ckpt["audio"]["data_root"] == str(tone_corpus)
    if "--keep" in flags:
        assert ckpt["best_epoch"] == 3 and len(ckpt["history"]) == 3 and ckpt["selection_metric"] == "last epoch"
    if "--accumulate_steps" in flags:
        assert args["accumulate_steps"] == 3


def test_bad_training_settings_are_clear_errors(tone_corpus, tmp_path):
    for bad in (["--val_fraction", "0"], ["--val_fraction", "1.5"], ["--val_fraction", "0.01"]):
        with pytest.raises(HelmitError, match="val_fraction"):
            train.main(["--data_root", str(tone_corpus), "--ckpt", str(tmp_path / "x.pt"), *bad])
    for flag, value, want in (("lr", "-1", "above 0"), ("weight_decay", "-1", "0 or more"),
                              ("dropout", "2", r"from 0 up to \(not including\) 1"), ("width_mult", "0", "above 0"),
                              ("patience", "0", "at least 1")):
        with pytest.raises(HelmitError, match=rf"^--{flag} {value}(\.0)?: must be {want}$"):
            train.main(["--data_root", str(tone_corpus), "--ckpt", str(tmp_path / "x.pt"), f"--{flag}", value])
    if not torch.cuda.is_available():
        with pytest.raises(HelmitError, match="device 'cuda' is not available"):
            train.main(["--data_root", str(tone_corpus), "--ckpt", str(tmp_path / "x.pt"), "--device", "cuda"])
    assert not (tmp_path / "x.pt").exists()


def interrupt_in_epoch(n, monkeypatch):
    """Make train.py's epoch `n` raise KeyboardInterrupt, as Ctrl-C would; returns the real epoch function."""
    real_epoch, calls = train.train_epoch, []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == n:
            raise KeyboardInterrupt
        return real_epoch(*args, **kwargs)

    monkeypatch.setattr(train, "train_epoch", interrupted)
    return real_epoch


def test_an_interrupted_run_leaves_the_previous_checkpoint_untouched(tone_corpus, tmp_path, monkeypatch, capsys):
    ckpt_path = tmp_path / "m.pt"
    ckpt_path.write_bytes(b"the good checkpoint from yesterday")
    interrupt_in_epoch(3, monkeypatch)
    with pytest.raises(HelmitError, match="m.pt: exists; pass --overwrite"):  # not replaced silently
        train.main(["--data_root", str(tone_corpus), "--epochs", "5", "--width_mult", "0.25", "--ckpt", str(ckpt_path)])
    with pytest.raises(KeyboardInterrupt):
        train.main(["--data_root", str(tone_corpus), "--epochs", "5", "--width_mult", "0.25", "--ckpt", str(ckpt_path),
                    "--overwrite"])
    assert f"kept in {tmp_path / 'm.progress.pt'}: run the same command with --resume" in capsys.readouterr().err
    assert ckpt_path.read_bytes() == b"the good checkpoint from yesterday"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.progress.pt", "m.pt"]  # no temp files; progress kept
    # a new run would replace the progress file, and with it the way to finish the interrupted run: it asks first
    (tmp_path / "m.pt").unlink()
    with pytest.raises(HelmitError, match=r"m\.progress\.pt: holds an interrupted run's progress; --resume continues "
                                          r"it, --overwrite starts again and replaces it$"):
        train.main(["--data_root", str(tone_corpus), "--epochs", "1", "--ckpt", str(ckpt_path)])
    assert (tmp_path / "m.progress.pt").is_file()
    with pytest.raises(HelmitError, match=rf"^{tmp_path}: is a directory; give a file name"):
        train.main(["--data_root", str(tone_corpus), "--epochs", "1", "--ckpt", str(tmp_path), "--overwrite"])
    with pytest.raises(HelmitError, match=r"^\.: is a directory; give a file name \(e\.g\. cnn_cv_predictions\.csv\)"):
        train.main(["--data_root", str(tone_corpus), "--folds", "2", "--oof_csv", ".", "--ckpt", str(ckpt_path)])


def test_numpys_global_random_stream_survives_a_progress_file(tmp_path):
    """A fine-tuned Wav2Vec2 draws its time masks from numpy's global generator: a resumed run must go on
    with the interrupted run's stream (it was re-seeded, and epochs 4-6 came out differently)."""
    from model import save_checkpoint
    from train_progress import numpy_rng_state, set_numpy_rng_state

    np.random.seed(3)
    np.random.standard_normal()  # a Gaussian cached half way: part of the state too
    save_checkpoint(tmp_path / "p.pt", {"numpy": numpy_rng_state()})
    expected = np.random.standard_normal(5)
    np.random.seed(99)
    set_numpy_rng_state(torch.load(tmp_path / "p.pt", weights_only=True)["numpy"])
    assert np.random.standard_normal(5).tolist() == expected.tolist()


def test_resume_gives_the_same_model_as_an_uninterrupted_run(tone_corpus, tmp_path, monkeypatch):
    labels = tmp_path / "labels.csv"
    labels.write_bytes((tone_corpus / "labels.csv").read_bytes())
    flags = ["--data_root", str(tone_corpus), "--labels_csv", str(labels), "--epochs", "4", "--width_mult", "0.25",
             "--batch_size", "4", "--use_sampler", "--seed", "5"]
    assert train.main([*flags, "--ckpt", str(tmp_path / "whole.pt")]) == 0
    real_epoch = interrupt_in_epoch(3, monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        train.main([*flags, "--ckpt", str(tmp_path / "split.pt")])
    monkeypatch.setattr(train, "train_epoch", real_epoch)
    original = labels.read_bytes()
    labels.write_bytes(b"".join(original.splitlines(keepends=True)[:-2]))  # two clips gone: another split
    with pytest.raises(HelmitError, match=r"labels\.csv: changed since the interrupted run"):
        train.main([*flags, "--ckpt", str(tmp_path / "split.pt"), "--resume"])
    labels.write_bytes(original)
    with pytest.raises(HelmitError, match="these differ: --lr"):
        train.main([*flags, "--ckpt", str(tmp_path / "split.pt"), "--resume", "--lr", "0.1"])
    monkeypatch.setattr(train, "CFG", dataclasses.replace(train.CFG, n_mels=2 * train.CFG.n_mels))  # other defaults
    with pytest.raises(HelmitError, match=r"--resume: the interrupted run's model does not fit .*size mismatch"):
        train.main([*flags, "--ckpt", str(tmp_path / "split.pt"), "--resume"])
    monkeypatch.setattr(train, "CFG", CFG)
    progress = tmp_path / "split.progress.pt"  # the interrupted run's two epochs, said to have taken 1000 s each
    state = torch.load(progress, weights_only=True)
    assert len(state["history"]) == 2
    state["history"] = [dict(h, seconds=1000.0) for h in state["history"]]
    torch.save(state, progress)
    assert train.main([*flags, "--ckpt", str(tmp_path / "split.pt"), "--resume"]) == 0
    whole, split = (torch.load(tmp_path / n, weights_only=True) for n in ("whole.pt", "split.pt"))
    assert whole["best_epoch"] == split["best_epoch"] and whole["threshold"] == split["threshold"]
    for k, v in whole["state_dict"].items():
        assert torch.equal(v, split["state_dict"][k]), k
    timing = ("seconds", "train_seconds", "clips_per_s", "ram_mb")
    strip = lambda h: [{k: v for k, v in row.items() if k not in timing} for row in h]
    assert strip(whole["history"]) == strip(split["history"]) and len(whole["history"]) == 4
    # the interrupted run's two epochs count in its training time, not only the resumed part's
    assert 2000 <= split["train_seconds"] < 2000 + whole["train_seconds"] + 60
    assert not (tmp_path / "split.progress.pt").exists()  # finished: nothing left to resume
    with pytest.raises(HelmitError, match="no interrupted run to resume"):
        train.main([*flags, "--ckpt", str(tmp_path / "split.pt"), "--resume"])


def test_a_second_run_reads_the_feature_cache_and_training_holds_no_windows_in_ram(tone_corpus, tmp_path, monkeypatch,
                                                                                    capsys):
    datasets = []

    class Recorded(train.HelmitAudioDS):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            datasets.append(self)

    monkeypatch.setattr(train, "HelmitAudioDS", Recorded)
    flags = ["--data_root", str(tone_corpus), "--epochs", "2", "--width_mult", "0.25", "--batch_size", "4",
             "--cache_dir", str(tmp_path / "cache")]
    assert train.main([*flags, "--ckpt", str(tmp_path / "first.pt")]) == 0
    assert "log-mel features: 20 clip(s) computed, 0 read from cache" in capsys.readouterr().out
    storage = datasets[0].clip_windows
    assert len(storage) == 16 and all(type(c) is DiskWindows for c in storage)  # file names and counts only
    assert isinstance(storage[0].load(), np.memmap) and storage[0].path.parent == tmp_path / "cache" / "logmel"
    assert train.main([*flags, "--ckpt", str(tmp_path / "second.pt")]) == 0
    assert "log-mel features: 0 clip(s) computed, 20 read from cache" in capsys.readouterr().out
    first, second = (torch.load(tmp_path / n, weights_only=True) for n in ("first.pt", "second.pt"))
    for k, v in first["state_dict"].items():  # features read back are the features computed: the same model
        assert torch.equal(v, second["state_dict"][k]), k
    assert all(row["clips_per_s"] > 0 and row["train_seconds"] <= row["seconds"] for row in second["history"])


def test_folds_are_stratified_and_keep_groups_whole():
    rows = [{"path": f"c{i}", "label": i % 2, "speaker": f"s{i // 4}"} for i in range(40)]
    folds = splits.stratified_folds(rows, 5, seed=0)
    held = sorted(i for _, test in folds for i in test)
    assert held == list(range(40))  # every clip held out exactly once
    assert all(sum(rows[i]["label"] for i in test) == 4 for _, test in folds)  # 4 of 8 harmful in each
    grouped = splits.stratified_folds(rows, 5, seed=0, group_column="speaker")
    for train_idx, test_idx in grouped:
        assert not {rows[i]["speaker"] for i in train_idx} & {rows[i]["speaker"] for i in test_idx}
    _, val, _ = splits.split_rows(rows, 0.25, seed=0, group_column="speaker")
    tr, _, _ = splits.split_rows(rows, 0.25, seed=0, group_column="speaker")
    assert not {r["speaker"] for r in tr} & {r["speaker"] for r in val}
    with pytest.raises(HelmitError, match="class 'harmful' has 3 clip"):
        splits.stratified_folds([r for r in rows if r["label"] == 0] + rows[1:6:2], 5, seed=0)
    few = [dict(r, speaker=f"s{i % 3}") for i, r in enumerate(rows)]  # 3 speakers: too few for a 25% split
    with pytest.raises(HelmitError, match=r"group column 'speaker': 3 distinct groups; a validation split of "
                                          r"about 25% by whole groups needs at least 4"):
        splits.split_rows(few, 0.25, seed=0, group_column="speaker")


def test_validation_and_folds_always_hold_both_classes():
    # 2 harmful among 12: stratified rounding gives validation 0.5 -> 0 harmful clips
    rows = [{"path": f"c{i}", "label": int(i < 2)} for i in range(12)]
    for seed in range(20):
        tr, va, _ = splits.split_rows(rows, 0.25, seed=seed)
        assert {r["label"] for r in va} == {0, 1} and {r["label"] for r in tr} == {0, 1}
        assert len(va) == 3 and sorted(r["path"] for r in tr + va) == sorted(r["path"] for r in rows)
        tr, va, _ = splits.split_rows(rows, 0.75, seed=seed)  # most to validation: training keeps one harmful
        assert {r["label"] for r in va} == {0, 1} and {r["label"] for r in tr} == {0, 1}
    # the harmful clips in 2 groups: 3 folds of whole groups cannot all hold one
    grouped = [{"path": f"c{i}", "label": int(i < 6), "g": f"h{i % 2}" if i < 6 else f"s{i}"} for i in range(30)]
    with pytest.raises(HelmitError, match=r"fold \d of 3 holds no 'harmful' clips \(2 group\(s\) of group column 'g'"):
        splits.stratified_folds(grouped, 3, seed=0, group_column="g")
    assert all({grouped[i]["label"] for i in test} == {0, 1}
               for _, test in splits.stratified_folds(grouped, 2, seed=0, group_column="g"))
    for seed in range(10):  # a grouped validation split: another fold of groups when the first lacks a class
        tr, va, _ = splits.split_rows(grouped, 0.34, seed=seed, group_column="g")
        assert {r["label"] for r in va} == {0, 1} and {r["label"] for r in tr} == {0, 1}
    one_group = [dict(r, g="h") if r["label"] else r for r in grouped]
    with pytest.raises(HelmitError, match="no validation split of whole groups"):
        splits.split_rows(one_group, 0.34, seed=0, group_column="g")


def test_cross_validation_writes_out_of_fold_predictions_reproducibly(tone_corpus, tmp_path, capsys):
    import csv

    import compute_metrics

    def run(name, folds, epochs):
        oof = tmp_path / f"{name}_cv_predictions.csv"
        assert train.main(["--data_root", str(tone_corpus), "--folds", str(folds), "--epochs", str(epochs),
                           "--batch_size", "4", "--lr", "3e-3", "--width_mult", "0.5", "--val_fraction", "0.3",
                           "--oof_csv", str(oof), "--ckpt", str(tmp_path / "never.pt"), "--seed", "3"]) == 0
        return oof

    first = run("a", 3, 20)
    out = capsys.readouterr().out
    rows = list(csv.DictReader(open(first)))
    labels = read_labels_csv(tone_corpus / "labels.csv")
    assert sorted(r["path"] for r in rows) == sorted(r["path"] for r in labels)  # each clip once, held out
    assert {r["split"] for r in rows} == {"test"} and {r["fold"] for r in rows} == {"1", "2", "3"}
    for r in rows:  # each fold's decision uses that fold's validation threshold
        assert int(r["pred"]) == int(float(r["prob_harmful"]) >= float(r["threshold"]))
    assert "balanced accuracy:" in out and "+-" in out and not (tmp_path / "never.pt").exists()
    # a tone in noise is learnable: each held-out fold's scores separate the classes
    aucs = [roc_auc_score([int(r["label"]) for r in rows if r["fold"] == k],
                          [float(r["prob_harmful"]) for r in rows if r["fold"] == k]) for k in "123"]
    assert np.mean(aucs) >= 0.8, aucs
    assert compute_metrics.main([str(first), "--no_plots", "--output", str(tmp_path / "m.txt")]) == 0
    assert "clips scored" in (tmp_path / "m.txt").read_text()
    assert run("b", 2, 2).read_bytes() == run("c", 2, 2).read_bytes()  # same seed, same predictions
    # a group column: the CSV carries each clip's group, so fusion.py's inner folds keep a speaker whole
    lines = (tone_corpus / "labels.csv").read_text().splitlines()
    speakers = tmp_path / "speakers.csv"
    speakers.write_text("\n".join([lines[0] + ",speaker"] + [f"{l},spk{i % 10}" for i, l in enumerate(lines[1:])]) + "\n")
    assert train.main(["--data_root", str(tone_corpus), "--labels_csv", str(speakers), "--folds", "2", "--epochs", "1",
                       "--width_mult", "0.25", "--val_fraction", "0.3", "--group_column", "speaker",
                       "--oof_csv", str(tmp_path / "g.csv")]) == 0
    assert "2-fold cross-validation over 20 clips (groups from column 'speaker')" in capsys.readouterr().out
    by_path = {r["path"]: r["group"] for r in csv.DictReader(open(tmp_path / "g.csv"))}
    assert by_path == {l.split(",")[0]: f"spk{i % 10}" for i, l in enumerate(lines[1:])}


def test_bad_fold_settings_are_clear_errors(tone_corpus, tmp_path):
    with pytest.raises(HelmitError, match="--folds 1"):
        train.main(["--data_root", str(tone_corpus), "--folds", "1"])
    with pytest.raises(HelmitError, match="11 folds need at least 11"):
        train.main(["--data_root", str(tone_corpus), "--folds", "11", "--epochs", "1"])
    with pytest.raises(HelmitError, match="no column 'speaker'"):
        train.main(["--data_root", str(tone_corpus), "--folds", "2", "--group_column", "speaker"])


def test_a_folds_validation_split_error_names_the_fold_and_the_files_group_count():
    """With 6 speakers and 5 folds, a fold trains on 4 or 5 of them; a 20% validation split of whole
    groups needs 5, so a fold's split fails: the message says it is one fold's part of the file."""
    import argparse

    rows = [{"path": f"s{s}_{i}.wav", "label": i % 2, "speaker": f"s{s}"} for s in range(6) for i in range(4)]
    args = argparse.Namespace(folds=5, val_fraction=0.2, seed=0, group_column="speaker")
    errors = []
    for k, (train_idx, _) in enumerate(splits.stratified_folds(rows, 5, 0, "speaker")):
        try:
            train.fold_split(args, rows, train_idx, k)
        except HelmitError as e:
            errors.append(str(e))
    assert errors
    assert re.match(r"fold \d of 5 trains on 16 of the 24 clips \(4 of the file's 6 groups, the rest held out\), and "
                    r"its validation split failed: group column 'speaker': 4 distinct groups; a validation split of "
                    r"about 20% by whole groups needs at least 5", errors[0]), errors[0]


def test_byte_identical_clips_never_straddle_a_split(tmp_path, capsys):
    from splits import CLIP_DIGEST, SAME_AUDIO, same_audio_groups, split_rows, stratified_folds
    from utils_io import clip_digest

    rows = []
    for i in range(24):
        label = i % 2
        path = tmp_path / f"c{i}.wav"
        # c0, c2 and c4 (all safe): one recording filed three times; every other clip has its own bytes
        path.write_bytes(b"same recording" if i in (0, 2, 4) else f"clip {i}".encode())
        rows.append({"path": path.name, "abspath": str(path), "label": label, "labels_row": f"labels.csv:{i + 2}"})
    assert same_audio_groups([r for r in rows if r["path"] not in ("c2.wav", "c4.wav")], None) is None  # no copies
    column = same_audio_groups(rows, None)
    assert column == SAME_AUDIO and "3 clips are byte-identical copies of another" in capsys.readouterr().err
    assert rows[0][CLIP_DIGEST] == clip_digest(rows[0]["abspath"])  # kept for the checkpoint: not hashed again
    with pytest.raises(HelmitError, match=r"^the groups kept whole \(byte-identical copies of a clip, and the group "
                                          r"column's if any\): 22 distinct groups; 23 folds"):
        stratified_folds(rows * 2, 23, 0, column)  # (each row twice: enough clips of a class for 23 folds)
    for train_idx, test_idx in stratified_folds(rows, 3, 0, column):
        held = {rows[i]["path"] for i in test_idx}
        assert {"c0.wav", "c2.wav", "c4.wav"} <= held or not {"c0.wav", "c2.wav", "c4.wav"} & held
    train_rows, val_rows, _ = split_rows(rows, 0.25, 0, False, column)
    assert len({r["path"] for r in val_rows} & {"c0.wav", "c2.wav", "c4.wav"}) in (0, 3)
    # a group column's groups are joined with the copies: c1 shares a speaker with c0
    for r in rows:
        r["speaker"] = "ann" if r["path"] in ("c1.wav", "c0.wav") else ""
    same_audio_groups(rows, "speaker")
    assert len({rows[i][SAME_AUDIO] for i in (0, 1, 2, 4)}) == 1 and rows[3][SAME_AUDIO] != rows[0][SAME_AUDIO]
    # the same audio under both labels: one label is wrong
    (tmp_path / "c1.wav").write_bytes(b"same recording")
    with pytest.raises(HelmitError, match=r"^labels.csv:3: c1.wav is the same audio as c0.wav \(labels.csv:2\) but "
                                          r"labelled 1 here and 0 there"):
        same_audio_groups(rows, None)
    (tmp_path / "c1.wav").unlink()  # gone since labels.csv was read: named by its row, not a traceback
    with pytest.raises(HelmitError, match=rf"^labels.csv:3: {tmp_path / 'c1.wav'}: cannot read \(No such file"):
        same_audio_groups(rows, None)


def test_clip_waves_name_the_labels_csv_row_of_a_clip_that_cannot_be_decoded(tmp_path):
    from dataset import ClipWaves

    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF not really a wave file")
    with pytest.raises(HelmitError, match=rf"^labels.csv:4: {re.escape(str(bad))}: "):
        ClipWaves([bad], where=["labels.csv:4"])[0]
    with pytest.raises(HelmitError, match=rf"^{re.escape(str(bad))}: "):  # no row known: the file alone
        ClipWaves([bad])[0]


def test_group_names_are_read_past_spaces_and_case_variants_are_named(tone_corpus, tmp_path, capsys):
    rows = [{"path": f"c{i}.wav", "label": i % 2, "speaker": f"s{i % 6}" + (" " if i % 4 == 0 else "")}
            for i in range(24)]
    for train_idx, test_idx in splits.stratified_folds(rows, 3, 0, "speaker"):  # "s0 " is the speaker of "s0"
        assert not {rows[i]["speaker"].strip() for i in train_idx} & {rows[i]["speaker"].strip() for i in test_idx}
    rows[5]["speaker"] = "S5"
    splits.warn_case_variants(rows, "speaker")
    assert "1 name(s) of column 'speaker' are spelled in more than one case, e.g. 'S5' and 's5'" in capsys.readouterr().err
    splits.warn_case_variants([dict(r, speaker=r["speaker"].strip().upper()) for r in rows], "speaker")
    assert capsys.readouterr().err == ""


def test_a_group_cut_by_the_test_split_is_named_by_its_value(capsys):
    rows = [{"path": f"c{i}.wav", "label": i % 2, "speaker": f"s{i % 6}", "holdout": int(i < 2)} for i in range(24)]
    splits.split_rows(rows, 0.25, 0, True, "speaker")  # s0 and s1 have clips in the test split and outside it
    assert "2 group(s) of group column 'speaker' have clips both in the test split (holdout=1) and outside it, " \
           "e.g. 's0'" in capsys.readouterr().err


def test_a_clip_that_cannot_be_decoded_is_named_with_its_labels_csv_row(tmp_path):
    from conftest import make_tone_corpus

    root = make_tone_corpus(tmp_path / "tones", n_per_class=4)
    (root / "safe" / "clip002.wav").write_bytes(b"RIFF not really a wave file")
    for flags in ([], ["--folds", "2", "--val_fraction", "0.5"]):
        with pytest.raises(HelmitError) as err:
            train.main(["--data_root", str(root), "--epochs", "1", "--width_mult", "0.25", "--cache_dir",
                        str(tmp_path / "cache"), "--ckpt", str(tmp_path / "m.pt"), *flags])
        # the row: clip002 is the third clip, so line 4 of labels.csv (after the header)
        assert str(err.value).startswith(f"{root / 'labels.csv'}:4: {root / 'safe' / 'clip002.wav'}: "), str(err.value)
    assert not (tmp_path / "m.pt").exists()


def test_scores_gone_nan_stop_training_with_a_message_not_an_index_error():
    import contextlib

    from utils_io import HelmitError

    model = torch.nn.Linear(3, 2)
    with torch.no_grad():  # harmful margin = logit[harmful] - logit[safe] = the first feature
        model.weight.copy_(torch.tensor([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]]))
        model.bias.zero_()
    # clip 0 owns windows 0 and 1, clip 1 windows 2 and 3; their top windows are 1 (clip 0's second) and 2
    # (clip 1's first), so neither "each clip's first" nor "each clip's last" window passes
    x = torch.tensor([[-1.0, 5.0, 0.0], [2.0, -5.0, 0.0], [3.0, 0.0, 1.0], [0.5, 0.0, -1.0]])
    owner = torch.tensor([0, 0, 1, 1])
    nan_pick = lambda batch: torch.full((len(batch), 2), float("nan"))  # noqa: E731
    with pytest.raises(HelmitError, match="NaN or infinite: training diverged \\(try a lower --lr\\)"):
        train.pick_top_windows(nan_pick, model, x, owner, 2, contextlib.nullcontext())
    assert train.pick_top_windows(model, model, x, owner, 2, contextlib.nullcontext()).tolist() == [1, 2]


def test_resuming_a_fine_tuned_wav2vec2_gives_the_uninterrupted_runs_epochs(tone_corpus, tiny_w2v_dir, tmp_path,
                                                                             monkeypatch):
    flags = ["--data_root", str(tone_corpus), "--use_wav2vec2", "--w2v_model", str(tiny_w2v_dir),
             "--num_unfrozen_layers", "1", "--epochs", "3", "--batch_size", "4", "--seed", "5", "--keep", "last",
             "--cache_dir", str(tmp_path / "cache")]
    assert train.main([*flags, "--ckpt", str(tmp_path / "whole.pt")]) == 0
    real_epoch = interrupt_in_epoch(2, monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        train.main([*flags, "--ckpt", str(tmp_path / "split.pt")])
    monkeypatch.setattr(train, "train_epoch", real_epoch)
    assert train.main([*flags, "--ckpt", str(tmp_path / "split.pt"), "--resume"]) == 0
    whole, split = (torch.load(tmp_path / n, weights_only=True) for n in ("whole.pt", "split.pt"))
    assert [h["train_loss"] for h in whole["history"]] == [h["train_loss"] for h in split["history"]]
    for k, v in whole["state_dict"].items():
        assert torch.equal(v, split["state_dict"][k]), k
