"""Settings come from the environment; production refuses to start without a secret key."""

import re
import subprocess

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.support.processes import ROOT, run_site_python
from unitrade.env import env_bool, env_list


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("true", True),
        ("YES", True),
        ("on", True),
        ("0", False),
        ("False", False),
        ("no", False),
        ("off", False),
        ("", True),
    ],
)
def test_env_bool(monkeypatch, raw, expected):
    monkeypatch.setenv("X_FLAG", raw)
    assert env_bool("X_FLAG", default=True) is expected


def test_env_bool_rejects_other_words(monkeypatch):
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
        env_bool("X_FLAG", default=False)


def test_env_list(monkeypatch):
    monkeypatch.setenv("X_HOSTS", " a.example , b.example,, ")
    assert env_list("X_HOSTS", default=["d"]) == ["a.example", "b.example"]
    monkeypatch.setenv("X_HOSTS", "")
    assert env_list("X_HOSTS", default=["d"]) == ["d"]


def _load_settings(**env: str) -> subprocess.CompletedProcess:
    code = (
        "from django.conf import settings; "
        "print(settings.DEBUG, settings.DATABASES['default']['ENGINE'], settings.ALLOWED_HOSTS)"
    )
    return run_site_python(code, dropped=("DJANGO_", "DATABASE_"), **env)


def test_production_without_secret_key_fails_clearly():
    result = _load_settings(DJANGO_DEBUG="off")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_settings_from_environment():
    result = _load_settings(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="s" * 50,
        DJANGO_ALLOWED_HOSTS="api.unitrade.example",
        DATABASE_URL="postgres://u:p@db.example:5432/unitrade",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "django.db.backends.postgresql",
        "['api.unitrade.example']",
    ]


def test_development_defaults_to_sqlite():
    result = _load_settings()
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:2] == ["True", "django.db.backends.sqlite3"]


def documented_variables() -> list[str]:
    """The variables of the table in docs/unitrade.md ("Environment variables")."""
    page = (ROOT / "docs" / "unitrade.md").read_text()
    table = page.split("| variable | default | meaning |", 1)[1].split("\n\n", 1)[0]
    names = []
    for row in table.splitlines()[2:]:
        first_cell = row.strip().strip("|").split(" | ")[0]
        names += re.findall(r"`([A-Z][A-Z0-9_]*)`", first_cell)
    return names


def variables_read() -> set[str]:
    """The variables unitrade/settings.py reads: env_*("NAME", ...) and env="NAME"."""
    source = (ROOT / "unitrade" / "settings.py").read_text()
    return set(re.findall(r'(?:env_(?:str|bool|list)\(\s*|env=)"([A-Z][A-Z0-9_]*)"', source))


def test_every_documented_variable_is_read_by_the_settings():
    documented = documented_variables()
    assert len(documented) >= 10, documented
    settings_source = (ROOT / "unitrade" / "settings.py").read_text()
    assert [name for name in documented if f'"{name}"' not in settings_source] == []
    assert sorted(set(documented) - variables_read()) == []


def test_every_variable_the_settings_read_is_documented():
    assert sorted(variables_read() - set(documented_variables())) == []
