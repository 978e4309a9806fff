"""The /impact socket's life (Flask-SocketIO's test client on the app): a socket ends when its token is
revoked or expires, whichever way the revocation came, and `authenticate` carries it past its token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests.support import ended_within

NS = "/impact"


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def connect(app, container):
    def open_socket(token):
        sock = container.infra.socketio.test_client(app, namespace=NS, auth={"token": token})
        assert sock.is_connected(NS)
        return sock

    return open_socket


def still_connected(sock, seconds: float = 0.6) -> bool:
    """Connected after a few of the server's checks (REALTIME_TOKEN_CHECK_SECONDS is 0.25 s)."""
    return ended_within(sock, seconds) is None


def moved(seconds: float, tick: bool = True):
    return time_machine.travel(datetime.now(UTC) + timedelta(seconds=seconds), tick=tick)


def test_logout_ends_the_socket_of_that_session_within_a_second(client, connect, make_user):
    ada, bob = make_user("Ada"), make_user("Bob")
    ada_socket, bob_socket = connect(ada.access_token), connect(bob.access_token)
    assert ada.post("/api/auth/logout").status_code == 200
    assert ended_within(ada_socket) == "TOKEN_REVOKED"
    assert still_connected(bob_socket)


def test_logout_with_the_refresh_token_alone_ends_the_socket(client, connect, user):
    sock = connect(user.access_token)
    assert client.post("/api/auth/logout", json={"refresh_token": user.refresh_token}).status_code == 200
    assert ended_within(sock) == "TOKEN_REVOKED"


def test_a_reused_refresh_token_ends_the_sockets_of_its_family(app, client, connect, user):
    rotated = client.post("/api/auth/refresh", headers=bearer(user.refresh_token)).json["data"]
    old, new = connect(user.access_token), connect(rotated["access_token"])
    with moved(app.config["REFRESH_REUSE_GRACE_SECONDS"] + 1, tick=False):
        reused = client.post("/api/auth/refresh", headers=bearer(user.refresh_token))
    assert reused.json["message"] == "TOKEN_REUSED"
    assert ended_within(old) == "TOKEN_REVOKED" and ended_within(new) == "TOKEN_REVOKED"


def test_a_refresh_within_the_grace_ends_no_socket(client, connect, user):
    sock = connect(user.access_token)
    for _ in range(2):
        assert client.post("/api/auth/refresh", headers=bearer(user.refresh_token)).status_code == 200
    assert still_connected(sock)


def test_a_password_change_ends_the_other_sessions_sockets_only(client, connect, user):
    other = client.post("/api/auth/login", json={"email": user.email, "password": user.password}).json["data"]
    mine, theirs = connect(user.access_token), connect(other["access_token"])
    changed = user.put("/api/auth/password", json={"current_password": user.password, "new_password": "brand-new-1"})
    assert changed.status_code == 200
    assert ended_within(theirs) == "TOKEN_REVOKED"
    assert still_connected(mine)


def test_a_session_revoked_by_the_token_service_ends_its_socket(app, container, connect, user):
    """Every way of ending sessions goes through TokenService; revoking them all is what suspending or
    deleting an account does."""
    sock = connect(user.access_token)
    with app.app_context():
        container.core.tokens.revoke_other_sessions(user.id, keep_family=None)
    assert ended_within(sock) == "TOKEN_REVOKED"


def test_an_expired_token_ends_its_socket(app, connect, user):
    sock = connect(user.access_token)
    with moved(app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds() + 1):
        assert ended_within(sock) == "TOKEN_EXPIRED"


def test_authenticate_with_a_fresh_token_keeps_the_socket_past_the_first_token(app, client, connect, user):
    lifetime = app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds()
    kept, dropped = connect(user.access_token), connect(user.access_token)
    with moved(lifetime / 2):
        fresh = client.post("/api/auth/refresh", headers=bearer(user.refresh_token)).json["data"]
        ack = kept.emit("authenticate", {"token": fresh["access_token"]}, namespace=NS, callback=True)
    assert ack["success"] is True and ack["message"] == "AUTHENTICATED"
    assert 0 < ack["data"]["expires_in"] <= fresh["expires_in"]
    with moved(lifetime + 5):
        assert ended_within(dropped) == "TOKEN_EXPIRED"
        assert still_connected(kept)


@pytest.mark.parametrize(
    "payload,message",
    [(None, "TOKEN_MISSING"), ({"token": ""}, "TOKEN_MISSING"), ({"token": "garbage"}, "TOKEN_INVALID")],
)
def test_authenticate_with_a_bad_token_keeps_the_current_one(connect, user, payload, message):
    sock = connect(user.access_token)
    ack = sock.emit("authenticate", payload, namespace=NS, callback=True)
    assert ack == {"success": False, "message": message}
    assert still_connected(sock)


def test_authenticate_refuses_a_refresh_a_revoked_or_another_users_token(client, connect, make_user):
    ada, bob = make_user("Ada"), make_user("Bob")
    sock = connect(ada.access_token)
    revoked = client.post("/api/auth/login", json={"email": ada.email, "password": ada.password}).json["data"]
    assert client.post("/api/auth/logout", headers=bearer(revoked["access_token"])).status_code == 200
    for token, message in (
        (ada.refresh_token, "TOKEN_INVALID"),
        (revoked["access_token"], "TOKEN_REVOKED"),
        (bob.access_token, "TOKEN_INVALID"),
    ):
        assert sock.emit("authenticate", {"token": token}, namespace=NS, callback=True) == {
            "success": False,
            "message": message,
        }
    assert still_connected(sock)


def test_a_socket_that_authenticated_ends_with_its_new_token(client, connect, user):
    sock = connect(user.access_token)
    other = client.post("/api/auth/login", json={"email": user.email, "password": user.password}).json["data"]
    assert sock.emit("authenticate", {"token": other["access_token"]}, namespace=NS, callback=True)["success"]
    assert client.post("/api/auth/logout", headers=bearer(other["access_token"])).status_code == 200
    assert ended_within(sock) == "TOKEN_REVOKED"


def test_the_sockets_are_checked_together_in_one_round(app, container, connect, make_user, monkeypatch):
    users = [make_user(f"P{i}") for i in range(5)]
    sockets = [connect(u.access_token) for u in users]
    namespace = container.infra.socketio.server.namespace_handlers[NS]
    asked = []
    original = container.core.tokens.revoked_among
    monkeypatch.setattr(namespace.tokens, "revoked_among", lambda claims: asked.append(len(claims)) or original(claims))
    assert users[0].post("/api/auth/logout").status_code == 200
    assert ended_within(sockets[0]) == "TOKEN_REVOKED"
    assert asked and max(asked) == 5
    assert all(still_connected(s, 0.3) for s in sockets[1:])


def test_when_tokens_cannot_be_checked_the_sockets_stay(app, container, connect, user, monkeypatch):
    sock = connect(user.access_token)
    namespace = container.infra.socketio.server.namespace_handlers[NS]

    def down(claims):
        raise ConnectionError("database and cache down")

    monkeypatch.setattr(namespace.tokens, "revoked_among", down)
    assert still_connected(sock)
    monkeypatch.undo()
    assert user.post("/api/auth/logout").status_code == 200
    assert ended_within(sock) == "TOKEN_REVOKED"
