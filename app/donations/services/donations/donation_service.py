"""Donations from the wallet: validate -> compliance -> one transaction (guarded debit, ledger entry,
donation with its receipt drafted, DonationComplete in the outbox) -> the receipt's gap-free number in a
short transaction of its own -> dispatch the event.

Other modules read it through app.donations.contracts.DonationRecords (period_summary, get_donation).
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from app.core.clock import utcnow
from app.core.database import in_transaction
from app.core.errors import AppError, Conflict, InsufficientBalance, NotFound, ValidationFailed
from app.donations.events import DonationComplete, DonationRefunded
from app.donations.models.donations.donation import (
    COMPLETED,
    HELD,
    REFUNDED,
    REJECTED,
    auto_donation_amounts,
    receipt_number,
)
from app.donations.models.donations.onlus import can_receive_donations
from app.donations.models.wallet.ledger import CARD_PAYMENT, CARD_REFUND, DONATED, HOLD, REFUND, UNHOLD, Posting
from app.donations.repositories.donations.donations import DonationRepository
from app.donations.repositories.donations.receipts import ReceiptRepository
from app.donations.services.compliance.compliance_service import ComplianceRequest, ComplianceService
from app.donations.services.donations.onlus_service import OnlusService
from app.donations.services.wallet.wallet_service import WalletService

log = logging.getLogger(__name__)

TAX_NOTE = (
    "Donations to ONLUS / ETS organisations are deductible or detractable under Italian law "
    "(art. 83 D.Lgs. 117/2017, art. 15 TUIR) within the limits in force. Keep this receipt "
    "with your tax return."
)


class DonationService:
    def __init__(
        self,
        *,
        wallet: WalletService,
        onlus: OnlusService,
        compliance: ComplianceService,
        donations: DonationRepository,
        receipts: ReceiptRepository,
        hooks,
        users=None,
        preferences=None,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.wallet = wallet
        self.onlus = onlus
        self.compliance = compliance
        self.donations = donations
        self.receipts = receipts
        self.hooks = hooks
        self.users = users  # core "users" service (donor name on receipts)
        self.preferences = preferences  # core "preferences" service (auto-donation settings)
        self.clock = clock
        self.payments = None  # PaymentService, set by init_app (card refunds at the provider)
        self._numbering = threading.Lock()

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
        admin approves it (approve_held) or rejects it (reject_held: the money returns to the balance)."""
        if idempotency_key:
            existing = self.donations.by_idempotency_key(user_id, idempotency_key)
            if existing is not None:
                return self._replay(existing, onlus_id, amount_cents), False
        onlus = self.onlus.donatable(onlus_id)
        donor = self._donor(user_id)
        donation_id = ObjectId()
        key = f"donation:{donation_id}"
        now = self.clock()
        today = now.date().isoformat()
        holder: dict = {}
        meta = {
            "donation_id": str(donation_id),
            "onlus_id": onlus_id,
            "onlus_category": onlus["category"],
            "source": source,
        }

        def prepare(wallet: dict) -> list[Posting]:
            donated_today = wallet.get("donated_today_cents", 0) if wallet.get("donated_day") == today else 0
            request = ComplianceRequest(
                user_id=user_id,
                onlus=onlus,
                amount_cents=amount_cents,
                donated_today_cents=donated_today,
                source=source,
                client_ip=client_ip,
                donor_name=donor["name"],
            )
            decision = self.compliance.check(request)
            holder.update(request=request, decision=decision)
            if not decision.allowed:
                raise decision.error()
            if wallet["balance_cents"] < amount_cents:
                raise InsufficientBalance()
            counters = {"donated_day": today, "donated_today_cents": donated_today + amount_cents}
            if decision.hold:
                return [
                    Posting(
                        user_id=user_id,
                        key=f"hold:{donation_id}",
                        type=HOLD,
                        amount_cents=-amount_cents,
                        held_cents=amount_cents,
                        source={"kind": "donation", "id": str(donation_id)},
                        reason=", ".join(decision.reasons),
                        meta=meta,
                        wallet_set=counters,
                    )
                ]
            return [
                Posting(
                    user_id=user_id,
                    key=key,
                    type=DONATED,
                    amount_cents=-amount_cents,
                    source={"kind": "donation", "id": str(donation_id)},
                    meta=meta,
                    wallet_set=counters,
                )
            ]

        def after(session, entry: dict, _wallet: dict) -> None:
            decision = holder["decision"]
            donation = {
                "_id": donation_id,
                "user_id": user_id,
                "onlus_id": onlus_id,
                "onlus_name": onlus["name"],
                "onlus_category": onlus["category"],
                "amount_cents": amount_cents,
                "currency": "EUR",
                "status": HELD if decision.hold else COMPLETED,
                "source": source,
                "transaction_id": str(entry["_id"]),
                "ledger_key": entry["key"],
                "receipt_number": None,
                "created_at": now,
                "completed_at": None if decision.hold else now,
                "client_ip": client_ip,
            }
            if decision.hold:
                donation["hold"] = {
                    "reasons": list(decision.reasons),
                    "held_at": now,
                    "checks": [c for c in decision.checks if not c["passed"]],
                }
            if idempotency_key:
                donation["idempotency_key"] = idempotency_key
            if trigger_key:
                donation["trigger_key"] = trigger_key
            if not decision.hold:
                donation.update(self._completion(donation, onlus, donor, now))
                holder["event_id"] = self._record_complete(session, donation, onlus, now)
            self.donations.insert(donation, session=session)
            holder["donation"] = donation

        try:
            result = self.wallet.post(user_id, key, prepare, after=after)
        except DuplicateKeyError:
            # the same idempotency key raced us and won: answer with its donation
            if idempotency_key:
                existing = self.donations.by_idempotency_key(user_id, idempotency_key)
                if existing is not None:
                    return self._replay(existing, onlus_id, amount_cents), False
            raise
        except AppError:
            if holder.get("decision") is not None and not holder["decision"].allowed:
                self.compliance.record(holder["request"], holder["decision"], subject_type="donation", subject_id=None)
            raise
        self.compliance.record(
            holder["request"], holder["decision"], subject_type="donation", subject_id=str(donation_id)
        )
        self._number_after_commit(holder["donation"])
        self.wallet.dispatch(result.event_ids + ([holder["event_id"]] if holder.get("event_id") else []))
        return holder["donation"], True

    @staticmethod
    def _completion(donation: dict, onlus: dict, donor: dict, now: datetime) -> dict:
        """The fields of a donation completing now, its receipt drafted (numbered by number_receipt)."""
        return {
            "status": COMPLETED,
            "completed_at": now,
            "receipt_number": None,
            "receipt_draft": {
                "donation_id": str(donation["_id"]),
                "user_id": donation["user_id"],
                "issued_at": now,
                "amount_cents": donation["amount_cents"],
                "currency": "EUR",
                "donor": donor,
                "payment_method": donation["source"],
                "onlus": {
                    "id": donation["onlus_id"],
                    "name": onlus["name"],
                    "tax_code": onlus["tax_code"],
                    "category": onlus["category"],
                    "address": onlus.get("address"),
                },
                "tax_note": TAX_NOTE,
            },
        }

    def _record_complete(self, session, donation: dict, onlus: dict, now: datetime) -> str:
        """Inside the completing transaction: DonationComplete in the outbox."""
        donation_id = str(donation["_id"])
        return self.hooks.record(
            DonationComplete(
                donation_id=donation_id,
                user_id=donation["user_id"],
                onlus_id=donation["onlus_id"],
                onlus_name=onlus["name"],
                onlus_category=onlus["category"],
                amount_cents=donation["amount_cents"],
                source=donation["source"],
                completed_at=now,
            ),
            key=f"donation:{donation_id}",
            session=session,
        )

    def number_receipt(self, donation: dict) -> str | None:
        """Give a completed donation's drafted receipt the next number of its year: counter, receipt and
        donation in one transaction, so the sequence has no gaps and no number is used twice.

        It runs right after the donation commits, not inside it: every donation serializes on the
        year's counter, and a three-statement transaction holds it far shorter than the donation's
        whole one would (in this process they queue on a lock instead of conflicting). A draft left by
        a process that stopped in between is numbered by the donations_receipt_numbering job."""
        draft = donation.get("receipt_draft")
        if not draft:
            return donation.get("receipt_number")
        year = draft["issued_at"].year
        self.receipts.ensure_counter(year)

        def work(session):
            seq = self.receipts.next_number(year, session=session)
            number = receipt_number(year, seq)
            if not self.donations.set_receipt_number(donation["_id"], number, session=session):
                raise _AlreadyNumbered()
            self.receipts.insert({**draft, "receipt_number": number, "year": year, "sequence": seq}, session=session)
            return number

        try:
            with self._numbering:
                number = in_transaction(self.donations.collection.database, work)
        except (_AlreadyNumbered, DuplicateKeyError):
            number = (self.donations.by_id(str(donation["_id"])) or {}).get("receipt_number")
        donation.pop("receipt_draft", None)
        donation["receipt_number"] = number
        return number

    def _number_after_commit(self, donation: dict) -> None:
        """The donation is committed whatever happens here: a failure leaves its receipt in draft for the
        donations_receipt_numbering job (the answer then shows no receipt number yet)."""
        try:
            self.number_receipt(donation)
        except Exception:  # the donation stands; the job numbers the draft
            log.exception("receipt of donation %s left in draft", donation.get("_id"))

    def number_pending_receipts(self, *, older_than: timedelta = timedelta(minutes=1)) -> int:
        """Number the drafts a stopped process left behind; returns how many it numbered."""
        pending = self.donations.with_receipt_draft(self.clock() - older_than)
        for donation in pending:
            self.number_receipt(donation)
        return len(pending)

    def _replay(self, existing: dict, onlus_id: str, amount_cents: int) -> dict:
        if existing["onlus_id"] != onlus_id or existing["amount_cents"] != amount_cents:
            raise ValidationFailed(
                "IDEMPOTENCY_KEY_REUSED", errors={"Idempotency-Key": ["Already used for a different donation."]}
            )
        self._number_after_commit(existing)
        return existing

    def _donor(self, user_id: str) -> dict:
        if self.users is None:
            return {"id": user_id, "name": None}
        user = self.users.get(user_id)
        return {
            "id": user_id,
            "name": f"{user.get('first_name', '')} {user.get('last_name', '')}".strip(),
            "email": user.get("email"),
        }

    # -- card payments (called by the payment service when a payment succeeds) -----------
    def complete_card_payment(self, intent: dict, *, reference: dict, mark_paid: Callable) -> tuple[dict, bool]:
        """Money received from a card for `intent`: ONE transaction writes a `card_payment` credit and the
        matching `donated` debit (net zero on the balance; or a `hold` when compliance flagged the intent),
        the donation (its id is the intent's id), receipt and DonationComplete. `mark_paid(session)` moves
        the intent forward in the same transaction. Exactly once per intent (ledger key payment:<id>)."""
        intent_id = str(intent["_id"])
        user_id = intent["user_id"]
        amount = intent["amount_cents"]
        onlus = self.onlus.raw(intent["onlus_id"]) or {
            "_id": intent["onlus_id"],
            "name": intent.get("onlus_name"),
            "category": intent.get("onlus_category"),
            "tax_code": None,
        }
        donor = self._donor(user_id)
        hold_reasons = list((intent.get("compliance") or {}).get("reasons") or [])
        now = self.clock()
        today = now.date().isoformat()
        key = f"payment:{intent_id}"
        meta = {
            "donation_id": intent_id,
            "onlus_id": intent["onlus_id"],
            "onlus_category": onlus["category"],
            "source": "card",
            "payment_intent_id": intent_id,
        }
        holder: dict = {}

        def prepare(wallet: dict) -> list[Posting]:
            donated_today = wallet.get("donated_today_cents", 0) if wallet.get("donated_day") == today else 0
            paid = Posting(
                user_id=user_id,
                key=key,
                type=CARD_PAYMENT,
                amount_cents=amount,
                source={"kind": "card", "id": intent_id, **reference},
                meta=meta,
            )
            counters = {"donated_day": today, "donated_today_cents": donated_today + amount}
            if hold_reasons:
                return [
                    paid,
                    Posting(
                        user_id=user_id,
                        key=f"hold:{intent_id}",
                        type=HOLD,
                        amount_cents=-amount,
                        held_cents=amount,
                        source={"kind": "donation", "id": intent_id},
                        reason=", ".join(hold_reasons),
                        meta=meta,
                        wallet_set=counters,
                    ),
                ]
            return [
                paid,
                Posting(
                    user_id=user_id,
                    key=f"donation:{intent_id}",
                    type=DONATED,
                    amount_cents=-amount,
                    source={"kind": "donation", "id": intent_id},
                    meta=meta,
                    wallet_set=counters,
                ),
            ]

        def after(session, _entry: dict, _wallet: dict) -> None:
            mark_paid(session)
            entries = holder_entries(session)
            donation = {
                "_id": intent["_id"],
                "user_id": user_id,
                "onlus_id": intent["onlus_id"],
                "onlus_name": onlus["name"],
                "onlus_category": onlus["category"],
                "amount_cents": amount,
                "currency": "EUR",
                "status": HELD if hold_reasons else COMPLETED,
                "source": "card",
                "payment_intent_id": intent_id,
                "provider": intent["provider"],
                "provider_intent_id": intent.get("provider_intent_id"),
                "transaction_id": str(entries["_id"]),
                "ledger_key": entries["key"],
                "receipt_number": None,
                "created_at": now,
                "completed_at": None,
                "client_ip": intent.get("client_ip"),
            }
            if hold_reasons:
                donation["hold"] = {
                    "reasons": hold_reasons,
                    "held_at": now,
                    "checks": (intent.get("compliance") or {}).get("failed_checks") or [],
                }
            else:
                donation.update(self._completion(donation, onlus, donor, now))
                holder["event_id"] = self._record_complete(session, donation, onlus, now)
            self.donations.insert(donation, session=session)
            holder["donation"] = donation

        def holder_entries(session):
            # the debit (donated/hold) entry written just before in this transaction
            return self.wallet.ledger.by_key(
                f"hold:{intent_id}" if hold_reasons else f"donation:{intent_id}", session=session
            )

        result = self.wallet.post(user_id, key, prepare, after=after, publish_credit=False)
        if not result.created:
            return self.donations.by_id(intent_id), False
        self._number_after_commit(holder["donation"])
        self.wallet.dispatch([holder["event_id"]] if holder.get("event_id") else [])
        return holder["donation"], True

    # -- held donations (compliance review) ------------------------------------------
    def held_page(self, *, skip: int, limit: int, status: str | None = HELD) -> tuple[list, int]:
        query: dict = {"hold": {"$exists": True}}
        if status:
            query["status"] = status
        total = self.donations.collection.count_documents(query)
        rows = list(self.donations.collection.find(query).sort([("created_at", 1), ("_id", 1)]).skip(skip).limit(limit))
        return rows, total

    def held_between(self, start: datetime, end: datetime) -> list[dict]:
        return list(
            self.donations.collection.find({"hold": {"$exists": True}, "created_at": {"$gte": start, "$lt": end}})
        )

    def approve_held(self, donation_id: str, *, actor_id: str, note: str | None = None) -> dict:
        """Complete a held donation: held -> balance -> donated in one transaction, with receipt and
        DonationComplete. Exactly once: approve and reject race on the ledger key `unhold:<id>`."""
        donation = self._held(donation_id)
        if donation["status"] == COMPLETED:
            return donation
        onlus = self.onlus.raw(donation["onlus_id"]) or {
            "name": donation["onlus_name"],
            "tax_code": None,
            "category": donation["onlus_category"],
        }
        donor = self._donor(donation["user_id"])
        now = self.clock()
        amount, user_id = donation["amount_cents"], donation["user_id"]
        meta = {
            "donation_id": donation_id,
            "onlus_id": donation["onlus_id"],
            "onlus_category": donation["onlus_category"],
            "source": donation["source"],
        }
        holder: dict = {}

        def prepare(_wallet: dict) -> list[Posting]:
            return [
                Posting(
                    user_id=user_id,
                    key=f"unhold:{donation_id}",
                    type=UNHOLD,
                    amount_cents=amount,
                    held_cents=-amount,
                    source={"kind": "donation", "id": donation_id},
                    actor_id=actor_id,
                    reason="approved after compliance review",
                    meta=meta,
                ),
                Posting(
                    user_id=user_id,
                    key=f"donation:{donation_id}",
                    type=DONATED,
                    amount_cents=-amount,
                    source={"kind": "donation", "id": donation_id},
                    actor_id=actor_id,
                    meta=meta,
                ),
            ]

        def after(session, _entry, _wallet) -> None:
            moved = self.donations.set_status(
                donation_id,
                expected=HELD,
                session=session,
                fields={
                    **self._completion(donation, onlus, donor, now),
                    "review": {"decision": "approved", "by": actor_id, "at": now, "note": note},
                },
            )
            if moved is None:
                raise Conflict("DONATION_NOT_HELD")
            holder["event_id"] = self._record_complete(session, moved, onlus, now)
            holder["donation"] = moved

        return self._settle(donation, prepare, after, holder, expect=COMPLETED)

    def reject_held(
        self, donation_id: str, *, actor_id: str, note: str | None = None, provider_initiated: bool = False
    ) -> dict:
        """Reject a held donation: the money returns to the wallet (for a card payment, to the card;
        `provider_initiated`: the provider already sent it back)."""
        donation = self._held(donation_id, repeat=REJECTED)
        if donation["status"] == REJECTED:
            return donation
        amount, user_id = donation["amount_cents"], donation["user_id"]
        now = self.clock()
        meta = {
            "donation_id": donation_id,
            "onlus_id": donation["onlus_id"],
            "onlus_category": donation["onlus_category"],
            "source": donation["source"],
        }
        card = donation["source"] == "card"
        holder: dict = {}

        def prepare(_wallet: dict) -> list[Posting]:
            postings = [
                Posting(
                    user_id=user_id,
                    key=f"unhold:{donation_id}",
                    type=UNHOLD,
                    amount_cents=amount,
                    held_cents=-amount,
                    source={"kind": "donation", "id": donation_id},
                    actor_id=actor_id,
                    reason=note or "rejected after compliance review",
                    meta=meta,
                )
            ]
            if card:
                postings.append(
                    Posting(
                        user_id=user_id,
                        key=f"card_refund:{donation_id}",
                        type=CARD_REFUND,
                        amount_cents=-amount,
                        source={"kind": "card", "id": donation_id},
                        actor_id=actor_id,
                        reason="returned to the card",
                        meta=meta,
                    )
                )
            return postings

        def after(session, _entry, _wallet) -> None:
            moved = self.donations.set_status(
                donation_id,
                expected=HELD,
                session=session,
                fields={
                    "status": REJECTED,
                    "review": {"decision": "rejected", "by": actor_id, "at": now, "note": note},
                },
            )
            if moved is None:
                raise Conflict("DONATION_NOT_HELD")
            holder["donation"] = moved

        settled = self._settle(donation, prepare, after, holder, expect=REJECTED)
        if card and holder.get("donation") is not None and self.payments is not None and not provider_initiated:
            self.payments.refund_at_provider(settled, reason="compliance_rejected")
        return self.donations.by_id(donation_id)

    def _held(self, donation_id: str, *, repeat: str = COMPLETED) -> dict:
        """The held donation; also one this same decision already settled (a repeat answers it again)."""
        donation = self.donations.by_id(donation_id)
        if donation is None or "hold" not in donation:
            raise NotFound("HELD_DONATION_NOT_FOUND")
        settled_by_review = (donation.get("review") or {}).get("decision") == (
            "approved" if repeat == COMPLETED else "rejected"
        )
        if donation["status"] != HELD and not (donation["status"] == repeat and settled_by_review):
            raise Conflict("DONATION_NOT_HELD")
        return donation

    def _settle(self, donation: dict, prepare, after, holder: dict, *, expect: str) -> dict:
        donation_id = str(donation["_id"])
        try:
            result = self.wallet.post(
                donation["user_id"], f"unhold:{donation_id}", prepare, after=after, publish_credit=False
            )
        except DuplicateKeyError:
            result = None
        if result is None or not result.created:
            # settled before (or by a racing admin): same decision answers its result, the other is a conflict
            current = self.donations.by_id(donation_id)
            if current["status"] != expect:
                raise Conflict("DONATION_NOT_HELD")
            return current
        self._number_after_commit(holder["donation"])
        self.wallet.dispatch([holder["event_id"]] if holder.get("event_id") else [])
        return holder["donation"]

    # -- refunds (ledger entry linked to the donation) -------------------------------
    def refund(self, donation_id: str, *, actor_id: str | None, reason: str, provider_initiated: bool = False) -> dict:
        """Reverse a completed donation: a `refund` entry linked to the original debit (wallet donations:
        the credits return to the wallet; card donations: paired with a `card_refund`, the money goes back
        to the card through the provider), the receipt marked void, DonationRefunded published.
        `provider_initiated`: the provider already refunded (charge.refunded webhook): ledger only."""
        donation = self.donations.by_id(donation_id)
        if donation is None:
            raise NotFound("DONATION_NOT_FOUND")
        self.number_receipt(donation)  # a receipt still in draft exists before it is voided
        if donation["status"] != COMPLETED:
            if donation["status"] == REFUNDED and provider_initiated:
                return donation
            raise Conflict("DONATION_NOT_REFUNDABLE")
        key = f"refund:{donation_id}"
        now = self.clock()
        holder: dict = {}
        card = donation.get("source") == "card"
        original = self.wallet.ledger.by_key(f"donation:{donation_id}")
        meta = {
            "donation_id": donation_id,
            "onlus_id": donation["onlus_id"],
            "onlus_category": donation["onlus_category"],
            "source": donation.get("source"),
            "reverses": f"donation:{donation_id}",
            "reverses_entry_id": str(original["_id"]) if original else None,
        }

        def prepare(_wallet: dict) -> list[Posting]:
            postings = [
                Posting(
                    user_id=donation["user_id"],
                    key=key,
                    type=REFUND,
                    amount_cents=donation["amount_cents"],
                    source={"kind": "donation", "id": donation_id},
                    reason=reason,
                    actor_id=actor_id,
                    meta=meta,
                )
            ]
            if card:
                postings.append(
                    Posting(
                        user_id=donation["user_id"],
                        key=f"card_refund:{donation_id}",
                        type=CARD_REFUND,
                        amount_cents=-donation["amount_cents"],
                        source={"kind": "card", "id": donation_id},
                        reason="returned to the card",
                        actor_id=actor_id,
                        meta=meta,
                    )
                )
            return postings

        def after(session, _entry, _wallet) -> None:
            moved = self.donations.set_status(
                donation_id,
                expected=COMPLETED,
                session=session,
                fields={"status": REFUNDED, "refunded_at": now, "refund_reason": reason, "refunded_by": actor_id},
            )
            if moved is None:
                raise Conflict("DONATION_NOT_REFUNDABLE")
            self.receipts.collection.update_one(
                {"donation_id": donation_id},
                {"$set": {"void": True, "voided_at": now, "void_reason": reason}},
                session=session,
            )
            holder["event_id"] = self.hooks.record(
                DonationRefunded(
                    donation_id=donation_id,
                    user_id=donation["user_id"],
                    onlus_id=donation["onlus_id"],
                    onlus_category=donation["onlus_category"],
                    amount_cents=donation["amount_cents"],
                    refunded_at=now,
                ),
                key=key,
                session=session,
            )
            holder["donation"] = moved

        result = self.wallet.post(donation["user_id"], key, prepare, after=after, publish_credit=False)
        if not result.created:
            return self.donations.by_id(donation_id)
        self.wallet.dispatch([holder["event_id"]])
        if card and not provider_initiated and self.payments is not None:
            self.payments.refund_at_provider(holder["donation"], reason="requested_by_customer")
            return self.donations.by_id(donation_id)
        return holder["donation"]

    # -- auto-donation ------------------------------------------------------------
    def maybe_auto_donate(self, user_id: str, trigger_key: str) -> list[dict]:
        """After a credit: when auto-donation is on and the balance is at/over the threshold, donate
        `percentage` of the balance split across the allocations (each its own donation and receipt).
        Idempotent per triggering credit (keys `auto:<trigger_key>:<onlus_id>`)."""
        if self.preferences is None:
            return []
        settings = self.preferences.auto_donation(user_id)
        if not settings.get("enabled") or not settings.get("allocations"):
            return []
        trigger = self.wallet.ledger.by_key(trigger_key)
        if trigger is None or trigger["user_id"] != user_id or trigger["amount_cents"] <= 0:
            return []
        # the balance right after the triggering credit: the same plan on every retry of the handler
        balance = trigger["balance_after_cents"]
        if balance < int(settings.get("threshold_cents") or 0):
            return []
        made = []
        plan = auto_donation_amounts(balance, int(settings.get("percentage", 100)), settings["allocations"])
        for onlus_id, cents in plan:
            cents = min(cents, self.compliance.max_per_donation_cents)
            key = f"auto:{trigger_key}:{onlus_id}"
            try:
                donation, _ = self.process(
                    user_id,
                    onlus_id=onlus_id,
                    amount_cents=cents,
                    idempotency_key=key,
                    source="auto",
                    trigger_key=trigger_key,
                )
            except AppError as exc:  # insufficient balance, ONLUS no longer verified, limits
                log.warning("auto-donation of %s to %s refused: %s", user_id, onlus_id, exc.message)
                continue
            made.append(donation)
        return made

    def auto_donation_settings(self, user_id: str) -> dict:
        settings = dict(self.preferences.auto_donation(user_id)) if self.preferences else {}
        names = self.onlus.many([a["onlus_id"] for a in settings.get("allocations") or []])
        settings["allocations"] = [
            {**a, "onlus_name": (names.get(a["onlus_id"]) or {}).get("name")} for a in settings.get("allocations") or []
        ]
        return settings

    def update_auto_donation(self, user_id: str, changes: dict) -> dict:
        """Store auto-donation settings in the user's preferences, after checking each ONLUS can receive."""
        for index, allocation in enumerate(changes.get("allocations") or []):
            doc = self.onlus.raw(allocation["onlus_id"])
            if doc is None or not can_receive_donations(doc):
                raise ValidationFailed(
                    "ONLUS_NOT_ACCEPTING_DONATIONS",
                    errors={f"allocations.{index}.onlus_id": ["Not a verified, active ONLUS."]},
                )
        self.preferences.update(user_id, {"donations": {"auto_donation": changes}})
        return self.auto_donation_settings(user_id)

    # -- reads -------------------------------------------------------------------
    def history(self, user_id: str, *, skip: int, limit: int, **filters) -> tuple[list, int]:
        return self.donations.page_for_user(user_id, skip=skip, limit=limit, **filters)

    def for_user(self, user_id: str, donation_id: str) -> dict:
        donation = self.donations.by_id(donation_id)
        if donation is None or donation["user_id"] != user_id:
            raise NotFound("DONATION_NOT_FOUND")
        return donation

    def receipt(self, user_id: str, donation_id: str) -> dict:
        donation = self.for_user(user_id, donation_id)
        self.number_receipt(donation)
        receipt = self.receipts.by_donation(str(donation["_id"]))
        if receipt is None:
            raise NotFound("RECEIPT_NOT_FOUND")
        return {**receipt, "donation_status": donation["status"], "donation_id": str(donation["_id"])}

    def statement(self, user_id: str, from_date: date, to_date: date) -> dict:
        """Completed (not refunded) donations completed between the two dates (inclusive), by ONLUS."""
        start = datetime.combine(from_date, time.min)
        end = datetime.combine(to_date + timedelta(days=1), time.min)
        rows = [d for d in self.donations.for_user_between(user_id, start, end) if d["status"] == COMPLETED]
        receipts = {r["donation_id"]: r for r in self.receipts.for_user_between(user_id, start, end)}
        by_onlus: dict[str, dict] = {}
        for d in rows:
            r = receipts.get(str(d["_id"]), {})
            group = by_onlus.setdefault(
                d["onlus_id"],
                {
                    "onlus_id": d["onlus_id"],
                    "onlus_name": d["onlus_name"],
                    "tax_code": (r.get("onlus") or {}).get("tax_code"),
                    "amount_cents": 0,
                    "count": 0,
                },
            )
            group["amount_cents"] += d["amount_cents"]
            group["count"] += 1
        return {
            "user_id": user_id,
            "donor": self._donor(user_id),
            "from": start,
            "to": end,
            "to_inclusive": to_date,
            "total_cents": sum(d["amount_cents"] for d in rows),
            "donation_count": len(rows),
            "by_onlus": sorted(by_onlus.values(), key=lambda g: -g["amount_cents"]),
            "donations": [
                {
                    "id": str(d["_id"]),
                    "receipt_number": d.get("receipt_number"),
                    "onlus_id": d["onlus_id"],
                    "onlus_name": d["onlus_name"],
                    "tax_code": (receipts.get(str(d["_id"]), {}).get("onlus") or {}).get("tax_code"),
                    "amount_cents": d["amount_cents"],
                    "completed_at": d["completed_at"],
                }
                for d in rows
            ],
            "tax_note": TAX_NOTE,
            "generated_at": self.clock(),
        }

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
        total = 0
        count = 0
        donors: set[str] = set()
        by_category: dict[str, int] = defaultdict(int)
        by_onlus: dict[str, int] = defaultdict(int)
        for e in self.wallet.ledger.in_period([DONATED, REFUND], start, end):
            meta = e.get("meta") or {}
            cents = -e["amount_cents"]  # a donation debits (negative), a refund credits back
            total += cents
            by_category[meta.get("onlus_category") or "unknown"] += cents
            by_onlus[meta.get("onlus_id") or "unknown"] += cents
            if e["type"] == DONATED:
                count += 1
                donors.add(e["user_id"])
        return {
            "total_cents": total,
            "donation_count": count,
            "donor_ids": sorted(donors),
            "by_category": dict(by_category),
            "by_onlus": dict(by_onlus),
        }

    def user_summary(self, user_id: str) -> dict:
        entries = self.wallet.ledger.for_user(user_id, types=[DONATED, REFUND])
        net_by_onlus: dict[str, int] = defaultdict(int)
        categories: dict[str, int] = defaultdict(int)
        total = 0
        count = 0
        firsts = []
        for e in entries:
            meta = e.get("meta") or {}
            cents = -e["amount_cents"]
            total += cents
            net_by_onlus[meta.get("onlus_id")] += cents
            categories[meta.get("onlus_category")] += cents
            if e["type"] == DONATED:
                count += 1
                firsts.append(e["created_at"])
        refunded = sum(1 for e in entries if e["type"] == REFUND)
        return {
            "total_donated_cents": total,
            "donation_count": count - refunded,
            "onlus_ids": sorted(k for k, v in net_by_onlus.items() if k and v > 0),
            "categories": sorted(k for k, v in categories.items() if k and v > 0),
            "first_donation_at": min(firsts) if firsts else None,
            "last_donation_at": max(firsts) if firsts else None,
        }


class _AlreadyNumbered(Exception):
    """Another run numbered this donation's receipt first (aborts the numbering transaction)."""
