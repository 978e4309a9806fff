"""Game modes: temporary windows (start/end dates) and recurring schedules (daily/weekly).

A mode is active at a moment when it is switched on, the moment is inside its date window
(when it has one) and, when it has schedules, inside one of their occurrences.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

DAILY, WEEKLY = "daily", "weekly"
RECURRENCES = (DAILY, WEEKLY)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Schedule:
    recurrence: str
    start_minute: int  # minutes after 00:00 UTC
    duration_minutes: int
    weekday: int = 0  # 0 = Monday (weekly only)

    @classmethod
    def from_doc(cls, doc: dict) -> Schedule:
        return cls(
            recurrence=doc["recurrence"],
            start_minute=doc["start_minute"],
            duration_minutes=doc["duration_minutes"],
            weekday=doc.get("weekday") or 0,
        )

    @property
    def period(self) -> timedelta:
        return timedelta(days=1 if self.recurrence == DAILY else 7)

    def _anchor(self, at: datetime) -> datetime:
        """The occurrence start in the period (day or ISO week) containing `at`."""
        day = at.replace(hour=0, minute=0, second=0, microsecond=0)
        if self.recurrence == WEEKLY:
            day = day - timedelta(days=at.weekday()) + timedelta(days=self.weekday)
        return day + timedelta(minutes=self.start_minute)

    def _starts_around(self, at: datetime):
        back = math.ceil(timedelta(minutes=self.duration_minutes) / self.period) + 1
        anchor = self._anchor(at)
        return [anchor + k * self.period for k in range(-back, 2)]

    def window_at(self, at: datetime) -> tuple[datetime, datetime] | None:
        """The occurrence (start, end) containing `at`, if any."""
        length = timedelta(minutes=self.duration_minutes)
        for start in self._starts_around(at):
            if start <= at < start + length:
                return start, start + length
        return None

    def next_window(self, at: datetime) -> tuple[datetime, datetime]:
        """The first occurrence starting after `at`."""
        length = timedelta(minutes=self.duration_minutes)
        start = min(s for s in self._starts_around(at) + [self._anchor(at) + 2 * self.period] if s > at)
        return start, start + length


def in_date_window(mode: dict, at: datetime) -> bool:
    start, end = mode.get("start_date"), mode.get("end_date")
    return (start is None or start <= at) and (end is None or at < end)


def active_window(mode: dict, schedules: list[Schedule], at: datetime) -> tuple | None:
    """(start, end) of the stretch during which `mode` is active around `at`, or None when inactive."""
    if not mode.get("is_active", True) or not in_date_window(mode, at):
        return None
    if not schedules:
        return mode.get("start_date"), mode.get("end_date")
    windows = [w for w in (s.window_at(at) for s in schedules) if w]
    if not windows:
        return None
    start, end = min(w[0] for w in windows), max(w[1] for w in windows)
    if mode.get("end_date") is not None:
        end = min(end, mode["end_date"])
    return start, end


def next_start(mode: dict, schedules: list[Schedule], at: datetime) -> datetime | None:
    """When the mode next becomes active after `at` (None when it never will)."""
    if not mode.get("is_active", True):
        return None
    end = mode.get("end_date")
    if not schedules:
        start = mode.get("start_date")
        return start if start is not None and start > at else None
    candidates = []
    for schedule in schedules:
        probe = max(at, mode.get("start_date") or at)
        start, _ = schedule.next_window(probe)
        if schedule.window_at(probe) and probe > at:
            start = probe
        candidates.append(start)
    start = min(candidates)
    return None if end is not None and start >= end else start


def applies_to(mode: dict, game: dict) -> bool:
    games, categories = mode.get("game_ids") or [], mode.get("categories") or []
    if games and game["id"] not in games:
        return False
    return not (categories and game["category"] not in categories)


def parse_hhmm(text: str) -> int:
    hours, minutes = text.split(":")
    value = int(hours) * 60 + int(minutes)
    if not (0 <= int(hours) < 24 and 0 <= int(minutes) < 60):
        raise ValueError("time must be HH:MM (00:00-23:59)")
    return value


def format_hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# The system's default modes (ModeManager.initialize_system creates them once; admins may edit them).
DEFAULT_MODES = (
    {
        "key": "weekend_marathon",
        "name": "Weekend Marathon",
        "description": "Every weekend (UTC): every minute you play counts 1.5x toward your credits.",
        "multiplier": 1.5,
        "auto_apply": True,
        "time_limit_seconds": None,
        "schedules": [{"recurrence": WEEKLY, "weekday": 5, "start_minute": 0, "duration_minutes": 2 * 24 * 60}],
    },
    {
        "key": "speed_challenge",
        "name": "Speed Challenge",
        "description": "Daily 18:00-20:00 UTC: opt in, beat the 3-minute clock, earn 1.25x.",
        "multiplier": 1.25,
        "auto_apply": False,
        "time_limit_seconds": 180,
        "schedules": [{"recurrence": DAILY, "start_minute": 18 * 60, "duration_minutes": 120}],
    },
    {
        "key": "early_bird",
        "name": "Early Bird",
        "description": "Weekdays are long: every Monday 06:00-09:00 UTC play for a 1.2x bonus.",
        "multiplier": 1.2,
        "auto_apply": True,
        "time_limit_seconds": None,
        "schedules": [{"recurrence": WEEKLY, "weekday": 0, "start_minute": 6 * 60, "duration_minutes": 180}],
    },
)
