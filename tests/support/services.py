"""Services the tests and benchmarks may need running: is Redis up?"""

import os
import socket

REDIS_ADDRESS = ("127.0.0.1", 6379)


def reachable(host: str, port: int) -> bool:
    """Return whether a TCP connection to `host`:`port` opens within a second."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def redis_running() -> bool:
    """Return whether Redis listens on 127.0.0.1:6379 (the Celery tests' broker)."""
    return reachable(*REDIS_ADDRESS)


# libfaketime (Debian's `faketime` package): a process whose wall clock is off.
FAKETIME_LIBRARY = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"


def faketime_env(offset: str) -> dict[str, str]:
    """Return the environment that runs a process with its wall clock `offset` ("+400s")."""
    return {
        "LD_PRELOAD": FAKETIME_LIBRARY,
        "FAKETIME": offset,
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
    }


def faketime_installed() -> bool:
    return os.path.exists(FAKETIME_LIBRARY)
