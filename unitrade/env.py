"""Typed readers for configuration that comes from environment variables."""

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_bool(name: str, default: bool) -> bool:
    """Return the boolean value of `name` (1/0, true/false, yes/no, on/off), or `default`."""
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean: use 1/0, true/false, yes/no or on/off."
    )


def env_list(name: str, default: list[str]) -> list[str]:
    """Return the comma-separated values of `name`, or `default` when it is unset or empty."""
    raw = os.environ.get(name, "")
    values = [item.strip() for item in raw.split(",") if item.strip()]
    return values or default


def env_str(name: str, default: str | None = None) -> str | None:
    """Return `name` stripped, or `default` when it is unset or empty."""
    raw = os.environ.get(name, "").strip()
    return raw or default
