"""Friends, requests, blocks and user search over HTTP."""

from __future__ import annotations

from tests.support import race


def befriend(a, b):
    rid = a.post("/api/social/friends/requests", json={"user_id": b.id}).json["data"]["id"]
    assert b.post(f"/api/social/friends/requests/{rid}/accept").status_code == 200
    return rid


def friend_ids(u):
    return [f["id"] for f in u.get("/api/social/friends").json["data"]["items"]]


def test_request_accept_list_and_unfriend(make_user):
    ada, bob = make_user("Ada"), make_user("Bob")
    r = ada.post("/api/social/friends/requests", json={"user_id": bob.id})
    assert r.status_code == 201
    data = r.json["data"]
    assert data["from_user_id"] == ada.id and data["to_user_id"] == bob.id and data["status"] == "pending"

    incoming = bob.get("/api/social/friends/requests").json["data"]["incoming"]
    assert [i["id"] for i in incoming] == [data["id"]] and incoming[0]["user"]["first_name"] == "Ada"
    assert "email" not in incoming[0]["user"]
    assert [o["id"] for o in ada.get("/api/social/friends/requests").json["data"]["outgoing"]] == [data["id"]]

    accepted = bob.post(f"/api/social/friends/requests/{data['id']}/accept")
    assert accepted.status_code == 200 and accepted.json["data"]["status"] == "accepted"
    assert friend_ids(ada) == [bob.id] and friend_ids(bob) == [ada.id]
    page = ada.get("/api/social/friends").json["data"]
    assert page["total"] == 1 and page["items"][0]["first_name"] == "Bob"

    assert ada.delete(f"/api/social/friends/{bob.id}").status_code == 200
    assert friend_ids(ada) == [] and friend_ids(bob) == []
    assert ada.delete(f"/api/social/friends/{bob.id}").status_code == 404


def test_request_errors(make_user):
    ada, bob = make_user(), make_user()
    assert ada.post("/api/social/friends/requests", json={"user_id": ada.id}).status_code == 422
    assert ada.post("/api/social/friends/requests", json={"user_id": "nope"}).status_code == 404
    assert ada.post("/api/social/friends/requests", json={"user_id": bob.id, "x": 1}).status_code == 422
    assert ada.post("/api/social/friends/requests", json={}).status_code == 422
    rid = ada.post("/api/social/friends/requests", json={"user_id": bob.id}).json["data"]["id"]
    again = ada.post("/api/social/friends/requests", json={"user_id": bob.id})
    assert again.status_code == 409 and again.json["message"] == "FRIEND_REQUEST_ALREADY_SENT"
    reverse = bob.post("/api/social/friends/requests", json={"user_id": ada.id})
    assert reverse.status_code == 409 and reverse.json["message"] == "FRIEND_REQUEST_ALREADY_RECEIVED"
    # only the addressee accepts; a stranger gets 404, not a hint
    assert ada.post(f"/api/social/friends/requests/{rid}/accept").status_code == 404
    assert bob.post("/api/social/friends/requests/zzz/accept").status_code == 404
    assert bob.post(f"/api/social/friends/requests/{rid}/accept").status_code == 200
    assert bob.post(f"/api/social/friends/requests/{rid}/accept").json["message"] == "FRIEND_REQUEST_NOT_PENDING"
    assert ada.post("/api/social/friends/requests", json={"user_id": bob.id}).json["message"] == "ALREADY_FRIENDS"


def test_decline_and_cancel_free_the_pair_for_a_new_request(make_user):
    ada, bob = make_user(), make_user()
    rid = ada.post("/api/social/friends/requests", json={"user_id": bob.id}).json["data"]["id"]
    assert bob.post(f"/api/social/friends/requests/{rid}/cancel").status_code == 404  # not the sender
    assert bob.post(f"/api/social/friends/requests/{rid}/decline").json["data"]["status"] == "declined"
    assert bob.get("/api/social/friends/requests").json["data"]["incoming"] == []
    rid = ada.post("/api/social/friends/requests", json={"user_id": bob.id}).json["data"]["id"]
    assert ada.post(f"/api/social/friends/requests/{rid}/cancel").json["data"]["status"] == "cancelled"
    assert ada.post("/api/social/friends/requests", json={"user_id": bob.id}).status_code == 201


def test_crossing_requests_leave_exactly_one_relationship(make_user, db):
    ada, bob = make_user(), make_user()

    # the Flask test client is not thread-safe: give each thread its own
    from tests.conftest import ApiUser

    a2 = ApiUser(
        ada.client.application.test_client(),
        ada.user,
        {"access_token": ada.access_token, "refresh_token": ada.refresh_token},
        "",
    )
    b2 = ApiUser(
        bob.client.application.test_client(),
        bob.user,
        {"access_token": bob.access_token, "refresh_token": bob.refresh_token},
        "",
    )
    pairs = [(a2, bob), (b2, ada)]

    def send(i):
        sender, receiver = pairs[i]
        return sender.post("/api/social/friends/requests", json={"user_id": receiver.id}).status_code

    codes = race(send, len(pairs))
    assert not [c for c in codes if isinstance(c, Exception)], codes
    assert sorted(codes) == [201, 409]
    assert db.user_relationships.count_documents({}) == 1


def test_blocking_ends_friendship_hides_me_and_stops_requests(make_user):
    ada, bob, cat = make_user("Ada", "Block"), make_user("Bob", "Block"), make_user("Cat")
    befriend(ada, bob)
    assert ada.post("/api/social/blocks", json={"user_id": bob.id}).status_code == 200
    assert friend_ids(ada) == [] and friend_ids(bob) == []
    r = bob.post("/api/social/friends/requests", json={"user_id": ada.id})
    assert r.status_code == 404  # the blocked user does not learn about the block
    assert ada.post("/api/social/friends/requests", json={"user_id": bob.id}).json["message"] == "USER_BLOCKED"
    for search in ("/api/social/users/search?q=block", "/api/user/search?q=block"):  # one search, two paths
        assert [u["id"] for u in bob.get(search).json["data"]] == []
        assert [u["id"] for u in ada.get(search).json["data"]] == []
        assert {u["id"] for u in cat.get(search).json["data"]} == {ada.id, bob.id}
    assert bob.get(f"/api/achievements/users/{ada.id}/badges").status_code == 404
    blocked = ada.get("/api/social/blocks").json["data"]
    assert blocked["total"] == 1 and blocked["items"][0]["id"] == bob.id

    assert ada.delete(f"/api/social/blocks/{bob.id}").status_code == 200
    assert ada.delete(f"/api/social/blocks/{bob.id}").status_code == 404
    assert bob.post("/api/social/friends/requests", json={"user_id": ada.id}).status_code == 201


def test_a_blocked_request_disappears_and_self_block_is_rejected(make_user):
    ada, bob = make_user(), make_user()
    ada.post("/api/social/friends/requests", json={"user_id": bob.id})
    bob.post("/api/social/blocks", json={"user_id": ada.id})
    assert bob.get("/api/social/friends/requests").json["data"]["incoming"] == []
    assert ada.get("/api/social/friends/requests").json["data"]["outgoing"] == []
    assert bob.post("/api/social/blocks", json={"user_id": bob.id}).status_code == 422


def test_user_search_shows_relationship_and_no_email(make_user):
    ada, bob, bea = make_user("Ada", "Search"), make_user("Bob", "Searchable"), make_user("Bea", "Searcher")
    befriend(ada, bob)
    ada.post("/api/social/friends/requests", json={"user_id": bea.id})
    rows = {u["id"]: u for u in ada.get("/api/social/users/search?q=search").json["data"]}
    assert ada.id not in rows
    assert rows[bob.id]["relationship"] == "friend" and rows[bea.id]["relationship"] == "request_sent"
    assert all("email" not in u for u in rows.values())
    assert ada.get("/api/social/users/search?q=a").status_code == 422


def test_search_keeps_private_profiles_out_and_friends_only_profiles_to_friends(make_user):
    ada, bob, cat = make_user("Ada", "Hidden"), make_user("Bob", "Hidden"), make_user("Cat", "Seeker")
    befriend(cat, bob)

    def found(who) -> set[str]:
        answers = [
            who.get(path, query_string={"q": "hidden"}) for path in ("/api/social/users/search", "/api/user/search")
        ]
        assert all(a.status_code == 200 for a in answers), [a.json for a in answers]
        first, second = ({u["id"] for u in a.json["data"]} for a in answers)
        assert first == second
        return first

    assert found(cat) == {ada.id, bob.id}
    assert ada.put("/api/preferences", json={"privacy": {"profile_visibility": "private"}}).status_code == 200
    assert bob.put("/api/preferences", json={"privacy": {"profile_visibility": "friends"}}).status_code == 200
    assert found(cat) == {bob.id}  # Cat and Bob are friends
    assert found(make_user("Dan", "Seeker")) == set()
    assert ada.put("/api/preferences", json={"privacy": {"profile_visibility": "public"}}).status_code == 200
    assert found(cat) == {ada.id, bob.id}


def test_friend_requests_can_be_turned_off(make_user):
    ada, bob = make_user(), make_user()
    bob.put("/api/preferences", json={"privacy": {"allow_friend_requests": False}})
    r = ada.post("/api/social/friends/requests", json={"user_id": bob.id})
    assert r.status_code == 403 and r.json["message"] == "FRIEND_REQUESTS_DISABLED"


def test_social_routes_require_a_token(client):
    assert client.get("/api/social/friends").status_code == 401
    assert client.post("/api/social/friends/requests", json={"user_id": "x"}).status_code == 401


def test_friend_points_are_given_once_per_pair(make_user, container):
    ada, bob = make_user(), make_user()
    befriend(ada, bob)
    ada.delete(f"/api/social/friends/{bob.id}")
    befriend(ada, bob)
    doc = container.infra.db.user_impact_scores.find_one({"_id": ada.id})
    assert doc["stats"]["friends_count"] == 1
    # 10 friend points once + 10 points of the 'First Friend' achievement
    assert doc["points"]["social"] == 20
    assert {"friends_1"} <= {a["achievement_id"] for a in ada.get("/api/achievements/me/badges").json["data"]}


def test_an_upper_case_user_id_is_refused_like_the_lower_case_one(make_user):
    ada, blocker, closed, dan = make_user(), make_user(), make_user(), make_user()
    blocker.post("/api/social/blocks", json={"user_id": ada.id})
    closed.put("/api/preferences", json={"privacy": {"allow_friend_requests": False}})

    def outcome(user_id):
        response = ada.post("/api/social/friends/requests", json={"user_id": user_id})
        return response.status_code, response.json["message"]

    for target, status in ((ada, 422), (blocker, 404), (closed, 403)):
        assert outcome(target.id)[0] == status
        assert outcome(target.id.upper()) == outcome(target.id)
    sent = ada.post("/api/social/friends/requests", json={"user_id": dan.id.upper()})
    assert sent.status_code == 201 and sent.json["data"]["to_user_id"] == dan.id
    incoming = dan.get("/api/social/friends/requests").json["data"]["incoming"]
    assert [i["id"] for i in incoming] == [sent.json["data"]["id"]]


def test_delete_on_the_list_of_requests_is_405_not_an_unfriend(user):
    response = user.delete("/api/social/friends/requests")
    assert (response.status_code, response.json["message"]) == (405, "METHOD_NOT_ALLOWED")
    assert {"GET", "POST"} <= {m.strip() for m in response.headers["Allow"].split(",")}
