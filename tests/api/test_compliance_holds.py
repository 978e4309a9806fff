"""AML/KYC/sanctions: donations that trip a rule are held, then approved (completed) or rejected (refunded)."""

from __future__ import annotations

from tests.support import race


def wallet(user):
    data = user.get("/api/wallet").json["data"]
    return data["balance"], data["held"], data["total_donated"]


def donate(user, charity, euros):
    return user.post("/api/donations/process", json={"onlus_id": charity, "amount": euros})


def test_over_the_aml_threshold_without_kyc_is_held_then_approved(user, admin, charity, db, fund):
    fund(user, 400)
    r = donate(user, charity, 300)  # >= EUR 250 single amount, no KYC
    assert (r.status_code, r.json["message"]) == (202, "DONATION_HELD_FOR_REVIEW")
    held = r.json["data"]
    assert held["status"] == "held" and held["receipt_number"] is None
    assert set(held["hold_reasons"]) == {"AML_SINGLE_AMOUNT", "KYC_REQUIRED"}
    assert wallet(user) == (100.0, 300.0, 0.0)  # out of the balance, waiting in held
    assert user.get(f"/api/donations/{held['id']}/receipt?format=json").status_code == 404
    assert db["hook_events"].count_documents({"name": "donation_complete"}) == 0

    listed = admin.get("/api/compliance/held").json["data"]
    assert listed["total"] == 1 and listed["items"][0]["id"] == held["id"]
    assert {c["rule"] for c in listed["items"][0]["hold"]["checks"]} == {"AML_SINGLE_AMOUNT", "KYC_REQUIRED"}

    r = admin.post(f"/api/compliance/held/{held['id']}/approve", json={"note": "documents checked"})
    assert r.status_code == 200 and r.json["data"]["status"] == "completed"
    assert r.json["data"]["receipt_number"].startswith("GP-")
    assert wallet(user) == (100.0, 0.0, 300.0)
    assert db["hook_events"].count_documents({"name": "donation_complete", "key": f"donation:{held['id']}"}) == 1
    assert user.get(f"/api/donations/{held['id']}/receipt?format=json").status_code == 200
    # exactly once: approving again answers the same, rejecting now is a conflict
    assert admin.post(f"/api/compliance/held/{held['id']}/approve", json={}).status_code == 200
    assert admin.post(f"/api/compliance/held/{held['id']}/reject", json={}).status_code == 409
    assert db["transactions"].count_documents({"type": "donated"}) == 1
    assert admin.get("/api/compliance/held").json["data"]["total"] == 0
    assert admin.post("/api/admin/wallets/integrity-check").json["data"]["discrepancies"] == []


def test_a_rejected_held_donation_returns_the_money_to_the_wallet(user, admin, charity, db, fund):
    fund(user, 300)
    held = donate(user, charity, 260).json["data"]
    r = admin.post(f"/api/compliance/held/{held['id']}/reject", json={"note": "could not verify"})
    assert r.status_code == 200 and r.json["data"]["status"] == "rejected"
    assert wallet(user) == (300.0, 0.0, 0.0)
    assert admin.post(f"/api/compliance/held/{held['id']}/approve", json={}).status_code == 409
    assert admin.post(f"/api/compliance/held/{held['id']}/reject", json={}).status_code == 200  # same answer
    assert db["transactions"].count_documents({"type": "unhold"}) == 1
    assert db["hook_events"].count_documents({"name": "donation_complete"}) == 0
    history = user.get("/api/donations/history?status=rejected").json["data"]
    assert history["total"] == 1


def test_racing_approve_and_reject_settle_a_held_donation_once(app, user, admin, charity, db, fund):
    fund(user, 300)
    held = donate(user, charity, 280).json["data"]

    def decide(i):
        c = app.test_client()  # the Flask test client is not thread-safe: one per thread
        action = "approve" if i % 2 else "reject"
        return action, c.post(f"/api/compliance/held/{held['id']}/{action}", json={}, headers=admin.headers).status_code

    codes = race(decide, 6)
    assert not [c for c in codes if isinstance(c, Exception)], codes
    final = db["donations"].find_one({})["status"]
    winner = "approve" if final == "completed" else "reject"
    assert all(code == (200 if action == winner else 409) for action, code in codes), codes
    balance, held_amount, donated = wallet(user)
    assert held_amount == 0.0
    assert (balance, donated) == ((20.0, 280.0) if final == "completed" else (300.0, 0.0))
    assert db["transactions"].count_documents({"type": "unhold"}) == 1


def test_kyc_approved_users_pass_the_kyc_rule(user, admin, charity, make_user, fund):
    fund(user, 500)
    assert user.get("/api/compliance/kyc").json["data"]["status"] == "none"
    bad = user.post(
        "/api/compliance/kyc",
        json={
            "full_name": "Ada Lovelace",
            "date_of_birth": "2015-01-01",
            "country": "IT",
            "document_type": "passport",
            "document_number": "YA1234567",
        },
    )
    assert bad.status_code == 422 and "date_of_birth" in bad.json["errors"]
    r = user.post(
        "/api/compliance/kyc",
        json={
            "full_name": "Ada Lovelace",
            "date_of_birth": "1990-12-10",
            "country": "IT",
            "document_type": "passport",
            "document_number": "YA1234567",
        },
    )
    assert r.status_code == 201 and r.json["data"]["status"] == "pending"
    listed = admin.get("/api/compliance/kyc/submissions?status=pending").json["data"]
    assert listed["items"][0]["data"]["document_number_last4"] == "4567"
    assert "document_number" not in listed["items"][0]["data"]
    assert admin.post(f"/api/compliance/kyc/{user.id}/review", json={"approve": True}).status_code == 200
    assert admin.post(f"/api/compliance/kyc/{user.id}/review", json={"approve": False}).status_code == 409
    assert admin.post(f"/api/compliance/kyc/{make_user().id}/review", json={"approve": True}).status_code == 404
    assert (
        user.post(
            "/api/compliance/kyc",
            json={
                "full_name": "Ada Lovelace",
                "date_of_birth": "1990-12-10",
                "country": "IT",
                "document_type": "passport",
                "document_number": "YA1234567",
            },
        ).status_code
        == 409
    )
    # EUR 200 in the window is over the KYC threshold (150) but under the AML single amount (250)
    r = donate(user, charity, 200)
    assert r.status_code == 201 and r.json["data"]["status"] == "completed"


def test_without_kyc_the_rolling_window_total_triggers_a_hold(user, admin, charity, fund):
    fund(user, 300)
    assert donate(user, charity, 100).status_code == 201
    r = donate(user, charity, 60)  # 160 in the window > 150 without KYC
    assert r.status_code == 202 and r.json["data"]["hold_reasons"] == ["KYC_REQUIRED"]


def test_sanctioned_names_are_held_for_review(client, make_user, admin, charity, fund):
    mario = make_user(first_name="Mário", last_name="Rossi")
    fund(mario, 10)
    assert donate(mario, charity, 1).status_code == 201  # not listed yet (and the list is now cached)
    r = admin.post("/api/compliance/sanctions", json={"name": "Rossi Mario", "note": "test list"})
    assert r.status_code == 201
    assert admin.post("/api/compliance/sanctions", json={"name": "mario  ROSSI"}).status_code == 201  # word order
    assert admin.post("/api/compliance/sanctions", json={"name": "Rossi Mario"}).status_code == 409
    r = donate(mario, charity, 5)
    assert r.status_code == 202 and r.json["data"]["hold_reasons"] == ["SANCTIONS_MATCH"]
    other = make_user(first_name="Maria", last_name="Rossi")
    fund(other, 10)
    assert donate(other, charity, 5).status_code == 201
    entries = admin.get("/api/compliance/sanctions").json["data"]
    assert len(entries) == 2
    assert admin.delete(f"/api/compliance/sanctions/{entries[0]['id']}").status_code == 200
    assert admin.delete(f"/api/compliance/sanctions/{entries[0]['id']}").status_code == 404
    assert admin.delete(f"/api/compliance/sanctions/{entries[1]['id']}").status_code == 200
    assert donate(mario, charity, 1).status_code == 201  # off the list: at once


def test_checks_are_recorded_and_reported_by_period(user, admin, charity, fund):
    fund(user, 400)
    donate(user, charity, 5)
    held = donate(user, charity, 300).json["data"]
    assert donate(user, charity, 0.1).status_code == 422  # refused by the minimum
    admin.post(f"/api/compliance/held/{held['id']}/reject", json={})
    checks = admin.get("/api/compliance/checks").json["data"]
    assert checks["total"] == 3
    assert {c["outcome"] for c in checks["items"]} == {"approved", "held", "refused"}
    assert admin.get("/api/compliance/checks?outcome=held").json["data"]["items"][0]["subject"]["id"] == held["id"]
    report = admin.get("/api/compliance/reports").json["data"]
    assert report["by_outcome"] == {"approved": 1, "held": 1, "refused": 1}
    assert report["by_rule"]["AML_SINGLE_AMOUNT"] == 1
    assert report["held_amount"] == 300.0
    assert report["held_decisions"]["rejected"] == 1
    empty = admin.get("/api/compliance/reports?from=2020-01-01&to=2020-01-31").json["data"]
    assert empty["checks_total"] == 0
    assert admin.get("/api/compliance/reports?from=2020-02-01&to=2020-01-01").status_code == 422


def test_too_many_donations_in_an_hour_from_one_user_or_one_address_are_held(
    app_factory, make_user, admin, charity, db, fund
):
    strict = app_factory(
        DONATION_FRAUD_LIMITS={"donations_per_user_hour": 3, "donations_per_ip_hour": 3}, TRUSTED_PROXIES=1
    ).test_client()

    def give(user, address):
        return strict.post(
            "/api/donations/process",
            json={"onlus_id": charity, "amount": 1},
            headers={**user.headers, "X-Forwarded-For": address},
        )

    ada, bob = make_user(), make_user()
    fund(ada, 10)
    fund(bob, 10)
    assert [give(ada, "10.0.0.1").status_code for _ in range(3)] == [201, 201, 201]
    by_user = give(ada, "10.0.0.2")  # a fourth in the hour, whatever the address
    assert (by_user.status_code, by_user.json["message"]) == (202, "DONATION_HELD_FOR_REVIEW")
    assert by_user.json["data"]["hold_reasons"] == ["DONATION_VELOCITY"]
    by_address = give(bob, "10.0.0.1")  # bob's first, but the address already gave three times
    assert by_address.status_code == 202 and by_address.json["data"]["hold_reasons"] == ["DONATION_VELOCITY"]
    assert give(bob, "10.0.0.3").status_code == 201
    flags = {
        (f["subject_type"], f["detail"]["count_last_hour"]) for f in db.fraud_flags.find({"kind": "DONATION_VELOCITY"})
    }
    assert flags == {("user", 3), ("ip", 3)}
    assert wallet(ada) == (6.0, 1.0, 3.0) and wallet(bob) == (8.0, 1.0, 1.0)


KYC = {
    "full_name": "Ada Admin",
    "date_of_birth": "1990-12-10",
    "country": "IT",
    "document_type": "passport",
    "document_number": "YA7654321",
}


def test_no_admin_decides_their_own_case(admin, make_admin, charity, fund, db):
    """Separation of duties: KYC review, held donations and wallet corrections need another admin."""
    colleague = make_admin()
    assert admin.post("/api/compliance/kyc", json=KYC).status_code in (200, 201)
    own = admin.post(f"/api/compliance/kyc/{admin.id}/review", json={"approve": True})
    assert (own.status_code, own.json["message"]) == (403, "OWN_CASE")
    assert admin.get("/api/compliance/kyc").json["data"]["status"] == "pending"  # nothing changed
    assert colleague.post(f"/api/compliance/kyc/{admin.id}/review", json={"approve": False}).status_code == 200

    credit = admin.post(
        f"/api/admin/wallets/{admin.id}/adjustments",
        json={"amount": 5, "direction": "credit", "reason": "paying myself"},
    )
    assert (credit.status_code, credit.json["message"]) == (403, "OWN_CASE")
    assert db["transactions"].count_documents({"user_id": admin.id}) == 0

    fund(admin, 400)
    held = donate(admin, charity, 300).json["data"]
    assert held["status"] == "held"
    for action in ("approve", "reject"):
        r = admin.post(f"/api/compliance/held/{held['id']}/{action}", json={})
        assert (r.status_code, r.json["message"]) == (403, "OWN_CASE")
    assert db["donations"].find_one({})["status"] == "held"
    assert colleague.post(f"/api/compliance/held/{held['id']}/approve", json={}).status_code == 200


def test_the_rolling_window_counts_completed_and_held_donations_but_not_rejected_ones(user, admin, charity, fund):
    fund(user, 500)
    held = donate(user, charity, 300).json["data"]  # held (AML single amount), then rejected: not given
    assert admin.post(f"/api/compliance/held/{held['id']}/reject", json={}).status_code == 200
    assert donate(user, charity, 100).status_code == 201
    assert donate(user, charity, 40).status_code == 201  # 140 in the window: under the KYC threshold (150)
    r = donate(user, charity, 20)  # 160
    assert r.status_code == 202 and r.json["data"]["hold_reasons"] == ["KYC_REQUIRED"]
    r = donate(user, charity, 1)  # the held 20 counts too
    assert r.status_code == 202 and r.json["data"]["hold_reasons"] == ["KYC_REQUIRED"]


def test_a_wallet_older_than_its_giving_summaries_is_screened_from_the_history(user, charity, fund, db):
    fund(user, 300)
    assert donate(user, charity, 100).status_code == 201
    # as a wallet written before the summaries existed looks
    db["wallets"].update_one(
        {"user_id": user.id}, {"$unset": {"giving_since": "", "giving_days": "", "donation_minutes": ""}}
    )
    r = donate(user, charity, 60)  # the 100 is only in the ledger: 160 in the window
    assert r.status_code == 202 and r.json["data"]["hold_reasons"] == ["KYC_REQUIRED"]
    kept = db["wallets"].find_one({"user_id": user.id})
    assert kept["giving_days"] == {kept["giving_since"].date().isoformat(): 6000}  # from now on, kept
    r = donate(user, charity, 1)  # the summary does not reach back 30 days yet: the ledger still answers
    assert r.status_code == 202 and r.json["data"]["hold_reasons"] == ["KYC_REQUIRED"]
