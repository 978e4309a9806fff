"""Credits from play and rewards: session conversion (exactly once per session), tournament bonuses, and what
a moderator's decision on a session does to its credits (approved: held credits released; voided: taken back)."""

from __future__ import annotations

import logging

from app.donations.events import SessionCreditHeld, SessionCreditSettled
from app.donations.models.compliance.fraud import remember_session
from app.donations.models.wallet.conversion import Credit, FraudLimits, SessionFacts, session_credit
from app.donations.models.wallet.ledger import (
    BONUS,
    EARNED,
    HELD,
    RELEASE,
    REVERSAL,
    VOIDED,
    release_key,
    reversal_key,
)
from app.donations.services.compliance.fraud_service import FraudService
from app.donations.services.donations.auto_donation_service import AutoDonationService
from app.donations.services.wallet.ledger import Ledger, LedgerPosting
from app.donations.services.wallet.rates_service import RatesService
from app.games.events import GameSessionComplete, SessionApproved, SessionVoided

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
    def credit_completed_session(self, session: GameSessionComplete, *, follow_ups: bool = True) -> None:
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
            session_id=session.session_id,
            user_id=session.user_id,
            facts=facts,
            game_id=session.game_id,
            follow_ups=follow_ups,
        )

    def credit_session(
        self,
        *,
        session_id: str,
        user_id: str,
        facts: SessionFacts,
        game_id: str | None = None,
        follow_ups: bool = True,
    ) -> dict:
        """Convert one completed session into credits; its ledger entry. Ledger key `session:<id>`: a second
        delivery (or a racing one) finds the entry and changes nothing; one this process posted (the `end`
        request, before the event's handler runs) is known without a query."""
        key = session_key(session_id)
        posted = self.ledger.remembered(key)
        if posted is None:
            posted = self._post_session_credit(session_id, user_id, facts, game_id, key)
        if follow_ups:
            self._after_credit(user_id, key, posted)
        return posted

    def _post_session_credit(
        self, session_id: str, user_id: str, facts: SessionFacts, game_id: str | None, key: str
    ) -> dict:
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
                if credit.status == HELD:
                    tx.record(
                        SessionCreditHeld(
                            session_id=session_id,
                            user_id=user_id,
                            held_cents=credit.held_cents,
                            reasons=list(credit.breakdown["reasons"]),
                            held_at=now,
                        ),
                        key=f"session_credit_held:{session_id}",
                    )
        if tx.replayed is None:
            if reasons:
                self.fraud.flag_session(user_id, reasons, key=key, recent=tx.wallet.get("recent_sessions"))
            if entry["status"] != "posted":
                log.info("session %s credited %s cents (%s)", session_id, entry["amount_cents"], entry["status"])
        return tx.entry

    def credit_bonus(
        self, *, user_id: str, key: str, amount_cents: int, source: dict, reason: str | None = None
    ) -> LedgerPosting | None:
        if amount_cents <= 0:
            return None
        for tx in self.ledger.posting(user_id, key):
            with tx:
                tx.announce_credit(tx.credit(amount_cents, type=BONUS, source=source, reason=reason))
        self._after_credit(user_id, key, tx.entry)
        return tx

    # -- fair play ----------------------------------------------------------------------------
    def approve_session(self, approved: SessionApproved) -> None:
        """The session's held credits go to the balance (nothing when they were settled before)."""
        held = self.ledger.entry(session_key(approved.session_id))
        if held is not None and held["status"] == HELD:
            settle_held(self.ledger, held, approve=True, actor_id=approved.actor_id, reason=approved.reason)

    def void_session(self, voided: SessionVoided) -> None:
        """Take back what the session earned, never by editing its entry: held credits are forfeited, credits in
        the balance leave it by a `reversal` entry linked to the credit (as much as the balance still holds:
        the rest was donated and is recorded as unrecovered). A session not credited yet never will be."""
        key = session_key(voided.session_id)
        reason = f"Session voided: {voided.reason}"
        credit = self.ledger.entry(key)
        if credit is None:
            credit = self._claim_voided(voided, key, reason)
            if credit is None:
                return
        if credit["status"] == VOIDED:
            return
        earned = max(0, int(credit["amount_cents"]))
        if credit["status"] == HELD:
            settled = settle_held(self.ledger, credit, approve=False, actor_id=voided.actor_id, reason=reason)
            earned = max(0, int(settled.entry["amount_cents"]))  # approved before the void: in the balance
        if earned:
            self._reverse(voided, key, earned, reason)

    def _claim_voided(self, voided: SessionVoided, key: str, reason: str) -> dict | None:
        """Post the session's key as voided, so that its credit handler finds it taken; the credit's entry when
        the handler was first (None: the claim won)."""
        for tx in self.ledger.posting(voided.user_id, key):
            with tx:
                tx.credit(
                    0,
                    type=EARNED,
                    status=VOIDED,
                    source={"kind": "session", "id": voided.session_id, "game_id": voided.game_id},
                    reason=reason,
                    actor_id=voided.actor_id,
                )
        return tx.replayed

    def _reverse(self, voided: SessionVoided, key: str, earned: int, reason: str) -> None:
        for tx in self.ledger.posting(voided.user_id, reversal_key(key)):
            with tx:
                taken = min(earned, max(0, int(tx.wallet.get("balance_cents", 0))))
                tx.post(
                    -taken,
                    type=REVERSAL,
                    source={"kind": "session", "id": voided.session_id, "key": key},
                    reason=reason,
                    actor_id=voided.actor_id,
                    breakdown={"reversed_cents": taken, "unrecovered_cents": earned - taken},
                )
        unrecovered = tx.entry["breakdown"]["unrecovered_cents"]
        if tx.replayed is None and unrecovered:
            log.warning(
                "voided session %s: %s cents were donated before, not taken back", voided.session_id, unrecovered
            )

    def _after_credit(self, user_id: str, key: str, entry: dict) -> None:
        # also on a repeated delivery: a retry after a failed auto-donation finishes it (idempotent keys)
        if entry["amount_cents"] > 0:
            self.auto_donations.after_credit(user_id, key)


def session_key(session_id: str) -> str:
    """The ledger key of a session's credit."""
    return f"session:{session_id}"


def settle_held(ledger: Ledger, held: dict, *, approve: bool, actor_id: str | None, reason: str) -> LedgerPosting:
    """Settle credits a fraud check held (entry `held`): approved, they move into the balance; else they are
    forfeited. Once per held entry (key `release:<its key>`); a session's settlement is announced."""
    amount = held["held_cents"]
    source = held.get("source") or {}
    for tx in ledger.posting(held["user_id"], release_key(held["key"])):
        with tx:
            entry = tx.credit(
                amount if approve else 0,
                type=RELEASE,
                held_cents=-amount,
                source={"kind": "held", "id": str(held["_id"]), "key": held["key"]},
                reason=reason,
                actor_id=actor_id,
                breakdown={"approved": approve, "held_cents": amount},
            )
            tx.announce_credit(entry)
            if source.get("kind") == "session":
                tx.record(
                    SessionCreditSettled(
                        session_id=source["id"],
                        user_id=held["user_id"],
                        approved=approve,
                        amount_cents=amount if approve else 0,
                        actor_id=actor_id,
                        settled_at=entry["created_at"],
                    ),
                    key=f"session_credit_settled:{source['id']}",
                )
    return tx


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
