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
from tests.support import REALTIME_NAMESPACE, commands_of

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


def test_a_batch_that_fails_midway_is_retried_without_double_counting(make_user, clock, one_lane, monkeypatch, caplog):
    other, lane, _ = one_lane
    services = other.extensions[EXTENSION]
    services.games.clock.fn = clock
    client = other.test_client()
    players = [make_user(f"P{i}") for i in range(3)]
    scores = services.social.scoring.scores
    save_many, failures = scores.save_many, []

    def flaky_save_many(saves, **kwargs):
        if players[1].id in saves and len(failures) < 2:
            failures.append(sorted(saves))
            raise RuntimeError("database hiccup")  # the batch, then the second event on its own, fail once
        return save_many(saves, **kwargs)

    monkeypatch.setattr(scores, "save_many", flaky_save_many)
    lane.hold()
    for p in players:
        started = client.post("/api/games/sessions", json={"game_id": "eco_quiz"}, headers=p.headers)
        clock.advance(minutes=3)
        end = f"/api/games/sessions/{started.json['data']['id']}/end"
        assert client.post(end, json={"final_score": 1000}, headers=p.headers).status_code == 200
    lane.release()
    assert lane.wait_idle()
    assert len(failures[0]) == 3 and failures[1] == [players[1].id]  # one batch, then event by event
    assert "running them one by one" in caplog.text
    assert [sessions_counted(p) for p in players] == [1, 0, 1]  # the others went through

    with other.app_context():
        hooks = services.infra.hooks
        hooks.clock = lambda: utcnow() + timedelta(minutes=5)  # past the first backoff
        assert hooks.retry_pass()["done"] == 1
        assert lane.wait_idle()
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


def impact_of(user) -> float:
    return user.get(f"/api/impact/user/{user.id}").json["data"]["total_donated"]


def community(user) -> tuple:
    data = user.get("/api/impact/community/statistics").json["data"]
    return data["total_donated"], data["donation_count"], data["donors_count"]


@pytest.fixture
def one_lane(app_factory):
    """A process whose dispatcher has one thread: everyone's events queue in one lane, and run as one batch."""
    other = app_factory(HOOKS_DEFERRED=True, HOOK_DISPATCH_THREADS=1)
    lane = other.extensions[EXTENSION].infra.hooks.dispatcher
    client = other.test_client()

    def give(donor, euros):
        response = client.post(
            "/api/donations/process", json={"onlus_id": donor.charity, "amount": euros}, headers=donor.headers
        )
        assert response.status_code == 201, response.json

    yield other, lane, give
    lane.release()
    lane.wait_idle()


def donors_of(make_user, fund, charity, n):
    donors = [make_user(f"D{i}") for i in range(n)]
    for d in donors:
        fund(d, 20)
        d.charity = charity
    return donors


def test_a_batch_of_donations_writes_each_total_once(make_user, fund, charity, one_lane):
    _, lane, give = one_lane
    donors = donors_of(make_user, fund, charity, 4)
    for d in donors:  # their first donations: achievements and stories, each a write of its own
        give(d, 10)
    assert lane.wait_idle()
    lane.hold()
    for i, d in enumerate(donors):
        give(d, 1 + i)
    _, commands = commands_of(lambda: (lane.release(), lane.wait_idle()))
    once = (
        "impact_user_totals",
        "impact_onlus_totals",
        "impact_platform",
        "user_impact_scores",
        "leaderboard_entries",
        "leaderboard_tree",
        "social_donations",
    )
    for collection in once:
        assert commands.count(("update", collection)) == 1, (collection, commands)
    assert commands.count(("insert", "impact_processed")) == 1
    assert commands.count(("insert", "social_processed")) == 1
    assert [impact_of(d) for d in donors] == [11, 12, 13, 14]
    assert community(donors[0]) == (50, 8, 4)
    assert [story_notices(d) for d in donors] == [["milestone_10"]] * 4


@pytest.mark.parametrize("fails", ["counting", "after counting"])
def test_a_batch_that_fails_midway_counts_each_donation_once(
    make_user, fund, charity, one_lane, monkeypatch, caplog, fails
):
    other, lane, give = one_lane
    donors = donors_of(make_user, fund, charity, 3)
    tracking = other.extensions[EXTENSION].impact.tracking
    if fails == "counting":  # the batch's transaction aborts: nothing of it was written
        target, name, failing_call = tracking.tracking, "add_many", 1
    else:  # the totals were committed, then the second donor's stories failed
        target, name, failing_call = tracking.stories, "check_and_unlock", 2
    real, calls = getattr(target, name), []

    def flaky(*args, **kwargs):
        calls.append(args)
        if len(calls) == failing_call:
            raise RuntimeError("database hiccup")
        return real(*args, **kwargs)

    monkeypatch.setattr(target, name, flaky)
    lane.hold()
    for d in donors:
        give(d, 10)
    lane.release()
    assert lane.wait_idle()
    assert "running them one by one" in caplog.text  # the batch failed, then ran event by event
    assert [impact_of(d) for d in donors] == [10, 10, 10]  # each counted once
    assert community(donors[0]) == (30, 3, 3)
    assert [story_notices(d) for d in donors] == [["milestone_10"]] * 3
    with other.app_context():
        assert other.extensions[EXTENSION].infra.hooks.retry_pass()["retried"] == 0  # nothing left failed


@pytest.mark.parametrize("asked_meanwhile", [False, True])
def test_a_batch_numbers_its_receipts_in_one_go_without_gaps(make_user, fund, charity, one_lane, asked_meanwhile):
    other, lane, _ = one_lane
    client = other.test_client()
    donors = donors_of(make_user, fund, charity, 3)
    lane.hold()
    given = []
    for d in donors:
        r = client.post("/api/donations/process", json={"onlus_id": charity, "amount": 5}, headers=d.headers)
        assert r.status_code == 201 and r.json["data"]["receipt_number"] is None
        given.append((d, r.json["data"]["id"]))
    asked = None
    if asked_meanwhile:  # numbered on demand before the batch runs: the batch numbers the two others
        d, donation_id = given[1]
        asked = d.get(f"/api/donations/{donation_id}/receipt?format=json").json["data"]["receipt_number"]
    _, commands = commands_of(lambda: (lane.release(), lane.wait_idle()))
    numbers = [d.get(f"/api/donations/{i}").json["data"]["receipt_number"] for d, i in given]
    sequences = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
    assert sequences == list(range(sequences[0], sequences[0] + 3))  # distinct, no gaps
    assert commands.count(("findAndModify", "receipt_counters")) == 1  # the batch's numbers in one step
    if asked:
        assert numbers[1] == asked


def test_receipts_numbered_meanwhile_make_the_batch_number_one_by_one(make_user, fund, charity, one_lane, monkeypatch):
    other, lane, _ = one_lane
    client = other.test_client()
    receipts = other.extensions[EXTENSION].donations.receipts
    donors = donors_of(make_user, fund, charity, 3)
    lane.hold()
    given = []
    for d in donors:
        r = client.post("/api/donations/process", json={"onlus_id": charity, "amount": 5}, headers=d.headers)
        given.append(r.json["data"]["id"])
    by_ids = receipts.donations.by_ids

    def then_asked(ids):  # the second receipt is asked for right after the batch read the drafts
        found = by_ids(ids)
        receipts.number_completed(given[1])
        return found

    monkeypatch.setattr(receipts.donations, "by_ids", then_asked)
    lane.release()
    assert lane.wait_idle()
    numbers = [donors[i].get(f"/api/donations/{given[i]}").json["data"]["receipt_number"] for i in range(3)]
    sequences = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
    assert sequences == list(range(sequences[0], sequences[0] + 3))  # the aborted batch used no number
