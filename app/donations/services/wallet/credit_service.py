"""Credits from play and rewards: session conversion (exactly once per session) and tournament bonuses."""

from __future__ import annotations

import logging

from app.donations.models.compliance.fraud import remember_session
from app.donations.models.wallet.conversion import Credit, FraudLimits, SessionFacts, session_credit
from app.donations.models.wallet.ledger import BONUS, EARNED, HELD
from app.donations.services.compliance.fraud_service import FraudService
from app.donations.services.donations.auto_donation_service import AutoDonationService
from app.donations.services.wallet.ledger import Ledger, LedgerPosting
from app.donations.services.wallet.rates_service import RatesService
from app.games.events import GameSessionComplete

log = logging.getLogger(__name__)


class CreditService:
    def __init__(
        self,
        *,
        ledger: Ledger,
        rates: RatesService,
        limits: FraudLimits,
        fraud: FraudService,
        auto_donations: AutoDonationService,
    ):
        self.ledger = ledger
        self.rates = rates
        self.limits = limits
        self.fraud = fraud  # velocity / credit-farming checks that hold a session's credits
        self.auto_donations = auto_donations  # run after a credit reaches the balance

    # -- contract: app.donations.contracts.SessionCrediting ------------------------------
    def credit_completed_session(self, session: GameSessionComplete) -> None:
        facts = SessionFacts(
            play_seconds=session.play_seconds,
            category=session.game_category,
            universal_score=session.universal_score,
            raw_score=session.raw_score,
            mode_multiplier=session.mode_multiplier,
            in_tournament=bool(session.tournament_id),
            streak_days=session.streak_days,
            is_weekend=session.is_weekend,
            sessions_last_hour=session.sessions_last_hour,
        )
        self.credit_session(
            session_id=session.session_id, user_id=session.user_id, facts=facts, game_id=session.game_id
        )

    def credit_session(
        self, *, session_id: str, user_id: str, facts: SessionFacts, game_id: str | None = None
    ) -> LedgerPosting:
        """Convert one completed session into credits. Ledger key `session:<id>`: a second delivery
        (or a racing one) finds the entry and changes nothing."""
        key = f"session:{session_id}"
        rates = self.rates.current()
        for tx in self.ledger.posting(user_id, key):
            with tx:
                now = self.ledger.clock()
                today = now.date().isoformat()
                wallet = tx.wallet
                earned_today = wallet.get("earned_today_cents", 0) if wallet.get("earned_day") == today else 0
                credit = session_credit(facts, rates, earned_today_cents=earned_today, limits=self.limits)
                # velocity / farming from the recent sessions kept on the wallet: no extra query per session
                recent = wallet.get("recent_sessions") or []
                reasons = self.fraud.session_reasons(recent, now=now, play_seconds=facts.play_seconds)
                if reasons:
                    credit = hold_for(credit, reasons)
                entry = tx.credit(
                    credit.credited_cents,
                    type=EARNED,
                    status=credit.status,
                    held_cents=credit.held_cents,
                    source={"kind": "session", "id": session_id, "game_id": game_id},
                    breakdown=credit.breakdown,
                    reason=", ".join(credit.breakdown["reasons"]) or None,
                    wallet_set={
                        "earned_day": today,
                        "earned_today_cents": earned_today + credit.credited_cents,
                        "recent_sessions": remember_session(recent, now=now, play_seconds=facts.play_seconds),
                    },
                )
                tx.announce_credit(entry)
        if tx.replayed is None:
            if reasons:
                self.fraud.flag_session(user_id, reasons, key=key, recent=tx.wallet.get("recent_sessions"))
            if entry["status"] != "posted":
                log.info("session %s credited %s cents (%s)", session_id, entry["amount_cents"], entry["status"])
        self._after_credit(user_id, key, tx)
        return tx

    def credit_bonus(
        self, *, user_id: str, key: str, amount_cents: int, source: dict, reason: str | None = None
    ) -> LedgerPosting | None:
        if amount_cents <= 0:
            return None
        for tx in self.ledger.posting(user_id, key):
            with tx:
                tx.announce_credit(tx.credit(amount_cents, type=BONUS, source=source, reason=reason))
        self._after_credit(user_id, key, tx)
        return tx

    def _after_credit(self, user_id: str, key: str, tx: LedgerPosting) -> None:
        # also on a repeated delivery: a retry after a failed auto-donation finishes it (idempotent keys)
        if tx.entry["amount_cents"] > 0:
            self.auto_donations.after_credit(user_id, key)


def hold_for(credit: Credit, reasons: list[str]) -> Credit:
    """Hold a session's credits for review (fraud velocity / farming): nothing reaches the balance."""
    gross = credit.breakdown["gross_cents"]
    breakdown = {
        **credit.breakdown,
        "credited_cents": 0,
        "held_cents": gross,
        "status": HELD,
        "reasons": list(credit.breakdown["reasons"]) + [r for r in reasons if r not in credit.breakdown["reasons"]],
    }
    return Credit(status=HELD, credited_cents=0, held_cents=gross, breakdown=breakdown)
