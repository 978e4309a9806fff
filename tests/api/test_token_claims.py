"""Every token must carry `sub`, `exp`, `iat`, `jti` and `type`: one signed with our own key but missing any
of them (a token without `exp` would never expire) is refused on every door, HTTP, refresh and socket."""

from __future__ import annotations

import jwt
import pytest

from app.core.security import REQUIRED_CLAIMS

NS = "/impact"


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def resigned(app, token: str, *, without: str | None = None) -> str:
    """`token`'s own claims signed again with the app's key, without the claim `without`."""
    claims = jwt.decode(token, options={"verify_signature": False})
    claims.pop(without, None)
    return jwt.encode(claims, app.config["JWT_SECRET_KEY"], algorithm="HS256")


def test_a_token_with_every_claim_signed_with_our_key_is_accepted(app, client, user):
    """The control for the refusals below: re-signing alone changes nothing."""
    assert client.get("/api/user/profile", headers=bearer(resigned(app, user.access_token))).status_code == 200


@pytest.mark.parametrize("claim", REQUIRED_CLAIMS)
def test_an_access_token_missing_a_claim_is_401_token_invalid(app, client, user, claim):
    response = client.get("/api/user/profile", headers=bearer(resigned(app, user.access_token, without=claim)))
    assert response.status_code == 401 and response.json["message"] == "TOKEN_INVALID"
    assert response.json["success"] is False


@pytest.mark.parametrize("claim", ["exp", "iat", "jti", "type"])
def test_a_refresh_token_missing_a_claim_refreshes_nothing(app, client, user, claim):
    forged = resigned(app, user.refresh_token, without=claim)
    response = client.post("/api/auth/refresh", headers=bearer(forged))
    assert response.status_code == 401 and response.json["message"] == "TOKEN_INVALID"
    # the real refresh token of that login still works: nothing was rotated or revoked
    assert client.post("/api/auth/refresh", headers=bearer(user.refresh_token)).status_code == 200


@pytest.mark.parametrize("claim", ["exp", "iat", "jti"])
def test_a_socket_with_a_token_missing_a_claim_is_refused(app, container, user, claim):
    sio = container.infra.socketio
    forged = resigned(app, user.access_token, without=claim)
    assert not sio.test_client(app, namespace=NS, auth={"token": forged}).is_connected(NS)
    sock = sio.test_client(app, namespace=NS, auth={"token": resigned(app, user.access_token)})
    assert sock.is_connected(NS)
    ack = sock.emit("authenticate", {"token": forged}, namespace=NS, callback=True)
    assert ack == {"success": False, "message": "TOKEN_INVALID"}
