from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from bson import ObjectId
from flask.json.provider import DefaultJSONProvider


def iso(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.replace(microsecond=0).isoformat() + "Z"


class GoodPlayJSONProvider(DefaultJSONProvider):
    """ISO 8601 UTC times with a Z, ObjectIds as strings (API.md conventions)."""

    sort_keys = False

    @staticmethod
    def default(o):
        if isinstance(o, datetime):
            return iso(o)
        if isinstance(o, date):
            return o.isoformat()
        if isinstance(o, ObjectId):
            return str(o)
        if isinstance(o, Decimal):
            return float(o)
        return DefaultJSONProvider.default(o)
