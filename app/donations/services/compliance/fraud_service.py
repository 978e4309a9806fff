"""Fraud detection: velocity per user and per client address on credited sessions, donations and card
payment attempts (card testing), and credit-farming patterns.

Flags land in `fraud_flags` (one per rule, subject and hour: a burst is one flag with occurrences),
visible to admins. Flagged activity is held, never dropped: a flagged session's credits are held
(the admin releases or voids them), a flagged donation is held for compliance review; a card payment
attempt over the velocity limit is refused before any money moves.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from pymongo.errors import DuplicateKeyError

from app.core.clock import utcnow
from app.core.errors import AppError, Conflict, NotFound
from app.donations.models.compliance.rules import DONATION_VELOCITY, VelocityLimits, looks_farmed
from app.donations.services.compliance.compliance_service import ComplianceRequest, hold_decision

log = logging.getLogger(__name__)

CARD_TESTING = "CARD_TESTING"
PAYMENT_VELOCITY = "PAYMENT_VELOCITY"
SESSION_VELOCITY = "SESSION_VELOCITY"
CREDIT_FARMING = "CREDIT_FARMING"
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


class PaymentVelocityExceeded(AppError):
    status_code = 429
    message = "PAYMENT_VELOCITY_EXCEEDED"


class FraudService:
    def __init__(
        self,
        *,
        flags,
        intents,
        ledger,
        donations,
        limits: VelocityLimits,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.flags = flags  # FraudFlagRepository
        self.intents = intents  # PaymentIntentRepository
        self.ledger = ledger  # LedgerRepository
        self.donations = donations  # DonationRepository
        self.limits = limits
        self.clock = clock

    # -- flags ---------------------------------------------------------------------
    def flag(self, kind: str, *, subject_type: str, subject: str, detail: dict, ref: str | None = None) -> dict:
        now = self.clock()
        bucket = now.strftime("%Y-%m-%dT%H")
        doc = {
            "kind": kind,
            "subject_type": subject_type,
            "subject": subject,
            "detail": detail,
            "status": "open",
            "created_at": now,
            "dedupe_key": f"{kind}:{subject_type}:{subject}:{bucket}",
            "refs": [ref] if ref else [],
        }
        for _ in range(2):
            try:
                flag = self.flags.raise_flag(doc)
                log.warning("fraud flag %s on %s %s", kind, subject_type, subject)
                return flag
            except DuplicateKeyError:  # two first occurrences raced on the upsert: the second adds to the first
                continue
        return self.flags.collection.find_one({"dedupe_key": doc["dedupe_key"]})

    def page(self, **filters) -> tuple[list, int]:
        return self.flags.page(**filters)

    def resolve(self, flag_id: str, *, note: str, actor_id: str) -> dict:
        flag = self.flags.resolve(flag_id, note=note, actor_id=actor_id, now=self.clock())
        if flag is None:
            if self.flags.by_id(flag_id) is None:
                raise NotFound("FRAUD_FLAG_NOT_FOUND")
            raise Conflict("FRAUD_FLAG_ALREADY_RESOLVED")
        return flag

    def between(self, start: datetime, end: datetime) -> list[dict]:
        return self.flags.between(start, end)

    # -- card payments ---------------------------------------------------------------
    def check_payment_attempt(self, user_id: str, client_ip: str | None) -> None:
        """Before a new payment intent: too many attempts, or too many declines (card testing), refuse."""
        now = self.clock()
        ten = now - timedelta(minutes=10)
        hour = now - timedelta(hours=1)
        lim = self.limits
        checks = [
            (
                CARD_TESTING,
                "user",
                user_id,
                self.intents.count_since(since=hour, user_id=user_id, field="last_failed_at"),
                lim.failed_payments_per_user_hour,
            ),
            (
                PAYMENT_VELOCITY,
                "user",
                user_id,
                self.intents.count_since(since=ten, user_id=user_id) + 1,
                lim.payment_attempts_per_user_10min,
            ),
        ]
        if client_ip:
            checks += [
                (
                    CARD_TESTING,
                    "ip",
                    client_ip,
                    self.intents.count_since(since=hour, client_ip=client_ip, field="last_failed_at"),
                    lim.failed_payments_per_ip_hour,
                ),
                (
                    PAYMENT_VELOCITY,
                    "ip",
                    client_ip,
                    self.intents.count_since(since=ten, client_ip=client_ip) + 1,
                    lim.payment_attempts_per_ip_10min,
                ),
            ]
        for kind, subject_type, subject, count, limit in checks:
            if (kind == CARD_TESTING and count >= limit) or (kind == PAYMENT_VELOCITY and count > limit):
                self.flag(
                    kind,
                    subject_type=subject_type,
                    subject=subject,
                    detail={"count": count, "limit": limit, "user_id": user_id, "client_ip": client_ip},
                )
                raise PaymentVelocityExceeded(headers={"Retry-After": "600"})

    def record_failed_payment(self, intent: dict) -> None:
        """After a decline: reaching the limit raises a CARD_TESTING flag (the next attempt is refused)."""
        hour = self.clock() - timedelta(hours=1)
        by_user = self.intents.count_since(since=hour, user_id=intent["user_id"], field="last_failed_at")
        if by_user >= self.limits.failed_payments_per_user_hour:
            self.flag(
                CARD_TESTING,
                subject_type="user",
                subject=intent["user_id"],
                detail={"failed_last_hour": by_user},
                ref=f"payment_intent:{intent['_id']}",
            )
        ip = intent.get("client_ip")
        if ip:
            by_ip = self.intents.count_since(since=hour, client_ip=ip, field="last_failed_at")
            if by_ip >= self.limits.failed_payments_per_ip_hour:
                self.flag(
                    CARD_TESTING,
                    subject_type="ip",
                    subject=ip,
                    detail={"failed_last_hour": by_ip},
                    ref=f"payment_intent:{intent['_id']}",
                )

    # -- sessions (credit conversion) --------------------------------------------------
    # The wallet keeps its last day of sessions ({at, s}) in `recent_sessions`, updated in the same
    # transaction as the credit, so these checks cost no query on the hot path of ending a session.
    def session_reasons(self, recent: list[dict], *, now: datetime, play_seconds: int) -> list[str]:
        """Reasons to hold this session's credits: too many sessions in the hour before, or a day of
        near-identical sessions (scripted play)."""
        hour_ago, day_ago = now - timedelta(hours=1), now - timedelta(days=1)
        last_day = [r for r in recent if r["at"] >= day_ago]
        reasons = []
        if sum(1 for r in last_day if r["at"] >= hour_ago) >= self.limits.sessions_credited_per_user_hour:
            reasons.append(SESSION_VELOCITY)
        if looks_farmed([int(r["s"]) for r in last_day] + [int(play_seconds)], self.limits):
            reasons.append(CREDIT_FARMING)
        return reasons

    def remember_session(self, recent: list[dict], *, now: datetime, play_seconds: int) -> list[dict]:
        day_ago = now - timedelta(days=1)
        kept = [r for r in recent if r["at"] >= day_ago] + [{"at": now, "s": int(play_seconds)}]
        return kept[-100:]

    def flag_session(self, user_id: str, reasons: list[str], *, key: str, recent: list[dict] | None) -> None:
        seconds = [int(r["s"]) for r in recent or []]
        for reason in reasons:
            self.flag(
                reason,
                subject_type="user",
                subject=user_id,
                ref=key,
                detail={
                    "sessions_last_day": len(seconds),
                    "spread_seconds": (max(seconds) - min(seconds)) if seconds else 0,
                    "limits": {
                        "sessions_per_hour": self.limits.sessions_credited_per_user_hour,
                        "farming_min_sessions_day": self.limits.farming_min_sessions_day,
                    },
                },
            )

    # -- donations (a compliance rule) ---------------------------------------------------
    def donation_rule(self, request: ComplianceRequest):
        """Too many donations in an hour from one user or one address: hold for review."""
        since = self.clock() - timedelta(hours=1)
        # counting stops at the limit: the work stays bounded however busy a user or an address is
        by_user = self.donations.collection.count_documents(
            {"user_id": request.user_id, "created_at": {"$gte": since}}, limit=self.limits.donations_per_user_hour
        )
        hit = None
        if by_user >= self.limits.donations_per_user_hour:
            hit = ("user", request.user_id, by_user, self.limits.donations_per_user_hour)
        elif request.client_ip:
            by_ip = self.donations.collection.count_documents(
                {"client_ip": request.client_ip, "created_at": {"$gte": since}}, limit=self.limits.donations_per_ip_hour
            )
            if by_ip >= self.limits.donations_per_ip_hour:
                hit = ("ip", request.client_ip, by_ip, self.limits.donations_per_ip_hour)
        if hit is None:
            return None
        subject_type, subject, count, limit = hit
        detail = {"subject_type": subject_type, "count_last_hour": count, "limit": limit}
        self.flag(DONATION_VELOCITY, subject_type=subject_type, subject=subject, detail=detail)
        return hold_decision(DONATION_VELOCITY, detail)
