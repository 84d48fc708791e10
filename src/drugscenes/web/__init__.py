"""The agencies' web app (Django + GeoDjango on the PostGIS store).

Each organisation maps and reviews its scenes by role, with an append-only audit trail;
every figure comes from :mod:`drugscenes.services` on the PostGIS store. The app's own
tables (prefixed ``web_``) live in the same PostgreSQL database as the workspace.

Start it with ``drugscenes serve WORKSPACE_OR_URL`` (:mod:`drugscenes.web.server`). The
Django modules are imported only by the server and the tests, never by the CLI at
import time.
"""
