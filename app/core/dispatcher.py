"""Running the handlers of committed events after the answer, on a few threads per process.

A request commits its change together with the outbox record of its events (app.core.hooks) and answers; the
work the answer does not need (scores, leaderboards, achievements, impact totals, stories, notifications)
runs here, moments later. Events are spread over the threads by user (the payload's `user_id`), so one
user's events run one after the other, in the order they were committed (stories unlock in milestone order),
while different users' run side by side. A lane takes what queued up while it was busy as one batch:
handlers with a batch form write each collection once for all of it (HookManager.dispatch_many). An event a
handler records while it runs (a story unlocked by a donation) is dispatched at once on the same thread, not
queued behind everyone else's. The queues are bounded (`max_backlog`): when the handlers fall behind, a
request waits for room after its commit, so the work after the answers never lags by more than that many
events (an overloaded database slows answers rather than letting leaderboards and stories drift minutes
behind).

Nothing is lost with the process: an event queued but not yet run is still `pending` in the outbox, and the
retry pass runs it once STALE_PENDING has passed; a handler that fails is retried by that pass too. Handlers
are idempotent per event, so an event run twice (by this dispatcher and by a retry pass) counts once.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import zlib
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


class Dispatcher:
    def __init__(
        self,
        dispatch: Callable[[str], Any],
        *,
        dispatch_many: Callable[[list[str]], Any] | None = None,
        threads: int = 2,
        max_backlog: int = 16,
        context: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext,
        batch_pause_seconds: float = 0.005,
    ):
        self._dispatch = dispatch
        self._dispatch_many = dispatch_many  # a whole batch at once (handlers with a batch form write once)
        self._context = context  # e.g. the app context the handlers run in
        self._pause = batch_pause_seconds  # lets a burst of commits gather into one batch
        lanes = max(1, threads)
        self._lanes = [_Lane(self, i, capacity=max(1, max_backlog // lanes)) for i in range(lanes)]
        self._cond = threading.Condition()
        self._held = False
        self._stopping = False
        self._local = threading.local()

    def submit(self, event_id: str, *, key: str | None = None) -> None:
        """Queue a committed event (`key`: whose it is, e.g. a user id: one key's events keep their order)."""
        if getattr(self._local, "lane", None) is not None:
            self._run_one(event_id)  # recorded by a handler on this thread: its follow-up runs now
            return
        lane = self._lanes[zlib.crc32(key.encode()) % len(self._lanes) if key else 0]
        lane.put(event_id)

    @property
    def backlog(self) -> int:
        """Events queued or running."""
        return sum(lane.size() for lane in self._lanes)

    def _run_one(self, event_id: str) -> None:
        try:
            self._dispatch(event_id)
        except Exception:  # its handlers stay pending: the retry pass runs them
            log.warning("dispatcher: event %s could not be dispatched", event_id, exc_info=True)

    def _run_batch(self, batch: list[str]) -> None:
        if self._dispatch_many is None or len(batch) == 1:
            for event_id in batch:
                self._run_one(event_id)
            return
        try:
            self._dispatch_many(batch)
        except Exception:  # their handlers stay pending: the retry pass runs them
            log.warning("dispatcher: a batch of %d events could not be dispatched", len(batch), exc_info=True)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Until every queued event was dispatched (tests, shutdown); False when `timeout` passed first, or
        while held."""
        deadline = time.monotonic() + timeout
        return all(lane.wait_idle(deadline) for lane in self._lanes)

    def drain(self, timeout: float = 10.0) -> int:
        """Stopping: dispatch what is queued now; returns how many events were left to run."""
        left = self.backlog
        with self._cond:
            self._held = False
            self._stopping = True
        for lane in self._lanes:
            lane.wake()
        if not self.wait_idle(timeout):
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
        for lane in self._lanes:
            lane.wake()

    def discard(self) -> list[str]:
        """Forget what is queued, as a process that died would (the outbox still has it)."""
        return [event_id for lane in self._lanes for event_id in lane.take_all()]

    @property
    def held(self) -> bool:
        with self._cond:
            return self._held and not self._stopping


class _Lane:
    """One thread and its queue, started on first use (never at import or build time)."""

    def __init__(self, owner: Dispatcher, index: int, *, capacity: int):
        self.owner, self.index, self.capacity = owner, index, capacity
        self.queue: list[str] = []
        self.busy = False
        self.cond = threading.Condition()
        self.thread: threading.Thread | None = None

    def put(self, event_id: str) -> None:
        with self.cond:
            while len(self.queue) >= self.capacity and not self.owner.held and self.thread is not None:
                self.cond.wait(0.5)  # the handlers are behind: wait for room (the commit is done)
            self.queue.append(event_id)
            if self.thread is None:
                self.thread = threading.Thread(target=self._loop, name=f"hook-dispatcher-{self.index}", daemon=True)
                self.thread.start()
            self.cond.notify_all()

    def size(self) -> int:
        with self.cond:
            return len(self.queue) + (1 if self.busy else 0)

    def wake(self) -> None:
        with self.cond:
            self.cond.notify_all()

    def take_all(self) -> list[str]:
        with self.cond:
            taken, self.queue = self.queue, []
            return taken

    def _loop(self) -> None:
        owner = self.owner
        owner._local.lane = self
        while True:
            with self.cond:
                while not self.queue or owner.held:
                    self.cond.wait(0.5)
                batch, self.queue = self.queue, []
                self.busy = True
            try:
                with owner._context():
                    owner._run_batch(batch)
            finally:
                with self.cond:
                    self.busy = False
                    self.cond.notify_all()
            time.sleep(owner._pause)

    def wait_idle(self, deadline: float) -> bool:
        with self.cond:
            while self.queue or self.busy:
                left = deadline - time.monotonic()
                if left <= 0 or (self.owner.held and not self.busy):
                    return False
                self.cond.wait(min(left, 0.5))
        return True
