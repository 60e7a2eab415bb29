"""Benchmark the cost the push layer adds to a business save.

    .venv/bin/python -m bench.save_path [--orders N] [--flush]

For N orders (default 300), each operation in its own committed `transaction.atomic()`:
(a) creating an Order and (b) changing its status pending -> shipped, with the push
receivers on and switched off (`push.receivers_disabled()`, the baseline), in alternating
blocks.
The transport is the locmem one (no network). Each operation is split into

* the save path proper: the statements and time inside the transaction, before the commit;
* the commit itself;
* the after-commit delivery (the push layer's on_commit hook: claim, screen, look up the
  devices, "send", record), timed from a marker hook queued first in the transaction.

Then the same saves for users with 1 and with 20 devices each, to show the statements on
the save path (and after it) do not grow with the devices.

Prints tables and writes bench/results/save_path.json. The database is a throwaway SQLite
file (bench/results/save_path.sqlite3) unless DATABASE_URL is set.
"""

from __future__ import annotations

import argparse
import time
from decimal import Decimal
from functools import partial
from typing import Any

from bench.common_setup import (
    ROOT,
    QueryCounter,
    machine,
    mean,
    percentile,
    push_settings,
    ratio,
    setup_django,
    table,
    write_json,
)

NAME = "save_path"
LOCMEM = "push.transports.locmem.LocmemTransport"
BLOCK = 50  # operations per block; blocks alternate with / without receivers
WARMUP = 10
DEVICE_COUNTS = (1, 20)
DEVICE_SAMPLE = 30  # saves per device count


# -- data ---------------------------------------------------------------------------------


def make_people(prefix: str, count: int, devices: int) -> list[Any]:
    """Create `count` users with `devices` active tokens each; return them."""
    from django.contrib.auth import get_user_model

    from push.models import PushToken

    user_model = get_user_model()
    users = user_model.objects.bulk_create(
        [
            user_model(username=f"{prefix}{n}", first_name=f"{prefix.title()}{n}")
            for n in range(count)
        ]
    )
    PushToken.objects.bulk_create(
        PushToken(user=user, token=f"ExponentPushToken[{prefix}-{user.pk}-{d}]")
        for user in users
        for d in range(devices)
    )
    return users


def make_products(sellers: list[Any]) -> list[Any]:
    from orders.models import Product

    return Product.objects.bulk_create(
        Product(seller=seller, name=f"Textbook {n}", price=Decimal("25.00"))
        for n, seller in enumerate(sellers)
    )


# -- one timed save -----------------------------------------------------------------------


class Timed:
    """Run one operation in its own committed atomic block; split statements and time."""

    def __init__(self, counter: QueryCounter) -> None:
        self.counter = counter
        self._committed_at = 0.0

    def _mark(self) -> None:
        self._committed_at = time.perf_counter()
        self.counter.phase = "after_commit"

    def run(self, operation) -> dict[str, Any]:
        from django.db import transaction

        counter = self.counter
        counter.take()
        self._committed_at = 0.0
        start = time.perf_counter()
        counter.phase = "in_tx"
        with transaction.atomic():
            # Queued first, so it runs right after the commit, before any push hook.
            transaction.on_commit(self._mark)
            result = operation()
            body_done = time.perf_counter()
            counter.phase = "commit"
        end = time.perf_counter()
        counter.phase = "other"
        counts = counter.take()
        committed = self._committed_at or end
        return {
            "result": result,
            "in_tx_ms": (body_done - start) * 1000,
            "commit_ms": (committed - body_done) * 1000,
            "after_commit_ms": (end - committed) * 1000,
            "total_ms": (end - start) * 1000,
            "in_tx_queries": counts.get("in_tx", 0),
            "commit_queries": counts.get("commit", 0),
            "after_commit_queries": counts.get("after_commit", 0),
        }


def summarise(samples: list[dict[str, Any]]) -> dict[str, Any]:
    keys = (
        "in_tx_ms",
        "commit_ms",
        "after_commit_ms",
        "total_ms",
        "in_tx_queries",
        "commit_queries",
        "after_commit_queries",
    )
    summary: dict[str, Any] = {"n": len(samples)}
    for key in keys:
        values = [sample[key] for sample in samples]
        summary[key] = round(mean(values), 4)
        if key.endswith("_queries"):
            summary[f"{key}_min"] = min(values)
            summary[f"{key}_max"] = max(values)
        else:
            summary[f"{key}_median"] = round(percentile(values, 50), 4)
    return summary


# -- the runs -----------------------------------------------------------------------------


def compare(orders: int, counter: QueryCounter) -> dict[str, Any]:
    """Create and ship `orders` orders with and without receivers, in alternating blocks."""
    import push
    from orders.models import Order
    from push.models import NotificationLog

    sellers = make_people("seller", 20, 1)
    buyers = make_people("buyer", 50, 1)
    products = make_products(sellers)
    timed = Timed(counter)
    samples: dict[str, dict[str, list]] = {
        mode: {"create": [], "ship": []} for mode in ("with", "without")
    }
    sql: dict[str, list[str]] = {}

    def run_block(mode: str, count: int, record: bool) -> None:
        created = []
        for n in range(count):
            product = products[n % len(products)]
            buyer = buyers[n % len(buyers)]
            label = f"{mode}:create"
            keep = record and n == 0 and f"{label}:in_tx" not in counter.sql
            with counter.keep_sql(label) if keep else _nothing():
                sample = timed.run(partial(Order.objects.create, product=product, buyer=buyer))
            created.append(sample["result"])
            if record:
                samples[mode]["create"].append(sample)
        # Status changes on instances loaded beforehand (the load is not the save).
        loaded = list(Order.objects.filter(pk__in=[o.pk for o in created]).order_by("pk"))
        for n, order in enumerate(loaded):

            def ship(order=order):
                order.status = Order.Status.SHIPPED
                order.save()

            keep = record and n == 0 and f"{mode}:ship:in_tx" not in counter.sql
            with counter.keep_sql(f"{mode}:ship") if keep else _nothing():
                sample = timed.run(ship)
            if record:
                samples[mode]["ship"].append(sample)

    def in_mode(mode: str, count: int, record: bool = True) -> None:
        if mode == "without":
            with push.receivers_disabled():
                before = NotificationLog.objects.count()
                run_block(mode, count, record)
                assert NotificationLog.objects.count() == before, "a disabled receiver ran"
        else:
            outbox = len(push.outbox)
            run_block(mode, count, record)
            # Each order: "New Order" to the seller and "shipped" to the buyer, 1 device each.
            assert len(push.outbox) - outbox == 2 * count, "a notification went missing"

    in_mode("with", WARMUP, record=False)
    in_mode("without", WARMUP, record=False)
    done = 0
    while done < orders:
        size = min(BLOCK, orders - done)
        # Alternate which mode goes first, so drift (database growth) hits both alike.
        first, second = ("with", "without") if (done // BLOCK) % 2 == 0 else ("without", "with")
        in_mode(first, size)
        in_mode(second, size)
        done += size
    sql.update(counter.sql)
    return {
        mode: {op: summarise(runs) for op, runs in by_op.items()} for mode, by_op in samples.items()
    } | {"sql_samples": sql}


def devices(counter: QueryCounter) -> dict[str, Any]:
    """The same saves for users with 1 and with 20 devices each."""
    import push
    from orders.models import Order

    timed = Timed(counter)
    result: dict[str, Any] = {}
    for count in DEVICE_COUNTS:
        sellers = make_people(f"d{count}seller", 5, count)
        buyers = make_people(f"d{count}buyer", 10, count)
        products = make_products(sellers)
        create, ship = [], []
        outbox = len(push.outbox)
        orders = []
        for n in range(DEVICE_SAMPLE):
            product, buyer = products[n % len(products)], buyers[n % len(buyers)]
            sample = timed.run(partial(Order.objects.create, product=product, buyer=buyer))
            orders.append(sample["result"])
            create.append(sample)
        for order in Order.objects.filter(pk__in=[o.pk for o in orders]).order_by("pk"):

            def change(order=order):
                order.status = Order.Status.SHIPPED
                order.save()

            ship.append(timed.run(change))
        messages = len(push.outbox) - outbox
        assert messages == 2 * DEVICE_SAMPLE * count, (messages, count)
        result[str(count)] = {
            "create": summarise(create),
            "ship": summarise(ship),
            "messages_per_save": messages / (2 * DEVICE_SAMPLE),
        }
    return result


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


# -- report -------------------------------------------------------------------------------


def report(results: dict[str, Any]) -> str:
    comparison = results["comparison"]
    n = comparison["with"]["create"]["n"]
    rows = []
    for op, label in (("create", "create"), ("ship", "ship")):
        with_, without = comparison["with"][op], comparison["without"][op]
        baseline_total = without["total_ms"]
        for key, name in (
            ("in_tx", "save path (in tx)"),
            ("commit", "commit"),
            ("after_commit", "after-commit delivery"),
            ("total", "total"),
        ):
            w_ms, o_ms = with_[f"{key}_ms"], without[f"{key}_ms"]
            w_q, o_q = _queries(with_, key), _queries(without, key)
            rows.append(
                [
                    f"{label}: {name}",
                    w_ms,
                    o_ms,
                    ratio(w_ms, o_ms) if o_ms >= 0.05 else None,
                    ratio(w_ms - o_ms, baseline_total),
                    with_[f"{key}_ms_median"],
                    without[f"{key}_ms_median"],
                    w_q,
                    o_q,
                ]
            )
    main = table(
        f"Per save: mean and median of {n} saves each (ms), SQL statements per save; "
        "with / without the push receivers",
        [
            "operation",
            "mean with",
            "mean w/o",
            "ratio",
            "added/base",
            "med with",
            "med w/o",
            "q with",
            "q w/o",
        ],
        rows,
    )
    device_rows = []
    for count, by_op in results["devices"].items():
        for op in ("create", "ship"):
            s = by_op[op]
            device_rows.append(
                [
                    f"{count} device(s)/user: {op}",
                    f"{s['in_tx_queries_min']}..{s['in_tx_queries_max']}",
                    f"{s['after_commit_queries_min']}..{s['after_commit_queries_max']}",
                    s["in_tx_ms_median"],
                    s["after_commit_ms_median"],
                    by_op["messages_per_save"],
                ]
            )
    device_table = table(
        f"Devices per user (receivers connected, {DEVICE_SAMPLE} saves each; statements min..max,"
        " ms medians)",
        ["saves", "q save path", "q after commit", "ms save path", "ms after", "msgs/save"],
        device_rows,
    )
    notes = (
        "ratio = with / without (- when the baseline is ~0); added/base = (with - without) / "
        "the baseline's total save time.\n"
        "Statements include BEGIN IMMEDIATE and SAVEPOINT/RELEASE; the COMMIT is not a statement "
        "(its time is the commit row)."
    )
    return "\n\n".join([main, notes, device_table])


def _queries(summary: dict[str, Any], key: str) -> float:
    if key != "total":
        return summary[f"{key}_queries"]
    return _total_queries(summary)


def _total_queries(summary: dict[str, Any]) -> float:
    return summary["in_tx_queries"] + summary["commit_queries"] + summary["after_commit_queries"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=300, help="orders per mode (300)")
    parser.add_argument(
        "--flush", action="store_true", help="empty the DATABASE_URL database first"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    setup_django(NAME, flush=args.flush)
    import push

    counter = QueryCounter()
    with push_settings(TRANSPORT=LOCMEM, DELIVERY="inline"), counter.installed():
        push.outbox.clear()
        comparison = compare(args.orders, counter)
        by_devices = devices(counter)
        push.outbox.clear()
    sql = comparison.pop("sql_samples")
    same = {
        op: len(
            {
                (
                    by_devices[str(c)][op]["in_tx_queries_min"],
                    by_devices[str(c)][op]["in_tx_queries_max"],
                )
                for c in DEVICE_COUNTS
            }
        )
        == 1
        for op in ("create", "ship")
    }
    results = {
        "benchmark": NAME,
        "orders_per_mode": args.orders,
        "transport": LOCMEM,
        "comparison": comparison,
        "devices": by_devices,
        "save_path_queries_independent_of_devices": same,
        "sql_samples": sql,
        "machine": machine(),
        "seconds": round(time.perf_counter() - started, 1),
    }
    print(report(results))
    print()
    print("SQL of one save of each kind (BEGIN/SAVEPOINT included; the commit is not a statement):")
    for label, statements in sql.items():
        print(f"  {label}:")
        for statement in statements:
            print(f"    {statement[:150]}")
    print()
    for op, ok in same.items():
        verdict = "the same" if ok else "DIFFERENT"
        print(f"{op}: save-path statements with 1 and 20 devices per user are {verdict}")
    path = write_json(NAME, results)
    print(f"\n{results['seconds']} s; results in {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
