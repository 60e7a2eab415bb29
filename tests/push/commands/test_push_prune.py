"""Retention: push_prune deletes old history and alerts in batches, retires stale tokens and
deletes the long inactive ones."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from push.models import NotificationLog, OperatorAlert, PushDelivery, PushToken
from push.retention import prune
from tests.support.api import OTHER_TOKEN, VALID_TOKEN
from tests.support.settings import push_settings_update

pytestmark = pytest.mark.django_db


def _notification(user, days_old: int, devices: int = 1) -> NotificationLog:
    log = NotificationLog.objects.create(user=user, title="t", body="b", status="sent")
    NotificationLog.objects.filter(pk=log.pk).update(
        created_at=timezone.now() - timedelta(days=days_old)
    )
    for n in range(devices):
        PushDelivery.objects.create(notification=log, token=f"tok-{log.pk}-{n}", status="accepted")
    return log


@pytest.fixture
def history(user):
    old = [_notification(user, 91, devices=2) for _ in range(5)]
    recent = [_notification(user, 89) for _ in range(2)]
    stale = PushToken.objects.create(user=user, token=VALID_TOKEN)
    PushToken.objects.filter(pk=stale.pk).update(
        last_registered_at=timezone.now() - timedelta(days=271)
    )
    fresh = PushToken.objects.create(user=user, token=OTHER_TOKEN)
    for days in (91, 89):
        alert = OperatorAlert.objects.create(code="InvalidCredentials", source="tickets")
        OperatorAlert.objects.filter(pk=alert.pk).update(
            created_at=timezone.now() - timedelta(days=days)
        )
    for days in (91, 89):
        gone = PushToken.objects.create(
            user=user,
            token=f"ExponentPushToken[inactive-{days}]",
            is_active=False,
            deactivation_reason="DeviceNotRegistered",
            deactivated_at=timezone.now() - timedelta(days=days),
        )
        # Its delivery row outlives it, keeping the token's text.
        PushDelivery.objects.create(
            notification=recent[0], push_token=gone, token=gone.token, status="accepted"
        )
    return old, recent, stale, fresh


def test_dry_run_prints_and_changes_nothing(history, capsys):
    call_command("push_prune", "--dry-run")
    out = capsys.readouterr().out
    assert "would delete 5 notification(s), 10 delivery record(s) and 1 operator alert(s)" in out
    assert "would deactivate 1 token(s)" in out
    assert "would delete 1 token(s) inactive since before" in out
    assert NotificationLog.objects.count() == 7
    assert PushToken.objects.filter(is_active=True).count() == 2
    assert (OperatorAlert.objects.count(), PushToken.objects.count()) == (2, 4)


def test_prune_deletes_old_history_in_batches_and_retires_stale_tokens(history, capsys):
    _old, recent, stale, fresh = history
    call_command("push_prune", "--batch-size", "2", verbosity=2)
    out = capsys.readouterr().out
    assert "deleted 5 notification(s), 10 delivery record(s) and 1 operator alert(s)" in out
    assert "in 3 batch(es)" in out and "batch 3:" in out
    assert "deleted 1 token(s) inactive since before" in out
    assert set(NotificationLog.objects.values_list("pk", flat=True)) == {r.pk for r in recent}
    assert PushDelivery.objects.count() == 4
    assert OperatorAlert.objects.count() == 1
    assert not PushToken.objects.filter(token="ExponentPushToken[inactive-91]").exists()
    kept = PushDelivery.objects.get(token="ExponentPushToken[inactive-91]")
    assert kept.push_token_id is None
    assert PushToken.objects.filter(token="ExponentPushToken[inactive-89]").exists()
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.is_active, stale.deactivation_reason) == (False, "stale")
    assert stale.deactivated_at is not None
    assert fresh.is_active is True
    # Nothing left to do the second time.
    assert prune().notifications == 0


def test_retention_follows_the_settings(history, settings):
    push_settings_update(settings, RETENTION_DAYS=None, STALE_TOKEN_DAYS=300)
    report = prune()
    assert (report.notifications, report.stale_tokens) == (0, 0)
    assert "kept for ever" in report.summary()
    push_settings_update(settings, RETENTION_DAYS=30)
    assert prune().notifications == 7


def test_bad_settings_are_a_clear_error(settings):
    push_settings_update(settings, RETENTION_DAYS=0)
    with pytest.raises(CommandError, match="RETENTION_DAYS must be a positive number"):
        call_command("push_prune")
    with pytest.raises(CommandError, match="--batch-size"):
        call_command("push_prune", "--batch-size", "0")


def test_celery_beat_prunes_daily(history):
    pytest.importorskip("celery")
    from push.tasks import prune_task

    entry = django_settings.CELERY_BEAT_SCHEDULE["push-prune"]
    assert entry == {"task": "push.prune", "schedule": 86400.0}
    assert prune_task.name == "push.prune"
    assert prune_task()["notifications"] == 5
