"""Alembic environment: migrate the connection handed over by ``migrate.upgrade``.

Only online migrations on a given SQLAlchemy connection are supported; the caller owns
the transaction (the whole of ``drugscenes init`` is one), so Alembic runs inside it.
Importing this module outside an Alembic run (e.g. pytest's doctest collection) does
nothing.
"""

from __future__ import annotations

from alembic import context

SCHEMA = "drugscenes"
"""Schema of the workspace tables and of Alembic's version table."""


def run_migrations(config: object) -> None:
    """Run the pending revisions on ``config.attributes["connection"]``."""
    connection = config.attributes.get("connection")  # type: ignore[attr-defined]
    if connection is None:
        raise RuntimeError(
            "drugscenes migrations run through drugscenes.store.postgis.migrate.upgrade, "
            "which hands over the connection"
        )
    # The version table lives in the workspace schema, which must exist before Alembic
    # looks for it.
    connection.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    context.configure(
        connection=connection,
        version_table_schema=SCHEMA,
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


_config = getattr(context, "config", None)  # only set while Alembic runs this file
if _config is not None:
    run_migrations(_config)
