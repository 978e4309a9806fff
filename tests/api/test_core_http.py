"""HTTP details a browser client relies on: CORS, Retry-After, an offline Swagger UI, 503 without a database."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from app.core.database import free_port

ORIGIN = "http://localhost:3000"
EXPOSED = {
    "content-disposition",
    "idempotent-replayed",
    "x-request-id",
    "retry-after",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
}


def _listed(value: str | None) -> set[str]:
    return {part.strip().lower() for part in (value or "").split(",") if part.strip()}


# -- CORS ------------------------------------------------------------------------------------------------


def test_a_preflight_from_an_allowed_origin_is_answered_and_may_be_cached(app_factory):
    client = app_factory(CORS_MAX_AGE=900).test_client()
    response = client.options(
        "/api/donations/process",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type, Idempotency-Key",
        },
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "post" in _listed(response.headers["Access-Control-Allow-Methods"])
    assert {"authorization", "content-type", "idempotency-key"} <= _listed(
        response.headers["Access-Control-Allow-Headers"]
    )
    assert response.headers["Access-Control-Max-Age"] == "900"
    assert "origin" in _listed(response.headers.get("Vary"))


def test_the_preflight_max_age_defaults_to_ten_minutes(client):
    response = client.options("/api/health", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"})
    assert response.headers["Access-Control-Max-Age"] == "600"


def test_a_cross_origin_call_exposes_the_headers_a_client_reads(client, user):
    response = user.client.get("/api/wallet", headers={**user.headers, "Origin": ORIGIN})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert _listed(response.headers["Access-Control-Expose-Headers"]) >= EXPOSED
    assert "origin" in _listed(response.headers.get("Vary"))
    assert response.headers["X-Request-ID"]


def test_a_denied_origin_gets_no_cors_headers_but_the_answer_still_varies_on_origin(client):
    for response in (
        client.get("/api/health", headers={"Origin": "https://evil.example"}),
        client.options(
            "/api/health", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
        ),
    ):
        assert "Access-Control-Allow-Origin" not in response.headers
        assert "Access-Control-Expose-Headers" not in response.headers
        assert "origin" in _listed(response.headers.get("Vary"))


def test_a_call_without_origin_header_still_varies_on_origin(client):
    assert "origin" in _listed(client.get("/api/health").headers.get("Vary"))


def test_a_cross_origin_client_can_read_the_receipt_file_name(client, user, fund, charity):
    fund(user, 10)
    donation = user.post("/api/donations/process", json={"onlus_id": charity, "amount": 2})
    assert donation.status_code == 201, donation.json
    receipt = user.client.get(
        f"/api/donations/{donation.json['data']['id']}/receipt", headers={**user.headers, "Origin": ORIGIN}
    )
    assert receipt.status_code == 200
    assert receipt.headers["Content-Disposition"].startswith("inline; filename=")
    assert "content-disposition" in _listed(receipt.headers["Access-Control-Expose-Headers"])


# -- rate limits and Retry-After -------------------------------------------------------------------------


def test_retry_after_comes_only_with_429(app_factory):
    client = app_factory(RATELIMIT_ENABLED=True, AUTH_RATE_LIMIT="2 per minute").test_client()

    def login():
        return client.post(
            "/api/auth/login", json={"email": "a@b.co", "password": "whatever1"}, headers={"Origin": ORIGIN}
        )

    first, second, limited = login(), login(), login()
    for refused in (first, second):
        assert refused.status_code == 401
        assert "Retry-After" not in refused.headers
        # the rate-limit headers still tell a client where it stands
        assert refused.headers["X-RateLimit-Limit"] == "2"
    assert first.headers["X-RateLimit-Remaining"] == "1"
    assert second.headers["X-RateLimit-Remaining"] == "0"
    assert limited.status_code == 429
    assert limited.json == {"success": False, "message": "RATE_LIMIT_EXCEEDED"}
    assert int(limited.headers["Retry-After"]) > 0
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert int(limited.headers["X-RateLimit-Reset"]) > 0
    assert limited.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_a_successful_answer_of_a_limited_route_has_no_retry_after(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, AUTH_RATE_LIMIT="5 per minute")
    client = app.test_client()
    registered = client.post(
        "/api/auth/register",
        json={"email": "rate@example.com", "password": "long-enough-1", "first_name": "R", "last_name": "L"},
    )
    assert registered.status_code == 201
    assert "Retry-After" not in registered.headers
    assert registered.headers["X-RateLimit-Remaining"] == "4"


# -- Swagger UI works with no internet -------------------------------------------------------------------


class _References(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.urls.append(value)


def test_swagger_ui_loads_every_asset_from_the_app_itself(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    parser = _References()
    parser.feed(html)
    urls = parser.urls + re.findall(r"""url:\s*["']([^"']+)["']""", html)
    assert any(u.endswith("swagger-ui-bundle.js") for u in urls)
    assert any(u.endswith("swagger-ui.css") for u in urls)
    assert any(u.endswith("openapi.json") for u in urls)
    for url in urls:
        resolved = urljoin("http://localhost/api/docs", url)
        parts = urlsplit(resolved)
        assert parts.netloc == "localhost", f"{url} is loaded from outside the app"
        asset = client.get(parts.path)
        assert asset.status_code == 200, url
        assert asset.data
    bundle = client.get(next(u for u in urls if u.endswith("swagger-ui-bundle.js")))
    assert b"SwaggerUIBundle" in bundle.data


def test_an_unknown_swagger_ui_file_is_404_and_nothing_outside_the_package_is_served(client):
    assert client.get("/api/docs/assets/nope.js").status_code == 404
    assert client.get("/api/docs/assets/../../../config/settings.py").status_code == 404
    assert client.get("/api/docs/assets/%2e%2e/__init__.py").status_code == 404


# -- the database out of reach ---------------------------------------------------------------------------


@pytest.fixture
def unreachable_app(db_name):
    from app import create_app

    application = create_app(
        {
            "APP_ENV": "testing",
            "MONGO_URI": f"mongodb://127.0.0.1:{free_port()}/",  # nobody listens there
            "MONGO_CLIENT_OPTIONS": {"serverSelectionTimeoutMS": 100, "connectTimeoutMS": 100},
            "MONGO_DB_NAME": db_name,
            "RATELIMIT_ENABLED": False,
        }
    )
    yield application
    application.extensions["goodplay"].infra.db.client.close()


def test_while_the_database_is_unreachable_answers_are_503_with_retry_after(unreachable_app):
    client = unreachable_app.test_client()
    login = client.post("/api/auth/login", json={"email": "a@b.co", "password": "whatever1"})
    assert login.status_code == 503
    assert login.json == {"success": False, "message": "DATABASE_UNAVAILABLE"}
    assert int(login.headers["Retry-After"]) > 0
    assert client.get("/api/games").status_code == 503
    ready = client.get("/api/health/ready")
    assert ready.status_code == 503 and ready.json["message"] == "DATABASE_UNAVAILABLE"
    assert int(ready.headers["Retry-After"]) > 0
    # liveness does not need the database
    assert client.get("/api/health").status_code == 200


def test_a_path_id_is_read_in_any_case_and_a_malformed_one_answers_the_routes_404(client, charity):
    shouted = client.get(f"/api/onlus/{charity.upper()}")
    assert shouted.status_code == 200 and shouted.json["data"]["id"] == charity
    for malformed in ("not-an-id", charity[:-1], charity + "0"):
        response = client.get(f"/api/onlus/{malformed}")
        assert (response.status_code, response.json["message"]) == (404, "ONLUS_NOT_FOUND"), malformed
    assert client.get("/api/nothing/here").json["message"] == "NOT_FOUND"


def test_a_literal_path_asked_with_another_method_is_405(admin):
    for method, path in (("PUT", "/api/games/modes/active"), ("DELETE", "/api/admin/wallets/integrity-check")):
        response = admin.client.open(path, method=method, json={}, headers=admin.headers)
        assert (response.status_code, response.json["message"]) == (405, "METHOD_NOT_ALLOWED"), path
