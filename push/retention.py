"""Retention: old notifications are deleted, devices not seen for long are retired.

`prune()` deletes notifications created more than RETENTION_DAYS ago, with their
deliveries, PRUNE_BATCH_SIZE at a time, each batch in its own short transaction: sends go
on meanwhile, and no transaction ever holds many locks or a long snapshot; operator alerts
older than RETENTION_DAYS go too. Then it deactivates the active tokens that the app has
not registered again for STALE_TOKEN_DAYS (Firebase considers a token stale after 270
days), with the reason "stale", and deletes the tokens deactivated more than
INACTIVE_TOKEN_DAYS ago (a device that registers again later simply gets a new row).
`manage.py push_prune` and the daily Celery beat task `push.prune` call it.
"""

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.db import transaction

from push import clock
from push.conf import push_settings
from push.exceptions import PushConfigurationError
from push.models import NotificationLog, OperatorAlert, PushDelivery, PushToken
from push.token_lifecycle import DeactivationReason, retire_tokens


@dataclass
class PruneReport:
    dry_run: bool
    notifications_before: datetime | None
    tokens_registered_before: datetime | None
    tokens_deactivated_before: datetime | None = None
    notifications: int = 0
    deliveries: int = 0
    alerts: int = 0
    stale_tokens: int = 0
    deleted_tokens: int = 0
    batches: int = 0

    def as_dict(self) -> dict:
        report = asdict(self)
        for key in (
            "notifications_before",
            "tokens_registered_before",
            "tokens_deactivated_before",
        ):
            report[key] = report[key].isoformat() if report[key] else None
        return report

    def summary(self) -> str:
        verb = "would delete" if self.dry_run else "deleted"
        retire = "would deactivate" if self.dry_run else "deactivated"
        parts = []
        if self.notifications_before is None:
            parts.append("notifications kept for ever (RETENTION_DAYS is None)")
        else:
            parts.append(
                f"{verb} {self.notifications} notification(s), {self.deliveries} "
                f"delivery record(s) and {self.alerts} operator alert(s) created before "
                f"{self.notifications_before:%Y-%m-%d %H:%M}"
                + ("" if self.dry_run else f" in {self.batches} batch(es)")
            )
        if self.tokens_registered_before is None:
            parts.append("no stale-token limit (STALE_TOKEN_DAYS is None)")
        else:
            parts.append(
                f"{retire} {self.stale_tokens} token(s) not registered since "
                f"{self.tokens_registered_before:%Y-%m-%d %H:%M}"
            )
        if self.tokens_deactivated_before is None:
            parts.append("inactive tokens kept for ever (INACTIVE_TOKEN_DAYS is None)")
        else:
            parts.append(
                f"{verb} {self.deleted_tokens} token(s) inactive since before "
                f"{self.tokens_deactivated_before:%Y-%m-%d %H:%M}"
            )
        return "; ".join(parts)


def _days(name: str) -> int | None:
    value = getattr(push_settings, name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise PushConfigurationError(f"{name} must be a positive number of days or None.")
    return value


def prune(
    *,
    dry_run: bool = False,
    now: datetime | None = None,
    batch_size: int | None = None,
    on_batch: Callable[[PruneReport], None] | None = None,
) -> PruneReport:
    """Delete old notifications and retire stale tokens (or count them, `dry_run`)."""
    now = now or clock.now()
    retention, stale = _days("RETENTION_DAYS"), _days("STALE_TOKEN_DAYS")
    inactive = _days("INACTIVE_TOKEN_DAYS")
    size = batch_size or push_settings.PRUNE_BATCH_SIZE
    report = PruneReport(
        dry_run=dry_run,
        notifications_before=None if retention is None else now - timedelta(days=retention),
        tokens_registered_before=None if stale is None else now - timedelta(days=stale),
        tokens_deactivated_before=None if inactive is None else now - timedelta(days=inactive),
    )
    if report.notifications_before is not None:
        _prune_notifications(report, report.notifications_before, size, on_batch)
        _prune_alerts(report, report.notifications_before)
    if report.tokens_registered_before is not None:
        _retire_stale(report, report.tokens_registered_before, size)
    if report.tokens_deactivated_before is not None:
        _delete_inactive(report, report.tokens_deactivated_before, size)
    return report


def _prune_notifications(
    report: PruneReport,
    before: datetime,
    size: int,
    on_batch: Callable[[PruneReport], None] | None,
) -> None:
    old = NotificationLog.objects.filter(created_at__lt=before)
    if report.dry_run:
        report.notifications = old.count()
        report.deliveries = PushDelivery.objects.filter(notification__created_at__lt=before).count()
        return
    while True:
        # One short transaction per batch; the created_at index finds the oldest rows.
        with transaction.atomic():
            ids = list(old.order_by("created_at").values_list("pk", flat=True)[:size])
            if not ids:
                return
            # Deliveries first (one DELETE), then the notifications (one DELETE).
            deliveries, _ = PushDelivery.objects.filter(notification_id__in=ids).delete()
            _, deleted = NotificationLog.objects.filter(pk__in=ids).only("pk").delete()
        report.deliveries += deliveries
        report.notifications += deleted.get(NotificationLog._meta.label, 0)
        report.batches += 1
        if on_batch is not None:
            on_batch(report)


def _prune_alerts(report: PruneReport, before: datetime) -> None:
    old = OperatorAlert.objects.filter(created_at__lt=before)
    if report.dry_run:
        report.alerts = old.count()
        return
    report.alerts, _ = old.delete()


def _delete_inactive(report: PruneReport, before: datetime, size: int) -> None:
    """Delete tokens deactivated before `before`, a batch per transaction."""
    gone = PushToken.objects.filter(is_active=False, deactivated_at__lt=before)
    if report.dry_run:
        report.deleted_tokens = gone.count()
        return
    while ids := list(gone.order_by("pk").values_list("pk", flat=True)[:size]):
        # Their delivery rows keep the token's text (push_token is set to NULL).
        _, deleted = PushToken.objects.filter(pk__in=ids).delete()
        report.deleted_tokens += deleted.get(PushToken._meta.label, 0)


def _retire_stale(report: PruneReport, before: datetime, size: int) -> None:
    stale = PushToken.objects.active().filter(last_registered_at__lt=before)
    if report.dry_run:
        report.stale_tokens = stale.count()
        return
    while ids := list(stale.order_by("pk").values_list("pk", flat=True)[:size]):
        report.stale_tokens += retire_tokens(ids, DeactivationReason.STALE)
