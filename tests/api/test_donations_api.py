"""Wallet, conversion rates, ONLUS and donations over HTTP (Flask test client, real wire-protocol server)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from app.core.clock import utcnow
from app.games.events import GameSessionComplete
from tests.support import race


@pytest.fixture
def app(app_factory):
    # uncompressed PDFs so a test can read the receipt number in the bytes
    return app_factory(DONATION_PDF_COMPRESS=False)


def credit(admin, user, euros):
    r = admin.post(
        f"/api/admin/wallets/{user.id}/adjustments",
        json={"amount": euros, "direction": "credit", "reason": "test funding"},
    )
    assert r.status_code == 201, r.json
    return r.json["data"]


def wallet_of(user):
    r = user.get("/api/wallet")
    assert r.status_code == 200
    return r.json["data"]


def donate(user, onlus_id, amount, key=None):
    headers = {"Idempotency-Key": key} if key else {}
    return user.post("/api/donations/process", json={"onlus_id": onlus_id, "amount": amount}, headers=headers)


# -- wallet ----------------------------------------------------------------------


def test_new_wallet_is_empty_and_private(client, user):
    assert wallet_of(user) == {
        "balance": 0.0,
        "total_earned": 0.0,
        "total_donated": 0.0,
        "held": 0.0,
        "currency": "EUR",
        "updated_at": wallet_of(user)["updated_at"],
    }
    assert client.get("/api/wallet").status_code == 401


def test_session_end_to_receipt_everything_agrees(container, user, charity, db):
    """Session complete -> credited with breakdown -> donation -> balance, totals, history, ledger, receipt."""
    now = utcnow()
    session_id = uuid.uuid4().hex
    container.infra.hooks.publish(
        GameSessionComplete(
            session_id=session_id,
            user_id=user.id,
            game_id="g",
            game_category="action",
            play_seconds=100 * 60,
            raw_score=10,
            universal_score=400,
            started_at=now - timedelta(minutes=100),
            completed_at=now,
            is_weekend=True,
        ),
        key=f"session:{session_id}",
    )
    summary = container.donations.wallet.credit_summary(user.id, f"session:{session_id}")
    assert summary["amount_cents"] == 120  # 100 min x 0.01 x 1.2 (weekend)
    txs = user.get("/api/wallet/transactions").json["data"]
    assert txs["total"] == 1
    entry = txs["items"][0]
    assert (entry["type"], entry["status"], entry["amount"], entry["balance_after"]) == ("earned", "credited", 1.2, 1.2)
    assert entry["breakdown"]["multipliers"] == {"weekend": 1.2} and entry["breakdown"]["rate_per_minute"] == 0.01

    r = donate(user, charity, 0.75)
    assert r.status_code == 201, r.json
    donation = r.json["data"]
    assert (donation["status"], donation["amount"], donation["onlus_id"]) == ("completed", 0.75, charity)

    assert wallet_of(user)["balance"] == 0.45
    assert wallet_of(user)["total_earned"] == 1.2 and wallet_of(user)["total_donated"] == 0.75
    history = user.get("/api/donations/history").json["data"]
    assert [d["id"] for d in history["items"]] == [donation["id"]]
    ledger = user.get("/api/wallet/transactions").json["data"]["items"]
    assert [(e["type"], e["amount"]) for e in ledger] == [("donated", -0.75), ("earned", 1.2)]
    assert round(sum(e["amount"] for e in ledger), 2) == wallet_of(user)["balance"]

    pdf = user.get(f"/api/donations/{donation['id']}/receipt")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    assert donation["receipt_number"].encode() in pdf.data
    assert b"97120340159" in pdf.data and b"EUR 0.75" in pdf.data
    data = user.get(f"/api/donations/{donation['id']}/receipt?format=json").json["data"]
    assert data["receipt_number"] == donation["receipt_number"] and data["amount"] == 0.75
    assert data["onlus"]["tax_code"] == "97120340159" and "deductib" in data["tax_note"]
    assert data["donor"]["name"] == f"{user.user['first_name']} {user.user['last_name']}"


def test_transactions_filters_and_validation(admin, user, charity):
    credit(admin, user, 5)
    assert donate(user, charity, 1).status_code == 201
    only = user.get("/api/wallet/transactions?type=donated").json["data"]
    assert [e["type"] for e in only["items"]] == ["donated"]
    today = utcnow().date()
    assert user.get(f"/api/wallet/transactions?from={today}&to={today}").json["data"]["total"] == 2
    tomorrow = today + timedelta(days=1)
    assert user.get(f"/api/wallet/transactions?from={tomorrow}").json["data"]["total"] == 0
    bad = user.get("/api/wallet/transactions?type=stolen")
    assert bad.status_code == 422 and "type" in bad.json["errors"]
    assert user.get(f"/api/wallet/transactions?from={tomorrow}&to={today}").status_code == 422
    assert user.get("/api/wallet/transactions?per_page=101").status_code == 422


def test_admin_adjustment_requires_reason_and_admin(admin, user, make_user):
    other = make_user()
    assert (
        other.post(
            f"/api/admin/wallets/{user.id}/adjustments", json={"amount": 5, "direction": "credit", "reason": "gift"}
        ).status_code
        == 403
    )
    assert (
        admin.post(f"/api/admin/wallets/{user.id}/adjustments", json={"amount": 5, "direction": "credit"}).status_code
        == 422
    )
    entry = credit(admin, user, 2.5)
    assert entry["type"] == "adjustment" and entry["actor_id"] == admin.id and entry["reason"] == "test funding"
    r = admin.post(
        f"/api/admin/wallets/{user.id}/adjustments", json={"amount": 3, "direction": "debit", "reason": "too much"}
    )
    assert r.status_code == 409 and r.json["message"] == "INSUFFICIENT_BALANCE"
    assert admin.post("/api/admin/wallets/integrity-check").json["data"]["discrepancies"] == []


# -- conversion rates ---------------------------------------------------------------


def test_rates_update_creates_a_version_and_keeps_history(client, admin, user):
    current = client.get("/api/conversion-rates/current").json["data"]
    assert set(current) >= {"base_rate_per_minute", "multipliers", "daily_cap"}
    assert current["base_rate_per_minute"] == 0.01 and current["daily_cap"] == 3.0
    r = admin.put(
        "/api/conversion-rates/current",
        json={"base_rate_per_minute": 0.02, "multipliers": {"weekend": 1.5}, "daily_cap": 4},
    )
    assert r.status_code == 200, r.json
    new = r.json["data"]
    assert new["version"] == current["version"] + 1
    assert new["multipliers"] == {"tournament": 1.5, "streak": 1.1, "weekend": 1.5}
    after = client.get("/api/conversion-rates/current").json["data"]  # the cache was invalidated
    assert (after["base_rate_per_minute"], after["daily_cap"]) == (0.02, 4.0)
    history = admin.get("/api/conversion-rates/history").json["data"]
    assert [v["version"] for v in history["items"]] == [new["version"], current["version"]]
    assert user.put("/api/conversion-rates/current", json={"daily_cap": 9}).status_code == 403
    assert user.get("/api/conversion-rates/history").status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"base_rate_per_minute": 0},
        {"base_rate_per_minute": 0.00001},
        {"multipliers": {"weekend": 0.1}},
        {"multipliers": {"moon": 2}},
        {"daily_cap": -1},
        {"daily_cap": 1.234},
        {"surprise": 1},
    ],
)
def test_rates_update_rejects_bad_input(admin, body):
    r = admin.put("/api/conversion-rates/current", json=body)
    assert r.status_code == 422 and r.json["message"] == "VALIDATION_ERROR"


# -- ONLUS ---------------------------------------------------------------------


def test_public_onlus_list_shows_only_verified_active(client, make_onlus, admin):
    edu = make_onlus("Scuole Aperte", "education")
    make_onlus("Salute per Tutti", "health")
    pending = make_onlus("Nuova Realta", "environment", verify=False)
    items = client.get("/api/onlus").json["data"]["items"]
    assert {i["name"] for i in items} == {"Scuole Aperte", "Salute per Tutti"}
    assert all(i["is_verified"] for i in items)
    assert [i["id"] for i in client.get("/api/onlus?category=education").json["data"]["items"]] == [edu]
    assert [i["name"] for i in client.get("/api/onlus?search=salute").json["data"]["items"]] == ["Salute per Tutti"]
    assert client.get(f"/api/onlus/{edu}").json["data"]["tax_code"] == "97120340159"
    assert client.get(f"/api/onlus/{pending}").status_code == 404
    assert client.get("/api/onlus/not-an-id").status_code == 404
    assert client.get("/api/onlus?category=casino").status_code == 422
    admin_view = admin.get("/api/admin/onlus?status=pending").json["data"]["items"]
    assert [i["id"] for i in admin_view] == [pending]


def test_admin_onlus_validation_and_conflicts(admin, user, make_onlus):
    body = {"name": "X Org", "category": "health", "tax_code": "97120340158"}  # wrong check digit
    r = admin.post("/api/admin/onlus", json=body)
    assert r.status_code == 422 and "tax_code" in r.json["errors"]
    make_onlus()
    r = admin.post("/api/admin/onlus", json={**body, "tax_code": "97120340159"})
    assert r.status_code == 409 and r.json["message"] == "ONLUS_TAX_CODE_EXISTS"
    assert user.post("/api/admin/onlus", json={**body, "tax_code": "97055180588"}).status_code == 403
    assert (
        admin.post("/api/admin/onlus", json={**body, "tax_code": "97055180588", "is_verified": True}).status_code == 422
    )


def test_suspended_or_inactive_onlus_cannot_receive(admin, user, charity):
    credit(admin, user, 10)
    r = admin.post(f"/api/admin/onlus/{charity}/suspend", json={"reason": "audit pending"})
    assert r.status_code == 200 and r.json["data"]["verification_status"] == "suspended"
    r = donate(user, charity, 1)
    assert r.status_code == 422 and r.json["message"] == "ONLUS_NOT_ACCEPTING_DONATIONS"
    admin.post(f"/api/admin/onlus/{charity}/verify", json={"decision": "verified", "note": "ok again"})
    admin.put(f"/api/admin/onlus/{charity}", json={"is_active": False})
    assert donate(user, charity, 1).status_code == 422
    assert donate(user, "0" * 24, 1).json["message"] == "ONLUS_NOT_FOUND"
    assert wallet_of(user)["balance"] == 10


# -- donations -----------------------------------------------------------------


@pytest.mark.parametrize(
    "amount, message",
    [
        (0, "VALIDATION_ERROR"),
        (-1, "VALIDATION_ERROR"),
        (1.001, "VALIDATION_ERROR"),
        ("abc", "VALIDATION_ERROR"),
        (0.49, "DONATION_BELOW_MINIMUM"),
        (100000, "DONATION_ABOVE_MAXIMUM"),
    ],
)
def test_donation_amount_rules(admin, user, charity, amount, message):
    credit(admin, user, 10)
    r = donate(user, charity, amount)
    assert r.status_code == 422 and r.json["message"] == message and "amount" in r.json["errors"]
    assert wallet_of(user)["balance"] == 10


def test_donation_input_is_strict(user, charity):
    assert (
        user.post("/api/donations/process", json={"onlus_id": charity, "amount": 1, "user_id": "x"}).status_code == 422
    )
    assert user.post("/api/donations/process", json={"amount": 1}).status_code == 422
    assert user.client.post("/api/donations/process", json={"onlus_id": charity, "amount": 1}).status_code == 401


def test_insufficient_balance_changes_nothing(admin, user, charity):
    credit(admin, user, 1)
    r = donate(user, charity, 1.01)
    assert r.status_code == 409 and r.json["message"] == "INSUFFICIENT_BALANCE"
    assert wallet_of(user)["balance"] == 1 and user.get("/api/donations/history").json["data"]["total"] == 0


def test_idempotency_key_returns_first_donation_and_debits_once(admin, user, charity, make_user):
    credit(admin, user, 10)
    first = donate(user, charity, 2, key="abc-1")
    again = donate(user, charity, 2, key="abc-1")
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json["data"]["id"] == first.json["data"]["id"]
    assert wallet_of(user)["balance"] == 8
    clash = donate(user, charity, 3, key="abc-1")
    assert clash.status_code == 422 and clash.json["message"] == "IDEMPOTENCY_KEY_REUSED"
    other = make_user()  # keys are per user
    credit(admin, other, 5)
    assert donate(other, charity, 2, key="abc-1").json["data"]["id"] != first.json["data"]["id"]
    assert wallet_of(user)["balance"] == 8


def test_twenty_concurrent_http_donations_never_overdraw(app, admin, user, charity):
    credit(admin, user, 10)  # 10 x EUR 1.00 fit, 10 do not

    def worker(_i):
        client = app.test_client()
        r = client.post("/api/donations/process", json={"onlus_id": charity, "amount": 1}, headers=user.headers)
        return r.status_code, r.json["message"]

    statuses = race(worker, 20)
    assert statuses.count((201, "DONATION_COMPLETED")) == 10, statuses
    assert statuses.count((409, "INSUFFICIENT_BALANCE")) == 10, statuses
    wallet = wallet_of(user)
    assert wallet["balance"] == 0 and wallet["total_donated"] == 10
    ledger = user.get("/api/wallet/transactions?per_page=100").json["data"]
    assert ledger["total"] == 11 and round(sum(e["amount"] for e in ledger["items"]), 2) == 0


def test_another_users_donation_is_not_found(admin, user, make_user, charity):
    credit(admin, user, 5)
    donation_id = donate(user, charity, 1).json["data"]["id"]
    stranger = make_user()
    assert user.get(f"/api/donations/{donation_id}").status_code == 200
    for path in (
        f"/api/donations/{donation_id}",
        f"/api/donations/{donation_id}/receipt",
        f"/api/donations/{donation_id}/receipt?format=json",
        "/api/donations/nonsense",
    ):
        r = stranger.get(path)
        assert r.status_code == 404 and r.json["message"] == "DONATION_NOT_FOUND"


def test_history_filters(admin, user, make_onlus):
    a, b = make_onlus("Alpha", "education"), make_onlus("Beta", "health")
    credit(admin, user, 10)
    donate(user, a, 1)
    donate(user, b, 2)
    items = user.get(f"/api/donations/history?onlus_id={b}").json["data"]["items"]
    assert [(i["onlus_name"], i["amount"]) for i in items] == [("Beta", 2.0)]
    assert user.get("/api/donations/history?status=refunded").json["data"]["total"] == 0
    assert user.get("/api/donations/history?status=lost").status_code == 422


def test_statement_json_and_pdf(admin, user, make_onlus):
    a, b = make_onlus("Alpha", "education"), make_onlus("Beta", "health")
    credit(admin, user, 10)
    donate(user, a, 1)
    donate(user, a, 2.5)
    refunded = donate(user, b, 1).json["data"]["id"]
    assert admin.post(f"/api/admin/donations/{refunded}/refund", json={"reason": "donor asked"}).status_code == 200
    today = utcnow().date()
    data = user.get(f"/api/donations/statement?from={today.replace(month=1, day=1)}&to={today}&format=json").json[
        "data"
    ]
    assert data["total"] == 3.5 and data["donation_count"] == 2
    assert [(g["onlus_name"], g["amount"], g["count"]) for g in data["by_onlus"]] == [("Alpha", 3.5, 2)]
    pdf = user.get("/api/donations/statement")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and b"EUR 3.50" in pdf.data
    assert user.get(f"/api/donations/statement?from={today}&to={today - timedelta(days=1)}").status_code == 422
    assert user.get("/api/donations/statement?from=2020-01-01&to=2022-01-01").status_code == 422
    assert wallet_of(user)["balance"] == 6.5


def test_auto_donation_settings_and_trigger(container, user, make_onlus):
    a = make_onlus("Alpha", "education")
    pending = make_onlus("Beta", "health", verify=False)
    r = user.put(
        "/api/donations/auto-donation",
        json={"enabled": True, "threshold": 1, "percentage": 50, "allocations": [{"onlus_id": pending, "share": 100}]},
    )
    assert r.status_code == 422
    r = user.put(
        "/api/donations/auto-donation",
        json={"enabled": True, "threshold": 1, "percentage": 50, "allocations": [{"onlus_id": a, "share": 90}]},
    )
    assert r.status_code == 422  # shares must add up to 100
    r = user.put(
        "/api/donations/auto-donation",
        json={"enabled": True, "threshold": 1, "percentage": 50, "allocations": [{"onlus_id": a, "share": 100}]},
    )
    assert r.status_code == 200 and r.json["data"]["allocations"][0]["onlus_name"] == "Alpha"
    container.donations.credits.credit_bonus(
        user_id=user.id, key="test:bonus", amount_cents=300, source={"kind": "test"}
    )
    history = user.get("/api/donations/history").json["data"]["items"]
    assert [(d["amount"], d["source"]) for d in history] == [(1.5, "auto")]
    assert user.get(f"/api/donations/{history[0]['id']}/receipt?format=json").status_code == 200
    assert wallet_of(user)["balance"] == 1.5


def test_held_credits_can_be_released_by_admin(container, admin, user):
    now = utcnow()
    container.infra.hooks.publish(
        GameSessionComplete(
            session_id="s-held",
            user_id=user.id,
            game_id="g",
            game_category="action",
            play_seconds=600,
            raw_score=1,
            universal_score=5000,
            started_at=now,
            completed_at=now,
        )
    )
    assert wallet_of(user)["held"] == 0.1 and wallet_of(user)["balance"] == 0
    entry = user.get("/api/wallet/transactions").json["data"]["items"][0]
    assert entry["status"] == "held" and "IMPLAUSIBLE_SCORE" in entry["breakdown"]["reasons"]
    r = admin.post(
        f"/api/admin/wallets/{user.id}/held/{entry['id']}/release", json={"approve": True, "reason": "reviewed"}
    )
    assert r.status_code == 201
    assert wallet_of(user)["held"] == 0 and wallet_of(user)["balance"] == 0.1
    again = admin.post(
        f"/api/admin/wallets/{user.id}/held/{entry['id']}/release", json={"approve": True, "reason": "twice"}
    )
    assert again.status_code == 201 and wallet_of(user)["balance"] == 0.1


def test_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/openapi.json").json["paths"]
    for path in (
        "/api/wallet",
        "/api/wallet/transactions",
        "/api/conversion-rates/current",
        "/api/onlus",
        "/api/onlus/{onlus_id}",
        "/api/donations/process",
        "/api/donations/history",
        "/api/donations/{donation_id}/receipt",
        "/api/donations/statement",
        "/api/admin/onlus",
    ):
        assert path in paths
