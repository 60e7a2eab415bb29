"""Fixtures of the delivery tests."""

import pytest

from tests.support.background import background_delivery


@pytest.fixture
def background_mode(settings, expo):
    """Background delivery with a fast due-poll; no thread is left running afterwards."""
    yield from background_delivery(settings, expo)
