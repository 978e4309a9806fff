"""One clock for the whole app: naive UTC datetimes, as pymongo returns them."""

from __future__ import annotations

from datetime import UTC, datetime


def month_span(year: int, month: int) -> tuple[datetime, datetime]:
    """[start, end) of a calendar month: its first instant and the next month's."""
    return datetime(year, month, 1), datetime(year + (month == 12), month % 12 + 1, 1)


def utcnow() -> datetime:
    """Current UTC time, naive, truncated to milliseconds (MongoDB's precision)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
