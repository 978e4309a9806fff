"""Token ergonomics: `expires_in`, a logout that always works with what the client holds, and the grace that
lets two tabs refresh with the same refresh token at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests.support import race

PASSWORD = "correct-horse-1"


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def login(client, email):
    response = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.json
    return response.json["data"]


def refresh(client, refresh_token):
    return client.post("/api/auth/refresh", headers=bearer(refresh_token))


def can_read(client, access_token) -> bool:
    return client.get("/api/user/profile", headers=bearer(access_token)).status_code == 200


def can_refresh(client, refresh_token) -> bool:
    return refresh(client, refresh_token).status_code == 200


def pair(data: dict) -> tuple[str, str]:
    return data["access_token"], data["refresh_token"]


def moved(seconds: float):
    """The clock `seconds` from now, stopped (time_machine: every thread, the JWT library included)."""
    return time_machine.travel(datetime.now(UTC) + timedelta(seconds=seconds), tick=False)


# -- expires_in ------------------------------------------------------------------------------------------


def test_register_login_and_refresh_say_how_long_the_access_token_lives(app, client, make_user):
    lifetime = int(app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds())
    ada = make_user("Ada")
    registered = client.post(
        "/api/auth/register",
        json={"email": "bob@example.com", "password": PASSWORD, "first_name": "Bob", "last_name": "B"},
    ).json["data"]
    logged_in = login(client, ada.email)
    refreshed = refresh(client, logged_in["refresh_token"]).json["data"]
    for data in (registered, logged_in, refreshed):
        assert data["expires_in"] == lifetime and isinstance(data["expires_in"], int)
    with moved(lifetime - 60):  # a minute before the end: the token still reads, and expires_in said so
        assert can_read(client, refreshed["access_token"])
    with moved(lifetime + 1):
        assert not can_read(client, refreshed["access_token"])


def test_a_shorter_configured_lifetime_is_what_expires_in_says(app_factory):
    client = app_factory(JWT_ACCESS_TOKEN_EXPIRES=timedelta(minutes=5)).test_client()
    data = client.post(
        "/api/auth/register",
        json={"email": "ada@example.com", "password": PASSWORD, "first_name": "Ada", "last_name": "L"},
    ).json["data"]
    assert data["expires_in"] == 300


def test_the_openapi_document_types_expires_in_as_an_integer(client):
    schemas = client.get("/api/openapi.json").json["components"]["schemas"]
    for name in ("UserWithTokensOut", "TokensOut"):
        assert schemas[name]["properties"]["expires_in"]["type"] == "integer"
        assert "expires_in" in schemas[name]["required"]


# -- logout ----------------------------------------------------------------------------------------------


def test_logout_with_the_refresh_token_as_bearer_ends_the_session(client, user):
    response = client.post("/api/auth/logout", headers=bearer(user.refresh_token))
    assert response.status_code == 200 and response.json["message"] == "LOGOUT_SUCCESSFUL"
    assert not can_read(client, user.access_token)
    assert not can_refresh(client, user.refresh_token)


def test_logout_with_the_refresh_token_in_the_body_alone_ends_the_session(client, user):
    response = client.post("/api/auth/logout", json={"refresh_token": user.refresh_token})
    assert response.status_code == 200
    assert not can_read(client, user.access_token)
    assert not can_refresh(client, user.refresh_token)


def test_logout_with_an_expired_access_token_ends_its_session(app, client, user):
    lifetime = app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds()
    with moved(lifetime + 60):
        assert client.get("/api/user/profile", headers=bearer(user.access_token)).json["message"] == "TOKEN_EXPIRED"
        assert client.post("/api/auth/logout", headers=bearer(user.access_token)).status_code == 200
        refused = refresh(client, user.refresh_token)  # the refresh token of that login is over too
    assert refused.status_code == 401 and refused.json["message"] == "TOKEN_REVOKED"


def test_logout_ends_only_that_session(client, user):
    other = login(client, user.email)
    assert client.post("/api/auth/logout", headers=bearer(user.refresh_token)).status_code == 200
    assert can_read(client, other["access_token"]) and can_refresh(client, other["refresh_token"])


@pytest.mark.parametrize(
    "headers,body,message",
    [
        ({}, None, "TOKEN_MISSING"),
        ({}, {}, "TOKEN_MISSING"),
        ({"Authorization": "Basic abc"}, None, "TOKEN_MISSING"),
        (bearer("not.a.jwt"), None, "TOKEN_INVALID"),
        ({}, {"refresh_token": "garbage"}, "TOKEN_INVALID"),
    ],
)
def test_logout_without_a_token_of_ours_is_401_and_revokes_nothing(client, db, user, headers, body, message):
    response = client.post("/api/auth/logout", headers=headers, json=body)
    assert response.status_code == 401 and response.json["message"] == message
    assert db.revoked_tokens.count_documents({}) == 0
    assert can_read(client, user.access_token)


def test_logout_with_a_token_signed_by_another_key_is_401_token_invalid(app_factory, client, db, user):
    other = app_factory(JWT_SECRET_KEY="another-secret-entirely-another-secret").test_client()
    foreign = other.post(
        "/api/auth/register",
        json={"email": "mallory@example.com", "password": PASSWORD, "first_name": "M", "last_name": "M"},
    ).json["data"]
    db.revoked_tokens.delete_many({})
    for attempt in (
        client.post("/api/auth/logout", headers=bearer(foreign["refresh_token"])),
        client.post("/api/auth/logout", json={"refresh_token": foreign["refresh_token"]}),
    ):
        assert attempt.status_code == 401 and attempt.json["message"] == "TOKEN_INVALID"
    assert db.revoked_tokens.count_documents({}) == 0


def test_logout_with_an_access_token_in_the_body_is_refused(client, db, user):
    response = client.post("/api/auth/logout", json={"refresh_token": user.access_token})
    assert response.status_code == 401 and response.json["message"] == "TOKEN_INVALID"
    assert db.revoked_tokens.count_documents({}) == 0


def test_logout_mixing_two_users_tokens_is_refused_and_revokes_nothing(client, db, make_user):
    ada, bob = make_user("Ada"), make_user("Bob")
    for headers, body in (
        (bearer(ada.access_token), {"refresh_token": bob.refresh_token}),
        (bearer(ada.refresh_token), {"refresh_token": bob.refresh_token}),
    ):
        response = client.post("/api/auth/logout", headers=headers, json=body)
        assert response.status_code == 401 and response.json["message"] == "TOKEN_INVALID"
    assert db.revoked_tokens.count_documents({}) == 0
    assert can_read(client, ada.access_token) and can_read(client, bob.access_token)
    assert can_refresh(client, bob.refresh_token) and can_refresh(client, ada.refresh_token)


def test_logout_with_access_and_refresh_of_two_sessions_of_one_user_ends_both(client, user):
    other = login(client, user.email)
    response = client.post(
        "/api/auth/logout", headers=bearer(user.access_token), json={"refresh_token": other["refresh_token"]}
    )
    assert response.status_code == 200
    assert not can_read(client, user.access_token) and not can_read(client, other["access_token"])


def test_logging_out_twice_is_401_token_revoked(client, user):
    assert client.post("/api/auth/logout", headers=bearer(user.refresh_token)).status_code == 200
    for token in (user.refresh_token, user.access_token):
        again = client.post("/api/auth/logout", headers=bearer(token))
        assert again.status_code == 401 and again.json["message"] == "TOKEN_REVOKED"


def test_logout_documents_its_bearer_security_and_401(client):
    operation = client.get("/api/openapi.json").json["paths"]["/api/auth/logout"]["post"]
    assert operation["security"] == [{"bearerAuth": []}]
    assert "401" in operation["responses"]


# -- the refresh grace -----------------------------------------------------------------------------------


def test_two_tabs_refreshing_at_once_both_get_the_same_new_pair(app, user):
    clients = [app.test_client() for _ in range(4)]
    answers = race(lambda i: refresh(clients[i], user.refresh_token), 4)
    assert [a.status_code for a in answers] == [200] * 4, [a.json for a in answers]
    pairs = {pair(a.json["data"]) for a in answers}
    assert len(pairs) == 1
    access, refresh_token = pairs.pop()
    client = clients[0]
    assert can_read(client, access)  # nobody was logged out
    assert can_refresh(client, refresh_token)


def test_the_same_refresh_token_within_the_grace_gets_the_same_pair_again(app, client, user):
    first = refresh(client, user.refresh_token).json["data"]
    with moved(app.config["REFRESH_REUSE_GRACE_SECONDS"] - 1):
        again = refresh(client, user.refresh_token)
        assert again.status_code == 200
        assert pair(again.json["data"]) == pair(first)
        grace = app.config["REFRESH_REUSE_GRACE_SECONDS"]
        assert first["expires_in"] - grace <= again.json["data"]["expires_in"] <= first["expires_in"] - grace + 1
        assert can_read(client, first["access_token"])
    assert can_refresh(client, first["refresh_token"])


def test_reuse_after_the_grace_revokes_the_family(app, client, user):
    first = refresh(client, user.refresh_token).json["data"]
    with moved(app.config["REFRESH_REUSE_GRACE_SECONDS"] + 1):
        reused = refresh(client, user.refresh_token)
        assert reused.status_code == 401 and reused.json["message"] == "TOKEN_REUSED"
        assert not can_read(client, first["access_token"])
    assert not can_refresh(client, first["refresh_token"])


def test_a_grace_of_zero_revokes_the_family_at_the_first_reuse(app_factory):
    client = app_factory(REFRESH_REUSE_GRACE_SECONDS=0).test_client()
    tokens = client.post(
        "/api/auth/register",
        json={"email": "ada@example.com", "password": PASSWORD, "first_name": "Ada", "last_name": "L"},
    ).json["data"]
    first = refresh(client, tokens["refresh_token"]).json["data"]
    reused = refresh(client, tokens["refresh_token"])
    assert reused.status_code == 401 and reused.json["message"] == "TOKEN_REUSED"
    assert not can_read(client, first["access_token"])


def test_a_replayed_refresh_within_the_grace_does_not_outlive_a_logout(client, user):
    first = refresh(client, user.refresh_token).json["data"]
    assert client.post("/api/auth/logout", headers=bearer(first["access_token"])).status_code == 200
    replay = refresh(client, user.refresh_token)
    assert replay.status_code == 401 and replay.json["message"] == "TOKEN_REVOKED"


def test_the_grace_replays_a_rotation_never_a_logout(client, user):
    """A refresh token a logout used (in the body) is over: presenting it again is not a tab's race."""
    other = login(client, user.email)
    assert (
        client.post(
            "/api/auth/logout", headers=bearer(other["access_token"]), json={"refresh_token": other["refresh_token"]}
        ).status_code
        == 200
    )
    assert refresh(client, other["refresh_token"]).status_code == 401
    assert can_refresh(client, user.refresh_token)


def test_no_token_is_stored_or_logged(app, client, db, user, capfd):
    first = refresh(client, user.refresh_token).json["data"]
    again = refresh(client, user.refresh_token).json["data"]
    assert pair(again) == pair(first)
    stored = repr(list(db.refresh_tokens.find({}))) + repr(list(db.revoked_tokens.find({})))
    output = "".join(capfd.readouterr())
    for token in (user.access_token, user.refresh_token, *pair(first)):
        assert token not in stored
        assert token not in output


# -- the batched check the sockets use -------------------------------------------------------------------


def test_revoked_among_names_exactly_the_revoked_tokens_from_the_cache_or_the_database(
    app, app_factory, client, container, make_user
):
    from flask_jwt_extended import decode_token

    users = [make_user(f"P{i}") for i in range(4)]
    with app.app_context():
        claims = [decode_token(u.access_token) for u in users]
    assert client.post("/api/auth/logout", headers=bearer(users[0].access_token)).status_code == 200
    assert client.post("/api/auth/logout", headers=bearer(users[2].refresh_token)).status_code == 200
    expected = {claims[0]["jti"], claims[2]["jti"]}
    tokens = container.core.tokens
    with app.app_context():
        assert tokens.revoked_among(claims) == expected  # tombstones in this app's cache
        container.infra.cache.clear()
        assert tokens.revoked_among(claims) == expected  # the database
        assert tokens.revoked_among(claims) == expected  # "not revoked" cached, tombstones not needed
        assert tokens.revoked_among([]) == set()
    other = app_factory()  # another process: its own cache, the same database
    with other.app_context():
        assert other.extensions["goodplay"].core.tokens.revoked_among(claims) == expected
