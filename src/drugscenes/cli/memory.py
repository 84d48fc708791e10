"""The command's memory policy: how the allocators of a ``drugscenes`` process are set.

Measured on 10 M incidents (``benchmarks/e2e.py``), against the defaults:

- Arrow allocates with malloc (``ARROW_DEFAULT_MEMORY_POOL=system``, unless chosen
  already). Its default pool, mimalloc, keeps freed buffers mapped and, with transparent
  huge pages, spends seconds of kernel time mapping them (import: system time 7.9 -> 5.1 s,
  peak 1.38 -> 1.28 GiB; crime: peak 0.95-1.0 -> 0.74 GiB).
- glibc's malloc gets a fixed mmap threshold of 4 MiB and keeps up to 256 MiB freed on its
  heap. By default it raises the threshold each time a large block is freed, so the
  temporaries of an import's batches pile up in a fragmented heap (peak 1.86 GiB); a
  threshold of 128 KiB fixes that but maps and zeroes fresh pages for every temporary
  (7 s of system time). 4 MiB: the batches' temporaries of a few MB reuse heap memory,
  larger blocks come and go as their own mappings (import 11.5 -> 8.8 s, peak 1.40 GiB;
  crime: page faults 360 000 -> 257 000).

Arrow reads its setting when it is first loaded, so a process that has loaded it already
(a test, the web app) keeps its pool.
"""

from __future__ import annotations

import ctypes
import os
import sys

MMAP_THRESHOLD = 4 << 20
KEEP_FREED = 256 << 20
COUNT_MMAP_THRESHOLD = 32 << 20
"""The mmap threshold of a command that reads and counts, not imports (``crime``): its
temporaries of 4-32 MB are then reused from the heap instead of mapped and faulted in
afresh each time (10 M incidents: minor page faults 193 000 -> 158 000, 1.18 -> 1.11 s,
peak about 0.6 GB either way). An import keeps 4 MiB, where larger blocks fragmented the
heap."""
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


def set_policy(mmap_threshold: int = MMAP_THRESHOLD, keep_freed: int = KEEP_FREED) -> bool:
    """Set this process's allocators (see the module docstring).

    Parameters
    ----------
    mmap_threshold : int
        Bytes from which malloc maps a block of its own (fixed: no dynamic adjustment).
    keep_freed : int
        Freed bytes malloc keeps at the top of its heap before giving them back.

    Returns
    -------
    bool
        True if malloc took both settings; False where the C library is not glibc.
    """
    if "pyarrow" not in sys.modules:
        os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    return _mallopt(_M_MMAP_THRESHOLD, mmap_threshold) and _mallopt(_M_TRIM_THRESHOLD, keep_freed)
