"""Let schemathesis loose on the live development server, as Alice and as nobody.

    python -m tests.contract [--max-examples N] [--seed S]

Starts the loopback Expo server, migrates a fresh SQLite database (or DATABASE_URL's),
seeds Alice (devices, notifications, preferences) and Bob, starts `manage.py runserver`
and runs the schemathesis CLI against GET /api/users/openapi/ twice: with Alice's bearer
token and without credentials. Every phase (the document's examples, its coverage, fuzzing
and the stateful links register -> remove, list -> read -> unread count), every check
schemathesis has plus ours (tests/contract/checks.py). Then: Bob's data must be as it was
and the server's log must hold no traceback. Exits non-zero on any failure.
"""

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests

from push.api import throttling

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "/api/users"
# The request limits would answer most of a fuzzer's requests with a 429 (documented, and
# checked by the test suite): lifted, so every request reaches the code under test.
UNLIMITED = {scope: "1000000/m" for scope in throttling.SCOPES}
ANONYMOUS = "anonymous"
SERVER_ERROR = re.compile(r"Traceback|Internal Server Error|\" 5\d\d ")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"runserver exited with {server.returncode}")
        try:
            if requests.get(url, timeout=(1, 5)).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"runserver did not answer {url} in {seconds:.0f} s")


def _schemathesis(
    name: str, schema_url: str, report: Path, args: argparse.Namespace, headers: list[str]
) -> tuple[int, list[tuple[str, str, int]]]:
    """Run the CLI; return its exit code and the (method, path, status) of its requests."""
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", schema_url,
        "--checks", "all",
        "--phases", "examples,coverage,fuzzing,stateful",
        "--max-examples", str(args.max_examples),
        "--seed", str(args.seed),
        "--workers", str(args.workers),
        "--request-timeout", "30",
        "--generation-database", "none",
        "--suppress-health-check", "all",
        "--report", "ndjson",
        "--report-ndjson-path", str(report),
        "--no-color",
        *[option for header in headers for option in ("-H", header)],
    ]  # fmt: skip
    print(f"== schemathesis, {name}", flush=True)
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.contract.checks", "PYTHONPATH": str(ROOT)}
    code = subprocess.run(command, cwd=ROOT, env=env, check=False).returncode
    return code, _requests_in(report)


def _requests_in(report: Path) -> list[tuple[str, str, int]]:
    """The requests schemathesis made, read from its NDJSON events."""
    made = []
    for line in report.read_text().splitlines():
        for payload in json.loads(line).values():
            if not isinstance(payload, dict) or "recorder" not in payload:
                continue
            for interaction in payload["recorder"].get("interactions", {}).values():
                request, response = interaction["request"], interaction.get("response") or {}
                path = urlsplit(request["uri"]).path.removeprefix(PREFIX)
                made.append((request["method"], path, response.get("status_code", 0)))
    return made


def _operations() -> set[tuple[str, str]]:
    from push.api import openapi

    paths = openapi.document(PREFIX)["paths"]
    return {(method.upper(), path) for path, methods in paths.items() for method in methods}


def _coverage_problems(name: str, made: list[tuple[str, str, int]]) -> list[str]:
    """A run that never got past authentication tested nothing: say so."""
    succeeded = {(method, path) for method, path, status in made if 200 <= status < 300}
    if name == ANONYMOUS:
        return [f"anonymous {method} {path} succeeded" for method, path in sorted(succeeded)]
    missing = sorted(_operations() - succeeded)
    return [f"{name}: {method} {path} never answered 2xx" for method, path in missing]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=20, help="Per operation and phase.")
    parser.add_argument("--seed", type=int, default=2026)
    # The development server answers each request in ~45 ms however little it does (its
    # writes meet TCP's delayed ACK): concurrent workers hide the wait.
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    from tests.support.expo import ExpoServer

    work = Path(tempfile.mkdtemp(prefix="contract-"))
    expo = ExpoServer(rate_per_second=None)
    expo.start()
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")} | {
        "DJANGO_SETTINGS_MODULE": "tests.support.worker_settings",
        "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{work / 'db.sqlite3'}"),
        "PUSH_TEST_SETTINGS": json.dumps(
            {"EXPO_BASE_URL": expo.url, "API_RATE_LIMITS": UNLIMITED, "DELIVERY": "background"}
        ),
        "PYTHONUNBUFFERED": "1",
    }
    os.environ.update(env)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)

    import django

    django.setup()
    from tests.contract.seed import seed, snapshot

    token, bob = seed()
    bob_before = snapshot(bob)

    log = work / "runserver.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    failures = []
    counts = {}
    try:
        schema_url = f"http://127.0.0.1:{port}{PREFIX}/openapi/"
        _wait_for(schema_url, server)
        for name, headers in (
            ("Alice (bearer token)", [f"Authorization: Bearer {token}"]),
            (ANONYMOUS, []),
        ):
            report = work / f"{name.split()[0].lower()}.ndjson"
            code, made = _schemathesis(name, schema_url, report, args, headers)
            counts[name] = len(made)
            if code != 0:
                failures.append(f"schemathesis {name} exited with {code}")
            failures += _coverage_problems(name, made)
    finally:
        server.terminate()
        server.wait(timeout=30)
        expo.stop()

    if snapshot(bob) != bob_before:
        failures.append("Bob's data changed: a request reached another user's data")
    errors = [line for line in log.read_text().splitlines() if SERVER_ERROR.search(line)]
    if errors:
        failures.append(f"the server logged {len(errors)} error line(s), first: {errors[0]}")
    for name, count in counts.items():
        print(f"schemathesis {name}: {count} requests")
    print(f"the loopback Expo server received {expo.stats.send_requests} send request(s)")
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    print(f"(database, reports and server log in {work})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
