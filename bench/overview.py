"""Operating at scale on PostgreSQL: the overview with 1,000,000 notifications, the scans'
indexes before and after, and push_prune deleting 1,000,000 rows while sends go on.

    createdb -h 127.0.0.1 -U postgres helper_ops_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helper_ops_bench \\
        .venv/bin/python -m bench.overview [--rows 1000000] [--users 10000] [--flush]

1. Seeds --users users with one token each and --rows notifications over the last 90 days
   with one delivery each (raw SQL with generate_series): 2% failed, 5% skipped, the newest
   2,000 pending (half held), tickets of the last 12 hours awaiting their receipt.
2. The overview page (admin, logged in) and `stats.collect()`: median of 5 requests, and
   the number of queries.
3. EXPLAIN (ANALYZE, BUFFERS) of the due scan (push.delivery.claims) and the receipts scan
   (push.delivery.receipts) with the indexes of migration 0005 (a full (status, next_attempt_at)
   index, no partial index) and with those of 0009 (partial indexes), and their sizes.
4. All the notifications are made 100 days old; `manage.py push_prune` runs in another
   process while this one sends `send_bulk` to every user (inline, loopback Expo server, no
   rate limit) again and again until the prune ends. A monitor samples pg_stat_activity
   every 2 ms for the sender's backend waiting on a lock; every statement of the sender is
   timed. A send without pruning gives the baseline. Figures: rows deleted per second,
   longest lock wait seen, longest statement of the send, notifications/s of the sends.

Writes bench/results/overview.json. The database must be empty, or --flush empties it (ALL
its data is deleted).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time

from bench.common_setup import RESULTS, ROOT, push_settings, setup_django


def seed(rows: int, users: int) -> float:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO auth_user (password, is_superuser, username, first_name, last_name,
                                   email, is_staff, is_active, date_joined)
            SELECT '!', false, 'user' || g, 'User', '', 'user' || g || '@example.com',
                   false, true, now()
            FROM generate_series(1, %s) g
            """,
            [users],
        )
        cursor.execute(
            """
            INSERT INTO push_pushtoken (user_id, token, device_type, is_active, created_at,
                                        updated_at, last_registered_at, deactivation_reason,
                                        rate_exceeded)
            SELECT id, 'ExponentPushToken[bench-' || id || ']', 'android', true, now(), now(),
                   now(), '', 0
            FROM auth_user
            """
        )
        cursor.execute("SELECT min(id) FROM auth_user")
        first_user = cursor.fetchone()[0]
        # g = 1 is the oldest (ids grow with time, as in production). Statuses: 2% failed,
        # 5% skipped, the newest 2,000 pending (every other one held for an hour), the rest
        # sent.
        cursor.execute(
            """
            INSERT INTO push_notificationlog (user_id, type, title, body, data, sent_to_tokens,
                successful, error_message, created_at, status, attempts, next_attempt_at,
                options, updated_at, locked_until, lease_token, in_inbox, read_at, held, key)
            SELECT %(first)s + (g %% %(users)s), 'order', 'Order Update',
                   'Your order has been shipped', '{"type": "order"}'::jsonb,
                   CASE WHEN s = 'skipped' THEN 0 ELSE 1 END, s = 'sent',
                   CASE s WHEN 'failed' THEN 'DeviceNotRegistered (1 device): gone'
                          WHEN 'skipped' THEN 'TypeDisabled: the user switched off order'
                   END,
                   at, s, 1,
                   CASE WHEN s = 'pending' AND g %% 2 = 0 THEN now() + interval '1 hour' END,
                   '{}'::jsonb, at, NULL, '', true, NULL, false, ''
            FROM (
                SELECT g, now() - ((%(rows)s + 1 - g) * interval '90 days' / %(rows)s) AS at,
                       CASE WHEN g > %(rows)s - 2000 THEN 'pending'
                            WHEN g %% 50 = 0 THEN 'failed'
                            WHEN g %% 20 = 1 THEN 'skipped'
                            ELSE 'sent' END AS s
                FROM generate_series(1, %(rows)s) g
            ) AS numbered
            """,
            {"first": first_user, "users": users, "rows": rows},
        )
        cursor.execute(
            """
            INSERT INTO push_pushdelivery (notification_id, push_token_id, token, status,
                ticket_id, error, error_message, receipt_status, receipt_error,
                receipt_checked_at, created_at, updated_at)
            SELECT n.id, t.id, t.token,
                   CASE WHEN n.status = 'failed' THEN 'failed' ELSE 'accepted' END,
                   CASE WHEN n.status = 'failed' THEN '' ELSE 'ticket-' || n.id END,
                   CASE WHEN n.status = 'failed' THEN 'DeviceNotRegistered' ELSE '' END, '',
                   CASE WHEN n.status = 'failed' OR n.created_at > now() - interval '12 hours'
                        THEN '' ELSE 'ok' END,
                   '', NULL, n.created_at, n.created_at
            FROM push_notificationlog n JOIN push_pushtoken t ON t.user_id = n.user_id
            WHERE n.status IN ('sent', 'failed')
            """
        )
    vacuum()
    return time.perf_counter() - started


def vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("push_notificationlog", "push_pushdelivery", "push_pushtoken", "auth_user"):
            cursor.execute(f"VACUUM ANALYZE {table}")


def count(table: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (our own table names)
        return cursor.fetchone()[0]


def measure_overview() -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from push.overview import stats

    admin = get_user_model().objects.create_superuser("bench-admin", "a@example.com", "pw")
    client = Client()
    client.force_login(admin)
    url = "/admin/push/notificationlog/overview/"
    assert client.get(url).status_code == 200  # warm up
    page_times, collect_times = [], []
    for _ in range(5):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        page_times.append(time.perf_counter() - started)
        assert response.status_code == 200
        started = time.perf_counter()
        overview = stats.collect()
        collect_times.append(time.perf_counter() - started)
    slowest = sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:3]
    return {
        "page_median_ms": round(statistics.median(page_times) * 1000, 1),
        "page_max_ms": round(max(page_times) * 1000, 1),
        "collect_median_ms": round(statistics.median(collect_times) * 1000, 1),
        "queries_per_page": len(queries.captured_queries),
        "slowest_queries": [
            {"ms": round(float(q["time"]) * 1000, 1), "sql": q["sql"][:300]} for q in slowest
        ],
        "notifications_30d": overview.daily.total,
        "pending": overview.pending,
        "held": overview.held,
        "receipts_awaiting": overview.receipts_awaiting,
    }


def _scans():
    from datetime import timedelta

    from django.utils import timezone

    from push.models import NotificationLog, PushDelivery

    now = timezone.now()
    due = NotificationLog.objects.claimable(now).order_by("pk").values_list("pk", flat=True)[:500]
    receipts = (
        PushDelivery.objects.awaiting_receipt()
        .filter(updated_at__lte=now - timedelta(seconds=900))
        .order_by("pk")
        .values_list("pk", "ticket_id", "push_token_id", "updated_at")[:1000]
    )
    return {"due scan": due, "receipts scan": receipts}


def _index_sizes() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT indexrelname, pg_size_pretty(pg_relation_size(indexrelid))
            FROM pg_stat_user_indexes
            WHERE indexrelname IN ('push_log_due', 'push_log_pending_due',
                                   'push_delivery_awaiting', 'push_log_created')
            ORDER BY 1
            """
        )
        return dict(cursor.fetchall())


def explain_before_after() -> dict:
    """EXPLAIN ANALYZE the two scans with 0005's indexes, then with 0009's."""
    from django.db import connection

    results = {}
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX push_log_pending_due")
        cursor.execute("DROP INDEX push_delivery_awaiting")
        cursor.execute(
            "CREATE INDEX push_log_due ON push_notificationlog (status, next_attempt_at)"
        )
        cursor.execute("ANALYZE push_notificationlog")
        cursor.execute("ANALYZE push_pushdelivery")
    results["before"] = {
        name: qs.explain(analyze=True, buffers=True) for name, qs in _scans().items()
    }
    results["before"]["index sizes"] = _index_sizes()
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX push_log_due")
        cursor.execute(
            "CREATE INDEX push_log_pending_due ON push_notificationlog (next_attempt_at) "
            "WHERE status = 'pending'"
        )
        cursor.execute(
            "CREATE INDEX push_delivery_awaiting ON push_pushdelivery (updated_at) "
            "WHERE status = 'accepted' AND receipt_status = '' AND NOT (ticket_id = '')"
        )
        cursor.execute("ANALYZE push_notificationlog")
        cursor.execute("ANALYZE push_pushdelivery")
    results["after"] = {
        name: qs.explain(analyze=True, buffers=True) for name, qs in _scans().items()
    }
    results["after"]["index sizes"] = _index_sizes()
    return results


class LockMonitor(threading.Thread):
    """Samples pg_stat_activity for a backend waiting on a lock; keeps the longest wait."""

    def __init__(self, pid: int, interval: float = 0.002) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.stop = threading.Event()
        self.longest = 0.0
        self.waits = 0
        self.samples = 0
        self.wait_events: dict[str, int] = {}

    def run(self) -> None:
        import psycopg

        url = os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1)
        with psycopg.connect(url, autocommit=True) as conn:
            waiting_since = None
            while not self.stop.is_set():
                row = conn.execute(
                    "SELECT wait_event_type, wait_event FROM pg_stat_activity "
                    "WHERE pid = %s AND state = 'active'",
                    [self.pid],
                ).fetchone()
                self.samples += 1
                if row and row[0]:
                    event = f"{row[0]}:{row[1]}"
                    self.wait_events[event] = self.wait_events.get(event, 0) + 1
                now = time.perf_counter()
                if row and row[0] == "Lock":
                    if waiting_since is None:
                        waiting_since = now
                        self.waits += 1
                    self.longest = max(self.longest, now - waiting_since)
                else:
                    waiting_since = None
                time.sleep(self.interval)


class StatementTimer:
    """An execute_wrapper that keeps the longest statement of this connection."""

    def __init__(self) -> None:
        self.longest = 0.0
        self.sql = ""
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = time.perf_counter() - started
            self.count += 1
            if elapsed > self.longest:
                self.longest, self.sql = elapsed, " ".join(sql.split())[:200]


def send_round(user_ids: list[int]) -> tuple[int, float]:
    import push

    started = time.perf_counter()
    summary = push.send_bulk(user_ids, "Maintenance", "Tonight 22:00-23:00", type="system")
    return summary["total"], time.perf_counter() - started


def prune_while_sending(users: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from push.models import NotificationLog
    from tests.support.expo import ExpoServer

    user_ids = list(
        get_user_model().objects.filter(username__startswith="user").values_list("pk", flat=True)
    )[:users]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE push_notificationlog SET created_at = created_at - interval '100 days'"
        )
    vacuum()
    old = NotificationLog.objects.count()
    old_deliveries = count("push_pushdelivery")
    with (
        ExpoServer(rate_per_second=None) as server,
        push_settings(
            EXPO_BASE_URL=server.url, RATE_LIMIT_PER_SECOND=None, MAX_NOTIFICATIONS_PER_HOUR=None
        ),
    ):
        connection.ensure_connection()
        pid = connection.connection.info.backend_pid
        # Baseline: one send alone.
        timer = StatementTimer()
        monitor = LockMonitor(pid)
        monitor.start()
        with connection.execute_wrapper(timer):
            sent, seconds = send_round(user_ids)
        monitor.stop.set()
        monitor.join()
        baseline = {
            "notifications": sent,
            "notifications_per_s": round(sent / seconds),
            "longest_statement_ms": round(timer.longest * 1000, 1),
            "longest_lock_wait_ms": round(monitor.longest * 1000, 1),
        }
        # Sends again and again while push_prune runs in another process.
        env = {**os.environ, "PUSH_LOG_LEVEL": "ERROR"}
        started = time.perf_counter()
        prune = subprocess.Popen(  # noqa: S603
            [sys.executable, str(ROOT / "manage.py"), "push_prune"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        timer = StatementTimer()
        monitor = LockMonitor(pid)
        monitor.start()
        rounds, total_sent, send_seconds = 0, 0, 0.0
        with connection.execute_wrapper(timer):
            while prune.poll() is None:
                sent, seconds = send_round(user_ids)
                rounds += 1
                total_sent += sent
                send_seconds += seconds
        prune_seconds = time.perf_counter() - started
        output = prune.communicate()[0].strip()
        monitor.stop.set()
        monitor.join()
    left = NotificationLog.objects.filter(title="Order Update").count()
    return {
        "old_notifications": old,
        "old_deliveries": old_deliveries,
        "left_after_prune": left,
        "prune_seconds": round(prune_seconds, 1),
        "prune_output": output,
        "notifications_deleted_per_s": round(old / prune_seconds),
        "rows_deleted_per_s": round((old + old_deliveries) / prune_seconds),
        "send_baseline": baseline,
        "send_during_prune": {
            "rounds": rounds,
            "notifications": total_sent,
            "notifications_per_s": round(total_sent / send_seconds) if send_seconds else None,
            "statements": timer.count,
            "longest_statement_ms": round(timer.longest * 1000, 1),
            "longest_statement": timer.sql,
            "longest_lock_wait_ms": round(monitor.longest * 1000, 1),
            "lock_waits_seen": monitor.waits,
            "monitor_samples": monitor.samples,
            "wait_events_sampled": dict(
                sorted(monitor.wait_events.items(), key=lambda kv: -kv[1])[:8]
            ),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--flush", action="store_true", help="Empty the database first.")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to an empty PostgreSQL database (see the docstring).")
    setup_django("overview", flush=args.flush)
    results: dict = {"rows": args.rows, "users": args.users}
    print(f"seeding {args.rows:,} notifications for {args.users:,} users ...", flush=True)
    results["seed_seconds"] = round(seed(args.rows, args.users), 1)
    results["notifications"] = count("push_notificationlog")
    results["deliveries"] = count("push_pushdelivery")
    print(json.dumps({k: results[k] for k in ("seed_seconds", "notifications", "deliveries")}))
    results["overview"] = measure_overview()
    print("overview:", json.dumps(results["overview"], indent=1), flush=True)
    results["explain"] = explain_before_after()
    for phase in ("before", "after"):
        for name, plan in results["explain"][phase].items():
            print(f"--- {phase}: {name}\n{plan}", flush=True)
    results["prune"] = prune_while_sending(args.users)
    print("prune:", json.dumps(results["prune"], indent=1), flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "overview.json").write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
