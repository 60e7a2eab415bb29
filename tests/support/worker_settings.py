"""Settings of worker processes that tests start: the project's, with test overrides.

The test passes the test database as DATABASE_URL and push settings (the loopback Expo
server's URL, short leases) as JSON in PUSH_TEST_SETTINGS.
"""

import json
import os

from unitrade.settings import *  # noqa: F403
from unitrade.settings import PUSH_NOTIFICATIONS

PUSH_NOTIFICATIONS = {
    **PUSH_NOTIFICATIONS,
    **json.loads(os.environ.get("PUSH_TEST_SETTINGS", "{}")),
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
