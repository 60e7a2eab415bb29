"""Expo push tokens: what a valid one looks like, and how to print one safely."""

import re

MAX_TOKEN_LENGTH = 255

# Printable ASCII without space and brackets between the brackets: what Expo issues,
# and nothing that could smuggle control characters into logs or the admin. Written so
# that Python and JSON Schema (the API's OpenAPI document) read it alike.
TOKEN_PATTERN = r"(?:ExponentPushToken|ExpoPushToken)\[[\x21-\x5a\x5c\x5e-\x7e]+\]"
_EXPO_TOKEN = re.compile(TOKEN_PATTERN)

_VISIBLE_PREFIX = 20


def is_expo_push_token(value: object) -> bool:
    """Return True if `value` is a string in Expo's push token format."""
    return (
        isinstance(value, str)
        and len(value) <= MAX_TOKEN_LENGTH
        and _EXPO_TOKEN.fullmatch(value) is not None
    )


def mask_token(token: str) -> str:
    """Return the first 20 characters of `token` and an ellipsis: enough to tell devices apart."""
    if len(token) <= _VISIBLE_PREFIX:
        return token[: _VISIBLE_PREFIX // 2] + "…"
    return token[:_VISIBLE_PREFIX] + "…"


def mask_tokens_in(text: str) -> str:
    """Return `text` with every Expo push token in it masked (Expo's messages quote tokens)."""
    return _EXPO_TOKEN.sub(lambda match: mask_token(match.group(0)), text)
