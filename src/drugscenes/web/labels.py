"""Human labels, Swedish and English, for the keys of the services' results, used as
the result tables' headers (:func:`drugscenes.web.tables.tables`). The msgids are the
Swedish labels (``locale/en/LC_MESSAGES/django.po``); a key without a label is shown
as it is, so a new key of a service never breaks a page."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

COLUMN_LABELS = {
    # compare (``drugscenes compare``)
    "from_round": gettext_lazy("Från kartläggning"),
    "to_round": gettext_lazy("Till kartläggning"),
    "n_from": gettext_lazy("Scener (från)"),
    "n_to": gettext_lazy("Scener (till)"),
    "n_change": gettext_lazy("Förändring, antal"),
    "n_pct_change": gettext_lazy("Förändring, antal (%)"),
    "area_from_m2": gettext_lazy("Yta, från (m²)"),
    "area_to_m2": gettext_lazy("Yta, till (m²)"),
    "area_change_m2": gettext_lazy("Förändring, yta (m²)"),
    "area_pct_change": gettext_lazy("Förändring, yta (%)"),
    "municipalities_from": gettext_lazy("Kommuner (från)"),
    "municipalities_to": gettext_lazy("Kommuner (till)"),
    "municipalities_change": gettext_lazy("Förändring, kommuner"),
    "persisting": gettext_lazy("Kvarstående"),
    "unchanged": gettext_lazy("Oförändrade"),
    "grown": gettext_lazy("Växta"),
    "shrunk": gettext_lazy("Krympta"),
    "ceased": gettext_lazy("Upphörda"),
    "new": gettext_lazy("Nya"),
    "merged": gettext_lazy("Sammanslagna"),
    "split": gettext_lazy("Delade"),
    "restructured": gettext_lazy("Omstrukturerade"),
    "lost_by_merging": gettext_lazy("Förlorade genom sammanslagning"),
    "gained_by_splitting": gettext_lazy("Tillkomna genom delning"),
    "displacement": gettext_lazy("Möjlig förflyttning"),
    "displacement_m": gettext_lazy("Avstånd för förflyttning (m)"),
    "new_near_previous": gettext_lazy("Nya nära tidigare scen"),
    "new_elsewhere": gettext_lazy("Nya på annan plats"),
    "no_new_elsewhere": gettext_lazy("Inga nya på annan plats"),
    "nearest_previous_id": gettext_lazy("Närmaste tidigare scen"),
    "nearest_previous_m": gettext_lazy("Avstånd till närmaste tidigare scen (m)"),
    "size_change": gettext_lazy("Storleksförändring"),
    "size_tolerance": gettext_lazy("Tolerans för storlek"),
    "min_overlap": gettext_lazy("Minsta överlapp"),
    "tolerance_m": gettext_lazy("Tolerans (m)"),
    "from_ids": gettext_lazy("Scen-id (från)"),
    "to_ids": gettext_lazy("Scen-id (till)"),
    "link_distant_ids": gettext_lazy("Avlägsna kopplingar"),
    "hotspot_check": gettext_lazy("Kontroll mot brottskoncentrationer"),
    "inconsistencies": gettext_lazy("Motsägelser"),
    "id_given": gettext_lazy("Id angivet"),
    "parameters": gettext_lazy("Parametrar"),
    "by_municipality": gettext_lazy("Per kommun"),
    "scenes": gettext_lazy("Scener"),
    # history (``drugscenes history``)
    "place_id": gettext_lazy("Plats"),
    "scene_id": gettext_lazy("Scen"),
    "scene_ids": gettext_lazy("Scener"),
    "places": gettext_lazy("Platser"),
    "observations": gettext_lazy("Observationer"),
    "rounds": gettext_lazy("Kartläggningar"),
    "round": gettext_lazy("Kartläggning"),
    "round_index": gettext_lazy("Kartläggning nr"),
    "first_round": gettext_lazy("Första kartläggning"),
    "last_round": gettext_lazy("Senaste kartläggning"),
    "n_rounds": gettext_lazy("Antal kartläggningar"),
    "rounds_present": gettext_lazy("Kartläggningar med platsen"),
    "rounds_absent": gettext_lazy("Kartläggningar utan platsen"),
    "came_back": gettext_lazy("Återkommit"),
    "current_run": gettext_lazy("Kartläggningar i följd"),
    "in_latest_round": gettext_lazy("I senaste kartläggningen"),
    "area_m2": gettext_lazy("Yta (m²)"),
    "area_first_m2": gettext_lazy("Yta, första (m²)"),
    "area_last_m2": gettext_lazy("Yta, senaste (m²)"),
    "status": gettext_lazy("Status"),
    "name": gettext_lazy("Namn"),
    "code": gettext_lazy("Kod"),
    "municipality_code": gettext_lazy("Kommunkod"),
    "municipality_codes": gettext_lazy("Kommunkoder"),
}

# keys made of a known key and a round label, e.g. ``area_m2_S-2024``
_PREFIXED = ("area_m2_",)


def column_label(key: object) -> str:
    """The label of a result's key in the active language; the key itself when unknown."""
    text = str(key)
    if text in COLUMN_LABELS:
        return str(COLUMN_LABELS[text])
    for prefix in _PREFIXED:
        if text.startswith(prefix) and len(text) > len(prefix):
            return f"{COLUMN_LABELS[prefix[:-1]]} {text[len(prefix) :]}"
    return text
