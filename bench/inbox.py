"""Benchmark the inbox: does a page cost the same with 1,000,000 rows in the table as with 10,000?

    .venv/bin/python -m bench.inbox [--rows 1000000] [--mine 10000] [--iterations 300] [--flush]

The caller has `--mine` notifications (default 10,000: 30% unread, all six types) in both
phases; phase "small" has only those in the table, phase "large" adds other users' rows
(1,000 users) up to `--rows` in all, with timestamps interleaved with the caller's. Each
phase times, per iteration, the functions behind the three endpoints (push/inbox.py):

* page: the newest 20 (`list_notifications(limit=20)`), what the app opens with;
* deep page: 20 after a cursor 5,000 items down; unread page (`unread_only`); type page;
* count: `unread_count`;
* mark: `mark_read` of 20 unread ids (put back unread outside the timing);
* request: page + count + mark, what one app session costs the database.

It reports the median and p95 in milliseconds, the queries each made, the large/small
ratio, and the query plans of the page and the count on the large table. Rows are loaded
with executemany on SQLite and COPY on PostgreSQL. The database is a throwaway SQLite file
(bench/results/inbox.sqlite3) unless DATABASE_URL is set (it must be empty, or --flush).
Results: bench/results/inbox.json.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common_setup import (
    QueryCounter,
    machine,
    percentile,
    ratio,
    setup_django,
    table,
    write_json,
)

NAME = "inbox"
TYPES = ("order", "message", "payment", "product", "review", "system")
COLUMNS = (
    "user_id",
    "type",
    "title",
    "body",
    "data",
    "sent_to_tokens",
    "successful",
    "error_message",
    "created_at",
    "status",
    "attempts",
    "next_attempt_at",
    "options",
    "updated_at",
    "locked_until",
    "lease_token",
    "in_inbox",
    "read_at",
)
START = datetime(2025, 1, 1, tzinfo=UTC)
SPAN_SECONDS = 365 * 24 * 3600
OTHER_USERS = 1000
DEEP = 5000
UNREAD_SHARE = 0.3


def rows_for(user_ids: list[int], count: int, rng: random.Random, *, seed_offset: int = 0):
    """Yield `count` row tuples spread over a year, round-robin over `user_ids`."""
    for n in range(count):
        at = START + timedelta(seconds=rng.randrange(SPAN_SECONDS), microseconds=n % 1000)
        read = rng.random() >= UNREAD_SHARE
        yield (
            user_ids[n % len(user_ids)],
            TYPES[(n + seed_offset) % len(TYPES)],
            "New message from Bob",
            "Tap to view message",
            '{"type": "message", "threadId": "%d"}' % n,  # noqa: UP031
            1,
            True,
            None,
            at,
            "sent",
            1,
            None,
            '{"sound": "default", "priority": "high"}',
            at,
            None,
            "",
            True,
            at + timedelta(minutes=5) if read else None,
        )


def load(rows) -> int:
    """Insert row tuples fast: COPY on PostgreSQL, executemany on SQLite; return the count."""
    from django.db import connection, transaction

    table_name = "push_notificationlog"
    columns = ", ".join(COLUMNS)
    loaded = 0
    with transaction.atomic():
        cursor = connection.cursor()
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # psycopg 3
            with raw.copy(f"COPY {table_name} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    loaded += 1
        else:
            adapt = connection.ops.adapt_datetimefield_value
            placeholders = ", ".join(["%s"] * len(COLUMNS))
            sql = f"INSERT INTO {table_name} ({columns}) VALUES ({placeholders})"  # noqa: S608
            batch: list[tuple] = []
            for row in rows:
                converted = list(row)
                for index in (8, 13, 17):
                    converted[index] = adapt(converted[index]) if converted[index] else None
                batch.append(tuple(converted))
                if len(batch) == 20000:
                    cursor.executemany(sql, batch)
                    loaded += len(batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
                loaded += len(batch)
    return loaded


def analyze() -> None:
    """Refresh the planner's statistics; on PostgreSQL also VACUUM, as autovacuum would.

    VACUUM sets the visibility map (so counts can be index-only scans) and clears the dead
    index entries that the previous phase's mark/unmark rounds left behind: without it the
    second phase would pay for the first one's churn.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE push_notificationlog")
        else:
            cursor.execute("ANALYZE")


def plan(sql: str, params: Any, *, raw: bool = False) -> list[str]:
    """Return the query plan of a SELECT (run, on PostgreSQL), or of an UPDATE (`raw`)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if raw:
            if connection.vendor != "postgresql":
                sql = sql.replace("EXPLAIN UPDATE", "EXPLAIN QUERY PLAN UPDATE", 1)
            cursor.execute(sql, params)
            return [row[-1] for row in cursor.fetchall()]
        if connection.vendor == "postgresql":
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}", params)
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return [row[-1] for row in cursor.fetchall()]


def measure(caller, iterations: int, rng: random.Random) -> dict[str, Any]:
    """Time every operation `iterations` times (after a warm-up); return medians and p95s."""
    from django.db import connection

    from push import inbox
    from push.models import NotificationLog

    deep_row = (
        inbox.inbox_of(caller.pk)
        .order_by("-created_at", "-id")
        .values_list("created_at", "id")[DEEP - 1]
    )
    deep_cursor = inbox.encode_cursor(*deep_row)
    unread_ids = list(inbox.unread_of(caller.pk).values_list("id", flat=True))
    operations = {
        "page": lambda: inbox.list_notifications(caller, limit=20),
        "deep page": lambda: inbox.list_notifications(caller, limit=20, cursor=deep_cursor),
        "unread page": lambda: inbox.list_notifications(caller, limit=20, unread_only=True),
        "type page": lambda: inbox.list_notifications(caller, limit=20, type="review"),
        "count": lambda: inbox.unread_count(caller),
    }
    timings: dict[str, list[float]] = {name: [] for name in [*operations, "mark", "request"]}
    queries: dict[str, int] = {}
    analyze()
    counter = QueryCounter()
    for round_number in range(iterations + 20):
        sample = rng.sample(unread_ids, 20)
        spent: dict[str, float] = {}
        with counter.installed():
            for name, operation in operations.items():
                counter.phase = name
                started = time.perf_counter()
                operation()
                spent[name] = time.perf_counter() - started
            counter.phase = "mark"
            started = time.perf_counter()
            marked = inbox.mark_read(caller, sample)
            spent["mark"] = time.perf_counter() - started
        assert marked == 20, marked
        NotificationLog.objects.filter(id__in=sample).update(read_at=None)  # not timed
        if round_number < 20:  # warm-up
            counter.take()
            continue
        spent["request"] = spent["page"] + spent["count"] + spent["mark"]
        for name, seconds in spent.items():
            timings[name].append(seconds * 1000)
        for name, count in counter.take().items():
            queries[name] = max(queries.get(name, 0), count)
    plans = {}
    for name in ("page", "deep page", "count", "mark"):
        captured: list[tuple[str, Any]] = []

        def capture(execute, sql, params, many, context, captured=captured):
            captured.append((sql, params))
            return execute(sql, params, many, context)

        with connection.execute_wrapper(capture):
            if name == "mark":
                sample = rng.sample(unread_ids, 20)
                inbox.mark_read(caller, sample)
            else:
                operations[name]()
        sql, params = captured[0]
        if name == "mark":
            NotificationLog.objects.filter(id__in=sample).update(read_at=None)
            plans[name] = plan(sql.replace("UPDATE", "EXPLAIN UPDATE", 1), params, raw=True)
        else:
            plans[name] = plan(sql, params)
    return {
        "vendor": connection.vendor,
        "median_ms": {name: percentile(values, 50) for name, values in timings.items()},
        "p95_ms": {name: percentile(values, 95) for name, values in timings.items()},
        "queries": {**queries, "request": queries["page"] + queries["count"] + queries["mark"]},
        "plans": plans,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--mine", type=int, default=10_000)
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--flush", action="store_true")
    args = parser.parse_args()
    setup_django(NAME, flush=args.flush)

    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    rng = random.Random(12)
    caller = user_model.objects.create(username="caller")
    others = user_model.objects.bulk_create(
        [user_model(username=f"other{n}") for n in range(OTHER_USERS)]
    )
    other_ids = [user.pk for user in others]

    started = time.perf_counter()
    load(rows_for([caller.pk], args.mine, rng))
    small_load = time.perf_counter() - started
    small = measure(caller, args.iterations, rng)

    started = time.perf_counter()
    load(rows_for(other_ids, args.rows - args.mine, rng, seed_offset=1))
    large_load = time.perf_counter() - started
    large = measure(caller, args.iterations, rng)

    names = list(small["median_ms"])
    print(f"database: {small['vendor']}, {machine()['cpus']} cpus")
    print(
        f"loaded {args.mine:,} rows in {small_load:.1f} s, "
        f"then {args.rows - args.mine:,} more in {large_load:.1f} s"
    )
    print(
        table(
            f"inbox of a user with {args.mine:,} notifications: table of {args.mine:,} vs "
            f"{args.rows:,} rows (ms, {args.iterations} iterations)",
            [
                "operation",
                "queries",
                "small median",
                "large median",
                "ratio",
                "small p95",
                "large p95",
            ],
            [
                [
                    name,
                    large["queries"].get(name, 0),
                    small["median_ms"][name],
                    large["median_ms"][name],
                    ratio(large["median_ms"][name], small["median_ms"][name]),
                    small["p95_ms"][name],
                    large["p95_ms"][name],
                ]
                for name in names
            ],
        )
    )
    for label, lines in large["plans"].items():
        print(f"\nplan of the {label} on the large table:")
        print("\n".join(f"  {line}" for line in lines))
    write_json(
        NAME,
        {
            "database": small["vendor"],
            "rows": args.rows,
            "mine": args.mine,
            "iterations": args.iterations,
            "load_seconds": {"small": small_load, "large": large_load},
            "small": small,
            "large": large,
            "ratio": {
                name: ratio(large["median_ms"][name], small["median_ms"][name]) for name in names
            },
        },
    )


if __name__ == "__main__":
    main()
