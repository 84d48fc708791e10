"""WSGI entry point (``drugscenes.web.wsgi:application``) for waitress or gunicorn.

The environment must name the database and the secret key
(:mod:`drugscenes.web.settings`); ``drugscenes serve`` sets both.
"""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "drugscenes.web.settings")
application = get_wsgi_application()
