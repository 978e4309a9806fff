"""ONLUS updates and metrics: vocabularies and small rules (pure)."""

from __future__ import annotations

from datetime import datetime

from app.core.errors import ValidationFailed

PRIORITIES = ("low", "normal", "high", "urgent", "critical")
PRIORITY_RANK = {p: i for i, p in enumerate(PRIORITIES)}
DRAFT, SCHEDULED, PUBLISHED = "draft", "scheduled", "published"
UPDATE_STATUSES = (DRAFT, SCHEDULED, PUBLISHED)
UPDATE_TYPES = ("general", "milestone_reached", "project_update", "emergency", "financial_report", "thank_you")

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


def check_schedule(status: str, publish_at: datetime | None) -> None:
    """A scheduled update needs the time it goes out."""
    if status == SCHEDULED and not publish_at:
        raise ValidationFailed(errors={"publish_at": ["Required for a scheduled update."]})


def stored_status(requested: str) -> str:
    """The status a new update is stored with: one to publish right away starts as a draft and is then
    published like any other, so its publication (and its event) happens once."""
    return DRAFT if requested == PUBLISHED else requested


def with_change(metric: dict) -> dict:
    """A metric with its change against the previous value (absolute, and in percent when defined)."""
    prev = metric.get("previous_value")
    change = None if prev is None else metric["current_value"] - prev
    percent = round(change * 100.0 / prev, 1) if prev not in (None, 0) else None
    return {**metric, "change": change, "change_percent": percent}
