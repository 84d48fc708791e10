"""Command line: ``drugscenes``. Each topic module adds its commands to :data:`app`."""

from __future__ import annotations

from drugscenes.cli import (  # noqa: F401  (importing a module registers its commands)
    change,
    crime,
    demo,
    evaluate,
    hotspots,
    report,
    survey,
    workspace,
)
from drugscenes.cli.app import app, import_app

change.register(app)
hotspots.register(app)
survey.register(app, import_app)
crime.register(app, import_app)
evaluate.register(app)


def main() -> None:
    """Entry point of the ``drugscenes`` command."""
    from drugscenes.cli.memory import set_policy

    set_policy()
    app()


__all__ = ["app", "main"]
