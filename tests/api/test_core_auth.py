from datetime import UTC, datetime, timedelta

import pytest
import time_machine


def register(client, email="ada@example.com", password="correct-horse-1", **extra):
    body = {"email": email, "password": password, "first_name": "Ada", "last_name": "Lovelace", **extra}
    return client.post("/api/auth/register", json=body)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_register_returns_user_and_tokens(client):
    response = register(client, email="  Ada@Example.COM ")
    assert response.status_code == 201
    body = response.json
    assert body["success"] is True and body["message"] == "USER_REGISTERED"
    user = body["data"]["user"]
    assert user["email"] == "ada@example.com"
    assert set(user) >= {"id", "email", "first_name", "last_name", "role"}
    assert user["role"] == "user"
    assert "password_hash" not in user
    assert body["data"]["access_token"] and body["data"]["refresh_token"]


def test_duplicate_email_regardless_of_case_is_409_and_creates_nothing(client, db):
    assert register(client).status_code == 201
    response = register(client, email="ADA@example.com")
    assert response.status_code == 409
    assert response.json["message"] == "EMAIL_ALREADY_EXISTS"
    assert db.users.count_documents({}) == 1


@pytest.mark.parametrize(
    "body,field",
    [
        ({"email": "a@b.co", "password": "short", "first_name": "A", "last_name": "B"}, "password"),
        ({"email": "not-an-email", "password": "long-enough", "first_name": "A", "last_name": "B"}, "email"),
        ({"password": "long-enough", "first_name": "A", "last_name": "B"}, "email"),
        ({"email": "a@b.co", "password": "long-enough", "last_name": "B"}, "first_name"),
        ({"email": "a@b.co", "password": "long-enough", "first_name": "A", "last_name": "B", "role": "admin"}, "role"),
    ],
)
def test_invalid_registration_is_422_with_the_field_at_fault(client, db, body, field):
    response = client.post("/api/auth/register", json=body)
    assert response.status_code == 422
    assert response.json["success"] is False
    assert response.json["message"] == "VALIDATION_ERROR"
    assert field in response.json["errors"]
    assert db.users.count_documents({}) == 0


def test_malformed_json_is_400_invalid_json(client, db):
    response = client.post("/api/auth/register", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json == {"success": False, "message": "INVALID_JSON"}
    assert db.users.count_documents({}) == 0


def test_login_and_profile(client):
    register(client)
    response = client.post("/api/auth/login", json={"email": "ADA@example.com", "password": "correct-horse-1"})
    assert response.status_code == 200
    assert response.json["message"] == "LOGIN_SUCCESSFUL"
    token = response.json["data"]["access_token"]
    profile = client.get("/api/user/profile", headers=bearer(token))
    assert profile.status_code == 200
    assert profile.json["data"]["user"]["email"] == "ada@example.com"


@pytest.mark.parametrize(
    "email,password", [("ada@example.com", "wrong-password"), ("nobody@example.com", "correct-horse-1")]
)
def test_bad_credentials_are_401_without_saying_which(client, email, password):
    register(client)
    response = client.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 401
    assert response.json["message"] == "INVALID_CREDENTIALS"


def test_login_publishes_user_login_event_once_a_day(client, db):
    register(client)
    login = {"email": "ada@example.com", "password": "correct-horse-1"}
    for _ in range(3):
        assert client.post("/api/auth/login", json=login).status_code == 200
    assert db.hook_events.count_documents({"name": "user_login"}) == 1
    # the next day's first login publishes again
    user = db.users.find_one({"email": "ada@example.com"})
    db.users.update_one({"_id": user["_id"]}, {"$set": {"last_login_at": user["last_login_at"] - timedelta(days=1)}})
    assert client.post("/api/auth/login", json=login).status_code == 200
    assert db.hook_events.count_documents({"name": "user_login"}) == 2
    assert db.users.find_one({"_id": user["_id"]})["last_login_at"] > user["last_login_at"]


def after_the_grace(app):
    """The clock moved past REFRESH_REUSE_GRACE_SECONDS (the access tokens still live)."""
    later = datetime.now(UTC) + timedelta(seconds=app.config["REFRESH_REUSE_GRACE_SECONDS"] + 5)
    return time_machine.travel(later, tick=False)


def test_refresh_rotates_and_old_refresh_token_stops_working_after_the_grace(app, client):
    tokens = register(client).json["data"]
    response = client.post("/api/auth/refresh", headers=bearer(tokens["refresh_token"]))
    assert response.status_code == 200
    assert response.json["message"] == "TOKEN_REFRESHED"
    new = response.json["data"]
    assert new["access_token"] != tokens["access_token"] and new["refresh_token"] != tokens["refresh_token"]
    assert client.get("/api/user/profile", headers=bearer(new["access_token"])).status_code == 200
    with after_the_grace(app):
        again = client.post("/api/auth/refresh", headers=bearer(tokens["refresh_token"]))
    assert again.status_code == 401


def test_reused_refresh_token_revokes_the_whole_family(app, client):
    tokens = register(client).json["data"]
    rotated = client.post("/api/auth/refresh", headers=bearer(tokens["refresh_token"])).json["data"]
    with after_the_grace(app):
        reused = client.post("/api/auth/refresh", headers=bearer(tokens["refresh_token"]))
    assert reused.status_code == 401 and reused.json["message"] == "TOKEN_REUSED"
    # the thief's reuse also kills the legitimate rotated tokens of that login
    assert client.post("/api/auth/refresh", headers=bearer(rotated["refresh_token"])).status_code == 401
    assert client.get("/api/user/profile", headers=bearer(rotated["access_token"])).status_code == 401


def test_access_token_cannot_refresh_and_refresh_token_cannot_read(client):
    tokens = register(client).json["data"]
    assert client.post("/api/auth/refresh", headers=bearer(tokens["access_token"])).status_code == 401
    assert client.get("/api/user/profile", headers=bearer(tokens["refresh_token"])).status_code == 401


def test_logout_revokes_access_and_refresh_tokens(client):
    tokens = register(client).json["data"]
    response = client.post(
        "/api/auth/logout", headers=bearer(tokens["access_token"]), json={"refresh_token": tokens["refresh_token"]}
    )
    assert response.status_code == 200
    assert response.json["message"] == "LOGOUT_SUCCESSFUL"
    profile = client.get("/api/user/profile", headers=bearer(tokens["access_token"]))
    assert profile.status_code == 401 and profile.json["message"] == "TOKEN_REVOKED"
    assert client.post("/api/auth/refresh", headers=bearer(tokens["refresh_token"])).status_code == 401


def test_logout_without_body_also_ends_that_login(client):
    tokens = register(client).json["data"]
    assert client.post("/api/auth/logout", headers=bearer(tokens["access_token"])).status_code == 200
    assert client.post("/api/auth/refresh", headers=bearer(tokens["refresh_token"])).status_code == 401


def test_logout_with_someone_elses_refresh_token_is_refused(client):
    mine = register(client).json["data"]
    theirs = register(client, email="bob@example.com").json["data"]
    response = client.post(
        "/api/auth/logout", headers=bearer(mine["access_token"]), json={"refresh_token": theirs["refresh_token"]}
    )
    assert response.status_code == 401
    assert client.post("/api/auth/refresh", headers=bearer(theirs["refresh_token"])).status_code == 200


def test_a_cached_check_never_hides_a_revocation_that_raced_it(app, client, db):
    tokens = register(client).json["data"]
    assert client.get("/api/user/profile", headers=bearer(tokens["access_token"])).status_code == 200
    assert db.revoked_tokens.count_documents({}) == 0
    service = app.extensions["goodplay"].core.auth.tokens
    with app.app_context():
        from flask_jwt_extended import decode_token

        claims = decode_token(tokens["access_token"])
    app.extensions["goodplay"].infra.cache.clear()
    original = service.tokens.is_revoked

    def racing(jti, family):  # the check reads the database, then a logout lands before it caches
        answer = original(jti, family)
        service.revoke(claims, family=True)
        return answer

    service.tokens.is_revoked = racing
    assert service.is_revoked(claims) is False  # what that check saw
    service.tokens.is_revoked = original
    profile = client.get("/api/user/profile", headers=bearer(tokens["access_token"]))
    assert profile.status_code == 401 and profile.json["message"] == "TOKEN_REVOKED"


def test_a_cache_outage_falls_back_to_the_database(app, client, monkeypatch):
    tokens = register(client).json["data"]
    cache = app.extensions["goodplay"].infra.cache

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    for name in ("get_many", "add", "set"):
        monkeypatch.setattr(cache, name, down)
    assert client.get("/api/user/profile", headers=bearer(tokens["access_token"])).status_code == 200
    assert client.post("/api/auth/logout", headers=bearer(tokens["access_token"])).status_code == 200
    assert client.get("/api/user/profile", headers=bearer(tokens["access_token"])).status_code == 401


def test_revocation_checks_are_cached_between_requests(app, client, monkeypatch):
    tokens = register(client).json["data"]
    repo = app.extensions["goodplay"].core.auth.tokens.tokens
    asked = []
    original = repo.is_revoked
    monkeypatch.setattr(repo, "is_revoked", lambda jti, family: asked.append(jti) or original(jti, family))
    for _ in range(3):
        assert client.get("/api/user/profile", headers=bearer(tokens["access_token"])).status_code == 200
    assert len(asked) == 1  # the database once, then the cache


def test_revoked_tokens_are_kept_in_mongo_with_a_ttl_index(client, db):
    tokens = register(client).json["data"]
    client.post("/api/auth/logout", headers=bearer(tokens["access_token"]))
    ttl = [i for i in db.revoked_tokens.list_indexes() if "expireAfterSeconds" in i]
    assert ttl and ttl[0]["key"] == {"expires_at": 1}
    assert db.revoked_tokens.count_documents({}) >= 1


@pytest.mark.parametrize(
    "header,key",
    [
        (None, "TOKEN_MISSING"),
        ("Bearer not.a.jwt", "TOKEN_INVALID"),
        ("Bearer ", "TOKEN_INVALID"),
        ("Basic abc", "TOKEN_MISSING"),
    ],
)
def test_missing_or_malformed_tokens_are_401(client, header, key):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/user/profile", headers=headers)
    assert response.status_code == 401
    assert response.json["success"] is False
    assert response.json["message"] in (key, "TOKEN_MISSING", "TOKEN_INVALID")


def test_expired_access_token_is_401_token_expired(client):
    tokens = register(client).json["data"]
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=2), tick=False):
        response = client.get("/api/user/profile", headers=bearer(tokens["access_token"]))
    assert response.status_code == 401
    assert response.json["message"] == "TOKEN_EXPIRED"


def test_token_signed_with_another_key_is_rejected(app_factory, client):
    other = app_factory(JWT_SECRET_KEY="another-secret-entirely-another-secret")
    foreign = register(other.test_client(), email="x@example.com").json["data"]["access_token"]
    assert client.get("/api/user/profile", headers=bearer(foreign)).status_code == 401


def test_profile_update_changes_only_allowed_fields(client, db):
    token = register(client).json["data"]["access_token"]
    response = client.put("/api/user/profile", headers=bearer(token), json={"first_name": " Augusta "})
    assert response.status_code == 200
    assert response.json["data"]["user"]["first_name"] == "Augusta"
    for forbidden in ({"role": "admin"}, {"email": "x@y.z"}, {"password_hash": "x"}):
        bad = client.put("/api/user/profile", headers=bearer(token), json=forbidden)
        assert bad.status_code == 422
    assert db.users.find_one({})["role"] == "user"


def test_change_password_requires_current_and_ends_other_sessions(client):
    first = register(client).json["data"]
    second = client.post("/api/auth/login", json={"email": "ada@example.com", "password": "correct-horse-1"}).json[
        "data"
    ]
    wrong = client.put(
        "/api/auth/password",
        headers=bearer(first["access_token"]),
        json={"current_password": "nope-nope-nope", "new_password": "brand-new-pass"},
    )
    assert wrong.status_code == 401
    ok = client.put(
        "/api/auth/password",
        headers=bearer(first["access_token"]),
        json={"current_password": "correct-horse-1", "new_password": "brand-new-pass"},
    )
    assert ok.status_code == 200 and ok.json["message"] == "PASSWORD_CHANGED"
    assert client.post("/api/auth/refresh", headers=bearer(second["refresh_token"])).status_code == 401
    assert client.get("/api/user/profile", headers=bearer(first["access_token"])).status_code == 200
    assert (
        client.post("/api/auth/login", json={"email": "ada@example.com", "password": "correct-horse-1"}).status_code
        == 401
    )
    assert (
        client.post("/api/auth/login", json={"email": "ada@example.com", "password": "brand-new-pass"}).status_code
        == 200
    )


def test_user_search_finds_by_name_without_emails(client, make_user):
    me = make_user(first_name="Searcher")
    make_user(first_name="Grace", last_name="Hopper")
    response = me.get("/api/user/search?q=grac")
    assert response.status_code == 200
    assert [u["first_name"] for u in response.json["data"]] == ["Grace"]
    assert "email" not in response.json["data"][0]
    assert me.get("/api/user/search?q=a").status_code == 422


def test_rate_limit_on_login_answers_429_in_the_envelope(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, AUTH_RATE_LIMIT="3 per minute")
    client = app.test_client()
    statuses = [
        client.post("/api/auth/login", json={"email": "a@b.co", "password": "whatever1"}).status_code for _ in range(4)
    ]
    assert statuses == [401, 401, 401, 429]
    limited = client.post("/api/auth/login", json={"email": "a@b.co", "password": "whatever1"})
    assert limited.json == {"success": False, "message": "RATE_LIMIT_EXCEEDED"}
    assert limited.headers.get("Retry-After")


def test_rate_limits_can_be_switched_off(app_factory):
    app = app_factory(RATELIMIT_ENABLED=False, AUTH_RATE_LIMIT="1 per minute")
    client = app.test_client()
    statuses = {
        client.post("/api/auth/login", json={"email": "a@b.co", "password": "whatever1"}).status_code for _ in range(3)
    }
    assert statuses == {401}
