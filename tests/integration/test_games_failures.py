"""Failures midway and races on the games services, against the real server."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.games.events import GameSessionComplete
from tests.support import race


def test_a_failure_while_recording_the_event_leaves_the_session_open(user, games, clock, db, monkeypatch):
    session = games.sessions.start(user.id, "eco_quiz")
    clock.advance(minutes=3)
    real_record = games.sessions.hooks.record

    def broken(*args, **kwargs):
        raise RuntimeError("outbox write failed")

    monkeypatch.setattr(games.sessions.hooks, "record", broken)
    with pytest.raises(RuntimeError):
        games.sessions.end(user.id, str(session["_id"]), final_score=1000)
    assert games.sessions.get(user.id, str(session["_id"]))["status"] == "active"
    assert db["hook_events"].count_documents({"name": "game_session_complete"}) == 0

    monkeypatch.setattr(games.sessions.hooks, "record", real_record)
    result = games.sessions.end(user.id, str(session["_id"]), final_score=1000)
    assert result["session"]["status"] == "completed"
    assert db["hook_events"].count_documents({"name": "game_session_complete"}) == 1


def test_a_failing_subscriber_never_fails_end_and_is_retried(make_user, container, games, clock, db):
    ada, bob = make_user(), make_user()
    challenge = games.challenges.create(ada.id, game_id="eco_quiz", opponent_ids=[bob.id])
    games.challenges.accept(challenge["id"], bob.id)
    calls = {"n": 0}
    real = games.challenges.record_play

    def flaky(**kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("database hiccup")
        return real(**kwargs)

    games.challenges.record_play = flaky
    try:
        for player, score in ((ada, 1200), (bob, 600)):
            s = games.sessions.start(player.id, "eco_quiz", challenge_id=challenge["id"])
            clock.advance(minutes=3)
            assert games.sessions.end(player.id, str(s["_id"]), final_score=score)["session"]["status"] == "completed"
        assert games.challenges.get(challenge["id"], ada.id)["status"] == "active"  # ada's play was not recorded yet
        failed = db["hook_events"].find_one({"handlers.games:challenge_progress.status": "failed"})
        assert failed is not None
        container.infra.hooks.dispatch(failed["_id"], statuses=("failed",))  # what the retry pass does
    finally:
        games.challenges.record_play = real
    decided = games.challenges.get(challenge["id"], ada.id)
    assert decided["status"] == "completed" and decided["winner_ids"] == [ada.id]
    assert db["hook_events"].count_documents({"name": "challenge_complete"}) == 1


def test_concurrent_end_steps_complete_a_tournament_once(make_user, games, clock, db):
    players = [make_user() for _ in range(3)]
    tournament = games.tournaments.create(
        "admin",
        {
            "name": "Race Cup",
            "starts_at": clock.now,
            "ends_at": clock.now + timedelta(days=1),
            "max_participants": 5,
            "prizes": [{"rank": 1, "reward_cents": 100}],
        },
    )
    tid = str(tournament["_id"])
    for i, p in enumerate(players):
        games.tournaments.join(p.id, tid)
        s = games.sessions.start(p.id, "ocean_cleanup", tournament_id=tid)
        clock.advance(minutes=2)
        games.sessions.end(p.id, str(s["_id"]), final_score=500 * (i + 1))
    results = race(lambda _: games.tournaments.complete(tid)[1], 5)
    errors = [r for r in results if isinstance(r, Exception)]
    fresh = [r for r in results if not isinstance(r, Exception)]
    assert not errors and fresh.count(True) == 1
    events = list(db["hook_events"].find({"name": "tournament_complete"}))
    assert len(events) == 1
    winners = [r for r in events[0]["payload"]["results"] if r["reward_cents"]]
    assert [r["user_id"] for r in winners] == [players[2].id]


def test_a_failed_tournament_end_step_can_simply_run_again(make_user, games, clock, db, monkeypatch):
    tournament = games.tournaments.create(
        "admin",
        {
            "name": "Retry Cup",
            "starts_at": clock.now,
            "ends_at": clock.now + timedelta(hours=1),
            "max_participants": 5,
            "prizes": [{"rank": 1, "reward_cents": 100}],
        },
    )
    real_record = games.tournaments.hooks.record
    monkeypatch.setattr(games.tournaments.hooks, "record", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("x")))
    clock.advance(hours=2)
    with pytest.raises(RuntimeError):
        games.tournaments.run_lifecycle()
    assert games.tournaments.get(str(tournament["_id"]))["status"] == "active"
    monkeypatch.setattr(games.tournaments.hooks, "record", real_record)
    assert games.tournaments.run_lifecycle() == {"started": 0, "completed": 1}
    assert db["hook_events"].count_documents({"name": "tournament_complete"}) == 1


def test_the_session_event_carries_team_and_tournament_context(make_user, games, clock, db):
    owner = make_user()
    team = games.teams.create(owner.id, name="Context Crew")
    tournament = games.tournaments.create(
        "admin",
        {
            "name": "Ctx Cup",
            "type": "team",
            "starts_at": clock.now,
            "ends_at": clock.now + timedelta(days=1),
            "max_participants": 2,
        },
    )
    games.tournaments.join(owner.id, str(tournament["_id"]))
    s = games.sessions.start(owner.id, "memory_match", tournament_id=str(tournament["_id"]))
    clock.advance(minutes=1)
    games.sessions.end(owner.id, str(s["_id"]), final_score=900)
    event = db["hook_events"].find_one({"name": GameSessionComplete.name})["payload"]
    assert event["team_ids"] == [team["id"]] and event["tournament_id"] == str(tournament["_id"])
    assert event["universal_score"] == 1000 and event["play_seconds"] == 60
