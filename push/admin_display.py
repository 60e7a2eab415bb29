"""What the push admin shows: outcome marks, error codes, and the list filters built on them.

The words come from push.states (outcomes) and push.errors (codes); the filters are the
models' QuerySet methods. Nothing here is a second list of either.
"""

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString

from push import clock
from push.errors import DELIVERY_CODES, NOTIFICATION_CODES
from push.states import Outcome
from push.types import types

OUTCOME_COLORS = {
    Outcome.SENT: "#1a7f37",
    Outcome.FAILED: "#cf222e",
    Outcome.SKIPPED: "#6e7781",
    Outcome.PENDING: "#0969da",
    Outcome.RETRYING: "#d4580b",
    Outcome.HELD: "#bf8700",
    Outcome.SCHEDULED: "#8250df",
}


def mark(outcome: str, text: str | None = None) -> SafeString:
    """A small colored label for an outcome (or any text in that outcome's color)."""
    color = OUTCOME_COLORS.get(outcome, "#6e7781")
    label = text or (Outcome(outcome).label if outcome in Outcome.values else outcome)
    return format_html(
        '<span class="push-mark push-mark-{}" style="display:inline-block;padding:1px 7px;'
        "border-radius:9px;color:#fff;background:{};font-size:11px;font-weight:600;"
        'white-space:nowrap">{}</span>',
        outcome,
        color,
        label,
    )


class TypeFilter(admin.SimpleListFilter):
    """The registered types (push.register_type), by their labels."""

    title = "type"
    parameter_name = "type"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [(kind.name, kind.label) for kind in types()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet | None:
        value = self.value()
        return None if value is None else queryset.filter(type=value)


class OutcomeFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "outcome"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return list(Outcome.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet | None:
        value = self.value()
        if value not in Outcome.values:
            return None
        return queryset.with_outcome(value, clock.now())


class NotificationErrorFilter(admin.SimpleListFilter):
    title = "error code"
    parameter_name = "error_code"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("-", "No error"), *((code, code) for code in NOTIFICATION_CODES)]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet | None:
        value = self.value()
        if value is None:
            return None
        if value == "-":
            return queryset.filter(Q(error_message__isnull=True) | Q(error_message=""))
        return queryset.with_error_code(value)


class _DeliveryCodeFilter(admin.SimpleListFilter):
    field = ""

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("-", "No error"), ("*", "Any error"), *((c, c) for c in DELIVERY_CODES)]

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
