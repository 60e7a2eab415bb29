"""What Expo, Apple, Google and our database accept: checked before anything is written.

Expo refuses a whole 100-message request when one field has the wrong type or value, and
PostgreSQL refuses NUL characters and NaN: a bad value must fail its own send, at once,
with ValueError or TypeError, never a database error or 99 innocent neighbours.
"""

import math
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

# JSON nested deeper than this is refused: no app reads it, and recursion has limits.
MAX_DATA_DEPTH = 20
# Apple's apns-collapse-id is at most 64 bytes.
MAX_COLLAPSE_ID_BYTES = 64

_FORBIDDEN_CHARACTERS = re.compile(r"[\x00\ud800-\udfff]")

PRIORITIES = ("default", "normal", "high")
INTERRUPTION_LEVELS = ("active", "critical", "passive", "time-sensitive")


def check_text(value: Any, name: str) -> str:
    """Return `value` if it is a string without NUL or lone surrogates; else raise."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, not {type(value).__name__}.")
    if _FORBIDDEN_CHARACTERS.search(value):
        raise ValueError(f"{name} contains a NUL character or a lone surrogate.")
    return value


def check_json(value: Any, name: str, depth: int = 0) -> None:
    """Raise unless `value` is plain JSON: finite numbers, clean strings, string keys."""
    if depth > MAX_DATA_DEPTH:
        raise ValueError(f"{name} is nested more than {MAX_DATA_DEPTH} levels deep.")
    if value is None or isinstance(value, bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{name} holds {value!r}, which JSON cannot carry.")
        return
    if isinstance(value, str):
        check_text(value, name)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            check_text(key, f"a key of {name}")
            check_json(item, f"{name}.{key}", depth + 1)
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            check_json(item, f"{name}[{index}]", depth + 1)
        return
    raise TypeError(f"{name} holds a {type(value).__name__}, which is not JSON.")


def _whole_number(minimum: int) -> Callable[[Any, str], None]:
    def check(value: Any, name: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be a whole number, not {type(value).__name__}.")
        if value < minimum:
            raise ValueError(f"{name} must be at least {minimum}, not {value}.")

    return check


def _one_of(choices: tuple[str, ...]) -> Callable[[Any, str], None]:
    def check(value: Any, name: str) -> None:
        if value not in choices:
            raise ValueError(f"{name} must be one of {', '.join(choices)}, not {value!r}.")

    return check


def _flag(value: Any, name: str) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be true or false, not {type(value).__name__}.")


def _sound(value: Any, name: str) -> None:
    # A file name, or an iOS critical alert: {"critical": true, "name": ..., "volume": 0..1}.
    if isinstance(value, dict):
        if set(value) - {"critical", "name", "volume"}:
            raise ValueError(f"{name} may only have critical, name and volume.")
        if "critical" in value:
            _flag(value["critical"], f"{name}.critical")
        if "name" in value:
            check_text(value["name"], f"{name}.name")
        volume = value.get("volume", 0)
        if isinstance(volume, bool) or not isinstance(volume, int | float) or not 0 <= volume <= 1:
            raise ValueError(f"{name}.volume must be a number from 0 to 1.")
        return
    check_text(value, name)


def _collapse_id(value: Any, name: str) -> None:
    check_text(value, name)
    if not value or len(value.encode()) > MAX_COLLAPSE_ID_BYTES:
        raise ValueError(f"{name} must be 1 to {MAX_COLLAPSE_ID_BYTES} bytes long.")


def _rich_content(value: Any, name: str) -> None:
    if not isinstance(value, dict) or set(value) != {"image"}:
        raise ValueError(f'{name} must be {{"image": "https://..."}}.')
    image = check_text(value["image"], f"{name}.image")
    parts = urlsplit(image)
    if parts.scheme != "https" or not parts.netloc:
        raise ValueError(f"{name}.image must be an https:// URL.")


# The check of each Expo message field's value, by Expo's name.
FIELD_CHECKS: dict[str, Callable[[Any, str], None]] = {
    "subtitle": check_text,
    "sound": _sound,
    "badge": _whole_number(0),
    "channelId": check_text,
    "ttl": _whole_number(0),
    "expiration": _whole_number(0),
    "priority": _one_of(PRIORITIES),
    "categoryId": check_text,
    "mutableContent": _flag,
    "interruptionLevel": _one_of(INTERRUPTION_LEVELS),
    "collapseId": _collapse_id,
    "icon": check_text,
    "tag": check_text,
    "richContent": _rich_content,
    "_contentAvailable": _flag,
}


def check_expo_fields(fields: dict[str, Any], names: dict[str, str]) -> None:
    """Raise unless every Expo field's value is one Expo accepts.

    `names` maps Expo names back to what the caller wrote (push.send()'s keywords).
    """
    for field, value in fields.items():
        check = FIELD_CHECKS.get(field)
        name = names.get(field, field)
        if check is None:
            raise TypeError(f"{name} is not an Expo message field.")
        check(value, name)
