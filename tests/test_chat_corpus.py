"""Real everyday chat (chat_corpus.py): what training may read, what it never reads, and a changed file refused."""
import json

import numpy as np
import pytest

import chat_corpus
from conftest import run_script
from utils_io import HelmitError


def test_held_out_conversations_never_reach_training(monkeypatch):
    convs = chat_corpus.conversations()
    assert len(convs) == 7168
    held = {c for c in convs if chat_corpus.split_of(c) == "heldout"}
    assert 0.17 < len(held) / len(convs) < 0.23
    # the same everyday words are said in many conversations ("hello how are you?"), so the splits are
    # told apart by marking each conversation's messages
    marked = {cid: [f"c{cid} says {m}" for m in msgs] for cid, msgs in convs.items()}
    monkeypatch.setattr(chat_corpus, "conversations", lambda: marked)
    chat_corpus._shuffled_windows.cache_clear()  # windows of the real text may be cached by an earlier test
    try:
        for split in chat_corpus.SPLITS:
            texts = chat_corpus.windows(10 ** 7, 0, split)
            owners = {w[1:] for t in texts for w in t.split() if w.startswith("c") and w[1:] in convs}
            assert len(texts) > (15000 if split == "heldout" else 80000)
            assert owners and {chat_corpus.split_of(c) for c in owners} == {split}
    finally:
        chat_corpus._shuffled_windows.cache_clear()


def test_windows_are_bounded_deterministic_and_seeded():
    texts = chat_corpus.windows(500, 3, "train", max_words=12)
    assert all(chat_corpus.MIN_WORDS <= len(t.split()) <= 12 for t in texts)
    assert texts == chat_corpus.windows(500, 3, "train", max_words=12)
    assert texts != chat_corpus.windows(500, 4, "train", max_words=12)
    with pytest.raises(ValueError, match="split must be one of"):
        chat_corpus.windows(1, 0, "test")


def refusal(monkeypatch, path):
    """What chat_corpus.conversations() says of the dataset at `path` (its cache cleared around the call)."""
    monkeypatch.setattr(chat_corpus, "dataset_path", lambda: path)
    chat_corpus.conversations.cache_clear()
    try:
        with pytest.raises(HelmitError) as e:
            chat_corpus.conversations()
    finally:
        chat_corpus.conversations.cache_clear()
        monkeypatch.undo()
    return str(e.value)


def test_a_changed_unreadable_or_missing_dataset_is_refused(tmp_path, monkeypatch):
    assert refusal(monkeypatch, tmp_path / "dataset.json").startswith(
        f"{tmp_path / 'dataset.json'}: cannot read the chat dataset")
    changed = tmp_path / "dataset.json"
    changed.write_text(json.dumps({"c1": {"messages": [[{"text": "hi there you"}]]}}))
    assert refusal(monkeypatch, changed).startswith(f"{changed}: not the dataset this code was measured with")
    from importlib import metadata  # the real dataset_path, with the package gone

    def missing(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "distribution", missing)
    with pytest.raises(HelmitError, match=r"real chat needs the chitchat-dataset package: pip install -r requirements"):
        chat_corpus.dataset_path()


def test_chat_is_heard_around_harm_as_well_as_on_the_safe_side():
    import train_text

    rows = [(f"harmful sentence {i}", 1, "threat") for i in range(400)] + [(f"safe {i}", 0, "") for i in range(400)]
    chat = [f"chat message {i} here" for i in range(50)]
    out, n = train_text.with_context(rows, 0.25, seed=3, max_words=20, chat=chat)
    harmful_in_chat = [t for (t, y, _), (old, _, _) in zip(out, rows) if y == 1 and t != old and "chat message" in t]
    assert n > 0.15 * len(rows) and len(harmful_in_chat) > 5
    assert all("chat message" not in t for t, _, _ in train_text.with_context(rows, 0.25, seed=3, max_words=20)[0])


def test_the_benchmark_reports_how_much_real_chat_is_flagged(monkeypatch):
    import eval_text
    import text_model

    rows = eval_text.real_chat_heldout()
    assert len(rows) == eval_text.REAL_CHAT_HELDOUT and {r["label"] for r in rows} == {"0"}
    assert [r["text"] for r in rows] == chat_corpus.windows(eval_text.REAL_CHAT_HELDOUT, 7, "heldout")
    # a model that flags every text with the word "hi" in it
    monkeypatch.setattr(text_model, "predict_heard",  # each text heard once: its only hearing
                        lambda heard, model: (np.array([float("hi" in h[0].lower().split()) for h in heard]), None))
    m = eval_text.score(rows, {"threshold": 0.5})
    share = np.mean(["hi" in r["text"].lower().split() for r in rows])
    assert 0 < share < 0.2 and m["flagged"]["everyday"] == pytest.approx(share)
    assert m["roc_auc"] is None  # one class: no ranking to measure (report() also drops its balanced accuracy)



def test_chat_is_on_by_default_only_beside_generated_text(capsys):
    import train_text

    assert train_text.parse_args([]).chat == train_text.CHAT > 0
    assert train_text.parse_args(["--n_generated", "0"]).chat == 0  # your transcripts alone, as asked
    assert train_text.parse_args(["--n_generated", "0", "--chat", "50"]).chat == 50
    for bad in ("-1", str(train_text.CHAT_MAX + 1)):
        with pytest.raises(SystemExit) as exit_:
            train_text.parse_args(["--chat", bad])
        assert exit_.value.code == 2 and f"--chat must be between 0 and {train_text.CHAT_MAX}" in capsys.readouterr().err


def test_the_report_holds_no_nan_and_says_when_real_chat_is_missing(monkeypatch, capsys):
    import eval_text
    import text_model

    monkeypatch.setattr(text_model, "predict_heard",
                        lambda heard, model: (np.array([float("hurt" in h[0]) for h in heard]), ["threat"] * len(heard)))
    rep = eval_text.report({"threshold": 0.5})
    json.dumps(rep, allow_nan=False)  # null where a set measures nothing: JSON has no NaN
    chat = rep["real_chat_heldout"]
    assert chat["balanced_accuracy"] is None and chat["roc_auc"] is None and chat["category_accuracy"] is None
    row, = [line for line in eval_text.format_report(rep).splitlines() if line.startswith("real_chat_heldout")]
    assert row.split()[1:4] == ["2000", "-", "-"] and "nan" not in row
    gone = HelmitError("real chat needs the chitchat-dataset package: pip install -r requirements.txt")
    monkeypatch.setattr(chat_corpus, "windows", lambda *a, **k: (_ for _ in ()).throw(gone))
    assert "real_chat_heldout" not in eval_text.report({"threshold": 0.5})
    assert "warning: real chat left out of the report: real chat needs the chitchat-dataset" in capsys.readouterr().err


def test_the_command_line_refuses_a_negative_count():
    proc = run_script("chat_corpus.py", "--n", "-1", check=False)
    assert proc.returncode == 2 and "--n must be 0 or more, not -1" in proc.stderr
