"""The command's memory policy: how the allocators of one process are set for its job.

glibc's malloc raises its mmap threshold each time a large block is freed, so that after
the first batches of an import the large NumPy temporaries come from the heap, where
freed space is kept and fragmented: the process's peak then grows with the number of
batches, not with one batch. :func:`for_batches` fixes the threshold (glibc's default
128 KiB): every large block is an mmap of its own, unmapped when freed (10 M-row import:
peak 1.86 -> 1.42 GiB, same time). :func:`for_one_read` is the policy of a command that
reads hundreds of MB once and counts them (``crime``).
"""

from __future__ import annotations

import ctypes
import os
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
"""glibc's mallopt parameter numbers (malloc.h)."""


def _mallopt(param: int, value: int) -> bool:
    """glibc's ``mallopt``; False where the C library has none (nothing changes there)."""
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library the interpreter runs on
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(mallopt(param, value))


def fixed_mmap_threshold(size: int = 128 * 1024) -> bool:
    """Fix glibc's mmap threshold at ``size`` bytes (the dynamic adjustment off).

    Returns
    -------
    bool
        True if set; False where the C library is not glibc.
    """
    return _mallopt(_M_MMAP_THRESHOLD, size)


def _arrow_on_malloc() -> None:
    """Arrow allocates with malloc (``ARROW_DEFAULT_MEMORY_POOL=system``, unless chosen
    already): its default pool, mimalloc, keeps freed buffers mapped and, with transparent
    huge pages, spends seconds of kernel time mapping them on a busy machine (10 M-row
    import: 7.9 -> 5.1 s of system time, peak 1.38 -> 1.28 GiB; crime: peak 0.95-1.0 ->
    0.74 GiB). Arrow reads the setting when it is first loaded, so a process that has
    loaded it already (a test, the web app) keeps its pool."""
    if "pyarrow" not in sys.modules:
        os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")


def for_batches() -> bool:
    """Every command's default: Arrow on malloc, and large blocks mapped and unmapped on
    their own (see the module docstring)."""
    _arrow_on_malloc()
    return fixed_mmap_threshold()


def for_one_read(mmap_threshold: int = 4 << 20, keep_freed: int = 256 << 20) -> bool:
    """Allocators for reading hundreds of MB once and counting them: Arrow on malloc
    (as :func:`for_batches`), and malloc keeps blocks below ``mmap_threshold`` on its
    heap and up to ``keep_freed`` freed bytes there, so the many temporaries of a few MB
    reuse memory instead of mapping fresh pages each time (``crime``, 10 M incidents:
    360 000 page faults -> 257 000, same peak).
    """
    _arrow_on_malloc()
    return fixed_mmap_threshold(mmap_threshold) and _mallopt(_M_TRIM_THRESHOLD, keep_freed)
