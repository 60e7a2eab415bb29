"""Transports carry push messages somewhere: Expo, the console, or a test outbox."""

import os
import threading

from django.utils.module_loading import import_string

from push.conf import push_settings
from push.exceptions import PushConfigurationError
from push.transports.base import BaseTransport, OutgoingMessage, Receipt, Ticket

__all__ = [
    "BaseTransport",
    "OutgoingMessage",
    "Receipt",
    "Ticket",
    "get_transport",
    "shared_transport",
]

_shared: tuple[tuple, BaseTransport] | None = None
_shared_lock = threading.Lock()


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


def shared_transport() -> BaseTransport:
    """Return this process's open transport for the current settings, made once and reused.

    Reuse keeps Expo's HTTPS connections and the worker threads alive between deliveries
    (every save in inline mode, every Celery task). New settings, or a forked child
    process, get a transport of their own.
    """
    global _shared
    key = (os.getpid(), repr(sorted(push_settings.user_settings().items())))
    with _shared_lock:
        if _shared is not None and _shared[0] == key:
            return _shared[1]
        previous = _shared[1] if _shared is not None and _shared[0][0] == key[0] else None
        transport = get_transport()
        transport.open()
        _shared = (key, transport)
    if previous is not None:
        previous.close()
    return transport
