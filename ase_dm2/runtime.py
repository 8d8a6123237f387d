"""CPU run-time settings, chosen deliberately rather than left to defaults.

Threads: on a shared machine one torch thread was measured much faster than
two, so the default is 1 ($ASE_DM2_NUM_THREADS or an argument overrides it).

Memory: glibc hands buffers above 32 MiB back to the kernel when freed, so
every network call on thousands of atoms faults its gigabytes of
intermediates back in page by page (benchmarks/network.py: 1.64 s -> 0.80 s
per 3,000-atom forward once freed memory is kept for reuse). The process then keeps its
peak memory; $ASE_DM2_KEEP_FREED_MEMORY=0 turns this off.
"""
import contextlib
import ctypes
import os
import platform
import sys
from pathlib import Path

import torch

M_TRIM_THRESHOLD, M_MMAP_MAX = -1, -4


def processor_name() -> str:
    """The CPU's model name (Linux /proc/cpuinfo), else what `platform` knows: for provenance and reports."""
    cpuinfo = Path("/proc/cpuinfo")
    for line in cpuinfo.read_text().splitlines() if cpuinfo.is_file() else []:
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def set_num_threads(num_threads=None) -> int:
    """Set torch's intra-op threads: the argument, else $ASE_DM2_NUM_THREADS, else 1."""
    if num_threads is None:
        value = os.environ.get("ASE_DM2_NUM_THREADS", "1")
        if not value.strip().isdigit() or int(value) < 1:
            raise ValueError(f"ASE_DM2_NUM_THREADS is {value!r}; set it to a whole number of threads, 1 or more")
        num_threads = int(value)
    if num_threads < 1:
        raise ValueError(f"the number of threads must be at least 1, got {num_threads}")
    torch.set_num_threads(num_threads)
    return num_threads


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed memory for reuse instead of unmapping it; True if applied."""
    if os.environ.get("ASE_DM2_KEEP_FREED_MEMORY", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc
        return False
    return bool(libc.mallopt(M_MMAP_MAX, 0)) and bool(libc.mallopt(M_TRIM_THRESHOLD, 2**31 - 1))


def configure_runtime(num_threads=None) -> int:
    """Both settings at once (the CLI and benchmarks call this); returns the thread count."""
    keep_freed_memory()
    return set_num_threads(num_threads)


@contextlib.contextmanager
def torch_threads_kept():
    """Restore torch's thread count after code that changes it behind our back (QUESTS' numba sets OpenMP's)."""
    num_threads = torch.get_num_threads()
    try:
        yield
    finally:
        torch.set_num_threads(num_threads)
