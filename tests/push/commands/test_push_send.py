"""manage.py push_send, in-process: to whom, progress, --dry-run, --at, bad arguments."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from push.models import NotificationLog, NotificationPreference, PushToken

pytestmark = pytest.mark.django_db(transaction=True)


def test_push_send_to_named_users(user, other_user, expo, capsys):
    PushToken.objects.create(user=user, token="ExponentPushToken[cmd-alice]")
    call_command(
        "push_send",
        "--user",
        "alice",
        "--user",
        "bob",
        "--title",
        "Maintenance",
        "--body",
        "Tonight 22:00",
        "--data",
        '{"type": "system"}',
    )
    out = capsys.readouterr().out
    assert "push_send: 2 user(s): 1 sent, 0 failed, 1 skipped" in out
    [message] = expo.delivered
    assert (message["title"], message["data"]["type"]) == ("Maintenance", "system")


def test_push_send_to_everyone(user, other_user, expo, capsys):
    call_command("push_send", "--all", "--title", "Hi", "--body", "All")
    assert NotificationLog.objects.count() == 2


@pytest.mark.parametrize("to_whom", [["--all"], ["--user", "alice", "--user", "bob"]])
def test_push_send_writes_each_row_in_its_readers_language(user, other_user, expo, to_whom):
    NotificationPreference.objects.create(user=other_user, language="de")
    call_command("push_send", *to_whom, "--title", "Hi", "--body", "All", stdout=io.StringIO())
    written = dict(NotificationLog.objects.values_list("user__username", "language"))
    assert written == {"alice": "en", "bob": "de"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--user", "nobody"], "No active user with that id, username or email: nobody"),
        (["--all", "--data", "[1]"], "must be a JSON object"),
        (["--all", "--data", "{"], "not valid JSON"),
    ],
)
def test_push_send_errors(user, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("push_send", *args, "--title", "T", "--body", "B")
    assert not NotificationLog.objects.exists()


def test_push_send_accepts_ids_usernames_emails_and_a_file(
    user, other_user, django_user_model, expo, tmp_path, capsys
):
    carol = django_user_model.objects.create_user("carol", "Carol@Example.com", "pw")
    for who in (user, other_user, carol):
        PushToken.objects.create(user=who, token=f"ExponentPushToken[cmd-{who.username}]")
    users_file = tmp_path / "users.txt"
    users_file.write_text(f"# the night shift\n{other_user.pk}\n\ncarol@example.com  # her\n")
    call_command(
        "push_send",
        "--user",
        "alice",
        "--user",
        "alice@example.com",  # the same user twice gets it once
        "--users-file",
        str(users_file),
        "--title",
        "T",
        "--body",
        "B",
    )
    assert sorted(NotificationLog.objects.values_list("user__username", flat=True)) == [
        "alice",
        "bob",
        "carol",
    ]
    assert "push_send: 3 user(s): 3 sent" in capsys.readouterr().out


def test_push_send_shows_plain_progress_lines_when_not_a_terminal(user, other_user, expo, settings):
    settings.PUSH_NOTIFICATIONS = {**settings.PUSH_NOTIFICATIONS, "BATCH_SIZE": 1}
    out = io.StringIO()
    call_command("push_send", "--all", "--title", "T", "--body", "B", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines == [
        "push_send: 1/2 user(s) done: 0 sent, 0 failed, 1 skipped, 0 pending",
        "push_send: 2/2 user(s) done: 0 sent, 0 failed, 2 skipped, 0 pending",
        "push_send: 2 user(s): 0 sent, 0 failed, 2 skipped, 0 pending; 0 device(s)",
    ]
    assert "\r" not in out.getvalue()


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_push_send_draws_a_progress_bar_on_a_terminal(user, other_user, expo, settings):
    settings.PUSH_NOTIFICATIONS = {**settings.PUSH_NOTIFICATIONS, "BATCH_SIZE": 1}
    PushToken.objects.create(user=user, token="ExponentPushToken[cmd-bar]")
    out = Terminal()
    call_command("push_send", "--all", "--title", "T", "--body", "B", stdout=out)
    text = out.getvalue()
    # Chunks are counted as Expo answers them: the user without a device may come first.
    assert f"\r[{'#' * 15}{'-' * 15}] 1/2 (" in text
    assert f"\r[{'#' * 30}] 2/2 (1 sent, 0 failed, 1 skipped, 0 pending" in text
    assert text.endswith(
        "push_send: 2 user(s): 1 sent, 0 failed, 1 skipped, 0 pending; 1 device(s)\n"
    )


def test_push_send_dry_run_says_who_by_device_type_and_sends_nothing(
    user, other_user, django_user_model, expo, capsys
):
    PushToken.objects.create(user=user, token="ExponentPushToken[cmd-a1]", device_type="ios")
    PushToken.objects.create(user=user, token="ExponentPushToken[cmd-a2]", device_type="android")
    PushToken.objects.create(
        user=other_user, token="ExponentPushToken[cmd-b]", device_type="ios", is_active=False
    )
    call_command("push_send", "--all", "--dry-run", "--title", "Maintenance", "--body", "B")
    out = capsys.readouterr().out
    assert (
        "“Maintenance” would go now to 2 user(s): 1 with an active device "
        "(2 device(s): android: 1, ios: 1), 1 without one (skipped)"
    ) in out
    assert f"alice (#{user.pk}): android, ios" in out
    assert f"bob (#{other_user.pk}): no active device" in out
    assert "Nothing was sent." in out
    assert not NotificationLog.objects.exists()
    assert expo.delivered == []


def test_push_send_at_puts_it_in_the_outbox_for_later(user, expo, capsys):
    PushToken.objects.create(user=user, token="ExponentPushToken[cmd-later]")
    at = timezone.now() + timedelta(hours=2)
    call_command(
        "push_send", "--user", "alice", "--at", at.isoformat(), "--title", "T", "--body", "B"
    )
    assert "push_send: 1 user(s): 0 sent, 0 failed, 0 skipped, 1 pending (due " in (
        capsys.readouterr().out
    )
    log = NotificationLog.objects.get()
    assert (log.status, log.next_attempt_at, log.created_at) == ("pending", at, at)
    call_command("push_deliver")  # not due yet: the worker leaves it
    assert expo.delivered == []
    NotificationLog.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    call_command("push_deliver")
    assert expo.delivered_count("ExponentPushToken[cmd-later]") == 1


def test_push_send_at_without_offset_is_in_the_current_time_zone(user, settings, clock):
    settings.TIME_ZONE = "Europe/Berlin"
    clock.set(datetime(2026, 12, 4, 12, 0, tzinfo=UTC))
    call_command(
        "push_send", "--user", "alice", "--at", "2026-12-05T09:00", "--title", "T", "--body", "B"
    )
    due = NotificationLog.objects.get().next_attempt_at
    assert due == datetime(2026, 12, 5, 8, 0, tzinfo=UTC)


def test_a_scheduled_notification_is_in_the_inbox_from_its_time_on(user, clock):
    from push import inbox

    now = clock.now
    call_command(
        "push_send", "--user", "alice", "--at", (now + timedelta(hours=2)).isoformat(),
        "--title", "Tonight", "--body", "B",
    )  # fmt: skip
    assert inbox.list_notifications(user).items == [] and inbox.unread_count(user) == 0
    clock.advance(hours=2)
    assert [n.title for n in inbox.list_notifications(user).items] == ["Tonight"]
    assert inbox.unread_count(user) == 1


def test_a_repeated_key_says_who_it_left_out(user, other_user, expo, capsys):
    args = ("--user", "alice", "--title", "T", "--body", "B", "--key", "welcome")
    call_command("push_send", *args)
    capsys.readouterr()
    call_command("push_send", *args, "--user", "bob")
    out = capsys.readouterr().out
    assert "push_send: 1 user(s): " in out
    assert (
        "push_send: 1 user(s) already had a notification with the key 'welcome': left out, "
        "nothing sent to them again." in out
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--all", "--user", "alice"], "Give --all or users"),
        ([], "Give users with --user or --users-file, or --all"),
        (["--all", "--at", "tomorrow"], "is not an ISO 8601 date and time"),
        (["--all", "--at", "2099-01-01"], "is not an ISO 8601 date and time"),  # no time
        (["--all", "--at", "2001-01-01T00:00Z"], "is in the past"),
        (["--all", "--at", "2099-01-01T09:00Z"], "more than 30 days ahead"),
        (["--users-file", "/nonexistent/users.txt"], "Cannot read --users-file"),
        (
            ["--user", "alice", "--user", "ghost@example.com", "--user", "999999"],
            "ghost@example.com, 999999",
        ),
        (["--user", "shared@example.com"], "Several users have the email: shared@example.com"),
    ],
)
def test_push_send_bad_arguments(user, django_user_model, args, message):
    django_user_model.objects.create_user("s1", "shared@example.com", "pw")
    django_user_model.objects.create_user("s2", "Shared@example.com", "pw")
    with pytest.raises(CommandError, match=message):
        call_command("push_send", *args, "--title", "T", "--body", "B")
    assert not NotificationLog.objects.exists()


def test_push_send_empty_users_file(tmp_path):
    empty = tmp_path / "users.txt"
    empty.write_text("# nobody\n\n")
    with pytest.raises(CommandError, match="names no user"):
        call_command("push_send", "--users-file", str(empty), "--title", "T", "--body", "B")
