"""CPU thread count for torch, set deliberately rather than left to torch's default.

On a shared machine one thread was measured much faster than two, so the
default is 1; ASE_DM2_NUM_THREADS or an explicit argument overrides it.
"""
import os

import torch


def set_num_threads(num_threads=None) -> int:
    """Set torch's intra-op threads: the argument, else $ASE_DM2_NUM_THREADS, else 1."""
    if num_threads is None:
        num_threads = int(os.environ.get("ASE_DM2_NUM_THREADS", "1"))
    if num_threads < 1:
        raise ValueError(f"the number of threads must be at least 1, got {num_threads}")
    torch.set_num_threads(num_threads)
    return num_threads
