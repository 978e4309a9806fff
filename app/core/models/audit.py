"""Audit-log rules, free of I/O: action names, targets, and what of a change may be kept."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

# A stable dotted name: `<kind>.<verb>` (wallet.adjust, onlus.verify, user.suspend, auth.login_failed).
ACTION_PATTERN = r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+"
_ACTION = re.compile(ACTION_PATTERN)

# Parts of key names whose values are never recorded, at any depth: passwords, tokens and other secrets,
# card data, KYC document contents.
SECRET_KEY_PARTS = (
    "password",
    "token",
    "secret",
    "hash",
    "signature",
    "card_number",
    "cvc",
    "cvv",
    "iban",
    "document",
    "date_of_birth",
)
REDACTED = "[redacted]"

# An entry stays small whatever a route answers: long lists and texts are cut.
MAX_ITEMS = 20
MAX_TEXT = 500
MAX_DEPTH = 6


def is_action(name: str) -> bool:
    return bool(_ACTION.fullmatch(name))


def is_secret_key(key: str) -> bool:
    lowered = key.lower()
    return any(part in lowered for part in SECRET_KEY_PARTS)


def recordable(value: Any, depth: int = 0) -> Any:
    """`value` as an entry may keep it: secret keys redacted, lists and texts cut, values plain (an id or a
    decimal as its text; a tuple as a list)."""
    if depth > MAX_DEPTH:
        return None
    if isinstance(value, dict):
        return {
            str(key): REDACTED if is_secret_key(str(key)) else recordable(sub, depth + 1) for key, sub in value.items()
        }
    if isinstance(value, (list, tuple, set)):
        return [recordable(item, depth + 1) for item in list(value)[:MAX_ITEMS]]
    if isinstance(value, str):
        return value[:MAX_TEXT]
    if value is None or isinstance(value, (bool, int, float, datetime)):
        return value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)[:MAX_TEXT]  # an ObjectId, an enum...


def change(value: Any) -> dict | None:
    """A before/after as stored: an object (anything else is kept under "value"), or None."""
    if value is None:
        return None
    kept = recordable(value)
    return kept if isinstance(kept, dict) else {"value": kept}


def target_of(action: str, path_ids: dict[str, str], created_id: str | None = None) -> dict:
    """What an admin request acted on: its kind (the action's first part) and the first id of its path, or
    the id of what it created; any other id of the path is kept under its parameter's name."""
    names = list(path_ids)
    target: dict = {"kind": action.split(".", 1)[0], "id": path_ids[names[0]] if names else created_id}
    for name in names[1:]:
        target[name] = path_ids[name]
    return target
