"""The hook manager: nothing lost, nothing counted twice."""

import time
from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar

import pytest
from pymongo.errors import PyMongoError

from app.core.clock import utcnow
from app.core.hooks import DomainEvent, HookManager
from app.core.transactions import Transactions
from tests.support import FakeClock


@dataclass(frozen=True)
class Thing(DomainEvent):
    name: ClassVar[str] = "thing_happened"
    thing_id: str
    amount: int = 1


@pytest.fixture
def clock():
    return FakeClock(utcnow())


@pytest.fixture
def hooks(db, clock):
    manager = HookManager(db, max_attempts=3, retry_base_seconds=10, clock=clock)
    manager.create_indexes()
    manager.register_event(Thing)
    return manager


def test_event_is_persisted_before_its_handlers_run(hooks, db):
    seen = []

    def handler(event):
        seen.append(db.hook_events.find_one({"_id": event.id})["payload"])

    hooks.subscribe(Thing, "test:observer", handler)
    hooks.publish(Thing(thing_id="t1", amount=5))
    assert seen == [{"thing_id": "t1", "amount": 5}]


def test_handlers_run_in_registration_order_and_outcomes_are_recorded(hooks, db):
    order = []
    hooks.subscribe(Thing, "test:first", lambda e: order.append("first"))
    hooks.subscribe(Thing, "test:second", lambda e: order.append("second"))
    event_id = hooks.publish(Thing(thing_id="t1"))
    assert order == ["first", "second"]
    doc = db.hook_events.find_one({"_id": event_id})
    assert doc["status"] == "done"
    assert {h["status"] for h in doc["handlers"].values()} == {"done"}


@pytest.fixture
def batched(db, clock):
    manager = HookManager(db, max_attempts=3, retry_base_seconds=10, done_flush_seconds=30, clock=clock)
    manager.create_indexes()
    manager.register_event(Thing)
    yield manager
    manager.flush_done()


def test_first_try_successes_are_marked_done_together_and_failures_at_once(batched, db):
    ran = []
    batched.subscribe(Thing, "test:fine", lambda e: ran.append(e.payload.thing_id))
    done_ids = [batched.publish(Thing(thing_id=f"t{i}")) for i in range(3)]
    assert ran == ["t0", "t1", "t2"]
    # not written yet: still 'pending' in the outbox, past nothing the retry pass would pick up yet
    assert {d["status"] for d in db.hook_events.find({"_id": {"$in": done_ids}})} == {"pending"}
    assert batched.retry_pass()["retried"] == 0

    def broken(event):
        raise RuntimeError("down")

    batched.subscribe(Thing, "test:broken", broken)
    failed_id = batched.publish(Thing(thing_id="t3"))
    assert db.hook_events.find_one({"_id": failed_id})["status"] == "failed"  # at once

    assert batched.flush_done() == 3
    for doc in db.hook_events.find({"_id": {"$in": done_ids}}):
        assert doc["status"] == "done" and doc["next_attempt_at"] is None
        assert doc["handlers"]["test:fine"]["status"] == "done" and doc["handlers"]["test:fine"]["attempts"] == 1
        assert doc["handlers"]["test:fine"]["done_at"] is not None
    assert batched.flush_done() == 0


def test_the_batch_is_written_by_itself_after_the_delay(db, clock):
    manager = HookManager(db, done_flush_seconds=0.2, clock=clock)
    manager.create_indexes()
    manager.register_event(Thing)
    manager.subscribe(Thing, "test:fine", lambda e: None)
    event_id = manager.publish(Thing(thing_id="t1"))
    deadline = time.monotonic() + 10
    while db.hook_events.find_one({"_id": event_id})["status"] != "done":
        assert time.monotonic() < deadline, "the deferred outcome was never written"
        time.sleep(0.05)


def test_events_whose_process_died_before_the_batch_are_run_again_by_the_retry_pass(batched, db, clock):
    calls = []
    batched.subscribe(Thing, "test:counted", lambda e: calls.append(e.id))
    event_id = batched.publish(Thing(thing_id="t1"))
    with batched._done_lock:  # the process dies: its unwritten batch is lost
        batched._done.clear()
    clock.advance(minutes=3)
    assert batched.retry_pass() == {"events": 1, "retried": 1, "done": 1, "parked": 0}
    assert calls == [event_id, event_id]  # handlers are idempotent per event id: a second run is harmless
    assert batched.flush_done() == 1
    assert db.hook_events.find_one({"_id": event_id})["status"] == "done"


def test_a_failing_handler_does_not_stop_the_others_or_the_publisher(hooks, db):
    ran = []

    def broken(event):
        raise RuntimeError("leaderboard down")

    hooks.subscribe(Thing, "test:broken", broken)
    hooks.subscribe(Thing, "test:fine", lambda e: ran.append(e.payload.thing_id))
    event_id = hooks.publish(Thing(thing_id="t1"))
    assert ran == ["t1"]
    doc = db.hook_events.find_one({"_id": event_id})
    assert doc["status"] == "failed"
    assert doc["handlers"]["test:broken"]["attempts"] == 1
    assert "leaderboard down" in doc["handlers"]["test:broken"]["last_error"]
    assert doc["handlers"]["test:fine"]["status"] == "done"


def test_retry_pass_waits_for_backoff_then_retries_only_the_failed_handler(hooks, db, clock):
    calls = {"flaky": 0, "fine": 0}

    def flaky(event):
        calls["flaky"] += 1
        if calls["flaky"] < 2:
            raise RuntimeError("transient")

    hooks.subscribe(Thing, "test:flaky", flaky)
    hooks.subscribe(Thing, "test:fine", lambda e: calls.__setitem__("fine", calls["fine"] + 1))
    event_id = hooks.publish(Thing(thing_id="t1"))
    assert hooks.retry_pass()["retried"] == 0  # backoff not over yet
    clock.advance(seconds=11)
    result = hooks.retry_pass()
    assert result == {"events": 1, "retried": 1, "done": 1, "parked": 0}
    assert calls == {"flaky": 2, "fine": 1}
    assert db.hook_events.find_one({"_id": event_id})["status"] == "done"
    assert hooks.retry_pass()["retried"] == 0


def test_backoff_grows_and_handler_is_parked_after_the_limit(hooks, db, clock):
    attempts = []

    def always_broken(event):
        attempts.append(clock())
        raise ValueError("bad data")

    hooks.subscribe(Thing, "test:broken", always_broken)
    event_id = hooks.publish(Thing(thing_id="t1"))
    first_retry_at = db.hook_events.find_one({"_id": event_id})["handlers"]["test:broken"]["next_attempt_at"]
    clock.advance(seconds=11)
    hooks.retry_pass()
    second_retry_at = db.hook_events.find_one({"_id": event_id})["handlers"]["test:broken"]["next_attempt_at"]
    assert second_retry_at - clock() == timedelta(seconds=20)  # 10s, then 20s
    assert second_retry_at > first_retry_at
    clock.advance(seconds=21)
    assert hooks.retry_pass()["parked"] == 1
    doc = db.hook_events.find_one({"_id": event_id})
    assert doc["status"] == "parked"
    assert doc["handlers"]["test:broken"]["attempts"] == 3
    clock.advance(days=1)
    assert hooks.retry_pass()["retried"] == 0  # parked stays parked
    assert len(attempts) == 3


def test_replay_runs_a_parked_handler_once_more(hooks, db, clock):
    state = {"broken": True, "calls": 0}

    def handler(event):
        state["calls"] += 1
        if state["broken"]:
            raise RuntimeError("down")

    hooks.subscribe(Thing, "test:handler", handler)
    event_id = hooks.publish(Thing(thing_id="t1"))
    for _ in range(2):
        clock.advance(hours=1)
        hooks.retry_pass()
    assert db.hook_events.find_one({"_id": event_id})["status"] == "parked"
    state["broken"] = False
    doc = hooks.replay(event_id)
    assert doc["status"] == "done"
    assert state["calls"] == 4
    with pytest.raises(Exception) as err:
        hooks.replay(event_id)
    assert getattr(err.value, "message", "") == "EVENT_NOT_REPLAYABLE"


def test_same_key_records_one_event_and_runs_handlers_once(hooks, db):
    calls = []
    hooks.subscribe(Thing, "test:count", lambda e: calls.append(e.id))
    first = hooks.publish(Thing(thing_id="t1"), key="thing:t1")
    second = hooks.publish(Thing(thing_id="t1"), key="thing:t1")
    assert first == second
    assert calls == [first]
    assert db.hook_events.count_documents({"key": "thing:t1"}) == 1


def test_event_recorded_in_an_aborted_transaction_is_never_dispatched(hooks, db):
    calls = []
    hooks.subscribe(Thing, "test:count", lambda e: calls.append(e.id))

    def work(session):
        db.things.insert_one({"_id": "t1"}, session=session)
        hooks.record(Thing(thing_id="t1"), key="thing:t1", session=session)
        raise RuntimeError("failure midway")

    with pytest.raises(RuntimeError):
        Transactions(db).run(work)
    assert db.hook_events.count_documents({}) == 0
    assert db.things.count_documents({}) == 0
    assert calls == []


def test_event_recorded_in_a_committed_transaction_is_dispatched_after_commit(hooks, db):
    seen = []
    hooks.subscribe(Thing, "test:reads", lambda e: seen.append(db.things.find_one({"_id": "t1"})))

    def work(session):
        db.things.insert_one({"_id": "t1"}, session=session)
        return hooks.record(Thing(thing_id="t1"), key="thing:t1", session=session)

    event_id = Transactions(db).run(work)
    hooks.dispatch(event_id)
    assert seen == [{"_id": "t1"}]


def test_a_handler_lost_mid_dispatch_is_picked_up_by_the_retry_pass(hooks, db, clock):
    calls = []
    hooks.subscribe(Thing, "test:count", lambda e: calls.append(e.id))
    event_id = hooks.record(Thing(thing_id="t1"))  # process "died" before dispatch
    assert hooks.retry_pass()["retried"] == 0
    clock.advance(minutes=3)
    assert hooks.retry_pass()["done"] == 1
    assert calls == [event_id]


def test_unregistered_events_and_bad_handler_names_are_refused(hooks):
    @dataclass(frozen=True)
    class Stray(DomainEvent):
        name: ClassVar[str] = "stray"
        x: int = 0

    with pytest.raises(ValueError):
        hooks.publish(Stray())
    with pytest.raises(ValueError):
        hooks.subscribe(Thing, "has.dot", lambda e: None)
    hooks.subscribe(Thing, "test:once", lambda e: None)
    with pytest.raises(ValueError):
        hooks.subscribe(Thing, "test:once", lambda e: None)


def test_the_seven_seed_events_are_registered(container):
    names = set(container.infra.hooks.event_names)
    assert {
        "game_session_complete",
        "social_activity",
        "donation_complete",
        "achievement_unlock",
        "user_login",
        "weekly_reset",
        "tournament_complete",
    } <= names


def test_a_failing_user_login_handler_does_not_fail_login(app, client, make_user, db):
    from app.core.events import UserLogin

    def broken(event):
        raise PyMongoError("streak store unavailable")

    app.extensions["goodplay"].infra.hooks.subscribe(UserLogin, "test:broken_streaks", broken)
    user = make_user()
    response = client.post("/api/auth/login", json={"email": user.email, "password": user.password})
    assert response.status_code == 200
    event = db.hook_events.find_one({"name": "user_login"})
    assert event["handlers"]["test:broken_streaks"]["status"] == "failed"


def test_admin_lists_parked_events_and_replays_one(app, admin, make_user, db):
    from app.core.events import UserLogin

    state = {"broken": True, "calls": 0}

    def handler(event):
        state["calls"] += 1
        if state["broken"]:
            raise RuntimeError("down")

    hooks = app.extensions["goodplay"].infra.hooks
    hooks.subscribe(UserLogin, "test:flaky", handler)
    hooks.max_attempts = 1
    member = make_user()
    member.client.post("/api/auth/login", json={"email": member.email, "password": member.password})
    listing = admin.get("/api/admin/events?status=parked")
    assert listing.status_code == 200
    items = listing.json["data"]["items"]
    assert listing.json["data"]["total"] == 1
    event_id = items[0]["id"]
    assert items[0]["handlers"]["test:flaky"]["status"] == "parked"
    state["broken"] = False
    replayed = admin.post(f"/api/admin/events/{event_id}/replay", json={"handler": "test:flaky"})
    assert replayed.status_code == 200
    assert replayed.json["data"]["status"] == "done"
    assert state["calls"] == 2
    assert admin.post(f"/api/admin/events/{event_id}/replay").status_code == 409
    assert admin.post("/api/admin/events/nope/replay").status_code == 404
    assert member.post(f"/api/admin/events/{event_id}/replay").status_code == 403
