"""The two models, built by name from plain constructor arguments, and the checkpoint format.

A checkpoint is a dict of plain types and tensors (loads with `weights_only=True`) holding the
architecture name and its constructor arguments, so any later stage rebuilds the model with no
flags (the nanoGPT `model_args` habit).
"""
import json
import math
from pathlib import Path

import numpy as np

import torch
from torch import nn

from config import CFG
from utils_audio import LogMel, frontend_args, windows
from utils_io import HelmitError, atomic_output

CHECKPOINT_FORMAT = 1  # bump when the checkpoint layout changes; loaders refuse newer ones


def conv_bn_relu(c_in, c_out, stride=1, groups=1, kernel=3):
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=kernel // 2, groups=groups, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


def depthwise_separable(c_in, c_out, stride=2):
    """3x3 depthwise conv then 1x1 pointwise conv: ~8x fewer weights than a full 3x3 conv."""
    return nn.Sequential(conv_bn_relu(c_in, c_in, stride, groups=c_in), conv_bn_relu(c_in, c_out, kernel=1))


class LiteAudioCNN(nn.Module):
    """Waveform -> log-mel (frozen front end) -> conv stem -> 4 depthwise-separable blocks -> logits."""

    CHANNELS = (32, 64, 128, 160, 192)

    def __init__(self, n_classes=2, width_mult=1.0, dropout=0.3, frontend=None):
        super().__init__()
        self.frontend = LogMel(**(frontend or frontend_args(CFG)))
        ch = [max(8, int(round(c * width_mult))) for c in self.CHANNELS]
        self.stem = conv_bn_relu(1, ch[0], stride=2)
        self.blocks = nn.Sequential(*[depthwise_separable(a, b) for a, b in zip(ch[:-1], ch[1:])])
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(ch[-1], n_classes)

    def classify(self, logmel):
        x = self.stem(logmel[:, None])  # (B, 1, n_mels, T) -> (B, C0, n_mels/2, T/2)
        x = self.blocks(x)              # (B, C4, n_mels/32, T/32)
        x = x.mean(dim=(2, 3))          # (B, C4): global average pool
        return self.head(self.dropout(x))

    def forward(self, wave):            # (B, S) -> (B, n_classes)
        return self.classify(self.frontend(wave))


def load_wav2vec2_backbone(source):
    """A Wav2Vec2Model from a local directory (save_pretrained) or a Hugging Face hub id."""
    from transformers import Wav2Vec2Model

    try:
        return Wav2Vec2Model.from_pretrained(source)
    except (OSError, ValueError) as e:
        hint = "" if Path(source).is_dir() else (
            " If this machine cannot reach the Hugging Face hub, download the model elsewhere, "
            "save it with save_pretrained() and pass its directory with --w2v_model DIR.")
        raise HelmitError(f"{source}: cannot load a Wav2Vec2 model ({str(e).splitlines()[0]}).{hint}") from None


POOLINGS = ("mean", "layers")


class Wav2Vec2Classifier(nn.Module):
    """Pretrained Wav2Vec2 -> per-layer mean over time -> pooled over layers -> linear head.

    pooling="mean" uses the last hidden state only; "layers" learns a softmax-weighted sum of all
    hidden states (the CNN/projection output plus every transformer layer), as in the SUPERB
    benchmark: with a frozen backbone and little data, middle layers often carry more than the last.
    Built either from `source` (hub id or directory, pretrained weights) or from `backbone_config`
    (a config dict, weights come from a checkpoint), so checkpoints rebuild with no hub access.
    """

    def __init__(self, n_classes=2, source=None, backbone_config=None, num_unfrozen_layers=0, dropout=0.1,
                 pooling="mean"):
        super().__init__()
        if pooling not in POOLINGS:
            raise HelmitError(f"unknown Wav2Vec2 pooling {pooling!r}; use one of {', '.join(POOLINGS)}")
        if backbone_config is not None:
            from transformers import Wav2Vec2Config, Wav2Vec2Model

            self.backbone = Wav2Vec2Model(Wav2Vec2Config.from_dict(backbone_config))
        else:
            self.backbone = load_wav2vec2_backbone(source or CFG.w2v_model)
        self.pooling = pooling
        if pooling == "layers":
            # LayerDrop skips whole layers in training, which would shorten the stack of hidden states
            self.backbone.config.layerdrop = 0.0
            # zeros: softmax starts uniform, every layer counts the same until training says otherwise
            self.layer_weights = nn.Parameter(torch.zeros(self.backbone.config.num_hidden_layers + 1))
        self.set_trainable_layers(num_unfrozen_layers)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(self.backbone.config.hidden_size, n_classes)

    def set_trainable_layers(self, n):
        """Freeze the backbone except its last `n` transformer layers (0 = frozen, as default)."""
        self.num_unfrozen_layers = n
        self.backbone.requires_grad_(False)
        layers = self.backbone.encoder.layers
        for layer in list(layers)[len(layers) - n:] if n > 0 else []:
            layer.requires_grad_(True)

    def layer_means(self, wave):        # (B, S) -> (B, L+1, H)
        """Mean over time of every hidden state: all a frozen backbone contributes, so it can be cached."""
        # wav2vec2-base was pretrained on zero-mean, unit-variance input (do_normalize=True).
        wave = (wave - wave.mean(dim=1, keepdim=True)) / (wave.std(dim=1, keepdim=True) + 1e-5)
        out = self.backbone(wave, output_hidden_states=True)
        # transformers 5 records hidden_states[-1] before the final layer norm of stable-layer-norm
        # models (large-lv60, XLS-R); last_hidden_state keeps "mean" pooling what it always was.
        hidden = (*out.hidden_states[:-1], out.last_hidden_state)  # L+1 x (B, frames, H)
        return torch.stack([h.mean(dim=1) for h in hidden], dim=1)  # (B, L+1, H)

    def classify_features(self, feats):  # (B, L+1, H) -> (B, n_classes)
        if self.pooling == "layers":
            # SUPERB weights the layers frame by frame and then averages over time; both steps are
            # linear, so weighting the per-layer time means (cacheable) gives the same vector.
            weights = torch.softmax(self.layer_weights, dim=0)
            pooled = (weights[:, None] * feats).sum(dim=1)  # (L+1, 1) * (B, L+1, H) -> (B, H)
        else:
            pooled = feats[:, -1]  # (B, H): the last hidden state, averaged over time
        return self.head(self.dropout(pooled))

    def forward(self, wave):            # (B, S) -> (B, n_classes)
        return self.classify_features(self.layer_means(wave))

    def layer_weight_summary(self):
        """Softmax layer weights as floats (index 0 = CNN features) for logging; None unless "layers"."""
        if self.pooling != "layers":
            return None
        return torch.softmax(self.layer_weights.detach().float(), dim=0).cpu().tolist()


ARCHITECTURES = {"LiteAudioCNN": LiteAudioCNN, "Wav2Vec2Classifier": Wav2Vec2Classifier}


def build_model(arch, model_args):
    if arch not in ARCHITECTURES:
        raise HelmitError(f"unknown architecture {arch!r}; this Helmit knows {', '.join(ARCHITECTURES)}")
    return ARCHITECTURES[arch](**model_args)


def storable_model_args(model, model_args):
    """Constructor args that rebuild `model` offline (a Wav2Vec2 hub id becomes its config)."""
    if isinstance(model, Wav2Vec2Classifier):
        return {**model_args, "source": None, "backbone_config": model.backbone.config.to_dict()}
    return model_args


def save_checkpoint(path, ckpt):
    with atomic_output(path, mode=None) as tmp:
        torch.save(ckpt, tmp)


def load_checkpoint(path, map_location="cpu"):
    """(model in eval mode, checkpoint dict). Refuses files that are not Helmit checkpoints."""
    path = Path(path)
    if not path.is_file():
        raise HelmitError(f"{path}: checkpoint not found")
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:
        # torch's message advises weights_only=False, which would run code from the file: not passed on
        raise HelmitError(f"{path}: not a Helmit checkpoint, or damaged ({type(e).__name__} while loading "
                          "it as plain tensors)") from None
    if isinstance(ckpt, dict) and "optimizer" in ckpt and "arch" not in ckpt:
        raise HelmitError(f"{path}: a train.py progress file (for --resume), not a checkpoint; finish the "
                          "run with train.py --resume and use the checkpoint it writes")
    if not isinstance(ckpt, dict) or "arch" not in ckpt or "state_dict" not in ckpt:
        raise HelmitError(f"{path}: not a Helmit checkpoint (no 'arch'/'state_dict')")
    version = ckpt.get("format_version", 0)
    if not isinstance(version, int) or isinstance(version, bool):
        raise HelmitError(f"{path}: format_version {version!r} is not an integer; the file is damaged or edited")
    if version > CHECKPOINT_FORMAT:
        raise HelmitError(f"{path}: checkpoint format {version} is newer than this "
                          f"Helmit understands ({CHECKPOINT_FORMAT}); update Helmit")
    arch, model_args, state = ckpt["arch"], ckpt.get("model_args", {}), ckpt["state_dict"]
    if not isinstance(model_args, dict) or not isinstance(state, dict):
        raise HelmitError(f"{path}: 'model_args' and 'state_dict' must be dicts; the file is damaged or edited")
    try:
        model = build_model(arch, model_args)
    except HelmitError as e:
        raise HelmitError(f"{path}: {e}") from None
    except (TypeError, ValueError) as e:  # an argument the constructor does not take, or a bad value
        raise HelmitError(f"{path}: model_args do not fit {arch} ({first_line(e)})") from None
    mismatch = state_dict_mismatch(model.state_dict(), state)
    if mismatch:
        raise HelmitError(f"{path}: weights do not fit {arch} with its model_args ({mismatch}); they come "
                          "from another architecture or size, or the file was edited")
    try:
        model.load_state_dict(state)
    except (RuntimeError, TypeError, AttributeError) as e:  # right names and shapes, but not tensors
        raise HelmitError(f"{path}: weights do not fit {arch} ({first_line(e)[:160]})") from None
    return model.eval(), ckpt


def first_line(e):
    return (str(e).splitlines() or [type(e).__name__])[0]


def state_dict_mismatch(expected, got):
    """'' when `got` has exactly the tensors (names and shapes) of `expected`, else what differs."""
    missing = [k for k in expected if k not in got]
    unexpected = [k for k in got if k not in expected]
    reshaped = [k for k in expected if k in got and tuple(getattr(got[k], "shape", ())) != tuple(expected[k].shape)]
    parts = []
    if missing:
        parts.append(f"{len(missing)} missing, e.g. {missing[0]}")
    if unexpected:
        parts.append(f"{len(unexpected)} unexpected, e.g. {unexpected[0]}")
    if reshaped:
        k = reshaped[0]
        parts.append(f"{len(reshaped)} of another shape, e.g. {k} {list(getattr(got[k], 'shape', ()))} "
                     f"instead of {list(expected[k].shape)}")
    return "; ".join(parts)


def _finite(value):
    try:
        return not isinstance(value, (bool, str)) and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def check_checkpoint_settings(ckpt, path):
    """What export copies into the ONNX metadata must be usable, and agree with the model itself."""
    audio, classes, threshold = ckpt.get("audio"), ckpt.get("class_names"), ckpt.get("threshold")
    model_args = ckpt.get("model_args", {})
    frontend = model_args.get("frontend") or {}
    if not isinstance(audio, dict) or not all(_finite(audio.get(k)) and audio[k] > 0
                                              for k in ("sample_rate", "clip_seconds")):
        problem = f"'audio' is {str(audio)[:80]}, without a positive sample_rate and clip_seconds"
    elif not _is_list_of(str, 2)(classes):
        problem = f"'class_names' is {classes!r}, not a list of 2 class names"
    elif not _finite(threshold):
        problem = f"'threshold' is {threshold!r}, not a finite number"
    elif model_args.get("n_classes", 2) != len(classes):
        problem = f"model_args n_classes {model_args['n_classes']} contradicts class_names {classes}"
    elif any(audio.get(k, v) != v for k, v in frontend.items()):
        k = next(k for k, v in frontend.items() if audio.get(k, v) != v)
        problem = f"the model's front end was built with {k}={frontend[k]} but 'audio' records {k}={audio[k]}"
    else:
        return
    raise HelmitError(f"{path}: {problem}; the checkpoint is damaged or was edited")


def harmful_probs(logits):
    """Softmax probability of the harmful class (index 1) for a (B, 2) numpy array of logits."""
    logits = np.asarray(logits, dtype=np.float64)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return (e[:, 1] / e.sum(axis=1)).astype(np.float32)


def decision(p_harm, threshold):
    """The predictions-CSV fields of one clip: pred, prob (confidence of pred), prob_harmful.

    Full precision: a rounded score could land on the other side of the threshold than `pred`.
    """
    pred = int(p_harm >= threshold)
    return {"pred": pred, "prob": float(p_harm if pred else 1 - p_harm), "prob_harmful": float(p_harm)}


def clip_prob(window_probs):
    """A clip's harmful score from its windows: the max, because one harmful turn is enough."""
    return float(np.max(window_probs))


# --- ONNX files: metadata that makes them self-describing, and scoring with ONNX Runtime ---

def onnx_metadata(ckpt) -> dict:
    """Everything inference needs, as strings (ONNX metadata_props are string -> string)."""
    audio = ckpt["audio"]
    return {
        "helmit_format": str(ONNX_FORMAT),
        "arch": ckpt["arch"],
        "class_names": json.dumps(ckpt["class_names"]),
        "sample_rate": str(audio["sample_rate"]),
        "window_seconds": str(audio["clip_seconds"]),
        "threshold": repr(float(ckpt["threshold"])),
        "audio": json.dumps(audio),
        "model_args": json.dumps({k: v for k, v in ckpt["model_args"].items() if k != "backbone_config"}),
        "metrics": json.dumps(ckpt.get("metrics", {})),
        # which clips the model saw, so infer_dataset.py can mark training clips in its `split` column
        "train_clips": json.dumps(ckpt.get("train_clips", [])),
        "val_clips": json.dumps(ckpt.get("val_clips", [])),
        "test_clips": json.dumps(ckpt.get("test_clips", [])),
        "data_root": str(ckpt.get("train_args", {}).get("data_root", "")),
    }


MIN_WINDOW_SEC = 0.1  # the exported graph needs at least 1024 samples (one STFT frame plus padding)
ONNX_FORMAT = 1  # `helmit_format` in the ONNX metadata; bump when it changes, readers refuse newer ones


def _is_list_of(kind, n=None):
    return lambda v: isinstance(v, list) and all(isinstance(x, kind) for x in v) and (n is None or len(v) == n)


# key, required, parse, valid, what a valid value is: what inference reads, checked before it runs
METADATA_FIELDS = (
    ("helmit_format", True, int, lambda v: v >= 1, "a format number"),
    ("arch", True, str, lambda v: v in ARCHITECTURES, f"one of {', '.join(ARCHITECTURES)}"),
    ("class_names", True, json.loads, _is_list_of(str, 2), "a JSON list of 2 class names"),
    ("sample_rate", True, int, lambda v: v > 0, "a positive integer"),
    ("window_seconds", True, float, lambda v: math.isfinite(v) and v >= MIN_WINDOW_SEC,
     f"a number of seconds >= {MIN_WINDOW_SEC}"),
    ("threshold", True, float, math.isfinite, "a finite number"),
    *((f"{s}_clips", False, json.loads, _is_list_of(str), "a JSON list of paths") for s in ("train", "val", "test")),
)


def _metadata_ok(meta, key, parse, valid):
    try:
        return valid(parse(meta[key]))
    except (ValueError, TypeError):  # json.JSONDecodeError is a ValueError
        return False


def check_metadata(meta, path):
    """Raise a HelmitError naming the first metadata value that is too new, missing or garbled."""
    version = meta.get("helmit_format", "")
    if version.isdigit() and int(version) > ONNX_FORMAT:
        raise HelmitError(f"{path}: Helmit ONNX format {version} is newer than this Helmit understands "
                          f"({ONNX_FORMAT}); update Helmit")
    for key, required, parse, valid, what in METADATA_FIELDS:
        if key not in meta and required:
            problem = "is missing"
        elif key in meta and not _metadata_ok(meta, key, parse, valid):
            problem = f"is {meta[key][:60]!r}, not {what}"
        else:
            continue
        raise HelmitError(f"{path}: Helmit metadata {key!r} {problem}; the file was damaged or edited "
                          "(export it again with export_onnx.py)")


def read_metadata(onnx_path) -> dict:
    """Metadata of a Helmit ONNX file; a clear error when the file is not one."""
    onnx_path = Path(onnx_path)
    if not onnx_path.is_file():
        raise HelmitError(f"{onnx_path}: ONNX file not found")
    if onnx_path.stat().st_size == 0:  # protobuf reads zero bytes as an empty, valid model
        raise HelmitError(f"{onnx_path}: empty file (0 bytes), not an ONNX model")
    import onnx

    try:
        proto = onnx.load(str(onnx_path), load_external_data=False)
    except Exception as e:
        raise HelmitError(f"{onnx_path}: not an ONNX model ({first_line(e)[:120]})") from None
    meta = {p.key: p.value for p in proto.metadata_props}
    if "helmit_format" not in meta:
        raise HelmitError(f"{onnx_path}: not a Helmit model (no helmit metadata); export it with export_onnx.py")
    check_metadata(meta, onnx_path)
    return meta


def set_metadata(proto, meta):
    del proto.metadata_props[:]
    for k, v in meta.items():
        proto.metadata_props.add(key=k, value=v)


def store_sparse_constants(proto, min_bytes=4096, max_nonzero_share=0.25):
    """Store mostly-zero float initializers as Constant nodes with a sparse value; returns their names.

    The mel filterbank is 0.4% non-zero and was over half of the INT8 CNN file. ONNX Runtime
    expands a sparse constant once, when it loads the model, so inference is unchanged. Sparse
    storage costs 12 bytes per non-zero (int64 index + float), so it only pays below ~1/3 non-zero.
    """
    from onnx import TensorProto, helper, numpy_helper

    graph_inputs = {i.name for i in proto.graph.input}
    keep, constants = [], []
    for init in proto.graph.initializer:
        if (init.data_type != TensorProto.FLOAT or init.name in graph_inputs
                or 4 * math.prod(init.dims) < min_bytes):
            keep.append(init)
            continue
        flat = numpy_helper.to_array(init).reshape(-1)
        nonzero = np.flatnonzero(flat)
        if len(nonzero) > max_nonzero_share * len(flat):
            keep.append(init)
            continue
        sparse = helper.make_sparse_tensor(numpy_helper.from_array(flat[nonzero], init.name),
                                           numpy_helper.from_array(nonzero.astype(np.int64), init.name + "_indices"),
                                           list(init.dims))
        constants.append(helper.make_node("Constant", [], [init.name], name=init.name + "_sparse", sparse_value=sparse))
    if constants:
        del proto.graph.initializer[:]
        proto.graph.initializer.extend(keep)
        nodes = constants + list(proto.graph.node)  # constants first: the node list must stay topologically sorted
        del proto.graph.node[:]
        proto.graph.node.extend(nodes)
        # shape inference types a sparse constant as a sparse tensor: a dense value_info would contradict it
        names = {c.output[0] for c in constants}
        value_info = [v for v in proto.graph.value_info if v.name not in names]
        del proto.graph.value_info[:]
        proto.graph.value_info.extend(value_info)
    return [c.output[0] for c in constants]


def store_dense_constants(proto):
    """Undo store_sparse_constants (ONNX Runtime's quantizer cannot follow sparse constants)."""
    from onnx import numpy_helper

    sparse = [n for n in proto.graph.node if n.op_type == "Constant" and n.attribute
              and n.attribute[0].name == "sparse_value"]
    for node in sparse:
        value = node.attribute[0].sparse_tensor
        dense = np.zeros(math.prod(value.dims), np.float32)
        index = numpy_helper.to_array(value.indices)
        if index.ndim == 2:  # the other layout ONNX allows: one row of coordinates per value
            index = np.ravel_multi_index(tuple(index.T), tuple(value.dims))
        dense[index] = numpy_helper.to_array(value.values)
        proto.graph.initializer.append(numpy_helper.from_array(dense.reshape(tuple(value.dims)), node.output[0]))
        proto.graph.node.remove(node)
    return [n.output[0] for n in sparse]


def load_onnx(path, threads=0):
    """(ONNX Runtime session, metadata dict) for a Helmit ONNX file. threads=0: all cores."""
    import onnxruntime as ort

    meta = read_metadata(path)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.log_severity_level = 3
    try:
        sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    except Exception as e:
        raise HelmitError(f"{path}: ONNX Runtime cannot load it ({first_line(e)[:160]})") from None
    inputs, outputs = [i.name for i in sess.get_inputs()], [o.name for o in sess.get_outputs()]
    if inputs != ["waveform"] or "logits" not in outputs:
        raise HelmitError(f"{path}: has Helmit metadata but its graph takes {inputs} and returns {outputs}; "
                          "a Helmit model takes 'waveform' and returns 'logits' (export it with export_onnx.py)")
    return sess, meta


def window_and_stride(meta, window_sec=None, stride_sec=None):
    """(window, stride) in samples for scoring; defaults: the training window, half of it as hop."""
    sr = int(meta["sample_rate"])
    window_sec = float(meta["window_seconds"]) if window_sec is None else window_sec
    stride_sec = window_sec / 2 if stride_sec is None else stride_sec
    if window_sec < MIN_WINDOW_SEC:
        raise HelmitError(f"--window_sec {window_sec:g} is too short; use at least {MIN_WINDOW_SEC:g} s")
    if not 0 < stride_sec <= window_sec or stride_sec * sr < 1:
        raise HelmitError(f"--stride_sec {stride_sec:g} must be positive and at most the window ({window_sec:g} s), "
                          "or parts of the audio would never be scored")
    return int(window_sec * sr), max(1, int(stride_sec * sr))


def onnx_window_probs(sess, wave, window, stride, batch_size=16):
    """(window starts, P(harmful) per window) of one clip, scored in batches of windows."""
    starts, batch = windows(wave, window, stride)
    return onnx_stream_probs(sess, zip(starts, batch), batch_size)


def onnx_stream_probs(sess, pairs, batch_size=16):
    """(window starts, P(harmful) per window) of (start, window) pairs, e.g. from `stream_windows`.

    Only `batch_size` windows are held at once, so a clip of any length scores in bounded memory."""
    starts, probs, batch = [], [], []
    for start, window in pairs:
        starts.append(start)
        batch.append(window)
        if len(batch) == batch_size:
            probs.append(_onnx_batch_probs(sess, batch))
            batch = []
    if batch:
        probs.append(_onnx_batch_probs(sess, batch))
    return starts, np.concatenate(probs)


def _onnx_batch_probs(sess, batch):
    logits = sess.run(["logits"], {"waveform": np.stack(batch)})[0]  # (B, n_classes)
    if not np.isfinite(logits).all():
        raise HelmitError("the model returned NaN or infinite scores for this audio")
    return harmful_probs(logits)
