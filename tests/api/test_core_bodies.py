"""Hostile and loose bodies: a clear 400/415 in the envelope, nothing written, no traceback."""

from __future__ import annotations

import json
import logging

import pytest

SURROGATE = '{"email": "\\ud800@example.com", "password": "correct-horse-1"}'


def test_a_lone_surrogate_is_400_even_unauthenticated_and_nothing_is_written(client, user, db, caplog):
    caplog.set_level(logging.ERROR)
    r = client.post("/api/auth/login", data=SURROGATE, content_type="application/json")
    assert r.status_code == 400 and r.json["message"] == "INVALID_JSON"
    assert "surrogate" in r.json["errors"]["_body"][0]
    before = db.users.find_one({"_id": db.users.find_one()["_id"]})
    r = user.put("/api/user/profile", data='{"first_name": "A\\udfffB"}', content_type="application/json")
    assert r.status_code == 400 and r.json["message"] == "INVALID_JSON"
    assert db.users.find_one({"_id": before["_id"]})["first_name"] == before["first_name"]
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize("depth", [33, 1000, 100_000])
def test_deeply_nested_json_is_400(client, depth):
    body = '{"email": ' + "[" * depth + "]" * depth + ', "password": "x"}'
    r = client.post("/api/auth/login", data=body, content_type="application/json")
    assert r.status_code == 400 and r.json["message"] == "INVALID_JSON"


def test_a_body_that_is_not_json_is_415_and_an_empty_put_is_400(user):
    form = user.put("/api/preferences", data={"privacy": "x"})
    assert form.status_code == 415 and form.json["message"] == "UNSUPPORTED_MEDIA_TYPE"
    xml = user.put("/api/user/profile", data="<first_name>A</first_name>", content_type="application/xml")
    assert xml.status_code == 415
    empty = user.put("/api/preferences")
    assert empty.status_code == 400 and empty.json["message"] == "INVALID_JSON"
    assert user.put("/api/preferences", json={}).status_code == 200  # an empty object is an explicit no-op


def test_ordinary_json_still_passes(client, user):
    assert (
        user.put(
            "/api/user/profile", data=json.dumps({"first_name": "Ada"}), content_type="application/json"
        ).status_code
        == 200
    )
    assert client.post("/api/auth/logout").status_code == 401  # no body on a POST: the route decides
