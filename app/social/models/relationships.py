"""Friendship rules: one relationship document per unordered pair of users."""

from __future__ import annotations

PENDING, ACCEPTED, BLOCKED = "pending", "accepted", "blocked"


def pair_key(a: str, b: str) -> str:
    """The same key whoever asks first: the invariant 'one relationship per pair' is a unique index on it."""
    first, second = sorted((a, b))
    return f"{first}:{second}"


def other(rel: dict, user_id: str) -> str:
    a, b = rel["members"]
    return b if a == user_id else a
