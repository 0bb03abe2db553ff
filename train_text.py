"""Train the transcript model (text -> P(harmful)) and save it as self-describing JSON.

It learns from far more text than a user's hundred clips:
- thousands of labelled sentences from the built-in corpus's sentence generator (seen templates
  only, so the held-out templates stay unseen; `synth_dataset.generate_sentences`). Single
  sentences beat whole generated conversations on real transcripts (ROC-AUC 0.710 against 0.671 on
  the demo corpus's pocketsphinx transcripts, measured before Whisper base was the default): a
  harmful sentence's n-grams are not diluted by the everyday turns around it,
- labelled transcripts (`--transcripts`, from transcribe.py), e.g. of synthesized speech, which
  teach it what recognition errors look like, and of the user's own labelled clips.
Its held-out-template accuracy on clean generated text is printed and stored in the file.
"""
import argparse
import time
from pathlib import Path

import numpy as np

import text_model
from synth_dataset import HARMFUL_CATEGORIES, generate_sentences, turn_categories
from utils_io import HelmitError, refuse_to_overwrite, run_cli


def generated_conversations(n, seed, holdout=False):
    """[(text, label, category)]: n clip-like texts of 1-5 turns, half of them harmful.

    Built like the audio corpus: a harmful conversation has at least one harmful turn among
    everyday ones, a hard-negative one reuses the trigger words innocently."""
    pool_size = max(200, n)
    sentences = generate_sentences(pool_size, seed, holdout=holdout)
    by_cat = {}
    for text, _, cat, _ in sentences:
        by_cat.setdefault(cat, []).append(text)
    rng = np.random.default_rng([seed, 3])
    cats = [HARMFUL_CATEGORIES[i % 4] for i in range(n // 2)]
    cats += ["hard_negative" if i % 10 < 3 else "safe" for i in range(n - n // 2)]
    out = []
    for cat in cats:
        n_turns = 1 if rng.random() < 0.5 else int(rng.integers(2, 6))
        turns = [by_cat[c][rng.integers(len(by_cat[c]))] for c in turn_categories(cat, n_turns, rng)]
        out.append((" ".join(turns), int(cat in HARMFUL_CATEGORIES), cat))
    return out


def labelled_transcripts(paths):
    """[(text, label)] from transcripts CSVs with a label column; rows with an error are skipped."""
    from transcribe import read_transcripts

    out = []
    for path in paths:
        rows = read_transcripts(path)
        for p, row in rows.items():
            if row.get("error"):
                continue
            if str(row.get("label", "")).strip() not in ("0", "1"):
                raise HelmitError(f"{path}: row {p} has no 0/1 label; transcribe a labels.csv to train on it")
            out.append((row["text"], int(row["label"])))
    return out


def balanced_accuracy(labels, probs, threshold=0.5):
    from sklearn.metrics import balanced_accuracy_score

    return float(balanced_accuracy_score(labels, np.asarray(probs) >= threshold))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", default="runs/text_model.json", help="where to save the model (default: %(default)s)")
    p.add_argument("--features", choices=text_model.FEATURES, default="char_ngrams",
                   help="character n-grams, MiniLM sentence embeddings, or both (default: %(default)s, which "
                        "measured best on transcripts of held-out templates and is 50x faster; insights.md)")
    p.add_argument("--n_generated", type=int, default=4000,
                   help="generated sentences to train on, from seen templates only (default: %(default)s)")
    p.add_argument("--transcripts", nargs="*", default=[],
                   help="labelled transcripts CSVs (transcribe.py on a labels.csv) to train on as well")
    p.add_argument("--transcript_weight", type=float, default=3.0,
                   help="weight of a transcript against a generated text: there are fewer of them and they "
                        "look like what the model will score (default: %(default)s)")
    p.add_argument("--C", type=float, default=4.0, help="inverse L2 strength of the logistic regression (default: %(default)s)")
    p.add_argument("--seed", type=int, default=42, help="seed of the generated text (default: %(default)s)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    args = p.parse_args(argv)
    if args.n_generated < 0 or args.transcript_weight <= 0 or args.C <= 0:
        p.error("--n_generated must be >= 0, --transcript_weight and --C > 0")
    return args


def main(argv=None):
    args = parse_args(argv)
    refuse_to_overwrite(args.out, args.overwrite, inputs=args.transcripts)
    start = time.time()
    generated = generate_sentences(args.n_generated, args.seed) if args.n_generated else []
    transcripts = labelled_transcripts(args.transcripts)
    if not generated and not transcripts:
        raise HelmitError("nothing to train on: give --n_generated > 0 or --transcripts")
    texts = [g[0] for g in generated] + [t for t, _ in transcripts]
    labels = [g[1] for g in generated] + [y for _, y in transcripts]
    weights = [1.0] * len(generated) + [args.transcript_weight] * len(transcripts)
    print(f"training on {len(generated)} generated sentence(s) and {len(transcripts)} transcript(s) "
          f"({sum(labels)} harmful, {len(labels) - sum(labels)} safe), features {args.features}")
    model = text_model.fit(texts, labels, args.features, C=args.C, sample_weight=weights)

    # Clean text from templates the model never saw: an upper bound for transcripts, which are garbled.
    heldout = generated_conversations(1000, args.seed + 1, holdout=True)
    probs = text_model.predict([t for t, _, _ in heldout], model)
    labels_h = np.array([y for _, y, _ in heldout])
    per_cat = {cat: float(np.mean((probs[[c == cat for _, _, c in heldout]] >= 0.5)))
               for cat in sorted({c for _, _, c in heldout})}
    from sklearn.metrics import roc_auc_score

    model["training"] = {"n_generated": len(generated), "transcripts": [str(Path(p)) for p in args.transcripts],
                         "n_transcripts": len(transcripts), "transcript_weight": args.transcript_weight,
                         "seed": args.seed, "harmful": int(sum(labels)), "safe": int(len(labels) - sum(labels))}
    model["metrics"] = {"heldout_templates_clean_text": {
        "n": len(heldout), "balanced_accuracy": balanced_accuracy(labels_h, probs),
        "roc_auc": float(roc_auc_score(labels_h, probs)), "flagged_harmful_by_category": per_cat}}
    text_model.save(args.out, model)
    m = model["metrics"]["heldout_templates_clean_text"]
    print(f"held-out templates (clean generated text, {m['n']} conversations): balanced accuracy "
          f"{m['balanced_accuracy']:.3f}, ROC-AUC {m['roc_auc']:.3f}")
    print("  flagged harmful: " + ", ".join(f"{c} {v:.0%}" for c, v in per_cat.items()))
    print(f"saved {args.out} in {time.time() - start:.0f} s")
    return 0


if __name__ == "__main__":
    run_cli(main)
