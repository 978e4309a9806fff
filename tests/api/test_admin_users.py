"""Accounts as admins handle them: listing and looking up, suspending (every session ends, the login is
refused, other players stop finding the account) and reinstating, each idempotent and audited."""

from __future__ import annotations

import pytest

from app.core.repositories.audit import COLLECTION as AUDIT
from tests.support import ended_within

NS = "/impact"
UNKNOWN_ID = "5f0000000000000000000000"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def login(client, who):
    return client.post("/api/auth/login", json={"email": who.email, "password": who.password})


@pytest.fixture
def socket_of(app, container):
    def connect(token):
        sock = container.infra.socketio.test_client(app, namespace=NS, auth={"token": token})
        assert sock.is_connected(NS)
        return sock

    return connect


def test_suspending_ends_every_session_and_refuses_the_login_until_reinstated(
    app, client, admin, make_user, socket_of, db
):
    ada, bob = make_user("Ada", "Lovelace"), make_user("Bob")
    second = login(client, ada).json["data"]  # a second device
    sockets = [socket_of(ada.access_token), socket_of(second["access_token"])]
    bob_socket = socket_of(bob.access_token)

    suspended = admin.post(f"/api/admin/users/{ada.id.upper()}/suspend", json={"reason": "  chargebacks  "})
    assert (suspended.status_code, suspended.json["message"]) == (200, "USER_SUSPENDED")
    account = suspended.json["data"]
    assert (account["id"], account["status"], account["suspension_reason"]) == (ada.id, "suspended", "chargebacks")
    assert account["suspended_by"] == admin.id and account["suspended_at"].endswith("Z")

    assert [ended_within(s) for s in sockets] == ["TOKEN_REVOKED", "TOKEN_REVOKED"]
    assert bob_socket.is_connected(NS)
    for token in (ada.access_token, second["access_token"]):
        me = client.get("/api/user/profile", headers=bearer(token))
        assert (me.status_code, me.json["message"]) == (401, "TOKEN_REVOKED")
    for token in (ada.refresh_token, second["refresh_token"]):
        assert client.post("/api/auth/refresh", headers=bearer(token)).status_code == 401
    refused = login(client, ada)
    assert (refused.status_code, refused.json["message"]) == (403, "ACCOUNT_SUSPENDED")
    assert "access_token" not in (refused.json.get("data") or {})
    assert not socket_opens(app, ada.access_token)

    found = bob.get("/api/user/search", query_string={"q": "Lovelace"}).json["data"]
    assert ada.id not in [u["id"] for u in found]

    again = admin.post(f"/api/admin/users/{ada.id}/suspend", json={"reason": "another reason"})
    assert (again.status_code, again.json["message"]) == (200, "USER_ALREADY_SUSPENDED")
    assert again.json["data"]["suspension_reason"] == "chargebacks"
    assert admin.get(f"/api/admin/users/{ada.id}").json["data"]["status"] == "suspended"

    reinstated = admin.post(f"/api/admin/users/{ada.id}/reinstate")
    assert (reinstated.status_code, reinstated.json["message"]) == (200, "USER_REINSTATED")
    assert reinstated.json["data"]["status"] == "active" and reinstated.json["data"]["suspension_reason"] is None
    assert client.get("/api/user/profile", headers=bearer(ada.access_token)).status_code == 401  # stays revoked
    back = login(client, ada)
    assert back.status_code == 200, back.json
    assert client.get("/api/user/profile", headers=bearer(back.json["data"]["access_token"])).status_code == 200
    assert ada.id in [u["id"] for u in bob.get("/api/user/search", query_string={"q": "Lovelace"}).json["data"]]
    repeat = admin.post(f"/api/admin/users/{ada.id}/reinstate")
    assert (repeat.status_code, repeat.json["message"]) == (200, "USER_ALREADY_ACTIVE")

    actions = [e["action"] for e in db[AUDIT].find({"target.id": ada.id}).sort("at", 1)]
    assert actions.count("user.suspend") == 2 and actions.count("user.reinstate") == 2


def socket_opens(app, token: str) -> bool:
    """Whether a new /impact socket with `token` connects."""
    sock = app.extensions["goodplay"].infra.socketio.test_client(app, namespace=NS, auth={"token": token})
    return sock.is_connected(NS)


def test_an_admin_cannot_suspend_or_reinstate_themselves_and_players_cannot_at_all(admin, make_admin, user, client):
    for action in ("suspend", "reinstate"):
        own = admin.post(f"/api/admin/users/{admin.id}/{action}", json={"reason": "me"})
        assert (own.status_code, own.json["message"]) == (403, "OWN_CASE")
        plain = user.post(f"/api/admin/users/{admin.id}/{action}", json={"reason": "coup"})
        assert plain.status_code == 403
        assert client.post(f"/api/admin/users/{user.id}/{action}", json={"reason": "x"}).status_code == 401
    assert login(client, admin).status_code == 200
    other = make_admin()
    assert other.post(f"/api/admin/users/{admin.id}/suspend", json={"reason": "left the team"}).status_code == 200
    assert login(client, admin).status_code == 403


def test_bad_requests_change_nothing(admin, user, client):
    for body in ({}, {"reason": ""}, {"reason": "   "}, {"reason": 5}, {"reason": "x" * 501}, {"reason": "ok", "y": 1}):
        response = admin.post(f"/api/admin/users/{user.id}/suspend", json=body)
        assert response.status_code == 422 and response.json["message"] == "VALIDATION_ERROR", body
    for bad in (UNKNOWN_ID, "not-an-id"):
        response = admin.post(f"/api/admin/users/{bad}/suspend", json={"reason": "spam"})
        assert (response.status_code, response.json["message"]) == (404, "USER_NOT_FOUND")
        assert admin.get(f"/api/admin/users/{bad}").status_code == 404
        assert admin.post(f"/api/admin/users/{bad}/reinstate").status_code == 404
    assert admin.get(f"/api/admin/users/{user.id}").json["data"]["status"] == "active"
    assert user.get("/api/user/profile").status_code == 200


def test_the_admin_list_searches_filters_and_pages(admin, make_user):
    ada, _bob, cy = make_user("Ada", "Lovelace"), make_user("Bob", "Byrne"), make_user("Cy", "Lovelace")
    assert admin.post(f"/api/admin/users/{cy.id}/suspend", json={"reason": "spam"}).status_code == 200

    def listed(**query):
        response = admin.get("/api/admin/users", query_string=query)
        assert response.status_code == 200, response.json
        return response.json["data"]

    assert {u["id"] for u in listed(q="lovelace")["items"]} == {ada.id, cy.id}
    assert [u["id"] for u in listed(q="lovelace", status="suspended")["items"]] == [cy.id]
    assert [u["id"] for u in listed(q=ada.email.upper())["items"]] == [ada.id]
    assert [u["id"] for u in listed(role="admin")["items"]] == [admin.id]
    page = listed(per_page=2, page=2)
    assert (page["total"], page["total_pages"], len(page["items"])) == (4, 2, 2)
    everyone = listed(per_page=100)["items"]
    assert [u["id"] for u in everyone][:3] == [cy.id, _bob.id, ada.id]  # newest first
    assert all("password" not in str(key) for u in everyone for key in u)
    for bad in ({"status": "gone"}, {"role": "root"}, {"per_page": 0}, {"q": ""}, {"sort": "email"}):
        assert admin.get("/api/admin/users", query_string=bad).status_code == 422, bad
