"""Donations from the wallet: validate -> compliance -> one ledger posting (guarded debit, ledger entry, the
donation with its receipt drafted, DonationComplete in the outbox) -> the receipt's number, right after.
A donation a compliance rule flags is held instead: its amount moves to the wallet's `held`, and it waits for
an admin (HeldDonationReview).

Other modules read it through app.donations.contracts.DonationRecords (get_donation, period_summary).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from app.core.clock import utcnow
from app.core.errors import InsufficientBalance, NotFound, ValidationFailed
from app.donations.models.donations import summary
from app.donations.models.donations.donation import (
    day_counters,
    donated_today,
    hold_record,
    ledger_meta,
    new_donation,
)
from app.donations.models.donations.receipt import completion
from app.donations.models.wallet.giving import after_donation
from app.donations.models.wallet.ledger import BONUS, DONATED, EARNED, REFUND, RELEASE, REVERSAL
from app.donations.repositories.donations.donations import DonationRepository, DuplicateDonation
from app.donations.repositories.wallet.ledger import LedgerRepository
from app.donations.services.compliance.compliance_service import ComplianceRequest, ComplianceService
from app.donations.services.donations.completion import completion_key, donation_complete, donation_held
from app.donations.services.donations.onlus_service import OnlusService
from app.donations.services.donations.receipt_service import ReceiptService
from app.donations.services.wallet.ledger import Ledger


class DonationService:
    def __init__(
        self,
        *,
        ledger: Ledger,
        entries: LedgerRepository,
        donations: DonationRepository,
        onlus: OnlusService,
        compliance: ComplianceService,
        receipts: ReceiptService,
        receipts_after_answer: bool = False,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.ledger = ledger
        self.entries = entries  # the ledger's donation entries (summaries)
        self.donations = donations
        self.onlus = onlus
        self.compliance = compliance
        self.receipts = receipts
        # handlers run after the answer: so does numbering the receipt (the answer shows no number yet)
        self.receipts_after_answer = receipts_after_answer
        self.clock = clock

    # -- making a donation ----------------------------------------------------------
    def process(
        self,
        user_id: str,
        *,
        onlus_id: str,
        amount_cents: int,
        idempotency_key: str | None = None,
        source: str = "wallet",
        trigger_key: str | None = None,
        client_ip: str | None = None,
    ) -> tuple[dict, bool]:
        """Returns (donation, created). A repeated idempotency key returns the first donation.

        A donation that a compliance rule (KYC, AML, sanctions, fraud velocity) flags is HELD: its amount
        leaves the balance for `held` in the same transaction, status 'held', no receipt or event until an
        admin approves or rejects it (the money then returns to the balance)."""
        if idempotency_key:
            existing = self.donations.by_idempotency_key(user_id, idempotency_key)
            if existing is not None:
                return self._replay(existing, onlus_id, amount_cents), False
        self.compliance.require_donations_enabled()
        onlus = self.onlus.donatable(onlus_id)
        donor = self.receipts.donor(user_id)
        donation_id = self.donations.new_id()
        now = self.clock()
        today = now.date().isoformat()
        meta = ledger_meta(str(donation_id), onlus_id=onlus_id, onlus_category=onlus["category"], source=source)
        source_ref = {"kind": "donation", "id": str(donation_id)}
        try:
            for tx in self.ledger.posting(user_id, completion_key(donation_id)):
                with tx:
                    given_today = donated_today(tx.wallet, today)
                    request = ComplianceRequest(
                        user_id=user_id,
                        onlus=onlus,
                        amount_cents=amount_cents,
                        donated_today_cents=given_today,
                        source=source,
                        client_ip=client_ip,
                        donor_name=donor["name"],
                        wallet=tx.wallet,
                    )
                    decision = self.compliance.check(request)
                    if not decision.allowed:
                        self.compliance.record(request, decision, subject_type="donation", subject_id=None)
                        raise decision.error()
                    if tx.wallet["balance_cents"] < amount_cents:
                        raise InsufficientBalance()
                    counters = {
                        **day_counters(today, given_today + amount_cents),
                        **after_donation(tx.wallet, at=now),
                    }
                    if decision.hold:
                        entry = tx.hold(
                            amount_cents,
                            key=f"hold:{donation_id}",
                            source=source_ref,
                            reason=", ".join(decision.reasons),
                            meta=meta,
                            wallet_set=counters,
                        )
                    else:
                        entry = tx.debit(amount_cents, type=DONATED, source=source_ref, meta=meta, wallet_set=counters)
                    donation = new_donation(
                        donation_id,
                        user_id=user_id,
                        onlus_id=onlus_id,
                        onlus=onlus,
                        amount_cents=amount_cents,
                        source=source,
                        entry=entry,
                        held=decision.hold,
                        at=now,
                        client_ip=client_ip,
                    )
                    if decision.hold:
                        failed = [c for c in decision.checks if not c["passed"]]
                        donation["hold"] = hold_record(decision.reasons, failed, at=now)
                        tx.record(donation_held(donation, now), key=f"donation_held:{donation_id}")
                    if idempotency_key:
                        donation["idempotency_key"] = idempotency_key
                    if trigger_key:
                        donation["trigger_key"] = trigger_key
                    if not decision.hold:
                        donation.update(completion(donation, onlus, donor, now))
                        tx.record(donation_complete(donation, onlus, now), key=completion_key(donation_id))
                    self.donations.insert(donation, session=tx.session)
        except DuplicateDonation:
            # the same idempotency key raced us and won: answer with its donation
            existing = self.donations.by_idempotency_key(user_id, idempotency_key) if idempotency_key else None
            if existing is None:
                raise
            return self._replay(existing, onlus_id, amount_cents), False
        self.compliance.record(request, decision, subject_type="donation", subject_id=str(donation_id))
        if not self.receipts_after_answer:
            self.receipts.number_after_commit(donation)
        return donation, True

    def _replay(self, existing: dict, onlus_id: str, amount_cents: int) -> dict:
        if existing["onlus_id"] != onlus_id or existing["amount_cents"] != amount_cents:
            raise ValidationFailed(
                "IDEMPOTENCY_KEY_REUSED", errors={"Idempotency-Key": ["Already used for a different donation."]}
            )
        self.receipts.number_after_commit(existing)
        return existing

    # -- reads -------------------------------------------------------------------
    def history(self, user_id: str, *, skip: int, limit: int, **filters) -> tuple[list, int]:
        return self.donations.page_for_user(user_id, skip=skip, limit=limit, **filters)

    def for_user(self, user_id: str, donation_id: str) -> dict:
        donation = self.donations.by_id(donation_id)
        if donation is None or donation["user_id"] != user_id:
            raise NotFound("DONATION_NOT_FOUND")
        return donation

    def user_summary(self, user_id: str) -> dict:
        """The donor's totals from the ledger, net of refunds."""
        return summary.user_summary(self.entries.for_user(user_id, types=[DONATED, REFUND]))

    # -- contract: app.donations.contracts.DonationRecords -----------------------------
    def get_donation(self, donation_id: str) -> dict | None:
        d = self.donations.by_id(donation_id)
        if d is None:
            return None
        return {
            "id": str(d["_id"]),
            "user_id": d["user_id"],
            "onlus_id": d["onlus_id"],
            "amount_cents": d["amount_cents"],
            "status": d["status"],
            "created_at": d["created_at"],
            "completed_at": d.get("completed_at"),
            "receipt_number": d.get("receipt_number"),
        }

    def period_summary(self, start: datetime, end: datetime) -> dict:
        """From the ledger, entries with created_at in [start, end): net donated (donations minus refunds)."""
        return self.entries.period_summary(start, end)

    def earned_between(self, user_id: str, start: datetime, end: datetime) -> int:
        """Credits that reached the user's balance in [start, end): play, rewards and released holds, less the
        credits of voided sessions taken back."""
        return self.entries.sum_for_user(user_id, [EARNED, BONUS, RELEASE, REVERSAL], start, end)

    def totals_by_status(self) -> dict[str, tuple[int, int]]:
        """{status: (donations, cents)}: what the operator's metrics count."""
        return self.donations.totals_by_status()
