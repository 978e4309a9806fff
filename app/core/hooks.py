"""The hook manager: typed events between modules, persisted before their handlers run.

- An event is written to the `hook_events` outbox (optionally inside the publisher's
  transaction) before any handler runs, with one status slot per subscribed handler.
- Handlers run in-process, in registration order, once the publishing write committed (`after_commit`):
  right away, or, with a dispatcher (app.core.dispatcher, HOOKS_DEFERRED), after the answer on one of the
  process's dispatcher threads; each outcome is recorded. A failing handler never fails the publisher.
  When every handler succeeded at its first attempt (nearly always), the 'done' outcome is written
  together with the others dispatched within `done_flush_seconds` (one update for many events instead of
  one each); should the process die before that write, the retry pass runs the handlers again, and they
  are idempotent.
- `retry_pass()` (called by the scheduler) re-runs failed handlers with exponential
  backoff and parks them after HOOK_MAX_ATTEMPTS; an admin can replay a parked one.
- Handlers must be idempotent per event id: a retry or a replay never double-counts.
"""

from __future__ import annotations

import atexit
import dataclasses
import logging
import threading
import traceback
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from pymongo import ASCENDING, UpdateMany
from pymongo.errors import DuplicateKeyError

from app.core.clock import utcnow
from app.core.errors import Conflict, NotFound

PENDING, DONE, FAILED, PARKED = "pending", "done", "failed", "parked"
# A handler still 'pending' this long after its event was recorded is assumed lost
# (process died mid-dispatch) and is picked up by the retry pass.
STALE_PENDING = timedelta(minutes=2)


class DomainEvent:
    """Base for event payloads: frozen dataclasses with a class-level `name`."""

    name: ClassVar[str] = ""

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Event:
    """What a handler receives: the event id (its idempotency key) and the typed payload."""

    id: str
    name: str
    payload: Any
    created_at: datetime


class EventId(str):
    """The id `record` returns: a plain string that also carries the document just written, so the
    `dispatch` right after the write (or after the commit) does not read it back."""

    doc: dict | None = None


@dataclass(frozen=True)
class Subscription:
    """One handler of one event type: what a module's `handlers.subscriptions()` returns.

    `name` ('module:function') is stable: the outbox records each handler's outcome under it."""

    event: type[DomainEvent]
    name: str
    handler: Callable[[Event], Any]
    # the same work for several events at once (a dispatcher batch: one write per collection for them all);
    # it must leave each event as `handler` would, and a failure midway must leave `handler` safe to re-run
    batch: Callable[[list[Event]], Any] | None = None


class HookManager:
    def __init__(
        self,
        db,
        logger: logging.Logger | None = None,
        *,
        max_attempts: int = 5,
        retry_base_seconds: int = 30,
        done_flush_seconds: float = 0,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.collection = db["hook_events"]
        self.log = logger or logging.getLogger(__name__)
        self.max_attempts = max_attempts
        self.retry_base = retry_base_seconds
        self.clock = clock
        # 0: each event's outcome is written as soon as its handlers ran
        self.done_flush_seconds = done_flush_seconds
        self._done: dict[tuple[str, tuple[str, ...]], list[tuple[str, datetime]]] = {}
        self._done_lock = threading.Lock()
        self._done_timer: threading.Timer | None = None
        self._exit_hooked = False
        self._dispatcher = None  # set by defer_to(): handlers run after the answer
        self._events: dict[str, type] = {}
        # strong references, kept in registration order (not weak signals)
        self._subscriptions: dict[str, list[Subscription]] = {}

    # -- registry -----------------------------------------------------------------
    def create_indexes(self) -> None:
        self.collection.create_index(
            [("key", ASCENDING)], unique=True, partialFilterExpression={"key": {"$type": "string"}}
        )
        self.collection.create_index([("status", ASCENDING), ("next_attempt_at", ASCENDING)])
        self.collection.create_index([("name", ASCENDING), ("created_at", ASCENDING)])

    def register_event(self, event_cls: type) -> type:
        if not event_cls.name:
            raise ValueError(f"{event_cls.__name__} has no event name")
        existing = self._events.get(event_cls.name)
        if existing and existing is not event_cls:
            raise ValueError(f"event {event_cls.name!r} registered twice")
        self._events[event_cls.name] = event_cls
        self._subscriptions.setdefault(event_cls.name, [])
        return event_cls

    @property
    def event_names(self) -> list[str]:
        return list(self._events)

    def subscribe(
        self,
        event_cls: type,
        handler_name: str,
        handler: Callable[[Event], Any],
        batch: Callable[[list[Event]], Any] | None = None,
    ) -> None:
        """Run handler(event) for every published event_cls, after the handlers subscribed before it.
        handler_name is stable and unique per event."""
        event_name = event_cls.name
        if event_name not in self._events:
            raise ValueError(f"event {event_name!r} is not registered")
        if "." in handler_name or handler_name.startswith("$"):
            raise ValueError("handler names use 'module:function' (no dots)")
        subs = self._subscriptions[event_name]
        if any(s.name == handler_name for s in subs):
            raise ValueError(f"handler {handler_name!r} already subscribed to {event_name!r}")
        subs.append(Subscription(event_cls, handler_name, handler, batch))

    def subscribe_all(self, subscriptions: Iterable[Subscription]) -> None:
        for s in subscriptions:
            self.subscribe(s.event, s.name, s.handler, s.batch)

    def handlers_for(self, event_name: str) -> list[str]:
        return [s.name for s in self._subscriptions.get(event_name, [])]

    # -- publishing -----------------------------------------------------------------
    def record(self, payload: DomainEvent, *, key: str | None = None, session=None, event_id: str | None = None) -> str:
        """Persist the event (inside `session`'s transaction when given) and return its id.

        With a `key`, the same fact recorded twice yields the first event's id. `event_id` lets the
        publisher know the id before the write (to store it beside its own change in one update).
        Dispatch an event recorded in a transaction only after that transaction committed.
        """
        recorded = self.prepare(payload, key=key, event_id=event_id)
        try:
            self.collection.insert_one(recorded.doc, session=session)
        except DuplicateKeyError:
            if key is None:
                raise
            existing = self.collection.find_one({"key": key}, {"_id": 1}, session=session)
            return existing["_id"]
        return recorded

    def prepare(self, payload: DomainEvent, *, key: str | None = None, event_id: str | None = None) -> EventId:
        """The event's outbox record, not written yet: `write` several in one insert (a posting's events)."""
        name = type(payload).name
        if self._events.get(name) is not type(payload):
            raise ValueError(f"event {name!r} is not registered")
        now = self.clock()
        doc = {
            "_id": event_id or uuid.uuid4().hex,
            "name": name,
            "payload": payload.to_dict(),
            "created_at": now,
            "status": PENDING,
            "next_attempt_at": now + STALE_PENDING,
            "handlers": {h: {"status": PENDING, "attempts": 0} for h in self.handlers_for(name)},
        }
        if key is not None:
            doc["key"] = key
        recorded = EventId(doc["_id"])
        recorded.doc = doc
        return recorded

    def write(self, recorded: list[EventId], *, session=None) -> None:
        """Persist prepared events in one insert (in `session`'s transaction). Their keys must be new: the
        publisher's own unique write guards them (a posting's ledger key), so a repeat fails before this."""
        if recorded:
            self.collection.insert_many([r.doc for r in recorded], ordered=True, session=session)

    def publish(self, payload: DomainEvent, *, key: str | None = None) -> str:
        """Record the event, then run its handlers (after_commit). Returns the event id."""
        event_id = self.record(payload, key=key)
        self.after_commit(event_id)
        return event_id

    def defer_to(self, dispatcher) -> None:
        """Run committed events' handlers on `dispatcher` (its `submit(event_id)`), after the answer."""
        self._dispatcher = dispatcher

    @property
    def deferred(self) -> bool:
        """Handlers run after the answer: what the answer needs, its publisher does itself."""
        return self._dispatcher is not None

    @property
    def dispatcher(self):
        return self._dispatcher

    def after_commit(self, event_id: str) -> None:
        """The event's write committed: run its handlers, now or (deferred) on the dispatcher, which keeps one
        user's events in their order."""
        if self._dispatcher is None:
            self.dispatch(event_id)
            return
        doc = getattr(event_id, "doc", None) or {}
        self._dispatcher.submit(event_id, key=(doc.get("payload") or {}).get("user_id"))

    def dispatch(self, event_id: str, *, only: set[str] | None = None, statuses=(PENDING,)) -> dict:
        """Run the event's handlers whose status is in `statuses`; return the updated document.

        The outcomes of all the handlers run are written together with the event's status in one
        update at the end (a process dying midway leaves them 'pending': the retry pass re-runs them,
        and handlers are idempotent)."""
        doc, event = self._load(event_id)
        changes: dict = {}
        for sub in self._due(doc, only, statuses):
            self._run_into(doc, event, sub, changes)
        return self._finish(doc, changes)

    def dispatch_many(self, event_ids: list[str]) -> None:
        """Run the pending handlers of several committed events (a dispatcher batch), in their order.

        A handler with a batch form runs once for all the batch's events it handles, after the others
        (one write per collection for many events); when it fails, it is run again event by event, each
        event keeping its own outcome. One user's events still take effect in their order: before a handler
        without a batch form runs for a user whose earlier events wait in a batch, that batch runs. Each
        event's outcomes are then written as `dispatch` writes them."""
        if len(event_ids) == 1:
            self.dispatch(event_ids[0])
            return
        loaded, groups, waiting = [], {}, set()
        for event_id in event_ids:
            try:
                doc, event = self._load(event_id)
            except Exception:  # its handlers stay pending: the retry pass runs them
                self.log.warning("hooks: event %s could not be loaded", event_id, exc_info=True)
                continue
            changes: dict = {}
            loaded.append((doc, changes))
            due = self._due(doc, None, (PENDING,))
            user = (doc.get("payload") or {}).get("user_id")
            if waiting and (user is None or user in waiting) and any(sub.batch is None for sub in due):
                self._run_groups(groups)
                groups, waiting = {}, set()
            for sub in due:
                if sub.batch is not None:
                    groups.setdefault(sub.name, (sub, []))[1].append((doc, event, changes))
                    waiting.add(user)
                else:
                    self._run_into(doc, event, sub, changes)
        self._run_groups(groups)
        for doc, changes in loaded:
            try:
                self._finish(doc, changes)
            except Exception:  # left pending: the retry pass runs its (idempotent) handlers again
                self.log.warning("hooks: outcomes of event %s not written", doc["_id"], exc_info=True)

    def _run_groups(self, groups: dict) -> None:
        for sub, members in groups.values():
            self._run_batch(sub, members)

    def _run_batch(self, sub: Subscription, members: list[tuple[dict, Event, dict]]) -> None:
        if len(members) == 1:
            doc, event, changes = members[0]
            self._run_into(doc, event, sub, changes)
            return
        try:
            sub.batch([event for _, event, _ in members])
        except Exception as exc:  # noqa: BLE001 - each event then gets its own outcome
            self.log.warning(
                "hook %s failed for a batch of %d events, running them one by one: %s", sub.name, len(members), exc
            )
            for doc, event, changes in members:
                self._run_into(doc, event, sub, changes)
            return
        done_at = self.clock()
        for doc, _, changes in members:
            self._apply_outcome(doc, sub, _succeeded(doc["handlers"][sub.name], done_at), changes)

    def _load(self, event_id: str) -> tuple[dict, Event]:
        doc = getattr(event_id, "doc", None)
        if doc is not None:
            event_id.doc = None  # one dispatch per recorded copy; later ones read the stored state
            doc = {**doc, "handlers": {k: dict(v) for k, v in doc["handlers"].items()}}
        else:
            doc = self.collection.find_one({"_id": str(event_id)})
        if doc is None:
            raise NotFound("EVENT_NOT_FOUND")
        return doc, self._to_event(doc)

    def _due(self, doc: dict, only: set[str] | None, statuses) -> list[Subscription]:
        due = []
        for sub in self._subscriptions.get(doc["name"], []):
            state = doc["handlers"].get(sub.name)
            if state is None or state["status"] not in statuses:
                continue
            if only is not None and sub.name not in only:
                continue
            due.append(sub)
        return due

    def _run_into(self, doc: dict, event: Event, sub: Subscription, changes: dict) -> None:
        """Run one handler of the event and keep its outcome in `doc` and `changes`."""
        self._apply_outcome(doc, sub, self._run(event, sub, doc["handlers"][sub.name]), changes)

    @staticmethod
    def _apply_outcome(doc: dict, sub: Subscription, outcome: dict, changes: dict) -> None:
        doc["handlers"][sub.name].update(outcome)
        changes.update({f"handlers.{sub.name}.{k}": v for k, v in outcome.items()})

    def _finish(self, doc: dict, changes: dict) -> dict:
        status, next_at = self._status_of(doc)
        first_try_done = (
            status == DONE
            and doc.get("status") == PENDING
            and all(h["status"] == DONE and h["attempts"] == 1 for h in doc["handlers"].values())
        )
        if first_try_done and self.done_flush_seconds > 0:
            self._defer_done(doc)
        elif changes or (status, next_at) != (doc.get("status"), doc.get("next_attempt_at")):
            self.collection.update_one(
                {"_id": doc["_id"]}, {"$set": {**changes, "status": status, "next_attempt_at": next_at}}
            )
        doc.update(status=status, next_attempt_at=next_at)
        return doc

    # -- first-try successes, written in batches ---------------------------------------
    def _defer_done(self, doc: dict) -> None:
        done_at = max(h["done_at"] for h in doc["handlers"].values()) if doc["handlers"] else self.clock()
        with self._done_lock:
            self._done.setdefault((doc["name"], tuple(sorted(doc["handlers"]))), []).append((doc["_id"], done_at))
            if self._done_timer is None:
                self._done_timer = threading.Timer(self.done_flush_seconds, self.flush_done)
                self._done_timer.daemon = True
                self._done_timer.start()
                if not self._exit_hooked:
                    self._exit_hooked = True
                    atexit.register(self.flush_done)

    def flush_done(self) -> int:
        """Write the deferred 'done' outcomes now (one command; an update per event type); returns how many
        events."""
        with self._done_lock:
            pending, self._done = self._done, {}
            if self._done_timer is not None:
                self._done_timer.cancel()
                self._done_timer = None
        updates, events = [], 0
        for (_name, handlers), rows in pending.items():
            done_at = max(at for _, at in rows)
            fields: dict = {"status": DONE, "next_attempt_at": None}
            for handler in handlers:
                fields.update(
                    {
                        f"handlers.{handler}.status": DONE,
                        f"handlers.{handler}.attempts": 1,
                        f"handlers.{handler}.done_at": done_at,
                    }
                )
            # still pending: nothing else (a retry pass, a replay) touched these events since
            updates.append(
                UpdateMany({"_id": {"$in": [event_id for event_id, _ in rows]}, "status": PENDING}, {"$set": fields})
            )
            events += len(rows)
        if not updates:
            return 0
        try:
            self.collection.bulk_write(updates, ordered=False)
        except Exception:  # left pending, the retry pass runs their (idempotent) handlers again
            self.log.warning("hooks: could not mark %d events done", events, exc_info=True)
            return 0
        return events

    def _run(self, event: Event, sub: Subscription, state: dict) -> dict:
        """Run one handler; return its new state fields."""
        try:
            sub.handler(event)
        except Exception as exc:  # a handler must never fail its publisher
            attempts = state.get("attempts", 0) + 1
            parked = attempts >= self.max_attempts
            delay = timedelta(seconds=self.retry_base * 2 ** (attempts - 1))
            self.log.warning(
                "hook %s for %s %s failed (attempt %d%s): %s",
                sub.name,
                event.name,
                event.id,
                attempts,
                ", parked" if parked else "",
                exc,
                exc_info=not isinstance(exc, Conflict),
            )
            return {
                "status": PARKED if parked else FAILED,
                "attempts": attempts,
                "last_error": _describe(exc),
                "next_attempt_at": None if parked else self.clock() + delay,
            }
        return _succeeded(state, self.clock())

    @staticmethod
    def _status_of(doc: dict) -> tuple[str, datetime | None]:
        statuses = [h["status"] for h in doc["handlers"].values()]
        if PARKED in statuses:
            status = PARKED
        elif FAILED in statuses:
            status = FAILED
        elif PENDING in statuses:
            status = PENDING
        else:
            status = DONE
        retry_times = [
            h.get("next_attempt_at")
            for h in doc["handlers"].values()
            if h["status"] == FAILED and h.get("next_attempt_at")
        ]
        next_at = min(retry_times) if retry_times else (doc["next_attempt_at"] if status == PENDING else None)
        return status, next_at

    def _refresh_status(self, event_id: str) -> dict:
        doc = self.collection.find_one({"_id": event_id})
        status, next_at = self._status_of(doc)
        if (status, next_at) != (doc.get("status"), doc.get("next_attempt_at")):
            self.collection.update_one({"_id": event_id}, {"$set": {"status": status, "next_attempt_at": next_at}})
        doc.update(status=status, next_attempt_at=next_at)
        return doc

    # -- recovery -------------------------------------------------------------------
    def retry_pass(self, *, limit: int = 500) -> dict:
        """Re-run handlers that failed (when their backoff is over) or were lost mid-dispatch."""
        now = self.clock()
        counts = {"events": 0, "retried": 0, "done": 0, "parked": 0}
        cursor = (
            self.collection.find(
                {"status": {"$in": [FAILED, PENDING]}, "next_attempt_at": {"$lte": now}}, {"_id": 1, "handlers": 1}
            )
            .sort("next_attempt_at", ASCENDING)
            .limit(limit)
        )
        for doc in list(cursor):
            due = {
                name
                for name, h in doc["handlers"].items()
                if h["status"] == PENDING
                or (h["status"] == FAILED and h.get("next_attempt_at") and h["next_attempt_at"] <= now)
            }
            if not due:
                self._refresh_status(doc["_id"])
                continue
            counts["events"] += 1
            counts["retried"] += len(due)
            after = self.dispatch(doc["_id"], only=due, statuses=(PENDING, FAILED))
            for name in due:
                status = after["handlers"][name]["status"]
                if status in (DONE, PARKED):
                    counts[status] += 1
        return counts

    def replay(self, event_id: str, handler: str | None = None) -> dict:
        """Run a parked (or failed) handler once more, now. Returns the updated event document."""
        doc = self.collection.find_one({"_id": event_id})
        if doc is None:
            raise NotFound("EVENT_NOT_FOUND")
        stuck = {n for n, h in doc["handlers"].items() if h["status"] in (PARKED, FAILED)}
        if handler is not None:
            if handler not in doc["handlers"]:
                raise NotFound("HANDLER_NOT_FOUND")
            stuck &= {handler}
        if not stuck:
            raise Conflict("EVENT_NOT_REPLAYABLE")
        return self.dispatch(event_id, only=stuck, statuses=(PARKED, FAILED))

    def payload_of(self, event_id: str) -> DomainEvent | None:
        """The payload of a recorded event (None when there is no such event)."""
        doc = self.collection.find_one({"_id": str(event_id)})
        return self._to_event(doc).payload if doc else None

    def outbox_figures(self) -> dict[str, dict]:
        """{status: {"events": n, "oldest": created_at}} of the events not done yet (pending, failed, parked)."""
        rows = self.collection.aggregate(
            [
                {"$match": {"status": {"$in": [PENDING, FAILED, PARKED]}}},
                {"$group": {"_id": "$status", "events": {"$sum": 1}, "oldest": {"$min": "$created_at"}}},
            ]
        )
        return {r["_id"]: {"events": int(r["events"]), "oldest": r["oldest"]} for r in rows}

    def list_events(self, *, status: str | None = None, skip: int = 0, limit: int = 20) -> tuple[list, int]:
        query = {"status": status} if status else {}
        total = self.collection.count_documents(query)
        rows = list(self.collection.find(query).sort("created_at", -1).skip(skip).limit(limit))
        return rows, total

    def _to_event(self, doc: dict) -> Event:
        cls = self._events[doc["name"]]
        fields = {f.name for f in dataclasses.fields(cls)}
        payload = cls(**{k: v for k, v in doc["payload"].items() if k in fields})
        return Event(id=doc["_id"], name=doc["name"], payload=payload, created_at=doc["created_at"])


def _succeeded(state: dict, at: datetime) -> dict:
    """A handler's new state fields after it ran without failing."""
    return {"status": DONE, "attempts": state.get("attempts", 0) + 1, "done_at": at}


def _describe(exc: Exception) -> str:
    text = f"{type(exc).__name__}: {exc}"
    tb = traceback.extract_tb(exc.__traceback__)
    if tb:
        last = tb[-1]
        text += f" ({last.filename.rsplit('/', 1)[-1]}:{last.lineno})"
    return text[:500]
