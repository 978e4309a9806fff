"""The one way money moves: a posting, ONE MongoDB transaction per balance change.

    for tx in ledger.posting(user_id, key):         # attempted again, whole, after a write conflict
        with tx:                                    # one MongoDB transaction; `key` is the idempotency key
            tx.debit(amount_cents, type=DONATED, source=..., meta=...)   # guarded: never below zero
            donations.insert(donation, session=tx.session)               # more writes, same transaction
            tx.record(DonationComplete(...), key=...)                    # outbox, dispatched after the commit
    if tx.replayed is not None: ...                 # the key was posted before: that entry, nothing changed

Each entry is a guarded wallet update (`balance_cents >= debit`) plus an append-only ledger entry with a
unique key, in the transaction. No pre-read of the key: the ledger's unique index is the guard, so a repeat
aborts the transaction (nothing written) and `tx.replayed` is the entry posted first. Events recorded with
`tx.record` go to the outbox in one insert just before the commit, and are dispatched once it committed; a
posting that changed the wallet's figures also records `WalletChanged` (the wallet as it left it), dispatched
before the posting's other events, so every balance change is announced once and first. Entries that give
(donated, held, unheld) keep the wallet's rolling giving summaries (models/wallet/giving.py) in the same
update. The wallet is created, outside the transaction, on first use. Nothing else writes `wallets` or
`transactions`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from datetime import datetime

from app.core.clock import utcnow
from app.core.errors import InsufficientBalance
from app.core.hooks import DomainEvent, HookManager
from app.core.transactions import Transaction, Transactions
from app.donations.events import WalletChanged, WalletCredited
from app.donations.models.wallet.giving import GIVING_TYPES, after_giving
from app.donations.models.wallet.ledger import HOLD, POSTED, UNHOLD, Posting
from app.donations.repositories.wallet.ledger import LedgerKeyTaken, LedgerRepository
from app.donations.repositories.wallet.wallets import WalletRepository

RECENT_ENTRIES = 2048  # the latest entries kept in memory by key (credit_summary right after a posting)
FIGURES = ("balance_cents", "held_cents", "total_earned_cents", "total_donated_cents")  # what WalletChanged tells


class HeldWouldGoNegative(ValueError):
    """A posting would take more out of `held` than is there (the transaction aborts)."""


class Ledger:
    def __init__(
        self,
        *,
        wallets: WalletRepository,
        entries: LedgerRepository,
        transactions: Transactions,
        hooks: HookManager,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.wallets = wallets
        self.entries = entries
        self.transactions = transactions
        self.hooks = hooks
        self.clock = clock
        self._recent: OrderedDict[str, dict] = OrderedDict()
        self._recent_lock = threading.Lock()

    def posting(self, user_id: str, key: str) -> Iterator[LedgerPosting]:
        """The attempts at one posting: use each as a `with` block (see the module's docstring); the next one
        comes only after a transient failure (a concurrent posting to the same wallet)."""
        for transaction in self.transactions.attempts():
            yield LedgerPosting(self, transaction, user_id=user_id, key=key)

    def entry(self, key: str) -> dict | None:
        """The ledger entry with this key (entries never change: recent ones are answered from memory)."""
        with self._recent_lock:
            entry = self._recent.get(key)
        return entry if entry is not None else self.entries.by_key(key)

    def remembered(self, key: str) -> dict | None:
        """The entry with this key if this process posted (or read) it lately; None says nothing."""
        with self._recent_lock:
            return self._recent.get(key)

    def _remember(self, entries: list[dict]) -> None:
        """The caller that reads back what it just posted (games asks credit_summary right after the
        session's handlers ran) needs no query."""
        with self._recent_lock:
            for entry in entries:
                self._recent[entry["key"]] = entry
            while len(self._recent) > RECENT_ENTRIES:
                self._recent.popitem(last=False)


class LedgerPosting:
    """One attempt at a posting, as a `with` block: the transaction begins on entering (with the wallet read
    in it), commits on leaving, and aborts when the block raises."""

    def __init__(self, ledger: Ledger, transaction: Transaction, *, user_id: str, key: str):
        self._ledger = ledger
        self._transaction = transaction
        self.user_id = user_id
        self.key = key
        self.session = None
        self.wallet: dict = {}  # as read in the transaction, then as each entry left it
        self._opening: dict = {}  # the wallet's figures as read in the transaction
        self.entries: list[dict] = []  # written by this attempt, in order
        self.events: list[str] = []  # recorded by this attempt, dispatched after the commit
        self._unwritten: list = []  # recorded, written to the outbox together just before the commit
        self.replayed: dict | None = None  # the entry with `key`, when it was posted before

    @property
    def committed(self) -> bool:
        return self._transaction.committed

    @property
    def entry(self) -> dict | None:
        """The posting's entry: the first one this attempt wrote, or the one posted before under the key."""
        return self.replayed if self.replayed is not None else (self.entries[0] if self.entries else None)

    def __enter__(self) -> LedgerPosting:
        wallets = self._ledger.wallets
        self.session = self._transaction.begin()
        wallet = wallets.get(self.user_id, session=self.session)
        if wallet is None:  # first money for this user: create the wallet outside the transaction
            self._transaction.abort()
            wallets.ensure(self.user_id)
            self.session = self._transaction.begin()
            wallet = wallets.get(self.user_id, session=self.session)
            if wallet is None:
                self._transaction.abort()
                raise RuntimeError(f"wallet of {self.user_id} could not be created")
        self.wallet = wallet
        self._opening = _figures(wallet)
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc is None:
            try:
                self._announce_change()
                self._ledger.hooks.write(self._unwritten, session=self.session)
            except Exception as failure:  # the transaction aborts as if the block had raised it
                if self._failed(failure):
                    return True
                raise
            self._transaction.commit()
            if self.committed:
                self._ledger._remember(self.entries)
                for event_id in self.events:
                    self._ledger.hooks.after_commit(event_id)
            return False
        return self._failed(exc)

    def _failed(self, exc: BaseException) -> bool:
        """Abort; True when the exception is swallowed (another attempt follows, or the posting was a repeat)."""
        if self._transaction.failed(exc):
            return True  # a write conflict: the next attempt runs the block again
        if isinstance(exc, LedgerKeyTaken):
            self.replayed = self._ledger.entries.by_key(self.key)
            return self.replayed is not None  # a repeat: that entry is the answer, nothing changed
        return False

    # -- entries ----------------------------------------------------------------------
    def credit(self, amount_cents: int, *, type: str, **details) -> dict:
        """Money into the balance (0 for an entry that only records, e.g. credits held or capped to zero)."""
        return self.post(amount_cents, type=type, **details)

    def debit(self, amount_cents: int, *, type: str, **details) -> dict:
        """Money out of the balance; InsufficientBalance (the transaction aborts) when there is not enough."""
        return self.post(-amount_cents, type=type, **details)

    def hold(self, amount_cents: int, **details) -> dict:
        """Balance -> held (a donation waiting for a compliance review)."""
        return self.post(-amount_cents, type=HOLD, held_cents=amount_cents, **details)

    def unhold(self, amount_cents: int, **details) -> dict:
        """Held -> balance (a held donation settled)."""
        return self.post(amount_cents, type=UNHOLD, held_cents=-amount_cents, **details)

    def post(
        self,
        amount_cents: int,
        *,
        type: str,
        source: dict,
        key: str | None = None,
        status: str = POSTED,
        held_cents: int = 0,
        breakdown: dict | None = None,
        reason: str | None = None,
        actor_id: str | None = None,
        meta: dict | None = None,
        wallet_set: dict | None = None,
    ) -> dict:
        """One entry, signed amount: the guarded wallet update and the ledger entry. `key` defaults to the
        posting's; `wallet_set`: more wallet fields (day counters) set by the same update."""
        key = key or self.key
        if any(e["key"] == key for e in self.entries):
            raise ValueError(f"ledger key {key} used twice in one posting")
        at = self._ledger.clock()
        wallet_set = dict(wallet_set or {})
        if type in GIVING_TYPES:
            wallet_set.update(after_giving({**self.wallet, **wallet_set}, -amount_cents, at=at))
        posting = Posting(
            user_id=self.user_id,
            key=key,
            type=type,
            amount_cents=amount_cents,
            source=source,
            status=status,
            held_cents=held_cents,
            breakdown=breakdown,
            reason=reason,
            actor_id=actor_id,
            meta=meta or {},
            wallet_set=wallet_set,
        )
        wallet = self._ledger.wallets.apply(posting, session=self.session)
        if wallet is None or wallet.get("held_cents", 0) < 0:
            # a guard failed: if this posting was made before (a repeat), that is the answer
            if self._ledger.entries.by_key(self.key, session=self.session) is not None:
                raise LedgerKeyTaken(self.key)
            if wallet is None:
                raise InsufficientBalance()
            raise HeldWouldGoNegative("held amount would go negative")
        entry = self._ledger.entries.insert(posting.entry(wallet, at=at), session=self.session)
        self.wallet = wallet
        self.entries.append(entry)
        return entry

    # -- events -----------------------------------------------------------------------
    def record(self, event: DomainEvent, *, key: str) -> str:
        """An event in the outbox, in this transaction; dispatched once it committed."""
        event_id = self._ledger.hooks.prepare(event, key=key)
        self._unwritten.append(event_id)
        self.events.append(event_id)
        return event_id

    def _announce_change(self) -> None:
        """WalletChanged, in the transaction, when this attempt's entries moved any of the wallet's figures."""
        if not self.entries or _figures(self.wallet) == self._opening:
            return
        wallet = self.wallet
        event_id = self._ledger.hooks.prepare(
            WalletChanged(
                user_id=self.user_id,
                balance_cents=wallet["balance_cents"],
                held_cents=wallet.get("held_cents", 0),
                total_earned_cents=wallet["total_earned_cents"],
                total_donated_cents=wallet["total_donated_cents"],
                currency=wallet.get("currency", "EUR"),
                source_key=self.entries[0]["key"],
                updated_at=wallet.get("updated_at") or self.entries[-1]["created_at"],
            ),
            key=f"wallet_changed:{self.entries[0]['key']}",
        )
        self._unwritten.append(event_id)
        # dispatched first: a client hears of the money before what follows from it (stories, achievements)
        self.events.insert(0, event_id)

    def announce_credit(self, entry: dict) -> None:
        """WalletCredited for an entry that put money in the balance (credits from play, rewards, released
        holds); nothing for an entry that credited nothing."""
        if entry["amount_cents"] <= 0:
            return
        self.record(
            WalletCredited(
                user_id=self.user_id,
                amount_cents=entry["amount_cents"],
                balance_cents=self.wallet["balance_cents"],
                total_earned_cents=self.wallet["total_earned_cents"],
                source_key=entry["key"],
                credited_at=entry["created_at"],
            ),
            key=f"wallet_credited:{entry['key']}",
        )


def _figures(wallet: dict) -> tuple[int, ...]:
    return tuple(wallet.get(name, 0) for name in FIGURES)
