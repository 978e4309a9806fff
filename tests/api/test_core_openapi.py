"""The OpenAPI document the app builds on first use, and the flask-smorest behaviour that relies on."""

from __future__ import annotations

from flask_smorest import current_api

from app.core.extensions import GoodPlayApi


def test_current_api_finds_the_app_api_inside_a_request(app):
    # GoodPlayApi registers blueprints without documenting them at once: flask-smorest must still find it
    with app.test_request_context("/api/health"):
        app.preprocess_request()
        assert isinstance(current_api._get_current_object(), GoodPlayApi)


def test_every_operation_documents_the_errors_it_can_answer_by_construction(client):
    paths = client.get("/api/openapi.json").json["paths"]
    login = paths["/api/auth/login"]["post"]["responses"]
    assert {"400", "413", "422", "429"} <= set(login)
    admin = paths["/api/admin/onlus/{onlus_id}"]["get"]["responses"]
    assert {"401", "403", "404"} <= set(admin)
    assert admin["403"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorEnvelope"}
    assert "403" not in paths["/api/wallet"]["get"]["responses"]
    assert "401" not in paths["/api/health"]["get"]["responses"]


def test_the_document_says_what_an_answer_holds_and_what_follows_it(client):
    info = client.get("/api/openapi.json").json["info"]
    assert info["title"] == "GoodPlay API"
    assert "eventually consistent" in info["description"] and "{success, message, data}" in info["description"]
