"""The notification inbox over HTTP: every kind caused the way a user causes it, listed, counted, read,
deleted, pushed live as `notification` on /impact, and what the preferences let through."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from app.social.models import notifications as say
from app.social.repositories.notifications import NotificationRepository
from tests.support import race

UNKNOWN_ID = "5f0000000000000000000000"
NS = "/impact"


# -- helpers ----------------------------------------------------------------------------------------
@pytest.fixture
def socket_of(app, container):
    def connect(user):
        sock = container.infra.socketio.test_client(app, namespace=NS, auth={"token": user.access_token})
        assert sock.is_connected(NS)
        return sock

    return connect


def pushed(sock) -> list[dict]:
    return [m["args"][0]["notification"] for m in sock.get_received(NS) if m["name"] == "notification"]


def inbox(user, **query) -> dict:
    response = user.get("/api/notifications", query_string=query)
    assert response.status_code == 200, response.json
    return response.json["data"]


def of_kind(user, kind: str) -> list[dict]:
    return [n for n in inbox(user, per_page=100)["items"] if n["kind"] == kind]


def unread(user) -> int:
    response = user.get("/api/notifications/unread-count")
    assert response.status_code == 200, response.json
    return response.json["data"]["count"]


def set_notifications(user, **switches) -> None:
    assert user.put("/api/preferences", json={"notifications": switches}).status_code == 200


def friend_request(sender, to) -> str:
    response = sender.post("/api/social/friends/requests", json={"user_id": to.id})
    assert response.status_code == 201, response.json
    return response.json["data"]["id"]


def donate(user, onlus_id, euros, status=201) -> dict:
    response = user.post("/api/donations/process", json={"onlus_id": onlus_id, "amount": euros})
    assert response.status_code == status, response.json
    return response.json["data"]


def play(user, clock, score=1000, minutes=3, **extra) -> dict:
    started = user.post("/api/games/sessions", json={"game_id": "eco_quiz", **extra})
    assert started.status_code == 201, started.json
    clock.advance(minutes=minutes)
    ended = user.post(f"/api/games/sessions/{started.json['data']['id']}/end", json={"final_score": score})
    assert ended.status_code == 200, ended.json
    return ended.json["data"]


def iso(moment: datetime) -> str:
    return moment.isoformat() + "Z"


class FakeMail:
    """Stands in for core's mail outbox (app.core.contracts.MailQueue)."""

    def __init__(self):
        self.queued: list[dict] = []

    def enqueue(self, *, to, subject, text, html, key, user_id=None, session=None) -> bool:
        self.queued.append({"to": to, "subject": subject, "text": text, "key": key, "user_id": user_id})
        return True


# -- friends, and the inbox itself ---------------------------------------------------------------------
def test_a_friend_request_and_its_acceptance_reach_the_other_user_in_the_inbox_and_live(make_user, socket_of):
    ada, bob = make_user("Ada", "Lovelace"), make_user("Bob", "Byrne")
    ada_socket, bob_socket = socket_of(ada), socket_of(bob)

    request_id = friend_request(ada, bob)
    [received] = inbox(bob)["items"]
    assert received["kind"] == "friend_request_received" and received["read"] is False
    assert received["title"] == "New friend request" and received["body"] == "Ada L. wants to be your friend."
    assert received["data"] == {"user_id": ada.id, "request_id": request_id}
    assert received["read_at"] is None and received["created_at"].endswith("Z")
    assert pushed(bob_socket) == [received]
    assert unread(bob) == 1 and unread(ada) == 0 and pushed(ada_socket) == []

    assert bob.post(f"/api/social/friends/requests/{request_id}/accept").status_code == 200
    [accepted] = of_kind(ada, "friend_request_accepted")
    assert accepted["body"] == "Bob B. accepted your friend request."
    assert accepted["data"] == {"user_id": bob.id, "request_id": request_id}
    assert [n for n in pushed(ada_socket) if n["kind"].startswith("friend")] == [accepted]
    assert [n["kind"] for n in pushed(bob_socket)] == ["achievement_unlocked"]  # First Friend, both of them


def test_reading_counting_read_all_deleting_and_paging_the_inbox(make_user):
    me = make_user("Me")
    senders = [make_user(f"Friend{i}") for i in range(5)]
    for sender in senders:
        friend_request(sender, me)
    assert unread(me) == 5

    first = inbox(me, page=1, per_page=2)
    assert (first["total"], first["total_pages"], first["page"], first["per_page"]) == (5, 3, 1, 2)
    everything = inbox(me, per_page=100)["items"]
    assert [n["data"]["user_id"] for n in everything] == [s.id for s in reversed(senders)]  # newest first
    assert [n["id"] for n in first["items"]] == [n["id"] for n in everything[:2]]
    assert [n["id"] for n in inbox(me, page=3, per_page=2)["items"]] == [everything[4]["id"]]
    assert inbox(me, page=4, per_page=2)["items"] == []

    newest = everything[0]["id"]
    read = me.post(f"/api/notifications/{newest}/read")
    assert read.status_code == 200 and read.json["message"] == "NOTIFICATION_READ"
    assert read.json["data"]["read"] is True and read.json["data"]["read_at"].endswith("Z")
    assert unread(me) == 4
    again = me.post(f"/api/notifications/{newest.upper()}/read")  # the same id in capitals
    assert again.status_code == 200 and again.json["data"]["read_at"] == read.json["data"]["read_at"]
    assert unread(me) == 4
    assert newest not in [n["id"] for n in inbox(me, unread="true", per_page=100)["items"]]
    assert inbox(me, unread="true")["total"] == 4 and inbox(me, unread="false")["total"] == 5

    deleted = me.delete(f"/api/notifications/{everything[1]['id']}")
    assert deleted.status_code == 200 and deleted.json["data"] == {"id": everything[1]["id"]}
    assert me.delete(f"/api/notifications/{everything[1]['id']}").status_code == 404
    assert inbox(me)["total"] == 4 and unread(me) == 3

    marked = me.post("/api/notifications/read-all")
    assert marked.status_code == 200 and marked.json["data"] == {"marked": 3}
    assert unread(me) == 0 and inbox(me, unread="true")["total"] == 0
    assert me.post("/api/notifications/read-all").json["data"] == {"marked": 0}

    assert me.get("/api/notifications", query_string={"per_page": 101}).status_code == 422
    assert me.get("/api/notifications", query_string={"unread": "maybe"}).status_code == 422
    assert me.get("/api/notifications", query_string={"sort": "x"}).status_code == 422


def test_another_users_notification_is_404_and_stays_as_it_was(make_user, client):
    ada, bob, eve = make_user("Ada"), make_user("Bob"), make_user("Eve")
    friend_request(ada, bob)
    [mine] = inbox(bob)["items"]

    for method, path in (
        ("POST", f"/api/notifications/{mine['id']}/read"),
        ("DELETE", f"/api/notifications/{mine['id']}"),
    ):
        response = eve.client.open(path, method=method, headers=eve.headers)
        assert (response.status_code, response.json["message"]) == (404, "NOTIFICATION_NOT_FOUND")
    assert eve.post("/api/notifications/read-all").json["data"] == {"marked": 0}
    assert inbox(eve)["total"] == 0
    assert inbox(bob)["items"] == [mine] and unread(bob) == 1

    for bad in (UNKNOWN_ID, "zzz", "5f00000000000000000000", "not-an-id"):
        for method, path in (("POST", f"/api/notifications/{bad}/read"), ("DELETE", f"/api/notifications/{bad}")):
            response = bob.client.open(path, method=method, headers=bob.headers)
            assert (response.status_code, response.json["message"]) == (404, "NOTIFICATION_NOT_FOUND"), path
    assert client.get("/api/notifications").status_code == 401
    assert client.get("/api/notifications/unread-count").status_code == 401


def test_a_handler_run_twice_for_one_event_stores_and_pushes_one_notification(container, db, make_user, socket_of):
    ada, bob = make_user("Ada"), make_user("Bob")
    bob_socket = socket_of(bob)
    friend_request(ada, bob)
    event = db["hook_events"].find_one({"name": "social_activity"})
    for _ in range(2):  # a replay of the handler, as the retry pass or an admin would run it
        container.infra.hooks.dispatch(event["_id"], only={"social:notify_friends"}, statuses=("done",))
    assert inbox(bob)["total"] == 1 and len(pushed(bob_socket)) == 1
    assert db["notifications"].count_documents({"key": f"friend_request_received:{event['_id']}:{bob.id}"}) == 1

    draft = say.friend_request_received("Ada L.", sender_id=ada.id, request_id=None)
    results = race(lambda _: container.social.notifications.notify(bob.id, draft, key="racing:1"), 4)
    assert sum(1 for r in results if isinstance(r, dict)) == 1, results
    assert not [r for r in results if isinstance(r, Exception)], results
    assert db["notifications"].count_documents({"key": "racing:1"}) == 1


# -- preferences -------------------------------------------------------------------------------------
def test_push_off_keeps_the_inbox_but_pushes_nothing(make_user, socket_of):
    ada, bob = make_user("Ada"), make_user("Bob")
    set_notifications(bob, push=False)
    bob_socket = socket_of(bob)
    friend_request(ada, bob)
    assert inbox(bob)["total"] == 1 and unread(bob) == 1
    assert pushed(bob_socket) == []


def test_a_topic_switched_off_silences_only_its_kinds(make_user, socket_of, fund, charity):
    ada, bob = make_user("Ada"), make_user("Bob")
    set_notifications(bob, friends=False)
    bob_socket = socket_of(bob)
    friend_request(ada, bob)
    fund(bob, 5)
    donate(bob, charity, 1)
    assert sorted(n["kind"] for n in pushed(bob_socket)) == ["achievement_unlocked", "donation_completed"]
    assert {n["kind"] for n in inbox(bob)["items"]} >= {"friend_request_received", "donation_completed"}

    set_notifications(bob, friends=True, donations=False)
    donate(bob, charity, 1)
    friend_request(bob, make_user("Cy"))  # Bob's own request notifies Cy, not Bob
    assert pushed(bob_socket) == []
    assert len(of_kind(bob, "donation_completed")) == 2


def test_email_on_queues_the_notification_as_mail_and_off_does_not(container, make_user, confirm_email):
    mail = FakeMail()
    container.social.notifications.mail = mail
    ada, bob, cy, dee, eve = (make_user(name) for name in ("Ada", "Bob", "Cy", "Dee", "Eve"))
    for confirmed in (ada, bob, cy):
        confirm_email(confirmed)
    friend_request(ada, bob)
    [request] = of_kind(bob, "friend_request_received")
    [message] = mail.queued
    assert message["to"] == bob.email and message["user_id"] == bob.id
    assert message["subject"] == "New friend request" and "Ada" in message["text"]

    set_notifications(cy, email=False)
    friend_request(ada, cy)
    set_notifications(ada, friends=False)
    friend_request(dee, ada)
    friend_request(bob, eve)  # Eve never confirmed her address: her inbox only
    assert len(mail.queued) == 1
    assert of_kind(eve, "friend_request_received")
    assert of_kind(cy, "friend_request_received") and of_kind(ada, "friend_request_received")
    assert request["read"] is False


# -- games ---------------------------------------------------------------------------------------------
def test_a_challenge_notifies_the_invited_players_then_everyone_of_its_result(make_user, clock, socket_of):
    ada, bob = make_user("Ada"), make_user("Bob")
    bob_socket = socket_of(bob)
    challenge = ada.post("/api/games/challenges", json={"game_id": "eco_quiz", "opponent_ids": [bob.id]})
    assert challenge.status_code == 201, challenge.json
    challenge_id = challenge.json["data"]["id"]
    [invited] = of_kind(bob, "challenge_invited")
    assert invited["data"] == {"challenge_id": challenge_id, "game_id": "eco_quiz", "user_id": ada.id}
    assert "challenged you to" in invited["body"]
    assert of_kind(ada, "challenge_invited") == []
    assert bob.post(f"/api/games/challenges/{challenge_id}/accept").status_code == 200

    play(ada, clock, score=1500, challenge_id=challenge_id)
    play(bob, clock, score=1200, challenge_id=challenge_id)
    [won] = of_kind(ada, "challenge_result")
    [lost] = of_kind(bob, "challenge_result")
    assert won["data"]["outcome"] == "won" and won["body"].startswith("You won")
    assert lost["data"] == {"challenge_id": challenge_id, "game_id": "eco_quiz", "outcome": "lost"}
    assert [n["kind"] for n in pushed(bob_socket) if n["kind"].startswith("challenge")] == [
        "challenge_invited",
        "challenge_result",
    ]


def test_a_tournament_notifies_its_players_when_it_starts_and_of_their_rank(make_user, admin, clock, games, socket_of):
    ada, bob, outsider = make_user("Ada"), make_user("Bob"), make_user("Out")
    created = admin.post(
        "/api/games/tournaments",
        json={
            "name": "Autumn Cup",
            "type": "individual",
            "game_id": "eco_quiz",
            "starts_at": iso(clock.now + timedelta(hours=1)),
            "ends_at": iso(clock.now + timedelta(days=2)),
            "max_participants": 10,
            "prizes": [{"rank": 1, "reward": 5}],
        },
    )
    assert created.status_code == 201, created.json
    tid = created.json["data"]["id"]
    for player in (ada, bob):
        assert player.post(f"/api/games/tournaments/{tid}/join").status_code == 200
    ada_socket = socket_of(ada)
    clock.advance(hours=1)
    assert games.tournaments.run_lifecycle()["started"] == 1
    assert games.tournaments.run_lifecycle()["started"] == 0
    for player in (ada, bob):
        [started] = of_kind(player, "tournament_started")
        assert started["data"] == {"tournament_id": tid, "game_id": "eco_quiz"}
        assert started["body"].startswith("Autumn Cup has started")
    assert of_kind(outsider, "tournament_started") == []

    play(ada, clock, score=1500, tournament_id=tid)
    play(bob, clock, score=1000, tournament_id=tid)
    assert admin.post(f"/api/games/tournaments/{tid}/end").status_code == 200
    [first] = of_kind(ada, "tournament_result")
    [second] = of_kind(bob, "tournament_result")
    assert first["data"] == {"tournament_id": tid, "rank": 1} and "€5.00" in first["body"]
    assert second["data"] == {"tournament_id": tid, "rank": 2} and "#2" in second["body"]
    assert [n["kind"] for n in pushed(ada_socket) if n["kind"].startswith("tournament")] == [
        "tournament_started",
        "tournament_result",
    ]


# -- donations -----------------------------------------------------------------------------------------
def test_a_donation_notifies_its_completion_story_achievement_and_the_community_milestone(
    ordinary_day, make_user, fund, charity, socket_of
):
    bystander = make_user("Bystander")
    donor = make_user("Donor")
    donor_socket = socket_of(donor)
    fund(donor, 100)
    donation = donate(donor, charity, 100)  # crosses the first community mark, €100 donated
    late = make_user("Late")

    [completed] = of_kind(donor, "donation_completed")
    assert completed["data"] == {"donation_id": donation["id"], "onlus_id": charity}
    assert completed["body"] == "Your donation of €100.00 to Scuole Aperte is complete."
    stories = {n["data"]["story_id"] for n in of_kind(donor, "story_unlocked")}
    assert {"milestone_10", "milestone_100"} <= stories
    achievements = {n["data"]["achievement_id"] for n in of_kind(donor, "achievement_unlocked")}
    assert "first_donation" in achievements
    live = {n["kind"] for n in pushed(donor_socket)}
    assert {"donation_completed", "story_unlocked", "achievement_unlocked"} <= live

    # the milestone is everyone's: it reaches the users registered before it on their next read
    for user in (donor, bystander):
        [milestone] = of_kind(user, "community_milestone")
        assert milestone["data"] == {"metric": "total_donated", "mark": 100.0}
        assert milestone["body"] == "Together we have donated €100!"
    assert of_kind(late, "community_milestone") == []
    assert unread(bystander) == 1
    assert bystander.post("/api/notifications/read-all").json["data"] == {"marked": 1}
    [milestone] = of_kind(bystander, "community_milestone")
    assert bystander.delete(f"/api/notifications/{milestone['id']}").status_code == 200
    assert inbox(bystander)["total"] == 0  # a deleted copy does not come back


def test_a_held_donation_notifies_the_hold_then_its_approval_or_rejection(user, admin, fund, charity):
    fund(user, 600)
    held = donate(user, charity, 300, status=202)
    [hold] = of_kind(user, "donation_held")
    assert hold["data"] == {"donation_id": held["id"], "onlus_id": charity}
    assert "€300.00" in hold["body"] and "reviewed" in hold["body"]
    assert of_kind(user, "donation_completed") == []

    assert admin.post(f"/api/compliance/held/{held['id']}/approve", json={}).status_code == 200
    assert admin.post(f"/api/compliance/held/{held['id']}/approve", json={}).status_code == 200  # a repeat
    [approved] = of_kind(user, "donation_approved")
    assert approved["data"] == {"donation_id": held["id"], "onlus_id": charity}
    assert of_kind(user, "donation_completed") == []  # the approval is the completion: said once

    rejected = donate(user, charity, 260, status=202)
    assert admin.post(f"/api/compliance/held/{rejected['id']}/reject", json={"note": "no"}).status_code == 200
    [refused] = of_kind(user, "donation_rejected")
    assert refused["data"] == {"donation_id": rejected["id"], "onlus_id": charity}
    assert "back on your wallet" in refused["body"]
    assert len(of_kind(user, "donation_held")) == 2


def test_a_refund_notifies_the_donor(user, admin, fund, charity, socket_of):
    sock = socket_of(user)
    fund(user, 10)
    donation = donate(user, charity, 5)
    assert (
        admin.post(f"/api/admin/donations/{donation['id']}/refund", json={"reason": "donor asked"}).status_code == 200
    )
    [refund] = of_kind(user, "donation_refunded")
    assert refund["data"] == {"donation_id": donation["id"], "onlus_id": charity}
    assert refund["body"] == "Your donation of €5.00 was refunded."
    assert [n["kind"] for n in pushed(sock) if n["kind"].startswith("donation")] == [
        "donation_completed",
        "donation_refunded",
    ]


def test_an_auto_donation_that_is_refused_says_why(user, admin, fund, charity, clock, db, socket_of):
    settings = {
        "enabled": True,
        "threshold": 1,
        "percentage": 100,
        "allocations": [{"onlus_id": charity, "share": 100}],
    }
    assert user.put("/api/donations/auto-donation", json=settings).status_code == 200
    assert admin.post(f"/api/admin/onlus/{charity}/suspend", json={"reason": "under review"}).status_code == 200
    fund(user, 1)
    sock = socket_of(user)
    play(user, clock)  # the session's credits bring the balance over the threshold

    [failed] = of_kind(user, "auto_donation_failed")
    assert failed["data"] == {"onlus_id": charity, "reason": "ONLUS_NOT_ACCEPTING_DONATIONS"}
    assert "Scuole Aperte" in failed["body"] and "not accepting donations" in failed["body"]
    assert [n["kind"] for n in pushed(sock) if n["kind"] != "achievement_unlocked"] == ["auto_donation_failed"]
    event = db["hook_events"].find_one({"name": "auto_donation_failed"})
    assert event["key"].startswith("auto_donation_failed:session:") and event["key"].endswith(charity)


# -- set-up -----------------------------------------------------------------------------------------
def test_read_notifications_expire_after_the_configured_days(app, db):
    def ttl() -> int:
        return db["notifications"].index_information()["read_at_1"]["expireAfterSeconds"]

    assert ttl() == app.config["NOTIFICATION_READ_TTL_DAYS"] * 86400 == 90 * 86400
    repo = NotificationRepository(db)
    try:
        repo.create_indexes(read_ttl_days=30)  # a changed setting, applied by the next `goodplay init`
        assert ttl() == 30 * 86400
    finally:
        repo.create_indexes(read_ttl_days=90)
    assert ttl() == 90 * 86400
