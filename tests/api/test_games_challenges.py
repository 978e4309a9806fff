"""Direct challenges over HTTP: invite, accept, play bound sessions, decide (winner or draw), expiry."""

from __future__ import annotations


def challenge(user, opponents, game_id="eco_quiz", **extra):
    response = user.post(
        "/api/games/challenges", json={"game_id": game_id, "opponent_ids": [o.id for o in opponents], **extra}
    )
    assert response.status_code == 201, response.json
    return response.json["data"]


def play(user, clock, challenge_id, score, game_id="eco_quiz", minutes=3):
    started = user.post("/api/games/sessions", json={"game_id": game_id, "challenge_id": challenge_id})
    assert started.status_code == 201, started.json
    assert started.json["data"]["challenge_id"] == challenge_id
    clock.advance(minutes=minutes)
    ended = user.post(f"/api/games/sessions/{started.json['data']['id']}/end", json={"final_score": score})
    assert ended.status_code == 200, ended.json
    return ended.json["data"]["session"]


def test_a_1v1_challenge_is_played_to_completion_with_a_winner(make_user, clock, db):
    ada, bob = make_user("Ada"), make_user("Bob")
    created = challenge(ada, [bob])
    assert created["status"] == "pending" and created["type"] == "1v1"
    assert {p["user_id"]: p["status"] for p in created["participants"]} == {ada.id: "accepted", bob.id: "invited"}

    # nobody plays before everyone accepted
    early = ada.post("/api/games/sessions", json={"game_id": "eco_quiz", "challenge_id": created["id"]})
    assert early.status_code == 409 and early.json["message"] == "CHALLENGE_NOT_ACTIVE"

    accepted = bob.post(f"/api/games/challenges/{created['id']}/accept")
    assert accepted.status_code == 200 and accepted.json["data"]["status"] == "active"
    assert accepted.json["data"]["ends_at"] == "2026-11-20T12:00:00Z"

    play(ada, clock, created["id"], 1500)
    halfway = ada.get(f"/api/games/challenges/{created['id']}").json["data"]
    assert halfway["status"] == "active"
    play(bob, clock, created["id"], 1200)

    done = bob.get(f"/api/games/challenges/{created['id']}").json["data"]
    assert done["status"] == "completed"
    assert done["winner_ids"] == [ada.id] and done["winner_side"] == "a" and done["is_draw"] is False
    assert done["side_scores"] == {"a": 750, "b": 600}
    assert {p["user_id"]: p["status"] for p in done["participants"]} == {ada.id: "played", bob.id: "played"}
    events = list(db["hook_events"].find({"name": "challenge_complete"}))
    assert len(events) == 1 and events[0]["payload"]["winner_ids"] == [ada.id]


def test_equal_scores_are_a_draw(make_user, clock, db):
    ada, bob = make_user(), make_user()
    created = challenge(ada, [bob])
    bob.post(f"/api/games/challenges/{created['id']}/accept")
    play(ada, clock, created["id"], 1000)
    play(bob, clock, created["id"], 1000)
    done = ada.get(f"/api/games/challenges/{created['id']}").json["data"]
    assert done["status"] == "completed" and done["is_draw"] is True and done["winner_ids"] == []
    assert db["hook_events"].find_one({"name": "challenge_complete"})["payload"]["winner_ids"] == []


def test_each_participant_plays_one_session_only(make_user, clock):
    ada, bob = make_user(), make_user()
    created = challenge(ada, [bob])
    bob.post(f"/api/games/challenges/{created['id']}/accept")
    play(ada, clock, created["id"], 500)
    again = ada.post("/api/games/sessions", json={"game_id": "eco_quiz", "challenge_id": created["id"]})
    assert again.status_code == 409 and again.json["message"] == "CHALLENGE_ALREADY_PLAYED"
    wrong_game = bob.post("/api/games/sessions", json={"game_id": "word_sprint", "challenge_id": created["id"]})
    assert wrong_game.status_code == 422 and wrong_game.json["message"] == "CHALLENGE_GAME_MISMATCH"


def test_only_participants_can_see_or_act(make_user, clock):
    ada, bob, eve = make_user(), make_user(), make_user()
    created = challenge(ada, [bob])
    cid = created["id"]
    for response in (
        eve.get(f"/api/games/challenges/{cid}"),
        eve.post(f"/api/games/challenges/{cid}/accept"),
        eve.post(f"/api/games/challenges/{cid}/decline"),
        eve.post(f"/api/games/challenges/{cid}/cancel"),
        eve.post("/api/games/sessions", json={"game_id": "eco_quiz", "challenge_id": cid}),
    ):
        assert response.status_code == 404
        assert response.json["message"] == "CHALLENGE_NOT_FOUND"
    assert eve.get("/api/games/challenges").json["data"]["total"] == 0
    assert bob.get("/api/games/challenges").json["data"]["total"] == 1
    assert ada.get("/api/games/challenges?status=pending").json["data"]["total"] == 1


def test_declining_ends_the_challenge_and_answers_are_final(make_user, clock, db):
    ada, bob = make_user(), make_user()
    created = challenge(ada, [bob])
    declined = bob.post(f"/api/games/challenges/{created['id']}/decline")
    assert declined.status_code == 200 and declined.json["data"]["status"] == "declined"
    assert bob.post(f"/api/games/challenges/{created['id']}/accept").status_code == 409
    assert db["hook_events"].count_documents({"name": "challenge_complete"}) == 0


def test_only_the_challenger_cancels_a_pending_challenge(make_user, clock):
    ada, bob = make_user(), make_user()
    created = challenge(ada, [bob])
    assert bob.post(f"/api/games/challenges/{created['id']}/cancel").status_code == 409
    cancelled = ada.post(f"/api/games/challenges/{created['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json["data"]["status"] == "cancelled"
    assert ada.post(f"/api/games/challenges/{created['id']}/cancel").json["message"] == "CHALLENGE_NOT_PENDING"


def test_invalid_challenges_are_rejected(make_user, clock):
    ada, bob, cy = make_user(), make_user(), make_user()
    assert ada.post("/api/games/challenges", json={"game_id": "eco_quiz", "opponent_ids": [ada.id]}).status_code == 422
    unknown = ada.post("/api/games/challenges", json={"game_id": "eco_quiz", "opponent_ids": ["0" * 24]})
    assert unknown.status_code == 422
    uneven = ada.post("/api/games/challenges", json={"game_id": "eco_quiz", "opponent_ids": [bob.id, cy.id]})
    assert uneven.status_code == 422 and "opponent_ids" in uneven.json["errors"]
    assert ada.post("/api/games/challenges", json={"game_id": "nope", "opponent_ids": [bob.id]}).status_code == 404


def test_expiry_decides_active_challenges_and_expires_unanswered_ones(make_user, clock, games, db):
    ada, bob, cy, dan = make_user(), make_user(), make_user(), make_user()
    played = challenge(ada, [bob], duration_hours=2)
    bob.post(f"/api/games/challenges/{played['id']}/accept")
    play(bob, clock, played["id"], 400)  # ada never plays: she scores 0
    unanswered = challenge(cy, [dan], accept_hours=1)
    clock.advance(hours=3)
    assert games.challenges.expire_due() == {"expired": 1, "decided": 1}
    assert games.challenges.expire_due() == {"expired": 0, "decided": 0}
    decided = ada.get(f"/api/games/challenges/{played['id']}").json["data"]
    assert decided["status"] == "completed" and decided["winner_ids"] == [bob.id]
    assert cy.get(f"/api/games/challenges/{unanswered['id']}").json["data"]["status"] == "expired"
    assert dan.post(f"/api/games/challenges/{unanswered['id']}/accept").status_code == 409
    assert db["hook_events"].count_documents({"name": "challenge_complete"}) == 1


def test_an_nvn_challenge_compares_side_totals(make_user, clock):
    a1, a2, b1, b2 = make_user(), make_user(), make_user(), make_user()
    created = challenge(a1, [b1, b2], teammate_ids=[a2.id])
    assert created["type"] == "nvn"
    for u in (a2, b1):
        assert u.post(f"/api/games/challenges/{created['id']}/accept").json["data"]["status"] == "pending"
    assert b2.post(f"/api/games/challenges/{created['id']}/accept").json["data"]["status"] == "active"
    play(a1, clock, created["id"], 2000)  # 1000
    play(a2, clock, created["id"], 0)  # 0
    play(b1, clock, created["id"], 1200)  # 600
    play(b2, clock, created["id"], 1000)  # 500
    done = a1.get(f"/api/games/challenges/{created['id']}").json["data"]
    assert done["side_scores"] == {"a": 1000, "b": 1100}
    assert sorted(done["winner_ids"]) == sorted([b1.id, b2.id])


def test_an_abandoned_challenge_session_gives_the_turn_back(make_user, clock, games):
    ada, bob = make_user(), make_user()
    created = challenge(ada, [bob])
    bob.post(f"/api/games/challenges/{created['id']}/accept")
    first = ada.post("/api/games/sessions", json={"game_id": "eco_quiz", "challenge_id": created["id"]})
    assert first.status_code == 201
    clock.advance(hours=1)
    assert games.sessions.expire_stale() == 1
    play(ada, clock, created["id"], 800)
    me = next(
        p
        for p in ada.get(f"/api/games/challenges/{created['id']}").json["data"]["participants"]
        if p["user_id"] == ada.id
    )
    assert me["status"] == "played" and me["score"] == 400
