"""Commit → Expo accepted, in background mode: with and without one hung request.

    .venv/bin/python -m bench.latency [--notifications 1000] [--rate 200] [--hang 30] [--flush]

Each notification is its own `push.send` outside any transaction (a committed save), at
`--rate` a second, to its own user's device; the loopback Expo server (100 ms per request)
stamps the moment it accepts each one. The latency of a notification is that moment minus
the moment its send returned. Two runs:

- steady: nothing goes wrong;
- hung: the first send request gets no answer for `--hang` seconds (the client's read
  timeout is longer), as a stuck connection to Expo would.

For the hung run, the notifications accepted only after the hang ended are reported apart
(those of the hung request, and any that waited behind it): the question is whether
everybody else's latency stays normal. Prints a table and writes
bench/results/latency.json. The database is a throwaway SQLite file unless DATABASE_URL is
set (it must be empty, or --flush).
"""

from __future__ import annotations

import argparse
import threading
import time
from typing import Any

from bench.common_setup import machine, percentile, push_settings, setup_django, table, write_json

NAME = "latency"


def run(notifications: int, rate: float, hang: float | None, server: Any) -> dict[str, Any]:
    """Send `notifications` at `rate`/s in background mode; return the latency figures."""
    from django.contrib.auth import get_user_model

    import push
    from push.delivery import background
    from push.models import NotificationLog, PushToken

    user_model = get_user_model()
    NotificationLog.objects.all().delete()
    PushToken.objects.all().delete()
    user_model.objects.all().delete()
    users = user_model.objects.bulk_create(
        user_model(username=f"latency-{n}") for n in range(notifications)
    )
    token_of = {user.pk: f"ExponentPushToken[latency-{user.pk:07d}]" for user in users}
    PushToken.objects.bulk_create(PushToken(user=user, token=token_of[user.pk]) for user in users)
    accepted: dict[str, float] = {}
    hung_tokens: set[str] = set()
    lock = threading.Lock()

    def stamp(tokens: list[str]) -> None:
        now = time.monotonic()
        with lock:
            for token in tokens:
                accepted.setdefault(token, now)

    server.reset()
    server.on_accept = stamp
    if hang:
        server.timeout_seconds = hang
        server.fail_next("timeout")
    sent_at: dict[str, float] = {}
    started = time.monotonic()
    for n, user in enumerate(users):
        due = started + n / rate
        time.sleep(max(0.0, due - time.monotonic()))
        push.send(user, "Hi", "How long did it take?")
        sent_at[token_of[user.pk]] = time.monotonic()
    deadline = time.monotonic() + (hang or 0) + 60
    while len(accepted) < notifications and time.monotonic() < deadline:
        time.sleep(0.05)
    background.shutdown(30)
    if hang:
        # Accepted only after the hang ended: the hung request's, and whatever waited on it.
        hung_tokens = {t for t, at in accepted.items() if at - started >= hang * 0.9}
    latencies = [
        (accepted[token] - sent) * 1000
        for token, sent in sent_at.items()
        if token in accepted and token not in hung_tokens
    ]
    hung_latencies = [(accepted[t] - sent_at[t]) * 1000 for t in hung_tokens if t in sent_at]
    return {
        "notifications": notifications,
        "accepted": len(accepted),
        "duplicates": len(server.delivered) - len(accepted),
        "others": len(latencies),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(max(latencies), 1) if latencies else None,
        "waited_for_the_hang": len(hung_tokens),
        "waited_p50_ms": round(percentile(hung_latencies, 50), 1) if hung_latencies else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notifications", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=200.0, help="sends a second")
    parser.add_argument("--hang", type=float, default=30.0, help="seconds the hung request waits")
    parser.add_argument("--flush", action="store_true")
    args = parser.parse_args()
    setup_django(NAME, flush=args.flush)

    from tests.support.expo import ExpoServer

    results: dict[str, Any] = {"machine": machine(), "runs": {}}
    with ExpoServer(rate_per_second=None, latency=0.1) as server:
        settings = {
            "DELIVERY": "background",
            "EXPO_BASE_URL": server.url,
            "READ_TIMEOUT": args.hang + 10,
            "RATE_LIMIT_PER_SECOND": None,
            "BATCH_SIZE": 100,
        }
        with push_settings(**settings):
            for label, hang in (("steady", None), ("hung", args.hang)):
                print(f"{label}: {args.notifications} sends at {args.rate:.0f}/s ...", flush=True)
                results["runs"][label] = run(args.notifications, args.rate, hang, server)
    rows = [
        [
            label,
            run_["others"],
            run_["p50_ms"],
            run_["p99_ms"],
            run_["max_ms"],
            run_["waited_for_the_hang"],
            run_["waited_p50_ms"],
            run_["duplicates"],
        ]
        for label, run_ in results["runs"].items()
    ]
    print()
    print(
        table(
            "commit -> Expo accepted, background mode (ms)",
            ["run", "others", "p50", "p99", "max", "waited for the hang", "their p50", "dupl."],
            rows,
        )
    )
    path = write_json(NAME, results)
    print(f"\nresults in {path}")


if __name__ == "__main__":
    main()
