"""Starting real worker processes against the test database and the loopback Expo server."""

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def test_database_url() -> str:
    """Return a DATABASE_URL naming the database the tests are using right now."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def run_site_python(
    code: str, *, dropped: tuple[str, ...] = ("DJANGO_",), **env: str
) -> subprocess.CompletedProcess:
    """Run `code` in a new Python process with the reference site's settings.

    Its environment is this one without the variables whose names start with `dropped`,
    plus `env`.
    """
    kept = {key: value for key, value in os.environ.items() if not key.startswith(dropped)}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**kept, **env, "DJANGO_SETTINGS_MODULE": "unitrade.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def worker_env(**push_settings) -> dict[str, str]:
    """Return the environment of a process that shares the tests' database and push setup."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.support.worker_settings",
        DATABASE_URL=test_database_url(),
        # The site's translatable test texts are not JSON: the worker's settings module
        # has them as the site's makes them.
        PUSH_TEST_SETTINGS=json.dumps(
            {
                key: value
                for key, value in {**settings.PUSH_NOTIFICATIONS, **push_settings}.items()
                if key != "TEST_NOTIFICATION"
            }
        ),
        PYTHONUNBUFFERED="1",
    )
    return env


def start(args: list[str], env: dict[str, str] | None = None, **push_settings) -> subprocess.Popen:
    """Start `python manage.py <args>` as a separate process (`env`: added variables)."""
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**worker_env(**push_settings), **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


CELERY_WORKER = [
    sys.executable, "-m", "celery", "-A", "unitrade", "worker",
    "--concurrency", "2", "--loglevel", "warning", "--without-gossip", "--without-mingle",
]  # fmt: skip


def start_celery_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start a Celery worker (two processes) with `env`, writing its output to `log`."""
    with log.open("w") as output:
        return subprocess.Popen(
            CELERY_WORKER, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, text=True
        )


def poll(condition: Callable[[], bool], timeout: float) -> bool:
    """Poll `condition` until it holds (True) or `timeout` seconds have passed (False)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `condition` until it holds; fail with `what` after `timeout` seconds."""
    if not poll(condition, timeout):
        raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def stop(process: subprocess.Popen, timeout: float = 30) -> tuple[int, str, str]:
    """Stop a process gracefully (SIGTERM); return its exit code and output."""
    if process.poll() is None:
        process.terminate()
    return finish(process, timeout)


def finish(process: subprocess.Popen, timeout: float = 60) -> tuple[int, str, str]:
    """Wait for a process to end by itself; return its exit code and output."""
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
    return process.returncode, out, err
