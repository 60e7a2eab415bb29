"""An Expo-compatible push server on loopback, for tests and benchmarks.

It follows the contract in ``expo-push-api.md`` closely enough to exercise a real HTTP client
(``requests``) end to end: tickets per recipient in request order, receipts, the 100-recipient
and 1000-receipt limits, the one-project rule, a shared 600/s token bucket, gzip request bodies,
enhanced push security, and injectable faults (5xx, gateway HTML/text, timeouts, connection
resets, wrong ticket counts, non-JSON answers, 429s).

Usage::

    with ExpoServer(rate_per_second=None) as expo:
        requests.post(expo.url + "/send", json=[{"to": "ExponentPushToken[a]", "title": "hi"}])
        assert expo.delivered_count("ExponentPushToken[a]") == 1

    expo = ExpoServer(access_token="s3cret", latency=0.05).start()
    expo.token_errors["ExponentPushToken[gone]"] = "DeviceNotRegistered"
    expo.fail_next(GATEWAY_HTML)          # the next /send answers 502 with an HTML page
    expo.set_fault_rate(0.1)              # then 10% of /send requests fail (seeded, reproducible)
    ...
    expo.stop()

Faults apply to ``/send`` only and are decided first, before authentication and validation, so
``fail_next(kind, n)`` always hits exactly the next ``n`` send requests. A faulted request never
records anything as delivered, so a retry that later succeeds delivers exactly once.

The server speaks HTTP/1.1 with keep-alive and answers each request in its own daemon thread;
``stats.connections`` and ``stats.max_concurrent`` show how a client uses connections.
``stop()`` then ``start()`` serves again on the same port (Expo gone, then back), and
``Tarpit`` is a listener that never answers (a hung Expo or Redis).

Modules, by job: ``http`` (the threading HTTP server and handler: bodies, chunked, writing),
``protocol`` (Expo's rules: validation, tickets, receipts, one project, the token bucket,
auth), ``faults`` (fault kinds, which requests fail, their replies; the Tarpit) and
``server`` (ExpoServer, putting them together). Import from the package.
"""

from tests.support.expo.faults import (
    ALL_FAULTS,
    GATEWAY_HTML,
    GATEWAY_TEXT,
    HTTP_500,
    NON_JSON,
    RESET,
    TIMEOUT,
    TOO_MANY_REQUESTS,
    WRONG_TICKET_COUNT,
    Tarpit,
)
from tests.support.expo.protocol import (
    BASE_PATH,
    DEFAULT_PROJECT,
    MAX_PAYLOAD_BYTES,
    MAX_RECEIPT_IDS,
    MAX_RECIPIENTS,
)
from tests.support.expo.server import ExpoServer, ServerStats

__all__ = [
    "ALL_FAULTS",
    "BASE_PATH",
    "DEFAULT_PROJECT",
    "GATEWAY_HTML",
    "GATEWAY_TEXT",
    "HTTP_500",
    "MAX_PAYLOAD_BYTES",
    "MAX_RECEIPT_IDS",
    "MAX_RECIPIENTS",
    "NON_JSON",
    "RESET",
    "TIMEOUT",
    "TOO_MANY_REQUESTS",
    "WRONG_TICKET_COUNT",
    "ExpoServer",
    "ServerStats",
    "Tarpit",
]
