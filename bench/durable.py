"""Benchmark delivery under failure, and what a web request pays for inline delivery.

    .venv/bin/python bench/durable.py [--notifications N] [--requests N] [--skip-celery]

(a) Fault run: N pending notifications (default 2,000; one user and one device each)
    delivered by the in-process `push.worker.Worker().run_once()` loop (repeated, with a
    short sleep, until nothing is pending) against tests/expo_server.ExpoServer with 30% of
    /send requests failing (HTTP 500, gateway HTML, gateway text, timeouts, resets).
    Baseline: the same N with no faults, in the same run. Reported: delivered, lost
    (devices that never received theirs), duplicated, faults injected, retries (by the
    transport, and notifications that needed more than one attempt), time and its ratio.
(b) Request time of the Django admin's Order change view (a logged-in superuser changes
    the status to shipped; the save notifies the buyer) with the server at 100 ms latency,
    with the receivers off ("none", the baseline), in DELIVERY "inline" mode (the request
    delivers after its commit), "background" mode (the commit queues the ids for this
    process's delivery thread) and "celery" mode (it only enqueues; a Celery worker
    subprocess delivers, broker Redis on 127.0.0.1:6379/14). Requests alternate between
    the modes. Reported: median and p95 ms per mode, the ratio to "none", and whether
    every notification was delivered. Without Redis the celery mode is skipped (said so in
    the output). Then the retry scenario: the server stops, one admin save in background
    mode, the server starts again on its port; reported: the deliveries (one) and the time
    to it, with the default retry schedule. `--skip-fault-run` runs (b) alone.

Prints tables and writes bench/results/durable.json. The database is a throwaway SQLite
file (bench/results/durable.sqlite3) unless DATABASE_URL is set; the Celery worker uses
the same database (DATABASE_URL is passed on to it).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common_setup import (  # noqa: E402
    RESULTS,
    disconnect_receivers,
    machine,
    percentile,
    push_settings,
    ratio,
    reconnect_receivers,
    setup_django,
    table,
    transport_totals,
    write_json,
)

NAME = "durable"
BROKER_URL = "redis://127.0.0.1:6379/14"
REDIS_ADDRESS = ("127.0.0.1", 6379)
WORKER_LOG = RESULTS / "durable-celery-worker.log"

FAULT_RATE = 0.3
FAULT_SERVER_TIMEOUT = 1.0  # the server holds a TIMEOUT fault this long, then hangs up
LOOP_SLEEP = 0.02  # between run_once() calls while retries wait for their time
FAULT_SETTINGS = {
    "TRANSPORT": "bench.common_setup.RecordingExpoTransport",
    "DELIVERY": "inline",
    "RETRY_ATTEMPTS": 2,  # per HTTP request, inside the transport
    "RETRY_BACKOFF_SECONDS": 0.05,
    "RETRY_BACKOFF_MAX_SECONDS": 0.2,
    "MAX_DELIVERY_ATTEMPTS": 50,  # per notification, by the worker loop
    "DELIVERY_RETRY_SECONDS": 0.05,
    "READ_TIMEOUT": 0.5,
    "CONNECT_TIMEOUT": 0.5,
    # The server has no rate limit either: the run measures the machinery, not Expo's 600/s.
    "RATE_LIMIT_PER_SECOND": None,
}

REQUEST_LATENCY = 0.1
WARMUP_REQUESTS = 3  # per mode, not measured
REQUEST_SETTINGS = {
    "RETRY_BACKOFF_SECONDS": 0.05,
    "READ_TIMEOUT": 5.0,
    "RATE_LIMIT_PER_SECOND": None,
}


# -- (a) the fault run --------------------------------------------------------------------


def make_recipients(count: int) -> list[str]:
    """Create `count` users with one active device each; return their tokens."""
    from django.contrib.auth import get_user_model

    from push.models import PushToken

    user_model = get_user_model()
    users = user_model.objects.bulk_create([user_model(username=f"fault{n}") for n in range(count)])
    tokens = [f"ExponentPushToken[fault-{user.pk}]" for user in users]
    PushToken.objects.bulk_create(
        PushToken(user=user, token=token) for user, token in zip(users, tokens, strict=True)
    )
    return tokens


def queue_notifications(run: str) -> None:
    """Replace every notification with one pending notification per fault-run user."""
    from django.contrib.auth import get_user_model

    from push.models import NotificationLog

    NotificationLog.objects.all().delete()
    users = get_user_model().objects.filter(username__startswith="fault").order_by("pk")
    NotificationLog.objects.bulk_create(
        NotificationLog(
            user_id=user_id,
            title="Exam week",
            body="The library is open until midnight.",
            data={"type": "system", "run": run},
        )
        for user_id in users.values_list("pk", flat=True)
    )


def drain(label: str, timeout: float = 150.0) -> dict[str, Any]:
    """Run Worker().run_once() until nothing is pending; return time and worker totals."""
    from push.delivery.worker import Worker
    from push.models import NotificationLog, NotificationStatus

    pending = NotificationLog.objects.filter(status=NotificationStatus.PENDING)
    worker = Worker()
    rounds = 0
    start = time.perf_counter()
    while True:
        worker.run_once()
        rounds += 1
        if not pending.exists():
            break
        if time.perf_counter() - start > timeout:
            print(f"  {label}: gave up after {timeout:.0f} s with {pending.count()} pending")
            break
        time.sleep(LOOP_SLEEP)
    seconds = time.perf_counter() - start
    return {"seconds": round(seconds, 3), "run_once_calls": rounds, "worker": worker.total}


def fault_run(server, tokens: list[str], fault_rate: float, label: str) -> dict[str, Any]:
    from django.db.models import F, Sum

    from bench.common_setup import RecordingExpoTransport
    from push.models import NotificationLog
    from push.transports.base import TransportStats
    from tests.expo_server import GATEWAY_HTML, GATEWAY_TEXT, HTTP_500, RESET, TIMEOUT

    queue_notifications(label)
    server.reset()
    if fault_rate:
        server.set_fault_rate(
            fault_rate, kinds=(HTTP_500, GATEWAY_HTML, GATEWAY_TEXT, TIMEOUT, RESET)
        )
    # The process keeps its transport between runs (push.transports.shared_transport):
    # count this run's requests from zero.
    for instance in RecordingExpoTransport.instances:
        instance.stats = TransportStats()
    with push_settings(EXPO_BASE_URL=server.url, **FAULT_SETTINGS):
        drained = drain(label)
    delivered = server.delivered
    received = Counter(message["to"] for message in delivered)
    ours = set(tokens)
    stats = server.stats
    transport = transport_totals(RecordingExpoTransport.instances)
    rows = NotificationLog.objects.all()
    statuses = dict(Counter(rows.values_list("status", flat=True)))
    retried = rows.filter(attempts__gt=1)
    extra = retried.aggregate(extra=Sum(F("attempts") - 1))["extra"] or 0
    duplicates = server.duplicates()
    worker = drained.pop("worker")
    return {
        "notifications": len(tokens),
        "fault_rate": fault_rate,
        "seconds": drained["seconds"],
        "run_once_calls": drained["run_once_calls"],
        "delivered_devices": len(ours & set(received)),
        "lost_devices": len(ours - set(received)),
        "accepted_messages": len(delivered),
        "duplicated_messages": sum(count - 1 for count in duplicates.values()),
        "duplicated_devices": len(duplicates),
        "send_requests": stats.send_requests,
        "faults_injected": dict(stats.faults_injected),
        "faults_total": sum(stats.faults_injected.values()),
        "transport_requests": transport["requests"],
        "transport_retries": transport["retries"],
        "transport_batch_failures": transport["batch_failures"],
        "notifications_retried": retried.count(),
        "extra_notification_attempts": extra,
        "max_attempts": max(rows.values_list("attempts", flat=True), default=0),
        "final_status": statuses,
        "worker_report": worker.as_dict(),
    }


def part_a(count: int, rounds: int) -> dict[str, Any]:
    from tests.expo_server import ExpoServer

    tokens = make_recipients(count)
    # The transport logs every failed request: thousands of lines under 30% faults.
    logging.getLogger("push").setLevel(logging.ERROR)
    with ExpoServer(rate_per_second=None, timeout_seconds=FAULT_SERVER_TIMEOUT) as server:
        fault_run(server, tokens, 0.0, "warm-up")  # first-use costs; not measured
    runs = []
    for seed in range(rounds):
        # Each round draws its faults from another seed (the server's RNG is reproducible).
        with ExpoServer(
            rate_per_second=None, timeout_seconds=FAULT_SERVER_TIMEOUT, seed=seed
        ) as server:
            baseline = fault_run(server, tokens, 0.0, f"baseline-{seed}")
            faults = fault_run(server, tokens, FAULT_RATE, f"faults-{seed}")
        runs.append({"seed": seed, "baseline": baseline, "faults": faults})
        print(
            f"  round {seed + 1}/{rounds}: no faults {baseline['seconds']:.2f} s, "
            f"30% faults {faults['seconds']:.2f} s ({faults['faults_total']} faults, "
            f"{faults['lost_devices']} lost, {faults['duplicated_messages']} duplicated)"
        )
    return {
        "settings": FAULT_SETTINGS,
        "rounds": runs,
        "baseline": _totals([run["baseline"] for run in runs]),
        "faults": _totals([run["faults"] for run in runs]),
    }


def _totals(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Sum the counts of several runs; keep per-run times."""
    summed = (
        "notifications",
        "delivered_devices",
        "lost_devices",
        "accepted_messages",
        "duplicated_messages",
        "duplicated_devices",
        "send_requests",
        "faults_total",
        "transport_requests",
        "transport_retries",
        "notifications_retried",
        "extra_notification_attempts",
        "run_once_calls",
    )
    total: dict[str, Any] = {key: sum(run[key] for run in runs) for key in summed}
    for key in ("faults_injected", "transport_batch_failures", "final_status"):
        counter: Counter = Counter()
        for run in runs:
            counter.update(run[key])
        total[key] = dict(counter)
    total["fault_rate"] = runs[0]["fault_rate"]
    total["max_attempts"] = max(run["max_attempts"] for run in runs)
    total["seconds"] = round(sum(run["seconds"] for run in runs), 3)
    total["seconds_per_round"] = [run["seconds"] for run in runs]
    total["rounds"] = len(runs)
    return total


# -- (b) request time, inline vs celery ---------------------------------------------------


def redis_available() -> bool:
    try:
        with socket.create_connection(REDIS_ADDRESS, timeout=1):
            return True
    except OSError:
        return False


def flush_broker() -> None:
    import redis

    redis.Redis.from_url(BROKER_URL).flushdb()


def start_celery_worker(database_url: str, expo_url: str) -> subprocess.Popen:
    """Start `celery -A unitrade worker` on the bench database and the loopback server."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.worker_settings",
        DATABASE_URL=database_url,
        PUSH_TEST_SETTINGS=json.dumps(
            {"EXPO_BASE_URL": expo_url, "DELIVERY": "celery", **REQUEST_SETTINGS}
        ),
        CELERY_BROKER_URL=BROKER_URL,
        PUSH_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    from tests.processes import start_celery_worker

    return start_celery_worker(env, WORKER_LOG)


def stop_process(process: subprocess.Popen, timeout: float = 30) -> int:
    if process.poll() is None:
        process.terminate()  # Celery's warm shutdown
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def part_b(requests: int, database_url: str, skip_celery: bool) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from orders.models import Order, Product
    from push.models import NotificationLog, PushToken
    from tests.expo_server import ExpoServer

    celery_reason = None
    if skip_celery:
        celery_reason = "skipped (--skip-celery)"
    elif not redis_available():
        celery_reason = "skipped: Redis is not reachable on 127.0.0.1:6379"
    # "none": the push receivers disconnected, the admin save alone (the baseline).
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
    # override is gone: the server's URL holds for the whole part.
    outer = push_settings(EXPO_BASE_URL=server.url, DELIVERY="background", **REQUEST_SETTINGS)
    outer.__enter__()
    try:
        if "celery" in modes:
            from unitrade.celery import app

            app.conf.broker_url = BROKER_URL
            flush_broker()
            worker = start_celery_worker(database_url, server.url)

        times: dict[str, list[float]] = {mode: [] for mode in modes}
        order_ids: dict[str, list[int]] = {mode: [] for mode in modes}
        queue = iter(orders)

        def change(mode: str, measured: bool) -> None:
            order = next(queue)
            delivery = "inline" if mode == "none" else mode
            if mode == "none":
                disconnect_receivers()
            try:
                with push_settings(EXPO_BASE_URL=server.url, DELIVERY=delivery, **REQUEST_SETTINGS):
                    start = time.perf_counter()
                    response = client.post(
                        f"/admin/orders/order/{order.pk}/change/",
                        {
                            "product": order.product_id,
                            "buyer": order.buyer_id,
                            "status": "shipped",
                            "_save": "Save",
                        },
                    )
                    elapsed = (time.perf_counter() - start) * 1000
            finally:
                if mode == "none":
                    reconnect_receivers()
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
            up = wait_for(lambda: len(server.delivered) >= WARMUP_REQUESTS * notifying, 90)
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
                wait_for(lambda q=queued: settled(q).get("sent", 0) == requests, 90)
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
            code = stop_process(worker)
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

    port = server.port
    server.stop()
    saved = time.perf_counter()
    response = client.post(
        f"/admin/orders/order/{order.pk}/change/",
        {
            "product": order.product_id,
            "buyer": order.buyer_id,
            "status": "shipped",
            "_save": "Save",
        },
    )
    assert response.status_code == 302, response.status_code
    failed = wait_for(lambda: (r := row()) is not None and r.attempts >= 1, 60)
    first_error = (row().error_message or "")[:80] if failed else "no attempt seen"
    server.start(port=port)
    restarted = time.perf_counter()
    delivered = wait_for(lambda: deliveries() >= 1, 180)
    arrived = time.perf_counter()
    time.sleep(2 * float(settings_now.BACKGROUND_POLL_SECONDS))  # would a second one come?
    return {
        "delivery_retry_seconds": settings_now.DELIVERY_RETRY_SECONDS,
        "poll_seconds": settings_now.BACKGROUND_POLL_SECONDS,
        "first_attempt_error": first_error,
        "delivered": delivered,
        "deliveries": deliveries(),
        "from_save_s": round(arrived - saved, 2),
        "from_expo_back_s": round(arrived - restarted, 2),
        "log_status": row().status,
    }


# -- report -------------------------------------------------------------------------------


def report_a(a: dict[str, Any]) -> str:
    base, fault = a["baseline"], a["faults"]
    rounds = base["rounds"]
    per_round = [
        ratio(f, b)
        for f, b in zip(fault["seconds_per_round"], base["seconds_per_round"], strict=True)
    ]

    def counts(values: dict[str, int]) -> str:
        return ", ".join(f"{k} {v}" for k, v in sorted(values.items())) or "-"

    rows = [
        ["notifications (1 device each)", base["notifications"], fault["notifications"]],
        ["fault rate of /send requests", base["fault_rate"], fault["fault_rate"]],
        ["devices delivered", base["delivered_devices"], fault["delivered_devices"]],
        ["devices lost", base["lost_devices"], fault["lost_devices"]],
        ["duplicated messages", base["duplicated_messages"], fault["duplicated_messages"]],
        ["/send requests (server)", base["send_requests"], fault["send_requests"]],
        ["faults injected", base["faults_total"], fault["faults_total"]],
        ["transport retries (same request)", base["transport_retries"], fault["transport_retries"]],
        [
            "notifications with attempts > 1",
            base["notifications_retried"],
            fault["notifications_retried"],
        ],
        [
            "extra notification attempts",
            base["extra_notification_attempts"],
            fault["extra_notification_attempts"],
        ],
        ["most attempts of one notification", base["max_attempts"], fault["max_attempts"]],
        ["final status", _statuses(base["final_status"]), _statuses(fault["final_status"])],
        ["run_once() calls", base["run_once_calls"], fault["run_once_calls"]],
        ["total time (s)", base["seconds"], fault["seconds"]],
        ["time ratio (faults / baseline)", 1.0, ratio(fault["seconds"], base["seconds"])],
    ]
    return "\n".join(
        [
            table(
                f"(a) Worker().run_once() loop: {rounds} rounds of "
                f"{base['notifications'] // rounds} notifications, summed",
                ["", "no faults", "30% faults"],
                rows,
            ),
            "time ratio per round: " + ", ".join(f"{r}x" for r in per_round),
            f"faults injected by kind: {counts(fault['faults_injected'])}",
            "whole-request failures seen by the transport: "
            + counts(fault["transport_batch_failures"]),
        ]
    )


def _statuses(statuses: dict[str, int]) -> str:
    return " ".join(f"{k}={v}" for k, v in sorted(statuses.items()))


def report_b(b: dict[str, Any]) -> str:
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
                _statuses(r["log_status"]) or "-",
            ]
        )
    lines = [
        table(
            f"(b) Admin Order change view, {b['requests_per_mode']} requests per mode, "
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
        lines.append(
            f"background: every notification delivered "
            f"{b['background'].get('all_delivered_after_s')} s after the last request"
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
    parser.add_argument("--notifications", type=int, default=2000, help="fault run size (2000)")
    parser.add_argument(
        "--rounds", type=int, default=5, help="fault runs, each with its baseline (5)"
    )
    parser.add_argument("--requests", type=int, default=30, help="admin requests per mode (30)")
    parser.add_argument("--skip-celery", action="store_true", help="no celery mode in (b)")
    parser.add_argument("--skip-fault-run", action="store_true", help="part (b) only")
    parser.add_argument(
        "--flush", action="store_true", help="empty the DATABASE_URL database first"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    os.environ.setdefault("CELERY_BROKER_URL", BROKER_URL)
    database_url = setup_django(NAME, flush=args.flush)

    print(
        f"(a) fault run: {args.notifications} notifications, no faults then 30%, "
        f"{args.rounds} rounds ..."
    )
    a = {} if args.skip_fault_run else part_a(args.notifications, args.rounds)
    if a:
        print(report_a(a))
    print()
    print(f"(b) admin requests: {args.requests} per mode ...")
    b = part_b(args.requests, database_url, args.skip_celery)
    print(report_b(b))
    results = {
        "benchmark": NAME,
        "fault_run": a,
        "requests": b,
        "machine": machine(),
        "seconds": round(time.perf_counter() - started, 1),
    }
    path = write_json(NAME, results)
    print(f"\n{results['seconds']} s; results in {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
