"""Expo's delivery receipts: fetched some time after sending, acted on, recorded."""

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import DateTimeField, F

from push import clock
from push.conf import push_settings
from push.delivery.outcomes import ErrorSeen, act_on_errors
from push.delivery.polling import receipt_min_age
from push.delivery.reports import Report
from push.delivery.rowvalues import per_row
from push.errors import RATE_EXCEEDED
from push.exceptions import BatchFailed
from push.metrics import counters
from push.models import PushDelivery, PushToken, ReceiptStatus
from push.transports import BaseTransport, shared_transport

logger = logging.getLogger(__name__)

# Expo deletes receipts after a day: an id still without one then will never have one.
RECEIPTS_KEPT_FOR = timedelta(hours=24)


@dataclass
class ReceiptReport(Report):
    """What one run of receipt checking found."""

    checked: int = 0
    ok: int = 0
    failed: int = 0
    not_ready: int = 0
    expired: int = 0

    def headline(self) -> str:
        return (
            f"{self.checked} checked: {self.ok} ok, {self.failed} failed, "
            f"{self.not_ready} not ready, {self.expired} expired"
        )


def check_receipts(
    min_age: timedelta | None = None,
    transport: BaseTransport | None = None,
    *,
    max_batches: int | None = None,
    asked_again_after: timedelta | None = None,
) -> ReceiptReport:
    """Fetch receipts for accepted tickets at least `min_age` old and act on them.

    DeviceNotRegistered retires the token; InvalidCredentials and other app-configuration
    errors are logged at ERROR and touch no token; every receipt is recorded on its
    delivery. Ids Expo has no receipt for yet are asked again next run (or, with
    `asked_again_after`, no sooner than that), for 24 hours. `max_batches` bounds the
    requests of one run (the background thread asks one batch at a time).
    """
    if min_age is None:
        min_age = receipt_min_age()
    now = clock.now()
    report = ReceiptReport()
    transport = transport or shared_transport()
    transport.open()
    awaiting = PushDelivery.objects.due_for_receipt(now, min_age, asked_again_after).order_by("pk")
    last_pk = 0
    batches = 0
    while (max_batches is None or batches < max_batches) and (
        batch := list(
            awaiting.filter(pk__gt=last_pk).values_list(
                "pk", "ticket_id", "push_token_id", "updated_at"
            )[: transport.max_receipt_batch_size]
        )
    ):
        batches += 1
        last_pk = batch[-1][0]
        try:
            receipts = transport.get_receipts([ticket_id for _, ticket_id, _, _ in batch])
        except BatchFailed as failure:
            # The request was refused (after the transport's retries): an UNAUTHORIZED
            # access token, say, needs an operator; the tickets are asked again next run.
            act_on_errors([ErrorSeen(failure.error, message=failure.message)], "request")
            raise
        _record(batch, receipts, now, report)
    return report


def _record(batch: list[tuple], receipts: dict, now: datetime, report: ReceiptReport) -> None:
    ok, not_ready, expired = [], [], []
    failed: dict[str, list[int]] = defaultdict(list)
    errors = []
    for pk, ticket_id, token_id, ticketed_at in batch:
        receipt = receipts.get(ticket_id)
        if receipt is None:
            (expired if ticketed_at < now - RECEIPTS_KEPT_FOR else not_ready).append(pk)
        elif receipt.ok:
            ok.append(pk)
            counters.RECEIPTS.labels("ok").inc()
        else:
            counters.RECEIPTS.labels(receipt.error).inc()
            failed[receipt.error].append(pk)
            report.errors[receipt.error] += 1
            errors.append(ErrorSeen(receipt.error, token_id, message=receipt.message))
    rows = PushDelivery.objects
    rows.filter(pk__in=ok).update(receipt_status=ReceiptStatus.OK, receipt_checked_at=now)
    rows.filter(pk__in=expired).update(receipt_status=ReceiptStatus.EXPIRED, receipt_checked_at=now)
    rows.filter(pk__in=not_ready).update(receipt_checked_at=now)
    for code, pks in failed.items():
        rows.filter(pk__in=pks).update(
            receipt_status=ReceiptStatus.ERROR, receipt_error=code, receipt_checked_at=now
        )
    report.deactivated_tokens += act_on_errors(errors, "receipts")
    token_of = {pk: token_id for pk, _, token_id, _ in batch}
    pace_devices(
        paused={token_of[pk] for pk in failed.get(RATE_EXCEEDED, [])} - {None},
        clean={token_of[pk] for pk in ok} - {None},
        now=now,
    )
    report.checked += len(batch)
    report.ok += len(ok)
    report.failed += sum(len(pks) for pks in failed.values())
    report.not_ready += len(not_ready)
    report.expired += len(expired)


# The longest pause of a device, however often it was pushed too fast.
MAX_DEVICE_PAUSE = timedelta(days=1)


def pace_devices(paused: set[int], clean: set[int], now: datetime) -> None:
    """Pause devices whose receipt says MessageRateExceeded; a clean receipt resets them.

    The pause is DEVICE_PAUSE_SECONDS, doubling with each MessageRateExceeded in a row (at
    most a day); deliveries skip a paused device. At most three queries per batch.
    """
    clean = clean - paused
    if clean:
        PushToken.objects.filter(pk__in=clean, rate_exceeded__gt=0).update(
            rate_exceeded=0, paused_until=None
        )
    if not paused:
        return
    base = push_settings.DEVICE_PAUSE_SECONDS
    tokens = list(
        PushToken.objects.filter(pk__in=paused).only("pk", "rate_exceeded", "token", "device_type")
    )
    for token in tokens:
        pause = timedelta(seconds=base * 2 ** min(token.rate_exceeded, 20))
        token.paused_until = now + min(pause, MAX_DEVICE_PAUSE)
        logger.info("Pausing %s until %s: MessageRateExceeded", token, token.paused_until)
    PushToken.objects.filter(pk__in=paused).update(
        paused_until=per_row(tokens, "paused_until", DateTimeField()),
        rate_exceeded=F("rate_exceeded") + 1,
    )
