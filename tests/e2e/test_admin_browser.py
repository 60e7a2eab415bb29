"""An operator in a real browser: change an order, watch its notification go out, see it.

Headless Chromium (Debian's `chromium` package) driven by Playwright, against pytest-django's
live server; the notification goes to the loopback Expo server (the `expo` fixture). The
test is skipped only where chromium is missing and neither CI nor PUSH_TEST_REQUIRE_BROWSER
says it must run (`.ci/run` installs chromium and sets it).
"""

import os
import shutil
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from push.models import NotificationLog, OperatorAlert, PushDelivery, PushToken
from tests.support.marketplace import BUYER_TOKEN

CHROMIUM = os.environ.get("PUSH_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.django_db(transaction=True)


def _browser_or_skip():
    required = bool(os.environ.get("PUSH_TEST_REQUIRE_BROWSER") or os.environ.get("CI"))
    problem = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        problem = "the playwright package is not installed (pip install -r requirements-dev.txt)"
    if problem is None and not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        problem = f"no chromium at {CHROMIUM} (apt-get install -y chromium)"
    if problem:
        if required:
            pytest.fail(f"A browser is required here: {problem}")
        pytest.skip(problem)
    return sync_playwright


@pytest.fixture
def browser_page(monkeypatch):
    sync_playwright = _browser_or_skip()
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # plain synchronous code all the same.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            browser.close()
            # Without this a connection opened during the test stays open (Django keeps
            # connections per context, and Playwright's sync API switches greenlets), and
            # PostgreSQL refuses to drop the test database at the end of the session.
            connections.close_all()


def _history(user, token):
    """A month of earlier notifications (never in the current hour) so the charts have shape."""
    now = timezone.now()
    rows = []
    for day in range(30):
        for n in range(4 + (day * 7) % 9):
            status = ("sent", "sent", "sent", "failed", "sent", "skipped", "pending")[n % 7]
            held_until = now + timedelta(hours=3) if status == "pending" else None
            rows.append(
                NotificationLog(
                    user=user, title="Earlier", body="b", status=status, next_attempt_at=held_until
                )
            )
    rows = NotificationLog.objects.bulk_create(rows)
    for i, row in enumerate(rows):
        hours = 1 + (i * 5) % 23 if i % 4 == 0 else 24 * (1 + i % 29) + i % 7
        NotificationLog.objects.filter(pk=row.pk).update(created_at=now - timedelta(hours=hours))
    failed = [row for row in rows if row.status == "failed"]
    sent = [row for row in rows if row.status == "sent"]
    codes = (
        ["DeviceNotRegistered"] * 6
        + ["MessageRateExceeded"] * 3
        + ["InvalidCredentials", "CONNECTION_ERROR"]
    )
    PushDelivery.objects.bulk_create(
        [
            PushDelivery(
                notification=row, push_token=token, token=token.token, status="failed", error=code
            )
            for row, code in zip(failed, codes, strict=False)
        ]
        + [
            PushDelivery(
                notification=row,
                push_token=token,
                token=token.token,
                status="accepted",
                ticket_id=f"ticket-{row.pk}",
                receipt_status="error",
                receipt_error=code,
            )
            for row, code in zip(
                sent, ["DeviceNotRegistered"] * 3 + ["MessageTooBig"], strict=False
            )
        ]
    )
    OperatorAlert.objects.create(code="InvalidCredentials", count=2, source="receipts")


def _wait_for(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_operator_changes_an_order_and_follows_its_notification(
    browser_page, live_server, expo, order, buyer, seller, django_user_model, tmp_path
):
    page = browser_page
    django_user_model.objects.create_superuser("root", "root@example.com", "pw-root-123")
    _history(seller, PushToken.objects.get(user=seller))
    expo.reset()  # only what the browser causes from here on

    # Log in.
    page.goto(f"{live_server.url}{reverse('admin:login')}?next={reverse('admin:index')}")
    page.fill("#id_username", "root")
    page.fill("#id_password", "pw-root-123")
    page.click("input[type=submit]")
    overview_url = reverse("admin:push_overview_changelist")
    page.wait_for_selector(f'#content-main a[href="{overview_url}"]')

    # Ship the order: the admin says the notification was queued, and Expo gets it.
    page.goto(live_server.url + reverse("admin:orders_order_change", args=[order.pk]))
    page.select_option("#id_status", "shipped")
    page.click("input[name=_save]")
    page.wait_for_selector("ul.messagelist")
    messages = page.inner_text("ul.messagelist")
    assert "Notification queued for alice" in messages
    assert "Your order has been shipped" in messages
    assert _wait_for(lambda: expo.delivered_count(BUYER_TOKEN) == 1)
    sent = [m for m in expo.delivered if m["to"] == BUYER_TOKEN]
    assert sent[0]["title"] == "Order Update"

    # The log lists it as sent; its page shows the device's delivery (token masked).
    page.goto(
        live_server.url + reverse("admin:push_notificationlog_changelist") + "?q=Order+Update"
    )
    row = page.locator("#result_list tbody tr", has_text="Order Update")
    assert row.count() == 1
    assert row.locator(".push-mark-sent").count() == 1
    row.locator("th a, td a").first.click()
    page.wait_for_selector("#deliveries-group")
    deliveries = page.inner_text("#deliveries-group")
    ticket_id = PushDelivery.objects.get(token=BUYER_TOKEN).ticket_id
    assert ticket_id and ticket_id in deliveries
    assert BUYER_TOKEN[:20] + "…" in deliveries and BUYER_TOKEN not in page.content()

    # The per-device list has it too, linked to its notification.
    page.goto(live_server.url + reverse("admin:push_pushdelivery_changelist") + "?q=alice")
    assert page.locator("#result_list tbody tr", has_text="Order Update").count() == 1

    # The overview, from the admin index's app list: this hour's "sent" bar counts it.
    page.goto(live_server.url + reverse("admin:index"))
    page.click(f'#content-main a[href="{overview_url}"]')
    page.wait_for_selector("#chart-hourly")
    this_hour = f"{timezone.localtime():%H}:00"
    bar = page.locator(f'#chart-hourly rect[data-series="sent"][data-category="{this_hour}"]')
    # The new order (to the seller) and the status change (to the buyer), both this hour.
    assert bar.get_attribute("data-value") == "2"
    assert "Order Update" not in (page.text_content("#chart-hourly") or "")  # not a list
    assert page.locator('#chart-errors rect[data-category="DeviceNotRegistered"]').count() == 2
    assert "InvalidCredentials" in page.inner_text("#last-alert")
    screenshot = Path(os.environ.get("PUSH_E2E_SCREENSHOT") or tmp_path / "overview.png")
    # The hourly chart says which day each hour is; transport errors are charted apart.
    assert page.locator("#chart-hourly .boundary-label").count() >= 1
    assert page.locator('#chart-errors rect[data-series="transport"]').count() == 1
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 10_000

    # A notification that is retrying says so in the list and on its page, with its dates.
    retrying = NotificationLog.objects.create(
        user=buyer,
        title="Retrying one",
        body="b",
        status="pending",
        attempts=1,
        next_attempt_at=timezone.now() + timedelta(minutes=5),
        error_message="CONNECTION_ERROR (1 device): ConnectionError",
    )
    page.goto(
        live_server.url + reverse("admin:push_notificationlog_changelist") + "?q=Retrying+one"
    )
    row = page.locator("#result_list tbody tr", has_text="Retrying one")
    assert row.locator(".push-mark-retrying").inner_text() == "Retrying"
    assert "CONNECTION_ERROR CONNECTION_ERROR" not in row.inner_text()
    page.goto(live_server.url + reverse("admin:push_notificationlog_change", args=[retrying.pk]))
    assert page.locator(".push-mark-retrying").inner_text() == "Retrying"
    for label in ("Created at:", "Updated at:", "Due:"):
        assert page.locator("label", has_text=label).count() == 1
