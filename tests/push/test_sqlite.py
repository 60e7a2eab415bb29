"""SQLite without surprises: concurrent saves that notify never fail with 'database is locked'."""

import json
import subprocess
import sys

import pytest
from django.db import connection

from push.checks import deferred_sqlite_databases
from tests.support.processes import ROOT

SQLITE = {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}


def test_the_check_names_sqlite_databases_in_deferred_mode():
    databases = {
        "default": SQLITE,
        "tuned": {**SQLITE, "OPTIONS": {"transaction_mode": "IMMEDIATE"}},
        "reports": {"ENGINE": "django.db.backends.postgresql", "NAME": "reports"},
        "lowercase": {**SQLITE, "OPTIONS": {"transaction_mode": "immediate"}},
    }
    assert deferred_sqlite_databases(databases) == ["default"]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's locking")
def test_concurrent_saves_that_notify_succeed_on_djangos_default_sqlite_settings():
    # Six threads, each saving orders (a create and a status change, each in a transaction
    # of its own) on a fresh SQLite file with Django's defaults: DEFERRED, 5 s timeout.
    command = ["bench.sqlite_saves", "--child", "default", "on", "--threads", "6", "--saves", "10"]
    done = subprocess.run(
        [sys.executable, "-m", *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout.splitlines()[-1])
    assert figures == {"saves": 120, "failed": 0, "locked": 0, "notifications": 120}
