"""Scoring with a Helmit ONNX file: its metadata, an ONNX Runtime session, window scores -> a clip's
decision. Needs numpy and onnxruntime, not torch or onnx: `infer.py` and `infer_dataset.py` start in
well under a second (importing torch took 1.6-1.8 CPU-seconds, as long as scoring ~100 clips).
"""
import json
import math
from pathlib import Path

import numpy as np

from utils_audio import windows
from utils_io import HelmitError

ARCH_NAMES = ("LiteAudioCNN", "Wav2Vec2Classifier")  # model.ARCHITECTURES, by name


def first_line(e):
    return (str(e).splitlines() or [type(e).__name__])[0]


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


MIN_WINDOW_SEC = 0.1  # the exported graph needs at least 1024 samples (one STFT frame plus padding)
MAX_WINDOW_SEC = 3600.0  # an hour of audio in one window: far past any model's training window
ONNX_FORMAT = 1  # `helmit_format` in the ONNX metadata; bump when it changes, readers refuse newer ones


def _is_list_of(kind, n=None):
    return lambda v: isinstance(v, list) and all(isinstance(x, kind) for x in v) and (n is None or len(v) == n)


# key, required, parse, valid, what a valid value is: what inference reads, checked before it runs
METADATA_FIELDS = (
    ("helmit_format", True, int, lambda v: v >= 1, "a format number"),
    ("arch", True, str, lambda v: v in ARCH_NAMES, f"one of {', '.join(ARCH_NAMES)}"),
    ("class_names", True, json.loads, _is_list_of(str, 2), "a JSON list of 2 class names"),
    ("sample_rate", True, int, lambda v: v > 0, "a positive integer"),
    ("window_seconds", True, float, lambda v: math.isfinite(v) and v >= MIN_WINDOW_SEC,
     f"a number of seconds >= {MIN_WINDOW_SEC}"),
    ("threshold", True, float, math.isfinite, "a finite number"),
    *((f"{s}_clips", False, json.loads, _is_list_of(str), "a JSON list of paths") for s in ("train", "val", "test")),
    *((f"{s}_digests", False, json.loads, _is_list_of(str), "a JSON list of clip digests") for s in ("train", "val")),
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
    if onnx_path.is_dir():
        hint = "; a fused model (fusion.py --out) is given with --fusion" if (onnx_path / "manifest.json").is_file() else ""
        raise HelmitError(f"{onnx_path}: is a directory, not an ONNX file{hint}")
    if not onnx_path.is_file():
        raise HelmitError(f"{onnx_path}: ONNX file not found")
    if onnx_path.stat().st_size == 0:  # protobuf reads zero bytes as an empty, valid model
        raise HelmitError(f"{onnx_path}: empty file (0 bytes), not an ONNX model")
    try:
        meta = onnx_metadata_props(onnx_path)
    except ValueError as e:
        raise HelmitError(f"{onnx_path}: not an ONNX model ({first_line(e)[:120]})") from None
    except OSError as e:
        raise HelmitError(f"{onnx_path}: cannot be read ({e.strerror or e})") from None
    if "helmit_format" not in meta:
        raise HelmitError(f"{onnx_path}: not a Helmit model (no helmit metadata); export it with export_onnx.py")
    check_metadata(meta, onnx_path)
    return meta


def _varint(f):
    shift = value = 0
    while True:
        byte = f.read(1)
        if not byte:
            raise ValueError("Error parsing message: the file ends inside a number")
        value |= (byte[0] & 0x7F) << shift
        if byte[0] < 0x80:
            return value
        shift += 7
        if shift > 63:
            raise ValueError("Error parsing message: a number longer than 10 bytes")


def _fields(f, end):
    """(field number, wire type, value) of each protobuf field from f's position to `end`; a length-delimited
    value is (offset, length), its bytes not read."""
    while f.tell() < end:
        key = _varint(f)
        field, wire = key >> 3, key & 7
        if field == 0:
            raise ValueError(f"Error parsing message: field number 0 at byte {f.tell()}")
        if wire == 0:
            yield field, wire, _varint(f)
            continue
        size = {1: 8, 5: 4}.get(wire)
        if wire == 2:
            size = _varint(f)
        if size is None:
            raise ValueError(f"Error parsing message: wire type {wire} of field {field} at byte {f.tell()}")
        start = f.tell()
        if start + size > end:
            raise ValueError(f"Error parsing message: field {field} runs past the end (byte {end})")
        f.seek(start + size)
        yield field, wire, (start, size)
    if f.tell() != end:  # a number read past the end of its message
        raise ValueError(f"Error parsing message: a field runs past the end of its message (byte {end})")


MODEL_METADATA_FIELD, ENTRY_KEY, ENTRY_VALUE = 14, 1, 2  # onnx.proto: ModelProto.metadata_props, StringStringEntryProto


def onnx_metadata_props(path):
    """ModelProto.metadata_props of the ONNX file at `path` as a dict, read from its top-level protobuf fields
    without the onnx package: importing onnx (its ml_dtypes) took 0.5-0.65 s, half to two thirds of a one-clip
    infer.py run (bench/bench_startup.py).
    The graph is skipped unread; ONNX Runtime parses it when the session loads. ValueError if the file is
    not a protobuf message."""
    meta = {}
    with open(path, "rb") as f:
        end = f.seek(0, 2)
        f.seek(0)
        entries = [span for field, wire, span in list(_fields(f, end)) if field == MODEL_METADATA_FIELD and wire == 2]
        for start, size in entries:
            f.seek(start)
            entry = {}
            for field, wire, value in list(_fields(f, start + size)):
                if field in (ENTRY_KEY, ENTRY_VALUE) and wire == 2:
                    f.seek(value[0])
                    try:
                        entry[field] = f.read(value[1]).decode("utf-8")
                    except UnicodeDecodeError:
                        raise ValueError("Error parsing message: a metadata string is not UTF-8") from None
            meta[entry.get(ENTRY_KEY, "")] = entry.get(ENTRY_VALUE, "")
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


DEFAULT_ONNX = "runs/lite_cnn.onnx"  # what make demo writes, relative to where a script runs


def default_onnx():
    """DEFAULT_ONNX when neither --onnx nor --fusion was given, or an error saying it is a default."""
    if not Path(DEFAULT_ONNX).is_file():
        raise HelmitError(f"{DEFAULT_ONNX}: no model given, and none at this default (relative to {Path.cwd()}); "
                          "pass --fusion DIR (a fused model) or --onnx FILE")
    return DEFAULT_ONNX


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
    if not window_sec >= MIN_WINDOW_SEC:  # nan too
        raise HelmitError(f"--window_sec {window_sec:g} is too short; use at least {MIN_WINDOW_SEC:g} s")
    if not window_sec <= MAX_WINDOW_SEC:  # a window is held in memory whole: inf or 1e9 s failed with a traceback
        raise HelmitError(f"--window_sec {window_sec:g} is too long; use at most {MAX_WINDOW_SEC:g} s")
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
