"""Training on several processes or machines: torchrun, DistributedDataParallel, one writer.

`torchrun --nproc_per_node N train.py ...` starts N copies of train.py and tells each its place
through the environment (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR/PORT). Everything here is a
no-op in a plain `python train.py` run, so the single-process path stays exactly as it was.

Rank 0 is the only one that writes files or prints: the other ranks train their share of each
epoch and keep the same weights (DDP averages the gradients), then leave.
"""
import contextlib
import functools
import hashlib
import os
import sys

import torch
import torch.distributed as dist
from torch.utils.data import DistributedSampler
from tqdm import tqdm

from utils_io import HelmitError

_saved_stdout = None


def world_size():
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def rank():
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def launched_ranks():
    """WORLD_SIZE as torchrun set it (1 without torchrun): readable before any process group exists."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def init_distributed(device):
    """Join the process group when started by torchrun with more than one process; returns the
    device this rank trains on (its own GPU on CUDA). Ranks other than 0 are silenced."""
    if launched_ranks() <= 1:
        return device
    if device.type == "cuda":
        local_rank = int(os.environ["LOCAL_RANK"])
        if local_rank >= torch.cuda.device_count():
            raise HelmitError(f"LOCAL_RANK {local_rank}: this machine has {torch.cuda.device_count()} CUDA device(s); "
                              "start at most that many processes per machine (--nproc_per_node)")
        device = torch.device("cuda", local_rank)  # one GPU per process
        torch.cuda.set_device(device)
        backend = "nccl"
    elif device.type == "cpu":
        backend = "gloo"
    else:
        raise HelmitError(f"--device {device.type}: training under torchrun needs cpu (gloo) or cuda (nccl)")
    dist.init_process_group(backend)  # env:// rendezvous: torchrun set the address, rank and size
    if rank() > 0:
        _silence()
    return device


def _silence():
    """Only rank 0 talks: the others' stdout goes nowhere and their tqdm bars are disabled (tqdm's own
    TQDM_DISABLE is read when tqdm is imported, which torch has done long before we know the rank).
    stderr stays open, so an error on any rank is still shown."""
    global _saved_stdout
    _saved_stdout = sys.stdout
    sys.stdout = open(os.devnull, "w")
    tqdm.__init__ = functools.partialmethod(tqdm.__init__, disable=True)


def shutdown():
    """Leave the process group; called on success and on errors alike, so a failing rank closes its
    connections (the others' pending collectives then fail instead of waiting for it)."""
    global _saved_stdout
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
    if _saved_stdout is not None:
        sys.stdout.close()
        sys.stdout, _saved_stdout = _saved_stdout, None


@contextlib.contextmanager
def rank0_first():
    """Rank 0 runs the block first, the other ranks after it: whatever the block caches on disk
    (decoded audio, features under --cache_dir) is built once by rank 0 and only read by the others,
    instead of every rank computing the same files and racing to rename them into place."""
    if world_size() > 1 and rank() > 0:
        dist.barrier()
    yield
    if world_size() > 1 and rank() == 0:
        dist.barrier()


def from_rank0(fn, *args):
    """fn(*args) computed on rank 0 and sent to every rank, so all ranks take the same decisions
    (learning rate, best epoch, early stop) from the same numbers; without torchrun, just fn(*args)."""
    if world_size() == 1:
        return fn(*args)
    box = [fn(*args) if rank() == 0 else None]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def mean_over_ranks(value):
    """The mean of a float over ranks (the epoch's training loss over all ranks' clips: every rank
    trains the same number of clips, so the mean of their means is the mean over all)."""
    if world_size() == 1:
        return value
    t = torch.tensor([float(value)], dtype=torch.float64)
    if dist.get_backend() == "nccl":
        t = t.cuda()  # nccl reduces GPU tensors only
    dist.all_reduce(t)
    return float(t.item()) / world_size()


def sync_buffers(model):
    """Copy rank 0's buffers (BatchNorm running statistics) to every rank. DDP broadcasts them only
    at the start of each forward, so after an epoch's last batch each rank holds statistics updated
    by its own data; after this every rank holds exactly the model rank 0 validates and saves."""
    if world_size() > 1:
        for buf in model.buffers():
            dist.broadcast(buf, src=0)


class TrainingForward(torch.nn.Module):
    """`fn` (the part of the model one training step runs, e.g. model.classify) as a module's
    forward. DDP synchronises gradients only for calls that go through its own forward, so calling
    model.classify directly on a DDP-wrapped model would silently train N separate models."""

    def __init__(self, model, fn):
        super().__init__()
        self.model, self.fn = model, fn

    def forward(self, x):
        return self.fn(x)


def ddp_forward(model, fn, device, find_unused_parameters=False):
    """`fn` itself without torchrun; under torchrun, `fn` through DistributedDataParallel (which
    broadcasts rank 0's weights now and averages gradients across ranks at every backward). The
    model itself stays unwrapped, so its state_dict has no "module." prefix: a DDP checkpoint is a
    plain single-process checkpoint."""
    if world_size() == 1:
        return fn
    return torch.nn.parallel.DistributedDataParallel(
        TrainingForward(model, fn), device_ids=[device.index] if device.type == "cuda" else None,
        find_unused_parameters=find_unused_parameters)


class DistributedWeightedSampler(DistributedSampler):
    """torch's WeightedRandomSampler for DDP (torch has none): every rank makes the same weighted
    draw of the whole epoch (seeded by seed + epoch, as DistributedSampler shuffles) and keeps every
    N-th position from its rank on. The epoch as a whole is one class-balanced draw, as in a single
    process; ranks get disjoint positions of it (a clip drawn twice may land on two ranks, as it
    would appear twice in one process)."""

    def __init__(self, weights, num_replicas=None, rank=None, seed=0):
        super().__init__(range(len(weights)), num_replicas=num_replicas, rank=rank, shuffle=True, seed=seed)
        self.weights = torch.as_tensor(weights, dtype=torch.double)

    def __iter__(self):
        g = torch.Generator().manual_seed(self.seed + self.epoch)
        draw = torch.multinomial(self.weights, self.total_size, replacement=True, generator=g).tolist()
        return iter(draw[self.rank:self.total_size:self.num_replicas])


def distributed_sampler(n_items, weights, seed, num_replicas=None, rank=None):
    """This rank's share of each epoch: a weighted draw (`weights`, for --use_sampler) or a shuffle of
    all items. Each rank gets ceil(n / N) items, padding with repeats, because every rank must run
    the same number of batches: a rank with one backward more would wait forever for the others'
    gradients. Call set_epoch(epoch) before each epoch, or every epoch repeats the first one's order."""
    if weights is not None:
        return DistributedWeightedSampler(weights, num_replicas, rank, seed)
    return DistributedSampler(range(n_items), num_replicas=num_replicas, rank=rank, shuffle=True, seed=seed)


def state_fingerprint(state_dict):
    """sha256 of a state_dict's names, dtypes, shapes and raw bytes: equal only for identical weights."""
    h = hashlib.sha256()
    for name, t in sorted(state_dict.items()):
        t = t.detach().cpu().contiguous()
        h.update(f"{name} {t.dtype} {tuple(t.shape)}\n".encode())
        h.update(t.view(-1).view(torch.uint8).numpy())  # raw bytes, any dtype
    return h.hexdigest()


def report_ranks(n_clips, n_batches, n_total, state_dict):
    """Rank 0 prints what every rank trained on per epoch and a fingerprint of its final weights;
    ranks that ended with different weights (DDP not synchronising) get a warning."""
    if world_size() == 1:
        return
    mine = (rank(), n_clips, n_batches, state_fingerprint(state_dict))
    every = [None] * world_size()
    dist.all_gather_object(every, mine)
    if rank() > 0:
        return
    for r, clips, batches, fp in every:
        tqdm.write(f"rank {r}/{len(every)}: {clips} of {n_total} training clips per epoch in {batches} "
                   f"batches, weights sha256 {fp[:16]}")
    if len({fp for *_, fp in every}) > 1:
        tqdm.write("warning: the ranks ended with different weights; the checkpoint holds rank 0's")
