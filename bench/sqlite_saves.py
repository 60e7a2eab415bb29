"""Concurrent saves that notify, on SQLite: Django's default settings against push.W006's fix.

    .venv/bin/python -m bench.sqlite_saves [--threads 8] [--saves 25]

`--threads` threads each save `--saves` orders (a create, then a status change: both
notify through the marketplace's receivers), each save in its own transaction, as a view
with ATOMIC_REQUESTS or the admin does; background delivery (the default) runs meanwhile.
Each configuration runs in a fresh process on a fresh SQLite file:

- default: Django's SQLite defaults (DEFERRED transactions, a 5 s busy timeout);
- immediate: what `manage.py check` (push.W006) asks for: `"transaction_mode": "IMMEDIATE"`
  and `"timeout": 20`;
- and each of them with the push receivers switched off.

Counts the saves that failed (`database is locked`) and the notifications written.
Results: bench/results/sqlite_saves.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from bench.common_setup import RESULTS, table, write_json

NAME = "sqlite_saves"
CONFIGURATIONS = {
    "default": {},
    "immediate": {"transaction_mode": "IMMEDIATE", "timeout": 20},
}


def child(configuration: str, receivers: bool, threads: int, saves: int) -> None:
    """Run in a fresh process: set Django up on a fresh file, save concurrently, print JSON."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{NAME}-{configuration}.sqlite3"
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    os.environ["DJANGO_SETTINGS_MODULE"] = "unitrade.settings"
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ["PUSH_TRANSPORT"] = "push.transports.locmem.LocmemTransport"
    import django
    from django.conf import settings

    django.setup()
    settings.DATABASES["default"]["OPTIONS"] = dict(CONFIGURATIONS[configuration])
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connections, transaction

    import push
    from orders.models import Order, Product
    from push.delivery import background
    from push.models import NotificationLog, PushToken

    call_command("migrate", verbosity=0)
    user_model = get_user_model()
    seller = user_model.objects.create_user("seller")
    buyer = user_model.objects.create_user("buyer")
    PushToken.objects.create(user=seller, token="ExponentPushToken[sqlite-seller]")
    PushToken.objects.create(user=buyer, token="ExponentPushToken[sqlite-buyer]")
    product = Product.objects.create(seller=seller, name="Lamp", price=5)
    connections.close_all()
    failures: list[str] = []
    lock = threading.Lock()

    def saving() -> None:
        if not receivers:  # a context variable: each thread switches them off for itself
            with push.receivers_disabled():
                return save_all()
        return save_all()

    def save_all() -> None:
        for _ in range(saves):
            try:
                with transaction.atomic():
                    order = Order.objects.create(product=product, buyer=buyer)
                with transaction.atomic():
                    order.status = Order.Status.SHIPPED
                    order.save()
            except Exception as exc:  # database is locked, above all
                with lock:
                    failures.append(str(exc))
        connections.close_all()

    def run() -> None:
        workers = [threading.Thread(target=saving) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()

    run()
    background.shutdown(30)
    print(
        json.dumps(
            {
                "saves": threads * saves * 2,
                "failed": len(failures),
                "locked": sum("locked" in failure for failure in failures),
                "notifications": NotificationLog.objects.count(),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--saves", type=int, default=25)
    parser.add_argument("--child", nargs=2, metavar=("CONFIGURATION", "RECEIVERS"))
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1] == "on", args.threads, args.saves)
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    results = {}
    for configuration in CONFIGURATIONS:
        for receivers in ("on", "off"):
            command = [sys.executable, "-m", "bench.sqlite_saves", "--child", configuration]
            command += [receivers, "--threads", str(args.threads), "--saves", str(args.saves)]
            done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
            lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
            if done.returncode or not lines:
                sys.stderr.write(done.stderr[-3000:])
                raise SystemExit(f"{configuration} with receivers {receivers} failed")
            results[f"{configuration}, receivers {receivers}"] = json.loads(lines[-1])
    rows = [
        [label, figures["saves"], figures["failed"], figures["locked"], figures["notifications"]]
        for label, figures in results.items()
    ]
    print(
        table(
            f"{args.threads} threads x {args.saves} orders (a create and a change each), SQLite",
            ["configuration", "saves", "failed", "database is locked", "notifications"],
            rows,
        )
    )
    path = write_json(NAME, {"threads": args.threads, "saves": args.saves, "runs": results})
    print(f"\nresults in {path}")


if __name__ == "__main__":
    main()
