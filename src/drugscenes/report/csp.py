"""What keeps the report page inert: its Content-Security-Policy and its embedded data.

The policy is built from validated parts only: ``default-src 'none'``; each inline
script and style element allowed by the SHA-256 hash of its exact text (no
``'unsafe-inline'``); images from ``data:`` and, with ``--tile-url``, from the tile
server's origin. Data is embedded as JSON in which ``<``, ``>``, ``&`` and the line
separators U+2028/U+2029 are ``\\u`` escapes, so no text from a workspace can end the
script element, open a comment in it or be read as markup.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from drugscenes.errors import UsageError

__all__ = ["content_security_policy", "script_json", "sha256_source", "tile_source"]

_JSON_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_JSON_UNSAFE = re.compile("[<>&\u2028\u2029]")

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_URL_CHARS = re.compile(r"[A-Za-z0-9\-._~/{}%:@!$&()*+=?]*")
"""Characters a tile URL template may hold: no quotes, spaces, ``;`` or ``,`` (which would
end or add a directive of the policy), no backslash, no angle brackets."""


def script_json(data: object) -> str:
    """``data`` as JSON that can stand inside an HTML ``<script>`` element.

    Examples
    --------
    >>> script_json({"name": "</script><!--"})
    '{"name":"\\\\u003c/script\\\\u003e\\\\u003c!--"}'
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return _JSON_UNSAFE.sub(lambda m: _JSON_ESCAPES[m.group()], text)


def sha256_source(text: str) -> str:
    """The CSP hash source of an inline element's text: ``'sha256-<base64>'``."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def tile_source(url: str) -> str:
    """The CSP source of a ``--tile-url`` template: its scheme, host and port.

    The template must be an ``http://`` or ``https://`` URL whose host is a plain host
    name (its first label may be Leaflet's ``{s}``, allowed as ``*``), without user
    name, password or fragment, and without quotes, spaces, ``;``, ``,`` or other
    characters that could change the policy.

    Examples
    --------
    >>> tile_source("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png")
    'https://*.tile.openstreetmap.org'
    >>> tile_source("http://localhost:8080/tiles/{z}/{x}/{y}.png")
    'http://localhost:8080'

    Raises
    ------
    UsageError
        Naming ``--tile-url`` and what is wrong.
    """

    def refuse(why: str) -> UsageError:
        return UsageError(
            f"--tile-url: {why}; give an http:// or https:// URL template such as "
            "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png"
        )

    if not _URL_CHARS.fullmatch(url):
        raise refuse("the URL holds characters a tile URL cannot have (quotes, spaces, ; or ,)")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise refuse("the URL cannot be read") from None
    if parts.scheme not in ("http", "https"):
        raise refuse(f"the scheme must be http or https, not '{parts.scheme}'")
    if parts.username is not None or parts.password is not None or parts.fragment:
        raise refuse("a user name, password or #fragment is not allowed")
    host = parts.hostname or ""
    wildcard = host.startswith("{s}.")
    if wildcard:
        host = host[4:]
    if not _HOSTNAME.fullmatch(host):
        raise refuse(f"'{parts.netloc}' is not a plain host name")
    origin = f"{parts.scheme}://{'*.' if wildcard else ''}{host.lower()}"
    return origin if port is None else f"{origin}:{port}"


def content_security_policy(
    scripts: Iterable[str], styles: Iterable[str], tile_url: str | None = None
) -> str:
    """The page's policy: only these inline scripts and styles, images from ``data:``
    (and the tile server), nothing else from anywhere."""
    img = ["data:"] + ([tile_source(tile_url)] if tile_url else [])
    script_src = " ".join(dict.fromkeys(sha256_source(s) for s in scripts)) or "'none'"
    style_src = " ".join(dict.fromkeys(sha256_source(s) for s in styles)) or "'none'"
    return (
        f"default-src 'none'; script-src {script_src}; style-src {style_src}; "
        f"img-src {' '.join(img)}; font-src data:; base-uri 'none'; form-action 'none'"
    )
