"""pytest (doctests of ``src``): only the modules that import no Django are collected here;
the others need a configured Django and a database, and are tested in ``tests/web``."""

collect_ignore = [
    "settings.py",
    "models.py",
    "access.py",
    "api.py",
    "views.py",
    "workflow.py",
    "ogc.py",
    "urls.py",
    "wsgi.py",
    "openapi.py",
    "oidc.py",
    "pages.py",
    "published.py",
    "i18n.py",
    "migrations",
]
