"""Query pieces the donations repositories share."""

from __future__ import annotations

from datetime import datetime


def created_between(query: dict, start: datetime | None, end: datetime | None) -> dict:
    """Add a half-open [start, end) filter on created_at (either bound optional) to query."""
    if start or end:
        query["created_at"] = {**({"$gte": start} if start else {}), **({"$lt": end} if end else {})}
    return query
