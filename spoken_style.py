"""Spoken-style noise for generated text: how a sentence reads as a transcript or a quick chat
message (lower case, no punctuation, slang, fillers, misspellings, dropped and repeated words, false
starts). text_corpus.py draws it onto a share of its sentences; the tables are here, beside the one
function that reads them.
"""
import random
import re

from text_lexicon import GONNA_VERBS

FILLERS = ["um", "uh", "erm", "like", "you know", "i mean", "so", "basically", "literally", "yeah",
           "right", "well", "hmm", "ah", "kinda", "sort of"]
# phrase -> what people say or type instead (applied before the single words below)
SLANG_PHRASES = {
    "want to": ["wanna"], "kind of": ["kinda"], "sort of": ["sorta"], "don't know": ["dunno"],
    "i don't know": ["idk", "i dunno"], "let me": ["lemme"], "give me": ["gimme"], "isn't it": ["innit"],
    "to be honest": ["tbh"], "oh my god": ["omg"], "right now": ["rn"], "by the way": ["btw"],
    "are you": ["r u", "are u"], "got to": ["gotta"], "have to": ["gotta", "hafta"], "out of": ["outta"],
    "trying to": ["tryna"], "what are you": ["wot r u", "what r u"], "see you later": ["cya", "see ya"],
    "i'm going to": ["ima", "im gonna"], "do you": ["d'you", "do ya"], "did you": ["didja", "did ya"],
    "oh my days": ["omds"], "not gonna lie": ["ngl"], "for real": ["fr"],
}
SLANG_WORDS = {
    "you": ["u", "ya"], "your": ["ur"], "you're": ["ur", "youre"], "are": ["r"],
    "because": ["cuz", "cos", "coz", "bc"], "okay": ["ok", "k", "kk"], "please": ["pls", "plz"],
    "people": ["ppl"], "though": ["tho"], "probably": ["prob", "prolly"], "tomorrow": ["tmrw", "tomoz"],
    "tonight": ["tonite", "2nite"], "seriously": ["srsly"], "what": ["wat", "wot"], "about": ["bout"],
    "them": ["em"], "nothing": ["nothin"], "something": ["somethin"], "really": ["rly", "realli"],
    "with": ["wiv", "w"], "message": ["msg"], "messages": ["msgs"], "pictures": ["pics"], "picture": ["pic"],
    "going": ["goin"], "isn't": ["aint", "isnt"], "brother": ["bro"], "sister": ["sis"],
    "favourite": ["fave", "fav"], "whatever": ["wtv", "watever"], "thanks": ["thx", "ta"],
    "yes": ["ye", "yeah"], "later": ["l8r"], "before": ["b4"], "everyone": ["every1"], "anyone": ["any1"],
}
MISSPELLINGS = {
    "definitely": ["definately", "defo"], "because": ["becuase", "becos"], "their": ["there"],
    "there": ["their"], "tomorrow": ["tommorow", "tomorow"], "really": ["realy"], "believe": ["beleive"],
    "weird": ["wierd"], "until": ["untill"], "probably": ["probly"], "address": ["adress"],
    "friend": ["freind"], "friends": ["freinds"], "school": ["skool"], "photo": ["foto"], "know": ["no", "kno"],
    "your": ["you're"], "you're": ["your"], "than": ["then"], "surprise": ["suprise"],
    "embarrassing": ["embarassing"], "disappear": ["dissapear"], "actually": ["acshully", "actully"],
    "literally": ["literaly"], "beautiful": ["beautifull", "butiful"], "would": ["wud"], "could": ["cud"],
    "should": ["shud"], "sorry": ["sry", "soz"], "hospital": ["hospitle"], "parents": ["parrents"],
    "secret": ["secrit"], "anyway": ["anyways"], "piece": ["peice"], "which": ["wich"], "where": ["were"],
    "were": ["where"], "then": ["than"], "its": ["it's"], "lose": ["loose"], "quite": ["quiet"],
    "everything": ["everthing"], "again": ["agen"], "tonight": ["tonigt"], "online": ["onlin"],
}
# words that speakers and recognizers drop without changing what is meant; never a negation
DROPPABLE = ["the", "a", "an", "just", "really", "so", "that", "very", "actually", "then", "well", "now"]
# what a speaker says between a false start and the restart: "if you i mean if you tell anyone"
RESTART_MARKERS = ["i mean", "", "wait", "sorry", "like", "no"]
SPOKEN_TAGS = ["lol", "innit", "bro", "yeah", "bruh", "man", "fr", "you know", "mate", "init", "and that"]


def trie_pattern(literals):
    """{literal: regex to follow it} -> one regex matching any literal, factored by shared prefixes.
    Python's re tries a flat alternation branch by branch at every position; the trie is ~5x faster."""
    trie = {}
    for literal, suffix in literals.items():
        node = trie
        for ch in literal:
            node = node.setdefault(ch, {})
        node[None] = suffix

    def build(node):
        alts = [re.escape(ch) + build(child) for ch, child in sorted(node.items(), key=lambda kv: kv[0] or "")
                if ch is not None]
        if None in node:
            alts.append(node[None])  # last, so a longer literal wins
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
    return r"\b" + build(trie)


def as_random(rng):
    """random.Random from a random.Random, a numpy Generator (a stream derived from it) or a seed."""
    if isinstance(rng, random.Random):
        return rng
    return random.Random(int(rng.integers(2 ** 62)) if hasattr(rng, "integers") else rng)


_NOT_SPOKEN = re.compile(r"[^a-z0-9' ]+")
_SLANG_PHRASE_RE = re.compile(trie_pattern({p: r"\b" for p in SLANG_PHRASES}))
_GONNA_RE = re.compile(r"\bgoing to (?=(?:" + "|".join(GONNA_VERBS) + r")\b)")


def spoken_noise(text, rng, level):
    """`text` as a transcript or a quick chat message: lowercase, no punctuation, and, more often the
    higher `level` (0..1), slang (u, ur, cuz, gonna), fillers (um, like, you know), repeated and
    dropped words, common misspellings and false starts ("if you i mean if you tell anyone").
    Negations are never dropped, so the meaning (and the label) survives. `rng` may be a
    random.Random, a numpy Generator or a seed."""
    rng = as_random(rng)
    level = min(1.0, max(0.0, float(level)))
    r = rng.random
    s = _NOT_SPOKEN.sub(" ", text.lower().replace("\u2019", "'"))
    s = " ".join(w.strip("'") for w in s.split())
    p_slang = 0.15 + 0.6 * level
    s = _GONNA_RE.sub(lambda m: "gonna " if r() < p_slang else m.group(0), s)
    s = _SLANG_PHRASE_RE.sub(lambda m: rng.choice(SLANG_PHRASES[m.group(0)]) if r() < p_slang
                             else m.group(0), s)
    words = []
    for w in s.split():
        if w in SLANG_WORDS and r() < 0.7 * p_slang:
            w = rng.choice(SLANG_WORDS[w])
        elif w in MISSPELLINGS and r() < 0.25 * level:
            w = rng.choice(MISSPELLINGS[w])
        elif len(w) > 5 and w.endswith("ing") and r() < 0.25 * level:
            w = w[:-1]  # "nothing" -> "nothin"
        if w in DROPPABLE and r() < 0.15 * level:
            continue
        if r() < 0.07 * level:
            words.append(rng.choice(FILLERS))
        words.append(w)
        if r() < 0.05 * level:
            words.append(w)
    if len(words) > 3 and r() < 0.3 * level:
        i = rng.randrange(min(len(words) - 1, 6))
        false_start = words[i:i + rng.randint(1, 3)]
        words[i:i] = false_start + rng.choice(RESTART_MARKERS).split()
    if r() < 0.12 * level:
        words.append(rng.choice(SPOKEN_TAGS))
    out = " ".join(words) or s
    if r() < 0.3 + 0.4 * level:
        out = out.replace("'", "")
    return out
