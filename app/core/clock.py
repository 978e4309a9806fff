"""One clock for the whole app: naive UTC datetimes, as pymongo returns them."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Current UTC time, naive, truncated to milliseconds (MongoDB's precision)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
