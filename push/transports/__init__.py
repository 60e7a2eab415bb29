"""Transports carry push messages somewhere: Expo, the console, or a test outbox."""

from django.utils.module_loading import import_string

from push.conf import push_settings
from push.exceptions import PushConfigurationError
from push.transports.base import BaseTransport, OutgoingMessage, Receipt, Ticket

__all__ = ["BaseTransport", "OutgoingMessage", "Receipt", "Ticket", "get_transport"]


def get_transport(path: str | None = None, **options) -> BaseTransport:
    """Return an instance of the transport at `path` (default: the TRANSPORT setting)."""
    path = path or push_settings.TRANSPORT
    try:
        transport_class = import_string(path)
    except ImportError as exc:
        raise PushConfigurationError(f"Cannot import push transport {path!r}: {exc}") from exc
    if not (isinstance(transport_class, type) and issubclass(transport_class, BaseTransport)):
        raise PushConfigurationError(f"{path!r} is not a push transport class.")
    return transport_class(**options)
