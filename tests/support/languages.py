"""A host project's own record of its users' languages, for USER_LANGUAGE."""


def from_last_name(user) -> str | None:
    """The language code a test keeps in the user's last name (None: none)."""
    return user.last_name or None
