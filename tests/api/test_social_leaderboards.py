"""Leaderboards, Impact Score and achievements over HTTP, driven by real game sessions and hook events."""

from __future__ import annotations

import uuid
from datetime import timedelta

from app.core.clock import utcnow
from app.games.events import GameSessionComplete
from app.social.models.periods import period_key


def play(container, user_id, score, *, game_id="g1", at=None):
    at = at or utcnow()
    sid = uuid.uuid4().hex
    container.infra.hooks.publish(
        GameSessionComplete(
            session_id=sid,
            user_id=user_id,
            game_id=game_id,
            game_category="puzzle",
            play_seconds=300,
            raw_score=score,
            universal_score=score,
            started_at=at - timedelta(minutes=5),
            completed_at=at,
        ),
        key=f"session:{sid}",
    )


def board(user, kind="gaming", **query):
    query.setdefault("period", "all_time")
    r = user.get(f"/api/social/leaderboards/{kind}", query_string=query)
    assert r.status_code == 200, r.json
    return r.json["data"]


def test_global_board_has_top_my_rank_and_around_me(container, make_user):
    users = [make_user(f"P{i}") for i in range(7)]
    for i, u in enumerate(users):
        play(container, u.id, 100 * (i + 1))  # P6 best with 700 ... P0 worst with 100
    data = board(users[2], limit=3, around=1)
    assert [e["score"] for e in data["entries"]] == [700, 600, 500]
    assert [e["rank"] for e in data["entries"]] == [1, 2, 3]
    assert data["entries"][0]["user_id"] == users[6].id and data["entries"][0]["display_name"].startswith("P6")
    assert data["me"] == {"rank": 5, "score": 300}
    assert [(e["rank"], e["score"]) for e in data["around_me"]] == [(4, 400), (5, 300), (6, 200)]
    assert data["total"] == 7 and data["period"] == "all_time" and data["type"] == "gaming"
    assert set(data["entries"][0]) == {"rank", "user_id", "display_name", "score"}


def test_ties_share_a_rank(container, make_user):
    a, b, c = make_user(), make_user(), make_user()
    play(container, a.id, 500)
    play(container, b.id, 500)
    play(container, c.id, 300)
    data = board(c)
    assert [e["rank"] for e in data["entries"]] == [1, 1, 3]
    assert data["me"] == {"rank": 3, "score": 300}
    assert board(a)["me"]["rank"] == 1 and board(b)["me"]["rank"] == 1


def test_a_user_without_score_gets_a_null_rank(container, make_user):
    a, newcomer = make_user(), make_user()
    play(container, a.id, 100)
    data = board(newcomer)
    assert data["me"] == {"rank": None, "score": 0} and data["around_me"] == []


def test_opted_out_users_are_hidden_from_others_but_see_their_own_rank(container, make_user):
    shy, top, me = make_user("Shy"), make_user("Top"), make_user("Me")
    play(container, shy.id, 900)
    play(container, top.id, 800)
    play(container, me.id, 100)
    assert board(me)["me"]["rank"] == 3  # the opted-out list is now cached: opting out must still show at once
    assert shy.put("/api/preferences", json={"privacy": {"show_on_leaderboards": False}}).status_code == 200
    mine = board(me)
    assert shy.id not in [e["user_id"] for e in mine["entries"] + mine["around_me"]]
    assert mine["me"]["rank"] == 2 and mine["total"] == 2
    own = board(shy)
    assert own["me"] == {"rank": 1, "score": 900}
    assert [e["user_id"] for e in own["around_me"]][:1] == [shy.id]
    assert [e["user_id"] for e in board(top, scope="friends")["entries"]] == [top.id]
    assert shy.put("/api/preferences", json={"privacy": {"show_on_leaderboards": True}}).status_code == 200
    assert board(me)["me"]["rank"] == 3


def test_periods_are_separate_buckets(container, make_user):
    u = make_user()
    last_week = utcnow() - timedelta(days=8)
    play(container, u.id, 400, at=last_week)
    play(container, u.id, 100)
    assert board(u, period="all_time")["me"]["score"] == 500
    assert board(u, period="weekly")["me"]["score"] == 100
    past = board(u, period="weekly", period_key=period_key("weekly", last_week).split(":")[1])
    assert past["me"]["score"] == 400
    assert board(u, period="daily")["me"]["score"] == 100
    assert u.get("/api/social/leaderboards/gaming?period=weekly&period_key=2026-13").status_code == 422


def test_friends_scope_over_http(container, make_user):
    ada, bob, eve = make_user("Ada"), make_user("Bob"), make_user("Eve")
    rid = ada.post("/api/social/friends/requests", json={"user_id": bob.id}).json["data"]["id"]
    bob.post(f"/api/social/friends/requests/{rid}/accept")
    for u, s in ((ada, 200), (bob, 300), (eve, 999)):
        play(container, u.id, s)
    data = board(ada, scope="friends")
    assert [e["user_id"] for e in data["entries"]] == [bob.id, ada.id]
    assert data["me"] == {"rank": 2, "score": 200}
    # blocking removes the friend from the friends board
    ada.post("/api/social/blocks", json={"user_id": bob.id})
    assert [e["user_id"] for e in board(ada, scope="friends")["entries"]] == [ada.id]


def test_game_board_keeps_best_session_and_needs_a_game(container, make_user):
    u = make_user()
    play(container, u.id, 300, game_id="eco_quiz")
    play(container, u.id, 200, game_id="eco_quiz")
    assert board(u, "game", game_id="eco_quiz")["me"]["score"] == 300
    assert u.get("/api/social/leaderboards/game?period=all_time").status_code == 422
    assert u.get("/api/social/leaderboards/game?game_id=no-such-game").status_code == 404


def test_bad_leaderboard_queries(user):
    assert user.get("/api/social/leaderboards/nope").status_code == 404
    assert user.get("/api/social/leaderboards/gaming?period=yearly").status_code == 422
    assert user.get("/api/social/leaderboards/gaming?scope=world").status_code == 422
    assert user.get("/api/social/leaderboards/gaming?limit=1000").status_code == 422
    assert user.get("/api/social/leaderboards/gaming?scope=team&team_id=nope").status_code == 404


def test_donation_board_speaks_euros(container, user):
    from app.donations.events import DonationComplete

    container.infra.hooks.publish(
        DonationComplete(
            donation_id="d1",
            user_id=user.id,
            onlus_id="o",
            onlus_name="O",
            onlus_category="c",
            amount_cents=1250,
            source="wallet",
            completed_at=utcnow(),
        ),
        key="donation:d1",
    )
    assert board(user, "donations")["me"] == {"rank": 1, "score": 12.5}


def test_money_stats_and_achievements_speak_euros(container, user):
    from app.donations.events import DonationComplete

    container.infra.hooks.publish(
        DonationComplete(
            donation_id="d1",
            user_id=user.id,
            onlus_id="o",
            onlus_name="O",
            onlus_category="c",
            amount_cents=1250,
            source="wallet",
            completed_at=utcnow(),
        ),
        key="donation:d1",
    )
    stats = user.get("/api/social/impact-score").json["data"]["stats"]
    assert (stats["donated"], stats["donations_count"]) == (12.5, 1) and "donated_cents" not in stats
    mine = {a["achievement_id"]: a for a in user.get("/api/achievements/me").json["data"]}
    assert (mine["donated_1000"]["progress"], mine["donated_1000"]["target"]) == (10, 10)  # "€10 Donated"
    assert (mine["donated_10000"]["progress"], mine["donated_10000"]["target"]) == (12.5, 100)
    assert mine["donated_1000"]["unlocked"] is True
    catalog = {a["id"]: a for a in user.get("/api/achievements").json["data"]}
    assert (catalog["donated_100000"]["metric"], catalog["donated_100000"]["target"]) == ("donated", 1000)
    assert catalog["donated_100000"]["condition"] == {"metric": "donated", "op": ">=", "target": 1000}
    assert (catalog["sessions_10"]["metric"], catalog["sessions_10"]["target"]) == ("sessions_completed", 10)


def test_impact_score_endpoint_and_history(container, user):
    play(container, user.id, 500)
    data = user.get("/api/social/impact-score").json["data"]
    # 50 gaming points (weight 1) + first_session achievement 10 social points (weight 2)
    assert data["impact_score"] == 70
    assert data["components"] == {"gaming": 50, "social": 20, "donations": 0}
    assert data["weights"] == {"gaming": 1, "social": 2, "donations": 5}
    assert data["rank"] == 1
    history = user.get("/api/social/impact-score/history?days=7").json["data"]
    assert history[-1]["impact_score"] == 70 and history[-1]["day"] == f"{utcnow():%Y-%m-%d}"


def test_achievement_catalog_progress_and_badges(container, make_user):
    u, other = make_user(), make_user()
    catalog = u.get("/api/achievements").json["data"]
    ids = {a["id"] for a in catalog}
    assert {"first_session", "sessions_10", "first_donation", "friends_1", "tournament_wins_1"} <= ids
    assert "unstoppable" not in ids  # hidden until unlocked
    assert all({"category", "badge", "points", "target"} <= set(a) for a in catalog)
    for _ in range(3):
        play(container, u.id, 100)
    mine = {a["achievement_id"]: a for a in u.get("/api/achievements/me").json["data"]}
    assert mine["first_session"]["unlocked_at"] is not None
    assert (mine["sessions_10"]["progress"], mine["sessions_10"]["target"]) == (3, 10)
    assert mine["sessions_10"]["unlocked_at"] is None
    badges = u.get("/api/achievements/me/badges").json["data"]
    assert [b["achievement_id"] for b in badges] == ["first_session"]
    assert [b["achievement_id"] for b in other.get(f"/api/achievements/users/{u.id}/badges").json["data"]] == [
        "first_session"
    ]
    u.put("/api/preferences", json={"privacy": {"profile_visibility": "private"}})
    assert other.get(f"/api/achievements/users/{u.id}/badges").status_code == 404
    assert u.get(f"/api/achievements/users/{u.id}/badges").status_code == 200
    assert other.get("/api/achievements/users/unknown/badges").status_code == 404


def test_ending_a_real_session_updates_board_score_and_achievements(clock, user):
    sid = user.post("/api/games/sessions", json={"game_id": "eco_quiz"}).json["data"]["id"]
    clock.now += timedelta(minutes=10)
    ended = user.post(f"/api/games/sessions/{sid}/end", json={"final_score": 800})
    assert ended.status_code == 200, ended.json
    again = user.post(f"/api/games/sessions/{sid}/end", json={"final_score": 800})
    assert again.status_code == 200

    data = board(user)
    assert data["me"]["rank"] == 1 and data["me"]["score"] > 0
    score = data["me"]["score"]
    assert board(user, "game", game_id="eco_quiz")["me"]["score"] == score
    progress = {a["achievement_id"]: a for a in user.get("/api/achievements/me").json["data"]}
    assert progress["first_session"]["unlocked_at"] is not None and progress["sessions_10"]["progress"] == 1
    assert user.get("/api/social/impact-score").json["data"]["components"]["gaming"] == score // 10


def test_team_scope_ranks_my_team_only(container, make_user, monkeypatch):
    ada, bob, rival = make_user(), make_user(), make_user()
    games = container.games.directory
    teams = {ada.id: ["t1"], bob.id: ["t1"], rival.id: ["t2"]}
    monkeypatch.setattr(games, "team_ids_of", lambda user_id: teams.get(user_id, []))
    monkeypatch.setattr(games, "team_member_ids", lambda team_id: [u for u, t in teams.items() if team_id in t])
    for u, s in ((ada, 100), (bob, 200), (rival, 900)):
        play(container, u.id, s)
    data = board(ada, scope="team")
    assert [e["user_id"] for e in data["entries"]] == [bob.id, ada.id] and data["me"]["rank"] == 2
    assert ada.get("/api/social/leaderboards/gaming?scope=team&team_id=t2").status_code == 404
    assert make_user().get("/api/social/leaderboards/gaming?scope=team").status_code == 404


def test_private_badges_stay_private_through_an_upper_case_id(make_user):
    u, other = make_user(), make_user()
    assert u.put("/api/preferences", json={"privacy": {"profile_visibility": "private"}}).status_code == 200
    for spelling in (u.id, u.id.upper()):
        assert other.get(f"/api/achievements/users/{spelling}/badges").status_code == 404, spelling
    assert u.get(f"/api/achievements/users/{u.id.upper()}/badges").status_code == 200
