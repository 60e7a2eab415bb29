"""Support code of the tests and benchmarks: no tests here, only what tests use.

- `tests.support.expo`: an Expo-compatible push server on loopback, with faults.
- `tests.support.api`: clients that authenticate like the mobile app, token constants.
- `tests.support.settings`: changing push settings for one test.
- `tests.support.clock`: the settable clock of the `clock` fixture.
- `tests.support.admin`: the push admin's URLs by name.
- `tests.support.devices`: a user's devices (Expo push tokens), and a push sent to them.
- `tests.support.inbox`: inbox rows with set creation times, in the inbox's order.
- `tests.support.marketplace`: marketplace fixtures (seller, buyer, product, order).
- `tests.support.processes`: worker processes against the test database.
- `tests.support.worker_settings`: the Django settings of those processes.
"""
