"""Sign-up -> confirm the address -> forget the password -> reset it, against the README's server process
(`python app.py`, its scheduler sending the outbox) and a real SMTP server: every link arrives by mail."""

from __future__ import annotations

import time

import pytest

from tests.smtp import SmtpServer, body, link_token

pytestmark = pytest.mark.e2e

EMAIL = "grace@example.com"


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


def arrived(smtp, subject: str, timeout: float = 20.0):
    """The message to EMAIL with `subject`, once the server's mail_send job has delivered it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in smtp.inbox.to(EMAIL) if m["Subject"] == subject]
        if found:
            return found[-1]
        time.sleep(0.2)
    raise AssertionError(f"no {subject!r} within {timeout} s; got {[m['Subject'] for m in smtp.inbox.messages]}")


def test_sign_up_confirm_and_reset_by_mail_on_the_real_server(server_factory, smtp, capsys):
    server = server_factory(
        RUN_SCHEDULER="true",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp.port,
        MAIL_SEND_SECONDS=1,
        FRONTEND_URL="https://play.example",
    ).start()
    registered = server.api(
        "POST",
        "/api/auth/register",
        json={"email": EMAIL, "password": "correct-horse-1", "first_name": "Grace", "last_name": "Hopper"},
    )
    assert registered.status_code == 201, registered.text
    session = registered.json()["data"]
    assert session["user"]["email_verified"] is False

    welcome = arrived(smtp, "Confirm your email address")
    assert "https://play.example/verify-email?token=" in body(welcome)
    assert "https://play.example/verify-email?token=" in body(welcome, "html")
    confirmed = server.api("POST", "/api/auth/verify-email", json={"token": link_token(welcome)})
    assert confirmed.status_code == 200, confirmed.text
    profile = server.api("GET", "/api/user/profile", session["access_token"]).json()["data"]["user"]
    assert profile["email_verified"] is True
    assert server.api("POST", "/api/auth/verify-email", json={"token": link_token(welcome)}).status_code == 400

    forgot = server.api("POST", "/api/auth/password/forgot", json={"email": EMAIL.upper()})
    assert forgot.status_code == 200
    reset_mail = arrived(smtp, "Reset your GoodPlay password")
    assert "https://play.example/reset-password?token=" in body(reset_mail)
    reset = server.api(
        "POST", "/api/auth/password/reset", json={"token": link_token(reset_mail), "password": "brand-new-horse-2"}
    )
    assert reset.status_code == 200, reset.text
    assert server.api("GET", "/api/user/profile", session["access_token"]).status_code == 401  # every session ended
    old = server.api("POST", "/api/auth/login", json={"email": EMAIL, "password": "correct-horse-1"})
    new = server.api("POST", "/api/auth/login", json={"email": EMAIL, "password": "brand-new-horse-2"})
    assert (old.status_code, new.status_code) == (401, 200)
    assert arrived(smtp, "Your GoodPlay password was changed")["To"] == EMAIL

    with capsys.disabled():  # what the inbox received, for anyone running this with -s
        for message in smtp.inbox.to(EMAIL):
            print(f"\n--- {message['Subject']} (from {message['From']} to {message['To']})\n{body(message)}")
