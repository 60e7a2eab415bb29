"""CACHES from the environment: Redis when CACHE_URL or REDIS_URL is set, memory otherwise."""

import subprocess

import pytest

from tests.support.processes import run_site_python

PRINT_CACHE = (
    "from django.conf import settings; "
    "print(settings.CACHES['default']['BACKEND'], settings.CACHES['default'].get('LOCATION'))"
)


def load(**env: str) -> subprocess.CompletedProcess:
    dropped = ("DJANGO_", "DATABASE_", "CACHE_URL", "REDIS_URL")
    return run_site_python(PRINT_CACHE, dropped=dropped, **env)


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
