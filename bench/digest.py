"""Benchmark digests and idempotency keys against the Expo-compatible loopback server.

    .venv/bin/python -m bench.digest [--users N] [--held N] [--repeats N]

1. Release: N users (10,000) with one device and `--held` (5) held notifications each
   (3 chat messages and 2 reviews, due now, as after quiet hours) are released by a
   delivery worker (push.delivery.worker.Worker) against ExpoServer with 100 ms of latency
   and Expo's 600/s: pushes sent (one per user and type), notifications covered, pushes/s,
   SQL queries per chunk (each chunk's count, which must not vary with what it holds).
2. Idempotent sends (PostgreSQL only): `--repeats` (1,000) push.send() calls of one key for
   one user, each in its own transaction, from 50 threads at once: rows and pushes.

The database is a throwaway SQLite file under bench/results/ unless DATABASE_URL is set
(an empty database, or pass --flush: all its data is deleted).
Prints a table and writes bench/results/digest.json.
"""

from __future__ import annotations

import argparse
import itertools
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.common_setup import QueryCounter, machine, setup_django, table, write_json

NAME = "digest"
MIN_PUSHES_PER_SECOND = 570
KINDS = ("message", "message", "message", "review", "review")
SENDERS = ("Bob", "Ann", "Cy")


def push_settings_for(url: str, **overrides: Any) -> None:
    from django.conf import settings

    settings.PUSH_NOTIFICATIONS = {"DELIVERY": "inline", "EXPO_BASE_URL": url, **overrides}


def seed_held(users: int, held: int) -> None:
    """Create users with one device and `held` released (held, now due) notifications each."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from push.delivery.screening import QUIET_HOURS
    from push.models import NotificationLog, PushToken

    user_model = get_user_model()
    due = timezone.now()
    for start in range(0, users, 2000):
        with transaction.atomic():
            made = user_model.objects.bulk_create(
                user_model(username=f"digest-{n}") for n in range(start, min(users, start + 2000))
            )
            PushToken.objects.bulk_create(
                PushToken(user=u, token=f"ExponentPushToken[digest-{u.pk:06d}-aaaa]") for u in made
            )
            NotificationLog.objects.bulk_create(
                NotificationLog(
                    user=u,
                    type=KINDS[n % len(KINDS)],
                    title="New message" if KINDS[n % len(KINDS)] == "message" else "New review",
                    body="Tap to view message",
                    data={"type": KINDS[n % len(KINDS)], "senderName": SENDERS[n % 3]},
                    options={"sound": "default", "priority": "high"},
                    held=True,
                    next_attempt_at=due,
                    error_message=QUIET_HOURS,
                )
                for u in made
                for n in range(held)
            )


def run_release(server: Any, users: int, held: int) -> dict[str, Any]:
    from push.delivery.engine import CHUNKS_IN_FLIGHT
    from push.delivery.worker import Worker

    seed_held(users, held)
    push_settings_for(server.url)
    counter = QueryCounter(by_kind=True)
    per_chunk: list[int] = []
    chunk_sizes: list[int] = []

    def on_batch(report: Any) -> None:
        chunk_sizes.append(report.total)

    worker = Worker(on_batch=on_batch)
    # Count each chunk's queries: the claim of the next chunk marks the end of the last.
    from push.delivery import engine as engine_module

    real_claim = engine_module.claim_due

    def counted_claim(limit: int):
        per_chunk.append(counter.total)
        return real_claim(limit)

    engine_module.claim_due = counted_claim
    started = time.perf_counter()
    try:
        with counter.installed():
            total = worker.run_once()
    finally:
        engine_module.claim_due = real_claim
    elapsed = time.perf_counter() - started
    queries = [b - a for a, b in itertools.pairwise(per_chunk)]
    delivered = server.delivered
    per_user_type = Counter((m["to"], m["data"]["type"]) for m in delivered)
    covered = sum(m["data"].get("count", 1) for m in delivered)
    stats = server.stats
    return {
        "users": users,
        "held_per_user": held,
        "notifications": users * held,
        "sent": total.successful,
        "pushes": len(delivered),
        "pushes_expected": users * len(set(KINDS)),
        "notifications_covered": covered,
        "max_pushes_per_user_and_type": max(per_user_type.values(), default=0),
        "seconds": elapsed,
        "pushes_per_second": len(delivered) / elapsed,
        "http_requests": stats.send_requests,
        "rate_limited_429": stats.rate_limited,
        "chunks": len(chunk_sizes),
        # Between two claims, in the steady state: the first chunks are not recorded yet
        # when the next is claimed (CHUNKS_IN_FLIGHT), the last ones after the last claim.
        "queries_per_chunk": sorted(set(queries[CHUNKS_IN_FLIGHT:-CHUNKS_IN_FLIGHT])),
        "sql_queries": counter.total,
    }


def run_idempotent(server: Any, repeats: int, threads: int = 50) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    import push
    from push.models import NotificationLog, PushToken

    if connection.vendor != "postgresql":
        return {"skipped": "needs PostgreSQL (set DATABASE_URL)"}
    server.reset()
    push_settings_for(server.url, RATE_LIMIT_PER_SECOND=None)
    user = get_user_model().objects.create(username="digest-idempotent")
    PushToken.objects.create(user=user, token="ExponentPushToken[idempotent-aaaaaa]")
    start = threading.Barrier(threads)
    errors: list[BaseException] = []
    ids: list[int] = []

    def repeat(n: int) -> None:
        try:
            if n < threads:
                start.wait(timeout=30)
            with transaction.atomic():
                ids.append(push.send(user.pk, "Order Update", "Shipped", key="order-42-shipped").pk)
        except BaseException as exc:  # counted below
            errors.append(exc)

    def close() -> None:
        connection.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(repeat, range(repeats)))
        list(pool.map(lambda _: close(), range(threads)))
    elapsed = time.perf_counter() - started
    return {
        "repeats": repeats,
        "threads": threads,
        "errors": len(errors),
        "rows": NotificationLog.objects.filter(user=user, key="order-42-shipped").count(),
        "distinct_ids_returned": len(set(ids)),
        "pushes": len(server.delivered),
        "seconds": elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--held", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=1000)
    parser.add_argument("--flush", action="store_true")
    args = parser.parse_args()
    db = setup_django(NAME, flush=args.flush)
    from tests.support.expo import ExpoServer

    with ExpoServer(rate_per_second=600, burst=600, latency=0.1) as server:
        release = run_release(server, args.users, args.held)
        idempotent = run_idempotent(server, args.repeats)
    passed = {
        "pushes_per_second": release["pushes_per_second"] >= MIN_PUSHES_PER_SECOND,
        "one_push_per_user_and_type": release["max_pushes_per_user_and_type"] == 1
        and release["pushes"] == release["pushes_expected"],
        "every_notification_covered": release["notifications_covered"]
        == release["notifications"]
        == release["sent"],
        "queries_per_chunk_fixed": len(release["queries_per_chunk"]) == 1,
    }
    if "skipped" not in idempotent:
        passed["idempotent_one_row_one_push"] = (
            idempotent["rows"] == 1
            and idempotent["pushes"] == 1
            and idempotent["distinct_ids_returned"] == 1
            and idempotent["errors"] == 0
        )
    rows = [[k, v] for k, v in release.items()] + [
        [f"idempotent {k}", v] for k, v in idempotent.items()
    ]
    print(table(f"digest ({db.split(':')[0]})", ["figure", "value"], rows))
    for name, ok in passed.items():
        print(f"{'PASS' if ok else 'FAIL'} {name}")
    write_json(
        NAME, {"machine": machine(), "release": release, "idempotent": idempotent, "passed": passed}
    )


if __name__ == "__main__":
    main()
