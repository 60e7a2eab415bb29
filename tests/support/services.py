"""Services the tests and benchmarks may need running: is Redis up?"""

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
