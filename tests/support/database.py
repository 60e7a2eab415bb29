"""Doing real damage to the test database from outside Django's connections."""

from django.db import connection


def backend_pid() -> int:
    """Return the PostgreSQL process id of this thread's connection."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def terminate_connections(*, sparing: set[int]) -> int:
    """Terminate every connection to the test database but those of `sparing`; return how many.

    What an administrator's pg_terminate_backend, a failover or a restarted pooler does to a
    worker: the next query on those connections fails.
    """
    import psycopg  # the [postgres] extra; only PostgreSQL tests get here

    settings = connection.settings_dict
    with psycopg.connect(
        dbname=settings["NAME"],
        user=settings.get("USER") or "postgres",
        host=settings.get("HOST") or "127.0.0.1",
        port=settings.get("PORT") or 5432,
        autocommit=True,
    ) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND NOT pid = ANY(%s)",
            [list(sparing)],
        ).fetchall()
    return sum(1 for (terminated,) in rows if terminated)
