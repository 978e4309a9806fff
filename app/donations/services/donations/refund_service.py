"""Refunds: a completed donation reversed by an entry linked to its debit, its receipt marked void,
DonationRefunded published; for a card donation the money also goes back to the card."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from app.core.clock import utcnow
from app.core.errors import Conflict, NotFound
from app.donations.events import DonationRefunded
from app.donations.models.donations.donation import COMPLETED, REFUNDED, ledger_meta
from app.donations.models.wallet.ledger import CARD_REFUND, REFUND
from app.donations.repositories.donations.donations import DonationRepository
from app.donations.repositories.wallet.ledger import LedgerRepository
from app.donations.services.donations.receipt_service import ReceiptService
from app.donations.services.payments.card_refund_service import CardRefundService
from app.donations.services.wallet.ledger import Ledger


class RefundService:
    def __init__(
        self,
        *,
        ledger: Ledger,
        entries: LedgerRepository,
        donations: DonationRepository,
        receipts: ReceiptService,
        card_refunds: CardRefundService,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.ledger = ledger
        self.entries = entries  # the debit a refund reverses
        self.donations = donations
        self.receipts = receipts
        self.card_refunds = card_refunds
        self.clock = clock

    def refund(self, donation_id: str, *, actor_id: str | None, reason: str, provider_initiated: bool = False) -> dict:
        """Reverse a completed donation: a `refund` entry linked to the original debit (wallet donations:
        the credits return to the wallet; card donations: paired with a `card_refund`, the money goes back
        to the card through the provider), the receipt marked void, DonationRefunded published.
        `provider_initiated`: the provider already refunded (charge.refunded webhook): ledger only."""
        donation = self.donations.by_id(donation_id)
        if donation is None:
            raise NotFound("DONATION_NOT_FOUND")
        self.receipts.number(donation)  # a receipt still in draft exists before it is voided
        if donation["status"] != COMPLETED:
            if donation["status"] == REFUNDED and provider_initiated:
                return donation
            raise Conflict("DONATION_NOT_REFUNDABLE")
        key = f"refund:{donation_id}"
        now = self.clock()
        card = donation.get("source") == "card"
        original = self.entries.by_key(f"donation:{donation_id}")
        meta = ledger_meta(
            donation_id,
            onlus_id=donation["onlus_id"],
            onlus_category=donation["onlus_category"],
            source=donation.get("source"),
            reverses=f"donation:{donation_id}",
            reverses_entry_id=str(original["_id"]) if original else None,
        )
        amount, user_id = donation["amount_cents"], donation["user_id"]
        for tx in self.ledger.posting(user_id, key):
            with tx:
                tx.credit(
                    amount,
                    type=REFUND,
                    source={"kind": "donation", "id": donation_id},
                    reason=reason,
                    actor_id=actor_id,
                    meta=meta,
                )
                if card:
                    tx.debit(
                        amount,
                        type=CARD_REFUND,
                        key=f"card_refund:{donation_id}",
                        source={"kind": "card", "id": donation_id},
                        reason="returned to the card",
                        actor_id=actor_id,
                        meta=meta,
                    )
                refunded = self.donations.mark_refunded(
                    donation_id, at=now, reason=reason, by=actor_id, session=tx.session
                )
                if refunded is None:
                    raise Conflict("DONATION_NOT_REFUNDABLE")
                self.receipts.void(donation_id, reason=reason, at=now, session=tx.session)
                tx.record(
                    DonationRefunded(
                        donation_id=donation_id,
                        user_id=user_id,
                        onlus_id=donation["onlus_id"],
                        onlus_category=donation["onlus_category"],
                        amount_cents=amount,
                        refunded_at=now,
                    ),
                    key=key,
                )
        if tx.replayed is not None:
            return self.donations.by_id(donation_id)
        if card and not provider_initiated:
            self.card_refunds.refund_at_provider(refunded, reason="requested_by_customer")
            return self.donations.by_id(donation_id)
        return refunded
