"""The exported front end (FFT as MatMuls) and the sparse storage of the mel filterbank: the same
numbers as torchaudio and PyTorch, in a smaller, faster graph."""
import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
import torchaudio

import export_onnx
from config import CFG
from model import LiteAudioCNN
from scoring import store_dense_constants, store_sparse_constants


@pytest.mark.parametrize("n_fft, hop", [(512, 256), (512, 160), (400, 160)])
def test_fft_mel_power_matches_torchaudio(n_fft, hop):
    # (512, 256) is Helmit's default (frames from whole blocks); 160 does not divide 512 (the
    # unfold path); 400 = 20 x 20 is not a power of two
    mel = torchaudio.transforms.MelSpectrogram(sample_rate=16000, n_fft=n_fft, hop_length=hop, n_mels=64,
                                               f_min=60.0, f_max=8000.0, power=2.0)
    fast = export_onnx.FftMelPower(mel)
    assert fast.n1 * fast.n2 == n_fft and fast.n1 > 1
    torch.manual_seed(0)
    for samples in (1024, 16000, 40001):
        x = torch.randn(2, samples)
        ref, got = mel(x), fast(x)
        assert got.shape == ref.shape
        assert (got - ref).abs().max() <= 1e-5 * ref.abs().max()


def test_only_the_settings_it_reproduces_are_replaced():
    model = LiteAudioCNN(width_mult=0.25).eval()
    assert isinstance(export_onnx.exportable(model).frontend.mel, export_onnx.FftMelPower)
    assert export_onnx.exportable(model) is not model and model.frontend.mel.__class__.__name__ == "MelSpectrogram"
    model.frontend.mel.spectrogram.center = False  # a setting FftMelPower does not implement: left alone
    assert export_onnx.exportable(model) is model


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    torch.manual_seed(0)
    model = LiteAudioCNN(width_mult=0.25).eval()
    path = tmp_path_factory.mktemp("export") / "m.onnx"
    export_onnx.export(model, torch.randn(2, 16000), str(path))
    return model, export_onnx.compact(onnx.load(path))


def test_exported_graph_has_no_stft_and_a_sparse_filterbank(exported):
    model, proto = exported
    ops = [n.op_type for n in proto.graph.node]
    assert "STFT" not in ops and "DFT" not in ops and ops.count("MatMul") >= 3
    sparse = [n for n in proto.graph.node if n.op_type == "Constant" and n.attribute[0].name == "sparse_value"]
    assert [n.output[0] for n in sparse] == ["frontend.mel.fb"]
    fb = model.frontend.mel.mel_scale.fb
    assert sparse[0].attribute[0].sparse_tensor.values.dims == [int((fb != 0).sum())]
    onnx.checker.check_model(proto, full_check=True)


def test_exported_graph_matches_pytorch_on_any_length_and_silence(exported):
    model, proto = exported
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    torch.manual_seed(1)
    for x in (0.1 * torch.randn(2, 3 * 16000 + 37), torch.zeros(1, 16000), 0.3 * torch.randn(1, 1024)):
        with torch.no_grad():
            ref = model(x).numpy()
        got = session.run(["logits"], {"waveform": x.numpy()})[0]
        assert np.isfinite(got).all() and np.abs(got - ref).max() <= 1e-4


def test_sparse_and_dense_storage_round_trip(exported):
    _, proto = exported
    dense = onnx.ModelProto()
    dense.CopyFrom(proto)
    assert store_dense_constants(dense) == ["frontend.mel.fb"]
    assert not any(n.op_type == "Constant" for n in dense.graph.node)
    dense_fb_bytes = (CFG.n_fft // 2 + 1) * CFG.n_mels * 4
    assert dense.ByteSize() > proto.ByteSize() + 0.75 * dense_fb_bytes  # the n_freqs x n_mels floats back in the file
    x = np.random.default_rng(0).standard_normal((1, 20000)).astype(np.float32)
    run = lambda p: ort.InferenceSession(p.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"waveform": x})[0]  # noqa: E731
    assert np.array_equal(run(dense), run(proto))
    assert store_sparse_constants(dense) == ["frontend.mel.fb"] and dense.ByteSize() == proto.ByteSize()
