"""What the push admin shows: status marks, error codes, and the list filters built on them."""

import re
from datetime import datetime

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from push.delivery.outcomes import NO_DEVICES, RULES
from push.models import NotificationStatus

# Notification outcomes as the operator sees them: a pending row due later is "held" (quiet
# hours, the hourly cap, a retry's backoff), not stuck.
HELD = "held"
OUTCOMES = ("sent", "failed", "skipped", "held", "pending")
OUTCOME_LABELS = {
    "sent": "Sent",
    "failed": "Failed",
    "skipped": "Skipped",
    "held": "Held",
    "pending": "Pending",
}
OUTCOME_COLORS = {
    "sent": "#1a7f37",
    "failed": "#cf222e",
    "skipped": "#6e7781",
    "held": "#bf8700",
    "pending": "#0969da",
}

# Codes that appear at the start of NotificationLog.error_message: Expo's and ours
# (push.delivery.outcomes), and the preference screening's (push/preferences: skipped or held).
SCREENING_CODES = ("TypeDisabled", "QuietHours", "HourlyCap")
NO_DEVICES_MESSAGE = "User has no active device."
NOTIFICATION_ERROR_CODES = tuple(sorted({*RULES, NO_DEVICES, *SCREENING_CODES}, key=str.lower))
DELIVERY_ERROR_CODES = tuple(sorted(RULES, key=str.lower))

_CODE = re.compile(r"[A-Za-z_]+")


def outcome_of(status: str, next_attempt_at: datetime | None, now: datetime | None = None) -> str:
    """Return sent, failed, skipped, held or pending for a notification's fields."""
    if status != NotificationStatus.PENDING:
        return status
    now = now or timezone.now()
    return HELD if next_attempt_at is not None and next_attempt_at > now else "pending"


def mark(outcome: str, text: str | None = None) -> SafeString:
    """A small colored label for an outcome (or any text in that outcome's color)."""
    color = OUTCOME_COLORS.get(outcome, "#6e7781")
    return format_html(
        '<span class="push-mark push-mark-{}" style="display:inline-block;padding:1px 7px;'
        "border-radius:9px;color:#fff;background:{};font-size:11px;font-weight:600;"
        'white-space:nowrap">{}</span>',
        outcome,
        color,
        text or OUTCOME_LABELS.get(outcome, outcome),
    )


def error_code(message: str | None) -> str:
    """The code an error message starts with ("DeviceNotRegistered (1 device): ...")."""
    if not message:
        return ""
    if message == NO_DEVICES_MESSAGE:
        return NO_DEVICES
    match = _CODE.match(message)
    return match.group(0) if match else ""


def error_code_q(code: str) -> Q:
    """Rows whose error_message names `code` (first, or after another code)."""
    if code == NO_DEVICES:
        return Q(error_message=NO_DEVICES_MESSAGE) | Q(error_message__startswith=f"{code} ")
    return (
        Q(error_message__startswith=f"{code} ")
        | Q(error_message__startswith=f"{code}:")
        | Q(error_message=code)
        | Q(error_message__contains=f"; {code} ")
    )


class OutcomeFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "outcome"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [(outcome, OUTCOME_LABELS[outcome]) for outcome in OUTCOMES]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet | None:
        value = self.value()
        if value is None:
            return None
        now = timezone.now()
        if value == HELD:
            return queryset.filter(status=NotificationStatus.PENDING, next_attempt_at__gt=now)
        if value == "pending":
            return queryset.filter(status=NotificationStatus.PENDING).exclude(
                next_attempt_at__gt=now
            )
        return queryset.filter(status=value)


class NotificationErrorFilter(admin.SimpleListFilter):
    title = "error code"
    parameter_name = "error_code"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("-", "No error"), *((code, code) for code in NOTIFICATION_ERROR_CODES)]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet | None:
        value = self.value()
        if value is None:
            return None
        if value == "-":
            return queryset.filter(Q(error_message__isnull=True) | Q(error_message=""))
        return queryset.filter(error_code_q(value))


class _DeliveryCodeFilter(admin.SimpleListFilter):
    field = ""

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("-", "No error"), ("*", "Any error"), *((c, c) for c in DELIVERY_ERROR_CODES)]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet | None:
        value = self.value()
        if value is None:
            return None
        if value == "-":
            return queryset.filter(**{self.field: ""})
        if value == "*":
            return queryset.exclude(**{self.field: ""})
        return queryset.filter(**{self.field: value})


class TicketErrorFilter(_DeliveryCodeFilter):
    title = "ticket error"
    parameter_name = "ticket_error"
    field = "error"


class ReceiptErrorFilter(_DeliveryCodeFilter):
    title = "receipt error"
    parameter_name = "receipt_error"
    field = "receipt_error"
