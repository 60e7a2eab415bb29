"""When a chat message arrives, the other party hears about it (never what it says).

Pushes of one thread collapse on the phone (`collapseId`, Android's `tag`).
"""

from datetime import timedelta

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from messaging.models import Message
from push import Notification, on_created, register_type

# A chat message is news for an hour; a digest names who wrote ("From Bob, Ann and 1 more").
register_type(
    "message",
    label="Messages",
    max_age=timedelta(hours=1),
    digest=ngettext_lazy("%(count)d new message", "%(count)d new messages", "count"),
)


@on_created("messaging.Message")
def new_message(message: Message) -> Notification | None:
    recipient = message.thread.other_party(message.sender_id)
    if recipient is None:
        return None  # not a participant: nobody to tell
    sender = message.sender
    name = sender.first_name or sender.get_username()
    # A thread shows its latest push on the phone, not a pile: a newer one replaces it.
    thread = f"thread-{message.thread_id}"
    return Notification(
        to=recipient,
        title=format_lazy(_("New message from {name}"), name=name),
        body=_("Tap to view message"),
        # senderName lets a digest of held messages say whom they are from.
        data={"type": "message", "threadId": str(message.thread_id), "senderName": name},
        type="message",
        options={"collapse_id": thread, "tag": thread},
    )
