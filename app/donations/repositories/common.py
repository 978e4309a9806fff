from __future__ import annotations

from bson import ObjectId
from bson.errors import InvalidId


def to_object_id(value) -> ObjectId | None:
    if isinstance(value, ObjectId):
        return value
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        return None
