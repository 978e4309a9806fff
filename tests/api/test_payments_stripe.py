"""Card donations against the real Stripe SDK talking to a local fake Stripe HTTP server (pytest-httpserver),
with webhooks signed the way Stripe signs them."""

from __future__ import annotations

import json
import re
import uuid
from urllib.parse import parse_qsl

import pytest
import stripe
from werkzeug.wrappers import Response

from tests.support import race

WEBHOOK_SECRET = "whsec_test_goodplay"


class FakeStripe:
    """Enough of the Stripe API for PaymentIntents and refunds; records what the SDK sent."""

    def __init__(self, server):
        self.server = server
        self.intents: dict[str, dict] = {}
        self.requests: list[dict] = []
        self.refunds: dict[str, dict] = {}  # by idempotency key
        self.fail_next = 0
        server.expect_request(re.compile(r"^/v1/payment_intents$"), method="POST").respond_with_handler(self.create)
        server.expect_request(re.compile(r"^/v1/payment_intents/[^/]+/cancel$"), method="POST").respond_with_handler(
            self.cancel
        )
        server.expect_request(re.compile(r"^/v1/payment_intents/[^/]+$"), method="GET").respond_with_handler(self.get)
        server.expect_request(re.compile(r"^/v1/refunds$"), method="POST").respond_with_handler(self.refund)

    def _json(self, data, status=200):
        return Response(json.dumps(data), status=status, content_type="application/json")

    def _record(self, request):
        form = dict(parse_qsl(request.get_data(as_text=True)))
        self.requests.append(
            {
                "path": request.path,
                "method": request.method,
                "form": form,
                "idempotency_key": request.headers.get("Idempotency-Key"),
                "auth": request.headers.get("Authorization"),
            }
        )
        return form

    def create(self, request):
        form = self._record(request)
        if self.fail_next:
            self.fail_next -= 1
            return self._json({"error": {"type": "api_error", "message": "boom"}}, 500)
        key = request.headers.get("Idempotency-Key")
        for pi in self.intents.values():
            if pi["_key"] == key:
                return self._json(self.public(pi))
        pid = f"pi_{uuid.uuid4().hex[:20]}"
        metadata = {k[9:-1]: v for k, v in form.items() if k.startswith("metadata[")}
        self.intents[pid] = {
            "id": pid,
            "object": "payment_intent",
            "amount": int(form["amount"]),
            "currency": form["currency"],
            "status": "requires_payment_method",
            "client_secret": f"{pid}_secret_x",
            "metadata": metadata,
            "_key": key,
        }
        return self._json(self.public(self.intents[pid]))

    def get(self, request):
        self._record(request)
        pid = request.path.rsplit("/", 1)[1]
        return self._json(self.public(self.intents[pid]))

    def cancel(self, request):
        self._record(request)
        pid = request.path.split("/")[3]
        if self.intents[pid]["status"] != "succeeded":
            self.intents[pid]["status"] = "canceled"
        return self._json(self.public(self.intents[pid]))

    def refund(self, request):
        form = self._record(request)
        key = request.headers.get("Idempotency-Key")
        if key not in self.refunds:
            self.refunds[key] = {
                "id": f"re_{uuid.uuid4().hex[:16]}",
                "object": "refund",
                "status": "succeeded",
                "amount": int(form["amount"]),
                "payment_intent": form["payment_intent"],
            }
        return self._json(self.refunds[key])

    @staticmethod
    def public(pi):
        return {k: v for k, v in pi.items() if not k.startswith("_")}

    def pay(self, pid):
        self.intents[pid]["status"] = "succeeded"
        return self.public(self.intents[pid])


@pytest.fixture
def fake_stripe(httpserver):
    return FakeStripe(httpserver)


@pytest.fixture
def app(app_factory, httpserver, fake_stripe):
    return app_factory(
        STRIPE_SECRET_KEY="sk_test_goodplay",
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        STRIPE_API_BASE=httpserver.url_for("/").rstrip("/"),
        STRIPE_MAX_NETWORK_RETRIES=0,
    )


def event(kind: str, obj: dict, event_id: str | None = None) -> dict:
    return {"id": event_id or f"evt_{uuid.uuid4().hex[:16]}", "object": "event", "type": kind, "data": {"object": obj}}


def send(client, evt: dict, *, secret: str = WEBHOOK_SECRET, signature: str | None = None):
    payload = json.dumps(evt)
    header = signature or stripe.WebhookSignature.generate_signature_header(payload, secret)
    return client.post(
        "/api/payments/webhooks/stripe",
        data=payload,
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
    )


def start(user, charity, amount=12.5, **kw):
    r = user.post("/api/payments/intents", json={"onlus_id": charity, "amount": amount}, **kw)
    assert r.status_code == 201, r.json
    return r.json["data"]


def snapshot(db):
    return {
        name: db[name].count_documents({})
        for name in ("transactions", "donations", "receipts", "hook_events", "payment_webhook_events")
    }


def test_card_donation_end_to_end_with_a_signed_webhook(client, user, charity, fake_stripe, db, container):
    intent = start(user, charity, 12.5)
    assert intent["provider"] == "stripe" and intent["status"] == "requires_payment_method"
    assert intent["client_secret"].startswith(intent["provider_intent_id"])
    sent = fake_stripe.requests[0]
    assert sent["idempotency_key"] == f"donation:{intent['id']}"  # deterministic key
    assert sent["form"]["amount"] == "1250" and sent["form"]["currency"] == "eur"
    assert sent["auth"] == "Bearer sk_test_goodplay"

    # the browser confirms with Stripe.js; Stripe then tells us
    paid = fake_stripe.pay(intent["provider_intent_id"])
    r = send(client, event("payment_intent.succeeded", paid))
    assert r.status_code == 200 and r.json["message"] == "WEBHOOK_PROCESSED"
    assert r.json["data"]["outcome"] == "completed"

    donation = user.get(f"/api/donations/{intent['id']}").json["data"]
    assert (donation["status"], donation["source"], donation["amount"]) == ("completed", "card", 12.5)
    assert donation["receipt_number"].startswith("GP-")
    receipt = user.get(f"/api/donations/{intent['id']}/receipt?format=json").json["data"]
    assert receipt["amount"] == 12.5 and receipt["void"] is False
    assert user.get(f"/api/payments/intents/{intent['id']}").json["data"]["status"] == "succeeded"
    wallet = user.get("/api/wallet").json["data"]
    assert (wallet["balance"], wallet["total_donated"]) == (0.0, 12.5)  # straight from the card
    assert db["hook_events"].count_documents({"key": f"donation:{intent['id']}", "name": "donation_complete"}) == 1
    assert (
        container.donations.donations.period_summary(donation_time(db, intent["id"]), far_future())["total_cents"]
        == 1250
    )

    # Stripe delivers the same event again: acknowledged, nothing changes
    before = snapshot(db)
    again = send(client, event("payment_intent.succeeded", paid, event_id=r.json["data"]["event_id"]))
    assert again.status_code == 200 and again.json["message"] == "WEBHOOK_DUPLICATE_IGNORED"
    assert again.json["data"]["duplicate"] is True
    assert snapshot(db) == before
    # a different event id for the same payment (e.g. resent by Stripe's dashboard): still one donation
    assert send(client, event("payment_intent.succeeded", paid)).json["data"]["outcome"] == "ignored_state"
    assert db["donations"].count_documents({}) == 1
    assert db["transactions"].count_documents({"user_id": user.id}) == 2  # card_payment + donated


def donation_time(db, donation_id):
    from bson import ObjectId

    return db["donations"].find_one({"_id": ObjectId(donation_id)})["created_at"]


def far_future():
    from datetime import datetime

    return datetime(2100, 1, 1)


def test_bad_signature_is_400_and_changes_nothing(client, user, charity, fake_stripe, db):
    intent = start(user, charity)
    paid = fake_stripe.pay(intent["provider_intent_id"])
    before = snapshot(db)
    assert send(client, event("payment_intent.succeeded", paid), secret="whsec_wrong").status_code == 400
    r = send(client, event("payment_intent.succeeded", paid), signature="t=1,v1=deadbeef")
    assert (r.status_code, r.json["message"]) == (400, "INVALID_SIGNATURE")
    no_header = client.post(
        "/api/payments/webhooks/stripe", data=json.dumps(event("x", {})), headers={"Content-Type": "application/json"}
    )
    assert no_header.status_code == 400
    # a body changed after signing
    evt = event("payment_intent.succeeded", paid)
    header = stripe.WebhookSignature.generate_signature_header(json.dumps(evt), WEBHOOK_SECRET)
    evt["data"]["object"]["amount"] = 1
    assert send(client, evt, signature=header).status_code == 400
    assert snapshot(db) == before
    assert user.get(f"/api/payments/intents/{intent['id']}").json["data"]["status"] == "requires_payment_method"


def test_late_failure_or_cancel_cannot_undo_a_completed_payment(client, user, charity, fake_stripe, db):
    intent = start(user, charity, 5)
    paid = fake_stripe.pay(intent["provider_intent_id"])
    assert send(client, event("payment_intent.succeeded", paid)).json["data"]["outcome"] == "completed"
    failed = {**paid, "status": "requires_payment_method", "last_payment_error": {"code": "card_declined"}}
    assert send(client, event("payment_intent.payment_failed", failed)).json["data"]["outcome"] == "ignored_state"
    assert (
        send(client, event("payment_intent.canceled", {**paid, "status": "canceled"})).json["data"]["outcome"]
        == "ignored_state"
    )
    assert user.get(f"/api/payments/intents/{intent['id']}").json["data"]["status"] == "succeeded"
    assert user.get(f"/api/donations/{intent['id']}").json["data"]["status"] == "completed"


def test_a_declined_attempt_then_success_completes_once(client, user, charity, fake_stripe, db):
    intent = start(user, charity, 5)
    pi = fake_stripe.intents[intent["provider_intent_id"]]
    declined = {**fake_stripe.public(pi), "last_payment_error": {"code": "card_declined"}}
    assert send(client, event("payment_intent.payment_failed", declined)).json["data"]["outcome"] == "failed"
    got = user.get(f"/api/payments/intents/{intent['id']}").json["data"]
    assert (got["status"], got["last_error"]) == ("failed", "card_declined")
    assert (
        send(client, event("payment_intent.succeeded", fake_stripe.pay(pi["id"]))).json["data"]["outcome"]
        == "completed"
    )
    assert db["donations"].count_documents({"status": "completed"}) == 1


def test_confirm_syncs_from_stripe_when_the_webhook_is_late(client, user, charity, fake_stripe, db):
    intent = start(user, charity, 7)
    r = user.post(f"/api/payments/intents/{intent['id']}/confirm", json={})
    assert r.json["data"]["status"] == "requires_payment_method"  # not paid yet: nothing happens
    fake_stripe.pay(intent["provider_intent_id"])
    r = user.post(f"/api/payments/intents/{intent['id']}/confirm", json={})
    assert r.status_code == 200 and r.json["data"]["status"] == "succeeded"
    late = send(
        client, event("payment_intent.succeeded", fake_stripe.public(fake_stripe.intents[intent["provider_intent_id"]]))
    )
    assert late.json["data"]["outcome"] == "ignored_state"
    assert db["donations"].count_documents({}) == 1


def test_racing_webhooks_and_confirms_complete_a_payment_once(app, client, user, charity, fake_stripe, db):
    intent = start(user, charity, 9)
    paid = fake_stripe.pay(intent["provider_intent_id"])

    def deliver(i):
        c = app.test_client()  # the Flask test client is not thread-safe: one per thread
        if i % 2:
            r = c.post(f"/api/payments/intents/{intent['id']}/confirm", json={}, headers=user.headers)
        else:
            payload = json.dumps(event("payment_intent.succeeded", paid))
            r = c.post(
                "/api/payments/webhooks/stripe",
                data=payload,
                headers={
                    "Stripe-Signature": stripe.WebhookSignature.generate_signature_header(payload, WEBHOOK_SECRET)
                },
            )
        return r.status_code

    results = race(deliver, 6)
    assert results == [200] * 6
    assert db["donations"].count_documents({}) == 1
    assert db["receipts"].count_documents({}) == 1
    assert db["transactions"].count_documents({"user_id": user.id}) == 2
    assert db["hook_events"].count_documents({"name": "donation_complete"}) == 1


def test_charge_refunded_reverses_the_donation_and_voids_the_receipt(client, user, charity, fake_stripe, db):
    intent = start(user, charity, 20)
    paid = fake_stripe.pay(intent["provider_intent_id"])
    send(client, event("payment_intent.succeeded", paid))
    charge = {
        "id": "ch_1",
        "object": "charge",
        "payment_intent": paid["id"],
        "amount": 2000,
        "amount_refunded": 2000,
        "refunded": True,
    }
    r = send(client, event("charge.refunded", charge))
    assert r.json["data"]["outcome"] == "refunded"
    donation = user.get(f"/api/donations/{intent['id']}").json["data"]
    assert donation["status"] == "refunded"
    assert user.get(f"/api/donations/{intent['id']}/receipt?format=json").json["data"]["void"] is True
    wallet = user.get("/api/wallet").json["data"]
    assert (wallet["balance"], wallet["total_donated"]) == (0.0, 0.0)
    refund = db["transactions"].find_one({"key": f"refund:{intent['id']}"})
    assert refund["meta"]["reverses"] == f"donation:{intent['id']}"
    assert db["hook_events"].count_documents({"name": "donation_refunded"}) == 1
    assert not [r for r in fake_stripe.requests if r["path"] == "/v1/refunds"]  # Stripe already refunded
    assert send(client, event("charge.refunded", charge)).json["data"]["outcome"] == "already_refunded"


def test_admin_refund_of_a_card_donation_refunds_at_stripe_once(client, user, admin, charity, fake_stripe, db):
    intent = start(user, charity, 15)
    send(client, event("payment_intent.succeeded", fake_stripe.pay(intent["provider_intent_id"])))
    r = admin.post(f"/api/admin/donations/{intent['id']}/refund", json={"reason": "donor asked"})
    assert r.status_code == 200 and r.json["data"]["status"] == "refunded"
    refunds = [q for q in fake_stripe.requests if q["path"] == "/v1/refunds"]
    assert len(refunds) == 1 and refunds[0]["idempotency_key"] == f"refund:{intent['id']}"
    assert refunds[0]["form"]["amount"] == "1500"
    assert admin.post(f"/api/admin/donations/{intent['id']}/refund", json={"reason": "again"}).status_code == 409
    got = admin.get(f"/api/admin/payments/{intent['id']}").json["data"]
    assert got["status"] == "refunded" and got["provider_refund"]["status"] == "succeeded"
    # the webhook Stripe sends about our own refund changes nothing more
    charge = {"id": "ch_2", "payment_intent": intent["provider_intent_id"], "amount_refunded": 1500}
    assert send(client, event("charge.refunded", charge)).json["data"]["outcome"] == "already_refunded"
    assert db["transactions"].count_documents({"type": "refund"}) == 1


def test_dispute_is_recorded_and_flagged(client, user, admin, charity, fake_stripe):
    intent = start(user, charity, 6)
    send(client, event("payment_intent.succeeded", fake_stripe.pay(intent["provider_intent_id"])))
    dispute = {
        "id": "dp_1",
        "object": "dispute",
        "payment_intent": intent["provider_intent_id"],
        "amount": 600,
        "reason": "fraudulent",
        "status": "needs_response",
    }
    assert send(client, event("charge.dispute.created", dispute)).json["data"]["outcome"] == "dispute_recorded"
    assert admin.get(f"/api/admin/payments/{intent['id']}").json["data"]["dispute"]["reason"] == "fraudulent"
    flags = admin.get("/api/compliance/fraud-flags?kind=CHARGE_DISPUTE").json["data"]
    assert flags["total"] == 1 and flags["items"][0]["subject"] == user.id


def test_unknown_events_and_unknown_intents_are_acknowledged(client):
    assert send(client, event("customer.created", {"id": "cus_1"})).json["data"]["outcome"] == "ignored_type"
    r = send(client, event("payment_intent.succeeded", {"id": "pi_nope", "amount": 100}))
    assert r.status_code == 200 and r.json["data"]["outcome"] == "unknown_intent"


def test_a_stripe_outage_fails_the_intent_cleanly(user, charity, fake_stripe):
    fake_stripe.fail_next = 1
    r = user.post("/api/payments/intents", json={"onlus_id": charity, "amount": 3})
    assert (r.status_code, r.json["message"]) == (502, "PAYMENT_PROVIDER_ERROR")
    intents = user.get("/api/payments/intents").json["data"]
    assert intents["total"] == 1 and intents["items"][0]["status"] == "failed"


def test_intents_are_private_and_idempotent(make_user, user, charity, fake_stripe):
    first = user.post(
        "/api/payments/intents", json={"onlus_id": charity, "amount": 4}, headers={"Idempotency-Key": "pay-1"}
    )
    again = user.post(
        "/api/payments/intents", json={"onlus_id": charity, "amount": 4}, headers={"Idempotency-Key": "pay-1"}
    )
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json["data"]["id"] == first.json["data"]["id"]
    assert len([q for q in fake_stripe.requests if q["path"] == "/v1/payment_intents"]) == 1
    other = make_user()
    assert other.get(f"/api/payments/intents/{first.json['data']['id']}").status_code == 404
    assert other.post(f"/api/payments/intents/{first.json['data']['id']}/confirm", json={}).status_code == 404
    assert user.post("/api/payments/intents", json={"onlus_id": charity, "amount": 0.001}).status_code == 422
    assert user.post("/api/payments/intents", json={"onlus_id": charity, "amount": 4, "x": 1}).status_code == 422
    assert user.client.post("/api/payments/intents", json={"onlus_id": charity, "amount": 4}).status_code == 401
