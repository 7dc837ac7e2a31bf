"""Where and how torch runs: the device, the number of threads and the precision.

Every estimator of the neural core checks its ``device`` here before any work,
runs ``fit`` and ``predict`` under :func:`torch_threads`, and under
:func:`autocast` for ``precision="bfloat16"``.
"""

from contextlib import contextmanager
from functools import cache

import torch

__all__ = [
    "MAX_THREADS",
    "adam_kwargs",
    "autocast",
    "check_device",
    "cpu_runs_bfloat16_lstm",
    "torch_threads",
]

# The most torch threads num_threads may ask for: torch.set_num_threads(10**5)
# crashed the process (a segfault) rather than raise.
MAX_THREADS = 1024


def autocast(device, precision):
    """Mixed precision for ``precision="bfloat16"``: torch's autocast on the device.

    Matrix products and the LSTM run in bfloat16 where autocast lowers them; the
    weights, the optimiser and the loss's sum stay in float32. A CUDA device without
    bfloat16 support is refused, rather than silently emulated, and so is a CPU on
    which torch cannot run the LSTM in bfloat16.
    """
    device_type = torch.device(device).type
    enabled = precision == "bfloat16"
    if enabled and device_type == "cuda" and not torch.cuda.is_bf16_supported():
        raise ValueError(
            f"precision='bfloat16' needs a GPU with bfloat16 support; {device!r} has none. "
            "Use precision='float32'."
        )
    if enabled and device_type == "cpu" and not cpu_runs_bfloat16_lstm():
        raise ValueError(
            "precision='bfloat16' needs a CPU on which torch runs the LSTM in bfloat16 "
            "(oneDNN's bfloat16 kernels need AVX-512 or newer); this one cannot. Use "
            "precision='float32'."
        )
    return torch.autocast(device_type=device_type, dtype=torch.bfloat16, enabled=enabled)


@cache
def cpu_runs_bfloat16_lstm():
    """Whether this CPU trains an LSTM under bfloat16 autocast: a tiny forward and backward.

    On CPUs without AVX-512 (AVX2 only), torch's oneDNN LSTM fails deep inside torch
    ("could not create a primitive descriptor"). Torch has no public test for it, so
    the very operation is tried once per process, on its own random state.
    """
    with torch.random.fork_rng(devices=[]):
        lstm = torch.nn.LSTM(2, 2, batch_first=True)
        inputs = torch.zeros(1, 2, 2, requires_grad=True)
        try:
            with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
                output, _ = lstm(inputs)
            output.float().sum().backward()
        except RuntimeError:
            return False
    return True


def adam_kwargs(device):
    """Adam's keyword arguments on ``device``: its fused kernel where torch has one.

    The fused kernel updates each parameter in one pass rather than a dozen small
    operations: on a CPU, a step of the default model took 0.07 ms instead of 0.30
    ms, a tenth of an equal-length ``fit``'s lead over a plain PyTorch loop. It is
    the same algorithm; only the rounding of the update may differ in the last bit.
    Torch before 2.4 has no fused kernel on CPUs, and some devices have none.
    """
    try:
        parameter = torch.zeros(1, device=device, requires_grad=True)
        torch.optim.Adam([parameter], fused=True)
    except (RuntimeError, TypeError, ValueError):
        return {}
    return {"fused": True}


def check_device(device):
    """The torch device ``device`` names, as a string; a ValueError if it cannot run here.

    "auto" is CUDA when it is available, else the CPU. A CUDA device on a torch
    without CUDA, or beyond the GPUs present, is refused here rather than with
    torch's bare ``AssertionError`` in the middle of ``fit``.
    """
    if isinstance(device, str) and device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError, ValueError) as exc:
        raise ValueError(f"device={device!r} is not a torch device: {exc}") from None
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} asks for CUDA, but CUDA is not available in this torch "
                f"(torch {torch.__version__}); use device='cpu' or 'auto'."
            )
        n_gpus = torch.cuda.device_count()
        if resolved.index is not None and resolved.index >= n_gpus:
            raise ValueError(
                f"device={device!r} names GPU {resolved.index}, but only {n_gpus} "
                f"CUDA device(s) are present (0 to {n_gpus - 1})."
            )
    elif resolved.type != "cpu" and not _backend_available(resolved.type):
        raise ValueError(
            f"device={device!r}: the {resolved.type!r} backend is not available in this torch."
        )
    return str(resolved)


def _backend_available(kind):
    backend = getattr(torch.backends, kind, None) or getattr(torch, kind, None)
    is_available = getattr(backend, "is_available", None)
    try:
        return bool(is_available()) if callable(is_available) else False
    except Exception:  # noqa: BLE001 - a backend probe that fails means "not available"
        return False


@contextmanager
def torch_threads(n_threads):
    """Run the block with ``n_threads`` torch threads, then restore the setting."""
    if n_threads is None:
        yield
        return
    previous = torch.get_num_threads()
    if previous == n_threads:  # nothing to change, as when serving in a loop
        yield
        return
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
