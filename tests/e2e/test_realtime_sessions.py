"""The /impact socket's life against real server processes with a real python-socketio client: which
origins may connect, why a connection is refused, and sockets the server ends within a second of their
session's end, also when the socket lives in the other process (two processes, one database, one Redis).

Skipped only when `redis-server` is not installed (.ci/run installs it).
"""

from __future__ import annotations

import queue
import shutil
import time
import uuid

import jwt
import pytest
import socketio

from tests.e2e.conftest import Server, running

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed"),
]

NS = "/impact"
JWT_SECRET = "realtime-e2e-jwt-secret-realtime-e2e-jwt-secret"
LISTED_ORIGIN = "http://localhost:3000"
ADMIN = {"GOODPLAY_ADMIN_EMAIL": "root@example.com", "GOODPLAY_ADMIN_PASSWORD": "admin-pass-123"}


@pytest.fixture(scope="module")
def cluster(redis_url, shared_mongo, tmp_path_factory):
    """Process A and process B: same MONGO_URI, REDIS_URL (message queue and cache) and signing key; a
    reused refresh token revokes its family at once (no grace)."""
    tmp = tmp_path_factory.mktemp("realtime")
    env = {
        "APP_ENV": "development",
        "MONGO_URI": shared_mongo,
        "MONGO_DB_NAME": f"realtime_{uuid.uuid4().hex[:8]}",
        "REDIS_URL": redis_url,
        "JWT_SECRET_KEY": JWT_SECRET,
        "CORS_ORIGINS": LISTED_ORIGIN,
        "REFRESH_REUSE_GRACE_SECONDS": "0",
        "SEED_DEMO_DATA": "false",
        "RATELIMIT_ENABLED": "false",
        "DATA_DIR": str(tmp / "data"),
        "RUN_SCHEDULER": "false",
        "LOG_LEVEL": "WARNING",
        **ADMIN,
    }
    with running(env, tmp) as servers:
        yield servers


def register(server: Server) -> dict:
    response = server.api(
        "POST",
        "/api/auth/register",
        json={
            "email": f"rt-{uuid.uuid4().hex[:8]}@example.com",
            "password": "correct-horse-1",
            "first_name": "Real",
            "last_name": "Time",
        },
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]


class Socket:
    """A python-socketio client on /impact that records what happens to it, with when."""

    def __init__(self, **client_options):
        self.events: queue.Queue = queue.Queue()
        self.client = socketio.Client(reconnection=False, **client_options)
        for name in ("connect_error", "session_ended", "disconnect", "wallet_updated"):
            self.client.on(name, (lambda n: lambda *args: self.events.put((n, args, time.monotonic())))(name), NS)

    def connect(self, server: Server, token: str | None, **options) -> Socket:
        auth = {"token": token} if token is not None else None
        self.client.connect(server.url, namespaces=[NS], auth=auth, wait_timeout=10, **options)
        return self

    def next(self, name: str, timeout: float = 5.0) -> tuple:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                got, args, at = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if got == name:
                return args, at
        pytest.fail(f"no {name!r} within {timeout}s")

    def close(self) -> None:
        self.client.disconnect()


@pytest.fixture
def sockets():
    opened: list[Socket] = []

    def make(**client_options) -> Socket:
        opened.append(Socket(**client_options))
        return opened[-1]

    yield make
    for sock in opened:
        sock.close()


def refusal(sock: Socket, server: Server, token, **options) -> str:
    with pytest.raises(socketio.exceptions.ConnectionError):
        sock.connect(server, token, **options)
    (data,), _ = sock.next("connect_error")
    return data["message"]


def ended_by_the_server_within(sock: Socket, started: float, seconds: float = 1.0) -> str:
    """The reason `session_ended` gave; fails unless the server disconnected the socket within `seconds`
    of `started`."""
    (data,), _ = sock.next("session_ended", timeout=seconds + 4)
    _, at = sock.next("disconnect", timeout=seconds + 4)
    assert at - started <= seconds, f"disconnected {at - started:.2f}s after"
    assert not sock.client.connected
    return data["message"]


# -- origins ---------------------------------------------------------------------------------------------


def test_a_websocket_from_the_servers_own_origin_is_accepted(cluster, sockets):
    """websocket-client sends the server's URL as Origin, like a page the API's own host served."""
    a = cluster["a"]
    sock = sockets().connect(a, register(a)["access_token"], transports=["websocket"])
    assert sock.client.connected and sock.client.transport() == "websocket"


@pytest.mark.parametrize("origin", ["own", LISTED_ORIGIN])
def test_polling_from_the_own_or_a_listed_origin_is_accepted(cluster, sockets, origin):
    a = cluster["a"]
    origin = a.url if origin == "own" else origin
    sock = sockets().connect(a, register(a)["access_token"], transports=["polling"], headers={"Origin": origin})
    assert sock.client.connected


def test_a_foreign_origin_is_refused(cluster, sockets):
    a = cluster["a"]
    token = register(a)["access_token"]
    with pytest.raises(socketio.exceptions.ConnectionError):
        sockets().connect(a, token, transports=["polling"], headers={"Origin": "http://evil.example"})
    with pytest.raises(socketio.exceptions.ConnectionError):
        sockets(websocket_extra_options={"origin": "http://evil.example"}).connect(a, token, transports=["websocket"])
    # the same host on another port is another origin
    other_port = a.url.rsplit(":", 1)[0] + ":1"
    with pytest.raises(socketio.exceptions.ConnectionError):
        sockets().connect(a, token, transports=["polling"], headers={"Origin": other_port})


# -- refusals carry their reason -------------------------------------------------------------------------


def test_a_connection_without_a_token_is_refused_with_token_missing(cluster, sockets):
    a = cluster["a"]
    assert refusal(sockets(), a, None) == "TOKEN_MISSING"
    assert refusal(sockets(), a, "") == "TOKEN_MISSING"


def test_a_malformed_a_foreign_or_a_refresh_token_is_refused_with_token_invalid(cluster, sockets):
    a = cluster["a"]
    user = register(a)
    forged = jwt.encode(
        {"sub": user["user"]["id"], "type": "access", "jti": uuid.uuid4().hex, "exp": int(time.time()) + 600},
        "not-the-servers-key-not-the-servers-key",
        algorithm="HS256",
    )
    for token in ("garbage", forged, user["refresh_token"]):
        assert refusal(sockets(), a, token) == "TOKEN_INVALID"


def test_an_expired_token_is_refused_with_token_expired(cluster, sockets):
    a = cluster["a"]
    user = register(a)
    # the server processes keep the real clock (TEST_CLOCK moves this process only): read the claims as issued
    claims = jwt.decode(user["access_token"], JWT_SECRET, algorithms=["HS256"], options={"verify_exp": False})
    expired = jwt.encode({**claims, "exp": claims["iat"] - 5}, JWT_SECRET, algorithm="HS256")
    assert refusal(sockets(), a, expired) == "TOKEN_EXPIRED"


def test_a_revoked_token_is_refused_with_token_revoked_by_either_process(cluster, sockets):
    a, b = cluster["a"], cluster["b"]
    user = register(a)
    assert a.api("POST", "/api/auth/logout", user["access_token"]).status_code == 200
    assert refusal(sockets(), b, user["access_token"]) == "TOKEN_REVOKED"
    assert refusal(sockets(), a, user["access_token"]) == "TOKEN_REVOKED"


# -- sessions end, in the other process too --------------------------------------------------------------


def test_logout_on_one_process_disconnects_the_socket_on_the_other_within_a_second(cluster, sockets):
    a, b = cluster["a"], cluster["b"]
    ada, bob = register(a), register(a)
    ada_socket = sockets().connect(b, ada["access_token"])
    bob_socket = sockets().connect(b, bob["access_token"])
    ada_here = sockets().connect(a, ada["access_token"])

    started = time.monotonic()
    assert a.api("POST", "/api/auth/logout", json={"refresh_token": ada["refresh_token"]}).status_code == 200
    assert ended_by_the_server_within(ada_socket, started) == "TOKEN_REVOKED"
    assert ended_by_the_server_within(ada_here, started) == "TOKEN_REVOKED"
    time.sleep(0.6)  # a few of the server's checks
    assert bob_socket.client.connected


def test_a_reused_refresh_token_disconnects_the_familys_sockets_on_both_processes(cluster, sockets):
    a, b = cluster["a"], cluster["b"]
    user = register(a)
    rotated = a.api("POST", "/api/auth/refresh", user["refresh_token"])
    assert rotated.status_code == 200
    on_b = sockets().connect(b, rotated.json()["data"]["access_token"])
    on_a = sockets().connect(a, rotated.json()["data"]["access_token"])
    other_session = sockets().connect(
        b,
        a.api("POST", "/api/auth/login", json={"email": user["user"]["email"], "password": "correct-horse-1"}).json()[
            "data"
        ]["access_token"],
    )

    started = time.monotonic()
    reused = b.api("POST", "/api/auth/refresh", user["refresh_token"])
    assert reused.status_code == 401 and reused.json()["message"] == "TOKEN_REUSED"
    assert ended_by_the_server_within(on_b, started) == "TOKEN_REVOKED"
    assert ended_by_the_server_within(on_a, started) == "TOKEN_REVOKED"
    time.sleep(0.6)
    assert other_session.client.connected


def test_a_password_change_on_one_process_disconnects_the_other_sessions_socket_on_the_other(cluster, sockets):
    a, b = cluster["a"], cluster["b"]
    user = register(a)
    other = a.api("POST", "/api/auth/login", json={"email": user["user"]["email"], "password": "correct-horse-1"})
    theirs = sockets().connect(b, other.json()["data"]["access_token"])
    mine = sockets().connect(b, user["access_token"])

    changed = a.api(
        "PUT",
        "/api/auth/password",
        user["access_token"],
        json={"current_password": "correct-horse-1", "new_password": "brand-new-horse-2"},
    )
    started = time.monotonic()  # from the answer: hashing the new password takes its own time first
    assert changed.status_code == 200
    assert ended_by_the_server_within(theirs, started) == "TOKEN_REVOKED"
    assert mine.client.connected


def test_authenticate_swaps_the_sockets_token_in_band(cluster, sockets):
    a, b = cluster["a"], cluster["b"]
    user = register(a)
    sock = sockets().connect(b, user["access_token"])
    other = a.api("POST", "/api/auth/login", json={"email": user["user"]["email"], "password": "correct-horse-1"})
    other_session = other.json()["data"]
    ack = sock.client.call("authenticate", {"token": other_session["access_token"]}, namespace=NS, timeout=5)
    assert ack["success"] is True and ack["data"]["expires_in"] > 0
    # the socket now lives by the other session's token: the first session's end leaves it alone
    assert a.api("POST", "/api/auth/logout", user["refresh_token"]).status_code == 200
    time.sleep(0.6)
    assert sock.client.connected
    started = time.monotonic()
    assert a.api("POST", "/api/auth/logout", other_session["access_token"]).status_code == 200
    assert ended_by_the_server_within(sock, started) == "TOKEN_REVOKED"


# -- pushes from the other process -----------------------------------------------------------------------


def test_an_admin_adjustment_on_one_process_pushes_wallet_updated_to_the_socket_on_the_other(cluster, sockets):
    a, b = cluster["a"], cluster["b"]
    ada = register(a)
    ada_socket = sockets().connect(b, ada["access_token"])
    login = a.api(
        "POST",
        "/api/auth/login",
        json={"email": ADMIN["GOODPLAY_ADMIN_EMAIL"], "password": ADMIN["GOODPLAY_ADMIN_PASSWORD"]},
    )
    assert login.status_code == 200, login.text
    adjusted = a.api(
        "POST",
        f"/api/admin/wallets/{ada['user']['id']}/adjustments",
        login.json()["data"]["access_token"],
        json={"amount": 12.5, "direction": "credit", "reason": "goodwill credit"},
    )
    assert adjusted.status_code == 201, adjusted.text

    (data,), _ = ada_socket.next("wallet_updated", timeout=5)
    assert data["wallet"]["balance"] == 12.5
    assert a.api("GET", "/api/wallet", ada["access_token"]).json()["data"]["balance"] == 12.5
