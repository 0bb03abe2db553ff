"""Score a text model on text it never trained on: the frozen benchmark, and the generator's held-out split.

The benchmark (eval/text_benchmark_part{1,...,23}.csv) was written apart from the sentence generator
and is never trained on: the four harms (threats direct, conditional, indirect and veiled;
harassment; bullying; grooming stages), everyday talk, and hard negatives (game and sports
violence, idioms, banter, people reporting abuse, safety advice, films and news). Part 2 was
written after part 1 and nothing was tuned on it; parts 3 to 23 by more authors, later still, who never
read this repository. Each part is scored as written (`clean`) and, when
eval/text_benchmark_part{N}_spoken.csv exists, as spoken by held-out espeak-ng voices and
transcribed by the default recognizer (speak_text.py), each clip heard four times as fused scoring
hears it (transcribe.py --hearings: as it is, slowed, by Whisper tiny.en, and sped up). The minimal pairs (eval/text_pairs_part{1,2}.csv)
set each harmful text beside a safe twin that keeps its shape and changes the few words that carry the
harm ("I'm going to hurt you after school" / "... help you ..."). Beside them: the generator's held-out
structures, and real everyday chat from conversations training never reads (chat_corpus.py; all
safe, so only the share flagged is given). Prints one table; --json writes it all.

With --transcripts and --said it scores clips instead: the same clips from what was said and from
what the recognizer heard, so a miss shows whether the recognizer lost it or the text model did.

With --fusion DIR it scores what a fused model (fusion.py --out) decides, not its text model's own
threshold: the fusion's calibration of the text score, and its threshold, when the fusion gives the
acoustic model no weight. That is how a model fit (and adapted) on your clips does on wording
written elsewhere.
"""
import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np

import fused_model
from config import HARM_CATEGORIES
import text_model
from utils_io import HelmitError, atomic_output, csv_rows, refuse_to_overwrite, run_cli

EVAL_DIR = Path(__file__).resolve().parent / "eval"
PARTS = tuple(f"part{i}" for i in range(1, 24))  # eval/text_benchmark_part{1..23}.csv
PAIR_PARTS = ("part1", "part2")  # only parts 1 and 2 have minimal pairs
HARM = HARM_CATEGORIES
SAFE = ("everyday", "hard_negative")
GENERATOR_HELDOUT = 2000  # sentences of text_corpus.py's held-out structures and words
REAL_CHAT_HELDOUT = 2000  # windows of chat_corpus.py's held-out conversations: people's own everyday talk


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    from transcribe import parse_hearings

    for i, r in enumerate(rows):
        if r.get("label") not in ("0", "1") or r.get("error"):
            raise HelmitError(f"{path}:{i + 2}: no 0/1 label, or a transcription error")
        if "hearings" in r:  # checked here, with the files: train_text.py reads them before it trains
            r["hearings"] = parse_hearings(r["hearings"], r["text"], f"{path}:{i + 2}")
    return rows


def benchmark_sets():
    """{name: rows} of every benchmark file present: part1, part1_spoken, ... part23, part23_spoken, and the
    minimal pairs pairs_part1, pairs_part1_spoken, pairs_part2, pairs_part2_spoken."""
    out = {}
    for stem, prefix, parts in (("text_benchmark", "", PARTS), ("text_pairs", "pairs_", PAIR_PARTS)):
        for part in parts:
            for name in (part, f"{part}_spoken"):
                path = EVAL_DIR / f"{stem}_{name}.csv"
                if path.is_file():
                    rows = read_rows(path)
                    out[prefix + name] = check_pairs(rows, path) if prefix else rows
    return out


def check_pairs(rows, path):
    """`rows`, when every pair id holds one harmful text and one safe one; else an error naming the pair."""
    if rows and "pair" not in rows[0]:
        raise HelmitError(f"{path}: no pair column; a minimal-pairs file needs id, pair, text and label")
    labels = {}
    for r in rows:
        labels.setdefault(r.get("pair") or "", []).append(r["label"])
    for pair, got in labels.items():
        if not pair or sorted(got) != ["0", "1"]:
            raise HelmitError(f"{path}: pair {pair or '(empty)'!r} has labels {got}; each pair needs one harmful (1) "
                              f"and one safe (0) text")
    return rows


def pair_scores(rows, probs, flagged):
    """(share of pairs with both texts decided right, share whose harmful text scores above its safe twin),
    or None for a set without a `pair` column. A model that keys on a harm's sentence shape, not on the
    words that carry the harm, flags both texts of a pair: the first share falls, the second need not."""
    if not rows or "pair" not in rows[0]:
        return None
    harmful, safe = {}, {}
    for r, p, f in zip(rows, probs, flagged):
        (harmful if r["label"] == "1" else safe)[r["pair"]] = (p, f)
    pairs = sorted(harmful.keys() & safe.keys())
    if not pairs:
        return None
    both = np.mean([harmful[k][1] and not safe[k][1] for k in pairs])
    ordered = np.mean([harmful[k][0] > safe[k][0] for k in pairs])
    return float(both), float(ordered)


def generator_heldout():
    import text_corpus

    rows = text_corpus.generate(GENERATOR_HELDOUT, 7, "heldout", spoken=0.3)
    return [{"text": g["text"], "label": str(g["label"]), "category": g["category"], "subtype": g["subtype"]}
            for g in rows]


def real_chat_heldout():
    """Windows of real everyday chat from conversations training never sees (all safe), or None,
    with a warning, when chitchat-dataset is not installed (a scoring machine) or not readable."""
    import chat_corpus

    try:
        texts = chat_corpus.windows(REAL_CHAT_HELDOUT, 7, "heldout")
    except HelmitError as e:  # a trained model must not be lost for want of one measurement: say so, go on
        print(f"warning: real chat left out of the report: {e}", file=sys.stderr)
        return None
    return [{"text": t, "label": "0", "category": "everyday", "subtype": ""} for t in texts]


def clip_sets(transcripts_path, said_path):
    """({"clips_said": rows, "clips_heard": rows}, (words heard, words said), clips skipped): the
    clips of a transcribe.py CSV (labelled), scored from what was said (`said_path`: a CSV with path
    and text, such as synth_dataset.py's synth_manifest.csv, whose turns are joined by " | ") and from
    what the recognizer heard. Clips the recognizer failed on are skipped in both."""
    from synth_dataset import TURN_SEP
    from transcribe import read_transcripts, word_recall

    said = {r["path"]: r for _, r in csv_rows(said_path, ("path", "text"), "--said file not found",
                                              "--said needs each clip's path and what was said in it (text)")}
    said_rows, heard_rows, skipped = [], [], 0
    for path, row in read_transcripts(transcripts_path).items():
        if (row.get("error") or "").strip():
            skipped += 1
            continue
        if str(row.get("label", "")).strip() not in ("0", "1"):
            raise HelmitError(f"{transcripts_path}: clip {path} has no 0/1 label; transcribe a labels.csv "
                              "(transcribe.py --data_root) so its transcripts carry labels")
        if path not in said:
            raise HelmitError(f"{said_path}: no row for clip {path} of {transcripts_path}; --said must cover every "
                              "transcribed clip")
        # the built-in corpus calls everyday clips "safe"
        category = {"safe": "everyday"}.get(said[path].get("category") or "", said[path].get("category") or "")
        common = {"label": row["label"].strip(), "category": category}
        spoken = " ".join((said[path]["text"] or "").split(TURN_SEP))
        said_rows.append(dict(common, text=spoken))
        heard_rows.append(dict(common, text=row["text"] or "", spoken_text=spoken, hearings=row["hearings"],
                               hearing_ways=row["hearing_ways"]))
    if not said_rows:
        raise HelmitError(f"{transcripts_path}: no transcribed clips to score")
    recall = word_recall([r["text"] for r in said_rows], [r["text"] for r in heard_rows])
    return {"clips_said": said_rows, "clips_heard": heard_rows}, recall, skipped


def score(rows, model, threshold=None, fused=None):
    """Metrics of one set: balanced accuracy, ROC-AUC, recall per harm, share flagged per safe
    kind, and how often a caught harm is named right. With `fused` (a loaded fused model whose
    acoustic weight is 0, see text_only_fusion), the fused decision: its calibration of the text
    model's score, and its threshold."""
    from sklearn.metrics import balanced_accuracy_score, roc_auc_score

    threshold = (model if fused is None else fused)["threshold"] if threshold is None else threshold
    heard = [text_model.hearings_of(r) for r in rows]  # parsed as the files were read (read_rows, read_transcripts)
    if fused is not None and rows and "spoken_text" in rows[0]:  # transcripts, which a fused model hears its own way
        other = sum(len(h) != fused["hearings"] for h in heard)
        if other:
            print(f"warning: {other} of {len(rows)} transcripts were heard another number of times than "
                  f"{fused['path']} was fit on ({fused['hearings']}): its calibration may sit off", file=sys.stderr)
    probs, cats = text_model.predict_heard(heard, model)
    if fused is not None:
        probs = fused_model.fused_prob(fused, np.full(len(probs), 0.5), probs)  # the acoustic weight is 0
    y = np.array([int(r["label"]) for r in rows])
    flagged = probs >= threshold
    # what a set cannot measure is None (null in --json; JSON has no NaN): an AUC of one class, say
    both = len(set(y.tolist())) == 2  # with one class, balanced accuracy is that class's recall (sklearn's, unwarned)
    m = {"n": len(rows), "balanced_accuracy": float(balanced_accuracy_score(y, flagged) if both else np.mean(flagged == y)),
         "roc_auc": float(roc_auc_score(y, probs)) if both else None}
    by_cat = np.array([r.get("category", "") for r in rows])
    m["flagged"] = {c: float(flagged[by_cat == c].mean()) for c in HARM + SAFE if (by_cat == c).any()}
    hard = by_cat == "hard_negative"
    subtypes = np.array([r.get("subtype", "") for r in rows])
    m["hard_negative_flagged_by_subtype"] = {s: float(flagged[hard & (subtypes == s)].mean())
                                             for s in sorted(set(subtypes[hard].tolist()))}
    if cats is not None:
        harmful = np.isin(by_cat, HARM)
        m["category_accuracy"] = float(np.mean([c == t for c, t in zip(np.array(cats)[harmful], by_cat[harmful])])) \
            if harmful.any() else None
    pairs = pair_scores(rows, probs, flagged)
    if pairs is not None:
        m["pairs_both_right"], m["pairs_harmful_above_twin"] = pairs
    if rows and all(r.get("spoken_text") for r in rows):
        m["by_word_recall"] = recall_bands([r["spoken_text"] for r in rows], [r["text"] for r in rows], y, flagged)
    m["_probs"] = probs
    return m


RECALL_BANDS = ((0.0, 0.5), (0.5, 0.8), (0.8, 1.0))


def recall_bands(said, heard, y, flagged):
    """Balanced accuracy of transcripts grouped by the share of their spoken words the recognizer kept, to
    tell what recognition cost from what the text model missed: where the words survive, a transcript
    should read close to the text as written; where they do not, the words that carried the harm are often
    gone. [{low, high, n, balanced_accuracy}] (None: one class only)."""
    from sklearn.metrics import balanced_accuracy_score
    from transcribe import word_recall

    kept = np.array([found / max(1, total) for found, total in (word_recall(s, h) for s, h in zip(said, heard))])
    bands = []
    for low, high in RECALL_BANDS:
        inside = (kept >= low) & ((kept < high) if high < 1.0 else (kept <= high))
        both = len(set(y[inside].tolist())) == 2
        bands.append({"low": low, "high": high, "n": int(inside.sum()),
                      "balanced_accuracy": float(balanced_accuracy_score(y[inside], flagged[inside])) if both else None})
    return bands


def report(model, fused=None):
    """{set name: metrics} for every benchmark file present and the generator's held-out split."""
    sets = benchmark_sets()
    try:
        sets["generator_heldout"] = generator_heldout()
    except ImportError:
        pass
    chat = real_chat_heldout()
    if chat is not None:
        sets["real_chat_heldout"] = chat
    out = {}
    for name, rows in sets.items():
        out[name] = score(rows, model, fused=fused)
        out[name].pop("_probs")
    if "real_chat_heldout" in out:  # all safe by construction: its measure is the share flagged, not a balance
        out["real_chat_heldout"]["balanced_accuracy"] = None
    return out


def text_only_fusion(path, int8=False):
    """The fused model at `path`, loaded, when its decisions can be read from text alone: its fusion
    gives the acoustic model no weight (the benchmark has no audio)."""
    fused = fused_model.load(path, int8_text=int8)
    weight = fused_model.acoustic_weight(fused)
    if weight != 0.0:
        raise HelmitError(f"{path}: its fusion weights the acoustic model ({weight:.3g}), and text has no audio, so "
                          "its decisions cannot be read from text alone; score its text model with --text_model "
                          f"{Path(path) / 'text'}, or its clips with infer_dataset.py --fusion")
    return fused


def int8_agreement(model_dir, fp32=None):
    """Share of the benchmark's and held-out generator texts on which model_int8.onnx decides as model.onnx;
    `fp32`: model.onnx already loaded (with text_model.remember_scores, the texts it scored are not run again)."""
    fp32, int8 = fp32 or text_model.load(model_dir), text_model.load(model_dir, int8=True)
    texts = [r["text"] for rows in benchmark_sets().values() for r in rows] + [g["text"] for g in generator_heldout()]
    same = (text_model.predict(texts, fp32) >= fp32["threshold"]) == (text_model.predict(texts, int8) >= int8["threshold"])
    return float(np.mean(same)), len(texts)


def format_report(rep):
    cols = ["bal.acc", "AUC", *HARM, "everyday", "hard_neg", "cat.acc"]
    widths = [max(7, len(c)) for c in cols]  # whole names: a cut one ("groomi") had to be guessed
    lines = [f"{'set':<20} {'n':>5} " + " ".join(f"{c:>{w}}" for c, w in zip(cols, widths))]
    for name, m in rep.items():
        vals = [m["balanced_accuracy"], m["roc_auc"], *[m["flagged"].get(c) for c in HARM + SAFE],
                m.get("category_accuracy")]
        lines.append(f"{name:<20} {m['n']:>5} " + " ".join(f"{'-':>{w}}" if v is None else f"{v:>{w}.3f}"
                                                           for v, w in zip(vals, widths)))
    lines.append("  harm columns: recall (share flagged); everyday, hard_neg: share of safe text flagged; cat.acc: "
                 "harm named right among harmful texts; -: not measured by that set")
    pairs = {name: m for name, m in rep.items() if "pairs_both_right" in m}
    if pairs:
        lines.append("  minimal pairs (a harmful text and its safe twin in the same words but a few): "
                     + "; ".join(f"{n} both decided right {m['pairs_both_right']:.1%}, harmful scored above its twin "
                                 f"{m['pairs_harmful_above_twin']:.1%}" for n, m in pairs.items()))
    heard = {name: m["by_word_recall"] for name, m in rep.items() if "by_word_recall" in m}
    if heard:
        def band(b):
            acc = "-" if b["balanced_accuracy"] is None else f"{b['balanced_accuracy']:.3f}"
            return f"{b['low']:.0%}-{b['high']:.0%} {acc} (n={b['n']})"
        lines.append("  transcripts by the share of their spoken words the recognizer kept (balanced accuracy): "
                     + "; ".join(f"{n} " + ", ".join(band(b) for b in bands) for n, bands in heard.items()))
    worst = {name: max(m["hard_negative_flagged_by_subtype"].items(), key=lambda kv: kv[1])
             for name, m in rep.items() if set(m["hard_negative_flagged_by_subtype"]) - {""}}
    if worst:  # clips have no hard-negative subtypes
        lines.append("  most-flagged hard negatives: " + "; ".join(f"{n} {s} {v:.0%}" for n, (s, v) in worst.items()))
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--text_model", help="text model directory or .json (default: runs/text_model, else runs/text_model.json)")
    p.add_argument("--fusion", metavar="DIR",
                   help="score a fused model's decisions instead (fusion.py --out): its text model, calibrated and "
                        "thresholded as the fusion decides; only when the fusion gives the acoustic model no weight")
    p.add_argument("--int8", action="store_true",
                   help="score the text model's INT8 ONNX file; " + fused_model.TEXT_INT8_HELP)
    p.add_argument("--transcripts", help="score these clips instead of the benchmark: a transcribe.py CSV of a "
                                         "labels.csv (needs --said)")
    p.add_argument("--said", help="with --transcripts: what was said in each clip, a CSV with path and text "
                                  "columns (category too, if present); the built-in corpus writes it as "
                                  "<data_root>/synth_manifest.csv")
    p.add_argument("--json", help="also write every number to this JSON file")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --json file")
    args = p.parse_args(argv)
    if args.fusion and args.text_model:
        p.error("--fusion scores the fused model's own text model; leave out --text_model")
    args.text_model = args.text_model or (None if args.fusion else text_model.default_path())
    if bool(args.transcripts) != bool(args.said):
        p.error("--transcripts and --said go together: the clips as heard, and what was said in them")
    if args.json:
        refuse_to_overwrite(args.json, args.overwrite, inputs=[args.text_model, args.fusion, args.transcripts, args.said])
    fused = text_only_fusion(args.fusion, args.int8) if args.fusion else None
    model = text_model.load(args.text_model, int8=args.int8) if fused is None else fused["text_model"]
    if fused is not None:
        c = fused["fusion"]["combiner"]
        print(f"fused model {args.fusion}: its text model's score calibrated as logit = {c['coef'][1]:.2f} * text "
              f"{c['intercept']:+.2f} (the acoustic weight is 0), harmful from {fused['threshold']:.2f}")
    if args.transcripts:
        sets, (found, total), skipped = clip_sets(args.transcripts, args.said)
        heard = sets["clips_heard"]
        if fused is not None and all(len(r["hearings"]) == fused["hearings"] for r in heard):  # else score() warns
            fused_model.check_transcript_ways(fused, args.fusion, fused["hearings"], heard, args.transcripts)
        rep = {name: score(rows, model, fused=fused) for name, rows in sets.items()}
        for m in rep.values():
            m.pop("_probs")
        rep["word_recall"] = found / max(1, total)
        print(format_report({k: v for k, v in rep.items() if k != "word_recall"}))
        print(f"  the recognizer kept {found} of {total} spoken words ({rep['word_recall']:.1%})"
              + (f"; {skipped} clip(s) it failed on left out" if skipped else ""))
    else:
        rep = report(model, fused)
        print(format_report(rep))
    if args.json:
        rep["scored"] = {"text_model": args.text_model, "fusion": args.fusion, "int8": args.int8}
        if fused is not None:
            rep["scored"].update(combiner=fused["fusion"]["combiner"], threshold=fused["threshold"])
        with atomic_output(args.json, "w", encoding="utf-8") as f:
            json.dump(rep, f, indent=1)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    run_cli(main)
