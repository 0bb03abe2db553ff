"""average_text_models.py: text models of one encoder averaged weight by weight into one self-describing model."""
import json

import numpy as np
import pytest

import average_text_models
import text_model
from conftest import run_main, run_script
from utils_io import HelmitError, file_sha256


def member(tiny_text_base, out, seed, **training):
    """A text model directory as train_text.py writes one, from the tiny encoder with its weights moved by a
    seeded step (a stand-in for fine-tuning: the members must differ for their average to mean anything)."""
    import torch

    import text_encoder
    from config import HARM_CATEGORIES

    module, tokenizer, provenance = text_encoder.load_for_training(tiny_text_base)
    torch.manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(0.05 * torch.randn_like(p))
    meta = {"format": text_model.FORMAT, "format_version": text_model.FORMAT_VERSION, "kind": "encoder",
            "categories": list(HARM_CATEGORIES), "max_length": 48, "pad_id": int(tokenizer.pad_token_id or 0),
            "threshold": 0.5, "base": provenance, "window_words": 32, "window_stride": 16,
            "training": dict({"generated": 100, "written": 10, "written_copies": 3, "written_files": [f"w{seed}.csv"],
                              "twin_files": [], "asr_transcripts": [], "transcripts": []}, **training)}
    text_encoder.save_model_dir(out, module, tokenizer, meta, int8=False)
    return out


def weights(path):
    from safetensors.torch import load_file

    return load_file(path / "weights.safetensors")


@pytest.fixture(scope="module")
def members(tiny_text_base, tmp_path_factory):
    root = tmp_path_factory.mktemp("members")
    return (member(tiny_text_base, root / "a", 1),
            member(tiny_text_base, root / "b", 2, transcripts=["my_clips.csv"], adapted_on="fold_clips.csv"))


def test_the_average_is_each_weights_mean_scored_and_named_by_its_members(members, tmp_path):
    a, b = members
    out = tmp_path / "avg"
    # --no_int8: the INT8 file and its check are train_text.py's own (text_encoder.save_model_dir, check_int8)
    proc = run_main("average_text_models.py", "--models", a, b, "--out", out, "--no_int8")
    wa, wb, wo = weights(a), weights(b), weights(out)
    assert wo.keys() == wa.keys()
    for k in wo:
        assert np.allclose(wo[k].numpy(), (wa[k].double().numpy() + wb[k].double().numpy()) / 2, atol=1e-7), k
    assert any(not np.allclose(wa[k].numpy(), wb[k].numpy()) for k in wa if wa[k].is_floating_point())
    # the exported graph scores as the averaged weights do in PyTorch
    import text_encoder

    module, tokenizer, _ = text_encoder.load_for_training(init=out)
    texts = ["i will find you after school", "good game everyone", "send me a picture and keep it secret"]
    harm, cats = text_encoder.torch_logits(module, tokenizer, [text_model.normalise_text(t) for t in texts], max_length=48)
    o_harm, o_cats = text_model.encoder_logits(texts, text_model.load(out))
    np.testing.assert_allclose(o_harm, harm, atol=1e-4)
    np.testing.assert_allclose(o_cats, cats, atol=1e-4)
    meta = json.loads((out / "text_model.json").read_text())
    assert [m["weights_sha256"] for m in meta["training"]["averaged"]] == [file_sha256(p / "weights.safetensors")
                                                                          for p in (a, b)]
    assert meta["training"]["written_files"] == ["w1.csv", "w2.csv"]  # an adaptation replays both members' text
    # and fusion.py still knows every clip b learned: trained on (train_text.py) and adapted on (fusion.py --adapt)
    assert sorted(meta["training"]["transcripts"]) == ["fold_clips.csv", "my_clips.csv"]
    assert "steps" not in meta["training"]  # a member's own schedule is its own, under "averaged"
    assert "part12" in meta["metrics"] and "part12" in proc.stdout  # scored on the benchmark, as any new model


def test_members_of_another_encoder_tokenizer_or_shape_are_refused_and_nothing_is_written(members, tmp_path):
    a, b = members
    for change, message in ((lambda m: m["base"].update(sha256="0" * 64), "fine-tuned from another encoder"),
                            (lambda m: m.update(max_length=64), r"its max_length \(64\) is not"),
                            (lambda m: m["files"].update({"tokenizer.json": "0" * 64}), "its tokenizer.json is not"),
                            (lambda m: m.update(kind="ngram"), "has no weights to average")):
        m = json.loads((b / "text_model.json").read_text())
        change(m)
        with pytest.raises(HelmitError, match=message):
            average_text_models.check_members([a, b], [text_model.load(a), m])
    with pytest.raises(HelmitError, match="at least two"):
        average_text_models.check_members([a], [text_model.load(a)])
    proc = run_script("average_text_models.py", "--models", a, a, "--out", tmp_path / "avg", check=False)
    assert proc.returncode == 1 and "a model is named twice" in proc.stderr and not (tmp_path / "avg").exists()


def test_a_damaged_member_weights_file_is_named(members, tmp_path):
    a, b = members
    damaged = tmp_path / "b"
    for f in b.rglob("*"):
        if f.is_file():
            (damaged / f.relative_to(b)).parent.mkdir(parents=True, exist_ok=True)
            (damaged / f.relative_to(b)).write_bytes(f.read_bytes())
    blob = bytearray((damaged / "weights.safetensors").read_bytes())
    blob[-1] ^= 0xFF
    (damaged / "weights.safetensors").write_bytes(bytes(blob))
    proc = run_script("average_text_models.py", "--models", a, damaged, "--out", tmp_path / "avg", check=False)
    assert proc.returncode == 1 and str(damaged) in proc.stderr and "weights.safetensors" in proc.stderr
    assert not (tmp_path / "avg").exists()
