"""Running the handlers of committed events after the answer, on one thread per process.

A request commits its change together with the outbox record of its events (app.core.hooks) and answers; the
work the answer does not need (scores, leaderboards, achievements, impact totals, stories, notifications)
runs here, moments later. The thread wakes when an event is queued, takes every event queued since and
dispatches them in the order they were committed, so one user's events are handled in their order (stories
unlock in milestone order). Nothing is lost with the process: an event queued but not yet run is still
`pending` in the outbox, and the retry pass runs it once STALE_PENDING has passed; a handler that fails is
retried by that pass too. Handlers are idempotent per event, so an event run twice (by this thread and by a
retry pass) counts once.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


class Dispatcher:
    def __init__(
        self,
        dispatch: Callable[[str], Any],
        *,
        context: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext,
        batch_pause_seconds: float = 0.005,
    ):
        self._dispatch = dispatch
        self._context = context  # e.g. the app context the handlers run in
        self._pause = batch_pause_seconds  # lets a burst of commits gather into one batch
        self._queue: list[str] = []
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._busy = False
        self._held = False
        self._stopping = False

    def submit(self, event_id: str) -> None:
        """Queue a committed event; its handlers run after the answer."""
        with self._cond:
            self._queue.append(event_id)
            if self._thread is None:  # started on first use, never at import or build time
                self._thread = threading.Thread(target=self._loop, name="hook-dispatcher", daemon=True)
                self._thread.start()
            self._cond.notify()

    @property
    def backlog(self) -> int:
        with self._cond:
            return len(self._queue) + (1 if self._busy else 0)

    def _loop(self) -> None:
        while True:
            with self._cond:
                while (not self._queue or self._held) and not self._stopping:
                    self._cond.wait()
                if self._stopping and not self._queue:
                    return
            time.sleep(self._pause)
            self._run_batch()

    def _run_batch(self) -> int:
        with self._cond:
            if self._held and not self._stopping:
                return 0
            batch, self._queue = self._queue, []
            self._busy = bool(batch)
        try:
            with self._context():
                for event_id in batch:
                    try:
                        self._dispatch(event_id)
                    except Exception:  # its handlers stay pending: the retry pass runs them
                        log.warning("dispatcher: event %s could not be dispatched", event_id, exc_info=True)
        finally:
            with self._cond:
                self._busy = False
                self._cond.notify_all()
        return len(batch)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Until every queued event was dispatched (tests, shutdown); False when `timeout` passed first."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._queue or self._busy:
                left = deadline - time.monotonic()
                if left <= 0 or (self._held and not self._busy):
                    return False
                self._cond.wait(left)
        return True

    def drain(self, timeout: float = 10.0) -> int:
        """Stopping: dispatch what is queued now, in this thread if the dispatcher's is not running; returns how
        many events were left to run."""
        left = self.backlog
        with self._cond:
            self._held = False
            self._stopping = True
            self._cond.notify_all()
        if self._thread is None or not self._thread.is_alive():
            self._run_batch()
        elif not self.wait_idle(timeout):
            log.warning("dispatcher: %d events still queued at shutdown (the retry pass will run them)", self.backlog)
        return left

    # -- tests: a process that stops before it dispatched what it committed -------------------------
    def hold(self) -> None:
        """Queue, but dispatch nothing until release()."""
        with self._cond:
            self._held = True

    def release(self) -> None:
        with self._cond:
            self._held = False
            self._cond.notify_all()

    def discard(self) -> list[str]:
        """Forget what is queued, as a process that died would (the outbox still has it)."""
        with self._cond:
            dropped, self._queue = self._queue, []
        return dropped
