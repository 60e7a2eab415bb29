"""The TypeScript example of docs/typescript/ type-checks against types generated from the
API's document and, compiled, registers a device and reads the inbox of a live server.

It needs the example's npm packages (`npm ci --prefix docs/typescript`, which .ci/run
does); without them the tests are skipped, unless CI or PUSH_TEST_REQUIRE_NODE says they
must run.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from push.api import openapi
from push.auth.access_tokens import issue_access_token
from push.models import PushToken
from tests.support.api import VALID_TOKEN
from tests.support.inbox import notes
from tests.support.openapi import PREFIX

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "typescript"
SOURCES = ["package.json", "tsconfig.json", "push-api.ts", "example.ts"]
BIN = EXAMPLE / "node_modules" / ".bin"

_required = bool(os.environ.get("PUSH_TEST_REQUIRE_NODE") or os.environ.get("CI"))
pytestmark = pytest.mark.skipif(
    not (BIN / "tsc").exists() and not _required,
    reason="the example's npm packages are not installed: npm ci --prefix docs/typescript",
)


def _run(command: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        command, cwd=cwd, env={**os.environ, **env}, capture_output=True, text=True, timeout=120
    )


def _project_with_types(tmp_path: Path, document: dict) -> Path:
    """A copy of the example whose api.d.ts openapi-typescript generated from `document`."""
    for name in SOURCES:
        shutil.copy(EXAMPLE / name, tmp_path / name)
    (tmp_path / "node_modules").symlink_to(EXAMPLE / "node_modules")
    (tmp_path / "openapi.json").write_text(json.dumps(document))
    generated = _run([str(BIN / "openapi-typescript"), "openapi.json", "-o", "api.d.ts"], tmp_path)
    assert generated.returncode == 0, generated.stderr
    return tmp_path


def test_the_example_type_checks_against_the_documents_types(tmp_path):
    project = _project_with_types(tmp_path, openapi.document(PREFIX))
    checked = _run([str(BIN / "tsc"), "--noEmit"], project)
    assert checked.returncode == 0, checked.stdout


def test_a_changed_answer_is_a_type_error_in_the_app(tmp_path):
    document = openapi.document(PREFIX)
    page = document["components"]["schemas"]["InboxPage"]
    page["properties"]["cursor"] = page["properties"].pop("next_cursor")
    page["required"] = [name.replace("next_cursor", "cursor") for name in page["required"]]
    project = _project_with_types(tmp_path, document)
    checked = _run([str(BIN / "tsc"), "--noEmit"], project)
    assert checked.returncode != 0
    assert "next_cursor" in checked.stdout


@pytest.mark.django_db(transaction=True)
def test_the_compiled_example_registers_and_reads_the_inbox(tmp_path, live_server, user):
    notes(user, 3)  # n0, n1, n2: read in pages of two, newest first
    project = _project_with_types(tmp_path, openapi.document(PREFIX))
    built = _run([str(BIN / "tsc"), "--outDir", "build"], project)
    assert built.returncode == 0, built.stdout

    ran = _run(
        ["node", "build/example.js"],
        project,
        PUSH_API_URL=live_server.url + PREFIX,
        ACCESS_TOKEN=issue_access_token(user),
        EXPO_PUSH_TOKEN=VALID_TOKEN,
    )

    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines() == [
        "device registered",
        "inbox: n2, n1, n0",
        "unread now: 0",
        "refused: 400 Invalid token format",
    ]
    assert PushToken.objects.get(token=VALID_TOKEN).user == user
