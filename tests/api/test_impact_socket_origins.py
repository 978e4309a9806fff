"""Which origins may open a Socket.IO connection: the listed CORS_ORIGINS and the server's own origin (as
the client reached it, behind trusted proxies too); any other is refused. Through the app's real WSGI stack
(ProxyFix, then python-engineio), with Engine.IO's opening request."""

from __future__ import annotations

import pytest

OPEN = "/socket.io/?EIO=4&transport=polling"


def opening(client, origin: str | None, **headers):
    if origin is not None:
        headers["Origin"] = origin
    return client.get(OPEN, headers=headers)


@pytest.mark.parametrize("origin", ["http://localhost", "http://localhost:3000", None])
def test_the_own_a_listed_or_no_origin_may_connect(client, origin):
    response = opening(client, origin)
    assert response.status_code == 200
    if origin:
        assert response.headers["Access-Control-Allow-Origin"] == origin


@pytest.mark.parametrize(
    "origin", ["http://evil.example", "https://localhost", "http://localhost:3001", "http://localhost.evil.example"]
)
def test_another_origin_is_refused(client, origin):
    response = opening(client, origin)
    assert response.status_code == 400
    assert "Access-Control-Allow-Origin" not in response.headers


def test_behind_a_trusted_proxy_the_public_origin_is_the_own_one(app_factory):
    client = app_factory(TRUSTED_PROXIES=1).test_client()
    forwarded = {"X-Forwarded-Host": "play.example.org", "X-Forwarded-Proto": "https"}
    assert opening(client, "https://play.example.org", **forwarded).status_code == 200
    assert opening(client, "http://localhost", **forwarded).status_code == 400


def test_forwarded_headers_are_not_believed_without_a_trusted_proxy(client):
    forwarded = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}
    assert opening(client, "https://evil.example", **forwarded).status_code == 400


def test_production_without_cors_origins_still_accepts_its_own_origin(app_factory):
    client = app_factory(CORS_ORIGINS=[]).test_client()
    assert opening(client, "http://localhost").status_code == 200
    assert opening(client, "http://localhost:3000").status_code == 400
