"""Training: CNN clips/s against the naive data path, Wav2Vec2 head epochs cached vs recomputed, memory.

    .venv/bin/python bench/bench_train.py           # part of `make bench`; ~2.5 min on 2 free cores (+30 s for the corpus)
    .venv/bin/python bench/bench_train.py --quick   # ~2 min: one naive epoch, fewer Wav2Vec2 clips

1. CNN training throughput (augmentation on, 8-s windows, LiteAudioCNN at its default width, batch 16).
   Helmit: train.py run as a user runs it (a subprocess); its clips/s is the per-epoch `clips_per_s`
   of <ckpt>.log.csv (training clips / seconds of the training pass; validation is not counted),
   median over the epochs after the first. Naive: the data path Helmit replaced, re-implemented
   below (`NaiveClips`: librosa.load with resampling to 16 kHz, time_stretch, pitch_shift, crop/pad
   to 8 s and a mel spectrogram in __getitem__, every epoch), feeding the same model (train.build)
   through the same training loop (train.train_epoch, with train.py's channels-last model,
   flushed denormals and huge pages: only the data path differs) with the same batch size, on the same
   training clips (the checkpoint's train_clips), after a couple of untimed items (librosa's first
   calls compile). Rounds alternate Helmit and naive, so both see the same background load.
   Three more rows for context: train.py --use_autocast (bf16, off by default); the model's
   training step alone on batches made up front (no reading, no augmentation): the ceiling for any
   data path; and that step on one window per clip with no window pick, the model work the naive
   path does too, so its ratio to naive bounds what any Helmit data path and pick could reach.
2. Frozen Wav2Vec2-base (transformers' Wav2Vec2Config() defaults: 12 layers, 768 wide, random
   weights, saved to a temp dir and loaded by path): seconds per head-training epoch with the
   backbone's features cached (dataset.cached_w2v_features) against running the backbone on
   every window every epoch, same clips, same head, same loop.
3. Memory: peak RSS of train.py's process tree with the corpus at 1x and 4x its clips (the copies
   are hard links under other paths: every one is decoded, cached and trained on as a clip of its
   own), a first run that fills the on-disk feature cache and a second that reads it; the 4x runs
   train 1/4 of the epochs, so both sizes take the same number of steps. Plus the cache's size on
   disk: what training would hold in RAM with every decoded clip and no cache.
"""
import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

# as train.py sets it (huge pages for big tensors, before torch allocates anything): the naive path's
# model step and the model-only step below run with train.py's allocator settings
os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (puts the repo root on sys.path too)

BASE_CORPUS = (60, 40)  # harmful, safe: the demo corpus, 100 clips
EPOCHS = 8  # per train.py run on 100 clips (2 on 400); the first epoch of each run is a warm-up, not counted
CNN_RATIO_TARGET, CNN_CPS_TARGET, W2V_RATIO_TARGET = 20, 100, 50  # docs/performance.md
RSS_GROWTH_LIMIT = 1.10  # peak RSS at 4x the clips within 10% of the 1x run's
WORK = common.WORK / "train_bench"


class NaiveClips:
    """The naive data path (a torch Dataset): each item is decoded, resampled, time-stretched,
    pitch-shifted, cut or padded to one 8-s window and turned into a log-mel, every epoch."""

    def __init__(self, paths, labels, cfg, seed=0):
        import numpy as np

        self.paths, self.labels, self.cfg = list(paths), list(labels), cfg
        self.rng = np.random.default_rng(seed)

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        import librosa
        import torch

        from logmel import LOG_EPS, normalise_logmel
        from utils_audio import crop_or_pad

        cfg = self.cfg
        wave, _ = librosa.load(self.paths[i], sr=cfg.sample_rate)  # decode + resample (librosa's default: soxr_hq)
        wave = librosa.effects.time_stretch(wave, rate=float(self.rng.uniform(*cfg.time_stretch)))
        wave = librosa.effects.pitch_shift(wave, sr=cfg.sample_rate, n_steps=float(self.rng.uniform(*cfg.pitch_shift_steps)))
        wave = crop_or_pad(wave, cfg.clip_samples, "random", self.rng)
        mel = librosa.feature.melspectrogram(y=wave, sr=cfg.sample_rate, n_fft=cfg.n_fft, hop_length=cfg.hop_length,
                                             n_mels=cfg.n_mels, fmin=cfg.fmin, fmax=cfg.fmax)
        logmel = normalise_logmel(torch.log(torch.clamp(torch.from_numpy(mel), min=LOG_EPS)))  # the model's input
        return logmel[None], self.labels[i]  # one window: (1, n_mels, T)


def naive_epoch_seconds(data_root, train_clips, labels, warmup_items=2):
    """Seconds of one naive training epoch over `train_clips` (librosa's first calls JIT-compile, so a
    couple of items are read first and not timed)."""
    import torch
    from torch.utils.data import DataLoader

    import train
    from config import CFG
    from dataset import collate_windows

    args = train.parse_args(["--data_root", str(data_root)])
    torch.set_flush_denormal(True)  # as train.py: the model's step is as fast here as there
    torch.manual_seed(0)
    _, model, _ = train.build(args, CFG)  # the same LiteAudioCNN train.py trains
    ds = NaiveClips([str(Path(data_root) / p) for p in train_clips], labels, CFG)
    for i in range(warmup_items):
        ds[i]
    loader = DataLoader(ds, batch_size=args.batch_size, shuffle=True, collate_fn=collate_windows)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    criterion = torch.nn.CrossEntropyLoss(weight=train.class_weights(labels))
    scaler = torch.amp.GradScaler("cpu", enabled=False)
    start = time.perf_counter()
    train.train_epoch(model, model.classify, loader, criterion, optimizer, scaler, args, torch.device("cpu"), 1)
    return time.perf_counter() - start


def train_run(data_root, name, cache_dir, epochs, *flags):
    """train.py on `data_root` as a subprocess: peak RSS, per-epoch log, clips computed vs read from cache."""
    import torch

    ckpt = WORK / f"{name}.pt"
    cmd = [sys.executable, str(common.ROOT / "train.py"), "--data_root", str(data_root), "--epochs", str(epochs),
           "--keep", "last", "--cache_dir", str(cache_dir), "--ckpt", str(ckpt), "--overwrite", *flags]
    start = time.perf_counter()
    proc, rss = common.run_with_peak_rss(cmd, cwd=common.ROOT)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    found = re.search(r"log-mel features: (\d+) clip\(s\) computed, (\d+) read from cache", proc.stdout)
    saved = torch.load(ckpt, weights_only=True)
    history = saved["history"]
    run = {"peak_rss_mb": rss, "seconds": seconds, "computed": int(found[1]), "from_cache": int(found[2]),
           "train_clips": saved["train_clips"], "clips_per_s": [row["clips_per_s"] for row in history[1:]],
           "ram_mb_per_epoch": [row["ram_mb"] for row in history], "cache_mb": cache_mb(cache_dir)}
    print(f"  train.py {name}: {run['computed']} clips computed, {run['from_cache']} from cache, clips/s per epoch "
          f"{[round(c) for c in run['clips_per_s']]}, peak RSS {rss:.0f} MB", flush=True)
    return run


def cache_mb(cache_dir):
    return sum(p.stat().st_size for p in (Path(cache_dir) / "logmel").glob("*.npy")) / 2**20


def model_step_clips_per_s(cache_dir, data_root, train_clips, labels, epochs=9, one_window=False):
    """Clips/s of the model's training step alone (train.py's window pick, then forward, backward,
    AdamW) on the same clips' cached, unaugmented windows, batched once up front: the ceiling any
    data path could reach. With one_window, each clip's first window only: no pick, the model work
    the naive path does too, so naive seconds per clip over these bound the ratio to naive."""
    import numpy as np
    import torch

    import train
    from config import CFG
    from dataset import HelmitAudioDS, cached_log_power, cnn_view, collate_windows

    args = train.parse_args(["--data_root", str(data_root)])
    clips, _ = cached_log_power([str(Path(data_root) / p) for p in train_clips], cache_dir)
    if one_window:
        clips = [np.asarray(c)[:1] for c in clips]
    ds = HelmitAudioDS(clips, labels, cnn_view(CFG))
    batches = [collate_windows(ds.__getitems__(list(range(i, min(i + args.batch_size, len(ds))))))
               for i in range(0, len(ds), args.batch_size)]
    torch.set_flush_denormal(True)
    torch.manual_seed(0)
    _, model, _ = train.build(args, CFG)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    scaler = torch.amp.GradScaler("cpu", enabled=False)
    epoch = lambda: train.train_epoch(model, model.classify, batches, torch.nn.CrossEntropyLoss(), optimizer, scaler,
                                      args, torch.device("cpu"), 1, pick=train.window_pick_forward(model, "logmel"))
    return len(ds) / common.timed(epoch, repeats=epochs, warmup=1)["median"]


def cnn_and_memory(corpus, big, rounds, epochs):
    """Rounds of (train.py run, naive epoch) on the base corpus, then train.py twice on the 4x corpus,
    for 1/4 of the epochs: the same number of training steps, so the two sizes differ only in the
    number of clips. The first train.py run on each corpus fills its cache, the others read it."""
    from utils_io import read_labels_csv

    labels = {r["path"]: r["label"] for r in read_labels_csv(corpus / "labels.csv", corpus)}
    caches = {size: WORK / f"cache_{size}" for size in ("1x", "4x")}
    for cache in caches.values():
        shutil.rmtree(cache, ignore_errors=True)  # the first run on each corpus must compute every clip
    one, naive = [], []
    for r in range(max(2, rounds)):  # at least a first run (fills the cache) and a second (reads it)
        one.append(train_run(corpus, f"cnn_1x_{r}", caches["1x"], epochs))
        clips = one[0]["train_clips"]
        if r < rounds:
            naive.append(naive_epoch_seconds(corpus, clips, [labels[p] for p in clips]))
            print(f"  naive epoch {r + 1}: {len(clips) / naive[-1]:.1f} clips/s", flush=True)
    bf16 = train_run(corpus, "cnn_1x_bf16", caches["1x"], epochs, "--use_autocast")
    model_only = model_step_clips_per_s(caches["1x"], corpus, clips, [labels[p] for p in clips])
    one_window = model_step_clips_per_s(caches["1x"], corpus, clips, [labels[p] for p in clips], one_window=True)
    four = [train_run(big, f"cnn_4x_{r}", caches["4x"], max(1, epochs // 4)) for r in range(2)]
    helmit_cps = statistics.median(c for run in one for c in run["clips_per_s"])
    naive_cps = statistics.median(len(clips) / s for s in naive)
    strip = lambda runs: [{k: v for k, v in run.items() if k != "train_clips"} for run in runs]
    return {"train_clips": len(clips), "helmit_clips_per_s": helmit_cps, "naive_clips_per_s": naive_cps,
            "ratio": helmit_cps / naive_cps, "naive_epoch_seconds": naive,
            "helmit_bf16_clips_per_s": statistics.median(bf16["clips_per_s"]), "model_step_clips_per_s": model_only,
            "model_step_one_window_clips_per_s": one_window,
            "helmit_clips_per_s_4x": statistics.median(c for run in four for c in run["clips_per_s"]),
            "train_clips_4x": len(four[0]["train_clips"]),
            "runs": {"1x": strip(one), "4x": strip(four), "1x_bf16": strip([bf16])}}


def w2v_epochs(corpus, n_clips, repeats):
    """Seconds per frozen-Wav2Vec2-base head epoch: features cached vs the backbone run every epoch."""
    import torch
    from torch.utils.data import DataLoader
    from transformers import Wav2Vec2Config, Wav2Vec2Model

    import train
    from config import CFG
    from dataset import (ClipWaves, HelmitAudioDS, cached_w2v_features, collate_windows, feature_view,
                         wave_view, window_waves)
    from utils_io import read_labels_csv

    rows = read_labels_csv(corpus / "labels.csv", corpus)[:n_clips]
    labels, paths = [r["label"] for r in rows], [r["abspath"] for r in rows]
    with tempfile.TemporaryDirectory() as tmp:
        torch.manual_seed(0)
        Wav2Vec2Model(Wav2Vec2Config()).save_pretrained(tmp)  # base size: timing does not depend on the weights
        args = train.parse_args(["--use_wav2vec2", "--w2v_model", tmp])
        _, model, _ = train.build(args, CFG)
    device = torch.device("cpu")

    def epoch_seconds(inputs, view, forward):
        loader = DataLoader(HelmitAudioDS(inputs, labels, view), batch_size=args.batch_size, shuffle=True,
                            collate_fn=collate_windows)
        optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.lr)
        scaler = torch.amp.GradScaler("cpu", enabled=False)
        return lambda: train.train_epoch(model, forward, loader, torch.nn.CrossEntropyLoss(), optimizer, scaler,
                                         args, device, 1)

    waves = ClipWaves(paths)
    windows = window_waves(waves)
    with torch.no_grad():
        model(torch.from_numpy(windows[0][:1]))  # first call: allocations, thread pool
    recompute = common.timed(epoch_seconds(windows, wave_view(CFG), model), repeats=1, warmup=0)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as cache:
        feats, _ = cached_w2v_features(model, paths, waves, CFG.clip_samples, CFG.clip_samples // 2, cache)
    extract = time.perf_counter() - start
    cached = common.timed(epoch_seconds(feats, feature_view, model.classify_features), repeats=repeats, warmup=1)
    return {"clips": len(rows), "windows": sum(len(w) for w in windows), "recompute_epoch_s": recompute["median"],
            "cached_epoch_s": cached["median"], "cached_epoch_runs": cached["runs"],
            "feature_extraction_once_s": extract, "ratio": recompute["median"] / cached["median"]}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true",
                   help="one naive epoch instead of two and 6 Wav2Vec2 clips instead of 12: less time, "
                        "noisier numbers")
    args = p.parse_args(argv)
    t0 = time.time()
    rounds, epochs, w2v_clips = (1, EPOCHS, 6) if args.quick else (2, EPOCHS, 12)
    WORK.mkdir(parents=True, exist_ok=True)
    print("corpus (built once, then reused from bench/.work) ...", flush=True)
    corpus = common.corpus(*BASE_CORPUS)
    big = common.scaled_corpus(corpus, 4)
    print("CNN training: naive data path vs train.py, then train.py on 4x the clips ...", flush=True)
    cnn = cnn_and_memory(corpus, big, rounds, epochs)
    print("frozen Wav2Vec2-base: head epochs, backbone every epoch vs cached features ...", flush=True)
    w2v = w2v_epochs(corpus, w2v_clips, repeats=5)

    one, four = cnn["runs"]["1x"], cnn["runs"]["4x"]
    peak_1x, peak_4x = max(r["peak_rss_mb"] for r in one), max(r["peak_rss_mb"] for r in four)
    common.print_table(f"CNN training, augmentation on, 8-s windows ({cnn['train_clips']} training clips, batch 16)",
                       ["data path", "clips/s", "vs naive"],
                       [("naive (librosa in __getitem__, every epoch)", cnn["naive_clips_per_s"], "1x"),
                        ("Helmit train.py", cnn["helmit_clips_per_s"], f"{cnn['ratio']:.1f}x"),
                        ("Helmit train.py --use_autocast (bf16)", cnn["helmit_bf16_clips_per_s"],
                         f"{cnn['helmit_bf16_clips_per_s'] / cnn['naive_clips_per_s']:.1f}x"),
                        ("(the model's step alone, no data path)", cnn["model_step_clips_per_s"],
                         f"{cnn['model_step_clips_per_s'] / cnn['naive_clips_per_s']:.1f}x"),
                        ("(the step on one window per clip, no pick: the naive path's model work)",
                         cnn["model_step_one_window_clips_per_s"],
                         f"{cnn['model_step_one_window_clips_per_s'] / cnn['naive_clips_per_s']:.1f}x"),
                        (f"Helmit train.py, 400-clip corpus ({cnn['train_clips_4x']} training clips)",
                         cnn["helmit_clips_per_s_4x"], "")])
    common.print_table(f"frozen Wav2Vec2-base head training ({w2v['clips']} clips, {w2v['windows']} windows)",
                       ["features", "s/epoch", "speed-up"],
                       [("backbone run every epoch", w2v["recompute_epoch_s"], "1x"),
                        ("cached on disk", w2v["cached_epoch_s"], f"{w2v['ratio']:.0f}x"),
                        ("(extracting them once)", w2v["feature_extraction_once_s"], "")])
    common.print_table(f"train.py memory (peak RSS of the process tree; {epochs} epochs of 100 clips, "
                       f"{max(1, epochs // 4)} of 400: the same number of steps)",
                       ["corpus", "run", "clips computed", "from cache", "peak RSS MB", "cache on disk MB"],
                       [(size, i + 1, r["computed"], r["from_cache"], r["peak_rss_mb"], r["cache_mb"])
                        for size, rs in (("100 clips", one), ("400 clips", four)) for i, r in enumerate(rs)])
    targets = [
        (f"CNN training >= {CNN_RATIO_TARGET}x the naive path's clips/s", cnn["ratio"], cnn["ratio"] >= CNN_RATIO_TARGET),
        (f"CNN training >= {CNN_CPS_TARGET} clips/s", cnn["helmit_clips_per_s"],
         cnn["helmit_clips_per_s"] >= CNN_CPS_TARGET),
        (f"frozen Wav2Vec2 head epoch >= {W2V_RATIO_TARGET}x faster with cached features", w2v["ratio"],
         w2v["ratio"] >= W2V_RATIO_TARGET),
        (f"train.py peak RSS at 4x the clips <= {RSS_GROWTH_LIMIT:.2f}x that at 1x", peak_4x / peak_1x,
         peak_4x <= RSS_GROWTH_LIMIT * peak_1x),
        ("a second train.py run reads every clip from the cache", f"{one[-1]['from_cache']} of "
         f"{one[-1]['from_cache'] + one[-1]['computed']}", one[-1]["computed"] == 0 and four[-1]["computed"] == 0),
    ]
    common.write_results("train", {"quick": args.quick, "cnn": cnn, "w2v": w2v,
                                   "peak_rss_mb": {"1x": peak_1x, "4x": peak_4x},
                                   "seconds": time.time() - t0}, targets)
    print(f"total {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
