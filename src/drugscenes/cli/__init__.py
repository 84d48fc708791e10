"""Command line: ``drugscenes``. Each topic module adds its commands to :data:`app`."""

from __future__ import annotations

from drugscenes.cli import change, crime, demo, report, survey, workspace  # noqa: F401
from drugscenes.cli.app import app, import_app

change.register(app)
survey.register(app, import_app)
crime.register(app, import_app)


def main() -> None:
    """Entry point of the ``drugscenes`` command."""
    app()


__all__ = ["app", "main"]
