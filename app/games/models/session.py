"""Session rules: states and their moves, server-measured play time and pauses, staleness, streaks, credits."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

ACTIVE, PAUSED, COMPLETED, ABANDONED = "active", "paused", "completed", "abandoned"
VOIDED = "voided"  # a completed session whose score a moderator or an admin took back (fair play)
STATUSES = (ACTIVE, PAUSED, COMPLETED, ABANDONED, VOIDED)
OPEN_STATUSES = (ACTIVE, PAUSED)
# status -> the statuses a session may reach it from (every session write is also version-guarded)
REACHABLE_FROM = {
    PAUSED: (ACTIVE,),
    ACTIVE: (PAUSED,),
    COMPLETED: OPEN_STATUSES,
    ABANDONED: OPEN_STATUSES,
    VOIDED: (COMPLETED,),
}
# fair play: a session whose credits a fraud rule held waits for a decision
REVIEW_PENDING, REVIEW_APPROVED, REVIEW_VOIDED = "pending", "approved", "voided"
REVIEW_STATUSES = (REVIEW_PENDING, REVIEW_APPROVED, REVIEW_VOIDED)
APPROVE, VOID = "approve", "void"
DECISIONS = (APPROVE, VOID)
# ledger statuses of a session credit that landed in the wallet (a held credit has not)
CREDITED_STATUSES = ("credited", "capped")
STREAK_LOOKBACK_DAYS = 400
MAX_STATE_BYTES = 16 * 1024
MAX_SCORE = 1_000_000_000
SCORE_RANGE_ERROR = f"Must be greater than or equal to 0 and less than or equal to {MAX_SCORE}."


def open_key(user_id: str, game_id: str) -> str:
    """Set only while a session is open: a unique index on it allows one open session per user and game."""
    return f"{user_id}:{game_id}"


def measured_play_seconds(session: dict, now: datetime) -> int:
    """Seconds of play between start and `now`, paused time excluded."""
    end = session.get("completed_at") or now
    total = (end - session["started_at"]).total_seconds() - session.get("paused_seconds", 0)
    if session.get("status") == PAUSED and session.get("paused_at"):
        total -= (end - session["paused_at"]).total_seconds()
    return max(0, int(total))


def paused_seconds_at(session: dict, now: datetime) -> float:
    """All paused time of a session at `now`, a pause still running included (to resume, or to end paused)."""
    total = session.get("paused_seconds", 0)
    if session.get("status") == PAUSED and session.get("paused_at"):
        total += max(0.0, (now - session["paused_at"]).total_seconds())
    return total


def is_stale(session: dict, now: datetime, *, idle: timedelta, paused_ttl: timedelta) -> bool:
    """An open session left alone past the limit of its status (a forgotten one): it may be abandoned."""
    limit = paused_ttl if session["status"] == PAUSED else idle
    return session["last_activity_at"] < now - limit


def credited_cents(summary: dict | None) -> int:
    """What the wallet booked for a session, from its ledger entry: 0 when none, or while it is held."""
    if not summary or summary.get("status") not in CREDITED_STATUSES:
        return 0
    return int(summary.get("amount_cents") or 0)


def credited_play_seconds(
    measured: int, *, claimed: int | None = None, time_limit: int | None = None, max_session_seconds: int | None = None
) -> int:
    """What a session is credited with: never more than the server measured (nor the mode's limit)."""
    value = measured
    for cap in (claimed, time_limit, max_session_seconds):
        if cap is not None:
            value = min(value, max(0, int(cap)))
    return value


def encode_state(state) -> str:
    """Game state is opaque to the server: stored as compact JSON text (any keys, bounded size)."""
    text = json.dumps(state, separators=(",", ":"), ensure_ascii=False)
    if len(text.encode("utf-8")) > MAX_STATE_BYTES:
        raise ValueError(f"state is larger than {MAX_STATE_BYTES // 1024} KB")
    return text


def decode_state(text: str | None):
    return json.loads(text) if text else None


def streak_days(days: set[date], today: date) -> int:
    """Consecutive days ending today on which the user completed a session."""
    streak, day = 0, today
    while day in days:
        streak += 1
        day -= timedelta(days=1)
    return streak


RECENT_KEPT = 200  # completions a play summary remembers from the last hour (the fraud hint counts them)


def play_summary_after(summary: dict | None, *, today: date, now: datetime) -> dict:
    """A user's play summary (`play_summaries`) after a session completed now: the day of their last completion,
    the streak of days ending there, and the completions of the last hour. Kept by each completion, it spares
    reading the user's sessions of the last STREAK_LOOKBACK_DAYS on every end."""
    summary = summary or {}
    last = date.fromisoformat(summary["last_day"]) if summary.get("last_day") else None
    if last == today:
        streak = int(summary.get("streak", 1))
    elif last == today - timedelta(days=1):
        streak = min(int(summary.get("streak", 0)) + 1, STREAK_LOOKBACK_DAYS + 1)
    else:
        streak = 1
    hour_ago = now - timedelta(hours=1)
    recent = [at for at in summary.get("recent", []) if at >= hour_ago][-(RECENT_KEPT - 1) :] + [now]
    return {"last_day": today.isoformat(), "streak": streak, "recent": recent}


def play_summary_update(*, today: date, now: datetime) -> list[dict]:
    """play_summary_after as an update pipeline: the database applies it to the stored summary in the same
    command that returns the summary as it was (one command per end)."""
    yesterday = (today - timedelta(days=1)).isoformat()
    return [
        {
            "$set": {
                "streak": {
                    "$switch": {
                        "branches": [
                            {"case": {"$eq": ["$last_day", today.isoformat()]}, "then": {"$ifNull": ["$streak", 1]}},
                            {
                                "case": {"$eq": ["$last_day", yesterday]},
                                "then": {
                                    "$min": [{"$add": [{"$ifNull": ["$streak", 0]}, 1]}, STREAK_LOOKBACK_DAYS + 1]
                                },
                            },
                        ],
                        "default": 1,
                    }
                },
                "last_day": today.isoformat(),
                "recent": {
                    "$concatArrays": [
                        {
                            "$slice": [
                                {
                                    "$filter": {
                                        "input": {"$ifNull": ["$recent", []]},
                                        "cond": {"$gte": ["$$this", now - timedelta(hours=1)]},
                                    }
                                },
                                -(RECENT_KEPT - 1),
                            ]
                        },
                        [now],
                    ]
                },
            }
        }
    ]


def summary_from_history(days: set[date], last_hour: list[datetime], today: date) -> dict:
    """The play summary as the user's completed sessions give it (before their first summary was kept)."""
    before = [d for d in days if d < today]
    last = max(before) if before else None
    return {
        "last_day": last.isoformat() if last else None,
        "streak": streak_days(days, last) if last else 0,
        "recent": sorted(last_hour)[-RECENT_KEPT:],
    }


def sessions_in_last_hour(summary: dict, now: datetime) -> int:
    """Completions in the hour before now (this one excluded)."""
    hour_ago = now - timedelta(hours=1)
    return sum(1 for at in summary.get("recent", []) if hour_ago <= at < now)


def is_weekend(moment: datetime) -> bool:
    return moment.weekday() >= 5
