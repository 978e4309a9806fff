"""Fraud rules (pure): velocity limits, credit-farming patterns, the flags they raise.

Flagged activity is held, never dropped: a flagged session's credits are held (an admin releases or voids
them), a flagged donation is held for compliance review; a card payment attempt over the velocity limit is
refused before any money moves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# flag kinds (also hold reasons where they hold something)
CARD_TESTING = "CARD_TESTING"
PAYMENT_VELOCITY = "PAYMENT_VELOCITY"
SESSION_VELOCITY = "SESSION_VELOCITY"
CREDIT_FARMING = "CREDIT_FARMING"
DONATION_VELOCITY = "DONATION_VELOCITY"
CHARGE_DISPUTE = "CHARGE_DISPUTE"
PAYMENT_AMOUNT_MISMATCH = "PAYMENT_AMOUNT_MISMATCH"
FLAG_KINDS = (
    CARD_TESTING,
    PAYMENT_VELOCITY,
    SESSION_VELOCITY,
    CREDIT_FARMING,
    DONATION_VELOCITY,
    CHARGE_DISPUTE,
    PAYMENT_AMOUNT_MISMATCH,
)
FLAG_SUBJECT_TYPES = ("user", "ip", "payment_intent")
FLAG_STATUSES = ("open", "resolved")
SESSIONS_KEPT = 100  # the latest sessions a wallet remembers for these checks (one day's worth)


@dataclass(frozen=True)
class VelocityLimits:
    """Fraud velocity limits. Config key DONATION_FRAUD_LIMITS (shared with FraudLimits) may override them
    under the same names."""

    payment_attempts_per_user_10min: int = 5  # card payment intents created by one user in 10 minutes
    payment_attempts_per_ip_10min: int = 10  # ... from one address
    failed_payments_per_user_hour: int = 3  # declined cards in an hour: card testing
    failed_payments_per_ip_hour: int = 5
    sessions_credited_per_user_hour: int = 15  # credited sessions in the hour before (beyond the games hint)
    farming_min_sessions_day: int = 8  # at least this many sessions in 24 h ...
    farming_max_spread_seconds: int = 5  # ... whose play times are all within this spread: a bot
    donations_per_user_hour: int = 20  # wallet donations in an hour (credit conversion to gifts)
    donations_per_ip_hour: int = 40

    @classmethod
    def from_config(cls, value: dict | None) -> VelocityLimits:
        names = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in (value or {}).items() if k in names})


def looks_farmed(play_seconds: list[int], limits: VelocityLimits) -> bool:
    """Many sessions of (almost) identical length in a day: scripted play, not a person."""
    if len(play_seconds) < limits.farming_min_sessions_day:
        return False
    return max(play_seconds) - min(play_seconds) <= limits.farming_max_spread_seconds


def dedupe_key(kind: str, subject_type: str, subject: str, at: datetime) -> str:
    """One flag per rule, subject and hour: a burst is one flag whose occurrences are counted."""
    return f"{kind}:{subject_type}:{subject}:{at.strftime('%Y-%m-%dT%H')}"


def session_hold_reasons(recent: list[dict], *, now: datetime, play_seconds: int, limits: VelocityLimits) -> list[str]:
    """Reasons to hold a session's credits, from the sessions the wallet remembers ({at, s}): too many
    sessions in the hour before, or a day of near-identical sessions (scripted play)."""
    hour_ago, day_ago = now - timedelta(hours=1), now - timedelta(days=1)
    last_day = [r for r in recent if r["at"] >= day_ago]
    reasons = []
    if sum(1 for r in last_day if r["at"] >= hour_ago) >= limits.sessions_credited_per_user_hour:
        reasons.append(SESSION_VELOCITY)
    if looks_farmed([int(r["s"]) for r in last_day] + [int(play_seconds)], limits):
        reasons.append(CREDIT_FARMING)
    return reasons


def remember_session(recent: list[dict], *, now: datetime, play_seconds: int) -> list[dict]:
    """The wallet's remembered sessions with this one added (the last day's, at most SESSIONS_KEPT)."""
    day_ago = now - timedelta(days=1)
    kept = [r for r in recent if r["at"] >= day_ago] + [{"at": now, "s": int(play_seconds)}]
    return kept[-SESSIONS_KEPT:]
