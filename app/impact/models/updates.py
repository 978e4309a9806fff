"""ONLUS updates and metrics: vocabularies and small rules (pure)."""

from __future__ import annotations

from datetime import datetime

PRIORITIES = ("low", "normal", "high", "urgent", "critical")
PRIORITY_RANK = {p: i for i, p in enumerate(PRIORITIES)}
UPDATE_STATUSES = ("draft", "scheduled", "published")
UPDATE_TYPES = ("general", "milestone_reached", "project_update", "emergency", "financial_report", "thank_you")
ENGAGEMENTS = ("views", "likes", "shares")

METRIC_TYPES = ("financial", "beneficiaries", "projects", "environmental", "operational")
VERIFICATION_STATUSES = ("pending", "verified", "disputed")
COLLECTION_PERIODS = ("day", "week", "month", "quarter", "year")


def is_featured(update: dict, now: datetime) -> bool:
    until = update.get("featured_until")
    return bool(until and until > now)


def efficiency_ratio(value: float, related_cents: int) -> float | None:
    """Impact per euro donated (None when no donation is attributed)."""
    if not related_cents:
        return None
    return round(float(value) / (related_cents / 100.0), 6)


def trending_score(engagement: dict) -> int:
    return int(engagement.get("views", 0)) + 3 * int(engagement.get("likes", 0)) + 5 * int(engagement.get("shares", 0))
