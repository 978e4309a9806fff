"""Credits from play and rewards: session conversion (exactly once per session) and tournament bonuses."""

from __future__ import annotations

import logging

from app.donations.models.compliance.fraud import remember_session
from app.donations.models.wallet.conversion import Credit, FraudLimits, SessionFacts, session_credit
from app.donations.models.wallet.ledger import BONUS, EARNED, HELD, Posting
from app.donations.services.wallet.rates_service import RatesService
from app.donations.services.wallet.wallet_service import PostResult, WalletService

log = logging.getLogger(__name__)


class CreditService:
    def __init__(
        self,
        *,
        wallet: WalletService,
        rates: RatesService,
        limits: FraudLimits,
        auto_donate=None,
        fraud=None,
    ):
        self.wallet = wallet
        self.fraud = fraud  # FraudService: velocity / credit-farming checks that hold a session's credits
        self.rates = rates
        self.limits = limits
        self.auto_donate = auto_donate  # callable(user_id, trigger_key) run after a credit reaches the balance

    def credit_session(
        self, *, session_id: str, user_id: str, facts: SessionFacts, game_id: str | None = None, completed_at=None
    ) -> PostResult:
        """Convert one completed session into credits. Ledger key `session:<id>`: a second delivery
        (or a racing one) finds the entry and changes nothing."""
        key = f"session:{session_id}"
        rates = self.rates.current()
        clock = self.wallet.clock
        found: dict = {}

        def prepare(wallet: dict) -> Posting:
            now = clock()
            today = now.date().isoformat()
            earned_today = wallet.get("earned_today_cents", 0) if wallet.get("earned_day") == today else 0
            credit = session_credit(facts, rates, earned_today_cents=earned_today, limits=self.limits)
            extra: dict = {}
            if self.fraud is not None:
                # velocity / farming from the recent sessions kept on the wallet: no extra query per session
                recent = wallet.get("recent_sessions") or []
                found["reasons"] = self.fraud.session_reasons(recent, now=now, play_seconds=facts.play_seconds)
                extra["recent_sessions"] = remember_session(recent, now=now, play_seconds=facts.play_seconds)
                if found["reasons"]:
                    credit = hold_for(credit, found["reasons"])
            return Posting(
                user_id=user_id,
                key=key,
                type=EARNED,
                status=credit.status,
                amount_cents=credit.credited_cents,
                held_cents=credit.held_cents,
                source={"kind": "session", "id": session_id, "game_id": game_id},
                breakdown=credit.breakdown,
                reason=", ".join(credit.breakdown["reasons"]) or None,
                wallet_set={"earned_day": today, "earned_today_cents": earned_today + credit.credited_cents, **extra},
            )

        result = self.wallet.post(user_id, key, prepare)
        if result.created and found.get("reasons"):
            self.fraud.flag_session(user_id, found["reasons"], key=key, recent=result.wallet.get("recent_sessions"))
        self.wallet.dispatch(result.event_ids)
        if result.created and result.entry["status"] != "posted":
            log.info(
                "session %s credited %s cents (%s)", session_id, result.entry["amount_cents"], result.entry["status"]
            )
        self._after_credit(user_id, key, result)
        return result

    def credit_bonus(
        self, *, user_id: str, key: str, amount_cents: int, source: dict, reason: str | None = None
    ) -> PostResult | None:
        if amount_cents <= 0:
            return None
        result = self.wallet.post(
            user_id,
            key,
            lambda _w: Posting(
                user_id=user_id, key=key, type=BONUS, amount_cents=amount_cents, source=source, reason=reason
            ),
        )
        self.wallet.dispatch(result.event_ids)
        self._after_credit(user_id, key, result)
        return result

    def _after_credit(self, user_id: str, key: str, result: PostResult) -> None:
        # also on a repeated delivery: a retry after a failed auto-donation finishes it (idempotent keys)
        if self.auto_donate is not None and result.entry["amount_cents"] > 0:
            self.auto_donate(user_id, key)


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
