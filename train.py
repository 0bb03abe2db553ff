"""Train LiteAudioCNN (default) or Wav2Vec2Classifier (--use_wav2vec2) on data/labels.csv.

Model selection uses validation ROC-AUC (ties: balanced accuracy, then loss), which a model that
predicts one class for every clip cannot game: the original kept the epoch with the best F1 of the
harmful class, which "everything is harmful" wins with F1 = 0.75 on a 60/40 set. The decision
threshold is then chosen on the same validation clips and stored in the checkpoint.

`--folds K` runs stratified K-fold cross-validation instead (groups kept whole when labels.csv
has a group column) and writes out-of-fold predictions: on a hundred clips, the number to trust.

Under `torchrun --nproc_per_node N train.py ...` it trains with DistributedDataParallel, each
process on its share of every epoch; rank 0 alone validates, prints and writes (utils_dist.py).
"""
import argparse
import contextlib
import csv
import ctypes
import dataclasses
import os
import sys
import time
from pathlib import Path

from config import CFG
from utils_io import HelpFormatter


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=HelpFormatter,
                                epilog="several processes or machines: torchrun --nproc_per_node N train.py ... "
                                       "(DistributedDataParallel; --batch_size is per process; see docs/reference.md)")
    p.add_argument("--data_root", default=CFG.data_root, help="folder the paths in labels.csv are relative to")
    p.add_argument("--labels_csv", default=None, help="labels file (default: <data_root>/labels.csv)")
    p.add_argument("--ckpt", default=None, help="checkpoint to write (default: runs/lite_cnn.pt or runs/wav2vec2.pt)")
    p.add_argument("--epochs", type=int, default=CFG.epochs, help="maximum epochs")
    p.add_argument("--batch_size", type=int, default=CFG.batch_size, help="clips per batch")
    p.add_argument("--lr", type=float, default=CFG.lr, help="AdamW learning rate")
    p.add_argument("--weight_decay", type=float, default=CFG.weight_decay, help="AdamW weight decay")
    p.add_argument("--accumulate_steps", type=int, default=1, help="batches per optimizer step")
    p.add_argument("--use_sampler", action="store_true", help="class-balanced WeightedRandomSampler")
    p.add_argument("--use_autocast", action="store_true", help="mixed precision (bf16 on CPU, fp16 on GPU)")
    p.add_argument("--width_mult", type=float, default=CFG.width_mult, help="LiteAudioCNN channel multiplier")
    p.add_argument("--dropout", type=float, default=CFG.dropout, help="dropout before the linear head")
    p.add_argument("--use_wav2vec2", action="store_true", help="train Wav2Vec2Classifier instead of the CNN")
    p.add_argument("--w2v_model", default=CFG.w2v_model, help="Wav2Vec2 hub id or local directory (save_pretrained)")
    p.add_argument("--num_unfrozen_layers", type=int, default=0,
                   help="Wav2Vec2 transformer layers to fine-tune; 0 = frozen backbone, whose features are "
                        "computed once per clip and cached, so each epoch trains only the head")
    p.add_argument("--w2v_pooling", choices=("mean", "layers"), default="mean",
                   help="Wav2Vec2 head input: mean over time of the last layer, or a learned weighted sum "
                        "over all layers (as the SUPERB benchmark does), then mean over time")
    p.add_argument("--cache_dir", default="runs/cache",
                   help="where features are cached, one .npy file per clip, so a clip is decoded and its features "
                        "computed once, not once per run: the CNN's log-mel windows in <cache_dir>/logmel (keyed by "
                        "the audio settings and the clip's path, size and mtime; read back memory-mapped, so RAM "
                        "does not grow with the corpus), frozen Wav2Vec2 features (keyed by the backbone weights, "
                        "the windowing and the audio itself)")
    p.add_argument("--val_fraction", type=float, default=CFG.val_fraction, help="share of clips for validation (stratified)")
    p.add_argument("--patience", type=int, default=CFG.early_stop_patience, help="early stopping patience in epochs")
    p.add_argument("--keep", choices=("best", "last"), default="best",
                   help="checkpoint the best validation epoch (with early stopping), or train all --epochs and "
                        "keep the last: with a handful of validation clips, 'best' is often picking noise")
    p.add_argument("--folds", type=int, default=0,
                   help="K >= 2: stratified K-fold cross-validation; prints per-fold and mean +- std held-out "
                        "metrics and writes out-of-fold predictions (--oof_csv) instead of a checkpoint")
    p.add_argument("--group_column", default="group",
                   help="labels.csv column whose clips must stay together (same speaker or conversation) "
                        "in folds and in the validation split (whole groups, so about 1/round(1/--val_fraction) "
                        "of them); the default 'group' is skipped when labels.csv has no such column, a column "
                        "you name must exist")
    p.add_argument("--oof_csv", default=None,
                   help="out-of-fold predictions of --folds (default: <data_root>/<cnn|wav2vec2>_cv_predictions.csv, "
                        "which compute_metrics.py picks up)")
    p.add_argument("--train_on_holdout", action="store_true", help="use clips marked holdout=1 for training too (default: they form the test split)")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted run from its last finished epoch (saved after every epoch in "
                        "--ckpt with its suffix replaced by .progress.pt: runs/lite_cnn.progress.pt for "
                        "runs/lite_cnn.pt); the result equals an uninterrupted run with the same flags")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --ckpt (with --folds: --oof_csv), and an interrupted run's progress file")
    p.add_argument("--seed", type=int, default=CFG.seed, help="random seed (same seed, same result on one machine)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or mps")
    return p.parse_args(argv)


# PyTorch (2.2+) backs each tensor of 2 MB or more with transparent huge pages when this is set, and
# reads it once, at its first allocation: hence before `import torch`, and only when train.py is the
# program (importing it changes nothing). A CNN training step allocates ~10 MB of activations per 8-s
# window, and on a VM every fresh 4 KB page is a slow fault: with huge pages train.py trained 50
# instead of 40 clips/s on 400 clips on 2 cores (A/B pairs run back to back), and the memory a step freed
# can be given back after it at no measurable cost (RELEASE_FREED_MEMORY below: trimming after every
# step or only past 1.25x the working set measured 55/56 against 53/57 clips/s).
if __name__ == "__main__":
    os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")
    parse_args()  # --help and a mistyped flag answer now, not after the seconds torch takes to import below

import numpy as np  # noqa: E402
import psutil  # noqa: E402
import torch  # noqa: E402
from torch.utils.data import DataLoader, WeightedRandomSampler
from tqdm import tqdm

from config import CLASS_NAMES, get_device, seed_all
from dataset import (ClipWaves, HelmitAudioDS, cached_log_power, cached_w2v_features, cnn_view,
                     collate_windows, feature_view, top_windows, wave_view, window_waves)
from logmel import frontend_args
from model import CHECKPOINT_FORMAT, build_model, save_checkpoint, storable_model_args
from scoring import clip_prob, decision, harmful_probs
from selection import best_threshold, binary_metrics, collapse_warnings, fmt, selection_key
from splits import (CLIP_DIGEST, SAME_AUDIO, group_ids, group_name, same_audio_groups, split_rows,
                    stratified_folds, warn_case_variants)
from train_progress import load_progress, restore_progress, save_progress, trained_state
from utils_dist import (ddp_forward, distributed_sampler, from_rank0, init_distributed, launched_ranks,
                        mean_over_ranks, rank, rank0_first, report_ranks, shutdown, sync_buffers, world_size)
from utils_io import (HelmitError, atomic_output, clip_digest, file_sha256, read_labels_csv,
                      refuse_to_overwrite, run_cli, write_csv)


def class_weights(labels):
    """total / (2 * count) per class: each class contributes equally to the loss."""
    counts = np.bincount(labels, minlength=2).astype(np.float64)
    return torch.tensor(len(labels) / (2 * np.maximum(counts, 1)), dtype=torch.float32)


def build(args, cfg):
    if args.use_wav2vec2:
        model_args = dict(n_classes=2, source=args.w2v_model, num_unfrozen_layers=args.num_unfrozen_layers,
                          dropout=args.dropout, pooling=args.w2v_pooling)
        arch = "Wav2Vec2Classifier"
    else:
        model_args = dict(n_classes=2, width_mult=args.width_mult, dropout=args.dropout,
                          frontend=frontend_args(cfg))
        arch = "LiteAudioCNN"
    model = build_model(arch, model_args)
    if arch == "LiteAudioCNN":
        # Channels-last activations let oneDNN run the convolutions, BatchNorm and ReLU of a training
        # step about 1.5-2x faster on CPU (bench/bench_train.py); the weights and what they compute stay the same.
        model = model.to(memory_format=torch.channels_last)
    return arch, model, storable_model_args(model, model_args)


def input_kind(args):
    """What a training example is: log-mel windows (CNN), cached features (frozen Wav2Vec2), or
    waveform windows (Wav2Vec2 being fine-tuned, whose features change every step)."""
    if not args.use_wav2vec2:
        return "logmel"
    return "features" if args.num_unfrozen_layers == 0 else "wave"


def clip_inputs(kind, model, rows, cfg, args):
    """Per clip, its windows in the form `kind` trains on, computed once (log-mel and frozen Wav2Vec2
    features: once per clip ever, cached under --cache_dir). Clips are decoded one at a time."""
    paths, where = [r["abspath"] for r in rows], [r.get("labels_row") for r in rows]
    if kind == "logmel":  # on disk, memory-mapped a batch at a time: RAM does not grow with the corpus
        clips, n_new = cached_log_power(paths, args.cache_dir, cfg, where=where)
        print(f"log-mel features: {n_new} clip(s) computed, {len(rows) - n_new} read from cache {args.cache_dir}")
        return clips
    waves = ClipWaves(paths, cfg.sample_rate, where)
    if kind == "wave":
        return window_waves(waves, cfg)
    feats, n_new = cached_w2v_features(model, [r["path"] for r in rows], waves, cfg.clip_samples,
                                       cfg.clip_samples // 2, args.cache_dir)
    print(f"wav2vec2 features: {n_new} clip(s) computed, {len(rows) - n_new} from cache {args.cache_dir}")
    return feats


def model_forward(model, kind):
    """The part of the model that runs on `kind` inputs (the frozen parts ran once, in clip_inputs)."""
    if kind == "logmel":
        return model.classify
    return model.classify_features if kind == "features" else model


def window_pick_forward(model, kind):
    """The forward that chooses each clip's top window: the CNN's with BatchNorm folded into its convs
    (eval mode's logits, 1.4-1.7x faster), otherwise the model's own eval-mode forward."""
    return model.classify_folded if kind == "logmel" else model_forward(model, kind)


def views(kind, cfg):
    """(training view, evaluation view) of a batch of windows."""
    if kind == "logmel":
        return cnn_view(cfg, train=True), cnn_view(cfg, train=False)
    if kind == "wave":
        return wave_view(cfg, train=True), wave_view(cfg, train=False)
    return feature_view, feature_view


@torch.no_grad()
def score_clips(model, forward, inputs, view, device, batch_size=64):
    """P(harmful) per clip: every window scored, the clip score is their max (as infer.py does)."""
    model.eval()
    rng = np.random.default_rng(0)  # evaluation views are deterministic; the rng is unused
    out, group, n_windows = [], [], 0  # clips read so far, scored once they hold batch_size windows

    def score(group):
        x = view(np.concatenate([np.asarray(c) for c in group]), rng)  # (windows of the group, ...)
        probs = np.concatenate([harmful_probs(forward(x[i:i + batch_size].to(device)).float().cpu().numpy())
                                for i in range(0, len(x), batch_size)])
        ends = np.cumsum([len(c) for c in group])
        out.extend(clip_prob(p) for p in np.split(probs, ends[:-1]))

    for clip in inputs:
        group.append(clip)
        n_windows += len(clip)
        if n_windows >= batch_size:
            score(group)
            group, n_windows = [], 0
    if group:
        score(group)
    return np.array(out)


def _malloc_trim():
    """glibc's malloc_trim, or None where there is none (macOS, musl)."""
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


# A training step allocates and frees hundreds of MB of tensors whose sizes change with each batch's
# window count. glibc keeps what was freed in a fragmented heap, so RSS crept up step after step while
# holding nothing (1.0 GB after 10 steps, 1.8 GB after 90, still rising); handing the free pages back
# after each step keeps it at one step's working set (0.7 GB, flat). With huge pages (above) that cost
# no measurable time; without them, refilling the pages makes a step ~1.25x slower.
RELEASE_FREED_MEMORY = _malloc_trim()


@contextlib.contextmanager
def evaluating(model):
    """Every module in eval mode inside; each back to its own mode after (a frozen backbone stays in eval)."""
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        yield
    finally:
        for m, training in modes:
            m.training = training


NOT_FINITE = ("the model's scores are NaN or infinite: training diverged (try a lower --lr), or the Wav2Vec2 "
              "model's weights did not load")


def pick_top_windows(pick, model, x, owner, n_clips, autocast):
    """Each clip's most harmful-looking window, chosen as inference would score it (eval mode: no
    dropout, BatchNorm's running statistics) in one pass without gradients.

    Only that window carries the clip's loss (MIL max), so the forward and backward pass with
    gradients need not run on the others. At 2 windows per clip the step ran 1.2-1.6x faster in an
    in-process A/B, and train.py went from 42.5 to 62.7 clips/s in bench/bench_train.py. A clip
    with one window has nothing to choose, so only the windows of clips with several are scored
    (half the clips of the bench corpus have one). The model ends as it was; nothing here draws
    random numbers, so --resume stays exact.
    """
    several = torch.bincount(owner, minlength=n_clips)[owner] > 1  # (n_windows,): its clip has others
    margin = torch.zeros(len(x), device=x.device)  # a lone window is its clip's top whatever its margin
    with torch.no_grad(), autocast, evaluating(model):
        logits = pick(x[several]).float()
    margin[several] = logits[:, 1] - logits[:, 0]
    if not torch.isfinite(margin).all():  # top_windows would index past the batch
        raise HelmitError(NOT_FINITE)
    return top_windows(margin, owner, n_clips)


def train_epoch(model, forward, loader, criterion, optimizer, scaler, args, device, epoch, pick=None):
    """One pass over `loader`; `pick` is the no-gradient forward that chooses each clip's top window
    (fit passes window_pick_forward; default `forward`; under torchrun `forward` is DDP's, which the
    pick does not need)."""
    pick = pick or forward
    model.train()
    if args.use_wav2vec2 and args.num_unfrozen_layers == 0:
        model.backbone.eval()  # frozen backbone: keep its dropout off
    autocast = torch.autocast(device.type, dtype=torch.bfloat16 if device.type == "cpu" else torch.float16,
                              enabled=args.use_autocast)
    total, n = 0.0, 0
    optimizer.zero_grad(set_to_none=True)
    bar = tqdm(loader, desc=f"epoch {epoch}", unit="batch", leave=False)
    n_batches = len(loader)
    for step, (x, owner, y) in enumerate(bar, start=1):
        x, owner, y = x.to(device), owner.to(device), y.to(device)
        if len(x) > len(y):  # some clip has several windows: train on each clip's top window only
            x = x[pick_top_windows(pick, model, x, owner, len(y), autocast)]
        with autocast:
            logits = forward(x).float()  # (B, 2): one window per clip, in clip order
            loss = criterion(logits, y)
        if not torch.isfinite(loss):
            raise HelmitError(f"epoch {epoch}: {NOT_FINITE}")
        group_start = (step - 1) // args.accumulate_steps * args.accumulate_steps
        group_size = min(args.accumulate_steps, n_batches - group_start)  # the last group may be short
        scaler.scale(loss / group_size).backward()
        if step % args.accumulate_steps == 0 or step == n_batches:
            scaler.step(optimizer)
            scaler.update()
            optimizer.zero_grad(set_to_none=True)
        total += loss.item() * len(y)
        n += len(y)
        if RELEASE_FREED_MEMORY is not None:
            RELEASE_FREED_MEMORY(0)
    return total / max(n, 1)


def write_log(path, history):
    with atomic_output(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(history[0]))
        writer.writeheader()
        writer.writerows(history)


def validate(model, forward, val_inputs, y_val, view, device):
    """(metrics, threshold chosen on these clips) of the model on the validation clips."""
    probs = score_clips(model, forward, val_inputs, view, device)
    thr = best_threshold(y_val, probs)
    return binary_metrics(y_val, probs, thr), thr


def fit(args, cfg, model, kind, inputs, train_rows, val_rows, device, seed, progress_path=None, resume=None):
    """Train on train_rows, select the epoch and threshold on val_rows. Returns a dict with the
    best state_dict, threshold, best_epoch, val metrics and the per-epoch history.

    With `progress_path`, the state after every epoch is saved there (atomically) so that `resume`
    (that file, loaded) continues the run with the same result as if it had never stopped.
    """
    forward = model_forward(model, kind)
    train_view, eval_view = views(kind, cfg)
    y_train = [r["label"] for r in train_rows]
    # seed + rank: under torchrun each rank augments its own clips with its own random stream
    train_ds = HelmitAudioDS([inputs[r["path"]] for r in train_rows], y_train, train_view, seed=seed + rank())
    sampler = None
    if world_size() > 1:
        # Class balance is kept as in one process: --use_sampler makes one weighted draw per epoch that
        # the ranks split; without it, a plain distributed shuffle and the loss weighted by the classes'
        # counts over all training clips (the same weights on every rank, whatever clips it gets).
        w = class_weights(y_train).numpy()[y_train] if args.use_sampler else None
        sampler = distributed_sampler(len(y_train), w, seed)
    elif args.use_sampler:
        w = class_weights(y_train).numpy()[y_train]
        sampler = WeightedRandomSampler(w, len(y_train), generator=torch.Generator().manual_seed(seed))
    loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=sampler is None, sampler=sampler,
                        collate_fn=collate_windows, generator=torch.Generator().manual_seed(seed))
    # With a balanced sampler the batches are already balanced: weighting the loss too would double count.
    criterion = torch.nn.CrossEntropyLoss(weight=None if args.use_sampler else class_weights(y_train).to(device))
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.lr,
                                  weight_decay=args.weight_decay)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="max", factor=cfg.plateau_factor,
                                                           patience=cfg.plateau_patience)
    scaler = torch.amp.GradScaler(device.type, enabled=args.use_autocast and device.type == "cuda")
    val_inputs, y_val = [inputs[r["path"]] for r in val_rows], [r["label"] for r in val_rows]

    best, history, best_key, first_epoch = {}, [], None, 1
    if resume is not None:
        first_epoch, best, best_key, history = restore_progress(resume, model, optimizer, scheduler, scaler,
                                                                train_ds, loader, sampler)
        if resume["stopped"]:
            first_epoch = args.epochs + 1  # it had stopped early; only the final checkpoint was missing
        tqdm.write(f"resuming after epoch {first_epoch - 1}")
    # under torchrun: the training step through DDP (gradients averaged across ranks); validation
    # below runs the plain model, on rank 0 only. Fine-tuned Wav2Vec2 layers can skip steps (LayerDrop).
    train_forward = ddp_forward(model, forward, device, find_unused_parameters=kind == "wave")
    for epoch in range(first_epoch, args.epochs + 1):
        t0 = time.time()
        if world_size() > 1:
            sampler.set_epoch(epoch)  # a new order each epoch, the same on every rank so their shares stay disjoint
        train_loss = mean_over_ranks(train_epoch(model, train_forward, loader, criterion, optimizer, scaler, args,
                                                 device, epoch, pick=window_pick_forward(model, kind)))
        sync_buffers(model)
        train_seconds = time.time() - t0  # the training pass alone: what clips_per_s measures
        # every rank gets rank 0's numbers, so all take the same LR step, best epoch and early stop
        m, thr = from_rank0(validate, model, forward, val_inputs, y_val, eval_view, device)
        scheduler.step(m["roc_auc"])
        row = {"epoch": epoch, "train_loss": round(train_loss, 4), **{f"val_{k}": round(v, 4) for k, v in m.items()},
               "lr": optimizer.param_groups[0]["lr"], "ram_mb": round(psutil.Process().memory_info().rss / 2**20),
               "seconds": round(time.time() - t0, 2), "train_seconds": round(train_seconds, 2),
               "clips_per_s": round(len(train_rows) / train_seconds, 1)}
        history.append(row)
        key = selection_key(m)
        improved = best_key is None or key > best_key or args.keep == "last"
        tqdm.write(f"epoch {epoch:3d} loss {train_loss:.4f} | val {fmt(m)} thr {thr:.2f} | "
                   f"RAM {row['ram_mb']} MB | {row['seconds']:.1f}s{' *' if improved else ''}")
        if improved:
            best_key = key
            best.update(state_dict=trained_state(model), threshold=thr, best_epoch=epoch)
        stop = not improved and epoch - best["best_epoch"] >= args.patience  # never with --keep last
        if progress_path:
            save_progress(progress_path, args, epoch, stop, model, optimizer, scheduler, scaler, best, best_key, history,
                          train_ds, loader, sampler)
        if stop:
            tqdm.write(f"early stop: no improvement for {args.patience} epochs")
            break
    model.load_state_dict(best["state_dict"], strict=False)
    best["state_dict"] = {k: v.detach().cpu() for k, v in model.state_dict().items()}  # complete, for the checkpoint
    report_ranks(len(loader.sampler), len(loader), len(train_ds), best["state_dict"])
    best["val_metrics"] = binary_metrics(y_val, score_clips(model, forward, val_inputs, eval_view, device),
                                         best["threshold"])
    best["history"] = history
    return best


PREDICTION_COLUMNS = ("path", "label", "pred", "prob", "prob_harmful", "split", "fold", "threshold", "category", "group")


def prediction_rows(rows, probs, threshold, split, fold="", group_column=None):
    """Rows in infer_dataset.py's predictions format (prob = confidence of the prediction). `group`: the
    clip's value of the labels.csv's group column, so fusion.py keeps a speaker in one of its inner folds."""
    return [{"path": r["path"], "label": r["label"], **decision(p, threshold), "split": split, "fold": fold,
             "threshold": threshold, "category": r.get("category", ""),
             "group": group_name(r, group_column) if group_column else ""} for r, p in zip(rows, probs)]


def fold_split(args, rows, train_idx, k):
    """Fold k's inner (train, val, []) split of its training clips. Its errors say they are about one
    fold's part of the file: "3 distinct groups" would otherwise read as the whole file's count."""
    fold_rows = [rows[i] for i in train_idx]
    try:
        return split_rows(fold_rows, args.val_fraction, args.seed + k, False, args.group_column)
    except HelmitError as e:
        if str(e).startswith("--"):
            raise
        groups = group_ids(rows, args.group_column)
        part = (f"{len({groups[i] for i in train_idx})} of the file's {len(set(groups))} groups, "
                if groups is not None else "")
        raise HelmitError(f"fold {k + 1} of {args.folds} trains on {len(fold_rows)} of the {len(rows)} clips ({part}"
                          f"the rest held out), and its validation split failed: {e}") from None


def cross_validate(args, cfg, rows, inputs, device):
    """K-fold CV: each fold trains on K-1 folds (minus an inner validation split for the epoch and
    threshold) and predicts its held-out fold. Returns (out-of-fold rows, per-fold metrics)."""
    folds = stratified_folds(rows, args.folds, args.seed, args.group_column)
    oof, per_fold = [], []
    for k, (train_idx, test_idx) in enumerate(folds):
        seed_all(args.seed + k)
        test_rows = [rows[i] for i in test_idx]
        train_rows, val_rows, _ = fold_split(args, rows, train_idx, k)
        tqdm.write(f"\nfold {k + 1}/{args.folds}: {len(train_rows)} train, {len(val_rows)} val, {len(test_rows)} held out")
        _, model, _ = build(args, cfg)
        model.to(device)
        kind = input_kind(args)
        best = fit(args, cfg, model, kind, inputs, train_rows, val_rows, device, args.seed + k)
        probs = score_clips(model, model_forward(model, kind), [inputs[r["path"]] for r in test_rows],
                            views(kind, cfg)[1], device)
        m = binary_metrics([r["label"] for r in test_rows], probs, best["threshold"])
        per_fold.append({"fold": k + 1, "best_epoch": best["best_epoch"], **m})
        oof += prediction_rows(test_rows, probs, best["threshold"], "test", str(k + 1), args.user_group_column)
        tqdm.write(f"fold {k + 1}: best epoch {best['best_epoch']}, held out: {fmt(m)}")
        for w in collapse_warnings(f"fold {k + 1}", m):
            tqdm.write(w)
    return oof, per_fold


def cv_summary(per_fold):
    lines = [f"{'fold':>4} {'clips':>5} {'bal.acc':>8} {'macro-F1':>8} {'ROC-AUC':>8} {'harmful%':>8}"]
    for m in per_fold:
        lines.append(f"{m['fold']:>4} {m['n']:>5} {m['balanced_accuracy']:>8.3f} {m['macro_f1']:>8.3f} "
                     f"{m['roc_auc']:>8.3f} {m['share_predicted_harmful']:>8.0%}")
    for name, key in (("balanced accuracy", "balanced_accuracy"), ("macro-F1", "macro_f1"), ("ROC-AUC", "roc_auc")):
        v = np.array([m[key] for m in per_fold])
        lines.append(f"{name:>17}: {np.nanmean(v):.3f} +- {np.nanstd(v):.3f}")
    return "\n".join(lines)


def run(argv=None):
    args = parse_args(argv)
    args.labels_csv = args.labels_csv or str(Path(args.data_root) / "labels.csv")
    args.ckpt = args.ckpt or ("runs/wav2vec2.pt" if args.use_wav2vec2 else "runs/lite_cnn.pt")
    args.oof_csv = args.oof_csv or str(Path(args.data_root) / f"{'wav2vec2' if args.use_wav2vec2 else 'cnn'}_cv_predictions.csv")
    if args.accumulate_steps < 1 or args.batch_size < 1 or args.epochs < 1:
        raise HelmitError("--epochs, --batch_size and --accumulate_steps must be at least 1")
    if args.folds == 1 or args.folds < 0:
        raise HelmitError(f"--folds {args.folds}: use 0 (one train/val split) or at least 2")
    for flag, ok, want in (("lr", args.lr > 0, "above 0"), ("weight_decay", args.weight_decay >= 0, "0 or more"),
                           ("dropout", 0 <= args.dropout < 1, "from 0 up to (not including) 1"),
                           ("width_mult", args.width_mult > 0, "above 0"), ("patience", args.patience >= 1, "at least 1")):
        if not ok:  # checked now: torch would say so in a traceback, after every clip was decoded, or not at all
            raise HelmitError(f"--{flag} {getattr(args, flag)}: must be {want}")
    # Under torchrun: --resume's progress file holds one process's random streams (augmentation, sampler,
    # dropout), so a resumed N-process run could not promise the result of an uninterrupted one, which
    # is what --resume promises. --folds trains K small models on a small corpus, where N processes buy
    # little, and its per-fold scoring and CSV are not rank-aware. Both are refused rather than half-done.
    if launched_ranks() > 1 and args.resume:
        raise HelmitError(f"--resume: not supported under torchrun ({launched_ranks()} processes); resume the run "
                          "in one process (python train.py ... --resume) or start it again with --overwrite instead of --resume")
    if launched_ranks() > 1 and args.folds:
        raise HelmitError(f"--folds: not supported under torchrun ({launched_ranks()} processes); run "
                          "cross-validation in one process (python train.py --folds K ...)")
    out = args.oof_csv if args.folds else args.ckpt
    for path in (out, args.ckpt):
        if Path(path).is_dir() or not Path(path).name:  # found now, not when the trained model is saved
            example = Path(path) / ("cnn_cv_predictions.csv" if path == args.oof_csv else "lite_cnn.pt")
            raise HelmitError(f"{path}: is a directory; give a file name (e.g. {example})")
    progress_path = Path(args.ckpt).with_suffix(".progress.pt")
    refuse_to_overwrite(out, args.overwrite or args.resume, inputs=[args.labels_csv])  # --resume: its own ckpt
    if not args.folds and not args.resume and not args.overwrite and progress_path.is_file():
        # a new run would replace it, and with it the only way to finish the interrupted one
        raise HelmitError(f"{progress_path}: holds an interrupted run's progress; --resume continues it, "
                          "--overwrite starts again and replaces it")
    seed_all(args.seed)
    # Small gradients in the CNN's stem underflow to denormal floats, which x86 CPUs compute up to ~100x
    # slower than normal ones: with tiny gradients the stem's backward ran 4x slower (a real step early in
    # training: 0-15%). Flushing them to zero costs nothing, and values below 1e-38 teach a float32 model nothing.
    torch.set_flush_denormal(True)
    cfg = dataclasses.replace(CFG, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, dropout=args.dropout,
                              width_mult=args.width_mult, seed=args.seed, val_fraction=args.val_fraction,
                              weight_decay=args.weight_decay, early_stop_patience=args.patience,
                              w2v_model=args.w2v_model, data_root=args.data_root, labels_csv=args.labels_csv)
    device = init_distributed(get_device(args.device))

    rows = read_labels_csv(args.labels_csv, args.data_root)
    if args.group_column and args.group_column not in rows[0]:
        if args.group_column != "group":  # the default is optional; a column the user named is not
            raise HelmitError(f"{args.labels_csv}: no column '{args.group_column}' (--group_column)")
        args.group_column = None
    if args.group_column:
        warn_case_variants(rows, args.group_column)
    args.user_group_column = args.group_column  # the labels.csv's own: what --folds' CSV reports as `group`
    args.group_column = same_audio_groups(rows, args.group_column)  # copies of a clip never straddle a split
    try:  # a class too small to split fails now, not after every clip is decoded; the same call splits later
        if args.folds:  # every fold's inner train/val split too, as cross_validate makes them
            for k, (train_idx, _) in enumerate(stratified_folds(rows, args.folds, args.seed, args.group_column)):
                fold_split(args, rows, train_idx, k)
        else:
            split_rows(rows, args.val_fraction, args.seed, not args.train_on_holdout, args.group_column)
    except HelmitError as e:  # about the clips: name the file they come from; about a flag: as it is
        raise HelmitError(str(e) if str(e).startswith("--") else f"{args.labels_csv}: {e}") from None
    args.labels_sha256 = file_sha256(args.labels_csv)  # stored with the run: --resume checks it is the same file
    resume = load_progress(progress_path, args) if args.resume else None  # before the slow part: fail fast
    with rank0_first():  # on-disk caches (features, a hub download) are filled by rank 0 alone
        arch, model, model_args = build(args, cfg)
        model.to(device)
        kind = input_kind(args)
        inputs = dict(zip([r["path"] for r in rows], clip_inputs(kind, model, rows, cfg, args)))
    if args.folds:
        return main_cv(args, cfg, rows, inputs, device)

    train_rows, val_rows, test_rows = split_rows(rows, args.val_fraction, args.seed, not args.train_on_holdout,
                                                 args.group_column)
    print(f"clips: {len(train_rows)} train, {len(val_rows)} val, {len(test_rows)} test (held-out voices/templates)")
    t_start = time.time()
    try:
        best = fit(args, cfg, model, kind, inputs, train_rows, val_rows, device, args.seed,
                   progress_path if world_size() == 1 else None, resume)  # no --resume under torchrun: no progress file
    except KeyboardInterrupt:
        if progress_path.is_file() and world_size() == 1:  # what the generic "interrupted" line cannot say
            print(f"progress up to the last finished epoch is kept in {progress_path}: run the same command with "
                  "--resume to continue from it", file=sys.stderr)
        raise
    if rank() > 0:
        return 0  # rank 0 holds the same weights and writes the checkpoint
    metrics = {"val": best["val_metrics"]}
    if test_rows:
        test_probs = score_clips(model, model_forward(model, kind), [inputs[r["path"]] for r in test_rows],
                                 views(kind, cfg)[1], device)
        metrics["test"] = binary_metrics([r["label"] for r in test_rows], test_probs, best["threshold"])
    ckpt = {"format_version": CHECKPOINT_FORMAT, "arch": arch, "model_args": model_args,
            "audio": cfg.to_dict(), "class_names": list(CLASS_NAMES), "train_args": vars(args),
            "train_clips": [r["path"] for r in train_rows], "val_clips": [r["path"] for r in val_rows],
            "test_clips": [r["path"] for r in test_rows],
            # the same clips by content, so a training clip scored under another path or from a copy is still
            # known, and a new clip that happens to share a training clip's name is not taken for it
            "train_digests": [r.get(CLIP_DIGEST) or clip_digest(r["abspath"]) for r in train_rows],
            "val_digests": [r.get(CLIP_DIGEST) or clip_digest(r["abspath"]) for r in val_rows],
            "selection_metric": ("last epoch" if args.keep == "last" else
                                 "val scores not flat, then roc_auc, then balanced accuracy, then loss"),
            "state_dict": best["state_dict"], "threshold": best["threshold"], "best_epoch": best["best_epoch"],
            "metrics": metrics, "history": best["history"],
            # with --resume, the epochs of the interrupted run count too: their seconds are in its history
            "train_seconds": round(time.time() - t_start + (sum(h["seconds"] for h in resume["history"]) if resume else 0), 1),
            "world_size": world_size()}  # processes that trained it: each took --batch_size clips per step
    # --ckpt is written once, here: stopping a run midway leaves whatever was there before untouched
    save_checkpoint(args.ckpt, ckpt)
    write_log(Path(args.ckpt).with_suffix(".log.csv"), best["history"])
    progress_path.unlink(missing_ok=True)  # the run is complete: nothing left to resume

    print(f"\nbest epoch {best['best_epoch']} of {len(best['history'])}, threshold {best['threshold']:.3f}, "
          f"{ckpt['train_seconds']:.0f}s -> {args.ckpt}")
    if args.use_wav2vec2 and args.w2v_pooling == "layers":
        print("  layer weights: " + " ".join(f"{w:.2f}" for w in model.layer_weight_summary()))
    for split, m in metrics.items():
        print(f"  {split:4s} ({m['n']} clips): {fmt(m)}")
        for w in collapse_warnings(split, m):
            print(w)
    print("  (val chose the epoch and the threshold, so it flatters the model; --folds K gives the honest estimate)")
    return 0


def main_cv(args, cfg, rows, inputs, device):
    groups = (f"groups from column '{args.user_group_column}'" if args.user_group_column else "no group column") \
        + (", byte-identical clips kept together" if args.group_column == SAME_AUDIO else "")
    marked = sum(str(r.get("holdout", "")).strip() == "1" for r in rows)
    print(f"{args.folds}-fold cross-validation over {len(rows)} clips ({groups}); every clip is held out once"
          + (f", including the {marked} marked holdout=1" if marked else ""))
    t_start = time.time()
    oof, per_fold = cross_validate(args, cfg, rows, inputs, device)
    write_csv(args.oof_csv, oof, PREDICTION_COLUMNS)
    print(f"\ncross-validation, held-out folds ({time.time() - t_start:.0f}s):\n{cv_summary(per_fold)}")
    collapsed = [m["fold"] for m in per_fold if collapse_warnings("", m)]
    if collapsed:
        print(f"warning: fold(s) {', '.join(map(str, collapsed))} collapsed to one class or flat scores")
    print(f"out-of-fold predictions -> {args.oof_csv} (score them with compute_metrics.py); no checkpoint is written: "
          "train without --folds for the model to deploy")
    return 0


def main(argv=None):
    try:
        return run(argv)
    finally:
        # run() flushes denormals to zero for speed; hand a caller in the same process (a test, a notebook)
        # back torch's default, IEEE state, or its later float code silently loses subnormals
        torch.set_flush_denormal(False)
        shutdown()  # on errors too: a rank that raised closes its connections instead of leaving the others waiting


if __name__ == "__main__":
    run_cli(main)
