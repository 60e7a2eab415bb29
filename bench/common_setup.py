"""Shared setup of every benchmark (not a benchmark itself).

`setup_django(name)` must run before anything imports Django models: it points
DATABASE_URL at a throwaway SQLite file `bench/results/<name>.sqlite3` (recreated on every
run) unless DATABASE_URL is already set, configures Django, switches DEBUG off (the query
log would grow with the run), uses the MD5 password hasher and migrates quietly.
Benchmarks switch the push receivers off with `push.receivers_disabled()`, and start
processes with `tests.support.processes`.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def db_path(name: str) -> Path:
    """Return the throwaway SQLite file of benchmark `name`."""
    return RESULTS / f"{name}.sqlite3"


def setup_django(
    name: str,
    *,
    flush: bool = False,
    fresh: bool = True,
    keep_debug: bool = False,
    log_level: str = "ERROR",
) -> str:
    """Configure Django for benchmark `name` on an empty, migrated database; return its URL.

    With DATABASE_URL set, that database is used; it must hold no users unless `flush`
    (then ALL its data is deleted first). `fresh=False` takes the database as it is (a
    benchmark's child process, which inherits DATABASE_URL). `keep_debug` leaves
    settings.DEBUG as configured; `log_level` is the default PUSH_LOG_LEVEL.
    """
    os.environ["DJANGO_SETTINGS_MODULE"] = "unitrade.settings"
    # The transport logs a warning per failed request: keep the tables readable.
    os.environ.setdefault("PUSH_LOG_LEVEL", log_level)
    own_db = not os.environ.get("DATABASE_URL")
    if own_db:
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = db_path(name)
        if fresh:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    if not keep_debug:
        settings.DEBUG = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if not fresh:
        return os.environ["DATABASE_URL"]
    call_command("migrate", verbosity=0, interactive=False)
    if not own_db and get_user_model().objects.exists():
        if not flush:
            sys.exit(
                "DATABASE_URL points at a database that already has users: the benchmark "
                "needs an empty one. Pass --flush to delete ALL its data first."
            )
        call_command("flush", verbosity=0, interactive=False)
    return os.environ["DATABASE_URL"]


@contextmanager
def push_settings(**values: Any) -> Iterator[None]:
    """Override some PUSH_NOTIFICATIONS keys for the duration of the block."""
    from django.conf import settings
    from django.test.utils import override_settings

    with override_settings(PUSH_NOTIFICATIONS={**settings.PUSH_NOTIFICATIONS, **values}):
        yield


class QueryCounter:
    """Count the SQL statements of the default connection, by phase (an execute_wrapper).

    `phase` names where the statements go; `samples` keeps the SQL of the first call of
    each phase name given to `keep_sql`. With `by_kind`, `total` and `by_kind` count every
    statement, and by its first word (SELECT, INSERT, ...).
    """

    def __init__(self, *, by_kind: bool = False) -> None:
        self.phase = "other"
        self.counts: dict[str, int] = {}
        self.sql: dict[str, list[str]] = {}
        self._keeping: str | None = None
        self._by_kind = by_kind
        self.total = 0
        self.by_kind: dict[str, int] = {}

    def __call__(self, execute, sql, params, many, context):
        self.counts[self.phase] = self.counts.get(self.phase, 0) + 1
        if self._by_kind:
            self.total += 1
            kind = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "?"
            self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
        if self._keeping is not None:
            self.sql.setdefault(f"{self._keeping}:{self.phase}", []).append(" ".join(sql.split()))
        return execute(sql, params, many, context)

    def take(self) -> dict[str, int]:
        """Return the counts since the last take() and start again from zero."""
        counts, self.counts = self.counts, {}
        return counts

    @contextmanager
    def keep_sql(self, label: str) -> Iterator[None]:
        """Record the statements issued inside the block under `label:<phase>`."""
        self._keeping = label
        try:
            yield
        finally:
            self._keeping = None

    @contextmanager
    def installed(self) -> Iterator[QueryCounter]:
        from django.db import connection

        with connection.execute_wrapper(self):
            yield self


def recording_transport_class():
    """Return RecordingExpoTransport (defined lazily: it needs Django set up)."""
    from push.transports.expo import ExpoTransport

    class RecordingExpoTransport(ExpoTransport):
        """The Expo transport, remembering every instance so a benchmark can sum its stats."""

        instances: list[ExpoTransport] = []
        _lock = threading.Lock()

        def __init__(self, **options: Any) -> None:
            super().__init__(**options)
            with RecordingExpoTransport._lock:
                RecordingExpoTransport.instances.append(self)

    return RecordingExpoTransport


_recording_class = None


def __getattr__(name: str) -> Any:
    # TRANSPORT = "bench.common_setup.RecordingExpoTransport": one class per process.
    global _recording_class
    if name == "RecordingExpoTransport":
        if _recording_class is None:
            _recording_class = recording_transport_class()
        return _recording_class
    raise AttributeError(name)


def transport_totals(instances: Sequence[Any]) -> dict[str, Any]:
    """Sum the TransportStats of transport instances."""
    failures: dict[str, int] = {}
    for transport in instances:
        for code, count in transport.stats.batch_failures.items():
            failures[code] = failures.get(code, 0) + count
    return {
        "requests": sum(t.stats.requests for t in instances),
        "retries": sum(t.stats.retries for t in instances),
        "batch_failures": failures,
    }


def percentile(values: Sequence[float], pct: float) -> float:
    """Return the `pct` percentile (nearest rank, linear between ranks) of `values`."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * pct / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def mean(values: Sequence[float]) -> float:
    return statistics.fmean(values) if values else float("nan")


def ratio(value: float, baseline: float) -> float | None:
    return round(value / baseline, 2) if baseline else None


def status_counts(statuses: dict[str, int]) -> str:
    """Return `{"sent": 3, "failed": 1}` as "failed=1 sent=3"."""
    return " ".join(f"{k}={v}" for k, v in sorted(statuses.items()))


def fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Return a plain-text table with a title line."""
    cells = [[fmt(cell) for cell in row] for row in rows]
    widths = [
        max(len(str(header)), *(len(row[i]) for row in cells)) if cells else len(str(header))
        for i, header in enumerate(headers)
    ]
    lines = [title, "-" * len(title)]
    lines.append(
        "  ".join(
            str(h).ljust(w) if i == 0 else str(h).rjust(w)
            for i, (h, w) in enumerate(zip(headers, widths, strict=True))
        )
    )
    for row in cells:
        lines.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    return "\n".join(lines)


def write_json(name: str, data: dict[str, Any]) -> Path:
    """Write `data` to bench/results/<name>.json; return the path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    return path


def save_results(name: str, started: float, **parts: Any) -> dict[str, Any]:
    """Write a run's `parts` with the machine and the time since `started`; say where."""
    results = {
        "benchmark": name,
        **parts,
        "machine": machine(),
        "seconds": round(time.perf_counter() - started, 1),
    }
    path = write_json(name, results)
    print(f"\n{results['seconds']} s; results in {path.relative_to(ROOT)}")
    return results


def machine() -> dict[str, Any]:
    """Describe where the benchmark ran."""
    import platform

    from django.db import connection

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "database": connection.vendor,
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
