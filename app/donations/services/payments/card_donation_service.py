"""A card payment's completion: the money received becomes the donation (its id is the intent's).

ONE ledger posting (key `payment:<intent_id>`, so exactly once per intent): a `card_payment` credit and the
matching `donated` debit (net zero on the balance, the ledger still carries the donation), or a `hold` when
compliance flagged the intent at creation; the intent moves to succeeded; the donation, its receipt drafted,
and DonationComplete. The receipt is numbered right after the commit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from app.core.clock import utcnow
from app.core.errors import Conflict
from app.donations.models.donations.donation import day_counters, donated_today, hold_record, ledger_meta, new_donation
from app.donations.models.donations.receipt import completion
from app.donations.models.wallet.giving import after_donation
from app.donations.models.wallet.ledger import CARD_PAYMENT, DONATED
from app.donations.repositories.donations.donations import DonationRepository
from app.donations.repositories.payments.intents import PaymentIntentRepository
from app.donations.services.donations.completion import completion_key, donation_complete, donation_held
from app.donations.services.donations.onlus_service import OnlusService
from app.donations.services.donations.receipt_service import ReceiptService
from app.donations.services.wallet.ledger import Ledger


class CardDonationService:
    def __init__(
        self,
        *,
        ledger: Ledger,
        donations: DonationRepository,
        intents: PaymentIntentRepository,
        onlus: OnlusService,
        receipts: ReceiptService,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.ledger = ledger
        self.donations = donations
        self.intents = intents
        self.onlus = onlus
        self.receipts = receipts
        self.clock = clock

    def complete(self, intent: dict, *, reference: dict) -> tuple[dict, bool]:
        """(donation, created). Conflict PAYMENT_INTENT_NOT_OPEN when the intent is no longer open."""
        intent_id = str(intent["_id"])
        user_id, amount = intent["user_id"], intent["amount_cents"]
        onlus = self.onlus.raw(intent["onlus_id"]) or {
            "_id": intent["onlus_id"],
            "name": intent.get("onlus_name"),
            "category": intent.get("onlus_category"),
            "tax_code": None,
        }
        donor = self.receipts.donor(user_id)
        hold_reasons = list((intent.get("compliance") or {}).get("reasons") or [])
        now = self.clock()
        today = now.date().isoformat()
        meta = ledger_meta(
            intent_id,
            onlus_id=intent["onlus_id"],
            onlus_category=onlus["category"],
            source="card",
            payment_intent_id=intent_id,
        )
        donation_ref = {"kind": "donation", "id": intent_id}
        for tx in self.ledger.posting(user_id, f"payment:{intent_id}"):
            with tx:
                counters = {
                    **day_counters(today, donated_today(tx.wallet, today) + amount),
                    **after_donation(tx.wallet, at=now),
                }
                tx.credit(amount, type=CARD_PAYMENT, source={"kind": "card", "id": intent_id, **reference}, meta=meta)
                if hold_reasons:
                    entry = tx.hold(
                        amount,
                        key=f"hold:{intent_id}",
                        source=donation_ref,
                        reason=", ".join(hold_reasons),
                        meta=meta,
                        wallet_set=counters,
                    )
                else:
                    entry = tx.debit(
                        amount,
                        type=DONATED,
                        key=completion_key(intent_id),
                        source=donation_ref,
                        meta=meta,
                        wallet_set=counters,
                    )
                paid = self.intents.mark_succeeded(
                    intent["_id"],
                    donation_id=intent_id,
                    via=reference.get("via", "webhook"),
                    at=self.clock(),
                    session=tx.session,
                )
                if paid is None:
                    raise Conflict("PAYMENT_INTENT_NOT_OPEN")
                donation = new_donation(
                    intent["_id"],
                    user_id=user_id,
                    onlus_id=intent["onlus_id"],
                    onlus=onlus,
                    amount_cents=amount,
                    source="card",
                    entry=entry,
                    held=bool(hold_reasons),
                    at=now,
                    client_ip=intent.get("client_ip"),
                    payment={
                        "payment_intent_id": intent_id,
                        "provider": intent["provider"],
                        "provider_intent_id": intent.get("provider_intent_id"),
                    },
                )
                if hold_reasons:
                    failed = (intent.get("compliance") or {}).get("failed_checks") or []
                    donation["hold"] = hold_record(hold_reasons, failed, at=now)
                    tx.record(donation_held(donation, now), key=f"donation_held:{intent_id}")
                else:
                    donation.update(completion(donation, onlus, donor, now))
                    tx.record(donation_complete(donation, onlus, now), key=completion_key(intent_id))
                self.donations.insert(donation, session=tx.session)
        if tx.replayed is not None:
            return self.donations.by_id(intent_id), False
        self.receipts.number_after_commit(donation)
        return donation, True
