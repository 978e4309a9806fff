"""MongoDB connection, and the embedded MongoDB-compatible server used when MONGO_URI is unset.

The embedded server (`secantusd-py`, PyPI `secantusdb`) runs as a child process and the
app talks to it over the wire with the same MongoClient code as production.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable
from pathlib import Path

from pymongo import MongoClient, monitoring
from pymongo.database import Database
from pymongo.errors import PyMongoError

from config.settings import ConfigError

log = logging.getLogger(__name__)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    """Linux: the embedded server gets SIGTERM if the app process dies, even by SIGKILL."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _executable() -> str:
    beside_python = Path(sys.executable).with_name("secantusd-py")
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("secantusd-py")
    if not found:
        raise RuntimeError("secantusd-py not found: install requirements.txt (package secantusdb)")
    return found


class EmbeddedMongo:
    """A secantusd-py child process on a free loopback port.

    storage_path is a directory (kept across restarts) or ':memory:' (tests).
    """

    def __init__(self, storage_path: str, *, port: int | None = None, log_path: str | None = None):
        self.storage_path = storage_path
        self.port = port or free_port()
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self._stopped = threading.Event()

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true"

    def start(self, timeout: float = 30.0) -> EmbeddedMongo:
        with self._lock:
            if self.process and self.process.poll() is None:
                return self
            self._stopped.clear()
            if self.storage_path != ":memory:":
                Path(self.storage_path).mkdir(parents=True, exist_ok=True)
            out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
            self.process = subprocess.Popen(
                [
                    _executable(),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--storage-path",
                    self.storage_path,
                    "--log-level",
                    "WARNING",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
            if out is not subprocess.DEVNULL:
                out.close()  # the server writes to its own copy
            atexit.register(self.stop)
        self._wait_ready(timeout)
        log.info("embedded database on %s (storage %s)", self.uri, self.storage_path)
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"embedded database exited with code {self.process.returncode}"
                    + (f"; see {self.log_path}" if self.log_path else "")
                )
            try:
                with MongoClient(self.uri, serverSelectionTimeoutMS=500) as client:
                    client.admin.command("ping")
                return
            except PyMongoError:
                time.sleep(0.1)
        self._kill()
        raise RuntimeError(f"embedded database did not answer within {timeout}s")

    def supervise(self, *, give_up, restarts: int = 5, window_seconds: float = 60.0, every: float = 0.5) -> None:
        """Restart the server when it dies (same port and storage, so clients reconnect by themselves);
        after `restarts` restarts within `window_seconds`, call give_up() (the app then exits, for its own
        supervisor to restart it) instead of looping."""

        def watch() -> None:
            recent: list[float] = []
            while not self._stopped.wait(every):
                proc = self.process
                if proc is None or proc.poll() is None:
                    continue
                now = time.monotonic()
                recent = [t for t in recent if now - t < window_seconds] + [now]
                if len(recent) > restarts:
                    log.critical(
                        "embedded database keeps dying (%s restarts in %ss): giving up", restarts, window_seconds
                    )
                    give_up()
                    return
                log.error("embedded database exited with code %s: restarting it", proc.returncode)
                try:
                    self.start()
                except Exception:  # tried again at the next check
                    log.exception("embedded database did not restart")

        threading.Thread(target=watch, name="embedded-db-supervisor", daemon=True).start()

    def stop(self) -> None:
        self._stopped.set()
        self._kill()

    def _kill(self) -> None:
        proc, self.process = self.process, None
        if not proc or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


# how long a command waits for an unreachable database before the request answers 503
SERVER_SELECTION_TIMEOUT_MS = 5_000


def make_client(uri: str, **options) -> MongoClient:
    # tz_aware=False: the whole app works in naive UTC (app.core.clock).
    return MongoClient(
        uri,
        **{
            "serverSelectionTimeoutMS": SERVER_SELECTION_TIMEOUT_MS,
            "tz_aware": False,
            "uuidRepresentation": "standard",
            **options,
        },
    )


def start_embedded(data_dir: str) -> EmbeddedMongo:
    """The embedded server for a process started without MONGO_URI (app.py), its files under data_dir."""
    data_dir = os.path.abspath(data_dir)
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    return EmbeddedMongo(os.path.join(data_dir, "db"), log_path=os.path.join(data_dir, "secantusd.log")).start()


def connect(config, *, listeners: list | None = None) -> Database:
    """The configured database. Nothing is sent until the first command."""
    if not config.get("MONGO_URI"):
        raise ConfigError("MONGO_URI is not set (python app.py starts an embedded database when it is unset)")
    options = dict(config.get("MONGO_CLIENT_OPTIONS") or {})
    if listeners:
        options["event_listeners"] = [*options.get("event_listeners", []), *listeners]
    return make_client(config["MONGO_URI"], **options)[config["MONGO_DB_NAME"]]


class CommandCounter(monitoring.CommandListener):
    """Database commands this process sent, by command, collection and phase (`phase()` names the phase of
    the thread sending, e.g. answering a request or running the handlers after it)."""

    def __init__(self, phase: Callable[[], str]):
        self.phase = phase
        self._counts: dict[tuple[str, str, str], int] = {}
        self._lock = threading.Lock()

    def started(self, event) -> None:
        target = event.command.get(event.command_name)
        key = (
            event.command_name,
            target if isinstance(target, str) else "",
            self.phase(),
        )
        with self._lock:
            self._counts[key] = self._counts.get(key, 0) + 1

    def succeeded(self, event) -> None:
        pass

    def failed(self, event) -> None:
        pass

    def counts(self) -> dict[tuple[str, str, str], int]:
        with self._lock:
            return dict(self._counts)


def shard_of(key: str, shards: int) -> int:
    """A stable shard number in [0, shards) for `key` (the same in every process and run), for counters
    split over several documents so concurrent transactions of different keys do not write the same one."""
    return zlib.crc32(str(key).encode()) % shards
