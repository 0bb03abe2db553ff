"""The two models, built by name from plain constructor arguments, and the checkpoint format.

A checkpoint is a dict of plain types and tensors (loads with `weights_only=True`) holding the
architecture name and its constructor arguments, so any later stage rebuilds the model with no
flags (the nanoGPT `model_args` habit).
"""
import json
import math
import os
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from config import CFG
from logmel import LogMel, frontend_args
from utils_io import HelmitError, atomic_output
from scoring import ARCH_NAMES, ONNX_FORMAT, _is_list_of, first_line

CHECKPOINT_FORMAT = 1  # bump when the checkpoint layout changes; loaders refuse newer ones


def conv_bn_relu(c_in, c_out, stride=1, groups=1, kernel=3):
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=kernel // 2, groups=groups, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


def fold_batchnorm(conv, bn):
    """(weight, bias) of one conv that computes `conv` then `bn` in eval mode, as inference engines fold them."""
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)  # (C_out,)
    return conv.weight * scale[:, None, None, None], bn.bias - bn.running_mean * scale


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

    def classify_folded(self, logmel):
        """`classify` as eval mode computes it, with each BatchNorm folded into its conv: the same
        logits to float rounding, and 1.4-1.7x faster without gradients (train.py's window pick)
        because BatchNorm's pass over the largest activations is gone. Not for training: it
        neither updates nor backpropagates through BatchNorm's statistics."""
        x = logmel[:, None]  # (B, 1, n_mels, T)
        for conv, bn, relu in (self.stem, *(layer for block in self.blocks for layer in block)):
            weight, bias = fold_batchnorm(conv, bn)
            x = relu(F.conv2d(x, weight, bias, conv.stride, conv.padding, conv.dilation, conv.groups))
        return self.head(x.mean(dim=(2, 3)))  # dropout is the identity in eval mode


def hub_reachable(timeout=5.0):
    """Whether the Hugging Face hub answers a TCP connection within `timeout` seconds (False when offline
    mode is set: HF_HUB_OFFLINE=1)."""
    import socket
    from urllib.parse import urlparse

    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        return False
    if any(os.environ.get(v) for v in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY",
                                       "all_proxy")):
        return True  # reached through a proxy, which a direct connection cannot tell: let huggingface_hub try
    url = urlparse(constants.ENDPOINT)
    try:
        socket.create_connection((url.hostname, url.port or (80 if url.scheme == "http" else 443)),
                                 timeout=timeout).close()
        return True
    except OSError:
        return False


def load_wav2vec2_backbone(source):
    """A Wav2Vec2Model from a local directory (save_pretrained) or a Hugging Face hub id."""
    from transformers import Wav2Vec2Model

    local = Path(source).expanduser()
    if local.is_dir():
        # transformers only warns when the folder holds another kind of model, and leaves the weights it
        # could not map uninitialised (NaN features, then a crash many clips later)
        try:
            kind = json.loads((local / "config.json").read_text()).get("model_type")
        except (OSError, ValueError) as e:
            raise HelmitError(f"{source}: not a saved Wav2Vec2 model: cannot read its config.json "
                              f"({getattr(e, 'strerror', None) or e})") from None
        if kind != "wav2vec2":
            raise HelmitError(f"{source}: holds a {kind!r} model, not a Wav2Vec2 one (its config.json's model_type)")
    elif local.is_absolute() or source.startswith((".", "~")) or source.count("/") > 1:  # a path, not a hub id
        raise HelmitError(f"{source}: no such directory (--w2v_model takes a saved Wav2Vec2 model's directory or "
                          "a Hugging Face hub id)")
    # without a network, huggingface_hub retries for ~25 s before failing; one quick connection attempt
    # instead, and then only the local hub cache is tried
    offline = not local.is_dir() and not hub_reachable()
    try:
        return Wav2Vec2Model.from_pretrained(str(local) if local.is_dir() else source, local_files_only=offline)
    except (OSError, ValueError) as e:
        hint = "" if local.is_dir() else (
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
assert tuple(ARCHITECTURES) == ARCH_NAMES  # what ONNX metadata may name


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


# --- ONNX files: the metadata that makes them self-describing (reading and scoring them: scoring.py) ---

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
        "train_digests": json.dumps(ckpt.get("train_digests", [])),  # utils_io.clip_digest of each clip
        "val_digests": json.dumps(ckpt.get("val_digests", [])),
        "data_root": str(ckpt.get("train_args", {}).get("data_root", "")),
        "labels_csv": str(ckpt.get("train_args", {}).get("labels_csv") or ""),  # quantize_onnx.py calibrates on it
    }
