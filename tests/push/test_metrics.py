"""The Prometheus endpoint, scraped after real deliveries to the loopback Expo server."""

import pytest
from django.test import Client
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

import push
from push.models import NotificationLog, PushToken
from tests.support import processes
from tests.support.settings import push_settings_update

TOKEN = "s3cret-scrape-token"
GOOD = "ExponentPushToken[metrics-good-device]"
GONE = "ExponentPushToken[metrics-gone-device]"


def scrape(client: Client | None = None) -> dict[tuple, float]:
    """Return every sample of the endpoint as {(name, labels...): value}."""
    response = (client or Client()).get(reverse("metrics"), HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content[:200]
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, *sorted(sample.labels.items()))] = sample.value
    return samples


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, *sorted(labels.items())), 0.0)


@pytest.fixture
def metrics_on(settings):
    push_settings_update(settings, METRICS_TOKEN=TOKEN)


@pytest.mark.django_db
def test_the_endpoint_is_off_by_default_and_needs_the_token(settings, client):
    assert client.get(reverse("metrics")).status_code == 404
    push_settings_update(settings, METRICS_TOKEN=TOKEN)
    assert client.get(reverse("metrics")).status_code == 401
    wrong = client.get(reverse("metrics"), HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 401
    assert client.post(reverse("metrics"), HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 405


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        (f"Bearer {TOKEN}", 200),
        (f"bearer {TOKEN}", 200),  # a scheme is case-insensitive
        (f"BEARER  {TOKEN} ", 200),
        (TOKEN, 401),  # a bare token is no credential
        (f"Basic {TOKEN}", 401),
        ("Bearer", 401),
    ],
)
def test_the_scheme_is_bearer_in_any_case_and_a_bare_token_is_refused(
    metrics_on, client, authorization, status
):
    assert client.get(reverse("metrics"), HTTP_AUTHORIZATION=authorization).status_code == status


def test_the_site_reads_the_metrics_token_from_the_environment():
    read = (
        "import django; django.setup(); from push.conf import push_settings; "
        "print(push_settings.METRICS_TOKEN)"
    )
    done = processes.run_site_python(read, METRICS_TOKEN="t0k")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "t0k"


@pytest.mark.django_db
def test_deliveries_show_in_the_counters_and_the_outbox_in_the_gauges(
    metrics_on, user, expo, committed
):
    PushToken.objects.create(user=user, token=GOOD)
    PushToken.objects.create(user=user, token=GONE)
    expo.token_errors[GONE] = "DeviceNotRegistered"
    before = scrape()
    with committed():
        push.send(user, "Hi", "There", type="order")
    NotificationLog.objects.create(user=user, title="Waiting", body="x")  # pending, due now
    after = scrape()

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("push_notifications_total", type="order", outcome="sent") == 1
    assert grew("push_tickets_total", result="ok") == 1
    assert grew("push_tickets_total", result="DeviceNotRegistered") == 1
    assert grew("push_tokens_deactivated_total", reason="DeviceNotRegistered") == 1
    assert grew("push_expo_requests_total", status="ok") == 1
    assert grew("push_expo_request_seconds_count") == 1
    assert value(after, "push_outbox_pending") == 1
    assert value(after, "push_outbox_held") == 0
    assert value(after, "push_receipts_awaiting") == 1
    assert value(after, "push_outbox_oldest_pending_seconds") >= 0


@pytest.mark.django_db
def test_429s_and_retries_are_counted(metrics_on, user, expo, settings, committed):
    push_settings_update(settings, RETRY_ATTEMPTS=3)
    PushToken.objects.create(user=user, token=GOOD)
    expo.fail_next("too_many_requests", 1)
    before = scrape()
    with committed():
        push.send(user, "Hi", "There")
    after = scrape()
    assert value(after, "push_expo_429_total") - value(before, "push_expo_429_total") == 1
    assert value(after, "push_expo_retries_total") - value(before, "push_expo_retries_total") == 1


@pytest.mark.django_db(transaction=True)
def test_counts_of_several_processes_add_up_in_multiprocess_mode(
    metrics_on, user, expo, tmp_path, monkeypatch
):
    PushToken.objects.create(user=user, token=GOOD)

    def worker_delivering(count: int) -> None:
        NotificationLog.objects.bulk_create(
            NotificationLog(user=user, title=f"Backlog {n}", body="x") for n in range(count)
        )
        env = processes.worker_env(EXPO_BASE_URL=expo.url)
        env["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path)  # as gunicorn's or Celery's would be
        finished = processes.subprocess.run(
            [processes.sys.executable, "manage.py", "push_deliver"],
            cwd=processes.ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert finished.returncode == 0, finished.stderr

    worker_delivering(2)
    worker_delivering(1)
    assert len(list(tmp_path.glob("counter_*.db"))) == 2  # one file per process
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    samples = scrape()
    assert value(samples, "push_notifications_total", type="system", outcome="sent") == 3
    assert value(samples, "push_tickets_total", result="ok") == 3
    assert value(samples, "push_outbox_pending") == 0


@pytest.mark.django_db
def test_deactivations_of_our_own_reasons_are_counted(metrics_on, user):
    from push.api.devices import remove_device
    from push.token_lifecycle import DeactivationReason, retire_tokens

    PushToken.objects.create(user=user, token=GOOD)
    gone = PushToken.objects.create(user=user, token=GONE)
    before = scrape()
    assert remove_device(user, GOOD) == 1
    assert remove_device(user, GOOD) == 0  # already removed: not counted again
    assert retire_tokens([gone.pk], DeactivationReason.BY_HAND) == 1
    after = scrape()
    for reason in ("removed_by_app", "by_hand"):
        grew = value(after, "push_tokens_deactivated_total", reason=reason)
        assert grew - value(before, "push_tokens_deactivated_total", reason=reason) == 1
