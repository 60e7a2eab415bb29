"""What an idle process costs the database: transactions a minute, background mode.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python -m bench.idle \
        [--seconds 180] [--flush]

A web process in background mode with nothing to send still runs its delivery thread,
which looks for due work (retries, held notifications, leftovers, receipts). This starts
that thread in an otherwise idle process with the default settings, waits a minute for it
to settle, then counts the transactions PostgreSQL records for the database
(`pg_stat_database`: commits and rollbacks) over `--seconds`, and reports them per minute.
The counting itself (two statements a sample, on a connection of its own) is subtracted.
PostgreSQL only: the database must be empty, or --flush empties it (ALL its data).
Results: bench/results/idle.json.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from bench.common_setup import machine, setup_django, write_json

NAME = "idle"
SETTLE_SECONDS = 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--flush", action="store_true")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("bench.idle counts PostgreSQL's transactions: set DATABASE_URL=postgres://...")
    setup_django(NAME, flush=args.flush)

    import psycopg
    from django.db import connection, connections

    from push.delivery import background

    settings = connection.settings_dict
    counter = psycopg.connect(
        dbname=settings["NAME"],
        user=settings.get("USER") or "postgres",
        host=settings.get("HOST") or "127.0.0.1",
        port=settings.get("PORT") or 5432,
        autocommit=True,
    )

    def transactions() -> int:
        counter.execute("SELECT pg_stat_clear_snapshot()")
        return counter.execute(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database "
            "WHERE datname = current_database()"
        ).fetchone()[0]

    connections.close_all()
    background.worker()
    print(f"settling for {SETTLE_SECONDS:.0f} s, then counting for {args.seconds:.0f} s ...")
    time.sleep(SETTLE_SECONDS)
    before = transactions()
    time.sleep(args.seconds)
    counted = transactions() - before - 2  # this counter's own two statements
    per_minute = counted * 60 / args.seconds
    print(f"idle process in background mode: {counted} transactions in {args.seconds:.0f} s")
    print(f"= {per_minute:.1f} transactions a minute")
    write_json(
        NAME,
        {
            "seconds": args.seconds,
            "transactions": counted,
            "per_minute": round(per_minute, 1),
            "machine": machine(),
        },
    )
    background.shutdown(5)


if __name__ == "__main__":
    main()
