"""The push admin's pages, by URL name."""

from django.urls import reverse


def admin_url(name: str, *args) -> str:
    """The push admin's URL by name: admin_url("pushtoken_changelist")."""
    return reverse(f"admin:push_{name}", args=args)
