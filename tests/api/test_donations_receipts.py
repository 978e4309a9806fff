"""Receipts that are legally right: a card donation is a tax receipt, a donation of play-earned credits an
acknowledgement without the deductibility note; the payment method, the donor's codice fiscale (when
given) and the ONLUS's address appear; a simulated card payment says test mode everywhere."""

from __future__ import annotations

import pytest


@pytest.fixture
def app(app_factory):
    return app_factory(DONATION_PDF_COMPRESS=False)  # the PDF's text readable in its bytes


def card_donation(user, charity, euros):
    intent = user.post("/api/payments/intents", json={"onlus_id": charity, "amount": euros}).json["data"]
    confirmed = user.post(f"/api/payments/intents/{intent['id']}/confirm", json={})
    assert confirmed.json["data"]["status"] == "succeeded", confirmed.json
    return intent["id"]


def receipt(user, donation_id):
    data = user.get(f"/api/donations/{donation_id}/receipt?format=json")
    assert data.status_code == 200, data.json
    pdf = user.get(f"/api/donations/{donation_id}/receipt")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    return data.json["data"], pdf.data


def test_a_card_donation_is_a_tax_receipt_and_a_credit_donation_an_acknowledgement(user, charity, fund):
    assert user.put("/api/user/profile", json={"tax_code": "rssmra85t10a562s"}).status_code == 200
    fund(user, 5)
    credits = user.post("/api/donations/process", json={"onlus_id": charity, "amount": 2}).json["data"]
    card = card_donation(user, charity, 8)

    ack, ack_pdf = receipt(user, credits["id"])
    assert ack["kind"] == "acknowledgement" and ack["payment_method"] == "wallet"
    assert "not deductible" in ack["tax_note"] and "art. 83" not in ack["tax_note"]
    assert ack["test_mode"] is False
    assert b"Donation acknowledgement" in ack_pdf and b"not a tax receipt" in ack_pdf and b"GoodPlay credits" in ack_pdf

    tax, tax_pdf = receipt(user, card)
    assert tax["kind"] == "tax_receipt" and tax["payment_method"] == "card"
    assert "art. 83" in tax["tax_note"]
    assert tax["donor"]["tax_code"] == "RSSMRA85T10A562S"
    assert b"Donation receipt" in tax_pdf and b"Card payment" in tax_pdf and b"RSSMRA85T10A562S" in tax_pdf
    # the simulated provider moved no money: the receipt says so
    assert tax["test_mode"] is True and tax["tax_note"].startswith("TEST MODE")
    assert b"TEST MODE - simulated payment, no money moved" in tax_pdf


def test_the_yearly_statement_counts_only_card_donations_as_deductible(user, charity, fund):
    fund(user, 5)
    assert user.post("/api/donations/process", json={"onlus_id": charity, "amount": 2}).status_code == 201
    card_donation(user, charity, 8)
    statement = user.get("/api/donations/statement?format=json")
    assert statement.status_code == 200, statement.json
    data = statement.json["data"]
    assert data["total"] == 10.0 and data["deductible"] == 8.0
    assert sorted(line["kind"] for line in data["donations"]) == ["acknowledgement", "tax_receipt"]
    assert "kind acknowledgement" in data["tax_note"]


def test_a_donor_tax_code_is_validated_and_can_be_removed(user):
    bad = user.put("/api/user/profile", json={"tax_code": "RSSMRA85T10A562X"})  # wrong check character
    assert bad.status_code == 422 and "tax_code" in bad.json["errors"]
    assert user.get("/api/user/profile").json["data"]["user"]["tax_code"] is None
    assert user.put("/api/user/profile", json={"tax_code": "RSSMRA85T10A562S"}).status_code == 200
    assert user.get("/api/user/profile").json["data"]["user"]["tax_code"] == "RSSMRA85T10A562S"
    assert user.put("/api/user/profile", json={"tax_code": None}).status_code == 200
    assert user.get("/api/user/profile").json["data"]["user"]["tax_code"] is None


def test_every_answer_says_test_mode_while_payments_are_simulated_and_readiness_names_the_provider(client):
    assert client.get("/api/health").headers["X-GoodPlay-Test-Mode"] == "simulated-payments"
    ready = client.get("/api/health/ready").json["data"]
    assert ready["payments"] == "simulated"


def test_with_stripe_configured_answers_carry_no_test_mode(app_factory):
    app = app_factory(STRIPE_SECRET_KEY="sk_test_x", STRIPE_WEBHOOK_SECRET="whsec_x")
    response = app.test_client().get("/api/health")
    assert "X-GoodPlay-Test-Mode" not in response.headers
    assert app.test_client().get("/api/health/ready").json["data"]["payments"] == "stripe"
