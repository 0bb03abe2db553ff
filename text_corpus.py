"""Generated training text for the text model: harmful talk (harassment, bullying, threats, grooming)
and safe talk (everyday, hard negatives) from the small grammars in text_lexicon*.py.

Grammars, not a few templates per category: a model trained on a handful of sentences learns those
sentences. Each structure is a sequence of parts with many alternatives, filled from large lexicons
that harmful and safe structures share, so the label can only come from what is meant.

Held-out split: a structure or lexicon entry is held out when the sha1 of its id (or entry string)
falls below HELDOUT_FRACTION; a threshold, not a rank or a list position, so adding entries never
moves old ones. split="heldout" uses only held-out structures and held-out words.

    python text_corpus.py --n 20 --seed 1 --split heldout
"""
import argparse
import collections
import hashlib
import json
import random
import re
import sys
import time
from functools import lru_cache

import text_lexicon as lex
from spoken_style import as_random, spoken_noise, trie_pattern

HARMFUL = ("harassment", "bullying", "threat", "grooming")
SAFE = ("everyday", "hard_negative")
CATEGORIES = HARMFUL + SAFE
SPLITS = ("train", "heldout")
HELDOUT_FRACTION = 0.2
MAX_WORDS = 35  # a long turn in voice chat; longer turns are split by the recognizer anyway
MAX_REDRAWS = 12  # re-draws of a duplicate text before accepting it; bounded so tiny splits still finish
# Turns a subtype takes within its category (default 1). Banter is the hard negative the model flags most
# (insults and mock threats in a friendly frame) and has twice the structures of any other, so it gets two.
# Promises are everyday talk in the threat's own shape ("I'll call you after school"), the shape most threats
# are said in, so they get two as well.
SUBTYPE_TURNS = {"banter": 2, "promises": 2}
# How often a sentence gets each dressing. The same rates for every category, so none of them hints at
# the label; they add length variety (3 to ~35 words) and the two-turn shape of real chat.
P_LEADIN = 0.12      # an everyday turn first: "gg that was close. anyway, ..."
P_OPENER = 0.18      # "honestly, ..."
P_TAG = 0.12         # "..., lol."
P_TAIL = 0.04        # "... Talk later."
P_PARAPHRASE = 0.3   # per matching phrase: "you will" -> "you'll", "going to hurt" -> "gonna hurt"

Slot = collections.namedtuple("Slot", "name form")
Grammar = collections.namedtuple("Grammar", "pools structures")


# ---------------------------------------------------------------- templates
_TOKENS = re.compile(r"\[|\]|\||\{[a-z_]+(?::\d+)?\}|[^\[\]|{}]+")


def parse_template(template):
    """A template string -> a node: str (literal), tuple (sequence), list (alternatives) or Slot."""
    tokens = _TOKENS.findall(template)
    if "".join(tokens) != template:
        raise ValueError(f"template has a stray brace or bad slot name: {template!r}")
    node, i = _parse_sequence(tokens, 0, template)
    if i != len(tokens):
        raise ValueError(f"template has an unmatched ']' or '|' outside brackets: {template!r}")
    return node


def _parse_sequence(tokens, i, template):
    """(node, index of the ']' or '|' that ended it) for the tokens from i."""
    parts = []
    while i < len(tokens) and tokens[i] not in ("]", "|"):
        tok = tokens[i]
        if tok == "[":
            alternatives = []
            while True:
                alt, i = _parse_sequence(tokens, i + 1, template)
                alternatives.append(alt)
                if i >= len(tokens):
                    raise ValueError(f"template has an unclosed '[': {template!r}")
                if tokens[i] == "]":
                    break
            parts.append(alternatives)
        elif tok.startswith("{"):
            name, _, form = tok[1:-1].partition(":")
            parts.append(Slot(name, int(form) if form else None))
        elif parts and type(parts[-1]) is str:
            parts[-1] += tok
        else:
            parts.append(tok)
        i += 1
    return (parts[0] if len(parts) == 1 else tuple(parts)), i


def _compile_entry(entry):
    """A lexicon entry -> tuple of its forms ("teeth/they're" -> two), each a literal or a node."""
    return tuple(parse_template(f) if ("[" in f or "{" in f) else f for f in entry.split("/"))


# ---------------------------------------------------------------- the held-out split
def _hash_unit(key):
    """A stable number in [0, 1) for a string: the same on every machine and PYTHONHASHSEED."""
    return int(hashlib.sha1(key.encode("utf-8")).hexdigest()[:12], 16) / 16 ** 12


def _partition(keys, hash_key=lambda k: k, min_heldout_from=3, always_train=frozenset()):
    """(train, heldout) lists of keys, by hash threshold; never empties the training side, and holds out
    the lowest-hash key when the threshold alone would leave a group of min_heldout_from+ keys with none."""
    candidates = [k for k in keys if hash_key(k) not in always_train]
    held = [k for k in candidates if _hash_unit(hash_key(k)) < HELDOUT_FRACTION]
    if len(held) == len(keys):
        held.remove(max(held, key=lambda k: _hash_unit(hash_key(k))))
    if not held and candidates and len(keys) >= min_heldout_from:
        held = [min(candidates, key=lambda k: _hash_unit(hash_key(k)))]
    held_set = set(held)
    return [k for k in keys if k not in held_set], [k for k in keys if k in held_set]


@lru_cache(maxsize=None)
def _structure_split():
    """{structure id: (category, subtype, template, split)} in data order."""
    out = {}
    for category, subtypes in lex.STRUCTURES.items():
        for subtype, structures in subtypes.items():
            ids = [f"{category}.{subtype}.{key}" for key in structures]
            train, _ = _partition(ids)
            for key, sid in zip(structures, ids):
                out[sid] = (category, subtype, structures[key], "train" if sid in train else "heldout")
    return out


def lexicon_entries(slot, split):
    """The entries of a LEXICON slot that `split` may use (the lowercased entry string is hashed, so a
    word in two slots is on the same side in both, unless a slot needs the fallback); a one-entry slot
    is shared by both splits; lex.ALWAYS_TRAIN entries are never held out."""
    entries = lex.LEXICON[slot]
    train, heldout = _partition(entries, hash_key=str.lower, min_heldout_from=2, always_train=lex.ALWAYS_TRAIN)
    return heldout if split == "heldout" and heldout else train


def _checked(split):
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    return split


@lru_cache(maxsize=None)
def _grammar(split):
    _checked(split)
    pools = {slot: tuple(_compile_entry(e) for e in lexicon_entries(slot, split)) for slot in lex.LEXICON}
    pools.update({slot: tuple(_compile_entry(e) for e in entries) for slot, entries in lex.PHRASES.items()})
    structures = {c: {} for c in CATEGORIES}
    for sid, (category, subtype, template, side) in _structure_split().items():
        if side == split:
            structures[category].setdefault(subtype, []).append((sid, parse_template(template)))
    return Grammar(pools, structures)


def structure_ids(split):
    """Sorted ids ("category.subtype.key") of the structures in `split`."""
    return sorted(sid for sid, v in _structure_split().items() if v[3] == _checked(split))


# ---------------------------------------------------------------- rendering
def _render(node, pools, rng, bound, out):
    t = type(node)
    if t is str:
        out.append(node)
    elif t is tuple:
        for child in node:
            _render(child, pools, rng, bound, out)
    elif t is list:
        _render(node[int(rng.random() * len(node))], pools, rng, bound, out)
    else:
        if node.form is None:
            pool = pools[node.name]
            forms = pool[int(rng.random() * len(pool))]
        else:
            forms = bound.get(node.name)
            if forms is None:
                pool = pools[node.name]
                forms = bound[node.name] = pool[int(rng.random() * len(pool))]
        _render(forms[node.form] if node.form and node.form < len(forms) else forms[0], pools, rng, bound, out)


# Leftovers of empty alternatives, fixed with str.replace (far faster than regexes at 50k sentences).
_PUNCT_FIXES = [(" ,", ","), (" .", "."), (" ?", "?"), (" !", "!"), (",.", "."), (",?", "?"), (",!", "!"),
                (",,", ","), ("..", "."), ("?.", "?"), ("!.", "!"), (".,", "."), ("?,", "?")]
# a/an from the next word's sound: "an idiot", "an 11 year old", but "a useless", "a uniform"
_A_AN = re.compile(r"\b([Aa]) (?=(?:[aeio]|u(?!ni|s[eu])|11\b|18\b|8\b))")
_SENTENCE_START = re.compile(r"([.?!] )([a-z])")


def _squash(text):
    """Collapse spaces and the punctuation left over by empty alternatives."""
    text = " ".join(text.split())
    for old, new in _PUNCT_FIXES:
        if old in text:
            text = text.replace(old, new)
    return text.strip(" ,")


def _tidy(text):
    """Final form of a clean sentence: squashed, a/an agreed, sentences capitalised, end punctuation."""
    text = _A_AN.sub(r"\1n ", _squash(text))
    if text and text[-1] not in ".?!":
        text += "."
    if ". " in text or "? " in text or "! " in text:
        text = _SENTENCE_START.sub(lambda m: m.group(1) + m.group(2).upper(), text)
    return text[:1].upper() + text[1:]


@lru_cache(maxsize=None)
def _keep_case():
    """Words that stay capitalised when a sentence is moved after an opener: names, apps, games..."""
    words = {"I", "Mr", "Mrs", "Miss", "Sir", "GG", "PE", "PSHE", "English", "French", "Uncle", "Auntie", "Grandad"}
    for slot in ("name", "surname", "app", "game", "team", "artist", "school_name", "street", "place"):
        words.update(e.split("/")[0].split()[0] for e in lex.LEXICON[slot] if e[:1].isupper())
    return frozenset(words - {"The"})  # "The Weeknd" starts with a capital; "The news said" does not


def _decap(text):
    """Lower the first letter of a sentence that now follows an opener, unless it starts with a name or I."""
    first = re.match(r"[^\s,.?!]+", text)
    if first and (first.group(0) in _keep_case() or first.group(0).startswith("I'")):
        return text
    return text[:1].lower() + text[1:]


def _paraphrase_rule():
    """One regex over every PARAPHRASES variant (lower- and capital-initial), and variant -> its group."""
    group_of, literals = {}, {}
    for group in lex.PARAPHRASES:
        contracts = any("'" in v for v in group)
        for v in group:
            group_of[v.lower()] = group
            suffix = r"\b"
            if v == "going to":
                suffix = r"(?= (?:" + "|".join(lex.GONNA_VERBS) + r")\b)"
            elif contracts and " " in v:
                suffix = r"\b(?= [a-z])"  # "I know who you are." must not become "who you're."
            for form in (v, v[0].upper() + v[1:], v[0].lower() + v[1:]):
                literals[form] = suffix
    return re.compile(trie_pattern(literals)), group_of


_PARAPHRASE_RE, _PARAPHRASE_GROUP = _paraphrase_rule()


def paraphrase(text, rng, p=P_PARAPHRASE):
    """Swap each PARAPHRASES phrase for another member of its group with probability p."""
    def swap(m):
        src = m.group(0)
        if rng.random() >= p:
            return src
        group = _PARAPHRASE_GROUP[src.lower()]
        new = group[int(rng.random() * len(group))]
        return new[0].upper() + new[1:] if src[0].isupper() and not new.startswith("I") else new
    return _PARAPHRASE_RE.sub(swap, text)


def _dress(text, pools, rng):
    """Openers, tags, an everyday lead-in turn or a trailing one, at category-blind rates."""
    def pick(slot):
        pool = pools[slot]
        return pool[int(rng.random() * len(pool))][0]

    text = paraphrase(text, rng)
    if text and text[-1] not in ".?!":
        text += "."
    if rng.random() < P_TAG and text.endswith((".", "!")):
        text = text[:-1] + pick("tag") + text[-1]
    lead = pick("leadin")
    # the lead-in is skipped when it would push a turn past ~35 words
    if rng.random() < P_LEADIN and text.count(" ") + lead.count(" ") < MAX_WORDS - 2:
        lead += "" if lead.endswith(("?", "!", ".")) else "."
        transition = pick("transition") if rng.random() < 0.6 else ""
        text = f"{lead} {transition} {_decap(text)}" if transition else f"{lead} {text}"
    elif rng.random() < P_OPENER:
        text = f"{pick('opener')} {_decap(text)}"
    if rng.random() < P_TAIL:
        text = f"{text} {pick('tail')}."
    return _tidy(text)


# ---------------------------------------------------------------- the corpus
def _plan(n):
    """Categories for n items: half harmful, spread evenly; half safe (the extra one if n is odd),
    split between everyday and hard negatives."""
    n_safe = n - n // 2
    return ([HARMFUL[i % len(HARMFUL)] for i in range(n // 2)]
            + ["everyday"] * (n_safe - n_safe // 2) + ["hard_negative"] * (n_safe // 2))


def generate(n, seed, split="train", spoken=0.4):
    """n labelled sentences: [{"text", "label", "category", "subtype", "structure", "spoken"}].

    Half harmful (even over HARMFUL), half safe (half everyday, half hard negatives), shuffled;
    subtypes take turns within a category (SUBTYPE_TURNS each). Deterministic for the arguments (no
    PYTHONHASHSEED dependence); texts are unique within a call unless a split runs out of wording."""
    if n < 0 or int(n) != n:
        raise ValueError(f"n must be a non-negative integer, not {n!r}")
    if not 0.0 <= spoken <= 1.0:
        raise ValueError(f"spoken must be a share in [0, 1], not {spoken!r}")
    grammar = _grammar(split)
    key = repr(("text_corpus.generate", seed, split, float(spoken))).encode()
    rng = random.Random(int(hashlib.sha1(key).hexdigest()[:16], 16))
    plan = _plan(int(n))
    rng.shuffle(plan)
    turns = {}
    for c in CATEGORIES:
        order = rng.sample(sorted(grammar.structures[c]), len(grammar.structures[c]))
        turns[c] = [s for s in order for _ in range(SUBTYPE_TURNS.get(s, 1))]
    served = collections.Counter()
    seen, items = set(), []
    for category in plan:
        subtype = turns[category][served[category] % len(turns[category])]
        served[category] += 1
        choices = grammar.structures[category][subtype]
        is_spoken = rng.random() < spoken
        level = 0.15 + 0.85 * rng.random()
        for _ in range(MAX_REDRAWS):
            sid, node = choices[int(rng.random() * len(choices))]
            out = []
            _render(node, grammar.pools, rng, {}, out)
            text = _dress(_squash("".join(out)), grammar.pools, rng)
            if is_spoken:
                text = spoken_noise(text, rng, level)
            if text not in seen:
                break
        seen.add(text)
        items.append({"text": text, "label": int(category in HARMFUL), "category": category,
                      "subtype": subtype, "structure": sid, "spoken": is_spoken})
    return items


def _count(node, pools, cap, bound, pool_counts):
    t = type(node)
    if t is str:
        return 1
    if t is tuple:
        total = 1
        for child in node:
            total = min(cap, total * _count(child, pools, cap, bound, pool_counts))
        return total
    if t is list:
        return min(cap, sum(_count(alt, pools, cap, bound, pool_counts) for alt in node))
    if node.form is not None:
        if node.name in bound:  # a bound slot repeats the word already counted
            return 1
        bound.add(node.name)
    if node.name not in pool_counts:
        pool_counts[node.name] = min(cap, sum(_count(forms[0], pools, cap, set(), pool_counts)
                                             for forms in pools[node.name]))
    return pool_counts[node.name]


def count_distinct(split, limit):
    """Sentences `split` can produce before dressing and noise: per structure the product of its
    alternatives and slot sizes, summed over structures, capped at `limit`. An estimate (two paths may
    give the same words), used to show breadth."""
    grammar = _grammar(split)
    total, pool_counts = 0, {}
    for by_subtype in grammar.structures.values():
        for structures in by_subtype.values():
            for _, node in structures:
                total += _count(node, grammar.pools, limit, set(), pool_counts)
                if total >= limit:
                    return limit
    return total


ONE_SIDED_SHARE = 0.97  # a phrase this much on one side of the training text gives the label away


def one_sided_phrases(items, sizes=(2, 3), min_count=40, share=ONE_SIDED_SHARE):
    """[(phrase, items holding it, harmful share)] for the word n-grams (`sizes` words, as the text model
    sees them) that at least `min_count` items hold and that are harmful in >= `share` of them, or safe
    in >= `share`: wording a model can learn as the label. Most frequent first."""
    from text_model import normalise_text

    held, harmful = collections.Counter(), collections.Counter()
    for it in items:
        words = normalise_text(it["text"]).split()
        grams = {" ".join(words[i:i + n]) for n in sizes for i in range(len(words) - n + 1)}
        held.update(grams)
        if it["label"]:
            harmful.update(grams)
    out = [(g, c, harmful[g] / c) for g, c in held.items()
           if c >= min_count and max(harmful[g], c - harmful[g]) >= share * c]
    return sorted(out, key=lambda t: (-t[1], t[0]))


# ---------------------------------------------------------------- command line
def main(argv=None):
    parser = argparse.ArgumentParser(description="Print generated text-model training sentences, or with --audit the "
                                     "phrases in them that give the label away.")
    parser.add_argument("--n", type=int,
                        help="how many sentences to print (default 20), or to audit with --audit (default 40,000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed; same arguments, same sentences (default: %(default)s)")
    parser.add_argument("--split", choices=SPLITS, default="train",
                        help="train: training structures and words; heldout: only the held-out ones (default: %(default)s)")
    parser.add_argument("--spoken", type=float, default=0.4,
                        help="share of sentences rendered as speech/chat (lowercase, slang, fillers); 0..1 (default: "
                             "%(default)s; train_text.py trains with 0.2, the held-out split it scores uses 0.3)")
    parser.add_argument("--category", choices=CATEGORIES, help="print only this category")
    parser.add_argument("--jsonl", action="store_true", help="print one JSON object per line instead of text")
    parser.add_argument("--audit", action="store_true",
                        help="instead of sentences, list the common 2- and 3-word phrases of --n sentences that are "
                             "(almost) only harmful or only safe: wording a model would learn as the label")
    args = parser.parse_args(argv)
    if args.n is None:
        args.n = 40000 if args.audit else 20
    if args.n < 0:
        parser.error("--n must be >= 0")
    if not 0.0 <= args.spoken <= 1.0:
        parser.error("--spoken must be between 0 and 1")
    if args.audit:
        if args.category or args.jsonl:
            parser.error("--audit compares harmful with safe sentences: it takes neither --category nor --jsonl")
        return audit(args)
    start = time.perf_counter()
    # the smallest category is an eighth of the items: draw enough to fill --n with it
    items = generate(args.n * (8 if args.category else 1), args.seed, args.split, args.spoken)
    items = [it for it in items if args.category in (None, it["category"])][:args.n]
    for it in items:
        if args.jsonl:
            print(json.dumps(it, ensure_ascii=False))
        else:
            print(f"{it['label']} {it['category']}/{it['subtype']:<16} {it['text']}")
    n_structures = len(structure_ids(args.split))
    print(f"{len(items)} sentences from the {args.split} split ({n_structures} structures, "
          f"{sum(it['label'] for it in items)} harmful) in {time.perf_counter() - start:.2f} s",
          file=sys.stderr if args.jsonl else sys.stdout)


def audit(args):
    items = generate(args.n, args.seed, args.split, args.spoken)
    min_count = max(5, args.n // 1000)
    found = one_sided_phrases(items, min_count=min_count)
    for phrase, count, harm in found[:40]:
        print(f"{'harmful' if harm >= 0.5 else 'safe':<8} {harm:>5.0%} of {count:>5}  {phrase}")
    print(f"{len(found)} phrases in >= {min_count} of {len(items)} sentences are >= {ONE_SIDED_SHARE:.0%} on one side")


if __name__ == "__main__":
    main()
