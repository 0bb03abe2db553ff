"""Score prediction CSVs from infer_dataset.py: held-out metrics per model, plus plots.

Reads `path,label,pred,prob,prob_harmful,split` rows (label/pred 1 = harmful, 0 = safe) and
writes `model_metrics.txt` with accuracy, balanced accuracy, precision/recall/F1 for the harmful
class, macro-F1, ROC-AUC and the confusion matrix of each model. Only held-out clips count by
default: a model scored on clips it was trained on looks better than it is.

    python compute_metrics.py                                 # every data/*_predictions.csv
    python compute_metrics.py runs/cnn_predictions.csv --include_train
    python compute_metrics.py a.shard0of2.csv a.shard1of2.csv --merge --names cnn
"""
import argparse
import re
import sys
import warnings
from pathlib import Path

import numpy as np

from config import CFG, CLASS_NAMES, HARM_CATEGORIES
from prediction_csvs import SPLITS, find_prediction_csvs, load_models, model_name
from selection import COLLAPSE_SHARE  # the share train.py warns at too: one definition of a collapsed model
from utils_io import HelmitError, atomic_output, refuse_to_overwrite, run_cli

HELD_OUT = ("val", "test", "all")  # `all`: the scorer did not know the training set
FUSED_NAME = re.compile(r"(^|_)fused(_|$)")  # fusion_cv_fused, fused: not "unfused"
LABEL_WIDTH = 20  # width of the name column in the text report
PLOT_KINDS = ("confusion", "roc", "pr")


def compute_metrics(rows):
    """Metrics of dict rows with int `label`, int `pred` and float `prob_harmful` (1 = harmful).

    Returns plain floats, ints and lists (JSON- and checkpoint-safe). `roc_auc` is None when only
    one class is among the labels; `per_category` appears when rows carry a `category`.
    """
    # imported here, as splits.py does: scikit-learn's ~2 s would otherwise delay --help and every refusal
    from sklearn.metrics import (accuracy_score, balanced_accuracy_score, confusion_matrix, f1_score,
                                 precision_score, recall_score, roc_auc_score)

    if not rows:
        raise ValueError("compute_metrics needs at least one row")
    y = np.array([r["label"] for r in rows], dtype=int)
    pred = np.array([r["pred"] for r in rows], dtype=int)
    score = np.array([r["prob_harmful"] for r in rows], dtype=float)
    both_classes = len(np.unique(y)) == 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn warns about an absent class; the report says n/a
        metrics = {
            "n": len(rows),
            "n_harmful": int(y.sum()),
            "n_safe": int(len(y) - y.sum()),
            "accuracy": float(accuracy_score(y, pred)),
            "balanced_accuracy": float(balanced_accuracy_score(y, pred)),
            "precision": float(precision_score(y, pred, pos_label=1, zero_division=0)),
            "recall": float(recall_score(y, pred, pos_label=1, zero_division=0)),
            "f1": float(f1_score(y, pred, pos_label=1, zero_division=0)),
            # over both classes: with one class among the labels the other's F1 is 0 by fiat, not a score
            "macro_f1": float(f1_score(y, pred, labels=[0, 1], average="macro", zero_division=0)) if both_classes else None,
            "roc_auc": float(roc_auc_score(y, score)) if both_classes else None,
            "confusion": confusion_matrix(y, pred, labels=[0, 1]).tolist(),  # [true][pred]
            "share_pred_harmful": float(pred.mean()),
        }
    if both_classes:
        metrics["balanced_accuracy_ci95"] = bootstrap_interval(y, pred)
    categories = sorted({r.get("category") or "" for r in rows})
    if categories != [""]:
        metrics["per_category"] = {}
        for cat in categories:
            mask = np.array([(r.get("category") or "") == cat for r in rows])
            metrics["per_category"][cat or "(none)"] = {
                "n": int(mask.sum()),
                "accuracy": float((y[mask] == pred[mask]).mean()),
                "share_pred_harmful": float(pred[mask].mean()),
            }
    caught = [r for r in rows if "pred_category" in r and r["label"] == 1 and r["pred"] == 1 and r.get("category")]
    named = [r for r in caught if r["category"] in HARM_CATEGORIES]  # a category it cannot name is no miss of naming
    others = sorted({r["category"] for r in caught} - set(HARM_CATEGORIES))
    if others:
        metrics["categories_not_named"] = {"n": len(caught) - len(named), "categories": others}
    if named:  # which harm the model named, for the harmful clips it caught
        truth = sorted({r["category"] for r in named})
        names = sorted({r["pred_category"] or "(none)" for r in named} | set(truth))
        metrics["category_confusion"] = {"true": truth, "pred": names, "counts": [
            [sum(r["category"] == t and (r["pred_category"] or "(none)") == p for r in named) for p in names]
            for t in truth]}
        metrics["category_accuracy"] = float(np.mean([r["category"] == r["pred_category"] for r in named]))
    return metrics


def bootstrap_interval(y, pred, n_boot=2000, seed=0):
    """[low, high] of a 95% bootstrap interval of balanced accuracy, resampling clips within each class
    (so every resample keeps the class counts it is a balanced accuracy of). On the 100 demo clips a
    balanced accuracy is one draw from a spread about +-0.06 wide: the number says how wide."""
    rng = np.random.default_rng(seed)
    right = pred == y
    recalls = [right[y == c][rng.integers(0, int((y == c).sum()), (n_boot, int((y == c).sum())))].mean(axis=1)
               for c in (0, 1)]
    low, high = np.percentile((recalls[0] + recalls[1]) / 2, [2.5, 97.5])
    return [float(low), float(high)]


def _line(name, value, note=""):
    return f"  {name:<{LABEL_WIDTH}}{value}" + (f"   {note}" if note else "")


def _split_summary(rows):
    counts = {s: sum(r["split"] == s for r in rows) for s in SPLITS}
    names = {"all": "unknown split"}
    return ", ".join(f"{names.get(s, s)} {n}" for s, n in counts.items() if n)


def _interval_note(m):
    if "balanced_accuracy_ci95" not in m:
        return ""
    low, high = m["balanced_accuracy_ci95"]
    step = 1 / (2 * min(m["n_harmful"], m["n_safe"]))  # one clip of the smaller class moves it this much
    return f"(95% bootstrap interval {low:.3f}-{high:.3f}; one clip moves it by up to {step:.3f})"


def format_section(title, rows, metrics):
    """The aligned text block of one group of clips (held-out or training)."""
    m = metrics
    auc = f"{m['roc_auc']:.4f}" if m["roc_auc"] is not None else "n/a"
    (tn, fp), (fn, tp) = m["confusion"]
    share = m["share_pred_harmful"]
    lines = [f"  -- {title} --",
             _line("clips scored", m["n"], f"({_split_summary(rows)})"),
             _line("true classes", f"{m['n_harmful']} harmful / {m['n_safe']} safe"),
             _line("accuracy", f"{m['accuracy']:.4f}"),
             _line("balanced accuracy", f"{m['balanced_accuracy']:.4f}", _interval_note(m)),
             _line("precision", f"{m['precision']:.4f}", "(harmful)"),
             _line("recall", f"{m['recall']:.4f}", "(harmful)"),
             _line("F1", f"{m['f1']:.4f}", "(harmful)"),
             _line("macro-F1", f"{m['macro_f1']:.4f}" if m["macro_f1"] is not None else "n/a"),
             _line("ROC-AUC", auc),
             _line("predicted harmful", f"{share:.1%}", f"({round(share * m['n'])} of {m['n']})"),
             _line("confusion matrix", f"{'pred safe':>10} {'pred harmful':>13}"),
             _line("  true safe", f"{tn:>10} {fp:>13}"),
             _line("  true harmful", f"{fn:>10} {tp:>13}")]
    if m["roc_auc"] is None:
        only = CLASS_NAMES[int(m["n_harmful"] > 0)]
        lines.append(f"  note: only {only} clips among the labels: ROC-AUC is undefined and "
                     f"balanced accuracy is the recall of the {only} class alone")
    if any(r["split"] == "all" for r in rows):
        lines.append("  note: split 'all' is an unknown split: the scorer did not know which "
                     "clips were used for training, so these may include training clips")
    majority = max(share, 1 - share)
    if majority >= COLLAPSE_SHARE:
        lines.append(f"  warning: {majority:.1%} of predictions are "
                     f"'{CLASS_NAMES[int(share >= 0.5)]}': the model may have collapsed to one "
                     "class")
    if "per_category" in m:
        lines.append(_line("per category", f"{'clips':>6} {'accuracy':>9} {'flagged harmful':>16}"))
        for cat, c in m["per_category"].items():
            lines.append(_line(f"  {cat}", f"{c['n']:>6} {c['accuracy']:>9.4f} "
                                           f"{c['share_pred_harmful']:>16.1%}"))
        lines.append("  (flagged harmful is the recall of a harm category, the false-alarm rate of a safe one)")
    if "category_confusion" in m:
        cc = m["category_confusion"]
        lines.append(_line("harm named", f"{m['category_accuracy']:.4f}",
                           f"(of {sum(map(sum, cc['counts']))} harmful clips caught, named as their true category)"))
        w = max(10, *map(len, cc["pred"]))
        lines.append(_line("  true \\ named", " ".join(f"{p:>{w}}" for p in cc["pred"])))
        for t, counts in zip(cc["true"], cc["counts"]):
            lines.append(_line(f"  {t}", " ".join(f"{c:>{w}}" for c in counts)))
    if "categories_not_named" in m:
        other = m["categories_not_named"]
        lines.append(f"  ({other['n']} harmful clip(s) caught of categories the text model does not name, "
                     f"{', '.join(repr(c) for c in other['categories'])}, are left out of 'harm named'; it names "
                     f"{', '.join(HARM_CATEGORIES)})")
    return lines


def plot_path(name, kind, out_dir):
    safe_name = re.sub(r"[^\w.-]", "_", name)
    return Path(out_dir) / f"{safe_name}_{kind}.png"


def write_plots(name, rows, out_dir):
    """Confusion matrix, ROC and precision-recall PNGs of one model; return the paths written."""
    import matplotlib

    matplotlib.use("Agg")  # headless: no display on servers and CI
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay, PrecisionRecallDisplay, RocCurveDisplay

    y = np.array([r["label"] for r in rows])
    pred = np.array([r["pred"] for r in rows])
    score = np.array([r["prob_harmful"] for r in rows])

    def draw_confusion(ax):
        # a fixed 0..n colour scale, and text colour from the cell's own shade: sklearn's default
        # picks both from the matrix's min..max, so equal counts come out unreadable
        shown = ConfusionMatrixDisplay.from_predictions(
            y, pred, labels=[0, 1], display_labels=CLASS_NAMES, ax=ax, colorbar=False,
            cmap="Blues", im_kw={"vmin": 0, "vmax": len(y)})
        for text, count in zip(shown.text_.ravel(), shown.confusion_matrix.ravel()):
            text.set_color("white" if count > len(y) / 2 else "black")

    plots = {"confusion": ("confusion matrix", draw_confusion)}
    if len(np.unique(y)) == 2:  # curves need both classes among the labels
        plots["roc"] = ("ROC", lambda ax: RocCurveDisplay.from_predictions(
            y, score, pos_label=1, name=name, ax=ax, plot_chance_level=True))
        plots["pr"] = ("precision-recall", lambda ax: PrecisionRecallDisplay.from_predictions(
            y, score, pos_label=1, name=name, ax=ax, plot_chance_level=True))
    written = []
    for kind, (title, draw) in plots.items():
        fig, ax = plt.subplots(figsize=(4.8, 4.2))
        try:
            draw(ax)
            ax.set_title(f"{name}: {title} (held-out, n={len(rows)})", fontsize=10)
            path = plot_path(name, kind, out_dir)
            with atomic_output(path, mode=None) as tmp:
                fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight")
            written.append(path)
        finally:
            plt.close(fig)
    return written


def split_breakdown(rows):
    """One line per held-out split when there are several: `val` chose the epoch and threshold,
    so it flatters the model; `test` (never seen) is the number to trust."""
    splits = [s for s in ("val", "test", "all") if any(r["split"] == s for r in rows)]
    if len(splits) < 2:
        return []
    lines = [_line("by split", f"{'clips':>6} {'bal. acc':>9} {'ROC-AUC':>8}")]
    for s in splits:
        m = compute_metrics([r for r in rows if r["split"] == s])
        auc = f"{m['roc_auc']:.4f}" if m["roc_auc"] is not None else "n/a"
        lines.append(_line(f"  {s}", f"{m['n']:>6} {m['balanced_accuracy']:>9.4f} {auc:>8}"))
    return lines


def report_model(name, model, include_train, plot_dir):
    """The text lines of one model; writes its plots into `plot_dir` unless it is None."""
    rows = model["rows"]
    held_out = [r for r in rows if r["split"] in HELD_OUT]
    train = [r for r in rows if r["split"] == "train"]
    lines = [f"== {name} ==", _line("source" + "s" * (len(model["sources"]) > 1),
                                    ", ".join(model["sources"]))]
    if model["duplicates"]:
        dup, first = model["duplicates"][0]
        lines.append(f"  warning: {len(model['duplicates'])} clip(s) appear more than once across "
                     f"the prediction files; kept the first of each (e.g. {dup['path']} at "
                     f"{first['where']} and {dup['where']})")
    if model["unscored"]:
        bad = model["unscored"]
        lines.append(_line("unscored", f"{len(bad)} clip(s) with an error, excluded"))
        lines += [f"    {u['where']}: {u['path']}: {u['error']}" for u in bad[:5]]
        if len(bad) > 5:
            lines.append(f"    ... and {len(bad) - 5} more")
    if train:
        action = ("reported separately below, not in the held-out metrics" if include_train
                  else "excluded (--include_train to report them separately)")
        lines.append(f"  warning: {len(train)} of {len(rows)} scored clips were training clips "
                     f"(split=train); {action}")
    test = [r for r in held_out if r["split"] == "test"]
    if test and len(test) < len(held_out):
        # val clips chose the epoch and the threshold: they flatter the model, so the headline is
        # the clips the model never saw in any way, and val follows as its own section
        headline, title = test, "held-out clips never used for training or selection (split=test)"
    elif any(r["split"] == "val" for r in held_out):
        # no test split: the validation clips are all there is, and the reader must know they flatter
        headline, title = held_out, ("held-out clips (no split=test clips: these include validation clips, which "
                                     "chose the model's epoch and threshold, or under a fusion the acoustic model's, "
                                     "so the numbers may be optimistic)")
    else:
        headline, title = held_out, "held-out clips"
    if held_out:
        lines += format_section(title, headline, compute_metrics(headline))
        if headline is test:
            for split, what in (("val", "validation clips (chose the epoch and threshold: optimistic)"),
                                ("all", "clips of unknown split (the model kept no record: may include training "
                                        "clips)")):
                rest = [r for r in held_out if r["split"] == split]
                if rest:
                    lines += format_section(what, rest, compute_metrics(rest))
        lines += split_breakdown(held_out)
        if plot_dir is not None:
            plots = write_plots(name, headline, plot_dir)
            lines.append(_line("plots", ", ".join(p.name for p in plots)))
    elif not rows:
        lines.append("  no scored clips: the file(s) hold no rows without an error")
    else:
        lines.append(f"  no held-out clips: none of the {len(rows)} scored clips has split val, "
                     "test or all, so there is nothing honest to report"
                     + ("" if include_train else
                        " (--include_train shows the training-clip metrics)"))
    if include_train and train:
        lines += format_section("training clips (not held-out)", train, compute_metrics(train))
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Score prediction CSVs (from infer_dataset.py) on held-out clips and write "
                    "model_metrics.txt plus confusion-matrix, ROC and precision-recall plots.")
    parser.add_argument("predictions", nargs="*",
                        help="prediction CSVs to score (default: every <data_root>/*_predictions"
                             ".csv); files of the same model name, e.g. the shards "
                             "cnn_predictions.shard0of4.csv ... shard3of4.csv of infer_dataset.py "
                             "--num_shards 4, are scored together; a missing or repeated shard is an error")
    parser.add_argument("--data_root", default=CFG.data_root,
                        help="where to look for *_predictions.csv when none are named, and where "
                             "model_metrics.txt goes by default (default: %(default)s)")
    parser.add_argument("--output", default=None,
                        help="report path (default: <data_root>/model_metrics.txt); plots are "
                             "written next to it")
    parser.add_argument("--names", default=None,
                        help="comma-separated model names, one per CSV (one in all with --merge), "
                             "instead of the file stem minus '_predictions'")
    parser.add_argument("--merge", action="store_true",
                        help="treat every CSV as a shard of one model and score them together")
    parser.add_argument("--include_train", action="store_true",
                        help="also report clips the model was trained on (split=train), in a "
                             "separate section 'training clips (not held-out)'")
    parser.add_argument("--no_plots", action="store_true", help="skip the PNG plots")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace an existing report and plots (without it an existing one stops the run)")
    args = parser.parse_args(argv)

    paths = [Path(p) for p in args.predictions] or find_prediction_csvs(args.data_root)
    names = [n.strip() for n in args.names.split(",")] if args.names else None
    if names and (not all(names) or len(names) != (1 if args.merge else len(paths))):
        parser.error(f"--names needs {'one name' if args.merge else f'{len(paths)} names'} "
                     f"(got {args.names!r})")
    if args.merge:
        names = [names[0] if names else model_name(paths[0])] * len(paths)
    models = load_models(paths, names or [model_name(p) for p in paths], merge=args.merge)
    # the fused system is what gets deployed, so its numbers head the report (the order is the report's only:
    # --names still pairs with the CSVs as found or given)
    models = dict(sorted(models.items(), key=lambda kv: not FUSED_NAME.search(kv[0])))

    output = Path(args.output) if args.output else Path(args.data_root) / "model_metrics.txt"
    if output.is_dir():  # found now, before the plots are written beside it
        raise HelmitError(f"{output}: is a directory; --output names the report file (e.g. {output / 'model_metrics.txt'})")
    plot_dir = None if args.no_plots else output.parent
    plots = [] if plot_dir is None else [plot_path(n, k, plot_dir) for n in models for k in PLOT_KINDS]
    for path in [output, *plots]:  # checked before anything is written: a refused run changes nothing
        refuse_to_overwrite(path, args.overwrite, inputs=paths)
    lines = ["Helmit model metrics",
             "held-out = split val, test or all; training clips (split=train) are "
             + ("reported separately" if args.include_train else "excluded"),
             "precision, recall and F1 are for the harmful class", ""]
    for name, model in models.items():
        lines += report_model(name, model, args.include_train, plot_dir) + [""]
    report = "\n".join(lines)
    with atomic_output(output, "w", encoding="utf-8") as f:
        f.write(report)
    print(report + f"wrote {output}")
    empty = [name for name, model in models.items() if not model["rows"]]
    if empty:  # an empty or all-error predictions file is a failed run upstream, not a result
        print(f"error: no scored clips for {', '.join(empty)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    run_cli(main)
