"""Hook handlers of the social module on the real server: sessions, donations, logins, achievements,
exactly once per event."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from bson import ObjectId

from app.core.clock import utcnow
from app.core.events import UserLogin
from app.donations.events import DonationComplete, DonationRefunded
from app.games.events import ChallengeComplete, GameSessionComplete, TournamentComplete
from app.social.models.periods import period_key
from tests.support import race


def session_event(user_id, *, score=500, game_id="game-1", at=None, streak=1, play_seconds=600, session_id=None):
    at = at or utcnow()
    return GameSessionComplete(
        session_id=session_id or uuid.uuid4().hex,
        user_id=user_id,
        game_id=game_id,
        game_category="puzzle",
        play_seconds=play_seconds,
        raw_score=score,
        universal_score=score,
        started_at=at - timedelta(seconds=play_seconds),
        completed_at=at,
        streak_days=streak,
    )


def donation_event(user_id, cents, *, onlus="onlus-1", donation_id=None, at=None):
    return DonationComplete(
        donation_id=donation_id or uuid.uuid4().hex,
        user_id=user_id,
        onlus_id=onlus,
        onlus_name="Onlus",
        onlus_category="health",
        amount_cents=cents,
        source="wallet",
        completed_at=at or utcnow(),
    )


def publish(container, payload, key=None):
    return container.infra.hooks.publish(payload, key=key)


def score_doc(container, user_id):
    return container.infra.db.user_impact_scores.find_one({"_id": user_id}) or {}


def entry(container, board, user_id, period="all_time"):
    doc = container.infra.db.leaderboard_entries.find_one({"board": board, "period": period, "user_id": user_id})
    return doc["score"] if doc else None


def test_a_completed_session_updates_score_boards_and_achievements(container, user):
    publish(container, session_event(user.id, score=480, game_id="g1"), key="session:s1")

    doc = score_doc(container, user.id)
    assert doc["stats"]["sessions_completed"] == 1
    assert doc["points"]["gaming"] == 48
    # first_session (10 pts) unlocks and its points land in the social component
    assert doc["points"]["social"] == 10
    assert doc["impact_score"] == 48 * 1 + 10 * 2
    now = utcnow()
    for period in ("all_time", period_key("daily", now), period_key("weekly", now), period_key("monthly", now)):
        assert entry(container, "gaming", user.id, period) == 480
        assert entry(container, "game:g1", user.id, period) == 480
        assert entry(container, "impact_score", user.id, period) == 68
    unlocked = container.infra.db.user_achievements.find_one({"user_id": user.id, "achievement_id": "first_session"})
    assert unlocked["unlocked_at"] is not None
    assert container.infra.db.hook_events.count_documents({"key": f"achievement:{user.id}:first_session"}) == 1


def test_the_same_session_event_delivered_twice_counts_once(container, user):
    event_id = publish(container, session_event(user.id, score=300), key="session:dup")
    container.infra.hooks.dispatch(event_id, statuses=("done",))  # redelivery of a handled event
    publish(container, session_event(user.id, score=300), key="session:dup")  # same business key again

    doc = score_doc(container, user.id)
    assert doc["stats"]["sessions_completed"] == 1
    assert entry(container, "gaming", user.id) == 300
    assert container.infra.db.user_achievements.count_documents({"user_id": user.id, "unlocked_at": {"$ne": None}}) == 1


def test_concurrent_deliveries_of_one_event_apply_it_once(container, user):
    event_id = container.infra.hooks.record(session_event(user.id, score=250), key="session:race")
    results = race(lambda _: container.infra.hooks.dispatch(event_id, statuses=("pending", "done")), 4)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert score_doc(container, user.id)["stats"]["sessions_completed"] == 1
    assert entry(container, "gaming", user.id) == 250


def test_parallel_sessions_of_one_user_are_all_counted(container, user):
    events = [container.infra.hooks.record(session_event(user.id, score=100), key=f"session:p{i}") for i in range(6)]
    results = race(lambda i: container.infra.hooks.dispatch(events[i]), len(events))
    assert not [r for r in results if isinstance(r, Exception)], results
    doc = score_doc(container, user.id)
    assert doc["stats"]["sessions_completed"] == 6
    assert entry(container, "gaming", user.id) == 600
    assert entry(container, "game:game-1", user.id) == 100  # a game's board keeps the best session


def test_a_failure_midway_leaves_nothing_half_applied_and_the_retry_applies_it(container, user, monkeypatch):
    scoring = container.social.scoring
    original = scoring.boards.write_counts_many

    def flaky(*args, **kwargs):  # after the entries were written, inside the same transaction
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(scoring.boards, "write_counts_many", flaky)
    event_id = publish(container, session_event(user.id, score=200), key="session:flaky")
    doc = container.infra.db.hook_events.find_one({"_id": event_id})
    assert doc["handlers"]["social:session_complete"]["status"] == "failed"
    assert score_doc(container, user.id).get("stats", {}).get("sessions_completed") is None
    assert container.infra.db.leaderboard_entries.count_documents({"user_id": user.id}) == 0

    monkeypatch.setattr(scoring.boards, "write_counts_many", original)
    container.infra.hooks.replay(event_id)
    assert score_doc(container, user.id)["stats"]["sessions_completed"] == 1
    assert entry(container, "gaming", user.id) == 200


def test_donations_and_refunds_move_the_donation_board_in_the_original_period(container, user):
    last_month = utcnow().replace(day=1) - timedelta(days=3)
    publish(container, donation_event(user.id, 1250, onlus="a", donation_id="d1", at=last_month), key="donation:d1")
    publish(container, donation_event(user.id, 500, onlus="b", donation_id="d2"), key="donation:d2")
    doc = score_doc(container, user.id)
    assert doc["stats"]["donated_cents"] == 1750
    assert doc["stats"]["onlus_count"] == 2
    assert doc["points"]["donations"] == 17
    assert entry(container, "donations", user.id, period_key("monthly", last_month)) == 1250
    first = container.infra.db.user_achievements.find_one({"user_id": user.id, "achievement_id": "first_donation"})
    assert first["unlocked_at"] is not None

    refund = DonationRefunded(
        donation_id="d1",
        user_id=user.id,
        onlus_id="a",
        onlus_category="health",
        amount_cents=1250,
        refunded_at=utcnow(),
    )
    publish(container, refund, key="refund:d1")
    publish(container, refund)  # a second refund event for the same donation takes nothing more
    doc = score_doc(container, user.id)
    assert doc["stats"]["donated_cents"] == 500
    assert doc["points"]["donations"] == 5
    assert entry(container, "donations", user.id, period_key("monthly", last_month)) == 0
    assert entry(container, "donations", user.id) == 500


def test_daily_logins_build_a_streak_and_repeat_logins_the_same_day_do_not(container, user):
    start = datetime(2026, 3, 1, 9, 0)
    for day in range(7):
        publish(container, UserLogin(user_id=user.id, logged_in_at=start + timedelta(days=day)))
        publish(container, UserLogin(user_id=user.id, logged_in_at=start + timedelta(days=day, hours=5)))
    doc = score_doc(container, user.id)
    assert doc["login"]["streak"] == 7
    assert doc["stats"]["login_streak_days"] == 7
    assert (
        container.infra.db.user_achievements.find_one({"user_id": user.id, "achievement_id": "login_streak_7"})[
            "unlocked_at"
        ]
        is not None
    )
    publish(container, UserLogin(user_id=user.id, logged_in_at=start + timedelta(days=9)))
    doc = score_doc(container, user.id)
    assert doc["login"]["streak"] == 1
    assert doc["stats"]["login_streak_days"] == 7


def test_tournament_and_challenge_wins_unlock_competition_achievements(container, make_user):
    winner, loser = make_user(), make_user()
    publish(
        container,
        TournamentComplete(
            tournament_id="t1",
            tournament_name="Cup",
            tournament_type="solo",
            completed_at=utcnow(),
            results=[
                {"rank": 1, "user_id": winner.id, "score": 9, "reward_cents": 100},
                {"rank": 2, "user_id": loser.id, "score": 5, "reward_cents": 0},
            ],
        ),
        key="tournament:t1",
    )
    publish(
        container,
        ChallengeComplete(
            challenge_id="c1",
            game_id="g",
            participant_ids=[winner.id, loser.id],
            winner_ids=[winner.id],
            completed_at=utcnow(),
        ),
        key="challenge:c1",
    )
    won = {
        a["achievement_id"]
        for a in container.infra.db.user_achievements.find({"user_id": winner.id, "unlocked_at": {"$ne": None}})
    }
    assert {"tournament_wins_1", "challenge_wins_1"} <= won
    assert score_doc(container, winner.id)["points"]["gaming"] == 150
    assert score_doc(container, loser.id)["stats"]["challenge_wins"] == 0


def test_impact_milestone_unlocks_once_score_crosses_it(container, user):
    publish(container, donation_event(user.id, 2500))  # 25 donation points * 5 = 125 (+ achievement points)
    ids = {
        a["achievement_id"]
        for a in container.infra.db.user_achievements.find({"user_id": user.id, "unlocked_at": {"$ne": None}})
    }
    assert "impact_100" in ids


def test_registration_creates_an_empty_score(container, make_user):
    fresh = make_user()
    doc = score_doc(container, fresh.id)
    assert doc["impact_score"] == 0 and doc["points"] == {"gaming": 0, "social": 0, "donations": 0}


def test_trees_of_the_previous_layout_are_rebuilt_from_the_entries_at_start_up(container, make_user):
    boards = container.social.scoring.boards
    scores = [1500, 300, 300, 5000, 0]  # 1500 and 5000 sit under other upper nodes than 0 and 300
    for i, score in enumerate(scores):
        publish(container, session_event(make_user().id, score=score), key=f"session:tree{i}")

    def view():
        tree = boards.tree("gaming", "all_time")
        return (
            [tree.score_at(p) for p in range(1, 7)],
            [tree.count_above(s) for s in (0, 300, 1500, 5000)],
            tree.total(),
        )

    assert view() == ([5000, 1500, 300, 300, 0, None], [4, 2, 1, 0], 5)

    # an upgrade from the previous layout: entries keyed by ObjectId under a unique (board, period,
    # user_id) index, trees in leaderboard_counts, no leaderboard_tree
    entries = container.infra.db.leaderboard_entries
    old = [dict(doc, _id=ObjectId()) for doc in entries.find()]
    entries.delete_many({})
    entries.create_index([("board", 1), ("period", 1), ("user_id", 1)], unique=True)
    entries.insert_many(old)
    container.infra.db.leaderboard_counts.insert_one({"_id": "gaming|all_time|0|0|3", "c": {"1": 1}})
    container.infra.db.leaderboard_tree.delete_many({})
    periods = 4  # all_time, daily, weekly, monthly of the boards gaming, game:game-1 and impact_score
    assert boards.migrate() == 3 * periods
    assert view() == ([5000, 1500, 300, 300, 0, None], [4, 2, 1, 0], 5)
    assert entries.count_documents({"_id": {"$type": "objectId"}}) == 0
    assert entries.count_documents({}) == len(old)
    assert "board_1_period_1_user_id_1" not in entries.index_information()
    assert "leaderboard_counts" not in container.infra.db.list_collection_names()
    assert boards.migrate() == 0
    # and the moved boards keep counting
    publish(container, session_event(make_user().id, score=2000), key="session:tree-after")
    assert view() == ([5000, 2000, 1500, 300, 300, 0], [5, 3, 2, 0], 6)
