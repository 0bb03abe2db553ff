"""text_corpus.py: breadth, balance, the held-out split (structures and words), determinism, the
spoken-style noise and the command line."""
import collections
import hashlib
import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import spoken_style  # noqa: E402
import text_corpus as T  # noqa: E402
import text_lexicon as lex  # noqa: E402

# the subtypes the issue asks for, per category
SUBTYPES = {
    "threat": {"direct", "conditional", "indirect", "veiled"},
    "harassment": {"sexual_comments", "unwanted_contact", "doxxing", "targeted_abuse"},
    "bullying": {"appearance", "ability", "identity", "exclusion", "humiliation", "coercion"},
    "grooming": {"trust_building", "flattery", "gifts", "secrecy", "isolation", "private_channel",
                 "photo_request", "meeting"},
    "everyday": {"gaming", "school", "family", "plans", "hobbies", "small_talk", "food", "tech", "work",
                 "sport", "music", "pets", "weather", "chores", "voice_chat", "promises", "asks", "kind_words"},
    "hard_negative": {"gaming_violence", "sports_rivalry", "idiom_hyperbole", "banter", "reporting",
                      "safety_advice", "fiction_news", "healthy_adult"},
}
SPOKEN_FORM = re.compile(r"[a-z0-9' ]+")
# Training structures per subtype, at least. Every subtype has a floor; the subtypes where a model trained
# on this corpus erred most on independent text (safe talk flagged, threats and bullying missed) were
# broadened and must stay at least this broad.
MIN_TRAIN_STRUCTURES = 3
MIN_TRAIN_STRUCTURES_BY_SUBTYPE = {
    "hard_negative.banter": 30, "hard_negative.healthy_adult": 28, "hard_negative.safety_advice": 26,
    "hard_negative.idiom_hyperbole": 26, "hard_negative.gaming_violence": 16, "hard_negative.sports_rivalry": 14,
    "everyday.gaming": 16, "threat.veiled": 20, "threat.direct": 16, "threat.indirect": 15,
    "bullying.ability": 13, "bullying.exclusion": 15, "grooming.meeting": 14,
    # harm's sentence shapes with ordinary meaning: a model without them flagged two thirds of a set of such
    # sentences (eval/text_pairs_part1.csv)
    "everyday.promises": 9, "everyday.asks": 8, "everyday.kind_words": 6,
}
# banter and healthy_adult had 11 and 12 structures (train + held out) before that round; at least twice that
MIN_STRUCTURES_BY_SUBTYPE = {"hard_negative.banter": 22, "hard_negative.healthy_adult": 24}


@pytest.fixture(scope="module")
def train_items():
    return T.generate(40000, 7, "train")


@pytest.fixture(scope="module")
def heldout_items():
    return T.generate(20000, 7, "heldout")


def words_of(texts):
    return set(re.findall(r"[a-z]+", " ".join(texts).lower()))


def test_train_breadth_labels_and_balance(train_items):
    texts = [it["text"] for it in train_items]
    assert len(train_items) == 40000
    assert len(set(texts)) >= 30000
    seen = collections.defaultdict(set)
    for it in train_items:
        seen[it["category"]].add(it["subtype"])
        assert it["label"] == int(it["category"] in T.HARMFUL)
        assert it["structure"].startswith(f"{it['category']}.{it['subtype']}.")
    for category, subtypes in SUBTYPES.items():
        assert subtypes <= seen[category], (category, subtypes - seen[category])
    counts = collections.Counter(it["category"] for it in train_items)
    assert sum(it["label"] for it in train_items) == 20000
    assert all(counts[c] == 5000 for c in T.HARMFUL)
    assert counts["everyday"] == counts["hard_negative"] == 10000


def test_odd_n_puts_the_extra_item_on_the_safe_side():
    items = T.generate(9, 1)
    assert sum(it["label"] for it in items) == 4
    assert collections.Counter(it["category"] for it in items)["everyday"] == 3


def test_structure_split_is_disjoint_and_covers_every_subtype(train_items, heldout_items):
    train, heldout = set(T.structure_ids("train")), set(T.structure_ids("heldout"))
    assert train and heldout and not train & heldout
    assert len(train | heldout) >= 150
    assert 0.1 < len(heldout) / len(train | heldout) < 0.35
    assert {it["structure"] for it in train_items} <= train
    assert {it["structure"] for it in heldout_items} <= heldout
    by_subtype = collections.defaultdict(lambda: [0, 0])
    for sid in train | heldout:
        by_subtype[sid.rsplit(".", 1)[0]][sid in heldout] += 1
    for subtype, (n_train, n_heldout) in by_subtype.items():
        assert n_train >= 1, subtype
        assert n_heldout >= 1 or n_train + n_heldout < 3, subtype


def structure_counts():
    """{"category.subtype": [training structures, held-out structures]}"""
    counts = collections.defaultdict(lambda: [0, 0])
    for sid in T.structure_ids("train"):
        counts[sid.rsplit(".", 1)[0]][0] += 1
    for sid in T.structure_ids("heldout"):
        counts[sid.rsplit(".", 1)[0]][1] += 1
    return counts


def test_every_subtype_has_enough_structures():
    counts = structure_counts()
    assert set(counts) == {f"{c}.{s}" for c, subtypes in SUBTYPES.items() for s in subtypes}
    for subtype, (n_train, _) in counts.items():
        assert n_train >= MIN_TRAIN_STRUCTURES_BY_SUBTYPE.get(subtype, MIN_TRAIN_STRUCTURES), subtype
    for subtype, minimum in MIN_STRUCTURES_BY_SUBTYPE.items():
        assert sum(counts[subtype]) >= minimum, subtype


def test_a_subtype_lives_in_one_structure_file():
    assert lex._gather({"threat": {"direct": {"a": "x"}}}, {"threat": {"veiled": {"b": "y"}}}) == {
        "threat": {"direct": {"a": "x"}, "veiled": {"b": "y"}}}
    with pytest.raises(ValueError, match="direct"):
        lex._gather({"threat": {"direct": {"a": "x"}}}, {"threat": {"direct": {"b": "y"}}})


def test_a_slot_is_defined_once():
    assert lex._with_slots({"a": ["x", "y"]}, {"b": ["z", "w"]}) == {"a": ["x", "y"], "b": ["z", "w"]}
    with pytest.raises(ValueError, match="'a'"):
        lex._with_slots({"a": ["x", "y"]}, {"a": ["z", "w"]})


def test_the_split_hangs_on_hashes_not_list_positions():
    names = lex.LEXICON["name"]
    _, heldout = T._partition(names, hash_key=str.lower)
    shuffled = random.Random(0).sample(names, len(names))
    assert set(T._partition(shuffled, hash_key=str.lower)[1]) == set(heldout)
    grown = names + [f"Newname{i}" for i in range(40)]
    assert set(heldout) <= set(T._partition(grown, hash_key=str.lower)[1])


def distinctive_heldout_entries():
    """Held-out names, apps, games... that no training source (training entries, phrases, training
    structures, noise tables) contains as a whole word, so training output can only show them by a leak."""
    sources = [e for slot in lex.LEXICON for e in T.lexicon_entries(slot, "train")]
    sources += [e for entries in lex.PHRASES.values() for e in entries]
    sources += [tpl for _, _, tpl, side in T._structure_split().values() if side == "train"]
    for table in (spoken_style.SLANG_PHRASES, spoken_style.SLANG_WORDS, spoken_style.MISSPELLINGS):
        sources += [w for values in table.values() for w in values]
    blob = "\n".join(sources).lower()
    out = []
    for slot in ("name", "surname", "app", "game", "team", "artist", "show", "school_name", "street"):
        for entry in T.lexicon_entries(slot, "heldout"):
            word = entry.split("/")[0].lower()
            if not re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", blob):
                out.append(word)
    return out


def test_heldout_words_never_appear_in_training_output(train_items, heldout_items):
    words = distinctive_heldout_entries()
    assert len(words) >= 20
    pattern = re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, words)) + r")(?![\w-])")
    train_text = "\n".join(it["text"] for it in train_items).lower()
    assert pattern.findall(train_text) == []
    # the same check does find them in held-out output, so it would catch a leak
    heldout_text = "\n".join(it["text"] for it in heldout_items).lower()
    assert len(set(pattern.findall(heldout_text))) >= len(words) // 2


def test_rewrites_cannot_leak_heldout_words():
    heldout = {e.split("/")[0].lower() for slot in lex.LEXICON for e in T.lexicon_entries(slot, "heldout")}
    rewrites = {v.lower() for group in lex.PARAPHRASES for v in group}
    for table in (spoken_style.SLANG_PHRASES, spoken_style.SLANG_WORDS, spoken_style.MISSPELLINGS):
        rewrites |= {w for values in table.values() for w in values}
    rewrites |= set(spoken_style.FILLERS) | set(spoken_style.SPOKEN_TAGS) | set(spoken_style.RESTART_MARKERS)
    assert not rewrites & heldout


def test_two_turn_items_in_both_labels(train_items):
    clean = [it for it in train_items if not it["spoken"]]
    for label in (0, 1):
        texts = [it["text"] for it in clean if it["label"] == label]
        two_turns = sum(re.search(r"[.?!] [A-Z]", t) is not None for t in texts)
        assert 0.15 < two_turns / len(texts) < 0.6


def test_same_arguments_same_output_and_seeds_differ():
    a = T.generate(3000, 11, "heldout", spoken=0.5)
    assert a == T.generate(3000, 11, "heldout", spoken=0.5)
    b = T.generate(3000, 12, "heldout", spoken=0.5)
    assert sum(x["text"] != y["text"] for x, y in zip(a, b)) > 2900
    assert T.generate(3000, 11, "train", spoken=0.5) != a


def test_output_does_not_depend_on_pythonhashseed():
    code = ("import hashlib, json, text_corpus as T; "
            "print(hashlib.sha1(json.dumps(T.generate(2000, 3, 'train')).encode()).hexdigest())")
    digests = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=60)
        assert proc.returncode == 0, proc.stderr
        digests.add(proc.stdout.strip())
    digests.add(hashlib.sha1(json.dumps(T.generate(2000, 3, "train")).encode()).hexdigest())
    assert len(digests) == 1


def test_spoken_share_and_form():
    items = T.generate(4000, 5, spoken=0.4)
    spoken = [it for it in items if it["spoken"]]
    assert 0.35 < len(spoken) / len(items) < 0.45
    assert all(SPOKEN_FORM.fullmatch(it["text"]) for it in spoken)
    clean = [it["text"] for it in items if not it["spoken"]]
    assert all(t[0].isupper() and t[-1] in ".?!" for t in clean)
    assert not any(it["spoken"] for it in T.generate(500, 5, spoken=0.0))


def test_spoken_noise_lowercases_strips_punctuation_and_adds_speech():
    text = "Honestly, if you tell your mum about this, I'm going to hurt you. Do you understand?"
    rng = random.Random(4)
    outs = [spoken_style.spoken_noise(text, rng, 1.0) for _ in range(200)]
    assert all(SPOKEN_FORM.fullmatch(o) and o != text for o in outs)
    assert len(set(outs)) > 150
    tokens = collections.Counter(w for o in outs for w in o.split())
    assert tokens["gonna"] + tokens["ima"] > 20  # slang
    assert sum(tokens[f] for f in ("um", "uh", "erm", "like")) > 10  # fillers
    assert spoken_style.spoken_noise("Hello, World!", rng, 0.0) == "hello world"


def test_spoken_noise_never_drops_a_negation():
    rng = np.random.default_rng(0)  # numpy Generators are accepted too
    for _ in range(300):
        out = spoken_style.spoken_noise("I won't tell anyone if you don't hurt me, I'm not a snitch.", rng, 1.0)
        negations = re.findall(r"\b(?:won'?t|don'?t|not)\b", out)
        assert len(negations) >= 3, out


def test_paraphrase_keeps_grammar():
    rng = random.Random(0)
    assert T.paraphrase("I know who you are.", rng, p=1.0) == "I know who you are."
    assert T.paraphrase("We're going to the park.", rng, p=1.0).endswith("going to the park.")
    outs = {T.paraphrase("You are going to get hurt.", random.Random(s), p=1.0) for s in range(40)}
    assert "You're gonna get hurt." in outs


def test_harmful_and_safe_share_the_trigger_words(train_items):
    harmful = words_of(it["text"] for it in train_items if it["label"] == 1)
    safe = words_of(it["text"] for it in train_items if it["label"] == 0)
    for word in ("kill", "hurt", "destroy", "dead", "secret", "photo", "pic", "address", "delete", "meet",
                 "camera", "gift", "app", "snapchat", "mum", "alone", "watching"):
        assert word in harmful and word in safe, word
    # whole phrases too: a play threat, banter and a quoted groomer say what threats, bullies and groomers say
    clean = collections.defaultdict(str)
    for it in train_items:
        if not it["spoken"]:
            clean[it["label"]] += it["text"].lower() + "\n"
    for phrase in ("kill you", "you're dead", "watch your back", "i'm coming for you", "group chat", "useless at",
                   "don't tell", "come alone", "send me a photo", "pick you up", "nobody wants", "i know where you",
                   "i know what time", "be a shame", "if you tell"):
        assert phrase in clean[1] and phrase in clean[0], phrase


def test_one_sided_phrases_finds_wording_that_gives_the_label_away():
    items = [{"text": "meet me at the park", "label": 1}] * 50 + [{"text": "meet me at the shop", "label": 0}] * 50 \
        + [{"text": "see you at the park", "label": 0}]
    found = {g: (c, share) for g, c, share in T.one_sided_phrases(items, min_count=40)}
    assert found["the park"] == (51, 50 / 51) and found["the shop"] == (50, 0.0)
    assert "meet me" not in found and "at the" not in found  # said on both sides
    assert "see you" not in found  # too rare to matter


def test_count_distinct_shows_breadth():
    assert T.count_distinct("train", 10 ** 6) == 10 ** 6
    train, heldout = T.count_distinct("train", 10 ** 12), T.count_distinct("heldout", 10 ** 12)
    assert train > heldout > 10 ** 4
    assert T.count_distinct("train", 50) == 50


def test_every_template_parses_and_uses_known_slots():
    slots = set(lex.LEXICON) | set(lex.PHRASES)

    def walk(node):
        if isinstance(node, T.Slot):
            assert node.name in slots, node
            if node.form is not None:  # every entry must have the form asked for
                for entry in lex.LEXICON.get(node.name, lex.PHRASES.get(node.name)):
                    assert node.form < len(entry.split("/")), (node, entry)
        elif isinstance(node, (tuple, list)):
            for child in node:
                walk(child)

    for _, _, template, _ in T._structure_split().values():
        walk(T.parse_template(template))
    for slot, entries in lex.LEXICON.items():
        assert len(entries) >= 2, slot
        for entry in entries:
            walk(T._compile_entry(entry))
    for slot in ("leadin", "opener", "tag", "transition", "tail"):
        assert all("{" not in e and "[" not in e for e in {**lex.LEXICON, **lex.PHRASES}[slot]), slot
    with pytest.raises(ValueError):
        T.parse_template("[unclosed | bracket")


def test_command_line_prints_samples_and_help():
    proc = subprocess.run([sys.executable, "text_corpus.py", "--n", "6", "--seed", "1", "--split", "heldout"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 7 and "heldout split" in lines[-1]
    assert all(line[0] in "01" for line in lines[:-1])
    helped = subprocess.run([sys.executable, "text_corpus.py", "--help"], cwd=ROOT, capture_output=True, text=True)
    assert helped.returncode == 0
    for flag in ("--n", "--seed", "--split", "--spoken", "--category", "--jsonl", "--audit"):
        assert flag in helped.stdout
    audited = subprocess.run([sys.executable, "text_corpus.py", "--audit", "--n", "2000", "--seed", "1"], cwd=ROOT,
                             capture_output=True, text=True, timeout=60)
    assert audited.returncode == 0, audited.stderr
    *rows, summary = audited.stdout.strip().splitlines()
    assert re.fullmatch(r"\d+ phrases in >= 5 of 2000 sentences are >= 97% on one side", summary)
    assert rows and all(re.match(r"(harmful|safe) +\d+% of +\d+  \S", row) for row in rows)
    for extra in (["--category", "threat"], ["--jsonl"]):  # one category has no safe side to compare with
        refused = subprocess.run([sys.executable, "text_corpus.py", "--audit", "--n", "100", *extra], cwd=ROOT,
                                 capture_output=True, text=True, timeout=60)
        assert refused.returncode == 2 and "--audit compares harmful with safe sentences" in refused.stderr
    bad = subprocess.run([sys.executable, "text_corpus.py", "--split", "test"], cwd=ROOT, capture_output=True,
                         text=True)
    assert bad.returncode == 2
    imported = subprocess.run([sys.executable, "-c", "import text_corpus"], cwd=ROOT, capture_output=True, text=True)
    assert imported.returncode == 0 and imported.stdout == ""
