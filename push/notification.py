"""The one shape of a notification on its way in: who, what, and its Expo options.

`push.send()` and `push.send_bulk()` build one from their arguments, and receivers return
one. It is checked when it is made (written in the site's language), so nothing invalid is
ever written. Its title and body may be translatable (push.texts): each row is written in
its recipient's language, each language once.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model

from push import languages
from push.conf import push_settings
from push.errors import PAYLOAD_TOO_LARGE
from push.models import NotificationLog, NotificationStatus
from push.payloads import expo_options, payload_size
from push.texts import Text, is_text, is_translatable, render
from push.types import SYSTEM, get_type
from push.users import UserRef, user_id_of
from push.validation import check_json, check_text

logger = logging.getLogger(__name__)


_TITLE_MAX_LENGTH = NotificationLog._meta.get_field("title").max_length
_KEY_MAX_LENGTH = NotificationLog._meta.get_field("key").max_length
# What a notification refused for its size keeps of its body, for the record.
_KEPT_BODY_CHARACTERS = 200
ELLIPSIS = "…"


@dataclass(frozen=True)
class Notification:
    """What to send, to whom (`to`: a user, a user id, or a list of them; None for a bulk
    send's template).

    `options` are Expo message fields by push.send()'s keyword names (subtitle, sound,
    badge, channel_id, ttl, ...). `key` makes it idempotent: at most one notification per
    user and key, enforced by the database. Raises ValueError or TypeError for a notification that
    could never be sent.
    """

    to: UserRef | Sequence[UserRef] | None
    title: Text
    body: Text
    data: dict[str, Any] | None = None
    type: str = SYSTEM
    options: dict[str, Any] = field(default_factory=dict)
    # Idempotency key: at most one notification per user and key; a repeat sends nothing.
    key: str = ""

    def __post_init__(self) -> None:
        get_type(self.type)  # a clear ValueError for a type nobody registered
        for name in ("title", "body"):
            if not is_text(getattr(self, name)):
                raise TypeError(f"{name} must be a string or a translatable text (gettext_lazy).")
        if not isinstance(self.key, str) or len(self.key) > _KEY_MAX_LENGTH:
            raise ValueError(f"key must be a string of at most {_KEY_MAX_LENGTH} characters.")
        check_text(self.key, "key")
        if self.data is not None:
            if not isinstance(self.data, dict):
                raise TypeError("data must be a dict (the app reads it as a JSON object).")
            check_json(self.data, "data")
        if not isinstance(self.options, dict):
            raise TypeError("options must be a dict of Expo message fields.")
        # Read once, here: a clear TypeError or ValueError for what is no user.
        ids = None if self.to is None else tuple(dict.fromkeys(map(user_id_of, self.recipients())))
        object.__setattr__(self, "_recipient_ids", ids)
        object.__setattr__(self, "_site_language", languages.resolve(None))
        object.__setattr__(self, "_written", {})  # language -> row fields, each made once
        self.row_fields()  # written in the site's language now: checked before any row

    @property
    def translatable(self) -> bool:
        """Whether its title or body is written per language."""
        return is_translatable(self.title) or is_translatable(self.body)

    @property
    def too_large(self) -> bool:
        """Whether Apple and Google would refuse this notification for its size."""
        return self.row_fields().get("status") == NotificationStatus.FAILED

    @property
    def recipient_loaded(self) -> bool:
        """Whether `to` holds only users read from the database (they need no check)."""
        return self.to is not None and all(
            isinstance(user, Model) and not user._state.adding for user in self.recipients()
        )

    def recipients(self) -> list[Any]:
        """Return `to` as a list."""
        if self.to is None:
            raise ValueError("This notification has no recipient (`to`).")
        return list(self.to) if isinstance(self.to, list | tuple) else [self.to]

    def recipient_ids(self) -> list[Any]:
        """Return the primary keys of the recipients, each once, in their order."""
        if self._recipient_ids is None:  # type: ignore[attr-defined]
            raise ValueError("This notification has no recipient (`to`).")
        return list(self._recipient_ids)  # type: ignore[attr-defined]

    def recipient_id(self) -> Any:
        """Return the primary key of the one recipient."""
        ids = self.recipient_ids()
        if len(ids) != 1:
            raise ValueError(f"This notification has {len(ids)} recipients, not one.")
        return ids[0]

    def row(
        self, user_id: Any = None, language: str | None = None, **fields: Any
    ) -> NotificationLog:
        """Return an unsaved NotificationLog row for `user_id` (default: the recipient),
        written in `language` (default: the site's)."""
        if user_id is None:
            user_id = self.recipient_id()
        return NotificationLog(user_id=user_id, **self.row_fields(language), **fields)

    def row_fields(self, language: str | None = None) -> dict[str, Any]:
        """Return the NotificationLog fields of this notification (all but the user),
        written in `language` (default: the site's)."""
        if language is None:
            language = self._site_language  # type: ignore[attr-defined]
        written = self._written  # type: ignore[attr-defined]
        made_in = language if self.translatable else ""  # a plain text reads the same in all
        if made_in not in written:
            written[made_in] = self._fields(made_in)
        return {**written[made_in], "language": language}

    def _fields(self, language: str) -> dict[str, Any]:
        title, body = render(self.title, language), render(self.body, language)
        check_text(title, "title")
        check_text(body, "body")
        if len(title) > _TITLE_MAX_LENGTH:
            if not self.translatable or language == self._site_language:  # type: ignore[attr-defined]
                raise ValueError(f"title is longer than {_TITLE_MAX_LENGTH} characters.")
            # A translation longer than the site's checked text: cut, never fail a send.
            logger.warning("A %s title is too long in %r: cut", self.type, language)
            title = title[: _TITLE_MAX_LENGTH - 1] + ELLIPSIS
        fields = expo_options(self.type, self.options)
        row: dict[str, Any] = {
            "type": self.type,
            "title": title,
            "body": body,
            "data": self.data,
            "options": fields,
            "key": self.key,
        }
        size = payload_size(title, body, self.data, fields.get("subtitle", ""))
        limit = push_settings.MAX_PAYLOAD_BYTES
        if size > limit:
            # Expo would accept it and Apple/Google refuse it later (MessageTooBig): fail now.
            row["status"] = NotificationStatus.FAILED
            row["error_message"] = (
                f"{PAYLOAD_TOO_LARGE}: title, subtitle, body and data are {size} bytes; "
                f"the limit is {limit}."
            )
            row["in_inbox"] = False  # it failed for its own content: nothing to show either
            # Keep the record, not the oversized content: a bulk send must not store it N times.
            row["data"] = None
            row["body"] = body[:_KEPT_BODY_CHARACTERS]
            logger.warning("Not sending a %s notification: payload of %d bytes", self.type, size)
        return row
