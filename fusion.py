"""Fit the fusion of acoustic and transcript evidence, measure it honestly, and write the deployable model.

Reads the acoustic model's predictions on labelled clips it did not train on (train.py --folds
writes out-of-fold ones; infer_dataset.py's val/test rows also qualify), the transcripts of the
same clips (transcribe.py) and a text model (train_text.py). A two-input logistic regression on
the two scores' logits, with balanced class weights and no negative weight, calibrates and
combines them in one step. An acoustic model gets no weight at all unless its scores separate the
classes (a one-sided rank test on the clips the fusion is fit on) and adding it lowers the
log-loss cross-validated on those clips.

It first cross-validates the whole system by fold (the acoustic CSV's `fold` column, else
stratified K folds): for each fold, the text model is adapted to the other folds' transcripts
(`--adapt`, an encoder text model), the calibrations and the fusion are fit on the other folds
(with --adapt, on their scores from models adapted without this fold: K x K adaptations), and this
fold is scored, so no clip is ever scored by anything fit on it. It prints the per-fold
comparison of acoustic, text and fused, writes their out-of-fold predictions for
compute_metrics.py, then adapts and fits on every clip and writes one fused model directory
(fused_model.py: acoustic ONNX, text model, fusion, recognizer, digests) for infer.py and
infer_dataset.py --fusion.
"""
import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

import fused_model
import text_model
from transcribe import transcripts_ways
from fused_model import combine, logit
from splits import (SAME_AUDIO, copy_groups, group_ids, group_name, one_class_fold, stratified_folds,
                    warn_case_variants)
from utils_io import HelmitError, atomic_directory, clip_digest, refuse_to_overwrite, run_cli, write_csv

SOURCES = ("acoustic", "text", "fused")
CHANCE_P = 0.05  # an acoustic model whose harmful clips do not outrank safe ones at this level gets no weight
INNER_FOLDS = 5  # folds of the fit clips on which the acoustic model must earn its weight
# ... by lowering the text's cross-validated log-loss by at least this share: smaller gains are the noise
# of which clips fall in which inner fold, and a weight they grant moves decisions for nothing
MIN_GAIN = 0.01
REPLAY = 200  # texts the model was trained on, mixed into each adaptation so a few dozen transcripts do not erase the rest


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


def fold_ids(rows, k, seed, groups=None, digests=None):
    """The acoustic CSV's own folds when it has them (train.py --folds), else stratified K folds, with
    the clips of one of `groups` (clip_groups: a speaker, a conversation, copies of a clip) kept in one
    fold. Every fold must hold both classes: one class's recall would pass for its balanced accuracy.
    Own folds that split copies of a clip (`digests`) are refused: a copy would be scored by a fit on it."""
    if all(str(r.get("fold", "")).strip() for r in rows):
        bad = next((r for r in rows if not str(r["fold"]).strip().isdigit()), None)
        if bad is not None:
            raise HelmitError(f"{bad.get('where', 'the acoustic CSV')}: fold {bad['fold']!r} is not a fold number (0, 1, ...)")
        ids = np.array([int(r["fold"]) for r in rows])
        if len(set(ids.tolist())) < 2:
            raise HelmitError(f"every clip of the acoustic CSV is in fold {ids[0]}: cross-validation needs at least "
                              "2 folds (drop the fold column to have --folds make them)")
        numbers = sorted(set(ids.tolist()))
        missing = one_class_fold([int(r["label"]) for r in rows], [ids == f for f in numbers])
        if missing:
            raise HelmitError(f"fold {numbers[missing[0]]} of the acoustic CSV holds one class only; its balanced "
                              "accuracy would be that class's recall (drop the fold column to have --folds make "
                              "stratified folds)")
        # copies of a clip, then a speaker's clips: each across folds would be scored by a fit on the other
        for keys, what, why, kept in (
                (digests or [], "is the same audio as", "each would be scored by a fit on its copy", "copies"),
                ([group_name(r, "group") for r in rows], "is in group {key!r} with",
                 "the group's clips would be scored by a fit on the others", "a group")):
            split = across_folds(ids, keys)
            if split:
                i, j = split
                a, b = rows[j], rows[i]
                raise HelmitError(f"{b.get('where', b['path'])}: {b['path']} {what.format(key=keys[i])} {a['path']} "
                                  f"({a.get('where', 'another row')}), but the acoustic CSV has them in folds "
                                  f"{ids[i]} and {ids[j]}, so {why}; rerun train.py --folds (it keeps {kept} in one "
                                  "fold), or drop the fold column")
        return ids

    grouped = groups is not None and any(groups)
    has_copies = digests is not None and len({d for d in digests if d}) < sum(d is not None for d in digests)
    column = SAME_AUDIO if has_copies else "group"  # how errors name the groups: the CSV's column, or copies too
    ids = np.zeros(len(rows), dtype=int)
    for f, (_, test) in enumerate(stratified_folds([{"label": int(r["label"]), column: g}
                                                    for r, g in zip(rows, groups if grouped else [""] * len(rows))],
                                                   k, seed, column if grouped else None)):
        ids[test] = f
    return ids


def across_folds(ids, keys):
    """(i, j): the first row i whose key (a digest, a group; None or "" for a clip alone) an earlier row j
    has in another fold, or None."""
    first = {}
    for i, key in enumerate(keys):
        j = first.setdefault(key, i) if key else i
        if ids[j] != ids[i]:
            return i, j
    return None


def clip_groups(rows, digests):
    """One group id per row ("" for a clip alone): the CSV's `group` column (a speaker, a conversation)
    joined with byte-identical copies of a clip (`digests`, None where unread), so neither the folds
    nor the fusion's inner folds score a clip on a fit that saw its copy. The same audio under both
    labels is refused (splits.copy_groups)."""
    warn_case_variants(rows, "group")
    joined = copy_groups(rows, digests, group_ids(rows, "group"))
    return np.array([group_name(r, "group") for r in rows] if joined is None else joined)


def fit_digests(rows, root):
    """(utils_io.clip_digest of each clip the fusion is fit on, one per row and None where it could not
    be read, the paths of those it could not read): infer_dataset.py marks the first train under any
    path or copy, the others by their path, and a warning names them."""
    digests, unread = [], []
    for r in rows:
        try:
            digests.append(clip_digest(root / r["path"]))
        except OSError:
            digests.append(None)
            unread.append(r["path"])
    if unread:
        print(f"warning: {len(unread)} of the {len(rows)} clips cannot be read under {root} (--data_root), e.g. "
              f"{unread[0]}: the fused model knows them by path only, so a copy under another path would pass "
              "for a new clip", file=sys.stderr)
    return digests, unread


def text_scores(rows, transcripts, model, transcripts_path):
    missing = [r["path"] for r in rows if r["path"] not in transcripts]
    if missing:
        raise HelmitError(f"{transcripts_path}: no transcript for {len(missing)} clip(s) of the acoustic CSV, "
                          f"e.g. {missing[0]}; run transcribe.py on the same labels.csv")
    failed = [p for p in (r["path"] for r in rows) if transcripts[p].get("error")]
    if failed:
        raise HelmitError(f"{transcripts_path}: {failed[0]} has a transcription error; fix or drop it first")
    # the fusion learns from the acoustic CSV's labels; transcripts labelled otherwise come from another labels.csv
    differ = [r["path"] for r in rows if str(transcripts[r["path"]].get("label") or r["label"]).strip() != str(r["label"])]
    if differ:
        raise HelmitError(f"{transcripts_path}: {len(differ)} clip(s) labelled otherwise than in the acoustic CSV, e.g. "
                          f"{differ[0]}; transcribe and score the same labels.csv")
    return text_model.predict_heard([text_model.hearings_of(transcripts[r["path"]]) for r in rows], model)


def hearings_count(rows, transcripts, transcripts_path):
    """How many times each clip was heard (transcribe.py --hearings): one count for all clips, or an error.
    The calibration is fit on scores averaged over that many hearings, so scoring must hear as often."""
    counts = {}
    for r in rows:  # checked before the text model scores them all; a missing or failed clip is text_scores' to name
        if r["path"] in transcripts and not transcripts[r["path"]].get("error"):
            counts.setdefault(len(text_model.hearings_of(transcripts[r["path"]])), r["path"])
    if len(counts) > 1:
        (a, pa), (b, pb) = sorted(counts.items())[:2]
        raise HelmitError(f"{transcripts_path}: clips heard different numbers of times ({pa}: {a}, {pb}: {b}); "
                          "transcribe them all with one --hearings")
    return next(iter(counts), 1)


def acoustic_at_chance(p_a, labels):
    """(at chance?, p-value): do harmful clips' acoustic scores outrank safe ones' (Mann-Whitney, one-sided)?"""
    from scipy.stats import mannwhitneyu

    labels = np.asarray(labels)
    p = float(mannwhitneyu(p_a[labels == 1], p_a[labels == 0], alternative="greater").pvalue)
    return p >= CHANCE_P, p


def acoustic_earns_weight(p_a, p_t, labels, groups=None, seed=0):
    """(does it?, {"text": loss, "fused": loss} or None when the clips are too few to tell): is the
    balanced log-loss of the fusion at least MIN_GAIN lower than the text's alone, both
    cross-validated on these clips (stratified inner folds, a group's clips kept in one)?

    The rank test alone lets through a model that ranks the clips a little better than chance on
    the fit clips and at chance elsewhere: on the 400 held-out clips of the 2,000-clip corpus the
    CNN passed it (p = 0.001-0.04 per fold) and got weights up to 0.15 that cost 1.3 points against
    the text alone. A weight fit on some clips has to pay on others to be kept."""
    from sklearn.metrics import log_loss
    from sklearn.utils.class_weight import compute_sample_weight

    labels = np.asarray(labels, dtype=int)
    grouped = groups is not None and any(groups)
    rows = [{"label": int(y), "group": g} for y, g in zip(labels, groups if grouped else [""] * len(labels))]
    # a blank group is a clip alone, as the folds take it
    k = min(INNER_FOLDS, int(np.bincount(labels, minlength=2).min()), len(set(group_ids(rows, "group"))) if grouped
            else INNER_FOLDS)
    try:
        folds = stratified_folds(rows, k, seed, "group" if grouped else None) if k >= 2 else None
    except HelmitError:  # groups too few or too lopsided for inner folds with both classes
        folds = None
    if folds is None:
        return False, None
    oof = {"text": np.zeros(len(labels)), "fused": np.zeros(len(labels))}
    for train, test in folds:
        oof["text"][test] = combine(fit_combiner([p_t[train]], labels[train]), p_t[test])
        oof["fused"][test] = combine(fit_combiner([p_a[train], p_t[train]], labels[train]), p_a[test], p_t[test])
    weight = compute_sample_weight("balanced", labels)
    loss = {s: float(log_loss(labels, q, sample_weight=weight, labels=[0, 1])) for s, q in oof.items()}
    return lowers_log_loss(loss), loss


def lowers_log_loss(loss):
    """Does the fusion's cross-validated log-loss beat the text's alone by MIN_GAIN?"""
    return loss["fused"] < (1.0 - MIN_GAIN) * loss["text"]


def acoustic_weight_verdict(p_a, p_t, labels, groups=None, seed=0):
    """{"weighted", "at_chance", "rank_test_p", "cv_log_loss"}: the acoustic model may get a weight only
    when its scores outrank the safe clips' (acoustic_at_chance) and it earns it out of sample
    (acoustic_earns_weight; cv_log_loss is None at chance, or when the clips are too few to tell)."""
    at_chance, p_value = acoustic_at_chance(p_a, labels)
    earns, loss = (False, None) if at_chance else acoustic_earns_weight(p_a, p_t, labels, groups, seed)
    return {"weighted": earns, "at_chance": at_chance, "rank_test_p": p_value, "cv_log_loss": loss}


def fit_fusion(p_a, p_t, labels, groups=None, seed=0):
    """(combiner of both sources, acoustic_weight_verdict): the acoustic weight is 0 unless the verdict
    grants one (and "weighted" is then whether the fit gave it more than 0)."""
    verdict = acoustic_weight_verdict(p_a, p_t, labels, groups, seed)
    if verdict["weighted"]:
        combiner = fit_combiner([p_a, p_t], labels)
        verdict["weighted"] = combiner["coef"][0] > 0.0
        if verdict["weighted"]:
            return combiner, verdict
    c = fit_combiner([p_t], labels)
    return {"coef": [0.0, c["coef"][0]], "intercept": c["intercept"]}, verdict


def cross_validate(p_a, p_t, labels, folds, p_t_fold=None, p_t_calibration=None, pred_a=None, groups=None, seed=0):
    """Out-of-fold probabilities per source and per-fold metrics; each fold scored by fits on the others.

    The acoustic source is reported as the acoustic model itself decides (`pred_a`, its own threshold's
    decisions; else P >= 0.5), on its own scores: a calibration fit on the other folds flattens a
    model at chance to 0.5 for every clip, which would report "harmful" everywhere at AUC 0.5 and
    hide how it ranks the clips.

    `p_t_fold`: the text scores of each clip from a text model adapted on the other folds only, and
    `p_t_calibration`: {fold: the other folds' scores from models adapted without this fold}, what this
    fold's calibrations are fit on (`adapted_text_scores`). Without them the unadapted model's scores
    serve both. `groups`, `seed`: the clips' groups and the seed for the fusion's inner folds (fit_fusion)."""
    from sklearn.metrics import balanced_accuracy_score, roc_auc_score

    p_t_fold = p_t if p_t_fold is None else p_t_fold
    oof = {s: np.zeros(len(labels)) for s in SOURCES}
    oof["acoustic"] = np.asarray(p_a, dtype=np.float64).copy()
    acoustic_pred = np.asarray(p_a) >= 0.5 if pred_a is None else np.asarray(pred_a) == 1
    per_fold = []
    for f in sorted(set(folds.tolist())):
        test, train = folds == f, folds != f
        if len(set(labels[train].tolist())) < 2:
            raise HelmitError(f"fold {f}: the other folds hold one class only; use fewer folds")
        fit_t = p_t if p_t_calibration is None else p_t_calibration[f]
        oof["text"][test] = combine(fit_combiner([fit_t[train]], labels[train]), p_t_fold[test])
        fusion = fit_fusion(p_a[train], fit_t[train], labels[train], None if groups is None else groups[train], seed)[0]
        oof["fused"][test] = combine(fusion, p_a[test], p_t_fold[test])
        row = {"fold": int(f), "n": int(test.sum())}
        for s in SOURCES:
            pred = acoustic_pred[test] if s == "acoustic" else oof[s][test] >= 0.5
            row[f"{s}_balanced_accuracy"] = float(balanced_accuracy_score(labels[test], pred))
            both = len(set(labels[test].tolist())) == 2
            row[f"{s}_roc_auc"] = float(roc_auc_score(labels[test], oof[s][test])) if both else float("nan")
        per_fold.append(row)
    return oof, per_fold


# ---------------------------------------------------------------- adapting the text model to these clips
def replay_counts(training):
    """{source: rows}: what the model was trained on, from its text_model.json "training", each source
    counted as often as training saw it (hand-written sentences and twins with their copies)."""
    return {"generated": training.get("generated", 0),
            "written": training.get("written", 0) * training.get("written_copies", 0),
            "twins": training.get("twins", 0) * training.get("twin_copies", 0),
            "asr": training.get("asr", 0), "chat": training.get("chat", 0)}


def replay_shares(counts, n=None):
    """{source: texts of n (REPLAY)} in the shares of `counts`, by largest remainder so they add up to n.
    A model trained on chat and a user's transcripts alone replays generated sentences: chat alone would
    hold no harmful text at all."""
    n = REPLAY if n is None else n
    counts = {k: v for k, v in counts.items() if v > 0}
    if not set(counts) - {"chat"}:
        return {"generated": n}
    total = sum(counts.values())
    out = {k: n * v // total for k, v in counts.items()}
    for k in sorted(counts, key=lambda k: -(n * counts[k] % total))[:n - sum(out.values())]:
        out[k] += 1
    return out


def training_file(path):
    """A file a model was trained on, where the record names it or, trained on another machine, in this
    checkout's textdata/ by its name; None if neither is there."""
    from train_text import TEXTDATA

    for p in (Path(path), TEXTDATA / Path(path).name):
        if p.is_file():
            return p
    return None


_MISSING_WARNED = set()


def replay_rows(seed, training):
    """[(text, label, category)]: REPLAY texts for an adaptation, drawn from what the model was trained
    on in the shares it was trained with (replay_shares): generated sentences, hand-written ones and
    their safe twins (train_text.py --written, --twins), recognizer transcripts (--asr_transcripts) and
    real chat (--chat). As in training, the share `training.context` of the generated and hand-written
    ones is set among safe ones (train_text.with_context). Generated sentences replayed alone wore down
    what the rest taught (insights.md); a file the record names that is not here is left out, with a
    warning, and its share goes to the others."""
    import text_corpus
    from train_text import chat_text, labelled_csv, with_context

    counts, pools = replay_counts(training), {}
    for source, key in (("written", "written_files"), ("twins", "twin_files"), ("asr", "asr_transcripts")):
        if not counts[source]:
            continue
        found = [training_file(p) for p in training.get(key, [])]
        for p, f in zip(training.get(key, []), found):
            if f is None and p not in _MISSING_WARNED:  # once, not once per fold's adaptation
                _MISSING_WARNED.add(p)
                print(f"warning: {p} (in the text model's training) is not here: adaptation replays the rest of "
                      "what it was trained on", file=sys.stderr)
        # once each, however the record names it: an averaged model's record can list one file by two paths
        # (one member's absolute default, another's relative --written), which would double its share
        unique = {}
        for f in filter(None, found):
            unique.setdefault(f.resolve(), f)  # the first path found for it names it in any error
        pools[source] = [r for f in unique.values()
                         for r in labelled_csv(f, f"replay of {source}", what="labelled sentences")]
        if not pools[source]:
            counts[source] = 0
    shares = replay_shares(counts)
    rng = np.random.default_rng(seed + 11)

    def drawn(source):
        rows, k = pools.get(source, []), shares.get(source, 0)
        return [rows[i] for i in rng.choice(len(rows), k, replace=k > len(rows))] if k else []

    chat = chat_text(shares.get("chat", 0), seed)
    generated = [(g["text"], g["label"], g["category"])
                 for g in text_corpus.generate(shares.get("generated", 0), seed, "train", spoken=0.3)]
    sentences, _ = with_context(generated + drawn("written") + drawn("twins"), float(training.get("context", 0.0)),
                                seed, chat=chat)
    rows = sentences + drawn("asr") + [(t, 0, "everyday") for t in chat]
    return [(text_model.normalise_text(t), y, c) for t, y, c in rows]


def adapt(text_dir, texts, labels, categories, seed, epochs, threads=None, progress=False):
    """(module, tokenizer): the encoder text model at `text_dir` fine-tuned on these transcripts, with
    replay_rows mixed in; `progress` shows its own step bar (the per-fold ones share one bar)."""
    import text_encoder
    from train_text import category_index

    module, tokenizer, provenance = text_encoder.load_for_training(init=text_dir)
    # models trained before --context have no share recorded: they learned from lone sentences
    trained = provenance["adapted_from"]
    replay = replay_rows(seed, trained)
    # a transcript with no words teaches nothing about wording: it would only pull the score of silence
    # towards these clips' label mix (such clips are still scored; main() says how many)
    worded = [i for i, t in enumerate(texts) if not text_model.no_speech(t)]
    x = [text_model.normalise_text(texts[i]) for i in worded] + [t for t, _, _ in replay]
    y = [labels[i] for i in worded] + [label for _, label, _ in replay]
    c = [category_index(categories[i], labels[i]) for i in worded] + [category_index(k, v) for _, v, k in replay]
    w = [3.0] * len(worded) + [1.0] * len(replay)  # the user's clips count more: they look like what will be scored
    text_encoder.fine_tune(module, tokenizer, x, y, c, w, epochs=epochs, lr=3e-5, seed=seed, progress=progress,
                           threads=threads)
    return module, tokenizer


def adapted_text_scores(text_dir, texts, labels, categories, folds, seed, epochs, threads=None, hearings=None):
    """Each clip's text score from a model adapted without its fold, and what the calibrations may be fit on.

    Returns (scores, named, calibration):
    - scores, named: each clip's P(harmful) and named harm from the text model adapted on the other
      folds' transcripts only;
    - calibration: {fold f: scores of the clips outside f (nan inside f)}, each clip of fold g scored
      by a model adapted on the folds other than f and g. Fold f's calibrations are fit on these:
      scores of the same kind as the adapted model gives fold f (from a model adapted on other
      clips), yet from models that never saw fold f. The unadapted model's scores would not do:
      adaptation moves the scores, and a threshold fit before it sits off.
    Each model adapts on the clips' first hearings (`texts`) and scores the mean over all of a clip's
    `hearings` (default: `texts` alone)."""
    from tqdm import tqdm

    meta = text_model.load(text_dir)
    ids = sorted(set(folds.tolist()))
    out, named = np.zeros(len(texts)), [""] * len(texts)
    calibration = {f: np.full(len(texts), np.nan) for f in ids}
    jobs = [(f, None) for f in ids] + [(f, g) for f in ids for g in ids if g != f]
    for f, g in tqdm(jobs, desc="adapting the text model per fold (and per inner fold, for calibration)", unit="model"):
        held = {f} if g is None else {f, g}
        train = np.flatnonzero(~np.isin(folds, list(held)))
        test = np.flatnonzero(folds == (f if g is None else g))
        probs, cats = adapted_scores(text_dir, meta, texts, labels, categories, train, test,
                                     seed + f if g is None else seed + 100 * (f + 1) + g, epochs, threads,
                                     hearings or [[t] for t in texts])
        if g is None:
            out[test] = probs
            for i, c in zip(test, cats):
                named[i] = c
        else:
            calibration[f][test] = probs
    return out, named, calibration


def adapted_scores(text_dir, meta, texts, labels, categories, train, test, seed, epochs, threads, hearings):
    """(P(harmful), named harm) of the clips `test` (each the mean over its `hearings`) from the text model
    adapted on the clips `train` (their `texts`)."""
    import text_encoder

    module, tok = adapt(text_dir, [texts[i] for i in train], labels[train], [categories[i] for i in train],
                        seed, epochs, threads)
    # in word windows, the most harmful one counting, as the deployed model scores a transcript
    harm, cat = text_model.heard_logits([hearings[i] for i in test], lambda heard: text_model.windowed_logits(
        heard, meta, lambda windows: text_encoder.torch_logits(module, tok, windows, max_length=int(meta["max_length"]))))
    return 1.0 / (1.0 + np.exp(-harm)), [text_encoder.HARM_CATEGORIES[c] for c in cat.argmax(1)]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--acoustic_csv", required=True,
                   help="acoustic predictions on clips the acoustic model did not train on: train.py --folds "
                        "out-of-fold CSV, or infer_dataset.py output (its train rows are refused)")
    p.add_argument("--transcripts", required=True, help="transcripts CSV of the same clips (transcribe.py)")
    p.add_argument("--text_model", default=None,
                   help="text model from train_text.py (default: runs/text_model, else runs/text_model.json)")
    p.add_argument("--acoustic_onnx", default="runs/lite_cnn.onnx",
                   help="the acoustic ONNX model that goes into the fused model (default: %(default)s)")
    p.add_argument("--out", default="runs/helmit_fused", help="the fused model directory to write (default: %(default)s)")
    p.add_argument("--adapt", action="store_true",
                   help="adapt the (encoder) text model to these clips' transcripts: inside each fold on that fold's "
                        "training clips only (and, for each fold's calibration, once per other fold without "
                        "either: K x K adaptations, 25 for 5 folds), then on all of them for the fused model")
    p.add_argument("--adapt_epochs", type=float, default=2.0, help="passes over the transcripts when adapting (default: %(default)s)")
    p.add_argument("--oof_prefix", help="write <prefix>_{acoustic,text,fused}_predictions.csv with the out-of-fold "
                                        "scores for compute_metrics.py (default: beside --acoustic_csv, named 'fusion_cv')")
    p.add_argument("--data_root",
                   help="the folder the CSVs' clip paths are relative to, so the fused model records each clip it was "
                        "fit on by content and infer_dataset.py knows them under any path (default: the acoustic "
                        "CSV's folder)")
    p.add_argument("--folds", type=int, default=5, help="folds when the acoustic CSV has no fold column (default: %(default)s)")
    p.add_argument("--seed", type=int, default=42, help="seed of those folds and of adaptation (default: %(default)s)")
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    args = p.parse_args(argv)
    args.text_model = args.text_model or text_model.default_path()
    if args.folds < 2:
        p.error("--folds must be >= 2")
    return args


def report(per_fold, fused, n, verdict, out):
    hearings = fused.get("hearings", 1)
    heard = f" (its score the mean over {hearings} hearings of each clip)" if hearings > 1 else ""
    print(f"\n{n} clips, {len(per_fold)} folds; each fold scored by a text model{heard}, calibrations and a fusion fit on "
          "the others")
    print(f"{'fold':>5} {'n':>4}  " + "  ".join(f"{s + ' bacc':>13} {'AUC':>6}" for s in SOURCES))
    for r in per_fold:
        print(f"{r['fold']:>5} {r['n']:>4}  " + "  ".join(f"{r[s + '_balanced_accuracy']:>13.3f} {r[s + '_roc_auc']:>6.3f}"
                                                      for s in SOURCES))
    means = {s: (np.mean([r[s + "_balanced_accuracy"] for r in per_fold]), np.std([r[s + "_balanced_accuracy"] for r in per_fold]))
             for s in SOURCES}
    print(f"{'mean':>10}  " + "  ".join(f"{m:>7.3f}+-{sd:.3f} {'':>6}" for m, sd in means.values()))
    if verdict["at_chance"]:
        print(f"the acoustic model is at chance on these clips (its harmful clips do not outrank the safe ones, "
              f"p = {verdict['rank_test_p']:.2f}): the fusion gives it no weight")
    elif verdict["cv_log_loss"] is None:
        print(f"the acoustic model ranks these clips (p = {verdict['rank_test_p']:.3f}), but they are too few to show "
              "out of sample that it adds to the text, so the fusion gives it no weight")
    elif not verdict["weighted"] and lowers_log_loss(verdict["cv_log_loss"]):
        print(f"the acoustic model ranks these clips (p = {verdict['rank_test_p']:.3f}) and earned a weight out of "
              "sample, but the fit on all of them gave it none")
    elif not verdict["weighted"]:
        loss = verdict["cv_log_loss"]
        print(f"the acoustic model ranks these clips (p = {verdict['rank_test_p']:.3f}) but does not earn a weight: "
              f"cross-validated on them, adding it does not lower the log-loss by {MIN_GAIN:.0%} ({loss['fused']:.3f} "
              f"against {loss['text']:.3f} for the text alone), so the fusion gives it no weight")
    c = fused["combiner"]["coef"]
    print(f"final fusion on all {n} clips: logit = {c[0]:.2f} * acoustic + {c[1]:.2f} * text "
          f"{fused['combiner']['intercept']:+.2f}; it goes to {out}", flush=True)


def learned_clips(model, rows, transcripts):
    """(file, [paths]) when the text model's training record names a transcripts file holding some of these
    clips as heard now (same path, same transcript): adapted on them by fusion.py --adapt, or trained on them
    with train_text.py --transcripts, at any step of its history. Else None. A file no longer on disk is not
    checked."""
    from transcribe import read_transcripts

    for f in text_model.learned_transcripts(model):
        try:
            theirs = read_transcripts(f) if Path(f).is_file() else {}
        except HelmitError:
            continue
        # the same path, heard as the same words, three at least: a short or empty transcript of another
        # dataset's clip of the same name is no evidence
        shared = [r["path"] for r in rows if r["path"] in theirs and r["path"] in transcripts
                  and theirs[r["path"]]["text"] == transcripts[r["path"]]["text"]
                  and len(text_model.normalise_text(transcripts[r["path"]]["text"]).split()) >= 3]
        if shared:
            return f, shared
    return None


def main(argv=None):
    from prediction_csvs import read_predictions
    from transcribe import read_transcripts

    args = parse_args(argv)
    if not args.adapt_epochs > 0:  # (NaN too)
        raise HelmitError(f"--adapt_epochs {args.adapt_epochs}: must be above 0 (leave out --adapt to not adapt)")
    prefix = args.oof_prefix or str(Path(args.acoustic_csv).parent / "fusion_cv")
    inputs = [args.acoustic_csv, args.transcripts, args.text_model, args.acoustic_onnx]
    refuse_to_overwrite(args.out, args.overwrite, inputs=inputs, model_marker="manifest.json")
    for out in [Path(f"{prefix}_{s}_predictions.csv") for s in SOURCES]:
        refuse_to_overwrite(out, args.overwrite, inputs=inputs)
    from scoring import read_metadata

    read_metadata(args.acoustic_onnx)  # a missing or foreign acoustic model fails now, not after the CV
    rows, unscored = read_predictions(args.acoustic_csv)
    if not rows:
        raise HelmitError(f"{args.acoustic_csv}: no scored clips to fit the fusion on")
    if unscored:
        print(f"warning: {args.acoustic_csv}: {len(unscored)} clip(s) the acoustic model could not score are left out, "
              f"e.g. {unscored[0]['where']}: {unscored[0]['error']}", file=sys.stderr)
    trained_on = [r["path"] for r in rows if r.get("split") == "train"]
    if trained_on:
        raise HelmitError(f"{args.acoustic_csv}: {len(trained_on)} row(s) with split=train (e.g. {trained_on[0]}); a "
                          "fusion fit on scores of clips the acoustic model trained on would trust it too much")
    unknown = [r["path"] for r in rows if r.get("split") == "all"]
    if unknown:  # infer_dataset.py writes `all` when the ONNX file kept no list of the clips it trained on
        print(f"warning: {args.acoustic_csv}: {len(unknown)} row(s) with split=all (e.g. {unknown[0]}): the acoustic "
              "model kept no record of its training clips, so some may be among them and the fusion may trust it too "
              "much; the out-of-fold CSVs keep split=all, so compute_metrics.py says so too", file=sys.stderr)
    model = text_model.load(args.text_model)
    if args.adapt and model["kind"] != "encoder":
        raise HelmitError(f"{args.text_model}: --adapt needs an encoder text model (train_text.py --kind encoder)")
    transcripts = read_transcripts(args.transcripts)
    if learned := learned_clips(model, rows, transcripts):
        raise HelmitError(f"{args.text_model} was trained on {learned[0]} (its text_model.json says so), which holds "
                          f"{len(learned[1])} of these clips (e.g. {learned[1][0]}): cross-validation would score clips "
                          "the text model has learned; give the text model it was adapted from (e.g. runs/text_model)")
    labels = np.array([int(r["label"]) for r in rows])
    p_a = np.array([float(r["prob_harmful"]) for r in rows])
    hearings = hearings_count(rows, transcripts, args.transcripts)
    ways = transcripts_ways([transcripts[r["path"]] for r in rows if r["path"] in transcripts], args.transcripts)
    p_t, named = text_scores(rows, transcripts, model, args.transcripts)
    digests, unread = fit_digests(rows, Path(args.data_root or Path(args.acoustic_csv).parent))  # before the long part
    groups = clip_groups(rows, digests)
    folds = fold_ids(rows, args.folds, args.seed, groups, digests)
    texts = [transcripts[r["path"]]["text"] for r in rows]
    categories = [r.get("category", "") for r in rows]

    p_t_fold = p_t_calibration = None
    wordless = [r["path"] for r, t in zip(rows, texts) if text_model.no_speech(t)]
    if args.adapt and len(wordless) == len(rows):
        raise HelmitError(f"{args.transcripts}: no transcript of these {len(rows)} clips holds a word, so --adapt has "
                          "nothing to adapt on; check the recognizer's output (transcribe.py), or drop --adapt")
    if args.adapt and wordless:
        print(f"warning: {len(wordless)} of the {len(rows)} transcripts {'holds' if len(wordless) == 1 else 'hold'} "
              f"no words (e.g. {wordless[0]}): they are scored, but the text model is not adapted on them", file=sys.stderr)
    if args.adapt:
        p_t_fold, named, p_t_calibration = adapted_text_scores(
            args.text_model, texts, labels, categories, folds, args.seed, args.adapt_epochs,
            hearings=[text_model.hearings_of(transcripts[r["path"]]) for r in rows])
    pred_a = np.array([int(r["pred"]) for r in rows])
    oof, per_fold = cross_validate(p_a, p_t, labels, folds, p_t_fold, p_t_calibration, pred_a, groups, args.seed)
    asr = {t.get("asr", "") for t in transcripts.values()} - {""}
    # with --adapt, fit on the adapted models' out-of-fold scores, the kind the adapted model will give
    combiner, verdict = fit_fusion(p_a, p_t if p_t_fold is None else p_t_fold, labels, groups, args.seed)
    fusion = {"combiner": combiner, "threshold": 0.5, "hearings": hearings, "hearing_ways": ways,
              "asr": sorted(asr)[0] if len(asr) == 1 else ",".join(sorted(asr)),
              "acoustic_at_chance": verdict["at_chance"], "acoustic_rank_test_p": verdict["rank_test_p"],
              "acoustic_cv_log_loss": verdict["cv_log_loss"], "text_adapted": bool(args.adapt),
              "fit_on": {"acoustic_csv": str(args.acoustic_csv), "transcripts": str(args.transcripts), "n": len(rows),
                         "harmful": int(labels.sum()), "clips": [r["path"] for r in rows],
                         "digests": sorted({d for d in digests if d}), "paths_only": unread},
              "cross_validation": per_fold}
    # the cross-validated numbers first: they do not wait for the final adaptation, nor fail with it
    report(per_fold, fusion, len(rows), verdict, args.out)
    with atomic_directory(args.out) as tmp, tempfile.TemporaryDirectory() as work:
        text_dir = args.text_model
        if args.adapt:
            import text_encoder

            print(f"adapting the text model on all {len(rows)} clips for the fused model, then exporting it")
            module, tok = adapt(args.text_model, texts, labels, categories, args.seed, args.adapt_epochs, progress=True)
            meta = {k: v for k, v in model.items() if not k.startswith("_") and k not in ("files", "metrics")}
            earlier = meta.get("training", {})
            meta["training"] = dict(earlier, adapted_on=str(args.transcripts), adapted_clips=len(rows) - len(wordless))
            if earlier.get("adapted_on"):  # adapted before: that step's record is kept, not written over
                meta["training"]["adapted_from"] = earlier
            text_dir = Path(work) / "text"
            text_encoder.save_model_dir(text_dir, module, tok, meta)
        fused_model.write(tmp, args.acoustic_onnx, text_dir, fusion)
    for s in SOURCES:  # written once the model is: a run that fails leaves no CSVs that block the next one
        names = named if named is not None and s != "acoustic" else [""] * len(rows)
        write_csv(f"{prefix}_{s}_predictions.csv",
                  [{"path": r["path"], "label": r["label"], "pred": int(d), "prob": q if d else 1 - q,
                    "prob_harmful": q, "split": r.get("split") or "test", "fold": f, "category": r.get("category", ""),
                    "pred_category": n if d else ""}
                   for r, q, f, n, d in zip(rows, oof[s], folds, names,
                                            pred_a if s == "acoustic" else (oof[s] >= 0.5).astype(int))],
                  ["path", "label", "pred", "prob", "prob_harmful", "split", "fold", "category"]
                  + (["pred_category"] if named is not None and s != "acoustic" else []))
    print(f"saved {args.out}; out-of-fold predictions: {prefix}_{{acoustic,text,fused}}_predictions.csv "
          "(compute_metrics.py reads them)")
    return 0


if __name__ == "__main__":
    run_cli(main)
