"""The app's tables (``web_*``): organisations, memberships, rounds in progress,
observations, the round's decided scenes and the append-only audit log.

The published rounds themselves live in the drugscenes store (schema ``drugscenes``);
a round is written there when the coordinator closes it
(:func:`drugscenes.web.workflow.close_round`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.gis.db import models
from django.core.exceptions import ValidationError

from drugscenes.web.roles import ANSWERS, ORGANISATION_KINDS, ROLE_PERMISSIONS, ROLES

SRID = 3006
"""SWEREF 99 TM, the store's CRS: every geometry is kept in it."""


class Organisation(models.Model):
    """An agency taking part; a municipality has its four-digit code."""

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=32, choices=list(ORGANISATION_KINDS.items()))
    municipality_code = models.CharField(max_length=4, blank=True, default="")

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]

    def clean(self) -> None:
        """A municipality has a code; other kinds have none."""
        if self.kind == "municipality" and not self.municipality_code:
            raise ValidationError("a municipality needs its municipality code")
        if self.kind != "municipality" and self.municipality_code:
            raise ValidationError("only a municipality has a municipality code")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """An account's organisation and role (one per account); the role is a Django group."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="members")
    role = models.CharField(max_length=32, choices=list(ROLES.items()))

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save, and put the account in its role's group (and no other role's)."""
        super().save(*args, **kwargs)
        groups = Group.objects.filter(name__in=list(ROLES))
        self.user.groups.remove(*groups.exclude(name=self.role))
        self.user.groups.add(Group.objects.get(name=self.role))

    def __str__(self) -> str:
        return f"{self.user} ({self.role}, {self.organisation})"


class Round(models.Model):
    """A mapping round in the app: open while drawn and reconciled, closed once stored."""

    OPEN, CLOSED = "open", "closed"
    label = models.CharField(max_length=64, unique=True)
    date = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=[(OPEN, "open"), (CLOSED, "closed")], default=OPEN
    )
    times_closed = models.PositiveIntegerField(default=0)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["label"]
        permissions: ClassVar[list[tuple[str, str]]] = [
            ("coordinate_round", "Open, reconcile, close and reopen rounds"),
            ("view_results", "See crime, change and aggregate results"),
            ("view_survey", "See survey results"),
            ("import_survey", "Import survey microdata"),
            ("view_report", "See the published report"),
        ]

    def __str__(self) -> str:
        return self.label


class Observation(models.Model):
    """One organisation's outline of a scene in a round, with the scene criteria."""

    DRAFT, SUBMITTED, ACCEPTED, REJECTED = "draft", "submitted", "accepted", "rejected"
    STATUSES: ClassVar[list[tuple[str, str]]] = [
        (s, s) for s in (DRAFT, SUBMITTED, ACCEPTED, REJECTED)
    ]
    ANSWER_CHOICES: ClassVar[list[tuple[str, str]]] = [(a, a) for a in ANSWERS]

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="observations")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="observations"
    )
    geom = models.MultiPolygonField(srid=SRID)
    area_m2 = models.FloatField()
    municipality_code = models.CharField(max_length=4)
    name = models.CharField(max_length=200, blank=True, default="")
    persistent = models.CharField(max_length=8, choices=ANSWER_CHOICES, default="unknown")
    open_use = models.CharField(max_length=8, choices=ANSWER_CHOICES, default="unknown")
    open_sale = models.CharField(max_length=8, choices=ANSWER_CHOICES, default="unknown")
    creates_unsafety = models.CharField(max_length=8, choices=ANSWER_CHOICES, default="unknown")
    activities = models.JSONField(default=list)
    drug_types = models.JSONField(default=list)
    times_of_day = models.JSONField(default=list)
    note = models.TextField(blank=True, default="")
    observed_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=STATUSES, default=DRAFT)
    review_comment = models.TextField(blank=True, default="")
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["id"]


class RoundScene(models.Model):
    """A scene of the round as the coordinator accepted it: one outline, a union or an
    intersection of organisations' observations."""

    METHODS: ClassVar[list[tuple[str, str]]] = [
        ("one", "one outline"),
        ("union", "union"),
        ("intersection", "intersection"),
    ]
    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="scenes")
    scene_id = models.CharField(max_length=64, blank=True, default="")
    name = models.CharField(max_length=200, blank=True, default="")
    geom = models.MultiPolygonField(srid=SRID)
    area_m2 = models.FloatField()
    municipality_code = models.CharField(max_length=4)
    method = models.CharField(max_length=16, choices=METHODS)
    observations = models.ManyToManyField(Observation, related_name="scenes")
    comment = models.TextField(blank=True, default="")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["id"]


class AuditEntry(models.Model):
    """One change: who, which organisation, when, what, before and after.

    Append-only: the model refuses updates and deletes, and so does the database (a
    trigger installed by the migration), whoever connects.
    """

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    username = models.CharField(max_length=150)
    organisation = models.CharField(max_length=200, blank=True, default="")
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64, blank=True, default="")
    round_label = models.CharField(max_length=64, blank=True, default="", db_index=True)
    before = models.JSONField(null=True)
    after = models.JSONField(null=True)
    reason = models.TextField(blank=True, default="")

    class Meta:
        ordering: ClassVar[list[str]] = ["id"]

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Insert only: an existing entry is never changed."""
        if self.pk is not None:
            raise ValidationError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        """Never: the audit log is append-only."""
        raise ValidationError("the audit log is append-only")


def sync_role_groups(**_kwargs: Any) -> None:
    """Create each role's group with exactly its permissions (run after every migrate)."""
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        perms = Permission.objects.filter(content_type__app_label="web", codename__in=codenames)
        found = {p.codename for p in perms}
        if found != codenames:  # permissions not created yet (first migrate still running)
            continue
        group.permissions.set(perms)
