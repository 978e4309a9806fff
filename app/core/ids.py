"""Record ids: ObjectIds inside the database, their 24-hex-digit strings everywhere else.

An id has one spelling, lower case (what str(ObjectId) gives): ids from clients are canonicalised at the edge
(app.core.api: the `oid` path converter and the IdRef field), so the strings stored in references
(`user_id`, `onlus_id`...) and compared by services are always the ones the records' own ids dump to.
Repositories are the only callers of object_id(): services and controllers pass ids as strings.
"""

from __future__ import annotations

import re

from bson import ObjectId
from bson.errors import InvalidId

OBJECT_ID_PATTERN = "[0-9a-fA-F]{24}"
_OBJECT_ID = re.compile(OBJECT_ID_PATTERN)


def canonical_id(text: str) -> str:
    """`text` as ids are stored and compared: an ObjectId's hex digits in lower case; any other text is
    returned as given (it names no record, so whatever looks it up finds nothing)."""
    return text.lower() if _OBJECT_ID.fullmatch(text) else text


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
