"""Leaderboard seasons (pure): whole UTC days from `starts_on` to `ends_on`, boards, and the rewards of the
final ranks. A season's score on a board is the sum of its daily buckets inside the season."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from itertools import pairwise

from app.core.errors import ValidationFailed
from app.social.models.periods import period_key

BOARDS = ("impact_score", "gaming", "donations")
SCHEDULED, ACTIVE, CLOSING, ARCHIVED = "scheduled", "active", "closing", "archived"
STATES = (SCHEDULED, ACTIVE, CLOSING, ARCHIVED)
MAX_DAYS = 366
MAX_RANK = 1000


def bounds(starts_on: date, ends_on: date) -> tuple[datetime, datetime]:
    """[start, end) of the season."""
    return datetime.combine(starts_on, time()), datetime.combine(ends_on + timedelta(days=1), time())


def day_keys(starts_on: date, ends_on: date) -> list[str]:
    days = (ends_on - starts_on).days + 1
    return [period_key("daily", datetime.combine(starts_on + timedelta(days=i), time())) for i in range(days)]


def state_of(season: dict, now: datetime) -> str:
    if season.get("archived_at"):
        return ARCHIVED
    start, end = season["starts_at"], season["ends_at"]
    if now < start:
        return SCHEDULED
    return ACTIVE if now < end else CLOSING


def check(starts_on: date, ends_on: date, rewards: list[dict], today: date) -> None:
    if ends_on < starts_on:
        raise ValidationFailed("INVALID_SEASON", errors={"ends_on": ["Must not be before starts_on."]})
    if (ends_on - starts_on).days >= MAX_DAYS:
        raise ValidationFailed("INVALID_SEASON", errors={"ends_on": [f"A season lasts at most {MAX_DAYS} days."]})
    if ends_on < today:
        raise ValidationFailed("INVALID_SEASON", errors={"ends_on": ["Must not be in the past."]})
    for reward in rewards:
        if reward["rank_to"] < reward["rank_from"]:
            raise ValidationFailed("INVALID_SEASON", errors={"rewards": ["rank_to must not be below rank_from."]})
        if not reward.get("badge") and not reward.get("bonus_cents"):
            raise ValidationFailed("INVALID_SEASON", errors={"rewards": ["A reward gives a badge, a bonus or both."]})
    ranges = sorted((r["rank_from"], r["rank_to"]) for r in rewards)
    if any(b[0] <= a[1] for a, b in pairwise(ranges)):
        raise ValidationFailed("INVALID_SEASON", errors={"rewards": ["Rank ranges must not overlap."]})


def ranked(totals: list[tuple[str, int]]) -> list[tuple[int, str, int]]:
    """[(rank, user_id, score)] from [(user_id, score)] best first; equal scores share a rank (1, 2, 2, 4)."""
    rows, previous, rank = [], None, 0
    for position, (user_id, score) in enumerate(totals, start=1):
        if score != previous:
            rank, previous = position, score
        rows.append((rank, user_id, score))
    return rows


def reward_for(rank: int, rewards: list[dict]) -> dict | None:
    return next((r for r in rewards if r["rank_from"] <= rank <= r["rank_to"]), None)
