"""The whole money path through the public API: play -> credits -> donation -> receipt, all agreeing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine


@pytest.fixture
def app(app_factory):
    return app_factory(SEED_DEMO_DATA=True, DONATION_PDF_COMPRESS=False)


def test_play_earn_donate_receipt_agree(app, client, user, db):
    games = client.get("/api/games").json["data"]["items"]
    game = games[0]
    start = datetime.now(UTC) + timedelta(seconds=1)  # tokens stay valid: under an hour
    with time_machine.travel(start, tick=False) as traveller:
        r = user.post("/api/games/sessions", json={"game_id": game["id"]})
        assert r.status_code == 201, r.json
        session_id = r.json["data"]["id"]
        traveller.move_to(start + timedelta(minutes=55))
        end = user.post(f"/api/games/sessions/{session_id}/end", json={"final_score": 100})
        assert end.status_code == 200, end.json
        again = user.post(f"/api/games/sessions/{session_id}/end", json={"final_score": 100})

        rates = client.get("/api/conversion-rates/current").json["data"]
        rate = rates["category_rates"].get(game["category"], rates["base_rate_per_minute"])
        credited = end.json["data"]["credits_earned"]
        assert credited >= 0.55  # 55 min at >= EUR 0.01
        assert again.json["data"]["credits_earned"] == credited
        entries = user.get("/api/wallet/transactions").json["data"]["items"]
        assert len(entries) == 1
        entry = entries[0]
        assert entry["key"] == f"session:{session_id}" and entry["amount"] == credited
        breakdown = entry["breakdown"]
        assert breakdown["play_seconds"] == 55 * 60 and breakdown["rate_per_minute"] == rate
        expected_cents = int(55 * rate * breakdown["total_multiplier"] * 100 + 1e-9)
        assert round(breakdown["credited"] * 100) == expected_cents == round(credited * 100)
        assert breakdown["gross"] >= breakdown["credited"] and breakdown["held"] == 0

        onlus = client.get("/api/onlus").json["data"]["items"][0]
        donation = user.post("/api/donations/process", json={"onlus_id": onlus["id"], "amount": 0.5})
        assert donation.status_code == 201, donation.json
        donation = donation.json["data"]
        wallet = user.get("/api/wallet").json["data"]
        assert wallet["total_earned"] == credited and wallet["total_donated"] == 0.5
        assert wallet["balance"] == round(credited - 0.5, 2)
        ledger = user.get("/api/wallet/transactions").json["data"]["items"]
        assert round(sum(e["amount"] for e in ledger), 2) == wallet["balance"]
        assert user.get("/api/donations/history").json["data"]["items"][0]["id"] == donation["id"]
        receipt = user.get(f"/api/donations/{donation['id']}/receipt")
        assert receipt.data.startswith(b"%PDF") and donation["receipt_number"].encode() in receipt.data
        assert onlus["tax_code"].encode() in receipt.data
