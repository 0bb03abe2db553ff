"""How train.py judges a model on validation clips: the metrics, the threshold on P(harmful), which
epoch to keep, and the warnings for a model that says one thing for every clip (the original's failure).
"""
import numpy as np

from config import CLASS_NAMES

COLLAPSE_SHARE = 0.95  # warn when this share of validation clips gets the same predicted class
FLAT_SPREAD = 0.02     # warn when P(harmful) varies less than this across clips: nothing learned


def best_threshold(labels, probs):
    """Threshold on P(harmful) maximising balanced accuracy; ties go to the one nearest 0.5.

    Candidates are midpoints between neighbouring scores, so no validation clip sits exactly on
    the threshold, where the smallest numerical change (ONNX, INT8) would flip its decision.
    """
    # here, not above: compute_metrics.py imports this module for COLLAPSE_SHARE, and its --help needs no sklearn
    from sklearn.metrics import balanced_accuracy_score

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
    # plain Python types: the key is stored in --resume progress files, which load with weights_only
    return (bool(m["prob_spread"] >= FLAT_SPREAD), float(np.nan_to_num(m["roc_auc"], nan=0.0)),
            float(np.nan_to_num(m["balanced_accuracy"], nan=0.0)), -float(m["loss"]))


def binary_metrics(labels, probs, threshold):
    from sklearn.metrics import (accuracy_score, balanced_accuracy_score, f1_score, precision_score,
                                 recall_score, roc_auc_score)

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
        "macro_f1": float(f1_score(labels, preds, average="macro", zero_division=0)) if both else float("nan"),
        "roc_auc": float(roc_auc_score(labels, probs)) if both else float("nan"),
        "loss": float(-np.mean(np.log(np.where(labels == 1, probs, 1 - probs) + eps))),
        "share_predicted_harmful": float(preds.mean()),
        "prob_spread": float(np.percentile(probs, 95) - np.percentile(probs, 5)),
        "threshold": float(threshold),
    }


def fmt(m):
    return (f"acc {m['accuracy']:.3f} bal {m['balanced_accuracy']:.3f} F1 {m['f1']:.3f} "
            f"P {m['precision']:.3f} R {m['recall']:.3f} AUC {m['roc_auc']:.3f}")


def collapse_warnings(split, m):
    """Warnings for a model that says one thing for (nearly) every clip, or scores them all alike."""
    out, share = [], m["share_predicted_harmful"]
    if max(share, 1 - share) >= COLLAPSE_SHARE:
        out.append(f"warning: on {split} the model predicts '{CLASS_NAMES[int(share >= 0.5)]}' for "
                   f"{max(share, 1 - share):.0%} of clips: it has collapsed to one class")
    if m["prob_spread"] < FLAT_SPREAD:
        out.append(f"warning: on {split} P(harmful) barely varies between clips (5-95% range {m['prob_spread']:.4f}): "
                   "the model has not learned to tell them apart; more clips or epochs may help")
    return out
