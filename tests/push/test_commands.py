"""manage.py push_send and push_deliver, in-process."""

import pytest
from django.core.management import CommandError, call_command

from push.models import NotificationLog, PushToken

pytestmark = pytest.mark.django_db(transaction=True)


def test_push_send_to_named_users(user, other_user, expo, capsys):
    PushToken.objects.create(user=user, token="ExponentPushToken[cmd-alice]")
    call_command(
        "push_send",
        "--user",
        "alice",
        "--user",
        "bob",
        "--title",
        "Maintenance",
        "--body",
        "Tonight 22:00",
        "--data",
        '{"type": "system"}',
    )
    out = capsys.readouterr().out
    assert "push_send: 2 user(s): 1 sent, 0 failed, 1 skipped" in out
    [message] = expo.delivered
    assert (message["title"], message["data"]["type"]) == ("Maintenance", "system")


def test_push_send_to_everyone(user, other_user, expo, capsys):
    call_command("push_send", "--all", "--title", "Hi", "--body", "All")
    assert NotificationLog.objects.count() == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--user", "nobody"], "No active user named: nobody"),
        (["--all", "--data", "[1]"], "must be a JSON object"),
        (["--all", "--data", "{"], "not valid JSON"),
    ],
)
def test_push_send_errors(user, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("push_send", *args, "--title", "T", "--body", "B")
    assert not NotificationLog.objects.exists()


def test_push_deliver_once_delivers_what_is_due(user, expo, capsys):
    PushToken.objects.create(user=user, token="ExponentPushToken[cmd-due]")
    NotificationLog.objects.create(user=user, title="Later", body="Now due")
    call_command("push_deliver")
    assert "push_deliver: 1 notification(s): 1 sent" in capsys.readouterr().out
    assert expo.delivered_count("ExponentPushToken[cmd-due]") == 1
    call_command("push_deliver")
    assert "push_deliver: 0 notification(s)" in capsys.readouterr().out
    assert expo.delivered_count("ExponentPushToken[cmd-due]") == 1
