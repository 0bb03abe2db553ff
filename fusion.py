"""Fit the fusion of acoustic and transcript evidence, and measure it honestly.

Reads the acoustic model's predictions on labelled clips it did not train on (train.py --folds
writes out-of-fold ones; infer_dataset.py's val/test rows also qualify), the transcripts of the
same clips (transcribe.py) and a text model (train_text.py). A two-input logistic regression on
the two scores' logits, with balanced class weights and no negative weight, calibrates and
combines them in one step.

It first cross-validates itself by fold (the acoustic CSV's `fold` column, else stratified K
folds): for each fold the fusion, and a one-input calibration of each source alone, are fit on the
other folds and scored on this one, so no clip is ever scored by a fusion fit on it. It prints and
writes the per-fold comparison, writes the out-of-fold predictions of each source and of the fusion
as predictions CSVs for compute_metrics.py, then fits the final fusion on every clip and saves it,
with the text model inside, as one self-describing JSON for infer.py / infer_dataset.py --fusion.
"""
import argparse
import json
import math
from pathlib import Path

import numpy as np

import text_model
from utils_io import HelmitError, atomic_output, refuse_to_overwrite, run_cli, write_csv

FORMAT = "helmit-fusion"
FORMAT_VERSION = 1
SOURCES = ("acoustic", "text", "fused")
EPS = 1e-4  # scores are clipped to [EPS, 1 - EPS] before the logit: a 0 or 1 would be infinite


def logit(p):
    p = np.clip(np.asarray(p, dtype=np.float64), EPS, 1 - EPS)
    return np.log(p / (1 - p))


def fit_combiner(columns, labels, C=1.0):
    """{coef, intercept}: balanced logistic regression on the logits of the given score columns, as
    sklearn's LogisticRegression(C, class_weight="balanced") fits it, except that no weight may be
    negative.

    Each column is a model's P(harmful), so it can only be evidence for harmful, or none. An
    acoustic model at chance scores below 0.5 AUC under cross-validation (insights.md), and an
    unbounded fit turned such noise into negative weights: -0.74 on the demo corpus, and on the
    400 held-out clips a fold 3.1 points below the transcript alone (0.0 with the bound).
    """
    from scipy.optimize import minimize
    from scipy.special import expit

    x = np.column_stack([logit(c) for c in columns])  # (n, sources)
    sign = 2.0 * np.asarray(labels, dtype=np.float64) - 1.0  # +1 harmful, -1 safe
    counts = np.bincount(np.asarray(labels, dtype=int), minlength=2)
    if counts.min() == 0:
        raise HelmitError(f"the fusion needs clips of both classes to fit; it got {counts[0]} safe, {counts[1]} harmful")
    weight = C * len(sign) / (2.0 * counts[(sign > 0).astype(int)])  # balanced class weights, times C

    def loss(theta):  # C * weighted log-loss + ||coef||^2 / 2 (the intercept is not penalised)
        margin = sign * (x @ theta[:-1] + theta[-1])
        d_margin = -weight * sign * expit(-margin)
        value = weight @ np.logaddexp(0.0, -margin) + 0.5 * theta[:-1] @ theta[:-1]
        return value, np.append(x.T @ d_margin + theta[:-1], d_margin.sum())

    bounds = [(0.0, None)] * x.shape[1] + [(None, None)]
    fit = minimize(loss, np.zeros(x.shape[1] + 1), jac=True, method="L-BFGS-B", bounds=bounds,
                   options={"maxiter": 1000, "gtol": 1e-9})
    if not fit.success:
        raise HelmitError(f"the fusion's logistic regression did not converge ({fit.message})")
    return {"coef": fit.x[:-1].tolist(), "intercept": float(fit.x[-1])}


def combine(params, *columns):
    z = np.column_stack([logit(c) for c in columns]) @ np.asarray(params["coef"]) + params["intercept"]
    return 1.0 / (1.0 + np.exp(-z))


def fused_prob(fusion, p_acoustic, p_text):
    """P(harmful) from the two sources' scores under a saved fusion."""
    return combine(fusion["combiner"], np.atleast_1d(p_acoustic), np.atleast_1d(p_text))


def fused_scores(fusion, p_acoustic, transcript):
    """{prob_harmful (fused), prob_acoustic, prob_text, transcript, top_words} for one clip."""
    p_text = float(text_model.predict([transcript["text"]], fusion["text_model"])[0])
    return {"prob_harmful": float(fused_prob(fusion, p_acoustic, p_text)[0]), "prob_acoustic": float(p_acoustic),
            "prob_text": p_text, "transcript": transcript["text"],
            "top_words": text_model.explain(transcript["text"], fusion["text_model"])}


def fuse_result(fusion, result, transcript):
    """An acoustic result dict (infer.classify_file) with the transcript evidence and the fused
    decision: label/probability/prob_harmful/threshold become the fused ones, the acoustic ones are
    kept as prob_acoustic/acoustic_threshold."""
    scores = fused_scores(fusion, result["prob_harmful"], transcript)
    p, harmful = scores["prob_harmful"], scores["prob_harmful"] >= fusion["threshold"]
    return {**result, **scores, "label": "harmful" if harmful else "safe", "probability": p if harmful else 1 - p,
            "threshold": fusion["threshold"], "acoustic_threshold": result["threshold"],
            "asr_confidence": transcript["confidence"]}


def fold_ids(rows, k, seed):
    """The acoustic CSV's own folds when it has them (train.py --folds), else stratified K folds."""
    if all(str(r.get("fold", "")).strip() for r in rows):
        return np.array([int(r["fold"]) for r in rows])
    from sklearn.model_selection import StratifiedKFold

    ids = np.zeros(len(rows), dtype=int)
    labels = [r["label"] for r in rows]
    for f, (_, test) in enumerate(StratifiedKFold(k, shuffle=True, random_state=seed).split(labels, labels)):
        ids[test] = f
    return ids


def cross_validate(p_a, p_t, labels, folds):
    """Out-of-fold probabilities per source and per-fold metrics; each fold scored by fits on the others."""
    from sklearn.metrics import balanced_accuracy_score, roc_auc_score

    oof = {s: np.zeros(len(labels)) for s in SOURCES}
    per_fold = []
    for f in sorted(set(folds.tolist())):
        test, train = folds == f, folds != f
        if len(set(labels[train].tolist())) < 2:
            raise HelmitError(f"fold {f}: the other folds hold one class only; use fewer folds")
        oof["acoustic"][test] = combine(fit_combiner([p_a[train]], labels[train]), p_a[test])
        oof["text"][test] = combine(fit_combiner([p_t[train]], labels[train]), p_t[test])
        oof["fused"][test] = combine(fit_combiner([p_a[train], p_t[train]], labels[train]), p_a[test], p_t[test])
        row = {"fold": int(f), "n": int(test.sum())}
        for s in SOURCES:
            row[f"{s}_balanced_accuracy"] = float(balanced_accuracy_score(labels[test], oof[s][test] >= 0.5))
            both = len(set(labels[test].tolist())) == 2
            row[f"{s}_roc_auc"] = float(roc_auc_score(labels[test], oof[s][test])) if both else float("nan")
        per_fold.append(row)
    return oof, per_fold


def text_scores(rows, transcripts, model, transcripts_path):
    missing = [r["path"] for r in rows if r["path"] not in transcripts]
    if missing:
        raise HelmitError(f"{transcripts_path}: no transcript for {len(missing)} clip(s) of the acoustic CSV, "
                          f"e.g. {missing[0]}; run transcribe.py on the same labels.csv")
    failed = [p for p in (r["path"] for r in rows) if transcripts[p].get("error")]
    if failed:
        raise HelmitError(f"{transcripts_path}: {failed[0]} has a transcription error; fix or drop it first")
    return text_model.predict([transcripts[r["path"]]["text"] for r in rows], model)


def load(path):
    """A saved fusion (its text model inside), checked; raises HelmitError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise HelmitError(f"{path}: fusion file not found (run fusion.py)")
    try:
        fusion = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise HelmitError(f"{path}: not a Helmit fusion file ({e})") from None
    if not isinstance(fusion, dict) or fusion.get("format") != FORMAT:
        raise HelmitError(f"{path}: not a Helmit fusion file (format is not {FORMAT!r})")
    if not isinstance(fusion.get("format_version"), int) or fusion["format_version"] > FORMAT_VERSION:
        raise HelmitError(f"{path}: fusion format_version {fusion.get('format_version')!r} is newer than this Helmit "
                          f"reads ({FORMAT_VERSION}); update Helmit")
    try:
        coef = [float(c) for c in fusion["combiner"]["coef"]]
        ok = len(coef) == 2 and all(map(math.isfinite, coef + [float(fusion["combiner"]["intercept"])]))
        ok = ok and 0.0 <= float(fusion["threshold"]) <= 1.0 and isinstance(fusion.get("asr"), str)
    except (KeyError, TypeError, ValueError):
        ok = False
    if not ok:
        raise HelmitError(f"{path}: fusion file is damaged or edited (combiner, threshold or asr)")
    text_model.check(fusion.get("text_model"), path)
    return fusion


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--acoustic_csv", required=True,
                   help="acoustic predictions on clips the acoustic model did not train on: train.py --folds "
                        "out-of-fold CSV, or infer_dataset.py output (its train rows are refused)")
    p.add_argument("--transcripts", required=True, help="transcripts CSV of the same clips (transcribe.py)")
    p.add_argument("--text_model", default="runs/text_model.json", help="text model from train_text.py (default: %(default)s)")
    p.add_argument("--out", default="runs/fusion.json", help="the fitted fusion, text model inside (default: %(default)s)")
    p.add_argument("--oof_prefix", help="write <prefix>_{acoustic,text,fused}_predictions.csv with the out-of-fold "
                                        "scores for compute_metrics.py (default: beside --acoustic_csv, named 'fusion_cv')")
    p.add_argument("--folds", type=int, default=5, help="folds when the acoustic CSV has no fold column (default: %(default)s)")
    p.add_argument("--seed", type=int, default=42, help="seed of those folds (default: %(default)s)")
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    args = p.parse_args(argv)
    if args.folds < 2:
        p.error("--folds must be >= 2")
    return args


def main(argv=None):
    from compute_metrics import read_predictions
    from transcribe import read_transcripts

    args = parse_args(argv)
    prefix = args.oof_prefix or str(Path(args.acoustic_csv).parent / "fusion_cv")
    outputs = [Path(args.out)] + [Path(f"{prefix}_{s}_predictions.csv") for s in SOURCES]
    for out in outputs:
        refuse_to_overwrite(out, args.overwrite, inputs=[args.acoustic_csv, args.transcripts, args.text_model])
    rows, unscored = read_predictions(args.acoustic_csv)
    if unscored:
        print(f"warning: {args.acoustic_csv}: {len(unscored)} clip(s) the acoustic model could not score are left out, "
              f"e.g. {unscored[0]['where']}: {unscored[0]['error']}")
    trained_on = [r["path"] for r in rows if r.get("split") == "train"]
    if trained_on:
        raise HelmitError(f"{args.acoustic_csv}: {len(trained_on)} row(s) with split=train (e.g. {trained_on[0]}); a "
                          "fusion fit on scores of clips the acoustic model trained on would trust it too much")
    model = text_model.load(args.text_model)
    transcripts = read_transcripts(args.transcripts)
    labels = np.array([int(r["label"]) for r in rows])
    p_a = np.array([float(r["prob_harmful"]) for r in rows])
    p_t = text_scores(rows, transcripts, model, args.transcripts)
    folds = fold_ids(rows, args.folds, args.seed)

    oof, per_fold = cross_validate(p_a, p_t, labels, folds)
    for s in SOURCES:
        write_csv(f"{prefix}_{s}_predictions.csv",
                  [{"path": r["path"], "label": r["label"], "pred": int(q >= 0.5), "prob": max(q, 1 - q),
                    "prob_harmful": q, "split": "test", "fold": f, "category": r.get("category", "")}
                   for r, q, f in zip(rows, oof[s], folds)],
                  ["path", "label", "pred", "prob", "prob_harmful", "split", "fold", "category"])
    asr = {t.get("asr", "") for t in transcripts.values()} - {""}
    fusion = {"format": FORMAT, "format_version": FORMAT_VERSION,
              "combiner": fit_combiner([p_a, p_t], labels), "threshold": 0.5,
              "asr": sorted(asr)[0] if len(asr) == 1 else ",".join(sorted(asr)),
              "fit_on": {"acoustic_csv": str(args.acoustic_csv), "transcripts": str(args.transcripts), "n": len(rows),
                         "harmful": int(labels.sum())},
              "cross_validation": per_fold, "text_model": model}
    with atomic_output(args.out, "w", encoding="utf-8") as f:
        json.dump(fusion, f)

    print(f"\n{len(rows)} clips, {len(per_fold)} folds; each fold scored by calibrations and a fusion fit on the others")
    print(f"{'fold':>5} {'n':>4}  " + "  ".join(f"{s + ' bacc':>13} {'AUC':>6}" for s in SOURCES))
    for r in per_fold:
        print(f"{r['fold']:>5} {r['n']:>4}  " + "  ".join(f"{r[s + '_balanced_accuracy']:>13.3f} {r[s + '_roc_auc']:>6.3f}"
                                                      for s in SOURCES))
    means = {s: (np.mean([r[s + "_balanced_accuracy"] for r in per_fold]), np.std([r[s + "_balanced_accuracy"] for r in per_fold]))
             for s in SOURCES}
    print(f"{'mean':>10}  " + "  ".join(f"{m:>7.3f}+-{sd:.3f} {'':>6}" for m, sd in means.values()))
    worst = min(r["fused_balanced_accuracy"] - max(r["acoustic_balanced_accuracy"], r["text_balanced_accuracy"])
                for r in per_fold)
    print(f"fused minus the better source, worst fold: {worst:+.3f}")
    c = fusion["combiner"]["coef"]
    print(f"final fusion on all {len(rows)} clips: logit = {c[0]:.2f} * acoustic + {c[1]:.2f} * text "
          f"{fusion['combiner']['intercept']:+.2f}; saved {args.out}")
    print(f"out-of-fold predictions: {prefix}_{{acoustic,text,fused}}_predictions.csv (compute_metrics.py reads them)")
    return 0


if __name__ == "__main__":
    run_cli(main)
