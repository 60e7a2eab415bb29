"""What schemathesis is told beyond the document (loaded through SCHEMATHESIS_HOOKS).

One check of ours, run on every answer: under push's include every answer is JSON,
documented or not (a 404 for a path schemathesis made up, a 405 for a method it tried).

And the two rules JSON Schema cannot state, so that a request which follows the schema
and breaks one of them is rightly refused (400), not a "schema-valid request rejected":
a cursor is opaque (only an answer's `next_cursor` is one; the stateful link TheNextPage
follows real ones), and quiet hours start and end at different times. The test suite
holds the code to both (tests/push/api/test_inbox.py, test_preferences.py).
"""

from typing import Any

import schemathesis

SCHEMA_VALID_REQUEST_REJECTED = "ST202"


@schemathesis.check
def json_under_the_include(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every answer is a JSON object with `success`, whatever the request was."""
    content_type = response.headers.get("content-type", [""])[0]
    if not content_type.startswith("application/json"):
        raise AssertionError(f"Not JSON: {response.status_code} answered {content_type!r}")
    body = response.json()
    if not isinstance(body, dict) or not isinstance(body.get("success"), bool):
        raise AssertionError(f"No `success` in the answer: {str(body)[:200]}")
    return None


def _breaks_a_rule_beyond_the_schema(case: Any) -> bool:
    if case.operation.definition.raw.get("operationId") == "listNotifications":
        return "cursor" in (case.query or {})
    body = case.body if isinstance(case.body, dict) else {}
    quiet = body.get("quiet_hours")
    return isinstance(quiet, dict) and quiet.get("start") == quiet.get("end")


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    """Keep every failure but a 400 for a made-up cursor or equal quiet-hours times."""
    if failure.code != SCHEMA_VALID_REQUEST_REJECTED or response.status_code != 400:
        return True
    return not _breaks_a_rule_beyond_the_schema(case)
