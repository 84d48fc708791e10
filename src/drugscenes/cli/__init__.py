"""Command line: ``drugscenes``. Each topic module adds its commands to :data:`app`."""

from __future__ import annotations

from drugscenes.cli import change, demo, report, survey, workspace  # noqa: F401  (registers)
from drugscenes.cli.app import app, import_app

change.register(app)
survey.register(app, import_app)


def main() -> None:
    """Entry point of the ``drugscenes`` command."""
    app()


__all__ = ["app", "main"]
