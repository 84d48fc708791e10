"""Django settings of the web app, read from the environment.

The server (:mod:`drugscenes.web.server`) sets the environment before Django starts:

``DRUGSCENES_WEB_DATABASE``
    ``postgresql://`` URL of the database holding the workspace and the app's tables.
``DRUGSCENES_WEB_SECRET_KEY``
    Django's secret key; the server generates one into the instance folder at first
    start (mode 0600) when the variable is not set. Never in the repository.
``DRUGSCENES_WEB_DEBUG``
    ``1`` only for development (never in production).
``DRUGSCENES_WEB_ALLOWED_HOSTS``
    Comma-separated host names (default ``127.0.0.1,localhost``).
``DRUGSCENES_WEB_SECURE_COOKIES``
    ``0`` to allow session cookies over plain HTTP on loopback (the demo); default ``1``.
``DRUGSCENES_WEB_INSTANCE``
    The instance folder (default ``.drugscenes-web``): published reports are rendered
    into its ``reports/``.
``DRUGSCENES_WEB_REPORT_AT_CLOSE``
    ``0`` to render a closed round's report on its first request instead of at close
    (the tests do, to keep closing fast); default ``1``.
``DRUGSCENES_OIDC_*``
    OpenID Connect (see ``docs/web.md``): when ``DRUGSCENES_OIDC_RP_CLIENT_ID`` is set,
    mozilla-django-oidc is enabled with the endpoints given in the other variables.
"""

from __future__ import annotations

import os
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured


def _database(url: str) -> dict[str, object]:
    """Django's DATABASES entry for a ``postgresql://`` URL (GeoDjango's PostGIS backend)."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise ImproperlyConfigured(f"DRUGSCENES_WEB_DATABASE must be a postgresql:// URL: {url}")
    return {
        "ENGINE": "django.contrib.gis.db.backends.postgis",
        "NAME": unquote(parts.path.lstrip("/")) or "drugscenes",
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "CONN_MAX_AGE": 60,
        "ATOMIC_REQUESTS": False,
    }


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip() not in ("0", "false", "no", "")


DATABASE_URL = os.environ.get("DRUGSCENES_WEB_DATABASE", "postgresql://localhost/drugscenes")
SECRET_KEY = os.environ.get("DRUGSCENES_WEB_SECRET_KEY", "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "DRUGSCENES_WEB_SECRET_KEY is not set; start the app with 'drugscenes serve'"
    )
DEBUG = _flag("DRUGSCENES_WEB_DEBUG", False)
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("DRUGSCENES_WEB_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
    if h.strip()
]
SECURE_COOKIES = _flag("DRUGSCENES_WEB_SECURE_COOKIES", True)
OIDC_ENABLED = bool(os.environ.get("DRUGSCENES_OIDC_RP_CLIENT_ID"))

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "axes",
    "drugscenes.web.apps.WebConfig",
]
if OIDC_ENABLED:
    INSTALLED_APPS.append("mozilla_django_oidc")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "drugscenes.web.i18n.QueryLanguageMiddleware",  # ?lang=en
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # last, as django-axes asks: it turns a locked-out login into its lockout response
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "drugscenes.web.urls"
WSGI_APPLICATION = "drugscenes.web.wsgi.application"
DATABASES = {"default": _database(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
            ]
        },
    }
]

# -- authentication: Django's own, Argon2 first, django-axes rate-limits logins ----------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
if OIDC_ENABLED:
    AUTHENTICATION_BACKENDS.append("drugscenes.web.oidc.OrganisationOIDCBackend")
    OIDC_RP_CLIENT_ID = os.environ["DRUGSCENES_OIDC_RP_CLIENT_ID"]
    OIDC_RP_CLIENT_SECRET = os.environ.get("DRUGSCENES_OIDC_RP_CLIENT_SECRET", "")
    OIDC_RP_SIGN_ALGO = os.environ.get("DRUGSCENES_OIDC_RP_SIGN_ALGO", "RS256")
    OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("DRUGSCENES_OIDC_OP_AUTHORIZATION_ENDPOINT")
    OIDC_OP_TOKEN_ENDPOINT = os.environ.get("DRUGSCENES_OIDC_OP_TOKEN_ENDPOINT")
    OIDC_OP_USER_ENDPOINT = os.environ.get("DRUGSCENES_OIDC_OP_USER_ENDPOINT")
    OIDC_OP_JWKS_ENDPOINT = os.environ.get("DRUGSCENES_OIDC_OP_JWKS_ENDPOINT")
    OIDC_CREATE_USER = False  # an account (with its organisation and role) must exist
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

AXES_FAILURE_LIMIT = int(os.environ.get("DRUGSCENES_WEB_LOGIN_FAILURES", "5"))
AXES_COOLOFF_TIME = 0.25  # hours: a locked-out user and address may try again after 15 min
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "drugscenes.web.api.locked_out"

# -- sessions and cookies -------------------------------------------------------------------
SESSION_COOKIE_AGE = 8 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_HTTPONLY = False  # the page's script sends it back in X-CSRFToken
CSRF_COOKIE_SAMESITE = "Strict"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if SECURE_COOKIES:
    SECURE_HSTS_SECONDS = 31536000
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# -- Content-Security-Policy (django-csp): nothing from other hosts, no inline code -------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# -- uploads: bounded in memory and on disk -------------------------------------------------
UPLOAD_MAX_BYTES = int(os.environ.get("DRUGSCENES_WEB_UPLOAD_MAX_BYTES", str(20 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # JSON bodies
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # larger files go to a temporary file
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200

INSTANCE_DIR = os.environ.get("DRUGSCENES_WEB_INSTANCE", ".drugscenes-web")
DRUGSCENES_REPORT_AT_CLOSE = os.environ.get("DRUGSCENES_WEB_REPORT_AT_CLOSE", "1") != "0"
LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", "Svenska"), ("en", "English")]
USE_I18N = True
TIME_ZONE = "Europe/Stockholm"
USE_TZ = True
STATIC_URL = "/static/"
STATIC_ROOT = os.environ.get("DRUGSCENES_WEB_STATIC_ROOT") or None

# GeoDjango's GDAL never reads request data here (outlines are parsed by shapely, the
# CRS is fixed), so GDAL 3.6's missing file/network blocking (gis.W001) does not apply.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django.security": {"handlers": ["console"], "level": "WARNING"},
        "axes": {"handlers": ["console"], "level": "WARNING"},
    },
}
