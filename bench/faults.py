"""Benchmark delivery under failure: nothing lost, nothing twice, and what faults cost.

    .venv/bin/python -m bench.faults [--notifications N] [--rounds N] [--flush]

N pending notifications (default 2,000; one user and one device each) delivered by the
in-process `push.worker.Worker().run_once()` loop (repeated, with a short sleep, until
nothing is pending) against tests.support.expo.ExpoServer with 30% of /send requests
failing (HTTP 500, gateway HTML, gateway text, timeouts, resets). Baseline: the same N with
no faults, in the same run; each of the rounds (default 5) draws its faults from another
seed. Reported: delivered, lost (devices that never received theirs), duplicated, faults
injected, retries (by the transport, and notifications that needed more than one attempt),
time and its ratio.

Prints a table and writes bench/results/faults.json. The database is a throwaway SQLite
file (bench/results/faults.sqlite3) unless DATABASE_URL is set.
"""

from __future__ import annotations

import argparse
import logging
import time
from collections import Counter
from typing import Any

from bench.common_setup import (
    push_settings,
    ratio,
    save_results,
    setup_django,
    status_counts,
    table,
    transport_totals,
)

NAME = "faults"
FAULT_RATE = 0.3
FAULT_SERVER_TIMEOUT = 1.0  # the server holds a TIMEOUT fault this long, then hangs up
LOOP_SLEEP = 0.02  # between run_once() calls while retries wait for their time
FAULT_SETTINGS = {
    "TRANSPORT": "bench.common_setup.RecordingExpoTransport",
    "DELIVERY": "inline",
    "RETRY_ATTEMPTS": 2,  # per HTTP request, inside the transport
    "RETRY_BACKOFF_SECONDS": 0.05,
    "RETRY_BACKOFF_MAX_SECONDS": 0.2,
    "RETRY_FOR_SECONDS": 3600,  # per notification, by the worker loop
    "DELIVERY_RETRY_SECONDS": 0.05,
    "READ_TIMEOUT": 0.5,
    "CONNECT_TIMEOUT": 0.5,
    # The server has no rate limit either: the run measures the machinery, not Expo's 600/s.
    "RATE_LIMIT_PER_SECOND": None,
}


# -- the fault run --------------------------------------------------------------------------


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
    from tests.support.expo import GATEWAY_HTML, GATEWAY_TEXT, HTTP_500, RESET, TIMEOUT

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


def run(count: int, rounds: int) -> dict[str, Any]:
    from tests.support.expo import ExpoServer

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


# -- report -------------------------------------------------------------------------------


def report(a: dict[str, Any]) -> str:
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
        ["final status", status_counts(base["final_status"]), status_counts(fault["final_status"])],
        ["run_once() calls", base["run_once_calls"], fault["run_once_calls"]],
        ["total time (s)", base["seconds"], fault["seconds"]],
        ["time ratio (faults / baseline)", 1.0, ratio(fault["seconds"], base["seconds"])],
    ]
    return "\n".join(
        [
            table(
                f"Worker().run_once() loop: {rounds} rounds of "
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notifications", type=int, default=2000, help="per round (2000)")
    parser.add_argument(
        "--rounds", type=int, default=5, help="fault runs, each with its baseline (5)"
    )
    parser.add_argument(
        "--flush", action="store_true", help="empty the DATABASE_URL database first"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    setup_django(NAME, flush=args.flush)

    print(
        f"fault run: {args.notifications} notifications, no faults then 30%, "
        f"{args.rounds} rounds ..."
    )
    result = run(args.notifications, args.rounds)
    print(report(result))
    save_results(NAME, started, fault_run=result)


if __name__ == "__main__":
    main()
