"""Command line: ``drugscenes``. Each topic module adds its commands to :data:`app`."""

from __future__ import annotations

from drugscenes.cli import change, demo, workspace  # noqa: F401  (registers the commands)
from drugscenes.cli.app import app

change.register(app)


def main() -> None:
    """Entry point of the ``drugscenes`` command."""
    app()


__all__ = ["app", "main"]
