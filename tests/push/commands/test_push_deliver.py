"""manage.py push_deliver, in-process: what it delivers, what it tells the operator."""

import io
import signal
import threading

import pytest
from django.core.management import call_command

from push.models import NotificationLog, PushToken
from tests.support.settings import push_settings_update

pytestmark = pytest.mark.django_db


@pytest.mark.django_db(transaction=True)
def test_push_deliver_once_delivers_what_is_due(user, expo, capsys):
    PushToken.objects.create(user=user, token="ExponentPushToken[cmd-due]")
    NotificationLog.objects.create(user=user, title="Later", body="Now due")
    call_command("push_deliver")
    assert "push_deliver: 1 notification(s): 1 sent" in capsys.readouterr().out
    assert expo.delivered_count("ExponentPushToken[cmd-due]") == 1
    call_command("push_deliver")
    assert "push_deliver: 0 notification(s)" in capsys.readouterr().out
    assert expo.delivered_count("ExponentPushToken[cmd-due]") == 1


def run_loop_briefly(**options) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    threading.Timer(0.3, lambda: signal.raise_signal(signal.SIGTERM)).start()
    call_command("push_deliver", "--loop", "--interval", "0.05", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_a_looping_worker_warns_when_it_limits_expo_on_its_own(settings):
    push_settings_update(settings, RATE_LIMIT_PER_SECOND=600, RATE_LIMIT_REDIS_URL=None)
    _, err = run_loop_briefly()
    assert "RATE_LIMIT_REDIS_URL" in err


def test_a_worker_sharing_the_limit_does_not_warn(settings):
    push_settings_update(
        settings, RATE_LIMIT_PER_SECOND=600, RATE_LIMIT_REDIS_URL="redis://127.0.0.1:6379/15"
    )
    _, err = run_loop_briefly()
    assert err == ""


def test_the_loop_gives_back_the_signal_handlers_it_took():
    before = signal.getsignal(signal.SIGTERM)
    run_loop_briefly()
    assert signal.getsignal(signal.SIGTERM) is before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--loop", "--interval", "-1"], "--interval must be a positive number of seconds"),
        (["--loop", "--interval", "0"], "--interval must be a positive number of seconds"),
        (["--batch-size", "0"], "--batch-size must be at least 1"),
    ],
)
def test_bad_arguments_are_refused(args, message):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match=message):
        call_command("push_deliver", *args)
