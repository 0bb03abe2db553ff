"""train.py --resume: the progress file written after every epoch (weights, optimizer, scheduler, RNG
streams), and reading it back into a run with the same flags, so an interrupted run continues exactly.
"""
import numpy as np
import torch

from model import CHECKPOINT_FORMAT, save_checkpoint
from utils_io import HelmitError

RESUME_MAY_DIFFER = {"resume", "overwrite", "device",  # flags that do not change the result
                     "user_group_column"}  # set from --group_column, which is compared
# the way out when an interrupted run cannot be resumed: a new run replaces its progress file only with --overwrite
START_AGAIN = "train again with --overwrite instead of --resume (it replaces the progress file)"


def trained_state(model):
    """The weights training can change (trainable parameters and buffers such as BatchNorm's),
    copied. A frozen Wav2Vec2 backbone is 95M weights that never change: copying it at every
    improvement and into every progress file cost seconds and hundreds of MB per fold."""
    frozen = {n for n, p in model.named_parameters() if not p.requires_grad}
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items() if k not in frozen}


def save_progress(path, args, epoch, stopped, model, opt, scheduler, scaler, best, best_key, history, ds, loader,
                  sampler):
    """Everything `--resume` needs to continue exactly where an epoch ended, RNG streams included."""
    save_checkpoint(path, {
        "format_version": CHECKPOINT_FORMAT, "train_args": vars(args), "epoch": epoch, "stopped": stopped,
        "model": trained_state(model),
        "optimizer": opt.state_dict(), "scheduler": scheduler.state_dict(), "scaler": scaler.state_dict(),
        "best": best, "best_key": list(best_key), "history": history,
        "rng": {"torch": torch.get_rng_state(), "augment": ds.rng.bit_generator.state,
                "loader": loader.generator.get_state(),
                "sampler": sampler.generator.get_state() if sampler is not None else None,
                "numpy": numpy_rng_state()}})


def numpy_rng_state():
    """numpy's global generator as plain types: transformers' Wav2Vec2 draws its time masks from it when
    the backbone fine-tunes, so a resumed run must continue its stream, not a re-seeded one."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    return {"kind": kind, "keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos),
            "has_gauss": int(has_gauss), "cached_gaussian": float(cached)}


def set_numpy_rng_state(g):
    np.random.set_state((g["kind"], g["keys"].numpy().astype(np.uint32), g["pos"], g["has_gauss"], g["cached_gaussian"]))


def restore_progress(state, model, opt, scheduler, scaler, ds, loader, sampler):
    try:
        model.load_state_dict(state["model"], strict=False)  # frozen weights come from the same source
    except RuntimeError as e:  # e.g. a run interrupted under another version's defaults (128 mel bands)
        detail = next((line.strip() for line in str(e).splitlines() if "size mismatch" in line), str(e).splitlines()[0])
        raise HelmitError(f"--resume: the interrupted run's model does not fit the one this Helmit builds ({detail}); "
                          f"it was saved with other settings or by another version: {START_AGAIN}") from None
    opt.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    scaler.load_state_dict(state["scaler"])
    torch.set_rng_state(state["rng"]["torch"])
    ds.rng.bit_generator.state = state["rng"]["augment"]
    loader.generator.set_state(state["rng"]["loader"])
    if sampler is not None:
        sampler.generator.set_state(state["rng"]["sampler"])
    if state["rng"].get("numpy"):  # progress files of older versions lack it
        set_numpy_rng_state(state["rng"]["numpy"])
    return state["epoch"] + 1, dict(state["best"]), tuple(state["best_key"]), list(state["history"])


def load_progress(path, args):
    """The progress file of an interrupted run, checked against this run's flags."""
    if args.folds:
        raise HelmitError("--resume works for a single training run, not with --folds")
    if not path.is_file():
        raise HelmitError(f"{path}: no interrupted run to resume (the file is written after each epoch)")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:
        raise HelmitError(f"{path}: damaged progress file ({type(e).__name__}); {START_AGAIN}") from None
    saved, now = state["train_args"], vars(args)
    if "labels_sha256" not in saved:
        raise HelmitError(f"{path}: written by an older train.py that did not record its labels.csv, so it cannot "
                          f"be checked against this one; {START_AGAIN}")
    if saved["labels_sha256"] != now.get("labels_sha256"):
        raise HelmitError(f"{args.labels_csv}: changed since the interrupted run (other clips or labels), so it "
                          f"would continue on another split; {START_AGAIN}")
    changed = sorted(k for k in now if k not in RESUME_MAY_DIFFER | {"labels_sha256"} and saved.get(k) != now[k])
    if changed:
        raise HelmitError(f"{path}: --resume needs the flags of the interrupted run; these differ: "
                          + ", ".join(f"--{k} {saved.get(k)!r} (now {now[k]!r})" for k in changed))
    return state
