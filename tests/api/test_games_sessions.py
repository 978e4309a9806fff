"""Game sessions over HTTP: start -> sync -> pause -> resume -> end, with a controllable server clock."""

from __future__ import annotations

import pytest

from tests.support import race


class Killed(BaseException):
    """The process dying (not an error anything would catch)."""


def start(user, game_id="eco_quiz", **extra):
    response = user.post("/api/games/sessions", json={"game_id": game_id, **extra})
    assert response.status_code == 201, response.json
    return response.json["data"]


def game_events(db, name="game_session_complete"):
    return list(db["hook_events"].find({"name": name}))


def test_full_session_lifecycle_measures_play_time_on_the_server(user, clock, db):
    session = start(user)
    assert session["status"] == "active" and session["game_id"] == "eco_quiz"
    assert session["started_at"] == "2026-11-18T12:00:00Z"
    assert session["version"] == 1

    clock.advance(minutes=2)
    synced = user.put(
        f"/api/games/sessions/{session['id']}",
        json={"score": 800, "state": {"question": 9, "answers": [1, 3]}, "version": 1},
    )
    assert synced.status_code == 200, synced.json
    assert synced.json["data"]["version"] == 2
    assert synced.json["data"]["play_seconds"] == 120

    clock.advance(seconds=30)
    paused = user.post(f"/api/games/sessions/{session['id']}/pause")
    assert paused.status_code == 200 and paused.json["data"]["status"] == "paused"
    clock.advance(hours=3)  # lunch: paused time never counts
    resumed = user.post(f"/api/games/sessions/{session['id']}/resume")
    assert resumed.status_code == 200 and resumed.json["data"]["status"] == "active"
    assert resumed.json["data"]["play_seconds"] == 150

    clock.advance(seconds=90)
    ended = user.post(f"/api/games/sessions/{session['id']}/end", json={"final_score": 1800})
    assert ended.status_code == 200, ended.json
    data = ended.json["data"]
    assert data["session"]["status"] == "completed"
    assert data["session"]["play_seconds"] == 240
    assert data["session"]["final_score"] == 1800
    assert data["session"]["universal_score"] == 900  # eco quiz: 18 of 20 correct
    assert isinstance(data["credits_earned"], (int, float))

    events = game_events(db)
    assert len(events) == 1
    payload = events[0]["payload"]
    assert payload["play_seconds"] == 240 and payload["universal_score"] == 900
    assert payload["user_id"] == user.id and payload["game_category"] == "trivia"
    assert payload["is_weekend"] is False and payload["streak_days"] == 1
    assert events[0]["key"] == f"session:{session['id']}"


def test_ending_twice_returns_the_same_result_and_publishes_once(user, clock, db, container):
    session = start(user)
    clock.advance(minutes=3)
    first = user.post(f"/api/games/sessions/{session['id']}/end", json={"final_score": 1000})
    assert first.status_code == 200
    wallet_before = user.get("/api/wallet").json
    clock.advance(minutes=10)
    second = user.post(f"/api/games/sessions/{session['id']}/end", json={"final_score": 2000})
    assert second.status_code == 200
    assert second.json["data"] == first.json["data"]
    assert len(game_events(db)) == 1
    if wallet_before is not None:
        assert user.get("/api/wallet").json == wallet_before


def test_concurrent_ends_complete_once(user, clock, db, games):
    session = start(user)
    clock.advance(minutes=3)
    results = race(lambda _: games.sessions.end(user.id, session["id"], final_score=500)["session"]["_id"], 6)
    errors = [r for r in results if isinstance(r, Exception)]
    ended = [r for r in results if not isinstance(r, Exception)]
    assert not errors
    assert len(ended) == 6
    assert len(game_events(db)) == 1


def test_every_concurrent_end_answers_the_credit_and_the_wallet_holds_it(user, clock, db, games):
    session = start(user)
    clock.advance(minutes=3)
    results = race(lambda _: games.sessions.end(user.id, session["id"], final_score=500)["credits_cents"], 6)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert results[0] > 0 and set(results) == {results[0]}, results
    assert user.get("/api/wallet").json["data"]["balance"] * 100 == results[0]
    assert db["transactions"].count_documents({"key": f"session:{session['id']}"}) == 1


def test_a_session_completed_before_a_crash_answers_its_credit_when_ended_again(user, clock, db, games, monkeypatch):
    session = start(user)
    clock.advance(minutes=3)
    dispatch = games.sessions.hooks.dispatch

    def die(*args, **kwargs):
        raise Killed  # the process dies between the committed completion and the dispatch

    monkeypatch.setattr(games.sessions.hooks, "dispatch", die)
    with pytest.raises(Killed):
        games.sessions.end(user.id, session["id"], final_score=500)
    monkeypatch.setattr(games.sessions.hooks, "dispatch", dispatch)
    assert db["transactions"].count_documents({"key": f"session:{session['id']}"}) == 0  # nothing posted yet

    again = user.post(f"/api/games/sessions/{session['id']}/end", json={"final_score": 500})
    assert again.status_code == 200, again.json
    credit = again.json["data"]["credits_earned"]
    assert credit > 0
    assert user.get("/api/wallet").json["data"]["balance"] == credit  # in the wallet when end answers
    games.sessions.hooks.retry_pass()  # the event's handler comes later and changes nothing
    assert db["transactions"].count_documents({"key": f"session:{session['id']}"}) == 1
    assert user.get("/api/wallet").json["data"]["balance"] == credit


def test_an_impossible_score_is_rejected_with_a_clear_key(user, clock):
    session = start(user, "word_sprint")
    clock.advance(minutes=1)
    response = user.post(f"/api/games/sessions/{session['id']}/end", json={"final_score": 50_000})
    assert response.status_code == 422
    assert response.json["message"] == "SCORE_NOT_PLAUSIBLE"
    assert "final_score" in response.json["errors"]
    # the session is still open: an honest score can still end it
    assert user.get(f"/api/games/sessions/{session['id']}").json["data"]["status"] == "active"
    assert user.post(f"/api/games/sessions/{session['id']}/end", json={"final_score": 300}).status_code == 200


def test_a_longer_client_claim_never_raises_the_play_time(user, clock):
    session = start(user, "ocean_cleanup")
    clock.advance(minutes=1)
    claimed = user.post(f"/api/games/sessions/{session['id']}/end", json={"final_score": 10_000, "play_seconds": 3600})
    assert claimed.status_code == 422  # 10 000 points are not possible in one measured minute
    ok = user.post(f"/api/games/sessions/{session['id']}/end", json={"final_score": 1000, "play_seconds": 3600})
    assert ok.json["data"]["session"]["play_seconds"] == 60


def test_a_shorter_client_claim_is_taken(user, clock):
    session = start(user, "ocean_cleanup")
    clock.advance(minutes=5)
    ended = user.post(f"/api/games/sessions/{session['id']}/end", json={"final_score": 100, "play_seconds": 200})
    assert ended.json["data"]["session"]["play_seconds"] == 200


def test_ending_while_paused_excludes_the_pause(user, clock):
    session = start(user)
    clock.advance(minutes=2)
    user.post(f"/api/games/sessions/{session['id']}/pause")
    clock.advance(minutes=20)
    ended = user.post(f"/api/games/sessions/{session['id']}/end", json={"final_score": 500})
    assert ended.json["data"]["session"]["play_seconds"] == 120


def test_another_users_session_is_not_found(make_user, clock):
    owner, other = make_user(), make_user()
    session = start(owner)
    sid = session["id"]
    for response in (
        other.get(f"/api/games/sessions/{sid}"),
        other.put(f"/api/games/sessions/{sid}", json={"score": 1}),
        other.post(f"/api/games/sessions/{sid}/pause"),
        other.post(f"/api/games/sessions/{sid}/resume"),
        other.post(f"/api/games/sessions/{sid}/end", json={"final_score": 0}),
    ):
        assert response.status_code == 404
        assert response.json["message"] == "SESSION_NOT_FOUND"
    assert other.get("/api/games/sessions").json["data"]["total"] == 0
    assert owner.get(f"/api/games/sessions/{sid}").status_code == 200
    assert owner.get("/api/games/sessions/not-an-id").status_code == 404


def test_a_stale_sync_version_is_a_conflict_and_the_newer_progress_stays(user, clock):
    session = start(user)
    sid = session["id"]
    clock.advance(minutes=1)
    phone = user.put(f"/api/games/sessions/{sid}", json={"score": 500, "state": {"device": "phone"}, "version": 1})
    assert phone.status_code == 200
    laptop = user.put(f"/api/games/sessions/{sid}", json={"score": 100, "state": {"device": "laptop"}, "version": 1})
    assert laptop.status_code == 409
    assert laptop.json["message"] == "SESSION_VERSION_CONFLICT"
    current = user.get(f"/api/games/sessions/{sid}").json["data"]
    assert current["score"] == 500 and current["state"] == {"device": "phone"}
    # the laptop reloads, then continues from the phone's progress
    retry = user.put(f"/api/games/sessions/{sid}", json={"score": 600, "version": current["version"]})
    assert retry.status_code == 200 and retry.json["data"]["state"] == {"device": "phone"}


def test_sync_without_version_is_accepted(user, clock):
    session = start(user)
    clock.advance(minutes=1)
    response = user.put(f"/api/games/sessions/{session['id']}", json={"score": 300, "state": [1, 2, 3]})
    assert response.status_code == 200 and response.json["data"]["state"] == [1, 2, 3]


def test_sync_rejects_implausible_scores_unknown_fields_and_huge_state(user, clock):
    sid = start(user)["id"]
    assert user.put(f"/api/games/sessions/{sid}", json={"score": 5000}).json["message"] == "SCORE_NOT_PLAUSIBLE"
    bad = user.put(f"/api/games/sessions/{sid}", json={"score": 1, "cheat": True})
    assert bad.status_code == 422 and "cheat" in bad.json["errors"]
    huge = user.put(f"/api/games/sessions/{sid}", json={"state": {"blob": "x" * 20_000}})
    assert huge.status_code == 422 and "state" in huge.json["errors"]
    assert user.put(f"/api/games/sessions/{sid}", json={"score": -1}).status_code == 422
    assert user.put(f"/api/games/sessions/{sid}", json={"score": "12"}).status_code == 422


def test_one_open_session_per_user_and_game(user, clock):
    first = start(user)
    again = user.post("/api/games/sessions", json={"game_id": "eco_quiz"})
    assert again.status_code == 409 and again.json["message"] == "SESSION_ALREADY_ACTIVE"
    assert start(user, "word_sprint")["status"] == "active"  # another game is fine
    clock.advance(minutes=1)
    user.post(f"/api/games/sessions/{first['id']}/end", json={"final_score": 100})
    assert start(user)["status"] == "active"


def test_a_forgotten_session_does_not_block_a_new_one(user, clock):
    old = start(user)
    clock.advance(hours=2)
    fresh = start(user)
    assert fresh["id"] != old["id"]
    assert user.get(f"/api/games/sessions/{old['id']}").json["data"]["status"] == "abandoned"


def test_state_transitions_are_checked(user, clock):
    sid = start(user)["id"]
    assert user.post(f"/api/games/sessions/{sid}/resume").json["message"] == "SESSION_NOT_PAUSED"
    user.post(f"/api/games/sessions/{sid}/pause")
    assert user.post(f"/api/games/sessions/{sid}/pause").json["message"] == "SESSION_ALREADY_PAUSED"
    clock.advance(minutes=1)
    user.post(f"/api/games/sessions/{sid}/end", json={"final_score": 0})
    for path in ("pause", "resume"):
        response = user.post(f"/api/games/sessions/{sid}/{path}")
        assert response.status_code == 409 and response.json["message"] == "SESSION_ALREADY_ENDED"
    assert user.put(f"/api/games/sessions/{sid}", json={"score": 1}).json["message"] == "SESSION_ALREADY_ENDED"


def test_stale_sessions_expire_as_abandoned_without_credit(user, clock, games, db):
    idle = start(user)
    paused = start(user, "word_sprint")
    user.post(f"/api/games/sessions/{paused['id']}/pause")
    busy = start(user, "memory_match")
    clock.advance(minutes=25)
    user.put(f"/api/games/sessions/{busy['id']}", json={"score": 50})
    clock.advance(minutes=10)
    assert games.sessions.expire_stale() == 1
    assert games.sessions.expire_stale() == 0  # idempotent
    assert user.get(f"/api/games/sessions/{idle['id']}").json["data"]["status"] == "abandoned"
    assert user.get(f"/api/games/sessions/{paused['id']}").json["data"]["status"] == "paused"
    assert user.get(f"/api/games/sessions/{busy['id']}").json["data"]["status"] == "active"
    ended = user.post(f"/api/games/sessions/{idle['id']}/end", json={"final_score": 0})
    assert ended.status_code == 409 and ended.json["message"] == "SESSION_EXPIRED"
    clock.advance(hours=25)
    assert games.sessions.expire_stale() == 2
    assert game_events(db) == []


def test_listing_my_sessions_filters_by_status(user, clock):
    done = start(user)
    clock.advance(minutes=1)
    user.post(f"/api/games/sessions/{done['id']}/end", json={"final_score": 100})
    start(user, "word_sprint")
    listing = user.get("/api/games/sessions").json["data"]
    assert listing["total"] == 2 and listing["page"] == 1
    completed = user.get("/api/games/sessions?status=completed").json["data"]
    assert [s["id"] for s in completed["items"]] == [done["id"]]
    assert user.get("/api/games/sessions?status=bogus").status_code == 422


def test_starting_needs_a_known_active_game_and_a_login(user, admin, client, clock):
    assert client.post("/api/games/sessions", json={"game_id": "eco_quiz"}).status_code == 401
    missing = user.post("/api/games/sessions", json={"game_id": "chess_960"})
    assert missing.status_code == 404 and missing.json["message"] == "GAME_NOT_FOUND"
    assert user.post("/api/games/sessions", json={}).status_code == 422
    admin.post("/api/games/eco_quiz/deactivate")
    inactive = user.post("/api/games/sessions", json={"game_id": "eco_quiz"})
    assert inactive.status_code == 409 and inactive.json["message"] == "GAME_INACTIVE"


def test_streak_and_activity_context_reach_the_event(user, clock, db):
    for _day in range(3):
        sid = start(user)["id"]
        clock.advance(minutes=1)
        user.post(f"/api/games/sessions/{sid}/end", json={"final_score": 100})
        clock.advance(days=1)
    sid = start(user)["id"]
    clock.advance(minutes=1)
    user.post(f"/api/games/sessions/{sid}/end", json={"final_score": 100})
    last = max(game_events(db), key=lambda e: e["payload"]["completed_at"])["payload"]
    assert last["streak_days"] == 4
    assert last["is_weekend"] is True  # Wednesday + 3 days = Saturday
    assert last["sessions_last_hour"] == 0


def test_a_stale_sync_is_a_version_conflict_whatever_its_score_or_state(user, clock):
    sid = start(user, "memory_match")["id"]
    clock.advance(minutes=1)
    assert user.put(f"/api/games/sessions/{sid}", json={"score": 100, "version": 1}).status_code == 200
    for body in (
        {"score": 75},  # not a multiple of 50
        {"score": 900_000},  # not possible in a minute
        {"score": -1},
        {"score": 10**12},
        {"state": {"blob": "x" * 20_000}},
    ):
        stale = user.put(f"/api/games/sessions/{sid}", json={**body, "version": 1})
        assert (stale.status_code, stale.json["message"]) == (409, "SESSION_VERSION_CONFLICT"), body
    current = user.get(f"/api/games/sessions/{sid}").json["data"]
    assert (current["score"], current["version"]) == (100, 2)
    # with the current version the same bad scores are refused as such, and change nothing
    off_step = user.put(f"/api/games/sessions/{sid}", json={"score": 75, "version": 2})
    assert (off_step.status_code, off_step.json["message"]) == (422, "SCORE_NOT_PLAUSIBLE")
    assert off_step.json["errors"]["score"] == ["Memory Match scores are multiples of 50."]
    negative = user.put(f"/api/games/sessions/{sid}", json={"score": -1, "version": 2})
    assert (negative.status_code, negative.json["message"]) == (422, "VALIDATION_ERROR")
    assert "score" in negative.json["errors"]
    typed = user.put(f"/api/games/sessions/{sid}", json={"score": "100", "version": 1})
    assert typed.status_code == 422  # a string is not a number, whatever the version
    assert user.get(f"/api/games/sessions/{sid}").json["data"]["version"] == 2


def test_the_streak_and_the_last_hour_come_from_a_per_user_summary_rebuilt_when_missing(user, clock, db):
    def end_one() -> dict:
        sid = start(user)["id"]
        clock.advance(minutes=1)
        assert user.post(f"/api/games/sessions/{sid}/end", json={"final_score": 100}).status_code == 200
        return max(game_events(db), key=lambda e: e["payload"]["completed_at"])["payload"]

    assert end_one()["streak_days"] == 1
    clock.advance(minutes=5)
    again = end_one()
    assert (again["streak_days"], again["sessions_last_hour"]) == (1, 1)
    clock.advance(days=1)
    assert end_one()["streak_days"] == 2
    assert db["play_summaries"].find_one({"_id": user.id})["streak"] == 2
    db["play_summaries"].delete_many({})  # as for a player from before the summaries (or after a void)
    clock.advance(days=1)
    rebuilt = end_one()
    assert (rebuilt["streak_days"], rebuilt["sessions_last_hour"]) == (3, 0)  # from the sessions themselves
    clock.advance(days=2)  # a day without play
    assert end_one()["streak_days"] == 1
