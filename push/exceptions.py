"""The two roots of what can go wrong: operations (Expo, the network) and configuration."""

from django.core.exceptions import ImproperlyConfigured


class PushError(Exception):
    """An operational failure while sending: Expo refused, the network failed, and the like."""


class PushConfigurationError(ImproperlyConfigured):
    """The push settings are wrong; never swallowed."""
