"""The transcript model: text -> P(harmful) and which harm, loadable without running code, scored without torch.

Two kinds:
- encoder (the default): a pretrained sentence encoder fine-tuned end to end (text_encoder.py
  trains it), saved as a directory: text_model.json (what it is, what it was trained on, its
  metrics and the sha256 of every file), model.onnx and model_int8.onnx, tokenizer.json. Scored
  here with onnxruntime and the `tokenizers` library, so fused inference never imports torch.
- ngram (the light option): TF-IDF over character 2-5-grams with a logistic regression, one JSON
  file. A misrecognised word ("creep" -> "creek") keeps most of its n-grams, and it trains in
  seconds, but it knows only the words it was trained on.
Both give P(harmful); the encoder also names the harm (harassment, bullying, threat, grooming).
"""
import json
import math
import re
from pathlib import Path

import numpy as np

from utils_io import HelmitError, atomic_output, file_sha256

FORMAT = "helmit-text-model"
FORMAT_VERSION = 2
FEATURES = ("char_ngrams",)
DEFAULT_PATH = "runs/text_model"  # train_text.py's encoder directory; "runs/text_model.json" for --kind ngram
NGRAM_RANGE = (2, 5)
MANIFEST = "text_model.json"  # inside an encoder model's directory
SCORE_BATCH = 32


def default_path():
    """The text model a stage reads when none is given: the encoder directory train_text.py writes by
    default, else the n-gram file its --kind ngram writes by default."""
    return DEFAULT_PATH if Path(DEFAULT_PATH).exists() or not Path(f"{DEFAULT_PATH}.json").is_file() \
        else f"{DEFAULT_PATH}.json"


# ---------------------------------------------------------------- features
def normalise_text(text):
    """What both training text and transcripts look like before features: lower case, letters,
    digits and apostrophes only. Recognizers emit no punctuation, so training text drops it too."""
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", str(text).lower()).split())


def no_speech(text):
    """True when a transcript holds nothing the text model reads ("", "...", a music note)."""
    return not normalise_text(text or "")


def fit_char_ngrams(texts):
    """{vocabulary, idf} of a sublinear TF-IDF over char_wb 2-5-grams (rare n-grams dropped)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=NGRAM_RANGE, sublinear_tf=True, min_df=2, lowercase=False)
    vec.fit([normalise_text(t) for t in texts])
    return {"vocabulary": {k: int(v) for k, v in vec.vocabulary_.items()}, "idf": vec.idf_.round(6).tolist()}


def char_ngram_features(texts, params):
    """The same matrix TfidfVectorizer.transform gives, rebuilt from the stored vocabulary and idf."""
    from scipy import sparse
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.preprocessing import normalize

    counts = CountVectorizer(analyzer="char_wb", ngram_range=NGRAM_RANGE, vocabulary=params["vocabulary"],
                             lowercase=False).transform([normalise_text(t) for t in texts]).astype(np.float64)
    counts.data = np.log(counts.data) + 1.0  # sublinear tf
    return normalize(counts @ sparse.diags(np.asarray(params["idf"])), norm="l2")


def char_wb_ngrams(text):
    """scikit-learn's char_wb analyzer: each word padded with a space, its 2-5-grams (a word shorter than
    n counted once)."""
    grams, (low, high) = [], NGRAM_RANGE
    for w in text.split():
        w = f" {w} "
        for n in range(low, high + 1):
            grams += [w[i:i + n] for i in range(max(1, len(w) - n + 1))]
            if len(w) <= n:
                break
    return grams


def ngram_logits(texts, model):
    """The classifier's logit on char_ngram_features' rows, computed here without scikit-learn or scipy,
    which a deployment machine does not install (requirements-deploy.txt)."""
    from collections import Counter

    params = model["char_ngrams"]
    vocab, idf = params["vocabulary"], np.asarray(params["idf"])
    coef = np.asarray(model["classifier"]["coef"]).ravel()
    out = np.empty(len(texts))
    for k, text in enumerate(texts):
        counts = Counter(vocab[g] for g in char_wb_ngrams(normalise_text(text)) if g in vocab)
        cols = np.fromiter(counts.keys(), int, len(counts))
        weights = (np.log(np.fromiter(counts.values(), float, len(counts))) + 1.0) * idf[cols]  # sublinear tf-idf
        norm = np.sqrt(weights @ weights)
        out[k] = (weights @ coef[cols]) / norm if norm > 0 else 0.0
    return out + model["classifier"]["intercept"]


def fit(texts, labels, features="char_ngrams", C=4.0, sample_weight=None):
    """A trained n-gram model dict. Balanced class weights: users' sets are small and imbalanced."""
    from sklearn.linear_model import LogisticRegression

    if features not in FEATURES:
        raise HelmitError(f"unknown text features {features!r}; choose one of {', '.join(FEATURES)}")
    labels = np.asarray(labels, dtype=int)
    if len(set(labels.tolist())) < 2:
        raise HelmitError("the text model needs harmful and safe examples; got one class")
    model = {"format": FORMAT, "format_version": FORMAT_VERSION, "kind": "ngram", "features": features, "C": float(C),
             "char_ngrams": fit_char_ngrams(texts)}
    clf = LogisticRegression(C=C, class_weight="balanced", max_iter=2000)
    clf.fit(char_ngram_features(texts, model["char_ngrams"]), labels, sample_weight=sample_weight)
    model["classifier"] = {"coef": clf.coef_[0].round(7).tolist(), "intercept": float(clf.intercept_[0])}
    model["threshold"] = 0.5
    return model


# ---------------------------------------------------------------- the encoder kind, scored with onnxruntime
def encoder_runtime(model):
    """(onnxruntime session, tokenizer) of a loaded encoder model, made on first use."""
    rt = model["_runtime"]
    if "session" not in rt:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = rt.get("threads", 0)
        opts.inter_op_num_threads = 1
        rt["session"] = ort.InferenceSession(str(rt["dir"] / rt["onnx"]), opts, providers=["CPUExecutionProvider"])
        tok = Tokenizer.from_file(str(rt["dir"] / "tokenizer.json"))
        tok.no_padding()
        tok.enable_truncation(int(model["max_length"]))
        rt["tokenizer"] = tok
    return rt["session"], rt["tokenizer"]


def word_windows(text, size, stride):
    """Overlapping windows of `size` words every `stride` (one window for a text that fits)."""
    words = normalise_text(text).split()
    if size <= 0 or len(words) <= size:
        return [" ".join(words)]
    starts = list(range(0, len(words) - size + 1, stride))
    if starts[-1] + size < len(words):
        starts.append(len(words) - size)  # the last words get a window of their own
    return [" ".join(words[s:s + size]) for s in starts]


def encoder_logits(texts, model):
    """(harm logits (n,), category logits (n, k)): a transcript is scored in windows of
    `window_words` words and its most harmful window counts. The model learned from sentences and
    short turns; mean-pooled over a whole conversation, one harmful turn among everyday ones would
    be diluted (and past max_length tokens, cut off)."""
    return windowed_logits(texts, model, lambda windows: window_logits(windows, model))


def windowed_logits(texts, model, score_windows):
    """encoder_logits with any scorer of the windows: score_windows(list of texts) -> (harm logits,
    category logits); fusion.py's per-fold adapted models score in torch, as deployment does in ONNX."""
    size, stride = int(model.get("window_words", 0)), int(model.get("window_stride", 0)) or 1
    windows, owner = [], []
    for i, t in enumerate(texts):
        w = word_windows(t, size, stride)
        windows += w
        owner += [i] * len(w)
    harm_w, cats_w = score_windows(windows)
    owner = np.asarray(owner)
    harm = np.full(len(texts), -np.inf, np.float64)
    np.maximum.at(harm, owner, harm_w)
    best = np.zeros(len(texts), int)
    for j in range(len(windows)):  # each text's category is its most harmful window's
        if harm_w[j] == harm[owner[j]]:
            best[owner[j]] = j
    return np.where(no_words(texts), NO_WORDS_LOGIT, harm), cats_w[best]


def remember_scores(model):
    """Make a loaded encoder model keep the logits of every window it scores, so a text scored again is not
    run again: train_text.py's INT8 check reads the FP32 scores of texts the benchmark report just scored.
    Not for long-running scoring: the memory grows with every distinct window."""
    model["_runtime"]["memo"] = {}
    return model


def window_logits(texts, model):
    """(harm logits, category logits) of each text as one sequence, in batches of similar length; from
    the memory of remember_scores for a text scored before."""
    memo = model["_runtime"].get("memo")
    if memo is None:
        return _run_windows(texts, model)
    todo = list(dict.fromkeys(t for t in texts if t not in memo))
    if todo:
        memo.update(zip(todo, zip(*_run_windows(todo, model))))
    harm = np.array([memo[t][0] for t in texts], np.float32)
    cats = np.array([memo[t][1] for t in texts], np.float32).reshape(len(texts), len(model["categories"]))
    return harm, cats


def _run_windows(texts, model):
    sess, tok = encoder_runtime(model)
    encs = tok.encode_batch(list(texts))
    lengths = np.array([len(e.ids) for e in encs])
    harm = np.zeros(len(texts), np.float32)
    cats = np.zeros((len(texts), len(model["categories"])), np.float32)
    order = np.argsort(lengths, kind="stable")
    for i in range(0, len(order), SCORE_BATCH):
        idx = order[i:i + SCORE_BATCH]
        width = int(lengths[idx].max())
        ids = np.full((len(idx), width), int(model["pad_id"]), np.int64)  # (B, T)
        for r, j in enumerate(idx):
            ids[r, :lengths[j]] = encs[j].ids
        mask = (np.arange(width)[None, :] < lengths[idx][:, None]).astype(np.int64)  # (B, T)
        h, c = sess.run(None, {"input_ids": ids, "attention_mask": mask})
        harm[idx], cats[idx] = h, c
    return harm, cats


# ---------------------------------------------------------------- scoring, either kind
NO_WORDS_LOGIT = -30.0  # a transcript without words says nothing harmful: P(harmful) ~ 1e-13


def no_words(texts):
    """Which texts hold no word at all (silence, or speech the recognizer did not catch). A model
    never trained on empty text gives it an arbitrary score (0.31 for the default), which a
    calibration can carry past the threshold and name a harm for a silent clip."""
    return np.array([not normalise_text(t).split() for t in texts], dtype=bool)


def logits(texts, model):
    if not len(texts):
        return np.zeros(0)
    if model["kind"] == "encoder":
        return encoder_logits(texts, model)[0]
    return np.where(no_words(texts), NO_WORDS_LOGIT, ngram_logits(texts, model))


def predict(texts, model):
    """P(harmful) per text."""
    return 1.0 / (1.0 + np.exp(-logits(texts, model)))


def predict_with_category(texts, model):
    """(P(harmful) (n,), category names (n,) or None): the most likely harm for each text, whatever
    its P(harmful); None when the model does not name harms (the n-gram kind)."""
    return predict_heard([[t] for t in texts], model)


def hearings_of(transcript):
    """The texts of a transcript's hearings (transcribe.py --hearings): the clip as heard first."""
    return transcript.get("hearings") or [transcript["text"]]


def first_heard(transcript):
    """The first of a transcript's hearings that holds words ("" when none does): the words its score rests
    on, to explain and to judge. A clip heard as nothing at its own speed may hold words at another."""
    return next((t for t in hearings_of(transcript) if not no_speech(t)), "")


def heard_again(hearings):
    """A clip's hearings after its first, to show beside its transcript: none when none of them holds words."""
    again = list(hearings[1:])
    return again if any(not no_speech(t) for t in again) else []


def heard_logits(hearings, score):
    """(harm logits (n,), category logits (n, k) or None) of n clips, each heard one or more times
    (a list of texts per clip): the mean over a clip's hearings of what score(texts) -> (harm logits,
    category logits or None) gives each text. One hearing is that hearing's own score.

    Hearings without words are left out of the mean: at NO_WORDS_LOGIT, one speed at which Whisper
    heard nothing would outweigh two that heard a threat. A clip heard without words every time gets
    the no-words score."""
    counts = np.array([len(h) for h in hearings])
    if not len(hearings):
        return np.zeros(0), None
    if counts.min() < 1:
        raise ValueError("every clip needs at least one hearing")
    n, owner = len(hearings), np.repeat(np.arange(len(hearings)), counts)
    flat = [t for h in hearings for t in h]
    harm, cats = score(flat)
    heard = ~no_words(flat)
    weight = (heard | (np.bincount(owner, heard, n) == 0)[owner]).astype(np.float64)  # all, when none has words
    total = np.bincount(owner, weight, n)
    mean = np.bincount(owner, np.asarray(harm, np.float64) * weight, n) / total
    if cats is None:
        return mean, None
    cat_mean = np.zeros((n, cats.shape[1]))
    np.add.at(cat_mean, owner, cats * weight[:, None])
    return mean, cat_mean / total[:, None]


def predict_heard(hearings, model):
    """predict_with_category for clips heard one or more times: the harm logit and the category logits
    are averaged over a clip's hearings (transcribe.py --hearings), then read as one text's."""
    if model["kind"] != "encoder":
        harm, _ = heard_logits(hearings, lambda texts: (logits(texts, model), None))
        return 1.0 / (1.0 + np.exp(-harm)), None
    harm, cats = heard_logits(hearings, lambda texts: encoder_logits(texts, model))
    return 1.0 / (1.0 + np.exp(-harm)), [model["categories"][i] for i in cats.argmax(1)] if len(hearings) else None


def explain(text, model, top=3):
    """The words that drove the score: [(word, how far the harm logit falls without it)], largest
    first, positive = pushed towards harmful. Occlusion, within an encoder model's most harmful window
    (the one that decided), at most 80 words (the cost is a pass per word). Leaving out a transcript's
    only word leaves no words, which counts as a logit of 0 here (no evidence), not the no-words score."""
    if model["kind"] == "encoder":
        windows = word_windows(text, int(model.get("window_words", 0)), int(model.get("window_stride", 0)) or 1)
        words = windows[int(np.argmax(logits(windows, model))) if len(windows) > 1 else 0].split()[:80]
    else:
        words = normalise_text(text).split()[:80]
    if not words:
        return []
    variants = [" ".join(words)] + [" ".join(words[:i] + words[i + 1:]) for i in range(len(words))]
    scores = np.where(no_words(variants), 0.0, logits(variants, model))
    drive = {}
    for w, s in zip(words, scores[1:]):
        drive[w] = max(drive.get(w, -math.inf), float(scores[0] - s))
    ranked = sorted(drive.items(), key=lambda kv: -abs(kv[1]))
    return [(w, round(d, 3)) for w, d in ranked[:top]]


# ---------------------------------------------------------------- files
def save(path, model):
    """An n-gram model to one JSON file (encoder models are directories: text_encoder.save_model_dir)."""
    with atomic_output(path, "w", encoding="utf-8") as f:
        json.dump({k: v for k, v in model.items() if not k.startswith("_")}, f)


def load(path, int8=False, threads=0):
    """A text model, checked: a JSON file (n-gram kind) or a directory (encoder kind, `int8` picks
    model_int8.onnx). Raises HelmitError naming the file."""
    path = Path(path)
    manifest = path / MANIFEST if path.is_dir() else path
    if path.is_dir() and not manifest.is_file():
        raise HelmitError(f"{path}: not a Helmit text model (no {MANIFEST} in it; train_text.py --out writes one)")
    if not manifest.is_file():
        raise HelmitError(f"{path}: text model not found (run train_text.py)")
    try:
        model = json.loads(manifest.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        advice = ("damaged: train the model again, or restore the directory" if path.is_dir() else
                  "a binary file; pass the model's directory, or the n-gram model's .json")
        raise HelmitError(f"{manifest}: not a Helmit text model ({advice})") from None
    except ValueError as e:
        raise HelmitError(f"{manifest}: not a Helmit text model ({e})") from None
    check(model, manifest)
    if model["kind"] == "encoder":
        if not path.is_dir():
            raise HelmitError(f"{path}: an encoder text model is a directory; pass the directory, not its manifest")
        onnx = "model_int8.onnx" if int8 else "model.onnx"
        check_files(model, path, ["tokenizer.json", onnx])
        model["_runtime"] = {"dir": path, "onnx": onnx, "threads": threads}
    return model


def learned_transcripts(model):
    """Every transcripts file a text model's record names, at any step of its history: train_text.py
    --transcripts, fusion.py --adapt (`adapted_on`), and those of each model it started from (train_text.py
    --init keeps the earlier record under base.adapted_from, fusion.py --adapt under training.adapted_from)."""
    files, todo = [], [model.get("training") or {}, (model.get("base") or {}).get("adapted_from") or {}]
    while todo and len(files) < 200:
        record = todo.pop()
        if isinstance(record, dict) and record:
            files += [record.get("adapted_on")] + list(record.get("transcripts") or [])
            todo.append(record.get("adapted_from") or {})
    return list(dict.fromkeys(filter(None, files)))


def check_files(model, path, names):
    """Each file must be the one the model was saved with: a swapped tokenizer or graph is refused."""
    for name in names:
        want = model["files"].get(name)
        if want is None:
            raise HelmitError(f"{path}: text model has no {name}")
        if not (path / name).is_file():
            raise HelmitError(f"{path / name}: missing from the text model directory")
        if file_sha256(path / name) != want:
            raise HelmitError(f"{path / name}: sha256 differs from the one recorded in {MANIFEST}: not the file this "
                              "model was trained and checked with (damaged, edited or swapped); retrain or restore it")


def check(model, path):
    if not isinstance(model, dict) or model.get("format") != FORMAT:
        raise HelmitError(f"{path}: not a Helmit text model (format is not {FORMAT!r})")
    if not isinstance(model.get("format_version"), int) or model["format_version"] > FORMAT_VERSION:
        raise HelmitError(f"{path}: text model format_version {model.get('format_version')!r} is newer than this "
                          f"Helmit reads ({FORMAT_VERSION}); update Helmit")
    model.setdefault("kind", "ngram")  # format 1 files are n-gram models
    if model["kind"] == "encoder":
        try:
            ok = (isinstance(model["files"], dict) and isinstance(model["categories"], list) and int(model["max_length"]) > 2
                  and isinstance(model["pad_id"], int) and 0.0 <= float(model["threshold"]) <= 1.0
                  and isinstance(model["base"]["sha256"], str))
        except (KeyError, TypeError, ValueError):
            ok = False
        if not ok:
            raise HelmitError(f"{path}: text model manifest is damaged or edited (files, categories, max_length, "
                              "pad_id, threshold or base)")
        return
    if model.get("features") not in FEATURES:
        raise HelmitError(f"{path}: text features {model.get('features')!r} are no longer supported (MiniLM embeddings "
                          "needed torch at inference); retrain with train_text.py")
    try:
        coef = model["classifier"]["coef"]
        ok = len(coef) == len(model["char_ngrams"]["idf"]) and all(math.isfinite(float(c)) for c in coef)
        ok = ok and math.isfinite(model["classifier"]["intercept"]) and 0.0 <= float(model["threshold"]) <= 1.0
    except (KeyError, TypeError, ValueError):
        ok = False
    if not ok:
        raise HelmitError(f"{path}: text model is damaged or edited (classifier does not fit its features)")
