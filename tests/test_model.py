import numpy as np
import pytest
import torch

from config import CFG
from model import CHECKPOINT_FORMAT, LiteAudioCNN, Wav2Vec2Classifier, build_model, load_checkpoint, save_checkpoint, storable_model_args
from scoring import clip_prob, harmful_probs
from utils_io import HelmitError


@pytest.mark.parametrize("width_mult", [0.5, 1.0])
def test_lite_cnn_any_length_and_width(width_mult):
    model = LiteAudioCNN(width_mult=width_mult).eval()
    for samples in (16000, 128000, 200001):
        assert model(torch.randn(3, samples)).shape == (3, 2)
    n_params = sum(p.numel() for p in model.parameters())
    assert n_params < 120_000 * width_mult ** 2 + 5_000  # a light model, as the name says
    assert [b[1][0].out_channels for b in model.blocks] == [round(c * width_mult) for c in (64, 128, 160, 192)]


@pytest.mark.parametrize("channels_last", [False, True])
def test_folded_batchnorm_gives_eval_modes_logits_in_either_mode(channels_last):
    """train.py picks windows with classify_folded: it must score as eval mode does, whatever the
    model's mode, and leave BatchNorm's statistics alone."""
    torch.manual_seed(0)
    model = LiteAudioCNN(width_mult=0.5)
    with torch.no_grad():
        for _ in range(3):  # running statistics away from their initial 0 mean, 1 variance
            model.train().classify(3 * torch.randn(4, CFG.n_mels, 60) + 1)
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):  # affine parameters away from 1 and 0
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    x = torch.randn(5, CFG.n_mels, 60)
    with torch.no_grad():
        expected = model.eval().classify(x)
        stats = model.stem[1].running_mean.clone()
        for mode in (False, True):
            folded = model.train(mode).classify_folded(x)
            torch.testing.assert_close(folded, expected, rtol=1e-4, atol=1e-5)
    assert torch.equal(model.stem[1].running_mean, stats)
    assert not torch.allclose(model.train().classify(x), expected, atol=1e-3)  # train mode does differ


def test_wav2vec2_frozen_by_default_and_unfreezes_last_layers(tiny_w2v_dir):
    frozen = Wav2Vec2Classifier(source=str(tiny_w2v_dir))
    assert not any(p.requires_grad for p in frozen.backbone.parameters())
    assert all(p.requires_grad for p in frozen.head.parameters())
    tuned = Wav2Vec2Classifier(source=str(tiny_w2v_dir), num_unfrozen_layers=1)
    layers = tuned.backbone.encoder.layers
    assert all(p.requires_grad for p in layers[-1].parameters())
    assert not any(p.requires_grad for p in layers[0].parameters())
    assert tuned.eval()(torch.randn(2, 16000)).shape == (2, 2)


def test_unreachable_hub_id_points_to_w2v_model(monkeypatch):
    import huggingface_hub.constants

    # what a machine without the hub sees, minus the network retries that take ~20 s
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(HelmitError, match="--w2v_model"):
        Wav2Vec2Classifier(source="facebook/wav2vec2-base")


def test_a_hub_id_fails_at_once_when_the_hub_does_not_answer(monkeypatch, tiny_w2v_dir):
    import huggingface_hub.constants
    from transformers import Wav2Vec2Model

    import model

    asked, real = [], Wav2Vec2Model.from_pretrained.__func__

    def recorded(cls, source, **kwargs):  # what huggingface_hub is asked: no network retries when offline
        asked.append((source, kwargs.get("local_files_only")))
        return real(cls, source, **kwargs)

    monkeypatch.setattr(Wav2Vec2Model, "from_pretrained", classmethod(recorded))
    monkeypatch.setattr(model, "hub_reachable", lambda timeout=5.0: False)
    with pytest.raises(HelmitError, match=r"^no-such-org/wav2vec2-x: cannot load a Wav2Vec2 model .*--w2v_model DIR"):
        Wav2Vec2Classifier(source="no-such-org/wav2vec2-x")
    assert asked == [("no-such-org/wav2vec2-x", True)]  # the local hub cache only
    monkeypatch.setenv("HOME", str(tiny_w2v_dir.parent))  # a folder written with ~ is a folder, loaded as one
    Wav2Vec2Classifier(source=f"~/{tiny_w2v_dir.name}")
    assert asked[-1] == (str(tiny_w2v_dir), False)
    # the probe itself: offline mode, a proxy, and an endpoint that refuses the connection
    monkeypatch.undo()
    for v in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(v, raising=False)
    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", "http://127.0.0.1:9")  # discard port: nothing listens
    assert model.hub_reachable(timeout=2.0) is False
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    assert model.hub_reachable(timeout=2.0) is True  # only the proxy can tell: left to huggingface_hub
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    assert model.hub_reachable(timeout=2.0) is False


def test_a_folder_of_another_model_or_a_mistyped_path_is_refused_before_any_weights_load(tmp_path):
    from transformers import BertConfig, BertModel

    BertModel(BertConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
                         vocab_size=100)).save_pretrained(tmp_path / "bert")
    with pytest.raises(HelmitError, match=r"bert: holds a 'bert' model, not a Wav2Vec2 one"):
        Wav2Vec2Classifier(source=str(tmp_path / "bert"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(HelmitError, match=r"empty: not a saved Wav2Vec2 model: cannot read its config.json"):
        Wav2Vec2Classifier(source=str(tmp_path / "empty"))
    with pytest.raises(HelmitError, match=r"typo: no such directory \(--w2v_model takes"):
        Wav2Vec2Classifier(source=str(tmp_path / "typo"))


def roundtrip(tmp_path, model, arch, model_args):
    ckpt = {"format_version": CHECKPOINT_FORMAT, "arch": arch, "model_args": storable_model_args(model, model_args),
            "state_dict": model.state_dict(), "threshold": 0.4}
    save_checkpoint(tmp_path / "m.pt", ckpt)
    raw = torch.load(tmp_path / "m.pt", weights_only=True)  # plain types only: no pickled objects
    assert raw["arch"] == arch
    loaded, _ = load_checkpoint(tmp_path / "m.pt")
    x = torch.randn(2, 24000)
    torch.testing.assert_close(loaded(x), model.eval()(x))
    return ckpt


def test_checkpoint_roundtrip_rebuilds_both_models_offline(tmp_path, tiny_w2v_dir):
    args = dict(n_classes=2, width_mult=0.5, dropout=0.1)
    roundtrip(tmp_path, build_model("LiteAudioCNN", args), "LiteAudioCNN", args)
    w_args = dict(n_classes=2, source=str(tiny_w2v_dir))
    ckpt = roundtrip(tmp_path, build_model("Wav2Vec2Classifier", w_args), "Wav2Vec2Classifier", w_args)
    assert ckpt["model_args"]["source"] is None and ckpt["model_args"]["backbone_config"]["hidden_size"] == 32


def test_checkpoint_refuses_newer_format_and_foreign_files(tmp_path):
    model = LiteAudioCNN()
    save_checkpoint(tmp_path / "new.pt", {"format_version": CHECKPOINT_FORMAT + 1, "arch": "LiteAudioCNN",
                                          "model_args": {}, "state_dict": model.state_dict()})
    with pytest.raises(HelmitError, match="newer"):
        load_checkpoint(tmp_path / "new.pt")
    save_checkpoint(tmp_path / "odd.pt", {"format_version": 1, "arch": "ResNet50", "model_args": {}, "state_dict": {}})
    with pytest.raises(HelmitError, match="unknown architecture"):
        load_checkpoint(tmp_path / "odd.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(HelmitError, match="junk.pt"):
        load_checkpoint(tmp_path / "junk.pt")
    save_checkpoint(tmp_path / "wrong.pt", {"format_version": 1, "arch": "LiteAudioCNN", "model_args": {"width_mult": 2.0},
                                            "state_dict": model.state_dict()})
    with pytest.raises(HelmitError, match="do not fit"):
        load_checkpoint(tmp_path / "wrong.pt")


def test_probabilities_and_window_aggregation():
    p = harmful_probs(np.array([[0.0, 0.0], [0.0, 10.0], [10.0, 0.0]]))
    np.testing.assert_allclose(p, [0.5, 1.0, 0.0], atol=1e-4)
    assert clip_prob([0.1, 0.9, 0.2]) == pytest.approx(0.9)
