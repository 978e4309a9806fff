"""Fraud detection: velocity per user and per client address on credited sessions, donations and card
payment attempts (card testing), and credit-farming patterns (rules in models/compliance/fraud.py).

Flags land in `fraud_flags` (one per rule, subject and hour: a burst is one flag with occurrences),
visible to admins. Flagged activity is held, never dropped: a flagged session's credits are held
(the admin releases or voids them), a flagged donation is held for compliance review; a card payment
attempt over the velocity limit is refused before any money moves.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from app.core.clock import utcnow
from app.core.errors import AppError, Conflict, NotFound
from app.donations.models.compliance.fraud import (
    CARD_TESTING,
    DONATION_VELOCITY,
    PAYMENT_VELOCITY,
    VelocityLimits,
    dedupe_key,
    session_hold_reasons,
)
from app.donations.models.wallet.giving import donations_since
from app.donations.repositories.compliance.fraud_flags import FraudFlagRepository
from app.donations.repositories.donations.donations import DonationRepository
from app.donations.repositories.payments.intents import PaymentIntentRepository
from app.donations.services.compliance.compliance_service import ComplianceDecision, ComplianceRequest, hold_decision

log = logging.getLogger(__name__)


class PaymentVelocityExceeded(AppError):
    status_code = 429
    message = "PAYMENT_VELOCITY_EXCEEDED"


class FraudService:
    def __init__(
        self,
        *,
        flags: FraudFlagRepository,
        intents: PaymentIntentRepository,
        donations: DonationRepository,
        limits: VelocityLimits,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.flags = flags
        self.intents = intents  # payment attempts and declines
        self.donations = donations  # donations per user and address
        self.limits = limits
        self.clock = clock

    # -- flags ---------------------------------------------------------------------
    def flag(self, kind: str, *, subject_type: str, subject: str, detail: dict, ref: str | None = None) -> dict:
        now = self.clock()
        flag = self.flags.raise_flag(
            {
                "kind": kind,
                "subject_type": subject_type,
                "subject": subject,
                "detail": detail,
                "status": "open",
                "created_at": now,
                "dedupe_key": dedupe_key(kind, subject_type, subject, now),
                "refs": [ref] if ref else [],
            }
        )
        log.warning("fraud flag %s on %s %s", kind, subject_type, subject)
        return flag

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
                self.intents.failed_since(hour, user_id=user_id),
                lim.failed_payments_per_user_hour,
            ),
            (
                PAYMENT_VELOCITY,
                "user",
                user_id,
                self.intents.created_since(ten, user_id=user_id) + 1,
                lim.payment_attempts_per_user_10min,
            ),
        ]
        if client_ip:
            checks += [
                (
                    CARD_TESTING,
                    "ip",
                    client_ip,
                    self.intents.failed_since(hour, client_ip=client_ip),
                    lim.failed_payments_per_ip_hour,
                ),
                (
                    PAYMENT_VELOCITY,
                    "ip",
                    client_ip,
                    self.intents.created_since(ten, client_ip=client_ip) + 1,
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
        by_user = self.intents.failed_since(hour, user_id=intent["user_id"])
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
            by_ip = self.intents.failed_since(hour, client_ip=ip)
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
        return session_hold_reasons(recent, now=now, play_seconds=play_seconds, limits=self.limits)

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
    def donation_rule(self, request: ComplianceRequest) -> ComplianceDecision | None:
        """Too many donations in an hour from one user or one address: hold for review."""
        now = self.clock()
        since = now - timedelta(hours=1)
        by_user = donations_since(request.wallet, since, now=now)
        if by_user is None:  # the wallet's summary does not reach back that far
            # counting stops at the limit: the work stays bounded however busy a user is
            by_user = self.donations.count_by_user_since(
                request.user_id, since, limit=self.limits.donations_per_user_hour
            )
        hit = None
        if by_user >= self.limits.donations_per_user_hour:
            hit = ("user", request.user_id, by_user, self.limits.donations_per_user_hour)
        elif request.client_ip:
            by_ip = self.donations.count_by_ip_since(request.client_ip, since, limit=self.limits.donations_per_ip_hour)
            if by_ip >= self.limits.donations_per_ip_hour:
                hit = ("ip", request.client_ip, by_ip, self.limits.donations_per_ip_hour)
        if hit is None:
            return None
        subject_type, subject, count, limit = hit
        detail = {"subject_type": subject_type, "count_last_hour": count, "limit": limit}
        self.flag(DONATION_VELOCITY, subject_type=subject_type, subject=subject, detail=detail)
        return hold_decision(DONATION_VELOCITY, detail)
