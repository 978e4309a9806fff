"""Runtime configuration: the operator changes flags and limits through the API, each change is typed,
audited and obeyed at once; the frontend reads what it needs without signing in."""

from __future__ import annotations

import pytest


@pytest.fixture
def charity(demo_onlus):
    return demo_onlus[0]["id"]


def public(client) -> dict:
    response = client.get("/api/config/public")
    assert response.status_code == 200 and response.json["message"] == "CONFIG_RETRIEVED"
    return response.json["data"]


def test_the_public_config_needs_no_sign_in_and_starts_from_the_defaults(client):
    assert public(client) == {
        "flags": {"donations_enabled": True, "registration_open": True},
        "maintenance": {"enabled": False, "message": ""},
        "limits": {"min_donation": 0.5, "max_donation": 500.0, "max_daily_donation": 1000.0, "daily_earning_cap": 3.0},
    }


def test_an_admin_change_shows_at_once_and_is_audited(client, admin):
    changed = admin.patch("/api/admin/config", json={"maintenance_message": "Back at 10:00", "max_donation": 250})
    assert changed.status_code == 200 and changed.json["message"] == "SETTINGS_UPDATED"
    data = changed.json["data"]
    assert data["values"]["max_donation"] == 250.0 and data["defaults"]["max_donation"] == 500.0
    row = next(s for s in data["settings"] if s["key"] == "max_donation")
    assert row["updated_by"] == admin.id and row["updated_at"]
    assert public(client)["limits"]["max_donation"] == 250.0
    assert public(client)["maintenance"] == {"enabled": False, "message": "Back at 10:00"}

    [entry] = admin.get("/api/admin/audit", query_string={"action": "config.update"}).json["data"]["items"]
    assert entry["actor_id"] == admin.id
    assert entry["before"] == {"maintenance_message": "", "max_donation": 500.0}
    assert entry["after"] == {"maintenance_message": "Back at 10:00", "max_donation": 250.0}
    assert admin.get("/api/admin/config").json["data"]["values"]["max_donation"] == 250.0


@pytest.mark.parametrize(
    "body",
    [
        {"donations_enabled": "no"},
        {"registration_open": 0},
        {"max_donation": "1e2"},
        {"min_donation": 0.001},
        {"max_daily_donation": -5},
        {"maintenance_message": "x" * 281},
        {"feature_x": True},
    ],
)
def test_bad_values_are_refused_and_change_nothing(client, admin, body):
    before = public(client)
    response = admin.patch("/api/admin/config", json=body)
    assert response.status_code == 422 and response.json["message"] == "VALIDATION_ERROR"
    assert public(client) == before


def test_limits_that_contradict_each_other_are_refused_whole(client, admin):
    before = public(client)
    response = admin.patch("/api/admin/config", json={"registration_open": False, "min_donation": 600})
    assert response.status_code == 422 and response.json["message"] == "INVALID_LIMITS"
    assert "min_donation" in response.json["errors"]
    assert public(client) == before
    assert admin.get("/api/admin/audit", query_string={"action": "config.update"}).json["data"]["total"] == 0


def test_only_admins_read_or_change_the_settings(client, user):
    assert user.patch("/api/admin/config", json={"donations_enabled": False}).status_code == 403
    assert user.get("/api/admin/config").status_code == 403
    assert client.patch("/api/admin/config", json={"donations_enabled": False}).status_code == 401
    assert public(client)["flags"]["donations_enabled"] is True


def test_paused_donations_refuse_wallet_and_card_donations_and_debit_nothing(admin, user, fund, charity):
    fund(user, 20)
    assert admin.patch("/api/admin/config", json={"donations_enabled": False}).status_code == 200
    refused = user.post("/api/donations/process", json={"onlus_id": charity, "amount": 5})
    assert refused.status_code == 503 and refused.json["message"] == "DONATIONS_DISABLED"
    assert refused.headers["Retry-After"]
    card = user.post("/api/payments/intents", json={"onlus_id": charity, "amount": 5})
    assert card.status_code == 503 and card.json["message"] == "DONATIONS_DISABLED"
    assert user.get("/api/wallet").json["data"]["balance"] == 20.0
    assert user.get("/api/donations/history").json["data"]["total"] == 0

    assert admin.patch("/api/admin/config", json={"donations_enabled": True}).status_code == 200
    assert user.post("/api/donations/process", json={"onlus_id": charity, "amount": 5}).status_code == 201
    assert user.get("/api/wallet").json["data"]["balance"] == 15.0


def test_donation_limits_follow_the_settings(admin, user, fund, charity):
    fund(user, 50)
    assert admin.patch("/api/admin/config", json={"min_donation": 2, "max_donation": 10}).status_code == 200
    low = user.post("/api/donations/process", json={"onlus_id": charity, "amount": 1.5})
    assert low.status_code == 422 and low.json["message"] == "DONATION_BELOW_MINIMUM"
    assert "2.00" in low.json["errors"]["amount"][0]
    high = user.post("/api/donations/process", json={"onlus_id": charity, "amount": 10.5})
    assert high.status_code == 422 and high.json["message"] == "DONATION_ABOVE_MAXIMUM"
    assert user.post("/api/donations/process", json={"onlus_id": charity, "amount": 10}).status_code == 201
    assert user.get("/api/wallet").json["data"]["balance"] == 40.0


def test_closed_registration_creates_no_account(client, admin, container):
    assert admin.patch("/api/admin/config", json={"registration_open": False}).status_code == 200
    body = {"email": "late@example.com", "password": "correct-horse-1", "first_name": "Late", "last_name": "Comer"}
    refused = client.post("/api/auth/register", json=body)
    assert refused.status_code == 403 and refused.json["message"] == "REGISTRATION_CLOSED"
    assert container.infra.db["users"].count_documents({"email": "late@example.com"}) == 0
    assert admin.patch("/api/admin/config", json={"registration_open": True}).status_code == 200
    assert client.post("/api/auth/register", json=body).status_code == 201


def test_maintenance_refuses_changes_but_not_reads_sign_in_or_admins(client, admin, user, fund, charity):
    fund(user, 10)
    on = admin.patch("/api/admin/config", json={"maintenance_mode": True, "maintenance_message": "Upgrading"})
    assert on.status_code == 200
    assert public(client)["maintenance"] == {"enabled": True, "message": "Upgrading"}

    refused = user.post("/api/donations/process", json={"onlus_id": charity, "amount": 5})
    assert refused.status_code == 503 and refused.json["message"] == "MAINTENANCE"
    assert refused.json["data"] == {"message": "Upgrading"} and int(refused.headers["Retry-After"]) > 0
    assert user.put("/api/preferences", json={"privacy": {"show_donations": False}}).status_code == 503
    assert user.get("/api/wallet").json["data"]["balance"] == 10.0  # reads still work
    login = client.post("/api/auth/login", json={"email": user.email, "password": user.password})
    assert login.status_code == 200
    adjusted = admin.post(
        f"/api/admin/wallets/{user.id}/adjustments", json={"amount": 1, "direction": "credit", "reason": "goodwill"}
    )
    assert adjusted.status_code == 201

    assert admin.patch("/api/admin/config", json={"maintenance_mode": False}).status_code == 200
    assert user.post("/api/donations/process", json={"onlus_id": charity, "amount": 5}).status_code == 201


def test_the_settings_and_their_refusals_are_documented(client):
    spec = client.get("/api/openapi.json").json
    paths = spec["paths"]
    assert "security" not in paths["/api/config/public"]["get"]
    assert "MAINTENANCE" in paths["/api/donations/process"]["post"]["responses"]["503"]["description"]
    assert "MAINTENANCE" not in paths["/api/auth/login"]["post"]["responses"]["503"]["description"]
    assert "REGISTRATION_CLOSED" in paths["/api/auth/register"]["post"]["responses"]["403"]["description"]
    assert "INVALID_LIMITS" in paths["/api/admin/config"]["patch"]["responses"]["422"]["description"]
