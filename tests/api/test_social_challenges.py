"""Community challenges over HTTP, the weekly reset job and the demo seeder."""

from __future__ import annotations

import uuid
from datetime import timedelta

from app.core.clock import utcnow
from app.donations.events import DonationComplete
from app.games.events import GameSessionComplete
from app.social.models.periods import period_key, previous_week
from app.social.setup import seed_challenges


def play(container, user_id, score=100, at=None):
    at = at or utcnow()
    sid = uuid.uuid4().hex
    container.infra.hooks.publish(
        GameSessionComplete(
            session_id=sid,
            user_id=user_id,
            game_id="g",
            game_category="puzzle",
            play_seconds=120,
            raw_score=score,
            universal_score=score,
            started_at=at - timedelta(minutes=2),
            completed_at=at,
        ),
        key=f"session:{sid}",
    )
    return sid


def create(user, **body):
    body = {"title": "Play together", "metric": "sessions", **body}
    if body["metric"] != "donations":
        body.setdefault("target", 3)
    r = user.post("/api/social/challenges", json=body)
    assert r.status_code == 201, r.json
    return r.json["data"]


def test_participants_progress_complete_and_get_rewarded_once(container, make_user, admin):
    ada, bob, lurker = make_user(), make_user(), make_user()
    ch = create(admin, target=3, reward_points=40)
    assert ch["status"] == "active" and ch["joined"] and ch["progress"] == 0 and ch["target"] == 3
    for u in (ada, bob, lurker):
        assert u.post(f"/api/social/challenges/{ch['id']}/join").status_code == 200
    assert ada.post(f"/api/social/challenges/{ch['id']}/join").json["message"] == "CHALLENGE_ALREADY_JOINED"

    play(container, ada.id)
    sid = play(container, bob.id)
    container.infra.hooks.publish(
        GameSessionComplete(  # same session delivered again: no extra progress
            session_id=sid,
            user_id=bob.id,
            game_id="g",
            game_category="puzzle",
            play_seconds=120,
            raw_score=100,
            universal_score=100,
            started_at=utcnow(),
            completed_at=utcnow(),
        ),
        key=f"session:{sid}",
    )
    assert ada.get(f"/api/social/challenges/{ch['id']}").json["data"]["progress"] == 2
    play(container, ada.id)
    play(container, ada.id)  # after completion: no more progress, no second reward

    done = ada.get(f"/api/social/challenges/{ch['id']}").json["data"]
    assert done["status"] == "completed" and done["progress"] == 3 and done["percent"] == 100
    parts = {
        p["user_id"]: p["contribution"]
        for p in ada.get(f"/api/social/challenges/{ch['id']}/participants").json["data"]["items"]
    }
    assert parts == {admin.id: 0, ada.id: 2, bob.id: 1, lurker.id: 0}
    scores = {u.id: container.infra.db.user_impact_scores.find_one({"_id": u.id}) for u in (ada, bob, lurker)}
    assert scores[ada.id]["stats"]["social_challenges_completed"] == 1
    assert scores[bob.id]["stats"]["social_challenges_completed"] == 1
    assert scores[lurker.id]["stats"].get("social_challenges_completed", 0) == 0
    community = {b["achievement_id"] for b in bob.get("/api/achievements/me/badges").json["data"]}
    assert "community_1" in community
    # 40 reward + achievements community_1 (30), first_session (10) and impact_100 (10): Impact 10 + 2 * 90
    assert scores[bob.id]["points"]["social"] == 90 and scores[bob.id]["impact_score"] == 190
    assert ada.post(f"/api/social/challenges/{ch['id']}/join").status_code == 409


def test_donation_challenge_counts_euros(container, make_user):
    u = make_user()
    ch = create(u, metric="donations", target_amount=20, title="Give 20")
    assert (ch["metric"], ch["target"]) == ("donations", 20)
    container.infra.hooks.publish(
        DonationComplete(
            donation_id="d",
            user_id=u.id,
            onlus_id="o",
            onlus_name="O",
            onlus_category="c",
            amount_cents=1250,
            source="wallet",
            completed_at=utcnow(),
        ),
        key="donation:d",
    )
    assert u.get(f"/api/social/challenges/{ch['id']}").json["data"]["progress"] == 12.5


def test_a_donation_challenge_is_named_in_euros_only(make_user):
    ada = make_user()
    stored_name = {"title": "Give", "metric": "donation_cents", "target_amount": 5}
    refused = ada.post("/api/social/challenges", json=stored_name)
    assert refused.status_code == 422 and "metric" in refused.json["errors"]
    listed = ada.get("/api/social/challenges").json["data"]
    assert all(c["metric"] != "donation_cents" for c in listed["items"])


def test_challenge_validation_and_permissions(make_user):
    ada, bob = make_user(), make_user()
    assert ada.post("/api/social/challenges", json={"title": "x", "metric": "sessions", "target": 3}).status_code == 422
    assert (
        ada.post("/api/social/challenges", json={"title": "Give", "metric": "donations", "target": 3}).status_code
        == 422
    )
    assert ada.post("/api/social/challenges", json={"title": "Play", "metric": "sessions"}).status_code == 422
    assert (
        ada.post(
            "/api/social/challenges", json={"title": "Play", "metric": "sessions", "target": 3, "status": "completed"}
        ).status_code
        == 422
    )
    assert (
        ada.post(
            "/api/social/challenges", json={"title": "Play", "metric": "sessions", "target": 3, "reward_points": 500}
        ).status_code
        == 403
    )
    private = create(ada, visibility="friends")
    assert bob.get(f"/api/social/challenges/{private['id']}").status_code == 404
    assert bob.post(f"/api/social/challenges/{private['id']}/join").status_code == 404
    assert private["id"] not in [c["id"] for c in bob.get("/api/social/challenges").json["data"]["items"]]
    rid = ada.post("/api/social/friends/requests", json={"user_id": bob.id}).json["data"]["id"]
    bob.post(f"/api/social/friends/requests/{rid}/accept")
    assert bob.post(f"/api/social/challenges/{private['id']}/join").status_code == 200
    assert bob.post(f"/api/social/challenges/{private['id']}/leave").json["data"]["joined"] is False
    assert bob.post(f"/api/social/challenges/{private['id']}/leave").status_code == 404
    assert bob.get("/api/social/challenges/not-an-id").status_code == 404


def test_listing_filters_and_expiry(container, make_user):
    u = make_user()
    ch = create(u, days=1)
    assert [c["id"] for c in u.get("/api/social/challenges?joined=true").json["data"]["items"]] == [ch["id"]]
    container.infra.db.social_challenges.update_one({}, {"$set": {"ends_at": utcnow() - timedelta(minutes=1)}})
    assert u.get("/api/social/challenges?status=active").json["data"]["total"] == 0
    assert u.get(f"/api/social/challenges/{ch['id']}").json["data"]["status"] == "expired"
    assert u.post(f"/api/social/challenges/{ch['id']}/join").status_code in (409,)
    assert container.social.challenges.expire_due() == 1
    assert u.get("/api/social/challenges?status=expired").json["data"]["total"] == 1


def test_demo_seeder_is_idempotent(container, user):
    repo = container.social.challenges.repo
    seed_challenges(repo)
    seed_challenges(repo)
    items = user.get("/api/social/challenges?status=active").json["data"]["items"]
    assert len(items) == 2 and all(c["created_by"] is None for c in items)


def test_weekly_reset_announces_winners_once(container, make_user):
    week, _ = previous_week(utcnow())
    last_week_day = utcnow() - timedelta(days=7)
    assert period_key("weekly", last_week_day) == f"weekly:{week}"
    a, b, shy = make_user("Alpha"), make_user("Beta"), make_user("Shy")
    play(container, a.id, 900, at=last_week_day)
    play(container, b.id, 500, at=last_week_day)
    play(container, shy.id, 999, at=last_week_day)
    shy.put("/api/preferences", json={"privacy": {"show_on_leaderboards": False}})

    first = container.social.leaderboards.close_week()
    second = container.social.leaderboards.close_week()
    assert first == second
    assert container.infra.db.hook_events.count_documents({"key": f"weekly_reset:{week}"}) == 1
    winners = a.get(f"/api/social/leaderboards/winners/{week}").json["data"]
    gaming = [(w["rank"], w["user_id"]) for w in winners if w["leaderboard"] == "gaming"]
    assert gaming == [(1, a.id), (2, b.id)]
    assert a.get("/api/social/leaderboards/winners/bad-week").status_code == 422


def test_impact_history_snapshot_job(container, user):
    written = container.social.impact.snapshot_history()
    assert written >= 1
    assert container.social.impact.snapshot_history() == 0
