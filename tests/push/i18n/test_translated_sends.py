"""Each notification is written in its recipient's language: pushes, the inbox, digests.

English readers get the guide's exact texts; a German reader German, a Spanish one
Spanish. A bulk send writes each text once per language and costs no query more.
"""

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

import push
from messaging.models import Message, Thread
from orders.models import Order, Payment, Review
from push.delivery.engine import deliver_due
from push.models import NotificationLog, NotificationPreference
from push.preferences import QuietHours, update_preferences
from tests.support.api import INBOX, bearer_client
from tests.support.devices import register_devices, users_with_devices
from tests.support.marketplace import BUYER_TOKEN, SELLER_TOKEN
from tests.support.settings import push_settings_update

pytestmark = pytest.mark.django_db

TEST_TITLE = gettext_lazy("Test Notification")  # a text push itself translates


def speaks(user, language):
    NotificationPreference.objects.update_or_create(user=user, defaults={"language": language})


def message_to(expo, token):
    [message] = [m for m in expo.delivered if m["to"] == token]
    return message


class Counted:
    """A placeholder value that counts how often a text holding it is written."""

    def __init__(self, text):
        self.text, self.count = text, 0

    def __str__(self):
        self.count += 1
        return self.text


@pytest.mark.parametrize(
    ("language", "title", "body"),
    [
        ("en", "New Order! 🎉", "Alice ordered Calculus textbook"),
        ("de", "Neue Bestellung! 🎉", "Alice hat Calculus textbook bestellt"),
        ("es", "¡Nuevo pedido! 🎉", "Alice ha pedido Calculus textbook"),
    ],
)
def test_a_new_order_in_the_sellers_language(
    product, buyer, seller, expo, committed, language, title, body
):
    speaks(seller, language)
    with committed():
        Order.objects.create(product=product, buyer=buyer)
    message = message_to(expo, SELLER_TOKEN)
    assert (message["title"], message["body"]) == (title, body)
    row = NotificationLog.objects.get()
    assert (row.title, row.body, row.language) == (title, body, language)


@pytest.mark.parametrize(
    ("language", "texts"),
    [
        (
            "en",
            [
                ("Order Update", "Your order has been shipped"),
                ("Payment Confirmed ✅", "Payment for Calculus textbook was successful"),
            ],
        ),
        (
            "de",
            [
                ("Bestellstatus", "Deine Bestellung wurde versandt"),
                ("Zahlung bestätigt ✅", "Die Zahlung für Calculus textbook war erfolgreich"),
            ],
        ),
        (
            "es",
            [
                ("Estado del pedido", "Tu pedido ha sido enviado"),
                (
                    "Pago confirmado ✅",
                    "El pago de Calculus textbook se ha realizado correctamente",
                ),
            ],
        ),
    ],
)
def test_the_buyer_reads_shipping_and_payment_in_their_language(
    order, buyer, expo, committed, language, texts
):
    speaks(buyer, language)
    expo.reset()
    with committed():
        order.status = Order.Status.SHIPPED
        order.save()
    with committed():
        payment = Payment.objects.create(order=order, amount=Decimal("25.00"))
        payment.status = Payment.Status.CONFIRMED
        payment.save()
    assert [(m["title"], m["body"]) for m in expo.delivered] == texts


def test_a_review_and_a_chat_message(product, buyer, seller, expo, committed):
    speaks(seller, "de")
    speaks(buyer, "es")
    thread = Thread.objects.create(product=product, buyer=buyer, seller=seller)
    with committed():
        Review.objects.create(product=product, author=buyer, rating=5)
        Message.objects.create(thread=thread, sender=seller, text="private")
    review = message_to(expo, SELLER_TOKEN)
    assert review["title"] == "Neue Bewertung ⭐"
    assert review["body"] == "Dein Produkt „Calculus textbook“ hat eine 5-Sterne-Bewertung erhalten"
    chat = message_to(expo, BUYER_TOKEN)
    assert (chat["title"], chat["body"]) == ("Nuevo mensaje de Sam", "Toca para ver el mensaje")


def test_the_inbox_shows_what_the_push_said_and_history_keeps_its_language(
    product, buyer, seller, expo, committed
):
    speaks(seller, "de")
    with committed():
        Order.objects.create(product=product, buyer=buyer)
    speaks(seller, "es")  # later choices do not rewrite what was written
    [item] = bearer_client(seller).get(INBOX).json()["notifications"]
    pushed = message_to(expo, SELLER_TOKEN)
    assert (item["title"], item["body"]) == (pushed["title"], pushed["body"])
    assert item["title"] == "Neue Bestellung! 🎉"


def test_a_plain_text_is_sent_as_it_is_and_the_row_knows_the_readers_language(
    user, expo, committed
):
    register_devices(user, "ExponentPushToken[plain-text-phone-xxxx]")
    speaks(user, "de")
    with committed():
        row = push.send(user, "Maintenance tonight", "From 22:00")
    assert (row.title, row.body, row.language) == ("Maintenance tonight", "From 22:00", "de")
    assert expo.delivered[0]["title"] == "Maintenance tonight"


def test_the_test_endpoint_speaks_the_users_language(user, expo):
    user.is_staff = True
    user.save()
    register_devices(user, "ExponentPushToken[test-endpoint-phone-x]")
    speaks(user, "es")
    answer = bearer_client(user).post(
        "/api/users/push-tokens/test/", b"{}", content_type="application/json"
    )
    assert answer.status_code == 200
    [message] = expo.delivered
    assert message["title"] == "Notificación de prueba"
    assert message["body"] == "¡Esta es una notificación de prueba de UniTrade!"


def test_send_bulk_writes_each_text_once_per_language(expo, django_user_model):
    users_with_devices(30, prefix="bulk")
    users = list(django_user_model.objects.order_by("pk"))
    for n, user in enumerate(users):
        speaks(user, ("en", "de", "es")[n % 3])
    product = Counted("Desk lamp")
    body = format_lazy(gettext_lazy("Payment for {product} was successful"), product=product)

    summary = push.send_bulk(django_user_model.objects.all(), TEST_TITLE, body)

    assert summary["successful"] == 30
    assert product.count == 3  # en (also the check when it was made), de, es
    written = {
        row.language: (row.title, row.body) for row in NotificationLog.objects.order_by("pk")
    }
    assert written == {
        "en": ("Test Notification", "Payment for Desk lamp was successful"),
        "de": ("Testbenachrichtigung", "Die Zahlung für Desk lamp war erfolgreich"),
        "es": ("Notificación de prueba", "El pago de Desk lamp se ha realizado correctamente"),
    }
    assert {m["title"] for m in expo.delivered} == set(title for title, _body in written.values())


def test_translated_bulk_sends_cost_no_query_more_than_plain_ones(expo, django_user_model):
    users_with_devices(250, prefix="cost")
    for n, user in enumerate(django_user_model.objects.order_by("pk")):
        speaks(user, ("en", "de", "es")[n % 3])
    counts = []
    for title in ("Plain", TEST_TITLE):
        with CaptureQueriesContext(connection) as queries:
            push.send_bulk(django_user_model.objects.all(), title, "Body", key=str(title))
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_bulk_sends_to_listed_users_learn_their_languages_with_the_existence_check(
    expo, django_user_model
):
    tokens = users_with_devices(4, prefix="listed")
    users = list(django_user_model.objects.order_by("pk"))
    speaks(users[1], "de")
    push.send_bulk([user.pk for user in users], TEST_TITLE, "Body")
    titles = {m["to"]: m["title"] for m in expo.delivered}
    assert [titles[token] for token in tokens] == [
        "Test Notification",
        "Testbenachrichtigung",
        "Test Notification",
        "Test Notification",
    ]


def test_a_project_that_keeps_languages_itself(user, expo, committed, settings):
    push_settings_update(settings, USER_LANGUAGE="tests.support.languages.from_last_name")
    register_devices(user, "ExponentPushToken[host-language-phone-x]")
    speaks(user, "de")  # push's own record is not asked
    user.last_name = "es"
    user.save()
    with committed():
        push.send(user.pk, TEST_TITLE, "Body")
    with committed():
        push.send_bulk(get_user_model().objects.filter(pk=user.pk), TEST_TITLE, "Body")
    assert [m["title"] for m in expo.delivered] == ["Notificación de prueba"] * 2


def test_a_translation_too_long_for_a_title_is_cut_not_refused(user, expo, committed):
    register_devices(user, "ExponentPushToken[long-title-phone-xxx]")
    speaks(user, "de")

    long_german = format_lazy("{}", _LongerIn("de", 400))
    with committed():
        row = push.send(user, long_german, "Body")
    assert len(row.title) == 255 and row.title.endswith("…")
    with pytest.raises(ValueError, match="title is longer than 255"):
        push.send(user, format_lazy("{}", _LongerIn("en", 400)), "Body")


class _LongerIn:
    """A value that is `length` characters long in `language`, short in the others."""

    def __init__(self, language, length):
        self.language, self.length = language, length

    def __str__(self):
        from django.utils.translation import get_language

        return "x" * self.length if get_language() == self.language else "short"


def test_without_i18n_texts_are_written_as_the_site_writes_them(user, expo, committed, settings):
    settings.USE_I18N = False
    register_devices(user, "ExponentPushToken[no-i18n-phone-xxxxxx]")
    speaks(user, "de")
    with committed():
        row = push.send(user, TEST_TITLE, "Body")
    assert (row.title, row.language) == ("Test Notification", "")


NIGHT = QuietHours(time(22, 0), time(7, 0), "Europe/Berlin")
NIGHT_ENDS = datetime(2024, 6, 11, 5, 0, tzinfo=UTC)  # 07:00 in Berlin


@pytest.mark.parametrize(
    ("language", "title", "body"),
    [
        ("en", "3 new messages", "From Cy, Ann and 1 more"),
        ("de", "3 neue Nachrichten", "Von Cy, Ann und 1 weitere"),
        ("es", "3 mensajes nuevos", "De Cy, Ann y 1 más"),
    ],
)
def test_a_digest_speaks_the_readers_language(user, expo, committed, clock, language, title, body):
    register_devices(user, "ExponentPushToken[digest-language-phone]")
    update_preferences(user, {}, NIGHT, language=language)
    clock.set(NIGHT_ENDS - timedelta(minutes=30))
    for sender in ("Bob", "Ann", "Cy"):
        with committed():
            push.send(
                user,
                "New message",
                "Tap to view message",
                data={"senderName": sender},
                type="message",
            )
        clock.advance(minutes=1)
    assert expo.delivered == []
    clock.set(NIGHT_ENDS + timedelta(seconds=30))
    deliver_due()
    [digest] = expo.delivered
    assert (digest["title"], digest["body"]) == (title, body)


@pytest.mark.parametrize(
    ("language", "one", "two"),
    [
        ("en", "1 new review", "2 new reviews"),
        ("de", "1 neue Bewertung", "2 neue Bewertungen"),
        ("es", "1 reseña nueva", "2 reseñas nuevas"),
    ],
)
def test_a_digest_counts_with_the_languages_plural_forms(language, one, two):
    from django.utils.translation import override

    from push.digests import counted
    from push.types import get_type

    with override(language):
        assert counted(get_type("review").digest, 1) == one
        assert counted(get_type("review").digest, 2) == two
