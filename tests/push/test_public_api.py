"""The public surface: exactly the documented names, cheap to import, one outbox."""

import re
import subprocess
import sys
from pathlib import Path

import push

ROOT = Path(push.__file__).resolve().parent.parent


def documented_names() -> set[str]:
    """Return the names the code map of docs/architecture.md gives as the public API."""
    page = (ROOT / "docs" / "architecture.md").read_text()
    line = next(row for row in page.splitlines() if row.startswith("| `push/__init__.py`"))
    public = line.split(":", 1)[1]
    return set(re.findall(r"`(\w+)`", public))


def test_push_exports_exactly_the_names_the_code_map_documents():
    assert set(push.__all__) == documented_names()
    for name in push.__all__:
        assert getattr(push, name) is not None


def test_importing_push_loads_no_models_and_no_engine():
    code = (
        "import sys, push; "
        "print(sorted(m for m in sys.modules if m.startswith(('push.', 'django.db.models'))))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    assert "push.models" not in loaded
    assert "push.delivery.engine" not in loaded
    assert "django.db.models" not in loaded


def test_only_the_outbox_hands_delivery_to_on_commit():
    callers = [
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "push").rglob("*.py")
        if "on_commit(" in path.read_text()
    ]
    assert callers == ["push/handoff.py"]
