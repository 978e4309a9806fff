"""Journeys through the real server process (`python app.py`, embedded database) over real HTTP and a real
Socket.IO client: what a player and an administrator meet, end to end, with every figure cross-checked."""

from __future__ import annotations

import queue
import time
import uuid
from datetime import datetime

import pytest
import socketio

from app.donations.models.donations.onlus import tax_code_check_digit
from tests.support import wait_for

pytestmark = pytest.mark.e2e

ADMIN = {"email": "root@example.com", "password": "admin-pass-123"}


class Player:
    def __init__(self, server, first_name: str):
        self.server = server
        self.email = f"{first_name.lower()}-{uuid.uuid4().hex[:6]}@example.com"
        r = server.api(
            "POST",
            "/api/auth/register",
            json={"email": self.email, "password": "correct-horse-1", "first_name": first_name, "last_name": "Journey"},
        )
        assert r.status_code == 201, r.text
        self.id = r.json()["data"]["user"]["id"]
        self.token = r.json()["data"]["access_token"]
        self.events: queue.Queue = queue.Queue()
        self.sio: socketio.Client | None = None

    def call(self, method: str, path: str, expect: int | None = 200, **kw):
        r = self.server.api(method, path, self.token, **kw)
        if expect is not None:
            assert r.status_code == expect, f"{method} {path} -> {r.status_code} {r.text[:500]}"
        return r

    def data(self, method: str, path: str, expect: int = 200, **kw):
        return self.call(method, path, expect, **kw).json()["data"]

    def connect(self) -> None:
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("story_unlocked", lambda data: self.events.put(("story_unlocked", data)), namespace="/impact")
        self.sio.connect(self.server.url, namespaces=["/impact"], auth={"token": self.token}, wait_timeout=10)

    def close(self) -> None:
        if self.sio is not None:
            self.sio.disconnect()


def eventually(read, check, seconds: float = 15.0):
    """What a change sets off elsewhere (scores, boards, achievements, impact) follows its answer: read until
    it shows (an upper bound for a loaded machine, not a timing check)."""
    last: dict = {}

    def seen():
        last["value"] = read()
        return check(last["value"])

    assert wait_for(seen, seconds), f"never seen: {last.get('value')}"
    return last["value"]


def login_admin(server) -> Player:
    admin = Player.__new__(Player)
    admin.server, admin.sio = server, None
    r = server.api("POST", "/api/auth/login", json=ADMIN)
    assert r.status_code == 200, r.text
    admin.id, admin.token = r.json()["data"]["user"]["id"], r.json()["data"]["access_token"]
    return admin


def play(player: Player, game_id: str, pause: bool = False) -> dict:
    """A real session: seconds of server-measured play (optionally paused and resumed), then end."""
    session = player.data("POST", "/api/games/sessions", 201, json={"game_id": game_id})
    assert session["status"] == "active"
    started = time.monotonic()
    time.sleep(1.5)  # real play time, measured by the server
    if pause:
        assert player.data("POST", f"/api/games/sessions/{session['id']}/pause")["status"] == "paused"
        time.sleep(1.0)
        assert player.data("POST", f"/api/games/sessions/{session['id']}/resume")["status"] == "active"
        time.sleep(1.0)
    synced = player.data("PUT", f"/api/games/sessions/{session['id']}", json={"score": 0})
    assert synced["score"] == 0
    end = player.data("POST", f"/api/games/sessions/{session['id']}/end", json={"final_score": 0})
    end["wall_seconds"] = time.monotonic() - started
    assert end["session"]["status"] == "completed"
    return end


@pytest.fixture
def server(server_factory):
    return server_factory(GOODPLAY_ADMIN_EMAIL=ADMIN["email"], GOODPLAY_ADMIN_PASSWORD=ADMIN["password"]).start()


def test_player_journey_from_registration_to_a_story_pushed_live(server):
    admin = login_admin(server)
    # Real play at test speed lasts seconds; a generous rate makes those seconds worth cents (the defaults
    # pay EUR 0.01 a minute). Category rates would override the base rate, so they go too.
    rates = admin.data("GET", "/api/conversion-rates/current")
    admin.data(
        "PUT",
        "/api/conversion-rates/current",
        json={"base_rate_per_minute": 1, "category_rates": dict.fromkeys(rates.get("category_rates") or {})},
    )

    ada, bob = Player(server, "Ada"), Player(server, "Bob")
    try:
        ada.connect()
        bob.connect()

        games = ada.data("GET", "/api/games")
        assert games["total"] >= 3 and all(g["is_active"] for g in games["items"])
        game = ada.data("GET", f"/api/games/{games['items'][0]['id']}")

        # play, with a pause: credits with a breakdown, by the time `end` answers
        ended = play(ada, game["id"], pause=True)
        credits = ended["credits_earned"]
        assert credits > 0
        again = ada.data("POST", f"/api/games/sessions/{ended['session']['id']}/end", json={"final_score": 0})
        assert again["credits_earned"] == credits  # no double credit
        wallet = ada.data("GET", "/api/wallet")
        assert wallet["total_earned"] == wallet["balance"] == credits and wallet["currency"] == "EUR"
        [entry] = ada.data("GET", "/api/wallet/transactions")["items"]
        assert entry["key"] == f"session:{ended['session']['id']}" and entry["amount"] == credits
        breakdown = entry["breakdown"]
        assert 0 < breakdown["play_seconds"] <= ended["wall_seconds"] and breakdown["credited"] == credits

        # friends
        request = ada.data("POST", "/api/social/friends/requests", 201, json={"user_id": bob.id})
        assert request["status"] == "pending"
        assert [r["id"] for r in bob.data("GET", "/api/social/friends/requests")["incoming"]] == [request["id"]]
        bob.data("POST", f"/api/social/friends/requests/{request['id']}/accept")
        assert [f["id"] for f in ada.data("GET", "/api/social/friends")["items"]] == [bob.id]

        # Bob plays too; the friends leaderboard ranks both
        play(bob, game["id"])
        board = eventually(
            lambda: ada.data(
                "GET", "/api/social/leaderboards/gaming", params={"period": "all_time", "scope": "friends"}
            ),
            lambda b: {e["user_id"] for e in b["entries"]} == {ada.id, bob.id},
        )
        assert board["me"]["rank"] in (1, 2) and all(e["display_name"] for e in board["entries"])

        # achievement unlocked by the first session
        mine = eventually(
            lambda: {a["achievement_id"]: a for a in ada.data("GET", "/api/achievements/me")},
            lambda m: m["first_session"]["unlocked"],
        )
        assert mine["first_session"]["progress"] >= 1

        # Crossing EUR 10 by play alone takes hours; an admin adjustment (through the ledger) tops Ada up.
        admin.data(
            "POST",
            f"/api/admin/wallets/{ada.id}/adjustments",
            201,
            json={"amount": 10, "direction": "credit", "reason": "e2e journey top-up"},
        )

        onlus = next(o for o in ada.data("GET", "/api/onlus")["items"] if o["is_verified"])
        key = {"Idempotency-Key": f"journey-{uuid.uuid4().hex}"}
        donation = ada.data(
            "POST", "/api/donations/process", 201, json={"onlus_id": onlus["id"], "amount": 10}, headers=dict(key)
        )
        assert donation["status"] == "completed" and donation["amount"] == 10
        replay = ada.data(
            "POST", "/api/donations/process", 201, json={"onlus_id": onlus["id"], "amount": 10}, headers=dict(key)
        )
        assert replay["id"] == donation["id"]  # debited once
        wallet = ada.data("GET", "/api/wallet")
        assert wallet["total_donated"] == 10 and wallet["balance"] == round(credits + 10 - 10, 2)
        ledger = ada.data("GET", "/api/wallet/transactions")["items"]
        assert round(sum(e["amount"] for e in ledger), 2) == wallet["balance"]

        receipt = ada.call("GET", f"/api/donations/{donation['id']}/receipt")
        assert receipt.headers["Content-Type"].startswith("application/pdf") and receipt.content.startswith(b"%PDF")
        numbered = ada.data("GET", f"/api/donations/{donation['id']}")  # numbered after the answer, or by now
        assert numbered["receipt_number"].startswith("GP-")
        bob.call("GET", f"/api/donations/{donation['id']}/receipt", expect=404)

        # the EUR 10 milestone story, pushed live to Ada's socket and nobody else's
        name, pushed = ada.events.get(timeout=15)
        assert name == "story_unlocked" and pushed["story"]["id"] and pushed["story"]["title"]
        assert bob.events.empty()
        story = ada.data("GET", f"/api/impact/stories/{pushed['story']['id']}")
        assert story["title"] == pushed["story"]["title"]
        unlocked = ada.data("GET", "/api/impact/stories/available")
        assert pushed["story"]["id"] in [s["id"] for s in unlocked["items"]]

        eventually(
            lambda: {a["achievement_id"]: a for a in ada.data("GET", "/api/achievements/me")},
            lambda m: m["first_donation"]["unlocked"],
        )

        # impact summary and the monthly report agree with the ledger
        summary = eventually(lambda: ada.data("GET", f"/api/impact/user/{ada.id}"), lambda s: s["donation_count"])
        assert summary["total_donated"] == wallet["total_donated"] == 10
        assert summary["donation_count"] == 1 and summary["stories_unlocked"] >= 1
        assert summary["total_earned"] == wallet["total_earned"]
        now = datetime.fromisoformat(donation["created_at"].removesuffix("Z"))  # the server's month
        report = admin.data(
            "POST",
            "/api/impact/admin/reports/generate",
            201,
            json={"report_type": "monthly", "year": now.year, "month": now.month},
        )
        admin.data("POST", f"/api/impact/admin/reports/{report['id']}/publish")
        published = ada.data("GET", f"/api/impact/reports/monthly/{now.year}/{now.month}")
        assert published["total_donations"] == 10 and published["donation_count"] == 1
        assert published["total_donors"] == 1
    finally:
        ada.close()
        bob.close()


def test_admin_journey_rates_onlus_refund_and_reconciliation(server):
    admin = login_admin(server)
    cara = Player(server, "Cara")
    cara.call("PUT", "/api/conversion-rates/current", expect=403, json={"base_rate_per_minute": 0.5})

    # conversion rates: a new current version, the old one kept as history
    before = admin.data("GET", "/api/conversion-rates/current")
    after = admin.data("PUT", "/api/conversion-rates/current", json={"base_rate_per_minute": 0.02, "note": "e2e raise"})
    assert after["base_rate_per_minute"] == 0.02
    assert cara.data("GET", "/api/conversion-rates/current")["base_rate_per_minute"] == 0.02
    history = admin.data("GET", "/api/conversion-rates/history")["items"]
    assert before["base_rate_per_minute"] in [h["base_rate_per_minute"] for h in history] and len(history) >= 2

    # a new ONLUS takes no donation until verified
    first_ten = f"9{uuid.uuid4().int % 10**9:09d}"
    tax_code = first_ten + str(tax_code_check_digit(first_ten))
    onlus = admin.data(
        "POST",
        "/api/admin/onlus",
        201,
        json={
            "name": f"Sea Shepherds {uuid.uuid4().hex[:4]}",
            "category": "environment",
            "tax_code": tax_code,
            "description": "e2e",
        },
    )
    assert onlus["is_verified"] is False
    admin.data(
        "POST",
        f"/api/admin/wallets/{cara.id}/adjustments",
        201,
        json={"amount": 20, "direction": "credit", "reason": "e2e admin journey"},
    )
    refused = cara.call("POST", "/api/donations/process", expect=422, json={"onlus_id": onlus["id"], "amount": 5})
    assert refused.json()["message"] == "ONLUS_NOT_ACCEPTING_DONATIONS"
    assert cara.data("GET", "/api/wallet")["balance"] == 20  # nothing changed
    verified = admin.data("POST", f"/api/admin/onlus/{onlus['id']}/verify", json={"decision": "verified"})
    assert verified["is_verified"] is True
    donation = cara.data("POST", "/api/donations/process", 201, json={"onlus_id": onlus["id"], "amount": 5})
    assert cara.data("GET", "/api/wallet")["balance"] == 15

    # refund: a new linked ledger entry; wallet, history and impact all net it out
    admin.data("POST", f"/api/admin/donations/{donation['id']}/refund", json={"reason": "e2e refund"})
    wallet = cara.data("GET", "/api/wallet")
    assert wallet["balance"] == 20 and wallet["total_donated"] == 0
    ledger = cara.data("GET", "/api/wallet/transactions")["items"]
    assert sorted(e["type"] for e in ledger) == ["adjustment", "donated", "refund"]
    assert round(sum(e["amount"] for e in ledger), 2) == 20
    assert cara.data("GET", f"/api/donations/{donation['id']}")["status"] == "refunded"
    eventually(lambda: cara.data("GET", f"/api/impact/user/{cara.id}"), lambda s: s["total_donated"] == 0)
    again = admin.call("POST", f"/api/admin/donations/{donation['id']}/refund", expect=None, json={"reason": "twice"})
    assert again.status_code in (200, 409)  # never refunded twice
    assert cara.data("GET", "/api/wallet")["balance"] == 20

    # reconciliation: every balance equals the sum of its ledger
    check = admin.data("POST", "/api/admin/wallets/integrity-check")
    assert check["wallets_checked"] >= 1 and check["discrepancies"] == [], check
    assert admin.data("GET", f"/api/admin/wallets/{cara.id}")["balance"] == 20

    # held donation review: a sanctions hit holds the donation until an admin decides
    dan = Player(server, "Dan")
    admin.data(
        "POST",
        f"/api/admin/wallets/{dan.id}/adjustments",
        201,
        json={"amount": 10, "direction": "credit", "reason": "e2e held review"},
    )
    admin.data("POST", "/api/compliance/sanctions", 201, json={"name": "Dan Journey", "note": "e2e"})
    held = dan.call("POST", "/api/donations/process", expect=202, json={"onlus_id": onlus["id"], "amount": 4})
    held = held.json()["data"]
    assert held["status"] == "held"
    assert dan.data("GET", "/api/wallet")["balance"] == 6  # moved aside, not lost
    queue = admin.data("GET", "/api/compliance/held")["items"]
    assert [d["id"] for d in queue] == [held["id"]]
    dan.call("GET", "/api/compliance/held", expect=403)
    dan.call("POST", f"/api/compliance/held/{held['id']}/approve", expect=403, json={"note": "self-service"})
    approved = admin.data("POST", f"/api/compliance/held/{held['id']}/approve", json={"note": "false positive"})
    assert approved["status"] == "completed" and approved["receipt_number"]
    assert admin.data("GET", "/api/compliance/held")["items"] == []
    wallet = dan.data("GET", "/api/wallet")
    assert wallet["balance"] == 6 and wallet["total_donated"] == 4

    # reconciliation over everything this journey did, and a dashboard that agrees with the ledger
    run = admin.data("POST", "/api/admin/financial/reconciliation", 201)
    assert run["discrepancy_count"] == 0, run
    cara.call("POST", "/api/admin/financial/reconciliation", expect=403)
    dashboard = admin.data("GET", "/api/admin/financial/dashboard?refresh=true")
    assert dashboard["totals"]["donated"] == 9 and dashboard["totals"]["refunded"] == 5
    assert dashboard["totals"]["net"] == 4 and dashboard["totals"]["donation_count"] == 2
    cara.call("GET", "/api/admin/financial/dashboard", expect=403)
