"""The Django application of the web app (label ``web``: its tables are ``web_*``)."""

from __future__ import annotations

from django.apps import AppConfig


class WebConfig(AppConfig):
    """Organisations, memberships, rounds in progress, observations, the audit log."""

    name = "drugscenes.web"
    label = "web"
    verbose_name = "drugscenes web"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Keep each role's group in step with :data:`~drugscenes.web.roles.ROLE_PERMISSIONS`
        after every ``migrate`` (Django creates the permissions in ``post_migrate``)."""
        from django.db.models.signals import post_migrate

        from drugscenes.web.models import sync_role_groups

        post_migrate.connect(sync_role_groups, dispatch_uid="drugscenes-web-roles")
