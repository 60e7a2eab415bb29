"""Benchmark what a web request pays for each delivery mode; and a retry after an outage.

    .venv/bin/python -m bench.request_time [--requests N] [--skip-celery] [--flush]

Request time of the Django admin's Order change view (a logged-in superuser changes the
status to shipped; the save notifies the buyer) with tests.support.expo.ExpoServer at 100 ms
latency, with the receivers switched off (`push.receivers_disabled()`: "none", the
baseline), in DELIVERY "inline" mode (the request delivers after its commit),
"background" mode (the commit queues the ids for this process's delivery thread) and
"celery" mode (it only enqueues; a Celery worker subprocess delivers, broker Redis on
127.0.0.1:6379/14). Requests alternate between the modes. Reported: median and p95 ms per
mode, the ratio to "none", and whether every notification was delivered. Without Redis
the celery mode is skipped (said so in the output).

Then the retry scenario: the server stops, one admin save in background mode, the server
starts again on its port; reported: the deliveries (one) and the time to it, with the
default retry schedule (DELIVERY_RETRY_SECONDS, found by the BACKGROUND_POLL_SECONDS poll).

Prints a table and writes bench/results/request_time.json. The database is a throwaway
SQLite file (bench/results/request_time.sqlite3) unless DATABASE_URL is set; the Celery
worker (started with tests/support/processes.py) uses the same database.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from collections import Counter
from contextlib import nullcontext
from decimal import Decimal
from typing import Any

from bench.common_setup import (
    RESULTS,
    percentile,
    push_settings,
    ratio,
    save_results,
    setup_django,
    status_counts,
    table,
)
from tests.support import processes
from tests.support.services import redis_running

NAME = "request_time"
BROKER_URL = "redis://127.0.0.1:6379/14"
WORKER_LOG = RESULTS / f"{NAME}-celery-worker.log"

REQUEST_LATENCY = 0.1
WARMUP_REQUESTS = 3  # per mode, not measured
REQUEST_SETTINGS = {
    "RETRY_BACKOFF_SECONDS": 0.05,
    "READ_TIMEOUT": 5.0,
    "RATE_LIMIT_PER_SECOND": None,
}


# -- request time per delivery mode -------------------------------------------------------


def ship_in_admin(client: Any, order: Any) -> Any:
    """Post the admin's Order change form with the status "shipped"; return the response."""
    from django.urls import reverse

    return client.post(
        reverse("admin:orders_order_change", args=[order.pk]),
        {
            "product": order.product_id,
            "buyer": order.buyer_id,
            "status": "shipped",
            "_save": "Save",
        },
    )


def flush_broker() -> None:
    import redis

    redis.Redis.from_url(BROKER_URL).flushdb()


def start_celery_worker(expo_url: str) -> subprocess.Popen:
    """Start `celery -A unitrade worker` on the bench database and the loopback server."""
    env = processes.worker_env(EXPO_BASE_URL=expo_url, DELIVERY="celery", **REQUEST_SETTINGS)
    env.update(CELERY_BROKER_URL=BROKER_URL, PUSH_LOG_LEVEL="WARNING")
    return processes.start_celery_worker(env, WORKER_LOG)


def run(requests: int, skip_celery: bool) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    import push
    from orders.models import Order, Product
    from push.models import NotificationLog, PushToken
    from tests.support.expo import ExpoServer

    celery_reason = None
    if skip_celery:
        celery_reason = "skipped (--skip-celery)"
    elif not redis_running():
        celery_reason = "skipped: Redis is not reachable on 127.0.0.1:6379"
    # "none": the push receivers switched off, the admin save alone (the baseline).
    modes = ["none", "inline", "background"] + ([] if celery_reason else ["celery"])

    user_model = get_user_model()
    admin = user_model.objects.create_superuser("root", "root@example.com", "pw-root-123")
    seller = user_model.objects.create_user(username="seller", first_name="Sam")
    PushToken.objects.create(user=seller, token="ExponentPushToken[seller-admin-bench]")
    product = Product.objects.create(seller=seller, name="Calculus textbook", price=Decimal(25))
    per_mode = requests + WARMUP_REQUESTS
    buyers = user_model.objects.bulk_create(
        # One more order for the retry scenario.
        [user_model(username=f"adminbuyer{n}") for n in range(per_mode * len(modes) + 1)]
    )
    PushToken.objects.bulk_create(
        PushToken(user=buyer, token=f"ExponentPushToken[admin-buyer-{buyer.pk}]")
        for buyer in buyers
    )
    # bulk_create sends no signals: the orders start pending without notifying anyone.
    orders = Order.objects.bulk_create(Order(product=product, buyer=buyer) for buyer in buyers)
    client = Client()
    client.force_login(admin)

    server = ExpoServer(latency=REQUEST_LATENCY, rate_per_second=None).start()
    worker = None
    result: dict[str, Any] = {"latency_ms": REQUEST_LATENCY * 1000, "requests_per_mode": requests}
    # The background thread reads the settings when it delivers, after the request's own
    # override is gone: the server's URL holds for the whole run.
    outer = push_settings(EXPO_BASE_URL=server.url, DELIVERY="background", **REQUEST_SETTINGS)
    outer.__enter__()
    try:
        if "celery" in modes:
            from unitrade.celery import app

            app.conf.broker_url = BROKER_URL
            flush_broker()
            worker = start_celery_worker(server.url)

        times: dict[str, list[float]] = {mode: [] for mode in modes}
        order_ids: dict[str, list[int]] = {mode: [] for mode in modes}
        queue = iter(orders)

        def change(mode: str, measured: bool) -> None:
            order = next(queue)
            delivery = "inline" if mode == "none" else mode
            switch = push.receivers_disabled() if mode == "none" else nullcontext()
            with (
                switch,
                push_settings(EXPO_BASE_URL=server.url, DELIVERY=delivery, **REQUEST_SETTINGS),
            ):
                start = time.perf_counter()
                response = ship_in_admin(client, order)
                elapsed = (time.perf_counter() - start) * 1000
            assert response.status_code == 302, (response.status_code, response.content[:500])
            if measured:
                times[mode].append(elapsed)
                order_ids[mode].append(order.pk)

        # Warm-up: the first requests load templates, open the broker connection, and the
        # first celery-mode one waits for the worker to be up (its delivery proves it).
        for mode in modes:
            for _ in range(WARMUP_REQUESTS):
                change(mode, measured=False)
        if worker is not None:
            notifying = len([mode for mode in modes if mode != "none"])
            up = processes.poll(lambda: len(server.delivered) >= WARMUP_REQUESTS * notifying, 90)
            if not up or worker.poll() is not None:
                raise RuntimeError(f"the Celery worker did not deliver; see {WORKER_LOG}")
        for n in range(requests):
            # Alternate, and alternate who goes first, so drift hits both modes alike.
            for mode in modes if n % 2 == 0 else list(reversed(modes)):
                change(mode, measured=True)

        for mode in modes:
            values = times[mode]
            result[mode] = {
                "median_ms": round(percentile(values, 50), 2),
                "p95_ms": round(percentile(values, 95), 2),
                "mean_ms": round(sum(values) / len(values), 2),
                "min_ms": round(min(values), 2),
                "max_ms": round(max(values), 2),
            }

        def settled(mode: str) -> dict[str, int]:
            rows = NotificationLog.objects.filter(data__orderId__in=map(str, order_ids[mode]))
            return dict(Counter(rows.values_list("status", flat=True)))

        def received(mode: str) -> Counter:
            wanted = {str(pk) for pk in order_ids[mode]}
            return Counter(
                m["data"]["orderId"]
                for m in server.delivered
                if m.get("data", {}).get("orderId") in wanted
            )

        for queued in ("background", "celery"):
            if queued in modes:
                start = time.perf_counter()
                processes.poll(lambda q=queued: settled(q).get("sent", 0) == requests, 90)
                result[queued]["all_delivered_after_s"] = round(time.perf_counter() - start, 2)
        for mode in modes:
            if mode == "none":
                result[mode]["notifications"] = 0
                result[mode]["delivered_orders"] = len(received(mode))
                result[mode]["duplicated"] = 0
                result[mode]["log_status"] = settled(mode)
                continue
            got = received(mode)
            result[mode]["notifications"] = len(order_ids[mode])
            result[mode]["delivered_orders"] = len(got)
            result[mode]["duplicated"] = sum(count - 1 for count in got.values())
            result[mode]["log_status"] = settled(mode)
        for mode in modes:
            result[mode]["ratio_to_none"] = {
                "median": ratio(result[mode]["median_ms"], result["none"]["median_ms"]),
                "p95": ratio(result[mode]["p95_ms"], result["none"]["p95_ms"]),
            }
        if "celery" in modes:
            result["ratio_inline_over_celery"] = {
                "median": ratio(result["inline"]["median_ms"], result["celery"]["median_ms"]),
                "p95": ratio(result["inline"]["p95_ms"], result["celery"]["p95_ms"]),
            }
        stats = server.stats
        result["server"] = {
            "send_requests": stats.send_requests,
            "tcp_connections": stats.connections,
        }
        result["retry"] = retry_scenario(server, next(queue), client)
    finally:
        from push.delivery import background

        background.shutdown()
        outer.__exit__(None, None, None)
        if worker is not None:
            code, _, _ = processes.stop(worker)  # Celery's warm shutdown
            result["celery_worker_exit_code"] = code
            flush_broker()
        server.stop()
    if celery_reason:
        result["celery"] = celery_reason
    return result


def retry_scenario(server, order, client) -> dict[str, Any]:
    """Expo down, an admin save (background mode), Expo back: time until the one delivery.

    Nothing else runs: the process's own delivery thread retries on its default schedule
    (DELIVERY_RETRY_SECONDS after the failed attempt, found by a due-poll every
    BACKGROUND_POLL_SECONDS).
    """
    from push.conf import push_settings as settings_now
    from push.models import NotificationLog

    def row():
        return NotificationLog.objects.filter(data__orderId=str(order.pk)).first()

    def deliveries() -> int:
        return sum(m.get("data", {}).get("orderId") == str(order.pk) for m in server.delivered)

    server.stop()
    saved = time.perf_counter()
    response = ship_in_admin(client, order)
    assert response.status_code == 302, response.status_code
    failed = processes.poll(lambda: (r := row()) is not None and r.attempts >= 1, 60)
    first_error = (row().error_message or "")[:80] if failed else "no attempt seen"
    failed_after = time.perf_counter()
    server.start()  # the same port again
    restarted = time.perf_counter()
    delivered = processes.poll(lambda: deliveries() >= 1, 180)
    arrived = time.perf_counter()
    time.sleep(2 * float(settings_now.BACKGROUND_POLL_SECONDS))  # would a second one come?
    return {
        "delivery_retry_seconds": settings_now.DELIVERY_RETRY_SECONDS,
        "poll_seconds": settings_now.BACKGROUND_POLL_SECONDS,
        "first_attempt_error": first_error,
        "first_attempt_after_s": round(failed_after - saved, 2),
        "delivered": delivered,
        "deliveries": deliveries(),
        "from_save_s": round(arrived - saved, 2),
        "from_expo_back_s": round(arrived - restarted, 2),
        "log_status": row().status,
    }


# -- report -------------------------------------------------------------------------------


def report(b: dict[str, Any]) -> str:
    modes = [m for m in ("none", "inline", "background", "celery") if isinstance(b.get(m), dict)]
    labels = {
        "none": "no push (receivers off)",
        "inline": "inline",
        "background": "background",
        "celery": "celery",
    }
    rows = []
    for mode in modes:
        r = b[mode]
        rows.append(
            [
                labels[mode],
                r["median_ms"],
                r["p95_ms"],
                r["mean_ms"],
                r["max_ms"],
                f"{r['ratio_to_none']['median']}x",
                f"{r['delivered_orders']}/{r['notifications']}",
                r["duplicated"],
                status_counts(r["log_status"]) or "-",
            ]
        )
    lines = [
        table(
            f"Admin Order change view, {b['requests_per_mode']} requests per mode, "
            f"Expo latency {b['latency_ms']:.0f} ms (request ms)",
            [
                "mode",
                "median",
                "p95",
                "mean",
                "max",
                "med/none",
                "delivered",
                "dup",
                "log rows",
            ],
            rows,
        )
    ]
    if "ratio_inline_over_celery" in b:
        r = b["ratio_inline_over_celery"]
        lines.append(
            f"inline / celery request time: median {r['median']}x, p95 {r['p95']}x; "
            f"the worker had delivered every celery-mode notification "
            f"{b['celery']['all_delivered_after_s']} s after the last request"
            if b["celery"]["log_status"].get("sent") == b["requests_per_mode"]
            else f"inline / celery request time: median {r['median']}x, p95 {r['p95']}x; "
            f"NOT all celery-mode notifications were delivered: {b['celery']['log_status']}"
        )
    if "server" in b:
        lines.append(
            f"loopback server: {b['server']['send_requests']} /send requests over "
            f"{b['server']['tcp_connections']} TCP connections"
        )
    if isinstance(b.get("background"), dict):
        r = b["background"]
        lines.append(
            f"background: every notification delivered {r.get('all_delivered_after_s')} s "
            f"after the last request"
            if r["log_status"].get("sent") == b["requests_per_mode"]
            else f"background: NOT all notifications were delivered: {r['log_status']}"
        )
    if "retry" in b:
        r = b["retry"]
        lines.append(
            f"retry (background, Expo down during the save, then back): {r['deliveries']} "
            f"delivery, {r['from_expo_back_s']} s after Expo came back, {r['from_save_s']} s "
            f"after the save (DELIVERY_RETRY_SECONDS {r['delivery_retry_seconds']}, poll "
            f"every {r['poll_seconds']} s; first attempt: {r['first_attempt_error']})"
        )
    if isinstance(b.get("celery"), str):
        lines.append(f"celery mode: {b['celery']}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=30, help="admin requests per mode (30)")
    parser.add_argument("--skip-celery", action="store_true", help="no celery mode")
    parser.add_argument(
        "--flush", action="store_true", help="empty the DATABASE_URL database first"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    os.environ.setdefault("CELERY_BROKER_URL", BROKER_URL)
    setup_django(NAME, flush=args.flush)

    print(f"admin requests: {args.requests} per mode ...")
    result = run(args.requests, args.skip_celery)
    print(report(result))
    save_results(NAME, started, requests=result)


if __name__ == "__main__":
    main()
