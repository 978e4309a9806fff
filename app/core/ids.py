"""Record ids: ObjectIds inside the database, their 24-hex-digit strings everywhere else.

Repositories are the only callers: services and controllers pass ids as strings.
"""

from __future__ import annotations

from bson import ObjectId
from bson.errors import InvalidId


def object_id(value) -> ObjectId | None:
    """The ObjectId a client-supplied id names, or None when it cannot name one (so the record is
    simply not found)."""
    if isinstance(value, ObjectId):
        return value
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        return None


def new_object_id() -> ObjectId:
    """An id chosen before the insert, so that related writes can refer to it."""
    return ObjectId()
