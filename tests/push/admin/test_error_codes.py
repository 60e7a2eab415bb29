"""The admin filters by every error code push can record: its list is derived, never copied.

Every code is a constant of push.errors (the source is read to prove no other module writes
one as a literal), and the admin's filters list them all: a new code cannot be forgotten.
"""

import ast
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

import push
from push import errors
from push.admin_display import NotificationErrorFilter, ReceiptErrorFilter, TicketErrorFilter
from push.delivery.engine import deliver_due
from push.models import NotificationLog
from tests.support.admin import admin_url
from tests.support.devices import register_devices

PACKAGE = Path(push.__file__).parent
CODE = re.compile(r"[A-Za-z_]+")
# Calls whose first argument is an error code.
CODE_TAKERS = {"failed", "BatchFailed", "ErrorSeen", "rule_for"}
# An error message that starts with a code written out: "TypeDisabled: the user ...", a
# CamelCase word or an UPPER_SNAKE one (or any word that is a code of push.errors).
CODE_FIRST = re.compile(r"([A-Z][a-z]+[A-Z][A-Za-z]*|[A-Z][A-Z_]{3,}|[A-Za-z]+):")


def codes_of_push_errors() -> set[str]:
    """Every code constant of push.errors."""
    return {
        value
        for name, value in vars(errors).items()
        if name.isupper() and isinstance(value, str) and CODE.fullmatch(value)
    }


def code_literals_elsewhere() -> list[str]:
    """Places outside push/errors.py that write an error code as a literal."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "errors.py" or "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and node.args:
                name = getattr(node.func, "attr", getattr(node.func, "id", ""))
                first = node.args[0]
                if name in CODE_TAKERS and isinstance(first, ast.Constant):
                    found.append(f"{path.name}:{node.lineno}: {first.value!r}")
            if isinstance(node, ast.JoinedStr) and node.values:
                first = node.values[0]
                match = CODE_FIRST.match(str(getattr(first, "value", "")))
                if isinstance(first, ast.Constant) and match and _is_code(match.group(1)):
                    found.append(f"{path.name}:{node.lineno}: {first.value!r}")
    return found


def _is_code(word: str) -> bool:
    camel_or_snake = re.fullmatch(r"[A-Z][a-z]+[A-Z][A-Za-z]*|[A-Z][A-Z_]{3,}", word)
    return bool(camel_or_snake) or word in codes_of_push_errors()


def test_no_module_writes_an_error_code_as_a_literal():
    assert code_literals_elsewhere() == []


def test_the_notification_filter_lists_every_code():
    choices = {code for code, _ in NotificationErrorFilter(None, {}, None, None).lookup_choices}
    assert codes_of_push_errors() <= choices
    assert set(errors.RULES) <= choices


def test_the_delivery_filters_list_every_code_of_a_ticket_or_receipt():
    only_notifications = {*errors.SCREENING_CODES, errors.NO_DEVICES, errors.PAYLOAD_TOO_LARGE}
    for kind in (TicketErrorFilter, ReceiptErrorFilter):
        choices = {code for code, _ in kind(None, {}, None, None).lookup_choices}
        assert codes_of_push_errors() - only_notifications <= choices


@pytest.mark.django_db
def test_an_expired_notification_can_be_found_by_its_code(admin_client, user, expo):
    register_devices(user, "ExponentPushToken[codes-expired-0001]")
    log = push.send(user, "Hi", "Old news", type="message")
    NotificationLog.objects.filter(pk=log.pk).update(
        status="pending", created_at=timezone.now() - timedelta(hours=2)
    )
    deliver_due()
    log.refresh_from_db()
    assert (log.status, errors.error_code(log.error_message)) == ("skipped", errors.EXPIRED)
    page = admin_client.get(admin_url("notificationlog_changelist") + "?error_code=Expired")
    assert page.context["cl"].result_count == 1
    page = admin_client.get(admin_url("notificationlog_changelist") + "?error_code=TypeDisabled")
    assert page.context["cl"].result_count == 0
