"""The push overview page: its figures, its charts, a fixed number of queries, its link."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from push.models import NotificationLog, OperatorAlert, PushDelivery, PushToken
from push.overview import charts, stats
from push.token_lifecycle import retire_tokens
from tests.support.admin import admin_url
from tests.support.api import VALID_TOKEN

pytestmark = pytest.mark.django_db

URL = reverse("admin:push_overview_changelist")


def _history(user, copies: int, now):
    """Notifications of every outcome, now and days ago, with ticket and receipt errors."""
    token = PushToken.objects.create(user=user, token=f"ExponentPushToken[h{copies}]")
    rows = []
    for i in range(copies):
        later = now + timedelta(hours=2)
        for status, next_at, attempts, error in (
            ("sent", None, 1, None),
            ("failed", None, 1, None),
            ("skipped", None, 0, None),
            ("pending", later, 0, "QuietHours: held until the user's quiet hours end."),
            ("pending", later, 2, "CONNECTION_ERROR (1 device): ConnectionError"),  # retrying
            ("pending", later, 0, None),  # scheduled
            ("pending", None, 0, None),
        ):
            rows.append(
                NotificationLog(
                    user=user,
                    title=f"n{i}",
                    body="b",
                    status=status,
                    next_attempt_at=next_at,
                    attempts=attempts,
                    error_message=error,
                )
            )
    NotificationLog.objects.bulk_create(rows)
    ids = list(NotificationLog.objects.values_list("pk", flat=True))
    # Spread them over the last 30 days: created_at is auto_now_add, so set it afterwards.
    for n, pk in enumerate(ids):
        NotificationLog.objects.filter(pk=pk).update(created_at=now - timedelta(days=n % 30))
    PushDelivery.objects.bulk_create(
        [
            PushDelivery(
                notification_id=pk,
                push_token=token,
                token=token.token,
                status="failed",
                error="DeviceNotRegistered",
            )
            for pk in ids[:copies]
        ]
        + [
            PushDelivery(
                notification_id=pk,
                push_token=token,
                token=token.token,
                status="accepted",
                ticket_id=f"t{pk}",
                receipt_status="error",
                receipt_error="MessageTooBig",
            )
            for pk in ids[copies : 2 * copies]
        ]
    )


def test_page_shows_figures_charts_and_the_last_alert(admin_client, user):
    now = timezone.now()
    NotificationLog.objects.create(user=user, title="a", body="b", status="sent")
    NotificationLog.objects.create(user=user, title="a", body="b", status="skipped")
    later = now + timedelta(hours=1)
    for attempts, error in ((0, "HourlyCap: held"), (1, "TIMEOUT (1 device): slow"), (0, None)):
        NotificationLog.objects.create(
            user=user,
            title="a",
            body="b",
            status="pending",
            next_attempt_at=later,
            attempts=attempts,
            error_message=error,
        )
    NotificationLog.objects.create(user=user, title="a", body="b", status="pending")
    token = PushToken.objects.create(user=user, token=VALID_TOKEN)
    retire_tokens([token.pk], "DeviceNotRegistered")
    OperatorAlert.objects.create(code="InvalidCredentials", count=3, source="tickets")
    response = admin_client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="chart-hourly"' in page and 'id="chart-daily"' in page
    assert 'id="chart-errors"' in page
    # The hour bar of now holds one notification of each outcome.
    for outcome in ("sent", "skipped", "pending", "retrying", "held", "scheduled"):
        assert re.search(rf'data-series="{outcome}" data-category="[0-9:]+" data-value="1"', page)
    assert "Last operator alert: InvalidCredentials" in page
    overview = response.context["overview"]
    figures = (overview.pending, overview.retrying, overview.held, overview.scheduled)
    assert figures == (1, 1, 1, 1)
    assert overview.deactivated_recently == {"DeviceNotRegistered": 1}
    assert (overview.tokens_active, overview.tokens_inactive) == (0, 1)
    # Drawn on the server: nothing is fetched from another site.
    assert "<svg" in page and not re.search(r"(src|href)=\"https?://", page)


def test_timelines_and_errors_by_code(user):
    now = timezone.now()
    _history(user, 3, now)
    overview = stats.collect(now)
    assert overview.daily.total == 21
    assert overview.daily.totals() == {
        "sent": 3,
        "failed": 3,
        "skipped": 3,
        "pending": 3,
        "retrying": 3,
        "held": 3,
        "scheduled": 3,
    }
    assert len(overview.hourly.buckets) == 24 and len(overview.daily.buckets) == 30
    # Created today: rows n % 30 == 0, i.e. the first one (one sent).
    assert overview.hourly.total == 1
    codes = {(e.code, e.source): e.last_30d for e in overview.errors}
    assert codes == {("DeviceNotRegistered", "ticket"): 3, ("MessageTooBig", "receipt"): 3}


def test_page_makes_a_fixed_number_of_queries(admin_client, user, django_assert_num_queries):
    now = timezone.now()
    _history(user, 1, now)
    admin_client.get(URL)  # warm up: the session and the admin's caches
    # 2 (session, user) + 8 (the figures), with 5 rows or 100.
    with django_assert_num_queries(10):
        assert admin_client.get(URL).status_code == 200
    _history(user, 20, now)
    with django_assert_num_queries(10):
        assert admin_client.get(URL).status_code == 200


def test_overview_needs_staff(client, user):
    client.force_login(user)
    response = client.get(URL)
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]


def test_overview_needs_the_notifications_view_permission(client, django_user_model):
    staff = django_user_model.objects.create_user("ops", password="pw-ops-123", is_staff=True)
    client.force_login(staff)
    assert client.get(URL).status_code == 403
    assert URL not in client.get(reverse("admin:index")).content.decode()
    staff.user_permissions.add(Permission.objects.get(codename="view_notificationlog"))
    assert client.get(URL).status_code == 200
    assert URL in client.get(reverse("admin:index")).content.decode()


def test_nice_ticks():
    assert charts.nice_ticks(0) == [0, 1]
    assert charts.nice_ticks(7) == [0, 2, 4, 6, 8]
    assert charts.nice_ticks(1000)[-1] == 1000
    assert charts.nice_ticks(1234)[-1] >= 1234


def test_chart_escapes_labels():
    svg = charts.stacked_rows(
        chart_id="x",
        title="<b>",
        categories=["<script>"],
        series=[charts.Series("a", "A", "#000", [1])],
        x_title="t",
    )
    assert "<script>" not in svg and "&lt;script&gt;" in svg


def test_admin_index_links_to_the_overview(admin_client):
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert admin_url("overview_changelist") in page


def test_the_hourly_chart_marks_where_each_day_starts(user):
    from datetime import UTC, datetime

    from push.overview.views import build_context

    now = datetime(2026, 12, 4, 16, 30, tzinfo=UTC)  # the chart runs from 3 Dec 17:00
    svg = str(build_context(stats.collect(now))["chart_hourly"])
    labels = re.findall(r'class="boundary-label"[^>]*>([^<]+)<', svg)
    assert labels == ["Thu 03 Dec", "Fri 04 Dec"]
    assert svg.count('class="boundary"') == 1  # one line: at midnight


def test_transport_ticket_and_receipt_errors_are_told_apart(user):
    now = timezone.now()
    token = PushToken.objects.create(user=user, token=VALID_TOKEN)
    log = NotificationLog.objects.create(user=user, title="t", body="b", status="failed")
    for n, (error, receipt_error) in enumerate(
        [("CONNECTION_ERROR", ""), ("DeviceNotRegistered", ""), ("", "MessageTooBig")]
    ):
        PushDelivery.objects.create(
            notification=log,
            push_token=token,
            token=f"{token.token}-{n}",
            status="failed" if error else "accepted",
            error=error,
            receipt_error=receipt_error,
        )
    codes = {(e.code, e.source) for e in stats.collect(now).errors}
    assert codes == {
        ("CONNECTION_ERROR", "transport"),
        ("DeviceNotRegistered", "ticket"),
        ("MessageTooBig", "receipt"),
    }
