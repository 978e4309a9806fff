"""The weekly summary email (pure): which week it covers, what it says, and when there is nothing to say.

A week is an ISO week, Monday 00:00 UTC to the next Monday; the job sends the week that closed last.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from app.core.models.mail_text import compose
from app.core.money import euros_text


@dataclass(frozen=True)
class Week:
    start: datetime  # Monday 00:00 UTC, inclusive
    end: datetime  # the next Monday, exclusive

    @property
    def label(self) -> str:
        """`2026-W48`: the ISO year and week."""
        year, week, _ = self.start.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def first_day(self) -> date:
        return self.start.date()

    @property
    def end_day(self) -> date:
        return self.end.date()


def closed_week(now: datetime) -> Week:
    """The last whole week before `now`."""
    monday = now.date() - timedelta(days=now.weekday())
    end = datetime.combine(monday, time.min)
    return Week(start=end - timedelta(days=7), end=end)


@dataclass(frozen=True)
class WeekFigures:
    sessions: int
    play_seconds: int
    earned_cents: int
    donations: int
    donated_cents: int
    stories: list[str]
    impact_score: int
    total_donated_cents: int

    @property
    def empty(self) -> bool:
        """Nothing happened: no summary is sent for a week without play, credits, donations or stories."""
        return not (self.sessions or self.earned_cents or self.donations or self.stories)


def wanted(notifications: dict) -> bool:
    """The user's `notifications` preferences ask for the summary: `weekly_summary`, and email not off."""
    return bool(notifications.get("weekly_summary", True)) and bool(notifications.get("email", True))


def _minutes(seconds: int) -> str:
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def mail(week: Week, figures: WeekFigures, *, first_name: str, link: str) -> dict:
    """{subject, text, html} of one user's summary of `week`."""
    f = figures
    last_day = week.end_day - timedelta(days=1)
    lines = [f"Here is your GoodPlay week ({week.first_day:%d %b} - {last_day:%d %b %Y})."]
    lines.append(f"Played: {f.sessions} session{'s' if f.sessions != 1 else ''}, {_minutes(f.play_seconds)}.")
    lines.append(f"Credits earned: {euros_text(f.earned_cents)}.")
    lines.append(f"Donated: {euros_text(f.donated_cents)} in {f.donations} donation{'s' if f.donations != 1 else ''}.")
    if f.stories:
        lines.append(f"Impact stories unlocked: {', '.join(f.stories)}.")
    lines.append(f"Your Impact Score is {f.impact_score}; you have donated {euros_text(f.total_donated_cents)} in all.")
    lines.append("You receive this because the weekly summary is on in your GoodPlay preferences.")
    return compose(
        f"Your GoodPlay week {week.label}",
        f"Hi {first_name}," if first_name else "Hello,",
        lines,
        link,
        "See your impact",
    )
