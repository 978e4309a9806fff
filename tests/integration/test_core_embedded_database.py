"""The embedded database's supervisor: a server that dies is restarted on the same port; one that keeps
dying is given up on (the app then exits for its own supervisor to act)."""

from __future__ import annotations

import os
import signal
import threading
import time

from app.core.database import EmbeddedMongo, make_client
from tests.support import wait_for


def test_a_killed_embedded_database_is_restarted_and_one_that_keeps_dying_is_given_up():
    server = EmbeddedMongo(":memory:").start()
    gave_up = threading.Event()
    try:
        server.supervise(give_up=gave_up.set, restarts=1, window_seconds=600, every=0.05)
        first = server.process.pid
        os.kill(first, signal.SIGKILL)
        assert wait_for(lambda: server.process is not None and server.process.pid != first)
        with make_client(server.uri, serverSelectionTimeoutMS=5000) as client:
            assert client.admin.command("ping")["ok"] == 1
        assert not gave_up.is_set()

        os.kill(server.process.pid, signal.SIGKILL)
        assert wait_for(gave_up.is_set)
    finally:
        server.stop()


def test_a_stopped_embedded_database_is_not_restarted():
    server = EmbeddedMongo(":memory:").start()
    gave_up = threading.Event()
    server.supervise(give_up=gave_up.set, every=0.05)
    server.stop()
    time.sleep(0.5)
    assert server.process is None and not gave_up.is_set()
