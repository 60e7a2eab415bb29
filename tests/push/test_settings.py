"""PUSH_NOTIFICATIONS: defaults in one place, unknown keys are an error."""

import ast
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from push.checks import E001_INVALID_SETTINGS, E007_UNIMPORTABLE_PATH
from push.conf import DEFAULTS, push_settings
from push.exceptions import PushConfigurationError


def test_defaults_apply_when_unset(settings):
    settings.PUSH_NOTIFICATIONS = {}
    assert push_settings.MAX_REQUEST_BYTES == DEFAULTS["MAX_REQUEST_BYTES"]


def test_project_values_override_defaults_and_are_read_lazily(settings):
    settings.PUSH_NOTIFICATIONS = {"EXPO_BASE_URL": "http://127.0.0.1:1/--/api/v2/push"}
    assert push_settings.EXPO_BASE_URL == "http://127.0.0.1:1/--/api/v2/push"


def test_unknown_keys_are_a_configuration_error(settings):
    settings.PUSH_NOTIFICATIONS = {"TRANSPORTS": "x", "EXPO_TOKEN": "y"}
    with pytest.raises(PushConfigurationError, match="EXPO_TOKEN, TRANSPORTS"):
        _ = push_settings.TRANSPORT


def test_unknown_keys_fail_the_system_check(settings):
    settings.PUSH_NOTIFICATIONS = {"TYPO": 1}
    with pytest.raises(SystemCheckError, match=E001_INVALID_SETTINGS):
        call_command("check")


def test_unknown_attribute():
    with pytest.raises(AttributeError):
        _ = push_settings.NOT_A_SETTING


@pytest.mark.parametrize("key", ["TRANSPORT", "BADGE_COUNTS", "USER_LANGUAGE"])
def test_unimportable_paths_fail_the_system_check(settings, key):
    settings.PUSH_NOTIFICATIONS = {key: "no.such.thing"}
    with pytest.raises(SystemCheckError, match=E007_UNIMPORTABLE_PATH):
        call_command("check")


@pytest.mark.parametrize("ages", [{"message": -1}, {"order": "1h"}, {"review": True}, ["x"]])
def test_a_malformed_max_age_is_a_configuration_error(settings, ages):
    from django.core.checks import run_checks

    from push.checks import E009_INVALID_MAX_AGE

    settings.PUSH_NOTIFICATIONS = {**settings.PUSH_NOTIFICATIONS, "MAX_AGE_SECONDS": ages}
    assert [m.id for m in run_checks() if m.id.startswith("push.")] == [E009_INVALID_MAX_AGE]


def documented_defaults(text: str) -> dict[str, object]:
    """The settings table of docs/configuration.md: {key: default}, read as Python."""
    documented = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if len(cells) < 3 or not re.fullmatch(r"`[A-Z_]+`(, `[A-Z_]+`)*", cells[0]):
            continue
        keys = re.findall(r"`([A-Z_]+)`", cells[0])
        literals = re.findall(r"`([^`]*)`", cells[1])[: len(keys)]
        for key, literal in zip(keys, literals, strict=True):
            documented[key] = ast.literal_eval(literal)
    return documented


def test_every_setting_is_documented_with_its_default():
    page = (Path(__file__).resolve().parents[2] / "docs" / "configuration.md").read_text()
    table = page.split("| key | default | meaning |", 1)[1].split("\n\n", 1)[0]
    documented = documented_defaults(table)
    assert documented == DEFAULTS
