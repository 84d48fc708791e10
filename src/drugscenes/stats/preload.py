"""Import the statistics modules on a thread while the caller reads and counts.

Importing ``scipy.stats`` (which statsmodels loads too) takes about half a second of CPU,
all of it holding the GIL. A command that first reads and counts millions of incidents,
work that Arrow, GEOS and NumPy do without the GIL, starts the import here and finds the
modules loaded when it needs them: Python's import lock makes a later ``import`` of a
module this thread is loading wait until it is complete, so nothing is loaded twice or
half.
"""

from __future__ import annotations

import importlib
import sys
import threading

__all__ = ["SWITCH_INTERVAL", "preload"]


SWITCH_INTERVAL = 0.0002
"""Seconds a thread waiting for the GIL waits before the importing thread must give it up,
while the import runs (Python's default is 0.005): the caller's short steps between calls
that release the GIL (a NumPy or GEOS call per chunk of points) then wait 0.2 ms at most
instead of 5 ms each."""


def preload(*modules: str) -> threading.Thread:
    """Start importing ``modules``, in order, on a daemon thread.

    While it runs, the interpreter's switch interval is at most :data:`SWITCH_INTERVAL`
    (then set back). A module that fails to import stops the thread quietly: the
    caller's own ``import`` raises the error where it is handled.

    Parameters
    ----------
    *modules : str
        Dotted module names, e.g. ``"scipy.stats"``.

    Returns
    -------
    threading.Thread
        The started thread (join it to wait for the modules).

    Examples
    --------
    >>> preload("json", "csv").join()
    >>> import sys
    >>> "csv" in sys.modules
    True
    """

    def run() -> None:
        try:
            for name in modules:
                importlib.import_module(name)
        except Exception:  # the caller's own import reports it
            pass
        finally:
            _leave()

    _enter()
    thread = threading.Thread(target=run, name="drugscenes-preload", daemon=True)
    thread.start()
    return thread


_lock = threading.Lock()
_running = 0
_interval = 0.005
"""Preloads running, and the switch interval they found (set back when the last ends:
preloads may overlap, e.g. one started by a command and one by its job)."""


def _enter() -> None:
    global _running, _interval
    with _lock:
        if _running == 0:
            _interval = sys.getswitchinterval()
            sys.setswitchinterval(min(_interval, SWITCH_INTERVAL))
        _running += 1


def _leave() -> None:
    global _running
    with _lock:
        _running -= 1
        if _running == 0:
            sys.setswitchinterval(_interval)
