"""Account emails against a real SMTP server (aiosmtpd on 127.0.0.1): verification and resend, email change,
password reset, and the outbox that sends them (retries with backoff, never twice, kept without a server)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests.smtp import SmtpServer, body, link_token

NS = "/impact"


@pytest.fixture(scope="module")
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def app(app_factory, smtp):
    smtp.inbox.clear()
    return app_factory(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, FRONTEND_URL="https://play.example")


@pytest.fixture
def deliver(app, container):
    """Run the mail_send job once (as the scheduler does)."""

    def run() -> dict:
        with app.app_context():
            return container.core.mail.send_due()

    return run


def only(messages: list):
    assert len(messages) == 1, [m["Subject"] for m in messages]
    return messages[0]


def later(**delta):
    return time_machine.travel(datetime.now(UTC) + timedelta(**delta), tick=False)


def profile(user) -> dict:
    return user.get("/api/user/profile").json["data"]["user"]


# -- verification -------------------------------------------------------------------------------


def test_registration_mails_a_link_that_verifies_the_address_once(client, make_user, smtp, deliver):
    ada = make_user("Ada")
    assert profile(ada)["email_verified"] is False
    assert deliver()["sent"] == 1
    mail = only(smtp.inbox.to(ada.email))
    assert mail["Subject"] == "Confirm your email address"
    assert "Hi Ada," in body(mail) and "24 hours" in body(mail)
    assert "https://play.example/verify-email?token=" in body(mail, "html")
    token = link_token(mail)

    verified = client.post("/api/auth/verify-email", json={"token": token})
    assert verified.status_code == 200 and verified.json["message"] == "EMAIL_VERIFIED"
    assert verified.json["data"]["user"]["email_verified"] is True and profile(ada)["email_verified"] is True
    again = client.post("/api/auth/verify-email", json={"token": token})
    assert again.status_code == 400 and again.json["message"] == "LINK_INVALID"
    assert ada.post("/api/auth/resend-verification").json["message"] == "EMAIL_ALREADY_VERIFIED"


@pytest.mark.parametrize("token", ["nope", "x" * 43, ""])
def test_a_made_up_or_empty_token_verifies_nothing(client, user, token):
    response = client.post("/api/auth/verify-email", json={"token": token})
    assert response.status_code in (400, 422)
    assert profile(user)["email_verified"] is False


def test_resend_replaces_the_link_and_the_old_one_stops_working(client, user, smtp, deliver):
    deliver()
    first = link_token(only(smtp.inbox.to(user.email)))
    resent = user.post("/api/auth/resend-verification")
    assert resent.status_code == 200 and resent.json["message"] == "VERIFICATION_SENT"
    deliver()
    second = link_token(smtp.inbox.to(user.email)[-1])
    assert second != first
    assert client.post("/api/auth/verify-email", json={"token": first}).json["message"] == "LINK_INVALID"
    assert client.post("/api/auth/verify-email", json={"token": second}).status_code == 200
    assert client.post("/api/auth/resend-verification").status_code == 401


def test_a_verification_link_expires_after_24_hours(client, user, smtp, deliver):
    deliver()
    token = link_token(only(smtp.inbox.to(user.email)))
    with later(hours=24, minutes=1):
        assert client.post("/api/auth/verify-email", json={"token": token}).json["message"] == "LINK_INVALID"
    assert profile(user)["email_verified"] is False


def test_the_database_holds_no_link_that_works(db, user, smtp, deliver):
    deliver()
    token = link_token(only(smtp.inbox.to(user.email)))
    stored = [str(v) for doc in db.account_tokens.find() for v in doc.values()]
    assert stored and not any(token in value for value in stored)


def test_registration_and_its_mail_are_one_transaction(client, db, container, monkeypatch):
    def refuse(*args, **kwargs):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(type(container.core.mail.outbox), "insert", refuse)
    body_ = {"email": "atomic@example.com", "password": "correct-horse-1", "first_name": "A", "last_name": "T"}
    assert client.post("/api/auth/register", json=body_).status_code == 500
    assert db.users.count_documents({"email": "atomic@example.com"}) == 0
    assert db.account_tokens.count_documents({}) == 0


# -- password reset -----------------------------------------------------------------------------


def test_forgot_password_answers_the_same_for_unknown_addresses_and_mails_only_real_ones(client, user, smtp, deliver):
    deliver()
    smtp.inbox.clear()
    unknown = client.post("/api/auth/password/forgot", json={"email": "nobody@example.com"})
    known = client.post("/api/auth/password/forgot", json={"email": user.email.upper()})
    assert unknown.status_code == known.status_code == 200
    assert unknown.json == known.json == {"success": True, "message": "PASSWORD_RESET_SENT", "data": None}
    deliver()
    assert smtp.inbox.to("nobody@example.com") == []
    mail = only(smtp.inbox.to(user.email))
    assert mail["Subject"] == "Reset your GoodPlay password" and "30 minutes" in body(mail)


def test_a_reset_sets_the_password_and_ends_every_session_and_socket(app, client, container, user, smtp, deliver):
    other = client.post("/api/auth/login", json={"email": user.email, "password": user.password}).json["data"]
    sock = container.infra.socketio.test_client(app, namespace=NS, auth={"token": user.access_token})
    assert sock.is_connected(NS)
    client.post("/api/auth/password/forgot", json={"email": user.email})
    deliver()
    token = link_token(smtp.inbox.to(user.email)[-1])

    short = client.post("/api/auth/password/reset", json={"token": token, "password": "short"})
    assert short.status_code == 422  # refused before the link is used: it still works
    reset = client.post("/api/auth/password/reset", json={"token": token, "password": "brand-new-horse-2"})
    assert reset.status_code == 200 and reset.json["message"] == "PASSWORD_RESET"

    for access in (user.access_token, other["access_token"]):
        refused = client.get("/api/user/profile", headers={"Authorization": f"Bearer {access}"})
        assert refused.status_code == 401 and refused.json["message"] == "TOKEN_REVOKED"
    assert (
        client.post("/api/auth/refresh", headers={"Authorization": f"Bearer {other['refresh_token']}"}).status_code
        == 401
    )
    deadline = time.monotonic() + 3
    while sock.is_connected(NS) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not sock.is_connected(NS)

    old = client.post("/api/auth/login", json={"email": user.email, "password": user.password})
    new = client.post("/api/auth/login", json={"email": user.email, "password": "brand-new-horse-2"})
    assert old.status_code == 401 and new.status_code == 200
    assert new.json["data"]["user"]["email_verified"] is True  # the link reached the address
    again = client.post("/api/auth/password/reset", json={"token": token, "password": "another-horse-3"})
    assert again.status_code == 400 and again.json["message"] == "LINK_INVALID"
    deliver()
    assert smtp.inbox.to(user.email)[-1]["Subject"] == "Your GoodPlay password was changed"


def test_a_reset_link_expires_after_30_minutes_and_a_newer_one_replaces_it(client, user, smtp, deliver):
    client.post("/api/auth/password/forgot", json={"email": user.email})
    deliver()
    first = link_token(smtp.inbox.to(user.email)[-1])
    client.post("/api/auth/password/forgot", json={"email": user.email})
    deliver()
    second = link_token(smtp.inbox.to(user.email)[-1])
    new = {"password": "brand-new-horse-2"}
    assert client.post("/api/auth/password/reset", json={"token": first, **new}).json["message"] == "LINK_INVALID"
    with later(minutes=31):
        assert client.post("/api/auth/password/reset", json={"token": second, **new}).json["message"] == "LINK_INVALID"
    assert client.post("/api/auth/login", json={"email": user.email, "password": user.password}).status_code == 200


def test_forgot_password_is_rate_limited_per_address_and_per_client(app_factory, smtp):
    limited = app_factory(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, RATELIMIT_ENABLED=True, TRUSTED_PROXIES=1
    ).test_client()

    def ask(email, ip):
        return limited.post("/api/auth/password/forgot", json={"email": email}, headers={"X-Forwarded-For": ip})

    assert [ask("target@example.com", f"10.0.0.{i}").status_code for i in range(6)] == [200] * 5 + [429]
    assert [ask(f"a{i}@example.com", "10.0.1.1").status_code for i in range(6)] == [200] * 5 + [429]
    assert ask("someone-else@example.com", "10.0.2.1").status_code == 200


# -- email change -------------------------------------------------------------------------------


def test_an_email_change_takes_effect_only_once_the_new_address_confirms_it(client, make_user, smtp, deliver):
    ada = make_user("Ada")
    old, new = ada.email, "ada.new@example.com"
    deliver()
    smtp.inbox.clear()
    pending = ada.put("/api/user/email", json={"email": "  Ada.New@Example.com ", "password": ada.password})
    assert pending.status_code == 200 and pending.json["message"] == "EMAIL_CHANGE_PENDING"
    deliver()
    assert only(smtp.inbox.to(old))["Subject"] == "Your GoodPlay email address is being changed"
    confirm = only(smtp.inbox.to(new))
    assert confirm["Subject"] == "Confirm your new email address" and new in body(confirm)
    assert profile(ada)["email"] == old
    assert client.post("/api/auth/login", json={"email": old, "password": ada.password}).status_code == 200

    done = client.post("/api/auth/verify-email", json={"token": link_token(confirm)})
    assert done.status_code == 200 and done.json["data"]["user"]["email"] == new
    assert profile(ada)["email"] == new and profile(ada)["email_verified"] is True
    assert client.post("/api/auth/login", json={"email": old, "password": ada.password}).status_code == 401
    assert client.post("/api/auth/login", json={"email": new, "password": ada.password}).status_code == 200
    deliver()
    assert smtp.inbox.to(old)[-1]["Subject"] == "Your GoodPlay email address was changed"


def test_an_email_change_needs_the_password_and_a_free_address(make_user, smtp, deliver):
    ada, bob = make_user("Ada"), make_user("Bob")
    deliver()
    smtp.inbox.clear()
    cases = [
        ({"email": "x@example.com", "password": "wrong-password"}, 401, "INVALID_CREDENTIALS"),
        ({"email": bob.email.upper(), "password": ada.password}, 409, "EMAIL_ALREADY_EXISTS"),
        ({"email": ada.email, "password": ada.password}, 409, "EMAIL_UNCHANGED"),
        ({"email": "not-an-email", "password": ada.password}, 422, "VALIDATION_ERROR"),
        ({"email": "x@example.com"}, 422, "VALIDATION_ERROR"),
    ]
    for payload, status, message in cases:
        response = ada.put("/api/user/email", json=payload)
        assert (response.status_code, response.json["message"]) == (status, message), payload
    deliver()
    assert smtp.inbox.messages == []


def test_a_confirmed_change_to_an_address_taken_meanwhile_is_refused(client, make_user, smtp, deliver):
    ada = make_user("Ada")
    ada.put("/api/user/email", json={"email": "wanted@example.com", "password": ada.password})
    deliver()
    token = link_token(only(smtp.inbox.to("wanted@example.com")))
    make_user("Eve", email="wanted@example.com")
    taken = client.post("/api/auth/verify-email", json={"token": token})
    assert taken.status_code == 409 and taken.json["message"] == "EMAIL_ALREADY_EXISTS"
    assert profile(ada)["email"] == ada.email


# -- the outbox ---------------------------------------------------------------------------------


def test_a_refused_delivery_is_retried_with_backoff_and_arrives_once(db, user, smtp, deliver):
    smtp.inbox.refuse(2)
    assert deliver()["retrying"] == 1
    assert deliver()["sent"] == 0  # not due yet: 30 s of backoff
    with later(seconds=31):
        assert deliver()["retrying"] == 1
    with later(minutes=2):
        assert deliver()["sent"] == 1
    with later(hours=1):
        assert deliver() == {"sent": 0, "retrying": 0, "failed": 0, "kept": 0, "interrupted": 0}
    only(smtp.inbox.to(user.email))
    stored = db.mail_outbox.find_one({"to": user.email})
    assert stored["status"] == "sent" and stored["attempts"] == 3


def test_a_permanent_refusal_fails_the_message_without_retrying(db, user, smtp, deliver):
    smtp.inbox.refuse(1, "550 5.1.1 no such mailbox")
    assert deliver()["failed"] == 1
    with later(hours=1):
        assert deliver()["sent"] == 0
    stored = db.mail_outbox.find_one({"to": user.email})
    assert stored["status"] == "failed" and "550" in stored["last_error"]
    assert smtp.inbox.to(user.email) == []


def test_an_unreachable_server_is_retried_until_the_last_attempt(app_factory, container, db, make_user):
    from app.core.database import free_port

    app = app_factory(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    mail = app.extensions["goodplay"].core.mail
    app.test_client().post(
        "/api/auth/register",
        json={"email": "far@example.com", "password": "correct-horse-1", "first_name": "F", "last_name": "R"},
    )
    outcomes = []
    for minutes in (0, 1, 3, 7, 15, 31, 63):
        with later(minutes=minutes), app.app_context():
            outcomes.append(mail.send_due())
    assert [o["retrying"] for o in outcomes] == [1, 1, 1, 1, 1, 0, 0]
    assert outcomes[5]["failed"] == 1
    assert db.mail_outbox.find_one({"to": "far@example.com"})["attempts"] == 6


def test_two_senders_at_once_send_each_message_once(app, container, make_user, smtp):
    users = [make_user(f"U{i}") for i in range(12)]
    mail = container.core.mail

    def run():
        with app.app_context():
            mail.send_due()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(m["To"] for m in smtp.inbox.messages) == sorted(u.email for u in users)


def test_a_message_interrupted_while_sending_is_not_sent_again(db, user, smtp, deliver):
    db.mail_outbox.update_one(
        {"to": user.email}, {"$set": {"status": "sending", "lease_until": datetime.now(UTC).replace(tzinfo=None)}}
    )
    with later(minutes=3):
        assert deliver()["interrupted"] == 1
    stored = db.mail_outbox.find_one({"to": user.email})
    assert stored["status"] == "failed" and "interrupted" in stored["last_error"]
    assert smtp.inbox.to(user.email) == []


def test_without_a_mail_server_mail_is_kept_and_listed_with_its_links(app_factory, smtp):
    smtp.inbox.clear()
    dev = app_factory()  # no MAIL_SERVER
    client = dev.test_client()
    client.post(
        "/api/auth/register",
        json={"email": "dev@example.com", "password": "correct-horse-1", "first_name": "D", "last_name": "V"},
    )
    with dev.app_context():
        assert dev.extensions["goodplay"].core.mail.send_due()["kept"] == 1
        dev.extensions["goodplay"].core.auth.ensure_admin(email="root@example.com", password="admin-password-1")
    token = client.post("/api/auth/login", json={"email": "root@example.com", "password": "admin-password-1"})
    headers = {"Authorization": f"Bearer {token.json['data']['access_token']}"}
    listed = client.get("/api/admin/mail", query_string={"to": "DEV@example.com"}, headers=headers).json["data"]
    assert listed["total"] == 1
    [message] = listed["items"]
    assert message["status"] == "kept" and "/verify-email?token=" in message["text"]
    one = client.get(f"/api/admin/mail/{message['id']}", headers=headers)
    assert one.status_code == 200 and one.json["data"]["subject"] == "Confirm your email address"
    assert client.get("/api/admin/mail/" + "0" * 24, headers=headers).json["message"] == "MAIL_NOT_FOUND"
    user_token = client.post("/api/auth/login", json={"email": "dev@example.com", "password": "correct-horse-1"})
    assert (
        client.get(
            "/api/admin/mail", headers={"Authorization": f"Bearer {user_token.json['data']['access_token']}"}
        ).status_code
        == 403
    )
    assert smtp.inbox.messages == []

    printed = dev.test_cli_runner().invoke(args=["goodplay", "mail", "--to", "dev@example.com"])
    assert "Subject: Confirm your email address" in printed.output and "/verify-email?token=" in printed.output
