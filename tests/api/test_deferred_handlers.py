"""Handlers after the answer (HOOKS_DEFERRED, as in production): the answer carries what it needs (the credits
of a session are in the wallet when `end` answers), the rest follows on the process's dispatcher; an event
committed by a process that died before dispatching it runs exactly once (the retry pass), a batch that fails
midway is retried without double counting, and one user's stories unlock in milestone order."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.core.clock import utcnow
from app.core.hooks import STALE_PENDING
from app.core.infrastructure import EXTENSION
from tests.support import REALTIME_NAMESPACE

WEEK = {"game_id": "eco_quiz", "period": "weekly", "period_key": "2026-W47"}  # the games clock's week


@pytest.fixture
def app(app_factory):
    return app_factory(HOOKS_DEFERRED=True)


@pytest.fixture
def dispatcher(container):
    d = container.infra.hooks.dispatcher
    assert d is not None
    yield d
    d.release()
    d.wait_idle()


def play(user, clock, score=1000) -> dict:
    started = user.post("/api/games/sessions", json={"game_id": "eco_quiz"})
    assert started.status_code == 201, started.json
    clock.advance(minutes=3)
    ended = user.post(f"/api/games/sessions/{started.json['data']['id']}/end", json={"final_score": score})
    assert ended.status_code == 200, ended.json
    return ended.json["data"]


def my_entry(user) -> dict:
    return user.get("/api/social/leaderboards/game", query_string=WEEK).json["data"]["me"]


def sessions_counted(user) -> int:
    return user.get("/api/social/impact-score").json["data"]["stats"].get("sessions_completed", 0)


def credits_of(db, user) -> list[dict]:
    return list(db["transactions"].find({"user_id": user.id, "type": "earned"}))


def story_notices(user) -> list[str]:
    """The milestone stories the user was told of, oldest first (event stories depend on the date: left out)."""
    inbox = user.get("/api/notifications", query_string={"per_page": 50}).json["data"]["items"]
    return [
        n["data"]["story_id"]
        for n in reversed(inbox)
        if n["kind"] == "story_unlocked" and n["data"]["story_id"].startswith("milestone_")
    ]


def test_the_answer_carries_the_credits_and_the_rest_follows_after_it(user, clock, dispatcher, db):
    dispatcher.hold()
    ended = play(user, clock)
    assert ended["credits_earned"] > 0
    assert user.get("/api/wallet").json["data"]["balance"] == ended["credits_earned"]  # in the wallet already
    assert my_entry(user)["rank"] is None and sessions_counted(user) == 0  # not yet: after the answer

    dispatcher.release()
    assert dispatcher.wait_idle()
    assert my_entry(user) == {"rank": 1, "score": 500}
    assert sessions_counted(user) == 1
    assert len(credits_of(db, user)) == 1  # the handler found the credit the request posted


def test_events_a_dead_process_committed_run_exactly_once(
    app_factory, container, user, clock, dispatcher, db, fund, charity
):
    fund(user, 20)
    dispatcher.hold()
    ended = play(user, clock)
    donated = user.post("/api/donations/process", json={"onlus_id": charity, "amount": 10})
    assert donated.status_code == 201
    lost = dispatcher.discard()  # the process dies with its queue: the outbox still has every event
    assert lost

    restarted = app_factory(HOOKS_DEFERRED=True)  # another process on the same database
    with restarted.app_context():
        hooks = restarted.extensions[EXTENSION].infra.hooks
        hooks.clock = lambda: utcnow() + STALE_PENDING + timedelta(seconds=1)
        first = hooks.retry_pass()
        assert first["retried"] > 0 and first["parked"] == 0
        assert hooks.dispatcher.wait_idle()
        assert hooks.retry_pass()["retried"] == 0  # nothing left to run

    def figures():
        impact = user.get(f"/api/impact/user/{user.id}").json["data"]
        return my_entry(user), sessions_counted(user), impact["total_donated"], story_notices(user)

    after_restart = figures()
    assert after_restart == ({"rank": 1, "score": 500}, 1, 10, ["milestone_10"])
    assert len(credits_of(db, user)) == 1 and user.get("/api/wallet").json["data"]["balance"] == round(
        20 + ended["credits_earned"] - 10, 2
    )

    # the dead process's events delivered once more (its own copy, as it had them): nothing counts twice
    hooks = container.infra.hooks
    for event_id in lost:
        hooks.dispatch(event_id, statuses=("pending", "done"))
    assert figures() == after_restart


def test_a_batch_that_fails_midway_is_retried_without_double_counting(
    make_user, clock, dispatcher, container, monkeypatch
):
    players = [make_user(f"P{i}") for i in range(3)]
    scores = container.social.scoring.scores
    save, calls = scores.save, []

    def flaky_save(user_id, **fields):
        calls.append(user_id)
        if user_id == players[1].id and calls.count(user_id) == 1:
            raise RuntimeError("database hiccup")  # the second event of the batch fails, once
        return save(user_id, **fields)

    monkeypatch.setattr(scores, "save", flaky_save)
    dispatcher.hold()
    for p in players:
        play(p, clock)
    dispatcher.release()
    assert dispatcher.wait_idle()
    assert [sessions_counted(p) for p in players] == [1, 0, 1]  # the others went through

    hooks = container.infra.hooks
    hooks.clock = lambda: utcnow() + timedelta(minutes=5)  # past the first backoff
    assert hooks.retry_pass()["done"] == 1
    assert dispatcher.wait_idle()
    assert hooks.retry_pass()["retried"] == 0
    assert [sessions_counted(p) for p in players] == [1, 1, 1]
    assert [my_entry(p)["score"] for p in players] == [500, 500, 500]


def test_one_users_stories_unlock_in_milestone_order(app, user, dispatcher, container, fund, charity):
    fund(user, 40)
    sock = container.infra.socketio.test_client(app, namespace=REALTIME_NAMESPACE, auth={"token": user.access_token})
    dispatcher.hold()
    for euros in (10, 15, 5):  # 10 reaches the EUR 10 milestone, 25 the EUR 25 one, 30 none
        assert user.post("/api/donations/process", json={"onlus_id": charity, "amount": euros}).status_code == 201
    dispatcher.release()
    assert dispatcher.wait_idle()
    assert story_notices(user) == ["milestone_10", "milestone_25"]
    pushed = [
        m["args"][0]["story"]["id"] for m in sock.get_received(REALTIME_NAMESPACE) if m["name"] == "story_unlocked"
    ]
    assert [story for story in pushed if story.startswith("milestone_")] == ["milestone_10", "milestone_25"]


def test_a_receipt_is_numbered_after_the_answer_or_when_it_is_asked_for(user, dispatcher, fund, charity):
    fund(user, 20)
    dispatcher.hold()
    first = user.post("/api/donations/process", json={"onlus_id": charity, "amount": 5}).json["data"]
    second = user.post("/api/donations/process", json={"onlus_id": charity, "amount": 5}).json["data"]
    assert first["receipt_number"] is None and second["receipt_number"] is None  # after the answer
    asked = user.get(f"/api/donations/{second['id']}/receipt?format=json")
    assert asked.status_code == 200 and asked.json["data"]["receipt_number"]  # numbered on demand
    dispatcher.release()
    assert dispatcher.wait_idle()
    numbers = [user.get(f"/api/donations/{d['id']}").json["data"]["receipt_number"] for d in (first, second)]
    assert numbers[1] == asked.json["data"]["receipt_number"] and numbers[0] and numbers[0] != numbers[1]
