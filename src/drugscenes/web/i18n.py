"""Swedish by default, English on request.

The pages' fixed texts are written in Swedish (the msgids) and translated to English
in ``locale/en/LC_MESSAGES/django.po`` (compiled to ``django.mo`` with ``msgfmt``), so
a missing catalogue can only ever fall back to Swedish. Django's ``LocaleMiddleware``
picks the language from the ``django_language`` cookie or ``Accept-Language``;
:class:`QueryLanguageMiddleware` adds ``?lang=en`` / ``?lang=sv``, which also sets the
cookie so that the following pages keep the language.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


class QueryLanguageMiddleware:
    """``?lang=`` (one of ``settings.LANGUAGES``) chooses the page's language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.known = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        lang = request.GET.get("lang", "")
        if lang not in self.known:
            return self.get_response(request)
        translation.activate(lang)
        request.LANGUAGE_CODE = lang  # type: ignore[attr-defined]
        response = self.get_response(request)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            lang,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
        )
        return response
