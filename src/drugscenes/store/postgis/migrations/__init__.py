"""Alembic migrations of the PostGIS workspace schema (run by :mod:`..migrate`, not by hand).

``env.py`` takes the connection from ``config.attributes["connection"]`` (given by
:func:`drugscenes.store.postgis.migrate.upgrade`) and keeps Alembic's version table in
the ``drugscenes`` schema, so that a workspace is exactly two schemas.
"""
