"""The texts that ``static/web/map.js`` builds, translated for the page.

The map page puts ``map_texts()`` into a ``<script type="application/json">`` data
block (Django's ``json_script``: never executed, so the CSP without inline scripts
holds); ``map.js`` reads it and falls back to the Swedish text (the msgid) for a
missing entry. ``%s`` marks a value that ``map.js`` fills in.
"""

from __future__ import annotations

from django.utils.translation import gettext

MAP_TEXTS = (
    "Skicka in",
    "Observationen är inskickad.",
    "Ta bort",
    "en organisation",
    "Plats %s: %s — %s — bara en organisation: %s m²",
    "OENIGHET",
    "Godkänn %s",
    "Union",
    "Snitt",
    "Avvisa",
    "Varför avvisas den?",
    "Beslutet är sparat.",
    "Fyll i kriterierna och spara.",
    "Observationen är sparad som utkast.",
    "%s observationer uppladdade.",
    "Kartläggningen är stängd: %s scener sparade.",
    "utkast",
    "inskickad",
    "godkänd",
    "avvisad",
)

# the API's status values as map.js shows them
STATUS_TEXTS = {
    "draft": "utkast",
    "submitted": "inskickad",
    "accepted": "godkänd",
    "rejected": "avvisad",
}


def map_texts() -> dict[str, object]:
    """The map's texts in the active language, keyed by their Swedish msgid."""
    return {
        "texts": {text: gettext(text) for text in MAP_TEXTS},
        "status": STATUS_TEXTS,
    }
