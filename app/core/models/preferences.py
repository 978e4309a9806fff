"""Default preferences and how an update merges into them (pure)."""

from __future__ import annotations

import copy

DEFAULT_PREFERENCES = {
    "notifications": {
        "email": True,
        "push": True,
        "achievements": True,
        "donations": True,
        "friends": True,
        "impact_stories": True,
        "weekly_summary": True,
    },
    "privacy": {
        "profile_visibility": "public",  # public | friends | private
        "show_on_leaderboards": True,  # appear in other users' public leaderboards
        "show_donations": True,  # donation totals visible on the public profile
        "allow_friend_requests": True,
    },
    "gaming": {
        "difficulty": "normal",  # easy | normal | hard
        "sound": True,
        "music": True,
        "tutorials": True,
        "preferred_categories": [],
    },
    "donations": {
        "default_onlus_id": None,
        "receipt_email": True,
        "auto_donation": {
            "enabled": False,
            "threshold_cents": 1000,  # donate when the balance reaches this
            "percentage": 100,  # share of the balance donated when triggered
            "allocations": [],  # [{"onlus_id": str, "share": int}] shares sum to 100
        },
    },
}

SECTIONS = tuple(DEFAULT_PREFERENCES)


def with_defaults(stored: dict | None) -> dict:
    return merge(DEFAULT_PREFERENCES, stored or {})


def merge(base: dict, update: dict) -> dict:
    """Deep-merge update into a copy of base; lists and scalars are replaced."""
    result = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result
