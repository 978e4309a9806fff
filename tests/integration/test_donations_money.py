"""Wallet, ledger, credit conversion and donations on the real wire-protocol server (service level)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from app.core.clock import utcnow
from app.core.errors import Conflict, InsufficientBalance, NotFound, ValidationFailed
from app.donations.models.wallet.ledger import ADJUSTMENT
from app.games.events import GameSessionComplete, TournamentComplete
from tests.support import race


@pytest.fixture
def svc(container):
    class S:
        wallet = container.donations.wallet
        onlus = container.donations.onlus
        donations = container.donations.donations
        receipts = container.donations.receipts
        refunds = container.donations.refunds
        auto_donations = container.donations.auto_donations
        credits = container.donations.credits
        rates = container.donations.rates

    return S


def session_event(user_id, *, session_id=None, minutes=10, category="puzzle", **extra):
    now = utcnow()
    return GameSessionComplete(
        session_id=session_id or uuid.uuid4().hex,
        user_id=user_id,
        game_id="g1",
        game_category=category,
        play_seconds=int(minutes * 60),
        raw_score=100,
        universal_score=500,
        started_at=now - timedelta(minutes=minutes),
        completed_at=now,
        **extra,
    )


def ledger_sum(db, user_id):
    return sum(e["amount_cents"] for e in db["transactions"].find({"user_id": user_id}))


def test_session_complete_credits_wallet_once_with_breakdown(container, svc, user, db):
    ev = session_event(user.id, minutes=10, category="action")
    container.infra.hooks.publish(ev, key=f"session:{ev.session_id}")
    container.infra.hooks.publish(ev, key=f"session:{ev.session_id}")  # same fact again
    container.infra.hooks.publish(ev)  # a second delivery, new event id
    summary = svc.wallet.credit_summary(user.id, f"session:{ev.session_id}")
    assert summary["status"] == "credited"
    assert summary["amount_cents"] == 10  # 10 min x EUR 0.01
    assert summary["breakdown"]["rate_source"] == "base"
    wallet = svc.wallet.get_wallet(user.id)
    assert wallet["balance_cents"] == wallet["total_earned_cents"] == 10
    assert db["transactions"].count_documents({"user_id": user.id}) == 1
    assert svc.wallet.credit_summary("someone-else", f"session:{ev.session_id}") is None


def test_racing_deliveries_of_one_session_credit_once(container, svc, user, db):
    ev = session_event(user.id, minutes=30)
    results = race(lambda _: container.infra.hooks.publish(ev), 5)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert db["transactions"].count_documents({"key": f"session:{ev.session_id}"}) == 1
    wallet = svc.wallet.get_wallet(user.id)
    assert wallet["balance_cents"] == ledger_sum(db, user.id) == 36  # 30 min x EUR 0.012 (puzzle)


def test_multipliers_apply_and_round_down(container, svc, user):
    ev = session_event(
        user.id, minutes=7, category="action", tournament_id="t1", streak_days=5, is_weekend=True, mode_multiplier=1.0
    )
    container.infra.hooks.publish(ev)
    summary = svc.wallet.credit_summary(user.id, f"session:{ev.session_id}")
    # 7 x 0.01 x 1.5 x 1.1 x 1.2 = 0.1386 euros -> 13 cents
    assert summary["amount_cents"] == 13
    assert summary["breakdown"]["multipliers"] == {"tournament": 1.5, "streak": 1.1, "weekend": 1.2}


def test_daily_cap_reduces_credit_and_says_so(container, svc, user):
    svc.rates.update({"daily_cap_cents": 15}, actor_id="a")
    first = session_event(user.id, minutes=10, category="action")
    second = session_event(user.id, minutes=10, category="action")
    third = session_event(user.id, minutes=10, category="action")
    for ev in (first, second, third):
        container.infra.hooks.publish(ev)
    s1, s2, s3 = (svc.wallet.credit_summary(user.id, f"session:{e.session_id}") for e in (first, second, third))
    assert (s1["status"], s1["amount_cents"]) == ("credited", 10)
    assert (s2["status"], s2["amount_cents"]) == ("capped", 5)
    assert "DAILY_CAP" in s2["breakdown"]["reasons"]
    assert (s3["status"], s3["amount_cents"]) == ("capped", 0)
    assert svc.wallet.get_wallet(user.id)["balance_cents"] == 15


def test_racing_sessions_never_exceed_the_daily_cap(container, svc, user, db):
    svc.rates.update({"daily_cap_cents": 30}, actor_id="a")
    events = [session_event(user.id, minutes=10, category="action") for _ in range(6)]
    results = race(lambda i: container.infra.hooks.publish(events[i]), len(events))
    assert not [r for r in results if isinstance(r, Exception)], results
    summaries = [svc.wallet.credit_summary(user.id, f"session:{e.session_id}") for e in events]
    assert sum(s["amount_cents"] for s in summaries) == 30
    assert sum(1 for s in summaries if s["status"] == "capped") == 3
    assert svc.wallet.get_wallet(user.id)["balance_cents"] == 30 == ledger_sum(db, user.id)


@pytest.mark.parametrize(
    "extra, reason",
    [
        ({"sessions_last_hour": 50}, "TOO_MANY_SESSIONS"),
        ({"minutes": 600}, "IMPLAUSIBLE_PLAY_TIME"),
    ],
)
def test_suspicious_sessions_are_held_not_credited(container, svc, user, db, extra, reason):
    minutes = extra.pop("minutes", 10)
    ev = session_event(user.id, minutes=minutes, category="action", **extra)
    container.infra.hooks.publish(ev)
    summary = svc.wallet.credit_summary(user.id, f"session:{ev.session_id}")
    assert summary["status"] == "held" and summary["amount_cents"] == 0
    assert reason in summary["breakdown"]["reasons"]
    wallet = svc.wallet.get_wallet(user.id)
    assert wallet["balance_cents"] == 0 and wallet["held_cents"] == summary["breakdown"]["held_cents"] > 0
    entry = db["transactions"].find_one({"key": f"session:{ev.session_id}"})
    released = svc.wallet.release_held(user.id, str(entry["_id"]), actor_id="adm", approve=True, reason="ok")
    assert released["amount_cents"] == entry["held_cents"]
    wallet = svc.wallet.get_wallet(user.id)
    assert wallet["held_cents"] == 0 and wallet["balance_cents"] == entry["held_cents"] == ledger_sum(db, user.id)


def test_tournament_rewards_are_paid_once_per_user(container, svc, make_user):
    a, b = make_user(), make_user()
    ev = TournamentComplete(
        tournament_id="t9",
        tournament_name="Cup",
        tournament_type="individual",
        completed_at=utcnow(),
        results=[
            {"rank": 1, "user_id": a.id, "team_id": None, "score": 9, "reward_cents": 500},
            {"rank": 2, "user_id": b.id, "team_id": None, "score": 5, "reward_cents": 200},
            {"rank": 3, "user_id": None, "team_id": "x", "score": 1, "reward_cents": 100},
        ],
    )
    container.infra.hooks.publish(ev, key="tournament:t9")
    container.infra.hooks.publish(ev)
    assert svc.wallet.get_wallet(a.id)["balance_cents"] == 500
    assert svc.wallet.get_wallet(b.id)["balance_cents"] == 200
    assert svc.wallet.credit_summary(a.id, f"tournament:t9:{a.id}")["amount_cents"] == 500


def test_donation_debits_records_receipt_and_event(container, svc, user, charity, db, fund):
    fund(user, cents=1000)
    donation, created = svc.donations.process(user.id, onlus_id=charity, amount_cents=250)
    assert created and donation["status"] == "completed"
    assert donation["receipt_number"] == f"GP-{utcnow().year}-000001"
    wallet = svc.wallet.get_wallet(user.id)
    assert wallet["balance_cents"] == 750 == ledger_sum(db, user.id)
    assert wallet["total_donated_cents"] == 250
    event = db["hook_events"].find_one({"key": f"donation:{donation['_id']}"})
    assert event["name"] == "donation_complete" and event["payload"]["amount_cents"] == 250
    summary = svc.donations.user_summary(user.id)
    assert summary["total_donated_cents"] == 250 and summary["donation_count"] == 1
    assert summary["categories"] == ["education"]
    period = svc.donations.period_summary(utcnow() - timedelta(hours=1), utcnow() + timedelta(hours=1))
    assert period == {
        "total_cents": 250,
        "donation_count": 1,
        "donor_ids": [user.id],
        "by_category": {"education": 250},
        "by_onlus": {charity: 250},
    }
    assert svc.donations.get_donation(str(donation["_id"]))["receipt_number"] == donation["receipt_number"]


def test_twenty_concurrent_donations_never_overdraw(container, svc, user, charity, db, fund):
    fund(user, cents=1000)  # room for 10 donations of EUR 1.00

    def donate(_i):
        svc.donations.process(user.id, onlus_id=charity, amount_cents=100)
        return "ok"

    outcomes = ["INSUFFICIENT_BALANCE" if isinstance(r, InsufficientBalance) else r for r in race(donate, 20)]
    assert outcomes.count("ok") == 10 and outcomes.count("INSUFFICIENT_BALANCE") == 10, outcomes
    wallet = svc.wallet.get_wallet(user.id)
    assert wallet["balance_cents"] == 0 == ledger_sum(db, user.id)
    assert wallet["total_donated_cents"] == 1000
    numbers = sorted(d["receipt_number"] for d in db["donations"].find({"user_id": user.id}))
    assert numbers == [f"GP-{utcnow().year}-{i:06d}" for i in range(1, 11)]  # gap-free


def test_repeated_idempotency_key_debits_once_even_when_racing(container, svc, user, charity, db, fund):
    fund(user, cents=1000)

    def donate(_i):
        donation, _ = svc.donations.process(user.id, onlus_id=charity, amount_cents=300, idempotency_key="k-1")
        return str(donation["_id"])

    ids = race(donate, 6)
    assert not [r for r in ids if isinstance(r, Exception)], ids
    assert len(set(ids)) == 1
    assert svc.wallet.get_wallet(user.id)["balance_cents"] == 700
    with pytest.raises(ValidationFailed) as err:
        svc.donations.process(user.id, onlus_id=charity, amount_cents=400, idempotency_key="k-1")
    assert err.value.message == "IDEMPOTENCY_KEY_REUSED"


def test_failure_between_steps_of_a_donation_leaves_nothing(container, svc, user, charity, db, monkeypatch, fund):
    fund(user, cents=1000)
    before_events = db["hook_events"].count_documents({})

    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(svc.donations.donations, "insert", boom)  # after debit, ledger, event record
    with pytest.raises(RuntimeError):
        svc.donations.process(user.id, onlus_id=charity, amount_cents=300)
    monkeypatch.undo()
    assert svc.wallet.get_wallet(user.id)["balance_cents"] == 1000 == ledger_sum(db, user.id)
    assert db["donations"].count_documents({}) == 0
    assert db["hook_events"].count_documents({}) == before_events
    donation, _ = svc.donations.process(user.id, onlus_id=charity, amount_cents=300)
    assert donation["receipt_number"].endswith("000001")  # the failed attempt used no number


def test_a_donation_whose_receipt_numbering_fails_stands_and_the_job_numbers_it(
    container, svc, user, charity, db, monkeypatch, fund
):
    fund(user, cents=1000)

    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(svc.receipts.receipts, "insert_many", boom)  # inside the numbering transaction
    first, created = svc.donations.process(user.id, onlus_id=charity, amount_cents=300)
    monkeypatch.undo()
    assert created and first["status"] == "completed" and first["receipt_number"] is None
    assert svc.wallet.get_wallet(user.id)["balance_cents"] == 700 == ledger_sum(db, user.id)
    assert db["receipts"].count_documents({}) == 0
    assert db["receipt_counters"].find_one()["seq"] == 0  # the aborted numbering used no number

    second, _ = svc.donations.process(user.id, onlus_id=charity, amount_cents=100)
    assert second["receipt_number"].endswith("000001")
    job = next(j.func for j in container.jobs if j.id == "donations_receipt_numbering")
    assert job() == 0  # a draft younger than a minute waits
    assert svc.receipts.number_pending(older_than=timedelta(0)) == 1
    assert svc.receipts.number_pending(older_than=timedelta(0)) == 0
    numbered = db["donations"].find_one({"_id": first["_id"]})
    assert numbered["receipt_number"].endswith("000002") and "receipt_draft" not in numbered
    receipt = db["receipts"].find_one({"donation_id": str(first["_id"])})
    assert receipt["receipt_number"] == numbered["receipt_number"] and receipt["amount_cents"] == 300
    assert sorted(r["sequence"] for r in db["receipts"].find()) == [1, 2]


def test_failure_between_steps_of_a_credit_leaves_nothing(container, svc, user, db, monkeypatch):
    ev = session_event(user.id, minutes=10)

    def boom(*a, **k):
        raise RuntimeError("ledger down")

    monkeypatch.setattr(svc.wallet.entries, "insert", boom)  # after the wallet update
    with pytest.raises(RuntimeError):
        svc.credits.credit_session(session_id=ev.session_id, user_id=user.id, facts=_facts(ev))
    monkeypatch.undo()
    assert svc.wallet.get_wallet(user.id)["balance_cents"] == 0
    assert svc.wallet.credit_summary(user.id, f"session:{ev.session_id}") is None
    svc.credits.credit_session(session_id=ev.session_id, user_id=user.id, facts=_facts(ev))
    assert svc.wallet.get_wallet(user.id)["balance_cents"] == 12 == ledger_sum(db, user.id)


def _facts(ev):
    from app.donations.models.wallet.conversion import SessionFacts

    return SessionFacts(play_seconds=ev.play_seconds, category=ev.game_category, universal_score=ev.universal_score)


def test_donation_to_unverified_or_unknown_onlus_is_refused(container, svc, user, admin, fund):
    fund(user, cents=1000)
    pending = svc.onlus.create({"name": "New", "category": "health", "tax_code": "97055180588"}, actor_id=admin.id)
    with pytest.raises(ValidationFailed) as err:
        svc.donations.process(user.id, onlus_id=str(pending["_id"]), amount_cents=100)
    assert err.value.message == "ONLUS_NOT_ACCEPTING_DONATIONS"
    with pytest.raises(NotFound):
        svc.donations.process(user.id, onlus_id="0" * 24, amount_cents=100)
    assert svc.wallet.get_wallet(user.id)["balance_cents"] == 1000


def test_compliance_refusal_changes_nothing(container, svc, user, charity, db, fund):
    from app.donations.services.compliance.compliance_service import ComplianceDecision

    fund(user, cents=1000)
    compliance = container.donations.compliance
    compliance.rules.append(lambda req: ComplianceDecision(False, "COMPLIANCE_REJECTED", 403, rule="sanctions"))
    try:
        with pytest.raises(Exception) as err:
            svc.donations.process(user.id, onlus_id=charity, amount_cents=100)
        assert err.value.message == "COMPLIANCE_REJECTED" and err.value.status_code == 403
    finally:
        compliance.rules.clear()
    assert svc.wallet.get_wallet(user.id)["balance_cents"] == 1000 == ledger_sum(db, user.id)
    assert db["donations"].count_documents({}) == 0


def test_daily_donation_limit(container, svc, user, charity, fund):
    limits = container.donations.compliance.limits()
    fund(user, cents=limits["max_per_day_cents"] + 10_000)
    svc.donations.process(user.id, onlus_id=charity, amount_cents=limits["max_cents"])
    svc.donations.process(user.id, onlus_id=charity, amount_cents=limits["max_per_day_cents"] - limits["max_cents"])
    with pytest.raises(ValidationFailed) as err:
        svc.donations.process(user.id, onlus_id=charity, amount_cents=50)
    assert err.value.message == "DAILY_DONATION_LIMIT_EXCEEDED"


def test_auto_donation_when_credit_reaches_threshold(container, svc, user, charity, admin, db):
    other = svc.onlus.create(
        {"name": "Mare Pulito", "category": "environment", "tax_code": "94032171046"}, actor_id=admin.id
    )
    svc.onlus.verify(str(other["_id"]), decision="verified", note=None, actor_id=admin.id)
    container.core.preferences.update(
        user.id,
        {
            "donations": {
                "auto_donation": {
                    "enabled": True,
                    "threshold_cents": 150,
                    "percentage": 100,
                    "allocations": [{"onlus_id": charity, "share": 60}, {"onlus_id": str(other["_id"]), "share": 40}],
                }
            }
        },
    )
    svc.credits.credit_bonus(user_id=user.id, key="bonus:1", amount_cents=100, source={"kind": "test"})
    assert db["donations"].count_documents({}) == 0  # under the threshold
    result = svc.credits.credit_bonus(user_id=user.id, key="bonus:2", amount_cents=101, source={"kind": "test"})
    donations = sorted(db["donations"].find({"user_id": user.id}), key=lambda d: -d["amount_cents"])
    assert [(d["onlus_id"], d["amount_cents"], d["source"]) for d in donations] == [
        (charity, 121, "auto"),
        (str(other["_id"]), 80, "auto"),
    ]
    assert all(d["receipt_number"] for d in donations)
    assert svc.wallet.get_wallet(user.id)["balance_cents"] == 0 == ledger_sum(db, user.id)
    svc.auto_donations.after_credit(user.id, "bonus:2")  # a retry donates nothing more
    assert db["donations"].count_documents({}) == 2
    assert result.entry["balance_after_cents"] == 201


def test_refund_is_a_linked_ledger_entry(container, svc, user, charity, db, fund):
    fund(user, cents=500)
    donation, _ = svc.donations.process(user.id, onlus_id=charity, amount_cents=200)
    svc.refunds.refund(str(donation["_id"]), actor_id="adm", reason="duplicate")
    with pytest.raises(Conflict):
        svc.refunds.refund(str(donation["_id"]), actor_id="adm", reason="again")
    wallet = svc.wallet.get_wallet(user.id)
    assert wallet["balance_cents"] == 500 == ledger_sum(db, user.id)
    assert wallet["total_donated_cents"] == 0
    assert svc.donations.user_summary(user.id)["total_donated_cents"] == 0
    period = svc.donations.period_summary(utcnow() - timedelta(hours=1), utcnow() + timedelta(hours=1))
    assert period["total_cents"] == 0 and period["donation_count"] == 1
    assert db["hook_events"].find_one({"key": f"refund:{donation['_id']}"})["name"] == "donation_refunded"


def test_integrity_check_finds_tampered_wallet(container, svc, user, db, fund):
    fund(user, cents=300)
    job = next(j.func for j in container.jobs if j.id == "donations_integrity_check")
    assert job()["discrepancies"] == []
    db["wallets"].update_one({"user_id": user.id}, {"$inc": {"balance_cents": 1}})
    report = job()
    assert [d["user_id"] for d in report["discrepancies"]] == [user.id]
    assert db["wallet_integrity_reports"].count_documents({}) == 1


def test_adjustment_cannot_overdraw(container, svc, user, db, fund):
    fund(user, cents=100)
    with pytest.raises(InsufficientBalance):
        svc.wallet.adjust(user.id, amount_cents=-101, reason="x", actor_id="adm")
    entry = svc.wallet.adjust(user.id, amount_cents=-100, reason="correction", actor_id="adm")
    assert entry["type"] == ADJUSTMENT and entry["actor_id"] == "adm" and entry["balance_after_cents"] == 0
