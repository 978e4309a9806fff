"""Report periods and growth (pure)."""

from __future__ import annotations

import calendar
from datetime import datetime

from app.core.clock import month_span
from app.core.errors import ValidationFailed

MONTHLY, ANNUAL = "monthly", "annual"
REPORT_TYPES = (MONTHLY, ANNUAL)
DRAFT, PUBLISHED = "draft", "published"


def period_bounds(report_type: str, year: int, month: int | None = None) -> tuple[datetime, datetime]:
    """[start, end) of the period, naive UTC."""
    if report_type == MONTHLY:
        if month is None or not 1 <= month <= 12:
            raise ValidationFailed("INVALID_MONTH", errors={"month": ["Must be between 1 and 12."]})
        return month_span(year, month)
    return datetime(year, 1, 1), datetime(year + 1, 1, 1)


def previous_period(report_type: str, year: int, month: int | None = None) -> tuple[int, int | None]:
    if report_type == MONTHLY:
        return (year - 1, 12) if month == 1 else (year, month - 1)
    return year - 1, None


def period_key(report_type: str, year: int, month: int | None = None) -> str:
    return f"{report_type}:{year:04d}-{month:02d}" if report_type == MONTHLY else f"{report_type}:{year:04d}"


def title_for(report_type: str, year: int, month: int | None = None) -> str:
    if report_type == MONTHLY:
        return f"{calendar.month_name[month]} {year} Impact Report"
    return f"{year} Annual Impact Report"


def growth(current: int | float, previous: int | float) -> float | None:
    """Percent change against the previous period; None when there is nothing to compare with."""
    if not previous:
        return None
    return round((current - previous) * 100.0 / previous, 1)


def last_closed_month(now: datetime) -> tuple[int, int]:
    return (now.year - 1, 12) if now.month == 1 else (now.year, now.month - 1)


def validate_year(year: int) -> None:
    if not 2000 <= year <= 2100:
        raise ValidationFailed("INVALID_YEAR", errors={"year": ["Must be between 2000 and 2100."]})


def recent_months(now: datetime, months: int) -> tuple[datetime, list[str]]:
    """The first day of the month `months - 1` months before `now`'s, and the `YYYY-MM` keys from it to now's."""
    index = now.year * 12 + now.month - 1 - (months - 1)
    keys = [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index, index + months)]
    return datetime(index // 12, index % 12 + 1, 1), keys


def month_series(keys: list[str], rows: list[dict], counts: tuple[str, ...]) -> list[dict]:
    """One row per month of `keys` from aggregated `rows` ({_id: YYYY-MM, cents, <counts>...}): its
    `amount_cents` and counts, zeros for a month without any."""
    by_month = {row["_id"]: row for row in rows}
    return [
        {
            "month": key,
            "amount_cents": int(by_month.get(key, {}).get("cents", 0)),
            **{name: int(by_month.get(key, {}).get(name, 0)) for name in counts},
        }
        for key in keys
    ]


MAX_RANGE_DAYS = 366


def validate_range(start: datetime, end: datetime) -> None:
    """A custom report's [start, end): ordered, at most MAX_RANGE_DAYS long."""
    if end <= start:
        raise ValidationFailed("INVALID_RANGE", errors={"to": ["Must be after `from`."]})
    if (end - start).days > MAX_RANGE_DAYS:
        raise ValidationFailed("INVALID_RANGE", errors={"to": [f"At most {MAX_RANGE_DAYS} days after `from`."]})
