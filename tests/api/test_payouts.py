"""Payouts: a closed month's disbursement is scheduled by the batch, then paid with a transfer, failed or
reversed by an admin; reconciliation checks donations = disbursed + pending per ONLUS and month; each ONLUS
has a public statement."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
import time_machine

from app.core.clock import utcnow
from app.core.errors import Conflict


def last_month() -> tuple[str, datetime]:
    """The month before now (closed: a batch may pay it) and a moment inside it."""
    first = utcnow().replace(day=1, hour=12, minute=0, second=0, microsecond=0)
    inside = (first - timedelta(days=1)).replace(day=10)
    return f"{inside.year:04d}-{inside.month:02d}", inside


@pytest.fixture
def charities(make_onlus):
    return make_onlus("Scuole Aperte", "education"), make_onlus("Mare Pulito", "environment")


@pytest.fixture
def scheduled(admin, make_user, charities, container, fund):
    """Last month: 12.50 EUR to the first charity (two donors), 4 EUR to the second; its batch has run.
    Returns (period, {onlus_id: disbursement id})."""
    period, inside = last_month()
    ada, bob = make_user(), make_user()
    fund(ada, 50)
    fund(bob, 50)
    donations = container.donations.donations
    with time_machine.travel(inside, tick=False):
        donations.process(ada.id, onlus_id=charities[0], amount_cents=1000)
        donations.process(bob.id, onlus_id=charities[0], amount_cents=250)
        donations.process(bob.id, onlus_id=charities[1], amount_cents=400)
    batch = admin.post("/api/batch/disbursements", json={"period": period})
    assert batch.status_code == 201, batch.json
    run = admin.post(f"/api/batch/operations/{batch.json['data']['id']}/run", json={})
    assert run.json["data"]["status"] == "completed"
    return period, {c: f"{period}:{c}" for c in charities}


def reconcile(admin) -> dict:
    run = admin.post("/api/admin/financial/reconciliation").json["data"]
    found = admin.get(f"/api/admin/financial/reconciliation/{run['id']}/discrepancies").json["data"]["items"]
    return {"run": run, "found": [(d["kind"], d["subject"]) for d in found]}


def test_the_batch_schedules_one_disbursement_per_onlus_listed_for_admins(admin, user, scheduled, charities):
    period, ids = scheduled
    listing = admin.get("/api/admin/disbursements", query_string={"period": period})
    assert listing.status_code == 200
    rows = {d["onlus_id"]: d for d in listing.json["data"]["items"]}
    assert {c: (rows[c]["amount"], rows[c]["status"]) for c in charities} == {
        charities[0]: (12.5, "scheduled"),
        charities[1]: (4.0, "scheduled"),
    }
    assert rows[charities[0]]["id"] == ids[charities[0]] and rows[charities[0]]["reference"] is None
    only = admin.get("/api/admin/disbursements", query_string={"onlus_id": charities[1].upper()}).json["data"]
    assert [d["id"] for d in only["items"]] == [ids[charities[1]]]
    assert user.get("/api/admin/disbursements").status_code == 403
    assert user.get(f"/api/admin/disbursements/{ids[charities[0]]}").status_code == 403


def test_paid_reversed_and_paid_again_with_every_step_in_the_history(admin, scheduled, charities):
    _, ids = scheduled
    one = ids[charities[0]]
    paid = admin.post(f"/api/admin/disbursements/{one}/paid", json={"bank_reference": "SEPA-2026-0001"})
    assert paid.status_code == 200 and paid.json["message"] == "DISBURSEMENT_PAID"
    body = paid.json["data"]
    assert (body["status"], body["reference"], body["reference_kind"]) == ("paid", "SEPA-2026-0001", "bank")
    assert body["paid_at"] and body["history"][-1]["actor_id"] == admin.id

    # the same request again (a retry) changes nothing; another reference is a conflict
    again = admin.post(f"/api/admin/disbursements/{one}/paid", json={"bank_reference": "SEPA-2026-0001"})
    assert again.status_code == 200 and again.json["message"] == "DISBURSEMENT_UNCHANGED"
    assert len(again.json["data"]["history"]) == 2
    other = admin.post(f"/api/admin/disbursements/{one}/paid", json={"bank_reference": "SEPA-2026-0002"})
    assert other.status_code == 409 and other.json["message"] == "DISBURSEMENT_STATE_CONFLICT"

    back = admin.post(f"/api/admin/disbursements/{one}/reversal", json={"reason": "Account closed by the bank"})
    assert back.status_code == 200 and back.json["message"] == "DISBURSEMENT_REVERSED"
    assert (back.json["data"]["status"], back.json["data"]["reference"]) == ("reversed", None)
    assert back.json["data"]["history"][-1]["reference"] == "SEPA-2026-0001"  # what came back stays on record

    repaid = admin.post(f"/api/admin/disbursements/{one}/paid", json={"provider_transfer_id": "tr_1Q2w3E4r"})
    assert repaid.status_code == 200
    assert (repaid.json["data"]["reference"], repaid.json["data"]["reference_kind"]) == ("tr_1Q2w3E4r", "provider")
    assert [h["status"] for h in repaid.json["data"]["history"]] == ["scheduled", "paid", "reversed", "paid"]
    assert admin.get(f"/api/admin/disbursements/{one}").json["data"] == repaid.json["data"]
    assert reconcile(admin)["found"] == []


def test_a_failed_transfer_stays_owed_until_paid_and_wrong_transitions_are_refused(admin, scheduled, charities):
    _, ids = scheduled
    one = ids[charities[1]]
    assert (
        admin.post(f"/api/admin/disbursements/{one}/reversal", json={"reason": "nothing was paid"}).status_code == 409
    )
    failed = admin.post(f"/api/admin/disbursements/{one}/failed", json={"reason": "  IBAN rejected  "})
    assert failed.status_code == 200
    assert (failed.json["data"]["status"], failed.json["data"]["failure_reason"]) == ("failed", "IBAN rejected")
    repeat = admin.post(f"/api/admin/disbursements/{one}/failed", json={"reason": "IBAN rejected"})
    assert repeat.json["message"] == "DISBURSEMENT_UNCHANGED"
    assert admin.post(f"/api/admin/disbursements/{one}/reversal", json={"reason": "not paid"}).status_code == 409
    assert admin.post(f"/api/admin/disbursements/{one}/paid", json={"bank_reference": "TRN 77 0042"}).status_code == 200
    refused = admin.post(f"/api/admin/disbursements/{one}/failed", json={"reason": "too late"})
    assert refused.status_code == 409 and refused.json["errors"]["status"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "bank_reference"),
        ({"bank_reference": "SEPA-1", "provider_transfer_id": "tr_12345"}, "bank_reference"),
        ({"bank_reference": " x "}, "bank_reference"),
        ({"bank_reference": "A" * 65}, "bank_reference"),
        ({"provider_transfer_id": "tr-bad id"}, "provider_transfer_id"),
        ({"bank_reference": 12345678}, "bank_reference"),
        ({"bank_reference": "SEPA-2026-9", "paid_at": "2999-01-01T00:00:00Z"}, "paid_at"),
        ({"bank_reference": "SEPA-2026-9", "paid_at": "2001-01-01T00:00:00Z"}, "paid_at"),
        ({"bank_reference": "SEPA-2026-9", "amount": 1}, "amount"),
    ],
)
def test_a_bad_payment_record_is_422_and_changes_nothing(admin, scheduled, charities, body, field):
    _, ids = scheduled
    one = ids[charities[0]]
    response = admin.post(f"/api/admin/disbursements/{one}/paid", json=body)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]
    assert admin.get(f"/api/admin/disbursements/{one}").json["data"]["status"] == "scheduled"


def test_blank_reasons_and_unknown_disbursements_are_refused(admin, scheduled, charities):
    _, ids = scheduled
    one = ids[charities[0]]
    assert admin.post(f"/api/admin/disbursements/{one}/failed", json={"reason": "    "}).status_code == 422
    assert admin.post(f"/api/admin/disbursements/{one}/failed", json={}).status_code == 422
    missing = admin.post("/api/admin/disbursements/2001-01:nobody/paid", json={"bank_reference": "SEPA-X-1"})
    assert missing.status_code == 404 and missing.json["message"] == "DISBURSEMENT_NOT_FOUND"
    upper = admin.get(f"/api/admin/disbursements/{one.upper()}")
    assert upper.status_code == 200 and upper.json["data"]["id"] == one


def test_one_transfer_cannot_pay_two_disbursements(admin, scheduled, charities):
    _, ids = scheduled
    first, second = ids[charities[0]], ids[charities[1]]
    assert admin.post(f"/api/admin/disbursements/{first}/paid", json={"bank_reference": "CRO-555-1"}).status_code == 200
    reused = admin.post(f"/api/admin/disbursements/{second}/paid", json={"bank_reference": "CRO-555-1"})
    assert reused.status_code == 409 and reused.json["message"] == "REFERENCE_ALREADY_USED"
    assert admin.get(f"/api/admin/disbursements/{second}").json["data"]["status"] == "scheduled"


def test_two_admins_recording_different_transfers_at_once_one_wins(app, admin, scheduled, charities, container):
    _, ids = scheduled
    one = ids[charities[0]]
    service = container.donations.disbursements
    start = threading.Barrier(2)
    outcomes: list = []

    def record(reference):
        start.wait()
        with app.app_context():
            try:
                outcomes.append(
                    service.mark_paid(one, reference=reference, reference_kind="bank", paid_at=None, actor_id=admin.id)[
                        1
                    ]
                )
            except Conflict as exc:
                outcomes.append(exc.message)

    threads = [threading.Thread(target=record, args=(ref,)) for ref in ("SEPA-RACE-A", "SEPA-RACE-B")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(map(str, outcomes)) == ["DISBURSEMENT_STATE_CONFLICT", "True"]
    history = admin.get(f"/api/admin/disbursements/{one}").json["data"]["history"]
    assert [h["status"] for h in history] == ["scheduled", "paid"]


def test_reconciliation_finds_a_month_whose_disbursement_disagrees_with_its_donations(admin, scheduled, charities, db):
    period, ids = scheduled
    assert reconcile(admin)["found"] == []
    db["onlus_disbursements"].update_one({"_id": ids[charities[0]]}, {"$inc": {"amount_cents": 100}})
    db["onlus_disbursements"].update_one({"_id": ids[charities[1]]}, {"$set": {"status": "paid"}})
    result = reconcile(admin)
    assert sorted(result["found"]) == sorted(
        [
            ("PAYOUT_MISMATCH", ids[charities[0]]),
            ("ONLUS_OVER_DISBURSED", charities[0]),
            ("DISBURSEMENT_WITHOUT_REFERENCE", ids[charities[1]]),
        ]
    )
    assert result["run"]["checks"]["payouts"]["ok"] is False
    detail = admin.get(
        f"/api/admin/financial/reconciliation/{result['run']['id']}/discrepancies",
        query_string={"kind": "PAYOUT_MISMATCH"},
    ).json["data"]["items"][0]["detail"]
    assert (detail["period"], detail["donated"], detail["disbursement"]) == (period, 12.5, 13.5)


def test_the_public_statement_shows_allocated_disbursed_and_pending_by_month(
    client, admin, scheduled, charities, make_user, fund
):
    period, ids = scheduled
    admin.post(f"/api/admin/disbursements/{ids[charities[0]]}/paid", json={"bank_reference": "SEPA-2026-0100"})
    donor = make_user()
    fund(donor, 10)
    assert donor.post("/api/donations/process", json={"onlus_id": charities[0], "amount": 3}).status_code == 201
    year = int(period[:4])
    statement = client.get(f"/api/onlus/{charities[0]}/statement", query_string={"year": year})
    assert statement.status_code == 200, statement.json
    data = statement.json["data"]
    months = {p["period"]: p for p in data["periods"]}
    assert (months[period]["allocated"], months[period]["disbursed"], months[period]["pending"]) == (12.5, 12.5, 0)
    assert months[period]["disbursements"] == [
        {
            "id": ids[charities[0]],
            "status": "paid",
            "amount": 12.5,
            "paid_at": months[period]["disbursements"][0]["paid_at"],
        }
    ]
    assert "reference" not in str(data)  # transfer references are for admins
    now = utcnow()
    this_month = f"{now.year:04d}-{now.month:02d}"
    if now.year == year:  # this month's donation: owed, and no batch covers it yet
        assert (months[this_month]["pending"], months[this_month]["unscheduled"]) == (3, 3)
    totals = data["totals"]
    assert round(totals["disbursed"] + totals["pending"], 2) == totals["allocated"]
    assert data["currency"] == "EUR" and data["onlus_id"] == charities[0]


def test_statement_of_an_unknown_onlus_or_a_year_out_of_range_is_refused(client, charities):
    assert client.get("/api/onlus/0123456789abcdef01234567/statement").status_code == 404
    assert client.get(f"/api/onlus/{charities[0]}/statement", query_string={"year": 1999}).status_code == 422
    assert client.get(f"/api/onlus/{charities[0]}/statement", query_string={"year": "soon"}).status_code == 422
    empty = client.get(f"/api/onlus/{charities[0]}/statement", query_string={"year": 2001}).json["data"]
    assert empty["periods"] == [] and empty["totals"]["allocated"] == 0


def test_asking_for_a_months_batch_again_answers_the_first_with_200_as_documented(client, admin, scheduled):
    period, _ = scheduled
    first = admin.get("/api/batch/operations").json["data"]["items"]
    again = admin.post("/api/batch/disbursements", json={"period": period})
    assert again.status_code == 200 and again.json["message"] == "BATCH_EXISTS"
    assert again.json["data"]["id"] == first[0]["id"]
    assert admin.get("/api/batch/operations").json["data"]["total"] == len(first)
    documented = client.get("/api/openapi.json").json["paths"]["/api/batch/disbursements"]["post"]["responses"]
    assert {"200", "201"} <= set(documented)
