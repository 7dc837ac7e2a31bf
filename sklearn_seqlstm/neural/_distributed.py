"""Data-parallel training: one model over several processes, with torch.distributed.

The processes are launched by ``torchrun`` (one machine or many) and form
torch's default process group. Each trains the same model on its share of every
batch (see ``ChainLoader(shard=...)``); DistributedDataParallel averages the
gradients, so every process takes the same optimiser step as one process that
trained on the whole batch. Nothing here is a launcher or a protocol of our own:
the group, the collectives and the gradient averaging are torch's.
"""

import atexit
import os
from contextlib import contextmanager
from datetime import timedelta

import torch

__all__ = ["data_parallel", "destroy_group", "process_shard"]

# torchrun sets these for every process it starts.
_LAUNCHER_VARIABLES = ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")

# How long the group that fit makes waits for all its processes to join, and then at
# each collective operation (torch's own default for gloo is 30 minutes). torchrun
# starts its processes together, within seconds; a process that never comes (a wrong
# WORLD_SIZE, a MASTER_ADDR out of reach) is an error after this wait, not a hang.
RENDEZVOUS_TIMEOUT = timedelta(minutes=10)


def process_shard(device):
    """``(rank, world_size)`` of this process, and its device, joining the group if needed.

    Uses torch's default process group when the program has made one
    (``torch.distributed.init_process_group``); otherwise makes it from the
    variables that ``torchrun`` sets, with gloo on the CPU and NCCL on GPUs. On
    GPUs, a device without an index becomes this process's own GPU,
    ``cuda:LOCAL_RANK``.
    """
    import torch.distributed as dist

    if not dist.is_available():
        raise ValueError("distributed=True needs torch.distributed, which this torch build lacks.")
    is_cuda = torch.device(device).type == "cuda"
    if not dist.is_initialized():
        _join_group("nccl" if is_cuda else "gloo")
    if is_cuda and torch.device(device).index is None:
        device = f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}"
    return (dist.get_rank(), dist.get_world_size()), device


def _launcher_shard():
    """``(rank, world_size)`` from torchrun's variables, checked before any connection."""
    missing = [name for name in _LAUNCHER_VARIABLES if name not in os.environ]
    if missing:
        raise ValueError(
            "distributed=True trains across the processes of a torch.distributed "
            "group, and none was found: start the program with torchrun (for "
            "example `torchrun --nproc_per_node=2 train.py`) or call "
            "torch.distributed.init_process_group first. Missing environment "
            f"variables: {', '.join(missing)}."
        )
    values = {}
    for name in ("RANK", "WORLD_SIZE"):
        text = os.environ[name]
        try:
            values[name] = int(text)
        except ValueError:
            raise ValueError(
                f"distributed=True reads the environment variable {name} as an integer; "
                f"got {text!r}."
            ) from None
    rank, world_size = values["RANK"], values["WORLD_SIZE"]
    # A rank outside the group waits for a process that never comes: torch's
    # rendezvous would hang until its timeout.
    if world_size < 1 or not 0 <= rank < world_size:
        raise ValueError(
            f"distributed=True needs 0 <= RANK < WORLD_SIZE; got RANK={rank} and "
            f"WORLD_SIZE={world_size}. torchrun sets both; when set by hand, each of the "
            "WORLD_SIZE processes takes one rank from 0 to WORLD_SIZE - 1."
        )
    return rank, world_size


def _join_group(backend):
    """Make torch's default process group from torchrun's variables, with a timeout."""
    import torch.distributed as dist

    rank, world_size = _launcher_shard()
    # torch.distributed.nn.functional takes the default group as the default value
    # of its functions' ``group`` argument when it is first imported, and torch
    # imports it lazily (DDP, torch._dynamo). Imported after the group is made, it
    # keeps the group alive after destroy_process_group: gloo's threads then run
    # into the interpreter's teardown, where they can abort the process (SIGABRT).
    # Imported first, it holds None.
    import torch.distributed.nn  # noqa: F401

    try:
        dist.init_process_group(backend, timeout=RENDEZVOUS_TIMEOUT)
    except getattr(dist, "DistError", RuntimeError) as exc:
        seconds = int(RENDEZVOUS_TIMEOUT.total_seconds())
        raise RuntimeError(
            f"Process {rank} of {world_size} could not join the torch.distributed group "
            f"at {os.environ['MASTER_ADDR']}:{os.environ['MASTER_PORT']} within {seconds} "
            "s: check that all WORLD_SIZE processes were started, with the same "
            f"MASTER_ADDR and MASTER_PORT, and that the address is reachable ({exc})."
        ) from exc
    # A group left to the interpreter's teardown can abort the process: gloo's
    # threads still run there. The group made here is destroyed at exit, while
    # Python is still whole.
    atexit.register(destroy_group)


def destroy_group():
    """Destroy torch's default process group, if there is one."""
    import torch.distributed as dist

    if dist.is_initialized():
        dist.destroy_process_group()


@contextmanager
def data_parallel(net, shard, device):
    """Train ``net`` (initialised) with its module wrapped in DistributedDataParallel.

    The wrapper is taken off again afterwards, also when training fails, so the
    fitted estimator holds the plain module: it pickles, saves and predicts in one
    process. A collective that fails (a process of the group died) is re-raised
    as a RuntimeError that says so.
    """
    from torch.nn.parallel import DistributedDataParallel

    module = net.module_
    is_cuda = torch.device(device).type == "cuda"
    net.module_ = DistributedDataParallel(
        module, device_ids=[torch.device(device)] if is_cuda else None
    )
    try:
        yield
    except RuntimeError as exc:
        rank, world_size = shard
        raise RuntimeError(
            f"Data-parallel training failed in process {rank} of {world_size}: {exc}. "
            "When another process of the group has died (killed, out of memory, an "
            "error), the collective operations of the others fail with it; its own "
            "error is in its output (torchrun prints which rank failed)."
        ) from exc
    finally:
        net.module_ = module
