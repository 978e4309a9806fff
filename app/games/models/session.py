"""Session rules: states, server-measured play time, streaks."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

ACTIVE, PAUSED, COMPLETED, ABANDONED = "active", "paused", "completed", "abandoned"
STATUSES = (ACTIVE, PAUSED, COMPLETED, ABANDONED)
OPEN_STATUSES = (ACTIVE, PAUSED)
MAX_STATE_BYTES = 16 * 1024
MAX_SCORE = 1_000_000_000


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


def is_weekend(moment: datetime) -> bool:
    return moment.weekday() >= 5
