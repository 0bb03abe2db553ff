"""Wav2Vec2Classifier poolings, its cacheable per-layer features and their disk cache (tiny random Wav2Vec2)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dataset import cached_w2v_features, w2v_window_features
from model import CHECKPOINT_FORMAT, Wav2Vec2Classifier, load_checkpoint, save_checkpoint, storable_model_args
from utils_audio import windows
from utils_io import HelmitError

POOLINGS = ["mean", "layers"]
N_STATES, HIDDEN = 3, 32  # the tiny backbone: CNN/projection output + 2 transformer layers, 32 wide
WINDOW, STRIDE = 8000, 4000  # 0.5 s windows: enough frames for the tiny backbone, and fast


def tiny(tiny_w2v_dir, pooling, **kwargs):
    torch.manual_seed(0)
    model = Wav2Vec2Classifier(source=str(tiny_w2v_dir), pooling=pooling, **kwargs).eval()
    if pooling == "layers":  # unequal weights, so a wrong weighting cannot pass by symmetry
        with torch.no_grad():
            model.layer_weights.copy_(torch.tensor([0.5, -1.0, 2.0]))
    return model


def random_waves(lengths, seed=0):
    rng = np.random.default_rng(seed)
    return [(0.1 * rng.standard_normal(n)).astype(np.float32) for n in lengths]


def old_forward(model, wave):
    """The plain pooled forward: head(mean over time of last_hidden_state), the reference the poolings must match."""
    wave = (wave - wave.mean(dim=1, keepdim=True)) / (wave.std(dim=1, keepdim=True) + 1e-5)
    return model.head(model.dropout(model.backbone(wave).last_hidden_state.mean(dim=1)))


@pytest.mark.parametrize("pooling", POOLINGS)
def test_forward_equals_classifying_cached_window_features(tiny_w2v_dir, pooling):
    model = tiny(tiny_w2v_dir, pooling)
    x = torch.randn(2, 12000)
    with torch.no_grad():
        feats = model.layer_means(x)
        assert feats.shape == (2, N_STATES, HIDDEN)
        torch.testing.assert_close(model.classify_features(feats), model(x))
    waves = random_waves([3000, 20000, 8000])
    # batch_size 3: batches mix windows of different clips, and the padded short clip
    cached = w2v_window_features(model, waves, WINDOW, STRIDE, batch_size=3)
    assert len(cached) == len(waves)
    for wave, feats in zip(waves, cached):
        batch = torch.from_numpy(windows(wave, WINDOW, STRIDE)[1])  # (n_windows, WINDOW)
        assert feats.dtype == np.float32 and feats.shape == (len(batch), N_STATES, HIDDEN)
        with torch.no_grad():
            logits = model.classify_features(torch.from_numpy(feats)).numpy()
            np.testing.assert_allclose(logits, model(batch).numpy(), atol=1e-5)


def test_feature_extraction_runs_in_eval_mode_and_restores_training(tiny_w2v_dir):
    model = tiny(tiny_w2v_dir, "mean").train()  # dropout would make two runs differ
    wave = random_waves([12000])
    first, second = (w2v_window_features(model, wave, WINDOW, STRIDE)[0] for _ in range(2))
    np.testing.assert_array_equal(first, second)
    assert model.training and torch.is_grad_enabled()


def test_mean_pooling_is_the_old_forward(tiny_w2v_dir):
    model = tiny(tiny_w2v_dir, "mean")
    x = torch.randn(2, 12000)
    with torch.no_grad():
        out = model.backbone(x, output_hidden_states=True)
        assert len(out.hidden_states) == N_STATES
        assert torch.equal(out.hidden_states[-1], out.last_hidden_state)
        torch.testing.assert_close(model(x), old_forward(model, x))


def test_mean_pooling_is_the_old_forward_for_stable_layer_norm_backbones():
    from transformers import Wav2Vec2Config

    # the large-lv60 / XLS-R layout: a final layer norm that transformers 5 leaves out of hidden_states[-1]
    cfg = Wav2Vec2Config(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                         conv_dim=(32,) * 7, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2,
                         do_stable_layer_norm=True, feat_extract_norm="layer")
    torch.manual_seed(0)
    model = Wav2Vec2Classifier(backbone_config=cfg.to_dict()).eval()
    x = torch.randn(2, 12000)
    with torch.no_grad():
        torch.testing.assert_close(model(x), old_forward(model, x))


def test_layers_pooling_is_superb_weighting_frame_by_frame(tiny_w2v_dir):
    model = tiny(tiny_w2v_dir, "layers")
    x = torch.randn(2, 12000)
    with torch.no_grad():
        wave = (x - x.mean(dim=1, keepdim=True)) / (x.std(dim=1, keepdim=True) + 1e-5)
        hidden = torch.stack(model.backbone(wave, output_hidden_states=True).hidden_states)  # (L+1, B, T, H)
        weights = torch.softmax(model.layer_weights, dim=0)
        frames = (weights[:, None, None, None] * hidden).sum(dim=0)  # (B, T, H): weighted before the mean
        torch.testing.assert_close(model(x), model.head(frames.mean(dim=1)))


def test_layer_weights_start_uniform_and_learn(tiny_w2v_dir):
    model = Wav2Vec2Classifier(source=str(tiny_w2v_dir), pooling="layers").train()
    assert model.layer_weights.shape == (N_STATES,)
    assert model.layer_weight_summary() == pytest.approx([1 / N_STATES] * N_STATES)
    torch.manual_seed(0)
    # the tiny config has LayerDrop 0.1: a skipped layer in training would shorten the stack
    assert all(model.layer_means(torch.randn(1, 4000)).shape == (1, N_STATES, HIDDEN) for _ in range(20))
    F.cross_entropy(model(torch.randn(4, 12000)), torch.tensor([0, 1, 0, 1])).backward()
    assert model.layer_weights.grad is not None and model.layer_weights.grad.abs().sum() > 0
    assert all(p.grad is None for p in model.backbone.parameters())  # the backbone stays frozen
    mean = Wav2Vec2Classifier(source=str(tiny_w2v_dir))
    assert not hasattr(mean, "layer_weights") and mean.layer_weight_summary() is None


def test_unknown_pooling_is_a_clear_error(tiny_w2v_dir):
    with pytest.raises(HelmitError, match="mean, layers"):
        Wav2Vec2Classifier(source=str(tiny_w2v_dir), pooling="attention")


def cache_files(cache):
    return sorted(p.name for p in cache.iterdir())


def test_feature_cache_hits_misses_and_writes_atomically(tiny_w2v_dir, tmp_path):
    model, cache = tiny(tiny_w2v_dir, "layers"), tmp_path / "cache"
    paths, waves = ["harmful/a.wav", "safe/b.wav", "safe/c.wav"], random_waves([6000, 12000, 20000])
    first, n_computed = cached_w2v_features(model, paths, waves, WINDOW, STRIDE, cache)
    assert n_computed == 3
    for got, want in zip(first, w2v_window_features(model, waves, WINDOW, STRIDE)):
        np.testing.assert_allclose(got, want, atol=1e-6)
    names = cache_files(cache)
    assert len(names) == 3 and all(n.endswith(".npy") and not n.startswith(".") for n in names)  # no temp files

    again, n_computed = cached_w2v_features(model, paths, waves, WINDOW, STRIDE, cache)
    assert n_computed == 0 and all(np.array_equal(a, b) for a, b in zip(again, first))
    with torch.no_grad():
        model.head.weight.add_(1.0)  # the head is not part of the features: the cache still holds
    assert cached_w2v_features(model, paths, waves, WINDOW, STRIDE, cache)[1] == 0

    edited = [waves[0], random_waves([12000], seed=1)[0], waves[2]]
    feats, n_computed = cached_w2v_features(model, paths, edited, WINDOW, STRIDE, cache)
    assert n_computed == 1 and np.array_equal(feats[0], first[0]) and np.array_equal(feats[2], first[2])
    np.testing.assert_allclose(feats[1], w2v_window_features(model, edited[1:2], WINDOW, STRIDE)[0], atol=1e-6)

    assert cached_w2v_features(model, paths, waves, WINDOW, STRIDE + 1, cache)[1] == 3  # other windowing
    with torch.no_grad():
        weight = model.backbone.encoder.layers[0].feed_forward.output_dense.weight  # not a bias: LayerNorm hides a shift
        weight.add_(0.1 * torch.randn_like(weight))
    feats, n_computed = cached_w2v_features(model, paths, waves, WINDOW, STRIDE, cache)
    assert n_computed == 3 and not np.allclose(feats[0], first[0])
    assert len(cache_files(cache)) == 3 + 1 + 3 + 3 and all(n.endswith(".npy") for n in cache_files(cache))


def test_feature_cache_recomputes_a_damaged_file_and_refuses_a_trainable_backbone(tiny_w2v_dir, tmp_path):
    model, cache = tiny(tiny_w2v_dir, "mean"), tmp_path / "cache"
    paths, waves = ["a.wav", "b.wav"], random_waves([6000, 9000])
    first, _ = cached_w2v_features(model, paths, waves, WINDOW, STRIDE, cache)
    (cache / cache_files(cache)[0]).write_bytes(b"truncated")
    feats, n_computed = cached_w2v_features(model, paths, waves, WINDOW, STRIDE, cache)
    assert n_computed == 1
    for got, want in zip(feats, first):  # recomputed in a batch of its own: float noise only
        np.testing.assert_allclose(got, want, atol=1e-6)
    model.set_trainable_layers(1)
    with pytest.raises(HelmitError, match="frozen"):
        cached_w2v_features(model, paths, waves, WINDOW, STRIDE, cache)


def test_layers_checkpoint_roundtrip(tiny_w2v_dir, tmp_path):
    args = dict(n_classes=2, source=str(tiny_w2v_dir), pooling="layers")
    model = tiny(tiny_w2v_dir, "layers")
    save_checkpoint(tmp_path / "w.pt", {"format_version": CHECKPOINT_FORMAT, "arch": "Wav2Vec2Classifier",
                                        "model_args": storable_model_args(model, args),
                                        "state_dict": model.state_dict(), "threshold": 0.5})
    loaded, ckpt = load_checkpoint(tmp_path / "w.pt")
    assert ckpt["model_args"]["pooling"] == "layers" and loaded.pooling == "layers"
    torch.testing.assert_close(loaded.layer_weights, model.layer_weights)
    x = torch.randn(2, 12000)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), model(x))


def test_layers_model_exports_to_onnx(tiny_w2v_dir, tmp_path):
    from export_onnx import MAX_ABS_DIFF, export, max_diff_vs_torch

    model, path = tiny(tiny_w2v_dir, "layers"), str(tmp_path / "w.onnx")
    export(model, torch.randn(2, 16000), path)
    # another batch size and an odd length than the export's example: the axes must stay dynamic
    waves = random_waves([16000, 9037], seed=2)
    assert max_diff_vs_torch(model, path, waves) <= MAX_ABS_DIFF
