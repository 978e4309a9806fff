"""The ledger's posting (app/donations/services/wallet/ledger.py) on the real wire-protocol server: one
transaction per posting, a repeat answers the first entry, events only after the commit."""

from __future__ import annotations

import pytest

from app.core.errors import InsufficientBalance
from app.donations.events import WalletCredited
from app.donations.models.wallet.ledger import ADJUSTMENT, BONUS
from tests.support import race


@pytest.fixture
def ledger(container):
    return container.donations.wallet.ledger


def credited(user_id, key, cents):
    return WalletCredited(
        user_id=user_id,
        amount_cents=cents,
        balance_cents=cents,
        total_earned_cents=cents,
        source_key=key,
        credited_at=None,
    )


def test_a_posting_creates_the_wallet_and_commits_entry_and_event(ledger, user, db):
    for tx in ledger.posting(user.id, "test:1"):
        with tx:
            entry = tx.credit(250, type=BONUS, source={"kind": "test"})
            tx.announce_credit(entry)
    assert tx.committed and tx.replayed is None and tx.entry == entry
    assert entry["balance_after_cents"] == 250 and db["transactions"].count_documents({"key": "test:1"}) == 1
    assert db["wallets"].find_one({"user_id": user.id})["balance_cents"] == 250
    event = db["hook_events"].find_one({"key": "wallet_credited:test:1"})
    assert event["payload"]["balance_cents"] == 250 and event["status"] != "pending"  # dispatched


def test_a_repeated_key_answers_the_first_entry_and_changes_nothing(ledger, user, db):
    for tx in ledger.posting(user.id, "test:once"):
        with tx:
            first = tx.credit(100, type=BONUS, source={"kind": "test"})
    for again in ledger.posting(user.id, "test:once"):
        with again:
            again.credit(999, type=BONUS, source={"kind": "test"})
            pytest.fail("the block stops at the repeated key")
    assert again.replayed["_id"] == first["_id"] and again.entry == again.replayed and not again.committed
    assert db["wallets"].find_one({"user_id": user.id})["balance_cents"] == 100


def test_a_block_that_raises_writes_nothing_and_dispatches_nothing(ledger, user, db):
    ledger.wallets.ensure(user.id)
    events = db["hook_events"].count_documents({})
    with pytest.raises(RuntimeError):
        for tx in ledger.posting(user.id, "test:boom"):
            with tx:
                tx.record(credited(user.id, "test:boom", 100), key="wallet_credited:test:boom")
                tx.credit(100, type=BONUS, source={"kind": "test"})
                raise RuntimeError("midway")
    assert db["transactions"].count_documents({}) == 0 and db["hook_events"].count_documents({}) == events
    assert db["wallets"].find_one({"user_id": user.id})["balance_cents"] == 0


def test_a_debit_never_overdraws_and_a_key_is_used_once_per_posting(ledger, user, db):
    for tx in ledger.posting(user.id, "test:fund"):
        with tx:
            tx.credit(100, type=ADJUSTMENT, source={"kind": "test"})
    with pytest.raises(InsufficientBalance):
        for tx in ledger.posting(user.id, "test:overdraw"):
            with tx:
                tx.debit(101, type=ADJUSTMENT, source={"kind": "test"})
    with pytest.raises(ValueError):
        for tx in ledger.posting(user.id, "test:twice"):
            with tx:
                tx.debit(10, type=ADJUSTMENT, source={"kind": "test"})
                tx.debit(10, type=ADJUSTMENT, source={"kind": "test"})
    assert db["wallets"].find_one({"user_id": user.id})["balance_cents"] == 100
    assert db["transactions"].count_documents({"user_id": user.id}) == 1


def test_concurrent_postings_to_one_wallet_are_attempted_again_not_lost(ledger, user, db):
    ledger.wallets.ensure(user.id)

    def credit(n):
        for tx in ledger.posting(user.id, f"test:race:{n}"):
            with tx:
                tx.credit(10, type=BONUS, source={"kind": "test"})

    errors = [r for r in race(credit, 8) if isinstance(r, Exception)]
    assert errors == []
    assert db["wallets"].find_one({"user_id": user.id})["balance_cents"] == 80
    assert db["transactions"].count_documents({"user_id": user.id}) == 8
