"""Security headers on every answer; tokens, wallets and personal data never cached."""

from __future__ import annotations

PRODUCTION = {
    "APP_ENV": "production",
    "SECRET_KEY": "s" * 40,
    "JWT_SECRET_KEY": "j" * 40,
    "PAYMENTS_PROVIDER": "simulated",
    "MAIL_SUPPRESS_SEND": True,
}


def test_api_answers_carry_a_restrictive_policy(client):
    for response in (client.get("/api/health"), client.get("/api/nope"), client.post("/api/auth/login", json={})):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert "Strict-Transport-Security" not in response.headers  # not in development


def test_the_docs_page_may_load_its_own_assets_only(client):
    policy = client.get("/api/docs").headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "http" not in policy


def test_tokens_wallet_and_profile_are_never_cached_and_public_reads_may_be(client, user):
    login = client.post("/api/auth/login", json={"email": user.email, "password": user.password})
    assert login.status_code == 200 and login.headers["Cache-Control"] == "no-store"
    for path in ("/api/wallet", "/api/user/profile", "/api/preferences"):
        assert user.get(path).headers["Cache-Control"] == "no-store", path
    assert "no-store" not in client.get("/api/games").headers.get("Cache-Control", "")


def test_production_sends_hsts_over_https(app_factory):
    app = app_factory(**PRODUCTION)
    secure = app.test_client().get("/api/health", base_url="https://goodplay.example")
    assert "max-age=31536000" in secure.headers["Strict-Transport-Security"]
