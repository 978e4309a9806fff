"""Batch operations on the real server: a batch killed halfway and restarted completes each item exactly once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.core.clock import utcnow


class Killed(BaseException):
    """The process dying mid-item (not an error the runner could catch and record)."""


@pytest.fixture
def donors(container, make_user):
    users = [make_user() for _ in range(3)]
    for u in users:
        container.donations.wallet.adjust(u.id, amount_cents=5000, reason="funding", actor_id="test")
    return users


def import_csv(donors, charity, rows=6):
    lines = ["user_id,onlus_id,amount,reference"]
    for i in range(rows):
        lines.append(f"{donors[i % len(donors)].id},{charity},1.{i:02d},ref-{i}")
    return "\n".join(lines)


def test_a_batch_killed_midway_and_restarted_completes_each_item_once(container, donors, charity, db, monkeypatch):
    batches = container.donations.batches
    batch = batches.create_import(import_csv(donors, charity), name="test", actor_id="admin")
    assert batch["total"] == 6 and batch["counts"]["pending"] == 6

    real_done = batches.repo.item_done
    calls = {"n": 0}

    def dying_done(item_id, **done):
        calls["n"] += 1
        if calls["n"] == 3:  # item 3's donation is committed, its status never recorded
            raise Killed()
        return real_done(item_id, **done)

    monkeypatch.setattr(batches.repo, "item_done", dying_done)
    with pytest.raises(Killed):
        batches.run(batch["_id"])
    monkeypatch.setattr(batches.repo, "item_done", real_done)
    midway = batches.get(batch["_id"])
    assert midway["status"] == "running"
    assert db["batch_items"].count_documents({"batch_id": batch["_id"], "status": "done"}) == 2
    assert db["batch_items"].find_one({"batch_id": batch["_id"], "seq": 3})["status"] == "processing"
    assert db["donations"].count_documents({"source": "batch"}) == 3

    # a kill -9 would leave the lease too: the job resumes once it expired
    db["batch_operations"].update_one(
        {"_id": batch["_id"]}, {"$set": {"lease_owner": "dead", "lease_until": utcnow() - timedelta(seconds=1)}}
    )
    resumed = container.donations.batches.run_due()
    assert [b["status"] for b in resumed] == ["completed"]
    done = resumed[0]
    assert done["counts"] == {"pending": 0, "processing": 0, "done": 6, "failed": 0}
    assert db["donations"].count_documents({"source": "batch"}) == 6
    assert db["transactions"].count_documents({"type": "donated"}) == 6
    item3 = db["batch_items"].find_one({"batch_id": batch["_id"], "seq": 3})
    assert item3["result"]["replayed"] is True and item3["attempts"] == 2
    total = sum(100 + i for i in range(6))
    assert sum(container.donations.wallet.get_wallet(u.id)["total_donated_cents"] for u in donors) == total
    assert batches.run(batch["_id"])["status"] == "completed"  # running a finished batch does nothing
    assert db["donations"].count_documents({"source": "batch"}) == 6


def test_a_budgeted_runner_resumes_where_it_stopped(container, donors, charity, db):
    batches = container.donations.batches
    batch = batches.create_import(import_csv(donors, charity, rows=5), name=None, actor_id="admin")
    first = batches.run(batch["_id"], max_items=2)
    assert first["status"] == "running" and first["counts"]["done"] == 2
    second = batches.run(batch["_id"], max_items=2)
    assert second["counts"]["done"] == 4
    third = batches.run(batch["_id"])
    assert third["status"] == "completed" and third["counts"]["done"] == 5
    assert db["donations"].count_documents({"source": "batch"}) == 5


def test_bad_rows_fail_alone_and_refusals_are_not_retried(container, donors, charity, make_user, db):
    batches = container.donations.batches
    broke = make_user()
    csv = "\n".join(
        [
            "user_id,onlus_id,amount",
            f"{donors[0].id},{charity},2",
            f"{donors[0].id},{charity},abc",
            f"nobody,{charity},1",
            f"{broke.id},{charity},3",
        ]
    )
    batch = batches.create_import(csv, name=None, actor_id="admin")
    assert batch["counts"] == {"pending": 2, "processing": 0, "done": 0, "failed": 2}
    result = batches.run(batch["_id"])
    assert result["status"] == "completed_with_errors"
    items = {i["seq"]: i for i in db["batch_items"].find({"batch_id": batch["_id"]})}
    assert items[1]["status"] == "done"
    assert items[2]["error"].startswith("INVALID_ROW") and items[3]["error"] == "INVALID_ROW: unknown user"
    assert (items[4]["status"], items[4]["error"], items[4]["retryable"]) == ("failed", "INSUFFICIENT_BALANCE", False)
    # the admin funds the donor and retries: only the failed item that can now succeed changes
    container.donations.wallet.adjust(broke.id, amount_cents=1000, reason="funding", actor_id="test")
    batches.retry_failed(batch["_id"])
    again = batches.run(batch["_id"])
    assert again["counts"]["done"] == 2 and again["counts"]["failed"] == 2
    assert db["donations"].count_documents({"source": "batch"}) == 2


def test_monthly_disbursement_pays_each_onlus_once(container, donors, charity, admin, db):
    donations = container.donations.donations
    donations.process(donors[0].id, onlus_id=charity, amount_cents=700)
    donations.process(donors[1].id, onlus_id=charity, amount_cents=300)
    # move the ledger into last month (the books of a closed month)
    now = utcnow()
    last_month = (now.replace(day=1) - timedelta(days=2)).replace(hour=12)
    db["transactions"].update_many({"type": "donated"}, {"$set": {"created_at": last_month}})
    period = f"{last_month.year:04d}-{last_month.month:02d}"
    batches = container.donations.batches
    batch, created = batches.create_disbursement(period, actor_id=admin.id)
    assert created and batch["total"] == 1 and batch["params"]["total_cents"] == 1000
    again, created_again = batches.create_disbursement(period, actor_id=admin.id)
    assert not created_again and again["_id"] == batch["_id"]
    done = batches.run(batch["_id"])
    assert done["status"] == "completed"
    disbursement = db["onlus_disbursements"].find_one({"onlus_id": charity})
    assert disbursement["amount_cents"] == 1000 and disbursement["period"] == period
    with pytest.raises(Exception) as err:
        batches.create_disbursement(f"{now.year:04d}-{now.month:02d}", actor_id=admin.id)
    assert getattr(err.value, "message", "") == "PERIOD_NOT_CLOSED"


def test_an_imported_row_with_upper_case_ids_is_stored_under_the_one_id(container, donors, charity, db):
    batches = container.donations.batches
    batch = batches.create_import(
        f"user_id,onlus_id,amount\n{donors[0].id.upper()},{charity.upper()},1", name=None, actor_id="admin"
    )
    assert batches.run(batch["_id"])["status"] == "completed"
    [donation] = db["donations"].find({"source": "batch"})
    assert (donation["user_id"], donation["onlus_id"]) == (donors[0].id, charity)


def test_batch_api(admin, donors, charity, user):
    r = admin.post("/api/batch/imports", json={"csv": import_csv(donors, charity, rows=3)})
    assert r.status_code == 201 and r.json["data"]["progress"] == 0.0
    batch_id = r.json["data"]["id"]
    r = admin.post(f"/api/batch/operations/{batch_id}/run", json={"max_items": 1})
    assert r.json["data"]["counts"]["done"] == 1 and r.json["data"]["status"] == "running"
    r = admin.post(f"/api/batch/operations/{batch_id}/run", json={})
    assert r.json["data"]["status"] == "completed" and r.json["data"]["progress"] == 100.0
    items = admin.get(f"/api/batch/operations/{batch_id}/items").json["data"]
    assert items["total"] == 3 and {i["status"] for i in items["items"]} == {"done"}
    assert admin.get("/api/batch/operations").json["data"]["total"] == 1
    assert admin.post(f"/api/batch/operations/{batch_id}/retry").status_code == 409
    assert admin.post("/api/batch/imports", json={"csv": "a,b\n1,2"}).status_code == 422
    assert admin.post("/api/batch/disbursements", json={"period": "2026-13"}).status_code == 422
    for text in (
        "user_id,onlus_id,amount\nab\rcd,x,1",
        'user_id,onlus_id,amount\n"a\rb',
        "user_id,onlus_id,amount\r\x00",
    ):
        odd = admin.post("/api/batch/imports", json={"csv": text})
        assert odd.status_code in (201, 422), (text, odd.json)  # a bare carriage return is never a 500
    assert admin.get("/api/batch/operations/000000000000000000000000").status_code == 404
    assert user.post("/api/batch/imports", json={"csv": "x"}).status_code == 403
