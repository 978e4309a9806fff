"""Wallets: balances and their ledger for their owners and admins, admin corrections, the settling of credits
a fraud check held, and the daily integrity check. Money moves only through the Ledger (ledger.py).

Other modules read it through app.donations.contracts.SessionCredits (credit_summary).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime

from app.core.clock import utcnow
from app.core.contracts import UserDirectory
from app.core.errors import NotFound, ValidationFailed, not_own_case
from app.donations.models.wallet.ledger import ADJUSTMENT, HELD, summary_status
from app.donations.repositories.wallet.ledger import LedgerRepository
from app.donations.repositories.wallet.wallets import IntegrityReportRepository, WalletRepository
from app.donations.services.wallet.credit_service import settle_held
from app.donations.services.wallet.ledger import Ledger

log = logging.getLogger(__name__)


class WalletService:
    def __init__(
        self,
        *,
        ledger: Ledger,
        wallets: WalletRepository,
        entries: LedgerRepository,
        integrity_reports: IntegrityReportRepository,
        users: UserDirectory,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.ledger = ledger
        self.users = users
        self.wallets = wallets
        self.entries = entries
        self.integrity_reports = integrity_reports
        self.clock = clock

    # -- contract: app.donations.contracts.SessionCredits ------------------------------
    def credit_summary(self, user_id: str, source_key: str) -> dict | None:
        """The ledger entry with that idempotency key, as {amount_cents, status, breakdown}; None when
        nothing was recorded for it. amount_cents is what reached the balance (0 when held)."""
        entry = self.ledger.entry(source_key)
        if entry is None or entry["user_id"] != user_id:
            return None
        return {
            "amount_cents": entry["amount_cents"],
            "status": summary_status(entry),
            "breakdown": entry.get("breakdown") or {},
        }

    def get_wallet(self, user_id: str) -> dict:
        wallet = self.wallets.get(user_id) or self.wallets.ensure(user_id)
        return {
            "balance_cents": wallet["balance_cents"],
            "total_earned_cents": wallet["total_earned_cents"],
            "total_donated_cents": wallet["total_donated_cents"],
            "held_cents": wallet.get("held_cents", 0),
            "currency": "EUR",
            "updated_at": wallet.get("updated_at"),
        }

    # -- reads ---------------------------------------------------------------------
    def transactions(
        self,
        user_id: str,
        *,
        skip: int,
        limit: int,
        types: list[str] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> tuple[list, int]:
        return self.entries.page_for_user(user_id, skip=skip, limit=limit, types=types, start=start, end=end)

    def transaction(self, user_id: str, entry_id: str) -> dict:
        entry = self.entries.by_id(entry_id)
        if entry is None or entry["user_id"] != user_id:
            raise NotFound("TRANSACTION_NOT_FOUND")
        return entry

    # -- admin ---------------------------------------------------------------------
    def adjust(self, user_id: str, *, amount_cents: int, reason: str, actor_id: str, key: str | None = None) -> dict:
        """An admin correction through the ledger (positive credits, negative debits; never below zero)."""
        not_own_case(actor_id, user_id)
        if amount_cents == 0:
            raise ValidationFailed(errors={"amount": ["Must not be zero."]})
        if not reason or not reason.strip():
            raise ValidationFailed(errors={"reason": ["A reason is required."]})
        for tx in self.ledger.posting(user_id, key or f"adjustment:{uuid.uuid4().hex}"):
            with tx:
                tx.post(
                    amount_cents,
                    type=ADJUSTMENT,
                    source={"kind": "admin", "id": actor_id},
                    reason=reason.strip(),
                    actor_id=actor_id,
                )
        return tx.entry

    def release_held(self, user_id: str, entry_id: str, *, actor_id: str, approve: bool, reason: str) -> dict:
        """Settle credits a fraud check held: approve moves them into the balance, reject voids them."""
        not_own_case(actor_id, user_id)
        held = self.entries.by_id(entry_id)
        if held is None or held["user_id"] != user_id or held.get("status") != HELD or held["held_cents"] <= 0:
            raise NotFound("HELD_CREDIT_NOT_FOUND")
        return settle_held(self.ledger, held, approve=approve, actor_id=actor_id, reason=reason).entry

    def held_credits(self, *, skip: int, limit: int) -> tuple[list, int]:
        """Credits a fraud check held and nobody settled yet, oldest first (admins approve or void them)."""
        open_ = self.entries.unsettled_holds()
        return open_[skip : skip + limit], len(open_)

    def run_integrity_check(self) -> dict:
        """Every wallet balance (and held amount) against the sum of its ledger entries, recorded as
        the report of the UTC day (re-running the same day replaces that day's report)."""
        report = self.integrity_report()
        doc = self.integrity_reports.save_for_day(report["checked_at"].date().isoformat(), report)
        if report["discrepancies"]:
            log.error("wallet integrity check: %d discrepancies", len(report["discrepancies"]))
        return doc

    def integrity_report(self) -> dict:
        """Every wallet's balance (and held amount) against the sum of its ledger, and every wallet or
        ledger whose user_id names no account (`unknown_user`: money no user sees), as of now."""
        sums = self.entries.sums_by_user()
        wallets = self.wallets.all()
        known = self.users.known([w["user_id"] for w in wallets] + list(sums))
        discrepancies = []
        seen = set()
        for wallet in wallets:
            uid = wallet["user_id"]
            seen.add(uid)
            s = sums.get(uid, {"balance": 0, "held": 0})
            mismatch = s["balance"] != wallet["balance_cents"] or s["held"] != wallet.get("held_cents", 0)
            if mismatch or uid not in known:
                discrepancies.append(
                    {
                        "user_id": uid,
                        "unknown_user": uid not in known,
                        "balance_cents": wallet["balance_cents"],
                        "ledger_balance_cents": s["balance"],
                        "held_cents": wallet.get("held_cents", 0),
                        "ledger_held_cents": s["held"],
                    }
                )
        for uid, s in sums.items():
            if uid not in seen:
                discrepancies.append(
                    {
                        "user_id": uid,
                        "unknown_user": uid not in known,
                        "balance_cents": None,
                        "ledger_balance_cents": s["balance"],
                        "held_cents": None,
                        "ledger_held_cents": s["held"],
                    }
                )
        return {"checked_at": self.clock(), "wallets_checked": len(wallets), "discrepancies": discrepancies}

    def ledger_totals(self) -> dict[str, tuple[int, int]]:
        """{entry type: (entries, cents)}: what the operator's metrics count."""
        return self.entries.totals_by_type()
