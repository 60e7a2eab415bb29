"""Transports carry push messages somewhere: Expo, the console, or a test outbox.

Like Django's e-mail backends: `get_transport()` is the one place that reads the settings;
it hands them to the transport class as keyword arguments, so a transport never reads
settings itself and can be built by hand in a test or a shell.
"""

import os
import threading
from typing import Any

from push.conf import imported, push_settings
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


def transport_options() -> dict[str, Any]:
    """Return the keyword arguments the settings give every transport."""
    return {
        "base_url": push_settings.EXPO_BASE_URL,
        "access_token": push_settings.EXPO_ACCESS_TOKEN,
        "connect_timeout": push_settings.CONNECT_TIMEOUT,
        "read_timeout": push_settings.READ_TIMEOUT,
        "concurrency": push_settings.CONCURRENCY,
        "rate_per_second": push_settings.RATE_LIMIT_PER_SECOND,
        "retry_attempts": push_settings.RETRY_ATTEMPTS,
        "retry_backoff": push_settings.RETRY_BACKOFF_SECONDS,
        "retry_backoff_max": push_settings.RETRY_BACKOFF_MAX_SECONDS,
        "shared_rate_limit_url": push_settings.RATE_LIMIT_REDIS_URL,
    }


def get_transport(path: str | None = None, **options: Any) -> BaseTransport:
    """Return a new transport (default: the TRANSPORT setting) built from the settings.

    `options` override the keyword arguments the settings give.
    """
    path = path or push_settings.TRANSPORT
    transport_class = imported("TRANSPORT", path)
    if not (isinstance(transport_class, type) and issubclass(transport_class, BaseTransport)):
        raise PushConfigurationError(f"{path!r} is not a push transport class.")
    return transport_class(**{**transport_options(), **options})


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
