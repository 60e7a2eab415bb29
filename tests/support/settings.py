"""Changing push settings for one test."""


def push_settings_update(settings, **values):
    """Change some PUSH_NOTIFICATIONS keys for one test (pytest-django restores them)."""
    settings.PUSH_NOTIFICATIONS = {**settings.PUSH_NOTIFICATIONS, **values}
