"""Fair play on game sessions: a moderator voids a session's score (credits taken back by a linked ledger entry,
points, totals and ranks follow, the player is told, it is audited), and sessions a fraud rule flagged form a
review queue with approve/void decisions."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from app.games.events import GameSessionComplete, SessionVoided

WEEK = "2026-W47"  # the games clock's week (tests/support.py START)


@pytest.fixture
def app(app_factory):
    # the third session credited within an hour is held for review (velocity)
    return app_factory(DONATION_FRAUD_LIMITS={"sessions_credited_per_user_hour": 2})


@pytest.fixture
def moderator(client, admin, make_user):
    mod = make_user("Mo")
    assert admin.put(f"/api/admin/users/{mod.id}/role", json={"role": "moderator"}).status_code == 200
    tokens = client.post("/api/auth/login", json={"email": mod.email, "password": mod.password}).json["data"]
    mod.access_token = tokens["access_token"]
    return mod


def play(user, clock, score, minutes=3) -> dict:
    started = user.post("/api/games/sessions", json={"game_id": "eco_quiz"})
    assert started.status_code == 201, started.json
    clock.advance(minutes=minutes)
    ended = user.post(f"/api/games/sessions/{started.json['data']['id']}/end", json={"final_score": score})
    assert ended.status_code == 200, ended.json
    return ended.json["data"]


def board(user, kind, **query):
    r = user.get(f"/api/social/leaderboards/{kind}", query_string=query)
    assert r.status_code == 200, r.json
    return [(e["user_id"], e["score"]) for e in r.json["data"]["entries"]]


def wallet(user) -> dict:
    return user.get("/api/wallet").json["data"]


def entries(user, type_=None) -> list[dict]:
    query = {"per_page": 100, **({"type": type_} if type_ else {})}
    return user.get("/api/wallet/transactions", query_string=query).json["data"]["items"]


def kinds(user, kind):
    return [n for n in user.get("/api/notifications?per_page=50").json["data"]["items"] if n["kind"] == kind]


def decide(staff, session_id, decision, reason="scripted play"):
    return staff.post(f"/api/moderation/sessions/{session_id}/decision", json={"decision": decision, "reason": reason})


def integrity_clean(admin) -> bool:
    report = admin.post("/api/admin/wallets/integrity-check")
    assert report.status_code in (200, 201), report.json
    return report.json["data"]["discrepancies"] == []


def test_a_voided_session_is_taken_back_everywhere_and_ranks_follow(admin, moderator, make_user, clock):
    cheat, ann = make_user("Cheat"), make_user("Ann")
    best = play(cheat, clock, 2000)  # 1000 universal
    play(cheat, clock, 600)  # 300
    play(ann, clock, 1000)  # 500
    game_board = {"game_id": "eco_quiz", "period": "weekly", "period_key": WEEK}
    assert board(ann, "game", **game_board) == [(cheat.id, 1000), (ann.id, 500)]
    assert board(ann, "gaming", period="all_time") == [(cheat.id, 1300), (ann.id, 500)]
    score_before = cheat.get("/api/social/impact-score").json["data"]
    balance_before, earned = wallet(cheat)["balance"], best["credits_earned"]
    [credit] = [e for e in entries(cheat, "earned") if e["source"]["id"] == best["session"]["id"]]

    session_id = best["session"]["id"]
    assert decide(cheat, session_id, "void").status_code == 403  # players cannot
    assert decide(admin, session_id, "void", reason="   ").status_code == 422
    voided = decide(moderator, session_id, "void", reason="an impossible score")
    assert voided.status_code == 200, voided.json
    data = voided.json["data"]
    assert data["status"] == "voided" and data["void"]["reason"] == "an impossible score"
    assert data["void"]["by"] == moderator.id and data["void"]["role"] == "moderator"

    # ranks follow at once: the game board keeps the cheat's best remaining session, the gaming board drops it
    assert board(ann, "game", **game_board) == [(ann.id, 500), (cheat.id, 300)]
    assert board(ann, "gaming", period="all_time") == [(ann.id, 500), (cheat.id, 300)]
    score_after = cheat.get("/api/social/impact-score").json["data"]
    assert score_after["stats"]["sessions_completed"] == score_before["stats"]["sessions_completed"] - 1
    assert score_after["impact_score"] < score_before["impact_score"]

    # the credit stays as it was; a linked reversal takes it back
    assert wallet(cheat)["balance"] == round(balance_before - earned, 2)
    [reversal] = entries(cheat, "reversal")
    assert reversal["amount"] == -earned and reversal["source"]["key"] == f"session:{session_id}"
    assert reversal["breakdown"] == {"reversed": earned, "unrecovered": 0}
    assert [e for e in entries(cheat, "earned") if e["id"] == credit["id"]] == [credit]
    assert integrity_clean(admin)

    # the player sees why, the decision is audited, and nothing happens twice
    mine = cheat.get(f"/api/games/sessions/{session_id}").json["data"]
    assert mine["status"] == "voided" and mine["void_reason"] == "an impossible score"
    [notice] = kinds(cheat, "session_voided")
    assert "an impossible score" in notice["body"] and notice["data"]["session_id"] == session_id
    [audit] = admin.get("/api/admin/audit", query_string={"action": "game_session.decide"}).json["data"]["items"]
    assert audit["actor_id"] == moderator.id
    again = decide(admin, session_id, "void")
    assert again.status_code == 409 and again.json["message"] == "SESSION_ALREADY_VOIDED"
    ended = cheat.post(f"/api/games/sessions/{session_id}/end", json={"final_score": 2000})
    assert ended.status_code == 409 and ended.json["message"] == "SESSION_VOIDED"
    assert len(entries(cheat, "reversal")) == 1


def test_void_decisions_refuse_the_wrong_session_or_state(admin, moderator, make_user, clock):
    player = make_user("Pat")
    open_ = player.post("/api/games/sessions", json={"game_id": "eco_quiz"}).json["data"]
    not_done = decide(moderator, open_["id"], "void")
    assert not_done.status_code == 409 and not_done.json["message"] == "SESSION_NOT_COMPLETED"
    unknown = decide(moderator, "0" * 24, "void")
    assert unknown.status_code == 404 and unknown.json["message"] == "SESSION_NOT_FOUND"
    bad = moderator.post(f"/api/moderation/sessions/{open_['id']}/decision", json={"decision": "ban", "reason": "x"})
    assert bad.status_code == 422
    clock.advance(minutes=3)
    player.post(f"/api/games/sessions/{open_['id']}/end", json={"final_score": 800})
    not_flagged = decide(moderator, open_["id"], "approve")
    assert not_flagged.status_code == 409 and not_flagged.json["message"] == "SESSION_NOT_IN_REVIEW"
    own = play(moderator, clock, 500)
    refused = decide(moderator, own["session"]["id"], "void")
    assert refused.status_code == 403 and refused.json["message"] == "OWN_CASE"


def test_credits_already_donated_are_recorded_as_unrecovered_never_overdrawn(
    admin, moderator, make_user, clock, fund, charity
):
    player = make_user("Pat")
    ended = play(player, clock, 2000, minutes=10)
    earned = ended["credits_earned"]
    assert earned > 0
    fund(player, 5)
    everything = wallet(player)["balance"]
    donated = player.post("/api/donations/process", json={"onlus_id": charity, "amount": everything})
    assert donated.status_code == 201, donated.json
    assert decide(moderator, ended["session"]["id"], "void").status_code == 200
    assert wallet(player)["balance"] == 0  # never below zero
    [reversal] = entries(player, "reversal")
    assert reversal["amount"] == 0 and reversal["breakdown"] == {"reversed": 0, "unrecovered": earned}
    assert integrity_clean(admin)


def test_the_review_queue_approves_or_voids_flagged_sessions(admin, moderator, make_user, clock):
    player = make_user("Fay")
    play(player, clock, 600)
    play(player, clock, 600)
    assert moderator.get("/api/moderation/sessions").json["data"]["total"] == 0
    held_one, held_two = play(player, clock, 600), play(player, clock, 600)
    assert held_one["credits_earned"] == 0 and held_two["credits_earned"] == 0
    held_total = wallet(player)["held"]
    assert held_total > 0

    assert player.get("/api/moderation/sessions").status_code == 403
    queue = moderator.get("/api/moderation/sessions").json["data"]
    assert [s["id"] for s in queue["items"]] == [held_one["session"]["id"], held_two["session"]["id"]]
    first = queue["items"][0]
    assert first["user_id"] == player.id and first["review"]["status"] == "pending"
    assert first["review"]["held"] > 0 and first["review"]["reasons"]

    balance = wallet(player)["balance"]
    approved = decide(moderator, held_one["session"]["id"], "approve", reason="a fast but honest player")
    assert approved.status_code == 200, approved.json
    assert approved.json["data"]["review"]["status"] == "approved"
    assert approved.json["data"]["status"] == "completed"
    released = first["review"]["held"]
    assert wallet(player)["balance"] == round(balance + released, 2)
    [approval] = kinds(player, "session_approved")
    assert approval["data"]["session_id"] == held_one["session"]["id"]
    twice = decide(moderator, held_one["session"]["id"], "approve")
    assert twice.status_code == 409 and twice.json["message"] == "SESSION_NOT_IN_REVIEW"

    voided = decide(admin, held_two["session"]["id"], "void", reason="scripted play")
    assert voided.status_code == 200 and voided.json["data"]["review"]["status"] == "voided"
    assert wallet(player)["held"] == 0  # the held credits are forfeited
    assert wallet(player)["balance"] == round(balance + released, 2)
    assert entries(player, "reversal") == []  # nothing had reached the balance
    assert moderator.get("/api/moderation/sessions").json["data"]["total"] == 0
    decided = moderator.get("/api/moderation/sessions", query_string={"status": "voided"}).json["data"]
    assert [s["id"] for s in decided["items"]] == [held_two["session"]["id"]]
    assert integrity_clean(admin)


def test_held_credits_settled_from_the_wallet_close_the_review(admin, moderator, make_user, clock):
    player = make_user("Fay")
    for _ in range(3):
        held = play(player, clock, 600)
    [entry] = [e for e in entries(player, "earned") if e["status"] == "held"]
    released = admin.post(
        f"/api/admin/wallets/{player.id}/held/{entry['id']}/release", json={"approve": True, "reason": "reviewed"}
    )
    assert released.status_code == 201
    assert moderator.get("/api/moderation/sessions").json["data"]["total"] == 0
    [closed] = moderator.get("/api/moderation/sessions", query_string={"status": "approved"}).json["data"]["items"]
    assert closed["id"] == held["session"]["id"] and closed["review"]["decision"]["via"] == "wallet"


def test_a_void_that_arrives_before_the_completion_is_counted_means_it_never_counts(container, make_user):
    """The hook events of one session may be handled out of order (a handler failing and retried): the void
    takes the completion's place, in the wallet and in the scores, and is applied once however often it is
    delivered."""
    player = make_user("Pat")
    hooks, now = container.infra.hooks, container.games.clock()
    sid = uuid.uuid4().hex
    completed = hooks.record(
        GameSessionComplete(
            session_id=sid,
            user_id=player.id,
            game_id="eco_quiz",
            game_category="quiz",
            play_seconds=600,
            raw_score=2000,
            universal_score=1000,
            started_at=now - timedelta(minutes=10),
            completed_at=now,
        ),
        key=f"session:{sid}",
    )
    voided = SessionVoided(
        session_id=sid,
        user_id=player.id,
        game_id="eco_quiz",
        universal_score=1000,
        play_seconds=600,
        completed_at=now,
        completed_event_id=completed,
        reason="scripted play",
        actor_id="a-moderator",
        voided_at=now,
    )
    void_event = hooks.publish(voided, key=f"session_voided:{sid}")
    hooks.dispatch(completed)
    container.donations.credits.void_session(voided)  # a second delivery of the void
    hooks.dispatch(void_event)

    assert wallet(player)["balance"] == 0 and wallet(player)["held"] == 0
    [claim] = entries(player)
    assert (claim["type"], claim["status"], claim["amount"]) == ("earned", "voided", 0)
    score = player.get("/api/social/impact-score").json["data"]
    assert score["stats"].get("sessions_completed", 0) == 0
    assert board(player, "game", game_id="eco_quiz", period="all_time") == []
    assert len(kinds(player, "session_voided")) == 1
