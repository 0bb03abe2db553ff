"""Shared fixtures: tiny corpora and a tiny randomly initialised Wav2Vec2, all made on the spot."""
import os

# make test runs two pytest-xdist workers on two cores. Each worker's torch and BLAS, and the stages its
# tests start, then get one thread: two workers of two spinning threads each ran torch training 6x slower
# (train.py's cross-validation test: 22 s alone, 132 s beside another worker). Set before numpy is imported.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("OMP_NUM_THREADS", "1")

import contextlib  # noqa: E402
import csv  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import soundfile as sf  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def run_script(script, *args, check=True, timeout=600):
    """Run a stage as a user would: a subprocess from the repo root. Returns CompletedProcess."""
    proc = subprocess.run([sys.executable, str(ROOT / script), *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)
    return checked(script, proc, check)


def checked(script, proc, check):
    """`proc`, or with `check`, an AssertionError showing the ends of its output if it exited non-zero."""
    if check and proc.returncode != 0:
        raise AssertionError(f"{script} exited {proc.returncode}\nstdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}")
    return proc


def run_main(script, *args, check=True):
    """Run a stage's main() in this process, through run_cli as run_script runs it in a new one: its exit
    code and what Python prints to stdout and stderr (not what C code writes to the file descriptors). For
    long stages whose test is not about the process itself, as a new process imports torch and transformers
    again (~7 s). Not where a test reads Python warnings off stderr: pytest records them instead of printing
    them. No timeout, unlike run_script."""
    import contextlib
    import importlib
    import io
    import types

    from utils_io import run_cli

    module = importlib.import_module(Path(script).stem)
    out, err, code = io.StringIO(), io.StringIO(), 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            run_cli(lambda: module.main([str(a) for a in args]))
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else int(e.code is not None)
    return checked(script, types.SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue()), check)


def dead_process():
    """(pid, start time in ms) of a process that has exited and been reaped."""
    import psutil

    proc = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    start = round(psutil.Process(proc.pid).create_time() * 1000)
    proc.communicate()
    return proc.pid, start


def temp_name(target, host, pid, start_ms):
    """The name utils_io.temp_beside gives a temp of `target` written by process `pid` on `host`."""
    return f".{target}.{host}.{pid}.{start_ms}.abcd1234.tmp"


def make_tone_corpus(root, n_per_class=10, seed=0):
    """harmful = a tone in noise, safe = noise only: trivially learnable, for plumbing tests."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(2 * n_per_class):
        label = i % 2
        n = int(16000 * rng.uniform(2.0, 12.0))
        t = np.arange(n) / 16000
        x = 0.05 * rng.standard_normal(n)
        if label:
            x += 0.3 * np.sin(2 * np.pi * rng.uniform(300, 500) * t)
        cls = "harmful" if label else "safe"
        (root / cls).mkdir(parents=True, exist_ok=True)
        sf.write(root / cls / f"clip{i:03d}.wav", x.astype(np.float32), 16000)
        rows.append({"path": f"{cls}/clip{i:03d}.wav", "label": label})
    with open(root / "labels.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["path", "label"])
        writer.writeheader()
        writer.writerows(rows)
    return root


def cnn_args():
    """LiteAudioCNN constructor arguments as train.py stores them, at the smallest width."""
    from config import CFG
    from logmel import frontend_args

    return dict(n_classes=2, width_mult=0.25, dropout=0.3, frontend=frontend_args(CFG))


def tiny_checkpoint(data_root, **changes):
    """A checkpoint dict with every key train.py writes, around an untrained LiteAudioCNN(width_mult=0.25);
    `changes` replace keys, to make the damaged or contradictory checkpoints tests need."""
    import torch

    from config import CFG, CLASS_NAMES
    from model import CHECKPOINT_FORMAT, LiteAudioCNN

    torch.manual_seed(0)
    ckpt = {"format_version": CHECKPOINT_FORMAT, "arch": "LiteAudioCNN", "model_args": cnn_args(),
            "audio": CFG.to_dict(), "class_names": list(CLASS_NAMES), "train_args": {"data_root": str(data_root)},
            "train_clips": [], "val_clips": ["harmful/clip001.wav", "safe/clip000.wav"], "test_clips": [],
            "selection_metric": "roc_auc", "state_dict": LiteAudioCNN(**cnn_args()).state_dict(), "threshold": 0.5,
            "best_epoch": 1, "metrics": {}, "history": []}
    return {**ckpt, **changes}


def saved(path, ckpt):
    """`ckpt` written with model.save_checkpoint, as train.py writes it; returns the path."""
    from model import save_checkpoint

    save_checkpoint(path, ckpt)
    return path


def clip_margins(model, paths, meta):
    """Each clip's largest harmful logit margin (logit[harmful] - logit[safe]) over windows of the training
    length at half-window hops: a model's scores computed by the tests with an ONNX Runtime session of their
    own, apart from the repo's scoring code (quantize_onnx.compare, scoring.onnx_window_probs)."""
    import onnxruntime as ort

    from utils_audio import load_audio, windows

    sess = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    sr = int(meta["sample_rate"])
    window = int(float(meta["window_seconds"]) * sr)
    margins = []
    for path in paths:
        logits = sess.run(["logits"], {"waveform": windows(load_audio(path, sr), window, window // 2)[1]})[0]
        margins.append(float(np.max(logits[:, 1].astype(np.float64) - logits[:, 0])))
    return np.array(margins)


def clip_probs(model, paths, meta):
    """P(harmful) of each clip: the softmax of its top window, i.e. the sigmoid of its largest margin."""
    return 1 / (1 + np.exp(-clip_margins(model, paths, meta)))


def all_clips(corpus):
    """Every clip of `corpus`: the clips quantize_onnx.py checks when --n_check is at least their number."""
    from utils_io import read_labels_csv

    return [r["abspath"] for r in read_labels_csv(Path(corpus) / "labels.csv", corpus)]


def reported_agreement(printed):
    """(clips with the same decision, clips checked, max |P difference|) from quantize_onnx.py's summary."""
    import re

    m = re.search(r"same decision as FP32 on (\d+)/(\d+) clips .*max \|P\(harmful\) difference\| ([0-9.]+)", printed)
    assert m, printed
    return int(m[1]), int(m[2]), float(m[3])


def built_once(tmp_path_factory, name, build):
    """The directory `name`, filled by `build(path)` once per test run: the first worker to ask builds it
    while the others wait, then all read it. For fixtures that cost a training and an ONNX export (~30 s),
    which pytest-xdist would otherwise build again in each worker. Tests must not write into it."""
    import fcntl
    import shutil

    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's own temp root, which every worker's is made under
    path, done = base / name, base / f"{name}.done"
    with open(base / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also if this worker dies
        if not done.exists():
            shutil.rmtree(path, ignore_errors=True)  # what a worker that failed half-way left
            path.mkdir()
            build(path)
            done.touch()
    return path


@pytest.fixture(scope="session")
def tone_corpus(tmp_path_factory):
    return built_once(tmp_path_factory, "tones", make_tone_corpus)


@contextlib.contextmanager
def process_state_kept():
    """Run a stage in this process without leaving its seeds behind: train.py seeds random, numpy and torch and sets
    PYTHONHASHSEED, which later tests in this worker, and the subprocesses they start, would otherwise inherit."""
    import random

    import torch

    env, py, np_state, torch_state = dict(os.environ), random.getstate(), np.random.get_state(), torch.get_rng_state()
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(env)
        random.setstate(py)
        np.random.set_state(np_state)
        torch.set_rng_state(torch_state)


def train_tone_onnx(runs, corpus):
    # in this process: a new one imports torch and the ONNX exporter again (~6 s of the ~12 s); the stages run as
    # subprocesses in test_pipeline.py. Its log-mel cache beside the checkpoint: train.py's default, runs/cache,
    # is the repo's own folder
    with process_state_kept():
        run_main("train.py", "--data_root", corpus, "--epochs", 1, "--batch_size", 8, "--width_mult", 0.25,
                 "--cache_dir", runs / "cache", "--ckpt", runs / "m.pt")
        assert len(list((runs / "cache" / "logmel").glob("*.npy"))) == len(all_clips(corpus))  # one per clip
        run_main("export_onnx.py", "--ckpt", runs / "m.pt", "--onnx", runs / "m.onnx")


@pytest.fixture(scope="session")
def tone_onnx(tmp_path_factory, tone_corpus):
    """A tiny CNN trained for one epoch on the tone corpus and exported: a real Helmit ONNX file."""
    return built_once(tmp_path_factory, "tone_runs", lambda runs: train_tone_onnx(runs, tone_corpus)) / "m.onnx"


@pytest.fixture(scope="session")
def tone_session(tone_onnx):
    """(ONNX Runtime session, metadata) of `tone_onnx`, for in-process scoring."""
    from scoring import load_onnx

    return load_onnx(tone_onnx, threads=1)


@pytest.fixture(scope="session")
def tiny_w2v_dir(tmp_path_factory):
    """A 2-layer, 32-wide Wav2Vec2 with random weights, saved as a hub model would be."""
    import torch
    from transformers import Wav2Vec2Config, Wav2Vec2Model

    cfg = Wav2Vec2Config(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                         conv_dim=(32,) * 7, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2)
    path = tmp_path_factory.mktemp("tiny_w2v")
    torch.manual_seed(0)  # the same weights whichever tests ran first in this process (xdist changes the order)
    Wav2Vec2Model(cfg).save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_text_base(tmp_path_factory):
    """A 2-layer, 32-wide BERT sequence classifier with random weights and all-MiniLM-L6-v2's tokenizer,
    saved as a hub model would be: a stand-in for MiniLM (or a user's own toxicity model) that
    fine-tunes in seconds."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    import text_encoder

    tok = AutoTokenizer.from_pretrained(text_encoder.default_base())
    cfg = BertConfig(vocab_size=tok.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=128, num_labels=2)
    path = tmp_path_factory.mktemp("tiny_text_base")
    torch.manual_seed(0)  # the same weights whichever tests ran first in this process
    BertForSequenceClassification(cfg).save_pretrained(path)
    tok.save_pretrained(path)
    return path


# `make test` hands pytest-xdist's two workers a whole test file at a time (--dist loadfile, so a file's
# fixtures are built once), in the order below: the files that take longest first, so that the last file left
# is a short one and neither worker waits long for the other at the end. Seconds of one core each, from
# `pytest --durations=0` on 2026-12-07 on a quiet machine; files not named here follow in their usual order.
SLOWEST_FILES = ["test_transcripts.py",   # 64
                 "test_text_model.py",    # 63
                 "test_pipeline.py",      # 48
                 "test_packed_asr.py",    # 28
                 "test_train.py", "test_ddp.py", "test_quantize_onnx.py",  # 22-26 each
                 "test_synth_dataset.py", "test_overwrite.py", "test_average_text_models.py",  # 11-17 each
                 "test_infer.py", "test_stray_temps.py", "test_bad_audio.py"]  # 7-11 each


def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(SLOWEST_FILES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # a stable sort: each file's own order kept
