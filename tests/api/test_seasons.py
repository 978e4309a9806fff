"""Leaderboard seasons: defined by an operator, scored from the days inside them, archived when they end, with
their rewards (a badge, a bonus credited through the ledger) granted once and notified."""

from __future__ import annotations

from datetime import datetime

import time_machine

from tests.support import announce_donation

SEASON = {
    "name": "Spring Season",
    "starts_on": "2027-05-03",
    "ends_on": "2027-05-09",
    "boards": ["donations"],
    "rewards": [
        {"rank_from": 1, "rank_to": 1, "badge": "spring_champion", "bonus": 5},
        {"rank_from": 2, "rank_to": 3, "bonus": 1},
    ],
}


def frozen(*at):
    return time_machine.travel(datetime(*at), tick=False)


def signed_in(client, user):
    tokens = client.post("/api/auth/login", json={"email": user.email, "password": user.password}).json["data"]
    user.access_token = tokens["access_token"]
    return user


def test_a_season_ends_archived_and_rewarded_once(app, client, container, make_admin, make_user):
    with frozen(2027, 5, 1, 12):
        admin = make_admin()
        created = admin.post("/api/admin/seasons", json=SEASON)
        assert created.status_code == 201, created.json
        season_id = created.json["data"]["id"]
        assert created.json["data"]["state"] == "scheduled"
        ada, bob, cy, dee = (make_user(n) for n in ("Ada", "Bob", "Cy", "Dee"))
    with app.app_context():
        announce_donation(container, dee.id, 90, at=datetime(2027, 5, 2, 23, 59))  # the day before: not counted
        announce_donation(container, ada.id, 30, at=datetime(2027, 5, 3, 0, 0))
        announce_donation(container, bob.id, 20, at=datetime(2027, 5, 6, 12))
        announce_donation(container, cy.id, 20, at=datetime(2027, 5, 9, 23, 59))
        announce_donation(container, dee.id, 10, at=datetime(2027, 5, 9, 18))
        announce_donation(container, bob.id, 50, at=datetime(2027, 5, 10, 0, 0))  # the day after: not counted

    with frozen(2027, 5, 9, 20):
        signed_in(client, ada)
        assert ada.get(f"/api/social/seasons/{season_id}").json["data"]["state"] == "active"
        early = ada.get(f"/api/social/seasons/{season_id}/standings?board=donations")
        assert early.status_code == 409 and early.json["message"] == "SEASON_NOT_ARCHIVED"
        assert container.social.seasons.close_due()["closed"] == 0

    with frozen(2027, 5, 10, 0, 5), app.app_context():
        balances = {u.id: container.donations.wallet.get_wallet(u.id)["balance_cents"] for u in (ada, bob, cy, dee)}
        assert container.social.seasons.close_due() == {"closed": 1, "rewards": 3}
        assert container.social.seasons.close_due() == {"closed": 0, "rewards": 0}  # the job again: nothing more
        again = container.social.seasons  # even a rerun of a season's close (a crash before it was marked)
        container.infra.db["seasons"].update_one({}, {"$set": {"archived_at": None}})
        assert again.close_due()["closed"] == 1
        after = {u.id: container.donations.wallet.get_wallet(u.id)["balance_cents"] for u in (ada, bob, cy, dee)}

    # Ada 30, Bob and Cy 20 (tied, both 2nd), Dee 10
    assert {u: after[u] - balances[u] for u in after} == {ada.id: 500, bob.id: 100, cy.id: 100, dee.id: 0}
    with frozen(2027, 5, 10, 1):
        for user in (ada, bob, dee):
            signed_in(client, user)
        standings = bob.get(f"/api/social/seasons/{season_id}/standings?board=donations&per_page=2").json["data"]
        assert [(r["rank"], r["user_id"], r["score"]) for r in standings["items"]] == [
            (1, ada.id, 30.0),
            (2, min(bob.id, cy.id), 20.0),
        ]
        assert standings["total"] == 4 and standings["total_pages"] == 2
        assert standings["me"] == {"rank": 2, "score": 20.0}
        assert ada.get(f"/api/social/seasons/{season_id}").json["data"]["state"] == "archived"

        [prize] = ada.get("/api/social/seasons/me/rewards").json["data"]
        assert (prize["rank"], prize["badge"], prize["bonus"], prize["score"]) == (1, "spring_champion", 5.0, 30.0)
        assert dee.get("/api/social/seasons/me/rewards").json["data"] == []
        notices = [n for n in ada.get("/api/notifications").json["data"]["items"] if n["kind"] == "season_reward"]
        assert (len(notices) == 1 and "#1" in notices[0]["body"] and "EUR" in notices[0]["body"]) or "€" in notices[0][
            "body"
        ]
        entries = ada.get("/api/wallet/transactions?type=bonus").json["data"]["items"]
        assert [(e["amount"], e["source"]["kind"]) for e in entries] == [(5.0, "season")]


def test_an_opted_out_player_is_listed_only_to_themselves(app, client, container, make_admin, make_user):
    with frozen(2027, 5, 1, 12):
        make_admin().post("/api/admin/seasons", json={**SEASON, "rewards": []})
        ada, bob = make_user("Ada"), make_user("Bob")
        assert bob.put("/api/preferences", json={"privacy": {"show_on_leaderboards": False}}).status_code == 200
    with app.app_context():
        announce_donation(container, ada.id, 5, at=datetime(2027, 5, 4))
        announce_donation(container, bob.id, 9, at=datetime(2027, 5, 4))
    with frozen(2027, 5, 10, 1), app.app_context():
        container.social.seasons.close_due()
        season_id = str(container.infra.db["seasons"].find_one()["_id"])
    with frozen(2027, 5, 10, 2):
        seen_by_ada = signed_in(client, ada).get(f"/api/social/seasons/{season_id}/standings?board=donations")
        seen_by_bob = signed_in(client, bob).get(f"/api/social/seasons/{season_id}/standings?board=donations")
        assert [r["user_id"] for r in seen_by_ada.json["data"]["items"]] == [ada.id]
        assert seen_by_ada.json["data"]["me"] == {"rank": 2, "score": 5.0}
        assert [r["user_id"] for r in seen_by_bob.json["data"]["items"]] == [bob.id, ada.id]


def test_season_input_is_checked_and_only_a_future_season_is_cancelled(admin, user):
    for body in (
        {**SEASON, "ends_on": "2027-05-01"},
        {**SEASON, "starts_on": "2020-01-01", "ends_on": "2020-01-31"},
        {**SEASON, "rewards": [{"rank_from": 3, "rank_to": 1, "bonus": 1}]},
        {**SEASON, "rewards": [{"rank_from": 1, "rank_to": 2, "bonus": 1}, {"rank_from": 2, "rank_to": 3, "bonus": 1}]},
        {**SEASON, "rewards": [{"rank_from": 1, "rank_to": 1}]},
    ):
        response = admin.post("/api/admin/seasons", json=body)
        assert response.status_code == 422 and response.json["message"] == "INVALID_SEASON", (body, response.json)
    assert admin.post("/api/admin/seasons", json={**SEASON, "boards": ["nope"]}).json["message"] == "VALIDATION_ERROR"
    assert user.post("/api/admin/seasons", json=SEASON).status_code == 403
    assert admin.get("/api/social/seasons").json["data"]["total"] == 0

    future = {**SEASON, "starts_on": "2999-01-01", "ends_on": "2999-01-31"}
    season_id = admin.post("/api/admin/seasons", json=future).json["data"]["id"]
    assert admin.delete(f"/api/admin/seasons/{season_id}").status_code == 200
    assert admin.get(f"/api/social/seasons/{season_id}").status_code == 404
