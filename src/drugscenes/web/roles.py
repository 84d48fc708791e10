"""Organisation kinds, roles and the Django permissions each role holds.

Pure data (no Django import), so that the permission matrix can be read, documented and
tested without a server. Each role is a Django ``Group`` holding these permissions
(:func:`drugscenes.web.models.sync_role_groups`); object rules (own organisation, own
municipality) are in :mod:`drugscenes.web.access`.

Examples
--------
>>> sorted(ROLE_PERMISSIONS["viewer"])
['view_report']
>>> "coordinate_round" in ROLE_PERMISSIONS["editor"]
False
"""

from __future__ import annotations

ORGANISATION_KINDS = {
    "county_board": "County administrative board (Länsstyrelsen)",
    "municipality": "Municipality (kommun)",
    "police": "Police (Polisen)",
    "region": "Region (health care)",
    "prison_probation": "Prison and Probation Service (Kriminalvården)",
    "customs": "Customs (Tullverket)",
}
"""Kinds of organisation taking part in the mapping."""

ROLES = {
    "coordinator": "Coordinator: opens, reconciles, closes and reopens the round",
    "editor": "Editor: the organisation's own observations (a municipality's: inside it)",
    "analyst": "Analyst: crime and aggregate results",
    "survey_analyst": "Survey analyst: survey results and microdata import",
    "viewer": "Viewer: the published report only",
}
"""Roles a member of an organisation can have (one per account)."""

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "coordinator": frozenset(
        {
            "coordinate_round",
            "view_round",
            "view_observation",
            "view_auditentry",
            "view_results",
            "view_report",
        }
    ),
    "editor": frozenset(
        {
            "view_round",
            "add_observation",
            "change_observation",
            "delete_observation",
            "view_observation",
            "view_report",
        }
    ),
    "analyst": frozenset({"view_round", "view_results", "view_report"}),
    "survey_analyst": frozenset({"view_round", "view_survey", "import_survey", "view_report"}),
    "viewer": frozenset({"view_report"}),
}
"""Codenames of the ``web`` app's permissions given to each role's group."""

CRITERIA = ("persistent", "open_use", "open_sale", "creates_unsafety")
"""The scene criteria of an observation, each ``yes``, ``no`` or ``unknown``."""

ANSWERS = ("yes", "no", "unknown")
