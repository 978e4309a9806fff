"""Impact over HTTP with real donations: stories unlock, locked views, progress, and the /impact socket."""

from __future__ import annotations

import pytest


@pytest.fixture
def onlus_ids(demo_onlus):
    return [o["id"] for o in demo_onlus]


def donate(user, onlus_id, euros):
    response = user.post("/api/donations/process", json={"onlus_id": onlus_id, "amount": euros})
    assert response.status_code == 201, response.json
    return response.json["data"]


def story_ids(user, status="unlocked"):
    response = user.get(f"/api/impact/stories/available?status={status}&per_page=100")
    assert response.status_code == 200, response.json
    return {s["id"] for s in response.json["data"]["items"]}


def test_donating_past_ten_euros_unlocks_first_impact_for_that_user_only(fund, app, container, make_user, onlus_ids):
    ada, bob = make_user("Ada"), make_user("Bob")
    fund(ada, 20)
    fund(bob, 20)
    donate(ada, onlus_ids[0], 6)
    assert "milestone_10" not in story_ids(ada)
    donate(ada, onlus_ids[0], 5)
    donate(bob, onlus_ids[0], 4)

    assert "milestone_10" in story_ids(ada)
    assert "milestone_10" not in story_ids(bob)
    story = ada.get("/api/impact/stories/milestone_10").json["data"]
    assert story["title"] == "First Impact" and story["is_unlocked"] and story["content"]
    locked = bob.get("/api/impact/stories/milestone_10")
    assert locked.status_code == 200
    assert locked.json["data"]["is_unlocked"] is False and locked.json["data"]["content"] is None
    assert locked.json["data"]["progress"]["current"] == 4.0
    assert locked.json["data"]["progress"]["target"] == 10.0


def test_socket_client_of_the_donor_receives_story_unlocked_and_others_do_not(
    ordinary_day, fund, app, container, make_user, onlus_ids
):
    ada, bob = make_user("Ada"), make_user("Bob")
    sio = container.infra.socketio
    ada_socket = sio.test_client(app, namespace="/impact", auth={"token": ada.access_token})
    bob_socket = sio.test_client(app, namespace="/impact", auth={"token": bob.access_token})
    assert ada_socket.is_connected("/impact") and bob_socket.is_connected("/impact")
    fund(ada, 15)
    donate(ada, onlus_ids[0], 12)

    received = [m for m in ada_socket.get_received("/impact") if m["name"] == "story_unlocked"]
    assert [m["args"][0]["story"]["title"] for m in received] == ["First Impact"]
    assert received[0]["args"][0]["story"]["id"] == "milestone_10"
    assert not [m for m in bob_socket.get_received("/impact") if m["name"] == "story_unlocked"]


def test_socket_without_a_valid_token_is_refused(app, container, user):
    sio = container.infra.socketio
    assert not sio.test_client(app, namespace="/impact").is_connected("/impact")
    assert not sio.test_client(app, namespace="/impact", auth={"token": "garbage"}).is_connected("/impact")
    assert not sio.test_client(app, namespace="/impact", auth={"token": user.refresh_token}).is_connected("/impact")
