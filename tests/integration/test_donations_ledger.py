"""The ledger's posting (app/donations/services/wallet/ledger.py) on the real wire-protocol server: one
transaction per posting, a repeat answers the first entry, events only after the commit."""

from __future__ import annotations

import pytest

from app.core.errors import InsufficientBalance
from app.donations.events import WalletChanged, WalletCredited
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


def wallet_changes(db, user_id):
    return [e["payload"] for e in db["hook_events"].find({"name": "wallet_changed", "payload.user_id": user_id})]


def test_every_posting_that_moves_money_records_one_wallet_change_with_the_figures_it_left(ledger, user, db):
    for tx in ledger.posting(user.id, "test:in"):
        with tx:
            tx.credit(500, type=BONUS, source={"kind": "test"})
    for tx in ledger.posting(user.id, "test:hold"):
        with tx:
            tx.hold(200, source={"kind": "test"})
    changes = wallet_changes(db, user.id)
    assert [(c["balance_cents"], c["held_cents"], c["total_earned_cents"], c["source_key"]) for c in changes] == [
        (500, 0, 500, "test:in"),
        (300, 200, 500, "test:hold"),
    ]
    assert changes[-1]["updated_at"] == db["wallets"].find_one({"user_id": user.id})["updated_at"]
    events = db["hook_events"].find({"name": "wallet_changed"})
    assert all(e["status"] == "done" for e in events)  # dispatched after the commit


def test_a_posting_that_moves_nothing_a_repeat_or_a_failure_records_no_wallet_change(ledger, user, db):
    for tx in ledger.posting(user.id, "test:zero"):
        with tx:
            tx.credit(0, type=BONUS, source={"kind": "test"})  # an entry that only records
    for tx in ledger.posting(user.id, "test:once"):
        with tx:
            tx.credit(100, type=BONUS, source={"kind": "test"})
    for tx in ledger.posting(user.id, "test:once"):
        with tx:
            tx.credit(100, type=BONUS, source={"kind": "test"})
    with pytest.raises(InsufficientBalance):
        for tx in ledger.posting(user.id, "test:overdraw"):
            with tx:
                tx.debit(1000, type=ADJUSTMENT, source={"kind": "test"})
    assert [c["source_key"] for c in wallet_changes(db, user.id)] == ["test:once"]


def test_the_wallet_change_is_dispatched_before_the_postings_other_events(ledger, user, db, container):
    order = []
    hooks = container.infra.hooks
    hooks.subscribe(WalletCredited, "test:credited", lambda event: order.append("wallet_credited"))
    hooks.subscribe(WalletChanged, "test:changed", lambda event: order.append("wallet_changed"))
    for tx in ledger.posting(user.id, "test:first"):
        with tx:
            tx.announce_credit(tx.credit(100, type=BONUS, source={"kind": "test"}))
    assert order == ["wallet_changed", "wallet_credited"]


def test_concurrent_postings_each_record_their_own_wallet_change(ledger, user, db):
    ledger.wallets.ensure(user.id)

    def credit(n):
        for tx in ledger.posting(user.id, f"test:race:{n}"):
            with tx:
                tx.credit(10, type=BONUS, source={"kind": "test"})

    assert [r for r in race(credit, 6) if isinstance(r, Exception)] == []
    changes = wallet_changes(db, user.id)
    assert len(changes) == 6
    assert sorted(c["balance_cents"] for c in changes) == [10, 20, 30, 40, 50, 60]


def test_a_periods_summary_is_net_of_refunds_and_counts_each_donation_once(db):
    from datetime import datetime

    from app.donations.models.wallet.ledger import DONATED, EARNED, REFUND
    from app.donations.repositories.wallet.ledger import LedgerRepository

    at = datetime(2026, 3, 10, 12)
    meta = {"onlus_id": "o1", "onlus_category": "health"}
    rows = [
        ("u1", DONATED, -300, meta, at),
        ("u1", DONATED, -200, meta, at),
        ("u1", REFUND, 200, meta, at),
        ("u2", DONATED, -150, {"onlus_id": "o2"}, at),  # no category recorded
        ("u3", EARNED, 999, {}, at),  # not a donation
        ("u4", DONATED, -700, meta, datetime(2026, 4, 1)),  # the next period
    ]
    db["transactions"].insert_many(
        [
            {"key": f"k{i}", "user_id": u, "type": t, "amount_cents": c, "meta": m, "created_at": when}
            for i, (u, t, c, m, when) in enumerate(rows)
        ]
    )
    summary = LedgerRepository(db).period_summary(datetime(2026, 3, 1), datetime(2026, 4, 1))
    assert summary == {
        "total_cents": 450,
        "donation_count": 3,
        "donor_ids": ["u1", "u2"],
        "by_category": {"health": 300, "unknown": 150},
        "by_onlus": {"o1": 300, "o2": 150},
    }
    empty = LedgerRepository(db).period_summary(datetime(2025, 1, 1), datetime(2025, 2, 1))
    assert empty == {"total_cents": 0, "donation_count": 0, "donor_ids": [], "by_category": {}, "by_onlus": {}}
