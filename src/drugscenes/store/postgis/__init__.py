"""The PostGIS workspace backend (the shared server): see :mod:`.store`.

:class:`PostGISStore` implements :class:`drugscenes.store.base.Store` on a PostgreSQL
database with PostGIS; :mod:`.migrate` creates and upgrades its schema with Alembic;
:mod:`.localserver` starts a throwaway server for tests and for trying it out.
"""

from drugscenes.store.postgis.store import PostGISStore

__all__ = ["PostGISStore"]
