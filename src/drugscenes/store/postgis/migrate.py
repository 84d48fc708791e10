"""Run the workspace schema's Alembic migrations from code (no alembic.ini, no CLI).

The Alembic configuration is built here with ``script_location`` pointing at the
``migrations`` folder of the installed package, so it works wherever drugscenes is
installed. The caller hands over a SQLAlchemy connection inside its own transaction:
creating a workspace (drop, migrate, fill in the region) is one transaction.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
"""Folder of the Alembic environment and its ``versions``."""


def config(connection: sa.Connection | None = None) -> Config:
    """An Alembic configuration for the workspace migrations, using ``connection``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("path_separator", "os")
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    """The newest revision of the workspace schema.

    Examples
    --------
    >>> head()
    '0001'
    """
    return str(ScriptDirectory.from_config(config()).get_current_head())


def upgrade(connection: sa.Connection, revision: str = "head") -> None:
    """Migrate the database of ``connection`` to ``revision`` inside its transaction."""
    command.upgrade(config(connection), revision)
