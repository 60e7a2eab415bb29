"""Schemathesis against the live development server: `python -m tests.contract` (.ci/run)."""
