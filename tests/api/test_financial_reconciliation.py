"""Reconciliation finds nothing on consistent books and finds a corrupted balance; the financial dashboard
agrees with the ledger and is invalidated by donations and refunds; fraud holds on sessions."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest

from app.core.clock import utcnow
from app.games.events import GameSessionComplete


@pytest.fixture
def app(app_factory):
    return app_factory(DONATION_FRAUD_LIMITS={"farming_min_sessions_day": 4, "sessions_credited_per_user_hour": 50})


@pytest.fixture
def charities(make_onlus):
    return [make_onlus("Scuole Aperte", "education"), make_onlus("Mare Pulito", "environment")]


def books(admin, make_user, charities, fund):
    """Wallet donations, a card donation, a refund and a held donation: consistent data."""
    ada, bob = make_user(), make_user()
    fund(ada, 100)
    fund(bob, 400)
    ada.post("/api/donations/process", json={"onlus_id": charities[0], "amount": 10})
    refunded = ada.post("/api/donations/process", json={"onlus_id": charities[1], "amount": 4}).json["data"]["id"]
    bob.post("/api/donations/process", json={"onlus_id": charities[1], "amount": 20})
    bob.post("/api/donations/process", json={"onlus_id": charities[0], "amount": 300})  # held (AML)
    intent = ada.post("/api/payments/intents", json={"onlus_id": charities[0], "amount": 6}).json["data"]
    ada.post(f"/api/payments/intents/{intent['id']}/confirm", json={})
    assert admin.post(f"/api/admin/donations/{refunded}/refund", json={"reason": "mistake"}).status_code == 200
    return ada, bob


def test_reconciliation_is_clean_on_consistent_books_and_finds_a_corrupted_balance(
    admin, make_user, charities, db, container, fund
):
    ada, _ = books(admin, make_user, charities, fund)
    clean = admin.post("/api/admin/financial/reconciliation")
    assert clean.status_code == 201
    run = clean.json["data"]
    assert run["discrepancy_count"] == 0, run
    assert all(check["ok"] for check in run["checks"].values())
    assert run["checks"]["payment_intents"]["checked"] == 1

    db["wallets"].update_one({"user_id": ada.id}, {"$inc": {"balance_cents": 999}})  # corrupted behind our back
    job = next(j.func for j in container.jobs if j.id == "donations_reconciliation")
    report = job()
    assert report["discrepancy_count"] == 1 and report["checks"]["wallets"]["ok"] is False
    found = admin.get(f"/api/admin/financial/reconciliation/{report['_id']}/discrepancies").json["data"]
    assert found["total"] == 1
    item = found["items"][0]
    assert (item["kind"], item["subject"]) == ("WALLET_LEDGER_MISMATCH", ada.id)
    assert round(item["detail"]["balance"] - item["detail"]["ledger_balance"], 2) == 9.99  # euros
    runs = admin.get("/api/admin/financial/reconciliation").json["data"]
    assert runs["total"] == 2 and runs["items"][0]["discrepancy_count"] == 1


def test_reconciliation_finds_a_payment_the_provider_took_but_we_never_completed(user, charities, admin, db):
    intent = user.post("/api/payments/intents", json={"onlus_id": charities[0], "amount": 5}).json["data"]
    db["simulated_payments"].update_one({}, {"$set": {"status": "succeeded"}})  # the webhook never came
    run = admin.post("/api/admin/financial/reconciliation").json["data"]
    assert run["checks"]["payment_intents"]["discrepancies"] == 1
    items = admin.get(f"/api/admin/financial/reconciliation/{run['id']}/discrepancies?kind=PAYMENT_PROVIDER_MISMATCH")
    detail = items.json["data"]["items"][0]
    assert detail["subject"] == intent["id"] and detail["detail"]["provider_status"] == "succeeded"


def test_reconciliation_finds_donations_that_disagree_with_the_ledger(user, admin, charities, db, fund):
    fund(user, 10)
    donation = user.post("/api/donations/process", json={"onlus_id": charities[0], "amount": 5}).json["data"]
    from bson import ObjectId

    db["donations"].update_one({"_id": ObjectId(donation["id"])}, {"$set": {"amount_cents": 700}})
    run = admin.post("/api/admin/financial/reconciliation").json["data"]
    kinds = {
        d["kind"]
        for d in admin.get(f"/api/admin/financial/reconciliation/{run['id']}/discrepancies").json["data"]["items"]
    }
    assert kinds == {"DONATION_LEDGER_MISMATCH", "ONLUS_ALLOCATION_MISMATCH"}


def test_dashboard_agrees_with_the_ledger_and_is_invalidated(admin, make_user, charities, container, db, fund):
    ada, _bob = books(admin, make_user, charities, fund)
    dash = admin.get("/api/admin/financial/dashboard").json["data"]
    today = utcnow().date()
    start = datetime.combine(today - timedelta(days=29), datetime.min.time())
    end = datetime.combine(today + timedelta(days=1), datetime.min.time())
    summary = container.donations.donations.period_summary(start, end)
    ledger_net = -sum(e["amount_cents"] for e in db["transactions"].find({"type": {"$in": ["donated", "refund"]}}))
    assert round(dash["totals"]["net"] * 100) == summary["total_cents"] == ledger_net == 3600  # 10+20+6
    assert dash["totals"]["donation_count"] == summary["donation_count"] == 4
    assert (dash["totals"]["donated"], dash["totals"]["refunded"]) == (40.0, 4.0)
    assert dash["totals"]["donors"] == 2 and dash["totals"]["average_donation"] == 10.0
    assert {r["key"]: r["amount"] for r in dash["by_source"]} == {"wallet": 30.0, "card": 6.0}
    assert {r["key"]: r["amount"] for r in dash["by_category"]} == {"education": 16.0, "environment": 20.0}
    assert {r["key"]: round(r["amount"] * 100) for r in dash["by_onlus"]} == summary["by_onlus"]
    assert dash["held"] == {"count": 1, "amount": 300.0}
    assert sum(p["net"] for p in dash["trend"]) == 36.0
    wallets_total = sum(w["balance_cents"] for w in db["wallets"].find())
    assert round(dash["wallets"]["balance"] * 100) == wallets_total
    assert dash["cached"] is False
    assert admin.get("/api/admin/financial/dashboard").json["data"]["cached"] is True

    ada.post("/api/donations/process", json={"onlus_id": charities[1], "amount": 2})  # DonationComplete
    fresh = admin.get("/api/admin/financial/dashboard").json["data"]
    assert fresh["cached"] is False and fresh["totals"]["net"] == 38.0
    weekly = admin.get("/api/admin/financial/dashboard?granularity=month").json["data"]
    assert weekly["trend"][0]["period"] == f"{today.year:04d}-{today.month:02d}"
    assert admin.get("/api/admin/financial/dashboard?granularity=year").status_code == 422
    empty = admin.get("/api/admin/financial/dashboard?from=2020-01-01&to=2020-01-31").json["data"]
    assert empty["totals"]["net"] == 0 and empty["trend"] == []


def test_farmed_sessions_are_held_and_flagged_not_lost(container, user, admin, db):
    now = utcnow()
    for _ in range(5):
        sid = uuid.uuid4().hex
        container.infra.hooks.publish(
            GameSessionComplete(
                session_id=sid,
                user_id=user.id,
                game_id="g",
                game_category="action",
                play_seconds=600,
                raw_score=1,
                universal_score=100,
                started_at=now - timedelta(minutes=10),
                completed_at=now,
            ),
            key=f"session:{sid}",
        )
    entries = list(db["transactions"].find({"user_id": user.id}).sort("created_at", 1))
    assert [e["status"] for e in entries] == ["credited"] * 3 + ["held"] * 2
    assert "CREDIT_FARMING" in entries[-1]["breakdown"]["reasons"]
    wallet = container.donations.wallet.get_wallet(user.id)
    assert (wallet["balance_cents"], wallet["held_cents"]) == (30, 20)
    held = admin.get("/api/admin/wallets/held").json["data"]
    assert held["total"] == 2
    flags = admin.get("/api/compliance/fraud-flags?kind=CREDIT_FARMING").json["data"]
    assert flags["total"] == 1 and flags["items"][0]["occurrences"] == 2
    entry = held["items"][0]
    assert (
        admin.post(
            f"/api/admin/wallets/{user.id}/held/{entry['id']}/release", json={"approve": True, "reason": "real player"}
        ).status_code
        == 201
    )
    assert admin.get("/api/admin/wallets/held").json["data"]["total"] == 1


def test_a_donation_to_an_upper_case_onlus_id_counts_once_for_that_onlus(admin, user, charities, fund):
    fund(user, 10)
    assert user.post("/api/donations/process", json={"onlus_id": charities[0], "amount": 2}).status_code == 201
    shouted = user.post("/api/donations/process", json={"onlus_id": charities[0].upper(), "amount": 3})
    assert shouted.status_code == 201 and shouted.json["data"]["onlus_id"] == charities[0], shouted.json
    by_onlus = admin.get("/api/admin/financial/dashboard").json["data"]["by_onlus"]
    assert [(row["key"], row["amount"], row["count"]) for row in by_onlus] == [(charities[0], 5.0, 2)]
