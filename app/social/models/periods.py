"""Leaderboard periods: the period is part of every entry's key, so a "reset" is simply a new bucket.

Keys: 'daily:2026-11-21', 'weekly:2026-W47' (ISO week), 'monthly:2026-11', 'all_time'.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from app.core.clock import month_span

PERIODS = ("daily", "weekly", "monthly", "all_time")


def period_key(period: str, at: datetime) -> str:
    if period == "daily":
        return f"daily:{at:%Y-%m-%d}"
    if period == "weekly":
        year, week, _ = at.isocalendar()
        return f"weekly:{year}-W{week:02d}"
    if period == "monthly":
        return f"monthly:{at:%Y-%m}"
    if period == "all_time":
        return "all_time"
    raise ValueError(f"unknown period {period!r}")


def period_window(key: str) -> tuple[datetime | None, datetime | None]:
    """The [start, end) a bucket key covers ((None, None) for all_time)."""
    period, _, value = key.partition(":")
    if period == "all_time":
        return None, None
    if period == "daily":
        start = datetime.strptime(value, "%Y-%m-%d")
        return start, start + timedelta(days=1)
    if period == "weekly":
        start = _week_start(value)
        return start, start + timedelta(days=7)
    if period == "monthly":
        start = datetime.strptime(value, "%Y-%m")
        return month_span(start.year, start.month)
    raise ValueError(f"unknown period key {key!r}")


def period_keys(at: datetime) -> list[str]:
    """Every bucket an activity at `at` counts towards."""
    return [period_key(p, at) for p in PERIODS]


def previous_week(now: datetime) -> tuple[str, datetime]:
    """The ISO week that closed most recently before `now`, and the moment it closed (Monday 00:00)."""
    monday = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    last_week_day = monday - timedelta(days=1)
    return period_key("weekly", last_week_day).split(":", 1)[1], monday


def parse_period_key(period: str, value: str) -> str:
    """Validate a client-supplied bucket ('2026-W47' for weekly) and return the full key, or raise ValueError."""
    if period == "all_time":
        if value not in ("", "all_time"):
            raise ValueError("all_time has a single bucket")
        return "all_time"
    formats = {"daily": "%Y-%m-%d", "monthly": "%Y-%m"}
    if period == "weekly":
        try:
            _week_start(value)
        except ValueError as exc:
            raise ValueError("expected an ISO week like 2026-W47") from exc
        if len(value) != 8:
            raise ValueError("expected an ISO week like 2026-W47")
        return f"weekly:{value}"
    try:
        parsed = datetime.strptime(value, formats[period])
    except (KeyError, ValueError) as exc:
        example = {"daily": "2026-11-21", "monthly": "2026-11"}.get(period, "?")
        raise ValueError(f"expected a date like {example}") from exc
    return period_key(period, parsed)


def _week_start(value: str) -> datetime:
    """The Monday 00:00 of an ISO week written like 2026-W47 (ValueError when it is not one)."""
    return datetime.strptime(value + "-1", "%G-W%V-%u")
