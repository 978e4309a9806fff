"""Abuse reports and moderation decisions (pure)."""

from __future__ import annotations

from app.core.errors import Conflict, Forbidden

USER, TEAM, COMMUNITY_CHALLENGE, CHALLENGE_MESSAGE, ONLUS_UPDATE = (
    "user",
    "team",
    "community_challenge",
    "challenge_message",
    "onlus_update",
)
TARGET_TYPES = (USER, TEAM, COMMUNITY_CHALLENGE, CHALLENGE_MESSAGE, ONLUS_UPDATE)
REASONS = ("spam", "harassment", "hate", "inappropriate", "cheating", "other")

OPEN, ESCALATED, RESOLVED = "open", "escalated", "resolved"
STATUSES = (OPEN, ESCALATED, RESOLVED)
# dismiss: nothing wrong; hide: the content leaves every listing; warn: its author is warned; escalate: an
# admin decides (e.g. to suspend the account), the report stays in the admins' queue
DISMISS, HIDE, WARN, ESCALATE = "dismiss", "hide", "warn", "escalate"
DECISIONS = (DISMISS, HIDE, WARN, ESCALATE)


def check_decision(report: dict, decision: str, *, role: str, hideable: bool, author: str | None) -> None:
    if report["status"] == RESOLVED:
        raise Conflict("REPORT_CLOSED")
    if report["status"] == ESCALATED and role != "admin":
        raise Forbidden("ADMIN_REQUIRED")
    if decision == ESCALATE and report["status"] == ESCALATED:
        raise Conflict("REPORT_ALREADY_ESCALATED")
    if decision == HIDE and not hideable:
        raise Conflict("CANNOT_HIDE", errors={"decision": ["An account is not hidden: warn, or escalate."]})
    if decision == WARN and not author:
        raise Conflict("NOBODY_TO_WARN", errors={"decision": ["No user wrote this content."]})


def status_after(decision: str) -> str:
    return ESCALATED if decision == ESCALATE else RESOLVED
