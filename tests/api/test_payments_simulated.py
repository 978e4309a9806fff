"""Without a Stripe key: the clearly labelled simulated provider completes card donations offline;
card-testing velocity is refused and flagged; held card donations go back to the card on rejection."""

from __future__ import annotations

import pytest


@pytest.fixture
def app(app_factory):
    return app_factory(DONATION_FRAUD_LIMITS={"failed_payments_per_user_hour": 3, "payment_attempts_per_user_10min": 6})


def test_simulated_provider_is_labelled_and_completes_on_confirm(client, user, charity, db):
    info = client.get("/api/payments/provider").json["data"]
    assert info["provider"] == "simulated" and info["simulated"] is True
    intent = user.post("/api/payments/intents", json={"onlus_id": charity, "amount": 8}).json["data"]
    assert intent["provider"] == "simulated" and intent["client_secret"]
    r = user.post(f"/api/payments/intents/{intent['id']}/confirm", json={})
    assert r.json["data"]["status"] == "succeeded" and r.json["data"]["donation_id"] == intent["id"]
    donation = user.get(f"/api/donations/{intent['id']}").json["data"]
    assert (donation["status"], donation["source"]) == ("completed", "card")
    assert user.post(f"/api/payments/intents/{intent['id']}/confirm", json={}).json["data"]["status"] == "succeeded"
    assert user.post(f"/api/payments/intents/{intent['id']}/cancel").status_code == 409
    assert db["donations"].count_documents({}) == 1
    # no Stripe secret: nothing can be verified, every webhook is refused
    assert (
        client.post(
            "/api/payments/webhooks/stripe", json={"id": "evt", "type": "x"}, headers={"Stripe-Signature": "t=1,v1=x"}
        ).status_code
        == 400
    )


def test_a_cancelled_intent_never_completes(user, charity, db):
    intent = user.post("/api/payments/intents", json={"onlus_id": charity, "amount": 8}).json["data"]
    assert user.post(f"/api/payments/intents/{intent['id']}/cancel").json["data"]["status"] == "canceled"
    assert user.post(f"/api/payments/intents/{intent['id']}/confirm", json={}).status_code == 409
    assert db["donations"].count_documents({}) == 0


def test_card_testing_is_refused_and_flagged(user, admin, charity):
    for _ in range(3):
        intent = user.post("/api/payments/intents", json={"onlus_id": charity, "amount": 1}).json["data"]
        r = user.post(
            f"/api/payments/intents/{intent['id']}/confirm", json={"payment_method": "pm_card_chargeDeclined"}
        )
        assert r.json["data"]["status"] == "failed" and r.json["data"]["last_error"] == "card_declined"
    r = user.post("/api/payments/intents", json={"onlus_id": charity, "amount": 1})
    assert (r.status_code, r.json["message"]) == (429, "PAYMENT_VELOCITY_EXCEEDED")
    flags = admin.get("/api/compliance/fraud-flags?kind=CARD_TESTING").json["data"]
    assert flags["total"] >= 1 and flags["items"][0]["subject"] in (user.id, "127.0.0.1")
    flag = flags["items"][0]
    r = admin.post(f"/api/compliance/fraud-flags/{flag['id']}/resolve", json={"note": "talked to the donor"})
    assert r.status_code == 200 and r.json["data"]["status"] == "resolved"
    assert admin.post(f"/api/compliance/fraud-flags/{flag['id']}/resolve", json={"note": "again"}).status_code == 409


def test_too_many_attempts_are_refused(user, charity):
    codes = [user.post("/api/payments/intents", json={"onlus_id": charity, "amount": 1}).status_code for _ in range(7)]
    assert codes == [201] * 6 + [429]


def test_a_held_card_donation_rejected_goes_back_to_the_card(user, admin, charity, db):
    intent = user.post("/api/payments/intents", json={"onlus_id": charity, "amount": 300}).json["data"]
    assert intent["review_required"] is True
    user.post(f"/api/payments/intents/{intent['id']}/confirm", json={})
    donation = user.get(f"/api/donations/{intent['id']}").json["data"]
    assert donation["status"] == "held"
    assert user.get("/api/wallet").json["data"]["held"] == 300.0
    r = admin.post(f"/api/compliance/held/{intent['id']}/reject", json={"note": "no KYC"})
    assert r.json["data"]["status"] == "rejected"
    wallet = user.get("/api/wallet").json["data"]
    assert (wallet["balance"], wallet["held"], wallet["total_donated"]) == (0.0, 0.0, 0.0)
    sim = db["simulated_payments"].find_one({})
    assert [x["amount"] for x in sim["refunds"]] == [30000]
    assert admin.get(f"/api/admin/payments/{intent['id']}").json["data"]["status"] == "refunded"
    run = admin.post("/api/admin/financial/reconciliation").json["data"]
    assert run["discrepancy_count"] == 0, run


def test_a_held_card_donation_approved_completes(user, admin, charity, db):
    intent = user.post("/api/payments/intents", json={"onlus_id": charity, "amount": 300}).json["data"]
    user.post(f"/api/payments/intents/{intent['id']}/confirm", json={})
    r = admin.post(f"/api/compliance/held/{intent['id']}/approve", json={})
    assert r.json["data"]["status"] == "completed" and r.json["data"]["receipt_number"]
    wallet = user.get("/api/wallet").json["data"]
    assert (wallet["balance"], wallet["held"], wallet["total_donated"]) == (0.0, 0.0, 300.0)
    assert db["hook_events"].count_documents({"name": "donation_complete"}) == 1
