"""The two roots of what can go wrong: operations (Expo, the network) and configuration."""

from typing import Any

from django.core.exceptions import ImproperlyConfigured

from push.errors import ErrorRule, rule_for


class PushError(Exception):
    """An operational failure while sending: Expo refused, the network failed, and the like."""


class BatchFailed(PushError):
    """A whole request to Expo failed: nothing in it was accepted.

    `error` is the code (Expo's, or ours for network failures), `message` its text (tokens
    masked), `retry_after` the server's Retry-After, `details` Expo's error details.
    """

    def __init__(
        self, error: str, message: str, retry_after: float | None = None, details: Any = None
    ) -> None:
        super().__init__(f"{error}: {message}")
        self.error = error
        self.message = message
        self.retry_after = retry_after
        self.details = details

    @property
    def rule(self) -> ErrorRule:
        """Return what to do about this failure."""
        return rule_for(self.error)


class PushConfigurationError(ImproperlyConfigured):
    """The push settings are wrong; never swallowed."""
