"""CACHES from the environment: Redis when CACHE_URL or REDIS_URL is set, memory otherwise."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRINT_CACHE = (
    "from django.conf import settings; "
    "print(settings.CACHES['default']['BACKEND'], settings.CACHES['default'].get('LOCATION'))"
)


def load(**env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_")) and k not in {"CACHE_URL", "REDIS_URL"}
    }
    return subprocess.run(
        [sys.executable, "-c", PRINT_CACHE],
        cwd=ROOT,
        env={**clean, **env, "DJANGO_SETTINGS_MODULE": "unitrade.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "django.core.cache.backends.locmem.LocMemCache None"),
        (
            {"CACHE_URL": "redis://cache.example:6379/1"},
            "django.core.cache.backends.redis.RedisCache redis://cache.example:6379/1",
        ),
        (
            {"REDIS_URL": "rediss://cache.example:6380/0"},
            "django.core.cache.backends.redis.RedisCache rediss://cache.example:6380/0",
        ),
        (
            {"CACHE_URL": "redis://first:6379/0", "REDIS_URL": "redis://second:6379/0"},
            "django.core.cache.backends.redis.RedisCache redis://first:6379/0",
        ),
    ],
)
def test_cache_from_environment(env, expected):
    result = load(**env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_other_cache_urls_fail_clearly():
    result = load(CACHE_URL="memcached://cache.example:11211")
    assert result.returncode != 0
    assert "CACHE_URL must be a redis://, rediss:// or unix:// URL." in result.stderr
