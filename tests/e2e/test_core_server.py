"""The README's server over real HTTP, on its embedded database."""

import os
import subprocess
import sys

import pytest

from tests.e2e.conftest import ROOT

pytestmark = pytest.mark.e2e


def test_account_lifecycle_over_http_survives_a_restart(server_factory):
    server = server_factory(GOODPLAY_ADMIN_EMAIL="root@example.com", GOODPLAY_ADMIN_PASSWORD="admin-pass-123").start()
    health = server.api("GET", "/api/health")
    assert health.json() == {"success": True, "message": "HEALTHY", "data": {"status": "healthy"}}
    assert health.headers["Server"] == "GoodPlay"  # no WSGI server name or Python version

    registered = server.api(
        "POST",
        "/api/auth/register",
        json={"email": "ada@example.com", "password": "correct-horse-1", "first_name": "Ada", "last_name": "L"},
    )
    assert registered.status_code == 201
    login = server.api("POST", "/api/auth/login", json={"email": "ada@example.com", "password": "correct-horse-1"})
    assert login.status_code == 200
    tokens = login.json()["data"]
    assert (
        server.api("GET", "/api/user/profile", tokens["access_token"]).json()["data"]["user"]["email"]
        == "ada@example.com"
    )

    refreshed = server.api("POST", "/api/auth/refresh", tokens["refresh_token"])
    assert refreshed.status_code == 200
    new = refreshed.json()["data"]
    assert server.api("GET", "/api/user/profile", new["access_token"]).status_code == 200
    # the old one again, within REFRESH_REUSE_GRACE_SECONDS (two tabs refreshing at once): the same pair
    again = server.api("POST", "/api/auth/refresh", tokens["refresh_token"])
    assert again.status_code == 200
    assert {k: again.json()["data"][k] for k in ("access_token", "refresh_token")} == {
        k: new[k] for k in ("access_token", "refresh_token")
    }

    second = server.api("POST", "/api/auth/login", json={"email": "ada@example.com", "password": "correct-horse-1"})
    access = second.json()["data"]["access_token"]
    assert server.api("POST", "/api/auth/logout", access).status_code == 200
    assert server.api("GET", "/api/user/profile", access).status_code == 401

    admin = server.api("POST", "/api/auth/login", json={"email": "root@example.com", "password": "admin-pass-123"})
    assert admin.json()["data"]["user"]["role"] == "admin"

    server.stop()
    restarted = server_factory(DATA_DIR=server.env["DATA_DIR"]).start()
    again = restarted.api("POST", "/api/auth/login", json={"email": "ada@example.com", "password": "correct-horse-1"})
    assert again.status_code == 200
    assert again.json()["data"]["user"]["first_name"] == "Ada"


def test_production_without_secrets_exits_with_a_clear_message(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "JWT_SECRET_KEY")}
    env.update(APP_ENV="production", DATA_DIR=str(tmp_path))
    result = subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr
