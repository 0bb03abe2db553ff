"""Real everyday chat, written by people: safe training text and a held-out measure of false alarms.

The generator (text_corpus.py) writes every sentence the text model learns from, harmful and safe,
so its idea of "everyday talk" is the generator's. Read on what people actually type to each other,
the model fine-tuned on that alone flagged a quarter of it ("Learn something new everyday!" 0.997,
bullying; insights.md). The Chit-Chat Challenge dataset of BYU's PCC lab (MIT licence; PyPI
`chitchat-dataset`, 7,168 open-domain conversations between people, 258,145 messages) is that talk.

Conversations are split by a hash of their id: a fifth is held out (`split="heldout"`), never
trained on, and eval_text.py reports the share of it flagged. Windows of one to three consecutive
messages, at most `max_words` words, are what a transcript window of casual talk looks like.

    python chat_corpus.py --n 10 --split heldout
"""
import argparse
import hashlib
import json
import random
import zlib
from functools import lru_cache
from pathlib import Path

from utils_io import HelmitError, run_cli

DIST = "chitchat-dataset"
# sha256 of chitchat_dataset/dataset.json in chitchat-dataset 0.9.0: the text is data the model is
# measured on, so a changed file is refused rather than silently moving the numbers
DIGEST = "d2a5d0bf6acf354fef51f3af39cbece2220d3b8f6086b658c3d335105798312a"
SPLITS = ("train", "heldout")
HELDOUT_EVERY = 5  # a conversation is held out when crc32(id) % 5 == 0
MIN_WORDS = 3      # "ok", "haha": too short to say anything about everyday talk
MAX_WORDS = 32     # a transcript window (train_text.WINDOW_WORDS)


def dataset_path():
    """The packaged dataset.json, found without importing the package (its import does nothing more)."""
    from importlib import metadata

    try:
        files = metadata.distribution(DIST).files or []
    except metadata.PackageNotFoundError:
        raise HelmitError(f"real chat needs the {DIST} package: pip install -r requirements.txt") from None
    for f in files:
        if f.name == "dataset.json":
            return Path(f.locate())
    raise HelmitError(f"the installed {DIST} package has no dataset.json; reinstall it (pip install --force-reinstall "
                      f"{DIST}==0.9.0)")


@lru_cache(maxsize=1)
def conversations():
    """{conversation id: [message text, ...]} in order, every message of both speakers."""
    path = dataset_path()
    try:
        blob = path.read_bytes()
    except OSError as e:
        raise HelmitError(f"{path}: cannot read the chat dataset ({e.strerror}); reinstall {DIST}==0.9.0") from None
    if hashlib.sha256(blob).hexdigest() != DIGEST:
        raise HelmitError(f"{path}: not the dataset this code was measured with (sha256 differs); install "
                          f"{DIST}==0.9.0")
    data = json.loads(blob)
    return {cid: [u["text"] for turn in c["messages"] for u in turn if (u.get("text") or "").strip()]
            for cid, c in data.items()}


def split_of(conversation_id):
    return "heldout" if zlib.crc32(conversation_id.encode()) % HELDOUT_EVERY == 0 else "train"


def windows(n, seed, split="train", max_words=MAX_WORDS):
    """Up to n texts of 1-3 consecutive messages of the split's conversations (at least MIN_WORDS
    words, cut at max_words), drawn without replacement; the same for the same arguments."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    return list(_shuffled_windows(seed, split, max_words)[:n])


@lru_cache(maxsize=4)
def _shuffled_windows(seed, split, max_words):
    """Every window of the split, cut and shuffled for this seed: built once, since fusion.py --adapt
    asks for the same seed's windows in each of its 26 adaptations."""
    rng = random.Random(f"chat_corpus.windows {seed} {split}")
    convs, pool = conversations(), []
    for cid in sorted(convs):
        if split_of(cid) != split:
            continue
        msgs, i = convs[cid], 0
        while i < len(msgs):
            k = rng.randint(1, 3)
            words = " ".join(msgs[i:i + k]).split()
            i += k
            if len(words) >= MIN_WORDS:
                pool.append(" ".join(words[:max_words]))
    rng.shuffle(pool)
    return tuple(pool)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="Print windows of real everyday chat (chitchat-dataset).")
    p.add_argument("--n", type=int, default=10, help="windows to print (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="which windows (default: %(default)s)")
    p.add_argument("--split", choices=SPLITS, default="train", help="train or held-out conversations (default: %(default)s)")
    args = p.parse_args(argv)
    if args.n < 0:
        p.error(f"--n must be 0 or more, not {args.n}")
    return args


def main(argv=None):
    args = parse_args(argv)
    for text in windows(args.n, args.seed, args.split):
        print(text)


if __name__ == "__main__":
    run_cli(main)
