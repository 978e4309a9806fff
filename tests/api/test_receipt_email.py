"""Receipts by email: once per completed donation, to a confirmed address, when `receipt_email` is on."""

from __future__ import annotations


def receipt_mails(container, user) -> list[dict]:
    messages, _ = container.core.mail.page(to=user.email, limit=100)
    return [m for m in messages if m["subject"].startswith("Your donation")]


def donate(user, onlus_id: str, euros: float) -> dict:
    response = user.post("/api/donations/process", json={"onlus_id": onlus_id, "amount": euros})
    assert response.status_code == 201, response.json
    return response.json["data"]


def test_a_credit_donation_mails_its_acknowledgement_once_with_a_link_to_it(
    container, app, make_user, confirm_email, fund, charity
):
    ada = make_user("Ada")
    confirm_email(ada)
    fund(ada, 20)
    donation = donate(ada, charity, 12.5)

    [mail] = receipt_mails(container, ada)
    number = donation["receipt_number"]
    assert mail["subject"] == f"Your donation acknowledgement {number}"
    assert "Thank you for donating EUR 12.50 to Scuole Aperte." in mail["text"]
    assert "not a tax receipt" in mail["text"]
    link = f"{app.config['FRONTEND_URL']}/donations/{donation['id']}/receipt"
    assert link in mail["text"] and link in mail["html"]
    assert mail["user_id"] == ada.id

    # a redelivered event (the retry pass, another process) queues nothing more
    assert container.donations.receipt_mail.send(user_id=ada.id, donation_id=donation["id"]) is False
    assert len(receipt_mails(container, ada)) == 1


def test_a_card_donation_mails_a_tax_receipt_marked_test_mode_on_the_simulated_provider(
    container, make_user, confirm_email, charity
):
    ada = make_user("Ada")
    confirm_email(ada)
    intent = ada.post("/api/payments/intents", json={"onlus_id": charity, "amount": 30}).json["data"]
    confirmed = ada.post(f"/api/payments/intents/{intent['id']}/confirm", json={})
    assert confirmed.status_code == 200, confirmed.json

    [mail] = receipt_mails(container, ada)
    assert mail["subject"].startswith("Your donation receipt GP-")
    assert "EUR 30.00" in mail["text"] and "TEST MODE" in mail["text"] and "deductible" in mail["text"]


def test_no_receipt_mail_when_the_preference_is_off_or_the_address_unconfirmed(
    container, make_user, confirm_email, fund, charity
):
    ada, bob = make_user("Ada"), make_user("Bob")
    confirm_email(ada)
    assert ada.put("/api/preferences", json={"donations": {"receipt_email": False}}).status_code == 200
    for user in (ada, bob):  # Bob never confirmed his address
        fund(user, 10)
        donation = donate(user, charity, 5)
        assert donation["receipt_number"]
        assert receipt_mails(container, user) == []


def test_a_held_donation_mails_its_receipt_only_once_approved(
    container, make_user, admin, confirm_email, fund, charity
):
    ada = make_user("Ada")
    confirm_email(ada)
    fund(ada, 400)
    held = ada.post("/api/donations/process", json={"onlus_id": charity, "amount": 300})
    assert held.status_code == 202, held.json
    assert receipt_mails(container, ada) == []

    donation_id = held.json["data"]["id"]
    approved = admin.post(f"/api/compliance/held/{donation_id}/approve", json={"note": "checked"})
    assert approved.status_code == 200, approved.json
    [mail] = receipt_mails(container, ada)
    assert f"/donations/{donation_id}/receipt" in mail["text"]
