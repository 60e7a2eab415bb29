"""The admin's push overview page (/admin/push/overview/)."""

from datetime import datetime, timedelta

from django.contrib.admin import AdminSite
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from push.admin_display import OUTCOME_COLORS
from push.errors import Source
from push.overview import charts, stats
from push.states import Outcome

ERROR_COLORS = {Source.TRANSPORT: "#d4580b", Source.TICKET: "#cf222e", Source.RECEIPT: "#8250df"}
ERROR_SOURCES = {
    Source.TRANSPORT: "transport errors (no ticket: the request failed)",
    Source.TICKET: "ticket errors (Expo, per device)",
    Source.RECEIPT: "receipt errors (Apple and Google, later)",
}


def _outcome_series(timeline: stats.Timeline) -> list[charts.Series]:
    return [
        charts.Series(
            outcome.value, outcome.label, OUTCOME_COLORS[outcome], timeline.counts[outcome]
        )
        for outcome in Outcome
    ]


def _age(since: datetime | None, now: datetime) -> timedelta | None:
    return None if since is None else max(now - since, timedelta(0))


def build_context(overview: stats.Overview) -> dict:
    """The page's figures and its charts (SVG), from collected figures."""
    now = overview.now
    tz_name = timezone.get_current_timezone_name()
    hourly = charts.stacked_columns(
        chart_id="chart-hourly",
        title="Notifications per hour, last 24 hours, by outcome",
        categories=[f"{start:%H}:00" for start in overview.hourly.buckets],
        series=_outcome_series(overview.hourly),
        x_title=f"hour the notification was created ({tz_name})",
        y_title="notifications",
        label_every=3,
        # Where each day starts (yesterday 17:00 is not today's): the first hour's day, and
        # midnight's.
        boundaries={
            i: f"{start:%a %d %b}"
            for i, start in enumerate(overview.hourly.buckets)
            if i == 0 or start.hour == 0
        },
    )
    daily = charts.stacked_columns(
        chart_id="chart-daily",
        title="Notifications per day, last 30 days, by outcome",
        categories=[f"{start:%b %d}" for start in overview.daily.buckets],
        series=_outcome_series(overview.daily),
        x_title=f"day the notification was created ({tz_name})",
        y_title="notifications",
        label_every=5,
    )
    codes = sorted({e.code for e in overview.errors}, key=lambda c: c.lower())
    by_source = {(e.code, e.source): e.last_30d for e in overview.errors}
    errors = charts.stacked_rows(
        chart_id="chart-errors",
        title="Transport, ticket and receipt errors by code, last 30 days",
        categories=codes,
        series=[
            charts.Series(
                source,
                ERROR_SOURCES[source],
                ERROR_COLORS[source],
                [by_source.get((code, source), 0) for code in codes],
            )
            for source in ERROR_SOURCES
        ],
        x_title="devices",
        empty_text="No transport, ticket or receipt errors in the last 30 days.",
    )
    alert = overview.last_alert
    return {
        "overview": overview,
        "chart_hourly": hourly,
        "chart_daily": daily,
        "chart_errors": errors,
        "hourly_totals": overview.hourly.totals(),
        "oldest_pending_age": _age(overview.oldest_pending_at, now),
        "oldest_receipt_age": _age(overview.oldest_receipt_awaiting_at, now),
        "alert_is_recent": bool(alert and alert.created_at >= now - timedelta(hours=24)),
    }


def overview(request: HttpRequest, *, admin_site: AdminSite) -> HttpResponse:
    context = {
        **admin_site.each_context(request),
        "title": "Push overview",
        **build_context(stats.collect()),
    }
    return TemplateResponse(request, "admin/push/overview.html", context)
