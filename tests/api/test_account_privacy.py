"""Your data, yours: the export holds every collection a user's journey wrote; deletion keeps the money
records consistent and leaves no personal data behind."""

from __future__ import annotations

import pytest
from bson import ObjectId

from tests.support import REALTIME_NAMESPACE, ended_within

FIRST, LAST = "Zephyrine", "Quillbottom"

# Collections that name the user but are not theirs to take away, and why.
NOT_EXPORTED = {
    "account_tokens": "pending email and reset links (secrets)",
    "refresh_tokens": "the server's session bookkeeping (revoked on deletion)",
    "hook_events": "the server's event outbox",
    "social_processed": "markers of events already applied",
    "social_donations": "a copy of the donations, which are exported",
    "notification_cursors": "which broadcasts were copied into the inbox",
    "fraud_flags": "the platform's fraud screening",
    "simulated_payments": "the card provider's own records (Stripe's, outside GoodPlay, in production)",
}


def mentions(value, needles) -> bool:
    if isinstance(value, dict):
        return any(mentions(k, needles) or mentions(v, needles) for k, v in value.items())
    if isinstance(value, list):
        return any(mentions(v, needles) for v in value)
    if isinstance(value, ObjectId):
        value = str(value)
    return isinstance(value, str) and any(n in value.lower() for n in needles)


def holding(db, needles) -> dict[str, int]:
    """{collection: documents mentioning any of `needles`} over the whole database."""
    found = {}
    for name in db.list_collection_names():
        n = sum(1 for doc in db[name].find({}) if mentions(doc, needles))
        if n:
            found[name] = n
    return found


@pytest.fixture
def journey(make_user, admin, fund, charity, clock, confirm_email):
    """Zephyrine plays, donates, befriends Bob, blocks Eve, submits KYC, founds a team, mistypes her
    password; Bob and Cy play too, below her on the board."""
    zed = make_user(FIRST, LAST)
    bob, cy, eve = make_user("Bob"), make_user("Cy"), make_user("Eve")
    confirm_email(zed)
    for player, score in ((zed, 900), (bob, 500), (cy, 300)):
        started = player.post("/api/games/sessions", json={"game_id": "eco_quiz"})
        clock.advance(minutes=3)
        ended = player.post(f"/api/games/sessions/{started.json['data']['id']}/end", json={"final_score": score})
        assert ended.status_code == 200, ended.json
    fund(zed, 30)
    assert zed.post("/api/donations/process", json={"onlus_id": charity, "amount": 12}).status_code == 201
    request = zed.post("/api/social/friends/requests", json={"user_id": bob.id})
    assert bob.post(f"/api/social/friends/requests/{request.json['data']['id']}/accept").status_code == 200
    assert zed.post("/api/social/blocks", json={"user_id": eve.id}).status_code in (200, 201)
    kyc = {
        "full_name": f"{FIRST} {LAST}",
        "date_of_birth": "1990-12-10",
        "country": "IT",
        "document_type": "passport",
        "document_number": "YA7654321",
    }
    assert zed.post("/api/compliance/kyc", json=kyc).status_code in (200, 201)
    assert zed.post("/api/games/teams", json={"name": "Quiz Owls"}).status_code == 201
    assert zed.post("/api/auth/login", json={"email": zed.email, "password": "not-my-password-1"}).status_code == 401
    assert zed.put("/api/user/profile", json={"first_name": FIRST}).status_code == 200
    intent = zed.post("/api/payments/intents", json={"onlus_id": charity, "amount": 6}).json["data"]
    assert zed.post(f"/api/payments/intents/{intent['id']}/confirm", json={}).status_code == 200
    challenge = zed.post("/api/games/challenges", json={"game_id": "eco_quiz", "opponent_ids": [bob.id]})
    assert challenge.status_code == 201, challenge.json
    return zed, bob, cy


def test_the_export_holds_every_collection_the_journey_wrote_about_the_user(journey, db):
    zed, _, _ = journey
    written = holding(db, [zed.id, zed.email.lower()])
    response = zed.get("/api/user/export")
    assert response.status_code == 200, response.json
    assert response.headers["Cache-Control"] == "no-store"
    export = response.json["data"]
    assert export["user_id"] == zed.id
    collections = export["collections"]
    missing = set(written) - set(collections) - set(NOT_EXPORTED)
    assert not missing, f"written about the user but not exported: {missing}"

    [profile] = collections["users"]
    assert profile["email"] == zed.email and profile["first_name"] == FIRST and "password_hash" not in profile
    donations = collections["donations"]
    assert sorted((d["source"], d["amount"]) for d in donations) == [("card", 6.0), ("wallet", 12.0)]
    assert {r["receipt_number"] for r in collections["receipts"]} == {d["receipt_number"] for d in donations}
    assert {e["type"] for e in collections["transactions"]} >= {"earned", "adjustment", "donated"}
    assert collections["kyc_records"][0]["data"]["full_name"] == f"{FIRST} {LAST}"
    assert any(a["action"] == "auth.login_failed" for a in collections["audit_log"])
    assert len(collections["user_relationships"]) == 2  # Bob (friends) and Eve (blocked)
    actions = [a["action"] for a in zed.get("/api/user/export").json["data"]["collections"]["audit_log"]]
    assert "account.exported" in actions


def test_deleting_the_account_erases_the_person_and_keeps_the_books(
    journey, db, admin, charity, client, app, container
):
    zed, bob, cy = journey
    sock = container.infra.socketio.test_client(app, namespace=REALTIME_NAMESPACE, auth={"token": zed.access_token})
    assert sock.is_connected(REALTIME_NAMESPACE)
    email, user_id = zed.email, zed.id
    before = bob.get("/api/social/leaderboards/gaming?period=all_time").json["data"]
    assert [e["user_id"] for e in before["entries"][:3]] == [zed.id, bob.id, cy.id]

    assert zed.delete("/api/user", json={"password": "wrong-password-1"}).status_code == 401
    refused = zed.delete("/api/user", json={"password": zed.password})
    assert refused.status_code == 409 and refused.json["message"] == "WALLET_NOT_EMPTY"
    balance = zed.get("/api/wallet").json["data"]["balance"]
    assert refused.json["data"] == {"balance": balance, "minimum": 0.5}
    assert zed.get("/api/user/profile").status_code == 200  # nothing happened

    deleted = zed.delete("/api/user", json={"password": zed.password, "donate_balance_to": charity})
    assert deleted.status_code == 200, deleted.json
    assert deleted.json["message"] == "ACCOUNT_DELETED"
    assert deleted.json["data"]["balance_donated"] == balance and deleted.json["data"]["onlus_id"] == charity

    assert zed.get("/api/user/profile").status_code == 401  # signed out everywhere, sockets too
    assert ended_within(sock) == "TOKEN_REVOKED"

    # nobody's screen shows her any more
    assert user_id not in [f["id"] for f in bob.get("/api/social/friends").json["data"]["items"]]
    after = bob.get("/api/social/leaderboards/gaming?period=all_time").json["data"]
    assert [e["user_id"] for e in after["entries"][:2]] == [bob.id, cy.id]
    assert after["me"]["rank"] == 1

    # no personal data is left anywhere
    assert holding(db, [email.lower(), FIRST.lower(), LAST.lower()]) == {}

    # the books stay whole: her donations and receipts are kept, naming nobody
    check = admin.post("/api/admin/wallets/integrity-check")
    assert check.status_code in (200, 201) and check.json["data"]["discrepancies"] == []
    receipts = list(db["receipts"].find({"user_id": user_id}))
    assert len(receipts) == 3 and all(r["deleted"] and r["donor"]["name"] == "Deleted user" for r in receipts)
    assert db["transactions"].count_documents({"user_id": user_id}) >= 4
    wallet = db["wallets"].find_one({"user_id": user_id})
    assert wallet["balance_cents"] == 0

    # the password opens nothing (a login tried now is a new entry in the audit log), and the address can
    # register again, as a new account
    login = client.post("/api/auth/login", json={"email": email, "password": zed.password})
    assert login.status_code == 401
    again = client.post(
        "/api/auth/register",
        json={"email": email, "password": "a-new-start-1", "first_name": FIRST, "last_name": LAST},
    )
    assert again.status_code == 201, again.json
    assert again.json["data"]["user"]["id"] != user_id


def test_a_balance_below_the_minimum_is_forfeited_through_the_ledger(make_user, fund, admin, db):
    ada = make_user("Ada")
    fund(ada, 0.3)
    deleted = ada.delete("/api/user", json={"password": ada.password})
    assert deleted.status_code == 200, deleted.json
    assert deleted.json["data"] == {"balance_forfeited": 0.3}
    [entry] = list(db["transactions"].find({"user_id": ada.id, "amount_cents": -30}))
    assert entry["type"] == "adjustment"
    assert admin.post("/api/admin/wallets/integrity-check").json["data"]["discrepancies"] == []


def test_money_under_review_blocks_the_deletion(make_user, fund, charity):
    ada = make_user("Ada")
    fund(ada, 400)
    held = ada.post("/api/donations/process", json={"onlus_id": charity, "amount": 300})
    assert held.status_code == 202, held.json
    refused = ada.delete("/api/user", json={"password": ada.password, "donate_balance_to": charity})
    assert refused.status_code == 409 and refused.json["message"] == "DONATION_UNDER_REVIEW"
    assert refused.json["data"] == {"held": 300.0}
    assert ada.get("/api/user/profile").status_code == 200


def test_bad_deletion_requests_change_nothing(make_user, fund, make_onlus):
    ada = make_user("Ada")
    fund(ada, 5)
    unverified = make_onlus("Not Yet", verify=False)
    assert ada.delete("/api/user", json={}).status_code == 422
    assert ada.delete("/api/user", json={"password": ada.password, "extra": 1}).status_code == 422
    for onlus_id, status, message in (
        ("nope", 404, "ONLUS_NOT_FOUND"),
        ("0" * 24, 404, "ONLUS_NOT_FOUND"),
        (unverified, 422, "ONLUS_NOT_ACCEPTING_DONATIONS"),
    ):
        refused = ada.delete("/api/user", json={"password": ada.password, "donate_balance_to": onlus_id})
        assert (refused.status_code, refused.json["message"]) == (status, message)
    assert ada.get("/api/wallet").json["data"]["balance"] == 5.0
    assert ada.get("/api/user/profile").status_code == 200


def test_an_empty_account_is_deleted_at_once_and_audited(make_user, admin):
    ada = make_user("Ada")
    deleted = ada.delete("/api/user", json={"password": ada.password})
    assert deleted.status_code == 200 and deleted.json["data"] == {}
    log = admin.get(f"/api/admin/audit?target_id={ada.id}").json["data"]["items"]
    assert "account.deleted" in [entry["action"] for entry in log]
