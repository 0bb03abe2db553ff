"""Average text models fine-tuned from the same encoder into one (a "model soup"): every weight, encoder and heads.

The average of two models of the same encoder and schedule, one trained on the default text and one also on eight
more authors' (textdata/handwritten_w15*.csv), read outside authors' text better than the default recipe's model
alone, at no cost in speed or size: chosen on benchmark part 12 (insights.md, rule 21), it read parts 12-15 on
average 0.8 points above the default recipe's model of the same seed as written and 1.2 spoken, at seed 42 (fp32)
and at seed 43 (bf16), and part 16 1.0 / 0.9 above (seed 43); over all sixteen parts less (0.3 / 0.5 at seed 43). All measured before
W17's frame pairs joined both members' text (rule 26). With them, at seed 42, the average read eighteen parts 0.3 /
0.5 points above the default recipe's model of its seed, parts 12-15 0.3 / 0.9, but part 18, the newest, 0.6 / 0.4
below (insights.md): try it on held-out text of your own before putting it in the default's place.
The members must share the encoder, its tokenizer, the categories and how text is cut into windows; they are
checked, and the average is saved as train_text.py saves a model (FP32 and INT8 ONNX, a manifest naming each member
by digest) and scored on the frozen benchmark. It goes wherever a text model goes (fusion.py --text_model,
eval_text.py --text_model).
"""
import argparse
import time
from pathlib import Path

import text_model
from utils_io import HelmitError, HelpFormatter, refuse_to_overwrite, run_cli

# what must agree for weights to be averaged and the average scored as each member is
SAME = ("kind", "categories", "max_length", "pad_id", "threshold", "window_words", "window_stride")
# what fusion.py --adapt reads of a model's training record to replay its training text (replay_rows)
REPLAY_COUNTS = ("generated", "chat", "asr", "written", "written_copies", "twins", "twin_copies", "context")
FILE_LISTS = ("written_files", "twin_files", "asr_transcripts")


def check_members(paths, metas):
    if len(paths) < 2:
        raise HelmitError("--models: give at least two text models to average")
    if len({Path(p).resolve() for p in paths}) < len(paths):
        raise HelmitError("--models: a model is named twice")
    for p, m in zip(paths, metas):
        if m.get("kind") != "encoder":
            raise HelmitError(f"{p}: a {m.get('kind')} text model has no weights to average; give fine-tuned encoders")
    first = metas[0]
    for p, m in zip(paths[1:], metas[1:]):
        if m["base"]["sha256"] != first["base"]["sha256"]:
            raise HelmitError(f"{p}: fine-tuned from another encoder ({m['base'].get('name')}, sha256 "
                              f"{m['base']['sha256'][:12]}) than {paths[0]} ({first['base'].get('name')}, "
                              f"{first['base']['sha256'][:12]}); only models of one encoder can be averaged")
        for key in SAME:
            if m.get(key) != first.get(key):
                raise HelmitError(f"{p}: its {key} ({m.get(key)!r}) is not {paths[0]}'s ({first.get(key)!r})")
        if m["files"].get("tokenizer.json") != first["files"].get("tokenizer.json"):
            raise HelmitError(f"{p}: its tokenizer.json is not {paths[0]}'s; only models of one tokenizer can be averaged")


def averaged_state(paths, metas):
    """The element-wise mean of the members' weights.safetensors (in float64, stored in each tensor's dtype)."""
    from safetensors.torch import load_file

    import text_encoder

    for p, m in zip(paths, metas):  # the weights as saved: a swapped or damaged file is refused by name
        text_model.check_files(m, Path(p), [text_encoder.WEIGHTS_FILE])
    states = [load_file(Path(p) / text_encoder.WEIGHTS_FILE) for p in paths]
    for p, s in zip(paths[1:], states[1:]):
        if s.keys() != states[0].keys():
            raise HelmitError(f"{p}: its weights hold other tensors than {paths[0]}'s "
                              f"(e.g. {sorted(s.keys() ^ states[0].keys())[0]})")
        shape = next((k for k in s if s[k].shape != states[0][k].shape or s[k].dtype != states[0][k].dtype), None)
        if shape:
            raise HelmitError(f"{p}: tensor {shape} is {tuple(s[shape].shape)} {s[shape].dtype}, "
                              f"{paths[0]}'s {tuple(states[0][shape].shape)} {states[0][shape].dtype}")
    out = {}
    for k, first in states[0].items():
        if first.is_floating_point():
            out[k] = (sum(s[k].double() for s in states) / len(states)).to(first.dtype)
        elif all(s[k].equal(first) for s in states):  # integer buffers (position ids) are not learned
            out[k] = first
        else:
            raise HelmitError(f"{paths[0]}: integer tensor {k} differs between the members; they are not one encoder")
    return out


def averaged_training(paths, metas):
    """The record of what the average learned: each member's own record and digest; for fusion.py --adapt the
    first member's mix of sources (its replay shares) with every member's files (each path string once; fusion.py
    reads a file named by two paths once), so an adaptation replays the text all members read; and every
    transcripts file any member learned, at any step of its history, so fusion.py still refuses to cross-validate
    on those clips."""
    import text_encoder

    first = metas[0].get("training") or {}
    record = {k: first[k] for k in REPLAY_COUNTS if k in first}
    for key in FILE_LISTS:
        record[key] = list(dict.fromkeys(str(Path(f)) for m in metas for f in (m.get("training") or {}).get(key) or []))
    record["transcripts"] = list(dict.fromkeys(f for m in metas for f in text_model.learned_transcripts(m)))
    # each member's manifest digest, which averaged_state has just checked the file against
    record["averaged"] = [{"path": str(p), "weights_sha256": m["files"][text_encoder.WEIGHTS_FILE],
                           "base": m["base"], "training": m.get("training")} for p, m in zip(paths, metas)]
    return record


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=HelpFormatter)
    p.add_argument("--models", nargs="+", required=True,
                   help="two or more Helmit text model directories (train_text.py --out) fine-tuned from one encoder")
    p.add_argument("--out", default="runs/text_model_averaged", help="the averaged text model's directory")
    p.add_argument("--no_int8", action="store_true", help="skip the INT8 ONNX file and its agreement check")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out text model")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    refuse_to_overwrite(args.out, args.overwrite, inputs=args.models, model_marker=text_model.MANIFEST, folder=True)
    start = time.time()
    metas = [text_model.load(p) for p in args.models]  # each file checked against its digest
    check_members(args.models, metas)
    import text_encoder
    from train_text import save_scored

    state = averaged_state(args.models, metas)
    module, tokenizer, _ = text_encoder.load_for_training(init=args.models[0])
    module.load_state_dict(state)
    module.eval()
    meta = {k: metas[0][k] for k in ("format", "format_version", "base") + SAME if k in metas[0]}
    meta["training"] = averaged_training(args.models, metas)
    save_scored(args.out, module, tokenizer, meta, int8=not args.no_int8)
    print(f"averaged {len(args.models)} text models ({', '.join(map(str, args.models))}) into {args.out} "
          f"in {time.time() - start:.0f} s")
    return 0


if __name__ == "__main__":
    run_cli(main)
