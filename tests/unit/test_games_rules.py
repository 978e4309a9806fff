"""Pure rules of the games module: plugins, play time, streaks, mode schedules, deciding and ranking."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from app.games.models import competition as comp
from app.games.models import modes, team
from app.games.models import session as sess
from app.games.plugins import load_plugins

PLUGINS = load_plugins()


def test_at_least_three_distinct_games_ship_as_plugins():
    assert len(PLUGINS) >= 3
    assert len({p.metadata.category for p in PLUGINS.values()}) >= 3
    for game_id, plugin in PLUGINS.items():
        entry = plugin.catalog_entry()
        assert entry["name"] and entry["description"] and entry["max_score_per_minute"] > 0
        assert plugin.metadata.id == game_id


@pytest.mark.parametrize("game_id", sorted(PLUGINS))
def test_universal_score_stays_on_scale_and_never_drops_as_raw_score_rises(game_id):
    plugin = PLUGINS[game_id]
    previous = -1
    for raw in range(0, 100_001, 50):
        value = plugin.universal_score(raw, 600)
        assert 0 <= value <= 1000
        assert value >= previous
        previous = value
    assert plugin.universal_score(0, 600) == 0


@pytest.mark.parametrize("game_id", sorted(PLUGINS))
def test_a_score_faster_than_the_game_allows_is_rejected(game_id):
    plugin = PLUGINS[game_id]
    limit = plugin.max_plausible_score(60)
    assert plugin.check_score(limit * 10 + 10, 60)
    assert plugin.check_score(-1, 60)
    assert plugin.check_score(True, 60)
    assert plugin.check_score(0, 0) == []


def test_game_specific_score_rules():
    quiz, memory, words = PLUGINS["eco_quiz"], PLUGINS["memory_match"], PLUGINS["word_sprint"]
    assert quiz.check_score(150, 600)  # not a multiple of 100
    assert quiz.check_score(2100, 3600)  # only 20 questions
    assert quiz.universal_score(2000, 300) == 1000
    assert memory.check_score(75, 600)  # pairs are worth 50
    assert memory.universal_score(900, 60) == 1000  # whole board in a minute
    assert memory.universal_score(900, 600) < 1000  # slower clear, smaller bonus
    assert words.check_score(15, 600)  # 10 points per letter
    assert words.check_score(400, 50) == []  # 400/min with the grace period


@pytest.mark.parametrize("game_id", sorted(PLUGINS))
def test_the_published_score_rules_are_the_ones_checked(game_id):
    plugin = PLUGINS[game_id]
    entry = plugin.catalog_entry()
    step, cap, rate = entry["score_step"], entry["max_score"], entry["max_score_per_minute"]
    long_enough = 3600
    best = cap if cap is not None else rate * 60
    assert best % step == 0 and plugin.check_score(best, long_enough) == []
    if step > 1:
        assert plugin.check_score(step + 1, long_enough) == [f"{plugin.metadata.name} scores are multiples of {step}."]
    if cap is not None:
        assert plugin.check_score(cap + step, long_enough)
    assert plugin.check_score(rate + step * 10, 50)  # faster than max_score_per_minute (plus the grace period)


def test_play_time_excludes_pauses_and_claims_only_lower_it():
    start = datetime(2026, 1, 1, 10)
    doc = {"started_at": start, "paused_seconds": 60, "status": "active"}
    assert sess.measured_play_seconds(doc, start + timedelta(minutes=5)) == 240
    paused = {**doc, "status": "paused", "paused_at": start + timedelta(minutes=4)}
    assert sess.measured_play_seconds(paused, start + timedelta(hours=1)) == 180
    assert sess.credited_play_seconds(240, claimed=9999) == 240
    assert sess.credited_play_seconds(240, claimed=100) == 100
    assert sess.credited_play_seconds(240, time_limit=180, max_session_seconds=200) == 180


def test_paused_time_counts_a_pause_still_running():
    start = datetime(2026, 1, 1, 10)
    active = {"started_at": start, "paused_seconds": 60, "status": "active", "paused_at": None}
    assert sess.paused_seconds_at(active, start + timedelta(hours=1)) == 60
    paused = {**active, "status": "paused", "paused_at": start + timedelta(minutes=4)}
    assert sess.paused_seconds_at(paused, start + timedelta(minutes=10)) == 60 + 360
    assert sess.paused_seconds_at(paused, start) == 60  # a clock behind the pause adds nothing
    assert sess.paused_seconds_at({"status": "active"}, start) == 0


def test_a_session_is_stale_past_the_limit_of_its_status():
    now, idle, ttl = datetime(2026, 1, 1, 12), timedelta(minutes=30), timedelta(hours=24)
    active = {"status": "active", "last_activity_at": now - timedelta(minutes=31)}
    assert sess.is_stale(active, now, idle=idle, paused_ttl=ttl)
    assert not sess.is_stale(
        {**active, "last_activity_at": now - timedelta(minutes=29)}, now, idle=idle, paused_ttl=ttl
    )
    paused = {"status": "paused", "last_activity_at": now - timedelta(hours=3)}
    assert not sess.is_stale(paused, now, idle=idle, paused_ttl=ttl)
    assert sess.is_stale({**paused, "last_activity_at": now - timedelta(hours=25)}, now, idle=idle, paused_ttl=ttl)


def test_session_status_moves():
    assert sess.REACHABLE_FROM[sess.PAUSED] == (sess.ACTIVE,)
    assert sess.REACHABLE_FROM[sess.ACTIVE] == (sess.PAUSED,)
    assert set(sess.REACHABLE_FROM[sess.COMPLETED]) == set(sess.REACHABLE_FROM[sess.ABANDONED]) == {"active", "paused"}


def test_only_credits_that_landed_in_the_wallet_count():
    assert sess.credited_cents(None) == 0
    assert sess.credited_cents({"status": "credited", "amount_cents": 42}) == 42
    assert sess.credited_cents({"status": "capped", "amount_cents": 7}) == 7
    assert sess.credited_cents({"status": "held", "amount_cents": 42}) == 0
    assert sess.credited_cents({"status": "credited", "amount_cents": None}) == 0


def test_state_is_bounded_json():
    assert sess.decode_state(sess.encode_state({"$weird.key": [1, 2]})) == {"$weird.key": [1, 2]}
    with pytest.raises(ValueError):
        sess.encode_state("x" * (sess.MAX_STATE_BYTES + 1))


def test_streak_counts_consecutive_days_ending_today():
    today = date(2026, 3, 10)
    days = {today, today - timedelta(days=1), today - timedelta(days=2), today - timedelta(days=4)}
    assert sess.streak_days(days, today) == 3
    assert sess.streak_days(set(), today) == 0
    assert sess.is_weekend(datetime(2026, 3, 14, 9)) and not sess.is_weekend(datetime(2026, 3, 13, 9))


def test_weekly_schedule_windows_across_the_week_boundary():
    marathon = modes.Schedule(recurrence=modes.WEEKLY, weekday=5, start_minute=0, duration_minutes=2 * 24 * 60)
    saturday, sunday_night = datetime(2026, 11, 21, 10), datetime(2026, 11, 22, 23, 59)
    assert marathon.window_at(saturday) == (datetime(2026, 11, 21), datetime(2026, 11, 23))
    assert marathon.window_at(sunday_night) is not None
    assert marathon.window_at(datetime(2026, 11, 23, 0, 0)) is None
    assert marathon.next_window(datetime(2026, 11, 18, 12)) == (datetime(2026, 11, 21), datetime(2026, 11, 23))


def test_daily_schedule_spanning_midnight():
    late = modes.Schedule(recurrence=modes.DAILY, start_minute=23 * 60, duration_minutes=120)
    assert late.window_at(datetime(2026, 5, 2, 0, 30)) == (datetime(2026, 5, 1, 23), datetime(2026, 5, 2, 1))
    assert late.window_at(datetime(2026, 5, 2, 12)) is None
    assert late.next_window(datetime(2026, 5, 2, 12))[0] == datetime(2026, 5, 2, 23)


def test_mode_activity_combines_switch_dates_and_schedules():
    at = datetime(2026, 6, 6, 12)  # a Saturday
    weekend = [modes.Schedule(recurrence=modes.WEEKLY, weekday=5, start_minute=0, duration_minutes=2880)]
    mode = {"is_active": True, "start_date": None, "end_date": None}
    assert modes.active_window(mode, weekend, at)
    assert modes.active_window({**mode, "is_active": False}, weekend, at) is None
    assert modes.active_window({**mode, "end_date": at - timedelta(days=1)}, weekend, at) is None
    temporary = {"is_active": True, "start_date": at - timedelta(hours=1), "end_date": at + timedelta(hours=1)}
    assert modes.active_window(temporary, [], at) == (temporary["start_date"], temporary["end_date"])
    assert modes.next_start({**temporary, "start_date": at + timedelta(days=1)}, [], at) == at + timedelta(days=1)
    assert modes.applies_to({"game_ids": ["eco_quiz"]}, {"id": "word_sprint", "category": "word"}) is False
    assert modes.applies_to({"categories": ["word"]}, {"id": "word_sprint", "category": "word"}) is True
    assert modes.parse_hhmm("18:30") == 1110 and modes.format_hhmm(1110) == "18:30"
    with pytest.raises(ValueError):
        modes.parse_hhmm("24:00")


def test_deciding_a_challenge_handles_wins_draws_and_no_shows():
    players = [{"user_id": "a", "side": "a", "score": 500}, {"user_id": "b", "side": "b", "score": None}]
    assert comp.decide_challenge(players) == {
        "side_scores": {"a": 500, "b": 0},
        "winner_side": "a",
        "winner_ids": ["a"],
    }
    tie = [{"user_id": "a", "side": "a", "score": 10}, {"user_id": "b", "side": "b", "score": 10}]
    assert comp.decide_challenge(tie)["winner_ids"] == [] and comp.decide_challenge(tie)["winner_side"] is None


def test_competition_ranking_shares_ranks_and_prizes():
    rows = comp.rank(
        [{"id": "x", "score": 5}, {"id": "y", "score": 9}, {"id": "z", "score": 5}, {"id": "w", "score": 1}]
    )
    assert [(r["id"], r["rank"]) for r in rows] == [("y", 1), ("x", 2), ("z", 2), ("w", 4)]
    prizes = [{"rank": 1, "reward_cents": 500}, {"rank": 2, "reward_cents": 200}]
    assert comp.reward_for(2, 5, prizes) == 200 and comp.reward_for(3, 5, prizes) == 0
    assert comp.reward_for(1, 0, prizes) == 0  # nothing for joining without playing


def test_team_permissions_and_succession():
    assert team.can_remove("owner", "admin") and team.can_remove("admin", "member")
    assert not team.can_remove("admin", "admin") and not team.can_remove("member", "member")
    assert not team.can_remove("admin", "owner")
    assert team.can_set_role("owner", "admin") and not team.can_set_role("admin", "member")
    assert not team.can_set_role("owner", "owner")
    t0 = datetime(2026, 1, 1)
    members = [
        {"user_id": "o", "role": "owner", "joined_at": t0},
        {"user_id": "m", "role": "member", "joined_at": t0 + timedelta(days=1)},
        {"user_id": "a", "role": "admin", "joined_at": t0 + timedelta(days=5)},
    ]
    assert team.successor(members)["user_id"] == "a"
    assert team.successor(members[:1]) is None
    assert team.name_key("  Green   WOLVES ") == "green wolves"


def test_challenge_and_tournament_status_moves():
    assert comp.CHALLENGE_REACHABLE_FROM[comp.ACTIVE] == (comp.PENDING,)
    assert comp.CHALLENGE_REACHABLE_FROM[comp.COMPLETED] == (comp.ACTIVE,)
    assert all(
        comp.CHALLENGE_REACHABLE_FROM[s] == (comp.PENDING,) for s in (comp.DECLINED, comp.CANCELLED, comp.EXPIRED)
    )
    assert comp.PARTICIPANT_REACHABLE_FROM == {"accepted": "invited", "declined": "invited", "played": "accepted"}
    assert comp.TOURNAMENT_REACHABLE_FROM == {"active": ("scheduled",), "completed": ("scheduled", "active")}


def test_tournament_standings_rank_every_registered_participant():
    t0 = datetime(2026, 1, 1)
    scores = [
        {
            "participant_id": "late",
            "score": 700,
            "sessions": 1,
            "user_ids": ["late"],
            "first_at": t0 + timedelta(hours=2),
        },
        {"participant_id": "early", "score": 700, "sessions": 2, "user_ids": ["early"], "first_at": t0},
        {"participant_id": "best", "score": 900, "sessions": 1, "user_ids": ["best"], "first_at": t0},
    ]
    prizes = [{"rank": 1, "reward_cents": 500}, {"rank": 2, "reward_cents": 300}, {"rank": 4, "reward_cents": 50}]
    rows = comp.tournament_standings(scores, ["best", "early", "late", "idle"], prizes)
    assert [(r["participant_id"], r["rank"], r["reward_cents"]) for r in rows] == [
        ("best", 1, 500),
        ("early", 2, 300),  # equal scores share the rank; the earlier completion is listed first
        ("late", 2, 300),
        ("idle", 4, 0),  # registered, never played: ranked, but no prize for a zero score
    ]
    assert rows[3] == {
        "rank": 4,
        "participant_id": "idle",
        "score": 0,
        "sessions": 0,
        "user_ids": [],
        "reward_cents": 0,
    }


def test_tournament_results_give_each_team_member_the_team_rank_and_reward():
    standings = [
        {"rank": 1, "participant_id": "t1", "score": 900, "sessions": 3, "user_ids": ["u1", "u2"], "reward_cents": 500}
    ]
    assert comp.tournament_results(comp.TEAM, standings) == [
        {"rank": 1, "user_id": "u1", "team_id": "t1", "score": 900, "reward_cents": 500},
        {"rank": 1, "user_id": "u2", "team_id": "t1", "score": 900, "reward_cents": 500},
    ]
    solo = [{**standings[0], "participant_id": "u9", "user_ids": ["u9"]}]
    assert comp.tournament_results(comp.INDIVIDUAL, solo) == [
        {"rank": 1, "user_id": "u9", "team_id": None, "score": 900, "reward_cents": 500}
    ]


def test_a_play_summary_carries_the_streak_and_the_last_hour():
    play_summary_after, sessions_in_last_hour = sess.play_summary_after, sess.sessions_in_last_hour
    summary_from_history = sess.summary_from_history
    now = datetime(2026, 3, 18, 12, 0)
    today = now.date()
    first = play_summary_after(None, today=today, now=now)
    assert first == {"last_day": "2026-03-18", "streak": 1, "recent": [now]}
    later = now + timedelta(minutes=30)
    same_day = play_summary_after(first, today=today, now=later)
    assert same_day["streak"] == 1 and sessions_in_last_hour(first, later) == 1
    next_day = play_summary_after(same_day, today=date(2026, 3, 19), now=now + timedelta(days=1))
    assert next_day["streak"] == 2 and next_day["recent"] == [now + timedelta(days=1)]  # the hour before: gone
    gap = play_summary_after(next_day, today=date(2026, 3, 21), now=now + timedelta(days=3))
    assert gap["streak"] == 1
    history = summary_from_history({date(2026, 3, 16), date(2026, 3, 17), today}, [now], today)
    assert history["last_day"] == "2026-03-17" and history["streak"] == 2  # today's is the one being added
    assert play_summary_after(history, today=today, now=now)["streak"] == 3
