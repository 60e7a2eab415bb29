"""Benchmark claims under long sends: two workers, leases shorter than a chunk's sending.

    .venv/bin/python -m bench.leases [--notifications 40] [--devices 300] [--lease 5] [--flush]

The reliability issue's scenario: N notifications to users with D devices each (40 x 300 =
12,000 messages), two `push_deliver --loop` worker processes with LEASE_SECONDS short enough
that one chunk takes longer to send than a lease lasts (Expo at 100 ms latency and 600/s,
the workers sharing nothing). Reported: messages Expo accepted, duplicates (a device that
got a notification more than once), lost (a device that got nothing), wall time.

Prints a table and writes bench/results/leases.json. The database is a throwaway SQLite
file (bench/results/leases.sqlite3) unless DATABASE_URL is set (then it must be empty, or
pass --flush).
"""

from __future__ import annotations

import argparse
import time

from bench.common_setup import push_settings, save_results, setup_django, table

NAME = "leases"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notifications", type=int, default=40)
    parser.add_argument("--devices", type=int, default=300)
    parser.add_argument("--lease", type=float, default=5.0)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--flush", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    setup_django(NAME, flush=args.flush)

    from django.contrib.auth import get_user_model
    from django.db import connection

    from push.models import NotificationLog, PushToken
    from tests.support import processes
    from tests.support.expo import ExpoServer

    user_model = get_user_model()
    users = user_model.objects.bulk_create(
        [user_model(username=f"lease{n}") for n in range(args.notifications)]
    )
    PushToken.objects.bulk_create(
        PushToken(user=user, token=f"ExponentPushToken[lease-{user.pk}-{device}]")
        for user in users
        for device in range(args.devices)
    )
    NotificationLog.objects.bulk_create(
        NotificationLog(user=user, title="Lease", body="x") for user in users
    )
    expected = args.notifications * args.devices
    server = ExpoServer(latency=0.1, rate_per_second=600).start()
    try:
        with push_settings(EXPO_BASE_URL=server.url):
            connection.close()
            worker_settings = {
                "EXPO_BASE_URL": server.url,
                "LEASE_SECONDS": args.lease,
                "RATE_LIMIT_PER_SECOND": 600,
                "RETRY_ATTEMPTS": 4,
                "RETRY_BACKOFF_SECONDS": 0.2,
            }
            begin = time.perf_counter()
            workers = [
                processes.start(["push_deliver", "--loop", "--interval", "0.2"], **worker_settings)
                for _ in range(2)
            ]
            try:
                settled = processes.poll(
                    lambda: not NotificationLog.objects.filter(status="pending").exists(),
                    timeout=args.timeout,
                )
                elapsed = time.perf_counter() - begin
                time.sleep(args.lease + 1)  # a worker that stole a lease would send now
            finally:
                for worker in workers:
                    processes.stop(worker, timeout=120)
        received = {message["to"] for message in server.delivered}
        duplicates = sum(count - 1 for count in server.duplicates().values())
        result = {
            "messages_expected": expected,
            "accepted_by_expo": len(server.delivered),
            "duplicates": duplicates,
            "lost": expected - len(received),
            "settled": settled,
            "seconds": round(elapsed, 1),
            "lease_seconds": args.lease,
            "http_429": server.stats.rate_limited,
        }
    finally:
        server.stop()
    print(
        table(
            "Two workers, leases shorter than a chunk's send",
            ["messages", "accepted by Expo", "duplicates", "lost", "429s", "seconds"],
            [
                [
                    expected,
                    result["accepted_by_expo"],
                    duplicates,
                    result["lost"],
                    result["http_429"],
                    result["seconds"],
                ]
            ],
        )
    )
    save_results(NAME, started, run=result)


if __name__ == "__main__":
    main()
