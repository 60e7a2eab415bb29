"""The development transports (console, locmem) and loading a transport by dotted path."""

import io

import pytest

import push
from push.exceptions import PushConfigurationError
from push.transports import BaseTransport, OutgoingMessage, get_transport
from push.transports.console import ConsoleTransport
from push.transports.expo import ExpoTransport
from push.transports.locmem import LocmemTransport
from tests.support.api import OTHER_TOKEN, VALID_TOKEN


def test_console_writes_one_masked_line_per_message_and_accepts_them() -> None:
    stream = io.StringIO()
    messages = [
        OutgoingMessage(VALID_TOKEN, {"title": "Hi", "body": "Über", "data": {"n": 1}}),
        OutgoingMessage(OTHER_TOKEN, {"body": "second"}),
    ]
    tickets = ConsoleTransport(stream=stream).send_messages(messages)

    assert len(tickets) == 2
    assert all(ticket.ok and ticket.id for ticket in tickets)
    assert tickets[0].id != tickets[1].id
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"push to {VALID_TOKEN[:20]}…: ")
    assert lines[1].startswith(f"push to {OTHER_TOKEN[:20]}…: ")
    assert '"title": "Hi"' in lines[0] and '"n": 1' in lines[0]
    assert "Über" in lines[0]  # readable, not \\u-escaped
    assert '"body": "second"' in lines[1]
    for line, message in zip(lines, messages, strict=True):
        assert message.token not in line


def test_console_writes_to_stdout_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    ConsoleTransport().send_messages([OutgoingMessage(VALID_TOKEN, {"body": "x"})])
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert VALID_TOKEN[:20] in out and VALID_TOKEN not in out


def test_console_sends_many_messages_in_batches() -> None:
    stream = io.StringIO()
    messages = [OutgoingMessage(VALID_TOKEN, {"data": {"i": i}}) for i in range(250)]
    transport = ConsoleTransport(stream=stream)
    tickets = transport.send_messages(messages)
    assert len(tickets) == 250 and all(ticket.ok for ticket in tickets)
    assert len(stream.getvalue().splitlines()) == 250
    assert transport.stats.requests == 3


def test_locmem_collects_messages_in_the_outbox() -> None:
    assert push.outbox == []  # the conftest empties it for every test
    messages = [
        OutgoingMessage(VALID_TOKEN, {"title": "one"}),
        OutgoingMessage(OTHER_TOKEN, {"title": "two"}),
    ]
    tickets = LocmemTransport().send_messages(messages)

    assert all(ticket.ok and ticket.id for ticket in tickets)
    assert push.outbox == messages
    assert all(isinstance(message, OutgoingMessage) for message in push.outbox)

    LocmemTransport().send_messages([OutgoingMessage(VALID_TOKEN, {"title": "three"})])
    assert [message.payload["title"] for message in push.outbox] == ["one", "two", "three"]

    push.outbox.clear()
    assert push.outbox == []


def test_the_outbox_starts_empty_in_every_test() -> None:
    assert push.outbox == []


def test_get_transport_loads_a_transport_by_dotted_path() -> None:
    transport = get_transport("push.transports.locmem.LocmemTransport")
    assert isinstance(transport, LocmemTransport)
    transport.send_messages([OutgoingMessage(VALID_TOKEN, {"body": "x"})])
    assert len(push.outbox) == 1


def test_get_transport_passes_options() -> None:
    stream = io.StringIO()
    transport = get_transport("push.transports.console.ConsoleTransport", stream=stream)
    assert isinstance(transport, ConsoleTransport)
    assert transport.stream is stream


def test_get_transport_defaults_to_the_transport_setting(settings) -> None:
    settings.PUSH_NOTIFICATIONS = {
        **settings.PUSH_NOTIFICATIONS,
        "TRANSPORT": "push.transports.locmem.LocmemTransport",
    }
    assert isinstance(get_transport(), LocmemTransport)


def test_get_transport_default_setting_is_expo(expo) -> None:
    transport = get_transport()
    try:
        assert isinstance(transport, ExpoTransport)
        assert transport.base_url == expo.url
    finally:
        transport.close()


@pytest.mark.parametrize(
    "path",
    [
        "push.transports.nowhere.Transport",
        "push.transports.locmem.NoSuchTransport",
        "not_a_dotted_path",
    ],
)
def test_an_unimportable_transport_is_a_configuration_error(path: str) -> None:
    with pytest.raises(PushConfigurationError, match=r"TRANSPORT names .*cannot be imported"):
        get_transport(path)


@pytest.mark.parametrize(
    "path",
    [
        "collections.OrderedDict",  # a class, but not a transport
        "push.transports.expo.GZIP_MIN_BYTES",  # not a class at all
        "push.transports.get_transport",  # a callable, not a class
    ],
)
def test_a_non_transport_is_a_configuration_error(path: str) -> None:
    with pytest.raises(PushConfigurationError, match="is not a push transport class"):
        get_transport(path)


def test_the_base_transport_must_be_subclassed() -> None:
    with pytest.raises(NotImplementedError):
        BaseTransport().send_messages([OutgoingMessage(VALID_TOKEN, {})])


def test_locmem_records_copies_of_what_was_sent() -> None:
    payload = {"title": "before", "data": {"n": 1}}
    LocmemTransport().send_messages([OutgoingMessage(VALID_TOKEN, payload)])
    payload["title"] = "after"
    payload["data"]["n"] = 2
    assert push.outbox[0].payload == {"title": "before", "data": {"n": 1}}


def test_an_unimplemented_hook_names_the_transport_class() -> None:
    class HalfDone(BaseTransport):
        pass

    with pytest.raises(NotImplementedError, match="HalfDone must implement send_batch"):
        HalfDone().send_messages([OutgoingMessage(VALID_TOKEN, {})])
    with pytest.raises(NotImplementedError, match="HalfDone must implement fetch_receipts"):
        HalfDone().get_receipts(["id"])


def test_transports_do_not_read_settings() -> None:
    from pathlib import Path

    transports = Path(push.__file__).parent / "transports"
    for module in transports.glob("*.py"):
        if module.name != "__init__.py":  # the factory reads them, and only it
            # Its defaults (push.conf.DEFAULTS) are constants; the settings are not read.
            assert "push_settings" not in module.read_text(), module.name
