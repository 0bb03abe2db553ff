"""Train LiteAudioCNN (default) or Wav2Vec2Classifier (--use_wav2vec2) on data/labels.csv.

Model selection uses validation ROC-AUC (ties: balanced accuracy, then loss), which a model that
predicts one class for every clip cannot game: the original kept the epoch with the best F1 of the
harmful class, which "everything is harmful" wins with F1 = 0.75 on a 60/40 set. The decision
threshold is then chosen on the same validation clips and stored in the checkpoint.
"""
import argparse
import csv
import dataclasses
import math
import time
from pathlib import Path

import numpy as np
import psutil
import torch
from sklearn.metrics import (accuracy_score, balanced_accuracy_score, f1_score, precision_score,
                             recall_score, roc_auc_score)
from sklearn.model_selection import train_test_split
from torch.utils.data import DataLoader, WeightedRandomSampler
from tqdm import tqdm

from config import CFG, CLASS_NAMES, get_device, seed_all
from dataset import HelmitAudioDS, decode_clips
from model import (CHECKPOINT_FORMAT, LiteAudioCNN, build_model, clip_prob, harmful_probs,
                   save_checkpoint, storable_model_args)
from utils_audio import frontend_args, windows
from utils_io import HelmitError, atomic_output, read_labels_csv, run_cli

COLLAPSE_SHARE = 0.95  # warn when this share of validation clips gets the same predicted class
FLAT_SPREAD = 0.02     # warn when P(harmful) varies less than this across clips: nothing learned


def split_rows(rows, val_fraction, seed, use_holdout=True):
    """Stratified train/val split; clips marked holdout=1 (built-in corpus) become a test split."""
    is_test = [use_holdout and str(r.get("holdout", "0")).strip() == "1" for r in rows]
    pool = [r for r, t in zip(rows, is_test) if not t]
    test = [r for r, t in zip(rows, is_test) if t]
    for name, label in zip(CLASS_NAMES, (0, 1)):
        count = sum(r["label"] == label for r in pool)
        if count < 2:
            raise HelmitError(f"class '{name}' has {count} training clip(s); need at least 2 per class "
                              "(a single-class dataset cannot train a classifier)")
    if not 0 < val_fraction < 1:
        raise HelmitError(f"--val_fraction {val_fraction} must be between 0 and 1")
    n_val = math.ceil(val_fraction * len(pool))
    if n_val < 2 or len(pool) - n_val < 2:
        raise HelmitError(f"{len(pool)} clips with --val_fraction {val_fraction} leave {n_val} for validation and "
                          f"{len(pool) - n_val} for training; each needs at least one clip per class")
    train, val = train_test_split(pool, test_size=n_val, random_state=seed, stratify=[r["label"] for r in pool])
    return train, val, test


def class_weights(labels):
    """total / (2 * count) per class: each class contributes equally to the loss."""
    counts = np.bincount(labels, minlength=2).astype(np.float64)
    return torch.tensor(len(labels) / (2 * np.maximum(counts, 1)), dtype=torch.float32)


def best_threshold(labels, probs):
    """Threshold on P(harmful) maximising balanced accuracy; ties go to the one nearest 0.5.

    Candidates are midpoints between neighbouring scores, so no validation clip sits exactly on
    the threshold, where the smallest numerical change (ONNX, INT8) would flip its decision.
    """
    labels, probs = np.asarray(labels), np.asarray(probs)
    levels = np.unique(probs)
    candidates = np.concatenate([(levels[:-1] + levels[1:]) / 2, [0.5]])
    scores = [(balanced_accuracy_score(labels, probs >= t), -abs(t - 0.5), t) for t in candidates]
    return float(max(scores)[2])


def selection_key(m):
    """Rank epochs by validation ROC-AUC, then balanced accuracy, then lower loss.

    None of these rewards predicting one class for everything (AUC 0.5, balanced accuracy 0.5),
    unlike harmful-class F1, which the original selected on. Epochs whose scores barely vary
    between clips rank below all others first: their AUC ranks differences of 1e-4, which is
    noise, and their decisions flip under any rounding (ONNX, INT8).
    """
    return (m["prob_spread"] >= FLAT_SPREAD, np.nan_to_num(m["roc_auc"], nan=0.0),
            np.nan_to_num(m["balanced_accuracy"], nan=0.0), -m["loss"])


def binary_metrics(labels, probs, threshold):
    labels, probs = np.asarray(labels), np.asarray(probs)
    preds = (probs >= threshold).astype(int)
    both = len(set(labels.tolist())) == 2
    eps = 1e-7
    return {
        "n": int(len(labels)),
        "accuracy": float(accuracy_score(labels, preds)),
        "balanced_accuracy": float(balanced_accuracy_score(labels, preds)) if both else float("nan"),
        "precision": float(precision_score(labels, preds, zero_division=0)),
        "recall": float(recall_score(labels, preds, zero_division=0)),
        "f1": float(f1_score(labels, preds, zero_division=0)),
        "macro_f1": float(f1_score(labels, preds, average="macro", zero_division=0)),
        "roc_auc": float(roc_auc_score(labels, probs)) if both else float("nan"),
        "loss": float(-np.mean(np.log(np.where(labels == 1, probs, 1 - probs) + eps))),
        "share_predicted_harmful": float(preds.mean()),
        "prob_spread": float(np.percentile(probs, 95) - np.percentile(probs, 5)),
        "threshold": float(threshold),
    }


@torch.no_grad()
def score_waves(model, waves, cfg, device, batch_size=32, stride_sec=None):
    """P(harmful) per clip: sliding windows (as infer.py does), the clip score is their max."""
    model.eval()
    window = cfg.clip_samples
    stride = int(cfg.sample_rate * (stride_sec or cfg.clip_seconds / 2))
    per_clip = [windows(w, window, stride)[1] for w in waves]
    flat = np.concatenate(per_clip)
    probs = []
    for i in range(0, len(flat), batch_size):
        probs.append(harmful_probs(model(torch.from_numpy(flat[i:i + batch_size]).to(device)).float().cpu().numpy()))
    probs = np.concatenate(probs)
    out, k = [], 0
    for batch in per_clip:
        out.append(clip_prob(probs[k:k + len(batch)]))
        k += len(batch)
    return np.array(out)


def build(args, cfg):
    if args.use_wav2vec2:
        model_args = dict(n_classes=2, source=args.w2v_model, num_unfrozen_layers=args.num_unfrozen_layers,
                          dropout=args.dropout)
        arch = "Wav2Vec2Classifier"
    else:
        model_args = dict(n_classes=2, width_mult=args.width_mult, dropout=args.dropout,
                          frontend=frontend_args(cfg))
        arch = "LiteAudioCNN"
    model = build_model(arch, model_args)
    return arch, model, storable_model_args(model, model_args)


def train_epoch(model, loader, criterion, optimizer, scaler, args, device, epoch):
    model.train()
    if isinstance(model, LiteAudioCNN):
        forward = model.classify  # the loader already gives (augmented) log-mels
    else:
        forward = model
        if args.num_unfrozen_layers == 0:
            model.backbone.eval()  # frozen backbone: keep its dropout off
    autocast = torch.autocast(device.type, dtype=torch.bfloat16 if device.type == "cpu" else torch.float16,
                              enabled=args.use_autocast)
    total, n = 0.0, 0
    optimizer.zero_grad(set_to_none=True)
    bar = tqdm(loader, desc=f"epoch {epoch}", unit="batch", leave=False)
    n_batches = len(loader)
    for step, (x, y) in enumerate(bar, start=1):
        x, y = x.to(device), y.to(device)
        with autocast:
            loss = criterion(forward(x).float(), y)
        group_start = (step - 1) // args.accumulate_steps * args.accumulate_steps
        group_size = min(args.accumulate_steps, n_batches - group_start)  # the last group may be short
        scaler.scale(loss / group_size).backward()
        if step % args.accumulate_steps == 0 or step == n_batches:
            scaler.step(optimizer)
            scaler.update()
            optimizer.zero_grad(set_to_none=True)
        total += loss.item() * len(y)
        n += len(y)
    return total / max(n, 1)


def write_log(path, history):
    with atomic_output(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(history[0]))
        writer.writeheader()
        writer.writerows(history)


def fmt(m):
    return (f"acc {m['accuracy']:.3f} bal {m['balanced_accuracy']:.3f} F1 {m['f1']:.3f} "
            f"P {m['precision']:.3f} R {m['recall']:.3f} AUC {m['roc_auc']:.3f}")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--data_root", default=CFG.data_root, help="folder the paths in labels.csv are relative to")
    p.add_argument("--labels_csv", default=None, help="labels file (default: <data_root>/labels.csv)")
    p.add_argument("--ckpt", default=None, help="checkpoint to write (default: runs/lite_cnn.pt or runs/wav2vec2.pt)")
    p.add_argument("--epochs", type=int, default=CFG.epochs, help="maximum epochs")
    p.add_argument("--batch_size", type=int, default=CFG.batch_size, help="clips per batch")
    p.add_argument("--lr", type=float, default=CFG.lr, help="AdamW learning rate")
    p.add_argument("--accumulate_steps", type=int, default=1, help="batches per optimizer step")
    p.add_argument("--use_sampler", action="store_true", help="class-balanced WeightedRandomSampler")
    p.add_argument("--use_autocast", action="store_true", help="mixed precision (bf16 on CPU, fp16 on GPU)")
    p.add_argument("--width_mult", type=float, default=CFG.width_mult, help="LiteAudioCNN channel multiplier")
    p.add_argument("--dropout", type=float, default=CFG.dropout, help="dropout before the linear head")
    p.add_argument("--use_wav2vec2", action="store_true", help="train Wav2Vec2Classifier instead of the CNN")
    p.add_argument("--w2v_model", default=CFG.w2v_model, help="Wav2Vec2 hub id or local directory (save_pretrained)")
    p.add_argument("--num_unfrozen_layers", type=int, default=0, help="Wav2Vec2 transformer layers to fine-tune (0 = frozen)")
    p.add_argument("--val_fraction", type=float, default=CFG.val_fraction, help="share of clips for validation (stratified)")
    p.add_argument("--patience", type=int, default=CFG.early_stop_patience, help="early stopping patience in epochs")
    p.add_argument("--keep", choices=("best", "last"), default="best",
                   help="checkpoint the best validation epoch (with early stopping), or train all --epochs and "
                        "keep the last: with a handful of validation clips, 'best' is often picking noise")
    p.add_argument("--train_on_holdout", action="store_true", help="use clips marked holdout=1 for training too (default: they form the test split)")
    p.add_argument("--seed", type=int, default=CFG.seed, help="random seed (same seed, same result on one machine)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or mps")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    args.labels_csv = args.labels_csv or str(Path(args.data_root) / "labels.csv")
    args.ckpt = args.ckpt or ("runs/wav2vec2.pt" if args.use_wav2vec2 else "runs/lite_cnn.pt")
    if args.accumulate_steps < 1 or args.batch_size < 1 or args.epochs < 1:
        raise HelmitError("--epochs, --batch_size and --accumulate_steps must be at least 1")
    seed_all(args.seed)
    cfg = dataclasses.replace(CFG, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, dropout=args.dropout,
                              width_mult=args.width_mult, seed=args.seed, val_fraction=args.val_fraction,
                              early_stop_patience=args.patience, w2v_model=args.w2v_model,
                              data_root=args.data_root, labels_csv=args.labels_csv)
    device = get_device(args.device)

    rows = read_labels_csv(args.labels_csv, args.data_root)
    train_rows, val_rows, test_rows = split_rows(rows, args.val_fraction, args.seed, not args.train_on_holdout)
    print(f"clips: {len(train_rows)} train, {len(val_rows)} val, {len(test_rows)} test (held-out voices/templates)")
    waves = dict(zip([r["path"] for r in rows], decode_clips([r["abspath"] for r in rows], cfg.sample_rate)))

    arch, model, model_args = build(args, cfg)
    model.to(device)
    y_train = [r["label"] for r in train_rows]
    train_ds = HelmitAudioDS(None, y_train, cfg, train=True, return_raw_audio=args.use_wav2vec2,
                             seed=args.seed, waves=[waves[r["path"]] for r in train_rows])
    sampler = None
    if args.use_sampler:
        w = class_weights(y_train).numpy()[y_train]
        sampler = WeightedRandomSampler(w, len(y_train), generator=torch.Generator().manual_seed(args.seed))
    loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=sampler is None, sampler=sampler,
                        generator=torch.Generator().manual_seed(args.seed))
    # With a balanced sampler the batches are already balanced: weighting the loss too would double count.
    criterion = torch.nn.CrossEntropyLoss(weight=None if args.use_sampler else class_weights(y_train).to(device))
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.lr,
                                  weight_decay=cfg.weight_decay)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="max", factor=cfg.plateau_factor,
                                                           patience=cfg.plateau_patience)
    scaler = torch.amp.GradScaler(device.type, enabled=args.use_autocast and device.type == "cuda")
    val_waves, y_val = [waves[r["path"]] for r in val_rows], [r["label"] for r in val_rows]

    ckpt = {"format_version": CHECKPOINT_FORMAT, "arch": arch, "model_args": model_args,
            "audio": cfg.to_dict(), "class_names": list(CLASS_NAMES), "train_args": vars(args),
            "train_clips": [r["path"] for r in train_rows], "val_clips": [r["path"] for r in val_rows],
            "test_clips": [r["path"] for r in test_rows], "selection_metric": ("last epoch" if args.keep == "last" else
                                 "val scores not flat, then roc_auc, then balanced accuracy, then loss")}
    history, best_key, best_epoch, t_start = [], None, 0, time.time()
    for epoch in range(1, args.epochs + 1):
        t0 = time.time()
        train_loss = train_epoch(model, loader, criterion, optimizer, scaler, args, device, epoch)
        probs = score_waves(model, val_waves, cfg, device)
        thr = best_threshold(y_val, probs)
        m = binary_metrics(y_val, probs, thr)
        scheduler.step(m["roc_auc"])
        row = {"epoch": epoch, "train_loss": round(train_loss, 4), **{f"val_{k}": round(v, 4) for k, v in m.items()},
               "lr": optimizer.param_groups[0]["lr"], "ram_mb": round(psutil.Process().memory_info().rss / 2**20),
               "seconds": round(time.time() - t0, 2)}
        history.append(row)
        key = selection_key(m)
        improved = best_key is None or key > best_key or args.keep == "last"
        tqdm.write(f"epoch {epoch:3d} loss {train_loss:.4f} | val {fmt(m)} thr {thr:.2f} | "
                   f"RAM {row['ram_mb']} MB | {row['seconds']:.1f}s{' *' if improved else ''}")
        if improved:
            best_key, best_epoch = key, epoch
            # kept in memory: --ckpt is written once, at the end, so stopping a run midway leaves
            # whatever checkpoint was there before untouched
            ckpt.update(state_dict={k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
                        threshold=thr, best_epoch=epoch, metrics={"val": m})
        elif epoch - best_epoch >= args.patience:  # never reached with --keep last: every epoch is kept
            tqdm.write(f"early stop: no improvement for {args.patience} epochs")
            break

    model.load_state_dict(ckpt["state_dict"])
    metrics = {"val": binary_metrics(y_val, score_waves(model, val_waves, cfg, device), ckpt["threshold"])}
    if test_rows:
        test_probs = score_waves(model, [waves[r["path"]] for r in test_rows], cfg, device)
        metrics["test"] = binary_metrics([r["label"] for r in test_rows], test_probs, ckpt["threshold"])
    ckpt.update(metrics=metrics, history=history, train_seconds=round(time.time() - t_start, 1))
    save_checkpoint(args.ckpt, ckpt)
    write_log(Path(args.ckpt).with_suffix(".log.csv"), history)

    print(f"\nbest epoch {best_epoch} of {len(history)}, threshold {ckpt['threshold']:.3f}, "
          f"{ckpt['train_seconds']:.0f}s -> {args.ckpt}")
    for split, m in metrics.items():
        print(f"  {split:4s} ({m['n']} clips): {fmt(m)}")
        share = m["share_predicted_harmful"]
        if max(share, 1 - share) >= COLLAPSE_SHARE:
            print(f"warning: on {split} the model predicts '{CLASS_NAMES[int(share >= 0.5)]}' for "
                  f"{max(share, 1 - share):.0%} of clips: it has collapsed to one class")
        if m["prob_spread"] < FLAT_SPREAD:
            print(f"warning: on {split} P(harmful) barely varies between clips (5-95% range {m['prob_spread']:.4f}): "
                  "the model has not learned to tell them apart; more clips or epochs may help")
    return 0


if __name__ == "__main__":
    run_cli(main)
