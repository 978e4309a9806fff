"""Every failure reaches the client in the envelope with the right status and key."""


def test_unknown_route_is_404_in_envelope(client):
    response = client.get("/api/does-not-exist")
    assert response.status_code == 404
    assert response.json == {"success": False, "message": "NOT_FOUND"}


def test_wrong_method_is_405_in_envelope(client):
    response = client.delete("/api/health")
    assert response.status_code == 405
    assert response.json == {"success": False, "message": "METHOD_NOT_ALLOWED"}
    assert "GET" in response.headers["Allow"]


def test_oversized_body_is_413(app_factory):
    app = app_factory(MAX_CONTENT_LENGTH=1024)
    response = app.test_client().post("/api/auth/register", data="x" * 5000, content_type="application/json")
    assert response.status_code == 413
    assert response.json == {"success": False, "message": "PAYLOAD_TOO_LARGE"}


def test_unexpected_error_is_500_without_details(app, client):
    @app.route("/api/boom")
    def boom():
        raise RuntimeError("secret driver detail: mongodb://user:pw@host")

    response = client.get("/api/boom")
    assert response.status_code == 500
    assert response.json == {"success": False, "message": "INTERNAL_SERVER_ERROR"}
    assert b"secret" not in response.data


def test_non_admin_on_admin_route_is_403_and_anonymous_is_401(client, user):
    assert user.get("/api/admin/events").status_code == 403
    assert user.get("/api/admin/events").json["message"] == "ADMIN_REQUIRED"
    assert client.get("/api/admin/events").status_code == 401


def test_every_response_carries_a_request_id(client):
    response = client.get("/api/health", headers={"X-Request-ID": "abc123"})
    assert response.headers["X-Request-ID"] == "abc123"
    assert len(client.get("/api/health").headers["X-Request-ID"]) >= 8


def test_readiness_pings_the_database(client):
    response = client.get("/api/health/ready")
    assert response.status_code == 200
    assert response.json["data"] == {"status": "ready", "database": "ok", "payments": "simulated"}


def test_cors_allows_the_configured_origin_only(client):
    allowed = client.get("/api/health", headers={"Origin": "http://localhost:3000"})
    assert allowed.headers.get("Access-Control-Allow-Origin") == "http://localhost:3000"
    denied = client.get("/api/health", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in denied.headers


def test_openapi_document_and_docs_are_served(client):
    spec = client.get("/api/openapi.json")
    assert spec.status_code == 200
    doc = spec.json
    assert doc["openapi"].startswith("3.")
    for path in (
        "/api/auth/register",
        "/api/auth/login",
        "/api/auth/refresh",
        "/api/auth/logout",
        "/api/user/profile",
        "/api/preferences",
        "/api/health",
    ):
        assert path in doc["paths"], path
    register = doc["paths"]["/api/auth/register"]["post"]
    assert "201" in register["responses"] and "422" in register["responses"]
    assert doc["paths"]["/api/user/profile"]["get"]["security"] == [{"bearerAuth": []}]
    assert client.get("/api/docs").status_code == 200


def test_openapi_error_schema_is_the_envelope(client):
    schemas = client.get("/api/openapi.json").json["components"]["schemas"]
    assert set(schemas["ErrorEnvelope"]["properties"]) == {"success", "message", "errors", "data"}


def test_rate_limit_keys_on_the_forwarded_client_behind_a_trusted_proxy(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, AUTH_RATE_LIMIT="2 per minute", TRUSTED_PROXIES=1)
    client = app.test_client()

    def attempt(ip):
        return client.post(
            "/api/auth/login", json={"email": "a@b.co", "password": "whatever1"}, headers={"X-Forwarded-For": ip}
        ).status_code

    assert [attempt("203.0.113.1") for _ in range(3)] == [401, 401, 429]
    assert attempt("203.0.113.2") == 401


def test_an_unreachable_database_is_503_database_unavailable_with_retry_after_never_500(mongo_uri):
    from app import create_app
    from app.core.database import free_port

    app = create_app(
        {
            "APP_ENV": "testing",
            "MONGO_URI": f"mongodb://127.0.0.1:{free_port()}/?directConnection=true",
            "MONGO_DB_NAME": "nowhere",
            "MONGO_CLIENT_OPTIONS": {"serverSelectionTimeoutMS": 200},
            "RATELIMIT_ENABLED": False,
        }
    )
    client = app.test_client()
    for method, path, body in (
        ("POST", "/api/auth/login", {"email": "a@example.com", "password": "correct-horse-1"}),
        ("GET", "/api/games", None),
        ("GET", "/api/onlus", None),
    ):
        response = client.open(path, method=method, json=body)
        assert response.status_code == 503, (path, response.status_code, response.json)
        assert response.json == {"success": False, "message": "DATABASE_UNAVAILABLE"}
        assert int(response.headers["Retry-After"]) > 0
    assert client.get("/api/health").status_code == 200  # liveness: the process answers
    ready = client.get("/api/health/ready")
    assert ready.status_code == 503 and ready.json["message"] == "DATABASE_UNAVAILABLE"
    assert int(ready.headers["Retry-After"]) > 0
