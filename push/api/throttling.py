"""Request limits of the API: per user, and per client IP before authentication.

Counting is django-ratelimit's (`get_usage`): a fixed window per key in Django's default
cache (atomic add/incr, so Redis shares the count between processes), with windows
staggered per key so that clients are not all released at the same second. This module
only chooses the scope, the key and the rate, and turns "over the limit" into seconds to
wait.
"""

import ipaddress
import logging
import re
from typing import Any

from django.http import HttpRequest
from django_ratelimit.core import get_usage

from push.conf import DEFAULTS, push_settings

logger = logging.getLogger(__name__)

TOKENS = "tokens"
PREFERENCES = "preferences"
TEST = "test"
ANONYMOUS = "anonymous"
INBOX = "inbox"
SCOPES = (TOKENS, PREFERENCES, TEST, ANONYMOUS, INBOX)

RATE = re.compile(r"[1-9]\d*/\d*[smhd]")

# IPv6 clients usually own a whole /64: counting per address would let one client rotate.
_IPV6_PREFIX = 64


def rates() -> dict[str, str | None]:
    """Return the configured rate of every scope, defaults filled in."""
    configured = push_settings.API_RATE_LIMITS
    if not isinstance(configured, dict):
        configured = {}
    return {**DEFAULTS["API_RATE_LIMITS"], **configured}


def invalid_rates() -> list[str]:
    """Return what is wrong with API_RATE_LIMITS, one sentence a problem (for system checks)."""
    configured = push_settings.API_RATE_LIMITS
    if not isinstance(configured, dict):
        return ["API_RATE_LIMITS must be a dict of scope: rate."]
    problems = []
    unknown = sorted(set(configured) - set(SCOPES))
    if unknown:
        problems.append(f"Unknown API_RATE_LIMITS scope(s): {', '.join(map(str, unknown))}.")
    for scope, rate in rates().items():
        if rate is not None and not (isinstance(rate, str) and RATE.fullmatch(rate)):
            problems.append(f"API_RATE_LIMITS[{scope!r}] is {rate!r}.")
    return problems


def client_ip(request: HttpRequest) -> str:
    """Return the address to count an anonymous request against (a /64 for IPv6)."""
    candidates = [request.META.get("REMOTE_ADDR", "")]
    header = push_settings.CLIENT_IP_HEADER
    if header:
        candidates.insert(0, request.META.get(header, ""))
    for candidate in candidates:
        try:
            address = ipaddress.ip_address(str(candidate).strip())
        except ValueError:
            continue
        if address.version == 6:
            return str(ipaddress.ip_network(f"{address}/{_IPV6_PREFIX}", strict=False))
        return str(address)
    return "unknown"


def retry_after(request: HttpRequest, scope: str) -> int | None:
    """Count this request in `scope`; return the seconds to wait if it is over the limit.

    Authenticated requests count per user, anonymous ones per client IP. If the cache
    cannot be reached the request is let through (and a warning logged): an outage of the
    cache must not take the API down with it.
    """
    rate = rates().get(scope)
    if rate is None:
        return None
    if request.user.is_authenticated:
        value = f"user:{request.user.pk}"
    else:
        value = f"ip:{client_ip(request)}"
    try:
        usage: dict[str, Any] | None = get_usage(
            request,
            group=f"push.api.{scope}",
            key=lambda group, request: value,
            rate=rate,
            increment=True,
        )
    except Exception as exc:
        logger.warning("API rate limit not checked, the cache failed: %s", type(exc).__name__)
        return None
    if usage is None or not usage["should_limit"]:
        return None
    # The window still counts at `time_left` seconds; the next one starts a second later.
    return max(1, int(usage["time_left"]) + 1)
