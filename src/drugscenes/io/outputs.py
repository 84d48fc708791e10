"""Output files and folders that cannot be turned against the disk, and text safe to show.

Every file a command writes (``report --out``, ``compare --gpkg``, ``hotspots --gpkg``,
``--problems``, ``demo --out``) goes through this module:

- :func:`check_output_file` and :func:`check_output_dir` refuse, before anything is
  computed or written, a path that is a symbolic link (links are never followed), a
  folder where a file is expected, a file where a folder is expected, and a file whose
  folder does not exist or cannot be written. Each refusal is a
  :class:`~drugscenes.errors.UsageError` naming the option: one line, exit status 2.
- :func:`output_file` and :func:`staged_outputs` write into a fresh private folder
  beside the target and move each finished file into place with :func:`os.replace`,
  which replaces a directory entry (even a link) and never writes through it. A failed
  write leaves the earlier files as they were, and nothing outside the output folder is
  touched.

:func:`strip_controls` removes control characters from text that came from data
before it reaches a terminal, a chart or any other output that would act on them.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from drugscenes.errors import DrugscenesError, UsageError

__all__ = [
    "check_output_dir",
    "check_output_file",
    "output_file",
    "prepare_output_dir",
    "staged_outputs",
    "strip_controls",
]

CONTROL_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
"""C0 controls but tab and newline, DEL, C1 controls (ESC and CSI start terminal escape
sequences), and the code points XML cannot hold."""


def strip_controls(text: object) -> str:
    """``text`` as a string without control characters (tab and newline are kept).

    Examples
    --------
    >>> strip_controls("Torget\\x1b[31m\\r")
    'Torget[31m'
    """
    return CONTROL_CHARS.sub("", str(text))


def _refuse_link(path: Path, option: str) -> None:
    if path.is_symlink():
        raise UsageError(
            f"{option}: {path} is a symbolic link; outputs never follow links, "
            "give the path of a regular file or folder"
        )


def _check_folder(folder: Path, option: str) -> None:
    """``folder`` exists, is a folder and may be written to."""
    if not folder.exists():
        raise UsageError(f"{option}: the folder {folder} does not exist")
    if not folder.is_dir():
        raise UsageError(f"{option}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"{option}: the folder {folder} is not writable")


def check_output_file(path: str | Path | None, option: str) -> Path | None:
    """Refuse an output file that cannot be written safely; ``None`` (no file) passes.

    Call it before the command does any work, so that a bad path costs nothing and
    leaves nothing written.

    Raises
    ------
    UsageError
        ``path`` is a symbolic link, a folder or not a regular file, or its folder does
        not exist or is not writable.
    """
    if path is None:
        return None
    path = Path(path)
    _refuse_link(path, option)
    if path.is_dir():
        raise UsageError(f"{option}: {path} is a folder; give a file name")
    if path.exists() and not path.is_file():
        raise UsageError(f"{option}: {path} is not a regular file")
    _check_folder(path.absolute().parent, option)
    return path


def check_output_dir(
    path: str | Path, option: str, names: Iterable[str] = (), folders: Iterable[str] = ()
) -> Path:
    """Refuse an output folder that cannot be written safely (it need not exist yet).

    ``names`` are the files the command will write into it: each is checked with
    :func:`check_output_file` when the folder exists; ``folders`` are the folders it will
    write into it, each checked like ``path``.

    Raises
    ------
    UsageError
        ``path`` is a symbolic link or a file; the folder, or the nearest existing folder
        above it when it does not exist yet, is not writable; one of ``names`` is a link
        or a folder; one of ``folders`` is a link or a file.
    """
    path = Path(path)
    _refuse_link(path, option)
    if path.exists():
        if not path.is_dir():
            raise UsageError(f"{option}: {path} is a file, not a folder; give a folder")
        _check_folder(path, option)
        for name in names:
            check_output_file(path / name, option)
        for name in folders:
            check_output_dir(path / name, option)
        return path
    above = next((p for p in path.absolute().parents if p.exists()), None)
    if above is None or not above.is_dir():
        raise UsageError(f"{option}: cannot create the folder {path}: {above} is not a folder")
    _check_folder(above, option)
    return path


def prepare_output_dir(path: str | Path, option: str, names: Iterable[str] = ()) -> Path:
    """:func:`check_output_dir`, then create the folder (and the folders above it)."""
    path = check_output_dir(path, option, names)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{option}: cannot create the folder {path}: {exc.strerror}") from None
    _refuse_link(path, option)
    return path


@contextmanager
def staged_outputs(
    folder: str | Path, names: Iterable[str], option: str
) -> Iterator[dict[str, Path]]:
    """Temporary paths for the files ``names`` of ``folder``, moved into place at the end.

    Yields a mapping from each name to a path in a new private folder inside ``folder``;
    write the files there. When the block ends without an error, each file written is
    moved over ``folder / name`` with :func:`os.replace` and a file of ``names`` that was
    not written is removed from ``folder`` (no stale file of an earlier run stays); on an
    error nothing is moved or removed.
    The private folder is removed in any case, and so is ``folder`` when this call
    created it and it is still empty.

    Raises
    ------
    UsageError
        As :func:`check_output_dir` for ``folder`` and ``names``.
    DrugscenesError
        A file could not be written (disk full, ...): one line, exit status 1.
    """
    names = list(names)
    folder = Path(folder)
    created = not folder.exists()
    prepare_output_dir(folder, option, names)
    staging = Path(tempfile.mkdtemp(prefix=".drugscenes-", dir=folder))
    try:
        staged = {name: staging / name for name in names}
        yield staged
        for name, tmp in staged.items():
            check_output_file(folder / name, option)
            if tmp.exists():
                os.replace(tmp, folder / name)
            else:  # not written this time: no stale file of an earlier run stays
                (folder / name).unlink(missing_ok=True)
    except OSError as exc:
        raise DrugscenesError(
            f"could not write into {folder}: {exc.strerror or exc}; nothing was replaced"
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if created and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


@contextmanager
def output_file(path: str | Path, option: str) -> Iterator[Path]:
    """A temporary path to write ``path`` to; it replaces ``path`` when the block succeeds.

    The file is checked first (:func:`check_output_file`); its folder must exist.
    """
    path = Path(path)
    check_output_file(path, option)
    with staged_outputs(path.absolute().parent, [path.name], option) as staged:
        yield staged[path.name]
