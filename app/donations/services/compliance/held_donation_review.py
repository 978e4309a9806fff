"""Held donations: a donation a compliance rule flagged waits in the wallet's `held` until an admin approves
it (held -> balance -> donated, receipt, DonationComplete with `reviewed`) or rejects it (the money returns;
for a card payment, to the card; DonationRejected). Exactly once: approve and reject race on the ledger key
`unhold:<id>`; repeating the same decision answers the settled donation, the other decision is 409
DONATION_NOT_HELD."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from app.core.clock import utcnow
from app.core.errors import Conflict, NotFound, not_own_case
from app.donations.models.donations.donation import (
    COMPLETED,
    HELD,
    REJECTED,
    ledger_meta,
    review_record,
    settled_by_review,
)
from app.donations.models.donations.receipt import completion
from app.donations.models.wallet.ledger import CARD_REFUND, DONATED
from app.donations.repositories.donations.donations import DonationRepository
from app.donations.repositories.wallet.ledger import LedgerKeyTaken
from app.donations.services.donations.completion import completion_key, donation_complete, donation_rejected
from app.donations.services.donations.onlus_service import OnlusService
from app.donations.services.donations.receipt_service import ReceiptService
from app.donations.services.payments.card_refund_service import CardRefundService
from app.donations.services.wallet.ledger import Ledger


class HeldDonationReview:
    def __init__(
        self,
        *,
        ledger: Ledger,
        donations: DonationRepository,
        onlus: OnlusService,
        receipts: ReceiptService,
        card_refunds: CardRefundService,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.ledger = ledger
        self.donations = donations
        self.onlus = onlus
        self.receipts = receipts
        self.card_refunds = card_refunds
        self.clock = clock

    # -- reads ---------------------------------------------------------------------
    def page(self, *, skip: int, limit: int, status: str | None = HELD) -> tuple[list, int]:
        return self.donations.held_page(skip=skip, limit=limit, status=status)

    def between(self, start: datetime, end: datetime) -> list[dict]:
        return self.donations.held_between(start, end)

    # -- decisions ---------------------------------------------------------------------
    def approve(self, donation_id: str, *, actor_id: str, note: str | None = None) -> dict:
        """Complete a held donation: held -> balance -> donated in one transaction, with its receipt and
        DonationComplete."""
        donation = self._held(donation_id, settling_into=COMPLETED)
        not_own_case(actor_id, donation["user_id"])
        if donation["status"] == COMPLETED:
            return donation
        onlus = self.onlus.raw(donation["onlus_id"]) or {
            "name": donation["onlus_name"],
            "tax_code": None,
            "category": donation["onlus_category"],
        }
        donor = self.receipts.donor(donation["user_id"])
        now = self.clock()
        amount, meta = donation["amount_cents"], self._meta(donation)
        source = {"kind": "donation", "id": donation_id}
        try:
            for tx in self.ledger.posting(donation["user_id"], f"unhold:{donation_id}"):
                with tx:
                    tx.unhold(
                        amount, source=source, actor_id=actor_id, reason="approved after compliance review", meta=meta
                    )
                    tx.debit(
                        amount,
                        type=DONATED,
                        key=completion_key(donation_id),
                        source=source,
                        actor_id=actor_id,
                        meta=meta,
                    )
                    approved = self.donations.approve_held(
                        donation_id,
                        completion=completion(donation, onlus, donor, now),
                        review=review_record("approved", by=actor_id, at=now, note=note),
                        session=tx.session,
                    )
                    if approved is None:
                        raise Conflict("DONATION_NOT_HELD")
                    tx.record(donation_complete(approved, onlus, now, reviewed=True), key=completion_key(donation_id))
        except LedgerKeyTaken:
            return self._settled(donation_id, COMPLETED)
        if tx.replayed is not None:
            return self._settled(donation_id, COMPLETED)
        self.receipts.number_after_commit(approved)
        return approved

    def reject(
        self, donation_id: str, *, actor_id: str, note: str | None = None, provider_initiated: bool = False
    ) -> dict:
        """Reject a held donation: the money returns to the wallet (for a card payment, to the card;
        `provider_initiated`: the provider already sent it back)."""
        donation = self._held(donation_id, settling_into=REJECTED)
        if not provider_initiated:
            not_own_case(actor_id, donation["user_id"])
        if donation["status"] == REJECTED:
            return donation
        amount, meta = donation["amount_cents"], self._meta(donation)
        card = donation["source"] == "card"
        now = self.clock()
        try:
            for tx in self.ledger.posting(donation["user_id"], f"unhold:{donation_id}"):
                with tx:
                    tx.unhold(
                        amount,
                        source={"kind": "donation", "id": donation_id},
                        actor_id=actor_id,
                        reason=note or "rejected after compliance review",
                        meta=meta,
                    )
                    if card:
                        tx.debit(
                            amount,
                            type=CARD_REFUND,
                            key=f"card_refund:{donation_id}",
                            source={"kind": "card", "id": donation_id},
                            actor_id=actor_id,
                            reason="returned to the card",
                            meta=meta,
                        )
                    rejected = self.donations.reject_held(
                        donation_id,
                        review=review_record("rejected", by=actor_id, at=now, note=note),
                        session=tx.session,
                    )
                    if rejected is None:
                        raise Conflict("DONATION_NOT_HELD")
                    tx.record(donation_rejected(rejected, now), key=f"donation_rejected:{donation_id}")
        except LedgerKeyTaken:
            return self._settled(donation_id, REJECTED)
        if tx.replayed is not None:
            return self._settled(donation_id, REJECTED)
        if card and not provider_initiated:
            self.card_refunds.refund_at_provider(rejected, reason="compliance_rejected")
        return self.donations.by_id(donation_id)

    def _held(self, donation_id: str, *, settling_into: str) -> dict:
        """The held donation; also one this same decision already settled (a repeat answers it again)."""
        donation = self.donations.by_id(donation_id)
        if donation is None or "hold" not in donation:
            raise NotFound("HELD_DONATION_NOT_FOUND")
        if donation["status"] != HELD and not settled_by_review(donation, settling_into):
            raise Conflict("DONATION_NOT_HELD")
        return donation

    def _settled(self, donation_id: str, expected: str) -> dict:
        """Settled before (or by a racing admin): the same decision answers its result, the other is a conflict."""
        current = self.donations.by_id(donation_id)
        if current["status"] != expected:
            raise Conflict("DONATION_NOT_HELD")
        return current

    @staticmethod
    def _meta(donation: dict) -> dict:
        return ledger_meta(
            str(donation["_id"]),
            onlus_id=donation["onlus_id"],
            onlus_category=donation["onlus_category"],
            source=donation["source"],
        )
