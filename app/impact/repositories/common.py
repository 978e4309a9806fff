from __future__ import annotations

import re


def safe_key(value: str | None) -> str:
    """A value usable as a MongoDB field name inside a map ($inc on 'category_cents.<key>')."""
    text = (value or "other").strip() or "other"
    return re.sub(r"[.$\x00]", "_", text)[:80]


def contains(text: str) -> dict:
    """Case-insensitive substring match (escaped: user text is never a pattern)."""
    return {"$regex": re.escape(text), "$options": "i"}
