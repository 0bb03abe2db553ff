"""Prediction CSVs from infer_dataset.py, read and checked: every row's columns and values, shards
of one model complete, duplicates dropped. compute_metrics.py scores what this returns, and
fusion.py reads its acoustic scores through it; a bad row is refused with its file and line.
"""
import math
import re
from pathlib import Path

from utils_io import HelmitError, csv_rows

REQUIRED_COLUMNS = ("path", "label", "pred", "prob", "prob_harmful", "split")
SPLITS = ("train", "val", "test", "all")
# cnn_predictions.shard0of4.csv: shard 0 of 4 of model cnn, as infer_dataset.py --num_shards names it
SHARD_SUFFIX = re.compile(r"[._]shard(\d+)of(\d+)$")


def model_name(path):
    """`cnn_predictions.csv` and `cnn_predictions.shard0of4.csv` both name the model `cnn`."""
    stem = SHARD_SUFFIX.sub("", Path(path).stem)
    return stem[: -len("_predictions")] if stem.endswith("_predictions") else stem


def shard_csv_path(path, shard_index, num_shards):
    """`cnn_predictions.csv` -> `cnn_predictions.shard0of4.csv`: how infer_dataset.py --num_shards
    names its output, and what SHARD_SUFFIX reads back."""
    path = Path(path)
    return path.with_name(f"{path.stem}.shard{shard_index}of{num_shards}{path.suffix}")


def shard_of(path):
    """(shard index, number of shards) from a shard CSV's name; None for a whole predictions CSV."""
    match = SHARD_SUFFIX.search(Path(path).stem)
    return (int(match[1]), int(match[2])) if match else None


def check_shards(name, paths, merge=False):
    """Raise unless the CSVs of one model are a whole CSV or one complete set of shards, each once.

    A missing shard would quietly leave its clips out of the metrics; a shard given twice, or a
    whole CSV beside shards, would count clips twice; two whole CSVs of one name (two runs in two
    folders) would be scored as one, the second's clips dropped as duplicates, unless `merge` says
    that is meant.
    """
    shards = {str(p): shard_of(p) for p in paths}
    sharded = {p: s for p, s in shards.items() if s}
    if not sharded:
        whole = sorted({str(Path(p).resolve()) for p in paths})
        if len(whole) > 1 and not merge:
            raise HelmitError(f"model '{name}': {len(whole)} predictions CSVs carry that name ({whole[0]}, {whole[1]}"
                              f"{', ...' if len(whole) > 2 else ''}); give --names to score them apart, or --merge "
                              "to score them as one model")
        return
    whole = [p for p, s in shards.items() if not s]
    if whole:
        raise HelmitError(f"{whole[0]}: a whole predictions CSV of model '{name}' given with its shards "
                          f"({next(iter(sharded))}, ...); together they count clips twice, so name only one of them")
    counts = sorted({n for _, n in sharded.values()})
    if len(counts) > 1:
        raise HelmitError(f"model '{name}': shards of {' and '.join(map(str, counts))} mixed (from runs with "
                          "different --num_shards); score one complete set")
    n, seen = counts[0], {}
    for path, (i, _) in sharded.items():
        if i >= n:
            raise HelmitError(f"{path}: shard {i} of {n} cannot exist (the shards of a set of {n} are numbered from 0 to {n} - 1)")
        if i in seen:
            raise HelmitError(f"{path}: shard {i} of {n} of model '{name}' given twice (also {seen[i]}); "
                              "name each shard once")
        seen[i] = path
    missing = [i for i in range(n) if i not in seen]
    if missing:
        listed = ", ".join(map(str, missing[:10])) + (", ..." if len(missing) > 10 else "")
        raise HelmitError(f"model '{name}': shard(s) {listed} of {n} missing (found {len(seen)} of {n}), so their "
                          f"clips would be left out; score them first (infer_dataset.py --num_shards {n} "
                          f"--shard_index {missing[0]})")


def find_prediction_csvs(data_root):
    """Every `*_predictions.csv` (and its shards) directly under `data_root`, sorted."""
    found = [p for p in sorted(Path(data_root).glob("*_predictions*.csv"))
             if SHARD_SUFFIX.sub("", p.stem).endswith("_predictions")]
    if not found:
        raise HelmitError(f"{data_root}: no *_predictions.csv files (run infer_dataset.py first, "
                          "or name the CSVs on the command line)")
    return found


def _number(row, column, where, low=None, high=None):
    text = (row.get(column) or "").strip()
    try:
        value = float(text)
    except ValueError:
        raise HelmitError(f"{where}: {column} {text!r} is not a number") from None
    if not math.isfinite(value) or (low is not None and not low <= value <= high):
        raise HelmitError(f"{where}: {column} {text!r} is outside [{low}, {high}]"
                          if math.isfinite(value) else f"{where}: {column} {text!r} is not finite")
    return value


def _class_label(row, column, where):
    if column == "label" and not (row[column] or "").strip():
        raise HelmitError(f"{where}: no label: this CSV scored unlabelled clips (infer_dataset.py --audio_dir), "
                          "which give decisions but no metrics; score labelled clips (--labels_csv) to measure")
    value = _number(row, column, where)
    if value not in (0.0, 1.0):
        raise HelmitError(f"{where}: {column} {row[column]!r} is not 0 (safe) or 1 (harmful)")
    return int(value)


def read_predictions(path):
    """Return (scored rows, unscored rows) of one predictions CSV; errors name the file and line.

    A row with a non-empty `error` column is a clip the scorer could not process: it is kept
    aside (counted in the report) and its other fields are not checked, since they may be blank.
    """
    scored, unscored = [], []
    for line, row in csv_rows(path, REQUIRED_COLUMNS, "predictions file not found (run infer_dataset.py first)",
                              f"expected a header with {','.join(REQUIRED_COLUMNS)}"):
        where = f"{path}:{line}"
        clip = (row["path"] or "").strip()
        if (row.get("error") or "").strip():
            unscored.append({"path": clip, "error": row["error"].strip(), "where": where})
            continue
        split = (row["split"] or "").strip().lower()
        if split not in SPLITS:
            raise HelmitError(f"{where}: split {row['split']!r} is not one of {', '.join(SPLITS)}")
        scored.append({
            "path": clip, "split": split, "where": where,
            "label": _class_label(row, "label", where),
            "pred": _class_label(row, "pred", where),
            "prob": _number(row, "prob", where, 0.0, 1.0),
            "prob_harmful": _number(row, "prob_harmful", where, 0.0, 1.0),
            # one spelling per category: "Threat " from a spreadsheet is the model's "threat"
            "category": (row.get("category") or "").strip().lower(),
            "fold": (row.get("fold") or "").strip(),
            "group": (row.get("group") or "").strip(),
            **({"pred_category": (row.get("pred_category") or "").strip().lower()} if "pred_category" in row else {}),
        })
    return scored, unscored


def drop_duplicates(rows):
    """Keep the first row of each clip; return (kept rows, [(duplicate, first) pairs]).

    Overlapping shards would otherwise count a clip twice. A training clip legitimately recurs
    once per fold in cross-validation output, so training rows are keyed on the fold as well.
    """
    first, kept, duplicates = {}, [], []
    for row in rows:
        key = (row["path"], row["fold"]) if row["split"] == "train" else (row["path"], "held-out")
        if key in first:
            duplicates.append((row, first[key]))
        else:
            first[key] = row
            kept.append(row)
    return kept, duplicates


def load_models(paths, names, merge=False):
    """Group the CSVs by model name (shards of one model share it) and read them; `merge`: CSVs that
    share a name are meant as one model."""
    once = {}  # the same file named twice is read once
    for path, name in zip(paths, names):
        once.setdefault(Path(path).resolve(), (path, name))
    paths, names = [p for p, _ in once.values()], [n for _, n in once.values()]
    groups = {}
    for path, name in zip(paths, names):
        groups.setdefault(name, []).append(path)
    for name, group in groups.items():  # before reading: a missing shard fails at once, not after the others
        check_shards(name, group, merge)
    models = {}
    for path, name in zip(paths, names):
        scored, unscored = read_predictions(path)
        model = models.setdefault(name, {"sources": [], "rows": [], "unscored": []})
        model["sources"].append(str(path))
        model["rows"] += scored
        model["unscored"] += unscored
    for model in models.values():
        model["rows"], model["duplicates"] = drop_duplicates(model["rows"])
    return models
