"""OpenID Connect sign-in (mozilla-django-oidc), enabled by ``DRUGSCENES_OIDC_RP_CLIENT_ID``.

Only accounts that exist, with a membership, may sign in: the provider says who the person
is, the app's administrator says which organisation and role they have.
"""

from __future__ import annotations

from typing import Any

from mozilla_django_oidc.auth import OIDCAuthenticationBackend


class OrganisationOIDCBackend(OIDCAuthenticationBackend):
    """Match the provider's verified e-mail to an existing account with a membership."""

    def filter_users_by_claims(self, claims: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Accounts with the claim's e-mail that belong to an organisation."""
        email = claims.get("email")
        if not email or claims.get("email_verified") is False:
            return self.UserModel.objects.none()
        return self.UserModel.objects.filter(email__iexact=email, membership__isnull=False)

    def create_user(self, claims: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Never: accounts are made by an administrator, with their organisation and role."""
        return None
