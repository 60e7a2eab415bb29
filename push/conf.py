"""The push app's settings: one dict, `settings.PUSH_NOTIFICATIONS`, read lazily.

Defaults live here and only here. Unknown keys are a configuration error naming them, so a
typo never silently falls back to a default.
"""

from typing import Any

from django.conf import settings

from push.exceptions import PushConfigurationError

DEFAULTS: dict[str, Any] = {
    # Dotted path of the transport class (see push/transports/).
    "TRANSPORT": "push.transports.expo.ExpoTransport",
    "EXPO_BASE_URL": "https://exp.host/--/api/v2/push",
    # Enhanced push security: sent as `Authorization: Bearer` when set.
    "EXPO_ACCESS_TOKEN": None,
    # Largest request body the token endpoints accept, in bytes (413 above it).
    "MAX_REQUEST_BYTES": 16 * 1024,
}


class PushSettings:
    """Attribute access to PUSH_NOTIFICATIONS merged over DEFAULTS, read on every access."""

    def user_settings(self) -> dict[str, Any]:
        """Return the project's PUSH_NOTIFICATIONS dict, checked for unknown keys."""
        configured = getattr(settings, "PUSH_NOTIFICATIONS", None) or {}
        if not isinstance(configured, dict):
            raise PushConfigurationError("PUSH_NOTIFICATIONS must be a dict.")
        unknown = sorted(set(configured) - set(DEFAULTS))
        if unknown:
            raise PushConfigurationError(
                f"Unknown PUSH_NOTIFICATIONS key(s): {', '.join(unknown)}. "
                f"Known keys: {', '.join(sorted(DEFAULTS))}."
            )
        return configured

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"No push setting named {name!r}.")
        return self.user_settings().get(name, DEFAULTS[name])


push_settings = PushSettings()
