"""manage.py push_receipts, in-process: its summary, and a clear error when Expo is down.

What checking receipts does is tested in tests/push/delivery/test_receipts.py.
"""

import pytest
from django.core.management import call_command

from push.models import PushDelivery
from tests.support.devices import sent_to

pytestmark = pytest.mark.django_db(transaction=True)

TOKENS = [f"ExponentPushToken[receipt-{n}]" for n in range(2)]


def test_command_prints_a_summary(user, expo, capsys):
    sent_to(user, TOKENS[:2])
    expo.receipt_errors[TOKENS[1]] = "DeviceNotRegistered"
    call_command("push_receipts", "--min-age", "0")
    out = capsys.readouterr().out
    assert "push_receipts: 2 checked: 1 ok, 1 failed" in out
    assert "1 token(s) deactivated" in out
    assert "DeviceNotRegistered x1" in out


def test_command_fails_clearly_when_expo_is_down(user, expo, settings):
    sent_to(user, TOKENS[:1])
    settings.PUSH_NOTIFICATIONS = {
        **settings.PUSH_NOTIFICATIONS,
        "EXPO_BASE_URL": "http://127.0.0.1:9/--/api/v2/push",
        "RETRY_ATTEMPTS": 1,
    }
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="CONNECTION_ERROR"):
        call_command("push_receipts", "--min-age", "0")
    assert PushDelivery.objects.get().receipt_status == ""
