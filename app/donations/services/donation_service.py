"""Donations from the wallet: validate -> compliance -> one transaction (guarded debit, ledger entry,
donation, gap-free receipt number, receipt, DonationComplete in the outbox) -> dispatch the event.

Registered as container.service("donations"): period_summary, user_summary, get_donation.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Callable

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from app.core.clock import utcnow
from app.core.errors import AppError, Conflict, InsufficientBalance, NotFound, ValidationFailed
from app.donations.events import DonationComplete, DonationRefunded
from app.donations.models.donation import COMPLETED, REFUNDED, auto_donation_amounts, receipt_number
from app.donations.models.ledger import DONATED, REFUND, Posting
from app.donations.models.onlus import can_receive_donations
from app.donations.repositories.donations import DonationRepository, ReceiptRepository
from app.donations.services.compliance_service import ComplianceRequest, ComplianceService
from app.donations.services.onlus_service import OnlusService
from app.donations.services.wallet_service import WalletService

log = logging.getLogger(__name__)

TAX_NOTE = ("Donations to ONLUS / ETS organisations are deductible or detractable under Italian law "
            "(art. 83 D.Lgs. 117/2017, art. 15 TUIR) within the limits in force. Keep this receipt "
            "with your tax return.")


class DonationService:
    def __init__(self, *, wallet: WalletService, onlus: OnlusService, compliance: ComplianceService,
                 donations: DonationRepository, receipts: ReceiptRepository, hooks, users=None,
                 preferences=None, clock: Callable[[], datetime] = utcnow):
        self.wallet = wallet
        self.onlus = onlus
        self.compliance = compliance
        self.donations = donations
        self.receipts = receipts
        self.hooks = hooks
        self.users = users            # core "users" service (donor name on receipts)
        self.preferences = preferences  # core "preferences" service (auto-donation settings)
        self.clock = clock

    # -- making a donation ----------------------------------------------------------
    def process(self, user_id: str, *, onlus_id: str, amount_cents: int, idempotency_key: str | None = None,
                source: str = "wallet", trigger_key: str | None = None) -> tuple[dict, bool]:
        """Returns (donation, created). A repeated idempotency key returns the first donation."""
        if idempotency_key:
            existing = self.donations.by_idempotency_key(user_id, idempotency_key)
            if existing is not None:
                return self._replay(existing, onlus_id, amount_cents), False
        onlus = self.onlus.donatable(onlus_id)
        donor = self._donor(user_id)
        donation_id = ObjectId()
        key = f"donation:{donation_id}"
        now = self.clock()
        year = now.year
        self.receipts.ensure_counter(year)
        today = now.date().isoformat()
        holder: dict = {}

        def prepare(wallet: dict) -> Posting:
            donated_today = wallet.get("donated_today_cents", 0) if wallet.get("donated_day") == today else 0
            decision = self.compliance.check(ComplianceRequest(
                user_id=user_id, onlus=onlus, amount_cents=amount_cents,
                donated_today_cents=donated_today, source=source))
            if not decision.allowed:
                raise decision.error()
            if wallet["balance_cents"] < amount_cents:
                raise InsufficientBalance()
            return Posting(user_id=user_id, key=key, type=DONATED, amount_cents=-amount_cents,
                           source={"kind": "donation", "id": str(donation_id)},
                           meta={"donation_id": str(donation_id), "onlus_id": onlus_id,
                                 "onlus_category": onlus["category"]},
                           wallet_set={"donated_day": today, "donated_today_cents": donated_today + amount_cents})

        def after(session, entry: dict, _wallet: dict) -> None:
            seq = self.receipts.next_number(year, session=session)
            number = receipt_number(year, seq)
            donation = {
                "_id": donation_id, "user_id": user_id, "onlus_id": onlus_id, "onlus_name": onlus["name"],
                "onlus_category": onlus["category"], "amount_cents": amount_cents, "currency": "EUR",
                "status": COMPLETED, "source": source, "transaction_id": str(entry["_id"]),
                "ledger_key": key, "receipt_number": number, "created_at": now, "completed_at": now,
            }
            if idempotency_key:
                donation["idempotency_key"] = idempotency_key
            if trigger_key:
                donation["trigger_key"] = trigger_key
            self.donations.insert(donation, session=session)
            self.receipts.insert({
                "donation_id": str(donation_id), "user_id": user_id, "receipt_number": number,
                "year": year, "sequence": seq, "issued_at": now, "amount_cents": amount_cents,
                "currency": "EUR", "donor": donor,
                "onlus": {"id": onlus_id, "name": onlus["name"], "tax_code": onlus["tax_code"],
                          "category": onlus["category"], "address": onlus.get("address")},
                "tax_note": TAX_NOTE,
            }, session=session)
            event_id = self.hooks.record(DonationComplete(
                donation_id=str(donation_id), user_id=user_id, onlus_id=onlus_id, onlus_name=onlus["name"],
                onlus_category=onlus["category"], amount_cents=amount_cents, source=source,
                completed_at=now), key=key, session=session)
            holder.update(donation=donation, event_id=event_id)

        try:
            result = self.wallet.post(user_id, key, prepare, after=after)
        except DuplicateKeyError:
            # the same idempotency key raced us and won: answer with its donation
            if idempotency_key:
                existing = self.donations.by_idempotency_key(user_id, idempotency_key)
                if existing is not None:
                    return self._replay(existing, onlus_id, amount_cents), False
            raise
        self.wallet.dispatch(result.event_ids + [holder["event_id"]])
        return holder["donation"], True

    def _replay(self, existing: dict, onlus_id: str, amount_cents: int) -> dict:
        if existing["onlus_id"] != onlus_id or existing["amount_cents"] != amount_cents:
            raise ValidationFailed("IDEMPOTENCY_KEY_REUSED", errors={
                "Idempotency-Key": ["Already used for a different donation."]})
        return existing

    def _donor(self, user_id: str) -> dict:
        if self.users is None:
            return {"id": user_id, "name": None}
        user = self.users.get(user_id)
        return {"id": user_id, "name": f"{user.get('first_name', '')} {user.get('last_name', '')}".strip(),
                "email": user.get("email")}

    # -- refunds (ledger entry linked to the donation) -------------------------------
    def refund(self, donation_id: str, *, actor_id: str, reason: str) -> dict:
        donation = self.donations.by_id(donation_id)
        if donation is None:
            raise NotFound("DONATION_NOT_FOUND")
        if donation["status"] != COMPLETED:
            raise Conflict("DONATION_NOT_REFUNDABLE")
        key = f"refund:{donation_id}"
        now = self.clock()
        holder: dict = {}

        def prepare(_wallet: dict) -> Posting:
            return Posting(user_id=donation["user_id"], key=key, type=REFUND, amount_cents=donation["amount_cents"],
                           source={"kind": "donation", "id": donation_id}, reason=reason, actor_id=actor_id,
                           meta={"donation_id": donation_id, "onlus_id": donation["onlus_id"],
                                 "onlus_category": donation["onlus_category"]})

        def after(session, _entry, _wallet) -> None:
            moved = self.donations.set_status(donation_id, expected=COMPLETED, session=session, fields={
                "status": REFUNDED, "refunded_at": now, "refund_reason": reason, "refunded_by": actor_id})
            if moved is None:
                raise Conflict("DONATION_NOT_REFUNDABLE")
            holder["event_id"] = self.hooks.record(DonationRefunded(
                donation_id=donation_id, user_id=donation["user_id"], onlus_id=donation["onlus_id"],
                onlus_category=donation["onlus_category"], amount_cents=donation["amount_cents"],
                refunded_at=now), key=key, session=session)
            holder["donation"] = moved

        result = self.wallet.post(donation["user_id"], key, prepare, after=after, publish_credit=False)
        if not result.created:
            return self.donations.by_id(donation_id)
        self.wallet.dispatch([holder["event_id"]])
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
                donation, _ = self.process(user_id, onlus_id=onlus_id, amount_cents=cents, idempotency_key=key,
                                           source="auto", trigger_key=trigger_key)
            except AppError as exc:  # insufficient balance, ONLUS no longer verified, limits
                log.warning("auto-donation of %s to %s refused: %s", user_id, onlus_id, exc.message)
                continue
            made.append(donation)
        return made

    def auto_donation_settings(self, user_id: str) -> dict:
        settings = dict(self.preferences.auto_donation(user_id)) if self.preferences else {}
        names = self.onlus.many([a["onlus_id"] for a in settings.get("allocations") or []])
        settings["allocations"] = [{**a, "onlus_name": (names.get(a["onlus_id"]) or {}).get("name")}
                                   for a in settings.get("allocations") or []]
        return settings

    def update_auto_donation(self, user_id: str, changes: dict) -> dict:
        """Store auto-donation settings in the user's preferences, after checking each ONLUS can receive."""
        for index, allocation in enumerate(changes.get("allocations") or []):
            doc = self.onlus.raw(allocation["onlus_id"])
            if doc is None or not can_receive_donations(doc):
                raise ValidationFailed("ONLUS_NOT_ACCEPTING_DONATIONS", errors={
                    f"allocations.{index}.onlus_id": ["Not a verified, active ONLUS."]})
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
            group = by_onlus.setdefault(d["onlus_id"], {
                "onlus_id": d["onlus_id"], "onlus_name": d["onlus_name"],
                "tax_code": (r.get("onlus") or {}).get("tax_code"), "amount_cents": 0, "count": 0})
            group["amount_cents"] += d["amount_cents"]
            group["count"] += 1
        return {
            "user_id": user_id, "donor": self._donor(user_id), "from": start, "to": end,
            "to_inclusive": to_date,
            "total_cents": sum(d["amount_cents"] for d in rows), "donation_count": len(rows),
            "by_onlus": sorted(by_onlus.values(), key=lambda g: -g["amount_cents"]),
            "donations": [{"id": str(d["_id"]), "receipt_number": d.get("receipt_number"),
                           "onlus_id": d["onlus_id"], "onlus_name": d["onlus_name"],
                           "tax_code": (receipts.get(str(d["_id"]), {}).get("onlus") or {}).get("tax_code"),
                           "amount_cents": d["amount_cents"], "completed_at": d["completed_at"]} for d in rows],
            "tax_note": TAX_NOTE, "generated_at": self.clock(),
        }

    # -- contract: container.service("donations") --------------------------------
    def get_donation(self, donation_id: str) -> dict | None:
        d = self.donations.by_id(donation_id)
        if d is None:
            return None
        return {"id": str(d["_id"]), "user_id": d["user_id"], "onlus_id": d["onlus_id"],
                "amount_cents": d["amount_cents"], "status": d["status"], "created_at": d["created_at"],
                "completed_at": d.get("completed_at"), "receipt_number": d.get("receipt_number")}

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
        return {"total_cents": total, "donation_count": count, "donor_ids": sorted(donors),
                "by_category": dict(by_category), "by_onlus": dict(by_onlus)}

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
