"""The only code of the games module that speaks pymongo."""

from __future__ import annotations

from bson import ObjectId
from bson.errors import InvalidId


def oid(value) -> ObjectId | None:
    """An ObjectId from a client-supplied string, or None (an unknown id is then simply not found)."""
    if isinstance(value, ObjectId):
        return value
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        return None
