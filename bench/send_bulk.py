"""Benchmark push.send_bulk() against the Expo-compatible loopback server.

    .venv/bin/python -m bench.send_bulk [--users N] [--baseline-users N] [--quick]
                                        [--languages N]

Measures, in one run (see bench/README.md):

1. push.send_bulk(User.objects.all(), ...) to N users (default 10,000) with 2 active Expo
   tokens each, outside any transaction, against tests.support.expo.ExpoServer with 100 ms of
   latency per request and Expo's 600 notifications/s limit, with the transport's defaults
   (CONCURRENCY=6, RATE_LIMIT_PER_SECOND=600): wall time, notifications/s, HTTP requests,
   429s, lost and duplicated notifications, SQL queries.
2. The original guide's way on a sample of users (one requests.post per user, sequential,
   no session, no gzip) against the same server: the baseline of the speed-up.
3. Peak memory in fresh subprocesses sending to 10,000 and 100,000 users (server with no
   latency and no limit, client RATE_LIMIT_PER_SECOND=None): ru_maxrss and the tracemalloc
   peak of send_bulk alone. `--quick` skips the 100,000 run.

With `--languages N` the users read N of the site's languages (a third each for 3), the
main run sends translatable texts (UniTrade's payment texts: gettext_lazy, format_lazy
with a placeholder), each user getting them in their own language, and a fourth part
compares, in this one run, the same texts as plain English and translatable, sent to the
same users with no latency and no rate limit, in alternating rounds: the cost of writing
per language, as a ratio.

Prints a table and writes bench/results/send_bulk.json. The database is a throwaway SQLite
file under bench/results/ unless DATABASE_URL is set (which must then be an empty database,
or pass --flush to empty it). The setup is bench/common_setup.py's.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import tracemalloc
from typing import Any

from bench.common_setup import (
    RESULTS,
    ROOT,
    QueryCounter,
    machine,
    setup_django,
    write_json,
)

NAME = "send_bulk"
JSON_OUT = RESULTS / f"{NAME}.json"

TOKENS_PER_USER = 2
SEED_BATCH = 2000  # users per bulk_create round (plus their tokens)
MEMORY_SIZES = (10_000, 100_000)

# Targets.
MIN_NOTIFICATIONS_PER_SECOND = 570
MIN_NOTIFICATIONS_PER_QUERY = 20
MAX_MEMORY_GROWTH = 1.5

TITLE = "UniTrade benchmark"
BODY = "The spring sale starts now: 20% off every textbook."
DATA = {"type": "system", "campaign": "bench"}
# --languages: at most this much slower, or more queries, than plain texts.
MAX_TRANSLATION_COST = 0.05


def texts(translated: bool) -> tuple[Any, Any]:
    """The title and body of a run: UniTrade's payment texts, translatable or plain English."""
    from django.utils.text import format_lazy
    from django.utils.translation import gettext_lazy as _

    body = format_lazy(_("Payment for {product} was successful"), product="Calculus textbook")
    title = _("Payment Confirmed ✅")
    return (title, body) if translated else ("Payment Confirmed ✅", str(body))


def assign_languages(count: int) -> list[str]:
    """Give the users `count` of the site's languages, in turn; return them."""
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from push.models import NotificationPreference

    codes = [code for code, _name in settings.LANGUAGES][:count]
    NotificationPreference.objects.all().delete()
    ids = get_user_model().objects.order_by("pk").values_list("pk", flat=True)
    NotificationPreference.objects.bulk_create(
        (
            NotificationPreference(user_id=pk, language=codes[n % len(codes)])
            for n, pk in enumerate(ids)
        ),
        batch_size=SEED_BATCH,
    )
    return codes


# -- setup ---------------------------------------------------------------------------------

# DEBUG keeps the SQL of the last 9000 queries in connection.queries: with bulk INSERTs that
# is tens of MB, growing with the user count. Production runs with it off: so does this,
# unless --keep-debug. The transport logs a warning per failed request: warnings only.
LOG_LEVEL = "WARNING"


def ensure_users(target: int) -> float:
    """Grow the user table to `target` users with 2 active tokens each; return seconds."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from push.models import DeviceType, PushToken

    user_model = get_user_model()
    started = time.perf_counter()
    have = user_model.objects.count()
    for start in range(have, target, SEED_BATCH):
        stop = min(start + SEED_BATCH, target)
        with transaction.atomic():
            users = user_model.objects.bulk_create(
                [
                    # "!" prefix: an unusable password, no hashing cost.
                    user_model(
                        username=f"bench{index:07d}",
                        email=f"bench{index:07d}@example.com",
                        password="!bench",
                    )
                    for index in range(start, stop)
                ]
            )
            if any(user.pk is None for user in users):  # a backend without RETURNING
                pks = dict(
                    user_model.objects.filter(
                        username__in=[user.username for user in users]
                    ).values_list("username", "pk")
                )
                for user in users:
                    user.pk = pks[user.username]
            PushToken.objects.bulk_create(
                [
                    PushToken(
                        user_id=user.pk,
                        token=f"ExponentPushToken[bench-{user.pk}-{device}]",
                        device_type=DeviceType.IOS if device else DeviceType.ANDROID,
                        is_active=True,
                    )
                    for user in users
                    for device in range(TOKENS_PER_USER)
                ]
            )
    return time.perf_counter() - started


def push_settings_for(url: str, **overrides: Any) -> None:
    """Point the push app at the loopback server; every other key keeps its default."""
    from django.conf import settings

    settings.PUSH_NOTIFICATIONS = {
        "DELIVERY": "inline",  # in this process, whatever PUSH_DELIVERY says
        "EXPO_BASE_URL": url,
        "EXPO_ACCESS_TOKEN": None,
        **overrides,
    }


def run_figures(server: Any, expected: int, counter: Any, elapsed: float) -> dict[str, Any]:
    """Return a run's delivery figures, its SQL queries, and the rates derived from them."""
    figures = delivery_figures(server, expected)
    return {
        **figures,
        "sql_queries": counter.total,
        "sql_queries_by_kind": counter.by_kind,
        "notifications_per_second": figures["devices_notified"] / elapsed,
        "notifications_per_query": figures["devices_notified"] / max(counter.total, 1),
    }


def delivery_figures(server: Any, expected: int) -> dict[str, Any]:
    """Return what the server accepted compared with `expected` device notifications."""
    delivered = server.delivered
    distinct = {(m["to"], m.get("data", {}).get("notificationId")) for m in delivered}
    duplicates = server.duplicates()
    stats = server.stats
    return {
        "devices_expected": expected,
        "devices_notified": len(distinct),
        "accepted_messages": len(delivered),
        "lost": expected - len(distinct),
        "duplicated": sum(count - 1 for count in duplicates.values()),
        "http_requests": stats.send_requests,
        "rate_limited_429": stats.rate_limited,
        "responses_by_status": {str(k): v for k, v in sorted(stats.responses_by_status.items())},
        "max_batch": stats.max_batch,
        "max_concurrent_requests": stats.max_concurrent,
        "connections": stats.connections,
        "gzip_requests": stats.gzip_requests,
    }


# -- 1. send_bulk at 600/s ------------------------------------------------------------------


def run_send_bulk(
    server: Any, users: int, translated: bool | None = None, **overrides: Any
) -> dict[str, Any]:
    """send_bulk to every user: the benchmark's texts (`translated` None), or the payment
    texts, translatable (True) or as plain English (False)."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    import push
    from push.conf import push_settings
    from push.models import PushToken

    assert not transaction.get_connection().in_atomic_block
    expected = PushToken.objects.filter(is_active=True).count()
    push_settings_for(server.url, **overrides)
    server.reset()
    counter = QueryCounter(by_kind=True)
    with counter.installed():
        started = time.perf_counter()
        title, body = texts(translated) if translated is not None else (TITLE, BODY)
        summary = push.send_bulk(get_user_model().objects.all(), title, body, data=DATA)
        elapsed = time.perf_counter() - started
    result = {
        "users": users,
        "translated": translated,
        "concurrency": push_settings.CONCURRENCY,
        "rate_limit_per_second": push_settings.RATE_LIMIT_PER_SECOND,
        "batch_size_users": push_settings.BATCH_SIZE,
        "server": {"latency_s": server.latency, "rate_per_second": 600, "burst": 600},
        "seconds": elapsed,
        "summary": summary,
        **run_figures(server, expected, counter, elapsed),
    }
    return result


def run_translation_cost(users: int, rounds: int = 3) -> dict[str, Any]:
    """Plain and translatable sends to the same users, unthrottled, in alternating rounds:
    the ratio of their median rates, and of their queries (one run, one database)."""
    from statistics import median

    from tests.support.expo import ExpoServer

    runs: dict[str, list[dict[str, Any]]] = {"plain": [], "translated": []}
    with ExpoServer(rate_per_second=None, latency=0.0) as server:
        for _round in range(rounds):
            for name in runs:
                run = run_send_bulk(server, users, name == "translated", RATE_LIMIT_PER_SECOND=None)
                runs[name].append(
                    {
                        key: run[key]
                        for key in ("seconds", "notifications_per_second", "sql_queries", "lost")
                    }
                )
    summary = {
        name: {
            "notifications_per_second": median(r["notifications_per_second"] for r in rounds_),
            "sql_queries": max(r["sql_queries"] for r in rounds_),
            "lost": sum(r["lost"] for r in rounds_),
            "rounds": rounds_,
        }
        for name, rounds_ in runs.items()
    }
    plain, translated = summary["plain"], summary["translated"]
    return {
        **summary,
        "rate_ratio": translated["notifications_per_second"] / plain["notifications_per_second"],
        "query_ratio": translated["sql_queries"] / plain["sql_queries"],
    }


# -- 2. the original guide's way --------------------------------------------------------------


def guide_send_notification(url: str, user_id: int, title: str, body: str, data: dict) -> bool:
    """PushNotificationService.send_notification from the original guide (its happy path)."""
    import requests

    from push.models import NotificationLog, NotificationStatus, PushToken

    tokens = PushToken.objects.filter(user_id=user_id, is_active=True).values_list(
        "token", flat=True
    )
    if not tokens:
        return False
    messages = [
        {
            "to": token,
            "sound": "default",
            "title": title,
            "body": body,
            "data": data or {},
            "badge": 1,
            "priority": "high",
        }
        for token in tokens
        if token.startswith(("ExponentPushToken[", "ExpoPushToken["))
    ]
    # A new connection per call (no Session), an uncompressed body, one user at a time.
    response = requests.post(
        url,
        headers={
            "Accept": "application/json",
            "Accept-Encoding": "gzip, deflate",
            "Content-Type": "application/json",
        },
        data=json.dumps(messages),
        timeout=10,
    )
    result = response.json()
    ok = response.status_code == 200
    NotificationLog.objects.create(
        user_id=user_id,
        type="system",
        title=title,
        body=body,
        data=data,
        sent_to_tokens=len(messages),
        successful=ok,
        status=NotificationStatus.SENT if ok else NotificationStatus.FAILED,
        error_message=None if ok else str(result),
    )
    for index, ticket in enumerate(result.get("data", []) if ok else []):
        if ticket.get("status") == "error":
            error = ticket.get("details", {}).get("error")
            if error in ("DeviceNotRegistered", "InvalidCredentials"):
                PushToken.objects.filter(token=list(tokens)[index]).update(is_active=False)
    return ok


def run_baseline(server: Any, sample: int) -> dict[str, Any]:
    from django.contrib.auth import get_user_model

    from push.models import PushToken

    user_ids = list(get_user_model().objects.order_by("pk").values_list("pk", flat=True)[:sample])
    expected = PushToken.objects.filter(user_id__in=user_ids, is_active=True).count()
    server.reset()
    counter = QueryCounter(by_kind=True)
    successful = 0
    with counter.installed():
        started = time.perf_counter()
        for user_id in user_ids:  # the guide's send_bulk_notifications loop
            # Payload data as our engine sends it (a notificationId per notification), so the
            # server's duplicate check can tell the users' notifications apart.
            data = {**DATA, "notificationId": f"guide-{user_id}"}
            successful += guide_send_notification(server.send_url, user_id, TITLE, BODY, data)
        elapsed = time.perf_counter() - started
    result = {
        "users": len(user_ids),
        "seconds": elapsed,
        "successful_users": successful,
        **run_figures(server, expected, counter, elapsed),
    }
    return result


# -- 3. memory, in fresh subprocesses -------------------------------------------------------


def memory_child(users: int, url: str, trace: bool, keep_debug: bool) -> None:
    """Hidden entry point: send to the first `users` users; print figures as JSON."""
    setup_django(NAME, fresh=False, keep_debug=keep_debug, log_level=LOG_LEVEL)
    from django.contrib.auth import get_user_model

    import push
    import push.delivery
    import push.sending
    import push.transports.expo  # imported before tracing starts

    user_model = get_user_model()
    cutoff = user_model.objects.order_by("pk").values_list("pk", flat=True)[users - 1]
    recipients = user_model.objects.filter(pk__lte=cutoff)
    push_settings_for(url, RATE_LIMIT_PER_SECOND=None)
    rss_before_kib = proc_status_kib("VmRSS")
    counter = QueryCounter(by_kind=True)
    traced_peak = None
    with counter.installed():
        if trace:
            tracemalloc.start()
        started = time.perf_counter()
        summary = push.send_bulk(recipients, TITLE, BODY, data=DATA)
        elapsed = time.perf_counter() - started
        if trace:
            _, traced_peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
    print(
        json.dumps(
            {
                "users": users,
                "tracemalloc": trace,
                "seconds": elapsed,
                "summary": summary,
                "sql_queries": counter.total,
                "sql_queries_by_kind": counter.by_kind,
                "tracemalloc_peak_bytes": traced_peak,
                "rss_before_send_kib": rss_before_kib,
                "rss_peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                "vm_hwm_kib": proc_status_kib("VmHWM"),
                "django_debug": _debug(),
            }
        )
    )


def proc_status_kib(field: str) -> int | None:
    """Return a memory figure of /proc/self/status in KiB (None off Linux)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _debug() -> bool:
    from django.conf import settings

    return settings.DEBUG


# Linux hands a new process the parent's RSS as its starting ru_maxrss (fork copies the
# high-water mark, exec keeps it): a child of this big process would report at least our RSS.
# A small launcher process in between makes the child's ru_maxrss its own.
LAUNCHER = "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))"


def run_child(server: Any, users: int, trace: bool, keep_debug: bool) -> dict[str, Any]:
    """Run send_bulk to `users` users in a fresh process; return its figures and the server's."""
    server.reset()
    command = [sys.executable, "-c", LAUNCHER, sys.executable, "-m", "bench.send_bulk"]
    command += ["--memory-child", str(users), "--expo-url", server.url]
    command += ["--trace"] if trace else []
    command += ["--keep-debug"] if keep_debug else []
    # From the directory this run started in (the project root): the child imports the
    # same code as its parent.
    process = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if process.returncode != 0:
        sys.stderr.write(process.stderr)
        raise SystemExit(f"memory run for {users} users failed ({process.returncode})")
    lines = [line for line in process.stdout.splitlines() if line.startswith("{")]
    result = json.loads(lines[-1])
    result.update(delivery_figures(server, users * TOKENS_PER_USER))
    result["notifications_per_second"] = result["devices_notified"] / result["seconds"]
    return result


def run_memory(server: Any, users: int, keep_debug: bool) -> dict[str, Any]:
    """Two fresh processes: time and peak RSS untraced, then the tracemalloc peak."""
    plain = run_child(server, users, trace=False, keep_debug=keep_debug)
    traced = run_child(server, users, trace=True, keep_debug=keep_debug)
    return {
        "users": users,
        "seconds": plain["seconds"],
        "notifications_per_second": plain["notifications_per_second"],
        "rss_before_send_kib": plain["rss_before_send_kib"],
        "rss_peak_kib": plain["rss_peak_kib"],
        "tracemalloc_peak_bytes": traced["tracemalloc_peak_bytes"],
        "seconds_under_tracemalloc": traced["seconds"],
        "lost": max(plain["lost"], traced["lost"]),
        "duplicated": max(plain["duplicated"], traced["duplicated"]),
        "sql_queries": plain["sql_queries"],
        "notifications_per_query": plain["devices_notified"] / max(plain["sql_queries"], 1),
        "runs": {"untraced": plain, "traced": traced},
    }


# -- report -----------------------------------------------------------------------------------


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    main = results["send_bulk"]
    checks = [
        {
            "target": f"notifications/s >= {MIN_NOTIFICATIONS_PER_SECOND}",
            "value": round(main["notifications_per_second"], 1),
            "passed": main["notifications_per_second"] >= MIN_NOTIFICATIONS_PER_SECOND,
        },
        {
            "target": "0 notifications lost (to 429s or anything else)",
            "value": f"{main['lost']} lost, {main['rate_limited_429']} 429s",
            "passed": main["lost"] == 0,
        },
        {
            "target": f"<= 1 SQL query per {MIN_NOTIFICATIONS_PER_QUERY} notifications",
            "value": round(main["notifications_per_query"], 1),
            "passed": main["notifications_per_query"] >= MIN_NOTIFICATIONS_PER_QUERY,
        },
    ]
    memory = {run["users"]: run for run in results["memory"]}
    small, large = memory.get(MEMORY_SIZES[0]), memory.get(MEMORY_SIZES[1])
    if small and large:
        ratio = large["tracemalloc_peak_bytes"] / small["tracemalloc_peak_bytes"]
        rss_ratio = large["rss_peak_kib"] / small["rss_peak_kib"]
        checks.append(
            {
                "target": f"memory flat: 100k tracemalloc peak <= {MAX_MEMORY_GROWTH}x 10k's",
                "value": round(ratio, 2),
                "passed": ratio <= MAX_MEMORY_GROWTH,
            }
        )
        checks.append(
            {
                "target": f"memory flat: 100k peak RSS <= {MAX_MEMORY_GROWTH}x 10k's",
                "value": round(rss_ratio, 2),
                "passed": rss_ratio <= MAX_MEMORY_GROWTH,
            }
        )
    else:
        checks.append(
            {"target": "memory flat (100k vs 10k)", "value": "skipped (--quick)", "passed": None}
        )
    cost = results.get("translation_cost")
    if cost:
        checks.append(
            {
                "target": f"translated rate >= {1 - MAX_TRANSLATION_COST:.0%} of plain",
                "value": round(cost["rate_ratio"], 3),
                "passed": cost["rate_ratio"] >= 1 - MAX_TRANSLATION_COST,
            }
        )
        checks.append(
            {
                "target": f"translated queries <= {1 + MAX_TRANSLATION_COST:.0%} of plain",
                "value": round(cost["query_ratio"], 3),
                "passed": cost["query_ratio"] <= 1 + MAX_TRANSLATION_COST,
            }
        )
    return checks


def kinds(run: dict[str, Any]) -> str:
    return ", ".join(f"{n} {kind}" for kind, n in sorted(run["sql_queries_by_kind"].items()))


def mib(value_bytes: float) -> str:
    return f"{value_bytes / 2**20:.1f} MiB"


def print_report(results: dict[str, Any]) -> None:
    main, base = results["send_bulk"], results["baseline"]
    languages = results.get("languages")
    rows: list[tuple[str, str]] = [
        ("", f"send_bulk: {main['users']:,} users x {TOKENS_PER_USER} tokens"),
        (
            "  texts",
            f"translatable, users in {', '.join(languages)}" if languages else "plain",
        ),
        ("  server", "100 ms latency/request, 600/s limit (burst 600)"),
        (
            "  client",
            f"CONCURRENCY={main['concurrency']}, "
            f"RATE_LIMIT_PER_SECOND={main['rate_limit_per_second']}, "
            f"BATCH_SIZE={main['batch_size_users']}",
        ),
        ("  wall time", f"{main['seconds']:.2f} s"),
        ("  notifications/s", f"{main['notifications_per_second']:.1f}"),
        (
            "  devices notified / expected",
            f"{main['devices_notified']:,} / {main['devices_expected']:,}",
        ),
        ("  HTTP requests (send)", f"{main['http_requests']:,}"),
        ("  429s received", f"{main['rate_limited_429']}"),
        ("  lost", f"{main['lost']}"),
        ("  duplicated", f"{main['duplicated']}"),
        ("  SQL queries", f"{main['sql_queries']:,} ({kinds(main)})"),
        ("  notifications per query", f"{main['notifications_per_query']:.1f}"),
        ("  max concurrent requests", f"{main['max_concurrent_requests']}"),
        (
            "  summary",
            ", ".join(f"{k}={main['summary'][k]}" for k in ("total", "successful", "failed")),
        ),
        ("", f"baseline (the guide): {base['users']:,} users, one requests.post each"),
        ("  wall time", f"{base['seconds']:.2f} s"),
        ("  notifications/s", f"{base['notifications_per_second']:.1f}"),
        ("  HTTP requests (send)", f"{base['http_requests']:,}"),
        ("  TCP connections", f"{base['connections']:,}"),
        ("  SQL queries", f"{base['sql_queries']:,}"),
        ("  notifications per query", f"{base['notifications_per_query']:.2f}"),
        ("  lost / duplicated", f"{base['lost']} / {base['duplicated']}"),
        ("speed-up (send_bulk / guide)", f"{results['speedup']:.1f}x"),
    ]
    cost = results.get("translation_cost")
    if cost:
        rows.append(
            ("", "plain vs translatable texts, same users, no latency, no limits, 3 rounds")
        )
        for name in ("plain", "translated"):
            run = cost[name]
            rows.append(
                (
                    f"  {name}",
                    f"median {run['notifications_per_second']:,.0f}/s, "
                    f"{run['sql_queries']:,} queries, {run['lost']} lost",
                )
            )
        rows.append(
            (
                "  translated / plain",
                f"rate {cost['rate_ratio']:.3f}, queries {cost['query_ratio']:.3f}",
            )
        )
    for run in results["memory"]:
        rows += [
            ("", f"memory: {run['users']:,} users (no latency, no limits, fresh processes)"),
            ("  tracemalloc peak (send_bulk)", mib(run["tracemalloc_peak_bytes"])),
            ("  peak RSS (ru_maxrss)", mib(run["rss_peak_kib"] * 1024)),
            ("  RSS before send_bulk", mib((run["rss_before_send_kib"] or 0) * 1024)),
            ("  time", f"{run['seconds']:.2f} s ({run['notifications_per_second']:,.0f}/s)"),
            ("  time under tracemalloc", f"{run['seconds_under_tracemalloc']:.2f} s"),
            ("  lost / duplicated", f"{run['lost']} / {run['duplicated']}"),
            (
                "  SQL queries",
                f"{run['sql_queries']:,} ({run['notifications_per_query']:.1f} notif./query)",
            ),
        ]
    width = max(len(label) for label, _ in rows) + 2
    print()
    for label, value in rows:
        print(f"{label:<{width}}{value}" if label else f"\n== {value}")
    print("\n== targets")
    for check in results["targets"]:
        mark = {True: "PASS", False: "FAIL", None: "n/a "}[check["passed"]]
        print(f"  [{mark}] {check['target']:<58} {check['value']}")
    print(f"\nJSON: {JSON_OUT.relative_to(ROOT)}")


# -- main -------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=10_000, help="users of the main run")
    parser.add_argument(
        "--baseline-users", type=int, default=300, help="users sent the guide's way"
    )
    parser.add_argument("--quick", action="store_true", help="skip the 100,000-user memory run")
    parser.add_argument(
        "--flush", action="store_true", help="empty a non-empty DATABASE_URL database first"
    )
    parser.add_argument(
        "--keep-debug",
        action="store_true",
        help="keep settings.DEBUG as configured (its query log grows memory)",
    )
    parser.add_argument(
        "--languages",
        type=int,
        default=0,
        help="users read this many of the site's languages; the texts are translatable",
    )
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--expo-url", help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.memory_child:
        memory_child(args.memory_child, args.expo_url, args.trace, args.keep_debug)
        return
    setup_django(NAME, flush=args.flush, keep_debug=args.keep_debug, log_level=LOG_LEVEL)
    from django.db import connection

    from tests.support.expo import ExpoServer

    results: dict[str, Any] = {
        "environment": {**machine(), "django_debug": _debug()},
        "seed_seconds": {},
    }
    print(f"Seeding {args.users:,} users x {TOKENS_PER_USER} tokens ({connection.vendor})...")
    results["seed_seconds"][str(args.users)] = ensure_users(args.users)
    if args.languages:
        results["languages"] = assign_languages(args.languages)

    with ExpoServer(rate_per_second=600, burst=600, latency=0.1) as server:
        print(f"send_bulk to {args.users:,} users at 600/s, 100 ms latency...")
        results["send_bulk"] = run_send_bulk(server, args.users, True if args.languages else None)
        print(f"Baseline: the guide's way for {args.baseline_users} users...")
        results["baseline"] = run_baseline(server, args.baseline_users)
    results["speedup"] = (
        results["send_bulk"]["notifications_per_second"]
        / results["baseline"]["notifications_per_second"]
    )
    if args.languages:
        print("Plain vs translatable texts, no latency, no limits...")
        results["translation_cost"] = run_translation_cost(args.users)

    results["memory"] = []
    sizes = MEMORY_SIZES[:1] if args.quick else MEMORY_SIZES
    with ExpoServer(rate_per_second=None, latency=0.0) as server:
        for size in sizes:
            if size > args.users:
                print(f"Seeding up to {size:,} users...")
                results["seed_seconds"][str(size)] = ensure_users(size)
            print(f"Memory: send_bulk to {size:,} users in fresh processes (plain, then traced)...")
            results["memory"].append(run_memory(server, size, args.keep_debug))

    results["targets"] = targets(results)
    write_json(NAME, results)
    print_report(results)


if __name__ == "__main__":
    main()
