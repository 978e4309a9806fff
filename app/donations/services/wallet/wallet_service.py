"""Wallets and the ledger: every balance change is ONE transaction (guarded wallet update + ledger entry).

Other modules read it through app.donations.contracts.SessionCredits (credit_summary).
Other donation services post through `post()`; nothing else writes `wallets` or `transactions`.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from app.core.clock import utcnow
from app.core.database import in_transaction
from app.core.errors import InsufficientBalance, NotFound, ValidationFailed
from app.donations.events import WalletCredited
from app.donations.models.wallet.ledger import (
    ADJUSTMENT,
    BONUS,
    EARNED,
    ENTRY_TYPES,
    HELD,
    RELEASE,
    Posting,
    summary_status,
)
from app.donations.repositories.wallet.ledger import LedgerRepository
from app.donations.repositories.wallet.wallets import IntegrityReportRepository, WalletRepository

log = logging.getLogger(__name__)

# prepare(wallet_before) -> Posting | [Posting, ...] : computed inside the transaction from the wallet it
# read; several postings are written in order in the same transaction (the first carries the post's key)
Prepare = Callable[[dict], "Posting | list[Posting]"]
# after(session, entry, wallet_after) -> None : more writes in the same transaction
After = Callable[[object, dict, dict], None]


class _HeldNegative(ValueError):
    """A posting would take more out of `held` than is there (the transaction aborts)."""


class _NoWallet(Exception):
    """The user has no wallet yet (created outside the transaction, then the posting is retried)."""


@dataclass
class PostResult:
    entry: dict
    wallet: dict | None
    created: bool
    event_ids: list
    entries: list = field(default_factory=list)  # every entry written (the first carries the key)


class WalletService:
    def __init__(
        self,
        *,
        db,
        wallets: WalletRepository,
        ledger: LedgerRepository,
        integrity_reports: IntegrityReportRepository,
        hooks,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.db = db
        self.wallets = wallets
        self.ledger = ledger
        self.integrity_reports = integrity_reports
        self.hooks = hooks
        self.clock = clock
        self._recent: OrderedDict[str, dict] = OrderedDict()
        self._recent_lock = threading.Lock()

    # -- the one way money moves -----------------------------------------------------
    def post(
        self, user_id: str, key: str, prepare: Prepare, *, after: After | None = None, publish_credit: bool = True
    ) -> PostResult:
        """Write the posting `prepare` returns for the wallet as read inside the transaction.

        `prepare` may return several postings (written in order, each with its own unique key): `key` is
        then the one whose existence means "already done" (usually the first posting's).
        Idempotent per `key`: when an entry with that key exists (committed before, or by a racing
        delivery), nothing changes and that entry is returned with created=False.
        Raises InsufficientBalance (nothing changed) when a debit exceeds the balance; any error
        raised by prepare/after aborts the whole transaction.
        """
        state: dict = {}

        def work(session):
            state.clear()
            # no pre-read of `key`: the ledger's unique index is the guard (a repeat aborts the transaction
            # with DuplicateKeyError below, nothing written), which saves a round trip on every posting
            before = self.wallets.get(user_id, session=session)
            if before is None:
                raise _NoWallet()
            prepared = prepare(before)
            postings = [prepared] if isinstance(prepared, Posting) else list(prepared)
            if not postings or (isinstance(prepared, Posting) and prepared.key != key):
                raise ValueError("posting does not match its key/user")
            entries, events, wallet_after = [], [], before
            for posting in postings:
                try:
                    entry, wallet_after, credit_event = self._write(session, user_id, posting, publish_credit)
                except (InsufficientBalance, _HeldNegative):
                    # a guard failed: if this posting was already made (a repeat), that is the answer
                    if self.ledger.by_key(key, session=session) is not None:
                        raise DuplicateKeyError(f"ledger key {key} already posted") from None
                    raise
                entries.append(entry)
                if credit_event:
                    events.append(credit_event)
            state.update(entry=entries[0], entries=entries, wallet=wallet_after, events=events)
            if after is not None:
                after(session, entries[0], wallet_after)

        for attempt in range(2):
            try:
                in_transaction(self.db, work)
                break
            except _NoWallet:
                if attempt:
                    raise RuntimeError(f"wallet of {user_id} could not be created") from None
                self.wallets.ensure(user_id)  # first money for this user: create the wallet, then post
            except DuplicateKeyError:
                existing = self.ledger.by_key(key)
                if existing is None:
                    raise
                return PostResult(existing, None, False, [])
        for entry in state["entries"]:
            self._remember(entry)
        return PostResult(state["entry"], state["wallet"], True, list(state["events"]), list(state["entries"]))

    def _remember(self, entry: dict) -> None:
        """Ledger entries never change: keep the latest few by key, so the caller that reads back what it
        just posted (games asks credit_summary right after the session's handlers ran) needs no query."""
        with self._recent_lock:
            self._recent[entry["key"]] = entry
            while len(self._recent) > 2048:
                self._recent.popitem(last=False)

    def entry_by_key(self, key: str) -> dict | None:
        with self._recent_lock:
            entry = self._recent.get(key)
        return entry if entry is not None else self.ledger.by_key(key)

    def _write(self, session, user_id: str, posting: Posting, publish_credit: bool) -> tuple[dict, dict, str | None]:
        """One posting: guarded wallet update + ledger entry (+ WalletCredited in the outbox)."""
        if posting.user_id != user_id:
            raise ValueError("posting does not match its user")
        if posting.type not in ENTRY_TYPES:
            raise ValueError(f"unknown ledger entry type {posting.type!r}")
        min_balance = -posting.amount_cents if posting.amount_cents < 0 else None
        wallet_after = self.wallets.apply(
            user_id, inc=posting.wallet_inc(), set_fields=posting.wallet_set, min_balance=min_balance, session=session
        )
        if wallet_after is None:
            raise InsufficientBalance()
        if wallet_after.get("held_cents", 0) < 0:
            raise _HeldNegative("held amount would go negative")
        now = self.clock()
        entry = {
            "_id": ObjectId(),
            "key": posting.key,
            "user_id": user_id,
            "type": posting.type,
            "status": posting.status,
            "amount_cents": posting.amount_cents,
            "held_cents": posting.held_cents,
            "balance_after_cents": wallet_after["balance_cents"],
            "held_after_cents": wallet_after.get("held_cents", 0),
            "source": posting.source,
            "breakdown": posting.breakdown,
            "reason": posting.reason,
            "actor_id": posting.actor_id,
            "meta": posting.meta,
            "created_at": now,
        }
        self.ledger.insert(entry, session=session)
        event_id = None
        if publish_credit and posting.amount_cents > 0 and posting.type in (EARNED, BONUS, RELEASE):
            event_id = self.hooks.record(
                WalletCredited(
                    user_id=user_id,
                    amount_cents=posting.amount_cents,
                    balance_cents=wallet_after["balance_cents"],
                    total_earned_cents=wallet_after["total_earned_cents"],
                    source_key=posting.key,
                    credited_at=now,
                ),
                key=f"wallet_credited:{posting.key}",
                session=session,
            )
        return entry, wallet_after, event_id

    def dispatch(self, event_ids: list[str]) -> None:
        for event_id in event_ids:
            self.hooks.dispatch(event_id)

    # -- contract: app.donations.contracts.SessionCredits ------------------------------
    def credit_summary(self, user_id: str, source_key: str) -> dict | None:
        """The ledger entry with that idempotency key, as {amount_cents, status, breakdown}; None when
        nothing was recorded for it. amount_cents is what reached the balance (0 when held)."""
        entry = self.entry_by_key(source_key)
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
        return self.ledger.page_for_user(user_id, skip=skip, limit=limit, types=types, start=start, end=end)

    def transaction(self, user_id: str, entry_id: str) -> dict:
        entry = self.ledger.by_id(entry_id)
        if entry is None or entry["user_id"] != user_id:
            raise NotFound("TRANSACTION_NOT_FOUND")
        return entry

    # -- admin ---------------------------------------------------------------------
    def adjust(self, user_id: str, *, amount_cents: int, reason: str, actor_id: str, key: str | None = None) -> dict:
        """An admin correction through the ledger (positive credits, negative debits; never below zero)."""
        if amount_cents == 0:
            raise ValidationFailed(errors={"amount": ["Must not be zero."]})
        if not reason or not reason.strip():
            raise ValidationFailed(errors={"reason": ["A reason is required."]})
        key = key or f"adjustment:{uuid.uuid4().hex}"
        result = self.post(
            user_id,
            key,
            lambda _w: Posting(
                user_id=user_id,
                key=key,
                type=ADJUSTMENT,
                amount_cents=amount_cents,
                source={"kind": "admin", "id": actor_id},
                reason=reason.strip(),
                actor_id=actor_id,
            ),
        )
        self.dispatch(result.event_ids)
        return result.entry

    def release_held(self, user_id: str, entry_id: str, *, actor_id: str, approve: bool, reason: str) -> dict:
        """Settle credits a fraud check held: approve moves them into the balance, reject voids them."""
        held = self.ledger.by_id(entry_id)
        if held is None or held["user_id"] != user_id or held.get("status") != HELD or held["held_cents"] <= 0:
            raise NotFound("HELD_CREDIT_NOT_FOUND")
        key = f"release:{held['key']}"
        amount = held["held_cents"]
        result = self.post(
            user_id,
            key,
            lambda _w: Posting(
                user_id=user_id,
                key=key,
                type=RELEASE,
                amount_cents=amount if approve else 0,
                held_cents=-amount,
                source={"kind": "held", "id": str(held["_id"]), "key": held["key"]},
                reason=reason,
                actor_id=actor_id,
                breakdown={"approved": approve, "held_cents": amount},
            ),
        )
        self.dispatch(result.event_ids)
        return result.entry

    def held_credits(self, *, skip: int, limit: int) -> tuple[list, int]:
        """Credits a fraud check held and nobody settled yet, oldest first (admins approve or void them)."""
        held = list(self.ledger.collection.find({"status": HELD, "held_cents": {"$gt": 0}}).sort("created_at", 1))
        settled = {
            e["key"]
            for e in self.ledger.collection.find({"key": {"$in": [f"release:{e['key']}" for e in held]}}, {"key": 1})
        }
        open_ = [e for e in held if f"release:{e['key']}" not in settled]
        return open_[skip : skip + limit], len(open_)

    def run_integrity_check(self) -> dict:
        """Every wallet balance (and held amount) against the sum of its ledger entries, recorded as
        the report of the UTC day (re-running the same day replaces that day's report)."""
        report = self.integrity_report()
        now = self.clock()
        doc = self.integrity_reports.save_for_day(now.date().isoformat(), {"checked_at": now, **report})
        if report["discrepancies"]:
            log.error("wallet integrity check: %d discrepancies", len(report["discrepancies"]))
        return doc

    def integrity_report(self) -> dict:
        """Every wallet's balance (and held amount) against the sum of its ledger."""
        sums = self.ledger.sums_by_user()
        discrepancies = []
        wallets = self.wallets.many()
        seen = set()
        for wallet in wallets:
            uid = wallet["user_id"]
            seen.add(uid)
            s = sums.get(uid, {"balance": 0, "held": 0})
            if s["balance"] != wallet["balance_cents"] or s["held"] != wallet.get("held_cents", 0):
                discrepancies.append(
                    {
                        "user_id": uid,
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
                        "balance_cents": None,
                        "ledger_balance_cents": s["balance"],
                        "held_cents": None,
                        "ledger_held_cents": s["held"],
                    }
                )
        return {"wallets_checked": len(wallets), "discrepancies": discrepancies}
